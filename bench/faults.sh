#!/usr/bin/env bash
# Azora's fault drill for the wallet (run by hand; not part of CI). 10,000 transfers from 32
# clients among 1,000 funded users, with opposite pairs (A->B and B->A at once), overdrafts
# (expect 422 insufficient_funds), duplicate Idempotency-Keys (the same key and body twice, at
# once or one after the other: both must answer the same transfer) and keys reused with another
# body (expect 409). During the run Postgres is stopped (fast) for a few seconds and started
# again, and the azora process gets SIGTERM once and is started again. A client that gets a
# connection error, a 5xx or 409 `idempotency_key_in_use` retries with the SAME key and body
# (with backoff, for up to FAULTS_RETRY_WINDOW seconds); every attempt is recorded.
#
# Afterwards it checks, and prints PASS/FAIL lines for:
#   - every key that got a 2xx: all its 2xx answers carry one transfer id, and the ledger holds
#     exactly one transfer for that key (the key is the transfer's description), with the
#     amount and wallets that were sent;
#   - no ledger transfer exists whose key got no 2xx unless the key, replayed afterwards,
#     answers 201 with that very transfer (a sample of answered keys is replayed too, and the
#     replays must move nothing);
#   - overdrafts and reused keys committed nothing; the stored idempotency results and the
#     audit records match the ledger one to one;
#   - GET /wallet/reconcile is clean, GET /audit/verify is valid, no user balance is negative,
#     every user balance equals 1,000.00 plus what the client was told it received minus what
#     it sent, and the supply (sum of balances per currency, treasury included, and without
#     it) is unchanged;
#   - every 5xx is a 503 problem+json `database_unavailable` answered within
#     database.acquire_timeout_secs + 1 s; requests made while Postgres is down get exactly
#     that; the service is ready again within FAULTS_RECOVERY_SECS of Postgres starting, with
#     nobody restarting it; on SIGTERM every request in flight gets its answer and the process
#     exits within server.shutdown_timeout_secs.
# It prints the counts (sent, 2xx, 4xx by code, 503, connection errors, retried, duplicates
# replayed, verified, ...) and the timeline of the faults, and exits 1 on any FAIL.
# Postgres stops at 20% of the transfers, the SIGTERM comes at 55% (and at least 3 s after
# the service is ready again); if the load reaches 90% first it waits for the faults. With
# much fewer than 10,000 transfers that wait can leave the SIGTERM with no request in flight,
# which fails the graceful-shutdown check.
#
# Usage: bench/faults.sh [transfers=10000] [clients=32]
# Env:   AZORA_BIN (default target/release/azora, built with `cargo build --release` when the
#        variable is unset; an explicit AZORA_BIN is used as it is), FAULTS_USERS (1000),
#        BENCH_PORT (18082), FAULTS_POOL (database.max_connections, 16),
#        FAULTS_ACQUIRE_TIMEOUT (database.acquire_timeout_secs, 3),
#        FAULTS_SHUTDOWN_TIMEOUT (server.shutdown_timeout_secs, 30),
#        FAULTS_PG_DOWN_SECS (6; 0 = one `pg_ctlcluster ... restart` instead of stop/start),
#        FAULTS_RECOVERY_SECS (10), FAULTS_RETRY_WINDOW (120), FAULTS_SEED (the plan's random
#        seed; random when unset), FAULTS_PG_VERSION (the newest in /etc/postgresql),
#        FAULTS_FORCE=1 runs although other clients use Postgres (they will see it restart),
#        BENCH_KEEP=1 keeps the work directory (every attempt in attempts.jsonl, the server
#        log), FAULTS_KEEP_DB=1 keeps the database.
# Needs root (it stops and starts the local Postgres cluster with pg_ctlcluster), Postgres at
# 127.0.0.1:5432 (user postgres, trust), python3 (standard library only), curl. Uses (and
# drops first and afterwards) the database azora_bench_faults.
set -euo pipefail
cd "$(dirname "$0")/.."

TRANSFERS=${1:-10000}
CLIENTS=${2:-32}
USERS=${FAULTS_USERS:-1000}
PORT=${BENCH_PORT:-18082}
DB=azora_bench_faults
PGURL="postgres://postgres@127.0.0.1:5432/$DB"
PSQL=(env PGOPTIONS="-c client_min_messages=warning" psql -h 127.0.0.1 -U postgres -v ON_ERROR_STOP=1 -qAtX)
PG_VERSION=${FAULTS_PG_VERSION:-$(ls /etc/postgresql 2>/dev/null | sort -V | tail -n 1)}
PG_CLUSTER=main
# Access tokens are signed here with the server's secret, so it must be a known value.
JWT_SECRET="azora-faults-drill-secret-0123456789abcdef"
BASE="http://127.0.0.1:$PORT"

if (( USERS < 2 || TRANSFERS < 100 || CLIENTS < 1 )); then
    echo "need at least 2 users, 100 transfers and 1 client" >&2
    exit 2
fi
for tool in psql python3 curl pg_ctlcluster pg_lsclusters; do
    command -v "$tool" >/dev/null || { echo "$tool is required" >&2; exit 2; }
done
if [[ $(id -u) != 0 ]]; then
    echo "run as root: the drill stops and starts the Postgres cluster" >&2
    exit 2
fi
if [[ -z "$PG_VERSION" ]] || ! pg_lsclusters -h "$PG_VERSION" "$PG_CLUSTER" 2>/dev/null | grep -q online; then
    echo "Postgres cluster ${PG_VERSION:-?}/$PG_CLUSTER is not online" >&2
    exit 2
fi

