//! TOTP two-factor sign-in (RFC 6238: SHA-1, 6 digits, 30 s, one step of skew) with ten
//! single-use backup codes. A code's time step is remembered, so no code is accepted twice.
//! Secrets are stored encrypted (`secret_box`).

use chrono::Utc;
use sea_orm::{ConnectionTrait, TransactionTrait};
use totp_rs::{Algorithm, Secret, Totp as TOTP};
use uuid::Uuid;

use super::dto::{BackupCodesResponse, TotpEnrollResponse};
use super::tokens;
use crate::db;
use crate::modules::audit::{self, AuditEvent};
use crate::state::AppState;
use kernel::crypto::SecretBox;
use kernel::{Actor, RequestMeta};
use kernel::{AppError, AppResult, ErrorCode, FieldError};

const ISSUER: &str = "Azora";
const BACKUP_CODES: usize = 10;

fn totp(secret_b32: &str, account: &str) -> AppResult<TOTP> {
    let secret = Secret::try_from_base32(secret_b32)
        .map_err(|e| AppError::internal(anyhow::anyhow!("bad TOTP secret: {e:?}")))?;
    totp_rs::Builder::new()
        .with_algorithm(Algorithm::SHA1)
        .with_digits(6)
        .with_skew(1)
        .with_step_duration(30)
        .with_secret(secret)
        .with_account_name(account)
        .with_issuer(Some(ISSUER))
        .build()
        .map_err(|e| AppError::internal(anyhow::anyhow!("TOTP: {e:?}")))
}

fn now_secs() -> u64 {
    u64::try_from(Utc::now().timestamp()).unwrap_or(0)
}

/// Starts (or restarts) enrolment: a new unconfirmed secret.
pub async fn enroll(
    state: &AppState,
    user: &Actor,
    client: &RequestMeta,
) -> AppResult<TotpEnrollResponse> {
    let txn = state.db.begin().await?;
    let confirmed = db::one(
        &txn,
        "SELECT 1 AS one FROM mfa_totp WHERE user_id = $1 AND confirmed_at IS NOT NULL",
        [user.id.into()],
    )
    .await?
    .is_some();
    if confirmed {
        return Err(AppError::new(
            ErrorCode::MfaAlreadyEnabled,
            "two-factor sign-in is already on; disable it first",
        ));
    }
    let secret = Secret::generate().to_base32();
    let uri = totp(&secret, &user.email)?
        .to_url()
        .map_err(|e| AppError::internal(anyhow::anyhow!("otpauth url: {e:?}")))?;
    db::exec(
        &txn,
        "INSERT INTO mfa_totp (user_id, secret) VALUES ($1, $2) \
         ON CONFLICT (user_id) DO UPDATE SET secret = excluded.secret, confirmed_at = NULL, \
         last_used_step = NULL, updated_at = now()",
        [user.id.into(), state.secret_box.seal(&secret)?.into()],
    )
    .await?;
    audit::record(
        &txn,
        AuditEvent::new(
            Some(user.id),
            "mfa.enroll",
            "user",
            Some(user.id.to_string()),
        ),
        client,
    )
    .await?;
    txn.commit().await?;
    Ok(TotpEnrollResponse {
        secret,
        otpauth_uri: uri,
    })
}

/// Checks `code` against the user's TOTP secret and consumes its time step. `confirmed`
/// selects the enrolled (true) or the pending (false) secret.
async fn check_totp(
    db: &impl ConnectionTrait,
    secret_box: &SecretBox,
    user_id: Uuid,
    code: &str,
    confirmed: bool,
) -> AppResult<bool> {
    let row = db::one(db, "SELECT t.secret, t.last_used_step, u.email FROM mfa_totp t JOIN users u ON u.id = t.user_id \
             WHERE t.user_id = $1 AND (t.confirmed_at IS NOT NULL) = $2 FOR UPDATE OF t",
            [user_id.into(), confirmed.into()],)
        .await?;
    let Some(row) = row else { return Ok(false) };
    let secret = secret_box.open(&row.try_get::<String>("", "secret")?)?;
    let last: Option<i64> = row.try_get("", "last_used_step")?;
    let email: String = row.try_get("", "email")?;
    let code: String = code.chars().filter(|c| !c.is_whitespace()).collect();
    let Some(step) = totp(&secret, &email)?.check(&code, now_secs()) else {
        return Ok(false);
    };
    let step = i64::try_from(step).unwrap_or(i64::MAX);
    if last.is_some_and(|l| step <= l) {
        return Ok(false);
    }
    db::exec(
        db,
        "UPDATE mfa_totp SET last_used_step = $2, updated_at = now() WHERE user_id = $1",
        [user_id.into(), step.into()],
    )
    .await?;
    Ok(true)
}

