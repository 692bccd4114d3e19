//! The PostgreSQL store's per-license locking: a writer of one license waits for that
//! license's advisory lock alone, whose key is documented so operators can read `pg_locks`:
//! the first 8 bytes, big-endian, of SHA-256("license" || 0x00 || LicenseArn).
//!
//! Needs `LM_TEST_POSTGRES_URL` (`scripts/postgres.sh start` prints it).

#![cfg(feature = "postgres")]

mod common_postgres;

use std::sync::mpsc;
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use checkout::license::Store;
use checkout::{FixedClock, Signer};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

/// 2026-06-01T00:00:00Z, inside the license's validity.
const JUNE_2026: i64 = 1_780_272_000;

/// How long a step may take before the test calls it stuck; a bound against hanging, not a
/// measurement.
const STUCK: Duration = Duration::from_secs(60);

fn signer() -> &'static Signer {
    static SIGNER: OnceLock<Signer> = OnceLock::new();
    SIGNER.get_or_init(|| Signer::generate(2048, None).expect("key generation works"))
}

fn create_license(store: &Store, client_token: &str) -> String {
    let request = json!({
        "LicenseName": "Analytics",
        "ProductName": "Analytics",
        "ProductSKU": "SKU-LOCKS",
        "Issuer": {"Name": "Vendor", "SignKey": signer().kid()},
        "HomeRegion": "us-east-1",
        "Validity": {"Begin": "2026-01-01T00:00:00Z", "End": "2027-01-01T00:00:00Z"},
        "Beneficiary": "customer-1",
        "Entitlements": [{"Name": "Seats", "Unit": "Count", "MaxCount": 5, "AllowCheckIn": true}],
        "ConsumptionConfiguration": {
            "BorrowConfiguration": {"AllowEarlyCheckIn": true, "MaxTimeToLiveInMinutes": 60}
        },
        "ClientToken": client_token
    });
    let response = store
        .create_license(request.to_string().as_bytes())
        .expect("the license is created");
    response["LicenseArn"].as_str().unwrap().to_owned()
}

fn borrow(store: &Store, arn: &str, client_token: &str) -> checkout::Result<Value> {
    let request = json!({
        "LicenseArn": arn,
        "Entitlements": [{"Name": "Seats", "Value": "1", "Unit": "Count"}],
        "DigitalSignatureMethod": "JWT_PS384",
        "NodeId": "node-1",
        "ClientToken": client_token
    });
    store.checkout(signer(), request.to_string().as_bytes())
}

fn license_lock_key(arn: &str) -> i64 {
    let mut hasher = Sha256::new();
    hasher.update(b"license\0");
    hasher.update(arn.as_bytes());
    let digest = hasher.finalize();
    i64::from_be_bytes(digest[..8].try_into().unwrap())
}

/// Opens the store at `location` on the fixed clock, to share between threads.
fn open_shared(location: &str) -> Arc<Store> {
    Arc::new(
        Store::open(location)
            .unwrap()
            .with_clock(Arc::new(FixedClock::new(JUNE_2026))),
    )
}

/// Starts a borrow on another thread and returns the channel its result arrives on.
fn borrow_in_background(
    store: &Arc<Store>,
    arn: &str,
    client_token: &str,
) -> mpsc::Receiver<checkout::Result<Value>> {
    let (sender, receiver) = mpsc::channel();
    let (store, arn, client_token) = (store.clone(), arn.to_owned(), client_token.to_owned());
    std::thread::spawn(move || {
        let _ = sender.send(borrow(&store, &arn, &client_token));
    });
    receiver
}

/// Waits until some session waits for the advisory lock `key`, as `pg_locks` shows it.
fn wait_for_waiter(observer: &mut postgres::Client, key: i64) {
    let deadline = Instant::now() + STUCK;
    loop {
        let waiting: i64 = observer
            .query_one(
                "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted
                 AND objsubid = 1 AND ((classid::BIGINT << 32) | objid::BIGINT) = $1",
                &[&key],
            )
            .unwrap()
            .get(0);
        if waiting > 0 {
            return;
        }
        assert!(Instant::now() < deadline, "no checkout waited for the license lock");
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn license_lock_blocks_only_that_license() {
    let Some(location) = common_postgres::fresh_database() else {
        return;
    };
    let store = open_shared(&location);
    let held = create_license(&store, "create-held");
    let free = create_license(&store, "create-free");

    let mut holder = postgres::Client::connect(&location, postgres::NoTls).unwrap();
    let mut observer = postgres::Client::connect(&location, postgres::NoTls).unwrap();
    let mut transaction = holder.transaction().unwrap();
    transaction
        .execute("SELECT pg_advisory_xact_lock($1)", &[&license_lock_key(&held)])
        .unwrap();

    let waiting = borrow_in_background(&store, &held, "borrow-held");
    wait_for_waiter(&mut observer, license_lock_key(&held));

    let other = borrow_in_background(&store, &free, "borrow-free")
        .recv_timeout(STUCK)
        .expect("a checkout of another license does not wait")
        .expect("the checkout of the free license succeeds");
    assert_eq!(other["EntitlementsAllowed"][0]["Value"], "1");
    assert!(
        waiting.try_recv().is_err(),
        "the checkout of the held license finished while its lock was held"
    );

    transaction.commit().unwrap();
    let released = waiting
        .recv_timeout(STUCK)
        .expect("the checkout resumes once the lock is released")
        .expect("the checkout of the held license succeeds");
    assert_eq!(released["LicenseArn"], held.as_str());
}

#[test]
fn client_token_concurrent_requests_share_result() {
    let Some(location) = common_postgres::fresh_database() else {
        return;
    };
    let store = open_shared(&location);
    let arn = create_license(&store, "create-1");
    // One seat left: a request that ran its capacity check beside the first, instead of
    // waiting for it, would be rejected instead of replaying.
    for taken in 0..4 {
        borrow(&store, &arn, &format!("other-{taken}")).unwrap();
    }

    let receivers: Vec<_> = (0..8)
        .map(|_| borrow_in_background(&store, &arn, "same-token"))
        .collect();
    let tokens: Vec<String> = receivers
        .into_iter()
        .map(|receiver| {
            let response = receiver
                .recv_timeout(STUCK)
                .expect("every request finishes")
                .expect("every request succeeds: one checks out, the others replay");
            response["LicenseConsumptionToken"]
                .as_str()
                .unwrap()
                .to_owned()
        })
        .collect();

    assert!(tokens.iter().all(|token| *token == tokens[0]));
    let usage = store
        .get_license_usage(json!({"LicenseArn": arn}).to_string().as_bytes())
        .unwrap();
    assert_eq!(
        usage["LicenseUsage"]["EntitlementUsages"][0]["ConsumedValue"],
        "5"
    );
}
