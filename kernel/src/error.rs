//! `AppError`: the one error of every service and handler, and `ErrorCode`, the closed list of
//! stable snake_case codes clients switch on.
//!
//! Each code carries its usual HTTP status and a one-line meaning; the OpenAPI document and the
//! README list them from [`ErrorCode::ALL`]. The web layer renders an `AppError` as RFC 9457
//! problem+json; a 500 shows nothing of its cause (the cause goes to the log line).
//! Database errors are classified once, here: unreachable -> 503, unique violation -> 409 with a
//! code chosen by constraint name, foreign key -> 422, check -> 422.

use std::fmt;

use sea_orm::{DbErr, SqlErr};
use serde::Serialize;
use utoipa::ToSchema;

macro_rules! error_codes {
    ($($variant:ident = ($code:literal, $status:literal, $meaning:literal);)*) => {
        /// Stable machine-readable code of a problem: switch on this, not on `title` or `detail`.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum ErrorCode {
            $(#[doc = $meaning] $variant,)*
        }

        impl ErrorCode {
            /// Every code, in declaration order.
            pub const ALL: &'static [ErrorCode] = &[$(ErrorCode::$variant,)*];

            /// The code as sent (`insufficient_funds`).
            pub const fn as_str(self) -> &'static str {
                match self { $(ErrorCode::$variant => $code,)* }
            }

            /// The HTTP status a problem with this code usually has.
            pub const fn status(self) -> u16 {
                match self { $(ErrorCode::$variant => $status,)* }
            }

            /// What the code means, in one line.
            pub const fn meaning(self) -> &'static str {
                match self { $(ErrorCode::$variant => $meaning,)* }
            }
        }
    };
}

