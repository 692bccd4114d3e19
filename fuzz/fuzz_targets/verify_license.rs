//! Verifies arbitrary bytes as a token under the license profile, with a single-key verifier
//! and with a JWKS verifier under strict options. A token that verifies as a license must
//! carry claims and must also verify under the `jws` profile with the same payload.

#![no_main]

use std::sync::OnceLock;

use checkout::{Algorithm, Verifier, VerifyOptions};
use checkout_fuzz::tokens;
use libfuzzer_sys::fuzz_target;

struct Fixture {
    pem: Verifier,
    jwks: Verifier,
    license: VerifyOptions,
    strict: VerifyOptions,
    jws: VerifyOptions,
}

fn fixture() -> &'static Fixture {
    static FIXTURE: OnceLock<Fixture> = OnceLock::new();
    FIXTURE.get_or_init(|| Fixture {
        pem: tokens::pem_verifier(),
        jwks: tokens::jwks_verifier(),
        license: tokens::license_options(),
        strict: tokens::strict_license_options(),
        jws: tokens::jws_options(&Algorithm::ALL),
    })
}

fuzz_target!(|data: &[u8]| {
    let fixture = fixture();
    for (verifier, options) in [
        (&fixture.pem, &fixture.license),
        (&fixture.jwks, &fixture.strict),
    ] {
        match verifier.verify(data, options) {
            Ok(verified) => {
                assert!(verified.claims.is_some(), "a license token has claims");
                let as_jws = verifier
                    .verify(data, &fixture.jws)
                    .expect("a valid license token is also a valid JWS");
                assert_eq!(as_jws.payload, verified.payload);
            }
            Err(error) => assert!(!error.message().is_empty(), "an error has a message"),
        }
    }
});
