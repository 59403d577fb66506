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
# shellcheck source=bench/lib.sh
source bench/lib.sh

LEARNERS=${1:-200}
ROUNDS=${2:-3}
PORT=${BENCH_PORT:-18082}
DB=azora_bench_quiz
PGURL="postgres://postgres@127.0.0.1:5432/$DB"
BASE="http://127.0.0.1:$PORT"

require_tools psql curl

bench_init quiz
LOG=$WORK/server.log

echo "building (release)"
cargo build --release --quiet --bin azora --example bench_quiz
BIN=target/release/azora

export DATABASE_URL="$PGURL" AZORA__LOG__LEVEL=warn PORT AZORA__SERVER__HOST=127.0.0.1
export AZORA__DATABASE__MAX_CONNECTIONS=${BENCH_POOL:-32}
# The benchmark is one client address: lift the per-IP budget of /auth.
export AZORA__SECURITY__IP_REQUESTS_PER_MINUTE=100000000 AZORA__SECURITY__IP_FAILURE_LIMIT=100000000

echo "preparing $DB"
seeded_database "$DB"
start_server

printf 'server: release build, pool %s, %s cores, Postgres %s\n' "$AZORA__DATABASE__MAX_CONNECTIONS" "$(nproc)" \
    "$("${PSQL[@]}" -c 'SHOW server_version' postgres)"
status=0
target/release/examples/bench_quiz "$BASE" "$PGURL" "$LEARNERS" "$ROUNDS" || status=$?
stop_server
if [[ -s "$LOG" ]] && grep -qiE 'error|panic' "$LOG"; then
    echo "server log (errors):"
    grep -m 20 -iE 'error|panic' "$LOG"
fi
exit "$status"