error_codes! {
    // Requests the server cannot read (400).
    BadRequest = ("bad_request", 400, "The request could not be understood.");
    MalformedRequest = ("malformed_request", 400, "The request is not well-formed HTTP/1.1 (request line, header syntax, `Host`, `Content-Length` or `Transfer-Encoding`).");
    MalformedJson = ("malformed_json", 400, "The body is not valid JSON (or holds a NUL character).");
    InvalidBody = ("invalid_body", 400, "The body could not be used.");
    UnreadableBody = ("unreadable_body", 400, "The body could not be read.");
    InvalidPathParameter = ("invalid_path_parameter", 400, "A path parameter is malformed (e.g. not a UUID).");
    InvalidQuery = ("invalid_query", 400, "The query string is invalid.");
    IdempotencyKeyRequired = ("idempotency_key_required", 400, "This write needs an `Idempotency-Key` header.");
    WebsocketRequired = ("websocket_required", 400, "This route speaks WebSocket only: send an upgrade request.");
    InvalidIdempotencyKey = ("invalid_idempotency_key", 400, "The `Idempotency-Key` header is not 1 to 200 printable ASCII characters.");
    // Authentication (401).
    Unauthenticated = ("unauthenticated", 401, "The route needs a bearer token or an `X-Api-Key`.");
    InvalidToken = ("invalid_token", 401, "The access token is malformed or its signature is wrong.");
    TokenExpired = ("token_expired", 401, "The access token has expired; refresh it.");
    SessionRevoked = ("session_revoked", 401, "The session of this token has ended; sign in again.");
    InvalidApiKey = ("invalid_api_key", 401, "The API key is unknown, expired or revoked.");
    InvalidCredentials = ("invalid_credentials", 401, "Wrong email or password.");
    InvalidMfaToken = ("invalid_mfa_token", 401, "The MFA challenge token is unknown or expired.");
    InvalidMfaCode = ("invalid_mfa_code", 401, "The TOTP or backup code is wrong.");
    InvalidRefreshToken = ("invalid_refresh_token", 401, "The refresh token is unknown or expired.");
    RefreshTokenReused = ("refresh_token_reused", 401, "A spent refresh token was presented; its session has been ended.");
    // Authorization (403).
    Forbidden = ("forbidden", 403, "The caller lacks the permission this needs in this scope (or the API key does not list it).");
    SessionRequired = ("session_required", 403, "Account-security routes need a signed-in session, not an API key.");
    AccountSuspended = ("account_suspended", 403, "The account is suspended.");
    EmailNotVerified = ("email_not_verified", 403, "Verify the email address before doing this.");
    EscalationRefused = ("escalation_refused", 403, "Granting a role or permission you do not hold yourself.");
    NotAMember = ("not_a_member", 403, "Only members of the organization may do this in its name.");
    NotEnrolled = ("not_enrolled", 403, "The caller is not enrolled in the course (404 where the enrollment itself is the resource).");
    EnrollmentRequired = ("enrollment_required", 403, "Enrol in the course first.");
    PostingRestricted = ("posting_restricted", 403, "The forum's posting rule does not let the caller start threads or reply here.");
    ForumBanned = ("forum_banned", 403, "The caller is banned from this forum (until the ban's `until`).");
    OriginNotAllowed = ("origin_not_allowed", 403, "The `Origin` of this WebSocket is not in the allowed origins.");
    // Not found (404, 405).
    NotFound = ("not_found", 404, "The resource does not exist, or the caller may not know it does.");
    RouteNotFound = ("route_not_found", 404, "No route has this path.");
    MethodNotAllowed = ("method_not_allowed", 405, "The path exists but not with this method (see `Allow`).");
    RequestTimeout = ("request_timeout", 408, "The request took too long to arrive.");
    // Conflicts (409).
    Conflict = ("conflict", 409, "The change clashes with something that exists.");
    EmailTaken = ("email_taken", 409, "An account with this email exists.");
    SlugTaken = ("slug_taken", 409, "The slug is taken.");
    RoleExists = ("role_exists", 409, "A role with this name exists.");
    AssignmentExists = ("assignment_exists", 409, "The same grant exists.");
    AlreadyMember = ("already_member", 409, "The user is a member already.");
    WalletExists = ("wallet_exists", 409, "The caller has a wallet in this currency.");
    AlreadyUnstaked = ("already_unstaked", 409, "The stake was unstaked already.");
    AlreadyRefunded = ("already_refunded", 409, "The payment was refunded already.");
    IdempotencyKeyReused = ("idempotency_key_reused", 409, "The `Idempotency-Key` was used for a different request.");
    IdempotencyKeyInUse = ("idempotency_key_in_use", 409, "A request with this `Idempotency-Key` is still running.");
    MfaAlreadyEnabled = ("mfa_already_enabled", 409, "Two-factor sign-in is on already.");
    MfaNotEnabled = ("mfa_not_enabled", 409, "Two-factor sign-in is off.");
    MfaNotPending = ("mfa_not_pending", 409, "No two-factor enrolment is waiting for confirmation.");
    InvalidTransition = ("invalid_transition", 409, "The resource's status does not allow this move.");
    AlreadyEnrolled = ("already_enrolled", 409, "The caller is enrolled already.");
    AlreadyDropped = ("already_dropped", 409, "The enrollment was dropped already.");
    EnrollmentCompleted = ("enrollment_completed", 409, "A completed enrollment cannot change.");
    AlreadyInstructor = ("already_instructor", 409, "The user teaches the course already.");
    AlreadyPrerequisite = ("already_prerequisite", 409, "The course is a prerequisite already.");
    CourseHasEnrollments = ("course_has_enrollments", 409, "A course with learners cannot be deleted.");
    AssessmentHasAttempts = ("assessment_has_attempts", 409, "Questions freeze once anybody has attempted the assessment.");
    AttemptOpen = ("attempt_open", 409, "An attempt is open already; finish it first.");
    AttemptInProgress = ("attempt_in_progress", 409, "The attempt is still in progress.");
    AttemptClosed = ("attempt_closed", 409, "The attempt was submitted already.");
    DeadlinePassed = ("deadline_passed", 409, "The attempt's deadline has passed; it was submitted with what was saved.");
    CredentialRevoked = ("credential_revoked", 409, "The credential is revoked; its status cannot change any more.");
    AlreadySuspended = ("already_suspended", 409, "The credential is suspended already.");
    NotSuspended = ("not_suspended", 409, "The credential is not suspended.");
    AlreadyAwarded = ("already_awarded", 409, "The learner holds this achievement already.");
    RoomArchived = ("room_archived", 409, "The room is archived: read-only until unarchived.");
    EditWindowPassed = ("edit_window_passed", 409, "The message is older than the edit window.");
    MessageDeleted = ("message_deleted", 409, "The message was deleted.");
    AlreadyFlagged = ("already_flagged", 409, "You flagged this already.");
    FlagResolved = ("flag_resolved", 409, "The flag was resolved already.");
    PostDeleted = ("post_deleted", 409, "The post was deleted.");
    ThreadLocked = ("thread_locked", 409, "The thread is locked: only its forum's staff post in it.");
    ThreadMerged = ("thread_merged", 409, "The thread was merged into another (`merged_into_id`); post there.");
    RoomMembershipManaged = ("room_membership_managed", 409, "This room's members follow enrollments, organization membership or the pair it joins; they cannot be changed by hand.");
    // Validation and business rules (413, 415, 422).
    PayloadTooLarge = ("payload_too_large", 413, "The body exceeds the size limit.");
    UriTooLong = ("uri_too_long", 414, "The request line is too long.");
    UnsupportedMediaType = ("unsupported_media_type", 415, "The body must be JSON (`Content-Type: application/json`).");
    ValidationFailed = ("validation_failed", 422, "Fields are invalid; `errors` points at each.");
    InvalidAmount = ("invalid_amount", 422, "The amount is not a positive decimal within the currency's scale.");
    InsufficientFunds = ("insufficient_funds", 422, "The wallet's balance is too low.");
    CurrencyMismatch = ("currency_mismatch", 422, "The wallets hold different currencies.");
    SelfTransfer = ("self_transfer", 422, "A wallet cannot pay itself.");
    StakeNotMatured = ("stake_not_matured", 422, "The stake's term has not ended.");
    InvalidOrExpiredToken = ("invalid_or_expired_token", 422, "The emailed token is unknown, used or expired.");
    NotASession = ("not_a_session", 422, "This works on sessions, not API keys.");
    CannotChangeOwnStatus = ("cannot_change_own_status", 422, "Administrators cannot suspend or delete themselves.");
    CannotRemoveOwner = ("cannot_remove_owner", 422, "The organization's owner cannot be removed.");
    CategoryCycle = ("category_cycle", 422, "A category cannot move under its own descendant.");
    PrerequisiteCycle = ("prerequisite_cycle", 422, "The prerequisite would make a cycle.");
    PrerequisitesMissing = ("prerequisites_missing", 422, "Complete the listed courses first.");
    CourseEmpty = ("course_empty", 422, "A course needs a lesson before review or publishing.");
    CourseNotOpen = ("course_not_open", 422, "The course is not open for enrollment.");
    InvalidOrder = ("invalid_order", 422, "The new order must list every item exactly once.");
    AssessmentEmpty = ("assessment_empty", 422, "The assessment has no questions.");
    AssessmentNotAvailable = ("assessment_not_available", 422, "The assessment is outside its availability window.");
    AssessmentRequired = ("assessment_required", 422, "The lesson completes by passing its assessment.");
    MaxAttemptsReached = ("max_attempts_reached", 422, "No attempts are left.");
    // Too many requests (429).
    RateLimited = ("rate_limited", 429, "Too many requests; wait for `Retry-After` seconds.");
    AccountLocked = ("account_locked", 429, "Too many failed sign-ins; the account is locked for `Retry-After` seconds.");
    TooManyAttempts = ("too_many_attempts", 429, "Too many failed sign-ins from this address.");
    HeadersTooLarge = ("headers_too_large", 431, "The request's headers are too large.");
    // Server side (5xx).
    InternalError = ("internal_error", 500, "An unexpected error; quote the request id when reporting it.");
    HttpError = ("http_error", 500, "An error of the HTTP layer without a more precise code.");
    DatabaseUnavailable = ("database_unavailable", 503, "The database is unreachable; retry shortly.");
    MigrationsPending = ("migrations_pending", 503, "Migrations are pending; the service is not ready.");
    ServiceUnavailable = ("service_unavailable", 503, "The service cannot answer now; retry shortly.");
}

