//! Token verification through the public Rust API, step by step in the verification order
//! (size, structure, header and algorithm, key and signature, payload, claims), and key
//! loading from files written by the `openssl` command line.
//!
//! Tokens are built by hand: the header and payload bytes are chosen by each test and
//! signed with `PrivateKey::sign`, so a test can produce any malformed or hostile input with
//! a genuine signature.

mod common;

use std::path::Path;
use std::sync::Arc;

use checkout::verify::RequiredEntitlement;
use checkout::{
    Algorithm, Error, ErrorKind, FixedClock, PrivateKey, Profile, PublicKey, PublicKeySet, Signer,
    Verifier, VerifyOptions,
};
use common::{
    b64, expect_error, header_for, key, license_token, openssl, options_at, other_key,
    sample_claims, sign_token, unb64, verifier, EXPIRATION, ISSUED_AT, NOW,
};
use serde_json::{json, Value};

/// Verifies `token`, expects `status` and a message containing `fragment`, and checks that
/// the message quotes neither the token's segments nor the trusted keys' moduli.
fn reject(
    verifier: &Verifier,
    token: impl AsRef<[u8]>,
    options: &VerifyOptions,
    status: u32,
    fragment: &str,
) -> Error {
    let token = token.as_ref();
    let error = expect_error(verifier.verify(token, options), status, fragment);
    assert_no_token_or_key_text(&error, token, verifier);
    error
}

/// Rejects `token` like [`reject`], with the default verifier at [`NOW`].
fn reject_now(token: impl AsRef<[u8]>, status: u32, fragment: &str) -> Error {
    reject(&verifier(), token, &options_at(NOW), status, fragment)
}

fn assert_no_token_or_key_text(error: &Error, token: &[u8], verifier: &Verifier) {
    let message = error.message().as_bytes();
    for segment in token
        .split(|&b| b == b'.')
        .filter(|segment| segment.len() >= 16)
    {
        assert!(
            !contains(message, &segment[..16]),
            "message {:?} quotes the token segment starting {:?}",
            error.message(),
            String::from_utf8_lossy(&segment[..16])
        );
    }
    for jwk in verifier.keys().to_jwks()["keys"]
        .as_array()
        .expect("to_jwks returns a keys array")
    {
        let modulus = jwk["n"].as_str().expect("a JWK has n");
        assert!(
            !contains(message, &modulus.as_bytes()[..16]),
            "message {:?} quotes a key modulus",
            error.message()
        );
    }
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack
        .windows(needle.len())
        .any(|window| window == needle)
}

fn verify_ok(
    verifier: &Verifier,
    token: impl AsRef<[u8]>,
    options: &VerifyOptions,
) -> checkout::VerifiedToken {
    match verifier.verify(token.as_ref(), options) {
        Ok(verified) => verified,
        Err(error) => panic!(
            "expected success, got {} {}: {}",
            error.status(),
            error.kind().code(),
            error.message()
        ),
    }
}

/// Returns the sample claims with `name` set to `value`, or removed when `value` is `None`.
fn claims_with(name: &str, value: Option<Value>) -> Value {
    let mut claims = sample_claims();
    let members = claims
        .as_object_mut()
        .expect("the sample claims are an object");
    match value {
        Some(value) => {
            members.insert(name.to_owned(), value);
        }
        None => {
            members.remove(name);
        }
    }
    claims
}

fn segments(token: &str) -> Vec<String> {
    token.split('.').map(str::to_owned).collect()
}

/// Returns `token` with segment `index` replaced by `segment`.
fn replace_segment(token: &str, index: usize, segment: &str) -> String {
    let mut parts = segments(token);
    parts[index] = segment.to_owned();
    parts.join(".")
}

fn jwk_of(key: &PrivateKey, extra: Value) -> Value {
    let mut jwk = key.public_key().to_jwk();
    for (name, value) in extra.as_object().expect("extra members are an object") {
        jwk[name] = value.clone();
    }
    jwk
}

fn jwks_verifier(keys: Vec<Value>) -> Verifier {
    Verifier::from_jwks(json!({ "keys": keys }).to_string().as_bytes()).expect("the JWKS loads")
}

fn required(name: &str, value: Option<&str>) -> RequiredEntitlement {
    RequiredEntitlement {
        name: name.to_owned(),
        value: value.map(str::to_owned),
    }
}

// A token that verifies, from hand-built bytes and from `Signer`.

#[test]
fn sample_token_verifies_with_claims() {
    let token = license_token(&sample_claims());
    let verified = verify_ok(&verifier(), &token, &options_at(NOW));

    assert_eq!(verified.payload, sample_claims().to_string().into_bytes());
    assert_eq!(verified.header["alg"], "PS256");
    assert_eq!(verified.header["kid"], key().public_key().thumbprint());
    let claims = verified.claims.expect("the license profile returns claims");
    assert_eq!(claims.issued_at, ISSUED_AT);
    assert_eq!(claims.expiration, EXPIRATION);
    assert_eq!(
        claims.license_arn,
        "arn:aws:license-manager::123456789012:license:l-6585590917ad46858328ff02dEXAMPLE"
    );
    assert_eq!(
        claims.license_consumption_token,
        "306eb19afd354ba79c3687b9bEXAMPLE"
    );
    assert_eq!(claims.node_id.as_deref(), Some("100.20.15.10"));
    assert_eq!(claims.entitlements.len(), 3);
    assert_eq!(claims.entitlements[1].name, "EnterpriseTier");
    assert_eq!(claims.entitlements[1].unit, "None");
    assert_eq!(claims.entitlements[1].value, "Enterprise");
    let metadata = claims
        .checkout_metadata
        .expect("the sample has checkoutMetadata");
    assert_eq!(metadata["Mac"], "ABCDEFGHI");
}

#[test]
fn payload_members_include_vendor_claims() {
    let claims = claims_with("vendorTier", Some(json!({"level": 3})));
    let token = license_token(&claims);
    let verified = verify_ok(&verifier(), &token, &options_at(NOW));

    let members = verified.payload_members().expect("the payload is an object");
    assert_eq!(members["vendorTier"]["level"], 3);
    assert_eq!(members["licenseArn"], claims["licenseArn"]);
    assert_eq!(members.len(), claims.as_object().unwrap().len());
}

#[test]
fn signer_tokens_verify_for_each_algorithm() {
    let pem = key().to_pkcs8_pem().expect("the key encodes as PKCS#8");
    let payload = sample_claims().to_string();
    for algorithm in Algorithm::ALL {
        let signer = Signer::from_pem(pem.as_bytes(), Some(algorithm)).expect("the signer loads");
        assert_eq!(signer.kid(), key().public_key().thumbprint());
        let token = signer.sign(payload.as_bytes()).expect("the signer signs");

        let verified = verify_ok(&verifier(), &token, &options_at(NOW));
        assert_eq!(verified.header["alg"], algorithm.name());
        assert_eq!(verified.header["typ"], "JWT");
        assert_eq!(verified.payload, payload.as_bytes());
    }
}

// Step 1: the size cap, counted before anything else.

#[test]
fn size_limit_includes_its_bound() {
    let token = license_token(&sample_claims());
    let mut options = options_at(NOW);
    options.max_token_bytes = token.len();
    verify_ok(&verifier(), &token, &options);

    options.max_token_bytes = token.len() - 1;
    let fragment = format!(
        "token is {} bytes, over the limit of {} (maxTokenBytes)",
        token.len(),
        token.len() - 1
    );
    reject(&verifier(), &token, &options, 300, &fragment);
}

#[test]
fn oversized_garbage_fails_on_size_first() {
    let options = options_at(NOW);
    let no_dots = vec![b'!'; 65537];
    reject(
        &verifier(),
        &no_dots,
        &options,
        300,
        "token is 65537 bytes, over the limit of 65536",
    );
    let only_dots = vec![b'.'; 65537];
    reject(
        &verifier(),
        &only_dots,
        &options,
        300,
        "token is 65537 bytes, over the limit of 65536",
    );
    let not_utf8 = vec![0xffu8; 70000];
    reject(
        &verifier(),
        &not_utf8,
        &options,
        300,
        "token is 70000 bytes, over the limit of 65536",
    );

    // One byte less passes the size check and fails on structure instead.
    let at_limit = vec![b'!'; 65536];
    reject(
        &verifier(),
        &at_limit,
        &options,
        300,
        "token has 1 segment(s)",
    );
}

