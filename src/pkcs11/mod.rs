//! RSA keys on PKCS#11 tokens (HSMs), reached through the `cryptoki` crate. The private key
//! never leaves the token; the public key is read from the token and checked against the key
//! policy like any other.

mod module;
mod session;

use std::path::Path;

use cryptoki::mechanism::rsa::{PkcsMgfType, PkcsPssParams};
use cryptoki::mechanism::{Mechanism, MechanismType};
use cryptoki::object::{Attribute, AttributeType, KeyType, ObjectClass, ObjectHandle};
use cryptoki::session::Session;

use self::module::{failure, Module};
use self::session::SessionPool;
use crate::alg::Algorithm;
use crate::error::{err, ErrorKind, Result};
use crate::keys::PublicKey;

/// An RSA private key on a token, with its public key and a pool of logged-in sessions.
pub(crate) struct TokenKey {
    sessions: SessionPool,
    key: ObjectHandle,
    public: PublicKey,
    key_label: String,
    token_label: String,
}

impl TokenKey {
    /// Loads the module, logs in to the token labelled `token_label` with `pin`, and finds
    /// the RSA private key labelled `key_label` and its public key.
    pub(crate) fn open(
        module_path: &Path,
        token_label: &str,
        pin: &str,
        key_label: &str,
    ) -> Result<TokenKey> {
        let module = Module::load(module_path)?;
        let slot = module.find_token(token_label)?;
        let sessions = SessionPool::open(module, slot, token_label, pin)?;
        let (key, public) = {
            let session = sessions.login_session();
            let key = find_private_key(&session, token_label, key_label)?;
            let public = read_public_key(&session, key, token_label, key_label)?;
            (key, public)
        };
        Ok(TokenKey {
            sessions,
            key,
            public,
            key_label: key_label.to_owned(),
            token_label: token_label.to_owned(),
        })
    }

    /// Returns the public key read from the token.
    pub(crate) fn public_key(&self) -> &PublicKey {
        &self.public
    }

    /// Returns a description such as `key "issuer" on token "hsm-1"` for messages.
    pub(crate) fn describe(&self) -> String {
        format!("key {:?} on token {:?}", self.key_label, self.token_label)
    }

    /// Signs `digest`, the SHA-2 hash of the signing input for `algorithm`, with
    /// CKM_RSA_PKCS_PSS: MGF1 over the same hash and a salt as long as the hash.
    pub(crate) fn sign_digest(&self, algorithm: Algorithm, digest: &[u8]) -> Result<Vec<u8>> {
        let mechanism = Mechanism::RsaPkcsPss(pss_params(algorithm));
        let session = self.sessions.acquire()?;
        match session.sign(&mechanism, self.key, digest) {
            Ok(signature) => Ok(signature),
            Err(e) => {
                session.discard();
                Err(failure(
                    &format!("signing with {} as {algorithm}", self.describe()),
                    &e,
                ))
            }
        }
    }
}

fn pss_params(algorithm: Algorithm) -> PkcsPssParams {
    let (hash_alg, mgf) = match algorithm {
        Algorithm::PS256 => (MechanismType::SHA256, PkcsMgfType::MGF1_SHA256),
        Algorithm::PS384 => (MechanismType::SHA384, PkcsMgfType::MGF1_SHA384),
        Algorithm::PS512 => (MechanismType::SHA512, PkcsMgfType::MGF1_SHA512),
    };
    PkcsPssParams {
        hash_alg,
        mgf,
        // CK_ULONG is a C unsigned long; a hash length of at most 64 fits it everywhere.
        s_len: (algorithm.hash_len() as std::ffi::c_ulong).into(),
    }
}

fn key_invalid(message: String) -> crate::Error {
    err(ErrorKind::KeyInvalid, message)
}

