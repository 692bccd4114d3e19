//! Signers: the issuer's private key behind one type, wherever the key is kept.

use std::fmt;

use zeroize::Zeroizing;

use crate::alg::Algorithm;
use crate::backend;
use crate::error::{err, ErrorKind, Result};
use crate::jws;
use crate::keys::{PrivateKey, PublicKey};

/// Signs a digest with a private key held elsewhere: a cloud KMS, Vault or any other
/// service. Implementations may be called from several threads at once.
pub trait DigestSigner: Send + Sync {
    /// Returns the RSASSA-PSS signature of `digest`, the SHA-2 hash of the JWS signing input
    /// for `algorithm` (salt as long as the hash, as AWS KMS `Sign` with `MessageType: DIGEST`
    /// and `RSASSA_PSS_SHA_*` makes). The error text becomes part of the signer error.
    fn sign_digest(
        &self,
        algorithm: Algorithm,
        digest: &[u8],
    ) -> std::result::Result<Vec<u8>, String>;
}

impl<F> DigestSigner for F
where
    F: Fn(Algorithm, &[u8]) -> std::result::Result<Vec<u8>, String> + Send + Sync,
{
    fn sign_digest(
        &self,
        algorithm: Algorithm,
        digest: &[u8],
    ) -> std::result::Result<Vec<u8>, String> {
        self(algorithm, digest)
    }
}

/// The location of a signer's private key.
enum KeySource {
    /// A private key in this process's memory.
    InMemory(PrivateKey),
    /// A key held elsewhere, reached through a digest-signing callback.
    External {
        public: PublicKey,
        signer: Box<dyn DigestSigner>,
    },
    /// A private key on a PKCS#11 token.
    #[cfg(feature = "pkcs11")]
    Pkcs11(crate::pkcs11::TokenKey),
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

    /// Loads a signer from an encrypted PKCS#8 key (`ENCRYPTED PRIVATE KEY` PEM or DER) and
    /// its passphrase.
    pub fn from_encrypted_pem(
        input: &[u8],
        passphrase: &[u8],
        algorithm: Option<Algorithm>,
    ) -> Result<Signer> {
        Signer::new(
            PrivateKey::from_encrypted_pem_or_der(input, passphrase)?,
            algorithm,
        )
    }

    /// Creates a signer whose private key stays in a KMS or another service: `signer` signs
    /// digests, and `public_key` (SPKI or PKCS#1, PEM or DER) is its public half.
    ///
    /// Every signature the callback returns is verified with the public key before a token
    /// is emitted, and one test signature is made here, so a misconfigured service fails now
    /// with [`ErrorKind::Signer`] instead of issuing tokens that fail verification.
    pub fn from_digest_signer(
        public_key: &[u8],
        algorithm: Option<Algorithm>,
        signer: Box<dyn DigestSigner>,
    ) -> Result<Signer> {
        let public = PublicKey::from_pem_or_der(public_key)?;
        let algorithm = algorithm
            .or(public.restricted_to())
            .unwrap_or(Algorithm::PS256);
        let signer = Signer {
            source: KeySource::External { public, signer },
            algorithm,
        };
        signer.sign_bytes(algorithm, b"libcheckout signer self-test")?;
        Ok(signer)
    }

