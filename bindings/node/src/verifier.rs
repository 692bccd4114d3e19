//! `Verifier`: offline verification with public keys only.

use std::sync::Arc;

use napi::bindgen_prelude::{
    AsyncTask, Buffer, BufferSlice, Function, JsObjectValue, Object, ToNapiValue, TypeName,
    Unknown,
};
use napi::{sys, Env, ValueType};
use serde_json::Value;

use crate::convert::{bytes_or_text, json_document};
use crate::errors::{guarded, IntoJsResult};
use crate::options::verify_options;
use crate::task::{spawn, Job};

/// A token that verified: the TypeScript shape of what `verify` returns.
// NOTE: this struct only declares the TypeScript type; `Verified` builds the object.
#[allow(dead_code)]
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

/// A verified token on its way to JavaScript as `{ header, payload, claims }`.
///
/// The header and the claims are built by the engine's own `JSON.parse` from JSON text the
/// core has already parsed strictly and checked. One call into V8's parser costs a fraction of
/// building the same objects member by member through napi, which made up most of a
/// verification's cost outside RSA. The payload `Buffer` is a copy, which V8 allocates
/// faster than it wraps memory owned by Rust. Numbers therefore follow `JSON.parse`: an integer beyond
/// 2^53 becomes the nearest double, as with every JavaScript JOSE library.
pub struct Verified(checkout::VerifiedToken);

impl Verified {
    fn from_core(verified: checkout::VerifiedToken) -> napi::Result<Verified> {
        Ok(Verified(verified))
    }
}

impl TypeName for Verified {
    fn type_name() -> &'static str {
        "VerifiedToken"
    }

    fn value_type() -> ValueType {
        ValueType::Object
    }
}

impl ToNapiValue for Verified {
    unsafe fn to_napi_value(raw_env: sys::napi_env, value: Self) -> napi::Result<sys::napi_value> {
        let env = Env::from_raw(raw_env);
        let verified = value.0;
        let header = serde_json::to_string(&verified.header)
            .map_err(|e| napi::Error::from_reason(format!("encoding the header failed: {e}")))?;
        // The license profile parsed the payload as UTF-8 JSON, so it can be spliced in as is.
        let claims = match (&verified.claims, std::str::from_utf8(&verified.payload)) {
            (Some(_), Ok(payload)) => payload,
            (Some(_), Err(_)) => return Err(napi::Error::from_reason("the payload is not UTF-8")),
            (None, _) => "null",
        };

        // One JSON.parse builds the header and the claims together.
        let mut text = String::with_capacity(header.len() + claims.len() + 24);
        text.push_str("{\"header\":");
        text.push_str(&header);
        text.push_str(",\"claims\":");
        text.push_str(claims);
        text.push('}');
        let json: Object = env.get_global()?.get_c_named_property_unchecked(c"JSON")?;
        let parse: Function<String, Object> = json.get_c_named_property_unchecked(c"parse")?;
        let mut object = parse.apply(json, text)?;

        let payload = BufferSlice::copy_from(&env, &verified.payload)?;
        object.set_c_named_property(c"payload", payload)?;
        // SAFETY: `object` belongs to `raw_env`, the environment of the current call.
        unsafe { Object::to_napi_value(raw_env, object) }
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
    #[napi(catch_unwind, ts_return_type = "VerifiedToken")]
    pub fn verify(
        &self,
        env: Env,
        #[napi(ts_arg_type = "string | Uint8Array")] token: Unknown,
        #[napi(ts_arg_type = "VerifyOptions")] options: Option<Unknown>,
    ) -> napi::Result<Verified> {
        let token = bytes_or_text(&env, &token, "token")?;
        let options = verify_options(&env, options)?;
        let verified = guarded(|| self.inner.verify(&token, &options)).into_js(&env)?;
        Verified::from_core(verified)
    }

    /// Verifies like `verify`, on the libuv thread pool; the promise rejects with the same
    /// errors.
    #[napi(catch_unwind, ts_return_type = "Promise<VerifiedToken>")]
    pub fn verify_async(
        &self,
        env: Env,
        #[napi(ts_arg_type = "string | Uint8Array")] token: Unknown,
        #[napi(ts_arg_type = "VerifyOptions")] options: Option<Unknown>,
    ) -> napi::Result<AsyncTask<Job<checkout::VerifiedToken, Verified>>> {
        let token = bytes_or_text(&env, &token, "token")?;
        let options = verify_options(&env, options)?;
        let verifier = Arc::clone(&self.inner);
        Ok(spawn(
            move || verifier.verify(&token, &options),
            Verified::from_core,
        ))
    }
}
