//! Personal API keys: a name, an optional expiry and a subset of the owner's permissions. The
//! secret is shown once and stored as its SHA-256; `X-Api-Key` authenticates with it.

use chrono::Utc;
use sea_orm::TransactionTrait;
use uuid::Uuid;

use super::dto::{ApiKeyResponse, CreateApiKeyRequest, CreatedApiKeyResponse};
use super::tokens;
use crate::db;
use crate::modules::audit::{self, AuditEvent};
use crate::state::AppState;
use kernel::{Actor, RequestMeta};
use kernel::{AppError, AppResult, ErrorCode, FieldError};

const COLUMNS: &str =
    "id, name, prefix, permissions, expires_at, last_used_at, revoked_at, created_at";

fn from_row(r: &sea_orm::QueryResult) -> AppResult<ApiKeyResponse> {
    Ok(ApiKeyResponse {
        id: r.try_get("", "id")?,
        name: r.try_get("", "name")?,
        prefix: r.try_get("", "prefix")?,
        permissions: r.try_get("", "permissions")?,
        expires_at: r.try_get("", "expires_at")?,
        last_used_at: r.try_get("", "last_used_at")?,
        revoked_at: r.try_get("", "revoked_at")?,
        created_at: r.try_get("", "created_at")?,
    })
}

pub async fn list(state: &AppState, user: &Actor) -> AppResult<Vec<ApiKeyResponse>> {
    let rows = db::all(
        &state.db,
        format!("SELECT {COLUMNS} FROM api_keys WHERE user_id = $1 ORDER BY created_at DESC"),
        [user.id.into()],
    )
    .await?;
    rows.iter().map(from_row).collect()
}

pub async fn create(
    state: &AppState,
    user: &Actor,
    client: &RequestMeta,
    req: CreateApiKeyRequest,
) -> AppResult<CreatedApiKeyResponse> {
    if user.api_key.is_some() {
        return Err(AppError::new(
            ErrorCode::SessionRequired,
            "API keys cannot create API keys",
        ));
    }
    let mut errors = Vec::new();
    let name = req.name.trim().to_owned();
    if name.is_empty() || name.chars().count() > 100 {
        errors.push(FieldError::new("#/name", "must be 1 to 100 characters"));
    }
    if req.permissions.is_empty() {
        errors.push(FieldError::new(
            "#/permissions",
            "name at least one permission",
        ));
    }
    if req.expires_at.is_some_and(|e| e <= Utc::now()) {
        errors.push(FieldError::new("#/expires_at", "must be in the future"));
    }
    let grants = crate::authz::grants(state, user).await?;
    for (i, p) in req.permissions.iter().enumerate() {
        if !grants.has_anywhere(p) {
            errors.push(FieldError::new(
                format!("#/permissions/{i}"),
                format!("you do not hold `{p}`"),
            ));
        }
    }
    if !errors.is_empty() {
        return Err(AppError::validation(errors));
    }
    let mut permissions = req.permissions.clone();
    permissions.sort();
    permissions.dedup();
    let key = format!("azk_{}", tokens::new_token());
    let id = Uuid::now_v7();
    let txn = state.db.begin().await?;
    let row = db::one(
        &txn,
        format!(
            "INSERT INTO api_keys (id, user_id, name, prefix, key_hash, permissions, expires_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING {COLUMNS}"
        ),
        [
            id.into(),
            user.id.into(),
            name.clone().into(),
            key[..12].to_owned().into(),
            tokens::hash_token(&key).into(),
            permissions.clone().into(),
            req.expires_at.into(),
        ],
    )
    .await?
    .ok_or_else(|| AppError::internal(anyhow::anyhow!("insert returned nothing")))?;
    audit::record(
        &txn,
        AuditEvent::new(
            Some(user.id),
            "api_key.create",
            "api_key",
            Some(id.to_string()),
        )
        .details(serde_json::json!({"name": name, "permissions": permissions})),
        client,
    )
    .await?;
    let api_key = from_row(&row)?;
    txn.commit().await?;
    Ok(CreatedApiKeyResponse { key, api_key })
}

/// Revokes one of the caller's keys; another user's is 404.
pub async fn revoke(
    state: &AppState,
    user: &Actor,
    client: &RequestMeta,
    id: Uuid,
) -> AppResult<()> {
    let txn = state.db.begin().await?;
    let res = db::exec(&txn, "UPDATE api_keys SET revoked_at = coalesce(revoked_at, now()) WHERE id = $1 AND user_id = $2",
            [id.into(), user.id.into()],)
        .await?;
    if res.rows_affected() == 0 {
        return Err(AppError::not_found("api key"));
    }
    audit::record(
        &txn,
        AuditEvent::new(
            Some(user.id),
            "api_key.revoke",
            "api_key",
            Some(id.to_string()),
        ),
        client,
    )
    .await?;
    txn.commit().await?;
    Ok(())
}
