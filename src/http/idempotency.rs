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
