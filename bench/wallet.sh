#!/usr/bin/env bash
# Azora's wallet benchmark (run by hand; not part of CI). Prints, side by side on this machine:
#   - POST /api/v1/wallet/transfers under wrk: random sender (its own token and ZAR wallet) to a
#     random recipient wallet among 10,000 funded users, a fresh Idempotency-Key per request;
#   - (a) pgbench replaying the SQL statements one API transfer issues (same statements, same
#     round trips, same transaction, same locks), with random sender and recipient;
#   - (b) pgbench's built-in tpcb-like at scale 10 (a separate database);
#   - the rates, p50/p99, API / (a) (target >= 60%) and (a) / (b) (target >= 50%);
#   - GET /wallet/reconcile as a super_admin afterwards (ok and violations).
# Before measuring, it captures the statements of one real API transfer from the Postgres log
# (log_statement = 'all' on a throw-away server start) and prints how many there were next to
# the number in the pgbench script, so a change to the transfer path shows up here.
#
# Usage: bench/wallet.sh [clients=32] [seconds=12]
# Env:   BENCH_USERS (10000), BENCH_PORT (18081), BENCH_POOL (= clients), BENCH_KEEP=1 keeps
#        the work directory with the tokens, scripts and captured statements.
# Needs Postgres at 127.0.0.1:5432 (user postgres, trust), python3, pgbench; installs wrk from
# Debian if absent. Uses (and drops first) the databases azora_bench_wallet and
# azora_bench_tpcb.
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=bench/lib.sh
source bench/lib.sh

CLIENTS=${1:-32}
SECONDS_PER_RUN=${2:-12}
USERS=${BENCH_USERS:-10000}
PORT=${BENCH_PORT:-18081}
DB=azora_bench_wallet
TPCB_DB=azora_bench_tpcb
PGURL="postgres://postgres@127.0.0.1:5432/$DB"
PG_LOG=${BENCH_PG_LOG:-/var/log/postgresql/postgresql-15-main.log}
# Access tokens are signed here with the server's secret, so it must be a known value.
JWT_SECRET="azora-wallet-benchmark-secret-0123456789abcdef"
BASE="http://127.0.0.1:$PORT"

if (( USERS < 2 )); then
    echo "BENCH_USERS must be at least 2" >&2
    exit 2
fi
require_tools psql pgbench python3 curl
ensure_wrk

bench_on_exit() { # never leave statement logging on
    "${PSQL[@]}" -c "ALTER DATABASE $DB RESET log_statement" postgres >/dev/null 2>&1
}
bench_init wallet

echo "building (release)"
cargo build --release --quiet --bin azora
BIN=target/release/azora

export DATABASE_URL="$PGURL" AZORA__LOG__LEVEL=warn PORT AZORA__SERVER__HOST=127.0.0.1
export AZORA__DATABASE__MAX_CONNECTIONS=${BENCH_POOL:-$CLIENTS}
export AZORA__SECURITY__JWT_SECRET="$JWT_SECRET"
# The benchmark is one client address: lift the per-IP budget of /auth.
export AZORA__SECURITY__IP_REQUESTS_PER_MINUTE=100000000 AZORA__SECURITY__IP_FAILURE_LIMIT=100000000

# --- A fresh database with USERS verified students, each with a session and 1,000.00 ZAR ---
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
-- n -> user, session, wallet: the pgbench script picks accounts by number.
CREATE TABLE bench_accounts (
    n          int PRIMARY KEY,
    user_id    uuid NOT NULL,
    session_id uuid NOT NULL,
    wallet_id  uuid NOT NULL
);
INSERT INTO bench_accounts (n, user_id, session_id, wallet_id)
SELECT i, bench_uuid7(), bench_uuid7(), bench_uuid7() FROM generate_series(1, $USERS) AS i;

