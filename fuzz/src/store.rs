//! An in-memory store holding one license, and the placeholders through which request seeds
//! name values that exist only at run time (the signing key's thumbprint, the license ARN and
//! a live consumption token).

use std::sync::{Arc, OnceLock};

use checkout::license::Store;
use checkout::{FixedClock, Signer};
use serde_json::{json, Value};

use crate::{find, replace_all};

/// The `Issuer.SignKey` placeholder of `examples/licenses/enterprise.json`, replaced by the
/// signer's RFC 7638 thumbprint.
pub const SIGN_KEY_PLACEHOLDER: &[u8] = b"REPLACED-BY-THE-SIGNING-KEY-THUMBPRINT";

/// Replaced by the ARN of the license the fixture creates.
pub const LICENSE_ARN_PLACEHOLDER: &[u8] = b"@LICENSE_ARN@";

/// Replaced by the token of a live borrow checkout, made only when a request contains it
/// because each checkout costs an RSA signature.
pub const CONSUMPTION_TOKEN_PLACEHOLDER: &[u8] = b"@CONSUMPTION_TOKEN@";

/// The store's fixed time, 2026-06-01T00:00:00Z, inside the sample license's validity (2026
/// to 2036), so runs do not depend on the machine's clock.
pub const STORE_NOW: i64 = 1_780_272_000;

const CREATE_REQUEST: &[u8] = include_bytes!("../../examples/licenses/enterprise.json");

/// Returns the issuer's signer, a 2048-bit key generated once per process.
pub fn signer() -> &'static Signer {
    static SIGNER: OnceLock<Signer> = OnceLock::new();
    SIGNER.get_or_init(|| Signer::generate(2048, None).expect("a 2048-bit key generates"))
}

/// Returns the sample CreateLicense request with the signer's thumbprint as `SignKey`.
pub fn create_request() -> Vec<u8> {
    replace_all(
        CREATE_REQUEST,
        SIGN_KEY_PLACEHOLDER,
        signer().kid().as_bytes(),
    )
}

/// Returns a borrow request for one `EntitlementCount` of the license `arn`.
pub fn borrow_request(arn: &str) -> Vec<u8> {
    json!({
        "LicenseArn": arn,
        "Entitlements": [{"Name": "EntitlementCount", "Value": "1", "Unit": "Count"}],
        "DigitalSignatureMethod": "JWT_PS384",
        "NodeId": "100.20.15.10",
        "CheckoutMetadata": [{"Name": "Mac", "Value": "ABCDEFGHI"}],
        "ClientToken": "fixture-borrow-1"
    })
    .to_string()
    .into_bytes()
}

/// Returns whether `request` names a consumption token, so its fixture needs a checkout.
pub fn needs_consumption(request: &[u8]) -> bool {
    find(request, CONSUMPTION_TOKEN_PLACEHOLDER).is_some()
}

/// Replaces the placeholders of `request` by the fixture's values.
pub fn substitute(request: &[u8], arn: &str, consumption_token: Option<&str>) -> Vec<u8> {
    let request = replace_all(request, SIGN_KEY_PLACEHOLDER, signer().kid().as_bytes());
    let request = replace_all(&request, LICENSE_ARN_PLACEHOLDER, arn.as_bytes());
    match consumption_token {
        Some(token) => replace_all(&request, CONSUMPTION_TOKEN_PLACEHOLDER, token.as_bytes()),
        None => request,
    }
}

/// A fresh in-memory store with the sample license and, on request, one live borrow.
pub struct Fixture {
    /// The store, on a fixed clock at [`STORE_NOW`].
    pub store: Store,
    /// The ARN of the sample license.
    pub arn: String,
    /// The token of the live borrow, when one was made.
    pub consumption_token: Option<String>,
}

impl Fixture {
    /// Opens the store and creates the license; with `borrow`, also checks one seat out.
    pub fn new(borrow: bool) -> Fixture {
        let store = Store::open(":memory:")
            .expect("an in-memory store opens")
            .with_clock(Arc::new(FixedClock::new(STORE_NOW)));
        let created = store
            .create_license(&create_request())
            .expect("the sample license is created");
        let arn = created["LicenseArn"]
            .as_str()
            .expect("CreateLicense returns LicenseArn")
            .to_owned();

        let consumption_token = borrow.then(|| {
            let response = store
                .checkout(signer(), &borrow_request(&arn))
                .expect("the fixture borrow succeeds");
            response["LicenseConsumptionToken"]
                .as_str()
                .expect("a checkout returns LicenseConsumptionToken")
                .to_owned()
        });
        Fixture {
            store,
            arn,
            consumption_token,
        }
    }

    /// Returns the license's usage and its consumptions: everything a failed request must
    /// leave unchanged.
    pub fn usage(&self) -> (Value, Value) {
        let request = json!({"LicenseArn": self.arn}).to_string();
        let usage = self
            .store
            .get_license_usage(request.as_bytes())
            .expect("GetLicenseUsage of the sample license succeeds");
        let consumptions = self
            .store
            .list_license_consumptions(request.as_bytes())
            .expect("ListLicenseConsumptions of the sample license succeeds");
        (usage, consumptions)
    }
}