    /// Creates a signer whose private key stays on a PKCS#11 token (an HSM). The module at
    /// `module_path` is loaded once per process and shared by every signer from it. The
    /// signer logs in to the token labelled `token_label` with `pin` and signs with the RSA
    /// private key labelled `key_label`. The public key comes from the token's public key
    /// object of the same label, or from the private object's public attributes, and must
    /// pass the key policy.
    ///
    /// Signing uses CKM_RSA_PKCS_PSS over the SHA-2 digest of the signing input, and each
    /// signature is verified with the public key before use; one test signature is made here.
    ///
    /// Errors: [`ErrorKind::Signer`] for a module that cannot be loaded, an unknown token, a
    /// wrong PIN or a failed or unverifiable signature; [`ErrorKind::KeyInvalid`] for a
    /// missing key, a key that is not RSA or may not sign, or one outside the key policy.
    /// Messages name the PKCS#11 return value, such as `CKR_PIN_INCORRECT`, never the PIN.
    #[cfg(feature = "pkcs11")]
    pub fn from_pkcs11(
        module_path: impl AsRef<std::path::Path>,
        token_label: &str,
        pin: &str,
        key_label: &str,
        algorithm: Option<Algorithm>,
    ) -> Result<Signer> {
        let key = crate::pkcs11::TokenKey::open(module_path.as_ref(), token_label, pin, key_label)?;
        let algorithm = algorithm.unwrap_or(Algorithm::PS256);
        let signer = Signer {
            source: KeySource::Pkcs11(key),
            algorithm,
        };
        signer.sign_bytes(algorithm, b"libcheckout signer self-test")?;
        Ok(signer)
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
            KeySource::External { public, .. } => public,
            #[cfg(feature = "pkcs11")]
            KeySource::Pkcs11(key) => key.public_key(),
        }
    }

    /// Returns the private key as a PKCS#8 PEM, for signers whose key is in memory.
    pub fn private_key_pem(&self) -> Result<Zeroizing<String>> {
        match &self.source {
            KeySource::InMemory(key) => key.to_pkcs8_pem(),
            KeySource::External { .. } => Err(held_outside()),
            #[cfg(feature = "pkcs11")]
            KeySource::Pkcs11(_) => Err(held_outside()),
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
            KeySource::External { public, signer } => {
                sign_externally(public, signer.as_ref(), algorithm, signing_input)
            }
            #[cfg(feature = "pkcs11")]
            KeySource::Pkcs11(key) => sign_on_token(key, algorithm, signing_input),
        }
    }
}

fn held_outside() -> crate::Error {
    err(
        ErrorKind::KeyInvalid,
        "this signer's private key is held outside the process and cannot be exported",
    )
}

/// Signs on a PKCS#11 token and verifies the signature before it is used.
#[cfg(feature = "pkcs11")]
fn sign_on_token(
    key: &crate::pkcs11::TokenKey,
    algorithm: Algorithm,
    signing_input: &[u8],
) -> Result<Vec<u8>> {
    let digest = backend::digest_for(algorithm, signing_input);
    let signature = key.sign_digest(algorithm, &digest)?;
    if key
        .public_key()
        .verify(algorithm, signing_input, &signature)
    {
        return Ok(signature);
    }
    Err(err(
        ErrorKind::Signer,
        format!(
            "the signature from {} does not verify as {algorithm} with a {}-byte salt and the \
             token's public key ({} bytes returned, {} expected); the token's public and private \
             objects of that label may belong to different key pairs",
            key.describe(),
            algorithm.hash_len(),
            signature.len(),
            key.public_key().modulus_len()
        ),
    ))
}

/// Asks an external signer for a signature and verifies it before it is used.
fn sign_externally(
    public: &PublicKey,
    signer: &dyn DigestSigner,
    algorithm: Algorithm,
    signing_input: &[u8],
) -> Result<Vec<u8>> {
    let digest = backend::digest_for(algorithm, signing_input);
    let signature = signer.sign_digest(algorithm, &digest).map_err(|message| {
        err(
            ErrorKind::Signer,
            format!("the signing callback failed: {message}"),
        )
    })?;
    if public.verify(algorithm, signing_input, &signature) {
        return Ok(signature);
    }
    Err(err(
        ErrorKind::Signer,
        format!(
            "the signature from the signing callback does not verify as {algorithm} with a {}-byte salt \
             and the configured public key ({} bytes returned, {} expected); usual causes: the service \
             signed with another key, used another PSS salt length (it must equal the hash length), \
             or hashed the digest again (send it as a digest, such as KMS MessageType DIGEST)",
            algorithm.hash_len(),
            signature.len(),
            public.modulus_len()
        ),
    ))
}
