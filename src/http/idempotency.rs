//! The `Idempotency-Key` header of writes a retry could duplicate; the stored results live in
//! `kernel::idempotency`.

use actix_web::HttpRequest;
use kernel::idempotency::MAX_KEY_LEN;
use kernel::{AppError, AppResult, ErrorCode, FieldError};

/// The trimmed `Idempotency-Key` header, if sent; longer than 200 characters is 400.
pub fn header(req: &HttpRequest) -> AppResult<Option<String>> {
    let key = req
        .headers()
        .get("idempotency-key")
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
        .unwrap_or_default();
    if key.is_empty() {
        return Ok(None);
    }
    if key.len() > MAX_KEY_LEN {
        return Err(AppError::new(
            ErrorCode::InvalidIdempotencyKey,
            "the Idempotency-Key is longer than 200 characters",
        )
        .with_errors(vec![FieldError::new(
            "Idempotency-Key",
            "at most 200 characters",
        )]));
    }
    Ok(Some(key.to_owned()))
}

/// The header, required: missing is 400 `idempotency_key_required`.
pub fn required(req: &HttpRequest, what: &str) -> AppResult<String> {
    header(req)?.ok_or_else(|| {
        AppError::new(
            ErrorCode::IdempotencyKeyRequired,
            format!("send an Idempotency-Key header (e.g. a UUID) with every {what}"),
        )
    })
}

/// The `Idempotency-Key` header of a write that requires one, for `params(..)` in the OpenAPI
/// document.
#[derive(Debug, serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Header)]
pub struct RequiredIdempotencyKey {
    /// Unique per intended write (a UUID, say): a retry with the same key and body answers with
    /// the first result and changes nothing; the same key with another body is 409.
    #[param(
        rename = "Idempotency-Key",
        min_length = 1,
        max_length = 200,
        pattern = "^[!-~]([ -~]*[!-~])?$"
    )]
    pub idempotency_key: String,
}

/// The optional `Idempotency-Key` header of a write that accepts one.
#[derive(Debug, serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Header)]
pub struct OptionalIdempotencyKey {
    /// Makes a retry safe: the same key and body answer with the first result.
    #[param(
        rename = "Idempotency-Key",
        min_length = 1,
        max_length = 200,
        pattern = "^[!-~]([ -~]*[!-~])?$"
    )]
    pub idempotency_key: Option<String>,
}
