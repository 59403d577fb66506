//! Issuing: the Open Badges 3.0 credential of one (holder, achievement), built, signed twice
//! (Data Integrity `eddsa-rdfc-2022`, then the VC-JWT over it) and stored in the caller's
//! transaction with its audit record, so it exists exactly when the fact that earned it
//! commits. An advisory lock per (holder, achievement) and the unique index behind it make
//! issuing idempotent under races: the second caller finds the first one's credential.

use chrono::{DateTime, Duration, SecondsFormat, Utc};
use entity::{credentials, organizations, users};
use kernel::crypto::Ed25519Key;
use kernel::enums::{AchievementKind, KeyPurpose, StatusPurpose};
use kernel::{AppError, AppResult, RequestMeta, db};
use rand::RngExt;
use rust_decimal::Decimal;
use sea_orm::{
    ActiveModelTrait, ConnectionTrait, DatabaseTransaction, EntityTrait, FromQueryResult, Set,
    TransactionTrait,
};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use uuid::Uuid;

use super::did::issuer_did;
use super::proof::{self, CONTEXTS};
use super::status::LIST_BITS;
use crate::modules::audit::{self, AuditEvent};
use crate::modules::keys;
use crate::state::AppState;

/// The `@context` of every credential (bundled; see `proof::CONTEXTS`).
pub fn contexts() -> Value {
    Value::Array(CONTEXTS.iter().map(|(url, _)| json!(url)).collect())
}

/// What a credential attests, as the module that knows the achievement describes it.
#[derive(Debug, Clone)]
pub struct Achievement {
    pub kind: AchievementKind,
    pub id: Uuid,
    pub name: String,
    pub description: String,
    pub criteria: String,
    pub image_url: Option<String>,
    /// `None`: the platform issues it.
    pub issuer_org: Option<Uuid>,
    /// The weighted grade in percent, when the achievement is graded.
    pub grade: Option<Decimal>,
    pub evidence: Vec<Evidence>,
    pub valid_days: Option<i32>,
}

/// What earned a credential (a graded attempt): named and described in the credential, with
/// a digest of `document`, which the holder can show a verifier (`GET .../evidence`).
#[derive(Debug, Clone)]
pub struct Evidence {
    pub url: String,
    pub name: String,
    pub description: String,
    pub document: Value,
}

/// The API base (`<public_url>/api/v1`).
pub fn api_base(state: &AppState) -> String {
    format!(
        "{}/api/v1",
        state.settings.server.public_url.trim_end_matches('/')
    )
}

pub fn credential_url(state: &AppState, id: Uuid) -> String {
    format!("{}/credentials/{id}", api_base(state))
}

pub fn verification_url(state: &AppState, code: &str) -> String {
    format!("{}/verify/{code}", api_base(state))
}

pub fn achievement_url(state: &AppState, kind: AchievementKind, id: Uuid) -> String {
    let collection = match kind {
        AchievementKind::Course => "courses",
        AchievementKind::Path => "learning-paths",
        AchievementKind::Badge => "badges",
    };
    format!("{}/{collection}/{id}", api_base(state))
}

/// The namespace of status-list ids (UUID v5 of issuer, list number and purpose).
const STATUS_LIST_NS: Uuid = Uuid::from_u128(0x6a0f_29c4_51d2_4b8e_9c3a_7e1d_0b5f_4a21);

/// The id of an issuer's status list: the same inputs always give the same id.
pub fn status_list_id(issuer_org: Option<Uuid>, list_no: i32, purpose: StatusPurpose) -> Uuid {
    let issuer = issuer_org.map_or_else(|| "platform".to_owned(), |o| o.to_string());
    Uuid::new_v5(
        &STATUS_LIST_NS,
        format!("{issuer}/{list_no}/{purpose}").as_bytes(),
    )
}

pub fn status_list_url(state: &AppState, id: Uuid) -> String {
    format!("{}/status-lists/{id}", api_base(state))
}

/// The status list a URL of this server names.
pub fn status_list_of_url(state: &AppState, url: &str) -> Option<Uuid> {
    url.strip_prefix(&format!("{}/status-lists/", api_base(state)))?
        .parse()
        .ok()
}

/// The 1EdTech Revocation List of the revocation list `id`.
pub fn revocation_list_url(state: &AppState, id: Uuid) -> String {
    format!("{}/status-lists/{id}/revocations", api_base(state))
}

/// A short code for people: 12 characters of an alphabet without look-alikes, in groups of 4.
fn verification_code() -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    let mut rng = rand::rng();
    let chars: Vec<char> = (0..12)
        .map(|_| ALPHABET[rng.random_range(0..ALPHABET.len())] as char)
        .collect();
    chars
        .chunks(4)
        .map(|c| c.iter().collect::<String>())
        .collect::<Vec<_>>()
        .join("-")
}

