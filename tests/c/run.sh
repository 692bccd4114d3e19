#!/usr/bin/env bash
# Builds libcheckout, then runs the C ABI test under valgrind and under ASan/UBSan, and builds and
# runs the C and C++ examples against a token that openssl signs. Exits non-zero on any failure.
# Needs cargo, gcc, g++, valgrind, openssl and OpenSSL's headers (libssl-dev).
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/../.."
root=$(pwd)
lib="$root/target/release"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

warnings=(-Wall -Wextra -Wpedantic -Werror)
valgrind=(valgrind --quiet --error-exitcode=1 --leak-check=full
  --errors-for-leak-kinds=definite,indirect)
# The examples exit 1 when they reject a token, so valgrind reports its own findings as 99.
valgrind_example=(valgrind --quiet --error-exitcode=99 --leak-check=full
  --errors-for-leak-kinds=definite,indirect)

step() { printf '\n== %s\n' "$*"; }
fail() {
  echo "FAILED: $*" >&2
  exit 1
}

# Runs "$@" and checks that its last output line reports no failed check.
run_abi_test() {
  local log="$work/abi_test.log"
  local status=0
  "$@" 2>&1 | tee "$log" || status=$?
  [[ $status -eq 0 ]] || fail "abi_test exited with status $status"
  tail -n 1 "$log" | grep -Eq '^[0-9]+ passed, 0 failed$' ||
    fail "abi_test did not end with 'N passed, 0 failed'"
}

# Runs "$@", expects exit status 1 and a stderr line naming the given status.
expect_rejection() {
  local expected=$1
  shift
  local status=0
  "$@" >"$work/out.txt" 2>"$work/err.txt" || status=$?
  cat "$work/err.txt"
  [[ $status -eq 1 ]] || fail "$* exited with status $status, expected 1"
  grep -q "$expected" "$work/err.txt" || fail "$* did not report $expected"
}

step "build libcheckout"
cargo build --release -p checkout
# The shared library's SONAME is libcheckout.so.1; the loader looks for that name.
ln -sf libcheckout.so "$lib/libcheckout.so.1"

step "abi_test against libcheckout.so under valgrind"
gcc "${warnings[@]}" -std=c11 -g -Iinclude tests/c/abi_test.c -o "$work/abi_test" \
  -L"$lib" -Wl,-rpath,"$lib" -lcheckout -lpthread
run_abi_test "${valgrind[@]}" "$work/abi_test" examples/licenses/enterprise.json

step "abi_test against libcheckout.a with AddressSanitizer and UndefinedBehaviorSanitizer"
gcc "${warnings[@]}" -std=c11 -g -fsanitize=address,undefined -fno-sanitize-recover=all \
  -fno-omit-frame-pointer -Iinclude tests/c/abi_test.c -o "$work/abi_test_asan" \
  "$lib/libcheckout.a" -lpthread -ldl -lm
ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 \
  run_abi_test "$work/abi_test_asan" examples/licenses/enterprise.json

step "custody_test: a callback signer backed by OpenSSL, and encrypted keys, under valgrind"
gcc "${warnings[@]}" -std=c11 -g -Iinclude tests/c/custody_test.c -o "$work/custody_test" \
  -L"$lib" -Wl,-rpath,"$lib" -lcheckout -lcrypto
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$work/kms.key" 2>/dev/null
openssl pkey -in "$work/kms.key" -aes256 -passout pass:s3cret -out "$work/kms.encrypted.key"
"${valgrind[@]}" "$work/custody_test" "$work/kms.key" "$work/kms.encrypted.key" s3cret |
  tee "$work/custody.log"
tail -n 1 "$work/custody.log" | grep -Eq '^[0-9]+ passed, 0 failed$' || fail "custody_test failed"

step "build the examples"
gcc "${warnings[@]}" -std=c11 -g -Iinclude examples/c/verify_token.c -o "$work/verify_token_c" \
  -L"$lib" -Wl,-rpath,"$lib" -lcheckout
