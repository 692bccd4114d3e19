#!/usr/bin/env bash
# Build the Node binding and measure its verify throughput against npm jose.
#
# Installs the npm packages pinned in bindings/node/package-lock.json with `npm ci` and builds
# the release addon with the binding's own `npm run build`, as bindings/node/run-tests.sh does,
# then runs verify_bench.mjs, which writes or updates the "Node verify" section of
# docs/BENCHMARKS.md. Extra arguments go to the script, such as --rounds 61 or
# --batch-seconds 0.3. Works from any directory.
set -euo pipefail

benches="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo_root="$(cd "$benches/../.." && pwd)"
binding="$repo_root/bindings/node"

cd "$binding"
npm ci --no-audit --no-fund --loglevel=error

# The build regenerates index.js and index.d.ts in place. The benchmark only needs the addon,
# so a difference is reported rather than fatal. run-tests.sh is the check that fails on it.
committed="$(mktemp -d)"
trap 'rm -rf "$committed"' EXIT
cp index.js index.d.ts "$committed/"

# The addon is rebuilt on every run, so the figures always belong to the current source.
npm run --silent build

for generated in index.js index.d.ts; do
    if ! cmp -s "$committed/$generated" "$generated"; then
        echo "warning: the build changed bindings/node/$generated; commit the regenerated file." >&2
    fi
done

cd "$repo_root"
BENCH_COMMAND="benches/node/run.sh${*:+ $*}" \
    node "$benches/verify_bench.mjs" --write "$repo_root/docs/BENCHMARKS.md" "$@"