// Step 2: three segments of strict, canonical, unpadded base64url.

#[test]
fn token_needs_exactly_three_segments() {
    let token = license_token(&sample_claims());
    let parts = segments(&token);
    let cases = [
        (String::new(), "token has 1 segment(s)"),
        (parts[0].clone(), "token has 1 segment(s)"),
        (
            format!("{}.{}", parts[0], parts[1]),
            "token has 2 segment(s)",
        ),
        (format!("{token}.{}", parts[2]), "token has 4 segment(s)"),
        (format!("{token}."), "token has 4 segment(s)"),
        (
            format!(
                "{}.{}.{}.{}.{}",
                parts[0], parts[1], parts[2], parts[1], parts[2]
            ),
            "token has 5 segment(s)",
        ),
    ];
    for (bad, fragment) in cases {
        reject_now(&bad, 300, fragment);
    }
}

/// Serializes `document` with member `filler` set to runs of `?` and `>`, sized so that the
/// JSON is one more than a multiple of 3 bytes long. Its base64url then contains `_` (from
/// `???`), `-` (from `>>>`), and ends in a character with 4 unused bits.
fn json_with_filler(mut document: Value, filler: &str) -> Vec<u8> {
    for extra in 0..3 {
        document[filler] = Value::String(format!("{}>>>>>>", "?".repeat(6 + extra)));
        let bytes = document.to_string().into_bytes();
        if bytes.len() % 3 == 1 {
            return bytes;
        }
    }
    unreachable!("three consecutive lengths cover every remainder modulo 3");
}

/// Builds a valid token whose three segments each contain `-` and `_` and end with unused bits.
fn url_alphabet_token() -> String {
    let header = json_with_filler(
        json!({"alg": "PS256", "kid": key().public_key().thumbprint()}),
        "x",
    );
    let payload = json_with_filler(sample_claims(), "note");
    // PSS signatures are randomized, so re-signing eventually yields both characters.
    for _ in 0..200 {
        let token = sign_token(key(), Algorithm::PS256, &header, &payload);
        let signature = &segments(&token)[2];
        if signature.contains('-') && signature.contains('_') {
            return token;
        }
    }
    panic!("no signature with both '-' and '_' in 200 attempts");
}

/// Sets the lowest unused bit of the last character, giving a second encoding of the same
/// bytes that a lenient decoder would accept.
fn with_trailing_bit(segment: &str) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    assert_eq!(
        segment.len() % 4,
        2,
        "the segment must end with 4 unused bits"
    );
    let last = *segment.as_bytes().last().expect("the segment is not empty");
    let index = ALPHABET
        .iter()
        .position(|&c| c == last)
        .expect("the segment is base64url");
    assert_eq!(
        index & 0b1111,
        0,
        "a canonical segment has zero unused bits"
    );
    format!(
        "{}{}",
        &segment[..segment.len() - 1],
        ALPHABET[index | 1] as char
    )
}

#[test]
fn each_segment_must_be_strict_base64url() {
    let token = url_alphabet_token();
    verify_ok(&verifier(), &token, &options_at(NOW));

    for (index, name) in ["header", "payload", "signature"].into_iter().enumerate() {
        let segment = segments(&token)[index].clone();
        assert!(segment.contains('-'), "the {name} segment has no '-'");
        assert!(segment.contains('_'), "the {name} segment has no '_'");
        let middle = segment.len() / 2;
        let variants = [
            ("padding ==", format!("{segment}==")),
            ("padding =", format!("{segment}=")),
            (
                "space inside",
                format!("{} {}", &segment[..middle], &segment[middle..]),
            ),
            (
                "CRLF inside",
                format!("{}\r\n{}", &segment[..middle], &segment[middle..]),
            ),
            ("trailing newline", format!("{segment}\n")),
            ("leading tab", format!("\t{segment}")),
            ("'+' for '-'", segment.replace('-', "+")),
            ("'/' for '_'", segment.replace('_', "/")),
            ("non-canonical trailing bits", with_trailing_bit(&segment)),
            ("length 1 modulo 4", format!("{segment}AAA")),
            (
                "character outside the alphabet",
                format!("{}*{}", &segment[..middle], &segment[middle + 1..]),
            ),
        ];
        let fragment = format!("token {name} is not strict unpadded base64url");
        for (variant, bad_segment) in variants {
            let bad = replace_segment(&token, index, &bad_segment);
            let error = reject_now(&bad, 300, &fragment);
            assert_eq!(error.kind(), ErrorKind::TokenMalformed, "{name}: {variant}");
        }
    }
}

// Step 3: the header, then the algorithm.

