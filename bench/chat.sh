#!/usr/bin/env bash
# Azora's real-time chat benchmark (run by hand; not part of CI). A Rust WebSocket client
# (examples/chat_load.rs) against the release server on a fresh database; prints, side by side
# with their targets:
#   1. fan-out: SUBSCRIBERS (1,000) distinct users, each with its own socket on
#      /api/v1/events/ws, in one group room; its owner posts RATE (10) messages/s over REST for
#      FAN_SECONDS (30) s: delivery latency p50/p99 (POST sent -> `message_created` read on each
#      socket; target p99 <= 50 ms) and delivered/expected (target 100 %), with every socket's
#      sequence checked (no gap, no repeat);
#   2. IDLE (10,000) authenticated idle sockets from IDLE_USERS (10,000) users: the server's
#      VmRSS (/proc/<pid>/status) before and after, per connection (target <= 30 KB);
#   3. one room of 100 members: 4 of them post as fast as they can for 10 s (the other 96
#      listen on sockets): messages/s, POST and delivery latency, delivered/expected;
#   4. the SQL statements one message to the 1,000-subscriber room costs, from the POST until
#      every socket had the event, from the Postgres log (log_statement = 'all' for the
#      benchmark database, on a second server start only), next to the same for the 100-member
#      room and to an equally long window without a message (target: a few, not one per
#      member: at most 20, and fewer than 10 more than for the 100-member room).
# Accounts, sessions, rooms and members are created with SQL before the server starts
# (`chat_load setup`), and the client mints the access tokens with the server's secret, so
# nobody signs in (argon2) during the run. The rate limit `chat.messages_per_minute` is lifted.
#
# Usage: bench/chat.sh [fan_seconds=30] [idle=10000]
# Env:   BENCH_SUBSCRIBERS (1000), BENCH_RATE (10 messages/s), BENCH_IDLE_USERS (= idle; fewer
#        users share the sockets round robin), BENCH_ROOM (100), BENCH_POSTERS (4),
#        BENCH_PUT_SECONDS (10), BENCH_PORT (18084), BENCH_POOL (16: the server's database
#        pool), BENCH_PG_LOG (/var/log/postgresql/postgresql-15-main.log), BENCH_KEEP=1 keeps
#        the work directory (server logs, client output, results), BENCH_BUILD=0 runs the
#        release binaries already built.
# Needs Postgres at 127.0.0.1:5432 (user postgres, trust) and curl; uses (and drops first) the
# database azora_bench_chat. Raises `ulimit -n` to the hard limit (each idle socket is a file
# descriptor in the server and in the client).
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=bench/lib.sh
source bench/lib.sh

FAN_SECONDS=${1:-30}
IDLE=${2:-10000}
SUBSCRIBERS=${BENCH_SUBSCRIBERS:-1000}
RATE=${BENCH_RATE:-10}
IDLE_USERS=${BENCH_IDLE_USERS:-$IDLE}
ROOM=${BENCH_ROOM:-100}
POSTERS=${BENCH_POSTERS:-4}
PUT_SECONDS=${BENCH_PUT_SECONDS:-10}
PORT=${BENCH_PORT:-18084}
DB=azora_bench_chat
PGURL="postgres://postgres@127.0.0.1:5432/$DB"
PG_LOG=${BENCH_PG_LOG:-/var/log/postgresql/postgresql-15-main.log}
BASE="http://127.0.0.1:$PORT"
# Access tokens are minted by the client with the server's secret, so it must be a known value.
export AZORA__SECURITY__JWT_SECRET="azora-chat-benchmark-secret-0123456789abcdef"
RSS_TARGET_KB=30
P99_TARGET_MS=50

require_tools psql curl

bench_on_exit() { # never leave statement logging on
    "${PSQL[@]}" -c "ALTER DATABASE $DB RESET log_statement" postgres >/dev/null 2>&1
}
bench_init chat

# --- File descriptors and ports: IDLE sockets in the server and as many in the client ------
NEED_FDS=$((IDLE + SUBSCRIBERS + 512))
HARD_FDS=$(ulimit -Hn)
if [[ "$HARD_FDS" != unlimited ]] && ((HARD_FDS < NEED_FDS)); then
    NEW_IDLE=$((HARD_FDS - SUBSCRIBERS - 512))
    echo "ulimit -Hn is $HARD_FDS: $IDLE idle sockets need $NEED_FDS descriptors; measuring $NEW_IDLE instead" >&2
    IDLE=$NEW_IDLE
    ((IDLE_USERS > IDLE)) && IDLE_USERS=$IDLE
    NEED_FDS=$((IDLE + SUBSCRIBERS + 512))
fi
if [[ "$(ulimit -Sn)" != unlimited ]] && (($(ulimit -Sn) < NEED_FDS)); then
    ulimit -n "$HARD_FDS"
