//! Accounts, sign-in, sessions, email tokens and profiles.

use chrono::{DateTime, Duration, Utc};
use sea_orm::{ConnectionTrait, DatabaseTransaction, TransactionTrait};
use uuid::Uuid;

use super::authn::Claims;
use super::dto::{
    LoginResponse, MfaChallengeResponse, RegisterRequest, SessionResponse, TokenResponse,
    UpdateProfileRequest, UserResponse,
};
use super::{lockout, mfa, password, tokens};
use crate::db;
use crate::modules::audit::{self, AuditEvent};
use crate::modules::notifications::mail::{self, OutgoingMail};
use crate::state::AppState;
use kernel::event::DomainEvent;
use kernel::{Actor, AppError, AppResult, ErrorCode, FieldError, RequestMeta};

const VERIFY_TTL_HOURS: i64 = 24;
const RESET_TTL_HOURS: i64 = 1;
const MFA_CHALLENGE_TTL_SECS: i64 = 300;
const MFA_MAX_ATTEMPTS: i32 = 5;

pub(crate) const USER_COLUMNS: &str = "u.id, u.email, u.display_name, u.email_verified_at, u.status, u.bio, \
     u.avatar_url, u.locale, u.time_zone, u.created_at, u.last_login_at, u.deleted_at, \
     EXISTS (SELECT 1 FROM mfa_totp t WHERE t.user_id = u.id AND t.confirmed_at IS NOT NULL) AS mfa_enabled";

pub(crate) fn user_from_row(r: &sea_orm::QueryResult) -> AppResult<UserResponse> {
    let verified: Option<DateTime<Utc>> = r.try_get("", "email_verified_at")?;
    Ok(UserResponse {
        id: r.try_get("", "id")?,
        email: r.try_get("", "email")?,
        display_name: r.try_get("", "display_name")?,
        email_verified: verified.is_some(),
        status: r.try_get("", "status")?,
        bio: r.try_get("", "bio")?,
        avatar_url: r.try_get("", "avatar_url")?,
        locale: r.try_get("", "locale")?,
        time_zone: r.try_get("", "time_zone")?,
        mfa_enabled: r.try_get("", "mfa_enabled")?,
        created_at: r.try_get("", "created_at")?,
        last_login_at: r.try_get("", "last_login_at")?,
        deleted_at: r.try_get("", "deleted_at")?,
    })
}

/// A live or soft-deleted account by id.
pub async fn find_user(db: &impl ConnectionTrait, id: Uuid) -> AppResult<Option<UserResponse>> {
    let row = db::one(
        db,
        format!("SELECT {USER_COLUMNS} FROM users u WHERE u.id = $1"),
        [id.into()],
    )
    .await?;
    row.as_ref().map(user_from_row).transpose()
}

/// For other modules naming a user in a request: a live (not deleted) account, or a 422 at
/// `pointer`.
pub async fn require_live_user(
    db: &impl ConnectionTrait,
    id: Uuid,
    pointer: &str,
) -> AppResult<()> {
    let live = db::one(
        db,
        "SELECT 1 AS one FROM users WHERE id = $1 AND deleted_at IS NULL",
        [id.into()],
    )
    .await?
    .is_some();
    if live {
        Ok(())
    } else {
        Err(AppError::validation(vec![FieldError::new(
            pointer,
            "no such user",
        )]))
    }
}

/// Lower-cased, trimmed, and shaped like an address; else a field error at `pointer`.
pub fn normalize_email(email: &str, pointer: &str) -> AppResult<String> {
    let email = email.trim().to_lowercase();
    let valid = email.len() <= 254
        && email.split_once('@').is_some_and(|(local, domain)| {
            !local.is_empty()
                && local.len() <= 64
                && domain.contains('.')
                && !domain.starts_with('.')
                && !domain.ends_with('.')
                && !email.chars().any(|c| c.is_whitespace() || c.is_control())
                && !domain.contains('@')
        });
    if valid {
        Ok(email)
    } else {
        Err(AppError::validation(vec![FieldError::new(
            pointer,
            "not a valid email address",
        )]))
    }
}

