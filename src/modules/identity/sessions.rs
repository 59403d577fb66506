//! Sessions and their tokens: a session is a family of single-use refresh tokens, each
//! exchanged for the next (and a new access token); presenting a spent one ends the session.
//! Sessions end at logout, when their owner revokes them, at a password change or reset, and
//! when an administrator suspends or deletes the account.

use chrono::{DateTime, Duration, Utc};
use entity::{refresh_tokens, sessions};
use kernel::enums::{AccountStatus, RevokeReason};
use kernel::{Actor, AppError, AppResult, ErrorCode, RequestMeta, db};
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseTransaction, EntityTrait,
    FromQueryResult, PaginatorTrait, QueryFilter, QueryOrder, Set, TransactionTrait,
};
use uuid::Uuid;

use super::accounts::get_user;
use super::authn::Claims;
use super::dto::{SessionResponse, TokenResponse};
use super::tokens;
use crate::modules::audit::{self, AuditEvent};
use crate::state::AppState;

/// Creates a session with its first refresh token and stamps the sign-in on the account, in
/// one statement, and signs an access token.
pub(super) async fn issue_session(
    state: &AppState,
    txn: &DatabaseTransaction,
    user_id: Uuid,
    client: &RequestMeta,
) -> AppResult<TokenResponse> {
    let session_id = Uuid::now_v7();
    let ttl = Duration::seconds(
        i64::try_from(state.settings.security.refresh_token_ttl_secs).unwrap_or(2_592_000),
    );
    let refresh = tokens::new_token();
    db::exec(
        txn,
        "WITH s AS (INSERT INTO sessions (id, user_id, user_agent, ip, expires_at) \
             VALUES ($1, $2, $3, $4, $5) RETURNING id), \
         u AS (UPDATE users SET last_login_at = now() WHERE id = $2) \
         INSERT INTO refresh_tokens (id, session_id, token_hash) SELECT $6, s.id, $7 FROM s",
        [
            session_id.into(),
            user_id.into(),
            client.user_agent.clone().into(),
            client.ip.clone().into(),
            (Utc::now() + ttl).into(),
            Uuid::now_v7().into(),
            tokens::hash_token(&refresh).into(),
        ],
    )
    .await?;
    sign_tokens(state, txn, user_id, session_id, refresh).await
}

/// A new refresh token in `session_id`, and a new access token.
async fn tokens_for(
    state: &AppState,
    txn: &DatabaseTransaction,
    user_id: Uuid,
    session_id: Uuid,
) -> AppResult<TokenResponse> {
    let refresh = tokens::new_token();
    refresh_tokens::ActiveModel {
        id: Set(Uuid::now_v7()),
        session_id: Set(session_id),
        token_hash: Set(tokens::hash_token(&refresh)),
        ..Default::default()
    }
    .insert(txn)
    .await?;
    sign_tokens(state, txn, user_id, session_id, refresh).await
}

/// The token response: an access token for the session, the refresh token, the account.
async fn sign_tokens(
    state: &AppState,
    txn: &DatabaseTransaction,
    user_id: Uuid,
    session_id: Uuid,
    refresh_token: String,
) -> AppResult<TokenResponse> {
    let now = Utc::now();
    let ttl = state.settings.security.access_token_ttl_secs;
    let access_token = state.jwt.encode(&Claims {
        sub: user_id,
        sid: session_id,
        iat: now.timestamp(),
        exp: now.timestamp() + i64::try_from(ttl).unwrap_or(900),
        jti: Uuid::now_v7(),
    })?;
    let user = get_user(txn, user_id).await?;
    Ok(TokenResponse {
        access_token,
        token_type: "Bearer",
        expires_in: ttl,
        refresh_token,
        session_id,
        user,
    })
}

/// A presented refresh token with its session and account, locked.
#[derive(FromQueryResult)]
struct RefreshRow {
    id: Uuid,
    used_at: Option<DateTime<Utc>>,
    session_id: Uuid,
    user_id: Uuid,
    revoked_at: Option<DateTime<Utc>>,
    expires_at: DateTime<Utc>,
    status: AccountStatus,
    deleted_at: Option<DateTime<Utc>>,
}

