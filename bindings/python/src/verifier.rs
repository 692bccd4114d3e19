//! `libcheckout.Verifier` and `libcheckout.VerifiedToken`: offline verification with public
//! keys only.

use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyDict};

use crate::convert::{bytes_or_text, json_document, json_loads_object, json_object_to_py};
use crate::errors::IntoPyResult;
use crate::options::VerifyArguments;

/// Verifies tokens with trusted public keys: one key from a PEM, or a JWKS.
///
/// Safe to share between threads; verification releases the GIL.
#[pyclass(frozen, module = "libcheckout")]
pub(crate) struct Verifier {
    inner: checkout::Verifier,
}

/// A token that verified.
#[pyclass(frozen, module = "libcheckout")]
pub(crate) struct VerifiedToken {
    header: Py<PyDict>,
    payload: Py<PyBytes>,
    claims: Option<Py<PyDict>>,
}

#[pymethods]
impl Verifier {
    /// Load a verifier from one RSA public key (SubjectPublicKeyInfo or PKCS#1, PEM or DER).
    /// It ignores the token's "kid". A private key raises InvalidKeyError.
    #[staticmethod]
    fn from_pem(py: Python<'_>, pem: &Bound<'_, PyAny>) -> PyResult<Self> {
        let pem = bytes_or_text(pem, "pem")?;
        let inner = py
            .detach(|| checkout::Verifier::from_pem(&pem))
            .into_py_result()?;
        Ok(Verifier { inner })
    }

    /// Load a verifier from a JWKS (`{"keys": [...]}`) or a single JWK, as a dict or JSON text.
    /// A token's "kid" selects the key.
    #[staticmethod]
    fn from_jwks(py: Python<'_>, jwks: &Bound<'_, PyAny>) -> PyResult<Self> {
        let jwks = json_document(jwks, "jwks")?;
        let inner = py
            .detach(|| checkout::Verifier::from_jwks(&jwks))
            .into_py_result()?;
        Ok(Verifier { inner })
    }

    /// Verify `token` and return a VerifiedToken, or raise a TokenError subclass (or
    /// UnsupportedSignatureMethodError for an algorithm outside `algorithms`).
    ///
    /// `profile` is "license" (a checkout token; its claims are checked) or "jws" (any
    /// payload; checks stop after the signature). `now` is the time to check against: an
    /// aware datetime, a naive one in UTC, Unix seconds or a time string; it defaults to the
    /// system clock. `leeway_seconds` (0 to 86400) tolerates clock skew. `node_id` requires
    /// the token's node. `algorithms` limits the accepted PS algorithms.
    /// `require_entitlements` is a list of {"name": ..., "value": ...} the token must grant,
    /// quantities compared numerically. `max_token_bytes` caps the token size (65536).
    #[pyo3(signature = (
        token, *, profile = "license", now = None, leeway_seconds = None, node_id = None,
        algorithms = None, require_entitlements = None, max_token_bytes = None
    ))]
    // The default leeway is applied after the type check, so the signature shows it by hand.
    #[pyo3(
        text_signature = "($self, token, *, profile='license', now=None, leeway_seconds=60, \
        node_id=None, algorithms=None, require_entitlements=None, max_token_bytes=None)"
    )]
    #[allow(clippy::too_many_arguments)]
    fn verify(
        &self,
        py: Python<'_>,
        token: &Bound<'_, PyAny>,
        profile: &str,
        now: Option<&Bound<'_, PyAny>>,
        leeway_seconds: Option<&Bound<'_, PyAny>>,
        node_id: Option<String>,
        algorithms: Option<Vec<String>>,
        require_entitlements: Option<&Bound<'_, PyAny>>,
        max_token_bytes: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<VerifiedToken> {
        let token = bytes_or_text(token, "token")?;
        let default_leeway = 60u32.into_pyobject(py)?.into_any();
        let options = VerifyArguments {
            profile,
            now,
            leeway_seconds: leeway_seconds.unwrap_or(&default_leeway),
            node_id,
            algorithms,
            require_entitlements,
            max_token_bytes,
        }
        .to_options()?;

        let verifier = &self.inner;
        let verified = py
            .detach(|| verifier.verify(&token, &options))
            .into_py_result()?;

        let payload = PyBytes::new(py, &verified.payload);
        let claims = match &verified.claims {
            Some(_) => Some(json_loads_object(&payload)?.unbind()),
            None => None,
        };
        Ok(VerifiedToken {
            header: json_object_to_py(py, &verified.header)?.unbind(),
            payload: payload.unbind(),
            claims,
        })
    }

    fn __repr__(&self) -> String {
        format!("Verifier(keys={})", self.inner.keys().len())
    }
}

#[pymethods]
impl VerifiedToken {
    /// The protected header, such as {"alg": "PS384", "typ": "JWT", "kid": "..."}.
    #[getter]
    fn header(&self, py: Python<'_>) -> Py<PyDict> {
        self.header.clone_ref(py)
    }

    /// The payload bytes exactly as signed.
    #[getter]
    fn payload(&self, py: Python<'_>) -> Py<PyBytes> {
        self.payload.clone_ref(py)
    }

    /// The payload as a dict for the "license" profile, after its checks passed; None for
    /// the "jws" profile.
    #[getter]
    fn claims(&self, py: Python<'_>) -> Option<Py<PyDict>> {
        self.claims.as_ref().map(|claims| claims.clone_ref(py))
    }

    fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
        // The payload and claims stay out of the repr: they may hold customer identifiers.
        Ok(format!(
            "VerifiedToken(header={})",
            self.header.bind(py).repr()?
        ))
    }
}
