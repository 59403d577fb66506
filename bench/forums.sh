#!/usr/bin/env bash
# Azora's forums benchmark (run by hand; not part of CI). On a fresh database seeded by SQL
# (bench/forums_seed.sql: 500 authors, 4 global forums, 5,000 threads, 100,000 posts in reply
# trees, reactions, votes), it prints side by side on this machine:
#   1. the thread page GET /api/v1/forums/threads/{id}/posts?order=tree&limit=20 under wrk at
#      PAGE_CLIENTS (32) connections, a random thread with at least 20 posts and a random
#      reader's token per request, against (a) pgbench at as many clients running the server's
#      posts list query (`POST_VIEW` + the tree page's WHERE, src/modules/forums/posts.rs)
#      with the same parameters; target: the API at least 50 % of (a);
#   2. search GET /api/v1/forums/search?q=<term> under wrk at SEARCH_CLIENTS (8) connections,
#      a random term per request (common, medium and rare words of the seeded text, rare
#      made-up names and two-word queries), against (b) pgbench at as many clients running
#      the server's search statement (`search_sql()`, src/modules/forums/search.rs), one
#      script per term; targets: the API p99 under 50 ms and at least 40 % of (b);
#   3. for reference, pgbench replaying every statement of one request of each route (the
#      session lookup, the thread, forum and grants reads, the visible forums), so the cost
#      of the statements that are not the page query shows.
# Nobody signs in: every author has a live session and the script mints the access tokens
# (HS256, the server's claims) with a known secret. The SQL that pgbench replays is captured
# from the Postgres log (log_statement = 'all' on a throw-away server start) with its
# parameters, and checked against the text the source builds. pgbench binds the varying
# parameter (:n picks the thread, :qK is the term) and takes the others as literals (it
# cannot bind NULL); the thread id is `(SELECT id FROM bench_threads WHERE n = :n)`, a
# primary-key lookup inside the statement. Both sides use prepared statements (sqlx caches
# them per connection; pgbench -M prepared). EXPLAIN ANALYZE of both statements goes to
# plans.txt in the work directory. Each API run is followed by its pgbench runs (the server
# stopped meanwhile), and each run reports the CPU time of the server, of this database's
# backends, of the client and of everything else (the machine may be shared: a warning says
# so). About 4 minutes with 30 s runs, 30 s of which seed the database.
#
# Usage: bench/forums.sh [seconds=30]
# Env:   BENCH_PAGE_CLIENTS (32), BENCH_SEARCH_CLIENTS (8), BENCH_THREADS (5000), BENCH_POSTS
#        (100000), BENCH_AUTHORS (500), BENCH_PORT (18085), BENCH_POOL (the server's database
#        pool: = page clients), BENCH_WARMUP (3 s), BENCH_PG_LOG
#        (/var/log/postgresql/postgresql-15-main.log), BENCH_KEEP=1 keeps the work directory
#        (scripts, captured statements, plans, outputs), BENCH_BUILD=0 runs the release binary
#        already built, BENCH_BIN (target/release/azora) another copy of it.
# Needs Postgres at 127.0.0.1:5432 (user postgres, trust) with a readable log, pgbench,
# python3 and curl; installs wrk from Debian if absent. Uses (and drops first) the database
# azora_bench_forums.
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=bench/lib.sh
source bench/lib.sh

SECONDS_PER_RUN=${1:-30}
PAGE_CLIENTS=${BENCH_PAGE_CLIENTS:-32}
SEARCH_CLIENTS=${BENCH_SEARCH_CLIENTS:-8}
THREADS=${BENCH_THREADS:-5000}
POSTS=${BENCH_POSTS:-100000}
AUTHORS=${BENCH_AUTHORS:-500}
WARMUP=${BENCH_WARMUP:-3}
PORT=${BENCH_PORT:-18085}
DB=azora_bench_forums
PGURL="postgres://postgres@127.0.0.1:5432/$DB"
PG_LOG=${BENCH_PG_LOG:-/var/log/postgresql/postgresql-15-main.log}
BASE="http://127.0.0.1:$PORT"
# Access tokens are minted here with the server's secret, so it must be a known value.
export AZORA__SECURITY__JWT_SECRET="azora-forums-benchmark-secret-0123456789abcdef"
PAGE_RATIO_TARGET=50
SEARCH_RATIO_TARGET=40
SEARCH_P99_TARGET_MS=50

require_tools psql pgbench python3 curl
if [[ ! -r "$PG_LOG" ]]; then
    echo "the Postgres log $PG_LOG is not readable (set BENCH_PG_LOG)" >&2
    exit 2
fi
if ((POSTS < 2 * THREADS)); then
    echo "BENCH_POSTS must be at least twice BENCH_THREADS" >&2
    exit 2
fi
ensure_wrk

bench_on_exit() { # never leave statement logging on
    "${PSQL[@]}" -c "ALTER DATABASE $DB RESET log_statement" postgres >/dev/null 2>&1
}
bench_init forums

