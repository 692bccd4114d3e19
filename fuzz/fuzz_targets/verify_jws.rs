//! Verifies arbitrary bytes as a token under the `jws` profile, with a single-key verifier
//! (every algorithm) and a JWKS verifier (PS384 and PS512 only). A token that verifies must
//! have three segments, no claims, and a header `alg` from the allow-list.

#![no_main]

use std::sync::OnceLock;

use checkout::{Algorithm, Verifier, VerifyOptions};
use checkout_fuzz::tokens;
use libfuzzer_sys::fuzz_target;

struct Fixture {
    pem: Verifier,
    jwks: Verifier,
    all: VerifyOptions,
    restricted: VerifyOptions,
}

fn fixture() -> &'static Fixture {
    static FIXTURE: OnceLock<Fixture> = OnceLock::new();
    FIXTURE.get_or_init(|| Fixture {
        pem: tokens::pem_verifier(),
        jwks: tokens::jwks_verifier(),
        all: tokens::jws_options(&Algorithm::ALL),
        restricted: tokens::jws_options(&[Algorithm::PS384, Algorithm::PS512]),
    })
}

fuzz_target!(|data: &[u8]| {
    let fixture = fixture();
    for (verifier, options) in [
        (&fixture.pem, &fixture.all),
        (&fixture.jwks, &fixture.restricted),
    ] {
        match verifier.verify(data, options) {
            Ok(verified) => {
                assert!(
                    verified.claims.is_none(),
                    "the jws profile checks no claims"
                );
                assert_eq!(data.iter().filter(|&&b| b == b'.').count(), 2);
                let alg = verified.header["alg"].as_str().expect("alg is a string");
                assert!(
                    options.algorithms.iter().any(|a| a.name() == alg),
                    "alg {alg} is outside the allow-list"
                );
            }
            Err(error) => assert!(!error.message().is_empty(), "an error has a message"),
        }
    }
});
