//! `Idempotency-Key` storage for writes a retry could duplicate (transfers, enrollments). The
//! kernel owns the `idempotency_keys` table: every module stores its results there the same way.
//!
//! The first result of a request is stored under (user, scope, key) with a hash of its body, in
//! the transaction of the write: the same key and body replay it, the same key with another
//! body is 409 `idempotency_key_reused`. Callers serialise twins with [`lock`] before looking.

use sea_orm::{ConnectionTrait, FromQueryResult};
use serde::Serialize;
use serde::de::DeserializeOwned;
use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::db;
use crate::error::{AppError, AppResult, ErrorCode};

/// The longest key accepted.
pub const MAX_KEY_LEN: usize = 200;

/// Hash of a request body, to tell a retry from a different request under the same key.
pub fn hash(body: &impl Serialize) -> Vec<u8> {
    Sha256::digest(serde_json::to_vec(body).unwrap_or_default()).to_vec()
}

/// Makes twin requests with one key run one after the other (until the transaction ends).
pub async fn lock(db: &impl ConnectionTrait, user: Uuid, scope: &str, key: &str) -> AppResult<()> {
    db::advisory_lock(db, &format!("{scope}:{user}:{key}")).await?;
    Ok(())
}

#[derive(FromQueryResult)]
struct Stored {
    request_hash: Vec<u8>,
    response: serde_json::Value,
}

/// The stored result of an earlier request with this key, or 409 if its body differed.
pub async fn replay<T: DeserializeOwned>(
    db: &impl ConnectionTrait,
    user: Uuid,
    scope: &str,
    key: &str,
    hash: &[u8],
) -> AppResult<Option<T>> {
    let Some(stored) = db::row::<Stored, _>(
        db,
        "SELECT request_hash, response FROM idempotency_keys WHERE user_id = $1 AND scope = $2 AND key = $3",
        [user.into(), scope.into(), key.into()],
    )
    .await?
    else {
        return Ok(None);
    };
    if stored.request_hash != hash {
        return Err(AppError::new(
            ErrorCode::IdempotencyKeyReused,
            "this Idempotency-Key was used for a different request",
        ));
    }
    Ok(Some(serde_json::from_value(stored.response)?))
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
            serde_json::to_value(response)?.into(),
        ],
    )
    .await?;
    Ok(stored.rows_affected() == 1)
}
