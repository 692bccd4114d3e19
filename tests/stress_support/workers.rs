//! The worker side: what a re-executed test binary does in each role. Workers print
//! [`report`] lines and the parent decides pass or fail from them. A worker reports any
//! outcome outside the expected ones as an `unexpected` line.

use std::collections::BTreeSet;
use std::path::Path;
use std::sync::Barrier;
use std::time::Duration;

use checkout::license::Store;
use checkout::Signer;
use serde_json::Value;

use super::fixture::{
    active_sum, borrow_request, consumed, consumption_request, consumption_token, consumptions,
    open_store, status_of, Listed, MAX_COUNT, NOT_FOUND, REJECTED,
};
use super::process::{env, report};
use super::rng::Rng;

pub const STORE_VAR: &str = "LM_STRESS_STORE";
pub const KEY_VAR: &str = "LM_STRESS_KEY";
pub const ARN_VAR: &str = "LM_STRESS_ARN";
pub const NAME_VAR: &str = "LM_STRESS_NAME";
pub const THREADS_VAR: &str = "LM_STRESS_THREADS";
pub const OPS_VAR: &str = "LM_STRESS_OPS";
pub const WORKER_SEED_VAR: &str = "LM_STRESS_WORKER_SEED";
pub const STOP_FILE_VAR: &str = "LM_STRESS_STOP_FILE";
pub const GO_FILE_VAR: &str = "LM_STRESS_GO_FILE";
pub const NOW_VAR: &str = "LM_STRESS_NOW";
pub const EXPIRED_VAR: &str = "LM_STRESS_EXPIRED";

/// Runs the worker of `role`.
pub fn run(role: &str) {
    match role {
        "churn" => churn(),
        "reader" => reader(),
        "crash" => crash(),
        "expiry" => expiry(),
        other => panic!("unknown worker role {other:?}"),
    }
}

fn load_signer() -> Signer {
    let pem = std::fs::read(env(KEY_VAR)).expect("the signing key file is readable");
    Signer::from_pem(&pem, None).expect("the signing key loads")
}

fn number(name: &str) -> u64 {
    env(name)
        .parse()
        .unwrap_or_else(|_| panic!("{name} is a number"))
}

fn unexpected(operation: &str, outcome: &checkout::Result<Value>) {
    let message = match outcome {
        Ok(response) => format!("success {response}"),
        Err(e) => e.message().to_owned(),
    };
    report(&format!(
        "unexpected {operation} status {}: {message}",
        status_of(outcome)
    ));
}

/// What one churn thread did.
#[derive(Default)]
struct ChurnCounts {
    borrow_attempts: u64,
    borrow_ok: u64,
    borrow_rejected: u64,
    extend_ok: u64,
    check_in_ok: u64,
    unexpected: u64,
    held: Option<String>,
}

/// Borrows, extends and checks in one seat at a time for `LM_STRESS_OPS` operations per
/// thread, then reports its counts and the seat it still holds.
fn churn() {
    let store = open_store(&env(STORE_VAR), None);
    let signer = load_signer();
    let arn = env(ARN_VAR);
    let name = env(NAME_VAR);
    let ops = number(OPS_VAR);
    let seed = number(WORKER_SEED_VAR);

    let results: Vec<ChurnCounts> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..number(THREADS_VAR))
            .map(|thread| {
                let (store, signer, arn) = (&store, &signer, &arn);
                let prefix = format!("{name}-t{thread}");
                let rng = Rng::new(seed.wrapping_add(thread));
                scope.spawn(move || churn_thread(store, signer, arn, &prefix, ops, rng))
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("a churn thread finishes"))
            .collect()
    });

    for counts in &results {
        report(&format!(
            "counts {} {} {} {} {} {}",
            counts.borrow_attempts,
            counts.borrow_ok,
            counts.borrow_rejected,
            counts.extend_ok,
            counts.check_in_ok,
            counts.unexpected
        ));
        if let Some(token) = &counts.held {
            report(&format!("held {token}"));
        }
    }
}

