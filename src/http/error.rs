//! `AppError`: the one error type of every handler and service, rendered as RFC 9457
//! `application/problem+json`.
//!
//! Every problem carries a stable snake_case `code` that clients switch on, the request id and
//! the request path (`instance`). A 500 shows nothing of its cause: the cause goes to the log
//! line, with the same request id. Database outages become 503 `database_unavailable`.

use std::borrow::Cow;
use std::fmt;

use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpResponse, ResponseError};
use sea_orm::DbErr;
use serde::Serialize;
use utoipa::ToSchema;

use super::request_id::RequestContext;

pub const PROBLEM_JSON: &str = "application/problem+json";

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

/// RFC 9457 problem details, as every error response of this API carries.
#[derive(Debug, Serialize, ToSchema)]
pub struct Problem {
    /// URI naming the problem type: `urn:azora:problem:<code>`.
    #[schema(example = "urn:azora:problem:not_found")]
    #[serde(rename = "type")]
    pub type_: String,
    /// Short summary of the status.
    #[schema(example = "Not Found")]
    pub title: String,
    /// HTTP status code.
    #[schema(example = 404)]
    pub status: u16,
    /// Human-readable explanation of this occurrence.
    pub detail: String,
    /// The request path this problem is about.
    #[schema(example = "/api/v1/courses/0190b6c4-7f4e-7a3b-9d61-2f1c6a8b9e01")]
    pub instance: Option<String>,
    /// Stable machine-readable code: switch on this, not on `title` or `detail`.
    #[schema(example = "not_found")]
    pub code: String,
    /// Id of the request, as echoed in the `X-Request-Id` header and in the server logs.
    pub request_id: Option<String>,
    /// Field-level violations, for 400 and 422.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<FieldError>,
}

/// The error of every handler and service (boxed: errors are rare, `Result`s are everywhere).
#[derive(Debug)]
pub struct AppError(Box<Inner>);

#[derive(Debug)]
struct Inner {
    status: StatusCode,
    code: Cow<'static, str>,
    detail: String,
    errors: Vec<FieldError>,
    retry_after_secs: Option<u64>,
    allow: Option<String>,
    source: Option<anyhow::Error>,
}

impl AppError {
    /// A problem with any status and code.
    pub fn new(
        status: StatusCode,
        code: impl Into<Cow<'static, str>>,
        detail: impl Into<String>,
    ) -> Self {
        Self(Box::new(Inner {
            status,
            code: code.into(),
            detail: detail.into(),
            errors: Vec::new(),
            retry_after_secs: None,
            allow: None,
            source: None,
        }))
    }

    /// 400: the request cannot be parsed.
    pub fn bad_request(code: impl Into<Cow<'static, str>>, detail: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, code, detail)
    }

    /// 401: no valid credentials.
    pub fn unauthorized(code: impl Into<Cow<'static, str>>, detail: impl Into<String>) -> Self {
        Self::new(StatusCode::UNAUTHORIZED, code, detail)
    }

    /// 403: authenticated but not allowed.
    pub fn forbidden(code: impl Into<Cow<'static, str>>, detail: impl Into<String>) -> Self {
        Self::new(StatusCode::FORBIDDEN, code, detail)
    }

    /// 404 for a resource (or one the caller may not know exists).
    pub fn not_found(what: &str) -> Self {
        Self::new(
            StatusCode::NOT_FOUND,
            "not_found",
            format!("{what} not found"),
        )
    }

    /// 409: duplicate or state clash.
    pub fn conflict(code: impl Into<Cow<'static, str>>, detail: impl Into<String>) -> Self {
        Self::new(StatusCode::CONFLICT, code, detail)
    }

    /// 422: well-formed but breaks a validation or business rule.
    pub fn unprocessable(code: impl Into<Cow<'static, str>>, detail: impl Into<String>) -> Self {
        Self::new(StatusCode::UNPROCESSABLE_ENTITY, code, detail)
    }

    /// 422 `validation_failed` with the field violations.
    pub fn validation(errors: Vec<FieldError>) -> Self {
        let detail = match errors.as_slice() {
            [one] => format!("{}: {}", one.pointer, one.detail),
            _ => format!("{} fields are invalid", errors.len()),
        };
        Self::unprocessable("validation_failed", detail).with_errors(errors)
    }

    /// 429 with `Retry-After`.
    pub fn too_many_requests(
        code: impl Into<Cow<'static, str>>,
        detail: impl Into<String>,
        retry_after_secs: u64,
    ) -> Self {
        let mut e = Self::new(StatusCode::TOO_MANY_REQUESTS, code, detail);
        e.0.retry_after_secs = Some(retry_after_secs.max(1));
        e
    }

