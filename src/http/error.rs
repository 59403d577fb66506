//! Problems on the wire: [`ApiError`] renders the kernel's `AppError` as RFC 9457
//! `application/problem+json` ([`Problem`]), with the request id and path (`instance`) of the
//! request being served. A 500 shows nothing of its cause: the cause goes to the log line, with
//! the same request id. Handlers return [`ApiResult`]; `?` turns a service's `AppError` into it.

use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpResponse, ResponseError};
use kernel::{AppError, ErrorCode, FieldError};
use serde::Serialize;
use utoipa::ToSchema;

use super::request_id::RequestContext;

pub const PROBLEM_JSON: &str = "application/problem+json";

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
    pub code: ErrorCode,
    /// Id of the request, as echoed in the `X-Request-Id` header and in the server logs.
    pub request_id: Option<String>,
    /// Field-level violations, for 400 and 422.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<FieldError>,
}

/// An `AppError` on its way out of a handler.
#[derive(Debug)]
pub struct ApiError(pub AppError);

/// Result type of handlers and extractors.
pub type ApiResult<T> = Result<T, ApiError>;

impl From<AppError> for ApiError {
    fn from(e: AppError) -> Self {
        ApiError(e)
    }
}

impl From<sea_orm::DbErr> for ApiError {
    fn from(e: sea_orm::DbErr) -> Self {
        ApiError(e.into())
    }
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

fn status_of(e: &AppError) -> StatusCode {
    StatusCode::from_u16(e.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
}

/// The problem body of `e` for the current request.
pub fn problem(e: &AppError) -> Problem {
    let ctx = RequestContext::current();
    let status = status_of(e);
    Problem {
        type_: format!("urn:azora:problem:{}", e.code()),
        title: status.canonical_reason().unwrap_or("Error").to_owned(),
        status: status.as_u16(),
        detail: e.detail().to_owned(),
        instance: ctx.as_ref().map(|c| c.path.clone()),
        code: e.code(),
        request_id: ctx.map(|c| c.request_id),
        errors: e.errors().to_vec(),
    }
}

/// The problem+json response of `e`.
pub fn respond(e: &AppError) -> HttpResponse {
    let status = status_of(e);
    if status.is_server_error() {
        tracing::error!(status = status.as_u16(), code = %e.code(), error = %e, "request failed");
    } else {
        tracing::debug!(status = status.as_u16(), code = %e.code(), detail = %e.detail(), "request refused");
    }
    let mut res = HttpResponse::build(status);
    res.insert_header((header::CONTENT_TYPE, HeaderValue::from_static(PROBLEM_JSON)));
    if let Some(secs) = e.retry_after_secs() {
        res.insert_header((header::RETRY_AFTER, secs.to_string()));
    }
    if let Some(allow) = e.allow()
        && let Ok(v) = HeaderValue::from_str(allow)
    {
        res.insert_header((header::ALLOW, v));
    }
    res.body(serde_json::to_vec(&problem(e)).unwrap_or_default())
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        status_of(&self.0)
    }

    fn error_response(&self) -> HttpResponse {
        respond(&self.0)
    }
}
