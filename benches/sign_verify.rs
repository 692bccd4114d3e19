//! Signing and verification through libcheckout against the bare RSASSA-PSS operations of
//! its backend, for PS256, PS384 and PS512 at 2048, 3072 and 4096 bits.
//!
//! Each key size has one key, and every case handles the same checkout payload. The benchmark
//! ids pair each library call with the bare operation it is built on:
//!
//! - `verify_<alg>/raw/<bits>`: `PublicKey::verify` on the signing input and the decoded
//!   signature.
//! - `verify_<alg>/full/<bits>`: `Verifier::verify` with the license profile, a fixed `now`
//!   and a node id, the code behind `lm_verify`.
//! - `sign_<alg>/raw/<bits>`: `PrivateKey::sign` on the signing input.
//! - `sign_<alg>/full/<bits>`: `Signer::sign`, the code behind `lm_sign` (header, base64url,
//!   signature).
//!
//! Each full case runs right after its raw case, so machine load that drifts during the run
//! changes both about equally. The time measured is the CPU time of the benchmark thread,
//! which time spent waiting for a core that other processes hold does not count; on a shared
//! machine that keeps the figures, and above all the ratios, far steadier than the wall
//! clock. `LM_BENCH_CLOCK=wall` measures the wall clock instead. `benches/report.sh` runs this
//! benchmark and turns criterion's estimates into the "Sign and verify" section of
//! docs/BENCHMARKS.md.
//!
//! A full run takes about 7 minutes on 2 cores. `LM_BENCH_QUICK=1` shortens it to about a
//! minute for smoke runs; its figures are too noisy to publish.

use std::hint::black_box;
use std::time::Duration;

use base64ct::{Base64UrlUnpadded, Encoding};
use checkout::{Algorithm, PrivateKey, Signer, Verifier, VerifyOptions};
use criterion::measurement::{Measurement, ValueFormatter, WallTime};
use criterion::{
    criterion_group, criterion_main, BenchmarkId, Criterion, SamplingMode, Throughput,
};

const KEY_BITS: [u32; 3] = [2048, 3072, 4096];

/// The verification time of every case, in Unix seconds: 2026-06-01T00:00:00Z.
const NOW: i64 = 1_780_272_000;

const NODE_ID: &str = "node-1";

/// One generated key, shared by the three algorithms.
struct KeyCase {
    bits: u32,
    pem: String,
}

/// The inputs of one (algorithm, key size) pair.
struct Inputs {
    signer: Signer,
    private: PrivateKey,
    verifier: Verifier,
    token: String,
    /// `BASE64URL(header) "." BASE64URL(payload)`, the bytes the signature covers. It is
    /// split off once here, so the raw cases time no string work.
    signing_input: Vec<u8>,
    signature: Vec<u8>,
}

impl Inputs {
    fn new(key: &KeyCase, algorithm: Algorithm) -> Inputs {
        let signer =
            Signer::from_pem(key.pem.as_bytes(), Some(algorithm)).expect("the signer loads");
        let private = PrivateKey::from_pem_or_der(key.pem.as_bytes()).expect("the key loads");
        let public_pem = signer
            .public_key()
            .to_spki_pem()
            .expect("the public key encodes");
        let verifier = Verifier::from_pem(public_pem.as_bytes()).expect("the verifier loads");
        let token = signer.sign(checkout_payload().as_bytes()).expect("signing works");

        let (signing_input, signature_b64) =
            token.rsplit_once('.').expect("a token has three segments");
        let signing_input = signing_input.as_bytes().to_vec();
        let signature =
            Base64UrlUnpadded::decode_vec(signature_b64).expect("the signature is base64url");
        Inputs {
            signer,
            private,
            verifier,
            token,
            signing_input,
            signature,
        }
    }
}

/// The size of [`checkout_payload`], which benches/report.py states on the results page.
const PAYLOAD_BYTES: usize = 346;

/// Returns the claims of a one-seat checkout issued at [`NOW`] for [`NODE_ID`], as JSON.
fn checkout_payload() -> String {
    format!(
        r#"{{"entitlementsAllowed":[{{"name":"Seats","unit":"Count","value":"1"}}],"expiration":"2026-06-01T01:00:00","issuedAt":"2026-06-01T00:00:00","licenseArn":"arn:aws:license-manager::000000000000:license:l-0123456789abcdef0123456789abcdef","licenseConsumptionToken":"0123456789abcdef0123456789abcdef","nodeId":"{NODE_ID}","iat":{NOW},"exp":{}}}"#,
        NOW + 3600
    )
}

fn verify_options() -> VerifyOptions {
    VerifyOptions {
        now: Some(NOW),
        node_id: Some(NODE_ID.into()),
        ..VerifyOptions::default()
    }
}

/// Checks once, outside the timing, that every measured call succeeds, so a benchmark can
/// never time an error path.
fn check_inputs(inputs: &Inputs, algorithm: Algorithm, options: &VerifyOptions) {
    assert_eq!(checkout_payload().len(), PAYLOAD_BYTES);

    let public = inputs.signer.public_key();
    assert!(public.verify(algorithm, &inputs.signing_input, &inputs.signature));

    let verified = inputs
        .verifier
        .verify(inputs.token.as_bytes(), options)
        .expect("the token verifies");
    let claims = verified.claims.expect("the license profile returns claims");
    assert_eq!(claims.node_id.as_deref(), Some(NODE_ID));

    let raw = inputs
        .private
        .sign(algorithm, &inputs.signing_input)
        .expect("raw signing works");
    assert!(public.verify(algorithm, &inputs.signing_input, &raw));

    let token = inputs
        .signer
        .sign(checkout_payload().as_bytes())
        .expect("signing works");
    inputs
        .verifier
        .verify(token.as_bytes(), options)
        .expect("a token from Signer::sign verifies");
}

