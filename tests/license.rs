//! The license operations and their rules, on SQLite with a clock the tests move.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, OnceLock};

use checkout::license::Store;
use checkout::{Algorithm, ErrorKind, FixedClock, PrivateKey, Signer, Verifier, VerifyOptions};
use serde_json::{json, Value};

// Without the `postgres` feature the PostgreSQL tests are not built, rather than skipped.
#[cfg(feature = "postgres")]
mod common_postgres;

/// 2026-06-01T00:00:00Z, inside the sample license's validity.
const JUNE_2026: i64 = 1_780_272_000;

fn signer() -> &'static Signer {
    static SIGNER: OnceLock<Signer> = OnceLock::new();
    SIGNER.get_or_init(|| Signer::generate(2048, None).expect("key generation works"))
}

fn other_signer() -> &'static Signer {
    static SIGNER: OnceLock<Signer> = OnceLock::new();
    SIGNER.get_or_init(|| Signer::generate(2048, None).expect("key generation works"))
}

struct Fixture {
    store: Store,
    clock: Arc<FixedClock>,
}

/// The store backends every rule test runs against.
#[derive(Clone, Copy, Debug)]
enum Kind {
    Sqlite,
    #[cfg(feature = "postgres")]
    Postgres,
}

/// Returns a fresh, empty store location of `kind`, or `None` when no PostgreSQL server is
/// configured on a developer's machine (CI must have one, so there the test fails instead).
fn fresh_location(kind: Kind) -> Option<String> {
    match kind {
        Kind::Sqlite => Some(":memory:".to_owned()),
        #[cfg(feature = "postgres")]
        Kind::Postgres => common_postgres::fresh_database(),
    }
}

fn fixture(kind: Kind) -> Fixture {
    let clock = Arc::new(FixedClock::new(JUNE_2026));
    let location = fresh_location(kind).expect("a store location");
    let store = Store::open(&location).unwrap().with_clock(clock.clone());
    Fixture { store, clock }
}

/// Defines a SQLite and a PostgreSQL test for each rule test `name(kind: Kind)`.
macro_rules! on_every_store {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(#[test] fn $name() { super::$name(super::Kind::Sqlite) })*
        }
        #[cfg(feature = "postgres")]
        mod postgres {
            $(#[test] fn $name() {
                if super::fresh_location(super::Kind::Postgres).is_some() {
                    super::$name(super::Kind::Postgres)
                }
            })*
        }
    };
}

fn bytes(value: &Value) -> Vec<u8> {
    value.to_string().into_bytes()
}

fn license_request(client_token: &str) -> Value {
    json!({
        "LicenseName": "Analytics Enterprise",
        "ProductName": "Analytics",
        "ProductSKU": "SKU-1",
        "Issuer": {"Name": "Vendor", "SignKey": signer().kid()},
        "HomeRegion": "us-east-1",
        "Validity": {"Begin": "2026-01-01T00:00:00Z", "End": "2027-01-01T00:00:00Z"},
        "Beneficiary": "customer-1",
        "Entitlements": [
            {"Name": "Seats", "Unit": "Count", "MaxCount": 10, "Overage": false, "AllowCheckIn": true},
            {"Name": "Storage", "Unit": "Gigabytes", "MaxCount": 100, "Overage": true, "AllowCheckIn": true},
            {"Name": "Tier", "Unit": "None", "Value": "Enterprise", "AllowCheckIn": true},
            {"Name": "Perpetual", "Unit": "Count", "MaxCount": 5}
        ],
        "ConsumptionConfiguration": {
            "RenewType": "None",
            "ProvisionalConfiguration": {"MaxTimeToLiveInMinutes": 60},
            "BorrowConfiguration": {"AllowEarlyCheckIn": true, "MaxTimeToLiveInMinutes": 1440}
        },
        "LicenseMetadata": [{"Name": "Contract", "Value": "C-1"}],
        "ClientToken": client_token
    })
}

impl Fixture {
    fn create(&self, request: &Value) -> String {
        let response = self
            .store
            .create_license(&bytes(request))
            .expect("license is created");
        response["LicenseArn"].as_str().unwrap().to_owned()
    }

    fn create_default(&self) -> String {
        self.create(&license_request("create-1"))
    }

    fn checkout(&self, request: Value) -> checkout::Result<Value> {
        self.store.checkout(signer(), &bytes(&request))
    }

    fn consumed(&self, arn: &str, name: &str) -> String {
        self.usage_row(arn, name)["ConsumedValue"]
            .as_str()
            .unwrap()
            .to_owned()
    }

    /// Returns the GetLicenseUsage row of entitlement `name`.
    fn usage_row(&self, arn: &str, name: &str) -> Value {
        let usage = self
            .store
            .get_license_usage(&bytes(&json!({"LicenseArn": arn})))
            .unwrap();
        usage["LicenseUsage"]["EntitlementUsages"]
            .as_array()
            .unwrap()
            .iter()
            .find(|row| row["Name"] == name)
            .expect("entitlement has a usage row")
            .clone()
    }
}

fn provisional(seats: &str, client_token: &str) -> Value {
    json!({
        "ProductSKU": "SKU-1",
        "CheckoutType": "PROVISIONAL",
        "KeyFingerprint": "aws:000000000000:Vendor:issuer-fingerprint",
        "Entitlements": [{"Name": "Seats", "Value": seats, "Unit": "Count"}],
        "NodeId": "node-1",
        "ClientToken": client_token
    })
}

fn borrow(arn: &str, entitlements: Value, client_token: &str) -> Value {
    json!({
        "LicenseArn": arn,
        "Entitlements": entitlements,
        "DigitalSignatureMethod": "JWT_PS384",
        "NodeId": "100.20.15.10",
        "CheckoutMetadata": [{"Name": "Mac", "Value": "ABCDEFGHI"}],
        "ClientToken": client_token
    })
}

