//! Request and response types of the certificate and badge routes.

use chrono::{DateTime, Utc};
use kernel::enums::{AchievementKind, BadgeRuleKind, Choice, CredentialStatus};
use kernel::money::{DecimalValue, Percent};
use kernel::text::{Line, Name, Prose, Text};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

/// Who issued a credential: the platform or an organization, each with its `did:web`.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct IssuerResponse {
    /// `did:web:<host>` (the platform) or `did:web:<host>:orgs:<id>`.
    #[schema(example = "did:web:azora.example")]
    pub did: String,
    pub organization_id: Option<Uuid>,
    #[schema(example = "Azora Academy")]
    pub name: String,
}

/// A credential as its holder (or its issuer) sees it; the signed document itself is at
/// `GET /credentials/{id}`.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CredentialResponse {
    pub id: Uuid,
    pub holder_id: Uuid,
    pub achievement_kind: AchievementKind,
    /// The course, learning path or badge.
    pub achievement_id: Uuid,
    #[schema(example = "Introduction to Data Science")]
    pub title: String,
    pub issuer: IssuerResponse,
    pub status: CredentialStatus,
    /// Why it was revoked (shown to the holder).
    pub revocation_reason: Option<String>,
    pub revoked_at: Option<DateTime<Utc>>,
    pub suspension_reason: Option<String>,
    pub suspended_at: Option<DateTime<Utc>>,
    pub issued_at: DateTime<Utc>,
    /// When it expires (`validUntil`); `null`: never.
    pub valid_until: Option<DateTime<Utc>>,
    /// Whether anyone with its link may read the signed document.
    pub public: bool,
    /// The short code printed on the certificate (`GET /verify/{code}`).
    #[schema(example = "AZ7K-Q2MD-X9TP")]
    pub verification_code: String,
    /// The page a person checks the certificate at (the QR code of the PDF).
    pub verification_url: String,
    /// The signed JSON-LD document (`Accept: application/vc+jwt` for the VC-JWT).
    pub credential_url: String,
}

/// Filters of `GET /me/credentials`.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListCredentialsQuery {
    /// Only credentials of this kind.
    pub kind: Option<AchievementKind>,
    #[param(minimum = 1, maximum = 1_000_000)]
    pub page: Option<u64>,
    #[param(minimum = 1, maximum = 100)]
    pub per_page: Option<u64>,
}

/// Whether the signed document may be read by anyone with its link.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateCredentialRequest {
    pub public: bool,
}

/// Revoking is for good; the reason is shown to the holder and to verifiers.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RevokeRequest {
    #[schema(example = "Issued in error")]
    pub reason: Prose<1000>,
}

/// Suspending holds a credential until it is unsuspended.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SuspendRequest {
    pub reason: Option<Prose<1000>>,
}

/// A credential as presented: a VC-JWT (a string) or a JSON-LD credential with its Data
/// Integrity proof (an object).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(untagged)]
pub enum PresentedCredential {
    /// A compact VC-JWT.
    Jwt(Line<262144>),
    /// A JSON-LD `OpenBadgeCredential`.
    #[schema(value_type = Object)]
    Document(serde_json::Map<String, serde_json::Value>),
}

/// A credential to verify.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct VerifyCredentialRequest {
    #[serde(deserialize_with = "presented")]
    pub credential: PresentedCredential,
}

/// [`PresentedCredential`] with errors that say what was expected (an untagged enum would only
/// say that nothing matched).
fn presented<'de, D: serde::Deserializer<'de>>(d: D) -> Result<PresentedCredential, D::Error> {
    use serde::de::Error;
    match serde_json::Value::deserialize(d)? {
        serde_json::Value::String(jwt) => Line::new(jwt)
            .map(PresentedCredential::Jwt)
            .map_err(|e| D::Error::custom(format!("{}a VC-JWT: {e}", kernel::text::RULE))),
        serde_json::Value::Object(doc) => Ok(PresentedCredential::Document(doc)),
        _ => Err(D::Error::custom(format!(
            "{}a VC-JWT (a string) or a JSON-LD credential (an object)",
            kernel::text::RULE
        ))),
    }
}

/// What a verification concluded, most serious first: `malformed`, `unknown_issuer`,
/// `bad_signature`, `revoked`, `expired`, `suspended`, `valid`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    Valid,
    Revoked,
    Suspended,
    Expired,
    BadSignature,
    UnknownIssuer,
    Malformed,
}

/// One check a verification made.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct VerificationCheck {
    /// `format`, `issuer`, `key`, `jwt_signature`, `jwt_claims`, `data_integrity_proof`,
    /// `validity_period`, `status`.
    #[schema(example = "data_integrity_proof")]
    pub check: &'static str,
    pub passed: bool,
    pub detail: String,
}

