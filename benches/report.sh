#!/usr/bin/env bash
# Measure signing and verification against the bare RSA-PSS operations of the backend, and
# write the "Sign and verify" section of docs/BENCHMARKS.md with its plot.
#
# Runs `cargo bench --bench sign_verify` (about 7 minutes on 2 cores) and, when Cargo.toml
# has a `pure-rust` feature, the same benchmark on that backend with its own criterion
# directory. Then benches/report.py, in the venv build/bench-venv (created here, with
# matplotlib), reads criterion's estimates, writes the section and draws
# docs/benchmarks/throughput-by-key-size.png. The benchmark measures the CPU time of its
# thread unless LM_BENCH_CLOCK=wall. LM_BENCH_QUICK=1 makes a rough run of about a minute per
# backend, for checking the script, not for publishing. Works from any directory.
set -euo pipefail

benches="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo_root="$(cd "$benches/.." && pwd)"
target_dir="${CARGO_TARGET_DIR:-$repo_root/target}"
venv="$repo_root/build/bench-venv"
matplotlib_version="3.11.2"

cd "$repo_root"

# The plot needs only matplotlib; the venv is made before the long runs, so a failing
# install stops the script early.
python3 -m venv "$venv"
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check "matplotlib==$matplotlib_version"

# report.py rejects estimates written before this moment, so every figure on the page comes
# from this run.
started="$(date +%s)"
load_before="$(cut -d' ' -f1 /proc/loadavg)"

aws_home="$target_dir/criterion"
CRITERION_HOME="$aws_home" cargo bench --bench sign_verify

pure_rust_args=()
if grep -Eq '^pure-rust[[:space:]]*=' Cargo.toml; then
    pure_home="$target_dir/criterion-pure-rust"
    CRITERION_HOME="$pure_home" cargo bench --bench sign_verify \
        --no-default-features --features pure-rust,ffi,sqlite
    pure_rust_args=(--pure-rust-home "$pure_home")
else
    echo "report.sh: Cargo.toml has no pure-rust feature, so only aws-lc-rs is measured" >&2
fi

"$venv/bin/python" "$benches/report.py" \
    --criterion-home "$aws_home" \
    "${pure_rust_args[@]}" \
    --since "$started" \
    --load-before "$load_before" \
    --command "benches/report.sh" \
    --write "$repo_root/docs/BENCHMARKS.md" \
    --plot "$repo_root/docs/benchmarks/throughput-by-key-size.png"
