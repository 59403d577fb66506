#!/usr/bin/env bash
# Azora's certificates benchmark (run by hand; not part of CI). Prints, side by side on this
# machine:
#   - POST /api/v1/credentials/verify under wrk, every check each time (issuer, key, proofs,
#     validity period, both status entries), with the seeded student's course certificate
#     presented (1) as its VC-JWT: the EdDSA JWS signature and the Data Integrity proof
#     (eddsa-rdfc-2022) the credential inside carries, i.e. both proofs; (2) as JSON-LD: the
#     Data Integrity proof alone; (3) alternately one then the other. Every response must be 200
#     with verdict `valid`;
#   - the raw Ed25519 verification rate of the same machine on all cores
#     (examples/ed25519_rate.rs, run before the server starts), and the target: the VC-JWT run
#     (both proofs) at least 30 % of the raw rate divided by two (the other runs for reference);
#   - issuance: LEARNERS learners (1,000) complete the only lesson of a course at the same moment,
#     each completion issuing the course certificate in its transaction (examples/bench_issue.rs):
#     issued/s, p50, p95, p99 (target < 200 ms) and max, and exactly LEARNERS credentials issued.
# The release server runs on a fresh database (azora_bench_certs, dropped first) with the demo
# accounts and data of `azora seed` (the student's completed course has its certificate).
#
# Usage: bench/certificates.sh [clients=32] [seconds=10] [learners=1000]
# Env:   BENCH_PORT (18083), BENCH_POOL (32: the server's database pool, split among its
#        workers), BENCH_REWARD (the benchmark course's AZR completion reward; absent: the
#        platform default, `0`: none), BENCH_KEEP=1 keeps the work directory (server log, wrk
#        output, bodies).
# Needs Postgres at 127.0.0.1:5432 (user postgres, trust), curl and python3; installs wrk from
# Debian if absent.
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=bench/lib.sh
source bench/lib.sh

CLIENTS=${1:-32}
SECONDS_PER_RUN=${2:-10}
LEARNERS=${3:-1000}
PORT=${BENCH_PORT:-18083}
DB=azora_bench_certs
PGURL="postgres://postgres@127.0.0.1:5432/$DB"
BASE="http://127.0.0.1:$PORT"
VERIFY_TARGET_PCT=30

require_tools psql curl python3
ensure_wrk

bench_init certs

echo "building (release)"
cargo build --release --quiet --bin azora --example ed25519_rate --example bench_issue
BIN=target/release/azora

# The raw signature rate first, on an idle machine (no server yet).
echo "raw Ed25519 verification rate (examples/ed25519_rate)"
target/release/examples/ed25519_rate 3 | tee "$WORK/ed25519.txt"
RAW_1=$(awk '/verifications\/s/ {print $(NF-1); exit}' "$WORK/ed25519.txt")
RAW_ALL=$(awk '/verifications\/s/ {r = $(NF-1)} END {print r}' "$WORK/ed25519.txt")

export DATABASE_URL="$PGURL" AZORA__LOG__LEVEL=warn PORT AZORA__SERVER__HOST=127.0.0.1
export AZORA__DATABASE__MAX_CONNECTIONS=${BENCH_POOL:-32}
# The benchmark is one client address: lift the per-IP budget of /auth.
export AZORA__SECURITY__IP_REQUESTS_PER_MINUTE=100000000 AZORA__SECURITY__IP_FAILURE_LIMIT=100000000

echo "preparing $DB"
seeded_database "$DB"
start_server
printf 'server: release build, pool %s, %s cores, Postgres %s\n' "$AZORA__DATABASE__MAX_CONNECTIONS" "$(nproc)" \
    "$("${PSQL[@]}" -c 'SHOW server_version' postgres)"

# --- The seeded student's course certificate, as JSON-LD and as a VC-JWT --------------------
json_field() {   # $1 a Python expression over `d` (the JSON read from stdin)
    python3 -c "import json, sys; d = json.load(sys.stdin); print($1)"
}
TOKEN=$(curl -fsS -H 'Content-Type: application/json' \
    -d '{"email":"student@azora.world","password":"Azora2025!"}' "$BASE/api/v1/auth/login" \
    | json_field 'd["access_token"]')
CRED_ID=$(curl -fsS -H "Authorization: Bearer $TOKEN" "$BASE/api/v1/me/credentials?kind=course" \
    | json_field 'd["items"][0]["id"] if d["items"] else ""')