fn verifier() -> Verifier {
    Verifier::from_pem(signer().public_key().to_spki_pem().unwrap().as_bytes()).unwrap()
}

fn verify_at(token: &str, now: i64) -> checkout::Result<checkout::VerifiedToken> {
    let options = VerifyOptions {
        now: Some(now),
        ..VerifyOptions::default()
    };
    verifier().verify(token.as_bytes(), &options)
}

fn assert_error(
    result: checkout::Result<Value>,
    kind: ErrorKind,
    fragment: &str,
) -> checkout::Error {
    let error = result.expect_err("the request fails");
    assert_eq!(error.kind(), kind, "{}", error.message());
    assert!(
        error.message().contains(fragment),
        "{:?} lacks {fragment:?}",
        error.message()
    );
    error
}

fn create_license_returns_arn_status_version(kind: Kind) {
    let f = fixture(kind);
    let response = f
        .store
        .create_license(&bytes(&license_request("c1")))
        .unwrap();
    let arn = response["LicenseArn"].as_str().unwrap();
    let suffix = arn
        .strip_prefix("arn:aws:license-manager::000000000000:license:l-")
        .unwrap();
    assert_eq!(suffix.len(), 32);
    assert!(suffix
        .bytes()
        .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase()));
    assert_eq!(response["Status"], "AVAILABLE");
    assert_eq!(response["Version"], "1");
    assert_eq!(response.as_object().unwrap().len(), 3);
}

fn get_license_returns_aws_shape(kind: Kind) {
    let f = fixture(kind);
    let arn = f.create_default();
    let license = f
        .store
        .get_license(&bytes(&json!({"LicenseArn": arn})))
        .unwrap()["License"]
        .clone();
    assert_eq!(license["LicenseArn"], arn.as_str());
    assert_eq!(
        license["Issuer"]["KeyFingerprint"],
        "aws:000000000000:Vendor:issuer-fingerprint"
    );
    assert_eq!(license["Issuer"]["SignKey"], signer().kid());
    assert_eq!(license["Status"], "AVAILABLE");
    assert_eq!(license["Validity"]["Begin"], "2026-01-01T00:00:00");
    assert_eq!(license["Validity"]["End"], "2027-01-01T00:00:00");
    assert_eq!(license["Entitlements"][0]["MaxCount"], 10);
    assert_eq!(license["Entitlements"][3]["Overage"], false);
    assert_eq!(license["Entitlements"][3]["AllowCheckIn"], false);
    assert_eq!(license["Entitlements"][2]["Value"], "Enterprise");
    assert_eq!(
        license["ConsumptionConfiguration"]["BorrowConfiguration"]["AllowEarlyCheckIn"],
        true
    );
    assert_eq!(license["LicenseMetadata"][0]["Name"], "Contract");
    assert_eq!(license["HomeRegion"], "us-east-1");
    assert_eq!(license["CreateTime"], "2026-06-01T00:00:00");
    assert_eq!(license["Version"], "1");
    assert!(!license.to_string().contains("null"));

    f.clock.set(1_798_761_600); // 2027-01-01T00:00:00Z, Validity.End
    let license = f
        .store
        .get_license(&bytes(&json!({"LicenseArn": arn})))
        .unwrap()["License"]
        .clone();
    assert_eq!(license["Status"], "EXPIRED");
}

fn create_license_rejects_schema_violations(kind: Kind) {
    let f = fixture(kind);
    type Change = Box<dyn Fn(&mut Value)>;
    let cases: Vec<(Change, &str)> = vec![
        (
            Box::new(|r| {
                r.as_object_mut().unwrap().remove("ProductSKU");
            }),
            "missing required member ProductSKU",
        ),
        (
            Box::new(|r| {
                r["Extra"] = json!(1);
            }),
            "unknown member Extra",
        ),
        (
            Box::new(|r| {
                r.as_object_mut().unwrap().remove("ClientToken");
            }),
            "missing required member ClientToken",
        ),
        (
            Box::new(|r| {
                r["Issuer"]["SignKey"] = json!("arn:aws:kms:us-east-1:123456789012:key/abc");
            }),
            "not a key thumbprint",
        ),
        (
            Box::new(|r| {
                r["Entitlements"][0]["Unit"] = json!("Seats");
            }),
            "not an AWS unit",
        ),
        (
            Box::new(|r| {
                r["Entitlements"][0]["MaxCount"] = json!("10");
            }),
            "Entitlements[0].MaxCount must be an integer",
        ),
        (
            Box::new(|r| {
                r["Entitlements"][0]["MaxCount"] = json!(0);
            }),
            "Entitlements[0].MaxCount is 0",
        ),
        (
            Box::new(|r| {
                r["Entitlements"][0]
                    .as_object_mut()
                    .unwrap()
                    .remove("MaxCount");
            }),
            "Entitlements[0].MaxCount",
        ),
        (
            Box::new(|r| {
                r["Entitlements"][1]["Name"] = json!("Seats");
            }),
            "two entries named \"Seats\"",
        ),
        (
            Box::new(|r| {
                r["Validity"]["End"] = json!("2025-01-01T00:00:00Z");
            }),
            "Validity.End must be later",
        ),
        (
            Box::new(|r| {
                r["Validity"]["Begin"] = json!("2026-01-01 00:00:00");
            }),
            "Validity.Begin",
        ),
        (
            Box::new(|r| {
                r["ConsumptionConfiguration"]["ProvisionalConfiguration"]
                    ["MaxTimeToLiveInMinutes"] = json!(-1);
            }),
            "MaxTimeToLiveInMinutes is -1",
        ),
        (
            Box::new(|r| {
                r["Entitlements"] = json!([]);
            }),
            "Entitlements is empty",
        ),
    ];
    for (index, (change, fragment)) in cases.iter().enumerate() {
        let mut request = license_request(&format!("bad-{index}"));
        change(&mut request);
        let error = assert_error(
            f.store.create_license(&bytes(&request)),
            ErrorKind::Validation,
            fragment,
        );
        assert!(
            error.message().starts_with("ValidationException: "),
            "{}",
            error.message()
        );
    }

    let error = f.store.create_license(b"{\"LicenseName\": ").unwrap_err();
    assert_eq!(error.kind(), ErrorKind::InvalidArgument);
    assert!(error
        .message()
        .starts_with("ValidationException: request is invalid"));
    let error = f.store.create_license(b"{\"a\":1,\"a\":2}").unwrap_err();
    assert!(
        error.message().contains("duplicate member \"a\""),
        "{}",
        error.message()
    );
}

