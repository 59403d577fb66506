//! Verification as a third party does it, with nothing but what Azora publishes: the issuer's
//! DID (ours, or `unknown_issuer`: other issuers' `did:web` documents are not fetched), the key
//! the proof names among the published credential keys (retired ones included), the VC-JWT
//! signature and claims, the Data Integrity proof, the validity period, and each status entry
//! read as its status list says. Every check is reported; the verdict is the most serious
//! failure.

use chrono::{DateTime, Utc};
use entity::{signing_keys, status_lists};
use kernel::enums::{KeyPurpose, StatusPurpose};
use kernel::{AppResult, db};
use sea_orm::{EntityTrait, FromQueryResult};
use serde_json::{Map, Value};
use uuid::Uuid;

use super::did::org_of_did;
use super::dto::{CredentialVerification, Verdict, VerificationCheck};
use super::issue::status_list_of_url;
use super::proof::{self, CONTEXTS};
use crate::modules::keys;
use crate::state::AppState;

/// Claims a VC-JWT adds to the credential it carries.
const JWT_CLAIMS: &[&str] = &["iss", "jti", "nbf", "sub", "exp", "iat"];

struct Report {
    checks: Vec<VerificationCheck>,
    verdict: Verdict,
}

impl Report {
    fn new() -> Self {
        Self {
            checks: Vec::new(),
            verdict: Verdict::Valid,
        }
    }

    /// Records a check; a failure lowers the verdict to `failing` unless it is lower already.
    fn check(
        &mut self,
        check: &'static str,
        passed: bool,
        detail: impl Into<String>,
        failing: Verdict,
    ) {
        if !passed && rank(failing) > rank(self.verdict) {
            self.verdict = failing;
        }
        self.checks.push(VerificationCheck {
            check,
            passed,
            detail: detail.into(),
        });
    }

    fn done(
        self,
        format: Option<&str>,
        credential: Option<&Value>,
        reason: Option<String>,
    ) -> CredentialVerification {
        CredentialVerification {
            verdict: self.verdict,
            format: format.map(str::to_owned),
            credential_id: credential.and_then(|c| c["id"].as_str()).map(str::to_owned),
            issuer: credential.and_then(issuer_id).map(str::to_owned),
            revocation_reason: reason,
            checks: self.checks,
        }
    }
}

/// How serious a verdict is.
fn rank(v: Verdict) -> u8 {
    match v {
        Verdict::Valid => 0,
        Verdict::Suspended => 1,
        Verdict::Expired => 2,
        Verdict::Revoked => 3,
        Verdict::BadSignature => 4,
        Verdict::UnknownIssuer => 5,
        Verdict::Malformed => 6,
    }
}

fn issuer_id(credential: &Value) -> Option<&str> {
    match &credential["issuer"] {
        Value::String(id) => Some(id),
        profile => profile["id"].as_str(),
    }
}

fn is_credential(v: &Value) -> bool {
    v.is_object()
        && v["type"]
            .as_array()
            .is_some_and(|t| t.iter().any(|t| t == "VerifiableCredential"))
}

/// The published credential key a DID URL names (`<issuer did>#<kid>`), if the DID is the
/// issuer's.
fn key_for<'k>(
    keys: &'k [signing_keys::Model],
    issuer: &str,
    url: &str,
) -> Option<&'k signing_keys::Model> {
    let (did, kid) = url.split_once('#')?;
    (did == issuer)
        .then(|| {
            keys.iter()
                .find(|k| k.kid == kid && k.purpose == KeyPurpose::Credentials)
        })
        .flatten()
}