    /// 503: the database cannot be reached.
    pub fn database_unavailable(source: impl Into<anyhow::Error>) -> Self {
        let mut e = Self::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "database_unavailable",
            "the database is unreachable; try again shortly",
        );
        e.0.retry_after_secs = Some(2);
        e.0.source = Some(source.into());
        e
    }

    /// 500: something that should not happen; the cause is logged, never shown.
    pub fn internal(source: impl Into<anyhow::Error>) -> Self {
        let mut e = Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal_error",
            "an unexpected error occurred; quote the request id when reporting it",
        );
        e.0.source = Some(source.into());
        e
    }

    /// 405 with the methods the path does allow.
    pub fn method_not_allowed(allow: &[&str]) -> Self {
        let mut e = Self::new(
            StatusCode::METHOD_NOT_ALLOWED,
            "method_not_allowed",
            format!("this route allows {}", allow.join(", ")),
        );
        e.0.allow = Some(allow.join(", "));
        e
    }

    /// A problem for a bare status (an error some layer produced without a body).
    pub fn from_status(status: StatusCode) -> Self {
        let code = status
            .canonical_reason()
            .unwrap_or("error")
            .to_ascii_lowercase()
            .replace([' ', '-'], "_");
        let detail = status.canonical_reason().unwrap_or("error").to_owned();
        Self::new(status, code, detail)
    }

    pub fn with_errors(mut self, errors: Vec<FieldError>) -> Self {
        self.0.errors = errors;
        self
    }

    pub fn with_source(mut self, source: impl Into<anyhow::Error>) -> Self {
        self.0.source = Some(source.into());
        self
    }

    pub fn code(&self) -> &str {
        &self.0.code
    }

    pub fn status(&self) -> StatusCode {
        self.0.status
    }

    /// The problem body for the current request.
    pub fn problem(&self) -> Problem {
        let ctx = RequestContext::current();
        Problem {
            type_: format!("urn:azora:problem:{}", self.0.code),
            title: self
                .0
                .status
                .canonical_reason()
                .unwrap_or("Error")
                .to_owned(),
            status: self.0.status.as_u16(),
            detail: self.0.detail.clone(),
            instance: ctx.as_ref().map(|c| c.path.clone()),
            code: self.0.code.to_string(),
            request_id: ctx.map(|c| c.request_id),
            errors: self.0.errors.clone(),
        }
    }
}

impl fmt::Display for AppError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} {}: {}",
            self.0.status.as_u16(),
            self.0.code,
            self.0.detail
        )?;
        if let Some(source) = &self.0.source {
            write!(f, " (cause: {source:#})")?;
        }
        Ok(())
    }
}

impl std::error::Error for AppError {}

impl ResponseError for AppError {
    fn status_code(&self) -> StatusCode {
        self.0.status
    }

    fn error_response(&self) -> HttpResponse {
        if self.0.status.is_server_error() {
            tracing::error!(status = self.0.status.as_u16(), code = %self.0.code, error = %self, "request failed");
        } else {
            tracing::debug!(status = self.0.status.as_u16(), code = %self.0.code, detail = %self.0.detail, "request refused");
        }
        let mut res = HttpResponse::build(self.0.status);
        res.insert_header((header::CONTENT_TYPE, HeaderValue::from_static(PROBLEM_JSON)));
        if let Some(secs) = self.0.retry_after_secs {
            res.insert_header((header::RETRY_AFTER, secs.to_string()));
        }
        if let Some(allow) = &self.0.allow
            && let Ok(v) = HeaderValue::from_str(allow)
        {
            res.insert_header((header::ALLOW, v));
        }
        let body = serde_json::to_vec(&self.problem()).unwrap_or_default();
        res.body(body)
    }
}

/// True when the error means "the database cannot be reached", not "the query was wrong".
pub fn is_unavailable(err: &DbErr) -> bool {
    match err {
        DbErr::ConnectionAcquire(_) | DbErr::Conn(_) => true,
        DbErr::Exec(e) | DbErr::Query(e) => runtime_err_is_io(e),
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

impl From<DbErr> for AppError {
    fn from(e: DbErr) -> Self {
        if is_unavailable(&e) {
            return AppError::database_unavailable(e);
        }
        match &e {
            DbErr::RecordNotFound(what) => AppError::not_found(what),
            _ => AppError::internal(e),
        }
    }
}

impl From<anyhow::Error> for AppError {
    fn from(e: anyhow::Error) -> Self {
        match e.downcast::<DbErr>() {
            Ok(db) => db.into(),
            Err(other) => AppError::internal(other),
        }
    }
}

/// Result type of handlers and services.
pub type AppResult<T> = Result<T, AppError>;
