//! RSA keys: loading from PEM, DER, JWK and JWKS, the key policy, RFC 7638 thumbprints,
//! export and generation.
//!
//! The policy: a modulus of 2048 to 4096 bits (the AWS KMS sizes, and the upper bound also
//! bounds the cost of one verification) and an odd public exponent with 2^16 < e < 2^33
//! (the FIPS 186-5 lower bound; AWS-LC refuses exponents above 33 bits).

mod der;
mod encrypted;
mod jwk;

use std::fmt;
use std::sync::Arc;

use serde_json::{json, Value};
use zeroize::Zeroizing;

pub use encrypted::PBKDF2_ITERATIONS;
pub use jwk::PublicKeySet;

use crate::alg::Algorithm;
use crate::b64;
use crate::backend::{self, SigningKey, VerifyingKey};
use crate::error::{err, ErrorKind, Result};

/// The smallest accepted modulus, in bits.
pub const MIN_MODULUS_BITS: usize = 2048;
/// The largest accepted modulus, in bits.
pub const MAX_MODULUS_BITS: usize = 4096;

fn invalid(message: impl Into<String>) -> crate::Error {
    err(ErrorKind::KeyInvalid, message)
}

/// An RSA public key that passed the policy, ready to verify.
#[derive(Clone)]
pub struct PublicKey {
    n: Vec<u8>,
    e: Vec<u8>,
    bits: usize,
    thumbprint: String,
    restricted_to: Option<Algorithm>,
    verifying: Arc<VerifyingKey>,
}

impl fmt::Debug for PublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PublicKey")
            .field("bits", &self.bits)
            .field("thumbprint", &self.thumbprint)
            .finish()
    }
}

impl PublicKey {
    /// Loads a public key from PEM (`PUBLIC KEY` or `RSA PUBLIC KEY`) or DER
    /// (SubjectPublicKeyInfo or PKCS#1; DER when the input starts with byte 0x30).
    ///
    /// A private key is rejected with [`ErrorKind::KeyInvalid`], so that private keys are
    /// never shipped inside products by mistake.
    pub fn from_pem_or_der(input: &[u8]) -> Result<PublicKey> {
        let parts = match decode_pem_or_der(input)? {
            Encoded::Der(der) => {
                if der::is_private_key(&der) {
                    return Err(private_given());
                }
                der::parse_spki(&der)
                    .or_else(|spki_error| der::parse_pkcs1_public(&der).map_err(|_| spki_error))?
            }
            Encoded::Pem(label, der) => match label.as_str() {
                "PUBLIC KEY" => der::parse_spki(&der)?,
                "RSA PUBLIC KEY" => der::parse_pkcs1_public(&der)?,
                "PRIVATE KEY" | "RSA PRIVATE KEY" | "ENCRYPTED PRIVATE KEY" => {
                    return Err(private_given())
                }
                other => return Err(unexpected_label(other, "PUBLIC KEY or RSA PUBLIC KEY")),
            },
        };
        PublicKey::from_parts(parts.n, parts.e, parts.restricted_to)
    }

    /// Builds a key from its big-endian modulus and exponent, checking the policy.
    pub(crate) fn from_parts(
        n: Vec<u8>,
        e: Vec<u8>,
        restricted_to: Option<Algorithm>,
    ) -> Result<PublicKey> {
        let n = strip_leading_zeros(n);
        let e = strip_leading_zeros(e);
        let bits = check_policy(&n, &e)?;
        let verifying = VerifyingKey::from_spki_der(&der::encode_spki(&n, &e)?)?;
        let thumbprint = thumbprint(&n, &e);
        Ok(PublicKey {
            n,
            e,
            bits,
            thumbprint,
            restricted_to,
            verifying: Arc::new(verifying),
        })
    }

    /// Returns the modulus size in bits.
    pub fn bits(&self) -> usize {
        self.bits
    }

    /// Returns the modulus length in bytes, which is also the signature length.
    pub fn modulus_len(&self) -> usize {
        self.n.len()
    }

    /// Returns the RFC 7638 JWK thumbprint (SHA-256, base64url, 43 characters), the key id
    /// that libcheckout writes as `kid`.
    pub fn thumbprint(&self) -> &str {
        &self.thumbprint
    }

    /// Returns the one algorithm this key may serve, when its encoding restricts it.
    pub fn restricted_to(&self) -> Option<Algorithm> {
        self.restricted_to
    }

    /// Returns the public JWK: `kid` (the thumbprint), `kty`, `n`, `e` and `"use": "sig"`,
    /// never `alg`, because one key signs with several PS algorithms.
    pub fn to_jwk(&self) -> Value {
        json!({
            "kid": self.thumbprint,
            "kty": "RSA",
            "n": b64::encode(&self.n),
            "e": b64::encode(&self.e),
            "use": "sig",
        })
    }

