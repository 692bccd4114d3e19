//! Durable checkout throughput against sign-only throughput, measured in the same run.
//!
//! `benches/checkout.sh` starts the PostgreSQL servers and runs this program; with
//! `--write docs/BENCHMARKS.md` it also replaces the "Checkout throughput" section of that
//! file. PostgreSQL is measured when `LM_TEST_POSTGRES_URL` names a server, with every client
//! on one license (one lock, the worst case) and with one license per client (a license
//! server of many customers). When `LM_BENCH_DEDICATED_POSTGRES_URL` names a second server
//! that runs on the CPUs `LM_BENCH_DEDICATED_POSTGRES_CPUS`, the same rows are measured
//! again with the client threads, for sign-only and checkout alike, pinned to the other CPUs
//! `LM_BENCH_CLIENT_CPUS`: a database host of its own, on one machine.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::thread;
use std::time::Instant;

use checkout::license::Store;
use checkout::{Algorithm, Signer};
use serde_json::json;

/// Operations per thread in one measured round.
const OPERATIONS_PER_THREAD: usize = 150;
/// Rounds per configuration; the median round is reported.
const ROUNDS: usize = 5;

/// Returns the number in environment variable `name`, or `default`; profiling runs under
/// valgrind set small counts.
fn setting(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// One measured configuration: the store, where it is, the client threads, the licenses they
/// spread over, and the CPUs the threads run on (all when `None`).
struct Config {
    name: String,
    location: String,
    threads: usize,
    licenses: usize,
    cpus: Option<Vec<usize>>,
}

struct Row {
    name: String,
    threads: usize,
    licenses: usize,
    sign_only: f64,
    checkout: f64,
}

fn main() {
    let write_to = std::env::args().skip_while(|a| a != "--write").nth(1);
    let signer =
        Arc::new(Signer::generate(2048, Some(Algorithm::PS256)).expect("key generation works"));
    let dir = tempfile::tempdir().expect("a temporary directory");

    let sqlite = |name: &str| dir.path().join(name).to_string_lossy().into_owned();
    let config = |name: &str, location: String, threads: usize, licenses: usize| Config {
        name: name.to_owned(),
        location,
        threads,
        licenses,
        cpus: None,
    };
    let mut configs = vec![
        config("SQLite, synchronous=NORMAL", sqlite("normal-1.db"), 1, 1),
        config("SQLite, synchronous=NORMAL", sqlite("normal-2.db"), 2, 1),
        config("SQLite, synchronous=FULL", sqlite("full-1.db"), 1, 1),
    ];
    let clients = setting("LM_BENCH_POSTGRES_CLIENTS", 16);
    if let Ok(url) = std::env::var("LM_TEST_POSTGRES_URL") {
        let name = "PostgreSQL, sharing all CPUs with the clients";
        configs.push(config(name, url.clone(), clients, 1));
        configs.push(config(name, url, clients, clients));
    } else {
        eprintln!("PostgreSQL not measured: set LM_TEST_POSTGRES_URL (benches/checkout.sh does)");
    }
    if let Ok(url) = std::env::var("LM_BENCH_DEDICATED_POSTGRES_URL") {
        let server = std::env::var("LM_BENCH_DEDICATED_POSTGRES_CPUS").unwrap_or_default();
        let cpus = cpu_list(&std::env::var("LM_BENCH_CLIENT_CPUS").unwrap_or_default());
        let name = format!(
            "PostgreSQL on CPU {server}, clients on CPU {}",
            cpus.iter()
                .map(usize::to_string)
                .collect::<Vec<_>>()
                .join(",")
        );
        for licenses in [1, clients] {
            configs.push(Config {
                cpus: Some(cpus.clone()),
                ..config(&name, url.clone(), clients, licenses)
            });
        }
    }

    // LM_BENCH_ONLY=PostgreSQL (or SQLite) measures the stores whose name contains it.
    if let Ok(only) = std::env::var("LM_BENCH_ONLY") {
        configs.retain(|config| config.name.contains(&only));
    }

    // ClientTokens must be new in every run, because a PostgreSQL database outlives the run.
    let run_id = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    let mut rows = Vec::new();
    for Config {
        name,
        location,
        threads,
        licenses,
        cpus,
    } in configs
    {
        let options = if name.contains("FULL") {
            r#"{"synchronous":"FULL"}"#
        } else {
            "{}"
        };
        let store = Arc::new(
            Store::open_with_options(&location, options.as_bytes()).expect("the store opens"),
        );
        let arns: Vec<String> = (0..licenses)
            .map(|_| create_license(&store, &signer))
            .collect();

        let mut sign_rates = Vec::new();
        let mut checkout_rates = Vec::new();
        for round in 0..setting("LM_BENCH_ROUNDS", ROUNDS) {
            sign_rates.push(run(threads, cpus.as_deref(), |_| {
                signer
                    .sign_with(Algorithm::PS256, PAYLOAD.as_bytes())
                    .expect("signing works");
            }));
            let counter = AtomicUsize::new(0);
            checkout_rates.push(run(threads, cpus.as_deref(), |thread| {
                let client_token = format!(
                    "bench-{run_id}-{threads}-{licenses}-{round}-{}",
                    counter.fetch_add(1, Ordering::Relaxed)
                );
                let request = json!({
                    "LicenseArn": arns[thread % arns.len()],
                    "CheckoutType": "PROVISIONAL",
                    "Entitlements": [{"Name": "Seats", "Unit": "Count", "Value": "1"}],
                    "NodeId": "bench-node",
                    "ClientToken": client_token
                });
                store
                    .checkout(&signer, request.to_string().as_bytes())
                    .expect("the checkout succeeds");
            }));
        }
        rows.push(Row {
            name,
            threads,
            licenses,
            sign_only: median(sign_rates),
            checkout: median(checkout_rates),
        });
    }

    let table = render(&rows);
    println!("{table}");
    if let Some(path) = write_to {
        write_section(&path, &table);
    }
}

/// A payload of the size and shape of a one-entitlement checkout.
const PAYLOAD: &str = r#"{"entitlementsAllowed":[{"name":"Seats","unit":"Count","value":"1"}],"expiration":"2026-06-01T01:00:00","issuedAt":"2026-06-01T00:00:00","licenseArn":"arn:aws:license-manager::000000000000:license:l-0123456789abcdef0123456789abcdef","licenseConsumptionToken":"0123456789abcdef0123456789abcdef","nodeId":"bench-node","iat":1780272000,"exp":1780275600}"#;

fn create_license(store: &Store, signer: &Signer) -> String {
    let request = json!({
        "LicenseName": "Benchmark", "ProductName": "Benchmark", "ProductSKU": "BENCH",
        "Issuer": {"Name": "Vendor", "SignKey": signer.kid()},
        "Validity": {"Begin": "2020-01-01T00:00:00Z"},
        "Beneficiary": "bench",
        "Entitlements": [{"Name": "Seats", "Unit": "Count", "MaxCount": 9_000_000_000_000_000_000_i64}],
        "ConsumptionConfiguration": {"ProvisionalConfiguration": {"MaxTimeToLiveInMinutes": 60}},
        "ClientToken": format!("bench-create-{}", std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_nanos()))
    });
    let response = store
        .create_license(request.to_string().as_bytes())
        .expect("the license is created");
    response["LicenseArn"].as_str().expect("an ARN").to_owned()
}

