#!/usr/bin/env bash
# Azora's catalog benchmark (run by hand; not part of CI). Prints, side by side on this machine:
#   - GET /api/v1/courses?q=<word>&per_page=20 under wrk, anonymous, a random topic word per
#     request (the words of `examples/bench_catalog.rs --print-words`, a few hundred hits each),
#     against (a) pgbench running the catalog page query `lms::search_sql(CourseSort::Relevance)`
#     (printed by the example) with the same parameters, one pgbench script per word;
#   - GET /api/v1/courses/{id} under wrk, a random published course per request, against
#     (b) pgbench running the statements of one such request, captured from the Postgres log;
#   - rate, p50 and p99 of each, API / SQL, and the targets: search p99 < 50 ms, search >= 40%
#     of (a), detail >= 50% of (b).
# The catalog is BENCH_COURSES published courses written by `examples/bench_catalog.rs` (plain
# SQL, no API). Before measuring, it captures the statements of one API request of each route
# (log_statement = 'all' on a throw-away server start): (b) is built from them, so it replays
# exactly what the route sends; (a) is checked against the captured search statement.
#
# Both sides use prepared statements (sqlx caches them per connection; pgbench -M prepared), so
# Postgres plans each execution the same way. Parameters the API binds as NULL (the unused
# filters) are the literal NULL in (a): pgbench cannot bind a NULL, and Postgres plans the
# API's statement with its parameter values (a custom plan), which folds them the same way.
#
# Usage: bench/lms.sh [clients=32] [seconds=12]
# Env:   BENCH_COURSES (10000), BENCH_PORT (18082), BENCH_POOL (= clients), BENCH_KEEP=1 keeps
#        the work directory with the scripts and captured statements.
# Needs Postgres at 127.0.0.1:5432 (user postgres, trust) with a readable log (BENCH_PG_LOG),
# pgbench, python3 and curl; installs wrk from Debian if absent. Uses (and drops first) the
# database azora_bench_lms.
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=bench/lib.sh
source bench/lib.sh

CLIENTS=${1:-32}
SECONDS_PER_RUN=${2:-12}
COURSES=${BENCH_COURSES:-10000}
PORT=${BENCH_PORT:-18082}
DB=azora_bench_lms
PGURL="postgres://postgres@127.0.0.1:5432/$DB"
PG_LOG=${BENCH_PG_LOG:-/var/log/postgresql/postgresql-15-main.log}
BASE="http://127.0.0.1:$PORT"
SEARCH_P99_TARGET_MS=50
SEARCH_RATIO_TARGET=40
DETAIL_RATIO_TARGET=50

require_tools psql pgbench python3 curl
if [[ ! -r "$PG_LOG" ]]; then
    echo "the Postgres log $PG_LOG is not readable (set BENCH_PG_LOG)" >&2
    exit 2
fi
ensure_wrk

bench_on_exit() { # never leave statement logging on
    "${PSQL[@]}" -c "ALTER DATABASE $DB RESET log_statement" postgres >/dev/null 2>&1
}
bench_init lms

echo "building (release)"
cargo build --release --quiet --bin azora --example bench_catalog
BIN=target/release/azora
GEN=target/release/examples/bench_catalog

export DATABASE_URL="$PGURL" AZORA__LOG__LEVEL=warn PORT AZORA__SERVER__HOST=127.0.0.1
export AZORA__DATABASE__MAX_CONNECTIONS=${BENCH_POOL:-$CLIENTS}