fn create_license_replays_by_client_token(kind: Kind) {
    let f = fixture(kind);
    let first = f
        .store
        .create_license(&bytes(&license_request("same")))
        .unwrap();

    let mut reordered: serde_json::Map<String, Value> = serde_json::Map::new();
    let original = license_request("same");
    for (name, value) in original.as_object().unwrap().iter().rev() {
        reordered.insert(name.clone(), value.clone());
    }
    let replayed = f
        .store
        .create_license(&bytes(&Value::Object(reordered)))
        .unwrap();
    assert_eq!(replayed, first);

    let mut different = license_request("same");
    different["LicenseName"] = json!("Other");
    assert_error(
        f.store.create_license(&bytes(&different)),
        ErrorKind::Conflict,
        "ConflictException: ClientToken \"same\"",
    );
}

fn provisional_checkout_returns_signed_token(kind: Kind) {
    let f = fixture(kind);
    let arn = f.create_default();
    let response = f.checkout(provisional("2", "co-1")).unwrap();

    assert_eq!(response["CheckoutType"], "PROVISIONAL");
    assert_eq!(response["LicenseArn"], arn.as_str());
    assert_eq!(
        response["EntitlementsAllowed"],
        json!([{"Name": "Seats", "Unit": "Count", "Value": "2"}])
    );
    assert_eq!(response["NodeId"], "node-1");
    assert_eq!(response["IssuedAt"], "2026-06-01T00:00:00");
    assert_eq!(response["Expiration"], "2026-06-01T01:00:00");
    let token = response["LicenseConsumptionToken"].as_str().unwrap();
    assert_eq!(token.len(), 32);
    assert!(token
        .bytes()
        .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)));

    let verified = verify_at(response["SignedToken"].as_str().unwrap(), JUNE_2026).unwrap();
    assert_eq!(verified.header["alg"], "PS256");
    assert_eq!(verified.header["typ"], "JWT");
    assert_eq!(verified.header["kid"], signer().kid());
    let expected_payload = format!(
        r#"{{"entitlementsAllowed":[{{"name":"Seats","unit":"Count","value":"2"}}],"expiration":"2026-06-01T01:00:00","issuedAt":"2026-06-01T00:00:00","licenseArn":"{arn}","licenseConsumptionToken":"{token}","nodeId":"node-1","iat":{JUNE_2026},"exp":{}}}"#,
        JUNE_2026 + 3600
    );
    assert_eq!(
        String::from_utf8(verified.payload).unwrap(),
        expected_payload
    );
    assert_eq!(f.consumed(&arn, "Seats"), "2");
}

fn borrow_checkout_signs_ps384_with_metadata(kind: Kind) {
    let f = fixture(kind);
    let arn = f.create_default();
    let entitlements =
        json!([{"Name": "Seats", "Value": "1", "Unit": "Count"}, {"Name": "Tier", "Unit": "None"}]);
    let response = f.checkout(borrow(&arn, entitlements, "b-1")).unwrap();

    assert_eq!(response.get("CheckoutType"), None);
    assert_eq!(
        response["CheckoutMetadata"],
        json!([{"Name": "Mac", "Value": "ABCDEFGHI"}])
    );
    assert_eq!(response["Expiration"], "2026-06-02T00:00:00");
    assert_eq!(
        response["EntitlementsAllowed"][1],
        json!({"Name": "Tier", "Unit": "None", "Value": "Enterprise"})
    );

    let verified = verify_at(response["SignedToken"].as_str().unwrap(), JUNE_2026).unwrap();
    assert_eq!(verified.header["alg"], "PS384");
    let claims = verified.claims.unwrap();
    assert_eq!(claims.checkout_metadata.unwrap()["Mac"], "ABCDEFGHI");
    assert_eq!(claims.node_id.as_deref(), Some("100.20.15.10"));
    assert_eq!(claims.entitlements[1].value, "Enterprise");
}

fn checkout_license_discovers_tiers(kind: Kind) {
    let f = fixture(kind);
    f.create_default();
    let mut request = provisional("1", "tiers");
    request["Entitlements"] = json!([
        {"Name": "Basic", "Unit": "None"},
        {"Name": "Tier", "Unit": "None", "Value": "ignored"},
        {"Name": "Seats", "Unit": "Count", "Value": "1"}
    ]);
    let response = f.checkout(request).unwrap();
    assert_eq!(
        response["EntitlementsAllowed"],
        json!([{"Name": "Tier", "Unit": "None", "Value": "Enterprise"}, {"Name": "Seats", "Unit": "Count", "Value": "1"}])
    );
}