/// Runs `operation(thread index)` OPERATIONS_PER_THREAD times on each of `threads` threads,
/// on `cpus` only when given; returns operations per second.
fn run(threads: usize, cpus: Option<&[usize]>, operation: impl Fn(usize) + Sync) -> f64 {
    let start = Instant::now();
    thread::scope(|scope| {
        for thread in 0..threads {
            let operation = &operation;
            scope.spawn(move || {
                if let Some(cpus) = cpus {
                    pin_current_thread(cpus);
                }
                for _ in 0..setting("LM_BENCH_OPERATIONS", OPERATIONS_PER_THREAD) {
                    operation(thread);
                }
            });
        }
    });
    (threads * setting("LM_BENCH_OPERATIONS", OPERATIONS_PER_THREAD)) as f64
        / start.elapsed().as_secs_f64()
}

/// Parses a CPU list such as `0`, `0,2` or `0-3`.
fn cpu_list(text: &str) -> Vec<usize> {
    let mut cpus = Vec::new();
    for part in text.split(',').filter(|part| !part.is_empty()) {
        let (first, last) = part.split_once('-').unwrap_or((part, part));
        let (first, last): (usize, usize) = (
            first
                .trim()
                .parse()
                .expect("LM_BENCH_CLIENT_CPUS lists CPU numbers"),
            last.trim()
                .parse()
                .expect("LM_BENCH_CLIENT_CPUS lists CPU numbers"),
        );
        cpus.extend(first..=last);
    }
    assert!(!cpus.is_empty(), "LM_BENCH_CLIENT_CPUS lists no CPU");
    cpus
}

