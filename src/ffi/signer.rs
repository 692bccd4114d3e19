//! `lm_signer`: an issuer's private key, and key generation.

use std::ffi::{c_char, c_void};

use super::memory::{
    borrow_handle, clear_buffer, clear_handle, free_handle, input_slice, input_text, lm_buffer,
    null_argument, write_buffer, write_handle,
};
use super::panic::{guard, guard_value};
use super::status::lm_status;
use crate::alg::Algorithm;
use crate::keys::generate_pkcs8_pem;
use crate::signer::{DigestSigner, Signer};

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

/// Loads a signer from an encrypted PKCS#8 private key (`ENCRYPTED PRIVATE KEY` PEM, or its
/// DER) and its passphrase. PBES2 with PBKDF2 or scrypt and AES-CBC is read, which is what
/// `openssl genpkey -aes256` writes.
///
/// - `pem`, `pem_len`: the key, borrowed for the call.
/// - `passphrase`, `passphrase_len`: the passphrase bytes, borrowed for the call; the library
///   zeroizes its own copies of the decrypted key.
/// - `alg`: the default algorithm, `"PS256"`, `"PS384"` or `"PS512"`; NULL means PS256.
/// - `out`: receives a new handle, freed with `lm_signer_free`; NULL on failure.
///
/// Returns `LM_STATUS_OK`, `LM_STATUS_INVALID_ARGUMENT` (NULL pointers, empty passphrase),
/// `LM_STATUS_KEY_INVALID` (wrong passphrase, legacy encryption, unencrypted or unreadable
/// key, key outside the policy) or `LM_STATUS_UNSUPPORTED_SIGNATURE_METHOD` (`alg`).
#[no_mangle]
#[must_use]
pub unsafe extern "C" fn lm_signer_from_encrypted_pem(
    pem: *const u8,
    pem_len: usize,
    passphrase: *const u8,
    passphrase_len: usize,
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
        // SAFETY: the caller passes passphrase_len readable bytes at passphrase, or NULL.
        let passphrase = unsafe { input_slice(passphrase, passphrase_len, "passphrase") }?;
        // SAFETY: alg is NULL or a NUL-terminated string.
        let algorithm = unsafe { optional_algorithm(alg) }?;
        write_handle::<Signer, lm_signer>(
            out,
            Signer::from_encrypted_pem(pem, passphrase, algorithm)?,
        )
    })
}

/// A signing callback: signs `digest`, the SHA-2 hash of the JWS signing input for `alg`
/// (`"PS256"`, `"PS384"` or `"PS512"`), with RSASSA-PSS and a salt as long as the hash, and
/// writes the signature to `signature` (capacity `signature_capacity`, at least the modulus
/// length) and its length to `*signature_len`. Returns 0 on success; any other value is a
/// failure. It may be called from several threads at once, also during
/// `lm_signer_from_callback` (a test signature), and never while a store lock is held.
pub type lm_sign_callback = Option<
    unsafe extern "C" fn(
        user_data: *mut c_void,
        alg: *const c_char,
        digest: *const u8,
        digest_len: usize,
        signature: *mut u8,
        signature_capacity: usize,
        signature_len: *mut usize,
    ) -> i32,
>;

/// Creates a signer whose private key stays in a KMS, an HSM service or any other signer
/// reached through `callback`. Every signature the callback returns is verified with
/// `public_key` before a token is emitted, so a misconfigured service gives
/// `LM_STATUS_SIGNER` instead of tokens that fail verification.
///
/// - `public_key`, `public_key_len`: the public key, SPKI or PKCS#1, PEM or DER (as AWS KMS
///   `GetPublicKey` returns it); borrowed for the call.
/// - `alg`: the default algorithm; NULL means PS256.
/// - `callback`: must not be NULL. `user_data` is passed to it unchanged and must stay valid,
///   and safe to use from several threads, until the signer is freed.
/// - `out`: receives a new handle, freed with `lm_signer_free`; NULL on failure.
///
/// Returns `LM_STATUS_OK`, `LM_STATUS_INVALID_ARGUMENT` (NULL pointers),
/// `LM_STATUS_KEY_INVALID` (the public key), `LM_STATUS_UNSUPPORTED_SIGNATURE_METHOD` (`alg`)
/// or `LM_STATUS_SIGNER` (the test signature failed or did not verify).
#[no_mangle]
#[must_use]
pub unsafe extern "C" fn lm_signer_from_callback(
    public_key: *const u8,
    public_key_len: usize,
    alg: *const c_char,
    callback: lm_sign_callback,
    user_data: *mut c_void,
    out: *mut *mut lm_signer,
) -> lm_status {
    guard(|| {
        clear_handle(out);
        if out.is_null() {
            return Err(null_argument("out"));
        }
        let callback = callback.ok_or_else(|| null_argument("callback"))?;
        // SAFETY: the caller passes public_key_len readable bytes at public_key, or NULL.
        let public_key = unsafe { input_slice(public_key, public_key_len, "public_key") }?;
        // SAFETY: alg is NULL or a NUL-terminated string.
        let algorithm = unsafe { optional_algorithm(alg) }?;
        let external = CallbackSigner {
            callback,
            user_data: UserData(user_data),
        };
        let signer = Signer::from_digest_signer(public_key, algorithm, Box::new(external))?;
        write_handle::<Signer, lm_signer>(out, signer)
    })
}

