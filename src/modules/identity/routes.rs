//! Handlers of the identity routes.

use actix_web::{HttpResponse, delete, get, patch, post, web};
use kernel::text::Line;
use uuid::Uuid;

use super::dto::*;
use super::{accounts, admin, api_keys, mfa, passwords, profile, sessions, signin};
use crate::http::ApiResult;
use crate::http::auth::{AuthUser, ClientInfo};
use crate::http::extract::{Json, Query};
use crate::state::AppState;
use kernel::pagination::Page;
use kernel::{AppError, AppResult, ErrorCode};

/// Per-IP request budget of the `/auth` routes.
fn throttle(state: &AppState, client: &ClientInfo) -> AppResult<()> {
    state.auth_limiter.check(&client.ip).map_err(|retry_after| {
        AppError::too_many_requests(
            ErrorCode::RateLimited,
            "too many requests from this address; slow down",
            retry_after,
        )
    })
}

const ACCEPTED: &str = "if the address has an account, a message is on its way";

/// Create an account. A verification mail is sent; until verified, some actions answer 403
/// `email_not_verified`.
#[utoipa::path(
    tag = "identity",
    request_body = RegisterRequest,
    responses(
        (status = 201, body = UserResponse),
        (status = 409, description = "`email_taken`"),
        (status = 422, description = "`validation_failed`: bad email, weak password (zxcvbn feedback in `errors`)"),
        (status = 429, description = "`rate_limited`"),
    )
)]
#[post("/auth/register")]
pub async fn register(
    state: web::Data<AppState>,
    client: ClientInfo,
    body: Json<RegisterRequest>,
) -> ApiResult<HttpResponse> {
    throttle(&state, &client)?;
    let user = accounts::register(&state, &client, body.into_inner()).await?;
    Ok(HttpResponse::Created().json(user))
}

/// Confirm an email address with the token from the verification mail.
#[utoipa::path(
    tag = "identity",
    request_body = TokenRequest,
    responses(
        (status = 200, body = UserResponse),
        (status = 422, description = "`invalid_or_expired_token`"),
    )
)]
#[post("/auth/verify-email")]
pub async fn verify_email(
    state: web::Data<AppState>,
    client: ClientInfo,
    body: Json<TokenRequest>,
) -> ApiResult<web::Json<UserResponse>> {
    throttle(&state, &client)?;
    Ok(web::Json(
        accounts::verify_email(&state, &client, &body.token).await?,
    ))
}

/// Send the verification mail again. Always 202: the answer does not reveal accounts.
#[utoipa::path(
    tag = "identity",
    request_body = EmailRequest,
    responses(
        (status = 202, body = AcceptedResponse),
        (status = 429, description = "`rate_limited`"),
    )
)]
#[post("/auth/resend-verification")]
pub async fn resend_verification(
    state: web::Data<AppState>,
    client: ClientInfo,
    body: Json<EmailRequest>,
) -> ApiResult<HttpResponse> {
    throttle(&state, &client)?;
    let email = body.email.trim().to_lowercase();
    accounts::resend_verification(state.into_inner(), client.into_inner(), email);
    Ok(HttpResponse::Accepted().json(AcceptedResponse {
        message: ACCEPTED.into(),
    }))
}

/// Sign in with email and password. Answers tokens, or an MFA challenge when two-factor
/// sign-in is on. After repeated failures the account answers 429 with `Retry-After`.
#[utoipa::path(
    tag = "identity",
    request_body = LoginRequest,
    responses(
        (status = 200, body = LoginResponse),
        (status = 401, description = "`invalid_credentials`"),
        (status = 403, description = "`account_suspended`"),
        (status = 429, description = "`account_locked`, `too_many_attempts`, `rate_limited` (see `Retry-After`)"),
    )
)]
#[post("/auth/login")]
pub async fn login(
    state: web::Data<AppState>,
    client: ClientInfo,
    body: Json<LoginRequest>,
) -> ApiResult<web::Json<LoginResponse>> {
    throttle(&state, &client)?;
    let body = body.into_inner();
    Ok(web::Json(
        signin::login(&state, &client, &body.email, body.password.into_string()).await?,
    ))
}

