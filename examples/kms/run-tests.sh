#!/usr/bin/env bash
# Run the AWS KMS example's test against the moto KMS emulator on 127.0.0.1.
#
# Creates (or reuses) build/python-venv at the repository root, installs the pins of
# requirements.txt, builds and installs the libcheckout wheel from bindings/python with
# maturin, then runs pytest on test_kms_moto.py, which starts moto_server itself. No request
# goes to AWS. Extra arguments go to pytest. Works from any directory; exits non-zero on any
# failure, including a pytest run that collects no tests.
set -euo pipefail

example="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo_root="$(cd "$example/../.." && pwd)"
binding="$repo_root/bindings/python"
venv="$repo_root/build/python-venv"
wheels="$repo_root/build/python-wheels"

python3 -m venv "$venv"
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check \
    -r "$binding/requirements-dev.txt" -r "$example/requirements.txt"

rm -rf "$wheels"
"$venv/bin/maturin" build --release --quiet --manifest-path "$binding/Cargo.toml" \
    --interpreter "$venv/bin/python" --out "$wheels"
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check --force-reinstall --no-deps "$wheels"/libcheckout-*.whl

# Run from outside the source tree, so the installed wheel is what gets imported.
cd "$repo_root/build"
# pytest exits with 5 when it collects no tests, which is a failure here like any other.
"$venv/bin/python" -m pytest "$example/test_kms_moto.py" -p no:cacheprovider "$@"