/// Parses an optional NUL-terminated algorithm name.
///
/// # Safety
/// `alg` is NULL or a NUL-terminated string.
unsafe fn optional_algorithm(alg: *const c_char) -> crate::Result<Option<Algorithm>> {
    if alg.is_null() {
        return Ok(None);
    }
    // SAFETY: guaranteed by the caller.
    Ok(Some(Algorithm::from_name(unsafe {
        input_text(alg, "alg")
    }?)?))
}

/// The caller's `user_data` pointer.
struct UserData(*mut c_void);

// SAFETY: lm_signer_from_callback's contract makes the caller keep user_data valid and safe to
// use from several threads until the signer is freed; the library only passes it back.
unsafe impl Send for UserData {}
// SAFETY: as above; the library never dereferences the pointer itself.
unsafe impl Sync for UserData {}

struct CallbackSigner {
    callback: unsafe extern "C" fn(
        *mut c_void,
        *const c_char,
        *const u8,
        usize,
        *mut u8,
        usize,
        *mut usize,
    ) -> i32,
    user_data: UserData,
}

impl DigestSigner for CallbackSigner {
    fn sign_digest(&self, algorithm: Algorithm, digest: &[u8]) -> Result<Vec<u8>, String> {
        let name = match algorithm {
            Algorithm::PS256 => c"PS256",
            Algorithm::PS384 => c"PS384",
            Algorithm::PS512 => c"PS512",
        };
        // A 4096-bit signature is the largest the key policy allows.
        let mut signature = vec![0u8; crate::keys::MAX_MODULUS_BITS / 8];
        let mut written = 0usize;
        // SAFETY: every pointer is valid for the call: name is a static C string, digest and
        // signature are live buffers of the lengths given, and written is a live usize; the
        // callback's own contract covers user_data.
        let status = unsafe {
            (self.callback)(
                self.user_data.0,
                name.as_ptr(),
                digest.as_ptr(),
                digest.len(),
                signature.as_mut_ptr(),
                signature.len(),
                &mut written,
            )
        };
        if status != 0 {
            return Err(format!("the callback returned {status}"));
        }
        if written > signature.len() {
            return Err(format!(
                "the callback reported {written} signature bytes, more than the {} it was given",
                signature.len()
            ));
        }
        signature.truncate(written);
        Ok(signature)
    }
}

/// Creates a signer whose private key stays on a PKCS#11 token (an HSM). The module is loaded
/// and initialized once per process and shared by every signer from it; the signer keeps a
/// pool of logged-in sessions, so one handle may sign from many threads at once. The public
/// key is read from the token and must pass the key policy; its thumbprint is the `kid`.
/// Signatures use CKM_RSA_PKCS_PSS and are verified with the public key before use.
///
/// - `module_path`: the PKCS#11 module file, such as `/usr/lib/softhsm/libsofthsm2.so`.
/// - `token_label`: the label of the token.
/// - `pin`: the user PIN; it never appears in a message.
/// - `key_label`: the label (CKA_LABEL) of the RSA private key.
/// - `alg`: the default algorithm, `"PS256"`, `"PS384"` or `"PS512"`; NULL means PS256.
/// - `out`: receives a new handle, freed with `lm_signer_free`; NULL on failure.
///
/// Returns `LM_STATUS_OK`, `LM_STATUS_INVALID_ARGUMENT` (NULL or non-UTF-8 text),
/// `LM_STATUS_SIGNER` (the module cannot be loaded, no token has that label, a wrong PIN, a
/// failed test signature, or a library built without the `pkcs11` feature),
/// `LM_STATUS_KEY_INVALID` (no private key has that label, it is not an RSA key that may
/// sign, or it is outside the key policy) or `LM_STATUS_UNSUPPORTED_SIGNATURE_METHOD`
/// (`alg`). Messages name the PKCS#11 return value, such as `CKR_PIN_INCORRECT`.
#[no_mangle]
#[must_use]
pub unsafe extern "C" fn lm_signer_from_pkcs11(
    module_path: *const c_char,
    token_label: *const c_char,
    pin: *const c_char,
    key_label: *const c_char,
    alg: *const c_char,
    out: *mut *mut lm_signer,
) -> lm_status {
    guard(|| {
        clear_handle(out);
        if out.is_null() {
            return Err(null_argument("out"));
        }
        // SAFETY: each text argument is NULL or a NUL-terminated string.
        let module_path = unsafe { input_text(module_path, "module_path") }?;
        // SAFETY: as above.
        let token_label = unsafe { input_text(token_label, "token_label") }?;
        // SAFETY: as above.
        let pin = unsafe { input_text(pin, "pin") }?;
        // SAFETY: as above.
        let key_label = unsafe { input_text(key_label, "key_label") }?;
        // SAFETY: as above.
        let algorithm = unsafe { optional_algorithm(alg) }?;
        write_handle::<Signer, lm_signer>(
            out,
            pkcs11_signer(module_path, token_label, pin, key_label, algorithm)?,
        )
    })
}

#[cfg(feature = "pkcs11")]
fn pkcs11_signer(
    module_path: &str,
    token_label: &str,
    pin: &str,
    key_label: &str,
    algorithm: Option<Algorithm>,
) -> crate::Result<Signer> {
    Signer::from_pkcs11(module_path, token_label, pin, key_label, algorithm)
}

#[cfg(not(feature = "pkcs11"))]
fn pkcs11_signer(
    _module_path: &str,
    _token_label: &str,
    _pin: &str,
    _key_label: &str,
    _algorithm: Option<Algorithm>,
) -> crate::Result<Signer> {
    Err(crate::error::Error::new(
        crate::ErrorKind::Signer,
        "this libcheckout was built without the pkcs11 feature; rebuild it with that feature to sign with a PKCS#11 token",
    ))
}
