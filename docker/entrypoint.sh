#!/bin/sh
# Azora's container entrypoint.
#
# With DATABASE_URL set, it runs azora against that database and nothing else.
# Without it, the container is self-contained: on first start it initialises a Postgres
# cluster under $AZORA_DATA_DIR (a volume, default /var/lib/azora), starts it listening on
# 127.0.0.1 only, runs azora against it, and on SIGTERM/SIGINT stops azora (graceful) and then
# Postgres (fast shutdown, nothing committed is lost).
#
# Settings (environment): AZORA_BIN (default: azora on PATH), AZORA_DATA_DIR, AZORA_PG_PORT
# (default 5432), PG_BIN (Postgres binaries; default: the newest /usr/lib/postgresql/*/bin).
# Any arguments are passed to azora (default: serve).
set -eu

AZORA_BIN=${AZORA_BIN:-azora}

if [ -n "${DATABASE_URL:-}" ]; then
    exec "$AZORA_BIN" "$@"
fi

DATA_DIR=${AZORA_DATA_DIR:-/var/lib/azora}
PG_PORT=${AZORA_PG_PORT:-5432}
if [ -z "${PG_BIN:-}" ]; then
    PG_BIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
fi
if [ ! -x "$PG_BIN/initdb" ]; then
    echo "entrypoint: no Postgres binaries found (set PG_BIN or DATABASE_URL)" >&2
    exit 1
fi
PGDATA="$DATA_DIR/pgdata"
SOCKET_DIR="$DATA_DIR/run"

log() { echo "entrypoint: $*" >&2; }

if [ ! -s "$PGDATA/PG_VERSION" ]; then
    log "initialising a Postgres cluster in $PGDATA"
    mkdir -p "$PGDATA"
    chmod 700 "$PGDATA"
    # Trust auth is safe here: the cluster listens on 127.0.0.1 and a private socket only.
    "$PG_BIN/initdb" -D "$PGDATA" -U azora --auth=trust --encoding=UTF8 --locale=C.UTF-8 \
        >"$DATA_DIR/initdb.log" 2>&1 || { cat "$DATA_DIR/initdb.log" >&2; exit 1; }
fi
mkdir -p "$SOCKET_DIR"

log "starting Postgres on 127.0.0.1:$PG_PORT"
"$PG_BIN/pg_ctl" -D "$PGDATA" -l "$DATA_DIR/postgres.log" -w -t 60 \
    -o "-c listen_addresses=127.0.0.1 -p $PG_PORT -k $SOCKET_DIR" start >/dev/null

stop_postgres() {
    log "stopping Postgres"
    "$PG_BIN/pg_ctl" -D "$PGDATA" -m fast -w -t 60 stop >/dev/null || true
}

export DATABASE_URL="postgres://azora@127.0.0.1:$PG_PORT/azora"
# The container owns this database: create and migrate it unless told otherwise.
export AZORA__DATABASE__CREATE_IF_MISSING="${AZORA__DATABASE__CREATE_IF_MISSING:-true}"
export AZORA__DATABASE__AUTO_MIGRATE="${AZORA__DATABASE__AUTO_MIGRATE:-true}"
"$AZORA_BIN" "$@" &
child=$!
trap 'kill -TERM "$child" 2>/dev/null || true' TERM INT

status=0
while :; do
    if wait "$child"; then status=0; else status=$?; fi
    # `wait` also returns when a trapped signal arrives: keep waiting until azora has exited.
    kill -0 "$child" 2>/dev/null || break
done
log "azora exited with status $status"
stop_postgres
exit "$status"