if [[ -z "$CRED_ID" ]]; then
    echo "the seeded student has no course credential (did \`azora seed\` complete a course?)" >&2
    exit 1
fi
curl -fsS -H "Authorization: Bearer $TOKEN" "$BASE/api/v1/credentials/$CRED_ID" >"$WORK/credential.json"
curl -fsS -H "Authorization: Bearer $TOKEN" -H 'Accept: application/vc+jwt' \
    "$BASE/api/v1/credentials/$CRED_ID" >"$WORK/credential.jwt"
python3 - "$WORK" <<'PY'
import json, sys
work = sys.argv[1]
doc = json.load(open(f"{work}/credential.json"))
jwt = open(f"{work}/credential.jwt").read().strip()
json.dump({"credential": doc}, open(f"{work}/jsonld.body", "w"), separators=(",", ":"))
json.dump({"credential": jwt}, open(f"{work}/jwt.body", "w"), separators=(",", ":"))
PY
# Once with curl: both forms must be `valid`, every check passed.
for form in jsonld jwt; do
    curl -fsS -H 'Content-Type: application/json' --data-binary "@$WORK/$form.body" \
        "$BASE/api/v1/credentials/verify" >"$WORK/$form.verify.json"
    if ! python3 - "$WORK/$form.verify.json" "$form" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
checks = ", ".join(c["check"] for c in r["checks"])
ok = r["verdict"] == "valid" and all(c["passed"] for c in r["checks"])
print(f"verify {sys.argv[2]:<6} -> {r['format']}: {r['verdict']} ({checks})")
sys.exit(0 if ok else 1)
PY
    then
        echo "the seeded credential does not verify as $form:" >&2
        cat "$WORK/$form.verify.json" >&2
        exit 1
    fi
done
printf 'credential %s: JSON-LD body %s bytes, VC-JWT body %s bytes\n' "$CRED_ID" \
    "$(wc -c <"$WORK/jsonld.body")" "$(wc -c <"$WORK/jwt.body")"

