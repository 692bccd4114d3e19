//! Sends arbitrary bytes as the request JSON of every store operation, on a fresh in-memory
//! store holding one license (and one live borrow when the input names a consumption token).
//! A failed request must leave the license's usage and consumptions unchanged.
//!
//! The placeholders of `checkout_fuzz::store` in the input are replaced first, so seeds can
//! name the signing key, the license and a consumption that exist only at run time.

#![no_main]

use std::sync::OnceLock;

use checkout::license::Store;
use checkout::Signer;
use checkout_fuzz::store::{self, Fixture};
use libfuzzer_sys::fuzz_target;
use serde_json::Value;

type Operation = fn(&Store, &Signer, &[u8]) -> checkout::Result<Value>;

const OPERATIONS: [(&str, Operation); 7] = [
    ("CreateLicense", |s, _, r| s.create_license(r)),
    ("GetLicense", |s, _, r| s.get_license(r)),
    ("GetLicenseUsage", |s, _, r| s.get_license_usage(r)),
    ("ListLicenseConsumptions", |s, _, r| {
        s.list_license_consumptions(r)
    }),
    ("CheckoutLicense", |s, signer, r| s.checkout(signer, r)),
    ("CheckInLicense", |s, _, r| s.check_in(r)),
    ("ExtendLicenseConsumption", |s, signer, r| {
        s.extend_license_consumption(signer, r)
    }),
];

/// Returns the store shared by inputs that are not JSON. No request changes it, because
/// every operation rejects such input while parsing, before reading the store.
fn shared_fixture() -> &'static Fixture {
    static FIXTURE: OnceLock<Fixture> = OnceLock::new();
    FIXTURE.get_or_init(|| Fixture::new(false))
}

fuzz_target!(|data: &[u8]| {
    if serde_json::from_slice::<Value>(data).is_err() {
        let fixture = shared_fixture();
        for (name, operation) in OPERATIONS {
            let error = operation(&fixture.store, store::signer(), data)
                .expect_err("a request that is not JSON is rejected");
            assert!(
                !error.message().is_empty(),
                "{name}: an error has a message"
            );
        }
        return;
    }

    // Each JSON input gets a fresh store, so a request that succeeds cannot change the state the
    // next input starts from and every crash reproduces from its input alone.
    let fixture = Fixture::new(store::needs_consumption(data));
    let request = store::substitute(data, &fixture.arn, fixture.consumption_token.as_deref());

    let mut state = fixture.usage();
    for (name, operation) in OPERATIONS {
        match operation(&fixture.store, store::signer(), &request) {
            Ok(_) => state = fixture.usage(),
            Err(error) => {
                assert!(
                    !error.message().is_empty(),
                    "{name}: an error has a message"
                );
                assert_eq!(
                    fixture.usage(),
                    state,
                    "{name} failed with status {} but changed the license's usage",
                    error.status()
                );
            }
        }
    }
});
