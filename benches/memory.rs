//! Memory cost of verification and signing, each against a peer measured in the same run.
//!
//! - Heap allocations per call of `Verifier::verify` (license profile), `lm_verify` and
//!   `Signer::sign`, against the bare RSASSA-PSS calls `PublicKey::verify` and
//!   `PrivateKey::sign` under them. Rust allocations are counted by a `#[global_allocator]`
//!   that wraps `System`. AWS-LC allocates with its own `OPENSSL_malloc`, which no Rust
//!   allocator sees, so this program also defines AWS-LC's `OPENSSL_memory_*` hooks to count
//!   those.
//! - Peak RSS (`VmHWM`) of a child process that verifies 100,000 tokens, against a child that
//!   only loads the verifier and the tokens.
//!
//! `cargo bench --bench memory` prints the report; `-- --write docs/BENCHMARKS.md` also
//! replaces the section between `<!-- memory:start -->` and `<!-- memory:end -->`.

use std::alloc::{GlobalAlloc, Layout, System};
use std::ffi::c_void;
use std::hint::black_box;
use std::io::{Read, Write};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};

use base64ct::{Base64UrlUnpadded, Encoding};
use checkout::ffi::{lm_buffer, lm_buffer_free, lm_status, lm_verifier, lm_verifier_free};
use checkout::{Algorithm, PrivateKey, Signer, Verifier, VerifyOptions};
use zeroize::Zeroize;

/// Calls per operation in the allocation counts.
const COUNTED_CALLS: u64 = 10_000;
/// Distinct tokens the RSS child loads; it verifies each `RSS_PASSES` times.
const RSS_TOKENS: usize = 1_000;
const RSS_PASSES: usize = 100;
/// Runs of each child; the report gives the median of each figure.
const RSS_RUNS: usize = 3;
const KEY_BITS: u32 = 2048;
/// The checkouts are valid from `NOW - 60` to `NOW + 3600` for node `NODE_ID`.
const NOW: i64 = 1_780_272_000;
const NODE_ID: &str = "100.20.15.10";
const CHILD_FLAG: &str = "--rss-child";

const SECTION_START: &str = "<!-- memory:start -->";
const SECTION_END: &str = "<!-- memory:end -->";

// ---------------------------------------------------------------- counting

/// Running totals of one heap.
struct HeapCounter {
    /// Calls that returned memory: allocations, zeroed allocations and reallocations.
    allocations: AtomicU64,
    /// Bytes those calls requested (the new size for a reallocation).
    bytes: AtomicU64,
    /// Bytes currently allocated.
    live_bytes: AtomicI64,
}

impl HeapCounter {
    const fn new() -> HeapCounter {
        HeapCounter {
            allocations: AtomicU64::new(0),
            bytes: AtomicU64::new(0),
            live_bytes: AtomicI64::new(0),
        }
    }

    fn record_allocation(&self, size: usize) {
        self.allocations.fetch_add(1, Ordering::Relaxed);
        self.bytes.fetch_add(size as u64, Ordering::Relaxed);
        self.live_bytes.fetch_add(size as i64, Ordering::Relaxed);
    }

    fn record_free(&self, size: usize) {
        self.live_bytes.fetch_sub(size as i64, Ordering::Relaxed);
    }

    fn snapshot(&self) -> HeapSnapshot {
        HeapSnapshot {
            allocations: self.allocations.load(Ordering::Relaxed),
            bytes: self.bytes.load(Ordering::Relaxed),
            live_bytes: self.live_bytes.load(Ordering::Relaxed),
        }
    }
}

#[derive(Clone, Copy)]
struct HeapSnapshot {
    allocations: u64,
    bytes: u64,
    live_bytes: i64,
}

static RUST_HEAP: HeapCounter = HeapCounter::new();
static AWS_LC_HEAP: HeapCounter = HeapCounter::new();

/// `System`, with every call counted in `RUST_HEAP`.
struct CountingAllocator;

