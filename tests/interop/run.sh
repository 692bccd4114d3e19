#!/usr/bin/env bash
# Build libcheckout and run the cross-implementation tests against it.
#
# Creates (or reuses) a virtual environment in build/venv, installs the pinned
# packages of requirements.txt, builds the release library and runs pytest.
# Extra arguments go to pytest. Exits with pytest's status.
set -euo pipefail

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
venv="$repo_root/build/venv"

python3 -m venv "$venv"
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check -r "$repo_root/tests/interop/requirements.txt"

cargo build --release -p checkout --manifest-path "$repo_root/Cargo.toml"

export LIBCHECKOUT_SO="${LIBCHECKOUT_SO:-$repo_root/target/release/libcheckout.so}"
exec "$venv/bin/python" -m pytest "$repo_root/tests/interop" "$@"