fn checkout_license_refusals_list_each_entitlement(kind: Kind) {
    let f = fixture(kind);
    let arn = f.create_default();
    let mut request = provisional("11", "refused");
    request["Entitlements"] = json!([
        {"Name": "Seats", "Unit": "Count", "Value": "11"},
        {"Name": "Storage", "Unit": "Count", "Value": "1"},
        {"Name": "Unknown", "Unit": "Count", "Value": "1"}
    ]);
    let error = assert_error(
        f.checkout(request),
        ErrorKind::NoEntitlementsAllowed,
        "NoEntitlementsAllowedException",
    );
    let names: Vec<&str> = error.reasons().iter().map(|r| r.name.as_str()).collect();
    assert_eq!(names, ["Seats", "Storage", "Unknown"]);
    assert!(
        error
            .message()
            .contains("Seats: 11 requested, 10 of MaxCount 10 available"),
        "{}",
        error.message()
    );
    assert!(
        error
            .message()
            .contains("Storage: unit Count requested, the license has Gigabytes"),
        "{}",
        error.message()
    );
    assert_eq!(f.consumed(&arn, "Seats"), "0");

    let mut only_unknown_tier = provisional("1", "nothing");
    only_unknown_tier["Entitlements"] = json!([{"Name": "Basic", "Unit": "None"}]);
    assert_error(
        f.checkout(only_unknown_tier),
        ErrorKind::NoEntitlementsAllowed,
        "none of the requested entitlements",
    );
}

fn borrow_refusals_use_402_then_401(kind: Kind) {
    let f = fixture(kind);
    let arn = f.create_default();
    let unknown =
        json!([{"Name": "Seats", "Unit": "Count", "Value": "1"}, {"Name": "Nope", "Unit": "None"}]);
    let error = assert_error(
        f.checkout(borrow(&arn, unknown, "b-unknown")),
        ErrorKind::EntitlementNotAllowed,
        "Nope: not in the license",
    );
    assert_eq!(error.reasons().len(), 1);

    let mismatch = json!([{"Name": "Seats", "Unit": "Bytes", "Value": "1"}]);
    assert_error(
        f.checkout(borrow(&arn, mismatch, "b-unit")),
        ErrorKind::EntitlementNotAllowed,
        "EntitlementNotAllowedException",
    );

    let too_many = json!([{"Name": "Seats", "Unit": "Count", "Value": "11"}]);
    assert_error(
        f.checkout(borrow(&arn, too_many, "b-many")),
        ErrorKind::NoEntitlementsAllowed,
        "Seats: 11 requested",
    );
    assert_eq!(f.consumed(&arn, "Seats"), "0");

    let mut bad_method = borrow(
        &arn,
        json!([{"Name": "Seats", "Unit": "Count", "Value": "1"}]),
        "b-method",
    );
    bad_method["DigitalSignatureMethod"] = json!("JWT_RS256");
    assert_error(
        f.checkout(bad_method),
        ErrorKind::UnsupportedSignatureMethod,
        "\"JWT_RS256\"",
    );
}

fn checkout_needs_configuration_for_its_type(kind: Kind) {
    let f = fixture(kind);
    let mut request = license_request("no-config");
    request["ConsumptionConfiguration"] = json!({"RenewType": "None"});
    let arn = f.create(&request);
    assert_error(
        f.checkout(provisional("1", "p")),
        ErrorKind::NoEntitlementsAllowed,
        "has no ProvisionalConfiguration",
    );
    let seats = json!([{"Name": "Seats", "Unit": "Count", "Value": "1"}]);
    assert_error(
        f.checkout(borrow(&arn, seats, "b")),
        ErrorKind::NoEntitlementsAllowed,
        "has no BorrowConfiguration",
    );
}

fn overage_is_recorded_and_reported(kind: Kind) {
    let f = fixture(kind);
    let arn = f.create_default();
    let mut request = provisional("1", "over-1");
    request["Entitlements"] = json!([{"Name": "Storage", "Unit": "Gigabytes", "Value": "80"}]);
    f.checkout(request.clone()).unwrap();
    request["ClientToken"] = json!("over-2");
    request["Entitlements"][0]["Value"] = json!("50");
    f.checkout(request).unwrap();

    let storage = f.usage_row(&arn, "Storage");
    assert_eq!(
        storage,
        json!({"Name": "Storage", "Unit": "Gigabytes", "ConsumedValue": "130", "MaxCount": "100", "OverageValue": "30"})
    );
    let usage = f
        .store
        .get_license_usage(&bytes(&json!({"LicenseArn": arn})))
        .unwrap();
    let names: Vec<&str> = usage["LicenseUsage"]["EntitlementUsages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["Name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["Seats", "Storage", "Perpetual"]);
}

fn checkout_replays_and_conflicts_by_client_token(kind: Kind) {
    let f = fixture(kind);
    let arn = f.create_default();
    let first = f.checkout(provisional("1", "replay")).unwrap();
    f.clock.advance(30);
    assert_eq!(f.checkout(provisional("1", "replay")).unwrap(), first);

    let token = first["LicenseConsumptionToken"].clone();
    f.store
        .check_in(&bytes(&json!({"LicenseConsumptionToken": token})))
        .unwrap();
    f.clock.advance(7200);
    assert_eq!(f.checkout(provisional("1", "replay")).unwrap(), first);
    assert_eq!(f.consumed(&arn, "Seats"), "0");

    assert_error(
        f.checkout(provisional("2", "replay")),
        ErrorKind::Conflict,
        "already used with a different CheckoutLicense",
    );

    // The scope of a ClientToken is one operation.
    let seats = json!([{"Name": "Seats", "Unit": "Count", "Value": "1"}]);
    f.checkout(borrow(&arn, seats, "replay")).unwrap();
}