# --- A fresh database with the catalog ---------------------------------------------------
echo "preparing $DB with $COURSES published courses"
"${PSQL[@]}" -c "DROP DATABASE IF EXISTS $DB WITH (FORCE)" postgres
"$BIN" migrate up >/dev/null
"$GEN" "$PGURL" "$COURSES"
"${PSQL[@]}" "$DB" <<'SQL'
-- n -> course: the pgbench script picks courses by number.
CREATE TABLE bench_courses (n int PRIMARY KEY, id uuid NOT NULL);
INSERT INTO bench_courses (n, id)
SELECT row_number() OVER (ORDER BY id), id FROM courses WHERE status = 'published' AND deleted_at IS NULL;
VACUUM ANALYZE;
SQL
PUBLISHED=$("${PSQL[@]}" -c "SELECT count(*) FROM bench_courses" "$DB")
"${PSQL[@]}" -c "SELECT id FROM bench_courses ORDER BY n" "$DB" > "$WORK/ids.txt"
"$GEN" --print-words > "$WORK/words.txt"
WORDS=$(wc -l < "$WORK/words.txt")
# How many published courses each word finds (the catalog's `total`).
HITS=$(while read -r w; do
    "${PSQL[@]}" -c "SELECT count(*) FROM courses WHERE status = 'published' AND deleted_at IS NULL AND search @@ websearch_to_tsquery('english', '$w')" "$DB"
done < "$WORK/words.txt" | sort -n | awk '{ v[NR] = $1; s += $1 } END { printf "%d / %d / %d", v[1], s / NR, v[NR] }')

# --- Capture the statements of one request of each route (a throw-away server, logging on) -
get_status() {   # $1 path: prints the status, the body goes to $WORK/response.json
    curl -sS -o "$WORK/response.json" -w '%{http_code}' "$BASE$1"
}
capture() {   # $1 path, $2 output file: the statements of one request, one per line
    local offset status
    offset=$(stat -c %s "$PG_LOG")
    status=$(get_status "$1")
    sleep 0.5
    if [[ "$status" != 200 ]]; then
        echo "GET $1 answered $status: $(head -c 500 "$WORK/response.json")" >&2
        exit 1
    fi
    # Simple-protocol statements and executes of prepared ones, from this database only.
    tail -c +"$((offset + 1))" "$PG_LOG" \
        | grep -E "@$DB (LOG|ERROR):  (statement|execute [^:]*):" \
        | sed -E 's/^.*(LOG|ERROR):  (statement|execute [^:]*): //' > "$2" || true
}
FIRST_ID=$(head -n 1 "$WORK/ids.txt")
FIRST_WORD=$(head -n 1 "$WORK/words.txt")
"${PSQL[@]}" -c "ALTER DATABASE $DB SET log_statement = 'all'" postgres
# Background workers (mail, the audit sealer) stay quiet after their first round, so only the
# requests are logged.
AZORA__MAIL__POLL_INTERVAL_MS=3600000 AZORA__AUDIT__SEAL_INTERVAL_MS=3600000 \
    AZORA__AUDIT__FAILOVER_POLL_MS=3600000 start_server
for _ in 1 2 3 4 5 6 7 8; do   # warms every worker's pool and statement cache
    get_status "/api/v1/courses/$FIRST_ID" >/dev/null
    get_status "/api/v1/courses?q=$FIRST_WORD&per_page=20" >/dev/null
done
sleep 0.3
capture "/api/v1/courses/$FIRST_ID" "$WORK/detail-statements.sql"
capture "/api/v1/courses?q=$FIRST_WORD&per_page=20" "$WORK/search-statements.sql"
stop_server
"${PSQL[@]}" -c "ALTER DATABASE $DB RESET log_statement" postgres
DETAIL_CAPTURED=$(wc -l < "$WORK/detail-statements.sql")
SEARCH_CAPTURED=$(wc -l < "$WORK/search-statements.sql")
if (( DETAIL_CAPTURED == 0 || SEARCH_CAPTURED == 0 )); then
    echo "no statements captured from $PG_LOG (is log_line_prefix '%m [%p] %q%u@%d '?)" >&2
    exit 1
fi

# --- (a) pgbench: the catalog page query, one script per word ----------------------------
# search_sql's parameters: $1 q, $2 category, $3 level, $4 tag, $5 language, $6 price,
# $7 organization, $8 instructor, $9 limit, $10 offset. The API binds q, 20 and 0 and NULL
# for the rest.
"$GEN" --print-sql relevance > "$WORK/search.sql"
if grep -qxF -f "$WORK/search.sql" "$WORK/search-statements.sql"; then
    SEARCH_SAME=yes
else
    SEARCH_SAME="NO: the route's statement differs from search_sql(\"relevance\")"