// SAFETY: every method forwards to `System` with the caller's arguments unchanged and only
// adds atomic counter updates, so `System`'s guarantees hold.
unsafe impl GlobalAlloc for CountingAllocator {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: forwarded from the caller, who upholds `GlobalAlloc::alloc`'s contract.
        let pointer = unsafe { System.alloc(layout) };
        if !pointer.is_null() {
            RUST_HEAP.record_allocation(layout.size());
        }
        pointer
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        // SAFETY: as for `alloc`.
        let pointer = unsafe { System.alloc_zeroed(layout) };
        if !pointer.is_null() {
            RUST_HEAP.record_allocation(layout.size());
        }
        pointer
    }

    unsafe fn dealloc(&self, pointer: *mut u8, layout: Layout) {
        RUST_HEAP.record_free(layout.size());
        // SAFETY: the caller passes memory this allocator returned for `layout`.
        unsafe { System.dealloc(pointer, layout) }
    }

    unsafe fn realloc(&self, pointer: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // SAFETY: the caller passes memory this allocator returned for `layout`.
        let moved = unsafe { System.realloc(pointer, layout, new_size) };
        if !moved.is_null() {
            RUST_HEAP.record_free(layout.size());
            RUST_HEAP.record_allocation(new_size);
        }
        moved
    }
}

#[global_allocator]
static ALLOCATOR: CountingAllocator = CountingAllocator;

// AWS-LC calls these weak symbols, when a program defines them, for every allocation of its
// `OPENSSL_malloc`, `OPENSSL_free` and `OPENSSL_realloc` (crypto/mem.c of AWS-LC, as built by
// aws-lc-sys 0.47). The hooks must not call into AWS-LC, must be thread-safe, and the free
// hook must zero the memory, which AWS-LC's own free does. Each block carries its size in a
// 16-byte prefix, which keeps the 16-byte alignment of malloc.
const AWS_LC_PREFIX: usize = 16;

fn aws_lc_layout(size: usize) -> Option<Layout> {
    Layout::from_size_align(size.checked_add(AWS_LC_PREFIX)?, AWS_LC_PREFIX).ok()
}

/// Allocates `size` bytes for AWS-LC; NULL when out of memory.
#[no_mangle]
pub extern "C" fn OPENSSL_memory_alloc(size: usize) -> *mut c_void {
    let Some(layout) = aws_lc_layout(size) else {
        return std::ptr::null_mut();
    };
    // SAFETY: the layout has a non-zero size, because it includes the prefix.
    let base = unsafe { System.alloc(layout) };
    if base.is_null() {
        return std::ptr::null_mut();
    }
    // SAFETY: the block is at least AWS_LC_PREFIX bytes and aligned for usize.
    unsafe { base.cast::<usize>().write(size) };
    AWS_LC_HEAP.record_allocation(size);
    // SAFETY: the prefix lies inside the block.
    unsafe { base.add(AWS_LC_PREFIX).cast() }
}

/// Zeroes and frees a block from `OPENSSL_memory_alloc`; AWS-LC never passes NULL.
///
/// # Safety
///
/// `pointer` came from `OPENSSL_memory_alloc` and is freed once.
#[no_mangle]
pub unsafe extern "C" fn OPENSSL_memory_free(pointer: *mut c_void) {
    // SAFETY: the caller passes a pointer AWS_LC_PREFIX bytes into a block of OPENSSL_memory_alloc.
    let base = unsafe { pointer.cast::<u8>().sub(AWS_LC_PREFIX) };
    // SAFETY: the prefix contains the size written at allocation.
    let size = unsafe { base.cast::<usize>().read() };
    // SAFETY: the block is size + AWS_LC_PREFIX bytes long and owned by the caller until freed.
    unsafe { std::slice::from_raw_parts_mut(base, size + AWS_LC_PREFIX) }.zeroize();
    AWS_LC_HEAP.record_free(size);
    let layout = aws_lc_layout(size).expect("the layout was valid at allocation");
    // SAFETY: base was returned by System.alloc with this layout.
    unsafe { System.dealloc(base, layout) }
}

/// Returns the size requested for a block from `OPENSSL_memory_alloc`.
///
/// # Safety
///
/// `pointer` came from `OPENSSL_memory_alloc` and is not yet freed.
#[no_mangle]
pub unsafe extern "C" fn OPENSSL_memory_get_size(pointer: *mut c_void) -> usize {
    // SAFETY: the prefix before pointer contains the size written at allocation.
    unsafe {
        pointer
            .cast::<u8>()
            .sub(AWS_LC_PREFIX)
            .cast::<usize>()
            .read()
    }
}