if [[ "${BENCH_BUILD:-1}" != 0 ]]; then
    echo "building (release)"
    cargo build --release --quiet --bin azora
fi
BIN=${BENCH_BIN:-target/release/azora}

export DATABASE_URL="$PGURL" AZORA__LOG__LEVEL=warn PORT AZORA__SERVER__HOST=127.0.0.1
export AZORA__DATABASE__MAX_CONNECTIONS=${BENCH_POOL:-$PAGE_CLIENTS}
export AZORA__SECURITY__IP_REQUESTS_PER_MINUTE=100000000 AZORA__SECURITY__IP_FAILURE_LIMIT=100000000

# --- A fresh database, migrated, seeded by SQL ---------------------------------------------
echo "preparing $DB: $AUTHORS authors, $THREADS threads, $POSTS posts"
T0=$(date +%s)
"${PSQL[@]}" -c "DROP DATABASE IF EXISTS $DB WITH (FORCE)" postgres
"$BIN" migrate up >/dev/null
"${PSQL[@]}" -v threads="$THREADS" -v posts="$POSTS" -v authors="$AUTHORS" -f bench/forums_seed.sql "$DB" >/dev/null
"${PSQL[@]}" -c "VACUUM ANALYZE" "$DB"
SEED_SECONDS=$(($(date +%s) - T0))
read -r N_THREADS N_POSTS N_REACTIONS MAX_DEPTH MAX_POSTS MEDIAN_POSTS <<<"$("${PSQL[@]}" -F ' ' -c "
    SELECT (SELECT count(*) FROM forum_threads), (SELECT count(*) FROM forum_posts),
           (SELECT count(*) FROM forum_reactions), (SELECT max(cardinality(path)) - 1 FROM forum_posts),
           (SELECT max(post_count) FROM forum_threads),
           (SELECT percentile_disc(0.5) WITHIN GROUP (ORDER BY post_count) FROM forum_threads)" "$DB")"
PAGE_THREADS=$("${PSQL[@]}" -c "SELECT count(*) FROM bench_threads" "$DB")
"${PSQL[@]}" -c "SELECT id FROM bench_threads ORDER BY n" "$DB" >"$WORK/threads.txt"
echo "seeded in ${SEED_SECONDS}s: $N_THREADS threads ($PAGE_THREADS with a full first page; median $MEDIAN_POSTS posts, max $MAX_POSTS), $N_POSTS posts (deepest reply at depth $MAX_DEPTH), $N_REACTIONS reactions"

# --- Search terms: by how many posts they find ----------------------------------------------
# Common words (the 4 most frequent), medium ones (8, in 1 to 5 % of the posts), rare made-up
# names (8, in 3 or more posts) and 4 two-word queries (a common and a medium word).
"${PSQL[@]}" -F $'\t' "$DB" >"$WORK/terms.tsv" <<'SQL'
CREATE TEMP TABLE st AS SELECT word AS lexeme, ndoc FROM ts_stat('SELECT search FROM forum_posts');
CREATE TEMP TABLE cand AS
SELECT w.word, 'word' AS kind, st.ndoc
FROM bench_words w JOIN st ON st.lexeme = (SELECT lexeme FROM unnest(to_tsvector('english', w.word)) LIMIT 1)
UNION ALL
SELECT n.name, 'name', st.ndoc
FROM bench_names n JOIN st ON st.lexeme = (SELECT lexeme FROM unnest(to_tsvector('english', n.name)) LIMIT 1);
CREATE TEMP TABLE picked (band text, term text);
INSERT INTO picked SELECT 'common', word FROM (SELECT word FROM cand WHERE kind = 'word' ORDER BY ndoc DESC, word LIMIT 4) c;
INSERT INTO picked
SELECT 'medium', word FROM (
    SELECT word, row_number() OVER (ORDER BY ndoc, word) AS i, count(*) OVER () AS n
    FROM cand WHERE kind = 'word' AND ndoc BETWEEN (SELECT count(*) FROM forum_posts) / 100 AND (SELECT count(*) FROM forum_posts) / 20) m
WHERE i % greatest(n / 8, 1) = 0 ORDER BY i LIMIT 8;
INSERT INTO picked
SELECT 'rare', word FROM (
    SELECT word, row_number() OVER (ORDER BY word) AS i, count(*) OVER () AS n FROM cand WHERE kind = 'name' AND ndoc >= 3) r
WHERE i % greatest(n / 8, 1) = 0 ORDER BY i LIMIT 8;
INSERT INTO picked
SELECT 'two words', c.term || ' ' || m.term
FROM (SELECT term, row_number() OVER (ORDER BY term) AS i FROM picked WHERE band = 'common') c
JOIN (SELECT term, row_number() OVER (ORDER BY term) AS i FROM picked WHERE band = 'medium') m ON m.i = c.i;
SELECT band, term, (SELECT count(*) FROM forum_posts WHERE search @@ websearch_to_tsquery('english', term)
                    AND deleted_at IS NULL AND hidden_at IS NULL) FROM picked;
