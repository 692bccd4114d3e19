//! `libcheckout.PublicKey`: one RSA public key that checks RSASSA-PSS signatures over raw
//! messages, for data that is not a JWS token.

use checkout::{Algorithm, PublicKeySet};
use pyo3::prelude::*;
use pyo3::types::PyDict;

use crate::convert::{bytes_like, bytes_or_text, json_document, json_object_to_py};
use crate::errors::IntoPyResult;

/// An RSA public key (2048 to 4096 bits) that verifies PS256, PS384 and PS512 signatures
/// over raw messages.
///
/// Safe to share between threads; verification releases the GIL.
#[pyclass(frozen, module = "libcheckout")]
pub(crate) struct PublicKey {
    // The key as a set of one, because the set keeps the algorithm a JWK "alg" member
    // restricts the key to, and the key alone does not.
    set: PublicKeySet,
    key: checkout::PublicKey,
}

impl PublicKey {
    fn from_set(set: PublicKeySet) -> PyResult<Self> {
        if set.len() != 1 {
            return Err(crate::errors::to_py_err(checkout::Error::new(
                checkout::ErrorKind::KeyInvalid,
                format!(
                    "JWKS has {} keys but PublicKey.from_jwk loads one; use Verifier.from_jwks for a set",
                    set.len()
                ),
            )));
        }

        // `candidates` with no kid lists every key the algorithm may use, and each
        // algorithm is tried because an "alg" member hides the key from the other two.
        let key = Algorithm::ALL
            .iter()
            .find_map(|algorithm| set.candidates(*algorithm, None).next().cloned());
        match key {
            Some(key) => Ok(PublicKey { set, key }),
            None => Err(crate::errors::to_py_err(checkout::Error::new(
                checkout::ErrorKind::Internal,
                "the loaded JWK serves no PS algorithm",
            ))),
        }
    }
}

#[pymethods]
impl PublicKey {
    /// Load an RSA public key from PEM ("PUBLIC KEY" or "RSA PUBLIC KEY") or DER
    /// (SubjectPublicKeyInfo or PKCS#1). A private key raises InvalidKeyError.
    #[staticmethod]
    fn from_pem(py: Python<'_>, pem: &Bound<'_, PyAny>) -> PyResult<Self> {
        let pem = bytes_or_text(pem, "pem")?;
        let key = py
            .detach(|| checkout::PublicKey::from_pem_or_der(&pem))
            .into_py_result()?;
        Ok(PublicKey {
            set: PublicKeySet::single(key.clone()),
            key,
        })
    }

    /// Load an RSA public key from one JWK (or a JWKS of exactly one key), as a dict or JSON
    /// text. An "alg" member restricts the key to that algorithm. A private JWK, a key that
    /// is not an RSA signature key, or a JWKS of several keys raises InvalidKeyError.
    #[staticmethod]
    fn from_jwk(py: Python<'_>, jwk: &Bound<'_, PyAny>) -> PyResult<Self> {
        let jwk = json_document(jwk, "jwk")?;
        let set = py
            .detach(|| PublicKeySet::from_jwks(&jwk))
            .into_py_result()?;
        PublicKey::from_set(set)
    }

    /// The RFC 7638 JWK thumbprint (43 characters), the "kid" that libcheckout writes. A
    /// JWK's own "kid" member is not kept.
    #[getter]
    fn kid(&self) -> &str {
        self.key.thumbprint()
    }

    /// The modulus size in bits, such as 2048.
    #[getter]
    fn bits(&self) -> usize {
        self.key.bits()
    }

    /// Return the key as a JWK with "kid", "kty", "n", "e" and "use", without "alg".
    fn to_jwk<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        match self.key.to_jwk() {
            serde_json::Value::Object(members) => json_object_to_py(py, &members),
            other => json_object_to_py(py, &serde_json::Map::from_iter([("jwk".into(), other)])),
        }
    }

    /// Return the key as a SubjectPublicKeyInfo PEM ("PUBLIC KEY").
    fn to_pem(&self) -> PyResult<String> {
        self.key.to_spki_pem().into_py_result()
    }

    /// Check an RSASSA-PSS signature over the raw `message` (not a JWS signing input).
    ///
    /// `algorithm` is "PS256", "PS384" or "PS512": MGF1 with the same SHA-2 hash and a salt
    /// exactly as long as the hash. Returns False for a wrong signature, a signature not
    /// exactly as long as the modulus, or an algorithm the key's encoding excludes. Another
    /// algorithm name raises UnsupportedSignatureMethodError.
    fn verify(
        &self,
        py: Python<'_>,
        algorithm: &str,
        message: &Bound<'_, PyAny>,
        signature: &Bound<'_, PyAny>,
    ) -> PyResult<bool> {
        let algorithm = Algorithm::from_name(algorithm).into_py_result()?;
        let message = bytes_like(message, "message")?;
        let signature = bytes_like(signature, "signature")?;
        let set = &self.set;
        Ok(py.detach(|| {
            set.candidates(algorithm, None)
                .any(|key| key.verify(algorithm, &message, &signature))
        }))
    }

    fn __repr__(&self) -> String {
        format!(
            "PublicKey(kid={:?}, bits={})",
            self.key.thumbprint(),
            self.key.bits()
        )
    }
}