/// A code as typed (any case, with or without dashes) in its stored form.
pub fn normalize_code(code: &str) -> Option<String> {
    let chars: Vec<char> = code
        .chars()
        .filter(|c| *c != '-' && *c != ' ')
        .map(|c| c.to_ascii_uppercase())
        .collect();
    (chars.len() == 12 && chars.iter().all(|c| c.is_ascii_alphanumeric())).then(|| {
        chars
            .chunks(4)
            .map(|c| c.iter().collect::<String>())
            .collect::<Vec<_>>()
            .join("-")
    })
}

/// Characters RDF canonicalization and other JSON-LD processors disagree on (C0 controls but
/// tab and line breaks, DEL): dropped from every string a credential carries.
pub fn clean(s: &str) -> String {
    s.chars()
        .filter(|c| !matches!(*c, '\u{0}'..='\u{8}' | '\u{b}' | '\u{c}' | '\u{e}'..='\u{1f}' | '\u{7f}'))
        .collect()
}

/// `digestMultibase` of a document: multibase base64url (`u`) of the sha2-256 multihash of its
/// compact JSON with keys sorted (how `serde_json` writes a `Value`).
pub fn digest_multibase(document: &Value) -> String {
    let bytes = serde_json::to_vec(document).unwrap_or_default();
    let mut multihash = vec![0x12, 0x20];
    multihash.extend_from_slice(&Sha256::digest(&bytes));
    format!("u{}", kernel::crypto::b64url(&multihash))
}

/// The issuer's name and web page, for its Profile.
async fn issuer_profile(
    state: &AppState,
    db: &impl ConnectionTrait,
    org: Option<Uuid>,
) -> AppResult<(String, String)> {
    let platform = ("Azora".to_owned(), state.settings.server.public_url.clone());
    let Some(org) = org else {
        return Ok(platform);
    };
    let org = organizations::Entity::find_by_id(org)
        .one(db)
        .await?
        .ok_or_else(|| AppError::not_found("organization"))?;
    let url = org
        .website
        .unwrap_or_else(|| format!("{}/organizations/{}", api_base(state), org.id));
    Ok((org.name, url))
}

#[derive(FromQueryResult)]
struct Slot {
    list: i32,
    idx: Option<i32>,
}

/// A free (list, index) of the issuer: random candidates in its newest list, the next list
/// when they are all taken (the newest list is mostly full). One statement.
async fn allocate(txn: &DatabaseTransaction, issuer_org: Option<Uuid>) -> AppResult<(i32, i32)> {
    let candidates: Vec<i32> = {
        let mut rng = rand::rng();
        (0..16)
            .map(|_| rng.random_range(0..LIST_BITS as i32))
            .collect()
    };
    let slot: Option<Slot> = db::row(
        txn,
        concat!(
            "WITH cur AS (SELECT coalesce(max(status_list), 0) AS list FROM credentials WHERE ",
            issuer_is!(""),
            ") SELECT cur.list, (SELECT c.idx FROM unnest($2::int[]) AS c(idx) \
               WHERE NOT EXISTS (SELECT 1 FROM credentials x WHERE ",
            issuer_is!("x."),
            " AND x.status_list = cur.list AND x.status_index = c.idx) LIMIT 1) AS idx FROM cur"
        ),
        [
            issuer_org.unwrap_or(Uuid::nil()).into(),
            candidates.clone().into(),
        ],
    )
    .await?;
    Ok(match slot {
        Some(Slot {
            list,
            idx: Some(idx),
        }) => (list, idx),
        Some(Slot { list, idx: None }) => (list + 1, candidates[0]),
        None => (0, candidates[0]),
    })
}

/// The parts of a credential that do not depend on where it sits in the status lists.
struct Draft {
    id: Uuid,
    did: String,
    issuer_name: String,
    issuer_url: String,
    valid_from: DateTime<Utc>,
    valid_until: Option<DateTime<Utc>>,
    email: String,
}