/// Verifies a VC-JWT (a string) or a JSON-LD credential (an object).
pub async fn verify(state: &AppState, input: Value) -> AppResult<CredentialVerification> {
    let mut report = Report::new();
    let keys = keys::all_keys(&state.db).await?;
    let (format, credential) = match input {
        Value::String(jwt) => match verify_jwt(state, &keys, &jwt, &mut report) {
            Some(c) => ("vc+jwt", c),
            None => return Ok(report.done(Some("vc+jwt"), None, None)),
        },
        v if is_credential(&v) => {
            report.check(
                "format",
                true,
                "a JSON-LD verifiable credential",
                Verdict::Malformed,
            );
            ("json-ld", v)
        }
        _ => {
            report.check(
                "format",
                false,
                "neither a VC-JWT (a string) nor a verifiable credential (an object)",
                Verdict::Malformed,
            );
            return Ok(report.done(None, None, None));
        }
    };
    let Some(issuer) = issuer_id(&credential).map(str::to_owned) else {
        report.check(
            "issuer",
            false,
            "the credential names no issuer",
            Verdict::Malformed,
        );
        return Ok(report.done(Some(format), Some(&credential), None));
    };
    if format == "json-ld" {
        let known = org_of_did(&state.settings.server.public_url, &issuer).is_some();
        report.check(
            "issuer",
            known,
            if known {
                format!("{issuer} is an Azora issuer")
            } else {
                format!("{issuer} is not an Azora issuer; its DID document was not fetched")
            },
            Verdict::UnknownIssuer,
        );
        if !known {
            return Ok(report.done(Some(format), Some(&credential), None));
        }
    }
    if credential.get("proof").is_some() || format == "json-ld" {
        check_data_integrity(&keys, &issuer, &credential, &mut report).await;
    }
    check_validity(&credential, &mut report);
    let reason = check_status(state, &issuer, &credential, &mut report).await?;
    Ok(report.done(Some(format), Some(&credential), reason))
}

/// The JWT checks; the credential it carries (claims removed), if it can be read.
fn verify_jwt(
    state: &AppState,
    keys: &[signing_keys::Model],
    jwt: &str,
    report: &mut Report,
) -> Option<Value> {
    let parsed = kernel::crypto::jws_parts(jwt.trim()).and_then(|(header, payload, input, sig)| {
        let payload: Map<String, Value> = serde_json::from_slice(&payload).ok()?;
        Some((header, payload, input, sig))
    });
    let Some((header, payload, input, signature)) = parsed else {
        report.check(
            "format",
            false,
            "not a compact JWS with a JSON object payload",
            Verdict::Malformed,
        );
        return None;
    };
    if header["alg"] != "EdDSA" || !is_credential(&Value::Object(payload.clone())) {
        report.check(
            "format",
            false,
            "a VC-JWT of Azora has `alg` EdDSA and a verifiable credential as its payload",
            Verdict::Malformed,
        );
        return None;
    }
    report.check("format", true, "a VC-JWT (EdDSA)", Verdict::Malformed);
    let mut credential = payload.clone();
    for claim in JWT_CLAIMS {
        credential.remove(*claim);
    }
    let credential = Value::Object(credential);
    let Some(issuer) = issuer_id(&credential) else {
        report.check(
            "issuer",
            false,
            "the credential names no issuer",
            Verdict::Malformed,
        );
        return None;
    };
    if org_of_did(&state.settings.server.public_url, issuer).is_none() {
        report.check(
            "issuer",
            false,
            format!("{issuer} is not an Azora issuer; its DID document was not fetched"),
            Verdict::UnknownIssuer,
        );
        return None;
    }
    report.check(
        "issuer",
        true,
        format!("{issuer} is an Azora issuer"),
        Verdict::UnknownIssuer,
    );
    let kid = header["kid"].as_str().unwrap_or_default();
    let Some(key) = key_for(keys, issuer, kid) else {
        report.check(
            "key",
            false,
            format!("`kid` {kid:?} is not a published key of {issuer}"),
            Verdict::BadSignature,
        );
        return Some(credential);
    };
    let jwk_matches = header.get("jwk").is_none_or(|jwk| {
        jwk["x"].as_str() == Some(kernel::crypto::b64url(&key.public_key).as_str())
    });
    report.check(
        "key",
        jwk_matches,
        if jwk_matches {
            format!("{kid} is published in the JWKS and the DID document")
        } else {
            "the header's `jwk` is not the key `kid` names".to_owned()
        },
        Verdict::BadSignature,
    );
    let signed = kernel::crypto::ed25519_verify(&key.public_key, input.as_bytes(), &signature);
    report.check(
        "jwt_signature",
        signed,
        if signed {
            "the JWS signature verifies"
        } else {
            "the JWS signature does not verify"
        },
        Verdict::BadSignature,
    );
    let timestamp = |field: &str| {
        credential[field]
            .as_str()
            .and_then(|t| DateTime::parse_from_rfc3339(t).ok())
            .map(|t| t.timestamp())
    };
    let mut problems = Vec::new();
    if payload.get("iss").and_then(Value::as_str) != Some(issuer) {
        problems.push("`iss` is not the issuer's id");
    }
    if payload.get("jti") != credential.get("id") {
        problems.push("`jti` is not the credential's id");
    }
    if payload.get("nbf").and_then(Value::as_i64) != timestamp("validFrom") {
        problems.push("`nbf` is not `validFrom`");
    }
    if payload.get("exp").and_then(Value::as_i64) != timestamp("validUntil") {
        problems.push("`exp` is not `validUntil`");
    }
    if payload.get("sub").and_then(Value::as_str) != credential["credentialSubject"]["id"].as_str()
    {
        problems.push("`sub` is not the subject's id");
    }
    report.check(
        "jwt_claims",
        problems.is_empty(),
        if problems.is_empty() {
            "`iss`, `jti`, `nbf`, `sub` and `exp` match the credential".to_owned()
        } else {
            problems.join("; ")
        },
        Verdict::Malformed,
    );
    Some(credential)
}

