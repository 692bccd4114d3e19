#!/usr/bin/env bash
# Runs every test of the project. That is the Rust unit and integration tests (core and lm CLI),
# the core again on the pure-Rust backend, clippy and a build of every benchmark. Then the C ABI
# tests under valgrind and AddressSanitizer, the interoperability tests against OpenSSL, Python
# cryptography, PyJWT and joserfc, the Python and Node bindings' tests, and a short run of each
# fuzz target.
set -euo pipefail
cd "$(dirname "$0")/.."

step() { printf '\n==> %s\n' "$*"; }

step "Private PostgreSQL server for the store tests (scripts/postgres.sh)"
eval "$(scripts/postgres.sh start)"
# Stops the cluster only when this run started it.
stop_postgres() {
    if [ "${LM_TEST_POSTGRES_STARTED:-0}" = 1 ]; then
        scripts/postgres.sh stop
    fi
}
trap stop_postgres EXIT

step "SoftHSM2 token for the PKCS#11 signer tests (scripts/softhsm.sh)"
softhsm_dir="$(mktemp -d "${TMPDIR:-/tmp}/libcheckout-softhsm.XXXXXX")"
trap 'stop_postgres; rm -rf "$softhsm_dir"' EXIT
eval "$(scripts/softhsm.sh init "$softhsm_dir")"

step "Rust tests (cargo test --workspace --release)"
cargo test --workspace --release

# The core once more on RustCrypto's rsa instead of AWS-LC, for targets without a C compiler.
step "Rust core tests with the pure-Rust backend (--features pure-rust)"
pure_features=(--no-default-features --features pure-rust,ffi,sqlite)
cargo test -p checkout --release "${pure_features[@]}"
cargo clippy -p checkout --release --all-targets "${pure_features[@]}" -- -D warnings

# Benchmarks are measured by hand (docs/BENCHMARKS.md); CI only builds them so they cannot rot.
step "Benchmarks build (cargo bench --no-run, benches/c/run.sh --build-only)"
cargo bench --workspace --no-run
benches/c/run.sh --build-only

# The parsers, keys and store rules run under AddressSanitizer; the multi-process stress test
# and the PKCS#11 module, which is not built with the sanitizer, stay out.
step "Rust tests under AddressSanitizer (nightly toolchain only)"
if rustup toolchain list 2>/dev/null | grep -q '^nightly'; then
    RUSTFLAGS="-Zsanitizer=address" ASAN_OPTIONS=detect_leaks=1 \
        cargo +nightly test -p checkout --target x86_64-unknown-linux-gnu \
        --lib --test verify --test vectors --test license --test custody
else
    echo "skipped: AddressSanitizer for Rust needs a nightly toolchain, and this machine has none" \
        "(the C tests below run under ASan and valgrind)"
fi

step "Lints (cargo clippy, warnings are errors; unsafe blocks need SAFETY comments)"
cargo clippy --workspace --all-targets --release -- -D warnings

step "C ABI tests (tests/c/run.sh)"
tests/c/run.sh

step "Interoperability tests (tests/interop/run.sh)"
tests/interop/run.sh

step "Python binding tests (bindings/python/run-tests.sh)"
bindings/python/run-tests.sh

step "AWS KMS example against the moto emulator (examples/kms/run-tests.sh)"
examples/kms/run-tests.sh

step "Node binding tests (bindings/node/run-tests.sh)"
bindings/node/run-tests.sh

step "Fuzz targets, 60 s each (scripts/fuzz.sh)"
scripts/fuzz.sh 60

step "All test suites passed"
