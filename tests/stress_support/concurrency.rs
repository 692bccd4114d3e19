//! Parent side of the concurrency scenario: churn workers and one reader on one license.

use std::collections::BTreeSet;
use std::path::Path;

use super::fixture::{
    active_sum, consumed, consumptions, create_license, open_store, tokens_in_state,
};
use super::process::{Finished, Worker};
use super::rng::Rng;
use super::workers::{
    held_tokens, ARN_VAR, KEY_VAR, NAME_VAR, OPS_VAR, STOP_FILE_VAR, STORE_VAR, THREADS_VAR,
    WORKER_SEED_VAR,
};

pub const PROCESSES: u64 = 6;
pub const THREADS: u64 = 4;

/// Operations per thread: a borrow attempt, an extend or a check-in each.
pub const OPS_PER_THREAD: u64 = 1000;

/// Totals of the churn workers' `counts` reports.
#[derive(Debug, Default)]
struct Totals {
    borrow_attempts: u64,
    borrow_ok: u64,
    borrow_rejected: u64,
    extend_ok: u64,
    check_in_ok: u64,
    unexpected: u64,
}

fn add_counts(totals: &mut Totals, finished: &Finished) {
    for report in finished.of_kind("counts") {
        let n: Vec<u64> = report
            .fields(6)
            .iter()
            .map(|f| f.parse().expect("counts are numbers"))
            .collect();
        totals.borrow_attempts += n[0];
        totals.borrow_ok += n[1];
        totals.borrow_rejected += n[2];
        totals.extend_ok += n[3];
        totals.check_in_ok += n[4];
        totals.unexpected += n[5];
    }
}

/// Runs the scenario against `location`, with the signing key in `key_path` and scratch
/// files in `dir`.
pub fn run(label: &str, location: &str, key_path: &Path, dir: &Path, signer: &checkout::Signer) {
    let store = open_store(location, None);
    let arn = create_license(&store, signer, "stress-concurrency-license", 60, 60);
    let (mut rng, seed) = Rng::from_env_or_clock();
    println!("{label} concurrency: seed {seed}; {PROCESSES} processes x {THREADS} threads x {OPS_PER_THREAD} operations");

    let stop_file = dir.join("stop-concurrency");
    let mut common = |name: String| {
        vec![
            (STORE_VAR, location.to_owned()),
            (KEY_VAR, key_path.display().to_string()),
            (ARN_VAR, arn.clone()),
            (NAME_VAR, name),
            (THREADS_VAR, THREADS.to_string()),
            (OPS_VAR, OPS_PER_THREAD.to_string()),
            (WORKER_SEED_VAR, rng.next_u64().to_string()),
            (STOP_FILE_VAR, stop_file.display().to_string()),
        ]
    };

    let reader = Worker::spawn("reader", "reader", &common("reader".into()));
    let churners: Vec<Worker> = (0..PROCESSES)
        .map(|p| {
            let name = format!("churn{p}");
            Worker::spawn(&name, "churn", &common(name.clone()))
        })
        .collect();
    let churned: Vec<Finished> = churners.into_iter().map(Worker::finish).collect();
    std::fs::write(&stop_file, b"").expect("the stop file is written");
    let read = reader.finish();

    for finished in churned.iter().chain([&read]) {
        finished.assert_clean();
    }

    let mut totals = Totals::default();
    for finished in &churned {
        add_counts(&mut totals, finished);
    }
    let summary = read
        .of_kind("reader-summary")
        .next()
        .expect("the reader printed its summary");
    let fields: Vec<u64> = summary
        .fields(3)
        .iter()
        .map(|f| f.parse().expect("summary fields are numbers"))
        .collect();
    let (samples, exact_samples, max_active) = (fields[0], fields[1], fields[2]);
    println!(
        "{label} concurrency: {} operations: {} borrows ({} granted, {} rejected with 401), \
         {} extends, {} check-ins; reader: {samples} samples, {exact_samples} with an unchanged list, \
         at most {max_active} seats ACTIVE",
        totals.borrow_attempts + totals.extend_ok + totals.check_in_ok,
        totals.borrow_attempts,
        totals.borrow_ok,
        totals.borrow_rejected,
        totals.extend_ok,
        totals.check_in_ok
    );

    assert_eq!(totals.unexpected, 0, "workers counted unexpected outcomes");
    assert_eq!(
        totals.borrow_attempts + totals.extend_ok + totals.check_in_ok,
        PROCESSES * THREADS * OPS_PER_THREAD,
        "every operation ended in an expected outcome"
    );
    assert_eq!(
        totals.borrow_attempts,
        totals.borrow_ok + totals.borrow_rejected,
        "every borrow ended in success or 401"
    );
    assert!(totals.borrow_ok > 0, "some borrows succeeded");
    assert!(totals.borrow_rejected > 0, "the seats were contended");
    assert!(
        exact_samples >= 1,
        "the reader's last sample, after the workers, is exact"
    );

    // Exact bookkeeping: every success is one consumption, every check-in one CHECKED_IN, and
    // the seats still ACTIVE are exactly the ones the workers reported holding.
    let listed = consumptions(&store, &arn);
    let (active, active_count) = active_sum(&listed);
    assert_eq!(
        listed.len() as u64,
        totals.borrow_ok,
        "one consumption per granted borrow"
    );
    assert_eq!(
        tokens_in_state(&listed, "CHECKED_IN").len() as u64,
        totals.check_in_ok,
        "one CHECKED_IN consumption per check-in"
    );
    assert_eq!(
        active_count as u64,
        totals.borrow_ok - totals.check_in_ok,
        "granted borrows minus check-ins equals the ACTIVE consumptions"
    );
    let held: BTreeSet<String> = held_tokens(churned.iter().flat_map(|f| f.reports.iter()));
    let active_tokens: BTreeSet<String> = tokens_in_state(&listed, "ACTIVE").into_iter().collect();
    assert_eq!(
        active_tokens, held,
        "the ACTIVE consumptions are the seats the workers hold"
    );
    assert_eq!(
        consumed(&store, &arn),
        active,
        "usage equals the ACTIVE quantities"
    );
    assert!(active <= super::fixture::MAX_COUNT);
}
