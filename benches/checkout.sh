#!/usr/bin/env bash
# Runs the checkout benchmark (benches/checkout.rs) with two PostgreSQL servers: one that
# shares every CPU with the client threads, and one on the last CPU alone, with the client
# threads pinned to the other CPUs. Arguments go to the benchmark, such as
# `--write docs/BENCHMARKS.md`. Needs at least 2 CPUs and `taskset` (util-linux).
set -euo pipefail
cd "$(dirname "$0")/.."

cpus="$(nproc)"
if [ "$cpus" -lt 2 ]; then
    echo "checkout.sh: needs at least 2 CPUs, this machine has $cpus" >&2
    exit 1
fi
server_cpu=$((cpus - 1))
client_cpus="0-$((cpus - 2))"
dedicated_port="${LM_BENCH_DEDICATED_POSTGRES_PORT:-54339}"

stop_started() {
    if [ "${shared_started:-0}" = 1 ]; then
        scripts/postgres.sh stop
    fi
    if [ "${dedicated_started:-0}" = 1 ]; then
        LM_TEST_POSTGRES_PORT="$dedicated_port" scripts/postgres.sh stop
    fi
}
trap stop_started EXIT

eval "$(scripts/postgres.sh start)"
shared_started="$LM_TEST_POSTGRES_STARTED"

dedicated="$(LM_TEST_POSTGRES_PORT="$dedicated_port" LM_POSTGRES_CPUS="$server_cpu" scripts/postgres.sh start)"
dedicated_url="$(printf '%s\n' "$dedicated" | sed -n 's/^export LM_TEST_POSTGRES_URL=//p')"
if printf '%s\n' "$dedicated" | grep -q '^export LM_TEST_POSTGRES_STARTED=1$'; then
    dedicated_started=1
else
    # A server that was already running was not started on one CPU.
    echo "checkout.sh: a PostgreSQL server already runs on port $dedicated_port; stop it" \
         "(LM_TEST_POSTGRES_PORT=$dedicated_port scripts/postgres.sh stop) and run again" >&2
    exit 1
fi

LM_BENCH_DEDICATED_POSTGRES_URL="$dedicated_url" \
LM_BENCH_DEDICATED_POSTGRES_CPUS="$server_cpu" \
LM_BENCH_CLIENT_CPUS="$client_cpus" \
    cargo bench --bench checkout -- "$@"
