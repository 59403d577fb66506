//! Accounts: the account view every route answers with, registration (with its verification
//! mail) and email verification.

use std::sync::Arc;

use chrono::{DateTime, Duration, Utc};
use entity::{mfa_totp, users};
use kernel::enums::{AccountStatus, EmailTokenPurpose};
use kernel::event::DomainEvent;
use kernel::{AppError, AppResult, FieldError, RequestMeta};
use sea_orm::sea_query::{Expr, ExprTrait, Query};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseTransaction, EntityTrait,
    FromQueryResult, QueryFilter, QuerySelect, Select, Set, TransactionTrait,
};
use uuid::Uuid;

use super::dto::{RegisterRequest, UserResponse};
use super::{email_tokens, strength};
use crate::modules::audit::{self, AuditEvent};
use crate::modules::notifications::mail::{self, OutgoingMail};
use crate::state::AppState;

const VERIFY_TTL_HOURS: i64 = 24;

/// An account as [`account_view`] reads it.
#[derive(Debug, FromQueryResult)]
pub(super) struct UserRow {
    id: Uuid,
    email: String,
    display_name: String,
    email_verified_at: Option<DateTime<Utc>>,
    pub(super) status: AccountStatus,
    bio: String,
    avatar_url: Option<String>,
    locale: String,
    time_zone: String,
    mfa_enabled: bool,
    created_at: DateTime<Utc>,
    last_login_at: Option<DateTime<Utc>>,
    deleted_at: Option<DateTime<Utc>>,
}

impl From<UserRow> for UserResponse {
    fn from(r: UserRow) -> Self {
        UserResponse {
            id: r.id,
            email: r.email,
            display_name: r.display_name,
            email_verified: r.email_verified_at.is_some(),
            status: r.status.as_str().to_owned(),
            bio: r.bio,
            avatar_url: r.avatar_url,
            locale: r.locale,
            time_zone: r.time_zone,
            mfa_enabled: r.mfa_enabled,
            created_at: r.created_at,
            last_login_at: r.last_login_at,
            deleted_at: r.deleted_at,
        }
    }
}

/// The account view: every column of `users` and whether two-factor sign-in is on, in one
/// query. Callers add their filters (and joins) and read it `into_model::<UserRow>()`.
pub(super) fn account_view() -> Select<users::Entity> {
    let mfa_enabled = Expr::exists(
        Query::select()
            .expr(Expr::val(1))
            .from(mfa_totp::Entity)
            .and_where(
                Expr::col((mfa_totp::Entity, mfa_totp::Column::UserId))
                    .equals((users::Entity, users::Column::Id)),
            )
            .and_where(Expr::col((mfa_totp::Entity, mfa_totp::Column::ConfirmedAt)).is_not_null())
            .to_owned(),
    );
    users::Entity::find().column_as(mfa_enabled, "mfa_enabled")
}

/// A live or soft-deleted account by id.
pub async fn find_user(db: &impl ConnectionTrait, id: Uuid) -> AppResult<Option<UserResponse>> {
    Ok(account_view()
        .filter(users::Column::Id.eq(id))
        .into_model::<UserRow>()
        .one(db)
        .await?
        .map(UserResponse::from))
}

/// [`find_user`] for an account that must exist.
pub(super) async fn get_user(db: &impl ConnectionTrait, id: Uuid) -> AppResult<UserResponse> {
    find_user(db, id)
        .await?
        .ok_or_else(|| AppError::not_found("user"))
}