SQL
TERMS=$(wc -l <"$WORK/terms.tsv")
cut -f 2 "$WORK/terms.tsv" | sed 's/ /%20/g' >"$WORK/terms-url.txt"
band_hits() { # $1 band: "min-max" posts found by its terms
    awk -F '\t' -v b="$1" '$1 == b { if (min == "" || $3 < min) min = $3; if ($3 > max) max = $3 }
        END { printf "%s-%s", min, max }' "$WORK/terms.tsv"
}
echo "search terms: $TERMS (posts found: common $(band_hits common), medium $(band_hits medium), rare $(band_hits rare), two words $(band_hits 'two words'))"

# --- Access tokens of every author (HS256, the claims of src/modules/identity/authn.rs) -----
"${PSQL[@]}" -c "SELECT user_id, session_id FROM bench_authors ORDER BY n" "$DB" \
    | python3 -c '
import base64, hashlib, hmac, json, sys, time, uuid
secret = sys.argv[1].encode()
now = int(time.time())
b64 = lambda b: base64.urlsafe_b64encode(b).rstrip(b"=").decode()
header = b64(json.dumps({"typ": "JWT", "alg": "HS256"}, separators=(",", ":")).encode())
for line in sys.stdin:
    user, session = line.strip().split("|")
    claims = {"sub": user, "sid": session, "iat": now, "exp": now + 6 * 3600, "jti": str(uuid.uuid4())}
    payload = b64(json.dumps(claims, separators=(",", ":")).encode())
    sig = b64(hmac.new(secret, f"{header}.{payload}".encode(), hashlib.sha256).digest())
    print(f"{header}.{payload}.{sig}")
' "$AZORA__SECURITY__JWT_SECRET" >"$WORK/tokens.txt"
TOKEN=$(head -n 1 "$WORK/tokens.txt")

# --- Check the routes and capture the statements of one request of each ---------------------
get_status() { # $1 path: prints the status, the body goes to $WORK/response.json
    curl -sS -o "$WORK/response.json" -w '%{http_code}' -H "Authorization: Bearer $TOKEN" "$BASE$1"
}
capture() { # $1 path, $2 output (JSON: the statements with their parameters)
    local offset status
    offset=$(stat -c %s "$PG_LOG")
    status=$(get_status "$1")
    sleep 0.5
    if [[ "$status" != 200 ]]; then
        echo "GET $1 answered $status: $(head -c 500 "$WORK/response.json")" >&2
        exit 1
    fi
    python3 - "$PG_LOG" "$offset" "$DB" >"$2" <<'PY'
# The statements one database ran since `offset` in a stderr-format log (log_line_prefix
# '%m [%p] %q%u@%d '): simple ones and executes of prepared ones, each with its parameters.
import json, re, sys
path, offset, db = sys.argv[1], int(sys.argv[2]), sys.argv[3]
with open(path, "rb") as f:
    f.seek(offset)
    text = f.read().decode("utf-8", "replace")
head = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(?:\.\d+)? \S+ \[(\d+)\] (\S*)@(\S*) ([A-Z]+):  (.*)$")
entries = []
for line in text.split("\n"):
    m = head.match(line)
    if m:
        entries.append([m.group(1), m.group(3), m.group(4), m.group(5)])
    elif line.startswith("\t") and entries:
        entries[-1][3] += "\n" + line[1:]
out, last = [], {}
for pid, d, level, msg in entries:
    if d != db:
        continue
    m = re.match(r"(?s)(?:statement|execute [^:]*): (.*)", msg) if level == "LOG" else None
    if m:
        out.append({"sql": m.group(1), "params": {}})
        last[pid] = out[-1]
    elif level == "DETAIL" and msg.startswith("parameters: ") and pid in last:
        for n, v, s in re.findall(r"\$(\d+) = (NULL|'((?:[^']|'')*)')", msg):
            last[pid]["params"][n] = None if v == "NULL" else s.replace("''", "'")
json.dump(out, sys.stdout, indent=1)
PY
}
FIRST_THREAD=$(head -n 1 "$WORK/threads.txt")
FIRST_TERM=$(awk -F '\t' '$1 == "medium" { print $2; exit }' "$WORK/terms.tsv")
PAGE_PATH="/api/v1/forums/threads/$FIRST_THREAD/posts?order=tree&limit=20"
SEARCH_PATH="/api/v1/forums/search?q=$FIRST_TERM"
"${PSQL[@]}" -c "ALTER DATABASE $DB SET log_statement = 'all'" postgres
# Background workers (mail, the audit sealer) stay quiet after their first round, so only the
# requests are logged.
AZORA__MAIL__POLL_INTERVAL_MS=3600000 AZORA__AUDIT__SEAL_INTERVAL_MS=3600000 \
    AZORA__AUDIT__FAILOVER_POLL_MS=3600000 start_server
for _ in 1 2 3 4 5 6 7 8; do # warms the pool's statement caches (and the session's last_seen_at)
    get_status "$PAGE_PATH" >/dev/null
    get_status "$SEARCH_PATH" >/dev/null