impl ErrorCode {
    /// The generic code of a bare status (an error some layer produced without a code).
    pub fn of_status(status: u16) -> ErrorCode {
        match status {
            400 => ErrorCode::BadRequest,
            401 => ErrorCode::Unauthenticated,
            403 => ErrorCode::Forbidden,
            404 => ErrorCode::RouteNotFound,
            405 => ErrorCode::MethodNotAllowed,
            408 => ErrorCode::RequestTimeout,
            413 => ErrorCode::PayloadTooLarge,
            414 => ErrorCode::UriTooLong,
            415 => ErrorCode::UnsupportedMediaType,
            422 => ErrorCode::ValidationFailed,
            429 => ErrorCode::RateLimited,
            431 => ErrorCode::HeadersTooLarge,
            503 => ErrorCode::ServiceUnavailable,
            _ => ErrorCode::HttpError,
        }
    }

    /// The codes a response of `status` can carry, for documentation.
    pub fn with_status(status: u16) -> impl Iterator<Item = ErrorCode> {
        Self::ALL
            .iter()
            .copied()
            .filter(move |c| c.status() == status)
    }
}

impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for ErrorCode {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl utoipa::PartialSchema for ErrorCode {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        use utoipa::openapi::schema::{ObjectBuilder, Type};
        let list: String = ErrorCode::ALL
            .iter()
            .map(|c| format!("\n- `{}` ({}): {}", c.as_str(), c.status(), c.meaning()))
            .collect();
        ObjectBuilder::new()
            .schema_type(Type::String)
            .description(Some(format!(
                "Stable machine-readable code: switch on this, not on `title` or `detail`.{list}"
            )))
            .enum_values(Some(ErrorCode::ALL.iter().map(|c| c.as_str())))
            .into()
    }
}