/// Heap use of one operation, per call.
struct Usage {
    rust_allocations: f64,
    rust_bytes: f64,
    aws_lc_allocations: f64,
    aws_lc_bytes: f64,
    /// Bytes still allocated after all calls, both heaps together; 0 means all were freed.
    retained_bytes: i64,
}

/// Runs `operation` a few times uncounted, so one-time setup (thread-local storage, AWS-LC's
/// lazy initialization) stays out of the counts, then counts `COUNTED_CALLS` calls.
fn count_usage(mut operation: impl FnMut()) -> Usage {
    for _ in 0..10 {
        operation();
    }
    let rust_before = RUST_HEAP.snapshot();
    let aws_lc_before = AWS_LC_HEAP.snapshot();
    for _ in 0..COUNTED_CALLS {
        operation();
    }
    let rust_after = RUST_HEAP.snapshot();
    let aws_lc_after = AWS_LC_HEAP.snapshot();

    let per_call = |after: u64, before: u64| (after - before) as f64 / COUNTED_CALLS as f64;
    Usage {
        rust_allocations: per_call(rust_after.allocations, rust_before.allocations),
        rust_bytes: per_call(rust_after.bytes, rust_before.bytes),
        aws_lc_allocations: per_call(aws_lc_after.allocations, aws_lc_before.allocations),
        aws_lc_bytes: per_call(aws_lc_after.bytes, aws_lc_before.bytes),
        retained_bytes: (rust_after.live_bytes - rust_before.live_bytes)
            + (aws_lc_after.live_bytes - aws_lc_before.live_bytes),
    }
}

// ---------------------------------------------------------------- fixtures

/// Returns a checkout payload for node `NODE_ID`, distinct for each `index`.
fn checkout_payload(index: usize) -> String {
    format!(
        concat!(
            r#"{{"entitlementsAllowed":[{{"name":"EntitlementCount","unit":"Count","value":"1"}},"#,
            r#"{{"name":"EnterpriseTier","unit":"None","value":"Enterprise"}}],"#,
            r#""expiration":"2026-06-01T01:00:00","issuedAt":"2026-05-31T23:59:00","#,
            r#""licenseArn":"arn:aws:license-manager::000000000000:license:l-00000000000000000000000000000001","#,
            r#""licenseConsumptionToken":"{index:032x}","nodeId":"{node}","#,
            r#""checkoutMetadata":{{"Mac":"ABCDEFGHI"}},"iat":{iat},"exp":{exp}}}"#
        ),
        index = index,
        node = NODE_ID,
        iat = NOW - 60,
        exp = NOW + 3600
    )
}

fn license_options() -> VerifyOptions {
    VerifyOptions {
        now: Some(NOW),
        node_id: Some(NODE_ID.to_owned()),
        ..VerifyOptions::default()
    }
}

const LICENSE_OPTIONS_JSON: &std::ffi::CStr =
    c"{\"profile\":\"license\",\"now\":1780272000,\"nodeId\":\"100.20.15.10\"}";

struct Fixture {
    key: PrivateKey,
    signer: Signer,
    verifier: Verifier,
    public_pem: String,
    token: String,
}

fn build_fixture() -> Fixture {
    let key = PrivateKey::generate(KEY_BITS).expect("key generation works");
    let pem = key.to_pkcs8_pem().expect("the key encodes");
    let signer =
        Signer::from_pem(pem.as_bytes(), Some(Algorithm::PS256)).expect("the signer loads");
    let public_pem = key
        .public_key()
        .to_spki_pem()
        .expect("the public key encodes");
    let verifier = Verifier::from_pem(public_pem.as_bytes()).expect("the verifier loads");
    let token = signer
        .sign(checkout_payload(0).as_bytes())
        .expect("signing works");
    Fixture {
        key,
        signer,
        verifier,
        public_pem,
        token,
    }
}

// ---------------------------------------------------------------- allocation counts

