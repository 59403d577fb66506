//! `Idempotency-Key` support for writes a retry could duplicate (transfers, enrollments).
//!
//! The first result of a request is stored in `idempotency_keys` under (user, scope, key) with
//! a hash of its body, in the transaction of the write: the same key and body replay it, the
//! same key with another body is 409 `idempotency_key_reused`. Callers serialise twins with
//! [`lock`] before looking.

use actix_web::HttpRequest;
use sea_orm::ConnectionTrait;
use serde::Serialize;
use serde::de::DeserializeOwned;
use sha2::{Digest, Sha256};
use uuid::Uuid;

use super::error::{AppError, AppResult, FieldError};
use crate::db;

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
    if key.len() > 200 {
        return Err(AppError::bad_request(
            "invalid_idempotency_key",
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
        AppError::bad_request(
            "idempotency_key_required",
            format!("send an Idempotency-Key header (e.g. a UUID) with every {what}"),
        )
    })
}

/// Hash of a request body, to tell a retry from a different request under the same key.
pub fn hash(body: &impl Serialize) -> Vec<u8> {
    Sha256::digest(serde_json::to_vec(body).unwrap_or_default()).to_vec()
}

/// Makes twin requests with one key run one after the other (until the transaction ends).
pub async fn lock(db: &impl ConnectionTrait, user: Uuid, scope: &str, key: &str) -> AppResult<()> {
    db::advisory_lock(db, &format!("{scope}:{user}:{key}")).await?;
    Ok(())
}

/// The stored result of an earlier request with this key, or 409 if its body differed.
pub async fn replay<T: DeserializeOwned>(
    db: &impl ConnectionTrait,
    user: Uuid,
    scope: &str,
    key: &str,
    hash: &[u8],
) -> AppResult<Option<T>> {
    let Some(row) = db::one(
        db,
        "SELECT request_hash, response FROM idempotency_keys WHERE user_id = $1 AND scope = $2 AND key = $3",
        [user.into(), scope.into(), key.into()],
    )
    .await?
    else {
        return Ok(None);
    };
    let stored: Vec<u8> = row.try_get("", "request_hash")?;
    if stored != hash {
        return Err(AppError::conflict(
            "idempotency_key_reused",
            "this Idempotency-Key was used for a different request",
        ));
    }
    let response: serde_json::Value = row.try_get("", "response")?;
    Ok(Some(
        serde_json::from_value(response).map_err(AppError::internal)?,
    ))
}

/// Stores the result of the request; false when a twin stored one first.
pub async fn store(
    db: &impl ConnectionTrait,
    user: Uuid,
    scope: &str,
    key: &str,
    hash: &[u8],
    status: u16,
    response: &impl Serialize,
) -> AppResult<bool> {
    let stored = db::exec(
        db,
        "INSERT INTO idempotency_keys (user_id, scope, key, request_hash, status_code, response) \
         VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING",
        [
            user.into(),
            scope.into(),
            key.into(),
            hash.to_vec().into(),
            i32::from(status).into(),
            serde_json::to_value(response)
                .map_err(AppError::internal)?
                .into(),
        ],
    )
    .await?;
    Ok(stored.rows_affected() == 1)
}