impl ToSchema for ErrorCode {}

/// One violation inside a request, located by a JSON pointer.
#[derive(Debug, Clone, Serialize, ToSchema, PartialEq, Eq)]
pub struct FieldError {
    /// JSON pointer into the request (`#/email`, `#/items/0/amount`), or the parameter name.
    #[schema(example = "#/email")]
    pub pointer: String,
    /// What is wrong with it.
    pub detail: String,
}

impl FieldError {
    pub fn new(pointer: impl Into<String>, detail: impl Into<String>) -> Self {
        Self {
            pointer: pointer.into(),
            detail: detail.into(),
        }
    }
}

/// The error of every service and handler (boxed: errors are rare, `Result`s are everywhere).
#[derive(Debug)]
pub struct AppError(Box<Inner>);

#[derive(Debug)]
struct Inner {
    code: ErrorCode,
    status: u16,
    detail: String,
    errors: Vec<FieldError>,
    retry_after_secs: Option<u64>,
    allow: Option<String>,
    source: Option<anyhow::Error>,
}

impl AppError {
    /// A problem with `code`, at the code's usual status.
    pub fn new(code: ErrorCode, detail: impl Into<String>) -> Self {
        Self(Box::new(Inner {
            code,
            status: code.status(),
            detail: detail.into(),
            errors: Vec::new(),
            retry_after_secs: None,
            allow: None,
            source: None,
        }))
    }

    /// 404 `not_found` for a resource (or one the caller may not know exists).
    pub fn not_found(what: &str) -> Self {
        Self::new(ErrorCode::NotFound, format!("{what} not found"))
    }