fn churn_thread(
    store: &Store,
    signer: &Signer,
    arn: &str,
    prefix: &str,
    ops: u64,
    mut rng: Rng,
) -> ChurnCounts {
    let mut counts = ChurnCounts::default();
    for op in 0..ops {
        let Some(token) = counts.held.take() else {
            // A borrow ends only in success or 401 while three seats are contended.
            counts.borrow_attempts += 1;
            let client_token = format!("{prefix}-{op}");
            let outcome = store.checkout(signer, &borrow_request(arn, &client_token));
            match &outcome {
                Ok(response) => {
                    counts.borrow_ok += 1;
                    counts.held = Some(consumption_token(response));
                }
                Err(e) if e.status() == REJECTED => counts.borrow_rejected += 1,
                Err(_) => {
                    counts.unexpected += 1;
                    unexpected("borrow", &outcome);
                }
            }
            continue;
        };

        // Only this thread knows the token, so its extend and check-in must succeed.
        if rng.below(3) == 0 {
            let outcome = store.extend_license_consumption(signer, &consumption_request(&token));
            match &outcome {
                Ok(response) if consumption_token(response) == token => counts.extend_ok += 1,
                _ => {
                    counts.unexpected += 1;
                    unexpected("extend", &outcome);
                }
            }
            counts.held = Some(token);
        } else {
            let outcome = store.check_in(&consumption_request(&token));
            match &outcome {
                Ok(response) if response.as_object().is_some_and(|o| o.is_empty()) => {
                    counts.check_in_ok += 1
                }
                _ => {
                    counts.unexpected += 1;
                    unexpected("check-in", &outcome);
                }
            }
        }
    }
    counts
}

/// Checks, until the stop file appears, that at most MaxCount seats are ACTIVE and that
/// GetLicenseUsage lies within what two ListLicenseConsumptions calls around it allow.
fn reader() {
    let store = open_store(&env(STORE_VAR), None);
    let arn = env(ARN_VAR);
    let stop_file = env(STOP_FILE_VAR);
    let mut samples = 0u64;
    let mut exact = 0u64;
    let mut max_active = 0i64;

    loop {
        // Read the stop file first, so the sample after it sees no writer at all.
        let stopping = Path::new(&stop_file).exists();
        let before = consumptions(&store, &arn);
        let usage = consumed(&store, &arn);
        let after = consumptions(&store, &arn);
        samples += 1;

        for listed in [&before, &after] {
            let (active, _) = active_sum(listed);
            max_active = max_active.max(active);
            if active > MAX_COUNT {
                report(&format!(
                    "violation {active} seats ACTIVE, MaxCount is {MAX_COUNT}"
                ));
            }
        }
        if usage > MAX_COUNT {
            report(&format!(
                "violation usage {usage} exceeds MaxCount {MAX_COUNT}"
            ));
        }

        let (low, high) = usage_bounds(&before, &after);
        if usage < low || usage > high {
            report(&format!(
                "violation usage {usage} outside [{low}, {high}] implied by the consumptions listed before and after"
            ));
        }
        if before == after {
            exact += 1;
            if usage != low {
                report(&format!(
                    "violation usage {usage} differs from the ACTIVE sum {low} of an unchanged list"
                ));
            }
        }

        if stopping {
            break;
        }
    }
    report(&format!("reader-summary {samples} {exact} {max_active}"));
}

/// Returns the least and greatest usage possible between two listings. A consumption ACTIVE in
/// both was ACTIVE throughout, because nothing makes a consumption ACTIVE again. One held in
/// between is ACTIVE in the first listing or new in the second, and ACTIVE or CHECKED_IN in
/// the second. When nothing changed, both bounds equal the ACTIVE sum.
fn usage_bounds(
    before: &std::collections::BTreeMap<String, Listed>,
    after: &std::collections::BTreeMap<String, Listed>,
) -> (i64, i64) {
    let mut low = 0;
    let mut high = 0;
    for (token, later) in after {
        let earlier = before.get(token);
        let active_before = earlier.is_some_and(|c| c.state == "ACTIVE");
        if active_before && later.state == "ACTIVE" {
            low += later.quantity;
        }
        let held_before_or_new = earlier.is_none() || active_before;
        if held_before_or_new && (later.state == "ACTIVE" || later.state == "CHECKED_IN") {
            high += later.quantity;
        }
    }
    (low, high)
}