fi
SEARCH_ARGS=()
k=0
while read -r w; do
    K=$k perl -pe 's/\$(\d+)\b/$1 == 1 ? ":q$ENV{K}" : $1 == 9 ? ":lim" : $1 == 10 ? ":off" : "NULL"/ge' "$WORK/search.sql" \
        | { printf '\\set lim 20\n\\set off 0\n'; sed 's/$/;/'; } > "$WORK/search-$k.pgbench"
    SEARCH_ARGS+=(-D "q$k=$w" -f "$WORK/search-$k.pgbench")
    k=$((k + 1))
done < "$WORK/words.txt"

# --- (b) pgbench: the captured statements of GET /courses/{id} ---------------------------
# The first statement maps the course number to its id (no extra round trip) and keeps it for
# the others, which use it where the route binds the course id.
{
    echo "\\set n random(1, $PUBLISHED)"
    head -n 1 "$WORK/detail-statements.sql" \
        | perl -pe 's/\$1\b/(SELECT id FROM bench_courses WHERE n = :n)/g'
    echo '\gset'
    tail -n +2 "$WORK/detail-statements.sql" | perl -pe 's/\$1\b/:id/g; s/$/;/'
} > "$WORK/detail.pgbench"
if grep -qE '\$[0-9]' "$WORK/detail.pgbench"; then
    echo "a captured detail statement has more than one parameter; see $WORK/detail.pgbench" >&2
    BENCH_KEEP=1
    exit 1
fi
DETAIL_SCRIPT=$(grep -cvE '^\\' "$WORK/detail.pgbench")

# --- The API under wrk --------------------------------------------------------------------
cat > "$WORK/search.lua" <<LUA
local words = {}
local threads = 0
function setup(thread)
    thread:set("tid", threads)
    threads = threads + 1
