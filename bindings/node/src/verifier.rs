//! `Verifier`: offline verification with public keys only.

use std::sync::Arc;

use napi::bindgen_prelude::{AsyncTask, Buffer, Unknown};
use napi::Env;
use serde_json::Value;

use crate::convert::{bytes_or_text, json_document};
use crate::errors::{guarded, IntoJsResult};
use crate::options::verify_options;
use crate::task::{spawn, Job};

/// A token that verified.
#[napi(object)]
pub struct VerifiedToken {
    /// The protected header, such as { alg: 'PS384', typ: 'JWT', kid: '...' }.
    #[napi(ts_type = "Record<string, unknown>")]
    pub header: Value,
    /// The payload bytes exactly as signed.
    pub payload: Buffer,
    /// The payload as an object for the "license" profile, after its checks passed; null for
    /// the "jws" profile.
    #[napi(ts_type = "Record<string, unknown> | null")]
    pub claims: Value,
}

impl VerifiedToken {
    fn from_core(verified: checkout::VerifiedToken) -> napi::Result<VerifiedToken> {
        Ok(VerifiedToken {
            header: Value::Object(verified.header),
            payload: Buffer::from(verified.payload),
            claims: verified
                .claims
                .map_or(Value::Null, |claims| Value::Object(claims.all)),
        })
    }
}

/// Verifies tokens with trusted public keys: one key from a PEM, or a JWKS.
#[napi]
pub struct Verifier {
    inner: Arc<checkout::Verifier>,
}

impl Verifier {
    fn wrap(inner: checkout::Verifier) -> napi::Result<Verifier> {
        Ok(Verifier {
            inner: Arc::new(inner),
        })
    }
}

#[napi]
impl Verifier {
    /// Loads a verifier from one RSA public key (SubjectPublicKeyInfo or PKCS#1, PEM or DER).
    /// It ignores the token's "kid". A private key throws LM_STATUS_KEY_INVALID.
    #[napi(factory, catch_unwind)]
    pub fn from_pem(
        env: Env,
        #[napi(ts_arg_type = "string | Uint8Array")] pem: Unknown,
    ) -> napi::Result<Verifier> {
        let pem = bytes_or_text(&env, &pem, "pem")?;
        let inner = guarded(|| checkout::Verifier::from_pem(&pem)).into_js(&env)?;
        Verifier::wrap(inner)
    }

    /// Loads a verifier like `fromPem`, on the libuv thread pool.
    #[napi(catch_unwind, ts_return_type = "Promise<Verifier>")]
    pub fn from_pem_async(
        env: Env,
        #[napi(ts_arg_type = "string | Uint8Array")] pem: Unknown,
    ) -> napi::Result<AsyncTask<Job<checkout::Verifier, Verifier>>> {
        let pem = bytes_or_text(&env, &pem, "pem")?;
        Ok(spawn(
            move || checkout::Verifier::from_pem(&pem),
            Verifier::wrap,
        ))
    }

    /// Loads a verifier from a JWKS (`{ keys: [...] }`) or a single JWK, as an object or JSON
    /// text. A token's "kid" selects the key.
    #[napi(factory, catch_unwind)]
    pub fn from_jwks(
        env: Env,
        #[napi(ts_arg_type = "string | Uint8Array | object")] jwks: Unknown,
    ) -> napi::Result<Verifier> {
        let jwks = json_document(&env, &jwks, "jwks")?;
        let inner = guarded(|| checkout::Verifier::from_jwks(&jwks)).into_js(&env)?;
        Verifier::wrap(inner)
    }

    /// Loads a verifier like `fromJwks`, on the libuv thread pool.
    #[napi(catch_unwind, ts_return_type = "Promise<Verifier>")]
    pub fn from_jwks_async(
        env: Env,
        #[napi(ts_arg_type = "string | Uint8Array | object")] jwks: Unknown,
    ) -> napi::Result<AsyncTask<Job<checkout::Verifier, Verifier>>> {
        let jwks = json_document(&env, &jwks, "jwks")?;
        Ok(spawn(
            move || checkout::Verifier::from_jwks(&jwks),
            Verifier::wrap,
        ))
    }

    /// Verifies `token` and returns its header, payload and claims, or throws an Error whose
    /// `code` names the first check that failed, in this order: size, structure, header and
    /// algorithm, key and signature, payload, claims.
    #[napi(catch_unwind)]
    pub fn verify(
        &self,
        env: Env,
        #[napi(ts_arg_type = "string | Uint8Array")] token: Unknown,
        #[napi(ts_arg_type = "VerifyOptions")] options: Option<Unknown>,
    ) -> napi::Result<VerifiedToken> {
        let token = bytes_or_text(&env, &token, "token")?;
        let options = verify_options(&env, options)?;
        let verified = guarded(|| self.inner.verify(&token, &options)).into_js(&env)?;
        VerifiedToken::from_core(verified)
    }

    /// Verifies like `verify`, on the libuv thread pool; the promise rejects with the same
    /// errors.
    #[napi(catch_unwind, ts_return_type = "Promise<VerifiedToken>")]
    pub fn verify_async(
        &self,
        env: Env,
        #[napi(ts_arg_type = "string | Uint8Array")] token: Unknown,
        #[napi(ts_arg_type = "VerifyOptions")] options: Option<Unknown>,
    ) -> napi::Result<AsyncTask<Job<checkout::VerifiedToken, VerifiedToken>>> {
        let token = bytes_or_text(&env, &token, "token")?;
        let options = verify_options(&env, options)?;
        let verifier = Arc::clone(&self.inner);
        Ok(spawn(
            move || verifier.verify(&token, &options),
            VerifiedToken::from_core,
        ))
    }
}