/// Rotates a refresh token. A token presented twice revokes its whole session.
pub async fn refresh(
    state: &AppState,
    client: &RequestMeta,
    refresh_token: &str,
) -> AppResult<TokenResponse> {
    let invalid = || {
        AppError::new(
            ErrorCode::InvalidRefreshToken,
            "the refresh token is invalid or expired",
        )
    };
    let txn = state.db.begin().await?;
    let row: RefreshRow = db::row(
        &txn,
        "SELECT t.id, t.used_at, s.id AS session_id, s.user_id, s.revoked_at, s.expires_at, \
             u.status, u.deleted_at \
         FROM refresh_tokens t JOIN sessions s ON s.id = t.session_id JOIN users u ON u.id = s.user_id \
         WHERE t.token_hash = $1 FOR UPDATE OF t, s",
        [tokens::hash_token(refresh_token.trim()).into()],
    )
    .await?
    .ok_or_else(invalid)?;
    let (session_id, user_id) = (row.session_id, row.user_id);
    if row.used_at.is_some() {
        // Replay of a spent token: someone else may hold the family. End it.
        if row.revoked_at.is_none() {
            revoke_session_row(&txn, session_id, RevokeReason::RefreshTokenReuse).await?;
        }
        audit::record(
            &txn,
            AuditEvent::new(
                Some(user_id),
                "auth.refresh_token_reuse",
                "session",
                Some(session_id.to_string()),
            )
            .outcome("denied")
            .details(serde_json::json!({"security_event": true})),
            client,
        )
        .await?;
        txn.commit().await?;
        return Err(AppError::new(
            ErrorCode::RefreshTokenReused,
            "this refresh token was already used; the session has been ended",
        ));
    }
    if row.revoked_at.is_some()
        || row.expires_at <= Utc::now()
        || row.status != AccountStatus::Active
        || row.deleted_at.is_some()
    {
        return Err(invalid());
    }
    refresh_tokens::ActiveModel {
        id: Set(row.id),
        used_at: Set(Some(Utc::now())),
        ..Default::default()
    }
    .update(&txn)
    .await?;
    let tokens = tokens_for(state, &txn, user_id, session_id).await?;
    audit::record(
        &txn,
        AuditEvent::new(
            Some(user_id),
            "auth.refresh",
            "session",
            Some(session_id.to_string()),
        ),
        client,
    )
    .await?;
    txn.commit().await?;
    Ok(tokens)
}

/// Ends the live sessions of `user_id`, but `except`; how many ended.
pub(super) async fn revoke_sessions(
    db: &impl ConnectionTrait,
    user_id: Uuid,
    except: Option<Uuid>,
    reason: RevokeReason,
) -> AppResult<u64> {
    let mut update = sessions::Entity::update_many()
        .col_expr(sessions::Column::RevokedAt, Expr::current_timestamp())
        .col_expr(sessions::Column::RevokedReason, Expr::value(reason))
        .filter(sessions::Column::UserId.eq(user_id))
        .filter(sessions::Column::RevokedAt.is_null());
    if let Some(except) = except {
        update = update.filter(sessions::Column::Id.ne(except));
    }
    Ok(update.exec(db).await?.rows_affected)
}

/// Ends one session if it is live; whether it was.
async fn revoke_session_row(
    db: &impl ConnectionTrait,
    session_id: Uuid,
    reason: RevokeReason,
) -> AppResult<bool> {
    let res = sessions::Entity::update_many()
        .col_expr(sessions::Column::RevokedAt, Expr::current_timestamp())
        .col_expr(sessions::Column::RevokedReason, Expr::value(reason))
        .filter(sessions::Column::Id.eq(session_id))
        .filter(sessions::Column::RevokedAt.is_null())
        .exec(db)
        .await?;
    Ok(res.rows_affected > 0)
}

/// Ends the caller's session (access tokens stop working at once).
pub async fn logout(state: &AppState, user: &Actor, client: &RequestMeta) -> AppResult<()> {
    let session_id = user.session_id.ok_or_else(|| {
        AppError::new(
            ErrorCode::NotASession,
            "API keys have no session; revoke the key instead",
        )
    })?;
    end_own_session(state, user, client, session_id, RevokeReason::Logout).await
}

/// Ends one of the caller's sessions; another user's is 404.
pub async fn revoke_own_session(
    state: &AppState,
    user: &Actor,
    client: &RequestMeta,
    session_id: Uuid,
) -> AppResult<()> {
    end_own_session(state, user, client, session_id, RevokeReason::Revoked).await
}

async fn end_own_session(
    state: &AppState,
    user: &Actor,
    client: &RequestMeta,
    session_id: Uuid,
    reason: RevokeReason,
) -> AppResult<()> {
    let txn = state.db.begin().await?;
    let owned = sessions::Entity::find_by_id(session_id)
        .filter(sessions::Column::UserId.eq(user.id))
        .filter(sessions::Column::RevokedAt.is_null())
        .count(&txn)
        .await?
        > 0;
    if !owned {
        return Err(AppError::not_found("session"));
    }
    revoke_session_row(&txn, session_id, reason).await?;
    let action = if reason == RevokeReason::Logout {
        "auth.logout"
    } else {
        "session.revoke"
    };
    audit::record(
        &txn,
        AuditEvent::new(
            Some(user.id),
            action,
            "session",
            Some(session_id.to_string()),
        ),
        client,
    )
    .await?;
    txn.commit().await?;
    Ok(())
}

/// The caller's live sessions, newest first.
pub async fn list_sessions(state: &AppState, user: &Actor) -> AppResult<Vec<SessionResponse>> {
    let rows = sessions::Entity::find()
        .filter(sessions::Column::UserId.eq(user.id))
        .filter(sessions::Column::RevokedAt.is_null())
        .filter(Expr::col(sessions::Column::ExpiresAt).gt(Expr::current_timestamp()))
        .order_by_desc(sessions::Column::CreatedAt)
        .all(&state.db)
        .await?;
    Ok(rows
        .into_iter()
        .map(|s| SessionResponse {
            current: user.session_id == Some(s.id),
            id: s.id,
            user_agent: s.user_agent,
            ip: s.ip,
            created_at: s.created_at,
            last_seen_at: s.last_seen_at,
            expires_at: s.expires_at,
        })
        .collect())
}