# The drill restarts Postgres for everybody on this machine: refuse while others use it.
OTHERS=$("${PSQL[@]}" -F ' ' -c "
    SELECT coalesce(datname, '-') || ' (' || coalesce(nullif(application_name, ''), 'client') || ')', count(*)
    FROM pg_stat_activity
    WHERE backend_type = 'client backend' AND pid <> pg_backend_pid() AND datname IS DISTINCT FROM '$DB'
    GROUP BY 1 ORDER BY 1" postgres)
# Benchmarks, and test suites that may be compiling now and connect in a minute.
BUSY=$( (pgrep -a -x 'wrk|pgbench'; pgrep -af 'cargo(-nextest)? (test|nextest)') || true)
if [[ -n "$OTHERS$BUSY" && "${FAULTS_FORCE:-0}" != 1 ]]; then
    echo "other clients are using Postgres (the drill would restart it under them):" >&2
    [[ -n "$OTHERS" ]] && echo "$OTHERS" | sed 's/^/  connections: /' >&2
    [[ -n "$BUSY" ]] && echo "$BUSY" | sed 's/^/  running: /' >&2
    echo "wait for them, or set FAULTS_FORCE=1" >&2
    exit 2
fi

if [[ -z "${AZORA_BIN:-}" ]]; then
    echo "building (release)"
    cargo build --release --quiet --bin azora
    BIN=target/release/azora
else
    BIN=$AZORA_BIN
fi
[[ -x "$BIN" ]] || { echo "$BIN is not an executable" >&2; exit 2; }
BIN=$(realpath "$BIN")

WORK=$(mktemp -d -t azora-faults.XXXXXX)
PIDFILE="$WORK/server.pid"
PG_MARK="$WORK/pg-down"   # exists while the drill has Postgres stopped
DRILL=""                  # the drill's pid while it runs
SERVER=""                 # the first server's pid (the drill restarts it; PIDFILE has the current one)

pg_online() { pg_lsclusters -h "$PG_VERSION" "$PG_CLUSTER" 2>/dev/null | grep -q online; }
alive() {   # $1 pid: running (not gone, not a zombie)
    local st
    st=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
    st=${st##*) }
    [[ ${st%% *} != Z ]]
}
stop_server() {
    local pid
    pid=$(cat "$PIDFILE" 2>/dev/null || true)
    if [[ -n "$pid" ]] && alive "$pid"; then
        kill -TERM "$pid" 2>/dev/null || true
        for _ in $(seq 1 100); do alive "$pid" || break; sleep 0.1; done
        alive "$pid" && kill -KILL "$pid" 2>/dev/null
    fi
    wait "$SERVER" 2>/dev/null || true   # reaps the first server (our child); later ones are the drill's
    rm -f "$PIDFILE"
}
cleanup() {
    local rc=$?
    trap - EXIT INT TERM
    if [[ -n "$DRILL" ]]; then
        kill -TERM "$DRILL" 2>/dev/null || true
        wait "$DRILL" 2>/dev/null || true
    fi
    # Postgres first: if the drill died while it was down, start it again.
    if [[ -e "$PG_MARK" ]] || ! pg_online; then
        echo "starting Postgres again ($PG_VERSION/$PG_CLUSTER)" >&2
        pg_ctlcluster --skip-systemctl-redirect "$PG_VERSION" "$PG_CLUSTER" start >&2 || true
        rm -f "$PG_MARK"
    fi
    stop_server
    if [[ "${FAULTS_KEEP_DB:-0}" != 1 ]]; then
        "${PSQL[@]}" -c "DROP DATABASE IF EXISTS $DB WITH (FORCE)" postgres >/dev/null 2>&1 || true
    fi
    if [[ "${BENCH_KEEP:-0}" == 1 ]]; then
        echo "work files kept in $WORK" >&2
    else
        rm -rf "$WORK"
    fi
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

export DATABASE_URL="$PGURL" AZORA__LOG__LEVEL=warn PORT AZORA__SERVER__HOST=127.0.0.1
export AZORA__DATABASE__MAX_CONNECTIONS=${FAULTS_POOL:-16}
export AZORA__DATABASE__ACQUIRE_TIMEOUT_SECS=${FAULTS_ACQUIRE_TIMEOUT:-3}
export AZORA__SERVER__SHUTDOWN_TIMEOUT_SECS=${FAULTS_SHUTDOWN_TIMEOUT:-30}
export AZORA__SECURITY__JWT_SECRET="$JWT_SECRET"
# The balance model below assumes no fee.
export AZORA__WALLET__TRANSFER_FEE_RATE=0
# Background jobs stay quiet: only the drill's traffic moves money.
export AZORA__MAIL__POLL_INTERVAL_MS=3600000

start_server() {
    # Its log (level warn) goes to the work directory; the drill restarts it the same way.
    "$BIN" serve >>"$WORK/server.log" 2>&1 &
    SERVER=$!
    echo "$SERVER" > "$PIDFILE"
    local tries=0
    until curl -fsS -o /dev/null "$BASE/health/ready" 2>/dev/null; do
        if ! kill -0 "$(cat "$PIDFILE")" 2>/dev/null; then
            echo "the server exited during start-up:" >&2
            tail -n 20 "$WORK/server.log" >&2
            exit 1
        fi
        tries=$((tries + 1))
        if (( tries > 3000 )); then
            echo "the server is not ready after 30 s" >&2
            exit 1
        fi
        sleep 0.01
    done
}

# --- A fresh database: account 0 is a super_admin (reconcile, audit), accounts 1..USERS are
# --- verified students with a session and 1,000.00 ZAR each ----------------------------------
echo "preparing $DB with $USERS users"
"${PSQL[@]}" -c "DROP DATABASE IF EXISTS $DB WITH (FORCE)" postgres
"$BIN" migrate up >/dev/null
"${PSQL[@]}" "$DB" <<SQL
BEGIN;
-- UUID v7 (time-ordered, like the application's ids): the ledger pages by entry id.
CREATE FUNCTION bench_uuid7() RETURNS uuid LANGUAGE sql VOLATILE AS \$\$
    SELECT encode(set_bit(set_bit(overlay(uuid_send(gen_random_uuid())
        PLACING substring(int8send((extract(epoch FROM clock_timestamp()) * 1000)::bigint) FROM 3)
        FROM 1 FOR 6), 52, 1), 53, 1), 'hex')::uuid
\$\$;
CREATE TABLE bench_accounts (
    n          int PRIMARY KEY,
    user_id    uuid NOT NULL,
    session_id uuid NOT NULL,
    wallet_id  uuid NOT NULL
);
INSERT INTO bench_accounts (n, user_id, session_id, wallet_id)
SELECT i, bench_uuid7(), bench_uuid7(), bench_uuid7() FROM generate_series(0, $USERS) AS i;

-- Nobody signs in with a password: the hash is a placeholder no password matches.
INSERT INTO users (id, email, display_name, password_hash, email_verified_at)
SELECT user_id, 'faults' || n || '@bench.azora.test', 'Drill user ' || n, '!bench-no-login', now()
FROM bench_accounts;
INSERT INTO role_assignments (id, user_id, role_id, scope_type)
SELECT bench_uuid7(), b.user_id, r.id, 'global' FROM bench_accounts b, roles r
WHERE r.name = CASE WHEN b.n = 0 THEN 'super_admin' ELSE 'student' END;
INSERT INTO sessions (id, user_id, user_agent, ip, expires_at)
SELECT session_id, user_id, 'faults', '127.0.0.1', now() + interval '1 day' FROM bench_accounts;
INSERT INTO wallets (id, owner_id, currency, balance)
SELECT wallet_id, user_id, 'ZAR', 1000.00 FROM bench_accounts WHERE n > 0;

-- Backed by the ledger: one mint from the treasury to every wallet, so reconcile is clean.
CREATE TEMP TABLE funding AS SELECT bench_uuid7() AS id;
INSERT INTO ledger_transactions (id, kind, currency, amount, description)
SELECT id, 'mint', 'ZAR', 1000.00 * $USERS, 'drill funding' FROM funding;
INSERT INTO ledger_entries (id, transaction_id, wallet_id, amount, balance_after)
SELECT bench_uuid7(), f.id, w.id, -1000.00 * $USERS, w.balance - 1000.00 * $USERS
FROM funding f, wallets w WHERE w.system_kind = 'treasury' AND w.currency = 'ZAR';
INSERT INTO ledger_entries (id, transaction_id, wallet_id, amount, balance_after)
SELECT bench_uuid7(), f.id, b.wallet_id, 1000.00, 1000.00 FROM funding f, bench_accounts b WHERE b.n > 0;
UPDATE wallets SET balance = balance - 1000.00 * $USERS, updated_at = now()
WHERE system_kind = 'treasury' AND currency = 'ZAR';
COMMIT;
VACUUM ANALYZE;
SQL

# --- Access tokens: HS256 JWTs {sub, sid, exp, iat, jti} signed with the server's secret ---
"${PSQL[@]}" -F $'\t' -c "SELECT user_id, session_id, wallet_id FROM bench_accounts ORDER BY n" "$DB" \
    | python3 -c '
import base64, hashlib, hmac, json, sys, time, uuid

secret = sys.argv[1].encode()
def b64(raw):
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()
header = b64(json.dumps({"alg": "HS256", "typ": "JWT"}, separators=(",", ":")).encode())
now = int(time.time())
for line in sys.stdin:
    user, session, wallet = line.rstrip("\n").split("\t")
    claims = {"sub": user, "sid": session, "exp": now + 4 * 3600, "iat": now, "jti": str(uuid.uuid4())}
    payload = b64(json.dumps(claims, separators=(",", ":")).encode())
    signature = b64(hmac.new(secret, f"{header}.{payload}".encode(), hashlib.sha256).digest())
    print(f"{header}.{payload}.{signature}\t{wallet}")
' "$JWT_SECRET" > "$WORK/accounts.tsv"

# --- The drill: load, faults and checks, in one asyncio program (standard library only) ---
cat > "$WORK/faults.py" <<'PY'
"""The fault drill's client: see bench/faults.sh for what it does and checks."""
import asyncio
import json
import os
import random
import signal
import subprocess
import sys
import time
from collections import Counter, defaultdict
from decimal import Decimal

E = os.environ
HOST = "127.0.0.1"
PORT = int(E["PORT"])
N = int(E["FAULTS_TRANSFERS"])
CLIENTS = int(E["FAULTS_CLIENTS"])
ACQUIRE = float(E["AZORA__DATABASE__ACQUIRE_TIMEOUT_SECS"])
BOUND_503 = ACQUIRE + 1.0
SHUTDOWN = float(E["AZORA__SERVER__SHUTDOWN_TIMEOUT_SECS"])
PG_CTL = ["pg_ctlcluster", "--skip-systemctl-redirect", E["FAULTS_PG_VERSION"], E["FAULTS_PG_CLUSTER"]]
PG_DOWN = float(E["FAULTS_PG_DOWN_SECS"])
RECOVERY = float(E["FAULTS_RECOVERY_SECS"])
RETRY_WINDOW = float(E["FAULTS_RETRY_WINDOW"])
WORK = E["FAULTS_WORK"]
DB = E["FAULTS_DB"]
BIN = E["FAULTS_BIN"]
SEED = int(E["FAULTS_SEED"])
PIDFILE = f"{WORK}/server.pid"
PG_MARK = f"{WORK}/pg-down"
REQUEST_TIMEOUT = SHUTDOWN + 30   # a request that hangs longer than a graceful stop is a failure
PG_AT, TERM_AT, HOLD_AT = 0.20, 0.55, 0.90   # progress (share of transfers done) of each step
TRANSFERS = "/api/v1/wallet/transfers"

accounts = [line.rstrip("\n").split("\t") for line in open(f"{WORK}/accounts.tsv")]
ADMIN = accounts[0][0]
USERS = accounts[1:]   # (token, wallet id)
RUN = f"{int(time.time())}-{os.getpid()}"
T0 = time.monotonic()


def now():
    return time.monotonic() - T0


# --- A minimal HTTP/1.1 client with keep-alive connections ---------------------------------
class Pool:
    def __init__(self):
        self.idle = []

    async def get(self):
        while self.idle:
            r, w, since = self.idle.pop()
            # actix closes idle keep-alive connections after 5 s: do not race it.
            if time.monotonic() - since < 2.0 and not r.at_eof():
                return r, w
            w.close()
        return await asyncio.open_connection(HOST, PORT)

    def put(self, r, w):
        self.idle.append((r, w, time.monotonic()))


POOL = Pool()


async def read_response(r):
    line = await r.readline()
    if not line:
        raise ConnectionError("connection closed before a response")
    status = int(line.decode("latin1").split(" ", 2)[1])
    headers = {}
    while True:
        h = await r.readline()
        if not h:
            raise ConnectionError("connection closed in the headers")
        if h in (b"\r\n", b"\n"):
            break
        k, _, v = h.decode("latin1").partition(":")
        headers[k.strip().lower()] = v.strip()
    if "content-length" in headers:
        body = await r.readexactly(int(headers["content-length"]))
    elif "chunked" in headers.get("transfer-encoding", "").lower():
        parts = []
        while True:
            size = int((await r.readline()).split(b";")[0].strip() or b"0", 16)
            if size == 0:
                while (await r.readline()) not in (b"\r\n", b"\n", b""):
                    pass
                break
            parts.append(await r.readexactly(size))
            await r.readexactly(2)
        body = b"".join(parts)
    else:
        body = await r.read()
        headers["connection"] = "close"
    return status, headers, body


async def http(method, path, token=None, key=None, body=None, fresh=False):
    """One request; returns a record: t0, t1, status (None on a connection error), ..."""
    rec = {"t0": now(), "path": path}
    w = None
    try:
        if fresh:
            r, w = await asyncio.open_connection(HOST, PORT)
        else:
            r, w = await POOL.get()
        head = [f"{method} {path} HTTP/1.1", f"Host: {HOST}:{PORT}"]
        if token:
            head.append(f"Authorization: Bearer {token}")
        if key:
            head.append(f"Idempotency-Key: {key}")
        if body is not None:
            head += ["Content-Type: application/json", f"Content-Length: {len(body)}"]
        if fresh:
            head.append("Connection: close")
        w.write(("\r\n".join(head) + "\r\n\r\n").encode() + (body or b""))
        await w.drain()
        status, headers, payload = await asyncio.wait_for(read_response(r), REQUEST_TIMEOUT)
        if fresh or headers.get("connection", "").lower() == "close":
            w.close()
        else:
            POOL.put(r, w)
        rec["status"] = status
        rec["ct"] = headers.get("content-type", "")
        if "retry-after" in headers:
            rec["retry_after"] = headers["retry-after"]
        try:
            doc = json.loads(payload) if payload else None
        except ValueError:
            doc = None
        if isinstance(doc, dict):
            if 200 <= status < 300:
                for f in ("id", "amount", "from_wallet_id", "to_wallet_id", "ok", "valid"):
                    if f in doc:
                        rec[f] = doc[f]
            else:
                rec["code"] = doc.get("code")
    except (OSError, EOFError, asyncio.IncompleteReadError, ValueError, IndexError) as e:
        # OSError covers refused, reset, broken pipe and timeouts.
        rec["status"] = None
        rec["err"] = f"{type(e).__name__}: {e}"[:160]
        if w is not None:
            w.close()
    rec["t1"] = now()
    return rec


ATTEMPTS = []   # every load, reuse, probe and replay request


async def send(op, send_no, body=None, kind="load"):
    """POST the transfer, retrying with the same key and body on connection errors, 5xx and
    409 idempotency_key_in_use; returns the last attempt."""
    body = body or op["body"]
    start, delay, attempt = now(), 0.05, 0
    while True:
        attempt += 1
        rec = await http("POST", TRANSFERS, op["token"], op["key"], body)
        rec.update(kind=kind, key=op["key"], send=send_no, attempt=attempt)
        ATTEMPTS.append(rec)
        st = rec["status"]
        retry = st is None or st >= 500 or (st == 409 and rec.get("code") == "idempotency_key_in_use")
        if not retry:
            return rec
        if now() - start > RETRY_WINDOW:
            rec["abandoned"] = True
            return rec
        await asyncio.sleep(delay * random.uniform(0.5, 1.5))
        delay = min(delay * 2, 1.0)


# --- The plan: seeded, so a run can be repeated ----------------------------------------------
plan = random.Random(SEED)
HOT = list(range(min(32, len(USERS))))   # opposite pairs run among a few hot users
ops, jobs = [], []


def new_op(cat, s, r, amount):
    key = f"faults-{RUN}-{len(ops):05d}"
    body = json.dumps({"from_wallet_id": USERS[s][1], "to_wallet_id": USERS[r][1],
                       "amount": amount, "description": key}, separators=(",", ":")).encode()
    op = {"i": len(ops), "key": key, "cat": cat, "s": s, "r": r, "amount": amount,
          "token": USERS[s][0], "body": body}
    ops.append(op)
    return op


def two(pool):
    s = plan.choice(pool)
    r = plan.choice(pool)
    while r == s:
        r = plan.choice(pool)
    return s, r


def small():
    c = plan.randint(1, 2000)
    return f"{c // 100}.{c % 100:02d}"


ALL = list(range(len(USERS)))
while len(ops) < N:
    x = plan.random()
    if x < 0.16 and len(ops) <= N - 2:
        a, b = two(HOT)
        jobs.append(("pair", [new_op("pair", a, b, small()), new_op("pair", b, a, small())]))
    elif x < 0.24:
        s, r = two(ALL)
        big = f"{plan.randint(2_000_000, 3_000_000)}.{plan.randint(0, 99):02d}"
        jobs.append(("overdraft", [new_op("overdraft", s, r, big)]))
    elif x < 0.31:
        jobs.append(("dup_concurrent", [new_op("dup_concurrent", *two(ALL), small())]))
    elif x < 0.38:
        jobs.append(("dup_sequential", [new_op("dup_sequential", *two(ALL), small())]))
    elif x < 0.40:
        jobs.append(("key_reuse", [new_op("key_reuse", *two(ALL), small())]))
    else:
        jobs.append(("normal", [new_op("normal", *two(HOT if plan.random() < 0.1 else ALL), small())]))
ops_before = []
total = 0
for _, js in jobs:
    ops_before.append(total)
    total += len(js)


async def run_job(cat, js):
    if cat == "pair":
        await asyncio.gather(send(js[0], 0), send(js[1], 0))
    elif cat == "dup_concurrent":
        await asyncio.gather(send(js[0], 0), send(js[0], 1))
    elif cat == "dup_sequential":
        await send(js[0], 0)
        await send(js[0], 1)
    elif cat == "key_reuse":
        first = await send(js[0], 0)
        if first["status"] == 201:
            doc = json.loads(js[0]["body"])
            doc["amount"] = str(Decimal(doc["amount"]) + Decimal("0.01"))
            await send(js[0], 1, json.dumps(doc, separators=(",", ":")).encode(), kind="reuse")
    else:
        await send(js[0], 0)


# --- Faults ----------------------------------------------------------------------------------
T = {}   # timeline, seconds since the start
NOTES = []
FAULTS_DONE = asyncio.Event()
state = {"next": 0, "done": 0, "held": None}


async def worker():
    while state["next"] < len(jobs):
        j = state["next"]
        if ops_before[j] >= HOLD_AT * N and not FAULTS_DONE.is_set():
            if state["held"] is None:
                state["held"] = now()
            await FAULTS_DONE.wait()
            continue
        state["next"] += 1
        cat, js = jobs[j]
        await run_job(cat, js)
        state["done"] += len(js)


async def wait_progress(share):
    while state["done"] < share * N:
        await asyncio.sleep(0.02)


async def run_cmd(*args):
    p = await asyncio.create_subprocess_exec(*args, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    out, _ = await p.communicate()
    return p.returncode, out.decode(errors="replace").strip()


async def wait_ready(limit):
    """Seconds until GET /health/ready answers 200 (fresh connections), or None."""
    start = now()
    while now() - start < limit:
        rec = await http("GET", "/health/ready", fresh=True)
        if rec["status"] == 200:
            return now()
        await asyncio.sleep(0.05)
    return None


async def probe_loop(until):
    """While Postgres is down: GET /health/ready and an authenticated GET /api/v1/wallets
    every 0.5 s, each on a fresh connection, without waiting for the previous ones."""
    tasks = []

    async def probe(path, token):
        rec = await http("GET", path, token, fresh=True)
        rec["kind"] = "probe"
        ATTEMPTS.append(rec)

    while now() < until - 0.2:
        tasks.append(asyncio.create_task(probe("/health/ready", None)))
        tasks.append(asyncio.create_task(probe("/api/v1/wallets", USERS[0][0])))
        await asyncio.sleep(0.5)
    return tasks


async def pg_outage():
    open(PG_MARK, "w").close()
    T["pg_stop"] = now()
    if PG_DOWN <= 0:
        rc, out = await run_cmd(*PG_CTL, "restart", "-m", "fast")
        T["pg_down"] = T["pg_start"] = T["pg_up"] = now()
        probes = []
    else:
        rc, out = await run_cmd(*PG_CTL, "stop", "-m", "fast")
        T["pg_down"] = now()
        if rc != 0:
            NOTES.append(f"pg_ctlcluster stop failed ({rc}): {out}")
        probing = asyncio.create_task(probe_loop(T["pg_down"] + PG_DOWN))
        await asyncio.sleep(PG_DOWN)
        T["pg_start"] = now()
        rc, out = await run_cmd(*PG_CTL, "start")
        T["pg_up"] = now()
        probes = await probing
    if rc != 0:
        NOTES.append(f"pg_ctlcluster failed ({rc}): {out}")
    os.unlink(PG_MARK)
    T["pg_ready"] = await wait_ready(max(RECOVERY * 3, 30))
    await asyncio.gather(*probes)


def alive(pid):
    try:
        with open(f"/proc/{pid}/stat") as f:
            st = f.read()
    except FileNotFoundError:
        return False
    return st.rsplit(")", 1)[1].split()[0] not in ("Z", "X")


async def azora_restart():
    pid = int(open(PIDFILE).read())
    T["term"] = now()
    os.kill(pid, signal.SIGTERM)
    while alive(pid) and now() - T["term"] < SHUTDOWN + 15:
        await asyncio.sleep(0.02)
    if alive(pid):
        NOTES.append(f"azora did not exit within {SHUTDOWN + 15:.0f} s of SIGTERM: killed")
        T["killed"] = True
        os.kill(pid, signal.SIGKILL)
        while alive(pid):
            await asyncio.sleep(0.02)
    T["exited"] = now()
    log = open(f"{WORK}/server.log", "ab")
    proc = subprocess.Popen([BIN, "serve"], stdin=subprocess.DEVNULL, stdout=log, stderr=log)
    with open(PIDFILE + ".tmp", "w") as f:
        f.write(str(proc.pid))
    os.replace(PIDFILE + ".tmp", PIDFILE)
    T["started"] = now()
    T["restarted_ready"] = await wait_ready(60)


async def faults():
    try:
        await wait_progress(PG_AT)
        await pg_outage()
        await wait_progress(TERM_AT)
        # Keep the two faults apart: the SIGTERM should hit a service under steady load.
        await asyncio.sleep(max(0.0, (T["pg_ready"] or now()) + 3.0 - now()))
        await azora_restart()
    finally:
        FAULTS_DONE.set()


# --- SQL -------------------------------------------------------------------------------------
def sql(query):
    out = subprocess.run(
        ["psql", "-h", "127.0.0.1", "-U", "postgres", "-v", "ON_ERROR_STOP=1", "-qAtX", "-F", "\t",
         "-d", DB, "-c", query], check=True, capture_output=True, text=True).stdout
    return [line.split("\t") for line in out.splitlines() if line]


SUPPLY_SQL = """SELECT currency, sum(balance), coalesce(sum(balance) FILTER (WHERE system_kind IS DISTINCT FROM 'treasury'), 0)
                FROM wallets GROUP BY currency ORDER BY currency"""


def fmt(pair):
    return "-" if pair is None else "/".join(f"{d.normalize():f}" for d in pair)


def supply():
    return {c: (Decimal(a), Decimal(b)) for c, a, b in sql(SUPPLY_SQL)}


async def main():
    # Smoke: the tokens work and the service answers.
    rec = await http("GET", "/api/v1/wallets", USERS[0][0], fresh=True)
    if rec["status"] != 200:
        print(f"GET /api/v1/wallets answered {rec}", file=sys.stderr)
        return 1
    supply_before = supply()
    transfers_before = int(sql("SELECT count(*) FROM ledger_transactions WHERE kind = 'transfer'")[0][0])
    cats = Counter(o["cat"] for o in ops)
    print(f"drill: {N} transfers ({', '.join(f'{k} {v}' for k, v in sorted(cats.items()))}) "
          f"from {CLIENTS} clients among {len(USERS)} users, seed {SEED}")
    print(f"  Postgres stops at {PG_AT:.0%} of the transfers, azora gets SIGTERM at {TERM_AT:.0%}")
    t_load = now()
    fault_task = asyncio.create_task(faults())
    await asyncio.gather(*(worker() for _ in range(CLIENTS)))
    await fault_task
    T["load_done"] = now()
    load_secs = T["load_done"] - t_load
    print(f"  load done in {load_secs:.1f} s; verifying")

    checks = []   # (ok, text)

    def check(ok, text):
        checks.append((bool(ok), text))

    # --- The service is up after the faults ---
    up = await wait_ready(30)
    check(up is not None, "the service is ready after the drill")

    # --- What the clients saw, per key ---
    by_key = defaultdict(list)
    for a in ATTEMPTS:
        if a["kind"] in ("load", "reuse"):
            by_key[a["key"]].append(a)
    ledger = sql("SELECT id, description, amount FROM ledger_transactions WHERE kind = 'transfer'")
    rows_by_key = defaultdict(list)
    for tid, desc, amount in ledger:
        rows_by_key[desc].append((tid, Decimal(amount)))
    op_by_key = {o["key"]: o for o in ops}
    unknown = [r for k, rs in rows_by_key.items() if k not in op_by_key for r in rs]
    check(not unknown, f"every ledger transfer belongs to a drill key ({len(unknown)} unknown)")

    two_xx_keys, mismatch_ids, not_once, wrong_amount, to_replay, abandoned = 0, [], [], [], [], []
    committed_4xx, overdraft_bad, reuse_bad = [], [], []
    dup_replayed = 0
    for op in ops:
        key = op["key"]
        loads = [a for a in by_key[key] if a["kind"] == "load"]
        ok2 = [a for a in loads if a["status"] and 200 <= a["status"] < 300]
        rows = rows_by_key.get(key, [])
        ids = {a.get("id") for a in ok2}
        if len(ok2) > 1:
            dup_replayed += len(ok2) - 1
        if rows and Decimal(op["amount"]) != rows[0][1]:
            wrong_amount.append(key)
        if ok2:
            two_xx_keys += 1
            if len(ids) != 1:
                mismatch_ids.append((key, sorted(map(str, ids))))
            if len(rows) != 1 or rows[0][0] not in ids:
                not_once.append((key, [r[0] for r in rows], sorted(map(str, ids))))
        elif rows:
            to_replay.append(op)
            if len(rows) != 1:
                not_once.append((key, [r[0] for r in rows], []))
        last_by_send = {}
        for a in loads:
            last_by_send[a["send"]] = a
        if any(a.get("abandoned") for a in last_by_send.values()):
            abandoned.append(key)
        if not ok2 and rows and all(a["status"] and 400 <= a["status"] < 500 for a in last_by_send.values()):
            committed_4xx.append(key)
        if op["cat"] == "overdraft":
            if ok2 or rows or any((a["status"], a.get("code")) != (422, "insufficient_funds") for a in last_by_send.values()):
                overdraft_bad.append(key)
        if op["cat"] == "key_reuse":
            reuses = [a for a in by_key[key] if a["kind"] == "reuse"]
            if ok2 and (not reuses or (reuses[-1]["status"], reuses[-1].get("code")) != (409, "idempotency_key_reused")):
                reuse_bad.append(key)
    check(not mismatch_ids, f"every key's 2xx answers carry one transfer id ({len(mismatch_ids)} keys differ)")
    check(not not_once, f"every committed key has exactly one ledger transfer, the one it was told ({len(not_once)} not)")
    check(not wrong_amount, f"every ledger transfer has the amount sent ({len(wrong_amount)} differ)")
    check(not committed_4xx, f"no key refused with 4xx committed a transfer ({len(committed_4xx)} did)")
    check(not overdraft_bad, f"every overdraft got 422 insufficient_funds and moved nothing ({len(overdraft_bad)} not)")
    check(not reuse_bad, f"every key reused with another body got 409 idempotency_key_reused ({len(reuse_bad)} not)")
    check(not abandoned, f"no request gave up after {RETRY_WINDOW:.0f} s of retries ({len(abandoned)} did)")

    # --- Replays: keys that committed without the client hearing 2xx, and a sample of others ---
    answered = [o for o in ops if any(a["status"] and 200 <= a["status"] < 300
                                      for a in by_key[o["key"]] if a["kind"] == "load")]
    sample = random.Random(SEED + 1).sample(answered, min(200, len(answered)))
    replay_bad = []
    ledger_count_before_replays = int(sql("SELECT count(*) FROM ledger_transactions WHERE kind = 'transfer'")[0][0])
    for op in to_replay + sample:
        rec = await http("POST", TRANSFERS, op["token"], op["key"], op["body"])
        rec.update(kind="replay", key=op["key"], send="replay", attempt=1)
        ATTEMPTS.append(rec)
        rows = rows_by_key.get(op["key"], [])
        if rec["status"] != 201 or not rows or rec.get("id") != rows[0][0]:
            replay_bad.append((op["key"], rec["status"], rec.get("code"), rec.get("id")))
    ledger_count_after_replays = int(sql("SELECT count(*) FROM ledger_transactions WHERE kind = 'transfer'")[0][0])
    check(not replay_bad, f"replaying {len(to_replay)} keys committed without a 2xx and {len(sample)} answered keys "
                          f"returns the stored transfer ({len(replay_bad)} did not)")
    check(ledger_count_after_replays == ledger_count_before_replays,
          f"the replays moved nothing ({ledger_count_after_replays - ledger_count_before_replays} new transfers)")

    # --- The ledger against the idempotency store and the audit trail ---
    ledger_ids = {tid for tid, _, _ in ledger}
    keys = sql("SELECT key, status_code, response->>'id' FROM idempotency_keys WHERE scope = 'transfer'")
    stored = {k: (int(s), i) for k, s, i in keys}
    phantom = [k for k, (_, i) in stored.items() if i not in ledger_ids]
    unstored = [k for k, rs in rows_by_key.items() if k in op_by_key and stored.get(k, (0, None))[1] != rs[0][0]]
    check(not phantom, f"every stored idempotency result names a ledger transfer ({len(phantom)} do not)")
    check(not unstored, f"every ledger transfer is the stored result of its key ({len(unstored)} are not)")
    audits = dict((r, int(c)) for r, c in sql(
        "SELECT resource_id, count(*) FROM audit_logs WHERE action = 'wallet.transfer' GROUP BY resource_id"))
    audit_bad = [t for t in ledger_ids if audits.get(t) != 1] + [t for t in audits if t not in ledger_ids]
    check(not audit_bad, f"every ledger transfer has exactly one audit record and no audit record is orphaned ({len(audit_bad)} not)")

    # --- Legs and balances: the money moved as the clients were told ---
    legs = defaultdict(dict)
    for tid, wallet, amount in sql("""SELECT e.transaction_id, e.wallet_id, e.amount FROM ledger_entries e
                                      JOIN ledger_transactions t ON t.id = e.transaction_id WHERE t.kind = 'transfer'"""):
        legs[tid][wallet] = Decimal(amount)
    legs_bad = []
    expected = {w: Decimal("1000.00") for _, w in USERS}
    for key, rows in rows_by_key.items():
        op = op_by_key.get(key)
        if not op:
            continue
        amt = Decimal(op["amount"])
        fw, tw = USERS[op["s"]][1], USERS[op["r"]][1]
        if legs.get(rows[0][0]) != {fw: -amt, tw: amt}:
            legs_bad.append(key)
        expected[fw] -= amt
        expected[tw] += amt
    balances = {w: Decimal(b) for w, b in sql("SELECT id, balance FROM wallets WHERE owner_id IS NOT NULL")}
    balance_bad = [w for w, b in expected.items() if balances.get(w) != b]
    negative = [w for w, b in balances.items() if b < 0]
    check(not legs_bad, f"every transfer debits the sender and credits the recipient by its amount ({len(legs_bad)} not)")
    check(not balance_bad, f"every user balance is 1,000.00 plus received minus sent as committed ({len(balance_bad)} differ)")
    check(not negative, f"no user balance is negative ({len(negative)} are)")
    supply_after = supply()
    check(supply_after == supply_before,
          "total supply unchanged per currency (all wallets / without the treasury): " + ", ".join(
              f"{c} {fmt(supply_before.get(c))} -> {fmt(v)}"
              for c, v in sorted(supply_after.items()) if v != (0, 0) or supply_before.get(c) != v))

    rec = await http("GET", "/api/v1/wallet/reconcile", ADMIN, fresh=True)
    check(rec["status"] == 200 and rec.get("ok") is True,
          f"GET /wallet/reconcile is clean (status {rec['status']}, ok {rec.get('ok')})")
    rec = await http("GET", "/api/v1/audit/verify", ADMIN, fresh=True)
    check(rec["status"] == 200 and rec.get("valid") is True,
          f"GET /audit/verify is valid (status {rec['status']}, valid {rec.get('valid')})")

    # --- Faults: 503s, the outage window, recovery, graceful shutdown ---
    live = [a for a in ATTEMPTS if a["kind"] in ("load", "reuse", "probe")]
    five = [a for a in live if a["status"] and a["status"] >= 500]
    not503 = [a for a in five if a["status"] != 503]
    bad503 = [a for a in five if a["status"] == 503 and (not a["ct"].startswith("application/problem+json")
                                                         or a.get("code") != "database_unavailable")]
    slow503 = [a for a in five if a["status"] == 503 and a["t1"] - a["t0"] > BOUND_503]
    check(not not503, f"every 5xx is a 503 ({len(not503)} other: "
                      f"{dict(Counter((a['status'], a.get('code')) for a in not503))})")
    check(not bad503, f"every 503 is problem+json database_unavailable ({len(bad503)} not)")
    check(not slow503, f"every 503 answers within acquire_timeout + 1 s = {BOUND_503:.0f} s "
                       f"({len(slow503)} slower, max {max((a['t1'] - a['t0'] for a in five), default=0):.2f} s)")
    if PG_DOWN > 0:
        inside = [a for a in live if a["t0"] >= T["pg_down"] and a["t1"] <= T["pg_start"]]
        straddle = [a for a in live if T["pg_down"] <= a["t0"] < T["pg_start"] < a["t1"]]
        inside_bad = [a for a in inside if a["status"] != 503]
        straddle_bad = [a for a in straddle if not (a["status"] == 503 or (a["status"] and a["status"] < 500))]
        probes = [a for a in inside if a["kind"] == "probe"]
        check(inside and not inside_bad,
              f"while Postgres was down: {len(inside)} requests ({len(probes)} probes) all got 503 "
              f"({len(inside_bad)} other: {dict(Counter(a['status'] or a.get('err', '')[:40] for a in inside_bad))})")
        check(not straddle_bad, f"requests made while down and answered after the start got 503 or their answer "
                                f"({len(straddle_bad)} other)")
    rec_secs = None if T.get("pg_ready") is None else T["pg_ready"] - T["pg_up"]
    first_ok = min((a["t1"] for a in ATTEMPTS if a["kind"] == "load" and a["t0"] >= T["pg_up"]
                    and a["status"] == 201), default=None)
    first_secs = None if first_ok is None else first_ok - T["pg_up"]
    check(rec_secs is not None and rec_secs <= RECOVERY and first_secs is not None and first_secs <= RECOVERY,
          "the service recovered by itself after Postgres started: ready in "
          + ("never" if rec_secs is None else f"{rec_secs:.2f} s") + ", first transfer committed in "
          + ("never" if first_secs is None else f"{first_secs:.2f} s") + f" (limit {RECOVERY:.0f} s)")
    inflight = [a for a in ATTEMPTS if a["kind"] in ("load", "reuse") and a["t0"] < T["term"] < a["t1"]]
    dropped = [a for a in inflight if a["status"] is None]
    check(inflight and not dropped, f"SIGTERM: all {len(inflight)} requests in flight got an answer ({len(dropped)} dropped: "
                       f"{dict(Counter(a.get('err', '')[:40] for a in dropped))})")
    exit_secs = T["exited"] - T["term"]
    check(not T.get("killed") and exit_secs <= SHUTDOWN + 1,
          f"SIGTERM: azora exited in {exit_secs:.2f} s (shutdown_timeout_secs {SHUTDOWN:.0f})")
    check(T.get("restarted_ready") is not None, "azora started again and became ready")
    for n in NOTES:
        check(False, n)

    # --- Counts ---
    loads = [a for a in ATTEMPTS if a["kind"] in ("load", "reuse")]
    status = Counter()
    for a in loads:
        if a["status"] is None:
            status["connection error"] += 1
        elif 200 <= a["status"] < 300:
            status["2xx"] += 1
        else:
            status[f"{a['status']} {a.get('code')}"] += 1
    lat = sorted(a["t1"] - a["t0"] for a in loads if a["status"] == 201)

    def pct(p):
        return f"{lat[min(len(lat) - 1, int(len(lat) * p))] * 1000:.1f} ms" if lat else "-"

    pairs = [js for cat, js in jobs if cat == "pair"]
    both = sum(1 for a, b in pairs if rows_by_key.get(a["key"]) and rows_by_key.get(b["key"]))
    dups = sum(1 for o in ops if o["cat"] in ("dup_concurrent", "dup_sequential"))
    retried_keys = len({a["key"] for a in loads if a["attempt"] > 1})
    committed = sum(1 for k in rows_by_key if k in op_by_key)
    bad_keys = ({k for k, *_ in not_once} | {k for k, *_ in mismatch_ids} | {k for k, *_ in replay_bad}
                | set(wrong_amount) | set(legs_bad))
    verified = sum(1 for k in rows_by_key if k in op_by_key and k not in bad_keys)
    probes = [a for a in ATTEMPTS if a["kind"] == "probe"]
    rows_out = [
        ("transfers (keys)", N),
        ("requests sent (incl. duplicates, reuses, retries)", len(loads)),
        ("  2xx", status.pop("2xx", 0)),
    ]
    for k in sorted(k for k in status if k != "connection error" and not k.startswith("5")):
        rows_out.append((f"  {k}", status[k]))
    for k in sorted(k for k in status if k.startswith("5")):
        rows_out.append((f"  {k}", status[k]))
    rows_out += [
        ("  connection errors", status.get("connection error", 0)),
        ("retries (attempts after the first)", sum(1 for a in loads if a["attempt"] > 1)),
        ("  keys retried", retried_keys),
        ("duplicate sends (same key and body)", dups),
        ("  2xx answers that replayed a key", dup_replayed),
        ("opposite pairs / both committed", f"{len(pairs)} / {both}"),
        ("overdrafts / refused 422", f"{cats['overdraft']} / {cats['overdraft'] - len(overdraft_bad)}"),
        ("keys reused with another body / refused 409", f"{cats['key_reuse']} / {cats['key_reuse'] - len(reuse_bad)}"),
        ("keys answered 2xx", two_xx_keys),
        ("ledger transfers (this run)", ledger_count_after_replays - transfers_before),
        ("  committed without a 2xx, replayed afterwards", len(to_replay)),
        ("  verified exactly once", verified),
        ("post-run replays (incl. sample)", len(to_replay) + len(sample)),
        ("probes while Postgres was down", len(probes)),
        ("503 answer time, max", f"{max((a['t1'] - a['t0'] for a in five if a['status'] == 503), default=0):.2f} s"),
        ("201 latency p50 / p99", f"{pct(0.50)} / {pct(0.99)}"),
        ("load duration", f"{load_secs:.1f} s"),
    ]
    print()
    print(f"== Azora fault drill ({N} transfers, {CLIENTS} clients, {len(USERS)} users, pool "
          f"{E['AZORA__DATABASE__MAX_CONNECTIONS']}, acquire_timeout {ACQUIRE:.0f} s, {os.cpu_count()} cores) ==")
    for k, v in rows_out:
        print(f"{k:<50} {v:>14}")
    print()
    print("timeline (s since start)")
    served_after_term = sum(1 for a in ATTEMPTS if a["kind"] in ("load", "reuse") and a["t0"] > T["term"]
                            and a["t1"] < T["exited"] and a["status"])

    def ts(k):
        return "-" if T.get(k) is None else f"{T[k]:.2f}"
    print(f"  Postgres: stop {ts('pg_stop')}, down {ts('pg_down')}, start {ts('pg_start')}, up {ts('pg_up')}, "
          f"azora ready {ts('pg_ready')}")
    print(f"  azora: SIGTERM {ts('term')}, exited {ts('exited')} ({exit_secs:.2f} s; {served_after_term} requests "
          f"sent after SIGTERM were answered by the old process), started {ts('started')}, ready {ts('restarted_ready')}")
    if state["held"] is not None:
        print(f"  the load waited at {HOLD_AT:.0%} for the faults from {state['held']:.2f}")
    print()
    for ok, text in checks:
        print(f"{'PASS' if ok else 'FAIL'}  {text}")
    with open(f"{WORK}/attempts.jsonl", "w") as f:
        for a in ATTEMPTS:
            f.write(json.dumps(a) + "\n")
    failed = [t for ok, t in checks if not ok]
    print()
    print(f"{'FAIL' if failed else 'PASS'}: {len(checks) - len(failed)} of {len(checks)} checks passed")
    if failed:
        details = {"mismatched ids": mismatch_ids[:5], "not exactly once": not_once[:5], "replays": replay_bad[:5],
                   "5xx other than 503": [(a["status"], a.get("code"), round(a["t0"], 2)) for a in not503[:10]],
                   "dropped at SIGTERM": [(a.get("err"), round(a["t0"], 2)) for a in dropped[:5]]}
        for k, v in details.items():
            if v:
                print(f"  {k}: {v}")
    return 1 if failed else 0


sys.exit(asyncio.run(main()))
PY

start_server
echo "running the drill (Postgres $PG_VERSION/$PG_CLUSTER will be stopped for ${FAULTS_PG_DOWN_SECS:-6} s)"
# In the background, so that a signal runs the cleanup at once (it stops the drill first).
FAULTS_TRANSFERS=$TRANSFERS FAULTS_CLIENTS=$CLIENTS FAULTS_WORK=$WORK FAULTS_DB=$DB FAULTS_BIN=$BIN \
    FAULTS_PG_VERSION=$PG_VERSION FAULTS_PG_CLUSTER=$PG_CLUSTER FAULTS_PG_DOWN_SECS=${FAULTS_PG_DOWN_SECS:-6} \
    FAULTS_RECOVERY_SECS=${FAULTS_RECOVERY_SECS:-10} FAULTS_RETRY_WINDOW=${FAULTS_RETRY_WINDOW:-120} \
    FAULTS_SEED=${FAULTS_SEED:-$RANDOM$RANDOM} python3 "$WORK/faults.py" &
DRILL=$!
RC=0
wait "$DRILL" || RC=$?
DRILL=""
if (( RC != 0 )); then
    CAUSES=$(sed 's/\x1b\[[0-9;]*m//g' "$WORK/server.log" | grep -E 'request failed status=5' \
        | grep -v 'status=503' | sed -E 's/^.*status=([0-9]+).*\(cause: /\1: /' | cut -c1-150 \
        | sort | uniq -c | sort -rn | head -n 5 || true)
    if [[ -n "$CAUSES" ]]; then
        echo "causes of the 5xx other than 503, from the server log:"
        echo "$CAUSES"
    fi
    if [[ "${BENCH_KEEP:-0}" == 1 ]]; then
        echo "the server log is $WORK/server.log, every attempt is in $WORK/attempts.jsonl"
    else
        echo "BENCH_KEEP=1 keeps the server log and every attempt (attempts.jsonl)"
    fi
fi
exit "$RC"