done
sleep 0.3
capture "$PAGE_PATH" "$WORK/page-statements.json"
# The page answers 20 posts of the thread, in tree order, each with its author and reactions.
FIRST_POSTS=$("${PSQL[@]}" -c "SELECT posts FROM bench_threads WHERE n = 1" "$DB")
python3 - "$WORK/response.json" "$FIRST_POSTS" <<'PY' || { echo "the thread page is not what the benchmark expects: $(head -c 600 "$WORK/response.json")" >&2; exit 1; }
import json, sys
page = json.load(open(sys.argv[1]))
items = page["items"]
assert len(items) == 20, f"{len(items)} posts"
assert items[0]["depth"] == 0 and items[0]["number"] == 1, "the root first"
assert all(i["author_name"] for i in items), "author names"
assert bool(page["next_cursor"]) == (int(sys.argv[2]) > 20), "a next page when the thread has more"
PY
PAGE_REACTED=$(python3 -c 'import json,sys; print(sum(1 for i in json.load(open(sys.argv[1]))["items"] if i["reactions"]))' "$WORK/response.json")
capture "$SEARCH_PATH" "$WORK/search-statements.json"
SEARCH_TOTAL=$(python3 -c 'import json,sys; p = json.load(open(sys.argv[1])); print(p["total"], len(p["items"]))' "$WORK/response.json")
stop_server
"${PSQL[@]}" -c "ALTER DATABASE $DB RESET log_statement" postgres

# --- pgbench scripts from the captured statements -------------------------------------------
# page.pgbench: the posts list query; page-all.pgbench: every statement of the request.
# search-K.pgbench: the search statement with term K; search-all-K.pgbench: every statement.
# Each also checks the captured text against the one the source builds.
python3 - "$WORK" "$FIRST_THREAD" "$FIRST_TERM" "$PAGE_THREADS" >"$WORK/extract.txt" <<'PY'
import json, re, sys
work, thread, term, nthreads = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4]

def rust_const(path, name):
    src = open(path).read()
    m = re.search(r'const %s: &str = "(.*?)";' % name, src, re.S)
    return m.group(1) if m else None

def rust_format(path, pattern):
    """The first format string literal of `path` that matches `pattern`."""
    for m in re.finditer(r'"((?:[^"\\]|\\.)*)"', open(path).read(), re.S):
        if re.search(pattern, m.group(1), re.S):
            return m.group(1)
    return None

post_view = rust_const("src/modules/forums/posts.rs", "POST_VIEW")
tree = rust_format("src/modules/forums/posts.rs", r"^\{POST_VIEW\} WHERE p\.thread_id = \$3 AND p\.path >")
page_src = (tree or "").replace("{POST_VIEW}", post_view or "")
matches = rust_const("src/modules/forums/search.rs", "MATCHES")
search_fmt = rust_format("src/modules/forums/search.rs", r"^WITH ranked AS .*hits AS")
search_src = (search_fmt or "").replace("{MATCHES}", matches or "")

def literal(v):
    return "NULL" if v is None else "'" + v.replace("'", "''") + "'"

def pgbench_sql(stmt, subst):
    """The statement with each parameter replaced: by subst(value) when it gives one, else a literal."""
    def one(m):
        v = stmt["params"].get(m.group(1))
        s = subst(v)
        return s if s is not None else literal(v)
    sql = re.sub(r"\$(\d+)(?!\d)", one, stmt["sql"])
    return sql.rstrip().rstrip(";") + ";\n"

def skip(stmt):  # once a minute per session, not per request
    return stmt["sql"].lstrip().upper().startswith("UPDATE SESSIONS")

page = json.load(open(f"{work}/page-statements.json"))
search = json.load(open(f"{work}/search-statements.json"))
list_stmt = [s for s in page if re.search(r"ORDER BY p\.path LIMIT", s["sql"])]
search_stmt = [s for s in search if "websearch_to_tsquery" in s["sql"] and "ts_rank" in s["sql"]]
if len(list_stmt) != 1 or len(search_stmt) != 1:
    sys.exit(f"expected one posts list and one search statement, found {len(list_stmt)} and {len(search_stmt)}")
list_stmt, search_stmt = list_stmt[0], search_stmt[0]

pick = "(SELECT id FROM bench_threads WHERE n = :n)"
thread_subst = lambda v: pick if v == thread else None
header = f"\\set n random(1, {nthreads})\n"
open(f"{work}/page.pgbench", "w").write(header + pgbench_sql(list_stmt, thread_subst))
page_all = [s for s in page if not skip(s)]
open(f"{work}/page-all.pgbench", "w").write(header + "".join(pgbench_sql(s, thread_subst) for s in page_all))
# The search's EXPLAIN: the statement with $1 left as the term's parameter.
open(f"{work}/search-template.sql", "w").write(pgbench_sql(search_stmt, lambda v: ":'term'" if v == term else None))
open(f"{work}/page-template.sql", "w").write(pgbench_sql(list_stmt, lambda v: ":'thread'" if v == thread else None))
terms = [l.rstrip("\n").split("\t")[1] for l in open(f"{work}/terms.tsv")]
search_all = [s for s in search if not skip(s)]
for k, _ in enumerate(terms):
    q = lambda v: f":q{k}" if v == term else None
    open(f"{work}/search-{k}.pgbench", "w").write(pgbench_sql(search_stmt, q))
    open(f"{work}/search-all-{k}.pgbench", "w").write("".join(pgbench_sql(s, q) for s in search_all))