/// Confirms enrolment with a first code; returns the backup codes (shown once).
pub async fn confirm(
    state: &AppState,
    user: &Actor,
    client: &RequestMeta,
    code: &str,
) -> AppResult<BackupCodesResponse> {
    let txn = state.db.begin().await?;
    let pending = db::one(
        &txn,
        "SELECT 1 AS one FROM mfa_totp WHERE user_id = $1 AND confirmed_at IS NULL",
        [user.id.into()],
    )
    .await?
    .is_some();
    if !pending {
        return Err(AppError::new(
            ErrorCode::MfaNotPending,
            "start enrolment with POST /me/mfa/totp first",
        ));
    }
    if !check_totp(&txn, &state.secret_box, user.id, code, false).await? {
        return Err(AppError::validation(vec![FieldError::new(
            "#/code",
            "the code is wrong or expired",
        )]));
    }
    db::exec(
        &txn,
        "UPDATE mfa_totp SET confirmed_at = now() WHERE user_id = $1",
        [user.id.into()],
    )
    .await?;
    db::exec(
        &txn,
        "DELETE FROM mfa_backup_codes WHERE user_id = $1",
        [user.id.into()],
    )
    .await?;
    let codes: Vec<String> = (0..BACKUP_CODES)
        .map(|_| tokens::new_backup_code())
        .collect();
    for code in &codes {
        db::exec(
            &txn,
            "INSERT INTO mfa_backup_codes (id, user_id, code_hash) VALUES ($1, $2, $3)",
            [
                Uuid::now_v7().into(),
                user.id.into(),
                tokens::hash_token(&tokens::normalize_backup_code(code)).into(),
            ],
        )
        .await?;
    }
    audit::record(
        &txn,
        AuditEvent::new(
            Some(user.id),
            "mfa.enable",
            "user",
            Some(user.id.to_string()),
        ),
        client,
    )
    .await?;
    txn.commit().await?;
    Ok(BackupCodesResponse {
        backup_codes: codes,
    })
}

/// A TOTP code or an unused backup code; returns which method matched.
pub async fn verify_second_factor(
    db: &impl ConnectionTrait,
    secret_box: &SecretBox,
    user_id: Uuid,
    code: &str,
) -> AppResult<Option<&'static str>> {
    let digits: String = code.chars().filter(|c| !c.is_whitespace()).collect();
    if digits.len() == 6 && digits.chars().all(|c| c.is_ascii_digit()) {
        return Ok(check_totp(db, secret_box, user_id, &digits, true)
            .await?
            .then_some("totp"));
    }
    let normalized = tokens::normalize_backup_code(code);
    if normalized.len() != 10 {
        return Ok(None);
    }
    let used = db::exec(db, "UPDATE mfa_backup_codes SET used_at = now() WHERE user_id = $1 AND code_hash = $2 AND used_at IS NULL",
            [user_id.into(), tokens::hash_token(&normalized).into()],)
        .await?;
    Ok((used.rows_affected() == 1).then_some("backup_code"))
}

/// Turns two-factor sign-in off; needs a current code or the password.
pub async fn disable(
    state: &AppState,
    user: &Actor,
    client: &RequestMeta,
    code: Option<String>,
    password: Option<String>,
) -> AppResult<()> {
    let txn = state.db.begin().await?;
    let enabled = db::one(
        &txn,
        "SELECT 1 AS one FROM mfa_totp WHERE user_id = $1 AND confirmed_at IS NOT NULL",
        [user.id.into()],
    )
    .await?
    .is_some();
    if !enabled {
        return Err(AppError::new(
            ErrorCode::MfaNotEnabled,
            "two-factor sign-in is not on",
        ));
    }
    let proven = match (code, password) {
        (Some(code), _) => verify_second_factor(&txn, &state.secret_box, user.id, &code)
            .await?
            .is_some(),
        (None, Some(password)) => super::service::check_password(state, user.id, password).await?,
        (None, None) => {
            return Err(AppError::validation(vec![FieldError::new(
                "#/code",
                "give a current code or your password",
            )]));
        }
    };
    if !proven {
        return Err(AppError::validation(vec![FieldError::new(
            "#/code",
            "the code or password is wrong",
        )]));
    }
    for sql in [
        "DELETE FROM mfa_totp WHERE user_id = $1",
        "DELETE FROM mfa_backup_codes WHERE user_id = $1",
    ] {
        db::exec(&txn, sql, [user.id.into()]).await?;
    }
    audit::record(
        &txn,
        AuditEvent::new(
            Some(user.id),
            "mfa.disable",
            "user",
            Some(user.id.to_string()),
        ),
        client,
    )
    .await?;
    txn.commit().await?;
    Ok(())
}
