# What the benchmark scripts share (sourced, not run): the psql command, tool checks, a work
# directory removed at exit (kept with BENCH_KEEP=1 or after a failure), and the release server
# started in the background and awaited until ready. A script sets BIN and BASE before
# start_server, and may define `bench_on_exit` for its own clean-up (it runs before the work
# directory goes).

PSQL=(env PGOPTIONS="-c client_min_messages=warning" psql -h 127.0.0.1 -U postgres -v ON_ERROR_STOP=1 -qAtX)

# Exits 2 unless every named tool is on PATH.
require_tools() {
    local tool
    for tool in "$@"; do
        command -v "$tool" >/dev/null || { echo "$tool is required" >&2; exit 2; }
    done
}

# Installs wrk from Debian when it is missing.
ensure_wrk() {
    if ! command -v wrk >/dev/null; then
        echo "installing wrk"
        (apt-get update -qq && apt-get install -y -qq wrk) >/dev/null
    fi
}

SERVER=""
stop_server() {
    if [[ -n "$SERVER" ]]; then
        kill -TERM "$SERVER" 2>/dev/null || true
        wait "$SERVER" 2>/dev/null || true
        SERVER=""
    fi
}

bench_cleanup() {
    local rc=$?
    stop_server
    if declare -F bench_on_exit >/dev/null; then
        bench_on_exit || true
    fi
    if [[ "${BENCH_KEEP:-0}" == 1 || $rc != 0 ]]; then
        echo "work files (server log, scripts, outputs) kept in $WORK" >&2
    else
        rm -rf "$WORK"
    fi
    exit "$rc"
}

# Creates WORK (azora-<name>-bench.XXXXXX) and the exit and interrupt traps.
bench_init() {
    WORK=$(mktemp -d -t "azora-$1-bench.XXXXXX")
    trap bench_cleanup EXIT
    trap 'exit 130' INT TERM
}

# Starts "$BIN" serve (log in $WORK/server.log) and waits up to 30 s for /health/ready.
start_server() {
    "$BIN" serve >>"$WORK/server.log" 2>&1 &
    SERVER=$!
    local tries=0
    until curl -fsS -o /dev/null "$BASE/health/ready" 2>/dev/null; do
        if ! kill -0 "$SERVER" 2>/dev/null; then
            echo "the server exited during start-up:" >&2
            tail -n 20 "$WORK/server.log" >&2
            SERVER=""
            exit 1
        fi
        tries=$((tries + 1))
        if ((tries > 3000)); then
            echo "the server is not ready after 30 s" >&2
            exit 1
        fi
        sleep 0.01
    done
}

# Drops and re-creates database $1 with the demo data of `azora seed`, analysed.
seeded_database() {
    "${PSQL[@]}" -c "DROP DATABASE IF EXISTS $1 WITH (FORCE)" postgres
    "$BIN" migrate up >/dev/null
    "$BIN" seed >/dev/null
    "${PSQL[@]}" -c "VACUUM ANALYZE" "$1"
}

# --- Figures for the result tables --------------------------------------------------------------
# ratio A B: A as a percentage of B ("-" when B is 0).
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b + 0 == 0) print "-"; else printf "%.1f", 100 * a / b }'; }
# ms V: a wrk or pgbench latency (850.00us, 12.3ms, 1.2s) in milliseconds.
ms() {
    awk -v v="$1" 'BEGIN {
        if (v ~ /us$/) { sub(/us$/, "", v); printf "%.3f", v / 1000 }
        else if (v ~ /ms$/) { sub(/ms$/, "", v); printf "%.3f", v }
        else if (v ~ /s$/) { sub(/s$/, "", v); printf "%.3f", v * 1000 }
        else print "-" }'
}
# verdict V OP T: "met" when V OP T holds (OP is "<" or ">="), else "MISSED"; "n/a" without V.
verdict() {
    awk -v v="$1" -v op="$2" -v t="$3" 'BEGIN {
        if (v == "-" || v == "") { print "n/a"; exit }
        ok = (op == "<") ? (v + 0 < t + 0) : (v + 0 >= t + 0)
        print ok ? "met" : "MISSED" }'
}
