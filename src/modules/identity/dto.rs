//! Request and response types of the identity routes.

use chrono::{DateTime, Utc};
use kernel::enums::AccountStatus;
use kernel::enums::Choice;
use kernel::text::{Email, Line, Name, Text};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

/// A new account.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RegisterRequest {
    /// Case-insensitive; unique.
    #[schema(value_type = String, format = Email, max_length = 254, example = "ada@example.com")]
    pub email: Email,
    /// 10-128 characters, hard to guess, not containing the email's local part.
    #[schema(example = "correct horse battery staple")]
    pub password: Line<1024>,
    #[schema(example = "Ada Lovelace")]
    pub display_name: Name<100>,
}

/// An account as its owner (or an admin) sees it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct UserResponse {
    pub id: Uuid,
    pub email: String,
    pub display_name: String,
    pub email_verified: bool,
    /// `active` or `suspended`.
    pub status: String,
    pub bio: String,
    pub avatar_url: Option<String>,
    pub locale: String,
    pub time_zone: String,
    pub mfa_enabled: bool,
    pub created_at: DateTime<Utc>,
    pub last_login_at: Option<DateTime<Utc>>,
    /// Set when the account was soft-deleted (admins only see these).
    pub deleted_at: Option<DateTime<Utc>>,
}

/// A single-use token from a mail.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TokenRequest {
    pub token: Line<512>,
}

/// An email address, for resend and forgot.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EmailRequest {
    /// Any text is accepted (the answer never reveals whether it names an account).
    #[schema(example = "ada@example.com")]
    pub email: Email,
}

/// Always the same answer, whether or not the address has an account.
#[derive(Debug, Serialize, ToSchema)]
pub struct AcceptedResponse {
    #[schema(example = "if the address has an account, a message is on its way")]
    pub message: String,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LoginRequest {
    #[schema(value_type = String, format = Email, max_length = 254, example = "ada@example.com")]
    pub email: Email,
    pub password: Line<1024>,
}

/// A signed-in session's tokens.
#[derive(Debug, Serialize, ToSchema)]
pub struct TokenResponse {
    /// JWT for `Authorization: Bearer`, valid `expires_in` seconds.
    pub access_token: String,
    #[schema(example = "Bearer")]
    pub token_type: &'static str,
    #[schema(example = 900)]
    pub expires_in: u64,
    /// Opaque; exchange at `/auth/refresh` for a new pair. Single use.
    pub refresh_token: String,
    pub session_id: Uuid,
    pub user: UserResponse,
}

/// The first login step succeeded; send a TOTP or backup code to `/auth/login/mfa`.
#[derive(Debug, Serialize, ToSchema)]
pub struct MfaChallengeResponse {
    pub mfa_required: bool,
    pub mfa_token: String,
    pub expires_in: u64,
}

/// Tokens, or an MFA challenge when the account has two-factor sign-in.
#[derive(Debug, Serialize, ToSchema)]
#[serde(untagged)]
pub enum LoginResponse {
    Tokens(Box<TokenResponse>),
    Mfa(MfaChallengeResponse),
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LoginMfaRequest {
    pub mfa_token: Line<512>,
    /// A 6-digit TOTP code or a backup code.
    #[schema(example = "123456")]
    pub code: Line<64>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RefreshRequest {
    pub refresh_token: Line<512>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ResetPasswordRequest {
    pub token: Line<512>,
    pub new_password: Line<1024>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ChangePasswordRequest {
    pub current_password: Line<1024>,
    pub new_password: Line<1024>,
}

/// Profile fields; absent fields stay as they are.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateProfileRequest {
    pub display_name: Option<Name<100>>,
    pub bio: Option<Text<2000>>,
    /// An `https://` URL, or null to remove it.
    #[serde(default, deserialize_with = "kernel::text::double_option")]
    #[schema(value_type = Option<String>, max_length = 2048, pattern = "^https://[A-Za-z0-9-]+(\\.[A-Za-z0-9-]+)*(:[0-9]{1,5})?(/[A-Za-z0-9._~%/-]*)?$")]
    pub avatar_url: Option<Option<Line<2048>>>,
    /// A language tag: letters and digits in parts joined by `-`.
    #[schema(value_type = Option<String>, example = "en-ZA", min_length = 2, max_length = 35,
        pattern = "^[A-Za-z0-9]+(-[A-Za-z0-9]+)*$")]
    pub locale: Option<Line<35>>,
    /// An IANA time zone (`Area/City`) or `UTC`.
    #[schema(value_type = Option<String>, example = "Africa/Johannesburg", max_length = 64,
        pattern = "^(UTC|[A-Za-z0-9_+-]+(/[A-Za-z0-9_+-]+)+)$")]
    pub time_zone: Option<Line<64>>,
}

/// A sign-in session.
#[derive(Debug, Serialize, ToSchema)]
pub struct SessionResponse {
    pub id: Uuid,
    /// The device, as its user agent.
    pub user_agent: String,
    pub ip: String,
    pub created_at: DateTime<Utc>,
    pub last_seen_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    /// The session making this request.
    pub current: bool,
}

/// TOTP enrolment: add the secret to an authenticator app, then confirm with a code.
#[derive(Debug, Serialize, ToSchema)]
pub struct TotpEnrollResponse {
    /// Base32 secret.
    pub secret: String,
    /// `otpauth://` URI (for a QR code).
    pub otpauth_uri: String,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TotpConfirmRequest {
    #[schema(example = "123456")]
    pub code: Line<64>,
}

/// Shown once: each code signs in once instead of a TOTP code.
#[derive(Debug, Serialize, ToSchema)]
pub struct BackupCodesResponse {
    pub backup_codes: Vec<String>,
}

/// Disabling two-factor needs a current code or the password.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TotpDisableRequest {
    pub code: Option<Line<64>>,
    pub password: Option<Line<1024>>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateApiKeyRequest {
    #[schema(example = "CI deploys")]
    pub name: Name<100>,
    /// A subset of your own permissions.
    #[schema(example = json!(["course:create"]))]
    pub permissions: Vec<Line<100>>,
    pub expires_at: Option<DateTime<Utc>>,
}

/// An API key (without its secret).
#[derive(Debug, Serialize, ToSchema)]
pub struct ApiKeyResponse {
    pub id: Uuid,
    pub name: String,
    /// The first characters of the key, to recognise it.
    pub prefix: String,
    pub permissions: Vec<String>,
    pub expires_at: Option<DateTime<Utc>>,
    pub last_used_at: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
}

/// A new API key: `key` is shown only now; send it as `X-Api-Key`.
#[derive(Debug, Serialize, ToSchema)]
pub struct CreatedApiKeyResponse {
    pub key: String,
    #[serde(flatten)]
    pub api_key: ApiKeyResponse,
}

/// Filters of `GET /users`.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListUsersQuery {
    /// Matches email or display name.
    pub q: Option<Line<200>>,
    /// `active`, `suspended` or `deleted`.
    pub status: Option<AccountStatus>,
    /// From 1.
    #[param(minimum = 1, maximum = 1_000_000)]
    pub page: Option<u64>,
    /// 1 to 100, default 20.
    #[param(minimum = 1, maximum = 100)]
    pub per_page: Option<u64>,
}

/// `active` reactivates, `suspended` suspends (and ends every session), `deleted` soft-deletes.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateUserStatusRequest {
    #[schema(value_type = AccountStatus, example = "suspended")]
    pub status: Choice<AccountStatus>,
    /// Why, for the audit trail.
    pub reason: Option<Text<1000>>,
}
