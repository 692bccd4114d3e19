//! The PostgreSQL store's connection pool: connections that the server closed while they were
//! idle in the pool are replaced, so no call fails because of them.
//!
//! Needs `LM_TEST_POSTGRES_URL` (`scripts/postgres.sh start` prints it).

#![cfg(feature = "postgres")]

mod common_postgres;

use std::sync::{Arc, Barrier};
use std::thread;
use std::time::Duration;

use checkout::license::Store;
use serde_json::json;

/// How many connections the test leaves idle in the pool before the server closes them.
const POOLED: usize = 8;

#[test]
fn connections_closed_by_the_server_are_replaced() {
    let Some(location) = common_postgres::fresh_database() else {
        return;
    };
    let store = Store::open(&location).unwrap();
    let request = json!({
        "LicenseArn": "arn:aws:license-manager::000000000000:license:l-00000000000000000000000000000000"
    })
    .to_string();

    // Calls that overlap leave as many connections in the pool.
    let barrier = Arc::new(Barrier::new(POOLED));
    thread::scope(|scope| {
        for _ in 0..POOLED {
            let barrier = barrier.clone();
            let (store, request) = (&store, &request);
            scope.spawn(move || {
                barrier.wait();
                store.get_license_usage(request.as_bytes()).unwrap_err();
            });
        }
    });

    let mut admin = postgres::Client::connect(&location, postgres::NoTls).unwrap();
    let closed = admin
        .query(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity
             WHERE datname = current_database() AND pid <> pg_backend_pid()",
            &[],
        )
        .unwrap()
        .len();
    assert!(closed >= 1, "the pool keeps at least one connection");
    // The server's message and the end of the socket reach the client asynchronously.
    thread::sleep(Duration::from_millis(200));

    for _ in 0..POOLED + 2 {
        let error = store.get_license_usage(request.as_bytes()).unwrap_err();
        assert_eq!(
            error.kind(),
            checkout::ErrorKind::NotFound,
            "{}",
            error.message()
        );
    }
}
