//! The verifiers and options of the token targets.
//!
//! The seed tokens in `corpus/verify_*` carry `kid` "fuzz-issuer" and are signed by the
//! private key of `keys/issuer-public.pem`, which `make_seeds.py` deletes once the seeds are
//! signed. The RFC 7520 section 4.2 token is signed by the key in `tests/vectors/rfc7520`. Both
//! verify here, so the fuzzer starts from tokens that pass every step.

use checkout::verify::RequiredEntitlement;
use checkout::{Algorithm, PublicKey, Verifier, VerifyOptions};
use serde_json::{json, Value};

/// The public key that signed the seed tokens, a 2048-bit RSA SubjectPublicKeyInfo PEM.
pub const ISSUER_PUBLIC_PEM: &[u8] = include_bytes!("../keys/issuer-public.pem");

/// The `kid` of the seed tokens.
pub const ISSUER_KID: &str = "fuzz-issuer";

/// RFC 7520 section 4.2: a PS384 JWS and the signer's key as a JWK.
const RFC7520_VECTOR: &str = include_str!("../../tests/vectors/rfc7520/4_2.rsa-pss_signature.json");

/// A moment inside the validity window of the seed checkouts: 2020-11-30T23:57:35 UTC.
pub const NOW: i64 = 1_606_780_655;

/// Returns a verifier that trusts the issuer key alone; it ignores the token's `kid`.
pub fn pem_verifier() -> Verifier {
    Verifier::from_pem(ISSUER_PUBLIC_PEM).expect("keys/issuer-public.pem loads")
}

/// Returns a JWKS with the issuer key (`kid` "fuzz-issuer") and the RFC 7520 key (its own
/// `kid`), so a verifier of it chooses the key by the token's `kid`.
pub fn jwks_json() -> String {
    let issuer = PublicKey::from_pem_or_der(ISSUER_PUBLIC_PEM).expect("issuer key loads");
    let mut issuer_jwk = issuer.to_jwk();
    issuer_jwk["kid"] = Value::from(ISSUER_KID);

    let vector: Value = serde_json::from_str(RFC7520_VECTOR).expect("the vector is JSON");
    let key = &vector["input"]["key"];
    let rfc_jwk = json!({"kty": key["kty"], "kid": key["kid"], "n": key["n"], "e": key["e"]});

    json!({"keys": [issuer_jwk, rfc_jwk]}).to_string()
}

/// Returns a verifier of [`jwks_json`].
pub fn jwks_verifier() -> Verifier {
    Verifier::from_jwks(jwks_json().as_bytes()).expect("the fixture JWKS loads")
}

/// Returns the license-profile options of the seeds' validity window, the rest at defaults.
pub fn license_options() -> VerifyOptions {
    VerifyOptions {
        now: Some(NOW),
        ..VerifyOptions::default()
    }
}

/// Returns license-profile options that also check the node, two entitlements, a reduced
/// allow-list and size cap, and no leeway, so every claim check runs.
pub fn strict_license_options() -> VerifyOptions {
    VerifyOptions {
        now: Some(NOW),
        leeway_seconds: 0,
        node_id: Some("100.20.15.10".into()),
        algorithms: vec![Algorithm::PS256, Algorithm::PS384],
        require_entitlements: vec![
            RequiredEntitlement {
                name: "EntitlementCount".into(),
                value: Some("5".into()),
            },
            RequiredEntitlement {
                name: "EnterpriseTier".into(),
                value: Some("Enterprise".into()),
            },
        ],
        max_token_bytes: 16384,
        ..VerifyOptions::default()
    }
}

/// Returns the options of the `jws` profile: the payload is any bytes.
pub fn jws_options(algorithms: &[Algorithm]) -> VerifyOptions {
    VerifyOptions {
        profile: checkout::Profile::Jws,
        algorithms: algorithms.to_vec(),
        ..VerifyOptions::default()
    }
}
