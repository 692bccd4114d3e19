//! Verification options, from Rust or from the options JSON of the C ABI.

use serde_json::Value;

use crate::alg::Algorithm;
use crate::error::{err, Error, ErrorKind, Result};
use crate::json::{parse_strict, type_name};
use crate::timefmt::{parse_request_time, MAX_UNIX_SECONDS, MIN_UNIX_SECONDS};

/// What a token's payload must be.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Profile {
    /// A checkout: the payload is checked as license claims.
    License,
    /// Any signed bytes: verification stops after the signature.
    Jws,
}

/// An entitlement a token must grant.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RequiredEntitlement {
    /// The entitlement's name.
    pub name: String,
    /// The least quantity (compared numerically) or the exact value (compared byte for
    /// byte); `None` requires presence only.
    pub value: Option<String>,
}

/// How to verify a token.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VerifyOptions {
    /// The payload profile. Defaults to [`Profile::License`].
    pub profile: Profile,
    /// The time to check against, in Unix seconds. Defaults to the verifier's clock.
    pub now: Option<i64>,
    /// Clock skew tolerated on `issuedAt` and `expiration`, in seconds. Defaults to `60`.
    pub leeway_seconds: u32,
    /// The node the token must be bound to. Defaults to `None` (any node).
    pub node_id: Option<String>,
    /// The accepted algorithms. Defaults to PS256, PS384 and PS512.
    pub algorithms: Vec<Algorithm>,
    /// Entitlements the token must grant. Defaults to none.
    pub require_entitlements: Vec<RequiredEntitlement>,
    /// The largest token accepted, in bytes, counted before any decoding. Defaults to `65536`.
    pub max_token_bytes: usize,
}

/// The default size cap of a token, in bytes.
pub const DEFAULT_MAX_TOKEN_BYTES: usize = 65536;
/// The largest leeway an options JSON may ask for, in seconds (one day).
pub const MAX_LEEWAY_SECONDS: u32 = 86400;

impl Default for VerifyOptions {
    fn default() -> VerifyOptions {
        VerifyOptions {
            profile: Profile::License,
            now: None,
            leeway_seconds: 60,
            node_id: None,
            algorithms: Algorithm::ALL.to_vec(),
            require_entitlements: Vec::new(),
            max_token_bytes: DEFAULT_MAX_TOKEN_BYTES,
        }
    }
}

fn bad_option(message: impl Into<String>) -> Error {
    err(ErrorKind::InvalidArgument, message)
}

impl VerifyOptions {
    /// Checks options built from fields against the limits the options JSON enforces: a
    /// leeway of at most [`MAX_LEEWAY_SECONDS`], a non-empty allow-list, a size cap of at
    /// least 1, and `now` within years 0001 to 9999. [`Verifier::verify`](super::Verifier::verify)
    /// calls it first.
    pub fn validate(&self) -> Result<()> {
        if self.leeway_seconds > MAX_LEEWAY_SECONDS {
            return Err(bad_option(format!(
                "leewaySeconds is {}; it must be from 0 to {MAX_LEEWAY_SECONDS}",
                self.leeway_seconds
            )));
        }
        if self.algorithms.is_empty() {
            return Err(bad_option("algorithms is empty, so no token could verify"));
        }
        if self.max_token_bytes == 0 {
            return Err(bad_option("maxTokenBytes is 0; it must be at least 1"));
        }
        if let Some(now) = self.now {
            if !(MIN_UNIX_SECONDS..=MAX_UNIX_SECONDS).contains(&now) {
                return Err(bad_option(format!(
                    "now is {now}, outside years 0001 to 9999"
                )));
            }
        }
        Ok(())
    }

    /// Parses the options JSON: every member optional, an unknown member an error, so that a
    /// misspelt option never silently weakens a check.
    pub fn from_json(input: &[u8]) -> Result<VerifyOptions> {
        let document = parse_strict(input)
            .map_err(|e| bad_option(format!("verify options are invalid: {e}")))?;
        let Value::Object(members) = document else {
            return Err(bad_option("verify options must be a JSON object"));
        };

        let mut options = VerifyOptions::default();
        for (name, value) in &members {
            match name.as_str() {
                "profile" => options.profile = parse_profile(value)?,
                "now" => options.now = Some(parse_now(value)?),
                "leewaySeconds" => {
                    options.leeway_seconds =
                        parse_integer(value, name, 0, u64::from(MAX_LEEWAY_SECONDS))? as u32
                }
                "nodeId" => options.node_id = Some(parse_string(value, name)?.to_owned()),
                "algorithms" => options.algorithms = parse_algorithms(value)?,
                "requireEntitlements" => options.require_entitlements = parse_required(value)?,
                "maxTokenBytes" => {
                    options.max_token_bytes =
                        parse_integer(value, name, 1, u32::MAX.into())? as usize
                }
                other => {
                    return Err(bad_option(format!(
                    "unknown verify option {other:?}; known options: profile, now, leewaySeconds, \
                         nodeId, algorithms, requireEntitlements, maxTokenBytes"
                )))
                }
            }
        }
        Ok(options)
    }
}

fn parse_string<'a>(value: &'a Value, name: &str) -> Result<&'a str> {
    value.as_str().ok_or_else(|| {
        bad_option(format!(
            "verify option {name:?} must be a string, found {}",
            type_name(value)
        ))
    })
}

fn parse_integer(value: &Value, name: &str, min: u64, max: u64) -> Result<u64> {
    match value.as_u64() {
        Some(n) if (min..=max).contains(&n) => Ok(n),
        _ => Err(bad_option(format!(
            "verify option {name:?} must be an integer from {min} to {max}, found {value}"
        ))),
    }
}