    /// 403 `forbidden`.
    pub fn forbidden(detail: impl Into<String>) -> Self {
        Self::new(ErrorCode::Forbidden, detail)
    }

    /// A 429 with `Retry-After`.
    pub fn too_many_requests(
        code: ErrorCode,
        detail: impl Into<String>,
        retry_after_secs: u64,
    ) -> Self {
        Self::new(code, detail).retry_after(retry_after_secs)
    }

    /// 422 `validation_failed` with the field violations.
    pub fn validation(errors: Vec<FieldError>) -> Self {
        let detail = match errors.as_slice() {
            [one] => format!("{}: {}", one.pointer, one.detail),
            _ => format!("{} fields are invalid", errors.len()),
        };
        Self::new(ErrorCode::ValidationFailed, detail).with_errors(errors)
    }

    /// 422 `validation_failed` for one field.
    pub fn field(pointer: impl Into<String>, detail: impl Into<String>) -> Self {
        Self::validation(vec![FieldError::new(pointer, detail)])
    }

    /// 503 `database_unavailable`.
    pub fn database_unavailable(source: impl Into<anyhow::Error>) -> Self {
        Self::new(
            ErrorCode::DatabaseUnavailable,
            "the database is unreachable; try again shortly",
        )
        .retry_after(2)
        .with_source(source)
    }

    /// 500: something that should not happen; the cause is logged, never shown.
    pub fn internal(source: impl Into<anyhow::Error>) -> Self {
        Self::new(
            ErrorCode::InternalError,
            "an unexpected error occurred; quote the request id when reporting it",
        )
        .with_source(source)
    }

    /// 405 with the methods the path does allow.
    pub fn method_not_allowed(allow: &[&str]) -> Self {
        let mut e = Self::new(
            ErrorCode::MethodNotAllowed,
            format!("this route allows {}", allow.join(", ")),
        );
        e.0.allow = Some(allow.join(", "));
        e
    }

    /// A problem for a bare status (an error some layer produced without a body).
    pub fn of_status(status: u16, detail: impl Into<String>) -> Self {
        Self::new(ErrorCode::of_status(status), detail).with_status(status)
    }

    /// Sends another status than the code's usual one (rare; documented at the code).
    pub fn with_status(mut self, status: u16) -> Self {
        self.0.status = status;
        self
    }

    /// Adds `Retry-After` (at least one second).
    pub fn retry_after(mut self, secs: u64) -> Self {
        self.0.retry_after_secs = Some(secs.max(1));
        self
    }

    pub fn with_errors(mut self, errors: Vec<FieldError>) -> Self {
        self.0.errors = errors;
        self
    }

    pub fn with_source(mut self, source: impl Into<anyhow::Error>) -> Self {
        self.0.source = Some(source.into());
        self
    }

    pub fn code(&self) -> ErrorCode {
        self.0.code
    }

    pub fn status(&self) -> u16 {
        self.0.status
    }

    pub fn detail(&self) -> &str {
        &self.0.detail
    }

    pub fn errors(&self) -> &[FieldError] {
        &self.0.errors
    }

    pub fn retry_after_secs(&self) -> Option<u64> {
        self.0.retry_after_secs
    }

    pub fn allow(&self) -> Option<&str> {
        self.0.allow.as_deref()
    }
}

impl fmt::Display for AppError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}: {}", self.0.status, self.0.code, self.0.detail)?;
        if let Some(source) = &self.0.source {
            write!(f, " (cause: {source:#})")?;
        }
        Ok(())
    }
}

impl std::error::Error for AppError {}

/// Result type of services and handlers.
pub type AppResult<T> = Result<T, AppError>;

