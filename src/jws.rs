//! JWS compact serialization (RFC 7515 §7.1) with PS algorithms: writing tokens, and the
//! structural checks that come before any signature check.

use serde_json::{Map, Value};

use crate::alg::Algorithm;
use crate::b64;
use crate::error::{err, ErrorKind, Result};
use crate::json::parse_strict;
use crate::signer::Signer;

/// Signs `payload` with `algorithm` and returns `header.payload.signature`.
///
/// The header is `{"alg":..,"typ":"JWT","kid":..}`, with `typ` only when the payload is a
/// JSON object.
pub(crate) fn sign_compact(
    signer: &Signer,
    algorithm: Algorithm,
    payload: &[u8],
) -> Result<String> {
    let is_object = matches!(parse_strict(payload), Ok(Value::Object(_)));
    let mut header = Map::new();
    header.insert("alg".into(), algorithm.name().into());
    if is_object {
        header.insert("typ".into(), "JWT".into());
    }
    header.insert("kid".into(), signer.kid().into());

    let mut token = b64::encode(Value::Object(header).to_string().as_bytes());
    token.push('.');
    token.push_str(&b64::encode(payload));
    let signature = signer.sign_bytes(algorithm, token.as_bytes())?;
    token.push('.');
    token.push_str(&b64::encode(&signature));
    Ok(token)
}

/// A token split into its parts and decoded, not yet verified.
pub(crate) struct Decoded<'a> {
    /// `BASE64URL(header) "." BASE64URL(payload)`, the bytes the signature covers.
    pub(crate) signing_input: &'a [u8],
    pub(crate) header: Map<String, Value>,
    pub(crate) algorithm_name: String,
    pub(crate) kid: Option<String>,
    pub(crate) payload: Vec<u8>,
    pub(crate) signature: Vec<u8>,
}

fn malformed(message: impl Into<String>) -> crate::Error {
    err(ErrorKind::TokenMalformed, message)
}

/// Splits and decodes a compact token: exactly three segments of strict unpadded base64url,
/// and a header that is a JSON object without duplicate members or `crit`, with string
/// `alg` and (when present) string `kid`.
///
/// The caller checks the size cap before calling, so no oversized input is split.
pub(crate) fn decode(token: &[u8]) -> Result<Decoded<'_>> {
    let mut segments = token.split(|&b| b == b'.');
    let (Some(header_b64), Some(payload_b64), Some(signature_b64), None) = (
        segments.next(),
        segments.next(),
        segments.next(),
        segments.next(),
    ) else {
        let count = token.iter().filter(|&&b| b == b'.').count() + 1;
        return Err(malformed(format!(
            "token has {count} segment(s); a JWS compact token has exactly 3 separated by '.'"
        )));
    };
    let segment = |bytes: &[u8], name: &str| {
        b64::decode(bytes)
            .ok_or_else(|| malformed(format!("token {name} is not strict unpadded base64url")))
    };
    let header_bytes = segment(header_b64, "header")?;
    let payload = segment(payload_b64, "payload")?;
    let signature = segment(signature_b64, "signature")?;

    let header = match parse_strict(&header_bytes) {
        Ok(Value::Object(map)) => map,
        Ok(_) => return Err(malformed("token header is not a JSON object")),
        Err(e) => return Err(malformed(format!("token header is invalid: {e}"))),
    };
    if header.contains_key("crit") {
        return Err(malformed(
            "token header has \"crit\"; libcheckout understands no critical extension",
        ));
    }
    let algorithm_name = match header.get("alg") {
        Some(Value::String(name)) => name.clone(),
        Some(_) => return Err(malformed("token header \"alg\" is not a string")),
        None => return Err(malformed("token header has no \"alg\"")),
    };
    let kid = match header.get("kid") {
        None => None,
        Some(Value::String(kid)) => Some(kid.clone()),
        Some(_) => return Err(malformed("token header \"kid\" is not a string")),
    };

    let signing_input = &token[..header_b64.len() + 1 + payload_b64.len()];
    Ok(Decoded {
        signing_input,
        header,
        algorithm_name,
        kid,
        payload,
        signature,
    })
}