fn parse_profile(value: &Value) -> Result<Profile> {
    match parse_string(value, "profile")? {
        "license" => Ok(Profile::License),
        "jws" => Ok(Profile::Jws),
        other => Err(bad_option(format!(
            "verify option \"profile\" is {other:?}; use \"license\" or \"jws\""
        ))),
    }
}

fn parse_now(value: &Value) -> Result<i64> {
    if let Value::String(text) = value {
        return parse_request_time(text).ok_or_else(|| {
            bad_option(format!(
                "verify option \"now\" is {text:?}; use YYYY-MM-DDThh:mm:ss in UTC (optionally with Z or ±hh:mm)"
            ))
        });
    }
    let seconds = parse_integer(value, "now", 0, MAX_UNIX_SECONDS as u64)?;
    Ok(seconds as i64)
}

fn parse_algorithms(value: &Value) -> Result<Vec<Algorithm>> {
    let Value::Array(items) = value else {
        return Err(bad_option(
            "verify option \"algorithms\" must be an array of names",
        ));
    };
    if items.is_empty() {
        return Err(bad_option(
            "verify option \"algorithms\" is empty, so no token could verify",
        ));
    }
    items
        .iter()
        .map(|item| Algorithm::from_name(parse_string(item, "algorithms")?))
        .collect()
}

fn parse_required(value: &Value) -> Result<Vec<RequiredEntitlement>> {
    let Value::Array(items) = value else {
        return Err(bad_option(
            "verify option \"requireEntitlements\" must be an array",
        ));
    };
    let mut required = Vec::with_capacity(items.len());
    for (index, item) in items.iter().enumerate() {
        let path = format!("requireEntitlements[{index}]");
        let Value::Object(members) = item else {
            return Err(bad_option(format!(
                "verify option {path} must be an object"
            )));
        };
        if let Some(other) = members
            .keys()
            .find(|name| *name != "name" && *name != "value")
        {
            return Err(bad_option(format!(
                "verify option {path} has unknown member {other:?}; use \"name\" and \"value\""
            )));
        }
        let name = members
            .get("name")
            .ok_or_else(|| bad_option(format!("verify option {path} has no \"name\"")))?;
        let value = members
            .get("value")
            .map(|v| parse_string(v, &format!("{path}.value")))
            .transpose()?;
        required.push(RequiredEntitlement {
            name: parse_string(name, &format!("{path}.name"))?.to_owned(),
            value: value.map(str::to_owned),
        });
    }
    Ok(required)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn from_json_reads_every_option() {
        let options = VerifyOptions::from_json(
            br#"{"profile":"jws","now":"2020-11-30T23:47:35Z","leewaySeconds":0,"nodeId":"n1",
                "algorithms":["PS384"],"requireEntitlements":[{"name":"Seats","value":"2"},{"name":"Tier"}],
                "maxTokenBytes":100}"#,
        )
        .unwrap();
        assert_eq!(options.profile, Profile::Jws);
        assert_eq!(options.now, Some(1_606_780_055));
        assert_eq!(options.leeway_seconds, 0);
        assert_eq!(options.node_id.as_deref(), Some("n1"));
        assert_eq!(options.algorithms, vec![Algorithm::PS384]);
        assert_eq!(options.require_entitlements.len(), 2);
        assert_eq!(options.require_entitlements[1].value, None);
        assert_eq!(options.max_token_bytes, 100);
    }

    #[test]
    fn validate_checks_fields() {
        let cases = [
            VerifyOptions {
                leeway_seconds: 86401,
                ..VerifyOptions::default()
            },
            VerifyOptions {
                algorithms: Vec::new(),
                ..VerifyOptions::default()
            },
            VerifyOptions {
                max_token_bytes: 0,
                ..VerifyOptions::default()
            },
            VerifyOptions {
                now: Some(MAX_UNIX_SECONDS + 1),
                ..VerifyOptions::default()
            },
        ];
        for options in cases {
            assert_eq!(
                options.validate().unwrap_err().kind(),
                ErrorKind::InvalidArgument
            );
        }
        assert!(VerifyOptions::default().validate().is_ok());
    }

    #[test]
    fn from_json_rejects_unknown_and_mistyped() {
        let cases: [(&[u8], ErrorKind, &str); 8] = [
            (
                br#"{"nodeID":"x"}"#,
                ErrorKind::InvalidArgument,
                "unknown verify option \"nodeID\"",
            ),
            (
                br#"{"leewaySeconds":86401}"#,
                ErrorKind::InvalidArgument,
                "from 0 to 86400",
            ),
            (br#"{"now":-1}"#, ErrorKind::InvalidArgument, "\"now\""),
            (
                br#"{"now":"yesterday"}"#,
                ErrorKind::InvalidArgument,
                "\"now\" is \"yesterday\"",
            ),
            (
                br#"{"algorithms":["RS256"]}"#,
                ErrorKind::UnsupportedSignatureMethod,
                "\"RS256\"",
            ),
            (br#"{"algorithms":[]}"#, ErrorKind::InvalidArgument, "empty"),
            (
                br#"{"profile":"jwt"}"#,
                ErrorKind::InvalidArgument,
                "\"jwt\"",
            ),
            (
                br#"{"maxTokenBytes":0}"#,
                ErrorKind::InvalidArgument,
                "maxTokenBytes",
            ),
        ];
        for (input, kind, text) in cases {
            let error = VerifyOptions::from_json(input).unwrap_err();
            assert_eq!(error.kind(), kind, "{}", error.message());
            assert!(error.message().contains(text), "{}", error.message());
        }
    }
}
