//! `lm verify`: offline verification with public keys alone.

use base64ct::{Base64UrlUnpadded, Encoding};
use checkout::timefmt::{parse_request_time, MAX_UNIX_SECONDS};
use checkout::{Result, Verifier, VerifyOptions};
use serde_json::{json, Value};

use crate::args::VerifyArgs;
use crate::files::{in_file, print_json, read_input, read_key_file};

/// Parses `--now`: Unix seconds, or a UTC time as a request may give it.
pub fn parse_now(text: &str) -> std::result::Result<i64, String> {
    if !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit()) {
        return match text.parse::<i64>() {
            Ok(seconds) if seconds <= MAX_UNIX_SECONDS => Ok(seconds),
            _ => Err(format!("Unix seconds must be from 0 to {MAX_UNIX_SECONDS}")),
        };
    }
    parse_request_time(text).ok_or_else(|| {
        "expected Unix seconds or YYYY-MM-DDThh:mm:ss in UTC, optionally with Z or ±hh:mm"
            .to_owned()
    })
}

/// Runs `lm verify`.
pub fn run(args: &VerifyArgs) -> Result<()> {
    let verifier = load_verifier(args)?;
    let options = build_options(args);
    let token = read_token(args)?;

    let verified = verifier.verify(&token, &options)?;

    let output = json!({
        "header": Value::Object(verified.header),
        "payload": payload_json(&verified.payload),
    });
    print_json(&output)
}

fn load_verifier(args: &VerifyArgs) -> Result<Verifier> {
    if let Some(path) = &args.key {
        let bytes = read_key_file(path)?;
        return Verifier::from_pem(&bytes).map_err(|e| in_file(path, e));
    }
    let path = args.jwks.as_ref().expect("clap requires --key or --jwks");
    let bytes = read_key_file(path)?;
    Verifier::from_jwks(&bytes).map_err(|e| in_file(path, e))
}

fn build_options(args: &VerifyArgs) -> VerifyOptions {
    let defaults = VerifyOptions::default();
    let algorithms = if args.algorithms.is_empty() {
        defaults.algorithms
    } else {
        args.algorithms.iter().map(|&alg| alg.into()).collect()
    };

    VerifyOptions {
        profile: args.profile.into(),
        now: args.now,
        leeway_seconds: args.leeway.unwrap_or(defaults.leeway_seconds),
        node_id: args.node_id.clone(),
        algorithms,
        require_entitlements: args.require.clone(),
        max_token_bytes: args
            .max_token_bytes
            .map_or(defaults.max_token_bytes, |max| max as usize),
    }
}

/// Reads the token and trims surrounding whitespace, such as a file's final newline,
/// because a compact token contains none.
fn read_token(args: &VerifyArgs) -> Result<Vec<u8>> {
    let bytes = match (&args.token, &args.token_file) {
        (Some(token), _) => token.as_bytes().to_vec(),
        (None, Some(path)) => read_input(path)?,
        (None, None) => unreachable!("clap requires --token or --token-file"),
    };
    Ok(bytes.trim_ascii().to_vec())
}

/// Returns the payload as JSON when it is an object or an array, else as a base64url
/// string, so that a string in the output always means encoded bytes.
fn payload_json(payload: &[u8]) -> Value {
    match checkout::json::parse_strict(payload) {
        Ok(value @ (Value::Object(_) | Value::Array(_))) => value,
        _ => Value::String(Base64UrlUnpadded::encode_string(payload)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn now_accepts_unix_seconds_and_times() {
        assert_eq!(parse_now("1606780055"), Ok(1_606_780_055));
        assert_eq!(parse_now("2020-11-30T23:47:35Z"), Ok(1_606_780_055));
        assert_eq!(parse_now("2020-12-01T00:47:35+01:00"), Ok(1_606_780_055));
    }

    #[test]
    fn now_rejects_other_text() {
        assert!(parse_now("yesterday").unwrap_err().contains("YYYY-MM-DD"));
        assert!(parse_now("-5").unwrap_err().contains("YYYY-MM-DD"));
        assert!(parse_now("253402300800")
            .unwrap_err()
            .contains("253402300799"));
    }

    #[test]
    fn payload_json_or_base64url() {
        assert_eq!(payload_json(br#"{"a":1}"#), json!({"a": 1}));
        assert_eq!(payload_json(b"hello"), json!("aGVsbG8"));
        assert_eq!(payload_json(br#""text""#), json!("InRleHQi"));
        assert_eq!(
            payload_json(br#"{"a":1,"a":2}"#),
            json!("eyJhIjoxLCJhIjoyfQ")
        );
    }
}