# --- POST /credentials/verify under wrk -----------------------------------------------------
# One script per run: the bodies it alternates between (one body: always that one). Every
# response that is not 200 with verdict `valid` is counted and printed as "not valid: N".
verify_lua() {   # $1 script path, $2... body files
    local path=$1
    shift
    {
        echo 'local files = {'
        for f in "$@"; do printf '    "%s",\n' "$f"; done
        echo '}'
        cat <<'LUA'
local threads = {}
function setup(thread)
    table.insert(threads, thread)
end
function init(args)
    bodies = {}
    for i, f in ipairs(files) do
        local h = assert(io.open(f, "rb"))
        bodies[i] = h:read("*a")
        h:close()
    end
    n = 0
    bad = 0
    wrk.method = "POST"
    wrk.headers["Content-Type"] = "application/json"
end
function request()
    n = n + 1
    return wrk.format(nil, "/api/v1/credentials/verify", nil, bodies[(n % #bodies) + 1])
end
function response(status, headers, body)
    if status ~= 200 or not string.find(body, '"verdict":"valid"', 1, true) then
        bad = bad + 1
    end
end
function done(summary, latency, requests)
    local total = 0
    for _, t in ipairs(threads) do
        total = total + t:get("bad")
    end
    io.write(string.format("not valid: %d\n", total))
end
LUA
    } >"$path"
}
verify_lua "$WORK/jsonld.lua" "$WORK/jsonld.body"
verify_lua "$WORK/jwt.lua" "$WORK/jwt.body"
verify_lua "$WORK/both.lua" "$WORK/jsonld.body" "$WORK/jwt.body"
run_wrk() {   # $1 lua script: prints "rps p50 p99 not_valid errors"
    local out
    wrk -t2 -c"$CLIENTS" -d2s -s "$1" "$BASE" >/dev/null   # warm-up
    out=$(wrk -t2 -c"$CLIENTS" -d"${SECONDS_PER_RUN}s" --latency -s "$1" "$BASE")
    echo "$out" >>"$WORK/wrk.txt"
    echo "$out" | awk '
        /Requests\/sec/ { rps = $2 }
        $1 == "50%" { p50 = $2 }
        $1 == "99%" { p99 = $2 }
        /^not valid:/ { bad = $NF }
        /Socket errors/ { errors = $0; gsub(/ /, "_", errors) }
        END { printf "%s %s %s %s %s\n", rps, p50, p99, bad + 0, errors == "" ? "-" : errors }'
}
echo "wrk: POST /credentials/verify, JSON-LD (Data Integrity proof), warm-up, then ${SECONDS_PER_RUN}s at $CLIENTS connections"
read -r L_RPS L_P50 L_P99 L_BAD L_ERRORS <<<"$(run_wrk "$WORK/jsonld.lua")"
echo "wrk: POST /credentials/verify, VC-JWT (both proofs), warm-up, then ${SECONDS_PER_RUN}s at $CLIENTS connections"
read -r J_RPS J_P50 J_P99 J_BAD J_ERRORS <<<"$(run_wrk "$WORK/jwt.lua")"
echo "wrk: POST /credentials/verify, JSON-LD and VC-JWT alternately, warm-up, then ${SECONDS_PER_RUN}s at $CLIENTS connections"
read -r B_RPS B_P50 B_P99 B_BAD B_ERRORS <<<"$(run_wrk "$WORK/both.lua")"

HALF_RAW=$(awk -v r="$RAW_ALL" 'BEGIN { printf "%.1f", r / 2 }')
TARGET_RPS=$(awk -v h="$HALF_RAW" -v p="$VERIFY_TARGET_PCT" 'BEGIN { printf "%.1f", h * p / 100 }')
J_PCT=$(ratio "$J_RPS" "$HALF_RAW")
J_MET=$(awk -v a="$J_RPS" -v t="$TARGET_RPS" 'BEGIN { print (a + 0 >= t + 0) ? "met" : "MISSED" }')
printf '\n== Azora credential verification (%s clients, %ss, pool %s, %s cores) ==\n' \
    "$CLIENTS" "$SECONDS_PER_RUN" "$AZORA__DATABASE__MAX_CONNECTIONS" "$(nproc)"
printf '%-54s %10s %10s %10s %10s %8s\n' "POST /credentials/verify (wrk)" "req/s" "p50" "p99" "not valid" "/ raw/2"
printf '%-54s %10s %10s %10s %10s %7s%%\n' "VC-JWT: JWS + embedded Data Integrity (both proofs)" "$J_RPS" "$J_P50" "$J_P99" "$J_BAD" "$J_PCT"
printf '%-54s %10s %10s %10s %10s %7s%%\n' "JSON-LD: Data Integrity proof only" "$L_RPS" "$L_P50" "$L_P99" "$L_BAD" "$(ratio "$L_RPS" "$HALF_RAW")"
printf '%-54s %10s %10s %10s %10s %7s%%\n' "JSON-LD and VC-JWT alternately" "$B_RPS" "$B_P50" "$B_P99" "$B_BAD" "$(ratio "$B_RPS" "$HALF_RAW")"
printf '%-54s %10s\n' "raw Ed25519 verifications/s, 1 thread" "$RAW_1"
printf '%-54s %10s\n' "raw Ed25519 verifications/s, all cores" "$RAW_ALL"
printf '%-54s %10s\n' "  / 2 (two proofs)" "$HALF_RAW"
printf '%-54s %10s   (%s%% of raw / 2)\n' "target for the VC-JWT run, req/s" "$TARGET_RPS" "$VERIFY_TARGET_PCT"
printf '%-54s %9s%%   target >= %s%%: %s\n' "VC-JWT run / (raw / 2)" "$J_PCT" "$VERIFY_TARGET_PCT" "$J_MET"
for e in "$J_ERRORS" "$L_ERRORS" "$B_ERRORS"; do
    [[ "$e" != - ]] && printf '%-54s %s\n' "  wrk" "${e//_/ }"
done
VERIFY_FAILED=0
if [[ "$B_BAD" != 0 || "$L_BAD" != 0 || "$J_BAD" != 0 ]]; then
    echo "WARNING: some verifications were not 200 with verdict valid"
    VERIFY_FAILED=1
fi

# --- Issuance: LEARNERS completions at once ---------------------------------------------------
echo
status=0
target/release/examples/bench_issue "$BASE" "$PGURL" "$LEARNERS" || status=$?
stop_server
if [[ -s "$WORK/server.log" ]] && grep -qiE 'error|panic' "$WORK/server.log"; then
    echo "server log: $(grep -ciE 'error|panic' "$WORK/server.log") error lines; the first 5:"
    grep -m 5 -iE 'error|panic' "$WORK/server.log" | sed 's/\x1b\[[0-9;]*m//g'
fi
if (( status == 0 && VERIFY_FAILED )); then
    status=1
fi
exit "$status"