/// For other modules naming a user in a request: a live (not deleted) account, or a 422 at
/// `pointer`.
pub async fn require_live_user(
    db: &impl ConnectionTrait,
    id: Uuid,
    pointer: &str,
) -> AppResult<()> {
    let live = users::Entity::find_by_id(id)
        .filter(users::Column::DeletedAt.is_null())
        .one(db)
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

/// Whether any account exists, deleted ones included (the development auto-seed runs on a
/// database without any).
pub async fn has_accounts(db: &impl ConnectionTrait) -> AppResult<bool> {
    Ok(users::Entity::find()
        .select_only()
        .column(users::Column::Id)
        .into_tuple::<Uuid>()
        .one(db)
        .await?
        .is_some())
}

/// The live, active account of an address (forgot and resend act only for those).
pub(super) async fn live_user_by_email(
    db: &impl ConnectionTrait,
    email: &str,
) -> AppResult<Option<users::Model>> {
    Ok(users::Entity::find()
        .filter(users::Column::Email.eq(email))
        .filter(users::Column::DeletedAt.is_null())
        .filter(users::Column::Status.eq(AccountStatus::Active))
        .one(db)
        .await?)
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

/// A new account, as [`register_in`] creates it.
pub struct NewAccount {
    pub id: Uuid,
    pub email: String,
    pub display_name: String,
    /// The password's hash (`state.hasher`); the caller has checked the password's strength.
    pub password_hash: String,
    /// Whether the address is known to work already (the demo accounts): then no verification
    /// mail goes out, and the address is marked verified as `verify_email` does.
    pub email_verified: bool,
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
    strength::check_strength(&req.password, &email, "#/password")?;
    let password_hash = state.hasher.hash(req.password.into_string()).await?;
    let txn = state.db.begin().await?;
    let user = register_in(
        state,
        &txn,
        client,
        NewAccount {
            id: Uuid::now_v7(),
            email,
            display_name,
            password_hash,
            email_verified: false,
        },
    )
    .await?;
    txn.commit().await?;
    Ok(user)
}

/// Creates account `account.id`: checks the email (409 `email_taken` when a live account has
/// it) and the display name, publishes `UserRegistered` (which makes it a student), and
/// either mails a verification link or marks the address verified; audited.
pub async fn register_in(
    state: &AppState,
    txn: &DatabaseTransaction,
    client: &RequestMeta,
    account: NewAccount,
) -> AppResult<UserResponse> {
    let email = normalize_email(&account.email, "#/email")?;
    let display_name = check_display_name(&account.display_name)?;
    let id = account.id;
    users::ActiveModel {
        id: Set(id),
        email: Set(email.clone()),
        display_name: Set(display_name.clone()),
        password_hash: Set(account.password_hash),
        ..Default::default()
    }
    .insert(txn)
    .await?;
    crate::events::publish(state, txn, DomainEvent::UserRegistered { user_id: id }).await?;
    audit::record(
        txn,
        AuditEvent::new(Some(id), "user.register", "user", Some(id.to_string())),
        client,
    )
    .await?;
    if account.email_verified {
        mark_verified_in(txn, client, id).await?;
    } else {
        enqueue_verification(state, txn, id, &email, &display_name).await?;
    }
    get_user(txn, id).await
}

async fn enqueue_verification(
    state: &AppState,
    db: &impl ConnectionTrait,
    user_id: Uuid,
    email: &str,
    name: &str,
) -> AppResult<()> {
    let token = email_tokens::issue(
        db,
        user_id,
        EmailTokenPurpose::VerifyEmail,
        Duration::hours(VERIFY_TTL_HOURS),
    )
    .await?;
    let url = email_tokens::link(state, "verify-email", &token);
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

pub async fn verify_email(
    state: &AppState,
    client: &RequestMeta,
    token: &str,
) -> AppResult<UserResponse> {
    let txn = state.db.begin().await?;
    let user_id = email_tokens::consume(&txn, token, EmailTokenPurpose::VerifyEmail).await?;
    mark_verified_in(&txn, client, user_id).await?;
    let user = get_user(&txn, user_id).await?;
    txn.commit().await?;
    Ok(user)
}

/// Marks the address of `user_id` verified (kept when it was already), audited.
async fn mark_verified_in(
    txn: &DatabaseTransaction,
    client: &RequestMeta,
    user_id: Uuid,
) -> AppResult<()> {
    users::Entity::update_many()
        .col_expr(
            users::Column::EmailVerifiedAt,
            Expr::col(users::Column::EmailVerifiedAt).if_null(Expr::current_timestamp()),
        )
        .col_expr(users::Column::UpdatedAt, Expr::current_timestamp())
        .filter(users::Column::Id.eq(user_id))
        .exec(txn)
        .await?;
    audit::record(
        txn,
        AuditEvent::new(
            Some(user_id),
            "user.verify_email",
            "user",
            Some(user_id.to_string()),
        ),
        client,
    )
    .await?;
    Ok(())
}

/// 202 whatever the address; a new verification mail goes out if it has an unverified account.
pub fn resend_verification(state: Arc<AppState>, client: RequestMeta, email: String) {
    email_tokens::in_background(async move {
        let Some(user) = live_user_by_email(&state.db, &email).await? else {
            return Ok(());
        };
        if user.email_verified_at.is_some() {
            return Ok(());
        }
        let txn = state.db.begin().await?;
        enqueue_verification(&state, &txn, user.id, &email, &user.display_name).await?;
        audit::record(
            &txn,
            AuditEvent::new(
                Some(user.id),
                "user.resend_verification",
                "user",
                Some(user.id.to_string()),
            ),
            &client,
        )
        .await?;
        txn.commit().await?;
        Ok(())
    });
}
