//! Helpers shared by the integration tests: base64url and hex, hand-built tokens signed with
//! a real key, a sample checkout payload, error checks and the `openssl` command line.

// Each test binary uses a different subset of these helpers.
#![allow(dead_code)]

use std::path::Path;
use std::process::Command;
use std::sync::OnceLock;

use base64ct::{Base64UrlUnpadded, Encoding};
use checkout::{Algorithm, Error, PrivateKey, Verifier, VerifyOptions};
use serde_json::{json, Value};

/// `issuedAt` of the sample payload: 2020-11-30T23:47:35 UTC.
pub const ISSUED_AT: i64 = 1_606_780_055;
/// `expiration` of the sample payload: 2020-12-01T00:47:35 UTC.
pub const EXPIRATION: i64 = 1_606_783_655;
/// A moment inside the sample payload's validity window.
pub const NOW: i64 = ISSUED_AT + 600;

/// Encodes bytes as unpadded base64url.
pub fn b64(bytes: impl AsRef<[u8]>) -> String {
    Base64UrlUnpadded::encode_string(bytes.as_ref())
}

/// Decodes unpadded base64url, panicking on anything else.
pub fn unb64(text: &str) -> Vec<u8> {
    Base64UrlUnpadded::decode_vec(text).expect("test data is unpadded base64url")
}

/// Decodes a hex string, panicking on anything else.
pub fn hex(text: &str) -> Vec<u8> {
    assert!(text.len().is_multiple_of(2), "hex text has an odd length: {text}");
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&text[i..i + 2], 16).expect("test data is hex"))
        .collect()
}

/// Returns the trusted key of most tests, generated once per test binary.
pub fn key() -> &'static PrivateKey {
    static KEY: OnceLock<PrivateKey> = OnceLock::new();
    KEY.get_or_init(|| PrivateKey::generate(2048).expect("a 2048-bit key generates"))
}

/// Returns a second key, which the default verifier does not trust.
pub fn other_key() -> &'static PrivateKey {
    static KEY: OnceLock<PrivateKey> = OnceLock::new();
    KEY.get_or_init(|| PrivateKey::generate(2048).expect("a 2048-bit key generates"))
}

/// Returns a verifier that trusts only [`key`], loaded from its SubjectPublicKeyInfo PEM.
pub fn verifier() -> Verifier {
    let pem = key()
        .public_key()
        .to_spki_pem()
        .expect("the public key encodes as PEM");
    Verifier::from_pem(pem.as_bytes()).expect("the public key loads")
}

/// Options of the license profile at time `now`, every other option at its default.
pub fn options_at(now: i64) -> VerifyOptions {
    VerifyOptions {
        now: Some(now),
        ..VerifyOptions::default()
    }
}

/// Returns the sample checkout payload: valid from [`ISSUED_AT`] to [`EXPIRATION`], bound to node
/// `100.20.15.10`, granting `EntitlementCount` (Count 10), `EnterpriseTier` (None
/// "Enterprise") and `Version` (None "10").
pub fn sample_claims() -> Value {
    json!({
        "entitlementsAllowed": [
            {"name": "EntitlementCount", "unit": "Count", "value": "10"},
            {"name": "EnterpriseTier", "unit": "None", "value": "Enterprise"},
            {"name": "Version", "unit": "None", "value": "10"}
        ],
        "expiration": "2020-12-01T00:47:35",
        "issuedAt": "2020-11-30T23:47:35",
        "licenseArn": "arn:aws:license-manager::123456789012:license:l-6585590917ad46858328ff02dEXAMPLE",
        "licenseConsumptionToken": "306eb19afd354ba79c3687b9bEXAMPLE",
        "nodeId": "100.20.15.10",
        "checkoutMetadata": {"Mac": "ABCDEFGHI"},
        "iat": ISSUED_AT,
        "exp": EXPIRATION
    })
}

/// Returns the protected header libcheckout writes for a JSON payload signed by `key`.
pub fn header_for(key: &PrivateKey, algorithm: Algorithm) -> String {
    json!({"alg": algorithm.name(), "typ": "JWT", "kid": key.public_key().thumbprint()}).to_string()
}

/// Builds `BASE64URL(header).BASE64URL(payload).BASE64URL(signature)`, the signature made
/// by `key` with `algorithm` whatever the header names.
pub fn sign_token(
    key: &PrivateKey,
    algorithm: Algorithm,
    header: impl AsRef<[u8]>,
    payload: impl AsRef<[u8]>,
) -> String {
    let signing_input = format!("{}.{}", b64(header.as_ref()), b64(payload.as_ref()));
    let signature = key
        .sign(algorithm, signing_input.as_bytes())
        .expect("the key signs");
    format!("{signing_input}.{}", b64(&signature))
}

/// Signs `claims` with [`key`] and PS256 under libcheckout's usual header.
pub fn license_token(claims: &Value) -> String {
    let header = header_for(key(), Algorithm::PS256);
    sign_token(key(), Algorithm::PS256, header, claims.to_string())
}

/// Returns the error of `result`, after checking its status and that its message contains
/// `fragment`.
pub fn expect_error<T: std::fmt::Debug>(
    result: checkout::Result<T>,
    status: u32,
    fragment: &str,
) -> Error {
    let error = match result {
        Ok(value) => panic!("expected status {status} ({fragment:?}), got success: {value:?}"),
        Err(error) => error,
    };
    assert_eq!(
        error.status(),
        status,
        "status {} ({}) instead of {status}; message: {}",
        error.status(),
        error.kind().code(),
        error.message()
    );
    assert!(
        error.message().contains(fragment),
        "message {:?} does not contain {fragment:?}",
        error.message()
    );
    error
}

/// Runs `openssl` with the whitespace-separated arguments of `command` in `dir` and returns
/// its standard output.
///
/// Fails the test with a clear message when the `openssl` command is missing, because
/// these tests compare against keys and signatures made by OpenSSL itself.
pub fn openssl(dir: &Path, command: &str) -> Vec<u8> {
    let args: Vec<&str> = command.split_whitespace().collect();
    let output = match Command::new("openssl")
        .args(&args)
        .current_dir(dir)
        .output()
    {
        Ok(output) => output,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => panic!(
            "the openssl command was not found on PATH; install OpenSSL (for example \
             `apt-get install openssl`) to run the key tests"
        ),
        Err(e) => panic!("could not run openssl {command}: {e}"),
    };
    assert!(
        output.status.success(),
        "openssl {command} failed with {}: {}",
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
    output.stdout
}
