#!/usr/bin/env bash
# Build the Node binding and run its checks.
#
# Installs the npm packages pinned in package-lock.json with `npm ci`, builds the release addon
# with the napi CLI (which regenerates index.js and index.d.ts), fails when either generated
# file differs from the committed one, type-checks __test__/types.ts with tsc, then runs
# `node --test` on __test__/*.spec.mjs. Extra arguments go to `node --test`. Works from any
# directory; exits non-zero on any failure, including a run that finds no test files.
set -euo pipefail

binding="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cd "$binding"

npm ci --no-audit --no-fund --loglevel=error

# The build overwrites the generated files in place, so keep the committed ones to compare.
committed="$(mktemp -d)"
trap 'rm -rf "$committed"' EXIT
cp index.js index.d.ts "$committed/"

npm run --silent build

for generated in index.js index.d.ts; do
    if ! cmp -s "$committed/$generated" "$generated"; then
        diff -u "$committed/$generated" "$generated" || true
        echo "bindings/node/$generated is out of date: the build regenerated it from the Rust sources; commit the new file." >&2
        exit 1
    fi
done

npx tsc --noEmit -p __test__/tsconfig.json

shopt -s nullglob
specs=(__test__/*.spec.mjs)
if [ "${#specs[@]}" -eq 0 ]; then
    echo "no test files match bindings/node/__test__/*.spec.mjs" >&2
    exit 1
fi
node --test "$@" "${specs[@]}"
