#!/usr/bin/env bash
# Azora's platform benchmark. Prints, side by side on this machine:
#   - GET /health/ready (one SELECT 1 through the pool) under wrk, against
#   - pgbench running `SELECT 1` with the same client count, and their ratio (target >= 60%);
#   - idle RSS of the server (target < 30 MB);
#   - start-up to ready with migrations already applied (target < 1 s).
# Identity (second part):
#   - login throughput against the raw argon2id hash rate of the same parameters (target >= 90%);
#   - p99 of GET /me while a login storm runs (target < 20 ms);
#   - authenticated GET /me against GET /health/ready (target >= 50%).
# Usage: bench/run.sh [clients=32] [seconds=10]
# Needs Postgres at 127.0.0.1:5432 (user postgres, trust) and installs wrk from Debian if absent.
set -euo pipefail
cd "$(dirname "$0")/.."

CLIENTS=${1:-32}
SECONDS_PER_RUN=${2:-10}
PORT=${BENCH_PORT:-18080}
DB=azora_bench
PGURL="postgres://postgres@127.0.0.1:5432/$DB"

if ! command -v wrk >/dev/null; then
    echo "installing wrk"
    (apt-get update -qq && apt-get install -y -qq wrk) >/dev/null
fi
cargo build --release --quiet --bin azora --example argon2_rate
BIN=target/release/azora

export DATABASE_URL="$PGURL" AZORA__LOG__LEVEL=warn PORT AZORA__SERVER__HOST=127.0.0.1
export AZORA__DATABASE__MAX_CONNECTIONS=${BENCH_POOL:-$CLIENTS}
# The benchmark is one client address: lift the per-IP budget of /auth.
export AZORA__SECURITY__IP_REQUESTS_PER_MINUTE=100000000 AZORA__SECURITY__IP_FAILURE_LIMIT=100000000
# ... and the account lockout, so failed sign-ins can be timed below.
export AZORA__SECURITY__LOCKOUT_THRESHOLD=1000000000
# A fresh database each run: dead rows left by an earlier run's login storm would slow it.
psql -h 127.0.0.1 -U postgres -qc "DROP DATABASE IF EXISTS $DB WITH (FORCE)" postgres
"$BIN" migrate up >/dev/null
"$BIN" seed >/dev/null
psql -h 127.0.0.1 -U postgres -qc "VACUUM ANALYZE" "$DB"

start_server() {
    local t0 t1
    t0=$(date +%s%N)
    "$BIN" serve &
    SERVER=$!
    until curl -fsS -o /dev/null "http://127.0.0.1:$PORT/health/ready" 2>/dev/null; do
        sleep 0.005
    done
    t1=$(date +%s%N)
    STARTUP_MS=$(( (t1 - t0) / 1000000 ))
}
stop_server() { kill -TERM "$SERVER"; wait "$SERVER" || true; }
trap 'kill -TERM "${SERVER:-0}" 2>/dev/null || true' EXIT

start_server
sleep 3
RSS_KB=$(awk '/VmRSS/ {print $2}' "/proc/$SERVER/status")

wrk -t2 -c"$CLIENTS" -d2s "http://127.0.0.1:$PORT/health/ready" >/dev/null   # warm-up
API_OUT=$(wrk -t2 -c"$CLIENTS" -d"${SECONDS_PER_RUN}s" --latency "http://127.0.0.1:$PORT/health/ready")
API_RPS=$(echo "$API_OUT" | awk '/Requests\/sec/ {print $2}')
API_P99=$(echo "$API_OUT" | awk '$1 == "99%" {print $2}')
NON2XX=$(echo "$API_OUT" | awk '/Non-2xx/ {print $NF}')

# Identity: an authenticated GET /me, logins, and /me during a login storm.
LOGIN_BODY='{"email":"student@azora.world","password":"Azora2025!"}'
TOKEN=$(curl -fsS -H 'Content-Type: application/json' -d "$LOGIN_BODY" "http://127.0.0.1:$PORT/api/v1/auth/login" \
    | python3 -c 'import json, sys; print(json.load(sys.stdin)["access_token"])')
