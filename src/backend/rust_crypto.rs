//! The backend built on RustCrypto's `rsa` 0.10 and its `sha2` 0.11, in Rust only: the feature
//! `pure-rust`, used when `aws-lc` is off. Its guarantees are in the parent module's doc.
//!
//! Keys cross this file as DER, read and written with the same `der`, `pkcs1`, `pkcs8` and
//! `spki` crates as `src/keys`, so `rsa` needs none of its own encoding features.

use der::asn1::{AnyRef, ObjectIdentifier, UintRef};
use der::{Decode, Encode};
use getrandom::SysRng;
use rsa::traits::{PrivateKeyParts, PublicKeyParts};
use rsa::BoxedUint;
// `rsa` 0.10 always depends on `sha2` 0.11 and re-exports it. A direct `sha2` dependency
// would clash with the `sha2` 0.10 dev-dependency in test builds (two crates of one name).
use rsa::sha2::{Digest, Sha256, Sha384, Sha512};
use spki::{AlgorithmIdentifierRef, SubjectPublicKeyInfoRef};
use zeroize::Zeroizing;

use crate::alg::Algorithm;
use crate::error::{err, ErrorKind, Result};

/// rsaEncryption (RFC 8017 Appendix C), the only algorithm `src/keys` encodes for the backend.
const RSA_ENCRYPTION: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.1");

/// A public key whose modulus is converted to Montgomery form once, at load.
pub(crate) struct VerifyingKey {
    key: rsa::PublicKey,
}

impl VerifyingKey {
    /// Parses a SubjectPublicKeyInfo DER whose policy the caller has already checked.
    pub(crate) fn from_spki_der(spki: &[u8]) -> Result<VerifyingKey> {
        let rejected = |reason: &dyn std::fmt::Display| {
            err(
                ErrorKind::KeyInvalid,
                format!("RSA public key rejected by the backend: {reason}"),
            )
        };

        let info = SubjectPublicKeyInfoRef::from_der(spki).map_err(|e| rejected(&e))?;
        if info.algorithm.oid != RSA_ENCRYPTION {
            return Err(rejected(&format_args!(
                "algorithm {} is not rsaEncryption",
                info.algorithm.oid
            )));
        }
        let bits = info
            .subject_public_key
            .as_bytes()
            .ok_or_else(|| rejected(&"the key bits are not whole bytes"))?;
        let pkcs1 = pkcs1::RsaPublicKey::from_der(bits).map_err(|e| rejected(&e))?;

        let precision = precision_of(pkcs1.modulus).map_err(|e| rejected(&e))?;
        let n = to_uint(pkcs1.modulus, precision).map_err(|e| rejected(&e))?;
        let e = to_uint(pkcs1.public_exponent, precision).map_err(|e| rejected(&e))?;
        let key = rsa::PublicKey::new(n, e).map_err(|e| rejected(&e))?;
        Ok(VerifyingKey { key })
    }

    /// Verifies an RSASSA-PSS signature whose salt is exactly the hash length
    /// (RFC 8017 §8.1.2, RFC 7518 §3.5).
    pub(crate) fn verify(&self, algorithm: Algorithm, message: &[u8], signature: &[u8]) -> bool {
        // `pss_verify` requires the salt length to equal the digest's output size.
        let verified = match algorithm {
            Algorithm::PS256 => self.key.pss_verify::<Sha256>(message, signature),
            Algorithm::PS384 => self.key.pss_verify::<Sha384>(message, signature),
            Algorithm::PS512 => self.key.pss_verify::<Sha512>(message, signature),
        };
        verified.is_ok()
    }
}

/// A private key held by the backend, with its CRT values precomputed.
pub(crate) struct SigningKey {
    // Boxed because `rsa::PrivateKey` is several hundred bytes inline, and callers keep a
    // `SigningKey` in enums beside small variants.
    key: Box<rsa::PrivateKey>,
}