fi
read -r PORT_LOW PORT_HIGH </proc/sys/net/ipv4/ip_local_port_range
PORTS=$((PORT_HIGH - PORT_LOW + 1))
TIME_WAIT=$(awk 'NR > 1 && $4 == "06" {n++} END {print n + 0}' /proc/net/tcp)
if ((PORTS - TIME_WAIT < IDLE + SUBSCRIBERS + 1000)); then
    echo "only $PORTS ephemeral ports ($PORT_LOW-$PORT_HIGH), $TIME_WAIT in TIME_WAIT: too few for $IDLE + $SUBSCRIBERS sockets" >&2
    exit 2
fi
printf 'limits: ulimit -n %s (hard %s), ephemeral ports %s-%s (%s in TIME_WAIT)\n' \
    "$(ulimit -Sn)" "$HARD_FDS" "$PORT_LOW" "$PORT_HIGH" "$TIME_WAIT"

if [[ "${BENCH_BUILD:-1}" != 0 ]]; then
    echo "building (release)"
    cargo build --release --quiet --bin azora --example chat_load
fi
BIN=target/release/azora
CLIENT=target/release/examples/chat_load

export DATABASE_URL="$PGURL" AZORA__LOG__LEVEL=warn PORT AZORA__SERVER__HOST=127.0.0.1
export AZORA__DATABASE__MAX_CONNECTIONS=${BENCH_POOL:-16}
# One poster sends 10 messages/s, and the throughput run as many as it can: no rate limit.
export AZORA__CHAT__MESSAGES_PER_MINUTE=100000000
export AZORA__SECURITY__IP_REQUESTS_PER_MINUTE=100000000 AZORA__SECURITY__IP_FAILURE_LIMIT=100000000

OPTS=(--subscribers "$SUBSCRIBERS" --rate "$RATE" --fan-secs "$FAN_SECONDS" --room "$ROOM"
    --posters "$POSTERS" --put-secs "$PUT_SECONDS" --idle "$IDLE" --idle-users "$IDLE_USERS"
    --results "$WORK/results.txt")

echo "preparing $DB"
T0=$(date +%s)
seeded_database "$DB"
"$CLIENT" setup "$BASE" "$PGURL" "${OPTS[@]}"
"${PSQL[@]}" -c "VACUUM ANALYZE" "$DB"

# --- 1 to 3: one server start -----------------------------------------------------------
start_server
printf 'server: release build, pid %s, pool %s, %s cores, Postgres %s\n' "$SERVER" \
    "$AZORA__DATABASE__MAX_CONNECTIONS" "$(nproc)" "$("${PSQL[@]}" -c 'SHOW server_version' postgres)"
status=0
"$CLIENT" run "$BASE" "$PGURL" "${OPTS[@]}" --server-pid "$SERVER" 2>&1 | tee "$WORK/run.txt" || status=$?
stop_server
mv "$WORK/server.log" "$WORK/server-run.log"

# --- 4: statements of one message, on a second start with statement logging ---------------
SQL_STATUS=0
if [[ -r "$PG_LOG" ]]; then
    "${PSQL[@]}" -c "ALTER DATABASE $DB SET log_statement = 'all'" postgres
    # Background jobs that poll stay quiet (an equally long quiet window is measured too).
    AZORA__MAIL__POLL_INTERVAL_MS=3600000 AZORA__AUDIT__SEAL_INTERVAL_MS=3600000 \
        AZORA__AUDIT__FAILOVER_POLL_MS=3600000 start_server
    "$CLIENT" sqlcount "$BASE" "$PGURL" "${OPTS[@]}" --pg-log "$PG_LOG" 2>&1 | tee "$WORK/sql.txt" \
        || SQL_STATUS=$?
    stop_server
    "${PSQL[@]}" -c "ALTER DATABASE $DB RESET log_statement" postgres
    mv "$WORK/server.log" "$WORK/server-sql.log"
else
    echo "$PG_LOG is not readable: no statement count (set BENCH_PG_LOG)"
fi
ELAPSED=$(($(date +%s) - T0))

# --- Summary --------------------------------------------------------------------------------
R() { awk -v k="$1" '$1 == k {v = $2} END {print (v == "" ? "-" : v)}' "$WORK/results.txt" 2>/dev/null || echo -; }
met() { # $1 awk condition over a and b, $2 a, $3 b
    awk -v a="$2" -v b="$3" "BEGIN { if (a == \"-\" || b == \"-\") print \"-\"; else print (($1) ? \"met\" : \"MISSED\") }"
}
group() { printf '%s' "$1" | sed -E ':a;s/^([0-9]+)([0-9]{3})/\1,\2/;ta'; }
usage() { # $1 phase: CPU, contention by other processes, sequential scans of the event log
    printf '%-62s %20s\n' "   CPU s: server / Postgres (this db) / client / not ours" \
        "$(R "$1_cpu_server") / $(R "$1_cpu_postgres") / $(R "$1_cpu_client") / $(R "$1_cpu_not_ours")"
    printf '%-62s %20s\n' "   machine busy; stream_events seq scans (rows read)" \
        "$(R "$1_busy_pct") %; $(group "$(R "$1_seq_scans")") ($(group "$(R "$1_seq_rows")"))"
    if awk -v o="$(R "$1_cpu_not_ours")" -v s="$(R "$1_cpu_server")" 'BEGIN { exit !(o != "-" && o + 0 > 2 && o + 0 > s + 0) }'; then
        echo "   WARNING: other processes used more CPU than the server here: the machine was shared"
    fi
}
FAN_DELIVERED=$(R fan_delivered)
FAN_EXPECTED=$(R fan_expected)
FAN_PCT=$(awk -v a="$FAN_DELIVERED" -v b="$FAN_EXPECTED" 'BEGIN { if (b + 0 == 0) print "-"; else printf "%.2f", 100 * a / b }')
IDLE_KB=$(awk -v k="$(R idle_kib_per_conn)" 'BEGIN { if (k == "-") print "-"; else printf "%.1f", k * 1.024 }')
printf '\n== Azora real-time chat (%s cores, pool %s, run %ss) ==\n' "$(nproc)" "$AZORA__DATABASE__MAX_CONNECTIONS" "$ELAPSED"
printf '%-62s %20s   %s\n' "" "measured" "target"
printf '1. %s subscribers (%s users, a socket each) in one room, %s msg/s for %ss\n' \
    "$(group "$(R fan_subscribers)")" "$(group "$(R fan_subscribers)")" "$RATE" "$FAN_SECONDS"