g++ "${warnings[@]}" -std=c++17 -g -Iinclude examples/cpp/verify_token.cpp \
  -o "$work/verify_token_cpp" -L"$lib" -Wl,-rpath,"$lib" -lcheckout

step "sign a checkout token with openssl"
# The token is built with openssl alone, so the examples also show that libcheckout accepts a
# PS384 token from another implementation: RSASSA-PSS, MGF1 with SHA-384, 48-byte salt.
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$work/issuer.key" 2>/dev/null
openssl pkey -in "$work/issuer.key" -pubout -out "$work/issuer.pub"
base64url() { openssl base64 -A | tr '+/' '-_' | tr -d '='; }
issued=$(date -u +%s)
expires=$((issued + 3600))
header='{"alg":"PS384","typ":"JWT"}'
arn=arn:aws:license-manager::123456789012:license:l-0123456789abcdef0123456789abcdef
payload_format='{"entitlementsAllowed":[%s,%s],"expiration":"%s","issuedAt":"%s",'
payload_format+='"licenseArn":"%s","licenseConsumptionToken":"%s","nodeId":"%s","iat":%d,"exp":%d}'
# shellcheck disable=SC2059 # the format is built above
payload=$(printf "$payload_format" \
  '{"name":"EntitlementCount","unit":"Count","value":"1"}' \
  '{"name":"EnterpriseTier","unit":"None","value":"Enterprise"}' \
  "$(date -u -d "@$expires" +%Y-%m-%dT%H:%M:%S)" "$(date -u -d "@$issued" +%Y-%m-%dT%H:%M:%S)" \
  "$arn" 306eb19afd354ba79c3687b9b0123456 100.20.15.10 "$issued" "$expires")
signing_input="$(printf '%s' "$header" | base64url).$(printf '%s' "$payload" | base64url)"
signature=$(printf '%s' "$signing_input" | openssl dgst -sha384 -sign "$work/issuer.key" \
  -sigopt rsa_padding_mode:pss -sigopt rsa_pss_saltlen:48 -sigopt rsa_mgf1_md:sha384 | base64url)
printf '%s.%s\n' "$signing_input" "$signature" >"$work/token.jwt"
# The same token with one payload character changed.
sed 's/\.eyJ/.eyK/' "$work/token.jwt" >"$work/tampered.jwt"

expected_entitlements=$'entitlement EntitlementCount: 1\nentitlement EnterpriseTier: Enterprise'
for example in verify_token_c verify_token_cpp; do
  runner=("$work/$example")
  if [[ $example == verify_token_c ]]; then
    runner=("${valgrind_example[@]}" "$work/$example")
  fi

  step "$example accepts the token for its node"
  "${runner[@]}" "$work/issuer.pub" "$work/token.jwt" 100.20.15.10 >"$work/$example.out" ||
    fail "$example rejected a valid token"
  cat "$work/$example.out"
  [[ $(head -n 1 "$work/$example.out") == 'verified token for node 100.20.15.10' ]] ||
    fail "$example did not report the verified node"
  grep -Fxq "payload: $payload" "$work/$example.out" ||
    fail "$example did not print the payload as signed"
  [[ $(grep '^entitlement ' "$work/$example.out") == "$expected_entitlements" ]] ||
    fail "$example did not list both entitlements"

  step "$example rejects a wrong node, a tampered token and a private key"
  expect_rejection LM_STATUS_NODE_MISMATCH \
    "${runner[@]}" "$work/issuer.pub" "$work/token.jwt" 10.0.0.1
  expect_rejection LM_STATUS_SIGNATURE_INVALID \
    "${runner[@]}" "$work/issuer.pub" "$work/tampered.jwt"
  expect_rejection LM_STATUS_KEY_INVALID \
    "${runner[@]}" "$work/issuer.key" "$work/token.jwt"
done

step "all C tests and examples passed"
