//! Parent side of the crash scenario: rounds of workers killed with SIGKILL during checkouts,
//! each followed by a reopen, invariant checks and ClientToken retries.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::time::{Duration, Instant};

use checkout::license::Store;
use checkout::Signer;
use serde_json::Value;

use super::fixture::{
    assert_quiet_invariants, borrow_request, consumption_request, consumption_token, consumptions,
    create_license, open_store, status_of, tokens_in_state, REJECTED,
};
use super::process::{Finished, Worker};
use super::rng::Rng;
use super::workers::{ARN_VAR, KEY_VAR, NAME_VAR, STORE_VAR, THREADS_VAR, WORKER_SEED_VAR};

pub const ROUNDS: u64 = 120;
pub const WORKERS_PER_ROUND: u64 = 2;
pub const THREADS: u64 = 2;

/// Kill delays are drawn from 0 to this many microseconds after the worker is ready. A
/// granted borrow takes a few milliseconds, so kills land before, inside and after commits,
/// and a round runs a few dozen requests at most.
const MAX_KILL_DELAY_MICROS: u64 = 100_000;

#[derive(Debug, Default)]
struct Totals {
    reported_granted: u64,
    reported_rejected: u64,
    unreported_committed: u64,
    unreported_fresh: u64,
    unreported_rejected: u64,
    reported_check_ins: u64,
}

/// What the workers of one round printed.
#[derive(Default)]
struct RoundReports {
    started: BTreeSet<String>,
    granted: BTreeMap<String, Value>,
    rejected: BTreeSet<String>,
    checked_in: BTreeSet<String>,
}

fn collect(finished: &[Finished]) -> RoundReports {
    let mut round = RoundReports::default();
    for worker in finished {
        let unexpected: Vec<&str> = worker
            .of_kind("unexpected")
            .map(|r| r.rest.as_str())
            .collect();
        assert!(
            unexpected.is_empty(),
            "worker {} reported: {unexpected:?}",
            worker.name
        );
        assert!(
            !worker.status.success(),
            "worker {} exited by itself; it must have been killed",
            worker.name
        );

        for report in &worker.reports {
            match report.kind.as_str() {
                "begin-borrow" => {
                    round.started.insert(report.rest.clone());
                }
                "borrow" => {
                    let fields = report.fields(3);
                    match fields[1] {
                        "ok" => {
                            let response = serde_json::from_str(fields[2])
                                .expect("a printed response is JSON");
                            round.granted.insert(fields[0].to_owned(), response);
                        }
                        "rejected" => {
                            round.rejected.insert(fields[0].to_owned());
                        }
                        other => panic!("unknown borrow outcome {other:?}"),
                    }
                }
                "check-in" => {
                    round.checked_in.insert(report.fields(2)[0].to_owned());
                }
                _ => {}
            }
        }
    }
    round
}

/// Runs the scenario; `after_kills` runs after each round's kills, before the checks: it
/// inspects the store's files, or waits until the store has finished the killed workers' work.
pub fn run(label: &str, location: &str, key_path: &Path, signer: &Signer, after_kills: &dyn Fn()) {
    let arn = create_license(
        &open_store(location, None),
        signer,
        "stress-crash-license",
        60,
        60,
    );
    let (mut rng, seed) = Rng::from_env_or_clock();
    println!("{label} crash: seed {seed}; {ROUNDS} rounds of {WORKERS_PER_ROUND} processes x {THREADS} threads killed with SIGKILL");

    // Every consumption in the store, by token, from a response someone received.
    let mut known: BTreeSet<String> = BTreeSet::new();
    let mut totals = Totals::default();

    for round in 0..ROUNDS {
        let mut workers: Vec<Worker> = (0..WORKERS_PER_ROUND)
            .map(|w| {
                let name = format!("r{round}w{w}");
                let vars = [
                    (STORE_VAR, location.to_owned()),
                    (KEY_VAR, key_path.display().to_string()),
                    (ARN_VAR, arn.clone()),
                    (NAME_VAR, name.clone()),
                    (THREADS_VAR, THREADS.to_string()),
                    (WORKER_SEED_VAR, rng.next_u64().to_string()),
                ];
                Worker::spawn(&name, "crash", &vars)
            })
            .collect();
        for worker in &mut workers {
            worker.wait_for("ready");
        }

        let start = Instant::now();
        let mut kills: Vec<(Duration, usize)> = (0..workers.len())
            .map(|i| {
                (
                    Duration::from_micros(rng.below(MAX_KILL_DELAY_MICROS + 1)),
                    i,
                )
            })
            .collect();
        kills.sort();
        for (delay, i) in kills {
            std::thread::sleep(delay.saturating_sub(start.elapsed()));
            workers[i].kill();
        }
        let finished: Vec<Finished> = workers.into_iter().map(Worker::finish).collect();

        after_kills();
        let store = open_store(location, None);
        check_round(
            &store,
            signer,
            &arn,
            round,
            &collect(&finished),
            &mut known,
            &mut totals,
        );
    }

    println!(
        "{label} crash: {ROUNDS} rounds; borrows answered before the kill: {} granted (all replayed identically), {} rejected; \
         started but unanswered: {} had committed (replayed), {} granted on retry, {} rejected on retry; {} check-ins answered",
        totals.reported_granted,
        totals.reported_rejected,
        totals.unreported_committed,
        totals.unreported_fresh,
        totals.unreported_rejected,
        totals.reported_check_ins
    );
    assert!(
        totals.reported_granted > 0,
        "workers were granted seats before being killed"
    );
}

