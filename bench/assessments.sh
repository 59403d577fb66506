#!/usr/bin/env bash
# Azora's quiz submission benchmark (run by hand; not part of CI): LEARNERS learners (200)
# submit a 20-question quiz at the same moment, ROUNDS times (fresh attempts each round).
# Prints per round: submissions/s (learners / wall time of the burst), p50, p95, p99 and max
# latency, and a check that every submission answered 200 with status `graded` (and the
# database agrees). Round 1 also pays each passing learner's first-pass AZR reward.
#
# The release server runs on a fresh database (azora_bench_quiz, dropped first) with the demo
# accounts of `azora seed`; examples/bench_quiz.rs arranges the course, the quiz and the
# learners (SQL for the accounts, the API for the rest) and measures.
#
# Usage: bench/assessments.sh [learners=200] [rounds=3]
# Env:   BENCH_PORT (18082), BENCH_POOL (32: the server's database pool, split among its
#        workers), BENCH_KEEP=1 keeps the server log.
# Needs Postgres at 127.0.0.1:5432 (user postgres, trust) and curl.
set -euo pipefail
cd "$(dirname "$0")/.."

LEARNERS=${1:-200}
ROUNDS=${2:-3}
PORT=${BENCH_PORT:-18082}
DB=azora_bench_quiz
PGURL="postgres://postgres@127.0.0.1:5432/$DB"
BASE="http://127.0.0.1:$PORT"
PSQL=(env PGOPTIONS="-c client_min_messages=warning" psql -h 127.0.0.1 -U postgres -v ON_ERROR_STOP=1 -qAtX)

for tool in psql curl; do
    command -v "$tool" >/dev/null || { echo "$tool is required" >&2; exit 2; }
done

LOG=$(mktemp -t azora-quiz-bench.XXXXXX.log)
SERVER=""
stop_server() {
    if [[ -n "$SERVER" ]]; then
        kill -TERM "$SERVER" 2>/dev/null || true
        wait "$SERVER" 2>/dev/null || true
        SERVER=""
    fi
}
cleanup() {
    local rc=$?
    stop_server
    if [[ "${BENCH_KEEP:-0}" == 1 || $rc != 0 ]]; then
        echo "server log: $LOG" >&2
    else
        rm -f "$LOG"
    fi
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

echo "building (release)"
cargo build --release --quiet --bin azora --example bench_quiz
BIN=target/release/azora

export DATABASE_URL="$PGURL" AZORA__LOG__LEVEL=warn PORT AZORA__SERVER__HOST=127.0.0.1
export AZORA__DATABASE__MAX_CONNECTIONS=${BENCH_POOL:-32}
# The benchmark is one client address: lift the per-IP budget of /auth.
export AZORA__SECURITY__IP_REQUESTS_PER_MINUTE=100000000 AZORA__SECURITY__IP_FAILURE_LIMIT=100000000

echo "preparing $DB"
"${PSQL[@]}" -c "DROP DATABASE IF EXISTS $DB WITH (FORCE)" postgres
"$BIN" migrate up >/dev/null
"$BIN" seed >/dev/null
"${PSQL[@]}" -c "VACUUM ANALYZE" "$DB"

"$BIN" serve >>"$LOG" 2>&1 &
SERVER=$!
tries=0
until curl -fsS -o /dev/null "$BASE/health/ready" 2>/dev/null; do
    if ! kill -0 "$SERVER" 2>/dev/null; then
        echo "the server exited during start-up:" >&2
        tail -n 20 "$LOG" >&2
        SERVER=""
        exit 1
    fi
    tries=$((tries + 1))
    if (( tries > 3000 )); then
        echo "the server is not ready after 30 s" >&2
        exit 1
    fi
    sleep 0.01
done

printf 'server: release build, pool %s, %s cores, Postgres %s\n' "$AZORA__DATABASE__MAX_CONNECTIONS" "$(nproc)" \
    "$("${PSQL[@]}" -c 'SHOW server_version' postgres)"
status=0
target/release/examples/bench_quiz "$BASE" "$PGURL" "$LEARNERS" "$ROUNDS" || status=$?
stop_server
if [[ -s "$LOG" ]] && grep -qiE 'error|panic' "$LOG"; then
    echo "server log (errors):"
    grep -iE 'error|panic' "$LOG" | head -n 20
fi
exit "$status"