#[test]
fn header_must_be_strict_json_object_without_crit() {
    let payload = sample_claims().to_string();
    let cases: [(&[u8], &str); 17] = [
        (br#"["PS256"]"#, "token header is not a JSON object"),
        (br#""PS256""#, "token header is not a JSON object"),
        (b"null", "token header is not a JSON object"),
        (
            br#"{"alg":"PS256","alg":"PS256"}"#,
            "duplicate member \"alg\"",
        ),
        (
            br#"{"alg":"none","alg":"PS256"}"#,
            "duplicate member \"alg\"",
        ),
        (
            br#"{"alg":"PS256","kid":"a","kid":"b"}"#,
            "duplicate member \"kid\"",
        ),
        (
            br#"{"alg":"PS256","jwk":{"e":"AQAB","e":"AQAB"}}"#,
            "duplicate member \"e\"",
        ),
        (br#"{"alg":"PS256","crit":["exp"],"exp":1}"#, "\"crit\""),
        (br#"{"alg":"PS256","crit":[]}"#, "\"crit\""),
        (b"{\"alg\":\"PS256\",\"x\":\"\xff\"}", "not UTF-8"),
        (b"{\"alg\":\"PS256\",\"x\":\"\xc3\x28\"}", "not UTF-8"),
        (br#"{alg:"PS256"}"#, "token header is invalid"),
        (br#"{"alg":"PS256"} {}"#, "trailing"),
        (b"", "token header is invalid"),
        (br#"{"typ":"JWT"}"#, "token header has no \"alg\""),
        (br#"{"alg":256}"#, "token header \"alg\" is not a string"),
        (
            br#"{"alg":"PS256","kid":7}"#,
            "token header \"kid\" is not a string",
        ),
    ];
    for (header, fragment) in cases {
        let token = sign_token(key(), Algorithm::PS256, header, &payload);
        reject_now(&token, 300, fragment);
    }
}

#[test]
fn algorithms_other_than_ps_are_unsupported() {
    let payload = sample_claims().to_string();
    for alg in [
        "none", "None", "HS256", "RS256", "ES256", "EdDSA", "ps256", "PS256 ", "PS1024", "",
    ] {
        let header =
            json!({"alg": alg, "typ": "JWT", "kid": key().public_key().thumbprint()}).to_string();
        let fragment = format!("algorithm {alg:?} is not supported; use PS256, PS384 or PS512");

        // A genuine PS256 signature by the trusted key does not make the header acceptable.
        let token = sign_token(key(), Algorithm::PS256, &header, &payload);
        let error = reject_now(&token, 201, &fragment);
        assert_eq!(error.kind(), ErrorKind::UnsupportedSignatureMethod);

        let unsigned = format!("{}.{}.", b64(&header), b64(&payload));
        reject_now(&unsigned, 201, &fragment);
    }
}

#[test]
fn forged_hs256_and_rs256_tokens_are_unsupported() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let public_pem = key()
        .public_key()
        .to_spki_pem()
        .expect("the public key encodes as PEM");
    let private_pem = key().to_pkcs8_pem().expect("the key encodes as PKCS#8");
    std::fs::write(dir.path().join("key.pem"), private_pem.as_bytes()).expect("key.pem is written");
    let payload = b64(sample_claims().to_string());

    // HS256 keyed with the public key's PEM text: the classic algorithm confusion forgery.
    let hs_input = format!("{}.{payload}", b64(br#"{"alg":"HS256","typ":"JWT"}"#));
    std::fs::write(dir.path().join("hs.txt"), &hs_input).expect("hs.txt is written");
    let hex_key: String = public_pem.bytes().map(|b| format!("{b:02x}")).collect();
    let command = format!("dgst -sha256 -binary -mac HMAC -macopt hexkey:{hex_key} hs.txt");
    let mac = openssl(dir.path(), &command);
    assert_eq!(mac.len(), 32);
    let hs_token = format!("{hs_input}.{}", b64(&mac));
    reject_now(&hs_token, 201, "algorithm \"HS256\" is not supported");

    // RS256: a genuine PKCS#1 v1.5 signature by the trusted key.
    let rs_input = format!("{}.{payload}", b64(br#"{"alg":"RS256","typ":"JWT"}"#));
    std::fs::write(dir.path().join("rs.txt"), &rs_input).expect("rs.txt is written");
    let signature = openssl(dir.path(), "dgst -sha256 -sign key.pem rs.txt");
    assert_eq!(signature.len(), 256);
    let rs_token = format!("{rs_input}.{}", b64(&signature));
    reject_now(&rs_token, 201, "algorithm \"RS256\" is not supported");
}

#[test]
fn algorithm_outside_allow_list_is_unsupported() {
    let payload = sample_claims().to_string();
    let mut options = options_at(NOW);
    options.algorithms = vec![Algorithm::PS384];

    let header = header_for(key(), Algorithm::PS256);
    let token = sign_token(key(), Algorithm::PS256, &header, &payload);
    reject(
        &verifier(),
        &token,
        &options,
        201,
        "token algorithm PS256 is not in the allowed list [PS384]",
    );

    let header = header_for(key(), Algorithm::PS384);
    let token = sign_token(key(), Algorithm::PS384, &header, &payload);
    verify_ok(&verifier(), &token, &options);

    options.algorithms = vec![Algorithm::PS256, Algorithm::PS512];
    reject(
        &verifier(),
        &token,
        &options,
        201,
        "token algorithm PS384 is not in the allowed list [PS256, PS512]",
    );
}

// Step 4: key selection and the signature.

#[test]
fn jwks_without_key_for_kid_names_kid() {
    let verifier = jwks_verifier(vec![
        jwk_of(key(), json!({"kid": "issuer-2024"})),
        jwk_of(other_key(), json!({"kid": "issuer-2025"})),
    ]);
    let header = json!({"alg": "PS256", "typ": "JWT", "kid": "issuer-2026"}).to_string();
    let token = sign_token(
        key(),
        Algorithm::PS256,
        &header,
        sample_claims().to_string(),
    );
    let error = reject(
        &verifier,
        &token,
        &options_at(NOW),
        301,
        "no trusted key has kid \"issuer-2026\"",
    );
    assert_eq!(error.kind(), ErrorKind::SignatureInvalid);
}

#[test]
fn jwks_selects_key_by_kid() {
    let verifier = jwks_verifier(vec![
        jwk_of(key(), json!({"kid": "first"})),
        jwk_of(other_key(), json!({"kid": "second"})),
    ]);
    let payload = sample_claims().to_string();
    let header = |kid: &str| json!({"alg": "PS256", "typ": "JWT", "kid": kid}).to_string();

    let token = sign_token(other_key(), Algorithm::PS256, header("second"), &payload);
    verify_ok(&verifier, &token, &options_at(NOW));

    // The kid chooses one key, and the other key's signature does not verify with it.
    let token = sign_token(other_key(), Algorithm::PS256, header("first"), &payload);
    reject(&verifier, &token, &options_at(NOW), 301, "does not verify");

    // A token without kid is tried against each key.
    let no_kid = json!({"alg": "PS256", "typ": "JWT"}).to_string();
    let token = sign_token(other_key(), Algorithm::PS256, &no_kid, &payload);
    verify_ok(&verifier, &token, &options_at(NOW));
}

#[test]
fn jwk_without_kid_matches_thumbprint() {
    let verifier = jwks_verifier(vec![
        jwk_of(other_key(), json!({})),
        jwk_of(key(), json!({})),
    ]);
    let signer = Signer::from_pem(key().to_pkcs8_pem().expect("PKCS#8").as_bytes(), None)
        .expect("the signer loads");
    let token = signer
        .sign(sample_claims().to_string().as_bytes())
        .expect("the signer signs");
    verify_ok(&verifier, &token, &options_at(NOW));

    let kid = other_key().public_key().thumbprint();
    let header = json!({"alg": "PS256", "kid": kid}).to_string();
    let token = sign_token(
        key(),
        Algorithm::PS256,
        &header,
        sample_claims().to_string(),
    );
    reject(&verifier, &token, &options_at(NOW), 301, "does not verify");
}

#[test]
fn jwk_alg_restricts_key_to_that_algorithm() {
    let verifier = jwks_verifier(vec![jwk_of(
        key(),
        json!({"kid": "only-ps384", "alg": "PS384"}),
    )]);
    let payload = sample_claims().to_string();
    let header = |alg: &str| json!({"alg": alg, "kid": "only-ps384"}).to_string();

    let token = sign_token(key(), Algorithm::PS384, header("PS384"), &payload);
    verify_ok(&verifier, &token, &options_at(NOW));

    let token = sign_token(key(), Algorithm::PS256, header("PS256"), &payload);
    reject(
        &verifier,
        &token,
        &options_at(NOW),
        301,
        "no trusted key has kid \"only-ps384\" for PS256",
    );
}

#[test]
fn single_key_verifier_ignores_kid() {
    let header = json!({"alg": "PS256", "typ": "JWT", "kid": "an-aws-kms-key-id"}).to_string();
    let token = sign_token(
        key(),
        Algorithm::PS256,
        &header,
        sample_claims().to_string(),
    );
    verify_ok(&verifier(), &token, &options_at(NOW));
}

#[test]
fn keys_named_in_header_are_never_trusted() {
    let attacker_jwk = other_key().public_key().to_jwk();
    let header = json!({
        "alg": "PS256",
        "kid": other_key().public_key().thumbprint(),
        "jwk": attacker_jwk,
        "jku": "https://127.0.0.1/jwks.json",
        "x5u": "https://127.0.0.1/cert.pem",
        "x5c": ["MIIB"]
    })
    .to_string();
    let payload = sample_claims().to_string();

    let forged = sign_token(other_key(), Algorithm::PS256, &header, &payload);
    reject_now(&forged, 301, "does not verify");

    // The same header on a token from the trusted key is accepted: those members are ignored.
    let genuine = sign_token(key(), Algorithm::PS256, &header, &payload);
    verify_ok(&verifier(), &genuine, &options_at(NOW));
}

#[test]
fn wrong_key_signature_is_invalid() {
    let header = header_for(other_key(), Algorithm::PS384);
    let token = sign_token(
        other_key(),
        Algorithm::PS384,
        &header,
        sample_claims().to_string(),
    );
    let error = reject_now(
        &token,
        301,
        "token signature does not verify with the trusted key",
    );
    assert_eq!(error.kind(), ErrorKind::SignatureInvalid);
}

#[test]
fn altered_signatures_are_invalid() {
    let token = license_token(&sample_claims());
    let signature = unb64(&segments(&token)[2]);
    assert_eq!(signature.len(), 256);

    let mut flipped_first = signature.clone();
    flipped_first[0] ^= 0x80;
    let mut flipped_middle = signature.clone();
    flipped_middle[128] ^= 0x01;
    let mut flipped_last = signature.clone();
    flipped_last[255] ^= 0x01;
    let mut leading_zero = vec![0u8];
    leading_zero.extend_from_slice(&signature);
    let mut one_longer = signature.clone();
    one_longer.push(0);

    let cases = [
        ("one byte short", signature[..255].to_vec()),
        ("first byte dropped", signature[1..].to_vec()),
        ("one byte long", one_longer),
        ("leading zero byte", leading_zero),
        ("first bit flipped", flipped_first),
        ("middle bit flipped", flipped_middle),
        ("last bit flipped", flipped_last),
        ("empty", Vec::new()),
        ("all zeros", vec![0u8; 256]),
    ];
    for (case, bad_signature) in cases {
        let bad = replace_segment(&token, 2, &b64(&bad_signature));
        let error = reject_now(&bad, 301, "does not verify");
        assert_eq!(error.kind(), ErrorKind::SignatureInvalid, "{case}");
    }
}

#[test]
fn ps256_signature_presented_as_ps384_is_invalid() {
    let payload = sample_claims().to_string();
    let header = header_for(key(), Algorithm::PS384);
    let token = sign_token(key(), Algorithm::PS256, &header, &payload);
    reject_now(&token, 301, "does not verify");

    let header = header_for(key(), Algorithm::PS512);
    let token = sign_token(key(), Algorithm::PS384, &header, &payload);
    reject_now(&token, 301, "does not verify");
}

#[test]
fn altered_payload_or_header_is_invalid() {
    let token = license_token(&sample_claims());
    let other_payload = b64(claims_with("nodeId", Some(json!("100.20.15.99")))
        .to_string()
        .as_bytes());
    let bad = replace_segment(&token, 1, &other_payload);
    reject_now(&bad, 301, "does not verify");

    let other_header = b64(
        json!({"alg": "PS256", "kid": key().public_key().thumbprint()})
            .to_string()
            .as_bytes(),
    );
    let bad = replace_segment(&token, 0, &other_header);
    reject_now(&bad, 301, "does not verify");
}

// Step 5: the payload as JSON (license profile only).

#[test]
fn license_profile_rejects_non_json_payload() {
    let sample = sample_claims().to_string();
    let duplicated = sample.replacen('{', r#"{"nodeId":"100.20.15.99","#, 1);
    let cases: [(&[u8], &str); 8] = [
        (b"not json at all", "token payload is invalid"),
        (duplicated.as_bytes(), "duplicate member \"nodeId\""),
        (b"{\"note\":\"\xff\"}", "not UTF-8"),
        (br#"{"a":1} {"a":2}"#, "trailing"),
        (b"", "token payload is invalid"),
        (br#"["issuedAt"]"#, "token payload is not a JSON object"),
        (br#""a string""#, "token payload is not a JSON object"),
        (b"\x00\x01\x02binary", "token payload is invalid"),
    ];

    let jws = VerifyOptions {
        profile: Profile::Jws,
        ..options_at(NOW)
    };
    for (payload, fragment) in cases {
        let header = json!({"alg": "PS256", "kid": key().public_key().thumbprint()}).to_string();
        let token = sign_token(key(), Algorithm::PS256, &header, payload);
        reject_now(&token, 300, fragment);

        // The jws profile stops after the signature and returns the bytes as signed.
        let verified = verify_ok(&verifier(), &token, &jws);
        assert_eq!(verified.payload, payload);
        assert!(verified.claims.is_none());
    }
}

#[test]
fn jws_profile_skips_claim_checks() {
    let token = license_token(&claims_with("issuedAt", None));
    let jws = VerifyOptions {
        profile: Profile::Jws,
        node_id: Some("another-node".into()),
        require_entitlements: vec![required("Absent", None)],
        ..options_at(EXPIRATION + 100_000)
    };
    let verified = verify_ok(&verifier(), &token, &jws);
    assert_eq!(
        verified.payload,
        claims_with("issuedAt", None).to_string().into_bytes()
    );

    // The signature is still checked under the jws profile.
    let forged = sign_token(
        other_key(),
        Algorithm::PS256,
        header_for(key(), Algorithm::PS256).as_bytes(),
        b"any bytes",
    );
    reject(&verifier(), &forged, &jws, 301, "does not verify");
}

// Step 6: the claims.

#[test]
fn each_missing_claim_is_malformed() {
    let cases = [
        ("issuedAt", "token has no \"issuedAt\" claim"),
        ("expiration", "token has no \"expiration\" claim"),
        ("licenseArn", "token has no \"licenseArn\" claim"),
        (
            "licenseConsumptionToken",
            "token has no \"licenseConsumptionToken\" claim",
        ),
        (
            "entitlementsAllowed",
            "token claim \"entitlementsAllowed\" is missing or not an array",
        ),
    ];
    for (name, fragment) in cases {
        let token = license_token(&claims_with(name, None));
        reject_now(&token, 300, fragment);
    }
}

#[test]
fn each_mistyped_claim_is_malformed() {
    let cases = [
        (
            "issuedAt",
            json!(ISSUED_AT),
            "token claim \"issuedAt\" is not a string",
        ),
        (
            "expiration",
            json!(null),
            "token claim \"expiration\" is not a string",
        ),
        (
            "licenseArn",
            json!(["arn:aws:license-manager"]),
            "token claim \"licenseArn\" is not a string",
        ),
        (
            "licenseConsumptionToken",
            json!(12),
            "token claim \"licenseConsumptionToken\" is not a string",
        ),
        (
            "entitlementsAllowed",
            json!({"name": "EntitlementCount"}),
            "\"entitlementsAllowed\" is missing or not an array",
        ),
        (
            "entitlementsAllowed",
            json!("EntitlementCount"),
            "\"entitlementsAllowed\" is missing or not an array",
        ),
        (
            "entitlementsAllowed",
            json!(["EntitlementCount"]),
            "token entitlementsAllowed[0] is not an object",
        ),
        (
            "entitlementsAllowed",
            json!([{"name": "Seats", "unit": "Count"}]),
            "token entitlementsAllowed[0].value is missing or not a string",
        ),
        (
            "entitlementsAllowed",
            json!([{"name": "Seats", "value": "1"}]),
            "token entitlementsAllowed[0].unit is missing or not a string",
        ),
        (
            "entitlementsAllowed",
            json!([{"name": "Seats", "unit": "Count", "value": "1"}, {"name": 7, "unit": "Count", "value": "1"}]),
            "token entitlementsAllowed[1].name is missing or not a string",
        ),
        (
            "entitlementsAllowed",
            json!([{"name": "Seats", "unit": "Count", "value": 1}]),
            "token entitlementsAllowed[0].value is missing or not a string",
        ),
        (
            "nodeId",
            json!(100),
            "token claim \"nodeId\" is not a string",
        ),
        (
            "checkoutMetadata",
            json!("Mac=ABCDEFGHI"),
            "token claim \"checkoutMetadata\" is not an object",
        ),
        (
            "iat",
            json!(ISSUED_AT.to_string()),
            "token claim \"iat\" is not the NumericDate of \"issuedAt\"",
        ),
        (
            "exp",
            json!(EXPIRATION as f64),
            "token claim \"exp\" is not the NumericDate of \"expiration\"",
        ),
    ];
    for (name, value, fragment) in cases {
        let token = license_token(&claims_with(name, Some(value)));
        reject_now(&token, 300, fragment);
    }
}

#[test]
fn times_outside_grammar_are_malformed() {
    let texts = [
        "2020-11-30T23:47:35z",
        "2020-11-30t23:47:35",
        "2020-11-30T23:47:35+00:00",
        "2020-11-30T23:47:35-05:00",
        "2020-11-30T23:47:35+0000",
        "2020-11-30T23:47:60",
        "0000-11-30T23:47:35",
        "2020-02-30T23:47:35",
        "2020-11-30 23:47:35",
        "2020-11-30T23:47",
        "2020-11-30T23:47:35.",
        "2020-11-30T23:47:35.1234567890",
        " 2020-11-30T23:47:35",
        "2020-11-30T23:47:35Z ",
        "1606780055",
        "",
    ];
    for name in ["issuedAt", "expiration"] {
        let fragment =
            format!("token claim \"{name}\" is not a time of the form YYYY-MM-DDThh:mm:ss");
        for text in texts {
            let token = license_token(&claims_with(name, Some(json!(text))));
            reject_now(&token, 300, &fragment);
        }
    }
}

#[test]
fn times_in_grammar_are_accepted() {
    for text in [
        "2020-11-30T23:47:35Z",
        "2020-11-30T23:47:35.5",
        "2020-11-30T23:47:35.123456789Z",
    ] {
        let token = license_token(&claims_with("issuedAt", Some(json!(text))));
        let verified = verify_ok(&verifier(), &token, &options_at(NOW));
        assert_eq!(
            verified.claims.expect("claims").issued_at,
            ISSUED_AT,
            "{text}"
        );
    }
}

#[test]
fn expiration_before_issued_at_is_malformed() {
    let mut claims = sample_claims();
    claims["issuedAt"] = json!("2020-12-01T00:47:35");
    claims["expiration"] = json!("2020-12-01T00:47:34");
    claims.as_object_mut().expect("object").remove("iat");
    claims.as_object_mut().expect("object").remove("exp");
    let token = license_token(&claims);
    reject_now(&token, 300, "token expiration is before its issuedAt");

    // Equal times are a zero-length window, which the leeway still lets verify.
    claims["expiration"] = json!("2020-12-01T00:47:35");
    let token = license_token(&claims);
    verify_ok(&verifier(), &token, &options_at(EXPIRATION));
}

#[test]
fn numeric_dates_must_equal_aws_times() {
    let token = license_token(&claims_with("iat", Some(json!(ISSUED_AT + 1))));
    reject_now(
        &token,
        300,
        "token claim \"iat\" is not the NumericDate of \"issuedAt\"",
    );

    let token = license_token(&claims_with("exp", Some(json!(EXPIRATION - 1))));
    reject_now(
        &token,
        300,
        "token claim \"exp\" is not the NumericDate of \"expiration\"",
    );

    // AWS tokens carry neither member.
    let mut aws = sample_claims();
    aws.as_object_mut().expect("object").remove("iat");
    aws.as_object_mut().expect("object").remove("exp");
    verify_ok(
        &verifier(),
        license_token(&aws).as_bytes(),
        &options_at(NOW),
    );
}

#[test]
fn issued_at_beyond_leeway_is_not_yet_valid() {
    let token = license_token(&sample_claims());
    let error = reject(
        &verifier(),
        &token,
        &options_at(ISSUED_AT - 61),
        303,
        "token issuedAt \"2020-11-30T23:47:35\" lies in the future",
    );
    assert_eq!(error.kind(), ErrorKind::TokenNotYetValid);

    let strict = VerifyOptions {
        leeway_seconds: 0,
        ..options_at(ISSUED_AT - 1)
    };
    reject(&verifier(), &token, &strict, 303, "lies in the future");
}

#[test]
fn issued_at_within_leeway_is_accepted() {
    let token = license_token(&sample_claims());
    verify_ok(&verifier(), &token, &options_at(ISSUED_AT - 60));
    let strict = VerifyOptions {
        leeway_seconds: 0,
        ..options_at(ISSUED_AT)
    };
    verify_ok(&verifier(), &token, &strict);
    let generous = VerifyOptions {
        leeway_seconds: 86400,
        ..options_at(ISSUED_AT - 86400)
    };
    verify_ok(&verifier(), &token, &generous);
}

#[test]
fn expiration_passed_is_expired() {
    let token = license_token(&sample_claims());
    // now == expiration + leeway is already expired.
    let error = reject(
        &verifier(),
        &token,
        &options_at(EXPIRATION + 60),
        302,
        "token expired at \"2020-12-01T00:47:35\"",
    );
    assert_eq!(error.kind(), ErrorKind::TokenExpired);
    reject(
        &verifier(),
        &token,
        &options_at(EXPIRATION + 10_000_000),
        302,
        "token expired at",
    );

    let strict = VerifyOptions {
        leeway_seconds: 0,
        ..options_at(EXPIRATION)
    };
    reject(&verifier(), &token, &strict, 302, "token expired at");
}

#[test]
fn expiration_within_leeway_is_accepted() {
    let token = license_token(&sample_claims());
    verify_ok(&verifier(), &token, &options_at(EXPIRATION + 59));
    let strict = VerifyOptions {
        leeway_seconds: 0,
        ..options_at(EXPIRATION - 1)
    };
    verify_ok(&verifier(), &token, &strict);
}

#[test]
fn verifier_clock_applies_without_now() {
    let clock = Arc::new(FixedClock::new(NOW));
    let verifier = verifier().with_clock(clock.clone());
    let token = license_token(&sample_claims());
    let options = VerifyOptions::default();
    verify_ok(&verifier, &token, &options);

    clock.set(EXPIRATION + 60);
    reject(&verifier, &token, &options, 302, "token expired at");
    clock.set(ISSUED_AT - 61);
    reject(&verifier, &token, &options, 303, "lies in the future");

    // An explicit `now` overrides the clock.
    verify_ok(&verifier, &token, &options_at(NOW));
}

#[test]
fn required_node_absent_is_mismatch() {
    let token = license_token(&claims_with("nodeId", None));
    verify_ok(&verifier(), &token, &options_at(NOW));

    let options = VerifyOptions {
        node_id: Some("100.20.15.10".into()),
        ..options_at(NOW)
    };
    let error = reject(
        &verifier(),
        &token,
        &options,
        304,
        "token has no nodeId, but node \"100.20.15.10\" was required",
    );
    assert_eq!(error.kind(), ErrorKind::NodeMismatch);
}

#[test]
fn required_node_is_compared_byte_for_byte() {
    let token = license_token(&sample_claims());
    let with_node = |node: &str| VerifyOptions {
        node_id: Some(node.into()),
        ..options_at(NOW)
    };
    verify_ok(&verifier(), &token, &with_node("100.20.15.10"));

    for node in ["100.20.15.11", "100.20.15.10 ", "100.020.15.10", ""] {
        let fragment = format!("token is bound to node \"100.20.15.10\", not {node:?}");
        reject(&verifier(), &token, &with_node(node), 304, &fragment);
    }
}

#[test]
fn required_entitlement_absent_is_missing() {
    let token = license_token(&sample_claims());
    for name in ["Seats", "entitlementcount", "EntitlementCount "] {
        let options = VerifyOptions {
            require_entitlements: vec![required(name, None)],
            ..options_at(NOW)
        };
        let fragment = format!("token does not grant entitlement {name:?}");
        let error = reject(&verifier(), &token, &options, 305, &fragment);
        assert_eq!(error.kind(), ErrorKind::EntitlementMissing);
    }
}

#[test]
fn required_quantity_is_compared_numerically() {
    let token = license_token(&sample_claims());
    let requiring = |value: &str| VerifyOptions {
        require_entitlements: vec![required("EntitlementCount", Some(value))],
        ..options_at(NOW)
    };
    // "10" >= "9" and "10" >= "2" hold as numbers, not as strings.
    for value in ["1", "2", "9", "10"] {
        verify_ok(&verifier(), &token, &requiring(value));
    }
    for value in ["11", "100", "9223372036854775807"] {
        let fragment = format!("token grants entitlement \"EntitlementCount\" with value \"10\", but {value:?} is required");
        reject(&verifier(), &token, &requiring(value), 305, &fragment);
    }
}

#[test]
fn unit_none_value_is_compared_byte_for_byte() {
    let token = license_token(&sample_claims());
    let requiring = |name: &str, value: &str| VerifyOptions {
        require_entitlements: vec![required(name, Some(value))],
        ..options_at(NOW)
    };
    verify_ok(
        &verifier(),
        &token,
        &requiring("EnterpriseTier", "Enterprise"),
    );
    verify_ok(&verifier(), &token, &requiring("Version", "10"));

    let cases = [
        ("EnterpriseTier", "enterprise", "\"Enterprise\""),
        ("EnterpriseTier", "Enterprise ", "\"Enterprise\""),
        ("EnterpriseTier", "Enterpris", "\"Enterprise\""),
        // Unit None values are not quantities, so "10" does not satisfy "9".
        ("Version", "9", "\"10\""),
    ];
    for (name, value, granted) in cases {
        let fragment = format!(
            "token grants entitlement {name:?} with value {granted}, but {value:?} is required"
        );
        reject(&verifier(), &token, &requiring(name, value), 305, &fragment);
    }
}

#[test]
fn every_required_entitlement_is_checked() {
    let token = license_token(&sample_claims());
    let options = VerifyOptions {
        require_entitlements: vec![
            required("EntitlementCount", Some("5")),
            required("EnterpriseTier", None),
            required("Version", Some("10")),
        ],
        ..options_at(NOW)
    };
    verify_ok(&verifier(), &token, &options);

    let options = VerifyOptions {
        require_entitlements: vec![
            required("EntitlementCount", Some("5")),
            required("Storage", Some("1")),
        ],
        ..options_at(NOW)
    };
    reject(
        &verifier(),
        &token,
        &options,
        305,
        "token does not grant entitlement \"Storage\"",
    );
}

// The order of the steps: the first failing one decides the status.

#[test]
fn first_failing_step_decides_status() {
    let expired = options_at(EXPIRATION + 100_000);
    let payload = sample_claims().to_string();
    let thumbprint = key().public_key().thumbprint().to_owned();

    // An unsupported algorithm on an expired token.
    let header = json!({"alg": "HS256", "kid": thumbprint}).to_string();
    let token = sign_token(key(), Algorithm::PS256, &header, &payload);
    reject(
        &verifier(),
        &token,
        &expired,
        201,
        "algorithm \"HS256\" is not supported",
    );

    // An algorithm outside the allow-list on a token with a wrong signature.
    let header = header_for(key(), Algorithm::PS512);
    let token = sign_token(other_key(), Algorithm::PS512, &header, &payload);
    let options = VerifyOptions {
        algorithms: vec![Algorithm::PS256],
        ..options_at(NOW)
    };
    reject(
        &verifier(),
        &token,
        &options,
        201,
        "not in the allowed list",
    );

    // `crit` next to alg none: the header check comes before the algorithm.
    let header = json!({"alg": "none", "crit": ["b64"], "b64": false}).to_string();
    let token = format!("{}.{}.", b64(&header), b64(&payload));
    reject(&verifier(), &token, &expired, 300, "\"crit\"");

    // Bad base64 in the signature next to alg none: encoding comes before the algorithm.
    let header = json!({"alg": "none"}).to_string();
    let token = format!("{}.{}.AAA=", b64(&header), b64(&payload));
    reject(
        &verifier(),
        &token,
        &expired,
        300,
        "token signature is not strict unpadded base64url",
    );

    // Four segments with alg none.
    let token = format!("{}.{}.AAAA.AAAA", b64(&header), b64(&payload));
    reject(&verifier(), &token, &expired, 300, "token has 4 segment(s)");

    // A wrong signature over a payload that is not JSON.
    let header = header_for(key(), Algorithm::PS256);
    let token = sign_token(other_key(), Algorithm::PS256, &header, b"not json");
    reject_now(&token, 301, "does not verify");

    // An unknown kid on an expired token.
    let jwks = jwks_verifier(vec![jwk_of(key(), json!({"kid": "known"}))]);
    let header = json!({"alg": "PS256", "kid": "unknown"}).to_string();
    let token = sign_token(key(), Algorithm::PS256, &header, &payload);
    reject(
        &jwks,
        &token,
        &expired,
        301,
        "no trusted key has kid \"unknown\"",
    );

    // A malformed time on an expired token.
    let token = license_token(&claims_with(
        "issuedAt",
        Some(json!("2020-11-30T23:47:35z")),
    ));
    reject(
        &verifier(),
        &token,
        &expired,
        300,
        "\"issuedAt\" is not a time",
    );

    // Not yet valid, on the wrong node and without the required entitlement.
    let token = license_token(&sample_claims());
    let everything_wrong = |now: i64| VerifyOptions {
        node_id: Some("another-node".into()),
        require_entitlements: vec![required("Storage", None)],
        ..options_at(now)
    };
    reject(
        &verifier(),
        &token,
        &everything_wrong(ISSUED_AT - 1000),
        303,
        "lies in the future",
    );
    reject(
        &verifier(),
        &token,
        &everything_wrong(EXPIRATION + 1000),
        302,
        "token expired at",
    );
    reject(
        &verifier(),
        &token,
        &everything_wrong(NOW),
        304,
        "not \"another-node\"",
    );
    let options = VerifyOptions {
        require_entitlements: vec![required("Storage", None)],
        ..options_at(NOW)
    };
    reject(&verifier(), &token, &options, 305, "\"Storage\"");
}

#[test]
fn messages_never_contain_signature_text() {
    let token = license_token(&sample_claims());
    let signature_text = segments(&token)[2].clone();
    let payload_text = segments(&token)[1].clone();
    let with_options = |change: fn(&mut VerifyOptions)| {
        let mut options = options_at(NOW);
        change(&mut options);
        options
    };
    let failures = [
        (with_options(|o| o.max_token_bytes = 100), 300),
        (with_options(|o| o.algorithms = vec![Algorithm::PS512]), 201),
        (with_options(|o| o.now = Some(EXPIRATION + 60)), 302),
        (with_options(|o| o.now = Some(ISSUED_AT - 61)), 303),
        (with_options(|o| o.node_id = Some("n".into())), 304),
        (
            with_options(|o| {
                o.require_entitlements = vec![required("EntitlementCount", Some("11"))]
            }),
            305,
        ),
    ];
    for (options, status) in failures {
        let error = expect_error(verifier().verify(token.as_bytes(), &options), status, "");
        assert!(
            !error.message().contains(&signature_text),
            "{}",
            error.message()
        );
        assert!(
            !error.message().contains(&payload_text),
            "{}",
            error.message()
        );
    }
    let error = expect_error(
        Verifier::from_pem(
            other_key()
                .public_key()
                .to_spki_pem()
                .expect("PEM")
                .as_bytes(),
        )
        .expect("the other key loads")
        .verify(token.as_bytes(), &options_at(NOW)),
        301,
        "",
    );
    assert!(
        !error.message().contains(&signature_text),
        "{}",
        error.message()
    );
}

// Key loading from files written by the openssl command line.

/// Checks a key loading failure: status 200, a message containing `fragment`, and no line
/// of the key's PEM body (or of its DER bytes) in the message.
fn expect_key_error<T: std::fmt::Debug>(
    result: checkout::Result<T>,
    fragment: &str,
    key_input: &[u8],
) -> Error {
    let error = expect_error(result, 200, fragment);
    assert_eq!(error.kind(), ErrorKind::KeyInvalid);
    let lines = key_input
        .split(|&b| b == b'\n')
        .filter(|line| line.len() >= 16 && !line.starts_with(b"-----"));
    for line in lines {
        assert!(
            !contains(error.message().as_bytes(), &line[..16]),
            "message {:?} quotes key material",
            error.message()
        );
    }
    error
}

fn read(dir: &Path, name: &str) -> Vec<u8> {
    std::fs::read(dir.join(name)).unwrap_or_else(|e| panic!("{name} could not be read: {e}"))
}

/// Generates a key with `openssl genpkey` into `name` (PKCS#8 PEM), passing each of
/// `options` as a `-pkeyopt`, and returns the file's bytes.
fn genpkey(dir: &Path, algorithm: &str, name: &str, options: &[&str]) -> Vec<u8> {
    let mut command = format!("genpkey -algorithm {algorithm} -out {name}");
    for option in options {
        command.push_str(" -pkeyopt ");
        command.push_str(option);
    }
    openssl(dir, &command);
    read(dir, name)
}

#[test]
fn openssl_private_key_forms_load() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let path = dir.path();
    genpkey(path, "RSA", "pkcs8.pem", &["rsa_keygen_bits:2048"]);
    openssl(path, "rsa -in pkcs8.pem -traditional -out pkcs1.pem");
    openssl(
        path,
        "rsa -in pkcs8.pem -traditional -outform DER -out pkcs1.der",
    );
    openssl(path, "pkey -in pkcs8.pem -outform DER -out pkcs8.der");
    openssl(path, "pkey -in pkcs8.pem -pubout -out public.pem");
    assert!(read(path, "pkcs8.pem").starts_with(b"-----BEGIN PRIVATE KEY-----"));
    assert!(read(path, "pkcs1.pem").starts_with(b"-----BEGIN RSA PRIVATE KEY-----"));

    let verifier =
        Verifier::from_pem(&read(path, "public.pem")).expect("the openssl public key loads");
    let expected = verifier.keys().to_jwks()["keys"][0]["kid"]
        .as_str()
        .expect("kid")
        .to_owned();
    for name in ["pkcs8.pem", "pkcs1.pem", "pkcs8.der", "pkcs1.der"] {
        let input = read(path, name);
        let key = PrivateKey::from_pem_or_der(&input)
            .unwrap_or_else(|e| panic!("{name}: {}", e.message()));
        assert_eq!(key.public_key().thumbprint(), expected, "{name}");
        assert_eq!(key.public_key().bits(), 2048, "{name}");
        assert_eq!(key.public_key().restricted_to(), None, "{name}");

        let signer = Signer::from_pem(&input, Some(Algorithm::PS512))
            .unwrap_or_else(|e| panic!("{name}: {}", e.message()));
        let token = signer
            .sign(sample_claims().to_string().as_bytes())
            .expect("the signer signs");
        verify_ok(&verifier, &token, &options_at(NOW));
    }
}

#[test]
fn openssl_public_key_forms_load() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let path = dir.path();
    let private = genpkey(path, "RSA", "key.pem", &["rsa_keygen_bits:3072"]);
    openssl(path, "pkey -in key.pem -pubout -out spki.pem");
    openssl(path, "pkey -in key.pem -pubout -outform DER -out spki.der");
    openssl(path, "rsa -in key.pem -RSAPublicKey_out -out pkcs1.pem");
    openssl(
        path,
        "rsa -in key.pem -RSAPublicKey_out -outform DER -out pkcs1.der",
    );
    assert!(read(path, "spki.pem").starts_with(b"-----BEGIN PUBLIC KEY-----"));
    assert!(read(path, "pkcs1.pem").starts_with(b"-----BEGIN RSA PUBLIC KEY-----"));

    let signer = Signer::from_pem(&private, Some(Algorithm::PS384)).expect("the openssl key loads");
    let token = signer
        .sign(sample_claims().to_string().as_bytes())
        .expect("the signer signs");
    for name in ["spki.pem", "spki.der", "pkcs1.pem", "pkcs1.der"] {
        let input = read(path, name);
        let public = PublicKey::from_pem_or_der(&input)
            .unwrap_or_else(|e| panic!("{name}: {}", e.message()));
        assert_eq!(public.thumbprint(), signer.kid(), "{name}");
        assert_eq!(public.bits(), 3072, "{name}");
        assert_eq!(public.modulus_len(), 384, "{name}");

        let verifier = Verifier::from_pem(&input).expect("the verifier loads");
        verify_ok(&verifier, &token, &options_at(NOW));
    }
}

#[test]
fn thumbprint_matches_openssl_digest() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let path = dir.path();
    let private = genpkey(path, "RSA", "key.pem", &["rsa_keygen_bits:2048"]);
    let modulus_line = String::from_utf8(openssl(path, "rsa -in key.pem -noout -modulus"))
        .expect("openssl prints ASCII");
    let modulus_hex = modulus_line
        .trim()
        .strip_prefix("Modulus=")
        .expect("openssl prints Modulus=");
    let modulus = common::hex(modulus_hex);

    // RFC 7638: SHA-256 over the required members in lexicographic order, no whitespace.
    let canonical = format!(r#"{{"e":"AQAB","kty":"RSA","n":"{}"}}"#, b64(&modulus));
    std::fs::write(path.join("canonical.json"), canonical).expect("canonical.json is written");
    let digest = openssl(path, "dgst -sha256 -binary canonical.json");

    let key = PrivateKey::from_pem_or_der(&private).expect("the openssl key loads");
    assert_eq!(key.public_key().thumbprint(), b64(&digest));
    assert_eq!(key.public_key().thumbprint().len(), 43);
}

#[test]
fn openssl_pss_salt_must_equal_hash_length() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let path = dir.path();
    let private = genpkey(path, "RSA", "key.pem", &["rsa_keygen_bits:2048"]);
    let key = PrivateKey::from_pem_or_der(&private).expect("the openssl key loads");
    let verifier = Verifier::from_pem(key.public_key().to_spki_pem().expect("PEM").as_bytes())
        .expect("the verifier loads");
    let payload = b64(sample_claims().to_string());

    let cases = [
        (Algorithm::PS256, "sha256", "32"),
        (Algorithm::PS384, "sha384", "48"),
        (Algorithm::PS512, "sha512", "64"),
    ];
    for (algorithm, digest, salt) in cases {
        let input = format!("{}.{payload}", b64(header_for(&key, algorithm).as_bytes()));
        std::fs::write(path.join("input.txt"), &input).expect("input.txt is written");
        let sign = |salt_length: &str, mgf1: &str| {
            let command = format!(
                "dgst -{digest} -sign key.pem -sigopt rsa_padding_mode:pss \
                 -sigopt rsa_pss_saltlen:{salt_length} -sigopt rsa_mgf1_md:{mgf1} input.txt"
            );
            let signature = openssl(path, &command);
            format!("{input}.{}", b64(&signature))
        };

        let token = sign(salt, digest);
        verify_ok(&verifier, &token, &options_at(NOW));

        for (salt_length, mgf1) in [
            ("0", digest),
            ("20", digest),
            ("max", digest),
            (salt, "sha1"),
        ] {
            let token = sign(salt_length, mgf1);
            let error = reject(&verifier, &token, &options_at(NOW), 301, "does not verify");
            assert_eq!(
                error.kind(),
                ErrorKind::SignatureInvalid,
                "{algorithm} salt {salt_length} mgf1 {mgf1}"
            );
        }
    }
}

#[test]
fn modulus_outside_2048_to_4096_bits_is_rejected() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let path = dir.path();
    for bits in [1024, 8192] {
        let name = format!("rsa{bits}.pem");
        let public_name = format!("rsa{bits}.pub.pem");
        let private = genpkey(path, "RSA", &name, &[&format!("rsa_keygen_bits:{bits}")]);
        openssl(path, &format!("pkey -in {name} -pubout -out {public_name}"));
        let public = read(path, &public_name);
        let fragment = format!("RSA modulus is {bits} bits; libcheckout accepts 2048 to 4096 bits");

        expect_key_error(PrivateKey::from_pem_or_der(&private), &fragment, &private);
        expect_key_error(Signer::from_pem(&private, None), &fragment, &private);
        expect_key_error(PublicKey::from_pem_or_der(&public), &fragment, &public);
        expect_key_error(Verifier::from_pem(&public), &fragment, &public);

        let modulus_line =
            String::from_utf8(openssl(path, &format!("rsa -in {name} -noout -modulus")))
                .expect("openssl prints ASCII");
        let modulus = common::hex(modulus_line.trim().trim_start_matches("Modulus="));
        let jwks = json!({"keys": [{"kty": "RSA", "n": b64(&modulus), "e": "AQAB"}]}).to_string();
        expect_key_error(
            Verifier::from_jwks(jwks.as_bytes()),
            &format!("JWKS keys[0]: {fragment}"),
            jwks.as_bytes(),
        );
    }

    // The upper bound itself is accepted.
    let private = genpkey(path, "RSA", "rsa4096.pem", &["rsa_keygen_bits:4096"]);
    let key = PrivateKey::from_pem_or_der(&private).expect("a 4096-bit key loads");
    assert_eq!(key.public_key().bits(), 4096);
}

#[test]
fn exponent_3_is_rejected() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let path = dir.path();
    let private = genpkey(
        path,
        "RSA",
        "e3.pem",
        &["rsa_keygen_bits:2048", "rsa_keygen_pubexp:3"],
    );
    openssl(path, "pkey -in e3.pem -pubout -out e3.pub.pem");
    let public = read(path, "e3.pub.pem");
    let fragment = "RSA public exponent is 3; it must be odd and between 65537 and 8589934591";

    expect_key_error(PrivateKey::from_pem_or_der(&private), fragment, &private);
    expect_key_error(PublicKey::from_pem_or_der(&public), fragment, &public);
    expect_key_error(Verifier::from_pem(&public), fragment, &public);
}

#[test]
fn pss_ps384_key_is_restricted() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let path = dir.path();
    let private = genpkey(
        path,
        "RSA-PSS",
        "pss.pem",
        &[
            "rsa_keygen_bits:2048",
            "rsa_pss_keygen_md:sha384",
            "rsa_pss_keygen_mgf1_md:sha384",
            "rsa_pss_keygen_saltlen:48",
        ],
    );
    openssl(path, "pkey -in pss.pem -pubout -out pss.pub.pem");
    openssl(
        path,
        "pkey -in pss.pem -pubout -outform DER -out pss.pub.der",
    );

    let key = PrivateKey::from_pem_or_der(&private).expect("the id-RSASSA-PSS key loads");
    assert_eq!(key.public_key().restricted_to(), Some(Algorithm::PS384));
    expect_error(
        key.sign(Algorithm::PS256, b"message"),
        201,
        "restricted to PS384; PS256 was requested",
    );

    let signer = Signer::from_pem(&private, None).expect("the signer loads");
    assert_eq!(signer.algorithm(), Algorithm::PS384);
    expect_error(
        Signer::from_pem(&private, Some(Algorithm::PS512)),
        201,
        "restricted to PS384; PS512 was requested",
    );
    let token = signer
        .sign(sample_claims().to_string().as_bytes())
        .expect("the signer signs");

    for name in ["pss.pub.pem", "pss.pub.der"] {
        let public = read(path, name);
        let key = PublicKey::from_pem_or_der(&public).expect("the id-RSASSA-PSS public key loads");
        assert_eq!(key.restricted_to(), Some(Algorithm::PS384), "{name}");
        let verifier = Verifier::from_pem(&public).expect("the verifier loads");
        verify_ok(&verifier, &token, &options_at(NOW));
    }

    // The same RSA key as PKCS#1, which has no PSS parameters, signs PS256, which the
    // restricted public key must not accept.
    openssl(
        path,
        "rsa -in pss.pem -traditional -outform DER -out plain.der",
    );
    let plain = Signer::from_pem(&read(path, "plain.der"), Some(Algorithm::PS256))
        .expect("the PKCS#1 key loads");
    assert_eq!(plain.kid(), signer.kid());
    let token = plain
        .sign(sample_claims().to_string().as_bytes())
        .expect("the signer signs");
    let verifier = Verifier::from_pem(&read(path, "pss.pub.pem")).expect("the verifier loads");
    reject(&verifier, &token, &options_at(NOW), 301, "does not verify");
}

#[test]
fn pss_key_without_parameters_is_unrestricted() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let private = genpkey(dir.path(), "RSA-PSS", "pss.pem", &["rsa_keygen_bits:2048"]);
    let key = PrivateKey::from_pem_or_der(&private).expect("the id-RSASSA-PSS key loads");
    assert_eq!(key.public_key().restricted_to(), None);
    for algorithm in Algorithm::ALL {
        let signature = key.sign(algorithm, b"message").expect("the key signs");
        assert!(
            key.public_key().verify(algorithm, b"message", &signature),
            "{algorithm}"
        );
    }
}

#[test]
fn pss_key_with_mismatching_parameters_is_rejected() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let path = dir.path();
    let cases = [
        (
            [
                "rsa_pss_keygen_md:sha256",
                "rsa_pss_keygen_mgf1_md:sha384",
                "rsa_pss_keygen_saltlen:32",
            ],
            "uses another mask generation than MGF1 with PS256's hash",
        ),
        (
            [
                "rsa_pss_keygen_md:sha384",
                "rsa_pss_keygen_mgf1_md:sha384",
                "rsa_pss_keygen_saltlen:32",
            ],
            "id-RSASSA-PSS key has salt length 32; PS384 requires 48",
        ),
        (
            [
                "rsa_pss_keygen_md:sha1",
                "rsa_pss_keygen_mgf1_md:sha1",
                "rsa_pss_keygen_saltlen:20",
            ],
            "uses hash OID 1.3.14.3.2.26",
        ),
    ];
    for (index, (options, fragment)) in cases.iter().enumerate() {
        let name = format!("pss{index}.pem");
        let public_name = format!("pss{index}.pub.pem");
        let mut all = vec!["rsa_keygen_bits:2048"];
        all.extend_from_slice(options);
        let private = genpkey(path, "RSA-PSS", &name, &all);
        openssl(path, &format!("pkey -in {name} -pubout -out {public_name}"));
        let public = read(path, &public_name);

        expect_key_error(PrivateKey::from_pem_or_der(&private), fragment, &private);
        expect_key_error(PublicKey::from_pem_or_der(&public), fragment, &public);
    }
}

#[test]
fn encrypted_pkcs8_needs_its_passphrase() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let path = dir.path();
    let command = "genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -aes256 -pass pass:x -out encrypted.pem";
    openssl(path, command);
    let encrypted = read(path, "encrypted.pem");
    assert!(encrypted.starts_with(b"-----BEGIN ENCRYPTED PRIVATE KEY-----"));

    expect_key_error(
        PrivateKey::from_pem_or_der(&encrypted),
        "load it with its passphrase",
        &encrypted,
    );
    expect_key_error(
        Signer::from_pem(&encrypted, None),
        "lm_signer_from_encrypted_pem",
        &encrypted,
    );
    expect_key_error(
        Verifier::from_pem(&encrypted),
        "pass the public key",
        &encrypted,
    );

    openssl(path, "pkcs8 -topk8 -v2 aes256 -passin pass:x -passout pass:x -in encrypted.pem -outform DER -out encrypted.der");
    let encrypted_der = read(path, "encrypted.der");
    expect_key_error(
        PrivateKey::from_pem_or_der(&encrypted_der),
        "load it with its passphrase",
        &encrypted_der,
    );
    expect_key_error(
        Verifier::from_pem(&encrypted_der),
        "pass the public key",
        &encrypted_der,
    );
}

#[test]
fn public_der_given_to_signer_is_rejected() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let path = dir.path();
    genpkey(path, "RSA", "key.pem", &["rsa_keygen_bits:2048"]);
    openssl(
        path,
        "pkey -in key.pem -pubout -outform DER -out public.der",
    );
    let public = read(path, "public.der");
    expect_key_error(
        Signer::from_pem(&public, None),
        "this is a public key",
        &public,
    );
}

#[test]
fn private_key_given_to_verifier_is_rejected() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let path = dir.path();
    genpkey(path, "RSA", "pkcs8.pem", &["rsa_keygen_bits:2048"]);
    openssl(path, "rsa -in pkcs8.pem -traditional -out pkcs1.pem");
    openssl(
        path,
        "rsa -in pkcs8.pem -traditional -outform DER -out pkcs1.der",
    );
    openssl(path, "pkey -in pkcs8.pem -outform DER -out pkcs8.der");

    for name in ["pkcs8.pem", "pkcs1.pem", "pkcs8.der", "pkcs1.der"] {
        let input = read(path, name);
        let error = expect_key_error(
            Verifier::from_pem(&input),
            "this is a private key; pass the public key",
            &input,
        );
        assert_eq!(error.status(), 200, "{name}");
        expect_key_error(
            PublicKey::from_pem_or_der(&input),
            "pass the public key",
            &input,
        );
    }

    let private_jwk =
        json!({"keys": [jwk_of(key(), json!({"d": "AQAB", "p": "AQAB"}))]}).to_string();
    expect_key_error(
        Verifier::from_jwks(private_jwk.as_bytes()),
        "private member \"d\"; pass the public key",
        private_jwk.as_bytes(),
    );
}

#[test]
fn public_key_given_to_signer_is_rejected() {
    let pem = key().public_key().to_spki_pem().expect("PEM");
    expect_key_error(
        Signer::from_pem(pem.as_bytes(), None),
        "this is a public key; a signer needs the private key",
        pem.as_bytes(),
    );
    expect_key_error(
        PrivateKey::from_pem_or_der(pem.as_bytes()),
        "a signer needs the private key",
        pem.as_bytes(),
    );
}

#[test]
fn unreadable_key_input_is_rejected() {
    let cases: [(&[u8], &str); 5] = [
        (b"", "key is neither DER (first byte 0x30) nor"),
        (b"hello", "key is neither DER (first byte 0x30) nor PEM"),
        (
            b"\xff\xfe",
            "key is neither DER (first byte 0x30) nor UTF-8 PEM text",
        ),
        (
            b"-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n",
            "PEM label \"CERTIFICATE\"",
        ),
        (b"\x30\x03\x02\x01\x00", "not a DER"),
    ];
    for (input, fragment) in cases {
        expect_key_error(PublicKey::from_pem_or_der(input), fragment, input);
        expect_key_error(Verifier::from_pem(input), fragment, input);
        expect_key_error(PrivateKey::from_pem_or_der(input), fragment, input);
    }
    expect_key_error(
        PublicKeySet::from_jwks(b"{\"keys\": []}"),
        "JWKS holds no RSA signature key",
        b"",
    );
}
