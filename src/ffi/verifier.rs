//! `lm_verifier` and `lm_verify`: offline verification with public keys only.

use std::ffi::c_char;

use super::memory::{
    borrow_handle, clear_buffer, clear_handle, free_handle, input_slice, input_text, lm_buffer,
    null_argument, write_buffer, write_handle,
};
use super::panic::{guard, guard_value};
use super::status::lm_status;
use crate::verify::{Verifier, VerifyOptions};

/// The public keys a product trusts. Opaque; one handle may verify from many threads at once.
pub struct lm_verifier {
    _private: [u8; 0],
}

/// Loads a verifier from one public key in PEM or DER (SubjectPublicKeyInfo or PKCS#1).
/// Such a verifier ignores the token's `kid`.
///
/// - `pem`, `pem_len`: the key, borrowed for the call.
/// - `out`: receives a new handle, freed with `lm_verifier_free`; NULL on failure.
///
/// Returns `LM_STATUS_OK`, `LM_STATUS_INVALID_ARGUMENT` (NULL `out`, `(NULL, n > 0)`) or
/// `LM_STATUS_KEY_INVALID` (unreadable, a private key, or outside the key policy).
#[no_mangle]
#[must_use]
pub unsafe extern "C" fn lm_verifier_from_pem(
    pem: *const u8,
    pem_len: usize,
    out: *mut *mut lm_verifier,
) -> lm_status {
    guard(|| {
        clear_handle(out);
        if out.is_null() {
            return Err(null_argument("out"));
        }
        // SAFETY: the caller passes pem_len readable bytes at pem, or NULL.
        let pem = unsafe { input_slice(pem, pem_len, "pem") }?;
        write_handle::<Verifier, lm_verifier>(out, Verifier::from_pem(pem)?)
    })
}

/// Loads a verifier from a JWKS (`{"keys": [...]}`) or a single JWK. A key is selected by its
/// `kid`, or by its thumbprint when it has none; a JWK `alg` restricts the key.
///
/// - `jwks`, `jwks_len`: the JSON, borrowed for the call.
/// - `out`: receives a new handle, freed with `lm_verifier_free`; NULL on failure.
///
/// Returns `LM_STATUS_OK`, `LM_STATUS_INVALID_ARGUMENT` (NULL `out`, `(NULL, n > 0)`, input
/// that is not UTF-8 JSON) or `LM_STATUS_KEY_INVALID` (a key outside the policy, a private
/// key, a duplicate `kid`, or no usable key).
#[no_mangle]
#[must_use]
pub unsafe extern "C" fn lm_verifier_from_jwks(
    jwks: *const u8,
    jwks_len: usize,
    out: *mut *mut lm_verifier,
) -> lm_status {
    guard(|| {
        clear_handle(out);
        if out.is_null() {
            return Err(null_argument("out"));
        }
        // SAFETY: the caller passes jwks_len readable bytes at jwks, or NULL.
        let jwks = unsafe { input_slice(jwks, jwks_len, "jwks") }?;
        write_handle::<Verifier, lm_verifier>(out, Verifier::from_jwks(jwks)?)
    })
}

/// Frees a verifier. NULL is ignored. The handle must not be in use by another thread.
#[no_mangle]
pub unsafe extern "C" fn lm_verifier_free(verifier: *mut lm_verifier) {
    guard_value((), || {
        // SAFETY: verifier is NULL or a live handle from lm_verifier_from_pem/_jwks.
        unsafe { free_handle::<Verifier, lm_verifier>(verifier) }
    });
}

/// Verifies a JWS compact token offline and writes its payload exactly as signed.
///
/// - `verifier`: borrowed for the call.
/// - `token`, `token_len`: the token, borrowed for the call.
/// - `options_json`: NUL-terminated JSON, every member optional: `profile` (`"license"`, the
///   default, or `"jws"`), `now` (Unix seconds or a UTC time), `leewaySeconds` (0 to 86400,
///   default 60), `nodeId`, `algorithms` (default all of PS256, PS384, PS512),
///   `requireEntitlements` (`[{"name", "value"}]`), `maxTokenBytes` (default 65536). An
///   unknown member is an error. NULL means the defaults.
/// - `out_payload`: receives the payload bytes, freed with `lm_buffer_free`; zeroed on
///   failure.
///
/// Returns `LM_STATUS_OK`, `LM_STATUS_INVALID_ARGUMENT` (NULL pointers, bad options),
/// `LM_STATUS_UNSUPPORTED_SIGNATURE_METHOD`, `LM_STATUS_TOKEN_MALFORMED`,
/// `LM_STATUS_SIGNATURE_INVALID`, `LM_STATUS_TOKEN_EXPIRED`, `LM_STATUS_TOKEN_NOT_YET_VALID`,
/// `LM_STATUS_NODE_MISMATCH` or `LM_STATUS_ENTITLEMENT_MISSING`. Thread-safe.
#[no_mangle]
#[must_use]
pub unsafe extern "C" fn lm_verify(
    verifier: *const lm_verifier,
    token: *const u8,
    token_len: usize,
    options_json: *const c_char,
    out_payload: *mut lm_buffer,
) -> lm_status {
    guard(|| {
        clear_buffer(out_payload);
        if out_payload.is_null() {
            return Err(null_argument("out_payload"));
        }
        // SAFETY: verifier is NULL or a live handle from lm_verifier_from_pem/_jwks.
        let verifier = unsafe { borrow_handle::<Verifier, lm_verifier>(verifier, "verifier") }?;
        // SAFETY: the caller passes token_len readable bytes at token, or NULL.
        let token = unsafe { input_slice(token, token_len, "token") }?;
        let options = if options_json.is_null() {
            VerifyOptions::default()
        } else {
            // SAFETY: a non-NULL options_json is a NUL-terminated string.
            let text = unsafe { input_text(options_json, "options_json") }?;
            VerifyOptions::from_json(text.as_bytes())?
        };
        let verified = verifier.verify(token, &options)?;
        write_buffer(out_payload, &verified.payload)
    })
}
