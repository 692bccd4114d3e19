//! PostgreSQL schema versions: a version 1 store is upgraded in place with its usage intact,
//! and a newer version is refused.
//!
//! Needs `LM_TEST_POSTGRES_URL` (`scripts/postgres.sh start` prints it).

#![cfg(feature = "postgres")]

mod common_postgres;

use std::sync::Arc;

use checkout::license::Store;
use checkout::{ErrorKind, FixedClock, Signer};
use serde_json::json;

/// 2026-06-01T00:00:00Z, inside the license's validity.
const JUNE_2026: i64 = 1_780_272_000;

fn open(location: &str, now: i64) -> Store {
    Store::open(location)
        .unwrap()
        .with_clock(Arc::new(FixedClock::new(now)))
}

/// Creates a license with `Seats` (MaxCount 5) and checks out `seats` of them in one borrow.
fn license_with_borrow(store: &Store, signer: &Signer, seats: &str) -> String {
    let request = json!({
        "LicenseName": "Analytics", "ProductName": "Analytics", "ProductSKU": "SKU-SCHEMA",
        "Issuer": {"Name": "Vendor", "SignKey": signer.kid()},
        "HomeRegion": "us-east-1",
        "Validity": {"Begin": "2026-01-01T00:00:00Z", "End": "2027-01-01T00:00:00Z"},
        "Beneficiary": "customer-1",
        "Entitlements": [{"Name": "Seats", "Unit": "Count", "MaxCount": 5, "AllowCheckIn": true}],
        "ConsumptionConfiguration": {
            "BorrowConfiguration": {"AllowEarlyCheckIn": true, "MaxTimeToLiveInMinutes": 60}
        },
        "ClientToken": "create-1"
    });
    let arn = store
        .create_license(request.to_string().as_bytes())
        .unwrap()["LicenseArn"]
        .as_str()
        .unwrap()
        .to_owned();
    let borrow = json!({
        "LicenseArn": arn,
        "Entitlements": [{"Name": "Seats", "Value": seats, "Unit": "Count"}],
        "DigitalSignatureMethod": "JWT_PS384",
        "ClientToken": "borrow-1"
    });
    store
        .checkout(signer, borrow.to_string().as_bytes())
        .unwrap();
    arn
}

fn consumed(store: &Store, arn: &str) -> String {
    let usage = store
        .get_license_usage(json!({"LicenseArn": arn}).to_string().as_bytes())
        .unwrap();
    usage["LicenseUsage"]["EntitlementUsages"][0]["ConsumedValue"]
        .as_str()
        .unwrap()
        .to_owned()
}

#[test]
fn version_1_store_upgrades_with_usage() {
    let Some(location) = common_postgres::fresh_database() else {
        return;
    };
    let signer = Signer::generate(2048, None).unwrap();
    let arn = license_with_borrow(&open(&location, JUNE_2026), &signer, "3");

    // A version 1 store had no lm_usage table.
    let mut admin = postgres::Client::connect(&location, postgres::NoTls).unwrap();
    admin
        .batch_execute(
            "DROP TABLE lm_usage; UPDATE lm_meta SET value = '1' WHERE name = 'schema_version'",
        )
        .unwrap();

    let store = open(&location, JUNE_2026);
    let version: String = admin
        .query_one(
            "SELECT value FROM lm_meta WHERE name = 'schema_version'",
            &[],
        )
        .unwrap()
        .get(0);
    assert_eq!(version, "2");
    assert_eq!(consumed(&store, &arn), "3");

    let borrow = json!({
        "LicenseArn": arn,
        "Entitlements": [{"Name": "Seats", "Value": "3", "Unit": "Count"}],
        "DigitalSignatureMethod": "JWT_PS384",
        "ClientToken": "borrow-2"
    });
    let refused = store
        .checkout(&signer, borrow.to_string().as_bytes())
        .unwrap_err();
    assert_eq!(refused.kind(), ErrorKind::NoEntitlementsAllowed);
}

