//! Authentication: a credential in, the [`Actor`] it stands for out. Owns every read and write
//! of `sessions` and `api_keys` that authenticating needs; the web layer calls it through the
//! `authenticate` hook.
//!
//! An access token is accepted only while its session is live: logout or revocation ends it at
//! once, not at expiry. Suspended or deleted accounts are refused whatever the credential.

use chrono::{DateTime, Utc};
use futures_util::future::BoxFuture;
use kernel::{Actor, ApiKeyLimit, AppError, AppResult, ErrorCode};
use uuid::Uuid;

use super::dto::UserResponse;
use super::service::{USER_COLUMNS, user_from_row};
use super::tokens;
use crate::db;
use crate::state::{AppState, Credential};

/// Claims of an access token.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct Claims {
    pub sub: Uuid,
    pub sid: Uuid,
    pub exp: i64,
    pub iat: i64,
    pub jti: Uuid,
}

/// The platform's `authenticate` hook.
pub fn authenticate<'a>(
    state: &'a AppState,
    credential: Credential<'a>,
) -> BoxFuture<'a, AppResult<Actor>> {
    Box::pin(async move {
        match credential {
            Credential::Bearer(token) => from_access_token(state, token).await,
            Credential::ApiKey(key) => from_api_key(state, key).await,
        }
    })
}

fn actor_of(
    account: UserResponse,
    session_id: Option<Uuid>,
    api_key: Option<ApiKeyLimit>,
) -> AppResult<Actor> {
    if account.status != "active" {
        return Err(AppError::new(
            ErrorCode::AccountSuspended,
            "this account is suspended",
        ));
    }
    let mut actor = Actor::new(
        account.id,
        account.email.clone(),
        account.email_verified,
        session_id,
        api_key,
    );
    actor.account = Some(std::sync::Arc::new(account));
    Ok(actor)
}

/// The account as read while authenticating (`GET /me` needs no other query).
pub fn account_of(actor: &Actor) -> Option<&UserResponse> {
    actor.account::<UserResponse>()
}

async fn from_access_token(state: &AppState, token: &str) -> AppResult<Actor> {
    let claims: Claims = state.jwt.decode(token)?;
    let row = db::one(
        &state.db,
        format!(
            "SELECT {USER_COLUMNS}, s.last_seen_at FROM sessions s JOIN users u ON u.id = s.user_id \
             WHERE s.id = $1 AND s.user_id = $2 AND s.revoked_at IS NULL \
               AND s.expires_at > now() AND u.deleted_at IS NULL"
        ),
        [claims.sid.into(), claims.sub.into()],
    )
    .await?
    .ok_or_else(|| {
        AppError::new(
            ErrorCode::SessionRevoked,
            "this session has ended; sign in again",
        )
    })?;
    let actor = actor_of(user_from_row(&row)?, Some(claims.sid), None)?;
    let last_seen: DateTime<Utc> = row.try_get("", "last_seen_at")?;
    if Utc::now() - last_seen > chrono::Duration::seconds(60) {
        db::exec(
            &state.db,
            "UPDATE sessions SET last_seen_at = now() WHERE id = $1",
            [claims.sid.into()],
        )
        .await?;
    }
    Ok(actor)
}

async fn from_api_key(state: &AppState, key: &str) -> AppResult<Actor> {
    let hash = tokens::hash_token(key);
    let row = db::one(
        &state.db,
        format!(
            "UPDATE api_keys k SET last_used_at = now() FROM users u \
             WHERE k.key_hash = $1 AND u.id = k.user_id AND k.revoked_at IS NULL \
               AND (k.expires_at IS NULL OR k.expires_at > now()) AND u.deleted_at IS NULL \
             RETURNING k.id AS key_id, k.permissions, {USER_COLUMNS}"
        ),
        [hash.into()],
    )
    .await?
    .ok_or_else(|| {
        AppError::new(
            ErrorCode::InvalidApiKey,
            "the API key is unknown, expired or revoked",
        )
    })?;
    let key = ApiKeyLimit {
        id: row.try_get("", "key_id")?,
        permissions: row.try_get("", "permissions")?,
    };
    actor_of(user_from_row(&row)?, None, Some(key))
}
