//! Error type shared by every layer, with the status numbers of the C ABI.

use std::fmt;

/// The class of a failure. Each kind has a fixed status number in the C ABI.
#[non_exhaustive]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ErrorKind {
    /// Input is not UTF-8, not JSON, a NULL pointer, or an unknown option (100).
    InvalidArgument,
    /// A request breaks a documented constraint, AWS `ValidationException` (101).
    Validation,
    /// A key is unreadable, of the wrong kind, or rejected by policy (200).
    KeyInvalid,
    /// An algorithm is not supported or not allowed (201).
    UnsupportedSignatureMethod,
    /// A token's size, structure, encoding, header or claims are invalid (300).
    TokenMalformed,
    /// No key matches, or the signature does not verify (301).
    SignatureInvalid,
    /// The token's `expiration` has passed (302).
    TokenExpired,
    /// The token's `issuedAt` lies in the future (303).
    TokenNotYetValid,
    /// The token's `nodeId` is missing or differs from the expected node (304).
    NodeMismatch,
    /// A required entitlement is absent or too small (305).
    EntitlementMissing,
    /// Unknown license or consumption token (400).
    NotFound,
    /// Nothing requested is available, or the pool is exhausted (401).
    NoEntitlementsAllowed,
    /// A borrowed entitlement is unknown or of another unit (402).
    EntitlementNotAllowed,
    /// A ClientToken reused with another request, or a refused check-in (403).
    Conflict,
    /// The store failed (500).
    Store,
    /// The HSM, KMS or callback failed, or its signature did not verify (501).
    Signer,
    /// A bug: a panic caught at the boundary (900).
    Internal,
}

impl ErrorKind {
    /// Every kind, in status order.
    pub const ALL: [ErrorKind; 17] = [
        ErrorKind::InvalidArgument,
        ErrorKind::Validation,
        ErrorKind::KeyInvalid,
        ErrorKind::UnsupportedSignatureMethod,
        ErrorKind::TokenMalformed,
        ErrorKind::SignatureInvalid,
        ErrorKind::TokenExpired,
        ErrorKind::TokenNotYetValid,
        ErrorKind::NodeMismatch,
        ErrorKind::EntitlementMissing,
        ErrorKind::NotFound,
        ErrorKind::NoEntitlementsAllowed,
        ErrorKind::EntitlementNotAllowed,
        ErrorKind::Conflict,
        ErrorKind::Store,
        ErrorKind::Signer,
        ErrorKind::Internal,
    ];

    /// Returns the stable status number of the C ABI.
    pub const fn status(self) -> u32 {
        match self {
            ErrorKind::InvalidArgument => 100,
            ErrorKind::Validation => 101,
            ErrorKind::KeyInvalid => 200,
            ErrorKind::UnsupportedSignatureMethod => 201,
            ErrorKind::TokenMalformed => 300,
            ErrorKind::SignatureInvalid => 301,
            ErrorKind::TokenExpired => 302,
            ErrorKind::TokenNotYetValid => 303,
            ErrorKind::NodeMismatch => 304,
            ErrorKind::EntitlementMissing => 305,
            ErrorKind::NotFound => 400,
            ErrorKind::NoEntitlementsAllowed => 401,
            ErrorKind::EntitlementNotAllowed => 402,
            ErrorKind::Conflict => 403,
            ErrorKind::Store => 500,
            ErrorKind::Signer => 501,
            ErrorKind::Internal => 900,
        }
    }