async fn check_data_integrity(
    keys: &[signing_keys::Model],
    issuer: &str,
    credential: &Value,
    report: &mut Report,
) {
    let proof = &credential["proof"];
    if !proof.is_object() {
        report.check(
            "data_integrity_proof",
            false,
            "no Data Integrity proof (one proof object expected)",
            Verdict::BadSignature,
        );
        return;
    }
    let vm = proof["verificationMethod"].as_str().unwrap_or_default();
    let Some(key) = key_for(keys, issuer, vm) else {
        report.check(
            "data_integrity_proof",
            false,
            format!("`verificationMethod` {vm:?} is not a published key of {issuer}"),
            Verdict::BadSignature,
        );
        return;
    };
    if proof["proofPurpose"] != "assertionMethod" {
        report.check(
            "data_integrity_proof",
            false,
            "`proofPurpose` is not assertionMethod",
            Verdict::BadSignature,
        );
        return;
    }
    let public_key = key.public_key.clone();
    let doc = credential.clone();
    let outcome = tokio::task::spawn_blocking(move || {
        proof::verify_data_integrity_proof(&doc, &public_key, CONTEXTS)
    })
    .await;
    match outcome {
        Ok(Ok(())) => report.check(
            "data_integrity_proof",
            true,
            format!("eddsa-rdfc-2022 proof by {vm} verifies"),
            Verdict::BadSignature,
        ),
        Ok(Err(e)) => report.check(
            "data_integrity_proof",
            false,
            e.to_string(),
            Verdict::BadSignature,
        ),
        Err(e) => report.check(
            "data_integrity_proof",
            false,
            e.to_string(),
            Verdict::BadSignature,
        ),
    }
}

fn check_validity(credential: &Value, report: &mut Report) {
    let now = Utc::now();
    let at = |field: &str| {
        credential[field]
            .as_str()
            .map(|t| DateTime::parse_from_rfc3339(t).map(|t| t.with_timezone(&Utc)))
    };
    let (passed, detail, failing) = match (at("validFrom"), at("validUntil")) {
        // Five minutes of clock skew between issuer and verifier.
        (Some(Ok(from)), _) if from > now + chrono::Duration::minutes(5) => {
            (false, format!("valid only from {from}"), Verdict::Expired)
        }
        (Some(Ok(from)), None) => (
            true,
            format!("valid since {from}, no expiry"),
            Verdict::Expired,
        ),
        (Some(Ok(_)), Some(Ok(until))) if until > now => {
            (true, format!("valid until {until}"), Verdict::Expired)
        }
        (Some(Ok(_)), Some(Ok(until))) => (false, format!("expired at {until}"), Verdict::Expired),
        (Some(Ok(_)), Some(Err(_))) => (
            false,
            "`validUntil` is not a date-time".to_owned(),
            Verdict::Malformed,
        ),
        _ => (
            false,
            "`validFrom` is missing or not a date-time".to_owned(),
            Verdict::Malformed,
        ),
    };
    report.check("validity_period", passed, detail, failing);
}

#[derive(FromQueryResult)]
struct Bit {
    set: bool,
    reason: Option<String>,
}