/// Borrows and checks in seats until it is killed, printing `begin-…` before each request
/// and its outcome after it.
fn crash() {
    let store = open_store(&env(STORE_VAR), None);
    let signer = load_signer();
    let arn = env(ARN_VAR);
    let name = env(NAME_VAR);
    let seed = number(WORKER_SEED_VAR);
    let threads = number(THREADS_VAR);
    let ready = Barrier::new(threads as usize + 1);

    std::thread::scope(|scope| {
        for thread in 0..threads {
            let (store, signer, arn, ready) = (&store, &signer, &arn, &ready);
            let prefix = format!("{name}-t{thread}");
            let mut rng = Rng::new(seed.wrapping_add(thread));
            scope.spawn(move || {
                // One read first, so that on PostgreSQL each thread's connection exists before
                // the parent starts the kill delay.
                consumed(store, arn);
                ready.wait();

                let mut held: Vec<String> = Vec::new();
                // The parent kills the worker long before this bound.
                for op in 0..100_000u64 {
                    let client_token = format!("{prefix}-{op}");
                    report(&format!("begin-borrow {client_token}"));
                    let outcome = store.checkout(signer, &borrow_request(arn, &client_token));
                    match &outcome {
                        Ok(response) => {
                            report(&format!("borrow {client_token} ok {response}"));
                            held.push(consumption_token(response));
                        }
                        Err(e) if e.status() == REJECTED => {
                            report(&format!("borrow {client_token} rejected"))
                        }
                        Err(_) => unexpected("borrow", &outcome),
                    }

                    if !held.is_empty() && rng.below(2) == 0 {
                        let token = held.remove(rng.below(held.len() as u64) as usize);
                        report(&format!("begin-check-in {token}"));
                        let outcome = store.check_in(&consumption_request(&token));
                        match outcome {
                            Ok(_) => report(&format!("check-in {token} ok")),
                            Err(_) => unexpected("check-in", &outcome),
                        }
                    }
                }
            });
        }
        ready.wait();
        report("ready");
    });
}

/// Waits for the go file, then in each thread reads the usage, borrows one seat, and tries to
/// check in and extend an expired consumption, all on a clock fixed at `LM_STRESS_NOW`.
fn expiry() {
    let now: i64 = env(NOW_VAR).parse().expect("LM_STRESS_NOW is a number");
    let store = open_store(&env(STORE_VAR), Some(now));
    let signer = load_signer();
    let arn = env(ARN_VAR);
    let name = env(NAME_VAR);
    let expired: Vec<String> = env(EXPIRED_VAR).split(',').map(str::to_owned).collect();
    let go_file = env(GO_FILE_VAR);
    report("ready");

    std::thread::scope(|scope| {
        for thread in 0..number(THREADS_VAR) {
            let (store, signer, arn, expired, go_file) =
                (&store, &signer, &arn, &expired, &go_file);
            let client_token = format!("{name}-t{thread}");
            scope.spawn(move || {
                while !Path::new(go_file).exists() {
                    std::thread::sleep(Duration::from_millis(1));
                }
                let usage = consumed(store, arn);
                let borrowed = store.checkout(signer, &borrow_request(arn, &client_token));
                let token = &expired[thread as usize % expired.len()];
                let check_in = store.check_in(&consumption_request(token));
                let extend = store.extend_license_consumption(signer, &consumption_request(token));

                let borrow_outcome = match &borrowed {
                    Ok(response) => format!("ok {}", consumption_token(response)),
                    Err(e) if e.status() == REJECTED => "rejected -".to_owned(),
                    Err(_) => {
                        unexpected("borrow", &borrowed);
                        "failed -".to_owned()
                    }
                };
                for (operation, outcome) in [("check-in", &check_in), ("extend", &extend)] {
                    if status_of(outcome) != NOT_FOUND {
                        unexpected(&format!("{operation} of expired {token}"), outcome);
                    }
                }
                report(&format!("expiry-thread {usage} {borrow_outcome}"));
            });
        }
    });
}

/// Returns the distinct tokens of `held` reports.
pub fn held_tokens<'a>(
    reports: impl Iterator<Item = &'a super::process::Report>,
) -> BTreeSet<String> {
    reports
        .filter(|r| r.kind == "held")
        .map(|r| r.rest.clone())
        .collect()
}