-- Nobody signs in with a password: the hash is a placeholder no password matches.
INSERT INTO users (id, email, display_name, password_hash, email_verified_at)
SELECT user_id, 'bench' || n || '@bench.azora.test', 'Bench user ' || n, '!bench-no-login', now()
FROM bench_accounts;
INSERT INTO role_assignments (id, user_id, role_id, scope_type)
SELECT bench_uuid7(), b.user_id, r.id, 'global' FROM bench_accounts b, roles r WHERE r.name = 'student';
INSERT INTO role_assignments (id, user_id, role_id, scope_type)
SELECT bench_uuid7(), b.user_id, r.id, 'global' FROM bench_accounts b, roles r
WHERE r.name = 'super_admin' AND b.n = 1;
INSERT INTO sessions (id, user_id, user_agent, ip, expires_at)
SELECT session_id, user_id, 'bench', '127.0.0.1', now() + interval '1 day' FROM bench_accounts;
INSERT INTO wallets (id, owner_id, currency, balance)
SELECT wallet_id, user_id, 'ZAR', 1000.00 FROM bench_accounts;

-- Backed by the ledger: one mint from the treasury to every wallet, so reconcile is clean.
CREATE TEMP TABLE funding AS SELECT bench_uuid7() AS id;
INSERT INTO ledger_transactions (id, kind, currency, amount, description)
SELECT id, 'mint', 'ZAR', 1000.00 * $USERS, 'benchmark funding' FROM funding;
INSERT INTO ledger_entries (id, transaction_id, wallet_id, amount, balance_after)
SELECT bench_uuid7(), f.id, w.id, -1000.00 * $USERS, w.balance - 1000.00 * $USERS
FROM funding f, wallets w WHERE w.system_kind = 'treasury' AND w.currency = 'ZAR';
INSERT INTO ledger_entries (id, transaction_id, wallet_id, amount, balance_after)
SELECT bench_uuid7(), f.id, b.wallet_id, 1000.00, 1000.00 FROM funding f, bench_accounts b;
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
ADMIN_TOKEN=$(head -n 1 "$WORK/accounts.tsv" | cut -f 1)
transfer_once() {   # $1 key: one transfer from account 1 to account 2, prints the status
    local from to
    from=$(sed -n 1p "$WORK/accounts.tsv" | cut -f 2)
    to=$(sed -n 2p "$WORK/accounts.tsv" | cut -f 2)
    curl -sS -o "$WORK/transfer.json" -w '%{http_code}' -X POST "$BASE/api/v1/wallet/transfers" \
        -H "Authorization: Bearer $ADMIN_TOKEN" -H 'Content-Type: application/json' \
        -H "Idempotency-Key: $1" \
        -d "{\"from_wallet_id\":\"$from\",\"to_wallet_id\":\"$to\",\"amount\":\"0.01\",\"description\":\"bench\"}"
}

# --- Capture the statements of one API transfer (a throw-away server with logging on) ---
CAPTURED="(log unreadable)"
if [[ -r "$PG_LOG" ]]; then
    "${PSQL[@]}" -c "ALTER DATABASE $DB SET log_statement = 'all'" postgres
    # Background workers (mail, the audit sealer) stay quiet after their first round, so only
    # the transfer is logged; sealing is not part of a request.
    AZORA__MAIL__POLL_INTERVAL_MS=3600000 AZORA__AUDIT__SEAL_INTERVAL_MS=3600000 \
        AZORA__AUDIT__FAILOVER_POLL_MS=3600000 start_server
    transfer_once "capture-warm-$$" >/dev/null   # warms the pool and the statement caches
    sleep 0.3
    OFFSET=$(stat -c %s "$PG_LOG")
    STATUS=$(transfer_once "capture-$$")
    sleep 0.5
    END=$(stat -c %s "$PG_LOG") # what stopping the server logs is not the transfer's
    stop_server
    "${PSQL[@]}" -c "ALTER DATABASE $DB RESET log_statement" postgres
    if [[ "$STATUS" != 201 ]]; then
        echo "the capture transfer answered $STATUS: $(cat "$WORK/transfer.json")" >&2
        exit 1
    fi
    # One line per statement the application sent (simple-protocol statements and executes
    # of prepared ones), from this database only.
    tail -c +"$((OFFSET + 1))" "$PG_LOG" | head -c "$((END - OFFSET))" \
        | grep -E "@$DB (LOG|ERROR):  (statement|execute [^:]*):" \
        | sed -E 's/^.*(LOG|ERROR):  (statement|execute [^:]*): //; s/^$/(a statement starting with a line break)/' \
        > "$WORK/api-statements.sql" || true
    CAPTURED=$(wc -l < "$WORK/api-statements.sql")
fi