    /// Returns the public key as a SubjectPublicKeyInfo DER.
    pub fn to_spki_der(&self) -> Result<Vec<u8>> {
        der::encode_spki(&self.n, &self.e)
    }

    /// Returns the public key as a `PUBLIC KEY` PEM (SubjectPublicKeyInfo).
    pub fn to_spki_pem(&self) -> Result<String> {
        encode_pem("PUBLIC KEY", &self.to_spki_der()?)
    }

    /// Verifies an RSASSA-PSS signature over `message`: the signature must be exactly as
    /// long as the modulus and the salt exactly as long as the hash.
    pub fn verify(&self, algorithm: Algorithm, message: &[u8], signature: &[u8]) -> bool {
        if self.restricted_to.is_some_and(|only| only != algorithm) {
            return false;
        }
        signature.len() == self.n.len() && self.verifying.verify(algorithm, message, signature)
    }
}

/// An RSA private key that passed the policy, ready to sign.
pub struct PrivateKey {
    signing: SigningKey,
    public: PublicKey,
}

impl fmt::Debug for PrivateKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PrivateKey")
            .field("public", &self.public)
            .finish_non_exhaustive()
    }
}

impl PrivateKey {
    /// Loads a private key from PEM (`PRIVATE KEY` or `RSA PRIVATE KEY`) or DER (PKCS#8 or
    /// PKCS#1; DER when the input starts with byte 0x30).
    pub fn from_pem_or_der(input: &[u8]) -> Result<PrivateKey> {
        if is_legacy_encrypted(input) {
            return Err(legacy_encrypted_given());
        }
        let parts = match decode_pem_or_der(input)? {
            Encoded::Der(der) => {
                if der::is_encrypted_pkcs8(&der) {
                    return Err(encrypted_given());
                }
                if der::is_public_key(&der) {
                    return Err(public_given());
                }
                der::parse_pkcs8(&der).or_else(|pkcs8_error| {
                    der::parse_pkcs1_private(&der).map_err(|_| pkcs8_error)
                })?
            }
            Encoded::Pem(label, der) => match label.as_str() {
                "PRIVATE KEY" => der::parse_pkcs8(&der)?,
                "RSA PRIVATE KEY" => der::parse_pkcs1_private(&der)?,
                "ENCRYPTED PRIVATE KEY" => return Err(encrypted_given()),
                "PUBLIC KEY" | "RSA PUBLIC KEY" => return Err(public_given()),
                other => return Err(unexpected_label(other, "PRIVATE KEY or RSA PRIVATE KEY")),
            },
        };
        let public =
            PublicKey::from_parts(parts.public.n, parts.public.e, parts.public.restricted_to)?;
        let signing = SigningKey::from_pkcs1_der(&parts.pkcs1)?;
        Ok(PrivateKey { signing, public })
    }

    /// Loads an encrypted PKCS#8 private key (`ENCRYPTED PRIVATE KEY` PEM, or its DER) with
    /// its passphrase. PBES2 with PBKDF2 or scrypt and AES-CBC is read; legacy PKCS#5 v1.5
    /// and OpenSSL's `Proc-Type: 4,ENCRYPTED` PEM are rejected with a hint.
    pub fn from_encrypted_pem_or_der(input: &[u8], passphrase: &[u8]) -> Result<PrivateKey> {
        if is_legacy_encrypted(input) {
            return Err(legacy_encrypted_given());
        }
        let der = match decode_pem_or_der(input)? {
            Encoded::Der(der) => der,
            Encoded::Pem(label, der) if label == "ENCRYPTED PRIVATE KEY" => der,
            Encoded::Pem(label, _) if label == "PRIVATE KEY" || label == "RSA PRIVATE KEY" => {
                return Err(invalid(
                    "this private key is not encrypted; load it without a passphrase",
                ))
            }
            Encoded::Pem(label, _) => {
                return Err(unexpected_label(&label, "ENCRYPTED PRIVATE KEY"))
            }
        };
        let pkcs8 = encrypted::decrypt(&der, passphrase)?;
        PrivateKey::from_pem_or_der(&pkcs8)
    }

    /// Returns the private key as an `ENCRYPTED PRIVATE KEY` PEM: PBES2 with
    /// PBKDF2-HMAC-SHA-256 ([`PBKDF2_ITERATIONS`] iterations) and AES-256-CBC.
    pub fn to_encrypted_pkcs8_pem(&self, passphrase: &[u8]) -> Result<String> {
        let der = self.signing.pkcs8_der()?;
        encode_pem(
            "ENCRYPTED PRIVATE KEY",
            &encrypted::encrypt(&der, passphrase)?,
        )
    }

