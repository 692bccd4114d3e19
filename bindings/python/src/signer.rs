//! `libcheckout.Signer`: an RSA private key that signs tokens.

use std::sync::Arc;

use checkout::Algorithm;
use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;
use pyo3::types::PyDict;
use zeroize::Zeroizing;

use crate::callback::PyDigestSigner;
use crate::convert::{bytes_or_text, json_document, json_object_to_py};
use crate::errors::IntoPyResult;

/// An RSA private key (2048 to 4096 bits) that signs JWS tokens with PS256, PS384 or PS512,
/// held in memory or, with from_callback, by a KMS or another signing service.
///
/// Safe to share between threads; signing releases the GIL.
#[pyclass(frozen, module = "libcheckout")]
pub(crate) struct Signer {
    pub(crate) inner: Arc<checkout::Signer>,
}

fn parse_algorithm(name: Option<&str>) -> PyResult<Option<Algorithm>> {
    name.map(Algorithm::from_name).transpose().into_py_result()
}

#[pymethods]
impl Signer {
    /// Load a signer from a PKCS#8 or PKCS#1 private key, PEM or DER. `algorithm` is the
    /// default for tokens: "PS256" (the default), "PS384" or "PS512".
    #[staticmethod]
    #[pyo3(signature = (pem, algorithm = None))]
    fn from_pem(py: Python<'_>, pem: &Bound<'_, PyAny>, algorithm: Option<&str>) -> PyResult<Self> {
        // The copy of the private key is wiped when it goes out of scope.
        let pem = Zeroizing::new(bytes_or_text(pem, "pem")?);
        let algorithm = parse_algorithm(algorithm)?;
        let inner = py
            .detach(|| checkout::Signer::from_pem(&pem, algorithm))
            .into_py_result()?;
        Ok(Signer {
            inner: Arc::new(inner),
        })
    }

    /// Create a signer whose private key stays in a KMS or another signing service.
    ///
    /// `public_key_pem` is the key's public half: SubjectPublicKeyInfo or PKCS#1, PEM or DER
    /// (AWS KMS GetPublicKey returns DER SubjectPublicKeyInfo, usable as it comes).
    /// `fn(alg, digest)` receives the algorithm name ("PS256", "PS384" or "PS512") and the
    /// SHA-2 hash of the JWS signing input, and returns the RSASSA-PSS signature of that
    /// digest, with a salt as long as the hash, as bytes of the modulus length.
    ///
    /// Every signature `fn` returns is verified with the public key before a token is
    /// emitted, and one test signature is made here. A failed check, an exception raised by
    /// `fn` (chained as `__cause__`) or a return value that is not bytes raises SignerError.
    /// `fn` may be called from several threads at once, each holding the GIL while it runs.
    #[staticmethod]
    #[pyo3(signature = (public_key_pem, algorithm, r#fn))]
    fn from_callback(
        py: Python<'_>,
        public_key_pem: &Bound<'_, PyAny>,
        algorithm: Option<&str>,
        r#fn: &Bound<'_, PyAny>,
    ) -> PyResult<Self> {
        let public_key = bytes_or_text(public_key_pem, "public_key_pem")?;
        let algorithm = parse_algorithm(algorithm)?;
        if !r#fn.is_callable() {
            return Err(PyTypeError::new_err(format!(
                "fn must be callable as fn(alg, digest) -> bytes, not {}",
                r#fn.get_type().name()?
            )));
        }
        let callback = Box::new(PyDigestSigner::new(r#fn.clone().unbind()));
        let inner = py
            .detach(|| checkout::Signer::from_digest_signer(&public_key, algorithm, callback))
            .into_py_result()?;
        Ok(Signer {
            inner: Arc::new(inner),
        })
    }

    /// Generate a fresh key of `bits` (2048, 3072 or 4096) with public exponent 65537.
    #[staticmethod]
    #[pyo3(signature = (bits = 2048, algorithm = None))]
    fn generate(py: Python<'_>, bits: u32, algorithm: Option<&str>) -> PyResult<Self> {
        let algorithm = parse_algorithm(algorithm)?;
        let inner = py
            .detach(|| checkout::Signer::generate(bits, algorithm))
            .into_py_result()?;
        Ok(Signer {
            inner: Arc::new(inner),
        })
    }

    /// The key id: the RFC 7638 JWK thumbprint of the public key (43 characters).
    #[getter]
    fn kid(&self) -> &str {
        self.inner.kid()
    }

    /// The default algorithm of this signer's tokens, such as "PS256".
    #[getter]
    fn algorithm(&self) -> &'static str {
        self.inner.algorithm().name()
    }

    /// Return the public key as a SubjectPublicKeyInfo PEM ("PUBLIC KEY").
    fn public_key_pem(&self) -> PyResult<String> {
        self.inner.public_key().to_spki_pem().into_py_result()
    }

    /// Return the public key as a JWK with "kid", "kty", "n", "e" and "use".
    fn public_jwk<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        match self.inner.public_key().to_jwk() {
            serde_json::Value::Object(members) => json_object_to_py(py, &members),
            other => json_object_to_py(py, &serde_json::Map::from_iter([("jwk".into(), other)])),
        }
    }

    /// Return the private key as a PKCS#8 PEM. Keep the result secret. A signer from
    /// from_callback raises InvalidKeyError, because its key never leaves the service.
    fn private_key_pem(&self) -> PyResult<String> {
        Ok(self.inner.private_key_pem().into_py_result()?.to_string())
    }

    /// Sign `payload` as a JWS compact token. A dict is serialized as compact JSON and gets
    /// `"typ": "JWT"` in the header. `algorithm` overrides the signer's default.
    #[pyo3(signature = (payload, *, algorithm = None))]
    fn sign(
        &self,
        py: Python<'_>,
        payload: &Bound<'_, PyAny>,
        algorithm: Option<&str>,
    ) -> PyResult<String> {
        let payload = if payload.is_instance_of::<PyDict>() {
            json_document(payload, "payload")?
        } else {
            bytes_or_text(payload, "payload")?
        };
        let algorithm = parse_algorithm(algorithm)?;
        let signer = &self.inner;
        py.detach(|| match algorithm {
            Some(chosen) => signer.sign_with(chosen, &payload),
            None => signer.sign(&payload),
        })
        .into_py_result()
    }

    fn __repr__(&self) -> String {
        format!(
            "Signer(kid={:?}, algorithm={:?})",
            self.inner.kid(),
            self.inner.algorithm().name()
        )
    }
}
