//! Passwords: the strength rule, and changing one (with the current password), forgetting one
//! (a mailed reset token) and resetting one.
//!
//! Rules: 10 to 128 characters, a zxcvbn score of at least 3 (its feedback goes into the
//! problem), and not containing the email's local part. Hashing is
//! `kernel::crypto::PasswordHasher` (argon2id on the blocking pool; an unknown account is
//! checked against a dummy hash so it costs the same time). A new password ends the other
//! sessions and every API key, and a mail says what was ended.

use std::sync::Arc;

use chrono::{Duration, Utc};
use entity::{api_keys, users};
use kernel::enums::{EmailTokenPurpose, RevokeReason};
use kernel::{Actor, AppError, AppResult, FieldError, RequestMeta};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseTransaction, EntityTrait, QueryFilter,
    Set, TransactionTrait,
};
use uuid::Uuid;

use super::accounts::{get_user, live_user_by_email};
use super::dto::UserResponse;
use super::strength::check_strength;
use super::{email_tokens, sessions};
use crate::modules::audit::{self, AuditEvent};
use crate::modules::notifications::mail::{self, OutgoingMail};
use crate::state::AppState;

const RESET_TTL_HOURS: i64 = 1;

/// 202 whatever the address; a reset mail goes out if it has an account.
pub fn forgot_password(state: Arc<AppState>, client: RequestMeta, email: String) {
    email_tokens::in_background(async move {
        let Some(user) = live_user_by_email(&state.db, &email).await? else {
            return Ok(());
        };
        let (id, name) = (user.id, user.display_name);
        let txn = state.db.begin().await?;
        let token = email_tokens::issue(
            &txn,
            id,
            EmailTokenPurpose::ResetPassword,
            Duration::hours(RESET_TTL_HOURS),
        )
        .await?;
        let url = email_tokens::link(&state, "reset-password", &token);
        mail::enqueue(
            &txn,
            OutgoingMail {
                kind: "reset_password",
                to: email.clone(),
                subject: "Reset your Azora password".into(),
                text: format!(
                    "Hello {name},\n\nSomeone asked to reset the password of your Azora account. \
                     Open this link within one hour to choose a new one:\n\n{url}\n\n\
                     Or send this token to POST /api/v1/auth/password/reset: {token}\n\n\
                     If it was not you, ignore this message: your password stays as it is.\n"
                ),
                html: None,
            },
        )
        .await?;
        audit::record(
            &txn,
            AuditEvent::new(
                Some(id),
                "user.password_reset_requested",
                "user",
                Some(id.to_string()),
            ),
            &client,
        )
        .await?;
        txn.commit().await?;
        Ok(())
    });
}

/// Revokes every live API key of `user_id` (a password change or reset: whoever held the old
/// password may have made keys).
async fn revoke_api_keys(
    db: &impl ConnectionTrait,
    user_id: Uuid,
    reason: RevokeReason,
) -> AppResult<u64> {
    let res = api_keys::Entity::update_many()
        .col_expr(api_keys::Column::RevokedAt, Expr::current_timestamp())
        .col_expr(api_keys::Column::RevokedReason, Expr::value(reason))
        .filter(api_keys::Column::UserId.eq(user_id))
        .filter(api_keys::Column::RevokedAt.is_null())
        .exec(db)
        .await?;
    Ok(res.rows_affected)
}