    /// Generates a key of 2048, 3072 or 4096 bits with public exponent 65537.
    pub fn generate(bits: u32) -> Result<PrivateKey> {
        let pkcs8 = backend::generate_pkcs8(bits)?;
        PrivateKey::from_pem_or_der(&pkcs8)
    }

    /// Returns the public half.
    pub fn public_key(&self) -> &PublicKey {
        &self.public
    }

    /// Returns the private key as an unencrypted PKCS#8 `PRIVATE KEY` PEM.
    pub fn to_pkcs8_pem(&self) -> Result<Zeroizing<String>> {
        let der = self.signing.pkcs8_der()?;
        encode_pem("PRIVATE KEY", &der).map(Zeroizing::new)
    }

    /// Signs a precomputed SHA-2 digest of the length `algorithm` hashes to, as a KMS or an
    /// HSM does for a [`DigestSigner`](crate::DigestSigner).
    pub fn sign_digest(&self, algorithm: Algorithm, digest: &[u8]) -> Result<Vec<u8>> {
        self.signing.sign_digest(algorithm, digest)
    }

    /// Signs `message` with RSASSA-PSS.
    pub fn sign(&self, algorithm: Algorithm, message: &[u8]) -> Result<Vec<u8>> {
        if let Some(only) = self.public.restricted_to {
            if only != algorithm {
                return Err(err(
                    ErrorKind::UnsupportedSignatureMethod,
                    format!(
                        "this id-RSASSA-PSS key is restricted to {only}; {algorithm} was requested"
                    ),
                ));
            }
        }
        self.signing.sign(algorithm, message)
    }
}

/// Generates an RSA key of `bits` (2048, 3072 or 4096) and returns it as a PKCS#8 PEM.
pub fn generate_pkcs8_pem(bits: u32) -> Result<Zeroizing<String>> {
    let der = backend::generate_pkcs8(bits)?;
    encode_pem("PRIVATE KEY", &der).map(Zeroizing::new)
}

enum Encoded {
    Der(Zeroizing<Vec<u8>>),
    Pem(String, Zeroizing<Vec<u8>>),
}

fn decode_pem_or_der(input: &[u8]) -> Result<Encoded> {
    if input.first() == Some(&0x30) {
        return Ok(Encoded::Der(Zeroizing::new(input.to_vec())));
    }
    let text = std::str::from_utf8(input)
        .map_err(|_| invalid("key is neither DER (first byte 0x30) nor UTF-8 PEM text"))?;
    let trimmed = text.trim_matches(|c: char| c.is_ascii_whitespace());
    if !trimmed.starts_with("-----BEGIN ") {
        return Err(invalid(
            "key is neither DER (first byte 0x30) nor PEM (-----BEGIN ...)",
        ));
    }
    let (label, der) = pem_rfc7468::decode_vec(trimmed.as_bytes())
        .map_err(|e| invalid(format!("PEM key could not be decoded: {e}")))?;
    Ok(Encoded::Pem(label.to_owned(), Zeroizing::new(der)))
}

fn encode_pem(label: &str, der: &[u8]) -> Result<String> {
    pem_rfc7468::encode_string(label, pem_rfc7468::LineEnding::LF, der).map_err(|_| {
        err(
            ErrorKind::Internal,
            format!("could not encode a {label} PEM"),
        )
    })
}

/// Returns true for OpenSSL's legacy encrypted PEM, whose headers RFC 7468 does not allow.
fn is_legacy_encrypted(input: &[u8]) -> bool {
    input.windows(10).any(|w| w == b"Proc-Type:")
}

fn legacy_encrypted_given() -> crate::Error {
    invalid(
        "the key uses OpenSSL's legacy PEM encryption (Proc-Type: 4,ENCRYPTED); convert it to \
         encrypted PKCS#8 (openssl pkcs8 -topk8 -v2 aes256 -in OLD.pem -out NEW.pem)",
    )
}

fn encrypted_given() -> crate::Error {
    invalid(
        "this private key is encrypted; load it with its passphrase \
         (lm_signer_from_encrypted_pem, Signer::from_encrypted_pem)",
    )
}

fn public_given() -> crate::Error {
    invalid("this is a public key; a signer needs the private key")
}

fn private_given() -> crate::Error {
    invalid(
        "this is a private key; pass the public key, so that no private key ships inside a product",
    )
}

fn unexpected_label(label: &str, expected: &str) -> crate::Error {
    invalid(format!(
        "PEM label {label:?} is not a key libcheckout reads here; expected {expected}"
    ))
}

fn strip_leading_zeros(mut bytes: Vec<u8>) -> Vec<u8> {
    let zeros = bytes.iter().take_while(|&&b| b == 0).count();
    bytes.drain(..zeros);
    bytes
}

