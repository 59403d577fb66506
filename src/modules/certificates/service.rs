//! Credentials after issue: who may see them, their status (revoke, suspend, unsuspend), the
//! holder's choices (a public link, public badges), and the status lists verifiers read.

use std::collections::HashMap;

use chrono::{SecondsFormat, Utc};
use entity::{credential_settings, credentials, organizations, status_lists, users};
use kernel::enums::{AchievementKind, CredentialStatus, KeyPurpose, StatusPurpose};
use kernel::pagination::{Page, Paging};
use kernel::{Actor, AppError, AppResult, ErrorCode, RequestMeta, Scope, db};
use sea_orm::sea_query::OnConflict;
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseTransaction, EntityTrait, PaginatorTrait, QueryFilter,
    QueryOrder, QuerySelect, Set, TransactionTrait,
};
use serde_json::{Value, json};
use uuid::Uuid;

use super::did::issuer_did;
use super::dto::{
    CredentialResponse, CredentialSettingsResponse, IssuerResponse, ListCredentialsQuery,
};
use super::issue::{credential_url, revocation_list_url, status_list_url};
use super::status;
use crate::modules::audit::{self, AuditEvent};
use crate::modules::keys;
use crate::state::AppState;

/// The credential `holder` has for an achievement, if any.
pub async fn held(
    db: &impl ConnectionTrait,
    holder: Uuid,
    kind: AchievementKind,
    achievement: Uuid,
) -> AppResult<Option<Uuid>> {
    Ok(credentials::Entity::find()
        .select_only()
        .column(credentials::Column::Id)
        .filter(credentials::Column::HolderId.eq(holder))
        .filter(credentials::Column::AchievementKind.eq(kind))
        .filter(credentials::Column::AchievementId.eq(achievement))
        .into_tuple()
        .one(db)
        .await?)
}

pub fn status_of(c: &credentials::Model) -> CredentialStatus {
    if c.revoked_at.is_some() {
        CredentialStatus::Revoked
    } else if c.suspended_at.is_some() {
        CredentialStatus::Suspended
    } else {
        CredentialStatus::Active
    }
}

/// The issuers of these organizations (and the platform), by organization.
pub async fn issuers(
    state: &AppState,
    db: &impl ConnectionTrait,
    orgs: impl IntoIterator<Item = Option<Uuid>>,
) -> AppResult<HashMap<Option<Uuid>, IssuerResponse>> {
    let ids: Vec<Uuid> = orgs.into_iter().flatten().collect();
    let names: HashMap<Uuid, String> = if ids.is_empty() {
        HashMap::new()
    } else {
        organizations::Entity::find()
            .filter(organizations::Column::Id.is_in(ids.clone()))
            .all(db)
            .await?
            .into_iter()
            .map(|o| (o.id, o.name))
            .collect()
    };
    let url = &state.settings.server.public_url;
    let mut out = HashMap::new();
    out.insert(
        None,
        IssuerResponse {
            did: issuer_did(url, None),
            organization_id: None,
            name: "Azora".into(),
        },
    );
    for id in ids {
        out.insert(
            Some(id),
            IssuerResponse {
                did: issuer_did(url, Some(id)),
                organization_id: Some(id),
                name: names.get(&id).cloned().unwrap_or_default(),
            },
        );
    }
    Ok(out)
}

/// An issuer whose name was not loaded (an organization deleted since).
pub fn issuer_fallback(state: &AppState, org: Option<Uuid>) -> IssuerResponse {
    IssuerResponse {
        did: issuer_did(&state.settings.server.public_url, org),
        organization_id: org,
        name: String::new(),
    }
}

pub fn view(
    state: &AppState,
    c: &credentials::Model,
    issuers: &HashMap<Option<Uuid>, IssuerResponse>,
) -> CredentialResponse {
    CredentialResponse {
        id: c.id,
        holder_id: c.holder_id,
        achievement_kind: c.achievement_kind,
        achievement_id: c.achievement_id,
        title: c.title.clone(),
        issuer: issuers
            .get(&c.issuer_org_id)
            .cloned()
            .unwrap_or_else(|| issuer_fallback(state, c.issuer_org_id)),
        status: status_of(c),
        revocation_reason: c.revocation_reason.clone(),
        revoked_at: c.revoked_at,
        suspension_reason: c.suspension_reason.clone(),
        suspended_at: c.suspended_at,
        issued_at: c.issued_at,
        valid_until: c.valid_until,
        public: c.public,
        verification_code: c.verification_code.clone(),
        verification_url: super::issue::verification_url(state, &c.verification_code),
        credential_url: credential_url(state, c.id),
    }
}

