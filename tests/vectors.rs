//! Public test vectors: Project Wycheproof's RSASSA-PSS files through the RSA-PSS layer
//! (`PublicKey::verify`), and the RSA-PSS example of RFC 7520 section 4.2 through the
//! verifier and the signer. The files live in `tests/vectors/`, copied from upstream.

mod common;

use std::path::PathBuf;

use checkout::{
    Algorithm, PrivateKey, Profile, PublicKey, PublicKeySet, Signer, Verifier, VerifyOptions,
};
use common::{b64, expect_error, hex, unb64};
use pkcs1::der::asn1::{AnyRef, ObjectIdentifier, UintRef};
use pkcs1::der::Encode;
use pkcs1::{RsaPrivateKey, RsaPublicKey};
use serde_json::{json, Value};

/// rsaEncryption (RFC 8017 Appendix C).
const RSA_ENCRYPTION: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.1");

fn vector(relative: &str) -> Value {
    let path: PathBuf = [env!("CARGO_MANIFEST_DIR"), "tests", "vectors", relative]
        .iter()
        .collect();
    let text = std::fs::read(&path)
        .unwrap_or_else(|e| panic!("{} could not be read: {e}", path.display()));
    serde_json::from_slice(&text).unwrap_or_else(|e| panic!("{} is not JSON: {e}", path.display()))
}

fn text<'a>(value: &'a Value, name: &str) -> &'a str {
    value[name]
        .as_str()
        .unwrap_or_else(|| panic!("member {name:?} is not a string"))
}

/// Outcome counts of one Wycheproof file.
#[derive(Debug, Default, PartialEq, Eq)]
struct Counts {
    /// Cases whose signature verified.
    verified: usize,
    /// Cases whose signature was rejected.
    rejected: usize,
    /// Test groups whose key is outside the key policy and was rejected at load.
    keys_rejected: usize,
}

/// Runs every case of a Wycheproof RSASSA-PSS file through `PublicKey::verify` with
/// `algorithm`, failing on any case where the outcome differs from `should_verify`.
fn run_wycheproof(
    file: &str,
    algorithm: Algorithm,
    should_verify: impl Fn(&Value) -> bool,
) -> Counts {
    let document = vector(&format!("wycheproof/{file}"));
    let mut counts = Counts::default();
    let mut total = 0;

    for group in document["testGroups"]
        .as_array()
        .expect("testGroups is an array")
    {
        let tests = group["tests"].as_array().expect("tests is an array");
        total += tests.len();
        let key_size = group["keySize"].as_u64().expect("keySize is a number");
        let loaded = PublicKey::from_pem_or_der(&hex(text(group, "publicKeyDer")));

        if !(2048..=4096).contains(&key_size) {
            let error = expect_error(loaded, 200, &format!("RSA modulus is {key_size} bits"));
            assert_eq!(error.kind(), checkout::ErrorKind::KeyInvalid);
            counts.keys_rejected += 1;
            continue;
        }
        let key = loaded.unwrap_or_else(|e| {
            panic!(
                "{file}: the {key_size}-bit key does not load: {}",
                e.message()
            )
        });
        assert_eq!(key.bits() as u64, key_size, "{file}");

        // The PEM form of the same key loads to the same key.
        let from_pem = PublicKey::from_pem_or_der(text(group, "publicKeyPem").as_bytes())
            .expect("the PEM key loads");
        assert_eq!(from_pem.thumbprint(), key.thumbprint(), "{file}");

        for case in tests {
            let verified = key.verify(algorithm, &hex(text(case, "msg")), &hex(text(case, "sig")));
            assert_eq!(
                verified,
                should_verify(case),
                "{file}: case {} ({}, marked {})",
                case["tcId"],
                text(case, "comment"),
                text(case, "result")
            );
            if verified {
                counts.verified += 1;
            } else {
                counts.rejected += 1;
            }
        }
    }
    assert_eq!(
        Some(total as u64),
        document["numberOfTests"].as_u64(),
        "{file}: numberOfTests"
    );
    counts
}

fn marked_valid(case: &Value) -> bool {
    case["result"] == "valid"
}

