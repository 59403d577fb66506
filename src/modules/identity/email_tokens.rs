//! Single-use tokens sent by mail (address verification, password reset): issued random,
//! stored hashed, consumed once before they expire; and the after-the-response runner of the
//! routes that must not reveal whether an address has an account.

use chrono::{Duration, Utc};
use entity::email_tokens;
use kernel::enums::EmailTokenPurpose;
use kernel::{AppError, AppResult, ErrorCode};
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseTransaction, EntityTrait, QueryFilter,
    Set,
};
use uuid::Uuid;

use super::tokens;
use crate::state::AppState;

/// A new token for `user_id`, valid for `ttl`; returns the token (only its hash is stored).
pub(super) async fn issue(
    db: &impl ConnectionTrait,
    user_id: Uuid,
    purpose: EmailTokenPurpose,
    ttl: Duration,
) -> AppResult<String> {
    let token = tokens::new_token();
    email_tokens::ActiveModel {
        id: Set(Uuid::now_v7()),
        user_id: Set(user_id),
        purpose: Set(purpose),
        token_hash: Set(tokens::hash_token(&token)),
        expires_at: Set(Utc::now() + ttl),
        ..Default::default()
    }
    .insert(db)
    .await?;
    Ok(token)
}

/// Marks a single-use token used and returns its user, or fails with
/// `invalid_or_expired_token`.
pub(super) async fn consume(
    txn: &DatabaseTransaction,
    token: &str,
    purpose: EmailTokenPurpose,
) -> AppResult<Uuid> {
    let used = email_tokens::Entity::update_many()
        .col_expr(email_tokens::Column::UsedAt, Expr::current_timestamp())
        .filter(email_tokens::Column::TokenHash.eq(tokens::hash_token(token.trim())))
        .filter(email_tokens::Column::Purpose.eq(purpose))
        .filter(email_tokens::Column::UsedAt.is_null())
        .filter(Expr::col(email_tokens::Column::ExpiresAt).gt(Expr::current_timestamp()))
        .exec_with_returning(txn)
        .await?;
    used.first().map(|t| t.user_id).ok_or_else(|| {
        AppError::new(
            ErrorCode::InvalidOrExpiredToken,
            "this link is invalid, used or expired",
        )
    })
}

/// The link a mail carries: `{public_url}/{path}?token=...`.
pub(super) fn link(state: &AppState, path: &str, token: &str) -> String {
    format!(
        "{}/{path}?token={token}",
        state.settings.server.public_url.trim_end_matches('/')
    )
}

/// Runs `work` after the response, so the answer's timing and content do not depend on
/// whether an account exists.
pub(super) fn in_background<F>(work: F)
where
    F: Future<Output = AppResult<()>> + Send + 'static,
{
    tokio::spawn(async move {
        if let Err(e) = work.await {
            tracing::error!(error = %e, "background account mail failed");
        }
    });
}
