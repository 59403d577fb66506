//! Signing in: the password step (refused while the email or the client address is locked
//! out), the second step against a short-lived MFA challenge, and the `login_attempts` record
//! of every try, from which the lockout state is computed.

use chrono::{DateTime, Duration, Utc};
use entity::{login_attempts, mfa_challenges};
use kernel::enums::{AccountStatus, LoginOutcome};
use kernel::{AppError, AppResult, ErrorCode, RequestMeta, db};
use sea_orm::{ActiveModelTrait, ConnectionTrait, FromQueryResult, Set, TransactionTrait};
use uuid::Uuid;

use super::dto::{LoginResponse, MfaChallengeResponse, TokenResponse};
use super::{lockout, mfa, sessions, tokens};
use crate::modules::audit::{self, AuditEvent};
use crate::state::AppState;

const MFA_CHALLENGE_TTL_SECS: i64 = 300;
const MFA_MAX_ATTEMPTS: i32 = 5;

async fn record_attempt(
    db: &impl ConnectionTrait,
    email: &str,
    client: &RequestMeta,
    user_id: Option<Uuid>,
    outcome: LoginOutcome,
) -> AppResult<()> {
    login_attempts::ActiveModel {
        id: Set(Uuid::now_v7()),
        email: Set(email.to_owned()),
        ip: Set(client.ip.clone()),
        user_id: Set(user_id),
        outcome: Set(outcome),
        ..Default::default()
    }
    .insert(db)
    .await?;
    Ok(())
}

/// Records a failed attempt and its audit record in their own transaction.
async fn record_failure(
    state: &AppState,
    email: &str,
    client: &RequestMeta,
    user_id: Option<Uuid>,
    outcome: LoginOutcome,
    action: &'static str,
) -> AppResult<()> {
    let txn = state.db.begin().await?;
    record_attempt(&txn, email, client, user_id, outcome).await?;
    audit::record(
        &txn,
        AuditEvent::new(user_id, action, "user", user_id.map(|u| u.to_string()))
            .outcome(if outcome == LoginOutcome::Locked {
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

/// The lockout state of an email and of a client address, and the account behind the email
/// (all `None` when there is none), as the first sign-in step needs them.
#[derive(FromQueryResult)]
struct LoginCandidate {
    /// Failures of the email since its last success, inside the window.
    failures: i64,
    newest_failure: Option<DateTime<Utc>>,
    /// Failures from the client address inside the window.
    ip_failures: i64,
    user_id: Option<Uuid>,
    password_hash: Option<String>,
    status: Option<AccountStatus>,
    mfa: Option<bool>,
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
    let candidate: LoginCandidate = db::row(
        &state.db,
        "WITH since AS (SELECT greatest($2::timestamptz, coalesce((SELECT max(created_at) \
             FROM login_attempts WHERE email = $1 AND outcome IN ('success', 'mfa_success')), \
             '-infinity')) AS t), \
         failures AS (SELECT count(*) AS n, max(created_at) AS newest FROM login_attempts, since \
             WHERE email = $1 AND outcome IN ('failure', 'mfa_failure') AND created_at > since.t) \
         SELECT failures.n AS failures, failures.newest AS newest_failure, \
             (SELECT count(*) FROM login_attempts WHERE ip = $3 \
                 AND outcome IN ('failure', 'mfa_failure') AND created_at > $2) AS ip_failures, \
             u.id AS user_id, u.password_hash, u.status, \
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
    if let Some(until) = lockout::locked_until(
        u32::try_from(candidate.failures).unwrap_or(u32::MAX),
        candidate.newest_failure,
        cfg,
    ) && until > Utc::now()
    {
        record_failure(
            state,
            email,
            client,
            None,
            LoginOutcome::Locked,
            "auth.login",
        )
        .await?;
        let secs = (until - Utc::now()).num_seconds().max(1) as u64;
        return Err(AppError::too_many_requests(
            ErrorCode::AccountLocked,
            "too many failed sign-ins; try again later",
            secs,
        ));
    }
    if candidate.ip_failures >= i64::from(cfg.ip_failure_limit) {
        return Err(AppError::too_many_requests(
            ErrorCode::TooManyAttempts,
            "too many failed sign-ins from this address; try again later",
            cfg.lockout_window_secs.min(900),
        ));
    }
    Ok(candidate)
}

fn invalid_credentials() -> AppError {
    AppError::new(
        ErrorCode::InvalidCredentials,
        "the email or password is wrong",
    )
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
        password_hash,
        status,
        mfa,
        ..
    } = check_lockout(state, &email, client).await?;
    if !state.hasher.verify(password_in, password_hash).await? {
        record_failure(
            state,
            &email,
            client,
            user_id,
            LoginOutcome::Failure,
            "auth.login",
        )
        .await?;
        return Err(invalid_credentials());
    }
    let user_id = user_id.ok_or_else(invalid_credentials)?;
    if status != Some(AccountStatus::Active) {
        record_failure(
            state,
            &email,
            client,
            Some(user_id),
            LoginOutcome::Failure,
            "auth.login",
        )
        .await?;
        return Err(AppError::new(
            ErrorCode::AccountSuspended,
            "this account is suspended",
        ));
    }
    let txn = state.db.begin().await?;
    if mfa.unwrap_or(false) {
        let token = tokens::new_token();
        mfa_challenges::ActiveModel {
            id: Set(Uuid::now_v7()),
            user_id: Set(user_id),
            token_hash: Set(tokens::hash_token(&token)),
            user_agent: Set(client.user_agent.clone()),
            ip: Set(client.ip.clone()),
            expires_at: Set(Utc::now() + Duration::seconds(MFA_CHALLENGE_TTL_SECS)),
            ..Default::default()
        }
        .insert(&txn)
        .await?;
        record_attempt(
            &txn,
            &email,
            client,
            Some(user_id),
            LoginOutcome::MfaRequired,
        )
        .await?;
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
    let tokens = sessions::issue_session(state, &txn, user_id, client).await?;
    record_attempt(&txn, &email, client, Some(user_id), LoginOutcome::Success).await?;
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

/// A live challenge with its (active, live) account, locked.
#[derive(FromQueryResult)]
struct ChallengeRow {
    id: Uuid,
    user_id: Uuid,
    attempts: i32,
    email: String,
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
    let challenge: ChallengeRow = db::row(
        &txn,
        "SELECT c.id, c.user_id, c.attempts, u.email \
         FROM mfa_challenges c JOIN users u ON u.id = c.user_id \
         WHERE c.token_hash = $1 AND c.used_at IS NULL AND c.expires_at > now() \
           AND u.deleted_at IS NULL AND u.status = 'active' FOR UPDATE OF c",
        [tokens::hash_token(mfa_token.trim()).into()],
    )
    .await?
    .ok_or_else(invalid)?;
    let ChallengeRow {
        id: challenge_id,
        user_id,
        attempts,
        email,
    } = challenge;
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
        record_attempt(
            &txn,
            &email,
            client,
            Some(user_id),
            LoginOutcome::MfaFailure,
        )
        .await?;
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
    mfa_challenges::ActiveModel {
        id: Set(challenge_id),
        used_at: Set(Some(Utc::now())),
        ..Default::default()
    }
    .update(&txn)
    .await?;
    let tokens = sessions::issue_session(state, &txn, user_id, client).await?;
    record_attempt(
        &txn,
        &email,
        client,
        Some(user_id),
        LoginOutcome::MfaSuccess,
    )
    .await?;
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