/// Counts heap use of each operation; returns (operation, usage) rows in report order.
fn measure_allocations(fixture: &Fixture) -> Vec<(&'static str, Usage)> {
    let options = license_options();
    let (signing_input, signature_b64) = fixture.token.rsplit_once('.').expect("three segments");
    let signature = Base64UrlUnpadded::decode_vec(signature_b64).expect("base64url signature");
    let public = fixture.key.public_key().clone();
    let payload = checkout_payload(0);
    let verifier = ffi_verifier(&fixture.public_pem);

    let rows = vec![
        (
            "`Verifier::verify`, license profile",
            count_usage(|| {
                let verified = fixture
                    .verifier
                    .verify(black_box(fixture.token.as_bytes()), &options)
                    .expect("the token verifies");
                assert_eq!(verified.payload.len(), payload.len());
            }),
        ),
        (
            "`lm_verify` (C ABI), license profile",
            count_usage(|| ffi_verify(verifier, &fixture.token, payload.len())),
        ),
        (
            "`PublicKey::verify`, RSASSA-PSS only",
            count_usage(|| {
                assert!(public.verify(
                    Algorithm::PS256,
                    black_box(signing_input.as_bytes()),
                    black_box(&signature)
                ));
            }),
        ),
        (
            "`Signer::sign`",
            count_usage(|| {
                let token = fixture
                    .signer
                    .sign(black_box(payload.as_bytes()))
                    .expect("signing works");
                assert_eq!(token.len(), fixture.token.len());
            }),
        ),
        (
            "`PrivateKey::sign`, RSASSA-PSS only",
            count_usage(|| {
                let signature = fixture
                    .key
                    .sign(Algorithm::PS256, black_box(signing_input.as_bytes()))
                    .expect("signing works");
                assert_eq!(signature.len(), KEY_BITS as usize / 8);
            }),
        ),
    ];
    // SAFETY: the handle came from lm_verifier_from_pem and no call uses it any more.
    unsafe { lm_verifier_free(verifier) };
    rows
}

fn ffi_verifier(public_pem: &str) -> *mut lm_verifier {
    let mut verifier = std::ptr::null_mut();
    // SAFETY: the PEM is borrowed for the call and `verifier` is a valid output pointer.
    let status = unsafe {
        checkout::ffi::lm_verifier_from_pem(public_pem.as_ptr(), public_pem.len(), &mut verifier)
    };
    assert_eq!(status, lm_status::Ok, "lm_verifier_from_pem");
    verifier
}

fn ffi_verify(verifier: *mut lm_verifier, token: &str, payload_len: usize) {
    let mut payload = lm_buffer {
        data: std::ptr::null_mut(),
        len: 0,
    };
    // SAFETY: the verifier is a live handle, the token and the NUL-terminated options are
    // borrowed for the call, and `payload` is a valid output buffer.
    let status = unsafe {
        checkout::ffi::lm_verify(
            verifier,
            black_box(token.as_ptr()),
            token.len(),
            LICENSE_OPTIONS_JSON.as_ptr(),
            &mut payload,
        )
    };
    assert_eq!(status, lm_status::Ok, "lm_verify");
    assert_eq!(payload.len, payload_len);
    // SAFETY: the buffer was filled by lm_verify and is freed once.
    unsafe { lm_buffer_free(&mut payload) };
}

// ---------------------------------------------------------------- peak RSS

/// Memory figures of one child from /proc/self/status, in KiB.
#[derive(Clone, Copy)]
struct ChildMemory {
    /// `VmHWM` after the first pass over the tokens, or after loading them for the baseline.
    first_pass_peak_kib: u64,
    /// `RssAnon` at the same moment as `first_pass_peak_kib`.
    first_pass_anonymous_kib: u64,
    /// `VmHWM` at exit.
    peak_kib: u64,
    /// `VmRSS` at exit.
    resident_kib: u64,
    /// `RssAnon` at exit.
    anonymous_kib: u64,
}

/// Reads a `kB` field of /proc/self/status, such as `VmHWM`.
fn proc_status_kib(field: &str) -> u64 {
    let status =
        std::fs::read_to_string("/proc/self/status").expect("/proc/self/status is readable");
    status
        .lines()
        .find_map(|line| line.strip_prefix(field)?.strip_prefix(':'))
        .and_then(|rest| rest.trim().strip_suffix("kB"))
        .and_then(|kib| kib.trim().parse().ok())
        .unwrap_or_else(|| panic!("/proc/self/status has no {field} in kB"))
}