/// The unsigned OB 3.0 credential.
fn document(state: &AppState, d: &Draft, a: &Achievement, list: i32, index: i32) -> Value {
    let achievement_id = achievement_url(state, a.kind, a.id);
    let (achievement_type, prefix) = match a.kind {
        AchievementKind::Course => ("Course", "Certificate"),
        AchievementKind::Path => ("LearningProgram", "Certificate"),
        AchievementKind::Badge => ("Badge", "Badge"),
    };
    let salt = hex::encode(rand::random::<[u8; 16]>());
    let identity_hash = format!(
        "sha256${}",
        hex::encode(Sha256::digest(
            format!("{}{salt}", d.email.to_lowercase()).as_bytes()
        ))
    );
    let description = if a.description.trim().is_empty() {
        format!("{prefix}: {}", a.name)
    } else {
        a.description.clone()
    };
    let mut achievement = json!({
        "id": achievement_id,
        "type": ["Achievement"],
        "achievementType": achievement_type,
        "name": clean(&a.name),
        "description": clean(&description),
        "criteria": {"narrative": clean(&a.criteria)},
    });
    if let Some(image) = &a.image_url {
        achievement["image"] = json!({"id": image, "type": "Image"});
    }
    let mut subject = json!({
        "type": ["AchievementSubject"],
        "identifier": [{
            "type": "IdentityObject",
            "identityHash": identity_hash,
            "identityType": "emailAddress",
            "hashed": true,
            "salt": salt,
        }],
        "achievement": achievement,
    });
    if let Some(grade) = a.grade {
        let rd = format!("{achievement_id}#grade");
        subject["achievement"]["resultDescription"] = json!([{
            "id": rd,
            "type": ["ResultDescription"],
            "name": "Final grade",
            "resultType": "Percent",
        }]);
        subject["result"] = json!([{
            "type": ["Result"],
            "resultDescription": rd,
            "value": grade.round_dp(2).normalize().to_string(),
        }]);
    }
    let mut status = Vec::new();
    for purpose in [StatusPurpose::Revocation, StatusPurpose::Suspension] {
        let list_url = status_list_url(state, status_list_id(a.issuer_org, list, purpose));
        status.push(json!({
            "id": format!("{list_url}#{index}"),
            "type": "BitstringStatusListEntry",
            "statusPurpose": purpose.as_str(),
            "statusListIndex": index.to_string(),
            "statusListCredential": list_url,
        }));
    }
    status.push(json!({
        "id": revocation_list_url(
            state,
            status_list_id(a.issuer_org, list, StatusPurpose::Revocation)
        ),
        "type": "1EdTechRevocationList",
    }));
    let mut doc = json!({
        "@context": contexts(),
        "id": credential_url(state, d.id),
        "type": ["VerifiableCredential", "OpenBadgeCredential"],
        "issuer": {
            "id": d.did,
            "type": ["Profile"],
            "name": clean(&d.issuer_name),
            "url": d.issuer_url,
        },
        "validFrom": d.valid_from.to_rfc3339_opts(SecondsFormat::Secs, true),
        "name": clean(&format!("{prefix}: {}", a.name)),
        "credentialSubject": subject,
        "credentialStatus": status,
    });
    if let Some(until) = d.valid_until {
        doc["validUntil"] = until.to_rfc3339_opts(SecondsFormat::Secs, true).into();
    }
    if !a.evidence.is_empty() {
        doc["evidence"] = a
            .evidence
            .iter()
            .map(|e| {
                json!({
                    "id": e.url,
                    "type": ["Evidence"],
                    "name": clean(&e.name),
                    "description": clean(&e.description),
                    "digestMultibase": digest_multibase(&e.document),
                })
            })
            .collect();
    }
    doc
}