printf '%-62s %20s   %s\n' "   delivery latency p50 / p99 (max $(R fan_max_ms) ms)" \
    "$(R fan_p50_ms) / $(R fan_p99_ms) ms" "p99 <= $P99_TARGET_MS ms: $(met 'a + 0 <= b' "$(R fan_p99_ms)" "$P99_TARGET_MS")"
printf '%-62s %20s   %s\n' "   delivered / expected ($FAN_PCT %)" \
    "$(group "$FAN_DELIVERED") / $(group "$FAN_EXPECTED")" "100 %: $(met 'a == b && b > 0' "$FAN_DELIVERED" "$FAN_EXPECTED")"
printf '%-62s %20s\n' "   POSTs answered (status x count)" "$(R fan_statuses)"
printf '%-62s %20s\n' "   sequence gaps / repeats+duplicates / sockets ended early" \
    "$(R fan_seq_gaps) / $(R fan_duplicates) / $(R fan_ended)"
usage fan
printf '2. %s idle authenticated sockets from %s users%s\n' "$(group "$(R idle_sockets)")" \
    "$(group "$(R idle_users)")" \
    "$([[ "$(R idle_users)" != "$(R idle_sockets)" ]] && echo " (sockets shared round robin)")"
printf '%-62s %20s\n' "   server VmRSS before / with them / after closing (KiB)" \
    "$(R idle_rss_before_kib) / $(R idle_rss_after_kib) / $(R idle_rss_closed_kib)"
printf '%-62s %20s   %s\n' "   server RSS per idle connection" "$IDLE_KB KB" \
    "<= $RSS_TARGET_KB KB: $(met 'a + 0 <= b' "$IDLE_KB" "$RSS_TARGET_KB")"
printf '%-62s %20s\n' "   sockets still open after 3 s / opened per second" "$(R idle_alive) / $(R idle_open_per_s)"
printf '3. one room of %s members, %s posting as fast as they can for %ss\n' "$(R put_members)" "$(R put_posters)" "$PUT_SECONDS"
printf '%-62s %20s   %s\n' "   messages/s" "$(R put_rate)" "(reported)"
printf '%-62s %20s\n' "   POST p50 / p99" "$(R put_post_p50_ms) / $(R put_post_p99_ms) ms"
printf '%-62s %20s\n' "   POSTs answered (status x count)" "$(R put_statuses)"
printf '%-62s %20s\n' "   delivered / expected to the listeners (delivery p99)" \
    "$(group "$(R put_delivered)") / $(group "$(R put_expected)") ($(R put_delivery_p99_ms) ms)"
usage put
printf '4. SQL statements of one message (POST sent -> every member socket had the event)\n'
printf '%-62s %20s   %s\n' "   to the room of $(group "$(R sql_members)") members" "$(R sql_statements)" \
    "a few, not per member: $(met 'a + 0 <= 20 && a - b < 10' "$(R sql_statements)" "$(R sql_small_statements)")"
printf '%-62s %20s\n' "   to the room of $(R sql_small_members) members, for comparison" "$(R sql_small_statements)"
printf '%-62s %20s\n' "   in an equally long window without a message" "$(R sql_quiet)"
printf '%-62s %20s\n' "   backends (pool connections) they came from" "$(R sql_backends)"
printf '%-62s %20s\n' "   stream_events rows the message wrote" "$(R sql_stream_rows)"

for log in "$WORK"/server-*.log; do
    [[ -s "$log" ]] || continue
    if grep -qiE 'error|panic' "$log"; then
        echo "$(basename "$log"): $(grep -ciE 'error|panic' "$log") error lines; the first 5:"
        grep -m 5 -iE 'error|panic' "$log" | sed 's/\x1b\[[0-9;]*m//g'
    fi
done
if ((status == 0 && SQL_STATUS != 0)); then
    status=$SQL_STATUS
fi
exit "$status"
