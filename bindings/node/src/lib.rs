//! The native addon behind `require('libcheckout')`: JavaScript classes over the Rust API of
//! the `checkout` crate. Every rule lives in that crate; this layer converts JavaScript values
//! and turns core errors into `Error` objects with `code`, `status` and `reasons`.

#![deny(clippy::undocumented_unsafe_blocks)]

#[macro_use]
extern crate napi_derive;

mod callback;
mod convert;
mod errors;
mod options;
mod signer;
mod store;
mod task;
mod verifier;

use std::collections::HashMap;

/// The `code` of every error this module throws for a core failure: the name of the C
/// constant of its status.
#[napi(string_enum)]
pub enum StatusCode {
    /// 100: input is not UTF-8 or not JSON, a value is out of range, or an option is unknown.
    #[napi(value = "LM_STATUS_INVALID_ARGUMENT")]
    InvalidArgument,
    /// 101: a request breaks a documented constraint (AWS ValidationException).
    #[napi(value = "LM_STATUS_VALIDATION")]
    Validation,
    /// 200: a key is unreadable, of the wrong kind, or rejected by policy.
    #[napi(value = "LM_STATUS_KEY_INVALID")]
    KeyInvalid,
    /// 201: an algorithm is not supported or not allowed.
    #[napi(value = "LM_STATUS_UNSUPPORTED_SIGNATURE_METHOD")]
    UnsupportedSignatureMethod,
    /// 300: a token's size, structure, encoding, header or claims are invalid.
    #[napi(value = "LM_STATUS_TOKEN_MALFORMED")]
    TokenMalformed,
    /// 301: no key matches, or the signature does not verify.
    #[napi(value = "LM_STATUS_SIGNATURE_INVALID")]
    SignatureInvalid,
    /// 302: the token's expiration has passed.
    #[napi(value = "LM_STATUS_TOKEN_EXPIRED")]
    TokenExpired,
    /// 303: the token's issuedAt lies in the future.
    #[napi(value = "LM_STATUS_TOKEN_NOT_YET_VALID")]
    TokenNotYetValid,
    /// 304: the token's nodeId is missing or differs from the expected node.
    #[napi(value = "LM_STATUS_NODE_MISMATCH")]
    NodeMismatch,
    /// 305: a required entitlement is absent or too small.
    #[napi(value = "LM_STATUS_ENTITLEMENT_MISSING")]
    EntitlementMissing,
    /// 400: unknown license or consumption token.
    #[napi(value = "LM_STATUS_NOT_FOUND")]
    NotFound,
    /// 401: nothing requested is available, or the pool is exhausted.
    #[napi(value = "LM_STATUS_NO_ENTITLEMENTS_ALLOWED")]
    NoEntitlementsAllowed,
    /// 402: a borrowed entitlement is unknown or of another unit.
    #[napi(value = "LM_STATUS_ENTITLEMENT_NOT_ALLOWED")]
    EntitlementNotAllowed,
    /// 403: a ClientToken reused with another request, or a refused check-in.
    #[napi(value = "LM_STATUS_CONFLICT")]
    Conflict,
    /// 500: the store failed.
    #[napi(value = "LM_STATUS_STORE")]
    Store,
    /// 501: the signer failed, or its signature did not verify.
    #[napi(value = "LM_STATUS_SIGNER")]
    Signer,
    /// 900: a bug, a panic caught at the boundary.
    #[napi(value = "LM_STATUS_INTERNAL")]
    Internal,
}

/// Returns every status the core can return, mapped to its code, so that callers (and the
/// tests) can check that `StatusCode` lists each one.
#[napi(catch_unwind, ts_return_type = "Record<number, StatusCode>")]
pub fn status_codes() -> HashMap<String, String> {
    checkout::ErrorKind::ALL
        .into_iter()
        .map(|kind| (kind.status().to_string(), kind.code().to_owned()))
        .collect()
}

/// The version of the binding, which is the version of the core it embeds.
#[napi(catch_unwind)]
pub fn version() -> String {
    env!("CARGO_PKG_VERSION").to_owned()
}
