//! The key store: load or create the active key of a purpose, sign with it, rotate, publish.

use chrono::Utc;
use entity::signing_keys;
use futures_util::future::BoxFuture;
use kernel::crypto::{Ed25519Key, ed25519_jwk};
use kernel::enums::KeyPurpose;
use kernel::{Actor, AppError, AppResult, RequestMeta, Scope};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseTransaction, EntityTrait, QueryFilter,
    QueryOrder, Set, TransactionTrait,
};
use uuid::Uuid;

use crate::modules::audit::{self, AuditEvent};
use crate::state::AppState;

fn new_kid(purpose: KeyPurpose) -> String {
    let id = Uuid::new_v4().simple().to_string();
    format!("{}-{}-{}", purpose, Utc::now().format("%Y%m%d"), &id[..8])
}

async fn active_row(
    db: &impl ConnectionTrait,
    purpose: KeyPurpose,
) -> AppResult<Option<signing_keys::Model>> {
    Ok(signing_keys::Entity::find()
        .filter(signing_keys::Column::Purpose.eq(purpose))
        .filter(signing_keys::Column::RetiredAt.is_null())
        .one(db)
        .await?)
}

fn new_row(state: &AppState, purpose: KeyPurpose) -> AppResult<signing_keys::ActiveModel> {
    let key = Ed25519Key::generate(new_kid(purpose));
    Ok(signing_keys::ActiveModel {
        id: Set(Uuid::now_v7()),
        kid: Set(key.kid.clone()),
        purpose: Set(purpose),
        algorithm: Set("EdDSA".into()),
        public_key: Set(key.public_key().to_vec()),
        private_key: Set(state.secret_box.seal(&hex::encode(key.seed()))?),
        not_before: Set(Utc::now()),
        retired_at: Set(None),
        created_at: Set(Utc::now()),
    })
}

fn unseal(state: &AppState, row: &signing_keys::Model) -> AppResult<Ed25519Key> {
    let seed = hex::decode(state.secret_box.open(&row.private_key)?).map_err(AppError::internal)?;
    Ed25519Key::from_seed(row.kid.clone(), &seed)
}

/// The active key of `purpose`, created on first use (under the rotation lock, so instances
/// racing to create it agree on one).
pub async fn active_key(state: &AppState, purpose: KeyPurpose) -> AppResult<Ed25519Key> {
    active_key_on(state, &state.db, purpose).await
}

/// Makes sure every purpose has an active key, so that the first request signing inside its
/// own transaction never needs a second connection to create one (called at start-up).
pub async fn ensure_active_keys(state: &AppState) -> AppResult<()> {
    for purpose in KeyPurpose::ALL {
        active_key(state, *purpose).await?;
    }
    Ok(())
}

/// [`active_key`], read through `db` (a caller's transaction, so that signing inside it needs
/// no second connection once the key exists).
pub async fn active_key_on(
    state: &AppState,
    db: &impl ConnectionTrait,
    purpose: KeyPurpose,
) -> AppResult<Ed25519Key> {
    if let Some(row) = active_row(db, purpose).await? {
        return unseal(state, &row);
    }
    let txn = state.db.begin().await?;
    kernel::db::advisory_lock(&txn, &format!("keys:rotate:{purpose}")).await?;
    let row = match active_row(&txn, purpose).await? {
        Some(row) => row,
        None => new_row(state, purpose)?.insert(&txn).await?,
    };
    txn.commit().await?;
    unseal(state, &row)
}

/// The platform's `sign` hook: a compact JWS of `payload` by the active key of `purpose`.
pub fn sign<'a>(
    state: &'a AppState,
    purpose: KeyPurpose,
    header: serde_json::Value,
    payload: &'a serde_json::Value,
) -> BoxFuture<'a, AppResult<String>> {
    Box::pin(async move {
        let key = active_key(state, purpose).await?;
        let payload = payload.clone();
        tokio::task::spawn_blocking(move || key.sign_jws(header, &payload))
            .await
            .map_err(AppError::internal)?
    })
}

/// Every key ever used, oldest first.
pub async fn all_keys(db: &impl ConnectionTrait) -> AppResult<Vec<signing_keys::Model>> {
    Ok(signing_keys::Entity::find()
        .order_by_asc(signing_keys::Column::NotBefore)
        .order_by_asc(signing_keys::Column::Id)
        .all(db)
        .await?)
}

/// The JWKS: every key's public JWK with its purpose and validity window (`nbf`, and
/// `retired_at` once it stopped signing: signatures made before still verify).
pub fn jwks(keys: &[signing_keys::Model]) -> serde_json::Value {
    let keys: Vec<serde_json::Value> = keys
        .iter()
        .map(|k| {
            let mut jwk = ed25519_jwk(&k.kid, &k.public_key);
            jwk["purpose"] = k.purpose.as_str().into();
            jwk["nbf"] = k.not_before.timestamp().into();
            if let Some(retired) = k.retired_at {
                jwk["retired_at"] = retired.to_rfc3339().into();
            }
            jwk
        })
        .collect();
    serde_json::json!({ "keys": keys })
}

/// Retires the active key of `purpose` and starts a new one (audited): the old key signs no
/// more but stays published.
pub async fn rotate(
    state: &AppState,
    actor: &Actor,
    meta: &RequestMeta,
    purpose: KeyPurpose,
) -> AppResult<signing_keys::Model> {
    crate::authz::require(state, actor, "key:rotate", Scope::Global).await?;
    let txn = state.db.begin().await?;
    let key = rotate_in(state, &txn, Some(actor.id), meta, purpose).await?;
    txn.commit().await?;
    Ok(key)
}

/// [`rotate`] inside the caller's transaction; `actor` is `None` for the command line.
pub async fn rotate_in(
    state: &AppState,
    txn: &DatabaseTransaction,
    actor: Option<Uuid>,
    meta: &RequestMeta,
    purpose: KeyPurpose,
) -> AppResult<signing_keys::Model> {
    // Serialise rotations of one purpose, so exactly one key stays active.
    kernel::db::advisory_lock(txn, &format!("keys:rotate:{purpose}")).await?;
    let retired = signing_keys::Entity::update_many()
        .col_expr(
            signing_keys::Column::RetiredAt,
            sea_orm::sea_query::Expr::current_timestamp(),
        )
        .filter(signing_keys::Column::Purpose.eq(purpose))
        .filter(signing_keys::Column::RetiredAt.is_null())
        .exec(txn)
        .await?;
    let key = new_row(state, purpose)?.insert(txn).await?;
    audit::record(
        txn,
        AuditEvent::new(actor, "key.rotate", "signing_key", Some(key.kid.clone())).details(
            serde_json::json!({"purpose": purpose.as_str(), "retired": retired.rows_affected}),
        ),
        meta,
    )
    .await?;
    Ok(key)
}