end
function init(args)
    for line in io.lines("$WORK/words.txt") do words[#words + 1] = line end
    math.randomseed(os.time() + 7919 * (tid or 0))
end
function request()
    return wrk.format("GET", "/api/v1/courses?q=" .. words[math.random(#words)] .. "&per_page=20")
end
LUA
cat > "$WORK/detail.lua" <<LUA
local ids = {}
local threads = 0
function setup(thread)
    thread:set("tid", threads)
    threads = threads + 1
end
function init(args)
    for line in io.lines("$WORK/ids.txt") do ids[#ids + 1] = line end
    math.randomseed(os.time() + 7919 * (tid or 0))
end
function request()
    return wrk.format("GET", "/api/v1/courses/" .. ids[math.random(#ids)])
end
LUA
run_wrk() {   # $1 lua script: prints "rps p50 p99 non2xx errors"
    local out
    wrk -t2 -c"$CLIENTS" -d3s -s "$1" "$BASE" >/dev/null   # warm-up
    out=$(wrk -t2 -c"$CLIENTS" -d"${SECONDS_PER_RUN}s" --latency -s "$1" "$BASE")
    echo "$out" >> "$WORK/wrk.txt"
    echo "$out" | awk '
        /Requests\/sec/ { rps = $2 }
        $1 == "50%" { p50 = $2 }
        $1 == "99%" { p99 = $2 }
        /Non-2xx/ { non2xx = $NF }
        /Socket errors/ { errors = $0; gsub(/ /, "_", errors) }
        END { printf "%s %s %s %s %s\n", rps, p50, p99, non2xx + 0, errors == "" ? "-" : errors }'
}
start_server
echo "wrk: GET /courses?q=<word>, warm-up, then ${SECONDS_PER_RUN}s at $CLIENTS connections"
read -r S_RPS S_P50 S_P99 S_NON2XX S_ERRORS <<<"$(run_wrk "$WORK/search.lua")"
echo "wrk: GET /courses/{id}, warm-up, then ${SECONDS_PER_RUN}s at $CLIENTS connections"
read -r D_RPS D_P50 D_P99 D_NON2XX D_ERRORS <<<"$(run_wrk "$WORK/detail.lua")"
stop_server

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
PGB=(-n -M prepared -c "$CLIENTS" -j 2)
pgbench -h 127.0.0.1 -U postgres "${PGB[@]}" -T 3 "${SEARCH_ARGS[@]}" "$DB" >/dev/null 2>&1   # warm-up
echo "pgbench (a): the catalog page query, ${SECONDS_PER_RUN}s at $CLIENTS clients"
read -r A_TPS A_P50 A_P99 <<<"$(run_pgbench "${PGB[@]}" -T "$SECONDS_PER_RUN" "${SEARCH_ARGS[@]}" "$DB")"
pgbench -h 127.0.0.1 -U postgres "${PGB[@]}" -T 3 -f "$WORK/detail.pgbench" "$DB" >/dev/null 2>&1   # warm-up
echo "pgbench (b): the course detail statements, ${SECONDS_PER_RUN}s at $CLIENTS clients"
read -r B_TPS B_P50 B_P99 <<<"$(run_pgbench "${PGB[@]}" -T "$SECONDS_PER_RUN" -f "$WORK/detail.pgbench" "$DB")"

# --- The table ----------------------------------------------------------------------------
S_RATIO=$(ratio "$S_RPS" "$A_TPS")
D_RATIO=$(ratio "$D_RPS" "$B_TPS")
S_P99_MS=$(ms "$S_P99")
printf '\n== Azora catalog benchmark (%s clients, %ss, pool %s, %s published courses, %s cores) ==\n' \
    "$CLIENTS" "$SECONDS_PER_RUN" "$AZORA__DATABASE__MAX_CONNECTIONS" "$PUBLISHED" "$(nproc)"
printf '%-48s %14s\n' "search words / hits per word (min/avg/max)" "$WORDS / $HITS"
printf '%-48s %14s\n' "statements of GET /courses?q= (captured)" "$SEARCH_CAPTURED"
printf '%-48s %14s\n' "  same SQL as search_sql(\"relevance\")" "$SEARCH_SAME"
printf '%-48s %14s\n' "statements of GET /courses/{id} (captured)" "$DETAIL_CAPTURED"
printf '%-48s %14s\n' "statements in the pgbench (b) script" "$DETAIL_SCRIPT"
printf '%-48s %14s %12s %12s\n' "" "rate (/s)" "p50" "p99"
printf '%-48s %14s %12s %12s\n' "GET /courses?q=<word>&per_page=20 (wrk)" "$S_RPS" "$S_P50" "$S_P99"
printf '%-48s %14s %12s %12s\n' "(a) pgbench, catalog page query" "$A_TPS" "$A_P50" "$A_P99"
printf '%-48s %14s %12s %12s\n' "GET /courses/{id} (wrk)" "$D_RPS" "$D_P50" "$D_P99"
printf '%-48s %14s %12s %12s\n' "(b) pgbench, course detail statements" "$B_TPS" "$B_P50" "$B_P99"
printf '%-48s %14s\n' "non-2xx responses (search / detail)" "$S_NON2XX / $D_NON2XX"
[[ "$S_ERRORS" != - ]] && printf '%-48s %s\n' "  wrk (search)" "${S_ERRORS//_/ }"
[[ "$D_ERRORS" != - ]] && printf '%-48s %s\n' "  wrk (detail)" "${D_ERRORS//_/ }"
printf '%-48s %13s%%   target >= %s%%: %s\n' "search: API / (a)" "$S_RATIO" "$SEARCH_RATIO_TARGET" "$(verdict "$S_RATIO" '>=' "$SEARCH_RATIO_TARGET")"
printf '%-48s %11s ms   target < %s ms: %s\n' "search: API p99" "$S_P99_MS" "$SEARCH_P99_TARGET_MS" "$(verdict "$S_P99_MS" '<' "$SEARCH_P99_TARGET_MS")"
printf '%-48s %13s%%   target >= %s%%: %s\n' "detail: API / (b)" "$D_RATIO" "$DETAIL_RATIO_TARGET" "$(verdict "$D_RATIO" '>=' "$DETAIL_RATIO_TARGET")"
if [[ "$S_NON2XX" != 0 || "$D_NON2XX" != 0 ]]; then
    echo "WARNING: some requests failed; the server log is $WORK/server.log (BENCH_KEEP=1 keeps it)"
fi
