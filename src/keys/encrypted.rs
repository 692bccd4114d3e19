//! Encrypted PKCS#8 (RFC 5958 §3) with PBES2 (RFC 8018 §6.2): PBKDF2 or scrypt with AES-CBC,
//! what `openssl genpkey -aes256` writes.

use pkcs8::der::Decode;
use pkcs8::pkcs5::pbes2;
use pkcs8::{EncryptedPrivateKeyInfo, PrivateKeyInfo};
use zeroize::Zeroizing;

use super::invalid;
use crate::backend;
use crate::error::{err, ErrorKind, Result};

/// PBKDF2-HMAC-SHA-256 iterations of keys this library encrypts: OWASP's 2023 figure for
/// PBKDF2-HMAC-SHA-256 (Password Storage Cheat Sheet).
pub const PBKDF2_ITERATIONS: u32 = 600_000;

/// Decrypts an EncryptedPrivateKeyInfo DER into the PrivateKeyInfo DER it wraps.
pub(crate) fn decrypt(der: &[u8], passphrase: &[u8]) -> Result<Zeroizing<Vec<u8>>> {
    if passphrase.is_empty() {
        return Err(err(
            ErrorKind::InvalidArgument,
            "passphrase is empty; pass the key's passphrase",
        ));
    }
    let legacy = || {
        invalid(
            "the key is encrypted with a legacy PKCS#5 v1.5 or PKCS#12 scheme; re-encrypt it with \
             PBES2 (openssl pkcs8 -topk8 -v2 aes256 -in OLD.pem -out NEW.pem)",
        )
    };
    let info = match EncryptedPrivateKeyInfo::from_der(der) {
        Ok(info) => info,
        // The shape is right but the scheme is one the PKCS#5 reader does not know.
        Err(_) if super::der::is_encrypted_pkcs8(der) => return Err(legacy()),
        Err(e) => return Err(invalid(format!("not a DER EncryptedPrivateKeyInfo: {e}"))),
    };
    if info.encryption_algorithm.pbes2().is_none() {
        return Err(legacy());
    }
    let document = info.decrypt(passphrase).map_err(|_| {
        invalid("could not decrypt the private key: the passphrase is wrong or the key is damaged")
    })?;
    Ok(Zeroizing::new(document.as_bytes().to_vec()))
}

/// Encrypts a PrivateKeyInfo DER with PBES2: PBKDF2-HMAC-SHA-256 ([`PBKDF2_ITERATIONS`]
/// iterations, 16-byte random salt) and AES-256-CBC (random IV). Returns the
/// EncryptedPrivateKeyInfo DER.
pub(crate) fn encrypt(pkcs8: &[u8], passphrase: &[u8]) -> Result<Vec<u8>> {
    if passphrase.is_empty() {
        return Err(err(
            ErrorKind::InvalidArgument,
            "passphrase is empty; choose a passphrase",
        ));
    }
    let mut salt = [0u8; 16];
    let mut iv = [0u8; 16];
    backend::fill_random(&mut salt)?;
    backend::fill_random(&mut iv)?;

    let failed = || err(ErrorKind::Internal, "could not encrypt the private key");
    let params = pbes2::Parameters::pbkdf2_sha256_aes256cbc(PBKDF2_ITERATIONS, &salt, &iv)
        .map_err(|_| failed())?;
    let info = PrivateKeyInfo::from_der(pkcs8).map_err(|_| failed())?;
    let document = info
        .encrypt_with_params(params, passphrase)
        .map_err(|_| failed())?;
    Ok(document.as_bytes().to_vec())
}