# --- (a) pgbench: the statements of one transfer, in the same order and transaction ---------
# Mirrors src/modules/wallet/transfers.rs `transfer` with no fee (auth, grants, both wallets,
# then BEGIN; the key's advisory lock and the idempotency replay; lock both wallets in id
# order; update balances; journal; idempotency record; the audit append (one INSERT, no
# lock: the sealer chains it after commit); COMMIT). Compare with the captured statements (BENCH_KEEP=1 keeps them). Account numbers map to ids
# through bench_accounts inside the first statement, so there is no extra round trip. The
# audit hash is computed by Postgres instead of the application.
cat > "$WORK/transfer.pgbench" <<PGB
\set s random(1, $USERS)
\set r random(1, $((USERS - 1)))
\set r CASE WHEN :r >= :s THEN :r + 1 ELSE :r END
\set cents random(1, 100)
\set k random(1, 9223372036854775806)
SELECT u.id AS uid, u.email, u.display_name, u.email_verified_at, u.status, u.bio, u.avatar_url, u.locale, u.time_zone, u.created_at, u.last_login_at, u.deleted_at, EXISTS (SELECT 1 FROM mfa_totp t WHERE t.user_id = u.id AND t.confirmed_at IS NOT NULL) AS mfa_enabled, s.last_seen_at, b.wallet_id AS fw, (SELECT wallet_id FROM bench_accounts WHERE n = :r) AS tw FROM bench_accounts b JOIN sessions s ON s.id = b.session_id JOIN users u ON u.id = s.user_id WHERE b.n = :s AND s.revoked_at IS NULL AND s.expires_at > now() AND u.deleted_at IS NULL
\gset
WITH RECURSIVE active AS (SELECT id, role_id, permission_id, scope_type, scope_id, expires_at FROM role_assignments WHERE user_id = :uid AND (expires_at IS NULL OR expires_at > now())), chain AS (SELECT a.id AS assignment_id, r.id AS role_id, r.name AS via_role, 0 AS depth FROM active a JOIN roles r ON r.id = a.role_id UNION ALL SELECT c.assignment_id, p.id, c.via_role, c.depth + 1 FROM chain c JOIN roles r ON r.id = c.role_id JOIN roles p ON p.id = r.parent_id WHERE c.depth < 32) SELECT 'permission' AS kind, p.key AS name, a.scope_type, a.scope_id, a.expires_at, c.via_role AS source FROM chain c JOIN active a ON a.id = c.assignment_id JOIN role_permissions rp ON rp.role_id = c.role_id JOIN permissions p ON p.id = rp.permission_id UNION ALL SELECT 'permission', p.key, a.scope_type, a.scope_id, a.expires_at, 'direct' FROM active a JOIN permissions p ON p.id = a.permission_id UNION ALL SELECT 'role', r.name, a.scope_type, a.scope_id, a.expires_at, c.via_role FROM chain c JOIN active a ON a.id = c.assignment_id JOIN roles r ON r.id = c.role_id;
SELECT w.id, w.owner_id, w.currency, c.scale, w.balance, w.created_at FROM wallets w JOIN currencies c ON c.code = w.currency WHERE w.id = :fw AND w.owner_id = :uid;
SELECT w.id, w.owner_id, w.currency, c.scale, w.balance, w.created_at FROM wallets w JOIN currencies c ON c.code = w.currency WHERE w.id = :tw AND w.owner_id IS NOT NULL;
BEGIN;
SELECT pg_advisory_xact_lock(hashtextextended('transfer:' || :uid::text || ':' || 'pgb-' || :k::text, 0));
SELECT request_hash, response FROM idempotency_keys WHERE user_id = :uid AND scope = 'transfer' AND key = 'pgb-' || :k::text;
SELECT id, owner_id, system_kind, currency, balance FROM wallets WHERE id IN (:fw, :tw) ORDER BY id FOR UPDATE;
WITH u AS (UPDATE wallets w SET balance = w.balance + d.delta, updated_at = now() FROM (VALUES (:fw::uuid, (0 - :cents::numeric) / 100), (:tw::uuid, :cents::numeric / 100)) AS d (id, delta) WHERE w.id = d.id RETURNING w.id, w.balance) SELECT max(balance) FILTER (WHERE id = :fw) AS fb, max(balance) FILTER (WHERE id = :tw) AS tb, bench_uuid7() AS txid FROM u
\gset
WITH t AS (INSERT INTO ledger_transactions (id, kind, currency, amount, description, reference, initiated_by, reverses, created_at) VALUES (:txid::uuid, 'transfer', 'ZAR', :cents::numeric / 100, 'bench', NULL, :uid::uuid, NULL, now())) INSERT INTO ledger_entries (id, wallet_id, amount, balance_after, transaction_id, created_at) SELECT e.id, e.wallet_id, e.amount, e.balance_after, :txid::uuid, now() FROM (VALUES (bench_uuid7(), :fw::uuid, (0 - :cents::numeric) / 100, :fb::numeric), (bench_uuid7(), :tw::uuid, :cents::numeric / 100, :tb::numeric)) AS e (id, wallet_id, amount, balance_after);
INSERT INTO idempotency_keys (user_id, scope, key, request_hash, status_code, response) VALUES (:uid::uuid, 'transfer', 'pgb-' || :k::text, sha256(('pgb-' || :k::text)::bytea), 201, jsonb_build_object('id', :txid::text, 'kind', 'transfer', 'currency', 'ZAR', 'amount', (:cents::numeric / 100)::text, 'fee', '0.00', 'from_wallet_id', :fw::text, 'to_wallet_id', :tw::text, 'balance_after', :fb::text, 'description', 'bench', 'created_at', now())) ON CONFLICT DO NOTHING;
INSERT INTO audit_logs (id, occurred_at, actor_id, action, resource_type, resource_id, outcome, ip, user_agent, request_id, details) VALUES (bench_uuid7(), now(), :uid::uuid, 'wallet.transfer', 'ledger_transaction', :txid::text, 'success', '127.0.0.1', 'pgbench', NULL, jsonb_build_object('from', :fw::text, 'to', :tw::text, 'currency', 'ZAR', 'amount', (:cents::numeric / 100)::text, 'fee', '0'));
COMMIT;
PGB
PGBENCH_STATEMENTS=$(grep -cvE '^\\' "$WORK/transfer.pgbench")

