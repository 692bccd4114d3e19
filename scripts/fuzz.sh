#!/usr/bin/env bash
# Builds every cargo-fuzz target under fuzz/ and runs each for SECONDS (default 60), one at
# a time, then prints the executions per target. Exits 1 if any target crashes, leaks, times
# out (10 s on one input) or fails to build; the input that failed stays in
# fuzz/artifacts/<target>/.
#
# Usage: scripts/fuzz.sh [SECONDS]
#
# Each run starts from the committed seeds (fuzz/corpus/<target>, read only) and from the
# corpus earlier runs on this machine grew (fuzz/work/<target>, git-ignored), so coverage
# accumulates across runs without touching the committed files.
set -euo pipefail
cd "$(dirname "$0")/.."

seconds="${1:-60}"
if ! [[ "$seconds" =~ ^[1-9][0-9]*$ ]]; then
    echo "SECONDS must be a positive integer, got '$seconds'" >&2
    exit 2
fi

# cargo fuzz needs the nightly flags -Zsanitizer=address and sanitizer coverage; with no
# nightly toolchain on the machine, RUSTC_BOOTSTRAP=1 lets the stable compiler accept them.
export RUSTC_BOOTSTRAP=1

cargo_fuzz_version=0.13.2
if ! cargo fuzz --version >/dev/null 2>&1; then
    echo "==> Installing cargo-fuzz $cargo_fuzz_version"
    cargo install cargo-fuzz --locked --version "$cargo_fuzz_version"
fi

targets=(verify_license verify_jws verify_options keys requests ffi)

# -a adds debug assertions, which also check the preconditions of unsafe std functions
# such as slice::from_raw_parts. Build and run must use the same flags, or run rebuilds.
echo "==> Building fuzz targets: $(cargo fuzz --version)"
cargo fuzz build -a

failed=()
summary=()
for target in "${targets[@]}"; do
    work="fuzz/work/$target"
    log="fuzz/work/$target.log"
    mkdir -p "$work"
    echo "==> Fuzzing $target for ${seconds}s"
    status=0
    cargo fuzz run -a "$target" "$work" "fuzz/corpus/$target" -- \
        -max_total_time="$seconds" -timeout=10 -print_final_stats=1 >"$log" 2>&1 || status=$?
    executions="$(awk '/^stat::number_of_executed_units:/ {print $2}' "$log")"
    if [[ "$status" -ne 0 ]]; then
        tail -n 60 "$log"
        failed+=("$target")
        summary+=("$(printf '%-16s FAILED (exit %s) after %s executions' "$target" "$status" "${executions:-?}")")
    else
        summary+=("$(printf '%-16s %12s executions in %ss' "$target" "${executions:-?}" "$seconds")")
    fi
done

echo "==> Fuzzing summary"
printf '%s\n' "${summary[@]}"
if [[ "${#failed[@]}" -ne 0 ]]; then
    echo "Fuzz targets failed: ${failed[*]}; see fuzz/work/<target>.log and fuzz/artifacts/<target>/" >&2
    exit 1
fi
