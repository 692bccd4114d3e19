//! Status values of the C ABI. They are stable: new values are only appended, inside their
//! family of hundreds, and retired values stay reserved.

use std::ffi::{c_char, CStr};

use crate::error::ErrorKind;

/// The result of every fallible export; `LM_STATUS_OK` is 0.
#[repr(u32)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum lm_status {
    /// Success.
    Ok = 0,
    /// A NULL pointer, invalid UTF-8, malformed JSON or an unknown option.
    InvalidArgument = 100,
    /// A request breaks a documented constraint (AWS `ValidationException`).
    Validation = 101,
    /// A key is unreadable, of the wrong kind, or rejected by policy.
    KeyInvalid = 200,
    /// An algorithm is not supported or not allowed.
    UnsupportedSignatureMethod = 201,
    /// The token's size, structure, encoding, header or claims are invalid.
    TokenMalformed = 300,
    /// No key matches, or the signature does not verify.
    SignatureInvalid = 301,
    /// The token's `expiration` has passed.
    TokenExpired = 302,
    /// The token's `issuedAt` lies in the future.
    TokenNotYetValid = 303,
    /// The token's `nodeId` is missing or differs from the expected node.
    NodeMismatch = 304,
    /// A required entitlement is absent or too small.
    EntitlementMissing = 305,
    /// Unknown license or consumption token.
    NotFound = 400,
    /// Nothing requested is available, or the pool is exhausted.
    NoEntitlementsAllowed = 401,
    /// A borrowed entitlement is unknown or of another unit.
    EntitlementNotAllowed = 402,
    /// A ClientToken reused with another request, or a refused check-in.
    Conflict = 403,
    /// The store failed (I/O, database).
    Store = 500,
    /// The HSM, KMS or callback failed, or its signature did not verify.
    Signer = 501,
    /// A bug: a panic caught at the boundary.
    Internal = 900,
}

impl From<ErrorKind> for lm_status {
    fn from(kind: ErrorKind) -> lm_status {
        match kind {
            ErrorKind::InvalidArgument => lm_status::InvalidArgument,
            ErrorKind::Validation => lm_status::Validation,
            ErrorKind::KeyInvalid => lm_status::KeyInvalid,
            ErrorKind::UnsupportedSignatureMethod => lm_status::UnsupportedSignatureMethod,
            ErrorKind::TokenMalformed => lm_status::TokenMalformed,
            ErrorKind::SignatureInvalid => lm_status::SignatureInvalid,
            ErrorKind::TokenExpired => lm_status::TokenExpired,
            ErrorKind::TokenNotYetValid => lm_status::TokenNotYetValid,
            ErrorKind::NodeMismatch => lm_status::NodeMismatch,
            ErrorKind::EntitlementMissing => lm_status::EntitlementMissing,
            ErrorKind::NotFound => lm_status::NotFound,
            ErrorKind::NoEntitlementsAllowed => lm_status::NoEntitlementsAllowed,
            ErrorKind::EntitlementNotAllowed => lm_status::EntitlementNotAllowed,
            ErrorKind::Conflict => lm_status::Conflict,
            ErrorKind::Store => lm_status::Store,
            ErrorKind::Signer => lm_status::Signer,
            ErrorKind::Internal => lm_status::Internal,
        }
    }
}

/// Returns the name of a status value, such as `"LM_STATUS_NODE_MISMATCH"`, or
/// `"LM_STATUS_UNKNOWN"` for a value this version does not define.
///
/// The returned string is static: never free it. Thread-safe.
#[no_mangle]
pub extern "C" fn lm_status_name(status: u32) -> *const c_char {
    // Only constant lookups happen here, so no panic can arise and no guard is needed.
    let name: &'static CStr = match status {
        0 => c"LM_STATUS_OK",
        _ => match ErrorKind::from_status(status) {
            Some(kind) => code_cstr(kind),
            None => c"LM_STATUS_UNKNOWN",
        },
    };
    name.as_ptr()
}

fn code_cstr(kind: ErrorKind) -> &'static CStr {
    match kind {
        ErrorKind::InvalidArgument => c"LM_STATUS_INVALID_ARGUMENT",
        ErrorKind::Validation => c"LM_STATUS_VALIDATION",
        ErrorKind::KeyInvalid => c"LM_STATUS_KEY_INVALID",
        ErrorKind::UnsupportedSignatureMethod => c"LM_STATUS_UNSUPPORTED_SIGNATURE_METHOD",
        ErrorKind::TokenMalformed => c"LM_STATUS_TOKEN_MALFORMED",
        ErrorKind::SignatureInvalid => c"LM_STATUS_SIGNATURE_INVALID",
        ErrorKind::TokenExpired => c"LM_STATUS_TOKEN_EXPIRED",
        ErrorKind::TokenNotYetValid => c"LM_STATUS_TOKEN_NOT_YET_VALID",
        ErrorKind::NodeMismatch => c"LM_STATUS_NODE_MISMATCH",
        ErrorKind::EntitlementMissing => c"LM_STATUS_ENTITLEMENT_MISSING",
        ErrorKind::NotFound => c"LM_STATUS_NOT_FOUND",
        ErrorKind::NoEntitlementsAllowed => c"LM_STATUS_NO_ENTITLEMENTS_ALLOWED",
        ErrorKind::EntitlementNotAllowed => c"LM_STATUS_ENTITLEMENT_NOT_ALLOWED",
        ErrorKind::Conflict => c"LM_STATUS_CONFLICT",
        ErrorKind::Store => c"LM_STATUS_STORE",
        ErrorKind::Signer => c"LM_STATUS_SIGNER",
        ErrorKind::Internal => c"LM_STATUS_INTERNAL",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_match_error_kind_codes() {
        for kind in ErrorKind::ALL {
            assert_eq!(lm_status::from(kind) as u32, kind.status());
            assert_eq!(code_cstr(kind).to_str().unwrap(), kind.code());
        }
    }
}