/// The second sign-in step: the `mfa_token` from `/auth/login` and a TOTP or backup code.
#[utoipa::path(
    tag = "identity",
    request_body = LoginMfaRequest,
    responses(
        (status = 200, body = TokenResponse),
        (status = 401, description = "`invalid_mfa_token`, `invalid_mfa_code`"),
        (status = 429, description = "`rate_limited`"),
    )
)]
#[post("/auth/login/mfa")]
pub async fn login_mfa(
    state: web::Data<AppState>,
    client: ClientInfo,
    body: Json<LoginMfaRequest>,
) -> ApiResult<web::Json<TokenResponse>> {
    throttle(&state, &client)?;
    Ok(web::Json(
        signin::login_mfa(&state, &client, &body.mfa_token, &body.code).await?,
    ))
}

/// Exchange a refresh token for a new pair. Each refresh token works once; presenting a used
/// one ends its whole session (`refresh_token_reused`).
#[utoipa::path(
    tag = "identity",
    request_body = RefreshRequest,
    responses(
        (status = 200, body = TokenResponse),
        (status = 401, description = "`invalid_refresh_token`, `refresh_token_reused`"),
    )
)]
#[post("/auth/refresh")]
pub async fn refresh(
    state: web::Data<AppState>,
    client: ClientInfo,
    body: Json<RefreshRequest>,
) -> ApiResult<web::Json<TokenResponse>> {
    throttle(&state, &client)?;
    Ok(web::Json(
        sessions::refresh(&state, &client, &body.refresh_token).await?,
    ))
}

/// End the current session: its access and refresh tokens stop working at once.
#[utoipa::path(
    tag = "identity",
    security(("bearer" = [])),
    responses(
        (status = 204, description = "Signed out"),
        (status = 422, description = "`not_a_session` (API keys)"),
    )
)]
#[post("/auth/logout")]
pub async fn logout(
    state: web::Data<AppState>,
    user: AuthUser,
    client: ClientInfo,
) -> ApiResult<HttpResponse> {
    sessions::logout(&state, &user, &client).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Ask for a password-reset mail. Always 202: the answer does not reveal accounts.
#[utoipa::path(
    tag = "identity",
    request_body = EmailRequest,
    responses(
        (status = 202, body = AcceptedResponse),
        (status = 429, description = "`rate_limited`"),
    )
)]
#[post("/auth/password/forgot")]
pub async fn forgot_password(
    state: web::Data<AppState>,
    client: ClientInfo,
    body: Json<EmailRequest>,
) -> ApiResult<HttpResponse> {
    throttle(&state, &client)?;
    let email = body.email.trim().to_lowercase();
    passwords::forgot_password(state.into_inner(), client.into_inner(), email);
    Ok(HttpResponse::Accepted().json(AcceptedResponse {
        message: ACCEPTED.into(),
    }))
}

/// Set a new password with the token from the reset mail; every session ends.
#[utoipa::path(
    tag = "identity",
    request_body = ResetPasswordRequest,
    responses(
        (status = 204, description = "Password changed"),
        (status = 422, description = "`invalid_or_expired_token`, `validation_failed`"),
    )
)]
#[post("/auth/password/reset")]
pub async fn reset_password(
    state: web::Data<AppState>,
    client: ClientInfo,
    body: Json<ResetPasswordRequest>,
) -> ApiResult<HttpResponse> {
    throttle(&state, &client)?;
    let body = body.into_inner();
    passwords::reset_password(
        &state,
        &client,
        &body.token,
        body.new_password.into_string(),
    )
    .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Change your password; every other session ends.
#[utoipa::path(
    tag = "identity",
    security(("bearer" = [])),
    request_body = ChangePasswordRequest,
    responses(
        (status = 204, description = "Password changed"),
        (status = 422, description = "`validation_failed` (wrong current password, weak new one)"),
    )
)]
#[post("/auth/password/change")]
pub async fn change_password(
    state: web::Data<AppState>,
    user: AuthUser,
    client: ClientInfo,
    body: Json<ChangePasswordRequest>,
) -> ApiResult<HttpResponse> {
    let body = body.into_inner();
    passwords::change_password(
        &state,
        &user,
        &client,
        body.current_password.into_string(),
        body.new_password.into_string(),
    )
    .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Your account.
#[utoipa::path(
    tag = "identity",
    security(("api_key" = [])),
    responses(
        (status = 200, body = UserResponse),
    )
)]
#[get("/me")]
pub async fn get_me(user: AuthUser) -> ApiResult<web::Json<UserResponse>> {
    let account = super::authn::account_of(&user)
        .cloned()
        .ok_or_else(|| AppError::internal(anyhow::anyhow!("the actor carries no account")))?;
    Ok(web::Json(account))
}

