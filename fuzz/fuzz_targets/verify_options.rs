//! Parses arbitrary bytes as the verify options JSON. Options that parse must pass
//! `VerifyOptions::validate`, the check `Verifier::verify` applies first.

#![no_main]

use checkout::VerifyOptions;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    match VerifyOptions::from_json(data) {
        Ok(options) => options
            .validate()
            .expect("options parsed from JSON are within the limits"),
        Err(error) => assert!(!error.message().is_empty(), "an error has a message"),
    }
});