#[test]
fn wycheproof_ps256_cases() {
    let counts = run_wycheproof(
        "rsa_pss_2048_sha256_mgf1_32_test.json",
        Algorithm::PS256,
        marked_valid,
    );
    assert_eq!(
        counts,
        Counts {
            verified: 63,
            rejected: 45,
            keys_rejected: 0
        }
    );
}

#[test]
fn wycheproof_ps384_cases() {
    let counts = run_wycheproof(
        "rsa_pss_2048_sha384_mgf1_48_test.json",
        Algorithm::PS384,
        marked_valid,
    );
    assert_eq!(
        counts,
        Counts {
            verified: 95,
            rejected: 46,
            keys_rejected: 0
        }
    );
}

#[test]
fn wycheproof_ps512_cases() {
    let counts = run_wycheproof(
        "rsa_pss_4096_sha512_mgf1_64_test.json",
        Algorithm::PS512,
        marked_valid,
    );
    assert_eq!(
        counts,
        Counts {
            verified: 132,
            rejected: 47,
            keys_rejected: 0
        }
    );
}

/// RSASSA-PSS with an empty salt is not PS256, which requires a 32-byte salt, so the 61
/// cases the file marks `valid` are rejected. The one case whose salt the file changed to
/// 32 bytes is marked `invalid` for the empty-salt scheme, but it is a correct PS256
/// signature and verifies.
#[test]
fn wycheproof_empty_salt_cases_are_rejected() {
    let salt_32 = |case: &Value| case["comment"] == "s_len changed to 32";
    let counts = run_wycheproof(
        "rsa_pss_2048_sha256_mgf1_0_test.json",
        Algorithm::PS256,
        salt_32,
    );
    assert_eq!(
        counts,
        Counts {
            verified: 1,
            rejected: 102,
            keys_rejected: 0
        }
    );

    let document = vector("wycheproof/rsa_pss_2048_sha256_mgf1_0_test.json");
    let tests = document["testGroups"][0]["tests"]
        .as_array()
        .expect("tests is an array");
    assert_eq!(tests.iter().filter(|case| marked_valid(case)).count(), 61);
    assert_eq!(tests.iter().filter(|case| salt_32(case)).count(), 1);
}

#[test]
fn wycheproof_jwk_keys_match_der_keys() {
    let files = [
        ("rsa_pss_2048_sha256_mgf1_32_test.json", Algorithm::PS256),
        ("rsa_pss_2048_sha384_mgf1_48_test.json", Algorithm::PS384),
        ("rsa_pss_4096_sha512_mgf1_64_test.json", Algorithm::PS512),
    ];
    for (file, algorithm) in files {
        let document = vector(&format!("wycheproof/{file}"));
        let group = &document["testGroups"][0];
        let jwk = &group["publicKeyJwk"];
        assert_eq!(jwk["alg"], algorithm.name(), "{file}");

        let set =
            PublicKeySet::from_jwks(jwk.to_string().as_bytes()).expect("the Wycheproof JWK loads");
        assert_eq!(set.len(), 1, "{file}");
        let der_key = PublicKey::from_pem_or_der(&hex(text(group, "publicKeyDer")))
            .expect("the DER key loads");

        // The JWK's kid selects the key, and its alg restricts it.
        let kid = text(jwk, "kid");
        let selected: Vec<&PublicKey> = set.candidates(algorithm, Some(kid)).collect();
        assert_eq!(selected.len(), 1, "{file}");
        assert_eq!(selected[0].thumbprint(), der_key.thumbprint(), "{file}");
        let other = if algorithm == Algorithm::PS256 {
            Algorithm::PS512
        } else {
            Algorithm::PS256
        };
        assert_eq!(set.candidates(other, Some(kid)).count(), 0, "{file}");

        // The JWK-loaded key verifies the file's first valid case.
        let case = group["tests"]
            .as_array()
            .expect("tests is an array")
            .iter()
            .find(|case| case["result"] == "valid")
            .expect("the file has a valid case");
        assert!(
            selected[0].verify(algorithm, &hex(text(case, "msg")), &hex(text(case, "sig"))),
            "{file}"
        );
    }
}

// RFC 7520 section 4.2: RSA-PSS with PS384 over a text payload.

