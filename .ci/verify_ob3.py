#!/usr/bin/env python3
"""Independent Open Badges 3.0 check of one Azora credential with openbadgeslib[ldp]==4.6.3.

usage: verify_ob3.py CREDENTIAL_JSON CREDENTIAL_JWT ISSUER_DID expect-active|expect-revoked

Checks, each printed PASS/FAIL:
  - Azora's bundled JSON-LD contexts are the very documents openbadgeslib canonicalizes with;
  - the Data Integrity proof (eddsa-rdfc-2022) verifies, the key resolved from the issuer's
    did:web document, and the status lists say what is expected;
  - the VC-JWT verifies (EdDSA, `kid` resolved from the did:web document), same status check.
The status list is fetched as openbadgeslib does (a VC-JWT, its signature checked). Exits
non-zero on any failure. did:web always resolves to https://; the test server is plain HTTP on
loopback, so downloads of localhost URLs are rewritten to http.
"""
import base64
import json
import os
import sys
from urllib.parse import urlsplit, urlunsplit

from openbadgeslib.ob3 import contexts as ob_contexts
from openbadgeslib.ob3.ldp import OB3LdpVerifier
from openbadgeslib.ob3.status import check_credential_status
from openbadgeslib.ob3.verifier import OB3VerificationError, OB3Verifier
from openbadgeslib.util import download_file

cred_path, jwt_path, did, expect = sys.argv[1:5]
bundled_dir = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "src", "modules",
                           "certificates", "contexts")


def download(url):
    u = urlsplit(url)
    if u.scheme == "https" and u.hostname in ("localhost", "127.0.0.1"):
        url = urlunsplit(("http",) + tuple(u)[1:])
    return download_file(url, allow_insecure=True, allow_private=True)


def check_status(cred):
    # openbadgeslib fails closed on credentialStatus types it does not know (the
    # 1EdTechRevocationList entry), so only the Bitstring entries are checked here.
    cred.credential_status = [s for s in cred.credential_status
                              if s.get("type") == "BitstringStatusListEntry"]
    assert len(cred.credential_status) == 2, "a revocation and a suspension entry"
    try:
        check_credential_status(cred, download=download, verify_list=True)
        return "active"
    except OB3VerificationError as e:
        if "is set at index" in str(e):
            return "revoked"
        raise


passed = failed = 0


def record(ok, name, detail):
    global passed, failed
    print(f"{'PASS' if ok else 'FAIL'} {name}: {detail}")
    passed += ok
    failed += not ok


for url, name in [
    ("https://www.w3.org/ns/credentials/v2", "credentials-v2.json"),
    ("https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json", "ob-v3p0-context-3.0.3.json"),
    ("https://purl.imsglobal.org/spec/ob/v3p0/extensions.json", "ob-v3p0-extensions.json"),
]:
    ours = json.load(open(os.path.join(bundled_dir, name)))
    theirs = ob_contexts.load_context(url)
    theirs = theirs if isinstance(theirs, dict) else json.loads(theirs)
    record(ours == theirs, f"context {url}", "the same document" if ours == theirs else "differs")

doc = json.load(open(cred_path))
token = open(jwt_path).read().strip()
want = expect.removeprefix("expect-")
for name, verify in [
    ("data-integrity eddsa-rdfc-2022",
     lambda: OB3LdpVerifier.for_issuer_did(did).verify(doc, download=download)),
    ("vc-jwt EdDSA",
     lambda: OB3Verifier.for_issuer_did(did, download=download).verify(token, download=download)),
]:
    try:
        cred = verify()
        state = check_status(cred)
        record(state == want, name, f"proof valid, status {state} (expected {want})")
    except Exception as e:  # noqa: BLE001
        record(False, name, f"{type(e).__name__}: {e}")
# The verifier is not a rubber stamp: a credential changed after signing is refused.
tampered = json.loads(json.dumps(doc))
tampered["name"] = tampered.get("name", "") + " (edited)"
head, payload, sig = token.split(".")
forged_payload = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
forged_payload["name"] = "edited"
forged = ".".join([head, base64.urlsafe_b64encode(json.dumps(forged_payload).encode()).decode().rstrip("="), sig])
for name, verify in [
    ("tampered data-integrity refused",
     lambda: OB3LdpVerifier.for_issuer_did(did).verify(tampered, download=download)),
    ("tampered vc-jwt refused",
     lambda: OB3Verifier.for_issuer_did(did, download=download).verify(forged, download=download)),
]:
    try:
        verify()
        record(False, name, "accepted")
    except Exception as e:  # noqa: BLE001
        record(True, name, f"{type(e).__name__}: {str(e)[:120]}")
print(f"{passed} passed, {failed} failed")
sys.exit(1 if failed else 0)