/// Reads each Bitstring entry as its list says; the revocation reason when revoked.
async fn check_status(
    state: &AppState,
    issuer: &str,
    credential: &Value,
    report: &mut Report,
) -> AppResult<Option<String>> {
    let entries: Vec<&Value> = match &credential["credentialStatus"] {
        Value::Array(items) => items.iter().collect(),
        Value::Null => Vec::new(),
        one => vec![one],
    };
    let bitstring: Vec<&Value> = entries
        .into_iter()
        .filter(|e| e["type"] == "BitstringStatusListEntry")
        .collect();
    if bitstring.is_empty() {
        report.check(
            "status",
            true,
            "the credential has no status list entry",
            Verdict::Revoked,
        );
        return Ok(None);
    }
    let mut reason = None;
    for entry in bitstring {
        let list = entry["statusListCredential"]
            .as_str()
            .and_then(|url| status_list_of_url(state, url));
        let index = entry["statusListIndex"]
            .as_str()
            .and_then(|i| i.parse::<i32>().ok());
        let (Some(list_id), Some(index)) = (list, index) else {
            report.check(
                "status",
                false,
                "a status entry names no list of this server or no index",
                Verdict::Malformed,
            );
            continue;
        };
        let Some(list) = status_lists::Entity::find_by_id(list_id)
            .one(&state.db)
            .await?
        else {
            report.check(
                "status",
                false,
                format!("the status list {list_id} does not exist"),
                Verdict::Malformed,
            );
            continue;
        };
        let list_issuer =
            super::did::issuer_did(&state.settings.server.public_url, list.issuer_org_id);
        if list_issuer != issuer || entry["statusPurpose"] != list.purpose.as_str() {
            report.check(
                "status",
                false,
                "the status list belongs to another issuer or purpose",
                Verdict::Malformed,
            );
            continue;
        }
        let column = match list.purpose {
            StatusPurpose::Revocation => "revoked_at",
            StatusPurpose::Suspension => "suspended_at",
        };
        let bit: Option<Bit> = db::row(
            &state.db,
            format!(
                concat!(
                    "SELECT {column} IS NOT NULL AS set, revocation_reason AS reason \
                     FROM credentials WHERE ",
                    issuer_is!(""),
                    " AND status_list = $2 AND status_index = $3"
                ),
                column = column
            ),
            [
                list.issuer_org_id.unwrap_or(Uuid::nil()).into(),
                list.list_no.into(),
                index.into(),
            ],
        )
        .await?;
        let set = bit.as_ref().is_some_and(|b| b.set);
        let (failing, name) = match list.purpose {
            StatusPurpose::Revocation => (Verdict::Revoked, "revoked"),
            StatusPurpose::Suspension => (Verdict::Suspended, "suspended"),
        };
        if set && list.purpose == StatusPurpose::Revocation {
            reason = bit.and_then(|b| b.reason);
        }
        report.check(
            "status",
            !set,
            format!(
                "bit {index} of the {} list is {}",
                list.purpose,
                if set {
                    format!("set: {name}")
                } else {
                    "clear".to_owned()
                }
            ),
            failing,
        );
    }
    Ok(reason)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn validity(credential: Value) -> Verdict {
        let mut report = Report::new();
        check_validity(&credential, &mut report);
        report.verdict
    }

    #[test]
    fn the_validity_period_decides_expired_and_malformed() {
        let past = "2020-01-01T00:00:00Z";
        let future = "2999-01-01T00:00:00Z";
        assert_eq!(validity(json!({"validFrom": past})), Verdict::Valid);
        assert_eq!(
            validity(json!({"validFrom": past, "validUntil": future})),
            Verdict::Valid
        );
        assert_eq!(
            validity(json!({"validFrom": past, "validUntil": "2021-01-01T00:00:00Z"})),
            Verdict::Expired
        );
        assert_eq!(validity(json!({"validFrom": future})), Verdict::Expired);
        assert_eq!(
            validity(json!({"validFrom": past, "validUntil": "soon"})),
            Verdict::Malformed
        );
        assert_eq!(validity(json!({})), Verdict::Malformed);
        assert_eq!(validity(json!({"validFrom": 42})), Verdict::Malformed);
    }
}
