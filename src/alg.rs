//! The JWS algorithms libcheckout accepts: RSASSA-PSS with SHA-2 (RFC 7518 §3.5).

use std::fmt;

use crate::error::{err, Error, ErrorKind, Result};

/// A PS algorithm: RSASSA-PSS with MGF1 over the same SHA-2 hash and a salt exactly as
/// long as the hash. Nothing else is ever accepted.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Algorithm {
    /// RSASSA-PSS with SHA-256 and a 32-byte salt.
    PS256,
    /// RSASSA-PSS with SHA-384 and a 48-byte salt; AWS borrow tokens use it.
    PS384,
    /// RSASSA-PSS with SHA-512 and a 64-byte salt.
    PS512,
}

impl Algorithm {
    /// Every algorithm, the default allow-list of a verifier.
    pub const ALL: [Algorithm; 3] = [Algorithm::PS256, Algorithm::PS384, Algorithm::PS512];

    /// Returns the JWS name, such as `"PS384"`.
    pub const fn name(self) -> &'static str {
        match self {
            Algorithm::PS256 => "PS256",
            Algorithm::PS384 => "PS384",
            Algorithm::PS512 => "PS512",
        }
    }

    /// Returns the hash (and salt) length in bytes.
    pub const fn hash_len(self) -> usize {
        match self {
            Algorithm::PS256 => 32,
            Algorithm::PS384 => 48,
            Algorithm::PS512 => 64,
        }
    }

    /// Parses a JWS name; anything but PS256, PS384 and PS512 is
    /// [`ErrorKind::UnsupportedSignatureMethod`].
    pub fn from_name(name: &str) -> Result<Algorithm> {
        match name {
            "PS256" => Ok(Algorithm::PS256),
            "PS384" => Ok(Algorithm::PS384),
            "PS512" => Ok(Algorithm::PS512),
            other => Err(err(
                ErrorKind::UnsupportedSignatureMethod,
                format!("algorithm {other:?} is not supported; use PS256, PS384 or PS512"),
            )),
        }
    }

    /// Parses an AWS `DigitalSignatureMethod`: `JWT_PS384`, or the extensions `JWT_PS256`
    /// and `JWT_PS512`.
    pub fn from_digital_signature_method(method: &str) -> Result<Algorithm> {
        match method {
            "JWT_PS256" => Ok(Algorithm::PS256),
            "JWT_PS384" => Ok(Algorithm::PS384),
            "JWT_PS512" => Ok(Algorithm::PS512),
            other => Err(Error::request(
                ErrorKind::UnsupportedSignatureMethod,
                format!(
                    "DigitalSignatureMethod {other:?} is not supported; use JWT_PS384, JWT_PS256 or JWT_PS512"
                ),
            )),
        }
    }
}

impl fmt::Display for Algorithm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}
