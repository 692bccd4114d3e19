#!/usr/bin/env bash
# Starts or stops a private PostgreSQL cluster for the tests, on 127.0.0.1 only.
#
#   scripts/postgres.sh start   # prints: export LM_TEST_POSTGRES_URL=postgresql://...
#                               # and LM_TEST_POSTGRES_STARTED=1, or 0 when it reused a running
#                               # cluster, which the caller should then leave running
#   scripts/postgres.sh stop
#
# With LM_POSTGRES_CPUS set to a CPU list (as `taskset -c` reads it), `start` runs the new
# server on those CPUs only. The checkout benchmark uses it to give the server CPUs of its own.
#
# `start` reuses a running cluster and otherwise creates an empty one, so data does not survive
# a stop. The cluster (data, socket, log and PID file) lives in /tmp/libcheckout-postgres-PORT, outside
# the checkout, because it runs as the `postgres` system user when started by root (PostgreSQL
# refuses to run as root), and that user may not be able to enter the checkout's folders.
set -euo pipefail
port="${LM_TEST_POSTGRES_PORT:-54329}"
cluster="${TMPDIR:-/tmp}/libcheckout-postgres-$port"

bindir="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)"
if [ -z "$bindir" ]; then
    echo "postgres.sh: no PostgreSQL server found under /usr/lib/postgresql; run scripts/install-deps.sh" >&2
    exit 1
fi

as_owner() {
    if [ "$(id -u)" -eq 0 ]; then
        runuser -u postgres -- "$@"
    else
        "$@"
    fi
}

start() {
    if [ -f "$cluster/data/postmaster.pid" ] && as_owner "$bindir/pg_ctl" -D "$cluster/data" status >/dev/null 2>&1; then
        # Someone else's running cluster: its owner stops it, not the caller.
        echo "export LM_TEST_POSTGRES_STARTED=0"
        echo "export LM_TEST_POSTGRES_URL=postgresql://lm@127.0.0.1:$port/postgres"
        return
    fi
    rm -rf "$cluster"
    mkdir -p "$cluster"
    if [ "$(id -u)" -eq 0 ]; then
        chown postgres "$cluster"
    fi
    as_owner "$bindir/initdb" -D "$cluster/data" -U lm --auth=trust --no-sync >"$cluster/initdb.log" 2>&1
    local pin=()
    if [ -n "${LM_POSTGRES_CPUS:-}" ]; then
        pin=(taskset -c "$LM_POSTGRES_CPUS")
    fi
    as_owner "${pin[@]}" "$bindir/pg_ctl" -D "$cluster/data" -l "$cluster/server.log" -w \
        -o "-c listen_addresses=127.0.0.1 -c port=$port -c unix_socket_directories=$cluster -c max_connections=200 -c fsync=on" \
        start >/dev/null
    echo "export LM_TEST_POSTGRES_STARTED=1"
    echo "export LM_TEST_POSTGRES_URL=postgresql://lm@127.0.0.1:$port/postgres"
}

stop() {
    if [ -f "$cluster/data/postmaster.pid" ]; then
        as_owner "$bindir/pg_ctl" -D "$cluster/data" -m fast -w stop >/dev/null
    fi
}

case "${1:-}" in
    start) start ;;
    stop) stop ;;
    *) echo "usage: scripts/postgres.sh start|stop" >&2; exit 2 ;;
esac