/// Runs a child: reads the public key PEM and the tokens from stdin and builds the verifier.
/// Mode `verify` then verifies every token `RSS_PASSES` times. Prints the five figures of
/// `ChildMemory` in field order.
fn run_child(mode: &str, input_len: usize) {
    // The exact capacity makes the loading allocate the same way in every child, however the
    // pipe splits the input into reads.
    let mut input = String::with_capacity(input_len);
    std::io::stdin()
        .read_to_string(&mut input)
        .expect("stdin is readable");
    assert_eq!(input.len(), input_len, "the child input length");
    let (pem, token_lines) = input
        .split_once("\n\n")
        .expect("invalid child input: expected the PEM, a blank line, then the tokens");
    let verifier = Verifier::from_pem(pem.as_bytes()).expect("the verifier loads");
    let tokens: Vec<String> = token_lines.lines().map(str::to_owned).collect();
    assert_eq!(tokens.len(), RSS_TOKENS);
    drop(input);

    let options = license_options();
    let mut first_pass_peak_kib = proc_status_kib("VmHWM");
    let mut first_pass_anonymous_kib = proc_status_kib("RssAnon");
    if mode == "verify" {
        for pass in 0..RSS_PASSES {
            for token in &tokens {
                let verified = verifier
                    .verify(black_box(token.as_bytes()), &options)
                    .expect("the token verifies");
                black_box(verified);
            }
            if pass == 0 {
                first_pass_peak_kib = proc_status_kib("VmHWM");
                first_pass_anonymous_kib = proc_status_kib("RssAnon");
            }
        }
    } else {
        assert_eq!(mode, "baseline", "child mode");
    }

    black_box((&verifier, &tokens));
    println!(
        "{first_pass_peak_kib} {first_pass_anonymous_kib} {} {} {}",
        proc_status_kib("VmHWM"),
        proc_status_kib("VmRSS"),
        proc_status_kib("RssAnon")
    );
}

fn spawn_child(mode: &str, input: &[u8]) -> ChildMemory {
    let mut child = Command::new(std::env::current_exe().expect("the program path is known"))
        .args([CHILD_FLAG, mode, &input.len().to_string()])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("the child starts");
    child
        .stdin
        .take()
        .expect("stdin is piped")
        .write_all(input)
        .expect("the child reads its input");
    let output = child.wait_with_output().expect("the child runs");
    assert!(
        output.status.success(),
        "the {mode} child failed: {}",
        output.status
    );

    let figures: Vec<u64> = String::from_utf8_lossy(&output.stdout)
        .split_whitespace()
        .map(|n| n.parse().expect("the child prints numbers"))
        .collect();
    assert_eq!(figures.len(), 5, "the {mode} child prints five numbers");
    ChildMemory {
        first_pass_peak_kib: figures[0],
        first_pass_anonymous_kib: figures[1],
        peak_kib: figures[2],
        resident_kib: figures[3],
        anonymous_kib: figures[4],
    }
}

/// Medians of the children's figures, with the spreads that tell noise from growth.
struct RssResult {
    baseline: ChildMemory,
    verifying: ChildMemory,
    /// Highest minus lowest baseline `VmHWM` over the runs.
    baseline_peak_range_kib: u64,
    /// The largest rise of `VmHWM` after the first pass in any verifying run.
    max_later_peak_growth_kib: u64,
    /// The largest change of `RssAnon` after the first pass in any verifying run.
    max_later_anonymous_growth_kib: i64,
    token_bytes: usize,
}