/// One credential's view.
pub async fn view_one(
    state: &AppState,
    db: &impl ConnectionTrait,
    c: &credentials::Model,
) -> AppResult<CredentialResponse> {
    let issuers = issuers(state, db, [c.issuer_org_id]).await?;
    Ok(view(state, c, &issuers))
}

/// The caller's credentials, newest first.
pub async fn list_mine(
    state: &AppState,
    actor: &Actor,
    q: ListCredentialsQuery,
) -> AppResult<Page<CredentialResponse>> {
    let paging = Paging::new(q.page, q.per_page)?;
    let mut query = credentials::Entity::find().filter(credentials::Column::HolderId.eq(actor.id));
    if let Some(kind) = q.kind {
        query = query.filter(credentials::Column::AchievementKind.eq(kind));
    }
    let total = query.clone().count(&state.db).await?;
    let rows = query
        .order_by_desc(credentials::Column::IssuedAt)
        .order_by_desc(credentials::Column::Id)
        .limit(paging.limit_i64() as u64)
        .offset(paging.offset_i64() as u64)
        .all(&state.db)
        .await?;
    let issuers = issuers(state, &state.db, rows.iter().map(|c| c.issuer_org_id)).await?;
    let items = rows.iter().map(|c| view(state, c, &issuers)).collect();
    Ok(paging.wrap(items, total))
}

/// The scope and permission in which a credential's issuer acts on it: the course's graders'
/// organization for course certificates (`certificate:issue`), the issuing organization (or the
/// platform) for paths (`certificate:issue`) and badges (`badge:award`).
fn issuer_authority(c: &credentials::Model) -> (&'static str, Scope) {
    let org_scope = c.issuer_org_id.map_or(Scope::Global, Scope::Organization);
    match c.achievement_kind {
        AchievementKind::Course => (
            "certificate:issue",
            Scope::Course {
                id: c.achievement_id,
                organization_id: c.issuer_org_id,
            },
        ),
        AchievementKind::Path => ("certificate:issue", org_scope),
        AchievementKind::Badge => ("badge:award", org_scope),
    }
}

/// Whether the caller acts for the credential's issuer.
async fn is_issuer(state: &AppState, actor: &Actor, c: &credentials::Model) -> AppResult<bool> {
    let (permission, scope) = issuer_authority(c);
    crate::authz::allowed(state, actor, permission, scope).await
}

/// A credential the caller may read: theirs, a public one, or one their issuer role covers.
/// Anybody else gets 404.
pub async fn find_readable(
    state: &AppState,
    actor: Option<&Actor>,
    id: Uuid,
) -> AppResult<credentials::Model> {
    let c = credentials::Entity::find_by_id(id)
        .one(&state.db)
        .await?
        .ok_or_else(|| AppError::not_found("credential"))?;
    if c.public {
        return Ok(c);
    }
    match actor {
        Some(a) if a.id == c.holder_id || is_issuer(state, a, &c).await? => Ok(c),
        _ => Err(AppError::not_found("credential")),
    }
}

/// A credential for its holder and issuer only (its evidence): 404 to anybody else.
pub async fn find_private(
    state: &AppState,
    actor: &Actor,
    id: Uuid,
) -> AppResult<credentials::Model> {
    let c = credentials::Entity::find_by_id(id)
        .one(&state.db)
        .await?
        .ok_or_else(|| AppError::not_found("credential"))?;
    if actor.id == c.holder_id || is_issuer(state, actor, &c).await? {
        Ok(c)
    } else {
        Err(AppError::not_found("credential"))
    }
}

/// Locks credential `id` for a status change by its issuer: 404 for strangers, 403 for the
/// holder (who may see it but not change its status).
async fn lock_for_issuer(
    state: &AppState,
    txn: &DatabaseTransaction,
    actor: &Actor,
    id: Uuid,
) -> AppResult<credentials::Model> {
    let c = credentials::Entity::find_by_id(id)
        .lock_exclusive()
        .one(txn)
        .await?
        .ok_or_else(|| AppError::not_found("credential"))?;
    if is_issuer(state, actor, &c).await? {
        return Ok(c);
    }
    if c.holder_id == actor.id {
        let (permission, _) = issuer_authority(&c);
        return Err(AppError::forbidden(format!(
            "only the issuer changes a credential's status (`{permission}`)"
        )));
    }
    Err(AppError::not_found("credential"))
}