fn check_display_name(name: &str) -> AppResult<String> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 100 {
        return Err(AppError::validation(vec![FieldError::new(
            "#/display_name",
            "must be 1 to 100 characters",
        )]));
    }
    Ok(name.to_owned())
}

fn link(state: &AppState, path: &str, token: &str) -> String {
    format!(
        "{}/{path}?token={token}",
        state.settings.server.public_url.trim_end_matches('/')
    )
}

async fn insert_email_token(
    db: &impl ConnectionTrait,
    user_id: Uuid,
    purpose: &str,
    ttl: Duration,
) -> AppResult<String> {
    let token = tokens::new_token();
    db::exec(db, "INSERT INTO email_tokens (id, user_id, purpose, token_hash, expires_at) VALUES ($1, $2, $3, $4, $5)",
        [
            Uuid::now_v7().into(),
            user_id.into(),
            purpose.into(),
            tokens::hash_token(&token).into(),
            (Utc::now() + ttl).into(),
        ],)
    .await?;
    Ok(token)
}

async fn enqueue_verification(
    state: &AppState,
    db: &impl ConnectionTrait,
    user_id: Uuid,
    email: &str,
    name: &str,
) -> AppResult<()> {
    let token = insert_email_token(
        db,
        user_id,
        "verify_email",
        Duration::hours(VERIFY_TTL_HOURS),
    )
    .await?;
    let url = link(state, "verify-email", &token);
    mail::enqueue(
        db,
        OutgoingMail {
            kind: "verify_email",
            to: email.to_owned(),
            subject: "Confirm your Azora email address".into(),
            text: format!(
                "Hello {name},\n\nConfirm your email address by opening this link within 24 hours:\n\n{url}\n\n\
                 Or send this token to POST /api/v1/auth/verify-email: {token}\n\n\
                 If you did not create an Azora account, ignore this message.\n"
            ),
            html: None,
        },
    )
    .await?;
    Ok(())
}

/// Creates an account (student globally), its verification mail and audit record, in one
/// transaction.
pub async fn register(
    state: &AppState,
    client: &RequestMeta,
    req: RegisterRequest,
) -> AppResult<UserResponse> {
    let email = normalize_email(&req.email, "#/email")?;
    let display_name = check_display_name(&req.display_name)?;
    password::check_strength(&req.password, &email, "#/password")?;
    let hash = state.hasher.hash(req.password.into_string()).await?;

    let txn = state.db.begin().await?;
    let id = Uuid::now_v7();
    let inserted = db::exec(
        &txn,
        "INSERT INTO users (id, email, display_name, password_hash) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (email) WHERE deleted_at IS NULL DO NOTHING",
        [
            id.into(),
            email.clone().into(),
            display_name.clone().into(),
            hash.into(),
        ],
    )
    .await?;
    if inserted.rows_affected() == 0 {
        return Err(
            AppError::new(ErrorCode::EmailTaken, "an account with this email exists")
                .with_errors(vec![FieldError::new("#/email", "already registered")]),
        );
    }
    crate::events::publish(state, &txn, DomainEvent::UserRegistered { user_id: id }).await?;
    enqueue_verification(state, &txn, id, &email, &display_name).await?;
    audit::record(
        &txn,
        AuditEvent::new(Some(id), "user.register", "user", Some(id.to_string())),
        client,
    )
    .await?;
    let user = find_user(&txn, id)
        .await?
        .ok_or_else(|| AppError::not_found("user"))?;
    txn.commit().await?;
    Ok(user)
}

/// Marks a single-use email token used and returns its user, or fails with
/// `invalid_or_expired_token`.
async fn consume_email_token(
    txn: &DatabaseTransaction,
    token: &str,
    purpose: &str,
) -> AppResult<Uuid> {
    let row = db::one(
        txn,
        "UPDATE email_tokens SET used_at = now() WHERE token_hash = $1 AND purpose = $2 \
             AND used_at IS NULL AND expires_at > now() RETURNING user_id",
        [tokens::hash_token(token.trim()).into(), purpose.into()],
    )
    .await?
    .ok_or_else(|| {
        AppError::new(
            ErrorCode::InvalidOrExpiredToken,
            "this link is invalid, used or expired",
        )
    })?;
    Ok(row.try_get("", "user_id")?)
}