/// Signs `RSS_TOKENS` distinct tokens and runs the baseline and the verifying child on them,
/// `RSS_RUNS` times each in alternation.
fn measure_rss(fixture: &Fixture) -> RssResult {
    let mut input = format!("{}\n\n", fixture.public_pem.trim_end());
    let mut token_bytes = 0;
    for index in 0..RSS_TOKENS {
        let token = fixture
            .signer
            .sign(checkout_payload(index).as_bytes())
            .expect("signing works");
        token_bytes += token.len();
        input.push_str(&token);
        input.push('\n');
    }

    let mut baselines = Vec::new();
    let mut verifying = Vec::new();
    for _ in 0..RSS_RUNS {
        for (mode, runs) in [("baseline", &mut baselines), ("verify", &mut verifying)] {
            let run = spawn_child(mode, input.as_bytes());
            eprintln!(
                "{mode} child: VmHWM {} KiB, RssAnon {} KiB after the first pass; \
                 VmHWM {} KiB, VmRSS {} KiB, RssAnon {} KiB at exit",
                run.first_pass_peak_kib,
                run.first_pass_anonymous_kib,
                run.peak_kib,
                run.resident_kib,
                run.anonymous_kib
            );
            runs.push(run);
        }
    }

    let baseline_peaks = baselines.iter().map(|run| run.peak_kib);
    let baseline_peak_range_kib =
        baseline_peaks.clone().max().unwrap_or(0) - baseline_peaks.min().unwrap_or(0);
    let max_later_peak_growth_kib = verifying
        .iter()
        .map(|run| run.peak_kib - run.first_pass_peak_kib)
        .max()
        .unwrap_or(0);
    let max_later_anonymous_growth_kib = verifying
        .iter()
        .map(|run| run.anonymous_kib as i64 - run.first_pass_anonymous_kib as i64)
        .max()
        .unwrap_or(0);
    RssResult {
        baseline: median_memory(&baselines),
        verifying: median_memory(&verifying),
        baseline_peak_range_kib,
        max_later_peak_growth_kib,
        max_later_anonymous_growth_kib,
        token_bytes,
    }
}

/// Returns the median of each figure over the runs.
fn median_memory(runs: &[ChildMemory]) -> ChildMemory {
    let median = |figure: fn(&ChildMemory) -> u64| {
        let mut values: Vec<u64> = runs.iter().map(figure).collect();
        values.sort_unstable();
        values[values.len() / 2]
    };
    ChildMemory {
        first_pass_peak_kib: median(|run| run.first_pass_peak_kib),
        first_pass_anonymous_kib: median(|run| run.first_pass_anonymous_kib),
        peak_kib: median(|run| run.peak_kib),
        resident_kib: median(|run| run.resident_kib),
        anonymous_kib: median(|run| run.anonymous_kib),
    }
}

// ---------------------------------------------------------------- report

fn render(rows: &[(&str, Usage)], rss: &RssResult) -> String {
    let mut text = format!(
        "The program, `benches/memory.rs`, uses PS256 with a {KEY_BITS}-bit key and a checkout\n\
         payload of {} bytes; the license profile checks the signature and the claims at a fixed\n\
         time and node. Each operation runs 10 times uncounted, then {COUNTED_CALLS} times counted:\n\n\
         - Rust heap: calls to the `#[global_allocator]` (a counter around `System`) that return\n  \
         memory, which are allocations, zeroed allocations and reallocations, and the bytes\n  \
         they request.\n\
         - AWS-LC heap: calls to AWS-LC's `OPENSSL_malloc`, which allocates with the C library\n  \
         and not through the Rust allocator. The program counts them by defining AWS-LC's\n  \
         `OPENSSL_memory_alloc`, `OPENSSL_memory_free` and `OPENSSL_memory_get_size` hooks.\n\
         - Retained: bytes still allocated on both heaps after the counted calls, so 0 means\n  \
         every call freed all it allocated.\n\n\
         `PublicKey::verify` and `PrivateKey::sign` are the bare RSASSA-PSS operations under\n\
         verification and signing, so their rows are the backend's own share.\n\n\
         | operation | Rust allocations | Rust bytes | AWS-LC allocations | AWS-LC bytes | retained bytes |\n\
         | --- | ---: | ---: | ---: | ---: | ---: |\n",
        checkout_payload(0).len()
    );
    for (name, usage) in rows {
        text.push_str(&format!(
            "| {name} | {:.1} | {:.0} | {:.1} | {:.0} | {} |\n",
            usage.rust_allocations,
            usage.rust_bytes,
            usage.aws_lc_allocations,
            usage.aws_lc_bytes,
            usage.retained_bytes
        ));
    }
    text.push_str(&render_rss(rss));
    text
}

