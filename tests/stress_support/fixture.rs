//! The license, requests and store queries shared by the parent test and its workers.

use std::collections::BTreeMap;
use std::sync::Arc;

use checkout::license::Store;
use checkout::{ErrorKind, FixedClock, Signer};
use serde_json::{json, Value};

/// The counted entitlement every scenario competes for.
pub const SEATS: &str = "Seats";

/// `MaxCount` of [`SEATS`]; the license allows no overage.
pub const MAX_COUNT: i64 = 3;

pub const PRODUCT_SKU: &str = "STRESS-ANALYTICS";

/// The `KeyFingerprint` that CheckoutLicense names; the store derives it from the default
/// account id and the issuer name of [`license_request`].
pub const KEY_FINGERPRINT: &str = "aws:000000000000:Stress Vendor:issuer-fingerprint";

/// Returns the CreateLicense request: [`SEATS`] with MaxCount 3 and no overage, valid from
/// 2026-01-01 to 2036-01-01, early check-in of borrows allowed.
pub fn license_request(
    sign_key: &str,
    client_token: &str,
    provisional_ttl_minutes: i64,
    borrow_ttl_minutes: i64,
) -> Value {
    json!({
        "LicenseName": "Stress Analytics",
        "ProductName": "Analytics",
        "ProductSKU": PRODUCT_SKU,
        "Issuer": {"Name": "Stress Vendor", "SignKey": sign_key},
        "HomeRegion": "us-east-1",
        "Validity": {"Begin": "2026-01-01T00:00:00Z", "End": "2036-01-01T00:00:00Z"},
        "Beneficiary": "customer-1",
        "Entitlements": [
            {"Name": SEATS, "Unit": "Count", "MaxCount": MAX_COUNT, "Overage": false, "AllowCheckIn": true}
        ],
        "ConsumptionConfiguration": {
            "RenewType": "None",
            "ProvisionalConfiguration": {"MaxTimeToLiveInMinutes": provisional_ttl_minutes},
            "BorrowConfiguration": {"AllowEarlyCheckIn": true, "MaxTimeToLiveInMinutes": borrow_ttl_minutes}
        },
        "ClientToken": client_token
    })
}

/// Creates the license of [`license_request`] and returns its ARN.
pub fn create_license(
    store: &Store,
    signer: &Signer,
    client_token: &str,
    provisional_ttl_minutes: i64,
    borrow_ttl_minutes: i64,
) -> String {
    let request = license_request(
        signer.kid(),
        client_token,
        provisional_ttl_minutes,
        borrow_ttl_minutes,
    );
    let response = store
        .create_license(request.to_string().as_bytes())
        .expect("CreateLicense succeeds");
    response["LicenseArn"]
        .as_str()
        .expect("CreateLicense returns a LicenseArn")
        .to_owned()
}

/// Returns a CheckoutBorrowLicense request for one seat.
pub fn borrow_request(arn: &str, client_token: &str) -> Vec<u8> {
    json!({
        "LicenseArn": arn,
        "Entitlements": [{"Name": SEATS, "Value": "1", "Unit": "Count"}],
        "DigitalSignatureMethod": "JWT_PS384",
        "NodeId": "10.0.0.1",
        "ClientToken": client_token
    })
    .to_string()
    .into_bytes()
}

/// Returns a PROVISIONAL CheckoutLicense request for one seat; `LicenseArn` picks the license
/// among the store's licenses with the same SKU.
pub fn provisional_request(arn: &str, client_token: &str) -> Vec<u8> {
    json!({
        "LicenseArn": arn,
        "ProductSKU": PRODUCT_SKU,
        "CheckoutType": "PROVISIONAL",
        "KeyFingerprint": KEY_FINGERPRINT,
        "Entitlements": [{"Name": SEATS, "Value": "1", "Unit": "Count"}],
        "NodeId": "10.0.0.2",
        "ClientToken": client_token
    })
    .to_string()
    .into_bytes()
}

/// Returns a request that names one consumption, for CheckInLicense and
/// ExtendLicenseConsumption.
pub fn consumption_request(token: &str) -> Vec<u8> {
    json!({"LicenseConsumptionToken": token})
        .to_string()
        .into_bytes()
}

