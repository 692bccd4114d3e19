//! The native module `libcheckout._native`: Python classes over the Rust API of the
//! `checkout` crate. Every rule lives in that crate; this layer converts Python values and
//! maps errors to the exception classes of `libcheckout.errors`.

mod callback;
mod convert;
mod errors;
mod options;
mod public_key;
mod signer;
mod store;
mod verifier;

use pyo3::prelude::*;
use pyo3::types::PyDict;

/// The native part of `libcheckout`; import the package, not this module.
#[pymodule(gil_used = false)]
fn _native(module: &Bound<'_, PyModule>) -> PyResult<()> {
    let py = module.py();
    module.add_class::<signer::Signer>()?;
    module.add_class::<public_key::PublicKey>()?;
    module.add_class::<verifier::Verifier>()?;
    module.add_class::<verifier::VerifiedToken>()?;
    module.add_class::<store::Store>()?;
    module.add("__version__", env!("CARGO_PKG_VERSION"))?;

    // Every status the core can return, so the Python side can check that each one has its
    // exception class.
    let statuses = PyDict::new(py);
    for kind in checkout::ErrorKind::ALL {
        statuses.set_item(kind.status(), kind.code())?;
    }
    module.add("STATUS_CODES", statuses)?;
    Ok(())
}