# --- The API under wrk --------------------------------------------------------------------
cat > "$WORK/transfer.lua" <<LUA
-- Random sender (its token and wallet) to a random other wallet, 0.01 to 1.00 ZAR, with an
-- Idempotency-Key unique to the run, thread and request.
local path = "$WORK/accounts.tsv"
local run = "$(date +%s)-$$"
local threads = 0
local tokens, wallets = {}, {}
local seq = 0

function setup(thread)
    thread:set("tid", threads)
    threads = threads + 1
end

function init(args)
    for line in io.lines(path) do
        local token, wallet = line:match("^(%S+)\t(%S+)$")
        tokens[#tokens + 1] = token
        wallets[#wallets + 1] = wallet
    end
    math.randomseed(os.time() + 7919 * (tid or 0))
end

function request()
    seq = seq + 1
    local n = #tokens
    local s = math.random(n)
    local r = math.random(n - 1)
    if r >= s then r = r + 1 end
    local cents = math.random(1, 100)
    local body = string.format(
        '{"from_wallet_id":"%s","to_wallet_id":"%s","amount":"%d.%02d","description":"bench"}',
        wallets[s], wallets[r], math.floor(cents / 100), cents % 100)
    local key = string.format("%s-%d-%d-%08x", run, tid or 0, seq, math.random(0, 0x7fffffff))
    return wrk.format("POST", "/api/v1/wallet/transfers", {
        ["Authorization"] = "Bearer " .. tokens[s],
        ["Content-Type"] = "application/json",
        ["Idempotency-Key"] = key,
    }, body)
end
LUA

start_server
STATUS=$(transfer_once "smoke-$$")
if [[ "$STATUS" != 201 ]]; then
    echo "a transfer answered $STATUS: $(cat "$WORK/transfer.json")" >&2
    exit 1
fi
TRANSFERS_BEFORE=$("${PSQL[@]}" -c "SELECT count(*) FROM ledger_transactions WHERE kind = 'transfer'" "$DB")
echo "wrk: warm-up, then ${SECONDS_PER_RUN}s at $CLIENTS connections"
wrk -t2 -c"$CLIENTS" -d3s -s "$WORK/transfer.lua" "$BASE" >/dev/null
API_OUT=$(wrk -t2 -c"$CLIENTS" -d"${SECONDS_PER_RUN}s" --latency -s "$WORK/transfer.lua" "$BASE")
echo "$API_OUT" > "$WORK/wrk.txt"
API_RPS=$(echo "$API_OUT" | awk '/Requests\/sec/ {print $2}')
API_P50=$(echo "$API_OUT" | awk '$1 == "50%" {print $2}')
API_P99=$(echo "$API_OUT" | awk '$1 == "99%" {print $2}')
API_NON2XX=$(echo "$API_OUT" | awk '/Non-2xx/ {print $NF}')
API_ERRORS=$(echo "$API_OUT" | awk '/Socket errors/ {print}')
TRANSFERS_AFTER=$("${PSQL[@]}" -c "SELECT count(*) FROM ledger_transactions WHERE kind = 'transfer'" "$DB")
# The audit trail during the API run: records written, and how long each waited for the sealer.
SEAL_LAG=$("${PSQL[@]}" -c "SELECT coalesce(round((percentile_cont(0.99) WITHIN GROUP (ORDER BY extract(epoch FROM sealed_at - occurred_at)) * 1000)::numeric, 1), 0) || ' ' || coalesce(round((max(extract(epoch FROM sealed_at - occurred_at)) * 1000)::numeric, 1), 0) FROM audit_logs WHERE action = 'wallet.transfer' AND sealed_at IS NOT NULL" "$DB")
read -r SEAL_P99 SEAL_MAX <<<"$SEAL_LAG"

# --- (a) and (b) with pgbench -------------------------------------------------------------
run_pgbench() {   # prints "tps p50_ms p99_ms"; args: the pgbench arguments
    local log_prefix="$WORK/pgb-$RANDOM"
    local out
    out=$(pgbench -h 127.0.0.1 -U postgres "$@" -l --log-prefix="$log_prefix" 2>&1) || {
        echo "$out" >&2
        return 1
    }
    echo "$out" >> "$WORK/pgbench.txt"
    local tps
    tps=$(echo "$out" | awk '/^tps/ {print $3; exit}')
    # Per-transaction log: field 3 is the latency in microseconds.
    cat "$log_prefix".* | awk '{print $3}' | sort -n | awk -v tps="$tps" '
        { v[NR] = $1 }
        END {
            if (NR == 0) { printf "%s - -\n", tps; exit }
            p50 = v[int(NR * 0.50) > 0 ? int(NR * 0.50) : 1]
            p99 = v[int(NR * 0.99) > 0 ? int(NR * 0.99) : 1]
            printf "%s %.2fms %.2fms\n", tps, p50 / 1000, p99 / 1000
        }'
    rm -f "$log_prefix".*
}

echo "pgbench (a): the transfer's statements, ${SECONDS_PER_RUN}s at $CLIENTS clients"
A_OUT=$(run_pgbench -n -M prepared -c "$CLIENTS" -j 2 -T "$SECONDS_PER_RUN" -f "$WORK/transfer.pgbench" "$DB")
read -r A_TPS A_P50 A_P99 <<<"$A_OUT"

echo "pgbench (b): tpcb-like, scale 10, 10s at $CLIENTS clients"
"${PSQL[@]}" -c "DROP DATABASE IF EXISTS $TPCB_DB WITH (FORCE)" postgres
"${PSQL[@]}" -c "CREATE DATABASE $TPCB_DB" postgres
pgbench -h 127.0.0.1 -U postgres -i -s 10 -q "$TPCB_DB" >/dev/null 2>&1
B_OUT=$(run_pgbench -b tpcb-like -c "$CLIENTS" -j 2 -T 10 "$TPCB_DB")
read -r B_TPS B_P50 B_P99 <<<"$B_OUT"
"${PSQL[@]}" -c "DROP DATABASE IF EXISTS $TPCB_DB WITH (FORCE)" postgres

# --- Reconcile, as the super_admin (account 1) --------------------------------------------
RECONCILE=$(curl -fsS -H "Authorization: Bearer $ADMIN_TOKEN" "$BASE/api/v1/wallet/reconcile")
REC_SUMMARY=$(echo "$RECONCILE" | python3 -c '
import json, sys
r = json.load(sys.stdin)
print(str(r["ok"]).lower(), len(r["violations"]), r["checked_transactions"], r["checked_wallets"])')
read -r REC_OK REC_VIOLATIONS REC_TX REC_WALLETS <<<"$REC_SUMMARY"
NEGATIVE=$("${PSQL[@]}" -c "SELECT count(*) FROM wallets WHERE owner_id IS NOT NULL AND balance < 0" "$DB")
# Give the sealer its moment, then compare what was written with what is sealed (the pgbench
# runs wrote audit records too: they are sealed like any other).
sleep 2
AUDIT_WRITTEN=$("${PSQL[@]}" -c "SELECT count(*) FROM audit_logs" "$DB")
AUDIT_SEALED=$("${PSQL[@]}" -c "SELECT count(*) FROM audit_logs WHERE chain_pos IS NOT NULL" "$DB")
VERIFY=$(curl -fsS -H "Authorization: Bearer $ADMIN_TOKEN" "$BASE/api/v1/audit/verify" | python3 -c 'import json,sys; r=json.load(sys.stdin); print(str(r["valid"]).lower(), r["checked"])')
stop_server

printf '\n== Azora wallet benchmark (%s clients, %ss, pool %s, %s users, %s cores) ==\n' \
    "$CLIENTS" "$SECONDS_PER_RUN" "$AZORA__DATABASE__MAX_CONNECTIONS" "$USERS" "$(nproc)"
printf '%-46s %12s\n' "statements of one API transfer (captured)" "$CAPTURED"
printf '%-46s %12s\n' "statements in the pgbench (a) script" "$PGBENCH_STATEMENTS"
if [[ "$CAPTURED" =~ ^[0-9]+$ && "$CAPTURED" != "$PGBENCH_STATEMENTS" ]]; then
    echo "  WARNING: the transfer path changed; update the pgbench (a) script (BENCH_KEEP=1 keeps the capture)"
fi
printf '%-46s %12s\n' "POST /wallet/transfers (wrk), req/s" "$API_RPS"
printf '%-46s %12s / %s\n' "  p50 / p99 latency" "$API_P50" "$API_P99"
printf '%-46s %12s\n' "  non-2xx responses" "${API_NON2XX:-0}"
[[ -n "$API_ERRORS" ]] && printf '%-46s %s\n' "  wrk" "$API_ERRORS"
printf '%-46s %12s\n' "  transfers posted in the ledger" "$((TRANSFERS_AFTER - TRANSFERS_BEFORE))"
printf '%-46s %12s\n' "(a) pgbench, transfer statements, tps" "$A_TPS"
printf '%-46s %12s / %s\n' "  p50 / p99 latency" "$A_P50" "$A_P99"
printf '%-46s %12s\n' "(b) pgbench tpcb-like (scale 10), tps" "$B_TPS"
printf '%-46s %12s / %s\n' "  p50 / p99 latency" "$B_P50" "$B_P99"
printf '%-46s %11s%%   (target >= 60%%)\n' "API / (a)" "$(ratio "$API_RPS" "$A_TPS")"
printf '%-46s %11s%%   (target >= 50%%)\n' "(a) / (b)" "$(ratio "$A_TPS" "$B_TPS")"
printf '%-46s %12s\n' "GET /wallet/reconcile ok" "$REC_OK"
printf '%-46s %12s\n' "  violations" "$REC_VIOLATIONS"
printf '%-46s %12s\n' "  checked transactions / wallets" "$REC_TX / $REC_WALLETS"
printf '%-46s %12s\n' "user wallets below zero" "$NEGATIVE"
printf '%-46s %12s / %s\n' "audit records written / sealed" "$AUDIT_WRITTEN" "$AUDIT_SEALED"
printf '%-46s %10sms   (target p99 < 1000 ms; max %sms)\n' "seal lag p99 during the API run" "$SEAL_P99" "$SEAL_MAX"
printf '%-46s %12s\n' "GET /audit/verify: valid, checked" "$VERIFY"
if [[ -n "${API_NON2XX:-}" ]]; then
    echo "WARNING: some transfers were refused; the server log is $WORK/server.log (BENCH_KEEP=1 keeps it)"
fi
if [[ "$REC_OK" != true || "$NEGATIVE" != 0 ]]; then
    echo "$RECONCILE" | python3 -m json.tool | head -n 40
    exit 1
fi