/// The answer of `POST /credentials/verify`.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CredentialVerification {
    pub verdict: Verdict,
    /// `vc+jwt` or `json-ld`.
    pub format: Option<String>,
    /// The credential's `id` (a URL), when it could be read.
    pub credential_id: Option<String>,
    /// The issuer's DID.
    pub issuer: Option<String>,
    pub revocation_reason: Option<String>,
    pub checks: Vec<VerificationCheck>,
}

/// What the public verification page shows for a certificate's printed code.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CodeVerificationResponse {
    pub verdict: Verdict,
    pub credential_id: Uuid,
    pub title: String,
    pub achievement_kind: AchievementKind,
    /// The holder's display name (as printed on the certificate).
    pub holder_name: String,
    pub issuer: IssuerResponse,
    pub issued_at: DateTime<Utc>,
    pub valid_until: Option<DateTime<Utc>>,
    pub status: CredentialStatus,
    pub revocation_reason: Option<String>,
    /// The graded result, in percent, when the achievement has one.
    pub grade: Option<String>,
    /// The signed document, when the holder made it public.
    pub credential_url: Option<String>,
}

/// A rule that awards a badge by itself.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BadgeRuleRequest {
    #[schema(value_type = BadgeRuleKind)]
    pub kind: Choice<BadgeRuleKind>,
    /// The course, assessment or learning path.
    pub target_id: Uuid,
    /// For `assessment_passed`: the least percent that earns the badge (default: a pass).
    #[schema(value_type = Option<Percent>)]
    pub min_percent: Option<Decimal>,
}

/// A badge definition; its rules award it by themselves, `POST /badges/{id}/awards` by hand.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateBadgeRequest {
    /// The organization whose badge it is (`badge:create` there); absent: a platform badge
    /// (`badge:create` globally).
    pub organization_id: Option<Uuid>,
    #[schema(example = "Data Explorer")]
    pub name: Name<200>,
    pub description: Option<Text<5000>>,
    /// What earns it, in words (`criteria.narrative`).
    #[schema(
        example = "Complete Introduction to Data Science with at least 80 % on the final exam."
    )]
    pub criteria: Prose<5000>,
    /// An `https://` image of the badge.
    #[schema(value_type = Option<String>, max_length = 2048, pattern = "^https://[A-Za-z0-9-]+(\\.[A-Za-z0-9-]+)*(:[0-9]{1,5})?(/[A-Za-z0-9._~%/-]*)?$")]
    pub image_url: Option<Line<2048>>,
    /// Awards expire this many days after issue; absent: never.
    #[schema(minimum = 1, maximum = 36500)]
    pub valid_days: Option<i32>,
    #[serde(default)]
    pub rules: Vec<BadgeRuleRequest>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct BadgeRuleResponse {
    pub kind: BadgeRuleKind,
    pub target_id: Uuid,
    #[schema(value_type = Option<DecimalValue>)]
    pub min_percent: Option<Decimal>,
}

/// A badge definition.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct BadgeResponse {
    pub id: Uuid,
    pub organization_id: Option<Uuid>,
    pub name: String,
    pub description: String,
    pub criteria: String,
    pub image_url: Option<String>,
    pub valid_days: Option<i32>,
    pub rules: Vec<BadgeRuleResponse>,
    /// How many learners hold it.
    pub awarded: i64,
    pub created_by: Uuid,
    pub created_at: DateTime<Utc>,
}

/// Filters of `GET /badges`.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListBadgesQuery {
    /// Only this organization's badges.
    pub organization_id: Option<Uuid>,
    #[param(minimum = 1, maximum = 1_000_000)]
    pub page: Option<u64>,
    #[param(minimum = 1, maximum = 100)]
    pub per_page: Option<u64>,
}

/// Award a badge by hand to a learner.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AwardRequest {
    pub user_id: Uuid,
}

/// A badge on a public profile.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct UserBadgeResponse {
    pub credential_id: Uuid,
    pub badge_id: Uuid,
    pub name: String,
    pub description: String,
    pub image_url: Option<String>,
    pub issuer: IssuerResponse,
    pub issued_at: DateTime<Utc>,
    /// The signed document, when the holder made it public.
    pub credential_url: Option<String>,
}

/// A holder's credential settings.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CredentialSettingsResponse {
    /// Whether `GET /users/{id}/badges` lists your badges to everyone (default: no).
    pub public_badges: bool,
    pub updated_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateCredentialSettingsRequest {
    pub public_badges: bool,
}