/// True when the error means "the database cannot be reached", not "the query was wrong":
/// no connection, a broken one, or the server shutting down under a running query (SQLSTATE
/// class 08, and 57P01 to 57P03: admin shutdown, crash shutdown, cannot connect now).
pub fn is_unavailable(err: &DbErr) -> bool {
    match err {
        DbErr::ConnectionAcquire(_) | DbErr::Conn(_) => true,
        DbErr::Exec(e) | DbErr::Query(e) => {
            runtime_err_is_io(e)
                || sqlstate(err).is_some_and(|(code, _, _)| {
                    code.starts_with("08") || matches!(code.as_str(), "57P01" | "57P02" | "57P03")
                })
        }
        _ => false,
    }
}

fn runtime_err_is_io(e: &sea_orm::RuntimeErr) -> bool {
    match e {
        sea_orm::RuntimeErr::SqlxError(inner) => matches!(
            inner.as_ref(),
            sea_orm::sqlx::Error::Io(_)
                | sea_orm::sqlx::Error::PoolTimedOut
                | sea_orm::sqlx::Error::PoolClosed
                | sea_orm::sqlx::Error::WorkerCrashed
                | sea_orm::sqlx::Error::Tls(_)
        ),
        _ => false,
    }
}

/// A unique constraint and the problem its violation means. Constraints not listed map to a
/// generic 409 `conflict`.
pub struct UniqueRule {
    pub constraint: &'static str,
    pub code: ErrorCode,
    pub pointer: Option<&'static str>,
    pub detail: &'static str,
}

/// Unique constraints whose violation has a meaning of its own. Keep sorted by constraint.
const UNIQUE_RULES: &[UniqueRule] = &[
    UniqueRule {
        constraint: "categories_slug_key",
        code: ErrorCode::SlugTaken,
        pointer: Some("#/slug"),
        detail: "the slug is taken",
    },
    UniqueRule {
        constraint: "course_instructors_pkey",
        code: ErrorCode::AlreadyInstructor,
        pointer: None,
        detail: "this user already teaches this course",
    },
    UniqueRule {
        constraint: "course_prerequisites_pkey",
        code: ErrorCode::AlreadyPrerequisite,
        pointer: None,
        detail: "this course already requires that one",
    },
    UniqueRule {
        constraint: "courses_slug_key",
        code: ErrorCode::SlugTaken,
        pointer: Some("#/slug"),
        detail: "the slug is taken",
    },
    UniqueRule {
        constraint: "learning_path_enrollments_path_id_user_id_key",
        code: ErrorCode::AlreadyEnrolled,
        pointer: None,
        detail: "you are already enrolled in this learning path",
    },
    UniqueRule {
        constraint: "learning_paths_slug_key",
        code: ErrorCode::SlugTaken,
        pointer: Some("#/slug"),
        detail: "the slug is taken",
    },
    UniqueRule {
        constraint: "organization_members_organization_id_user_id_key",
        code: ErrorCode::AlreadyMember,
        pointer: Some("#/user_id"),
        detail: "this user is already a member",
    },
    UniqueRule {
        constraint: "organizations_slug_key",
        code: ErrorCode::SlugTaken,
        pointer: Some("#/slug"),
        detail: "the slug is taken",
    },
    UniqueRule {
        constraint: "role_assignments_unique",
        code: ErrorCode::AssignmentExists,
        pointer: None,
        detail: "this grant already exists in this scope",
    },
    UniqueRule {
        constraint: "roles_name_key",
        code: ErrorCode::RoleExists,
        pointer: Some("#/name"),
        detail: "a role with this name exists",
    },
    UniqueRule {
        constraint: "users_email_key",
        code: ErrorCode::EmailTaken,
        pointer: Some("#/email"),
        detail: "an account with this email exists",
    },
    UniqueRule {
        constraint: "wallets_owner_currency_key",
        code: ErrorCode::WalletExists,
        pointer: None,
        detail: "you already have a wallet in this currency",
    },
];

