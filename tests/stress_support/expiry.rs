//! Parent side of the expiry scenario: processes on one fixed moment just past the
//! expiration of two PROVISIONAL consumptions all compete for the seats they give back.

use std::collections::BTreeSet;
use std::path::Path;

use checkout::Signer;

use super::fixture::{
    borrow_request, consumed, consumption_token, consumptions, create_license, open_store,
    provisional_request, tokens_in_state, MAX_COUNT,
};
use super::process::{Finished, Worker};
use super::workers::{
    ARN_VAR, EXPIRED_VAR, GO_FILE_VAR, KEY_VAR, NAME_VAR, NOW_VAR, STORE_VAR, THREADS_VAR,
};

pub const ROUNDS: i64 = 3;
pub const PROCESSES: u64 = 6;
pub const THREADS: u64 = 4;

/// 2030-01-01T00:00:00Z, inside the license's validity.
const START: i64 = 1_893_456_000;

/// The PROVISIONAL time to live; the borrow's is an hour, so it outlives the round.
const PROVISIONAL_TTL_MINUTES: i64 = 1;

pub fn run(label: &str, location: &str, key_path: &Path, dir: &Path, signer: &Signer) {
    println!(
        "{label} expiry: {ROUNDS} rounds of {PROCESSES} processes x {THREADS} threads at the moment two of three seats expire"
    );
    for round in 0..ROUNDS {
        run_round(label, location, key_path, dir, signer, round);
    }
}

fn run_round(
    label: &str,
    location: &str,
    key_path: &Path,
    dir: &Path,
    signer: &Signer,
    round: i64,
) {
    // Each round has its own license and moment; round 0 runs exactly at the expiration,
    // where the consumption is already EXPIRED.
    let checkout_time = START + round * 86_400;
    let expiry_time = checkout_time + PROVISIONAL_TTL_MINUTES * 60;
    let moment = expiry_time + round;

    let setup = open_store(location, Some(checkout_time));
    let arn = create_license(
        &setup,
        signer,
        &format!("stress-expiry-license-{round}"),
        PROVISIONAL_TTL_MINUTES,
        60,
    );
    let kept = setup
        .checkout(
            signer,
            &borrow_request(&arn, &format!("expiry-{round}-kept")),
        )
        .expect("the first seat is borrowed");
    let kept = consumption_token(&kept);
    let expiring: Vec<String> = (0..2)
        .map(|i| {
            let response = setup
                .checkout(
                    signer,
                    &provisional_request(&arn, &format!("expiry-{round}-provisional-{i}")),
                )
                .expect("a provisional seat is checked out");
            consumption_token(&response)
        })
        .collect();
    assert_eq!(
        consumed(&setup, &arn),
        MAX_COUNT,
        "all seats are taken before the expiry"
    );

    let go_file = dir.join(format!("go-expiry-{round}"));
    let mut workers: Vec<Worker> = (0..PROCESSES)
        .map(|p| {
            let name = format!("expiry{round}p{p}");
            let vars = [
                (STORE_VAR, location.to_owned()),
                (KEY_VAR, key_path.display().to_string()),
                (ARN_VAR, arn.clone()),
                (NAME_VAR, name.clone()),
                (THREADS_VAR, THREADS.to_string()),
                (NOW_VAR, moment.to_string()),
                (EXPIRED_VAR, expiring.join(",")),
                (GO_FILE_VAR, go_file.display().to_string()),
            ];
            Worker::spawn(&name, "expiry", &vars)
        })
        .collect();
    for worker in &mut workers {
        worker.wait_for("ready");
    }
    std::fs::write(&go_file, b"").expect("the go file is written");
    let finished: Vec<Finished> = workers.into_iter().map(Worker::finish).collect();

    let mut granted = BTreeSet::new();
    let mut rejected = 0;
    for worker in &finished {
        worker.assert_clean();
        for report in worker.of_kind("expiry-thread") {
            let fields = report.fields(3);
            let usage: i64 = fields[0].parse().expect("usage is a number");
            assert!(
                (1..=MAX_COUNT).contains(&usage),
                "round {round}: a worker saw usage {usage}; the kept seat is always held"
            );
            match fields[1] {
                "ok" => {
                    granted.insert(fields[2].to_owned());
                }
                "rejected" => rejected += 1,
                other => panic!("round {round}: borrow outcome {other:?}"),
            }
        }
    }

    // The two expired seats come back exactly once: two borrows win, every other gets 401.
    let attempts = PROCESSES * THREADS;
    assert_eq!(
        granted.len(),
        2,
        "round {round}: borrows granted after the expiry"
    );
    assert_eq!(
        rejected,
        attempts - 2,
        "round {round}: borrows rejected with 401"
    );

    let after = open_store(location, Some(moment));
    let listed = consumptions(&after, &arn);
    let mut active: BTreeSet<String> = granted.clone();
    active.insert(kept);
    let listed_active: BTreeSet<String> = tokens_in_state(&listed, "ACTIVE").into_iter().collect();
    assert_eq!(
        listed_active, active,
        "round {round}: ACTIVE are the kept seat and the new borrows"
    );
    let listed_expired: BTreeSet<String> =
        tokens_in_state(&listed, "EXPIRED").into_iter().collect();
    let expected_expired: BTreeSet<String> = expiring.into_iter().collect();
    assert_eq!(
        listed_expired, expected_expired,
        "round {round}: EXPIRED are the provisional seats"
    );
    assert_eq!(
        consumed(&after, &arn),
        MAX_COUNT,
        "round {round}: usage equals the ACTIVE seats"
    );
    println!(
        "{label} expiry round {round}: {attempts} borrows at expiration{:+} s: 2 granted, {rejected} rejected, usage {MAX_COUNT}",
        moment - expiry_time
    );
}
