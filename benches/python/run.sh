#!/usr/bin/env bash
# Build the Python binding and measure its verify throughput against PyJWT and joserfc.
#
# Creates (or reuses) build/python-venv at the repository root with the pinned packages of
# bindings/python/requirements-dev.txt, as bindings/python/run-tests.sh does, builds and
# installs the release wheel, then runs verify_bench.py, which writes or updates the
# "Python verify" section of docs/BENCHMARKS.md. Extra arguments go to the script, such as
# --rounds 31 or --batch-seconds 0.5. Works from any directory.
set -euo pipefail

benches="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo_root="$(cd "$benches/../.." && pwd)"
binding="$repo_root/bindings/python"
venv="$repo_root/build/python-venv"
wheels="$repo_root/build/python-wheels"

python3 -m venv "$venv"
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check -r "$binding/requirements-dev.txt"

# The wheel is rebuilt on every run, so the figures always belong to the current source.
rm -rf "$wheels"
"$venv/bin/maturin" build --release --quiet --manifest-path "$binding/Cargo.toml" \
    --interpreter "$venv/bin/python" --out "$wheels"
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check --force-reinstall --no-deps "$wheels"/libcheckout-*.whl

# Run from outside the source tree, so the installed wheel is what gets imported.
cd "$repo_root/build"
BENCH_COMMAND="benches/python/run.sh${*:+ $*}" \
    "$venv/bin/python" "$benches/verify_bench.py" --write "$repo_root/docs/BENCHMARKS.md" "$@"
