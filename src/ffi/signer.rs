//! `lm_signer`: an issuer's private key, and key generation.

use std::ffi::c_char;

use super::memory::{
    borrow_handle, clear_buffer, clear_handle, free_handle, input_slice, input_text, lm_buffer,
    null_argument, write_buffer, write_handle,
};
use super::panic::{guard, guard_value};
use super::status::lm_status;
use crate::alg::Algorithm;
use crate::keys::generate_pkcs8_pem;
use crate::signer::Signer;

/// An issuer's private key and default algorithm. Opaque; one handle may sign from many
/// threads at once.
pub struct lm_signer {
    _private: [u8; 0],
}

/// Loads a signer from a private key in PEM or DER (PKCS#8 or PKCS#1; DER when the first
/// byte is 0x30).
///
/// - `pem`, `pem_len`: the key, borrowed for the call; `(NULL, 0)` is an empty input.
/// - `alg`: the default algorithm, `"PS256"`, `"PS384"` or `"PS512"`; NULL means PS256.
/// - `out`: receives a new handle, freed with `lm_signer_free`; NULL on failure.
///
/// Returns `LM_STATUS_OK`, `LM_STATUS_INVALID_ARGUMENT` (NULL `out`, non-UTF-8 `alg`),
/// `LM_STATUS_KEY_INVALID` (unreadable key, a public key, or outside the policy of 2048 to
/// 4096 bits and 2^16 < e < 2^33) or `LM_STATUS_UNSUPPORTED_SIGNATURE_METHOD` (`alg`).
#[no_mangle]
#[must_use]
pub unsafe extern "C" fn lm_signer_from_pem(
    pem: *const u8,
    pem_len: usize,
    alg: *const c_char,
    out: *mut *mut lm_signer,
) -> lm_status {
    guard(|| {
        clear_handle(out);
        if out.is_null() {
            return Err(null_argument("out"));
        }
        // SAFETY: the caller passes pem_len readable bytes at pem, or NULL.
        let pem = unsafe { input_slice(pem, pem_len, "pem") }?;
        let algorithm = if alg.is_null() {
            None
        } else {
            // SAFETY: a non-NULL alg is a NUL-terminated string.
            Some(Algorithm::from_name(unsafe { input_text(alg, "alg") }?)?)
        };
        write_handle::<Signer, lm_signer>(out, Signer::from_pem(pem, algorithm)?)
    })
}

/// Frees a signer. NULL is ignored. The handle must not be in use by another thread.
#[no_mangle]
pub unsafe extern "C" fn lm_signer_free(signer: *mut lm_signer) {
    guard_value((), || {
        // SAFETY: signer is NULL or a live handle from lm_signer_from_pem.
        unsafe { free_handle::<Signer, lm_signer>(signer) }
    });
}

/// Writes the signer's public key as a JWK: `kid` (the RFC 7638 thumbprint), `kty`, `n`,
/// `e` and `"use": "sig"`.
///
/// - `signer`: borrowed for the call.
/// - `out_jwk_json`: receives the JSON text, freed with `lm_buffer_free`; zeroed on failure.
///
/// Returns `LM_STATUS_OK` or `LM_STATUS_INVALID_ARGUMENT` (a NULL pointer). Thread-safe.
#[no_mangle]
#[must_use]
pub unsafe extern "C" fn lm_signer_public_jwk(
    signer: *const lm_signer,
    out_jwk_json: *mut lm_buffer,
) -> lm_status {
    guard(|| {
        clear_buffer(out_jwk_json);
        // SAFETY: signer is NULL or a live handle from lm_signer_from_pem.
        let signer = unsafe { borrow_handle::<Signer, lm_signer>(signer, "signer") }?;
        write_buffer(
            out_jwk_json,
            signer.public_key().to_jwk().to_string().as_bytes(),
        )
    })
}

/// Writes the signer's public key as a SubjectPublicKeyInfo PEM (`PUBLIC KEY`), the file a
/// product ships to verify tokens.
///
/// - `signer`: borrowed for the call.
/// - `out_spki_pem`: receives the PEM text, freed with `lm_buffer_free`; zeroed on failure.
///
/// Returns `LM_STATUS_OK` or `LM_STATUS_INVALID_ARGUMENT` (a NULL pointer). Thread-safe.
#[no_mangle]
#[must_use]
pub unsafe extern "C" fn lm_signer_public_key_pem(
    signer: *const lm_signer,
    out_spki_pem: *mut lm_buffer,
) -> lm_status {
    guard(|| {
        clear_buffer(out_spki_pem);
        // SAFETY: signer is NULL or a live handle from lm_signer_from_pem.
        let signer = unsafe { borrow_handle::<Signer, lm_signer>(signer, "signer") }?;
        write_buffer(out_spki_pem, signer.public_key().to_spki_pem()?.as_bytes())
    })
}

/// Generates an RSA key with public exponent 65537 and writes it as an unencrypted PKCS#8
/// PEM (`PRIVATE KEY`).
///
/// - `bits`: 2048, 3072 or 4096.
/// - `out_pkcs8_pem`: receives the PEM, freed with `lm_buffer_free`; zeroed on failure. It
///   contains a private key: keep it out of logs and products.
///
/// Returns `LM_STATUS_OK` or `LM_STATUS_INVALID_ARGUMENT` (NULL output, other sizes).
#[no_mangle]
#[must_use]
pub unsafe extern "C" fn lm_generate_key(bits: u32, out_pkcs8_pem: *mut lm_buffer) -> lm_status {
    guard(|| {
        clear_buffer(out_pkcs8_pem);
        if out_pkcs8_pem.is_null() {
            return Err(null_argument("out_pkcs8_pem"));
        }
        write_buffer(out_pkcs8_pem, generate_pkcs8_pem(bits)?.as_bytes())
    })
}
