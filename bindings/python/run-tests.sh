#!/usr/bin/env bash
# Build the Python binding into a virtual environment and run its checks.
#
# Creates (or reuses) build/python-venv at the repository root, installs the pinned tools of
# requirements-dev.txt, builds the release wheel with maturin and installs it, then runs
# mypy.stubtest on the stubs and pytest on bindings/python/tests. Extra arguments go to
# pytest. Works from any directory; exits non-zero on any failure, including a pytest run
# that collects no tests.
set -euo pipefail

binding="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo_root="$(cd "$binding/../.." && pwd)"
venv="$repo_root/build/python-venv"
wheels="$repo_root/build/python-wheels"

python3 -m venv "$venv"
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check -r "$binding/requirements-dev.txt"

rm -rf "$wheels"
"$venv/bin/maturin" build --release --quiet --manifest-path "$binding/Cargo.toml" \
    --interpreter "$venv/bin/python" --out "$wheels"
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check --force-reinstall --no-deps "$wheels"/libcheckout-*.whl

# Run from outside the source tree, so the installed wheel is what gets imported.
cd "$repo_root/build"
"$venv/bin/python" -m mypy.stubtest libcheckout --allowlist "$binding/stubtest-allowlist.txt"
# pytest exits with 5 when it collects no tests, which is a failure here like any other.
"$venv/bin/python" -m pytest "$binding/tests" -p no:cacheprovider "$@"