    /// Returns the name of the C constant, such as `"LM_STATUS_NODE_MISMATCH"`.
    pub const fn code(self) -> &'static str {
        match self {
            ErrorKind::InvalidArgument => "LM_STATUS_INVALID_ARGUMENT",
            ErrorKind::Validation => "LM_STATUS_VALIDATION",
            ErrorKind::KeyInvalid => "LM_STATUS_KEY_INVALID",
            ErrorKind::UnsupportedSignatureMethod => "LM_STATUS_UNSUPPORTED_SIGNATURE_METHOD",
            ErrorKind::TokenMalformed => "LM_STATUS_TOKEN_MALFORMED",
            ErrorKind::SignatureInvalid => "LM_STATUS_SIGNATURE_INVALID",
            ErrorKind::TokenExpired => "LM_STATUS_TOKEN_EXPIRED",
            ErrorKind::TokenNotYetValid => "LM_STATUS_TOKEN_NOT_YET_VALID",
            ErrorKind::NodeMismatch => "LM_STATUS_NODE_MISMATCH",
            ErrorKind::EntitlementMissing => "LM_STATUS_ENTITLEMENT_MISSING",
            ErrorKind::NotFound => "LM_STATUS_NOT_FOUND",
            ErrorKind::NoEntitlementsAllowed => "LM_STATUS_NO_ENTITLEMENTS_ALLOWED",
            ErrorKind::EntitlementNotAllowed => "LM_STATUS_ENTITLEMENT_NOT_ALLOWED",
            ErrorKind::Conflict => "LM_STATUS_CONFLICT",
            ErrorKind::Store => "LM_STATUS_STORE",
            ErrorKind::Signer => "LM_STATUS_SIGNER",
            ErrorKind::Internal => "LM_STATUS_INTERNAL",
        }
    }

    /// Returns the kind with this status number, if any.
    pub fn from_status(status: u32) -> Option<ErrorKind> {
        ErrorKind::ALL
            .into_iter()
            .find(|kind| kind.status() == status)
    }

    /// Returns the AWS License Manager exception name that request failures of this kind
    /// start their message with.
    pub const fn aws_exception(self) -> &'static str {
        match self {
            ErrorKind::InvalidArgument | ErrorKind::Validation => "ValidationException",
            ErrorKind::KeyInvalid => "InvalidParameterValueException",
            ErrorKind::UnsupportedSignatureMethod => "UnsupportedDigitalSignatureMethodException",
            ErrorKind::NotFound => "ResourceNotFoundException",
            ErrorKind::NoEntitlementsAllowed => "NoEntitlementsAllowedException",
            ErrorKind::EntitlementNotAllowed => "EntitlementNotAllowedException",
            ErrorKind::Conflict => "ConflictException",
            ErrorKind::TokenMalformed
            | ErrorKind::SignatureInvalid
            | ErrorKind::TokenExpired
            | ErrorKind::TokenNotYetValid
            | ErrorKind::NodeMismatch
            | ErrorKind::EntitlementMissing
            | ErrorKind::Store
            | ErrorKind::Signer
            | ErrorKind::Internal => "ServerInternalException",
        }
    }
}

/// The reason one entitlement of a request was refused.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Reason {
    /// The entitlement's `Name`.
    pub name: String,
    /// The problem with it, in a few words.
    pub reason: String,
}

/// A failure: its kind, a message naming the value at fault, and per-entitlement reasons
/// for checkout refusals.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Error {
    kind: ErrorKind,
    message: String,
    reasons: Vec<Reason>,
}

/// Result alias used across the crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    /// Creates an error of `kind` with `message`.
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Error {
        Error {
            kind,
            message: message.into(),
            reasons: Vec::new(),
        }
    }

    /// Creates a request failure whose message starts with the AWS exception name.
    pub fn request(kind: ErrorKind, message: impl fmt::Display) -> Error {
        Error::new(kind, format!("{}: {message}", kind.aws_exception()))
    }

    /// Creates a request failure that lists `name: reason` for each refused entitlement.
    pub fn refused(kind: ErrorKind, summary: &str, reasons: Vec<Reason>) -> Error {
        let listed: Vec<String> = reasons
            .iter()
            .map(|r| format!("{}: {}", r.name, r.reason))
            .collect();
        let mut error = Error::request(kind, format!("{summary} ({})", listed.join("; ")));
        error.reasons = reasons;
        error
    }

    /// Returns the kind of failure.
    pub fn kind(&self) -> ErrorKind {
        self.kind
    }

    /// Returns the stable status number of the C ABI.
    pub fn status(&self) -> u32 {
        self.kind.status()
    }

    /// Returns the message, which names the value at fault and never contains key material.
    pub fn message(&self) -> &str {
        &self.message
    }

    /// Returns the refused entitlements of a checkout refusal, empty otherwise.
    pub fn reasons(&self) -> &[Reason] {
        &self.reasons
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Error {}

/// Shorthand constructors used across the crate.
pub(crate) fn err(kind: ErrorKind, message: impl Into<String>) -> Error {
    Error::new(kind, message)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_round_trips_through_kind() {
        for kind in ErrorKind::ALL {
            assert_eq!(ErrorKind::from_status(kind.status()), Some(kind));
        }
        assert_eq!(ErrorKind::from_status(12345), None);
    }

    #[test]
    fn refused_lists_each_reason() {
        let error = Error::refused(
            ErrorKind::NoEntitlementsAllowed,
            "no entitlements allowed",
            vec![Reason {
                name: "Seats".into(),
                reason: "exhausted".into(),
            }],
        );
        assert_eq!(
            error.message(),
            "NoEntitlementsAllowedException: no entitlements allowed (Seats: exhausted)"
        );
        assert_eq!(error.reasons().len(), 1);
    }
}
