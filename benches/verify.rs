//! Full token verification against the bare RSA-PSS verification it is built on, measured in
//! the same run for each algorithm and key size.
//!
//! `cargo bench --bench verify` prints a Markdown table; `-- --write docs/BENCHMARKS.md` also
//! replaces the "Verification" section of that file.

use std::hint::black_box;
use std::time::Instant;

use checkout::{Algorithm, PrivateKey, Signer, Verifier, VerifyOptions};

/// Rounds per configuration; the median round is reported.
const ROUNDS: usize = 9;
/// Verifications per round.
const ITERATIONS: usize = 2000;

/// Returns the number in environment variable `name`, or `default`; profiling runs under
/// valgrind set small counts.
fn setting(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn main() {
    let write_to = std::env::args().skip_while(|a| a != "--write").nth(1);
    let mut table = String::from(
        "| algorithm | bits | raw RSA-PSS verify (ops/s) | lm_verify, license profile (ops/s) | ratio |\n|---|---:|---:|---:|---:|\n",
    );
    let sizes: Vec<u32> = match std::env::var("LM_BENCH_BITS") {
        Ok(bits) => bits.split(',').filter_map(|b| b.parse().ok()).collect(),
        Err(_) => vec![2048, 3072, 4096],
    };
    for bits in sizes {
        let key = PrivateKey::generate(bits).expect("key generation works");
        let pem = key.to_pkcs8_pem().expect("the key encodes");
        for algorithm in Algorithm::ALL {
            let (raw, full) = measure(&pem, algorithm);
            table.push_str(&format!(
                "| {algorithm} | {bits} | {raw:.0} | {full:.0} | {:.2} |\n",
                full / raw
            ));
        }
    }
    println!("{table}");
    if let Some(path) = write_to {
        write_section(&path, &table);
    }
}

/// Returns the median rates of bare verification and of full verification.
fn measure(pem: &str, algorithm: Algorithm) -> (f64, f64) {
    let signer = Signer::from_pem(pem.as_bytes(), Some(algorithm)).expect("the signer loads");
    let now = 1_780_272_000;
    let payload = format!(
        r#"{{"entitlementsAllowed":[{{"name":"Seats","unit":"Count","value":"1"}}],"expiration":"2026-06-01T01:00:00","issuedAt":"2026-06-01T00:00:00","licenseArn":"arn:aws:license-manager::000000000000:license:l-0123456789abcdef0123456789abcdef","licenseConsumptionToken":"0123456789abcdef0123456789abcdef","nodeId":"node-1","iat":{now},"exp":{}}}"#,
        now + 3600
    );
    let token = signer.sign(payload.as_bytes()).expect("signing works");
    let public_pem = signer
        .public_key()
        .to_spki_pem()
        .expect("the public key encodes");
    let verifier = Verifier::from_pem(public_pem.as_bytes()).expect("the verifier loads");
    let options = VerifyOptions {
        now: Some(now),
        node_id: Some("node-1".into()),
        ..VerifyOptions::default()
    };

    let (signing_input, signature_b64) = token.rsplit_once('.').expect("three segments");
    let signature = decode_b64url(signature_b64);
    let public = signer.public_key().clone();

    let mut raw_rates = Vec::new();
    let mut full_rates = Vec::new();
    for _ in 0..setting("LM_BENCH_ROUNDS", ROUNDS) {
        raw_rates.push(rate(|| {
            assert!(public.verify(
                algorithm,
                black_box(signing_input.as_bytes()),
                black_box(&signature)
            ));
        }));
        full_rates.push(rate(|| {
            black_box(
                verifier
                    .verify(black_box(token.as_bytes()), &options)
                    .expect("the token verifies"),
            );
        }));
    }
    (median(raw_rates), median(full_rates))
}

fn rate(mut operation: impl FnMut()) -> f64 {
    let start = Instant::now();
    let iterations = setting("LM_BENCH_ITERATIONS", ITERATIONS);
    for _ in 0..iterations {
        operation();
    }
    iterations as f64 / start.elapsed().as_secs_f64()
}

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

fn decode_b64url(text: &str) -> Vec<u8> {
    use base64ct::{Base64UrlUnpadded, Encoding};
    Base64UrlUnpadded::decode_vec(text).expect("the signature is base64url")
}

const SECTION_START: &str = "<!-- verify:start -->";
const SECTION_END: &str = "<!-- verify:end -->";

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
                .and_then(|l| l.split(':').nth(1))
                .map(|s| s.trim().to_owned())
        })
        .unwrap_or_else(|| "unknown".to_owned());
    let section = format!(
        "{SECTION_START}\n## Verification\n\nFull verification of a checkout token (`Verifier::verify`, the code behind `lm_verify`, \
         license profile with a node id) against the bare RSASSA-PSS verification of the same signing input with the same \
         parsed key (aws-lc-rs), alternating in one run: {ROUNDS} rounds of {ITERATIONS} verifications, median round shown.\n\n\
         Command: `cargo bench --bench verify -- --write docs/BENCHMARKS.md`\n\nMachine: {machine}, {cpu}, shared with other work.\n\n{table}\n{SECTION_END}\n"
    );
    let existing = std::fs::read_to_string(path).unwrap_or_else(|_| "# Benchmarks\n\n".to_owned());
    let updated = match (existing.find(SECTION_START), existing.find(SECTION_END)) {
        (Some(start), Some(end)) => format!(
            "{}{}{}",
            &existing[..start],
            section,
            existing[end + SECTION_END.len()..].trim_start_matches('\n')
        ),
        _ => format!("{}\n\n{}", existing.trim_end(), section),
    };
    std::fs::write(path, updated).expect("the benchmark page is writable");
}
