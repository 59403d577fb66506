//! The `Idempotency-Key` header of writes a retry could duplicate; the stored results live in
//! `kernel::idempotency`.

use actix_web::HttpRequest;
use kernel::idempotency::MAX_KEY_LEN;
use kernel::{AppError, AppResult, ErrorCode, FieldError};

/// The `Idempotency-Key` header, if sent: 1 to 200 printable ASCII characters, not starting or
/// ending with a space (the pattern the OpenAPI document declares); anything else is 400.
pub fn header(req: &HttpRequest) -> AppResult<Option<String>> {
    let Some(value) = req.headers().get("idempotency-key") else {
        return Ok(None);
    };
    let bytes = value.as_bytes();
    let printable = bytes.iter().all(|b| (b' '..=b'~').contains(b));
    let detail = if bytes.is_empty() {
        Some("the Idempotency-Key is empty")
    } else if bytes.len() > MAX_KEY_LEN {
        Some("the Idempotency-Key is longer than 200 characters")
    } else if !printable || bytes.first() == Some(&b' ') || bytes.last() == Some(&b' ') {
        Some("the Idempotency-Key must be printable ASCII without surrounding spaces")
    } else {
        None
    };
    if let Some(detail) = detail {
        return Err(
            AppError::new(ErrorCode::InvalidIdempotencyKey, detail).with_errors(vec![
                FieldError::new("Idempotency-Key", "1 to 200 printable ASCII characters"),
            ]),
        );
    }
    Ok(Some(String::from_utf8_lossy(bytes).into_owned()))
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
