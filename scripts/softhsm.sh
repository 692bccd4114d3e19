#!/usr/bin/env bash
# Creates a SoftHSM2 token for the PKCS#11 tests in a folder of its own.
#
#   eval "$(scripts/softhsm.sh init DIR)"   # prints: export SOFTHSM2_CONF=DIR/softhsm2.conf
#                                           #         export LM_TEST_PKCS11_MODULE=/usr/lib/...
#
# DIR receives softhsm2.conf, the token files under tokens/, and the PEM files of the keys it
# imported, which the tests use for cross-checks. An existing DIR/tokens is replaced. The token
# is labelled libcheckout-test, with user PIN 1234 and SO PIN 5678; its keys:
#   issuer       RSA 2048, CKA_ID 01, the signing key   (issuer.pem)
#   issuer-next  RSA 2048, CKA_ID 02, a second key      (issuer-next.pem)
#   ec-key       EC P-256, CKA_ID 03, not an RSA key    (ec-key.pem)
#   rsa-1024     RSA 1024, CKA_ID 04, outside the policy (rsa-1024.pem)
# softhsm2-util --import stores both the private and the public key object of each pair.
set -euo pipefail

label=libcheckout-test
pin=1234
so_pin=5678

find_module() {
    local candidate
    for candidate in /usr/lib/softhsm/libsofthsm2.so \
        /usr/lib/x86_64-linux-gnu/softhsm/libsofthsm2.so \
        /usr/lib/aarch64-linux-gnu/softhsm/libsofthsm2.so \
        /usr/lib64/pkcs11/libsofthsm2.so \
        /usr/local/lib/softhsm/libsofthsm2.so; do
        if [ -f "$candidate" ]; then
            echo "$candidate"
            return
        fi
    done
    echo "softhsm.sh: libsofthsm2.so not found; run scripts/install-deps.sh" >&2
    exit 1
}

import_key() {
    local dir="$1" name="$2" id="$3"
    shift 3
    openssl genpkey -quiet "$@" -out "$dir/$name.pem"
    softhsm2-util --import "$dir/$name.pem" --label "$name" --id "$id" \
        --token "$label" --pin "$pin" >/dev/null
}

init() {
    local dir="$1"
    if ! command -v softhsm2-util >/dev/null 2>&1; then
        echo "softhsm.sh: softhsm2-util not found; run scripts/install-deps.sh" >&2
        exit 1
    fi
    local module
    module="$(find_module)"

    mkdir -p "$dir"
    dir="$(cd "$dir" && pwd)"
    rm -rf "$dir/tokens"
    mkdir -p "$dir/tokens"
    cat >"$dir/softhsm2.conf" <<EOF
directories.tokendir = $dir/tokens
objectstore.backend = file
log.level = ERROR
slots.removable = false
EOF
    export SOFTHSM2_CONF="$dir/softhsm2.conf"

    softhsm2-util --init-token --free --label "$label" --pin "$pin" --so-pin "$so_pin" >/dev/null
    import_key "$dir" issuer 01 -algorithm RSA -pkeyopt rsa_keygen_bits:2048
    import_key "$dir" issuer-next 02 -algorithm RSA -pkeyopt rsa_keygen_bits:2048
    import_key "$dir" ec-key 03 -algorithm EC -pkeyopt ec_paramgen_curve:P-256
    import_key "$dir" rsa-1024 04 -algorithm RSA -pkeyopt rsa_keygen_bits:1024

    printf 'export SOFTHSM2_CONF=%q\n' "$dir/softhsm2.conf"
    printf 'export LM_TEST_PKCS11_MODULE=%q\n' "$module"
}

case "${1:-}" in
    init)
        if [ -z "${2:-}" ]; then
            echo "usage: scripts/softhsm.sh init DIR" >&2
            exit 2
        fi
        init "$2"
        ;;
    *) echo "usage: scripts/softhsm.sh init DIR" >&2; exit 2 ;;
esac