fn render_rss(rss: &RssResult) -> String {
    let (baseline, verifying) = (&rss.baseline, &rss.verifying);
    let peak_growth = verifying.peak_kib as i64 - baseline.peak_kib as i64;
    let anonymous_growth = verifying.anonymous_kib as i64 - baseline.anonymous_kib as i64;
    let later_verifications = RSS_TOKENS * (RSS_PASSES - 1);
    format!(
        "\nPeak RSS is `VmHWM` from /proc/self/status, read by two child processes of the\n\
         program, each run {RSS_RUNS} times in alternation; the table gives the median of each\n\
         figure. Both read the same {RSS_TOKENS} distinct tokens ({} bytes in all) and build one\n\
         verifier. The baseline child stops there, and the verifying child verifies each token\n\
         {RSS_PASSES} times, {} verifications with the license profile. The tokens are reused\n\
         because {} distinct ones would take longer to sign than the measurement lasts, and\n\
         their text would outweigh the verifier's own memory in both children. `RssAnon` is the\n\
         anonymous part of the RSS (heap and stacks). The rest is file pages of the program and\n\
         its libraries, whose count differs between runs of the same child, so the peak figures\n\
         carry that noise.\n\n\
         | process | peak RSS, `VmHWM` (KiB) | RSS at exit, `VmRSS` (KiB) | `RssAnon` (KiB) |\n\
         | --- | ---: | ---: | ---: |\n\
         | baseline: verifier and tokens loaded | {} | {} | {} |\n\
         | verifying, after the first pass ({RSS_TOKENS} verifications) | {} | | {} |\n\
         | verifying, after all passes | {} | {} | {} |\n\n\
         Growth attributable to verifying: {peak_growth} KiB of peak RSS over the baseline, while\n\
         the baseline's own peak varied by {} KiB between runs, and {anonymous_growth} KiB of\n\
         anonymous memory. Over the {later_verifications} verifications after the first pass, the\n\
         peak RSS rose by at most {} KiB and the anonymous memory changed by at most {} KiB in\n\
         any verifying run.\n",
        rss.token_bytes,
        RSS_TOKENS * RSS_PASSES,
        RSS_TOKENS * RSS_PASSES,
        baseline.peak_kib,
        baseline.resident_kib,
        baseline.anonymous_kib,
        verifying.first_pass_peak_kib,
        verifying.first_pass_anonymous_kib,
        verifying.peak_kib,
        verifying.resident_kib,
        verifying.anonymous_kib,
        rss.baseline_peak_range_kib,
        rss.max_later_peak_growth_kib,
        rss.max_later_anonymous_growth_kib,
    )
}

fn machine_description() -> String {
    let uname = Command::new("uname").arg("-srm").output().map_or_else(
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
    let cpus = std::thread::available_parallelism().map_or(0, |n| n.get());
    format!("- System: {uname}\n- CPU model: {cpu}\n- CPUs (nproc): {cpus}\n")
}

fn write_section(path: &str, report: &str) {
    let date = time::OffsetDateTime::now_utc().date();
    let section = format!(
        "{SECTION_START}\n## Memory\n\nMeasured on {date} with:\n\n```sh\n\
         cargo bench --bench memory -- --write {path}\n```\n\n{}\n{report}{SECTION_END}\n",
        machine_description()
    );
    let existing = std::fs::read_to_string(path).unwrap_or_default();
    let updated = match (existing.find(SECTION_START), existing.find(SECTION_END)) {
        (Some(start), Some(end)) if start < end => format!(
            "{}{section}{}",
            &existing[..start],
            existing[end + SECTION_END.len()..].trim_start_matches('\n')
        ),
        (None, None) if existing.is_empty() => section,
        (None, None) => format!("{}\n\n{section}", existing.trim_end()),
        _ => panic!("{path} has only one of {SECTION_START} and {SECTION_END}, or them out of order; fix the markers"),
    };
    std::fs::write(path, updated).unwrap_or_else(|e| panic!("cannot write {path}: {e}"));
}

fn main() {
    let arguments: Vec<String> = std::env::args().collect();
    if let Some(position) = arguments.iter().position(|a| a == CHILD_FLAG) {
        let mode = arguments
            .get(position + 1)
            .expect("the child mode follows the flag");
        let input_len = arguments
            .get(position + 2)
            .and_then(|len| len.parse().ok())
            .expect("the input length in bytes follows the child mode");
        run_child(mode, input_len);
        return;
    }
    let write_to = arguments
        .iter()
        .skip_while(|a| *a != "--write")
        .nth(1)
        .cloned();

    let fixture = build_fixture();
    let rows = measure_allocations(&fixture);
    let rss = measure_rss(&fixture);
    let report = render(&rows, &rss);
    println!("{report}");
    if let Some(path) = write_to {
        write_section(&path, &report);
    }
}
