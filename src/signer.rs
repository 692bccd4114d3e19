//! Signers: the issuer's private key behind one type, whatever holds it.

use std::fmt;

use zeroize::Zeroizing;

use crate::alg::Algorithm;
use crate::error::{err, ErrorKind, Result};
use crate::jws;
use crate::keys::{PrivateKey, PublicKey};

/// Where a signer's private key lives.
enum KeySource {
    /// A private key in this process's memory.
    InMemory(PrivateKey),
}

/// Signs JWS tokens with one RSA key and a default PS algorithm.
///
/// A `Signer` is `Send + Sync`: one value may sign from many threads at once.
pub struct Signer {
    source: KeySource,
    algorithm: Algorithm,
}

impl fmt::Debug for Signer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Signer")
            .field("kid", &self.kid())
            .field("algorithm", &self.algorithm)
            .finish_non_exhaustive()
    }
}

impl Signer {
    /// Creates a signer from a private key. `algorithm` is the default for tokens and
    /// defaults to PS256, the algorithm a vendor's key must support in AWS.
    pub fn new(key: PrivateKey, algorithm: Option<Algorithm>) -> Result<Signer> {
        let algorithm = match (algorithm, key.public_key().restricted_to()) {
            (Some(chosen), Some(only)) if chosen != only => {
                return Err(err(
                    ErrorKind::UnsupportedSignatureMethod,
                    format!(
                        "this id-RSASSA-PSS key is restricted to {only}; {chosen} was requested"
                    ),
                ))
            }
            (Some(chosen), _) => chosen,
            (None, Some(only)) => only,
            (None, None) => Algorithm::PS256,
        };
        Ok(Signer {
            source: KeySource::InMemory(key),
            algorithm,
        })
    }

    /// Loads a signer from a PEM or DER private key (PKCS#8 or PKCS#1).
    pub fn from_pem(input: &[u8], algorithm: Option<Algorithm>) -> Result<Signer> {
        Signer::new(PrivateKey::from_pem_or_der(input)?, algorithm)
    }

    /// Generates a fresh key of `bits` (2048, 3072 or 4096) and wraps it in a signer.
    pub fn generate(bits: u32, algorithm: Option<Algorithm>) -> Result<Signer> {
        Signer::new(PrivateKey::generate(bits)?, algorithm)
    }

    /// Returns the key id: the RFC 7638 thumbprint of the public key.
    pub fn kid(&self) -> &str {
        self.public_key().thumbprint()
    }

    /// Returns the default algorithm of this signer's tokens.
    pub fn algorithm(&self) -> Algorithm {
        self.algorithm
    }

    /// Returns the public key.
    pub fn public_key(&self) -> &PublicKey {
        match &self.source {
            KeySource::InMemory(key) => key.public_key(),
        }
    }

    /// Returns the private key as a PKCS#8 PEM, for signers whose key is in memory.
    pub fn private_key_pem(&self) -> Result<Zeroizing<String>> {
        match &self.source {
            KeySource::InMemory(key) => key.to_pkcs8_pem(),
        }
    }

    /// Signs `payload` as a JWS compact token with the default algorithm.
    pub fn sign(&self, payload: &[u8]) -> Result<String> {
        jws::sign_compact(self, self.algorithm, payload)
    }

    /// Signs `payload` as a JWS compact token with `algorithm`.
    pub fn sign_with(&self, algorithm: Algorithm, payload: &[u8]) -> Result<String> {
        jws::sign_compact(self, algorithm, payload)
    }

    /// Returns the RSASSA-PSS signature of the JWS signing input.
    pub(crate) fn sign_bytes(&self, algorithm: Algorithm, signing_input: &[u8]) -> Result<Vec<u8>> {
        match &self.source {
            KeySource::InMemory(key) => key.sign(algorithm, signing_input),
        }
    }
}
