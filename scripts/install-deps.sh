#!/usr/bin/env bash
# Installs the system packages the tests need on a fresh Debian machine: the openssl command
# line (interoperability tests and the quickstart), valgrind (C ABI tests), Python's venv
# module (interoperability tests), a PostgreSQL server (store tests) and SoftHSM2, a software
# PKCS#11 token (HSM signer tests), and Node.js with npm when the machine has none (Node
# binding tests; Node 20 is what the tests run on, Debian's package may be older). The Rust
# toolchain and python3 come with the machine. Packages already present are left alone, so a
# second run is quick.
set -euo pipefail

missing=()
command -v openssl >/dev/null 2>&1 || missing+=(openssl)
command -v valgrind >/dev/null 2>&1 || missing+=(valgrind)
command -v gcc >/dev/null 2>&1 || missing+=(gcc)
command -v g++ >/dev/null 2>&1 || missing+=(g++)
[ -f /usr/include/openssl/evp.h ] || missing+=(libssl-dev)
python3 -c 'import ensurepip, venv' >/dev/null 2>&1 || missing+=(python3-venv)
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || missing+=(postgresql)
command -v softhsm2-util >/dev/null 2>&1 || missing+=(softhsm2)
command -v node >/dev/null 2>&1 || missing+=(nodejs)
command -v npm >/dev/null 2>&1 || missing+=(npm)

if [ "${#missing[@]}" -eq 0 ]; then
    echo "install-deps: every system package is present"
    exit 0
fi

sudo_cmd=()
if [ "$(id -u)" -ne 0 ]; then
    sudo_cmd=(sudo)
fi
echo "install-deps: installing ${missing[*]}"
"${sudo_cmd[@]}" apt-get update -q
DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -q "${missing[@]}"
