//! The backend built on aws-lc-rs (AWS-LC, C and assembly): the feature `aws-lc`, on by
//! default. Its guarantees are in the parent module's doc.

use aws_lc_rs::digest;
use aws_lc_rs::encoding::AsDer;
use aws_lc_rs::rand::{self, SecureRandom};
use aws_lc_rs::rsa::KeySize;
use aws_lc_rs::signature::{self, ParsedPublicKey, RsaKeyPair};

use crate::alg::Algorithm;
use crate::error::{err, ErrorKind, Result};

/// A public key parsed once for each algorithm, so a verification does no parsing.
pub(crate) struct VerifyingKey {
    by_algorithm: [ParsedPublicKey; 3],
}

impl VerifyingKey {
    /// Parses a SubjectPublicKeyInfo DER whose policy the caller has already checked.
    pub(crate) fn from_spki_der(spki: &[u8]) -> Result<VerifyingKey> {
        let parse = |params: &'static signature::RsaParameters| {
            ParsedPublicKey::new(params, spki).map_err(|rejected| {
                err(
                    ErrorKind::KeyInvalid,
                    format!("RSA public key rejected by the backend: {rejected}"),
                )
            })
        };
        Ok(VerifyingKey {
            by_algorithm: [
                parse(&signature::RSA_PSS_2048_8192_SHA256)?,
                parse(&signature::RSA_PSS_2048_8192_SHA384)?,
                parse(&signature::RSA_PSS_2048_8192_SHA512)?,
            ],
        })
    }

    /// Verifies an RSASSA-PSS signature whose salt is exactly the hash length
    /// (RFC 8017 §8.1.2, RFC 7518 §3.5).
    pub(crate) fn verify(&self, algorithm: Algorithm, message: &[u8], signature: &[u8]) -> bool {
        let key = match algorithm {
            Algorithm::PS256 => &self.by_algorithm[0],
            Algorithm::PS384 => &self.by_algorithm[1],
            Algorithm::PS512 => &self.by_algorithm[2],
        };
        key.verify_sig(message, signature).is_ok()
    }
}

/// A private key held by the backend.
pub(crate) struct SigningKey {
    pair: RsaKeyPair,
}

impl SigningKey {
    /// Loads a PKCS#1 RSAPrivateKey DER whose policy the caller has already checked.
    pub(crate) fn from_pkcs1_der(der: &[u8]) -> Result<SigningKey> {
        let pair = RsaKeyPair::from_der(der).map_err(|rejected| {
            err(
                ErrorKind::KeyInvalid,
                format!("RSA private key rejected by the backend: {rejected}"),
            )
        })?;
        Ok(SigningKey { pair })
    }

    /// Signs `message` with RSASSA-PSS (RFC 8017 §8.1.1), salt as long as the hash.
    pub(crate) fn sign(&self, algorithm: Algorithm, message: &[u8]) -> Result<Vec<u8>> {
        let encoding = match algorithm {
            Algorithm::PS256 => &signature::RSA_PSS_SHA256,
            Algorithm::PS384 => &signature::RSA_PSS_SHA384,
            Algorithm::PS512 => &signature::RSA_PSS_SHA512,
        };
        let mut out = vec![0u8; self.pair.public_modulus_len()];
        self.pair
            .sign(encoding, &rand::SystemRandom::new(), message, &mut out)
            .map_err(|_| err(ErrorKind::Signer, "RSA-PSS signing failed in the backend"))?;
        Ok(out)
    }

    /// Signs a precomputed SHA-2 `digest` with RSASSA-PSS, salt as long as the hash.
    pub(crate) fn sign_digest(&self, algorithm: Algorithm, digest: &[u8]) -> Result<Vec<u8>> {
        let (encoding, hash) = match algorithm {
            Algorithm::PS256 => (&signature::RSA_PSS_SHA256, &digest::SHA256),
            Algorithm::PS384 => (&signature::RSA_PSS_SHA384, &digest::SHA384),
            Algorithm::PS512 => (&signature::RSA_PSS_SHA512, &digest::SHA512),
        };
        let imported = digest::Digest::import_less_safe(digest, hash).map_err(|_| {
            err(
                ErrorKind::InvalidArgument,
                format!(
                    "digest is {} bytes; {algorithm} signs a {}-byte hash",
                    digest.len(),
                    algorithm.hash_len()
                ),
            )
        })?;
        let mut out = vec![0u8; self.pair.public_modulus_len()];
        self.pair
            .sign_digest(encoding, &imported, &mut out)
            .map_err(|_| err(ErrorKind::Signer, "RSA-PSS signing failed in the backend"))?;
        Ok(out)
    }

    /// Returns the private key as PKCS#8 v1 DER.
    pub(crate) fn pkcs8_der(&self) -> Result<zeroize::Zeroizing<Vec<u8>>> {
        let der: aws_lc_rs::encoding::Pkcs8V1Der<'static> = self
            .pair
            .as_der()
            .map_err(|_| err(ErrorKind::Internal, "could not encode the private key"))?;
        Ok(zeroize::Zeroizing::new(der.as_ref().to_vec()))
    }
}

/// Generates an RSA key of 2048, 3072 or 4096 bits with exponent 65537; returns PKCS#8 DER.
pub(crate) fn generate_pkcs8(bits: u32) -> Result<zeroize::Zeroizing<Vec<u8>>> {
    let size = match bits {
        2048 => KeySize::Rsa2048,
        3072 => KeySize::Rsa3072,
        4096 => KeySize::Rsa4096,
        other => {
            return Err(err(
                ErrorKind::InvalidArgument,
                format!("key size {other} bits is not supported; use 2048, 3072 or 4096"),
            ))
        }
    };
    let pair = RsaKeyPair::generate(size).map_err(|_| {
        err(
            ErrorKind::Internal,
            "RSA key generation failed in the backend",
        )
    })?;
    SigningKey { pair }.pkcs8_der()
}

/// Returns the SHA-2 digest of `bytes` that `algorithm` signs: SHA-256, SHA-384 or SHA-512.
pub(crate) fn digest_for(algorithm: Algorithm, bytes: &[u8]) -> Vec<u8> {
    let hash = match algorithm {
        Algorithm::PS256 => &digest::SHA256,
        Algorithm::PS384 => &digest::SHA384,
        Algorithm::PS512 => &digest::SHA512,
    };
    digest::digest(hash, bytes).as_ref().to_vec()
}

/// Returns the SHA-256 digest of `bytes`.
pub(crate) fn sha256(bytes: &[u8]) -> [u8; 32] {
    let mut out = [0u8; 32];
    out.copy_from_slice(digest::digest(&digest::SHA256, bytes).as_ref());
    out
}

/// Fills `out` from the operating system's CSPRNG.
pub(crate) fn fill_random(out: &mut [u8]) -> Result<()> {
    rand::SystemRandom::new().fill(out).map_err(|_| {
        err(
            ErrorKind::Internal,
            "the system random number generator failed",
        )
    })
}