/// Finds the one private key labelled `key_label` and checks that it is an RSA key that may
/// sign. Private objects are only visible once the session is logged in.
fn find_private_key(session: &Session, token_label: &str, key_label: &str) -> Result<ObjectHandle> {
    let description = format!("key {key_label:?} on token {token_label:?}");
    let template = [
        Attribute::Class(ObjectClass::PRIVATE_KEY),
        Attribute::Label(key_label.as_bytes().to_vec()),
    ];
    let found = session
        .find_objects(&template)
        .map_err(|e| failure(&format!("searching for {description}"), &e))?;
    let key = match found.as_slice() {
        [key] => *key,
        [] => {
            return Err(key_invalid(format!(
                "no private key labelled {key_label:?} on token {token_label:?}"
            )))
        }
        several => {
            return Err(key_invalid(format!(
                "{} private keys are labelled {key_label:?} on token {token_label:?}; give the \
                 signing key a label of its own",
                several.len()
            )))
        }
    };

    let attributes = session
        .get_attributes(key, &[AttributeType::KeyType, AttributeType::Sign])
        .map_err(|e| failure(&format!("reading the attributes of {description}"), &e))?;
    for attribute in attributes {
        match attribute {
            Attribute::KeyType(kind) if kind != KeyType::RSA => {
                return Err(key_invalid(format!(
                    "the private {description} is a {kind} key; libcheckout signs with RSA keys (CKK_RSA)"
                )))
            }
            Attribute::Sign(false) => {
                return Err(key_invalid(format!(
                    "the private {description} may not sign (CKA_SIGN is false)"
                )))
            }
            _ => {}
        }
    }
    Ok(key)
}

/// Reads the public key of `private`: from the public key object with the same label, or,
/// where the token has none, from the private object's CKA_MODULUS and CKA_PUBLIC_EXPONENT.
/// Either way it must pass the key policy.
fn read_public_key(
    session: &Session,
    private: ObjectHandle,
    token_label: &str,
    key_label: &str,
) -> Result<PublicKey> {
    let description = format!("key {key_label:?} on token {token_label:?}");
    let private_parts = modulus_and_exponent(session, private, &description)?;

    let template = [
        Attribute::Class(ObjectClass::PUBLIC_KEY),
        Attribute::KeyType(KeyType::RSA),
        Attribute::Label(key_label.as_bytes().to_vec()),
    ];
    let publics = session
        .find_objects(&template)
        .map_err(|e| failure(&format!("searching for the public {description}"), &e))?;
    let mut public_parts = Vec::new();
    for public in publics {
        if let Some(parts) = modulus_and_exponent(session, public, &description)? {
            public_parts.push(parts);
        }
    }

    let parts = match (private_parts, public_parts.as_slice()) {
        (Some(private), []) => Ok(private),
        (Some(private), several) if several.contains(&private) => Ok(private),
        (Some(_), _) => Err(format!(
            "the public key object labelled {key_label:?} on token {token_label:?} does not \
             match the private key of that label; they belong to different key pairs"
        )),
        (None, [only]) => Ok(only.clone()),
        (None, []) => Err(format!(
            "no public key found for {description}: the token has no RSA public key object \
             with that label, and the private object does not expose CKA_MODULUS and \
             CKA_PUBLIC_EXPONENT"
        )),
        (None, several) => Err(format!(
            "{} RSA public key objects are labelled {key_label:?} on token {token_label:?}, \
             and the private object does not expose its modulus to pick one",
            several.len()
        )),
    };
    let (n, e) = parts.map_err(key_invalid)?;
    PublicKey::from_parts(n, e, None)
}

/// Reads CKA_MODULUS and CKA_PUBLIC_EXPONENT, or `None` when the object does not expose both.
fn modulus_and_exponent(
    session: &Session,
    object: ObjectHandle,
    description: &str,
) -> Result<Option<(Vec<u8>, Vec<u8>)>> {
    let attributes = session
        .get_attributes(
            object,
            &[AttributeType::Modulus, AttributeType::PublicExponent],
        )
        .map_err(|e| failure(&format!("reading the public parts of {description}"), &e))?;
    let mut modulus = None;
    let mut exponent = None;
    for attribute in attributes {
        match attribute {
            Attribute::Modulus(n) if !n.is_empty() => modulus = Some(n),
            Attribute::PublicExponent(e) if !e.is_empty() => exponent = Some(e),
            _ => {}
        }
    }
    Ok(modulus.zip(exponent))
}