/// Restricts the calling thread to `cpus`.
fn pin_current_thread(cpus: &[usize]) {
    // SAFETY: an all-zero cpu_set_t is a valid empty set. CPU_SET writes only inside the set
    // for CPU numbers below CPU_SETSIZE, which the assert checks. sched_setaffinity reads the
    // set for the calling thread (pid 0) and keeps no pointer to it.
    let result = unsafe {
        let mut set: libc::cpu_set_t = std::mem::zeroed();
        for &cpu in cpus {
            assert!(
                cpu < libc::CPU_SETSIZE as usize,
                "CPU {cpu} is out of range"
            );
            libc::CPU_SET(cpu, &mut set);
        }
        libc::sched_setaffinity(0, std::mem::size_of::<libc::cpu_set_t>(), &set)
    };
    assert_eq!(result, 0, "sched_setaffinity to CPUs {cpus:?} failed");
}

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

fn render(rows: &[Row]) -> String {
    let mut table = String::from(
        "| store | threads | licenses | sign-only (ops/s) | checkout (ops/s) | checkout / sign-only |\n|---|---:|---:|---:|---:|---:|\n",
    );
    for row in rows {
        table.push_str(&format!(
            "| {} | {} | {} | {:.0} | {:.0} | {:.2} |\n",
            row.name,
            row.threads,
            row.licenses,
            row.sign_only,
            row.checkout,
            row.checkout / row.sign_only
        ));
    }
    table
}

const SECTION_START: &str = "<!-- checkout-throughput:start -->";
const SECTION_END: &str = "<!-- checkout-throughput:end -->";

/// Replaces the checkout section of the benchmark page, keeping every other section.
fn write_section(path: &str, table: &str) {
    let machine = std::process::Command::new("uname")
        .arg("-srm")
        .output()
        .map_or_else(
            |_| "unknown".to_owned(),
            |out| String::from_utf8_lossy(&out.stdout).trim().to_owned(),
        );
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|info| {
            info.lines()
                .find(|l| l.starts_with("model name"))
                .map(|l| l.split(':').nth(1).unwrap_or("").trim().to_owned())
        })
        .unwrap_or_else(|| "unknown".to_owned());
    let cores = thread::available_parallelism().map_or(0, |n| n.get());
    let section = format!(
        "{SECTION_START}\n## Checkout throughput\n\nA durable checkout here is a provisional checkout of one seat with PS256 and a 2048-bit \
         key: sign, then record the consumption and the response durably. It is measured against \
         signing alone, on the same threads in the same run: {ROUNDS} alternating rounds of \
         {OPERATIONS_PER_THREAD} operations per thread, median round shown. The threads spread their \
         checkouts over the given number of licenses. PostgreSQL runs on the same machine and is \
         reached over loopback. It is measured in two placements. In the first it shares every CPU \
         with the client threads. In the second it runs on a CPU of its own and the client threads, \
         for sign-only too, are pinned to the others, as with a database host of its own.\n\n\
         Command: `benches/checkout.sh --write docs/BENCHMARKS.md`\n\n\
         Machine: {machine}, {cpu}, {cores} cores (shared).\n\n{table}\n{SECTION_END}\n"
    );
    let existing = std::fs::read_to_string(path).unwrap_or_else(|_| "# Benchmarks\n\n".to_owned());
    let updated = match (existing.find(SECTION_START), existing.find(SECTION_END)) {
        (Some(start), Some(end)) => {
            format!(
                "{}{}{}",
                &existing[..start],
                section,
                &existing[end + SECTION_END.len()..].trim_start_matches('\n')
            )
        }
        _ => format!("{}\n{}", existing.trim_end(), "\n".to_owned() + &section),
    };
    std::fs::write(path, updated).expect("the benchmark page is writable");
}