fn check_round(
    store: &Store,
    signer: &Signer,
    arn: &str,
    round: u64,
    reports: &RoundReports,
    known: &mut BTreeSet<String>,
    totals: &mut Totals,
) {
    let context = format!("after round {round}");
    assert_quiet_invariants(store, arn, &context);
    let before_retries = consumptions(store, arn);

    // A granted borrow was committed: its consumption exists, and a retry with the same
    // ClientToken returns the identical response, signature included.
    for (client_token, response) in &reports.granted {
        let token = consumption_token(response);
        let listed = before_retries
            .get(&token)
            .unwrap_or_else(|| panic!("{context}: granted consumption {token} is missing"));
        if reports.checked_in.contains(&token) {
            assert_eq!(
                listed.state, "CHECKED_IN",
                "{context}: check-in of {token} was answered"
            );
        }
        let retry = store.checkout(signer, &borrow_request(arn, client_token));
        assert_eq!(
            retry.as_ref().ok(),
            Some(response),
            "{context}: retry of {client_token} returns the original response"
        );
        known.insert(token);
        totals.reported_granted += 1;
    }
    totals.reported_check_ins += reports.checked_in.len() as u64;

    // A rejection is not recorded, so its retry is a new decision on the current seats.
    for client_token in &reports.rejected {
        retry_unrecorded(store, signer, arn, client_token, &context, known);
        totals.reported_rejected += 1;
    }

    // A borrow started but never answered either committed (the retry replays it) or did not
    // (the retry decides afresh); it never takes a second seat.
    for client_token in reports
        .started
        .iter()
        .filter(|ct| !reports.granted.contains_key(*ct) && !reports.rejected.contains(*ct))
    {
        match retry_unrecorded(store, signer, arn, client_token, &context, known) {
            Some(token) if before_retries.contains_key(&token) => totals.unreported_committed += 1,
            Some(_) => totals.unreported_fresh += 1,
            None => totals.unreported_rejected += 1,
        }
    }

    // Nothing committed is lost and nothing is committed twice: every consumption belongs to
    // a response some caller received.
    let listed = consumptions(store, arn);
    let stored: BTreeSet<String> = listed.keys().cloned().collect();
    assert_eq!(
        &stored, known,
        "{context}: the consumptions are exactly the granted ones"
    );
    assert_quiet_invariants(store, arn, &format!("{context} and its retries"));

    // Free the seats for the next round.
    for token in tokens_in_state(&listed, "ACTIVE") {
        let outcome = store.check_in(&consumption_request(&token));
        assert_eq!(status_of(&outcome), 0, "{context}: check-in of {token}");
    }
    assert_eq!(assert_quiet_invariants(store, arn, &context), 0);
}

/// Retries a borrow whose outcome was not recorded and returns the token it was granted.
fn retry_unrecorded(
    store: &Store,
    signer: &Signer,
    arn: &str,
    client_token: &str,
    context: &str,
    known: &mut BTreeSet<String>,
) -> Option<String> {
    let retry = store.checkout(signer, &borrow_request(arn, client_token));
    match &retry {
        Ok(response) => {
            let token = consumption_token(response);
            known.insert(token.clone());
            Some(token)
        }
        Err(e) => {
            assert_eq!(
                e.status(),
                REJECTED,
                "{context}: retry of {client_token} ends in success or 401, not: {}",
                e.message()
            );
            None
        }
    }
}