/// What a status change does.
#[derive(Debug, Clone, Copy)]
pub enum StatusChange {
    Revoke,
    Suspend,
    Unsuspend,
}

/// Revokes, suspends or unsuspends a credential (its issuer, or an administrator), audited.
pub async fn change_status(
    state: &AppState,
    actor: &Actor,
    meta: &RequestMeta,
    id: Uuid,
    change: StatusChange,
    reason: Option<String>,
) -> AppResult<CredentialResponse> {
    if reason.as_deref().is_some_and(|r| r.trim().is_empty()) {
        return Err(AppError::field("#/reason", "must say something"));
    }
    let txn = state.db.begin().await?;
    let c = lock_for_issuer(state, &txn, actor, id).await?;
    if c.revoked_at.is_some() {
        return Err(AppError::new(
            ErrorCode::CredentialRevoked,
            "the credential is revoked; its status cannot change any more",
        ));
    }
    let now = Utc::now();
    let mut row = credentials::ActiveModel {
        id: Set(c.id),
        ..Default::default()
    };
    let action = match change {
        StatusChange::Revoke => {
            row.revoked_at = Set(Some(now));
            row.revocation_reason = Set(reason.clone());
            "credential.revoke"
        }
        StatusChange::Suspend => {
            if c.suspended_at.is_some() {
                return Err(AppError::new(
                    ErrorCode::AlreadySuspended,
                    "the credential is suspended already",
                ));
            }
            row.suspended_at = Set(Some(now));
            row.suspension_reason = Set(reason.clone());
            "credential.suspend"
        }
        StatusChange::Unsuspend => {
            if c.suspended_at.is_none() {
                return Err(AppError::new(
                    ErrorCode::NotSuspended,
                    "the credential is not suspended",
                ));
            }
            row.suspended_at = Set(None);
            row.suspension_reason = Set(None);
            "credential.unsuspend"
        }
    };
    let updated = credentials::Entity::update(row).exec(&txn).await?;
    audit::record(
        &txn,
        AuditEvent::new(Some(actor.id), action, "credential", Some(c.id.to_string())).details(
            json!({
                "holder_id": c.holder_id,
                "reason": reason,
                "status_list": c.status_list,
                "status_index": c.status_index,
            }),
        ),
        meta,
    )
    .await?;
    let view = view_one(state, &txn, &updated).await?;
    txn.commit().await?;
    Ok(view)
}

/// The holder makes the signed document readable by anyone with its link, or private again.
pub async fn set_public(
    state: &AppState,
    actor: &Actor,
    meta: &RequestMeta,
    id: Uuid,
    public: bool,
) -> AppResult<CredentialResponse> {
    let txn = state.db.begin().await?;
    let c = credentials::Entity::find_by_id(id)
        .lock_exclusive()
        .one(&txn)
        .await?
        .filter(|c| c.holder_id == actor.id)
        .ok_or_else(|| AppError::not_found("credential"))?;
    let updated = credentials::Entity::update(credentials::ActiveModel {
        id: Set(c.id),
        public: Set(public),
        ..Default::default()
    })
    .exec(&txn)
    .await?;
    audit::record(
        &txn,
        AuditEvent::new(
            Some(actor.id),
            "credential.visibility",
            "credential",
            Some(c.id.to_string()),
        )
        .details(json!({"public": public})),
        meta,
    )
    .await?;
    let view = view_one(state, &txn, &updated).await?;
    txn.commit().await?;
    Ok(view)
}

/// Whether `user` shows their badges publicly (default: no).
pub async fn public_badges(db: &impl ConnectionTrait, user: Uuid) -> AppResult<bool> {
    Ok(credential_settings::Entity::find_by_id(user)
        .one(db)
        .await?
        .is_some_and(|s| s.public_badges))
}

pub async fn settings(state: &AppState, actor: &Actor) -> AppResult<CredentialSettingsResponse> {
    let row = credential_settings::Entity::find_by_id(actor.id)
        .one(&state.db)
        .await?;
    Ok(CredentialSettingsResponse {
        public_badges: row.as_ref().is_some_and(|s| s.public_badges),
        updated_at: row.map(|s| s.updated_at),
    })
}