/// Update your profile: display name, bio, avatar URL, locale, time zone.
#[utoipa::path(
    tag = "identity",
    security(("api_key" = ["profile:write"])),
    request_body = UpdateProfileRequest,
    responses(
        (status = 200, body = UserResponse),
    )
)]
#[patch("/me")]
pub async fn update_me(
    state: web::Data<AppState>,
    user: AuthUser,
    client: ClientInfo,
    body: Json<UpdateProfileRequest>,
) -> ApiResult<web::Json<UserResponse>> {
    Ok(web::Json(
        profile::update_profile(&state, &user, &client, body.into_inner()).await?,
    ))
}

/// Your live sessions (devices).
#[utoipa::path(
    tag = "identity",
    security(("bearer" = [])),
    responses(
        (status = 200, body = Vec<SessionResponse>),
    )
)]
#[get("/me/sessions")]
pub async fn list_my_sessions(
    state: web::Data<AppState>,
    user: AuthUser,
) -> ApiResult<web::Json<Vec<SessionResponse>>> {
    Ok(web::Json(sessions::list_sessions(&state, &user).await?))
}

/// End one of your sessions.
#[utoipa::path(
    tag = "identity",
    security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Session id")),
    responses(
        (status = 204, description = "Revoked"),
    )
)]
#[delete("/me/sessions/{id}")]
pub async fn revoke_my_session(
    state: web::Data<AppState>,
    user: AuthUser,
    client: ClientInfo,
    id: web::Path<Uuid>,
) -> ApiResult<HttpResponse> {
    sessions::revoke_own_session(&state, &user, &client, id.into_inner()).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Start TOTP enrolment: returns a secret and its `otpauth://` URI.
#[utoipa::path(
    tag = "identity",
    security(("bearer" = [])),
    responses(
        (status = 200, body = TotpEnrollResponse),
        (status = 409, description = "`mfa_already_enabled`"),
    )
)]
#[post("/me/mfa/totp")]
pub async fn enroll_totp(
    state: web::Data<AppState>,
    user: AuthUser,
    client: ClientInfo,
) -> ApiResult<web::Json<TotpEnrollResponse>> {
    Ok(web::Json(mfa::enroll(&state, &user, &client).await?))
}

/// Confirm TOTP with a first code; returns ten single-use backup codes (shown once).
#[utoipa::path(
    tag = "identity",
    security(("bearer" = [])),
    request_body = TotpConfirmRequest,
    responses(
        (status = 200, body = BackupCodesResponse),
        (status = 409, description = "`mfa_not_pending`"),
        (status = 422, description = "wrong code"),
    )
)]
#[post("/me/mfa/totp/confirm")]
pub async fn confirm_totp(
    state: web::Data<AppState>,
    user: AuthUser,
    client: ClientInfo,
    body: Json<TotpConfirmRequest>,
) -> ApiResult<web::Json<BackupCodesResponse>> {
    Ok(web::Json(
        mfa::confirm(&state, &user, &client, &body.code).await?,
    ))
}