/// Checks the key policy and returns the modulus size in bits.
fn check_policy(n: &[u8], e: &[u8]) -> Result<usize> {
    let bits = bit_length(n);
    if !(MIN_MODULUS_BITS..=MAX_MODULUS_BITS).contains(&bits) {
        return Err(invalid(format!(
            "RSA modulus is {bits} bits; libcheckout accepts {MIN_MODULUS_BITS} to {MAX_MODULUS_BITS} bits"
        )));
    }
    if n.last().is_some_and(|b| b & 1 == 0) {
        return Err(invalid("RSA modulus is even, so it is not a valid RSA key"));
    }
    let exponent_bits = bit_length(e);
    if exponent_bits > 34 {
        return Err(invalid(format!(
            "RSA public exponent is {exponent_bits} bits; it must be odd and between 65537 and 8589934591 (2^16 < e < 2^33)"
        )));
    }
    let exponent = e.iter().fold(0u64, |acc, &b| (acc << 8) | u64::from(b));
    if exponent % 2 == 0 || exponent <= 1 << 16 || exponent >= 1 << 33 {
        return Err(invalid(format!(
            "RSA public exponent is {exponent}; it must be odd and between 65537 and 8589934591 (2^16 < e < 2^33)"
        )));
    }
    Ok(bits)
}

fn bit_length(bytes: &[u8]) -> usize {
    match bytes.iter().position(|&b| b != 0) {
        None => 0,
        Some(first) => (bytes.len() - first) * 8 - bytes[first].leading_zeros() as usize,
    }
}

/// Computes the RFC 7638 thumbprint of an RSA key: SHA-256 over
/// `{"e":"...","kty":"RSA","n":"..."}`, base64url without padding.
fn thumbprint(n: &[u8], e: &[u8]) -> String {
    let canonical = format!(
        r#"{{"e":"{}","kty":"RSA","n":"{}"}}"#,
        b64::encode(e),
        b64::encode(n)
    );
    b64::encode(&backend::sha256(canonical.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn policy_names_modulus_bits() {
        let mut n = vec![0xffu8; 128];
        n[127] |= 1;
        let error = check_policy(&n, &[1, 0, 1]).unwrap_err();
        assert_eq!(error.kind(), ErrorKind::KeyInvalid);
        assert!(
            error.message().contains("RSA modulus is 1024 bits"),
            "{}",
            error.message()
        );
    }

    #[test]
    fn policy_names_exponent() {
        let mut n = vec![0xffu8; 256];
        n[255] |= 1;
        for (e, shown) in [
            (vec![3u8], "is 3;"),
            (vec![1, 0, 0], "is 65536;"),
            (vec![2, 0, 0, 0, 1], "is 8589934593;"),
        ] {
            let error = check_policy(&n, &e).unwrap_err();
            assert!(error.message().contains(shown), "{}", error.message());
        }
        assert_eq!(check_policy(&n, &[1, 0, 1]).unwrap(), 2048);
        assert_eq!(
            check_policy(&n, &[1, 0xff, 0xff, 0xff, 0xff]).unwrap(),
            2048
        );
    }

    #[test]
    fn thumbprint_matches_rfc7638_example() {
        // The key of RFC 7638 §3.1 and its published thumbprint.
        let n = b64::decode(b"0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw").unwrap();
        let e = b64::decode(b"AQAB").unwrap();
        assert_eq!(
            thumbprint(&n, &e),
            "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs"
        );
    }

    #[test]
    fn generated_key_round_trips_through_pem() {
        let key = PrivateKey::generate(2048).unwrap();
        let pem = key.to_pkcs8_pem().unwrap();
        let again = PrivateKey::from_pem_or_der(pem.as_bytes()).unwrap();
        assert_eq!(
            again.public_key().thumbprint(),
            key.public_key().thumbprint()
        );

        let public_pem = key.public_key().to_spki_pem().unwrap();
        let public = PublicKey::from_pem_or_der(public_pem.as_bytes()).unwrap();
        assert_eq!(public.thumbprint(), key.public_key().thumbprint());
        assert_eq!(public.bits(), 2048);

        let signature = key.sign(Algorithm::PS384, b"message").unwrap();
        assert!(public.verify(Algorithm::PS384, b"message", &signature));
        assert!(!public.verify(Algorithm::PS256, b"message", &signature));
        assert!(!public.verify(Algorithm::PS384, b"messagf", &signature));
    }

    #[test]
    fn public_loader_rejects_private_key() {
        let pem = generate_pkcs8_pem(2048).unwrap();
        let error = PublicKey::from_pem_or_der(pem.as_bytes()).unwrap_err();
        assert_eq!(error.kind(), ErrorKind::KeyInvalid);
        assert!(error.message().contains("pass the public key"));
    }

    #[test]
    fn generate_rejects_other_sizes() {
        assert_eq!(
            PrivateKey::generate(1024).unwrap_err().kind(),
            ErrorKind::InvalidArgument
        );
    }
}
