//! Stress tests of the license store on SQLite and PostgreSQL, with real processes: the test
//! binary runs itself again as worker processes (see `worker_process`).
//!
//! - Concurrency: 6 processes x 4 threads borrow, extend and check in one license with
//!   MaxCount 3 while a reader process checks the counts continuously.
//! - Crash: rounds of workers killed with SIGKILL during checkouts; after each round the store
//!   reopens, the invariants hold and ClientToken retries return the original responses.
//! - Expiry: processes on one fixed moment give expired seats back exactly once.
//!
//! The PostgreSQL tests need `LM_TEST_POSTGRES_URL` (`scripts/postgres.sh start` prints it).
//! Each scenario prints its operation counts; run with `--nocapture` to see them.

// Without the `postgres` feature the PostgreSQL tests are not built, rather than skipped.
#[cfg(feature = "postgres")]
mod common_postgres;
mod stress_support;

use std::path::{Path, PathBuf};
use std::sync::{Mutex, OnceLock};

use checkout::Signer;
use stress_support::process::ROLE_VAR;
use stress_support::{concurrency, crash, expiry, workers};

/// Runs a worker when the parent started this binary with `LM_STRESS_ROLE`; in a normal test
/// run it does nothing.
#[test]
fn worker_process() {
    let Ok(role) = std::env::var(ROLE_VAR) else {
        return;
    };
    workers::run(&role);
    // Exit before the harness prints its own lines after the worker's reports.
    std::process::exit(0);
}

/// Serializes the scenarios, because each one sizes its load for the whole machine.
fn one_at_a_time() -> std::sync::MutexGuard<'static, ()> {
    static LOCK: Mutex<()> = Mutex::new(());
    LOCK.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

fn signer() -> &'static Signer {
    static SIGNER: OnceLock<Signer> = OnceLock::new();
    SIGNER.get_or_init(|| Signer::generate(2048, None).expect("a 2048-bit key generates"))
}

/// A scratch folder with the signing key that workers load.
struct Scratch {
    dir: tempfile::TempDir,
    key_path: PathBuf,
}

fn scratch() -> Scratch {
    let dir = tempfile::tempdir().expect("a temporary folder is created");
    let key_path = dir.path().join("signing-key.pem");
    let pem = signer().private_key_pem().expect("the key exports as PEM");
    std::fs::write(&key_path, pem.as_bytes()).expect("the key file is written");
    Scratch { dir, key_path }
}

fn sqlite_location(dir: &Path) -> String {
    dir.join("licenses.db").display().to_string()
}

/// Fails unless SQLite's own consistency check passes on the store file.
fn sqlite_integrity(location: &str) {
    let connection = rusqlite::Connection::open(location).expect("the store file opens");
    let result: String = connection
        .query_row("PRAGMA integrity_check", [], |row| row.get(0))
        .expect("integrity_check runs");
    assert_eq!(result, "ok", "PRAGMA integrity_check of {location}");
}

#[test]
fn sqlite_concurrent_processes_never_over_allocate() {
    let _serial = one_at_a_time();
    let scratch = scratch();
    let location = sqlite_location(scratch.dir.path());
    concurrency::run(
        "sqlite",
        &location,
        &scratch.key_path,
        scratch.dir.path(),
        signer(),
    );
    sqlite_integrity(&location);
}

#[test]
fn sqlite_sigkill_during_checkouts_loses_nothing() {
    let _serial = one_at_a_time();
    let scratch = scratch();
    let location = sqlite_location(scratch.dir.path());
    crash::run("sqlite", &location, &scratch.key_path, signer(), &|| {
        sqlite_integrity(&location)
    });
}

#[test]
fn sqlite_expiry_returns_seats_once() {
    let _serial = one_at_a_time();
    let scratch = scratch();
    let location = sqlite_location(scratch.dir.path());
    expiry::run(
        "sqlite",
        &location,
        &scratch.key_path,
        scratch.dir.path(),
        signer(),
    );
}

#[cfg(feature = "postgres")]
#[test]
fn postgres_concurrent_processes_never_over_allocate() {
    let Some(location) = common_postgres::fresh_database() else {
        return;
    };
    let _serial = one_at_a_time();
    let scratch = scratch();
    concurrency::run(
        "postgres",
        &location,
        &scratch.key_path,
        scratch.dir.path(),
        signer(),
    );
}

#[cfg(feature = "postgres")]
#[test]
fn postgres_sigkill_during_checkouts_loses_nothing() {
    let Some(location) = common_postgres::fresh_database() else {
        return;
    };
    let _serial = one_at_a_time();
    let scratch = scratch();
    crash::run("postgres", &location, &scratch.key_path, signer(), &|| {
        wait_for_killed_sessions(&location)
    });
}

/// Returns once the database has no session left but the caller's. A killed client's server
/// session may still be running a statement that it sent, which then commits; until the
/// session ends, the round's writers are not all done.
#[cfg(feature = "postgres")]
fn wait_for_killed_sessions(location: &str) {
    let mut admin = postgres::Client::connect(location, postgres::NoTls).unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    loop {
        let others: i64 = admin
            .query_one(
                "SELECT count(*) FROM pg_stat_activity
                 WHERE datname = current_database() AND pid <> pg_backend_pid()",
                &[],
            )
            .unwrap()
            .get(0);
        if others == 0 {
            return;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "{others} sessions of killed workers still run after 30 s"
        );
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
}

#[cfg(feature = "postgres")]
#[test]
fn postgres_expiry_returns_seats_once() {
    let Some(location) = common_postgres::fresh_database() else {
        return;
    };
    let _serial = one_at_a_time();
    let scratch = scratch();
    expiry::run(
        "postgres",
        &location,
        &scratch.key_path,
        scratch.dir.path(),
        signer(),
    );
}