/// The credential signed both ways: (JSON-LD with its proof, VC-JWT), on the blocking pool.
pub async fn sign(key: Ed25519Key, did: String, unsigned: Value) -> AppResult<(Value, String)> {
    tokio::task::spawn_blocking(move || {
        let vm = format!("{did}#{}", key.kid);
        let created = unsigned["validFrom"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
        let signed = proof::add_data_integrity_proof(&unsigned, &key, &vm, &created)
            .map_err(AppError::internal)?;
        let jwt = proof::vc_jwt(&signed, &key, &vm).map_err(AppError::internal)?;
        Ok((signed, jwt))
    })
    .await
    .map_err(AppError::internal)?
}

/// Issues the credential of `achievement` to `holder` inside `txn` (audited), unless the
/// holder has it already: `None` then.
pub async fn issue_in(
    state: &AppState,
    txn: &DatabaseTransaction,
    holder: Uuid,
    achievement: &Achievement,
    awarded_by: Option<Uuid>,
    meta: &RequestMeta,
) -> AppResult<Option<credentials::Model>> {
    db::advisory_lock(
        txn,
        &format!(
            "credential:{holder}:{}:{}",
            achievement.kind, achievement.id
        ),
    )
    .await?;
    if super::service::held(txn, holder, achievement.kind, achievement.id)
        .await?
        .is_some()
    {
        return Ok(None);
    }
    let user = users::Entity::find_by_id(holder)
        .one(txn)
        .await?
        .ok_or_else(|| AppError::not_found("user"))?;
    let (issuer_name, issuer_url) = issuer_profile(state, txn, achievement.issuer_org).await?;
    let valid_from = Utc::now();
    let draft = Draft {
        id: Uuid::now_v7(),
        did: issuer_did(&state.settings.server.public_url, achievement.issuer_org),
        issuer_name,
        issuer_url,
        valid_from,
        valid_until: achievement
            .valid_days
            .map(|d| valid_from + Duration::days(i64::from(d))),
        email: user.email,
    };
    let key = keys::active_key_on(state, txn, KeyPurpose::Credentials).await?;
    let evidence: Vec<Value> = achievement
        .evidence
        .iter()
        .map(|e| e.document.clone())
        .collect();
    // A concurrent issuer may take the same random slot: retry with another.
    for _ in 0..4 {
        let (list, index) = allocate(txn, achievement.issuer_org).await?;
        let unsigned = document(state, &draft, achievement, list, index);
        let signer = Ed25519Key::from_seed(key.kid.clone(), &key.seed())?;
        let (signed, jwt) = sign(signer, draft.did.clone(), unsigned).await?;
        let savepoint = txn.begin().await?;
        let inserted = credentials::ActiveModel {
            id: Set(draft.id),
            holder_id: Set(holder),
            achievement_kind: Set(achievement.kind),
            achievement_id: Set(achievement.id),
            issuer_org_id: Set(achievement.issuer_org),
            title: Set(achievement.name.clone()),
            status_list: Set(list),
            status_index: Set(index),
            public: Set(false),
            verification_code: Set(verification_code()),
            document: Set(signed),
            jwt: Set(jwt),
            evidence: Set(Value::Array(evidence.clone())),
            valid_until: Set(draft.valid_until),
            awarded_by: Set(awarded_by),
            issued_at: Set(valid_from),
            revoked_at: Set(None),
            revocation_reason: Set(None),
            suspended_at: Set(None),
            suspension_reason: Set(None),
        }
        .insert(&savepoint)
        .await;
        let credential = match inserted {
            Ok(c) => c,
            Err(e)
                if matches!(
                    kernel::error::unique_violation(&e).as_deref(),
                    Some("credentials_status_index" | "credentials_verification_code_key")
                ) =>
            {
                savepoint.rollback().await?;
                continue;
            }
            Err(e) => return Err(e.into()),
        };
        savepoint.commit().await?;
        for purpose in [StatusPurpose::Revocation, StatusPurpose::Suspension] {
            db::exec(
                txn,
                "INSERT INTO status_lists (id, issuer_org_id, list_no, purpose) \
                 VALUES ($1, $2, $3, $4) ON CONFLICT (id) DO NOTHING",
                [
                    status_list_id(achievement.issuer_org, list, purpose).into(),
                    achievement.issuer_org.into(),
                    list.into(),
                    purpose.as_str().into(),
                ],
            )
            .await?;
        }
        audit::record(
            txn,
            AuditEvent::new(
                awarded_by.or(Some(holder)),
                "credential.issue",
                "credential",
                Some(credential.id.to_string()),
            )
            .details(json!({
                "holder_id": holder,
                "achievement_kind": achievement.kind.as_str(),
                "achievement_id": achievement.id,
                "issuer": draft.did,
                "kid": key.kid,
            })),
            meta,
        )
        .await?;
        return Ok(Some(credential));
    }
    Err(AppError::internal(anyhow::anyhow!(
        "no free status-list slot after four tries"
    )))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_typed_back_in_any_form() {
        let code = verification_code();
        assert_eq!(code.len(), 14);
        assert_eq!(normalize_code(&code).as_deref(), Some(code.as_str()));
        let typed = code.replace('-', "").to_lowercase();
        assert_eq!(normalize_code(&typed).as_deref(), Some(code.as_str()));
        assert_eq!(normalize_code("short"), None);
        assert_eq!(normalize_code("ABCD-EFGH-JKL!"), None);
    }

    #[test]
    fn list_ids_are_stable_and_distinct() {
        let org = Some(Uuid::nil());
        assert_eq!(
            status_list_id(org, 0, StatusPurpose::Revocation),
            status_list_id(org, 0, StatusPurpose::Revocation)
        );
        assert_ne!(
            status_list_id(org, 0, StatusPurpose::Revocation),
            status_list_id(org, 0, StatusPurpose::Suspension)
        );
        assert_ne!(
            status_list_id(None, 0, StatusPurpose::Revocation),
            status_list_id(org, 0, StatusPurpose::Revocation)
        );
    }

    #[test]
    fn control_characters_are_dropped_and_digests_are_multihashes() {
        assert_eq!(clean("a\u{7}b\tc\n\u{7f}"), "ab\tc\n");
        let d = digest_multibase(&json!({"b": 1, "a": 2}));
        assert!(d.starts_with('u'));
        assert_eq!(d, digest_multibase(&json!({"a": 2, "b": 1})));
    }
}