fn check_in_returns_quantity_by_type(kind: Kind) {
    let f = fixture(kind);
    let arn = f.create_default();
    let consumption = |response: &Value| {
        bytes(&json!({"LicenseConsumptionToken": response["LicenseConsumptionToken"]}))
    };

    let provisional_response = f.checkout(provisional("3", "p")).unwrap();
    assert_eq!(f.consumed(&arn, "Seats"), "3");
    assert_eq!(
        f.store
            .check_in(&consumption(&provisional_response))
            .unwrap(),
        json!({})
    );
    assert_eq!(f.consumed(&arn, "Seats"), "0");
    assert_error(
        f.store.check_in(&consumption(&provisional_response)),
        ErrorKind::NotFound,
        "already checked in",
    );

    let mut perpetual = provisional("1", "perp");
    perpetual["CheckoutType"] = json!("PERPETUAL");
    perpetual["Entitlements"] = json!([{"Name": "Perpetual", "Unit": "Count", "Value": "1"}]);
    let perpetual_response = f.checkout(perpetual).unwrap();
    assert_error(
        f.store.check_in(&consumption(&perpetual_response)),
        ErrorKind::Conflict,
        "PERPETUAL",
    );

    let mut no_check_in = provisional("1", "nci");
    no_check_in["Entitlements"] = json!([{"Name": "Perpetual", "Unit": "Count", "Value": "1"}, {"Name": "Seats", "Unit": "Count", "Value": "1"}]);
    let response = f.checkout(no_check_in).unwrap();
    let error = assert_error(
        f.store.check_in(&consumption(&response)),
        ErrorKind::Conflict,
        "Perpetual: AllowCheckIn is false",
    );
    assert_eq!(error.reasons().len(), 1);

    assert_error(
        f.store.check_in(&bytes(
            &json!({"LicenseConsumptionToken": "00000000000000000000000000000000"}),
        )),
        ErrorKind::NotFound,
        "does not exist",
    );

    let expired = f.checkout(provisional("1", "exp")).unwrap();
    f.clock.advance(3600);
    assert_error(
        f.store.check_in(&consumption(&expired)),
        ErrorKind::NotFound,
        "expired at 2026-06-01T01:00:00",
    );
}

fn borrow_check_in_needs_early_check_in(kind: Kind) {
    let f = fixture(kind);
    let mut request = license_request("no-early");
    request["ConsumptionConfiguration"]["BorrowConfiguration"]["AllowEarlyCheckIn"] = json!(false);
    let arn = f.create(&request);
    let response = f
        .checkout(borrow(
            &arn,
            json!([{"Name": "Seats", "Unit": "Count", "Value": "1"}]),
            "b",
        ))
        .unwrap();
    let check_in = bytes(&json!({"LicenseConsumptionToken": response["LicenseConsumptionToken"]}));
    assert_error(
        f.store.check_in(&check_in),
        ErrorKind::Conflict,
        "does not allow early check-in",
    );
    assert_eq!(f.consumed(&arn, "Seats"), "1");
}

fn extend_moves_expiration_and_keeps_claims(kind: Kind) {
    let f = fixture(kind);
    let arn = f.create_default();
    let seats = json!([{"Name": "Seats", "Unit": "Count", "Value": "1"}]);
    let first = f.checkout(borrow(&arn, seats, "b")).unwrap();
    let token = first["LicenseConsumptionToken"]
        .as_str()
        .unwrap()
        .to_owned();
    f.clock.advance(3600);

    let dry = f
        .store
        .extend_license_consumption(
            signer(),
            &bytes(&json!({"LicenseConsumptionToken": token, "DryRun": true})),
        )
        .unwrap();
    assert_eq!(dry.get("SignedToken"), None);
    assert_eq!(dry["Expiration"], "2026-06-02T01:00:00");

    let extended = f
        .store
        .extend_license_consumption(signer(), &bytes(&json!({"LicenseConsumptionToken": token})))
        .unwrap();
    assert_eq!(extended["LicenseConsumptionToken"], token.as_str());
    assert_eq!(extended["IssuedAt"], "2026-06-01T01:00:00");
    assert_eq!(extended["Expiration"], "2026-06-02T01:00:00");

    let verified = verify_at(extended["SignedToken"].as_str().unwrap(), JUNE_2026 + 3600).unwrap();
    assert_eq!(verified.header["alg"], "PS384");
    let claims = verified.claims.unwrap();
    assert_eq!(claims.license_consumption_token, token);
    assert_eq!(claims.node_id.as_deref(), Some("100.20.15.10"));
    assert_eq!(claims.checkout_metadata.unwrap()["Mac"], "ABCDEFGHI");

    let listed = f
        .store
        .list_license_consumptions(&bytes(&json!({"LicenseArn": arn})))
        .unwrap();
    assert_eq!(
        listed["LicenseConsumptions"][0]["Expiration"],
        "2026-06-02T01:00:00"
    );

    let mut perpetual = provisional("1", "perp");
    perpetual["CheckoutType"] = json!("PERPETUAL");
    let perpetual = f.checkout(perpetual).unwrap();
    let request = bytes(&json!({"LicenseConsumptionToken": perpetual["LicenseConsumptionToken"]}));
    assert_error(
        f.store.extend_license_consumption(signer(), &request),
        ErrorKind::Validation,
        "check out again",
    );

    f.clock.advance(86400);
    let request = bytes(&json!({"LicenseConsumptionToken": token}));
    assert_error(
        f.store.extend_license_consumption(signer(), &request),
        ErrorKind::NotFound,
        "expired",
    );
}