pub async fn verify_email(
    state: &AppState,
    client: &RequestMeta,
    token: &str,
) -> AppResult<UserResponse> {
    let txn = state.db.begin().await?;
    let user_id = consume_email_token(&txn, token, "verify_email").await?;
    db::exec(&txn, "UPDATE users SET email_verified_at = coalesce(email_verified_at, now()), updated_at = now() WHERE id = $1",
        [user_id.into()],)
    .await?;
    audit::record(
        &txn,
        AuditEvent::new(
            Some(user_id),
            "user.verify_email",
            "user",
            Some(user_id.to_string()),
        ),
        client,
    )
    .await?;
    let user = find_user(&txn, user_id)
        .await?
        .ok_or_else(|| AppError::not_found("user"))?;
    txn.commit().await?;
    Ok(user)
}

/// Runs `work` after the response, inside the request's context, so the answer's timing and
/// content do not depend on whether an account exists.
fn in_background<F>(work: F)
where
    F: Future<Output = AppResult<()>> + Send + 'static,
{
    tokio::spawn(async move {
        if let Err(e) = work.await {
            tracing::error!(error = %e, "background account mail failed");
        }
    });
}

async fn live_user_by_email(
    db: &impl ConnectionTrait,
    email: &str,
) -> AppResult<Option<(Uuid, String, bool)>> {
    let row = db::one(
        db,
        "SELECT id, display_name, email_verified_at IS NOT NULL AS verified FROM users \
             WHERE email = $1 AND deleted_at IS NULL AND status = 'active'",
        [email.into()],
    )
    .await?;
    row.map(|r| {
        Ok((
            r.try_get("", "id")?,
            r.try_get("", "display_name")?,
            r.try_get("", "verified")?,
        ))
    })
    .transpose()
}

