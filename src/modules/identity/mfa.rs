//! TOTP two-factor sign-in (RFC 6238: SHA-1, 6 digits, 30 s, one step of skew) with ten
//! single-use backup codes. A code's time step is remembered, so no code is accepted twice.
//! Secrets are stored encrypted (`secret_box`).

use chrono::Utc;
use entity::{mfa_backup_codes, mfa_totp};
use kernel::crypto::SecretBox;
use kernel::{Actor, AppError, AppResult, ErrorCode, FieldError, RequestMeta, db};
use sea_orm::sea_query::{Expr, OnConflict};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, FromQueryResult, QueryFilter, Set,
    TransactionTrait,
};
use totp_rs::{Algorithm, Secret, Totp as TOTP};
use uuid::Uuid;

use super::dto::{BackupCodesResponse, TotpEnrollResponse};
use super::{passwords, tokens};
use crate::modules::audit::{self, AuditEvent};
use crate::state::AppState;

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

/// The user's TOTP secret, confirmed (`Some(true)`), pending (`Some(false)`), or none.
async fn totp_state(db: &impl ConnectionTrait, user_id: Uuid) -> AppResult<Option<bool>> {
    Ok(mfa_totp::Entity::find_by_id(user_id)
        .one(db)
        .await?
        .map(|t| t.confirmed_at.is_some()))
}

/// Starts (or restarts) enrolment: a new unconfirmed secret.
pub async fn enroll(
    state: &AppState,
    user: &Actor,
    client: &RequestMeta,
) -> AppResult<TotpEnrollResponse> {
    let txn = state.db.begin().await?;
    if totp_state(&txn, user.id).await? == Some(true) {
        return Err(AppError::new(
            ErrorCode::MfaAlreadyEnabled,
            "two-factor sign-in is already on; disable it first",
        ));
    }
    let secret = Secret::generate().to_base32();
    let uri = totp(&secret, &user.email)?
        .to_url()
        .map_err(|e| AppError::internal(anyhow::anyhow!("otpauth url: {e:?}")))?;
    // A new secret replaces a pending one, and starts unconfirmed and unused.
    mfa_totp::Entity::insert(mfa_totp::ActiveModel {
        user_id: Set(user.id),
        secret: Set(state.secret_box.seal(&secret)?),
        confirmed_at: Set(None),
        last_used_step: Set(None),
        updated_at: Set(Utc::now()),
        ..Default::default()
    })
    .on_conflict(
        OnConflict::column(mfa_totp::Column::UserId)
            .update_columns([
                mfa_totp::Column::Secret,
                mfa_totp::Column::ConfirmedAt,
                mfa_totp::Column::LastUsedStep,
                mfa_totp::Column::UpdatedAt,
            ])
            .to_owned(),
    )
    .exec_without_returning(&txn)
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

/// A TOTP secret (sealed) with its last used step and the account's email, locked.
#[derive(FromQueryResult)]
struct TotpRow {
    secret: String,
    last_used_step: Option<i64>,
    email: String,
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
    let row: Option<TotpRow> = db::row(
        db,
        "SELECT t.secret, t.last_used_step, u.email FROM mfa_totp t JOIN users u ON u.id = t.user_id \
         WHERE t.user_id = $1 AND (t.confirmed_at IS NOT NULL) = $2 FOR UPDATE OF t",
        [user_id.into(), confirmed.into()],
    )
    .await?;
    let Some(row) = row else { return Ok(false) };
    let secret = secret_box.open(&row.secret)?;
    let code: String = code.chars().filter(|c| !c.is_whitespace()).collect();
    let Some(step) = totp(&secret, &row.email)?.check(&code, now_secs()) else {
        return Ok(false);
    };
    let step = i64::try_from(step).unwrap_or(i64::MAX);
    if row.last_used_step.is_some_and(|l| step <= l) {
        return Ok(false);
    }
    mfa_totp::ActiveModel {
        user_id: Set(user_id),
        last_used_step: Set(Some(step)),
        updated_at: Set(Utc::now()),
        ..Default::default()
    }
    .update(db)
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
    if totp_state(&txn, user.id).await? != Some(false) {
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
    mfa_totp::ActiveModel {
        user_id: Set(user.id),
        confirmed_at: Set(Some(Utc::now())),
        ..Default::default()
    }
    .update(&txn)
    .await?;
    mfa_backup_codes::Entity::delete_many()
        .filter(mfa_backup_codes::Column::UserId.eq(user.id))
        .exec(&txn)
        .await?;
    let codes: Vec<String> = (0..BACKUP_CODES)
        .map(|_| tokens::new_backup_code())
        .collect();
    mfa_backup_codes::Entity::insert_many(codes.iter().map(|code| mfa_backup_codes::ActiveModel {
        id: Set(Uuid::now_v7()),
        user_id: Set(user.id),
        code_hash: Set(tokens::hash_token(&tokens::normalize_backup_code(code))),
        ..Default::default()
    }))
    .exec_without_returning(&txn)
    .await?;
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
    let used = mfa_backup_codes::Entity::update_many()
        .col_expr(mfa_backup_codes::Column::UsedAt, Expr::current_timestamp())
        .filter(mfa_backup_codes::Column::UserId.eq(user_id))
        .filter(mfa_backup_codes::Column::CodeHash.eq(tokens::hash_token(&normalized)))
        .filter(mfa_backup_codes::Column::UsedAt.is_null())
        .exec(db)
        .await?;
    Ok((used.rows_affected == 1).then_some("backup_code"))
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
    if totp_state(&txn, user.id).await? != Some(true) {
        return Err(AppError::new(
            ErrorCode::MfaNotEnabled,
            "two-factor sign-in is not on",
        ));
    }
    let proven = match (code, password) {
        (Some(code), _) => verify_second_factor(&txn, &state.secret_box, user.id, &code)
            .await?
            .is_some(),
        (None, Some(password)) => passwords::check_password(state, user.id, password).await?,
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
    mfa_totp::Entity::delete_by_id(user.id).exec(&txn).await?;
    mfa_backup_codes::Entity::delete_many()
        .filter(mfa_backup_codes::Column::UserId.eq(user.id))
        .exec(&txn)
        .await?;
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
