#!/usr/bin/env bash
# API contract stage: the served OpenAPI document must be valid OpenAPI 3.1, and every operation
# must keep its promises when schemathesis drives it, signed in once as the demo student and once
# as the demo admin: no 5xx, no undocumented status, no response outside its schema (all checks).
#
#   .ci/api-contract.sh [path/to/azora]        (default: target/debug/azora)
#
# Steps: (a) a Python venv with pinned schemathesis and openapi-spec-validator; (b) a fresh
# database `azora_ci_contract`, migrated and seeded with the demo data, and the binary serving it
# on a free loopback port; (c) openapi-spec-validator on /api-docs/openapi.json; (d) for each role,
# sign in, create throwaway resources for the destructive operations and collect real ids for
# every path parameter into a generated schemathesis.toml; (e) schemathesis with all checks, a
# bounded number of examples and a fixed seed, under a timeout; (f) a summary, non-zero exit on
# any failure; (g) the server is stopped and the database dropped on every exit.
#
# Knobs (environment): AZORA_CI_VENV (venv folder, default ~/.cache/azora-ci-venv),
# AZORA_CI_PG_URL (server URL without a database, default postgres://postgres@127.0.0.1:5432),
# AZORA_CI_MAX_EXAMPLES (fuzzing examples per operation, default 30), AZORA_CI_SEED (default
# 20251130), AZORA_CI_WORKERS (schemathesis workers, default 1), AZORA_CI_RUN_TIMEOUT (seconds per
# schemathesis run, default 600), AZORA_CI_REPORT_DIR (reports, server log and generated configs;
# default target/api-contract), AZORA_CI_ROLES (default "student admin"), AZORA_CI_ST_ARGS (more
# `st run` arguments, e.g. "--include-operation-id get_course" while fixing one operation).
set -euo pipefail