/// 202 whatever the address; a new verification mail goes out if it has an unverified account.
pub fn resend_verification(
    state: actix_web::web::Data<AppState>,
    client: RequestMeta,
    email: String,
) {
    in_background(async move {
        let Some((id, name, verified)) = live_user_by_email(&state.db, &email).await? else {
            return Ok(());
        };
        if verified {
            return Ok(());
        }
        let txn = state.db.begin().await?;
        enqueue_verification(&state, &txn, id, &email, &name).await?;
        audit::record(
            &txn,
            AuditEvent::new(
                Some(id),
                "user.resend_verification",
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

/// 202 whatever the address; a reset mail goes out if it has an account.
pub fn forgot_password(state: actix_web::web::Data<AppState>, client: RequestMeta, email: String) {
    in_background(async move {
        let Some((id, name, _)) = live_user_by_email(&state.db, &email).await? else {
            return Ok(());
        };
        let txn = state.db.begin().await?;
        let token =
            insert_email_token(&txn, id, "reset_password", Duration::hours(RESET_TTL_HOURS))
                .await?;
        let url = link(&state, "reset-password", &token);
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

async fn revoke_sessions(
    db: &impl ConnectionTrait,
    user_id: Uuid,
    except: Option<Uuid>,
    reason: &str,
) -> AppResult<u64> {
    let res = db::exec(
        db,
        "UPDATE sessions SET revoked_at = now(), revoked_reason = $3 \
             WHERE user_id = $1 AND revoked_at IS NULL AND ($2::uuid IS NULL OR id <> $2)",
        [user_id.into(), except.into(), reason.into()],
    )
    .await?;
    Ok(res.rows_affected())
}

/// Revokes every live API key of `user_id` (a password change or reset: whoever held the old
/// password may have made keys).
async fn revoke_api_keys(db: &impl ConnectionTrait, user_id: Uuid, reason: &str) -> AppResult<u64> {
    let res = db::exec(
        db,
        "UPDATE api_keys SET revoked_at = now(), revoked_reason = $2 \
             WHERE user_id = $1 AND revoked_at IS NULL",
        [user_id.into(), reason.into()],
    )
    .await?;
    Ok(res.rows_affected())
}

/// After a new password: ends the other sessions and every API key, and confirms by mail what
/// was ended. `(sessions, keys)` ended.
async fn end_credentials_after_password(
    txn: &DatabaseTransaction,
    user: &UserResponse,
    keep_session: Option<Uuid>,
    reason: &str,
) -> AppResult<(u64, u64)> {
    let sessions = revoke_sessions(txn, user.id, keep_session, reason).await?;
    let keys = revoke_api_keys(txn, user.id, reason).await?;
    let how = if reason == "password_reset" {
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

/// Public for admin suspension.
pub async fn revoke_all_sessions(
    db: &impl ConnectionTrait,
    user_id: Uuid,
    reason: &str,
) -> AppResult<u64> {
    revoke_sessions(db, user_id, None, reason).await
}

async fn set_password(db: &impl ConnectionTrait, user_id: Uuid, hash: String) -> AppResult<()> {
    db::exec(
        db,
        "UPDATE users SET password_hash = $2, updated_at = now() WHERE id = $1",
        [user_id.into(), hash.into()],
    )
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
    let user_id = consume_email_token(&txn, token, "reset_password").await?;
    let user = find_user(&txn, user_id)
        .await?
        .ok_or_else(|| AppError::not_found("user"))?;
    password::check_strength(&new_password, &user.email, "#/new_password")?;
    let hash = state.hasher.hash(new_password).await?;
    set_password(&txn, user_id, hash).await?;
    let (ended, keys) = end_credentials_after_password(&txn, &user, None, "password_reset").await?;
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

async fn password_hash_of(db: &impl ConnectionTrait, user_id: Uuid) -> AppResult<String> {
    let row = db::one(
        db,
        "SELECT password_hash FROM users WHERE id = $1",
        [user_id.into()],
    )
    .await?
    .ok_or_else(|| AppError::not_found("user"))?;
    Ok(row.try_get("", "password_hash")?)
}

/// Whether `password` is the user's password.
pub async fn check_password(state: &AppState, user_id: Uuid, password: String) -> AppResult<bool> {
    let hash = password_hash_of(&state.db, user_id).await?;
    state.hasher.verify(password, Some(hash)).await
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
    password::check_strength(&new_password, &user.email, "#/new_password")?;
    let hash = state.hasher.hash(new_password).await?;
    let txn = state.db.begin().await?;
    set_password(&txn, user.id, hash).await?;
    let account = find_user(&txn, user.id)
        .await?
        .ok_or_else(|| AppError::not_found("user"))?;
    let (ended, keys) =
        end_credentials_after_password(&txn, &account, user.session_id, "password_change").await?;
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

async fn record_attempt(
    db: &impl ConnectionTrait,
    email: &str,
    client: &RequestMeta,
    user_id: Option<Uuid>,
    outcome: &str,
) -> AppResult<()> {
    db::exec(
        db,
        "INSERT INTO login_attempts (id, email, ip, user_id, outcome) VALUES ($1, $2, $3, $4, $5)",
        [
            Uuid::now_v7().into(),
            email.into(),
            client.ip.clone().into(),
            user_id.into(),
            outcome.into(),
        ],
    )
    .await?;
    Ok(())
}

/// Records a failed attempt and its audit record in their own transaction.
async fn record_failure(
    state: &AppState,
    email: &str,
    client: &RequestMeta,
    user_id: Option<Uuid>,
    outcome: &'static str,
    action: &'static str,
) -> AppResult<()> {
    let txn = state.db.begin().await?;
    record_attempt(&txn, email, client, user_id, outcome).await?;
    audit::record(
        &txn,
        AuditEvent::new(user_id, action, "user", user_id.map(|u| u.to_string()))
            .outcome(if outcome == "locked" {
                "denied"
            } else {
                "failure"
            })
            .details(serde_json::json!({"email": email, "reason": outcome})),
        client,
    )
    .await?;
    txn.commit().await?;
    Ok(())
}

/// The account behind an email, as the first sign-in step needs it.
struct LoginCandidate {
    user_id: Option<Uuid>,
    password_hash: Option<String>,
    status: String,
    mfa: bool,
}

/// One round trip: the lockout state of the email and of the client IP, and the account.
/// Refuses with 429 while either is locked out.
async fn check_lockout(
    state: &AppState,
    email: &str,
    client: &RequestMeta,
) -> AppResult<LoginCandidate> {
    let cfg = &state.settings.security;
    let window = Duration::seconds(i64::try_from(cfg.lockout_window_secs).unwrap_or(900));
    let row = db::one(
        &state.db,
        "WITH since AS (SELECT greatest($2::timestamptz, coalesce((SELECT max(created_at) \
             FROM login_attempts WHERE email = $1 AND outcome IN ('success', 'mfa_success')), \
             '-infinity')) AS t), \
         failures AS (SELECT count(*) AS n, max(created_at) AS newest FROM login_attempts, since \
             WHERE email = $1 AND outcome IN ('failure', 'mfa_failure') AND created_at > since.t) \
         SELECT failures.n, failures.newest, \
             (SELECT count(*) FROM login_attempts WHERE ip = $3 \
                 AND outcome IN ('failure', 'mfa_failure') AND created_at > $2) AS ip_failures, \
             u.id, u.password_hash, u.status, \
             EXISTS (SELECT 1 FROM mfa_totp t WHERE t.user_id = u.id AND t.confirmed_at IS NOT NULL) AS mfa \
         FROM failures LEFT JOIN users u ON u.email = $1 AND u.deleted_at IS NULL",
        [
            email.into(),
            (Utc::now() - window).into(),
            client.ip.clone().into(),
        ],
    )
    .await?
    .ok_or_else(|| AppError::internal(anyhow::anyhow!("lockout query returned no row")))?;
    let count: i64 = row.try_get("", "n")?;
    let newest: Option<DateTime<Utc>> = row.try_get("", "newest")?;
    if let Some(until) =
        lockout::locked_until(u32::try_from(count).unwrap_or(u32::MAX), newest, cfg)
        && until > Utc::now()
    {
        record_failure(state, email, client, None, "locked", "auth.login").await?;
        let secs = (until - Utc::now()).num_seconds().max(1) as u64;
        return Err(AppError::too_many_requests(
            ErrorCode::AccountLocked,
            "too many failed sign-ins; try again later",
            secs,
        ));
    }
    let ip_failures: i64 = row.try_get("", "ip_failures")?;
    if ip_failures >= i64::from(cfg.ip_failure_limit) {
        return Err(AppError::too_many_requests(
            ErrorCode::TooManyAttempts,
            "too many failed sign-ins from this address; try again later",
            cfg.lockout_window_secs.min(900),
        ));
    }
    Ok(LoginCandidate {
        user_id: row.try_get("", "id")?,
        password_hash: row.try_get("", "password_hash")?,
        status: row
            .try_get::<Option<String>>("", "status")?
            .unwrap_or_default(),
        mfa: row.try_get::<Option<bool>>("", "mfa")?.unwrap_or(false),
    })
}

fn invalid_credentials() -> AppError {
    AppError::new(
        ErrorCode::InvalidCredentials,
        "the email or password is wrong",
    )
}

/// Creates a session with its first refresh token (one statement), and signs an access token.
async fn issue_session(
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
    db::exec(
        txn,
        "INSERT INTO refresh_tokens (id, session_id, token_hash) VALUES ($1, $2, $3)",
        [
            Uuid::now_v7().into(),
            session_id.into(),
            tokens::hash_token(&refresh).into(),
        ],
    )
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
    let user = find_user(txn, user_id)
        .await?
        .ok_or_else(|| AppError::not_found("user"))?;
    Ok(TokenResponse {
        access_token,
        token_type: "Bearer",
        expires_in: ttl,
        refresh_token,
        session_id,
        user,
    })
}

/// The first sign-in step: tokens, or an MFA challenge.
pub async fn login(
    state: &AppState,
    client: &RequestMeta,
    email: &str,
    password_in: String,
) -> AppResult<LoginResponse> {
    let email = email.trim().to_lowercase();
    let LoginCandidate {
        user_id,
        password_hash: hash,
        status,
        mfa,
    } = check_lockout(state, &email, client).await?;
    if !state.hasher.verify(password_in, hash).await? {
        record_failure(state, &email, client, user_id, "failure", "auth.login").await?;
        return Err(invalid_credentials());
    }
    let user_id = user_id.ok_or_else(invalid_credentials)?;
    if status != "active" {
        record_failure(
            state,
            &email,
            client,
            Some(user_id),
            "failure",
            "auth.login",
        )
        .await?;
        return Err(AppError::new(
            ErrorCode::AccountSuspended,
            "this account is suspended",
        ));
    }
    let txn = state.db.begin().await?;
    if mfa {
        let token = tokens::new_token();
        db::exec(
            &txn,
            "INSERT INTO mfa_challenges (id, user_id, token_hash, user_agent, ip, expires_at) \
             VALUES ($1, $2, $3, $4, $5, $6)",
            [
                Uuid::now_v7().into(),
                user_id.into(),
                tokens::hash_token(&token).into(),
                client.user_agent.clone().into(),
                client.ip.clone().into(),
                (Utc::now() + Duration::seconds(MFA_CHALLENGE_TTL_SECS)).into(),
            ],
        )
        .await?;
        record_attempt(&txn, &email, client, Some(user_id), "mfa_required").await?;
        audit::record(
            &txn,
            AuditEvent::new(
                Some(user_id),
                "auth.login",
                "user",
                Some(user_id.to_string()),
            )
            .details(serde_json::json!({"step": "password", "mfa_required": true})),
            client,
        )
        .await?;
        txn.commit().await?;
        return Ok(LoginResponse::Mfa(MfaChallengeResponse {
            mfa_required: true,
            mfa_token: token,
            expires_in: MFA_CHALLENGE_TTL_SECS as u64,
        }));
    }
    let tokens = issue_session(state, &txn, user_id, client).await?;
    record_attempt(&txn, &email, client, Some(user_id), "success").await?;
    audit::record(
        &txn,
        AuditEvent::new(
            Some(user_id),
            "auth.login",
            "user",
            Some(user_id.to_string()),
        )
        .details(serde_json::json!({"session_id": tokens.session_id})),
        client,
    )
    .await?;
    txn.commit().await?;
    Ok(LoginResponse::Tokens(Box::new(tokens)))
}

/// The second sign-in step: a TOTP code or a backup code against the challenge.
pub async fn login_mfa(
    state: &AppState,
    client: &RequestMeta,
    mfa_token: &str,
    code: &str,
) -> AppResult<TokenResponse> {
    let invalid = || {
        AppError::new(
            ErrorCode::InvalidMfaToken,
            "the sign-in challenge is invalid or expired",
        )
    };
    let txn = state.db.begin().await?;
    let row = db::one(&txn, "SELECT c.id, c.user_id, c.attempts, u.email FROM mfa_challenges c JOIN users u ON u.id = c.user_id \
             WHERE c.token_hash = $1 AND c.used_at IS NULL AND c.expires_at > now() \
               AND u.deleted_at IS NULL AND u.status = 'active' FOR UPDATE OF c",
            [tokens::hash_token(mfa_token.trim()).into()],)
        .await?
        .ok_or_else(invalid)?;
    let challenge_id: Uuid = row.try_get("", "id")?;
    let user_id: Uuid = row.try_get("", "user_id")?;
    let email: String = row.try_get("", "email")?;
    let attempts: i32 = row.try_get("", "attempts")?;
    if attempts >= MFA_MAX_ATTEMPTS {
        return Err(invalid());
    }
    let method = mfa::verify_second_factor(&txn, &state.secret_box, user_id, code).await?;
    let Some(method) = method else {
        db::exec(
            &txn,
            "UPDATE mfa_challenges SET attempts = attempts + 1 WHERE id = $1",
            [challenge_id.into()],
        )
        .await?;
        record_attempt(&txn, &email, client, Some(user_id), "mfa_failure").await?;
        audit::record(
            &txn,
            AuditEvent::new(
                Some(user_id),
                "auth.login_mfa",
                "user",
                Some(user_id.to_string()),
            )
            .outcome("failure"),
            client,
        )
        .await?;
        txn.commit().await?;
        return Err(AppError::new(
            ErrorCode::InvalidMfaCode,
            "the code is wrong, expired or already used",
        ));
    };
    db::exec(
        &txn,
        "UPDATE mfa_challenges SET used_at = now() WHERE id = $1",
        [challenge_id.into()],
    )
    .await?;
    let tokens = issue_session(state, &txn, user_id, client).await?;
    record_attempt(&txn, &email, client, Some(user_id), "mfa_success").await?;
    audit::record(
        &txn,
        AuditEvent::new(
            Some(user_id),
            "auth.login_mfa",
            "user",
            Some(user_id.to_string()),
        )
        .details(serde_json::json!({"method": method, "session_id": tokens.session_id})),
        client,
    )
    .await?;
    txn.commit().await?;
    Ok(tokens)
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
    let row = db::one(&txn, "SELECT t.id, t.used_at, s.id AS session_id, s.user_id, s.revoked_at, s.expires_at, u.status, u.deleted_at \
             FROM refresh_tokens t JOIN sessions s ON s.id = t.session_id JOIN users u ON u.id = s.user_id \
             WHERE t.token_hash = $1 FOR UPDATE OF t, s",
            [tokens::hash_token(refresh_token.trim()).into()],)
        .await?
        .ok_or_else(invalid)?;
    let token_id: Uuid = row.try_get("", "id")?;
    let used_at: Option<DateTime<Utc>> = row.try_get("", "used_at")?;
    let session_id: Uuid = row.try_get("", "session_id")?;
    let user_id: Uuid = row.try_get("", "user_id")?;
    let revoked_at: Option<DateTime<Utc>> = row.try_get("", "revoked_at")?;
    let expires_at: DateTime<Utc> = row.try_get("", "expires_at")?;
    let status: String = row.try_get("", "status")?;
    let deleted_at: Option<DateTime<Utc>> = row.try_get("", "deleted_at")?;
    if used_at.is_some() {
        // Replay of a spent token: someone else may hold the family. End it.
        if revoked_at.is_none() {
            revoke_session_row(&txn, session_id, "refresh_token_reuse").await?;
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
    if revoked_at.is_some()
        || expires_at <= Utc::now()
        || status != "active"
        || deleted_at.is_some()
    {
        return Err(invalid());
    }
    db::exec(
        &txn,
        "UPDATE refresh_tokens SET used_at = now() WHERE id = $1",
        [token_id.into()],
    )
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

async fn revoke_session_row(
    db: &impl ConnectionTrait,
    session_id: Uuid,
    reason: &str,
) -> AppResult<bool> {
    let res = db::exec(db, "UPDATE sessions SET revoked_at = now(), revoked_reason = $2 WHERE id = $1 AND revoked_at IS NULL",
            [session_id.into(), reason.into()],)
        .await?;
    Ok(res.rows_affected() > 0)
}

/// Ends the caller's session (access tokens stop working at once).
pub async fn logout(state: &AppState, user: &Actor, client: &RequestMeta) -> AppResult<()> {
    let session_id = user.session_id.ok_or_else(|| {
        AppError::new(
            ErrorCode::NotASession,
            "API keys have no session; revoke the key instead",
        )
    })?;
    revoke_own_session(state, user, client, session_id, "auth.logout").await
}

/// Ends one of the caller's sessions; another user's is 404.
pub async fn revoke_own_session(
    state: &AppState,
    user: &Actor,
    client: &RequestMeta,
    session_id: Uuid,
    action: &'static str,
) -> AppResult<()> {
    let txn = state.db.begin().await?;
    let owned = db::one(
        &txn,
        "SELECT 1 AS one FROM sessions WHERE id = $1 AND user_id = $2 AND revoked_at IS NULL",
        [session_id.into(), user.id.into()],
    )
    .await?
    .is_some();
    if !owned {
        return Err(AppError::not_found("session"));
    }
    revoke_session_row(
        &txn,
        session_id,
        if action == "auth.logout" {
            "logout"
        } else {
            "revoked"
        },
    )
    .await?;
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

pub async fn list_sessions(state: &AppState, user: &Actor) -> AppResult<Vec<SessionResponse>> {
    let rows = db::all(&state.db, "SELECT id, user_agent, ip, created_at, last_seen_at, expires_at FROM sessions \
             WHERE user_id = $1 AND revoked_at IS NULL AND expires_at > now() ORDER BY created_at DESC",
            [user.id.into()],)
        .await?;
    rows.iter()
        .map(|r| {
            let id: Uuid = r.try_get("", "id")?;
            Ok(SessionResponse {
                id,
                user_agent: r.try_get("", "user_agent")?,
                ip: r.try_get("", "ip")?,
                created_at: r.try_get("", "created_at")?,
                last_seen_at: r.try_get("", "last_seen_at")?,
                expires_at: r.try_get("", "expires_at")?,
                current: user.session_id == Some(id),
            })
        })
        .collect()
}

fn check_profile(req: &UpdateProfileRequest) -> AppResult<()> {
    let mut errors = Vec::new();
    if let Some(name) = &req.display_name
        && (name.trim().is_empty() || name.chars().count() > 100)
    {
        errors.push(FieldError::new(
            "#/display_name",
            "must be 1 to 100 characters",
        ));
    }
    if let Some(bio) = &req.bio
        && bio.chars().count() > 2000
    {
        errors.push(FieldError::new("#/bio", "must be at most 2000 characters"));
    }
    if let Some(Some(url)) = &req.avatar_url
        && !url::Url::parse(url).is_ok_and(|u| u.scheme() == "https" && u.host().is_some())
    {
        errors.push(FieldError::new("#/avatar_url", "must be an https:// URL"));
    }
    if let Some(locale) = &req.locale {
        let ok = (2..=35).contains(&locale.len())
            && locale
                .split('-')
                .all(|p| !p.is_empty() && p.chars().all(|c| c.is_ascii_alphanumeric()));
        if !ok {
            errors.push(FieldError::new(
                "#/locale",
                "must be a language tag like `en` or `en-ZA`",
            ));
        }
    }
    if let Some(tz) = &req.time_zone {
        let ok = (1..=64).contains(&tz.len())
            && tz
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "/_+-".contains(c))
            && (tz == "UTC" || tz.contains('/'));
        if !ok {
            errors.push(FieldError::new(
                "#/time_zone",
                "must be an IANA zone like `Africa/Johannesburg`",
            ));
        }
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(AppError::validation(errors))
    }
}

pub async fn update_profile(
    state: &AppState,
    user: &Actor,
    client: &RequestMeta,
    req: UpdateProfileRequest,
) -> AppResult<UserResponse> {
    check_profile(&req)?;
    let txn = state.db.begin().await?;
    db::exec(
        &txn,
        "UPDATE users SET display_name = coalesce($2, display_name), bio = coalesce($3, bio), \
         avatar_url = CASE WHEN $4 THEN $5 ELSE avatar_url END, locale = coalesce($6, locale), \
         time_zone = coalesce($7, time_zone), updated_at = now() WHERE id = $1",
        [
            user.id.into(),
            req.display_name
                .as_ref()
                .map(|s| s.trim().to_owned())
                .into(),
            req.bio.clone().into(),
            req.avatar_url.is_some().into(),
            req.avatar_url.clone().flatten().into(),
            req.locale.clone().into(),
            req.time_zone.clone().into(),
        ],
    )
    .await?;
    let changed: Vec<&str> = [
        ("display_name", req.display_name.is_some()),
        ("bio", req.bio.is_some()),
        ("avatar_url", req.avatar_url.is_some()),
        ("locale", req.locale.is_some()),
        ("time_zone", req.time_zone.is_some()),
    ]
    .into_iter()
    .filter_map(|(k, v)| v.then_some(k))
    .collect();
    audit::record(
        &txn,
        AuditEvent::new(
            Some(user.id),
            "user.update_profile",
            "user",
            Some(user.id.to_string()),
        )
        .details(serde_json::json!({"fields": changed})),
        client,
    )
    .await?;
    let out = find_user(&txn, user.id)
        .await?
        .ok_or_else(|| AppError::not_found("user"))?;
    txn.commit().await?;
    Ok(out)
}