print("page_same", "yes" if list_stmt["sql"] == page_src else "NO")
print("search_same", "yes" if search_stmt["sql"] == search_src else "NO")
print("page_statements", len(page_all))
print("search_statements", len(search_all))
print("page_params", " ".join(f"${n}={'<thread>' if v == thread else literal(v)}" for n, v in sorted(list_stmt["params"].items(), key=lambda x: int(x[0]))))
print("search_params", " ".join(f"${n}={'<term>' if v == term else literal(v)}" for n, v in sorted(search_stmt["params"].items(), key=lambda x: int(x[0]))))
PY
X() { awk -v k="$1" '$1 == k { $1 = ""; sub(/^ /, ""); print; exit }' "$WORK/extract.txt"; }
SEARCH_ARGS=() SEARCH_ALL_ARGS=()
k=0
while IFS=$'\t' read -r _ term _; do
    SEARCH_ARGS+=(-D "q$k=$term" -f "$WORK/search-$k.pgbench")
    SEARCH_ALL_ARGS+=(-D "q$k=$term" -f "$WORK/search-all-$k.pgbench")
    k=$((k + 1))
done <"$WORK/terms.tsv"

# --- Plans (EXPLAIN ANALYZE, a warm cache): the largest thread's first page, the search for
# the commonest term and for a rare one --------------------------------------------------------
BIG_THREAD=$("${PSQL[@]}" -c "SELECT id FROM forum_threads ORDER BY post_count DESC, id LIMIT 1" "$DB")
COMMON_TERM=$(awk -F '\t' '$1 == "common" { print $2; exit }' "$WORK/terms.tsv")
RARE_TERM=$(awk -F '\t' '$1 == "rare" { print $2; exit }' "$WORK/terms.tsv")
explain() { # $1 template, $2 variable, $3 value, $4 title
    printf -- '--- %s\n' "$4" >>"$WORK/plans.txt"
    { echo "SET client_min_messages = warning;"; printf 'EXPLAIN (ANALYZE, BUFFERS) '; cat "$1"; } >"$WORK/explain.sql"
    "${PSQL[@]}" -v "$2=$3" -f "$WORK/explain.sql" "$DB" >/dev/null # warm
    "${PSQL[@]}" -v "$2=$3" -f "$WORK/explain.sql" "$DB" >>"$WORK/plans.txt"
    awk '/^Execution Time/ { t = $3 } END { print t }' "$WORK/plans.txt"
}
PLAN_PAGE_MS=$(explain "$WORK/page-template.sql" thread "$BIG_THREAD" "posts list, the largest thread")
PLAN_COMMON_MS=$(explain "$WORK/search-template.sql" term "$COMMON_TERM" "search '$COMMON_TERM' (common)")
PLAN_RARE_MS=$(explain "$WORK/search-template.sql" term "$RARE_TERM" "search '$RARE_TERM' (rare)")

# --- CPU: the machine's, the server's, this database's backends', the client's --------------
# Others may share the machine (builds, tests): what none of these used shows as "not ours".
# A sampler reads the CPU time of this database's backends (by their process title) every
# 0.2 s; backends that start during the run count from zero.
CLK=$(getconf CLK_TCK)
SAMPLER='
import os, signal, sys, time
db, out = sys.argv[1], sys.argv[2]
base, last, stop = {}, {}, []
def scan(initial):
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            title = open(f"/proc/{d}/cmdline", "rb").read().split(b"\0")[0].decode(errors="replace")
            if not title.startswith("postgres: ") or db not in title.split():
                continue
            f = open(f"/proc/{d}/stat").read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        t = int(f[11]) + int(f[12])
        base.setdefault(d, t if initial else 0)
        last[d] = t
signal.signal(signal.SIGTERM, lambda *_: stop.append(1))
scan(True)
while not stop:
    time.sleep(0.2)
    scan(False)