fn expiry_returns_quantity_once(kind: Kind) {
    let f = fixture(kind);
    let arn = f.create_default();
    f.checkout(provisional("4", "a")).unwrap();
    f.clock.advance(1800);
    f.checkout(provisional("3", "b")).unwrap();
    assert_eq!(f.consumed(&arn, "Seats"), "7");

    f.clock.advance(1800);
    assert_eq!(f.consumed(&arn, "Seats"), "3");
    f.clock.advance(1800);
    assert_eq!(f.consumed(&arn, "Seats"), "0");

    let states: Vec<Value> = f
        .store
        .list_license_consumptions(&bytes(&json!({"LicenseArn": arn})))
        .unwrap()["LicenseConsumptions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["State"].clone())
        .collect();
    assert_eq!(states, [json!("EXPIRED"), json!("EXPIRED")]);
    let expired = f
        .store
        .list_license_consumptions(&bytes(&json!({"LicenseArn": arn, "State": "ACTIVE"})))
        .unwrap();
    assert_eq!(expired["LicenseConsumptions"], json!([]));
    assert_error(
        f.store
            .list_license_consumptions(&bytes(&json!({"LicenseArn": arn, "State": "GONE"}))),
        ErrorKind::Validation,
        "State is \"GONE\"",
    );
}

fn validity_bounds_checkout_and_expiration(kind: Kind) {
    let f = fixture(kind);
    let arn = f.create_default();
    f.clock.set(1_767_225_599); // one second before Validity.Begin
    assert_error(
        f.checkout(provisional("1", "early")),
        ErrorKind::NoEntitlementsAllowed,
        "license not yet valid",
    );

    f.clock.set(1_798_761_600 - 1800); // 30 minutes before Validity.End
    let response = f.checkout(provisional("1", "late")).unwrap();
    assert_eq!(response["Expiration"], "2027-01-01T00:00:00");

    f.clock.set(1_798_761_600);
    assert_error(
        f.checkout(provisional("1", "after")),
        ErrorKind::NoEntitlementsAllowed,
        "license expired",
    );
    let seats = json!([{"Name": "Seats", "Unit": "Count", "Value": "1"}]);
    assert_error(
        f.checkout(borrow(&arn, seats, "after-b")),
        ErrorKind::NoEntitlementsAllowed,
        "license expired",
    );
}

fn checkout_license_lookup_rules(kind: Kind) {
    let f = fixture(kind);
    let older = f.create_default();
    f.clock.advance(10);
    let mut newer_request = license_request("create-2");
    newer_request["Beneficiary"] = json!("customer-2");
    let newer = f.create(&newer_request);

    let response = f.checkout(provisional("1", "newest")).unwrap();
    assert_eq!(response["LicenseArn"], newer.as_str());

    let mut for_customer = provisional("1", "beneficiary");
    for_customer["Beneficiary"] = json!("customer-1");
    assert_eq!(
        f.checkout(for_customer).unwrap()["LicenseArn"],
        older.as_str()
    );

    let mut by_arn = provisional("1", "by-arn");
    by_arn["LicenseArn"] = json!(older);
    assert_eq!(f.checkout(by_arn).unwrap()["LicenseArn"], older.as_str());

    let mut disagree = provisional("1", "disagree");
    disagree["LicenseArn"] = json!(older);
    disagree["ProductSKU"] = json!("SKU-2");
    assert_error(
        f.checkout(disagree),
        ErrorKind::NotFound,
        "does not match ProductSKU \"SKU-2\"",
    );

    let mut unknown = provisional("1", "unknown");
    unknown["KeyFingerprint"] = json!("aws:000000000000:Other:issuer-fingerprint");
    assert_error(
        f.checkout(unknown),
        ErrorKind::NotFound,
        "no license has ProductSKU",
    );
}

fn checkout_rejects_wrong_signer(kind: Kind) {
    let f = fixture(kind);
    f.create_default();
    let result = f
        .store
        .checkout(other_signer(), &bytes(&provisional("1", "wrong")));
    let error = assert_error(result, ErrorKind::KeyInvalid, other_signer().kid());
    assert!(error.message().contains(signer().kid()));
}

fn checkout_request_schema_errors(kind: Kind) {
    let f = fixture(kind);
    f.create_default();
    let cases = [
        (
            json!({"ProductSKU": "SKU-1", "Entitlements": [], "ClientToken": "x"}),
            "neither CheckoutType",
        ),
        (
            json!({"ProductSKU": "SKU-1", "CheckoutType": "BORROW", "KeyFingerprint": "f", "Entitlements": [{"Name": "Seats", "Unit": "Count", "Value": "1"}], "ClientToken": "x"}),
            "CheckoutType is \"BORROW\"",
        ),
        (provisional("01", "x"), "Entitlements[0].Value is \"01\""),
        (provisional("-1", "x"), "Entitlements[0].Value is \"-1\""),
        (
            provisional("9223372036854775808", "x"),
            "Entitlements[0].Value",
        ),
        (
            json!({"CheckoutType": "PROVISIONAL", "ProductSKU": "SKU-1", "Entitlements": [{"Name": "Seats", "Unit": "Count", "Value": "1"}], "ClientToken": "x"}),
            "needs ProductSKU and KeyFingerprint",
        ),
    ];
    for (request, fragment) in cases {
        assert_error(f.checkout(request), ErrorKind::Validation, fragment);
    }
    let mut no_token = provisional("1", "x");
    no_token.as_object_mut().unwrap().remove("ClientToken");
    assert_error(
        f.checkout(no_token),
        ErrorKind::Validation,
        "missing required member ClientToken",
    );
}

#[test]
fn store_options_set_account_and_are_fixed() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("store.db");
    let location = path.to_str().unwrap();
    let store = Store::open_with_options(
        location,
        br#"{"accountId":"123456789012","synchronous":"FULL"}"#,
    )
    .unwrap();
    assert_eq!(store.account_id(), "123456789012");
    drop(store);

    assert_eq!(Store::open(location).unwrap().account_id(), "123456789012");
    let error = Store::open_with_options(location, br#"{"accountId":"210987654321"}"#).unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Validation);
    assert!(error
        .message()
        .contains("created with AccountId 123456789012"));

    for (options, fragment) in [
        (&br#"{"accountId":"12345"}"#[..], "not 12 digits"),
        (br#"{"synchronous":"OFF"}"#, "\"OFF\""),
        (br#"{"journal":"WAL"}"#, "unknown store option \"journal\""),
    ] {
        let error = Store::open_with_options(location, options).unwrap_err();
        assert_eq!(error.kind(), ErrorKind::InvalidArgument);
        assert!(error.message().contains(fragment), "{}", error.message());
    }

    let missing_folder = dir.path().join("missing/store.db");
    let error = Store::open(missing_folder.to_str().unwrap()).unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Store);
}

#[test]
fn file_store_keeps_checkouts_across_reopen() {
    let dir = tempfile::tempdir().unwrap();
    let location = dir.path().join("store.db");
    let location = location.to_str().unwrap();
    let clock = Arc::new(FixedClock::new(JUNE_2026));
    let arn = {
        let store = Store::open(location).unwrap().with_clock(clock.clone());
        let arn = store.create_license(&bytes(&license_request("c"))).unwrap();
        store
            .checkout(signer(), &bytes(&provisional("2", "co")))
            .unwrap();
        arn["LicenseArn"].as_str().unwrap().to_owned()
    };
    let f = Fixture {
        store: Store::open(location).unwrap().with_clock(clock.clone()),
        clock,
    };
    assert_eq!(f.consumed(&arn, "Seats"), "2");
}

fn concurrent_checkouts_never_exceed_max_count(location: &str) {
    let clock = Arc::new(FixedClock::new(JUNE_2026));
    let store = Arc::new(Store::open(location).unwrap().with_clock(clock));
    let arn = store.create_license(&bytes(&license_request("c"))).unwrap()["LicenseArn"]
        .as_str()
        .unwrap()
        .to_owned();

    let threads: Vec<_> = (0..8)
        .map(|thread| {
            let store = store.clone();
            std::thread::spawn(move || {
                let mut granted = 0;
                for attempt in 0..4 {
                    let request = provisional("1", &format!("t{thread}-{attempt}"));
                    match store.checkout(signer(), &bytes(&request)) {
                        Ok(_) => granted += 1,
                        Err(error) => assert_eq!(
                            error.kind(),
                            ErrorKind::NoEntitlementsAllowed,
                            "{}",
                            error.message()
                        ),
                    }
                }
                granted
            })
        })
        .collect();
    let granted: i32 = threads.into_iter().map(|t| t.join().unwrap()).sum();
    assert_eq!(granted, 10);

    let usage = store
        .get_license_usage(&bytes(&json!({"LicenseArn": arn})))
        .unwrap();
    assert_eq!(
        usage["LicenseUsage"]["EntitlementUsages"][0]["ConsumedValue"],
        "10"
    );
}

#[test]
fn concurrent_checkouts_on_sqlite_file() {
    let dir = tempfile::tempdir().unwrap();
    let location = dir.path().join("store.db");
    concurrent_checkouts_never_exceed_max_count(location.to_str().unwrap());
}

#[cfg(feature = "postgres")]
#[test]
fn concurrent_checkouts_on_postgres() {
    if let Some(location) = common_postgres::fresh_database() {
        concurrent_checkouts_never_exceed_max_count(&location);
    }
}

fn usage_follows_extend_and_check_in(kind: Kind) {
    let f = fixture(kind);
    let arn = f.create_default();
    let seats = json!([{"Name": "Seats", "Value": "2", "Unit": "Count"}]);
    let token = f.checkout(borrow(&arn, seats, "b-1")).unwrap()["LicenseConsumptionToken"]
        .as_str()
        .unwrap()
        .to_owned();
    let consumption = json!({"LicenseConsumptionToken": token});

    f.clock.advance(12 * 3600);
    f.store
        .extend_license_consumption(signer(), &bytes(&consumption))
        .unwrap();
    f.clock.advance(13 * 3600);
    assert_eq!(
        f.consumed(&arn, "Seats"),
        "2",
        "held past the first expiration"
    );

    f.store.check_in(&bytes(&consumption)).unwrap();
    assert_eq!(f.consumed(&arn, "Seats"), "0");
}

fn unknown_license_is_not_found(kind: Kind) {
    let f = fixture(kind);
    let arn = "arn:aws:license-manager::000000000000:license:l-00000000000000000000000000000000";
    for result in [
        f.store.get_license(&bytes(&json!({"LicenseArn": arn}))),
        f.store
            .get_license_usage(&bytes(&json!({"LicenseArn": arn}))),
        f.store
            .list_license_consumptions(&bytes(&json!({"LicenseArn": arn}))),
    ] {
        assert_error(
            result,
            ErrorKind::NotFound,
            "ResourceNotFoundException: license",
        );
    }
}

/// Opens a store of `kind` that a second handle can open as well, and returns its location.
fn shared_location(kind: Kind, dir: &tempfile::TempDir) -> String {
    match kind {
        Kind::Sqlite => dir.path().join("shared.db").to_string_lossy().into_owned(),
        #[cfg(feature = "postgres")]
        Kind::Postgres => fresh_location(kind).expect("a store location"),
    }
}

/// Returns a signer with `signer()`'s key that runs `during` while it signs, once per setting
/// of `interrupt`. `during` stands for another server that takes capacity between a checkout's
/// checks and its write.
fn interrupting_signer(interrupt: Arc<AtomicBool>, during: Box<dyn Fn() + Send + Sync>) -> Signer {
    let key = PrivateKey::from_pem_or_der(signer().private_key_pem().unwrap().as_bytes()).unwrap();
    let public = signer().public_key().to_spki_pem().unwrap();
    let sign = move |algorithm: Algorithm, digest: &[u8]| {
        if interrupt.swap(false, Ordering::SeqCst) {
            during();
        }
        key.sign_digest(algorithm, digest)
            .map_err(|e| e.message().to_owned())
    };
    Signer::from_digest_signer(public.as_bytes(), None, Box::new(sign)).unwrap()
}

fn capacity_taken_while_signing_is_checked_again(kind: Kind) {
    let dir = tempfile::tempdir().unwrap();
    let location = shared_location(kind, &dir);
    let clock = Arc::new(FixedClock::new(JUNE_2026));
    let store = Store::open(&location).unwrap().with_clock(clock.clone());
    let arn = store
        .create_license(&bytes(&license_request("create-1")))
        .unwrap()["LicenseArn"]
        .as_str()
        .unwrap()
        .to_owned();
    let other = Arc::new(Store::open(&location).unwrap().with_clock(clock));
    let seats = |value: &str, token: &str| {
        borrow(
            &arn,
            json!([{"Name": "Seats", "Unit": "Count", "Value": value}]),
            token,
        )
    };
    let storage = |value: &str, token: &str| {
        borrow(
            &arn,
            json!([{"Name": "Storage", "Unit": "Gigabytes", "Value": value}]),
            token,
        )
    };

    // Seats has no overage: 2 of 10 fit when the checks run, but 9 are taken meanwhile.
    let interrupt = Arc::new(AtomicBool::new(false));
    let taker = other.clone();
    let take_seats = bytes(&seats("9", "other-seats"));
    let signer_a = interrupting_signer(
        interrupt.clone(),
        Box::new(move || {
            taker.checkout(signer(), &take_seats).unwrap();
        }),
    );
    interrupt.store(true, Ordering::SeqCst);
    let error = store
        .checkout(&signer_a, &bytes(&seats("2", "late-seats")))
        .unwrap_err();
    assert_eq!(
        error.kind(),
        ErrorKind::NoEntitlementsAllowed,
        "{}",
        error.message()
    );
    assert_eq!(
        error.message(),
        "NoEntitlementsAllowedException: no entitlements allowed (Seats: 2 requested, 1 of MaxCount 10 available)"
    );
    let f = Fixture {
        store,
        clock: Arc::new(FixedClock::new(JUNE_2026)),
    };
    assert_eq!(f.consumed(&arn, "Seats"), "9");

    // Storage allows overage: 30 of 100 fit without overage when the checks run, 90 are
    // taken meanwhile, so the checkout is granted with 20 of overage instead.
    let taker = other.clone();
    let take_storage = bytes(&storage("90", "other-storage"));
    let signer_b = interrupting_signer(
        interrupt.clone(),
        Box::new(move || {
            taker.checkout(signer(), &take_storage).unwrap();
        }),
    );
    interrupt.store(true, Ordering::SeqCst);
    let response = f
        .store
        .checkout(&signer_b, &bytes(&storage("30", "late-storage")))
        .unwrap();
    assert_eq!(response["EntitlementsAllowed"][0]["Value"], "30");
    let token = response["SignedToken"].as_str().unwrap();
    let verified = verify_at(token, JUNE_2026).unwrap();
    assert_eq!(verified.claims.unwrap().license_arn, arn);
    let row = f.usage_row(&arn, "Storage");
    assert_eq!(row["ConsumedValue"], "120");
    assert_eq!(row["OverageValue"], "20");
}

on_every_store!(
    capacity_taken_while_signing_is_checked_again,
    usage_follows_extend_and_check_in,
    create_license_returns_arn_status_version,
    get_license_returns_aws_shape,
    create_license_rejects_schema_violations,
    create_license_replays_by_client_token,
    provisional_checkout_returns_signed_token,
    borrow_checkout_signs_ps384_with_metadata,
    checkout_license_discovers_tiers,
    checkout_license_refusals_list_each_entitlement,
    borrow_refusals_use_402_then_401,
    checkout_needs_configuration_for_its_type,
    overage_is_recorded_and_reported,
    checkout_replays_and_conflicts_by_client_token,
    check_in_returns_quantity_by_type,
    borrow_check_in_needs_early_check_in,
    extend_moves_expiration_and_keeps_claims,
    expiry_returns_quantity_once,
    validity_bounds_checkout_and_expiration,
    checkout_license_lookup_rules,
    checkout_rejects_wrong_signer,
    checkout_request_schema_errors,
    unknown_license_is_not_found,
);

#[test]
fn version_1_sqlite_store_upgrades_with_usage() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("store.db");
    let location = path.to_str().unwrap();
    let clock = Arc::new(FixedClock::new(JUNE_2026));
    let f = Fixture {
        store: Store::open(location).unwrap().with_clock(clock.clone()),
        clock: clock.clone(),
    };
    let arn = f.create_default();
    let seats = json!([{"Name": "Seats", "Value": "7", "Unit": "Count"}]);
    f.checkout(borrow(&arn, seats, "b-1")).unwrap();
    drop(f);

    // A version 1 store had no usage table.
    let connection = rusqlite::Connection::open(&path).unwrap();
    connection
        .execute_batch(
            "DROP TABLE usage; UPDATE meta SET value = '1' WHERE name = 'schema_version'",
        )
        .unwrap();
    drop(connection);

    let f = Fixture {
        store: Store::open(location).unwrap().with_clock(clock.clone()),
        clock,
    };
    assert_eq!(f.consumed(&arn, "Seats"), "7");
    let more = json!([{"Name": "Seats", "Value": "4", "Unit": "Count"}]);
    let refused = f.checkout(borrow(&arn, more, "b-2")).unwrap_err();
    assert_eq!(refused.kind(), ErrorKind::NoEntitlementsAllowed);
    let version: String = rusqlite::Connection::open(&path)
        .unwrap()
        .query_row(
            "SELECT value FROM meta WHERE name = 'schema_version'",
            [],
            |row| row.get(0),
        )
        .unwrap();
    assert_eq!(version, "2");
}

#[test]
fn newer_sqlite_schema_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("store.db");
    let location = path.to_str().unwrap();
    drop(Store::open(location).unwrap());

    let connection = rusqlite::Connection::open(&path).unwrap();
    connection
        .execute(
            "UPDATE meta SET value = '3' WHERE name = 'schema_version'",
            [],
        )
        .unwrap();
    drop(connection);

    let error = Store::open(location).unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Store);
    assert!(
        error.message().contains("schema version 3"),
        "{}",
        error.message()
    );
}