#[test]
fn newer_postgres_schema_is_refused() {
    let Some(location) = common_postgres::fresh_database() else {
        return;
    };
    drop(open(&location, JUNE_2026));
    let mut admin = postgres::Client::connect(&location, postgres::NoTls).unwrap();
    admin
        .batch_execute("UPDATE lm_meta SET value = '3' WHERE name = 'schema_version'")
        .unwrap();

    let error = Store::open(&location).unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Store);
    assert!(
        error.message().contains(
            "this PostgreSQL store has schema version 3, but this libcheckout reads version 2"
        ),
        "{}",
        error.message()
    );
}

/// Returns `location` with its user replaced by `user`.
fn as_user(location: &str, user: &str) -> String {
    let (scheme, rest) = location.split_once("://").unwrap();
    let (_, host_and_path) = rest.split_once('@').unwrap();
    format!("{scheme}://{user}@{host_and_path}")
}

#[test]
fn another_role_opens_a_created_store() {
    let Some(location) = common_postgres::fresh_database() else {
        return;
    };
    let signer = Signer::generate(2048, None).unwrap();
    let arn = license_with_borrow(&open(&location, JUNE_2026), &signer, "2");

    // A role that may use the tables and the function, but owns none of them.
    let role = location
        .rsplit('/')
        .next()
        .unwrap()
        .replace("lm_test", "lm_app");
    let mut admin = postgres::Client::connect(&location, postgres::NoTls).unwrap();
    admin
        .batch_execute(&format!(
            "CREATE ROLE {role} LOGIN;
             GRANT USAGE ON SCHEMA public TO {role};
             GRANT SELECT, INSERT, UPDATE ON ALL TABLES IN SCHEMA public TO {role};"
        ))
        .unwrap();

    let store = open(&as_user(&location, &role), JUNE_2026);
    let borrow = json!({
        "LicenseArn": arn,
        "Entitlements": [{"Name": "Seats", "Value": "1", "Unit": "Count"}],
        "DigitalSignatureMethod": "JWT_PS384",
        "ClientToken": "borrow-as-app"
    });
    store
        .checkout(&signer, borrow.to_string().as_bytes())
        .unwrap();
    assert_eq!(consumed(&store, &arn), "3");
    drop(store);

    admin
        .batch_execute(&format!("DROP OWNED BY {role}; DROP ROLE {role};"))
        .unwrap();
}

#[test]
fn changed_checkout_function_gives_store_error() {
    let Some(location) = common_postgres::fresh_database() else {
        return;
    };
    let signer = Signer::generate(2048, None).unwrap();
    let store = open(&location, JUNE_2026);
    let arn = license_with_borrow(&store, &signer, "1");

    // The same signature and result type, but a row of NULLs.
    let mut admin = postgres::Client::connect(&location, postgres::NoTls).unwrap();
    let definition = include_str!("../src/license/postgres/record_checkout.sql");
    let body_start = definition.find("AS $body$").unwrap();
    let header = &definition[definition.find("CREATE OR REPLACE").unwrap()..body_start];
    admin
        .batch_execute(&format!(
            "{header} AS $body$ BEGIN RETURN QUERY SELECT NULL::INTEGER, NULL::TEXT, NULL::TEXT, \
             NULL::BIGINT, NULL::BIGINT; END $body$;"
        ))
        .unwrap();
    let borrow = |token: &str| {
        json!({
            "LicenseArn": arn,
            "Entitlements": [{"Name": "Seats", "Value": "1", "Unit": "Count"}],
            "DigitalSignatureMethod": "JWT_PS384",
            "ClientToken": token
        })
        .to_string()
    };
    let error = store
        .checkout(&signer, borrow("after-change").as_bytes())
        .unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Store);
    assert_eq!(
        error.message(),
        "PostgreSQL function lm_record_checkout_v1 returned an unreadable row, so it was changed \
         outside libcheckout; drop the function and open the store again to recreate it"
    );
    assert_eq!(consumed(&store, &arn), "1");

    admin
        .batch_execute("DROP FUNCTION lm_record_checkout_v1")
        .unwrap();
    let reopened = open(&location, JUNE_2026);
    reopened
        .checkout(&signer, borrow("after-recreate").as_bytes())
        .unwrap();
    assert_eq!(consumed(&reopened, &arn), "2");
}