fn rfc7520() -> Value {
    vector("rfc7520/4_2.rsa-pss_signature.json")
}

/// Returns a JWKS of the RFC's key with only its public members.
fn rfc7520_public_jwks(example: &Value) -> Value {
    let key = &example["input"]["key"];
    json!({"keys": [{"kty": "RSA", "kid": key["kid"], "use": key["use"], "n": key["n"], "e": key["e"]}]})
}

#[test]
fn rfc7520_compact_jws_verifies() {
    let example = rfc7520();
    let jwks = rfc7520_public_jwks(&example);
    let verifier =
        Verifier::from_jwks(jwks.to_string().as_bytes()).expect("the RFC's public JWK loads");
    let compact = text(&example["output"], "compact");
    let options = VerifyOptions {
        profile: Profile::Jws,
        ..VerifyOptions::default()
    };

    let verified = verifier
        .verify(compact.as_bytes(), &options)
        .expect("the RFC's compact JWS verifies");
    assert_eq!(
        verified.payload,
        text(&example["input"], "payload").as_bytes()
    );
    assert_eq!(verified.header["alg"], "PS384");
    assert_eq!(verified.header["kid"], "bilbo.baggins@hobbiton.example");
    assert!(verified.claims.is_none());

    // The payload is text, not a checkout, so the license profile rejects it after the signature.
    expect_error(
        verifier.verify(compact.as_bytes(), &VerifyOptions::default()),
        300,
        "token payload is invalid",
    );

    // PS384 outside the allow-list.
    let ps256_only = VerifyOptions {
        algorithms: vec![Algorithm::PS256],
        ..options.clone()
    };
    expect_error(
        verifier.verify(compact.as_bytes(), &ps256_only),
        201,
        "token algorithm PS384 is not in the allowed list [PS256]",
    );
}

#[test]
fn rfc7520_kid_selects_key() {
    let example = rfc7520();
    let compact = text(&example["output"], "compact");
    let options = VerifyOptions {
        profile: Profile::Jws,
        ..VerifyOptions::default()
    };
    let decoy = PrivateKey::generate(2048).expect("a key generates");

    // Next to another key, the RFC's kid picks the RFC's key.
    let mut jwks = rfc7520_public_jwks(&example);
    let mut decoy_jwk = decoy.public_key().to_jwk();
    decoy_jwk["kid"] = json!("samwise.gamgee@hobbiton.example");
    jwks["keys"]
        .as_array_mut()
        .expect("keys is an array")
        .insert(0, decoy_jwk.clone());
    let verifier = Verifier::from_jwks(jwks.to_string().as_bytes()).expect("the JWKS loads");
    let verified = verifier
        .verify(compact.as_bytes(), &options)
        .expect("the RFC's kid selects its key");
    assert_eq!(
        verified.payload,
        text(&example["input"], "payload").as_bytes()
    );

    // Under the RFC's kid, another key does not verify the RFC's signature.
    decoy_jwk["kid"] = json!("bilbo.baggins@hobbiton.example");
    let verifier = Verifier::from_jwks(json!({"keys": [decoy_jwk]}).to_string().as_bytes())
        .expect("the JWKS loads");
    expect_error(
        verifier.verify(compact.as_bytes(), &options),
        301,
        "does not verify",
    );

    // Without a key under that kid, the message names it.
    let mut renamed = rfc7520_public_jwks(&example);
    renamed["keys"][0]["kid"] = json!("frodo.baggins@hobbiton.example");
    let verifier = Verifier::from_jwks(renamed.to_string().as_bytes()).expect("the JWKS loads");
    expect_error(
        verifier.verify(compact.as_bytes(), &options),
        301,
        "no trusted key has kid \"bilbo.baggins@hobbiton.example\"",
    );
}

fn uint(bytes: &[u8]) -> UintRef<'_> {
    UintRef::new(bytes).expect("a JWK integer is a valid unsigned integer")
}

