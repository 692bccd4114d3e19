#!/usr/bin/env bash
# Quick start: builds `lm`, creates a license signed by a fresh or reused RSA key, borrows
# one seat bound to a node, and verifies the signed token offline twice: with `lm verify`
# and with the openssl command line, using only the public key.
#
# Run it from any folder. Its files go to build/quickstart/ in the repository; the key is
# kept between runs, while the store and the ClientToken are new on every run.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
work="$root/build/quickstart"
lm="$root/target/release/lm"
node_id="100.20.15.10"

heading() {
    printf '\n== %s\n' "$*"
}

heading "Building lm (cargo build --release -p checkout-cli)"
cargo build --release -p checkout-cli --manifest-path "$root/Cargo.toml"
mkdir -p "$work"
cd "$work"

heading "Signing key: $work/signing-key.pem"
if [[ -f signing-key.pem ]]; then
    echo "reusing the existing key"
else
    # The private key must be readable by its owner only.
    (umask 077 && openssl genpkey -quiet -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out signing-key.pem)
    echo "generated a 2048-bit RSA key"
fi
openssl pkey -in signing-key.pem -pubout -out public.pem
echo "public key: $work/public.pem"

heading "Creating the license from examples/licenses/enterprise.json in a fresh store"
rm -f store.db store.db-wal store.db-shm
"$lm" --store store.db license create \
    --request "$root/examples/licenses/enterprise.json" \
    --sign-key-file signing-key.pem | tee license.json
license_arn="$(python3 -c 'import json, sys; print(json.load(sys.stdin)["LicenseArn"])' < license.json)"

heading "Borrowing one EntitlementCount seat with JWT_PS384 for node $node_id"
"$lm" --store store.db checkout borrow \
    --key signing-key.pem \
    --license-arn "$license_arn" \
    --entitlement EntitlementCount=1:Count \
    --algorithm PS384 \
    --node-id "$node_id" \
    --metadata Mac=ABCDEFGHI | tee borrow.json
python3 -c 'import json, sys; print(json.load(sys.stdin)["SignedToken"])' < borrow.json > token.jws

heading "Verifying the token offline with lm verify and the public key alone"
"$lm" verify --key public.pem --node-id "$node_id" --token-file token.jws

heading "Verifying the signature with openssl (RSASSA-PSS, SHA-384, 48-byte salt)"
# The JWS signing input is the first two segments joined by a dot (RFC 7515 §5.2). The
# third segment is the signature in unpadded base64url.
python3 - token.jws signing-input.txt sig.bin <<'PYTHON'
import base64
import sys

token_path, input_path, signature_path = sys.argv[1:4]
with open(token_path, encoding="ascii") as token_file:
    header, payload, signature = token_file.read().strip().split(".")
with open(input_path, "wb") as input_file:
    input_file.write(f"{header}.{payload}".encode("ascii"))
with open(signature_path, "wb") as signature_file:
    signature_file.write(base64.urlsafe_b64decode(signature + "=" * (-len(signature) % 4)))
PYTHON
openssl dgst -sha384 -sigopt rsa_padding_mode:pss -sigopt rsa_pss_saltlen:48 \
    -verify public.pem -signature sig.bin signing-input.txt

heading "Done: the files are in $work"