/// Opens the store at `location`, on a clock fixed at `now` when one is given.
pub fn open_store(location: &str, now: Option<i64>) -> Store {
    let store = Store::open(location)
        .unwrap_or_else(|e| panic!("the store opens: status {} ({})", e.status(), e.message()));
    match now {
        Some(now) => store.with_clock(Arc::new(FixedClock::new(now))),
        None => store,
    }
}

/// Returns the status of an operation's outcome: 0 for success, else the error's status.
pub fn status_of(outcome: &checkout::Result<Value>) -> u32 {
    match outcome {
        Ok(_) => 0,
        Err(e) => e.status(),
    }
}

pub const REJECTED: u32 = ErrorKind::NoEntitlementsAllowed.status();
pub const NOT_FOUND: u32 = ErrorKind::NotFound.status();

/// Returns the `LicenseConsumptionToken` of a checkout or extend response.
pub fn consumption_token(response: &Value) -> String {
    response["LicenseConsumptionToken"]
        .as_str()
        .unwrap_or_else(|| panic!("response has a LicenseConsumptionToken: {response}"))
        .to_owned()
}

/// One consumption as ListLicenseConsumptions returns it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Listed {
    pub state: String,
    pub quantity: i64,
}

/// Returns every consumption of the license by token.
pub fn consumptions(store: &Store, arn: &str) -> BTreeMap<String, Listed> {
    let request = json!({"LicenseArn": arn}).to_string();
    let response = store
        .list_license_consumptions(request.as_bytes())
        .unwrap_or_else(|e| {
            panic!(
                "ListLicenseConsumptions fails with status {}: {}",
                e.status(),
                e.message()
            )
        });
    let rows = response["LicenseConsumptions"]
        .as_array()
        .expect("LicenseConsumptions is a list");
    rows.iter()
        .map(|row| {
            let quantity = row["EntitlementsAllowed"]
                .as_array()
                .expect("EntitlementsAllowed is a list")
                .iter()
                .filter(|e| e["Name"] == SEATS)
                .map(|e| {
                    e["Value"]
                        .as_str()
                        .and_then(|v| v.parse::<i64>().ok())
                        .expect("a Seats value is a decimal string")
                })
                .sum();
            let listed = Listed {
                state: row["State"].as_str().expect("State is a string").to_owned(),
                quantity,
            };
            (consumption_token(row), listed)
        })
        .collect()
}

/// Returns the sum of the quantities of the ACTIVE consumptions, and their number.
pub fn active_sum(listed: &BTreeMap<String, Listed>) -> (i64, usize) {
    let active: Vec<&Listed> = listed.values().filter(|c| c.state == "ACTIVE").collect();
    (active.iter().map(|c| c.quantity).sum(), active.len())
}

/// Returns the tokens of the consumptions in `state`.
pub fn tokens_in_state(listed: &BTreeMap<String, Listed>, state: &str) -> Vec<String> {
    listed
        .iter()
        .filter(|(_, c)| c.state == state)
        .map(|(token, _)| token.clone())
        .collect()
}

/// Returns `ConsumedValue` of [`SEATS`] from GetLicenseUsage.
pub fn consumed(store: &Store, arn: &str) -> i64 {
    let request = json!({"LicenseArn": arn}).to_string();
    let response = store
        .get_license_usage(request.as_bytes())
        .unwrap_or_else(|e| {
            panic!(
                "GetLicenseUsage fails with status {}: {}",
                e.status(),
                e.message()
            )
        });
    let rows = response["LicenseUsage"]["EntitlementUsages"]
        .as_array()
        .expect("EntitlementUsages is a list");
    let row = rows
        .iter()
        .find(|row| row["Name"] == SEATS)
        .unwrap_or_else(|| panic!("GetLicenseUsage has a Seats row: {response}"));
    row["ConsumedValue"]
        .as_str()
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| panic!("ConsumedValue is a decimal string: {response}"))
}

/// Asserts, with no writer running, that at most MaxCount seats are ACTIVE and that the usage
/// equals the sum of the ACTIVE consumptions; returns that sum.
pub fn assert_quiet_invariants(store: &Store, arn: &str, context: &str) -> i64 {
    let listed = consumptions(store, arn);
    let (active, _) = active_sum(&listed);
    let usage = consumed(store, arn);
    assert!(
        active <= MAX_COUNT,
        "{context}: {active} seats ACTIVE, more than MaxCount {MAX_COUNT}"
    );
    assert_eq!(
        usage, active,
        "{context}: GetLicenseUsage differs from the sum of ACTIVE consumptions"
    );
    active
}