/// Builds a PKCS#8 PrivateKeyInfo DER from the RFC's private JWK members.
fn rfc7520_pkcs8_der(key: &Value) -> Vec<u8> {
    let members: Vec<Vec<u8>> = ["n", "e", "d", "p", "q", "dp", "dq", "qi"]
        .iter()
        .map(|name| unb64(text(key, name)))
        .collect();
    let pkcs1 = RsaPrivateKey {
        modulus: uint(&members[0]),
        public_exponent: uint(&members[1]),
        private_exponent: uint(&members[2]),
        prime1: uint(&members[3]),
        prime2: uint(&members[4]),
        exponent1: uint(&members[5]),
        exponent2: uint(&members[6]),
        coefficient: uint(&members[7]),
        other_prime_infos: None,
    }
    .to_der()
    .expect("the RSAPrivateKey encodes");
    let algorithm = pkcs8::AlgorithmIdentifierRef {
        oid: RSA_ENCRYPTION,
        parameters: Some(AnyRef::NULL),
    };
    pkcs8::PrivateKeyInfo::new(algorithm, &pkcs1)
        .to_der()
        .expect("the PrivateKeyInfo encodes")
}

#[test]
fn rfc7520_private_key_signs_ps384() {
    let example = rfc7520();
    let key = &example["input"]["key"];
    let payload = text(&example["input"], "payload");
    let pkcs8 = rfc7520_pkcs8_der(key);

    let signer = Signer::from_pem(&pkcs8, Some(Algorithm::PS384))
        .expect("the RFC's key loads as PKCS#8 DER");
    assert_eq!(signer.algorithm(), Algorithm::PS384);
    assert_eq!(signer.public_key().bits(), 2048);
    let token = signer.sign(payload.as_bytes()).expect("the signer signs");
    let parts: Vec<&str> = token.split('.').collect();
    assert_eq!(parts.len(), 3);
    assert_eq!(parts[1], b64(payload.as_bytes()));
    assert_eq!(unb64(parts[2]).len(), 256);

    // The RFC's public key as PKCS#1 RSAPublicKey DER verifies the new token.
    let n = unb64(text(key, "n"));
    let e = unb64(text(key, "e"));
    let public_der = RsaPublicKey {
        modulus: UintRef::new(&n).expect("n is an unsigned integer"),
        public_exponent: UintRef::new(&e).expect("e is an unsigned integer"),
    }
    .to_der()
    .expect("the RSAPublicKey encodes");
    let options = VerifyOptions {
        profile: Profile::Jws,
        ..VerifyOptions::default()
    };
    let verifier = Verifier::from_pem(&public_der).expect("the RFC's public key loads");
    let verified = verifier
        .verify(token.as_bytes(), &options)
        .expect("the new token verifies");
    assert_eq!(verified.payload, payload.as_bytes());
    assert_eq!(verified.header["kid"], signer.kid());

    // The signer's kid is the thumbprint, which selects the RFC's JWK once its kid member is
    // removed.
    let mut jwks = rfc7520_public_jwks(&example);
    jwks["keys"][0]
        .as_object_mut()
        .expect("the JWK is an object")
        .remove("kid");
    let verifier = Verifier::from_jwks(jwks.to_string().as_bytes()).expect("the JWKS loads");
    verifier
        .verify(token.as_bytes(), &options)
        .expect("the thumbprint selects the RFC's key");

    // A signature over the RFC's own signing input verifies under the RFC's kid.
    let signing_input = text(&example["signing"], "sig-input");
    let private = PrivateKey::from_pem_or_der(&pkcs8).expect("the RFC's key loads");
    let signature = private
        .sign(Algorithm::PS384, signing_input.as_bytes())
        .expect("the key signs");
    let rebuilt = format!("{signing_input}.{}", b64(&signature));
    let verifier = Verifier::from_jwks(rfc7520_public_jwks(&example).to_string().as_bytes())
        .expect("the JWKS loads");
    let verified = verifier
        .verify(rebuilt.as_bytes(), &options)
        .expect("the re-signed RFC token verifies");
    assert_eq!(verified.payload, payload.as_bytes());

    // The RFC's published signature verifies at the RSA-PSS layer with the signer's public key.
    let published = unb64(text(&example["signing"], "sig"));
    assert!(signer
        .public_key()
        .verify(Algorithm::PS384, signing_input.as_bytes(), &published));
    assert!(!signer
        .public_key()
        .verify(Algorithm::PS256, signing_input.as_bytes(), &published));
}