fn generate_keys() -> Vec<KeyCase> {
    KEY_BITS
        .iter()
        .map(|&bits| {
            let key = PrivateKey::generate(bits).expect("key generation works");
            let pem = key.to_pkcs8_pem().expect("the key encodes");
            KeyCase {
                bits,
                pem: pem.as_str().to_owned(),
            }
        })
        .collect()
}

/// The clock a benchmark reads: the calling thread's CPU time, or the monotonic wall clock.
struct BenchClock {
    clock_id: libc::clockid_t,
    /// Criterion's wall-time measurement, used only for its formatter of nanosecond values,
    /// which criterion does not export on its own.
    wall_time: WallTime,
}

impl BenchClock {
    fn from_env() -> BenchClock {
        let clock_id = match std::env::var("LM_BENCH_CLOCK").as_deref() {
            Ok("wall") => libc::CLOCK_MONOTONIC,
            Ok("cpu") | Err(_) => libc::CLOCK_THREAD_CPUTIME_ID,
            Ok(other) => panic!("LM_BENCH_CLOCK={other:?} is invalid; use cpu or wall"),
        };
        BenchClock {
            clock_id,
            wall_time: WallTime,
        }
    }

    fn read(&self) -> Duration {
        let mut now = libc::timespec {
            tv_sec: 0,
            tv_nsec: 0,
        };
        // SAFETY: `now` is a valid, writable timespec for the duration of the call.
        let status = unsafe { libc::clock_gettime(self.clock_id, &mut now) };
        assert_eq!(status, 0, "clock_gettime failed for clock {}", self.clock_id);

        let seconds = u64::try_from(now.tv_sec).expect("a clock reads a non-negative time");
        let nanoseconds = u32::try_from(now.tv_nsec).expect("tv_nsec is below one second");
        Duration::new(seconds, nanoseconds)
    }
}

impl Measurement for BenchClock {
    type Intermediate = Duration;
    type Value = Duration;

    fn start(&self) -> Duration {
        self.read()
    }

    fn end(&self, start: Duration) -> Duration {
        self.read().saturating_sub(start)
    }

    fn add(&self, first: &Duration, second: &Duration) -> Duration {
        *first + *second
    }

    fn zero(&self) -> Duration {
        Duration::ZERO
    }

    fn to_f64(&self, value: &Duration) -> f64 {
        value.as_nanos() as f64
    }

    fn formatter(&self) -> &dyn ValueFormatter {
        self.wall_time.formatter()
    }
}

fn bench_sign_verify(c: &mut Criterion<BenchClock>) {
    let keys = generate_keys();
    let options = verify_options();
    let payload = checkout_payload();

    for algorithm in Algorithm::ALL {
        let inputs: Vec<(u32, Inputs)> = keys
            .iter()
            .map(|key| (key.bits, Inputs::new(key, algorithm)))
            .collect();
        for (_, case) in &inputs {
            check_inputs(case, algorithm, &options);
        }

        let mut group = c.benchmark_group(format!("verify_{algorithm}"));
        group.throughput(Throughput::Elements(1));
        for (bits, case) in &inputs {
            let public = case.signer.public_key();
            group.bench_with_input(BenchmarkId::new("raw", bits), case, |b, case| {
                b.iter(|| {
                    public.verify(
                        algorithm,
                        black_box(&case.signing_input),
                        black_box(&case.signature),
                    )
                })
            });
            group.bench_with_input(BenchmarkId::new("full", bits), case, |b, case| {
                b.iter(|| {
                    case.verifier
                        .verify(black_box(case.token.as_bytes()), &options)
                        .expect("the token verifies")
                })
            });
        }
        group.finish();

        // A signature takes 0.2 to 10 ms, depending on the key size and the backend. Linear
        // sampling would need at least 1275 of them for 50 samples; flat sampling needs 50.
        let mut group = c.benchmark_group(format!("sign_{algorithm}"));
        group.throughput(Throughput::Elements(1));
        group.sampling_mode(SamplingMode::Flat);
        for (bits, case) in &inputs {
            group.bench_with_input(BenchmarkId::new("raw", bits), case, |b, case| {
                b.iter(|| {
                    case.private
                        .sign(algorithm, black_box(&case.signing_input))
                        .expect("raw signing works")
                })
            });
            group.bench_with_input(BenchmarkId::new("full", bits), case, |b, case| {
                b.iter(|| {
                    case.signer
                        .sign(black_box(payload.as_bytes()))
                        .expect("signing works")
                })
            });
        }
        group.finish();
    }
}

/// Returns the criterion settings: with 36 cases, 2 s of warm-up and 8 s of measurement
/// each come to about 7 minutes with the analysis.
fn config() -> Criterion<BenchClock> {
    let quick = std::env::var("LM_BENCH_QUICK").is_ok_and(|v| v == "1");
    let criterion = Criterion::default()
        .with_measurement(BenchClock::from_env())
        .without_plots();
    if quick {
        criterion
            .warm_up_time(Duration::from_millis(300))
            .measurement_time(Duration::from_secs(1))
            .sample_size(10)
    } else {
        criterion
            .warm_up_time(Duration::from_secs(2))
            .measurement_time(Duration::from_secs(8))
            .sample_size(50)
    }
}

criterion_group! {
    name = benches;
    config = config();
    targets = bench_sign_verify
}
criterion_main!(benches);
