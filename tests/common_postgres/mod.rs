//! A fresh PostgreSQL database per test, on the server named by `LM_TEST_POSTGRES_URL`.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

/// Creates an empty database and returns its URL, or `None` (with the reason printed) when
/// `LM_TEST_POSTGRES_URL` is unset on a developer's machine. Under `CI=true` an unset URL
/// fails the test, so CI cannot pass by skipping.
pub fn fresh_database() -> Option<String> {
    let Ok(admin_url) = std::env::var("LM_TEST_POSTGRES_URL") else {
        if std::env::var("CI").is_ok_and(|value| value == "true") {
            panic!("LM_TEST_POSTGRES_URL is unset, but CI must run the PostgreSQL store tests");
        }
        eprintln!("skipped: set LM_TEST_POSTGRES_URL (scripts/postgres.sh start prints it) to test PostgreSQL");
        return None;
    };

    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos());
    let name = format!(
        "lm_test_{}_{}_{}",
        std::process::id(),
        nanos,
        COUNTER.fetch_add(1, Ordering::SeqCst)
    );

    let mut admin = postgres::Client::connect(&admin_url, postgres::NoTls)
        .expect("the PostgreSQL server of LM_TEST_POSTGRES_URL accepts connections");
    admin
        .batch_execute(&format!("CREATE DATABASE {name}"))
        .expect("CREATE DATABASE works");
    Some(with_database(&admin_url, &name))
}

/// Returns `url` with its database path replaced by `name`.
fn with_database(url: &str, name: &str) -> String {
    let (scheme, rest) = url.split_once("://").expect("a URL with a scheme");
    let (authority, query) = match rest.split_once('?') {
        Some((before, query)) => (before, Some(query)),
        None => (rest, None),
    };
    let host = authority.split('/').next().unwrap_or(authority);
    match query {
        Some(query) => format!("{scheme}://{host}/{name}?{query}"),
        None => format!("{scheme}://{host}/{name}"),
    }
}
