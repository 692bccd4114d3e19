//! Offline verification of tokens, in a fixed order where the first failure decides the
//! status: size, structure, header and algorithm, key and signature, payload, claims.

mod claims;
mod options;
mod payload;

use std::sync::Arc;

use serde_json::{Map, Value};

pub(crate) use claims::parse_quantity;
pub use claims::{Claims, EntitlementClaim};
pub use options::{
    Profile, RequiredEntitlement, VerifyOptions, DEFAULT_MAX_TOKEN_BYTES, MAX_LEEWAY_SECONDS,
};

use crate::alg::Algorithm;
use crate::clock::{Clock, SystemClock};
use crate::error::{err, ErrorKind, Result};
use crate::jws;
use crate::keys::{PublicKey, PublicKeySet};

/// A token that verified: its header, the payload bytes exactly as signed, and for the
/// license profile the checked claims.
#[derive(Clone, Debug)]
pub struct VerifiedToken {
    /// The protected header.
    pub header: Map<String, Value>,
    /// The payload bytes exactly as signed.
    pub payload: Vec<u8>,
    /// The checkout claims; `None` for the `jws` profile.
    pub claims: Option<Claims>,
}

impl VerifiedToken {
    /// Parses the payload into all its members with [`parse_strict`](crate::json::parse_strict).
    /// The license profile's checks read only the members they need, so a caller that wants
    /// every member, vendor-defined ones included, asks for them here.
    pub fn payload_members(&self) -> Result<Map<String, Value>> {
        match crate::json::parse_strict(&self.payload) {
            Ok(Value::Object(members)) => Ok(members),
            Ok(_) => Err(err(ErrorKind::TokenMalformed, "token payload is not a JSON object")),
            Err(e) => Err(err(
                ErrorKind::TokenMalformed,
                format!("token payload is invalid: {e}"),
            )),
        }
    }
}

/// Verifies tokens with a set of trusted public keys.
///
/// A `Verifier` is `Send + Sync`: one value may verify from many threads at once.
#[derive(Clone)]
pub struct Verifier {
    keys: PublicKeySet,
    clock: Arc<dyn Clock>,
}

impl std::fmt::Debug for Verifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Verifier")
            .field("keys", &self.keys)
            .finish_non_exhaustive()
    }
}

impl Verifier {
    /// Creates a verifier that trusts `keys` and reads the system clock.
    pub fn new(keys: PublicKeySet) -> Verifier {
        Verifier {
            keys,
            clock: Arc::new(SystemClock),
        }
    }

    /// Loads a verifier from one public key in PEM or DER; it ignores the token's `kid`.
    pub fn from_pem(input: &[u8]) -> Result<Verifier> {
        Ok(Verifier::new(PublicKeySet::single(
            PublicKey::from_pem_or_der(input)?,
        )))
    }

    /// Loads a verifier from a JWKS or a single JWK.
    pub fn from_jwks(input: &[u8]) -> Result<Verifier> {
        Ok(Verifier::new(PublicKeySet::from_jwks(input)?))
    }

    /// Replaces the clock used when the options give no `now`.
    pub fn with_clock(mut self, clock: Arc<dyn Clock>) -> Verifier {
        self.clock = clock;
        self
    }

    /// Returns the trusted keys.
    pub fn keys(&self) -> &PublicKeySet {
        &self.keys
    }

    /// Verifies `token` under `options`.
    pub fn verify(&self, token: &[u8], options: &VerifyOptions) -> Result<VerifiedToken> {
        options.validate()?;
        if token.len() > options.max_token_bytes {
            return Err(err(
                ErrorKind::TokenMalformed,
                format!(
                    "token is {} bytes, over the limit of {} (maxTokenBytes)",
                    token.len(),
                    options.max_token_bytes
                ),
            ));
        }
        let decoded = jws::decode(token)?;
        let algorithm = self.check_algorithm(&decoded.algorithm_name, options)?;
        self.check_signature(&decoded, algorithm)?;

        let claims = match options.profile {
            Profile::Jws => None,
            Profile::License => {
                let now = options.now.unwrap_or_else(|| self.clock.now());
                Some(claims::check(&decoded.payload, now, options)?)
            }
        };
        Ok(VerifiedToken {
            header: decoded.header,
            payload: decoded.payload,
            claims,
        })
    }

    fn check_algorithm(&self, name: &str, options: &VerifyOptions) -> Result<Algorithm> {
        let algorithm = Algorithm::from_name(name)?;
        if !options.algorithms.contains(&algorithm) {
            let allowed: Vec<&str> = options.algorithms.iter().map(|a| a.name()).collect();
            return Err(err(
                ErrorKind::UnsupportedSignatureMethod,
                format!(
                    "token algorithm {name} is not in the allowed list [{}]",
                    allowed.join(", ")
                ),
            ));
        }
        Ok(algorithm)
    }

    fn check_signature(&self, decoded: &jws::Decoded<'_>, algorithm: Algorithm) -> Result<()> {
        let kid = decoded.kid.as_deref();
        let mut candidates = self.keys.candidates(algorithm, kid).peekable();
        if candidates.peek().is_none() {
            let message = match kid {
                Some(kid) if self.keys.matches_kid() => {
                    format!("no trusted key has kid {kid:?} for {algorithm}; add the issuer's key to the JWKS")
                }
                _ => format!("no trusted key may verify {algorithm} tokens"),
            };
            return Err(err(ErrorKind::SignatureInvalid, message));
        }
        if candidates.any(|key| key.verify(algorithm, decoded.signing_input, &decoded.signature)) {
            return Ok(());
        }
        Err(err(
            ErrorKind::SignatureInvalid,
            "token signature does not verify with the trusted key",
        ))
    }
}