ME_OUT=$(wrk -t2 -c"$CLIENTS" -d"${SECONDS_PER_RUN}s" -H "Authorization: Bearer $TOKEN" "http://127.0.0.1:$PORT/api/v1/me")
ME_RPS=$(echo "$ME_OUT" | awk '/Requests\/sec/ {print $2}')
LUA=$(mktemp --suffix=.lua)
cat > "$LUA" <<LUA
wrk.method = "POST"
wrk.body = '$LOGIN_BODY'
wrk.headers["Content-Type"] = "application/json"
LUA
LOGIN_OUT=$(wrk -t1 -c8 -d"${SECONDS_PER_RUN}s" -s "$LUA" "http://127.0.0.1:$PORT/api/v1/auth/login")
LOGIN_RPS=$(echo "$LOGIN_OUT" | awk '/Requests\/sec/ {print $2}')
LOGIN_NON2XX=$(echo "$LOGIN_OUT" | awk '/Non-2xx/ {print $NF}')
wrk -t1 -c16 -d"$((SECONDS_PER_RUN + 2))s" -s "$LUA" "http://127.0.0.1:$PORT/api/v1/auth/login" >/dev/null &
STORM=$!
sleep 1
STORM_OUT=$(wrk -t1 -c4 -d"${SECONDS_PER_RUN}s" --latency -H "Authorization: Bearer $TOKEN" "http://127.0.0.1:$PORT/api/v1/me")
STORM_P99=$(echo "$STORM_OUT" | awk '$1 == "99%" {print $2}')
wait "$STORM" || true
# A failed sign-in costs the same whether or not the account exists (dummy hash).
cat > "$LUA" <<'LUA'
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
request = function()
  return wrk.format(nil, nil, nil, string.format('{"email":"ghost%d@azora.world","password":"Wrong-password-1"}', math.random(1, 1000000000)))
end
LUA
UNKNOWN_AVG=$(wrk -t1 -c2 -d5s --latency -s "$LUA" "http://127.0.0.1:$PORT/api/v1/auth/login" | awk '$1 == "Latency" {print $2; exit}')
cat > "$LUA" <<'LUA'
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = '{"email":"student@azora.world","password":"Wrong-password-1"}'
LUA
WRONG_AVG=$(wrk -t1 -c2 -d5s --latency -s "$LUA" "http://127.0.0.1:$PORT/api/v1/auth/login" | awk '$1 == "Latency" {print $2; exit}')
rm -f "$LUA"
stop_server
HASH_RATE=$(target/release/examples/argon2_rate "$SECONDS_PER_RUN" | awk '{for (i = 1; i <= NF; i++) if ($i == "hashes/s") print $(i-1)}')

SQL=$(mktemp)
echo 'SELECT 1;' > "$SQL"
PG_OUT=$(pgbench -n -h 127.0.0.1 -U postgres -c "$CLIENTS" -j 2 -T "$SECONDS_PER_RUN" -f "$SQL" "$DB" 2>&1)
rm -f "$SQL"
PG_TPS=$(echo "$PG_OUT" | awk '/^tps/ {print $3; exit}')

RATIO=$(awk -v a="$API_RPS" -v p="$PG_TPS" 'BEGIN { printf "%.1f", 100 * a / p }')
printf '\n== Azora platform benchmark (%s clients, %ss, pool %s, %s cores) ==\n' \
    "$CLIENTS" "$SECONDS_PER_RUN" "$AZORA__DATABASE__MAX_CONNECTIONS" "$(nproc)"
printf '%-44s %12s\n' "GET /health/ready (wrk), req/s" "$API_RPS"
printf '%-44s %12s\n' "  p99 latency" "$API_P99"
printf '%-44s %12s\n' "  non-2xx responses" "${NON2XX:-0}"
printf '%-44s %12s\n' "pgbench SELECT 1, tps" "$PG_TPS"
printf '%-44s %11s%%   (target >= 60%%)\n' "API / pgbench" "$RATIO"
printf '%-44s %9s MB   (target < 30 MB)\n' "idle RSS" "$(awk -v k="$RSS_KB" 'BEGIN { printf "%.1f", k / 1024 }')"
printf '%-44s %9s ms   (target < 1000 ms)\n' "start-up to ready (migrations applied)" "$STARTUP_MS"
printf '%-44s %12s\n' "raw argon2id hashes/s (all cores)" "$HASH_RATE"
printf '%-44s %12s\n' "POST /auth/login, logins/s (8 clients)" "$LOGIN_RPS"
printf '%-44s %12s\n' "  non-2xx responses" "${LOGIN_NON2XX:-0}"
printf '%-44s %11s%%   (target >= 90%%)\n' "logins / raw hash rate" "$(awk -v a="$LOGIN_RPS" -v p="$HASH_RATE" 'BEGIN { printf "%.1f", 100 * a / p }')"
printf '%-44s %12s   (target < 20 ms)\n' "GET /me p99 during a 16-client login storm" "$STORM_P99"
printf '%-44s %12s\n' "GET /me (authenticated), req/s" "$ME_RPS"
printf '%-44s %11s%%   (target >= 50%%)\n' "GET /me / GET /health/ready" "$(awk -v a="$ME_RPS" -v p="$API_RPS" 'BEGIN { printf "%.1f", 100 * a / p }')"
printf '%-44s %12s\n' "failed login, unknown email: mean latency" "$UNKNOWN_AVG"
printf '%-44s %12s   (should match the line above)\n' "failed login, wrong password: mean latency" "$WRONG_AVG"