/// After a new password: ends the other sessions and every API key, and confirms by mail what
/// was ended. `(sessions, keys)` ended.
async fn end_credentials_after_password(
    txn: &DatabaseTransaction,
    user: &UserResponse,
    keep_session: Option<Uuid>,
    reason: RevokeReason,
) -> AppResult<(u64, u64)> {
    let sessions = sessions::revoke_sessions(txn, user.id, keep_session, reason).await?;
    let keys = revoke_api_keys(txn, user.id, reason).await?;
    let how = if reason == RevokeReason::PasswordReset {
        "reset"
    } else {
        "changed"
    };
    let others = if keep_session.is_some() { "other " } else { "" };
    mail::enqueue(
        txn,
        OutgoingMail {
            kind: "password_changed",
            to: user.email.clone(),
            subject: "Your Azora password was changed".into(),
            text: format!(
                "Hello {name},\n\nThe password of your Azora account was {how}. To keep the \
                 account safe, {sessions} {others}signed-in session(s) were ended and {keys} API \
                 key(s) were revoked: sign in again where you need to and create new API keys.\n\n\
                 If it was not you, reset your password at once and tell us.\n",
                name = user.display_name,
            ),
            html: None,
        },
    )
    .await?;
    Ok((sessions, keys))
}

async fn set_password(db: &impl ConnectionTrait, user_id: Uuid, hash: String) -> AppResult<()> {
    users::ActiveModel {
        id: Set(user_id),
        password_hash: Set(hash),
        updated_at: Set(Utc::now()),
        ..Default::default()
    }
    .update(db)
    .await?;
    Ok(())
}

/// Sets a new password from a reset token and ends every session.
pub async fn reset_password(
    state: &AppState,
    client: &RequestMeta,
    token: &str,
    new_password: String,
) -> AppResult<()> {
    let txn = state.db.begin().await?;
    let user_id = email_tokens::consume(&txn, token, EmailTokenPurpose::ResetPassword).await?;
    let user = get_user(&txn, user_id).await?;
    check_strength(&new_password, &user.email, "#/new_password")?;
    let hash = state.hasher.hash(new_password).await?;
    set_password(&txn, user_id, hash).await?;
    let (ended, keys) =
        end_credentials_after_password(&txn, &user, None, RevokeReason::PasswordReset).await?;
    audit::record(
        &txn,
        AuditEvent::new(
            Some(user_id),
            "user.password_reset",
            "user",
            Some(user_id.to_string()),
        )
        .details(serde_json::json!({"sessions_revoked": ended, "api_keys_revoked": keys})),
        client,
    )
    .await?;
    txn.commit().await?;
    Ok(())
}

/// Whether `password` is the user's password.
pub(super) async fn check_password(
    state: &AppState,
    user_id: Uuid,
    password: String,
) -> AppResult<bool> {
    let user = users::Entity::find_by_id(user_id)
        .one(&state.db)
        .await?
        .ok_or_else(|| AppError::not_found("user"))?;
    state
        .hasher
        .verify(password, Some(user.password_hash))
        .await
}

/// Changes the password (the current one is needed) and ends every other session.
pub async fn change_password(
    state: &AppState,
    user: &Actor,
    client: &RequestMeta,
    current: String,
    new_password: String,
) -> AppResult<()> {
    if !check_password(state, user.id, current).await? {
        let txn = state.db.begin().await?;
        audit::record(
            &txn,
            AuditEvent::new(
                Some(user.id),
                "user.password_change",
                "user",
                Some(user.id.to_string()),
            )
            .outcome("failure"),
            client,
        )
        .await?;
        txn.commit().await?;
        return Err(AppError::validation(vec![FieldError::new(
            "#/current_password",
            "is not your current password",
        )]));
    }
    check_strength(&new_password, &user.email, "#/new_password")?;
    let hash = state.hasher.hash(new_password).await?;
    let txn = state.db.begin().await?;
    set_password(&txn, user.id, hash).await?;
    let account = get_user(&txn, user.id).await?;
    let (ended, keys) = end_credentials_after_password(
        &txn,
        &account,
        user.session_id,
        RevokeReason::PasswordChange,
    )
    .await?;
    audit::record(
        &txn,
        AuditEvent::new(
            Some(user.id),
            "user.password_change",
            "user",
            Some(user.id.to_string()),
        )
        .details(serde_json::json!({"sessions_revoked": ended, "api_keys_revoked": keys})),
        client,
    )
    .await?;
    txn.commit().await?;
    Ok(())
}
