//! Authentication: a credential in, the [`Actor`] it stands for out. Owns every read and write
//! of `sessions` and `api_keys` that authenticating needs; the web layer calls it through the
//! `authenticate` hook.
//!
//! An access token is accepted only while its session is live: logout or revocation ends it at
//! once, not at expiry. Suspended or deleted accounts are refused whatever the credential.

use chrono::{DateTime, Utc};
use entity::{api_keys, sessions, users};
use futures_util::future::BoxFuture;
use kernel::enums::AccountStatus;
use kernel::{Actor, ApiKeyLimit, AppError, AppResult, ErrorCode};
use sea_orm::sea_query::{Condition, Expr, ExprTrait};
use sea_orm::{
    ColumnTrait, EntityTrait, FromQueryResult, JoinType, QueryFilter, QuerySelect, RelationTrait,
};
use uuid::Uuid;

use super::accounts::{UserRow, account_view};
use super::dto::UserResponse;
use super::tokens;
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
    account: UserRow,
    session_id: Option<Uuid>,
    api_key: Option<ApiKeyLimit>,
) -> AppResult<Actor> {
    if account.status != AccountStatus::Active {
        return Err(AppError::new(
            ErrorCode::AccountSuspended,
            "this account is suspended",
        ));
    }
    let account = UserResponse::from(account);
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

/// The account of a live session, and when the session was last seen.
#[derive(FromQueryResult)]
struct SessionAccount {
    #[sea_orm(nested)]
    account: UserRow,
    session_last_seen_at: DateTime<Utc>,
}

async fn from_access_token(state: &AppState, token: &str) -> AppResult<Actor> {
    let claims: Claims = state.jwt.decode(token)?;
    let found = account_view()
        .join(JoinType::InnerJoin, users::Relation::Sessions.def())
        .column_as(sessions::Column::LastSeenAt, "session_last_seen_at")
        .filter(sessions::Column::Id.eq(claims.sid))
        .filter(sessions::Column::UserId.eq(claims.sub))
        .filter(sessions::Column::RevokedAt.is_null())
        .filter(
            Expr::col((sessions::Entity, sessions::Column::ExpiresAt))
                .gt(Expr::current_timestamp()),
        )
        .filter(users::Column::DeletedAt.is_null())
        .into_model::<SessionAccount>()
        .one(&state.db)
        .await?
        .ok_or_else(|| {
            AppError::new(
                ErrorCode::SessionRevoked,
                "this session has ended; sign in again",
            )
        })?;
    let actor = actor_of(found.account, Some(claims.sid), None)?;
    if Utc::now() - found.session_last_seen_at > chrono::Duration::seconds(60) {
        sessions::Entity::update_many()
            .col_expr(sessions::Column::LastSeenAt, Expr::current_timestamp())
            .filter(sessions::Column::Id.eq(claims.sid))
            .exec(&state.db)
            .await?;
    }
    Ok(actor)
}

/// The account of a live API key, with the key's id and permissions.
#[derive(FromQueryResult)]
struct KeyAccount {
    #[sea_orm(nested)]
    account: UserRow,
    key_id: Uuid,
    key_permissions: Vec<String>,
}

async fn from_api_key(state: &AppState, key: &str) -> AppResult<Actor> {
    let found = account_view()
        .join(JoinType::InnerJoin, users::Relation::ApiKeys.def())
        .column_as(api_keys::Column::Id, "key_id")
        .column_as(api_keys::Column::Permissions, "key_permissions")
        .filter(api_keys::Column::KeyHash.eq(tokens::hash_token(key)))
        .filter(api_keys::Column::RevokedAt.is_null())
        .filter(
            Condition::any()
                .add(api_keys::Column::ExpiresAt.is_null())
                .add(
                    Expr::col((api_keys::Entity, api_keys::Column::ExpiresAt))
                        .gt(Expr::current_timestamp()),
                ),
        )
        .filter(users::Column::DeletedAt.is_null())
        .into_model::<KeyAccount>()
        .one(&state.db)
        .await?
        .ok_or_else(|| {
            AppError::new(
                ErrorCode::InvalidApiKey,
                "the API key is unknown, expired or revoked",
            )
        })?;
    api_keys::Entity::update_many()
        .col_expr(api_keys::Column::LastUsedAt, Expr::current_timestamp())
        .filter(api_keys::Column::Id.eq(found.key_id))
        .exec(&state.db)
        .await?;
    let key = ApiKeyLimit {
        id: found.key_id,
        permissions: found.key_permissions,
    };
    actor_of(found.account, None, Some(key))
}
