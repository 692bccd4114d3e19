//! Digest signing through a Python callable, for keys held by a KMS or another service.

use std::cell::RefCell;

use checkout::{Algorithm, DigestSigner};
use pyo3::prelude::*;
use pyo3::types::PyBytes;

thread_local! {
    /// The exception the last callback on this thread raised. The core keeps only its text,
    /// so the binding keeps the exception here to chain it as the `SignerError`'s `__cause__`.
    /// Signing runs on the thread that called into the binding, with the GIL released, so
    /// the error conversion on that thread finds it.
    static RAISED: RefCell<Option<PyErr>> = const { RefCell::new(None) };
}

/// A Python callable `fn(alg, digest) -> bytes` behind the core's `DigestSigner`.
pub(crate) struct PyDigestSigner {
    callable: Py<PyAny>,
}

impl PyDigestSigner {
    pub(crate) fn new(callable: Py<PyAny>) -> Self {
        PyDigestSigner { callable }
    }
}

impl DigestSigner for PyDigestSigner {
    fn sign_digest(&self, algorithm: Algorithm, digest: &[u8]) -> Result<Vec<u8>, String> {
        // The binding releases the GIL around every core call that may sign, so this takes it
        // back here. Other Python threads run while the core waits for it, and the core calls
        // signers outside its store locks, so no lock is held while waiting.
        Python::attach(|py| {
            let digest = PyBytes::new(py, digest);
            let returned = match self.callable.bind(py).call1((algorithm.name(), digest)) {
                Ok(returned) => returned,
                Err(raised) => {
                    let message = raised.to_string();
                    RAISED.with(|slot| *slot.borrow_mut() = Some(raised));
                    return Err(message);
                }
            };
            match returned.cast::<PyBytes>() {
                Ok(signature) => Ok(signature.as_bytes().to_vec()),
                Err(_) => Err(format!(
                    "it returned {} where bytes were expected",
                    returned
                        .get_type()
                        .name()
                        .map(|name| name.to_string())
                        .unwrap_or_else(|_| "an object of unknown type".to_owned())
                )),
            }
        })
    }
}

/// Takes the exception a callback on this thread raised, if any, so it is chained once.
pub(crate) fn take_raised() -> Option<PyErr> {
    RAISED.with(|slot| slot.borrow_mut().take())
}
