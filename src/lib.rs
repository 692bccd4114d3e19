//! libcheckout: signed license checkouts with offline verification.
//!
//! An issuer holds an RSA private key and a store of licenses. A checkout takes entitlements
//! out of a license and returns the license data signed as a JWS (RFC 7515) with RSASSA-PSS
//! (PS256, PS384 or PS512, RFC 7518 §3.5), in the format of AWS License Manager's signed
//! checkouts. A consumer verifies such a token offline with the issuer's public key alone.
//!
//! The C ABI lives in [`ffi`] and is the only module with `unsafe` code.

#![deny(missing_docs)]
#![deny(unsafe_code)]
#![cfg_attr(not(test), deny(clippy::unwrap_used))]
#![deny(clippy::undocumented_unsafe_blocks)]

#[cfg(not(any(feature = "aws-lc", feature = "pure-rust")))]
compile_error!("libcheckout needs a cryptographic backend: enable the `aws-lc` feature (needs a C compiler) or the `pure-rust` feature (Rust only)");

pub mod alg;
mod b64;
mod backend;
pub mod clock;
pub mod error;
pub mod json;
pub mod jws;
pub mod keys;
pub mod license;
#[cfg(feature = "pkcs11")]
mod pkcs11;
pub mod signer;
pub mod timefmt;
pub mod verify;

#[cfg(feature = "ffi")]
#[allow(unsafe_code)]
pub mod ffi;

pub use alg::Algorithm;
pub use clock::{Clock, FixedClock, SystemClock};
pub use error::{Error, ErrorKind, Reason, Result};
pub use keys::{PrivateKey, PublicKey, PublicKeySet};
pub use signer::{DigestSigner, Signer};
pub use verify::{Profile, VerifiedToken, Verifier, VerifyOptions};