/// The constraint a unique violation broke, if `e` is one.
pub fn unique_violation(e: &DbErr) -> Option<String> {
    match (e.sql_err(), sqlstate(e)) {
        (Some(SqlErr::UniqueConstraintViolation(_)), Some((_, constraint, _))) => {
            Some(constraint.unwrap_or_default())
        }
        _ => None,
    }
}

/// The SQLSTATE of a database error, if the server sent one.
fn sqlstate(e: &DbErr) -> Option<(String, Option<String>, String)> {
    let inner = match e {
        DbErr::Exec(sea_orm::RuntimeErr::SqlxError(inner))
        | DbErr::Query(sea_orm::RuntimeErr::SqlxError(inner)) => inner,
        _ => return None,
    };
    let db = inner.as_database_error()?;
    Some((
        db.code().map(|c| c.into_owned()).unwrap_or_default(),
        db.constraint().map(str::to_owned),
        db.message().to_owned(),
    ))
}

impl From<DbErr> for AppError {
    fn from(e: DbErr) -> Self {
        if is_unavailable(&e) {
            return AppError::database_unavailable(e);
        }
        if let DbErr::RecordNotFound(what) = &e {
            return AppError::not_found(what);
        }
        match (e.sql_err(), sqlstate(&e)) {
            (Some(SqlErr::UniqueConstraintViolation(_)), Some((_, constraint, _))) => {
                let constraint = constraint.unwrap_or_default();
                match UNIQUE_RULES.iter().find(|r| r.constraint == constraint) {
                    Some(rule) => {
                        let err = AppError::new(rule.code, rule.detail).with_source(e);
                        match rule.pointer {
                            Some(p) => err.with_errors(vec![FieldError::new(p, "taken")]),
                            None => err,
                        }
                    }
                    None => AppError::new(
                        ErrorCode::Conflict,
                        "this clashes with something that exists",
                    )
                    .with_source(e),
                }
            }
            (Some(SqlErr::ForeignKeyConstraintViolation(_)), _) => AppError::new(
                ErrorCode::ValidationFailed,
                "a referenced resource does not exist",
            )
            .with_source(e),
            (_, Some((code, constraint, _))) if code == "23514" => AppError::new(
                ErrorCode::ValidationFailed,
                format!(
                    "the change breaks the rule `{}`",
                    constraint.unwrap_or_default()
                ),
            )
            .with_source(e),
            _ => AppError::internal(e),
        }
    }
}

impl From<anyhow::Error> for AppError {
    fn from(e: anyhow::Error) -> Self {
        match e.downcast::<DbErr>() {
            Ok(db) => db.into(),
            Err(other) => match other.downcast::<AppError>() {
                Ok(app) => app,
                Err(other) => AppError::internal(other),
            },
        }
    }
}

impl From<serde_json::Error> for AppError {
    fn from(e: serde_json::Error) -> Self {
        AppError::internal(e)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn every_code_is_unique_snake_case_with_a_status_and_meaning() {
        let mut seen = std::collections::HashSet::new();
        for code in ErrorCode::ALL {
            let s = code.as_str();
            assert!(seen.insert(s), "duplicate code {s}");
            assert!(
                s.chars().all(|c| c.is_ascii_lowercase() || c == '_') && !s.starts_with('_'),
                "{s} is not snake_case"
            );
            assert!(
                (400..600).contains(&code.status()),
                "{s}: {}",
                code.status()
            );
            assert!(!code.meaning().is_empty(), "{s} has no meaning");
            assert_eq!(serde_json::to_value(code).unwrap(), s);
        }
        assert!(
            UNIQUE_RULES
                .windows(2)
                .all(|w| w[0].constraint < w[1].constraint)
        );
    }

    #[test]
    fn bare_statuses_get_a_code_of_their_class() {
        for status in [
            400, 401, 403, 404, 405, 408, 413, 414, 415, 422, 429, 431, 503,
        ] {
            assert_eq!(ErrorCode::of_status(status).status(), status);
        }
        assert_eq!(AppError::of_status(418, "teapot").status(), 418);
    }
}