started=$(date +%s)
bin_arg=${1:-}
cd "$(dirname "$0")/.."
if [[ -n "$bin_arg" ]]; then
    case "$bin_arg" in /*) ;; *) bin_arg="$OLDPWD/$bin_arg" ;; esac
    BIN=$bin_arg
else
    BIN=target/debug/azora
fi
[[ -x "$BIN" ]] || { echo "api-contract: no executable at $BIN (build it first: cargo build)" >&2; exit 2; }
BIN=$(cd "$(dirname "$BIN")" && pwd)/$(basename "$BIN")

# Pinned tools: verified to install and run with Python 3.11.
SCHEMATHESIS_VERSION=4.32.5
VALIDATOR_VERSION=0.9.0
VENV=${AZORA_CI_VENV:-$HOME/.cache/azora-ci-venv}
PG_URL=${AZORA_CI_PG_URL:-postgres://postgres@127.0.0.1:5432}
DB=azora_ci_contract
MAX_EXAMPLES=${AZORA_CI_MAX_EXAMPLES:-30}
SEED=${AZORA_CI_SEED:-20251130}
WORKERS=${AZORA_CI_WORKERS:-1}
RUN_TIMEOUT=${AZORA_CI_RUN_TIMEOUT:-600}
ROLES=${AZORA_CI_ROLES:-student admin}
REPORT_DIR=${AZORA_CI_REPORT_DIR:-target/api-contract}

log() { echo "api-contract: $*"; }

# --- (a) tools ----------------------------------------------------------------------------------
py_ok() { [[ -x "$VENV/bin/python" ]] && "$VENV/bin/python" -c 'import sys; sys.exit(0)' 2>/dev/null; }
if ! py_ok; then
    log "creating the venv $VENV"
    rm -rf "$VENV"
    python3 -m venv "$VENV"
fi
installed=$("$VENV/bin/python" - <<'EOF'
import importlib.metadata as m
out = []
for name in ("schemathesis", "openapi-spec-validator"):
    try:
        out.append(f"{name}=={m.version(name)}")
    except m.PackageNotFoundError:
        out.append(f"{name}==none")
print(" ".join(out))
EOF
)
wanted="schemathesis==$SCHEMATHESIS_VERSION openapi-spec-validator==$VALIDATOR_VERSION"
if [[ "$installed" != "$wanted" ]]; then
    log "installing $wanted"
    # shellcheck disable=SC2086
    "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check $wanted
fi
ST=$VENV/bin/st
VALIDATOR=$VENV/bin/openapi-spec-validator

# --- (b) database and server -----------------------------------------------------------------
if ! pg_isready -h 127.0.0.1 -p 5432 -q 2>/dev/null && [[ "$PG_URL" == *127.0.0.1:5432* ]]; then
    log "starting Postgres"
    # shellcheck disable=SC2012 # as in .ci/run: the folder holds version numbers
    pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | sort -V | tail -n 1)" main start
    for _ in $(seq 1 30); do pg_isready -h 127.0.0.1 -p 5432 -q && break; sleep 1; done
fi

mkdir -p "$REPORT_DIR"
REPORT_DIR=$(cd "$REPORT_DIR" && pwd)
# Only what this script writes there (the folder may be shared).
for role in $ROLES; do rm -rf "${REPORT_DIR:?}/$role" "$REPORT_DIR/schemathesis-$role.toml"; done
rm -f "$REPORT_DIR"/{server,migrate,seed}.log "$REPORT_DIR"/openapi{.json,-validation.txt}
WORK=$(mktemp -d -t azora-api-contract.XXXXXX)
SERVER_PID=
SERVER_LOG=$REPORT_DIR/server.log

psql_admin() { psql "$PG_URL/postgres" -v ON_ERROR_STOP=1 -qAt "$@"; }
drop_db() { psql_admin -c "DROP DATABASE IF EXISTS $DB WITH (FORCE)" >/dev/null 2>&1 || true; }
# shellcheck disable=SC2317 # called by the trap
cleanup() {
    local rc=$?
    if [[ -n "$SERVER_PID" ]] && kill -0 "$SERVER_PID" 2>/dev/null; then
        kill -TERM "$SERVER_PID" 2>/dev/null || true
        for _ in $(seq 1 50); do kill -0 "$SERVER_PID" 2>/dev/null || break; sleep 0.2; done
        kill -KILL "$SERVER_PID" 2>/dev/null || true
        wait "$SERVER_PID" 2>/dev/null || true
    fi
    drop_db
    rm -rf "$WORK"
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

drop_db
psql_admin -c "CREATE DATABASE $DB" >/dev/null
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
BASE=http://127.0.0.1:$PORT

# Settings for a fuzzing client: long-lived tokens, no per-IP or per-account throttling (the run
# sends thousands of requests from one address, some of them failed sign-ins), cheap argon2 (the
# run signs in and registers often; a debug build hashes slowly), two HTTP workers on two cores.
server_env=(
    AZORA_ENV=development
    DATABASE_URL="$PG_URL/$DB"
    PORT="$PORT"
    AZORA__SERVER__HOST=127.0.0.1
    AZORA__SERVER__WORKERS=2
    AZORA__SERVER__SHUTDOWN_TIMEOUT_SECS=2
    AZORA__LOG__LEVEL=warn
    AZORA__SECURITY__ACCESS_TOKEN_TTL_SECS=86400
    AZORA__SECURITY__IP_REQUESTS_PER_MINUTE=1000000
    AZORA__SECURITY__IP_FAILURE_LIMIT=1000000
    AZORA__SECURITY__LOCKOUT_THRESHOLD=1000000
    AZORA__SECURITY__ARGON2_MEMORY_KIB=1024
    AZORA__SECURITY__ARGON2_ITERATIONS=1
    # The demo accounts are new: forum limits on new accounts would turn most posts into 429s.
    AZORA__FORUMS__NEW_ACCOUNT_DAYS=0
)
log "migrating and seeding $DB"
env "${server_env[@]}" "$BIN" migrate up >"$REPORT_DIR/migrate.log" 2>&1 \
    || { cat "$REPORT_DIR/migrate.log" >&2; exit 1; }
env "${server_env[@]}" "$BIN" seed >"$REPORT_DIR/seed.log" 2>&1 \
    || { cat "$REPORT_DIR/seed.log" >&2; exit 1; }
log "starting $BIN on $BASE"
env "${server_env[@]}" "$BIN" serve >"$SERVER_LOG" 2>&1 &
SERVER_PID=$!
ready=
for _ in $(seq 1 120); do
    if curl -fsS -o /dev/null "$BASE/health/ready" 2>/dev/null; then ready=1; break; fi
    kill -0 "$SERVER_PID" 2>/dev/null || break
    sleep 0.5
done
if [[ -z "$ready" ]]; then
    log "the server did not become ready; its log:" >&2
    tail -n 40 "$SERVER_LOG" >&2
    exit 1
fi

# --- (c) the document ---------------------------------------------------------------------------
declare -A result
failed=0
DOC=$WORK/openapi.json
curl -fsS "$BASE/api-docs/openapi.json" -o "$DOC"
cp "$DOC" "$REPORT_DIR/openapi.json"
log "validating the served document with openapi-spec-validator $VALIDATOR_VERSION (OpenAPI 3.1)"
if "$VALIDATOR" --schema 3.1 --validation-errors all "$DOC" >"$REPORT_DIR/openapi-validation.txt" 2>&1; then
    result[document]="ok"
else
    n=$(grep -c 'Validation Error' "$REPORT_DIR/openapi-validation.txt" || true)
    head -n 30 "$REPORT_DIR/openapi-validation.txt"
    log "$n error(s) in all: $REPORT_DIR/openapi-validation.txt"
    result[document]="FAILED: $n validation error(s)"
    failed=1
fi

# --- (d) ids and configuration per role ------------------------------------------------------
cat >"$WORK/collect.py" <<'PYEOF'
"""Prepare one schemathesis run: collect.py BASE_URL ROLE OPENAPI_JSON OUT_TOML TOKEN_FILE.

Signs in as the demo user of ROLE, creates throwaway resources (so that destructive operations
destroy something of their own, not what other operations need), collects a real id for every
path parameter of the document and real values for the body fields that name other resources,
and writes a schemathesis.toml: the bearer token, fuzz dictionaries for those body fields, and
one [[operations]] block per operation that needs its own values or settings.
"""

import json
import re
import sys
import urllib.error
import urllib.request
import uuid

BASE, ROLE, DOC, OUT, TOKEN_FILE = sys.argv[1:6]
API = BASE + "/api/v1"
PASSWORD = "Azora2025!"
EMAILS = {"student": "student@azora.world", "admin": "admin@azora.world", "employer": "employer@azora.world"}
TAG = uuid.uuid4().hex[:8]


class SetupError(Exception):
    pass


def call(method, path, token=None, body=None, headers=None, expect=(200, 201, 204)):
    h = {"content-type": "application/json", "accept": "application/json"}
    if token:
        h["authorization"] = "Bearer " + token
    h.update(headers or {})
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(API + path, method=method, headers=h, data=data)
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            status, text = r.status, r.read()
    except urllib.error.HTTPError as e:
        status, text = e.code, e.read()
    try:
        payload = json.loads(text) if text else None
    except ValueError:
        payload = text.decode(errors="replace")
    if expect and status not in expect:
        raise SetupError(f"{method} {path} -> {status}: {str(payload)[:400]}")
    return payload


def login(email):
    return call("POST", "/auth/login", body={"email": email, "password": PASSWORD})


def items(page):
    return page["items"] if isinstance(page, dict) and "items" in page else page


def say(msg):
    print(f"api-contract: [{ROLE}] {msg}", file=sys.stderr)


# Sign in: the run's session, plus two spare sessions of the same user: one for
# DELETE /me/sessions/{id} to revoke, one whose token POST /auth/logout ends.
admin = login(EMAILS["admin"])
ta = admin["access_token"]
me_login = login(EMAILS[ROLE])
token = me_login["access_token"]
me = me_login["user"]
spare_session = login(EMAILS[ROLE])["session_id"]
logout_token = login(EMAILS[ROLE])["access_token"]
student = me_login if ROLE == "student" else login(EMAILS["student"])
ts = student["access_token"]
employer = login(EMAILS["employer"])

# --- seeded data ---------------------------------------------------------------------------
courses = [c for c in items(call("GET", "/courses?per_page=100", ta)) if c["status"] == "published"]
if not courses:
    raise SetupError("the demo catalog is empty: was the database seeded?")
enrolled = {e["course_id"] for e in items(call("GET", "/me/enrollments", ts))}
# The richest seeded course: the student is enrolled and it has reviews (so it has progress,
# grades, reviews and quizzes to show).
seed_course = next((c for c in courses if c["id"] in enrolled and c.get("rating_count")), courses[0])
C_SEED = seed_course["id"]
seed_detail = call("GET", f"/courses/{C_SEED}", ta)
seed_lessons = [lsn["id"] for m in seed_detail["modules"] for lsn in m["lessons"]]
# A prerequisite for C_SEED that cannot close a cycle: a course that has none of its own.
prerequisite = next(c["id"] for c in courses if c["id"] != C_SEED and not call("GET", f"/courses/{c['id']}", ta)["prerequisites"])
org = items(call("GET", "/organizations", ta))[0]["id"]
roots = call("GET", "/categories", ta)
all_categories = [c["id"] for root in roots for c in [root, *root.get("children", [])]]
# PATCH /categories/{id} edits a leaf; any other category is then a parent that makes no cycle.
leaf = next(c["id"] for root in roots for c in root.get("children", []) if not c.get("children"))
parents = [c for c in all_categories if c != leaf]
learning_path = items(call("GET", "/learning-paths", ta))[0]["id"]
review = None
for c in courses:
    found = items(call("GET", f"/courses/{c['id']}/reviews", ta))
    if found:
        review = found[0]["id"]
        break
# A response in a grading queue (the seeded essay), else any submitted response; and a graded
# attempt of the student's, with its answers.
response_id, seeded_attempt = None, None
for c in courses:
    for quiz in call("GET", f"/courses/{c['id']}/quizzes", ts):
        for a in quiz.get("my_attempts") or []:
            if seeded_attempt is None and a.get("status") == "graded":
                seeded_attempt = a["id"]
        subs = call("GET", f"/quizzes/{quiz['id']}/submissions?status=all", ta, expect=None)
        if response_id is None and isinstance(subs, list) and subs:
            response_id = subs[0]["response_id"]
permissions = [p["key"] for p in call("GET", "/rbac/permissions", ta)]
role_names = [r["name"] for r in call("GET", "/rbac/roles", ta)]
currencies = sorted({row["currency"] for row in call("GET", "/wallet/metrics", ta)["today"]})

# --- throwaway resources, created by the admin -------------------------------------------
user_u = call(
    "POST",
    "/auth/register",
    body={"email": f"ci-{ROLE}-{TAG}@example.com", "password": f"Ci-{TAG}-pw!", "display_name": "CI throwaway"},
)["id"]
LESSON = {"kind": "text", "content": "CI", "duration_minutes": 5}
TRUE_FALSE = {"kind": "true_false", "correct": True, "points": "1"}


def course(title):
    return call("POST", "/courses", ta, {"title": f"{title} {TAG}", "summary": "CI", "description": "CI"})["id"]


def module(course_id, title):
    return call("POST", f"/courses/{course_id}/modules", ta, {"title": title})["id"]


def lesson(module_id, title):
    return call("POST", f"/modules/{module_id}/lessons", ta, {"title": title, **LESSON})["id"]


def question(quiz_id, prompt):
    return call("POST", f"/quizzes/{quiz_id}/questions", ta, {"prompt": prompt, **TRUE_FALSE})["id"]


def publish(course_id):
    call("POST", f"/courses/{course_id}/submit", ta)
    call("POST", f"/courses/{course_id}/publish", ta)


def enroll(course_id):
    key = f"ci-{TAG}-{course_id}"
    return call("POST", f"/courses/{course_id}/enroll", token, headers={"Idempotency-Key": key})["id"]


# The playground: structure to edit and delete, a quiz to attempt and one to edit.
c_tmp = course("CI playground")
m_keep = module(c_tmp, "Kept module")
m_del = module(c_tmp, "Doomed module")
l_keep = lesson(m_keep, "Kept lesson")
l_del = lesson(m_keep, "Doomed lesson")
lesson(m_del, "Lesson of the doomed module")
q_attempts = call("POST", f"/courses/{c_tmp}/quizzes", ta, {"title": "CI quiz to attempt"})["id"]
qn_attempts = question(q_attempts, "Is this CI?")
q_edit = call("POST", f"/courses/{c_tmp}/quizzes", ta, {"title": "CI quiz to edit"})["id"]
qn_keep = question(q_edit, "Kept question?")
qn_del = question(q_edit, "Doomed question?")
publish(c_tmp)
call("POST", f"/courses/{c_tmp}/instructors", ta, {"user_id": user_u})
call("POST", f"/organizations/{org}/members", ta, {"user_id": user_u})
assignment = call("POST", "/rbac/assignments", ta, {"user_id": user_u, "role": "guest", "scope_type": "global"})["id"]
# A course to delete and archive, and one whose enrollment the run drops.
c_del = course("CI doomed")
c_drop = course("CI to drop")
lesson(module(c_drop, "Only module"), "Only lesson")
publish(c_drop)

# --- the role's own things -------------------------------------------------------------------
# Money for paid enrollments (the admin has no USD wallet of its own).
for cur in ("USD", "AZR"):
    call("POST", "/wallet/mint", ta, {"user_id": me["id"], "currency": cur, "amount": "1000"}, expect=(200, 201, 409, 422))
enroll(c_tmp)
enrollment = enroll(c_drop)
# After the enrollments, so that they were not blocked by it.
call("POST", f"/courses/{c_tmp}/prerequisites", ta, {"prerequisite_id": C_SEED})
attempt = call("POST", f"/quizzes/{q_attempts}/attempts", token)["id"]
api_key = call("POST", "/me/api-keys", token, {"name": f"ci {TAG}", "permissions": ["course:read"]})["id"]
wallets = call("GET", "/wallets", token)
wallet = next(w["id"] for w in wallets if w["currency"] == "AZR")
employer_wallet = next(w["id"] for w in call("GET", "/wallets", employer["access_token"]) if w["currency"] == "AZR")
stakes = call("GET", "/wallet/stakes", token) or [call("POST", "/wallet/stakes", token, {"amount": "1", "term_days": 30})]
stake = stakes[0]["id"]
ledger_cursor = call("GET", f"/wallets/{wallet}/transactions?limit=1", token)["next_cursor"]
audit_cursor = call("GET", "/audit/logs?limit=1", ta)["next_cursor"]
# Users read: a student reads itself, an admin reads somebody else.
user_read = me["id"] if ROLE == "student" else student["user"]["id"]
course_progress = C_SEED if ROLE == "student" else c_tmp

# Certificates: throwaway platform badges (one per status operation, so that revoking does not
# turn suspending into a 409), awarded to the throwaway user; one awarded to the run's user, made
# public, for the read operations and its verification code.
def badge(name):
    return call("POST", "/badges", ta, {"name": f"{name} {TAG}", "criteria": "CI"})["id"]


def award(badge_id, user_id):
    return call("POST", f"/badges/{badge_id}/awards", ta, {"user_id": user_id})["id"]


b_mine = badge("CI badge of the run's user")
my_credential = award(b_mine, me["id"])
call("PATCH", f"/credentials/{my_credential}", token, {"public": True})
cred_revoke = award(badge("CI badge to revoke"), user_u)
cred_suspend = award(badge("CI badge to suspend"), user_u)
cred_unsuspend = award(badge("CI badge to unsuspend"), user_u)
call("POST", f"/credentials/{cred_unsuspend}/suspend", ta, {"reason": "CI"})
b_award = badge("CI badge to award")
my_document = call("GET", f"/credentials/{my_credential}", token)
status_lists = [e["statusListCredential"].rstrip("/").rsplit("/", 1)[-1]
                for e in my_document["credentialStatus"] if e.get("type") == "BitstringStatusListEntry"]
revocation_lists = [e["id"].split("/status-lists/", 1)[1].split("/", 1)[0]
                    for e in my_document["credentialStatus"] if e.get("type") == "1EdTechRevocationList"]
verification_code = items(call("GET", "/me/credentials", token))[0]["verification_code"]

# Chat: two groups of the run's user with the throwaway user (one to lose a member), messages,
# and a flag of the run's user to resolve.
room_g = call("POST", "/chat/rooms", token, {"kind": "group", "name": "CI room", "member_ids": [user_u]})["id"]
room_keep = call("POST", "/chat/rooms", token, {"kind": "group", "name": "CI room kept", "member_ids": [user_u]})["id"]
chat_msg = call("POST", f"/chat/rooms/{room_keep}/messages", token, {"body": "hello CI"})["id"]
chat_msg_del = call("POST", f"/chat/rooms/{room_keep}/messages", token, {"body": "to delete"})["id"]
chat_flag = call("POST", f"/chat/messages/{chat_msg}/flags", token, {"reason": "spam"})["id"]

# Forums: a site-wide forum of the admin's (the run's user posts there); a discussion with
# replies of the run's user (one to delete) and one of the admin's to split off; a question with
# the admin's answer; a thread to merge away; a ban of the throwaway user to lift.
forum = call("POST", "/forums", ta, {"scope_type": "global", "name": f"CI forum {TAG}"})["id"]
f_thread = call("POST", f"/forums/{forum}/threads", token, {"title": "CI thread about testing", "body": "hello CI"})["id"]
f_question = call("POST", f"/forums/{forum}/threads", token, {"title": "CI question", "body": "why CI?", "kind": "question"})["id"]
f_answer = call("POST", f"/forums/threads/{f_question}/posts", ta, {"body": "because testing"})["id"]
f_post = call("POST", f"/forums/threads/{f_thread}/posts", token, {"body": "a reply"})["id"]
f_post_del = call("POST", f"/forums/threads/{f_thread}/posts", token, {"body": "to delete"})["id"]
f_split = call("POST", f"/forums/threads/{f_thread}/posts", ta, {"body": "to split off"})["id"]
f_merge = call("POST", f"/forums/{forum}/threads", ta, {"title": "CI to merge", "body": "merge me"})["id"]
call("POST", f"/forums/{forum}/bans", ta, {"user_id": user_u})
f_paths = [p["path"] for p in call("GET", f"/forums/threads/{f_thread}/posts?order=tree", token)["items"]]

# --- path parameters, per operation --------------------------------------------------------
# Keyed by operationId; every {param} of the document must be covered (checked below).
params = {
    op: {"path.id": C_SEED}
    for op in (
        "get_course", "update_course", "course_analytics", "course_gradebook", "enroll",
        "add_instructor", "add_prerequisite", "create_module", "reorder_modules", "submit_course",
        "publish_course", "list_course_assessments", "create_assessment", "list_reviews", "post_review",
    )
}
params.update({
    "course_progress": {"path.id": course_progress},
    "delete_course": {"path.id": c_del},
    "archive_course": {"path.id": c_del},
    "remove_instructor": {"path.id": c_tmp, "path.user_id": user_u},
    "remove_prerequisite": {"path.id": c_tmp, "path.prerequisite_id": C_SEED},
    "update_module": {"path.id": m_keep},
    "create_lesson": {"path.id": m_keep},
    "reorder_lessons": {"path.id": m_keep},
    "delete_module": {"path.id": m_del},
    "get_lesson": {"path.id": l_keep},
    "update_lesson": {"path.id": l_keep},
    "record_progress": {"path.id": l_keep},
    "put_bookmark": {"path.id": l_keep},
    "delete_bookmark": {"path.id": l_keep},
    "delete_lesson": {"path.id": l_del},
    "get_assessment": {"path.id": q_edit},
    "update_assessment": {"path.id": q_edit},
    "add_question": {"path.id": q_edit},
    "list_submissions": {"path.id": q_edit},
    "update_question": {"path.id": qn_keep},
    "delete_question": {"path.id": qn_del},
    "start_attempt": {"path.id": q_attempts},
    "get_attempt": {"path.id": seeded_attempt or attempt},
    "save_responses": {"path.id": attempt},
    "submit_attempt": {"path.id": attempt},
    "drop_enrollment": {"path.id": enrollment},
    "update_category": {"path.id": leaf},
    "get_path": {"path.id": learning_path},
    "enroll_path": {"path.id": learning_path},
    "get_organization": {"path.id": org},
    "get_room": {"path.id": room_keep},
    "update_room": {"path.id": room_keep},
    "list_room_members": {"path.id": room_keep},
    "add_room_member": {"path.id": room_keep},
    "update_membership": {"path.id": room_keep},
    "list_messages": {"path.id": room_keep},
    "send_message": {"path.id": room_keep},
    "search_messages": {"path.id": room_keep},
    "mark_read": {"path.id": room_keep},
    "remove_room_member": {"path.id": room_g, "path.user_id": user_u},
    "get_message": {"path.id": chat_msg},
    "edit_message": {"path.id": chat_msg},
    "list_message_edits": {"path.id": chat_msg},
    "list_replies": {"path.id": chat_msg},
    "get_receipts": {"path.id": chat_msg},
    "flag_message": {"path.id": chat_msg},
    "add_reaction": {"path.id": chat_msg, "path.kind": "thumbs_up"},
    "remove_reaction": {"path.id": chat_msg, "path.kind": "heart"},
    "delete_message": {"path.id": chat_msg_del},
    "resolve_flag": {"path.id": chat_flag},
    **{op: {"path.id": forum} for op in (
        "get_forum", "update_forum", "list_threads", "create_thread", "similar_threads",
        "subscribe_forum", "list_forum_bans", "ban_from_forum",
    )},
    "lift_forum_ban": {"path.id": forum, "path.user_id": user_u},
    **{op: {"path.id": f_thread} for op in ("get_thread", "update_thread", "list_posts", "create_post", "subscribe_thread")},
    **{op: {"path.id": f_question} for op in ("accept_answer", "unaccept_answer")},
    "merge_thread": {"path.id": f_merge},
    **{op: {"path.id": f_post} for op in (
        "get_post", "edit_post", "list_post_revisions", "flag_post",
    )},
    "add_post_reaction": {"path.id": f_post, "path.kind": "thumbs_up"},
    "remove_post_reaction": {"path.id": f_post, "path.kind": "heart"},
    **{op: {"path.id": f_answer} for op in ("vote_post", "unvote_post")},
    "delete_post": {"path.id": f_post_del},
    "split_post": {"path.id": f_split},
    "list_lesson_threads": {"path.id": seed_lessons[0]},
    # A long poll waits up to `timeout` seconds: the fuzzer asks for none.
    "poll_events": {"query.timeout": 0},
    "update_organization": {"path.id": org},
    "list_members": {"path.id": org},
    "add_member": {"path.id": org},
    "remove_member": {"path.id": org, "path.user_id": user_u},
    "delete_assignment": {"path.id": assignment},
    "get_user": {"path.id": user_read},
    "get_user_permissions": {"path.id": user_read},
    # Suspends, deletes: only ever the throwaway user.
    "update_user_status": {"path.id": user_u},
    "revoke_my_api_key": {"path.id": api_key},
    # Never the run's own session.
    "revoke_my_session": {"path.id": spare_session},
    "get_wallet": {"path.id": wallet},
    "list_wallet_transactions": {"path.id": wallet},
    "unstake": {"path.id": stake},
    "get_credential": {"path.id": my_credential},
    "update_credential": {"path.id": my_credential},
    "credential_evidence": {"path.id": my_credential},
    "credential_pdf": {"path.id": my_credential},
    "badge_png": {"path.id": my_credential},
    "badge_svg": {"path.id": my_credential},
    "revoke_credential": {"path.id": cred_revoke},
    "suspend_credential": {"path.id": cred_suspend},
    "unsuspend_credential": {"path.id": cred_unsuspend},
    "get_badge": {"path.id": b_mine},
    "award_badge": {"path.id": b_award},
    "user_badges": {"path.id": me["id"]},
    "organization_did": {"path.id": org},
})
if status_lists:
    params["status_list"] = {"path.id": status_lists[0]}
if revocation_lists:
    params["revocation_list"] = {"path.id": revocation_lists[0]}
if verification_code:
    params["verify_code"] = {"path.code": verification_code}
if review:
    params["reply_review"] = {"path.id": review}
if response_id:
    params["grade_response"] = {"path.id": response_id}

# --- real values for fields that name other things ------------------------------------------------
# Fuzz dictionaries (schemathesis draws the field from them whenever it sends the field): a
# made-up id in a body is a 422 `no such ...` that no schema can prevent.
dictionaries = {
    "organizations": [org],
    "users": [employer["user"]["id"]],
    "published_courses": [c["id"] for c in courses if c["id"] != C_SEED],
    "prerequisites": [prerequisite],
    "categories": all_categories,
    "parent_categories": parents,
    "seed_lessons": seed_lessons,
    "own_wallets": [wallet],
    "other_wallets": [employer_wallet],
    "attempt_questions": [qn_attempts],
    "permissions": permissions,
    "roles": role_names,
    "currencies": currencies,
    "ledger_cursors": [ledger_cursor] if ledger_cursor else [],
    "audit_cursors": [audit_cursor] if audit_cursor else [],
    "room_messages": [chat_msg],
    "forums": [forum],
    "forum_threads": [f_thread],
    "forum_answers": [f_answer],
    "forum_posts": [f_post],
    "forum_paths": f_paths,
    # Times the server requires to lie ahead (API key expiry).
    "future_times": ["2099-01-01T00:00:00Z"],
}
dictionaries = {k: v for k, v in dictionaries.items() if v}
global_bindings = {
    "body.organization_id": "organizations",
    "body.user_id": "users",
    "body.category_ids[*]": "categories",
    "body.parent_id": "parent_categories",
    "body.from_wallet_id": "own_wallets",
    "body.to_wallet_id": "other_wallets",
    "body.currency": "currencies",
    "body.price.currency": "currencies",
    "body.permissions[*]": "permissions",
}
op_bindings = {
    "add_prerequisite": {"body.prerequisite_id": "prerequisites"},
    "create_assessment": {"body.lesson_id": "seed_lessons"},
    "create_path": {"body.courses[*].course_id": "published_courses"},
    "save_responses": {"body.responses[*].question_id": "attempt_questions"},
    "create_assignment": {"body.role": "roles"},
    "create_role": {"body.parent": "roles"},
    "create_my_api_key": {"body.expires_at": "future_times"},
    "list_wallet_transactions": {"query.cursor": "ledger_cursors"},
    "list_audit_logs": {"query.cursor": "audit_cursors"},
    "mark_read": {"body.up_to": "room_messages"},
    "create_post": {"body.parent_id": "forum_posts"},
    "create_forum": {"body.parent_id": "forums"},
    "accept_answer": {"body.post_id": "forum_answers"},
    "merge_thread": {"body.into_thread_id": "forum_threads"},
    "list_posts": {"query.cursor": "forum_paths"},
    "update_thread": {"body.forum_id": "forums"},
    "split_post": {"body.forum_id": "forums"},
    "search_forums": {"query.forum_id": "forums"},
}

# --- positive_data_acceptance: 422s that no schema can prevent ------------------------------------
# The check expects a schema-valid request to be accepted (2xx) or refused for auth, absence or a
# state clash (401, 403, 404, 409). Two kinds of operation also answer 422 to well-formed input,
# by design (DESIGN.md: 422 is validation or a business rule); only they accept 422 as well.
POSITIVE = ["2XX", "3XX", 401, 403, 404, 409, 429, "5XX"]
WITH_422 = {"positive_data_acceptance": {"expected-statuses": POSITIVE + [422]}}
# (1) A rule that depends on a secret or on server state: in every phase.
business_422 = {
    "verify_email": "a made-up token is `invalid_or_expired_token`",
    "reset_password": "a made-up token is `invalid_or_expired_token`",
    "change_password": "a made-up current password is wrong",
    "confirm_totp": "a made-up TOTP code is wrong",
    "unstake": "early unstaking is refused (`stake_not_matured`)",
    "reorder_modules": "the order must list every current id exactly once (`invalid_order`)",
    "reorder_lessons": "the order must list every current id exactly once (`invalid_order`)",
    "create_transfer": "a made-up amount may exceed the balance (`insufficient_funds`)",
    "create_assignment": "scope_id must match scope_type (none, an organization or a course)",
    "grade_response": "points may not exceed what the question is worth",
    "create_my_api_key": "permissions must be a subset of the caller's, expiry must lie ahead",
    "save_responses": "an answer must fit its question's kind (true/false, option ids, text, number)",
    "register": "the password must be strong enough (zxcvbn score 3) and not contain the email",
    "list_assignments": "scope_id must match scope_type (none for global)",
    "create_course": "a price has at most its currency's decimal places (a made-up currency is unknown)",
    "update_course": "a price has at most its currency's decimal places (a made-up currency is unknown)",
    "create_module": "a position at most the number of sibling modules",
    "update_module": "a position at most the number of sibling modules",
    "create_lesson": "a position at most the number of sibling lessons; a lesson needs content or media",
    "update_lesson": "a position at most the number of sibling lessons; a lesson needs content or media",
    "create_assessment": "available_until after available_from",
    "update_assessment": "available_until after available_from, also against the stored one",
    "add_question": "the fields a question needs depend on its kind (options for choices, a key)",
    "update_question": "the fields a question needs depend on its kind (options for choices, a key)",
    "create_path": "1 to 50 published courses, at least one required",
    "mint": "an amount above 0 with at most the currency's decimal places",
    "create_stake": "an amount above 0 with at most 8 decimal places, within the balance",
    "list_courses": "`sort=relevance` needs a search text `q` (a blank `q` is none)",
    "create_badge": "a rule's target must be a course, path or assessment of the rule's kind",
    "create_room": "a direct room names exactly one other person; a group needs a name",
    "list_messages": "at most one of before, after, around, anchor; `around` must be a message of the room",
    "list_flags": "scope_id goes with an organization or course scope_type",
    "update_room": "a direct room is named after the other person",
    "create_forum": "scope_id must match scope_type and name an organization or course; parents nest three levels",
    "update_thread": "links must name the forum's course",
    "create_thread": "links must name the forum's course",
    "vote_post": "only answers in question threads take votes, 1 or -1",
    "accept_answer": "only question threads have answers; the post must be a reply there",
    "unaccept_answer": "only question threads have answers",
    "split_post": "the root post cannot be split off",
    "merge_thread": "a thread does not merge into itself",
    "ban_from_forum": "nobody bans themselves",
    "list_posts": "a cursor must be of the order asked for (a path for tree, a post id for flat)",
}
# (2) A body field naming another resource (`no such ...`): the fuzzing phase draws it from the
# dictionaries above, but the examples and coverage phases do not use dictionaries, so there the
# value is made up, and the stateful phase carries ids over links from resources that a later step
# may have deleted. Found in the document (a uuid field in the body), plus fields that name by name.
name_refs = {"create_role": "parent role", "mint": "currency", "open_wallet": "currency"}
doc = json.load(open(DOC))
known_ops = set()
missing = []
for path, item in sorted(doc["paths"].items()):
    for method, op in item.items():
        if method not in ("get", "put", "post", "delete", "patch", "head", "options", "trace"):
            continue
        known_ops.add(op.get("operationId"))
        names = re.findall(r"\{([^}]+)\}", path)
        given = params.get(op.get("operationId"), {})
        missing += [f"{method.upper()} {path} ({{{n}}})" for n in names if f"path.{n}" not in given]
def names_a_resource(schema, seen=()):
    """Whether a request body schema holds a uuid field (at any depth, also as array items)."""
    if isinstance(schema, dict):
        if "$ref" in schema:
            ref = schema["$ref"]
            if ref in seen:
                return False
            target = doc
            for part in ref.lstrip("#/").split("/"):
                target = target[part]
            return names_a_resource(target, (*seen, ref))
        if schema.get("format") == "uuid":
            return True
        return any(names_a_resource(v, seen) for v in schema.values() if isinstance(v, (dict, list)))
    if isinstance(schema, list):
        return any(names_a_resource(v, seen) for v in schema)
    return False


ref_ops = dict(name_refs)
for item in doc["paths"].values():
    for method, op in item.items():
        body = (op.get("requestBody") or {}).get("content", {}).get("application/json") if isinstance(op, dict) else None
        if body and names_a_resource(body.get("schema")):
            ref_ops.setdefault(op["operationId"], "an id")

for m in missing:
    say(f"no real id for {m}: schemathesis will make one up (add it to .ci/api-contract.sh)")
for op_id in sorted((set(params) | set(op_bindings) | set(business_422) | set(name_refs)) - known_ops):
    say(f"operation {op_id} is no longer in the document (drop it from .ci/api-contract.sh)")

q = json.dumps


def inline(d):
    return "{ " + ", ".join(f"{q(k)} = {v}" for k, v in d.items()) + " }"


def toml(value):
    """A value as TOML (inline tables for dicts); JSON spells strings, numbers and arrays alike."""
    if isinstance(value, dict):
        return "{ " + ", ".join(f"{k} = {toml(v)}" for k, v in value.items()) + " }"
    if isinstance(value, list):
        return "[" + ", ".join(toml(v) for v in value) + "]"
    return q(value)


def binding(name):
    return "{ dictionary = %s }" % q(name)


with open(OUT, "w") as f:
    w = f.write
    w(f"# Generated by .ci/api-contract.sh for the {ROLE} run.\n")
    # The token as a plain header rather than [auth.openapi.bearer]: an operation's own `headers`
    # can then replace it (logout, below); schemathesis counts it as explicit auth (ignored_auth).
    w(f"headers = {{ Authorization = {q('Bearer ' + token)} }}\n\n")
    w("[generation]\n")
    w("# The token above is the credential: no made-up X-Api-Key next to it.\n")
    w("with-security-parameters = false\n")
    w("# No NUL in generated text: the API refuses it anywhere in a body (Postgres text cannot hold it).\n")
    w("allow-x00 = false\n\n")
    w("# Schemathesis would also feed captured response bodies back into generated ones; it revalidates\n")
    w("# every captured body against the request schema on each draw, which cost 80 s of generation on\n")
    w("# PUT /questions/{id} alone (long bounded-text fields). Real ids come from the dictionaries here.\n")
    w("[phases.fuzzing.extra-data-sources]\nresponses = false\n\n")
    w("[cache]\n# Nothing carried over from earlier runs: the same seed gives the same run.\nenabled = false\n\n")
    w("# A body over the size limit is refused with 413 before it is read: a rejection too.\n")
    w("[checks.negative_data_rejection]\nexpected-statuses = [400, 401, 403, 404, 405, 406, 409, 413, 415, 422, 428, 429]\n\n")
    w("[parameters]\n")
    for field, name in global_bindings.items():
        if name in dictionaries:
            w(f"{q(field)} = {binding(name)}\n")
    w("\n")
    for name, values in dictionaries.items():
        w(f"[dictionaries.{name}]\nvalues = {q(values)}\n\n")
    w("# POST /auth/logout ends the session whose token it carries: a spare session of its own.\n")
    w(f"[[operations]]\ninclude-operation-id = \"logout\"\nheaders = {{ Authorization = {q('Bearer ' + logout_token)} }}\n\n")
    for op_id in sorted(set(params) | set(op_bindings) | set(business_422) | set(ref_ops)):
        if op_id not in known_ops:
            continue
        p = {k: q(v) for k, v in params.get(op_id, {}).items()}
        p.update({k: binding(v) for k, v in op_bindings.get(op_id, {}).items() if v in dictionaries})
        w(f"[[operations]]\ninclude-operation-id = {q(op_id)}\n")
        if p:
            w(f"parameters = {inline(p)}\n")
        if op_id in business_422:
            w(f"# 422 too: {business_422[op_id]}.\n")
            w(f"checks = {toml(WITH_422)}\n")
        elif op_id in ref_ops:
            w(f"# 422 too in the phases that make up ids or carry them over links from resources a\n")
            w(f"# later step may have deleted: the body names {ref_ops[op_id]}.\n")
            phases = {ph: {"checks": WITH_422} for ph in ("examples", "coverage", "stateful")}
            w(f"phases = {toml(phases)}\n")
        w("\n")
with open(TOKEN_FILE, "w") as f:
    f.write(token)
say(f"{len([o for o in params if o in known_ops])} operations get real path ids, {len(missing)} path parameter(s) without one")
PYEOF

# Summary of a schemathesis JSON report: one line per failure kind, with its operations.
cat >"$WORK/summary.py" <<'PYEOF'
import glob, json, sys

paths = sorted(glob.glob(sys.argv[1] + "/json-*.json"))
if not paths:
    print("    (no JSON report: the run did not finish)")
    sys.exit(0)
try:
    d = json.load(open(paths[-1]))
except ValueError:
    print("    (the JSON report is incomplete: the run did not finish)")
    sys.exit(0)
tc = d.get("test_cases", {})
print(f"    {tc.get('generated', 0)} test cases, {tc.get('unique_failures', 0)} unique failures, "
      f"{d['operations'].get('tested', 0)}/{d['operations'].get('selected', 0)} operations tested, "
      f"{d.get('running_time', 0):.0f}s, stop: {d.get('stop_reason')}")
for f in d.get("failures", []):
    ops = f.get("operations", [])
    print(f"    {f['code']} {f['title']}: {f['count']} on {len(ops)} operation(s)")
    for op in ops[:8]:
        print(f"        {op}")
    if len(ops) > 8:
        print(f"        ... and {len(ops) - 8} more")
for e in d.get("errors", []):
    print(f"    error: {json.dumps(e)[:300]}")
PYEOF

# --- (e) schemathesis, once per role --------------------------------------------------------
for role in $ROLES; do
    cfg=$REPORT_DIR/schemathesis-$role.toml
    token_file=$WORK/token-$role
    log "[$role] collecting ids and creating throwaway resources"
    if ! "$VENV/bin/python" "$WORK/collect.py" "$BASE" "$role" "$DOC" "$cfg" "$token_file"; then
        result[$role]="FAILED: setup"
        failed=1
        continue
    fi
    mkdir -p "$REPORT_DIR/$role"
    log "[$role] schemathesis $SCHEMATHESIS_VERSION: all checks, max-examples $MAX_EXAMPLES, seed $SEED"
    rc=0
    # Run from the work folder: schemathesis keeps nothing in the repository. One process, one
    # worker: deterministic for a seed, and the server keeps the other core.
    # shellcheck disable=SC2086 # AZORA_CI_ST_ARGS is a list of arguments
    (cd "$WORK" && timeout -k 15 "$RUN_TIMEOUT" "$ST" --no-color --config-file "$cfg" run "$BASE/api-docs/openapi.json" \
        --checks all \
        --mode all \
        --max-examples "$MAX_EXAMPLES" \
        --seed "$SEED" \
        --workers "$WORKERS" \
        --request-timeout 15 \
        --generation-database none \
        --exclude-operation-id events_ws \
        --report junit,json \
        --report-dir "$REPORT_DIR/$role" \
        ${AZORA_CI_ST_ARGS:-}) >"$REPORT_DIR/$role/output.txt" 2>&1 || rc=$?
    # The failures section, then the summary (the whole output is in the report folder).
    awk '/^=+ FAILURES =+$/ { on = 1 } on && n++ < 400' "$REPORT_DIR/$role/output.txt"
    awk '/^=+ SUMMARY =+$/ { on = 1 } on' "$REPORT_DIR/$role/output.txt"
    # The run's own session must have survived it (nothing revoked the token it used).
    alive=$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $(cat "$token_file")" "$BASE/api/v1/me" || true)
    if [[ $rc -eq 124 || $rc -eq 137 ]]; then
        result[$role]="FAILED: timed out after ${RUN_TIMEOUT}s"
    elif [[ $rc -ne 0 ]]; then
        result[$role]="FAILED (schemathesis exit $rc)"
    else
        result[$role]="ok"
    fi
    if [[ "$alive" != 200 ]]; then
        result[$role]="FAILED: the run's own session was ended mid-run (GET /me -> $alive), later results are unreliable; ${result[$role]}"
    fi
    [[ "${result[$role]}" == ok ]] || failed=1
    "$VENV/bin/python" "$WORK/summary.py" "$REPORT_DIR/$role" >"$WORK/summary-$role.txt" 2>&1 || true
    if ! kill -0 "$SERVER_PID" 2>/dev/null; then
        log "the server died; its log:" >&2
        tail -n 40 "$SERVER_LOG" >&2
        result[$role]="FAILED: the server died"
        failed=1
        break
    fi
done

# --- (f) summary ------------------------------------------------------------------------------
echo
log "================ summary ================"
log "openapi-spec-validator $VALIDATOR_VERSION: ${result[document]}"
for role in $ROLES; do
    log "schemathesis as $role: ${result[$role]:-not run}"
    if [[ -f "$WORK/summary-$role.txt" ]]; then cat "$WORK/summary-$role.txt"; fi
done
log "reports, generated configs and the server log: $REPORT_DIR"
log "wall time $(($(date +%s) - started))s"
exit "$failed"