open(out, "w").write(str(sum(last[p] - base[p] for p in last)))
'
busy_ticks() { awk '/^cpu / { print $2 + $3 + $4 + $7 + $8 + $9 }' /proc/stat; }
server_ticks() { [[ -n "$SERVER" ]] && awk '{ print $14 + $15 }' "/proc/$SERVER/stat" 2>/dev/null || echo 0; }
# Runs the command after $1 (its output in $WORK/$1.out) and prints
# "busy% server_s postgres_s client_s other_s" for the time it ran.
measure() {
    local name=$1 sampler b0 s0 t0 b1 s1 t1 times
    shift
    python3 -c "$SAMPLER" "$DB" "$WORK/$name.pg" &
    sampler=$!
    sleep 0.3
    b0=$(busy_ticks) s0=$(server_ticks) t0=$(date +%s%N)
    times=$( { TIMEFORMAT='%U %S'; time "$@" >"$WORK/$name.out" 2>&1; } 2>&1 ) || {
        echo "$* failed:" >&2
        tail -n 20 "$WORK/$name.out" >&2
        kill -TERM "$sampler"
        return 1
    }
    b1=$(busy_ticks) s1=$(server_ticks) t1=$(date +%s%N)
    kill -TERM "$sampler"
    wait "$sampler" || true
    awk -v b="$((b1 - b0))" -v s="$((s1 - s0))" -v pg="$(cat "$WORK/$name.pg" 2>/dev/null || echo 0)" \
        -v c="$times" -v ns="$((t1 - t0))" -v clk="$CLK" -v cores="$(nproc)" 'BEGIN {
        split(c, ct, " "); client = ct[1] + ct[2]; wall = ns / 1e9
        busy = b / clk; server = s / clk; pg = pg / clk
        printf "%.0f %.1f %.1f %.1f %.1f\n", 100 * busy / (wall * cores), server, pg, client, busy - server - pg - client }'
}

# --- The API under wrk ------------------------------------------------------------------------
lua_lists='
local tokens, items = {}, {}
local threads = 0
function setup(thread)
    thread:set("tid", threads)
    threads = threads + 1