impl SigningKey {
    /// Loads a PKCS#1 RSAPrivateKey DER whose policy the caller has already checked.
    pub(crate) fn from_pkcs1_der(der: &[u8]) -> Result<SigningKey> {
        let rejected = |reason: &dyn std::fmt::Display| {
            err(
                ErrorKind::KeyInvalid,
                format!("RSA private key rejected by the backend: {reason}"),
            )
        };

        let pkcs1 = pkcs1::RsaPrivateKey::from_der(der).map_err(|e| rejected(&e))?;
        if pkcs1.other_prime_infos.is_some() {
            return Err(rejected(&"multi-prime keys are not supported"));
        }

        // Every component gets the modulus's width, as `rsa`'s own PKCS#1 decoder does.
        // `from_components` checks that p * q = n, d < n and d * e = 1 modulo p - 1 and q - 1.
        // It then computes dP, dQ and qInv itself instead of trusting those in the DER.
        let precision = precision_of(pkcs1.modulus).map_err(|e| rejected(&e))?;
        let n = to_uint(pkcs1.modulus, precision).map_err(|e| rejected(&e))?;
        let e = to_uint(pkcs1.public_exponent, precision).map_err(|e| rejected(&e))?;
        let d = to_uint(pkcs1.private_exponent, precision).map_err(|e| rejected(&e))?;
        let p = to_uint(pkcs1.prime1, precision).map_err(|e| rejected(&e))?;
        let q = to_uint(pkcs1.prime2, precision).map_err(|e| rejected(&e))?;
        let key =
            rsa::PrivateKey::from_components(n, e, d, vec![p, q]).map_err(|e| rejected(&e))?;
        Ok(SigningKey { key: Box::new(key) })
    }

    /// Signs `message` with RSASSA-PSS (RFC 8017 §8.1.1), salt as long as the hash.
    pub(crate) fn sign(&self, algorithm: Algorithm, message: &[u8]) -> Result<Vec<u8>> {
        // The `_with_rng` methods draw the salt and the blinding factors from `SysRng`.
        let signed = match algorithm {
            Algorithm::PS256 => self
                .key
                .pss_sign_with_rng::<Sha256, _>(&mut SysRng, message),
            Algorithm::PS384 => self
                .key
                .pss_sign_with_rng::<Sha384, _>(&mut SysRng, message),
            Algorithm::PS512 => self
                .key
                .pss_sign_with_rng::<Sha512, _>(&mut SysRng, message),
        };
        signed.map_err(|_| signing_failed())
    }

    /// Signs a precomputed SHA-2 `digest` with RSASSA-PSS, salt as long as the hash.
    pub(crate) fn sign_digest(&self, algorithm: Algorithm, digest: &[u8]) -> Result<Vec<u8>> {
        if digest.len() != algorithm.hash_len() {
            return Err(err(
                ErrorKind::InvalidArgument,
                format!(
                    "digest is {} bytes; {algorithm} signs a {}-byte hash",
                    digest.len(),
                    algorithm.hash_len()
                ),
            ));
        }

        let key = &self.key;
        let signed = match algorithm {
            Algorithm::PS256 => key.pss_sign_prehash_with_rng::<Sha256, _>(&mut SysRng, digest),
            Algorithm::PS384 => key.pss_sign_prehash_with_rng::<Sha384, _>(&mut SysRng, digest),
            Algorithm::PS512 => key.pss_sign_prehash_with_rng::<Sha512, _>(&mut SysRng, digest),
        };
        signed.map_err(|_| signing_failed())
    }

