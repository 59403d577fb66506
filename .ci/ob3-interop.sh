#!/usr/bin/env bash
# Interoperability: an independent Open Badges 3.0 verifier (the PyPI package openbadgeslib,
# with its JSON-LD extra, pinned, in a virtual environment) verifies a credential that a real
# Azora server issued: both proofs, the keys resolved through did:web, the status lists, before
# and after a revocation.
#
#   .ci/ob3-interop.sh [path/to/azora]        (default: target/debug/azora)
#
# Steps: a fresh database `azora_ci_ob3`, migrated and seeded (the seed completes a course for the
# demo student, which issues its certificate); the server on a free loopback port whose
# public URL is http://localhost:<port> (so the issuer is did:web:localhost%3A<port>); the
# student's course credential (JSON-LD and VC-JWT) handed to .ci/verify_ob3.py expecting
# `active`; the demo admin revokes it; the verifier again, expecting `revoked`.
# Knobs: AZORA_CI_OB3_VENV (default ~/.cache/azora-ob3-venv), AZORA_CI_PG_URL.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${1:-target/debug/azora}
[[ -x "$BIN" ]] || { echo "ob3-interop: no executable at $BIN (build it first)" >&2; exit 2; }
BIN=$(cd "$(dirname "$BIN")" && pwd)/$(basename "$BIN")
VENV=${AZORA_CI_OB3_VENV:-$HOME/.cache/azora-ob3-venv}
PG_URL=${AZORA_CI_PG_URL:-postgres://postgres@127.0.0.1:5432}
DB=azora_ci_ob3
OPENBADGESLIB="openbadgeslib[ldp]==4.6.3"
log() { echo "ob3-interop: $*"; }

if [[ ! -x "$VENV/bin/python" ]]; then
    log "creating the venv $VENV"
    python3 -m venv "$VENV"
fi
if ! "$VENV/bin/python" -c 'import importlib.metadata as m, sys; sys.exit(m.version("openbadgeslib") != "4.6.3")' 2>/dev/null \
    || ! "$VENV/bin/python" -c 'import pyld' 2>/dev/null; then
    log "installing $OPENBADGESLIB"
    "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check "$OPENBADGESLIB"
fi

WORK=$(mktemp -d -t azora-ob3.XXXXXX)
SERVER_PID=
psql_admin() { psql "$PG_URL/postgres" -v ON_ERROR_STOP=1 -qAt "$@"; }
drop_db() { psql_admin -c "DROP DATABASE IF EXISTS $DB WITH (FORCE)" >/dev/null 2>&1 || true; }
# shellcheck disable=SC2317 # called by the trap
cleanup() {
    local rc=$?
    if [[ -n "$SERVER_PID" ]] && kill -0 "$SERVER_PID" 2>/dev/null; then
        kill -TERM "$SERVER_PID" 2>/dev/null || true
        wait "$SERVER_PID" 2>/dev/null || true
    fi
    drop_db
    rm -rf "$WORK"
    exit "$rc"
}
trap cleanup EXIT

drop_db
psql_admin -c "CREATE DATABASE $DB" >/dev/null
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
BASE=http://localhost:$PORT
server_env=(
    AZORA_ENV=development
    DATABASE_URL="$PG_URL/$DB"
    PORT="$PORT"
    AZORA__SERVER__HOST=127.0.0.1
    AZORA__SERVER__PUBLIC_URL="$BASE"
    AZORA__SERVER__WORKERS=1
    AZORA__LOG__LEVEL=warn
    AZORA__SECURITY__ARGON2_MEMORY_KIB=1024
    AZORA__SECURITY__ARGON2_ITERATIONS=1
)
log "migrating and seeding $DB"
env "${server_env[@]}" "$BIN" migrate up >"$WORK/migrate.log" 2>&1 || { cat "$WORK/migrate.log" >&2; exit 1; }
env "${server_env[@]}" "$BIN" seed >"$WORK/seed.log" 2>&1 || { cat "$WORK/seed.log" >&2; exit 1; }
env "${server_env[@]}" "$BIN" serve >"$WORK/server.log" 2>&1 &
SERVER_PID=$!
for _ in $(seq 1 120); do
    curl -fsS -o /dev/null "$BASE/health/ready" 2>/dev/null && break
    kill -0 "$SERVER_PID" 2>/dev/null || { tail -n 40 "$WORK/server.log" >&2; exit 1; }
    sleep 0.5
done

"$VENV/bin/python" - "$BASE" "$WORK" <<'PYEOF'
"""Fetch the demo student's course credential (JSON-LD and VC-JWT) into WORK."""
import json, sys, urllib.request
base, work = sys.argv[1:3]

def call(method, path, token=None, body=None, accept="application/json"):
    h = {"content-type": "application/json", "accept": accept}
    if token:
        h["authorization"] = "Bearer " + token
    req = urllib.request.Request(base + "/api/v1" + path, method=method, headers=h,
                                 data=json.dumps(body).encode() if body is not None else None)
    with urllib.request.urlopen(req, timeout=30) as r:
        return r.read().decode()

token = json.loads(call("POST", "/auth/login", body={"email": "student@azora.world", "password": "Azora2025!"}))["access_token"]
creds = json.loads(call("GET", "/me/credentials?kind=course", token))["items"]
assert creds, "the seeded student holds a course certificate"
cred = creds[0]
open(f"{work}/credential.json", "w").write(call("GET", f"/credentials/{cred['id']}", token))
open(f"{work}/credential.jwt", "w").write(call("GET", f"/credentials/{cred['id']}", token, accept="application/vc+jwt"))
open(f"{work}/id", "w").write(cred["id"])
open(f"{work}/did", "w").write(cred["issuer"]["did"])
print(f"ob3-interop: credential {cred['id']} of {cred['issuer']['did']}: {cred['title']}")
PYEOF

DID=$(cat "$WORK/did")
log "verifying with openbadgeslib (expect active)"
"$VENV/bin/python" .ci/verify_ob3.py "$WORK/credential.json" "$WORK/credential.jwt" "$DID" expect-active

log "revoking it as the demo admin"
admin_token=$(curl -fsS -H 'content-type: application/json' \
    -d '{"email":"admin@azora.world","password":"Azora2025!"}' "$BASE/api/v1/auth/login" \
    | "$VENV/bin/python" -c 'import json,sys; print(json.load(sys.stdin)["access_token"])')
curl -fsS -o /dev/null -H "authorization: Bearer $admin_token" -H 'content-type: application/json' \
    -d '{"reason":"Interoperability check"}' "$BASE/api/v1/credentials/$(cat "$WORK/id")/revoke"

log "verifying with openbadgeslib (expect revoked)"
"$VENV/bin/python" .ci/verify_ob3.py "$WORK/credential.json" "$WORK/credential.jwt" "$DID" expect-revoked
log "ok"
