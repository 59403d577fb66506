//! Personal API keys: a name, an optional expiry and a subset of the owner's permissions. The
//! secret is shown once and stored as its SHA-256; `X-Api-Key` authenticates with it.

use chrono::Utc;
use entity::api_keys;
use kernel::{Actor, AppError, AppResult, ErrorCode, FieldError, RequestMeta};
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, QueryOrder, Set, TransactionTrait,
};
use uuid::Uuid;

use super::dto::{ApiKeyResponse, CreateApiKeyRequest, CreatedApiKeyResponse};
use super::tokens;
use crate::modules::audit::{self, AuditEvent};
use crate::state::AppState;

impl From<api_keys::Model> for ApiKeyResponse {
    fn from(k: api_keys::Model) -> Self {
        ApiKeyResponse {
            id: k.id,
            name: k.name,
            prefix: k.prefix,
            permissions: k.permissions,
            expires_at: k.expires_at,
            last_used_at: k.last_used_at,
            revoked_at: k.revoked_at,
            created_at: k.created_at,
        }
    }
}

pub async fn list(state: &AppState, user: &Actor) -> AppResult<Vec<ApiKeyResponse>> {
    Ok(api_keys::Entity::find()
        .filter(api_keys::Column::UserId.eq(user.id))
        .order_by_desc(api_keys::Column::CreatedAt)
        .all(&state.db)
        .await?
        .into_iter()
        .map(ApiKeyResponse::from)
        .collect())
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
    let mut permissions: Vec<String> = req.permissions.iter().map(|p| p.to_string()).collect();
    permissions.sort();
    permissions.dedup();
    let key = format!("azk_{}", tokens::new_token());
    let id = Uuid::now_v7();
    let txn = state.db.begin().await?;
    let stored = api_keys::ActiveModel {
        id: Set(id),
        user_id: Set(user.id),
        name: Set(name.clone()),
        prefix: Set(key[..12].to_owned()),
        key_hash: Set(tokens::hash_token(&key)),
        permissions: Set(permissions.clone()),
        expires_at: Set(req.expires_at),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
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
    txn.commit().await?;
    Ok(CreatedApiKeyResponse {
        key,
        api_key: stored.into(),
    })
}

/// Revokes one of the caller's keys; another user's is 404.
pub async fn revoke(
    state: &AppState,
    user: &Actor,
    client: &RequestMeta,
    id: Uuid,
) -> AppResult<()> {
    let txn = state.db.begin().await?;
    let res = api_keys::Entity::update_many()
        .col_expr(
            api_keys::Column::RevokedAt,
            Expr::col(api_keys::Column::RevokedAt).if_null(Expr::current_timestamp()),
        )
        .filter(api_keys::Column::Id.eq(id))
        .filter(api_keys::Column::UserId.eq(user.id))
        .exec(&txn)
        .await?;
    if res.rows_affected == 0 {
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