pub async fn update_settings(
    state: &AppState,
    actor: &Actor,
    meta: &RequestMeta,
    public_badges: bool,
) -> AppResult<CredentialSettingsResponse> {
    // Microseconds, as Postgres stores it, so a later read answers the same time.
    let now = chrono::SubsecRound::trunc_subsecs(Utc::now(), 6);
    let txn = state.db.begin().await?;
    credential_settings::Entity::insert(credential_settings::ActiveModel {
        user_id: Set(actor.id),
        public_badges: Set(public_badges),
        updated_at: Set(now),
    })
    .on_conflict(
        OnConflict::column(credential_settings::Column::UserId)
            .update_columns([
                credential_settings::Column::PublicBadges,
                credential_settings::Column::UpdatedAt,
            ])
            .to_owned(),
    )
    .exec_without_returning(&txn)
    .await?;
    audit::record(
        &txn,
        AuditEvent::new(
            Some(actor.id),
            "credential.settings",
            "user",
            Some(actor.id.to_string()),
        )
        .details(json!({"public_badges": public_badges})),
        meta,
    )
    .await?;
    txn.commit().await?;
    Ok(CredentialSettingsResponse {
        public_badges,
        updated_at: Some(now),
    })
}

/// The display name of a live user.
pub async fn holder_name(db: &impl ConnectionTrait, user: Uuid) -> AppResult<String> {
    Ok(users::Entity::find_by_id(user)
        .one(db)
        .await?
        .map(|u| u.display_name)
        .unwrap_or_default())
}

/// A status list as its issuer signs it: a `BitstringStatusListCredential` VC-JWT whose bits
/// are the revoked (or suspended) credentials of that list.
pub async fn status_list_jwt(state: &AppState, id: Uuid) -> AppResult<String> {
    let list = status_lists::Entity::find_by_id(id)
        .one(&state.db)
        .await?
        .ok_or_else(|| AppError::not_found("status list"))?;
    let column = match list.purpose {
        StatusPurpose::Revocation => "revoked_at",
        StatusPurpose::Suspension => "suspended_at",
    };
    let set: Vec<i32> = db::column(
        &state.db,
        format!(
            concat!(
                "SELECT status_index FROM credentials WHERE ",
                issuer_is!(""),
                " AND status_list = $2 AND {column} IS NOT NULL"
            ),
            column = column
        ),
        [
            list.issuer_org_id.unwrap_or(Uuid::nil()).into(),
            list.list_no.into(),
        ],
    )
    .await?;
    let encoded = status::encoded_list(set.into_iter().filter_map(|i| usize::try_from(i).ok()))
        .map_err(AppError::internal)?;
    let url = status_list_url(state, id);
    let did = issuer_did(&state.settings.server.public_url, list.issuer_org_id);
    let doc = json!({
        "@context": ["https://www.w3.org/ns/credentials/v2"],
        "id": url,
        "type": ["VerifiableCredential", "BitstringStatusListCredential"],
        "issuer": did,
        "validFrom": list.created_at.to_rfc3339_opts(SecondsFormat::Secs, true),
        "credentialSubject": {
            "id": format!("{url}#list"),
            "type": "BitstringStatusList",
            "statusPurpose": list.purpose.as_str(),
            "encodedList": encoded,
        },
    });
    let key = keys::active_key(state, KeyPurpose::Credentials).await?;
    let kid = format!("{did}#{}", key.kid);
    super::proof::vc_jwt(&doc, &key, &kid).map_err(AppError::internal)
}

/// The 1EdTech Revocation List of a revocation list: every revoked credential with its reason.
pub async fn revocation_list(state: &AppState, id: Uuid) -> AppResult<Value> {
    let list = status_lists::Entity::find_by_id(id)
        .one(&state.db)
        .await?
        .filter(|l| l.purpose == StatusPurpose::Revocation)
        .ok_or_else(|| AppError::not_found("revocation list"))?;
    let revoked = credentials::Entity::find()
        .filter(
            sea_orm::Condition::all()
                .add(match list.issuer_org_id {
                    Some(org) => credentials::Column::IssuerOrgId.eq(org),
                    None => credentials::Column::IssuerOrgId.is_null(),
                })
                .add(credentials::Column::StatusList.eq(list.list_no))
                .add(credentials::Column::RevokedAt.is_not_null()),
        )
        .order_by_asc(credentials::Column::RevokedAt)
        .all(&state.db)
        .await?;
    Ok(json!({
        "id": revocation_list_url(state, id),
        "issuer": issuer_did(&state.settings.server.public_url, list.issuer_org_id),
        "revokedCredentials": revoked.iter().map(|c| json!({
            "id": credential_url(state, c.id),
            "revoked": true,
            "revocationReason": c.revocation_reason,
        })).collect::<Vec<_>>(),
    }))
}