/// Turn two-factor sign-in off, with a current code or the password.
#[utoipa::path(
    tag = "identity",
    security(("bearer" = [])),
    request_body = TotpDisableRequest,
    responses(
        (status = 204, description = "Disabled"),
        (status = 409, description = "`mfa_not_enabled`"),
        (status = 422, description = "wrong code or password"),
    )
)]
#[delete("/me/mfa/totp")]
pub async fn disable_totp(
    state: web::Data<AppState>,
    user: AuthUser,
    client: ClientInfo,
    body: Json<TotpDisableRequest>,
) -> ApiResult<HttpResponse> {
    let body = body.into_inner();
    mfa::disable(
        &state,
        &user,
        &client,
        body.code.map(Line::into_string),
        body.password.map(Line::into_string),
    )
    .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Your API keys (secrets are never shown again).
#[utoipa::path(
    tag = "identity",
    security(("bearer" = [])),
    responses(
        (status = 200, body = Vec<ApiKeyResponse>),
    )
)]
#[get("/me/api-keys")]
pub async fn list_my_api_keys(
    state: web::Data<AppState>,
    user: AuthUser,
) -> ApiResult<web::Json<Vec<ApiKeyResponse>>> {
    Ok(web::Json(api_keys::list(&state, &user).await?))
}

/// Create an API key with a subset of your permissions; the key is shown only in this answer.
#[utoipa::path(
    tag = "identity",
    security(("bearer" = [])),
    request_body = CreateApiKeyRequest,
    responses(
        (status = 201, body = CreatedApiKeyResponse),
        (status = 403, description = "`session_required`"),
    )
)]
#[post("/me/api-keys")]
pub async fn create_my_api_key(
    state: web::Data<AppState>,
    user: AuthUser,
    client: ClientInfo,
    body: Json<CreateApiKeyRequest>,
) -> ApiResult<HttpResponse> {
    let key = api_keys::create(&state, &user, &client, body.into_inner()).await?;
    Ok(HttpResponse::Created().json(key))
}

/// Revoke one of your API keys.
#[utoipa::path(
    tag = "identity",
    security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "API key id")),
    responses(
        (status = 204, description = "Revoked"),
    )
)]
#[delete("/me/api-keys/{id}")]
pub async fn revoke_my_api_key(
    state: web::Data<AppState>,
    user: AuthUser,
    client: ClientInfo,
    id: web::Path<Uuid>,
) -> ApiResult<HttpResponse> {
    api_keys::revoke(&state, &user, &client, id.into_inner()).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// List and search accounts (permission `user:read`).
#[utoipa::path(
    tag = "identity",
    security(("api_key" = ["user:read"])),
    params(ListUsersQuery),
    responses(
        (status = 200, body = Page<UserResponse>),
    )
)]
#[get("/users")]
pub async fn list_users(
    state: web::Data<AppState>,
    user: AuthUser,
    query: Query<ListUsersQuery>,
) -> ApiResult<web::Json<Page<UserResponse>>> {
    Ok(web::Json(
        admin::list_users(&state, &user, query.into_inner()).await?,
    ))
}

/// One account: yourself, or anyone with `user:read`.
#[utoipa::path(
    tag = "identity",
    security(("api_key" = ["user:read"])),
    params(("id" = Uuid, Path, description = "User id")),
    responses(
        (status = 200, body = UserResponse),
    )
)]
#[get("/users/{id}")]
pub async fn get_user(
    state: web::Data<AppState>,
    user: AuthUser,
    id: web::Path<Uuid>,
) -> ApiResult<web::Json<UserResponse>> {
    Ok(web::Json(
        admin::view_user(&state, &user, id.into_inner()).await?,
    ))
}

/// Suspend (ends every session), reactivate or soft-delete an account (permission
/// `user:manage`).
#[utoipa::path(
    tag = "identity",
    security(("api_key" = ["user:manage"])),
    params(("id" = Uuid, Path, description = "User id")),
    request_body = UpdateUserStatusRequest,
    responses(
        (status = 200, body = UserResponse),
        (status = 422, description = "`validation_failed`, `cannot_change_own_status`"),
    )
)]
#[patch("/users/{id}/status")]
pub async fn update_user_status(
    state: web::Data<AppState>,
    user: AuthUser,
    client: ClientInfo,
    id: web::Path<Uuid>,
    body: Json<UpdateUserStatusRequest>,
) -> ApiResult<web::Json<UserResponse>> {
    Ok(web::Json(
        admin::update_status(&state, &user, &client, id.into_inner(), body.into_inner()).await?,
    ))
}