    /// Returns the private key as PKCS#8 v1 DER (RFC 5958 §2) holding a two-prime PKCS#1
    /// RSAPrivateKey (RFC 8017 Appendix A.1.2).
    pub(crate) fn pkcs8_der(&self) -> Result<Zeroizing<Vec<u8>>> {
        let encode_failed = |_| err(ErrorKind::Internal, "could not encode the private key");
        let key = &self.key;

        let [p, q] = key.primes() else {
            return Err(err(
                ErrorKind::Internal,
                "the private key has more than two primes",
            ));
        };
        let (Some(dp), Some(dq), Some(qinv)) = (key.dp(), key.dq(), key.crt_coefficient()) else {
            return Err(err(
                ErrorKind::Internal,
                "the private key has no CRT values",
            ));
        };

        // `to_be_bytes` pads to the storage width, so `UintRef::new` strips the leading zeros.
        let modulus = key.n().to_be_bytes();
        let public_exponent = key.e().to_be_bytes();
        let private_exponent = Zeroizing::new(key.d().to_be_bytes());
        let prime1 = Zeroizing::new(p.to_be_bytes());
        let prime2 = Zeroizing::new(q.to_be_bytes());
        let exponent1 = Zeroizing::new(dp.to_be_bytes());
        let exponent2 = Zeroizing::new(dq.to_be_bytes());
        let coefficient = Zeroizing::new(qinv.to_be_bytes());

        let pkcs1 = pkcs1::RsaPrivateKey {
            modulus: UintRef::new(&modulus).map_err(encode_failed)?,
            public_exponent: UintRef::new(&public_exponent).map_err(encode_failed)?,
            private_exponent: UintRef::new(&private_exponent).map_err(encode_failed)?,
            prime1: UintRef::new(&prime1).map_err(encode_failed)?,
            prime2: UintRef::new(&prime2).map_err(encode_failed)?,
            exponent1: UintRef::new(&exponent1).map_err(encode_failed)?,
            exponent2: UintRef::new(&exponent2).map_err(encode_failed)?,
            coefficient: UintRef::new(&coefficient).map_err(encode_failed)?,
            other_prime_infos: None,
        };
        let pkcs1_der = encode_secret(&pkcs1).map_err(encode_failed)?;

        let info = pkcs8::PrivateKeyInfo {
            algorithm: AlgorithmIdentifierRef {
                oid: RSA_ENCRYPTION,
                parameters: Some(AnyRef::NULL),
            },
            private_key: &pkcs1_der,
            public_key: None,
        };
        encode_secret(&info).map_err(encode_failed)
    }
}

/// Generates an RSA key of 2048, 3072 or 4096 bits with exponent 65537; returns PKCS#8 DER.
pub(crate) fn generate_pkcs8(bits: u32) -> Result<Zeroizing<Vec<u8>>> {
    if !matches!(bits, 2048 | 3072 | 4096) {
        return Err(err(
            ErrorKind::InvalidArgument,
            format!("key size {bits} bits is not supported; use 2048, 3072 or 4096"),
        ));
    }

    // `PrivateKey::new` uses exponent 65537 and retries until n has exactly `bits` bits.
    let key = rsa::PrivateKey::new(&mut SysRng, bits as usize).map_err(|_| {
        err(
            ErrorKind::Internal,
            "RSA key generation failed in the backend",
        )
    })?;
    SigningKey { key: Box::new(key) }.pkcs8_der()
}

/// Returns the SHA-2 digest of `bytes` that `algorithm` signs: SHA-256, SHA-384 or SHA-512.
pub(crate) fn digest_for(algorithm: Algorithm, bytes: &[u8]) -> Vec<u8> {
    match algorithm {
        Algorithm::PS256 => Sha256::digest(bytes).to_vec(),
        Algorithm::PS384 => Sha384::digest(bytes).to_vec(),
        Algorithm::PS512 => Sha512::digest(bytes).to_vec(),
    }
}

/// Returns the SHA-256 digest of `bytes`.
pub(crate) fn sha256(bytes: &[u8]) -> [u8; 32] {
    Sha256::digest(bytes).into()
}

/// Fills `out` from the operating system's CSPRNG.
pub(crate) fn fill_random(out: &mut [u8]) -> Result<()> {
    getrandom::fill(out).map_err(|_| {
        err(
            ErrorKind::Internal,
            "the system random number generator failed",
        )
    })
}

fn signing_failed() -> crate::Error {
    err(ErrorKind::Signer, "RSA-PSS signing failed in the backend")
}

/// Returns the width in bits given to every component of a key: the modulus's length in
/// whole bytes.
fn precision_of(modulus: UintRef<'_>) -> std::result::Result<u32, &'static str> {
    u32::try_from(modulus.as_bytes().len() * 8).map_err(|_| "the modulus is too long")
}

/// Converts a DER INTEGER to a `BoxedUint` of `precision` bits, rejecting a wider value.
fn to_uint(value: UintRef<'_>, precision: u32) -> std::result::Result<BoxedUint, &'static str> {
    BoxedUint::from_be_slice(value.as_bytes(), precision)
        .map_err(|_| "a key component is longer than the modulus")
}

/// Encodes `value` into a buffer of its exact length, so the secret is never copied by a
/// growing `Vec` and is zeroized when dropped.
fn encode_secret(value: &impl Encode) -> der::Result<Zeroizing<Vec<u8>>> {
    let length = usize::try_from(value.encoded_len()?)?;
    let mut out = Zeroizing::new(vec![0u8; length]);
    value.encode_to_slice(&mut out)?;
    Ok(out)
}

#[cfg(test)]
mod tests;