end
local function load(path, into) for line in io.lines(path) do into[#into + 1] = line end end'
cat >"$WORK/page.lua" <<LUA
$lua_lists
function init(args)
    load("$WORK/tokens.txt", tokens)
    load("$WORK/threads.txt", items)
    math.randomseed(os.time() + 7919 * (tid or 0))
end
function request()
    return wrk.format("GET", "/api/v1/forums/threads/" .. items[math.random(#items)] .. "/posts?order=tree&limit=20",
        { ["Authorization"] = "Bearer " .. tokens[math.random(#tokens)] })
end
LUA
cat >"$WORK/search.lua" <<LUA
$lua_lists
function init(args)
    load("$WORK/tokens.txt", tokens)
    load("$WORK/terms-url.txt", items)
    math.randomseed(os.time() + 7919 * (tid or 0))
end
function request()
    return wrk.format("GET", "/api/v1/forums/search?q=" .. items[math.random(#items)],
        { ["Authorization"] = "Bearer " .. tokens[math.random(#tokens)] })
end
LUA
run_wrk() { # $1 name, $2 connections, $3 lua script: prints "rps p50 p99 non2xx errors cpu..."
    local usage
    wrk -t2 -c"$2" -d"${WARMUP}s" -s "$3" "$BASE" >/dev/null
    usage=$(measure "$1" wrk -t2 -c"$2" -d"${SECONDS_PER_RUN}s" --latency -s "$3" "$BASE")
    awk '
        /Requests\/sec/ { rps = sprintf("%.1f", $2) }
        $1 == "50%" { p50 = $2 }
        $1 == "99%" { p99 = $2 }
        /Non-2xx/ { non2xx = $NF }
        /Socket errors/ { errors = $0; sub(/^ */, "", errors); gsub(/ /, "_", errors) }
        END { printf "%s %s %s %s %s ", rps, p50, p99, non2xx + 0, errors == "" ? "-" : errors }' "$WORK/$1.out"
    echo "$usage"
}
# --- The same SQL under pgbench ---------------------------------------------------------------
run_pgbench() { # $1 name, $2 clients, then the scripts: prints "tps p50 p99 cpu..."
    local name=$1 clients=$2 usage tps
    shift 2
    local args=(-h 127.0.0.1 -U postgres -n -M prepared -c "$clients" -j 2 "$@")
    pgbench "${args[@]}" -T "$WARMUP" "$DB" >/dev/null 2>&1 || true
    usage=$(measure "$name" pgbench "${args[@]}" -T "$SECONDS_PER_RUN" -l --log-prefix="$WORK/$name-log" "$DB")
    if ! grep -q "number of failed transactions: 0 " "$WORK/$name.out"; then
        echo "pgbench $name had failures; see $WORK/$name.out" >&2
    fi
    tps=$(awk '/^tps/ { printf "%.1f", $3; exit }' "$WORK/$name.out")
    # Per-transaction log: field 3 is the latency in microseconds, field 4 the script number.
    cat "$WORK/$name-log".* >"$WORK/$name.log"
    rm -f "$WORK/$name-log".*
    awk '{ print $3 }' "$WORK/$name.log" | sort -n | awk -v tps="$tps" '
        { v[NR] = $1 }
        END {
            if (NR == 0) { printf "%s - - ", tps; exit }
            i50 = int(NR * 0.50); i99 = int(NR * 0.99)
            if (i50 < 1) i50 = 1
            if (i99 < 1) i99 = 1
            printf "%s %.2fms %.2fms ", tps, v[i50] / 1000, v[i99] / 1000
        }'
    echo "$usage"
}
# --- The runs: each API run next to its SQL baselines, so drift of the machine between
# them weighs little on the ratios (the server stops while pgbench runs: its pool and
# pgbench's clients together would hold 64 of Postgres's connections) ---------------------
start_server
echo "wrk: thread page, ${WARMUP}s warm-up, then ${SECONDS_PER_RUN}s at $PAGE_CLIENTS connections"
read -r P_RPS P_P50 P_P99 P_NON2XX P_ERRORS P_BUSY P_CPU_S P_CPU_PG P_CPU_C P_CPU_O <<<"$(run_wrk wrk-page "$PAGE_CLIENTS" "$WORK/page.lua")"
stop_server
echo "pgbench (a): the posts list query, ${SECONDS_PER_RUN}s at $PAGE_CLIENTS clients"
read -r A_TPS A_P50 A_P99 A_BUSY A_CPU_S A_CPU_PG A_CPU_C A_CPU_O <<<"$(run_pgbench pgb-page "$PAGE_CLIENTS" -f "$WORK/page.pgbench")"
echo "pgbench: every statement of a page request, ${SECONDS_PER_RUN}s at $PAGE_CLIENTS clients"
read -r AA_TPS AA_P50 AA_P99 AA_BUSY AA_CPU_S AA_CPU_PG AA_CPU_C AA_CPU_O <<<"$(run_pgbench pgb-page-all "$PAGE_CLIENTS" -f "$WORK/page-all.pgbench")"
start_server
echo "wrk: search, ${WARMUP}s warm-up, then ${SECONDS_PER_RUN}s at $SEARCH_CLIENTS connections"
read -r S_RPS S_P50 S_P99 S_NON2XX S_ERRORS S_BUSY S_CPU_S S_CPU_PG S_CPU_C S_CPU_O <<<"$(run_wrk wrk-search "$SEARCH_CLIENTS" "$WORK/search.lua")"
stop_server
echo "pgbench (b): the search statement, ${SECONDS_PER_RUN}s at $SEARCH_CLIENTS clients"
read -r B_TPS B_P50 B_P99 B_BUSY B_CPU_S B_CPU_PG B_CPU_C B_CPU_O <<<"$(run_pgbench pgb-search "$SEARCH_CLIENTS" "${SEARCH_ARGS[@]}")"
echo "pgbench: every statement of a search request, ${SECONDS_PER_RUN}s at $SEARCH_CLIENTS clients"
read -r BA_TPS BA_P50 BA_P99 BA_BUSY BA_CPU_S BA_CPU_PG BA_CPU_C BA_CPU_O <<<"$(run_pgbench pgb-search-all "$SEARCH_CLIENTS" "${SEARCH_ALL_ARGS[@]}")"

# The search statement's latency by band of terms (script K is term K), from pgbench's log.
band_latency() { # $1 band: "p50 / p99 ms (transactions)"
    awk -v want="$1" 'NR == FNR { split($0, f, "\t"); band[NR - 1] = f[1]; next }
        band[$4] == want { print $3 }' "$WORK/terms.tsv" "$WORK/pgb-search.log" | sort -n | awk '
        { v[NR] = $1 }
        END {
            if (NR == 0) { print "-"; exit }
            i50 = int(NR * 0.50); i99 = int(NR * 0.99)
            if (i50 < 1) i50 = 1
            if (i99 < 1) i99 = 1
            printf "%.1f / %.1f ms (%d)", v[i50] / 1000, v[i99] / 1000, NR }'
}

# --- The table ----------------------------------------------------------------------------------
P_RATIO=$(ratio "$P_RPS" "$A_TPS")
S_RATIO=$(ratio "$S_RPS" "$B_TPS")
S_P99_MS=$(ms "$S_P99")
ELAPSED=$(($(date +%s) - T0))
printf '\n== Azora forums benchmark (%s cores, pool %s, %ss runs, %s threads, %s posts; run %ss) ==\n' \
    "$(nproc)" "$AZORA__DATABASE__MAX_CONNECTIONS" "$SECONDS_PER_RUN" "$N_THREADS" "$N_POSTS" "$ELAPSED"
printf '%-50s %s\n' "threads paged (a full first page)" "$PAGE_THREADS (median thread $MEDIAN_POSTS posts, max $MAX_POSTS)"
printf '%-50s %s\n' "a page checked: posts / with reactions" "20 / $PAGE_REACTED"
printf '%-50s %s\n' "search terms (posts found)" "$TERMS: common $(band_hits common), medium $(band_hits medium), rare $(band_hits rare), two words $(band_hits 'two words')"
printf '%-50s %s\n' "statements of a page request / a search request" "$(X page_statements) / $(X search_statements)"
printf '%-50s %s\n' "posts list SQL = POST_VIEW + tree page (posts.rs)" "$(X page_same)"
printf '%-50s %s\n' "search SQL = search_sql() (search.rs)" "$(X search_same)"
printf '%-50s %s\n' "posts list parameters" "$(X page_params)"
printf '%-50s %s\n' "search parameters" "$(X search_params)"
printf '%-50s %s\n' "EXPLAIN ANALYZE: largest thread's page" "$PLAN_PAGE_MS ms (thread of $MAX_POSTS posts)"
printf '%-50s %s\n' "EXPLAIN ANALYZE: search '$COMMON_TERM' / '$RARE_TERM'" "$PLAN_COMMON_MS / $PLAN_RARE_MS ms"
printf '%-50s %s\n' "search SQL p50 / p99 by band (pgbench, $SEARCH_CLIENTS clients):" ""
for band in common medium rare "two words"; do
    printf '  %-48s %s\n' "$band ($(band_hits "$band") posts)" "$(band_latency "$band")"
done
printf '\n%-46s %10s %10s %10s\n' "" "rate (/s)" "p50" "p99"
printf '%-46s %10s %10s %10s\n' "thread page, $PAGE_CLIENTS connections (wrk)" "$P_RPS" "$P_P50" "$P_P99"
printf '%-46s %10s %10s %10s\n' "(a) posts list query (pgbench)" "$A_TPS" "$A_P50" "$A_P99"
printf '%-46s %10s %10s %10s\n' "    every statement of the page (pgbench)" "$AA_TPS" "$AA_P50" "$AA_P99"
printf '%-46s %10s %10s %10s\n' "search, $SEARCH_CLIENTS connections (wrk)" "$S_RPS" "$S_P50" "$S_P99"
printf '%-46s %10s %10s %10s\n' "(b) search statement (pgbench)" "$B_TPS" "$B_P50" "$B_P99"
printf '%-46s %10s %10s %10s\n' "    every statement of the search (pgbench)" "$BA_TPS" "$BA_P50" "$BA_P99"
printf '%-46s %s\n' "non-2xx responses (page / search)" "$P_NON2XX / $S_NON2XX"
[[ "$P_ERRORS" != - ]] && printf '%-46s %s\n' "  wrk (page)" "${P_ERRORS//_/ }"
[[ "$S_ERRORS" != - ]] && printf '%-46s %s\n' "  wrk (search)" "${S_ERRORS//_/ }"
printf '%-46s %s\n' "CPU s: server / Postgres (this db) / client / not ours" ""
for run in "thread page (wrk):P" "posts list (pgbench):A" "every statement of the page (pgbench):AA" \
    "search (wrk):S" "search statement (pgbench):B" "every statement of the search (pgbench):BA"; do
    v=${run#*:}
    b="${v}_BUSY" s="${v}_CPU_S" g="${v}_CPU_PG" c="${v}_CPU_C" o="${v}_CPU_O"
    printf '  %-44s %s / %s / %s / %s (machine %s %% busy)\n' "${run%:*}" "${!s}" "${!g}" "${!c}" "${!o}" "${!b}"
    if awk -v o="${!o}" -v t="$SECONDS_PER_RUN" -v cores="$(nproc)" 'BEGIN { exit !(o + 0 > 0.05 * t * cores) }'; then
        echo "  WARNING: other processes used more than 5 % of the machine here: it was shared"
    fi
done
printf '\n%-34s %11s %11s %8s %10s  %s\n' "test" "measured" "baseline" "ratio" "target" "result"
printf '%-34s %11s %11s %7s%% %10s  %s\n' "thread page req/s ($PAGE_CLIENTS clients)" "$P_RPS" "$A_TPS" "$P_RATIO" ">= $PAGE_RATIO_TARGET %" \
    "$(verdict "$P_RATIO" '>=' "$PAGE_RATIO_TARGET")"
printf '%-34s %11s %11s %7s%% %10s  %s\n' "search req/s ($SEARCH_CLIENTS clients)" "$S_RPS" "$B_TPS" "$S_RATIO" ">= $SEARCH_RATIO_TARGET %" \
    "$(verdict "$S_RATIO" '>=' "$SEARCH_RATIO_TARGET")"
printf '%-34s %11s %11s %8s %10s  %s\n' "search p99 ms ($SEARCH_CLIENTS clients)" "$S_P99_MS" "$(ms "$B_P99")" "-" "< $SEARCH_P99_TARGET_MS ms" \
    "$(verdict "$S_P99_MS" '<' "$SEARCH_P99_TARGET_MS")"
if [[ "$P_NON2XX" != 0 || "$S_NON2XX" != 0 || "$P_ERRORS" != - || "$S_ERRORS" != - ]]; then
    echo "WARNING: some requests failed; the server log is $WORK/server.log (BENCH_KEEP=1 keeps it)"
fi
if [[ -s "$WORK/server.log" ]] && grep -qiE 'error|panic' "$WORK/server.log"; then
    echo "server.log: $(grep -ciE 'error|panic' "$WORK/server.log") error lines; the first 5:"
    grep -m 5 -iE 'error|panic' "$WORK/server.log" | sed 's/\x1b\[[0-9;]*m//g'
fi
