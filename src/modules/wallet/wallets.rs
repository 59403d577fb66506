//! Currencies and wallets: a user's own wallets (listed, opened, read, with their history)
//! and the lookups the rest of the module and other modules build on (`currency`,
//! `ensure_wallet`, `system_wallet`).
//!
//! Single-table reads and writes go through the entities; a wallet as its owner sees it
//! (joined with its currency's scale) and its history (entries joined with their
//! transactions) are explicit SQL read into typed rows.

use chrono::{DateTime, Utc};
use entity::{currencies, wallets};
use kernel::enums::{LedgerKind, SystemWalletKind};
use kernel::pagination::{feed_page, feed_params};
use kernel::{Actor, AppError, AppResult, FieldError, RequestMeta, db};
use rust_decimal::Decimal;
use sea_orm::sea_query::OnConflict;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, FromQueryResult, QueryFilter,
    QuerySelect, Set, TransactionTrait,
};
use uuid::Uuid;

use super::dto::{LedgerEntryResponse, LedgerPage, LedgerQuery, WalletResponse};
use super::ledger::shown;
use crate::modules::audit::{self, AuditEvent};
use crate::state::AppState;

/// A currency and its number of decimal places.
#[derive(Debug, Clone)]
pub struct Currency {
    pub code: String,
    pub scale: u32,
    pub user_holdable: bool,
}

/// The currency `code`, or a 422 at `pointer`.
pub async fn currency(db: &impl ConnectionTrait, code: &str, pointer: &str) -> AppResult<Currency> {
    let row = currencies::Entity::find_by_id(code.trim().to_uppercase())
        .one(db)
        .await?
        .ok_or_else(|| {
            AppError::validation(vec![FieldError::new(
                pointer,
                format!("unknown currency `{code}`"),
            )])
        })?;
    Ok(Currency {
        code: row.code,
        scale: u32::try_from(row.scale).unwrap_or(8),
        user_holdable: row.user_holdable,
    })
}

/// A user's wallet with its currency's scale.
#[derive(FromQueryResult)]
pub(super) struct WalletRow {
    pub id: Uuid,
    pub currency: String,
    scale: i16,
    pub balance: Decimal,
    pub created_at: DateTime<Utc>,
}

/// The wallet view: the row joined with its currency (the statement a transfer reads its two
/// wallets with; see `bench/wallet.sh`).
const WALLET_SQL: &str = "SELECT w.id, w.owner_id, w.currency, c.scale, w.balance, w.created_at \
     FROM wallets w JOIN currencies c ON c.code = w.currency";

impl WalletRow {
    /// The currency's number of decimal places.
    pub fn scale(&self) -> u32 {
        u32::try_from(self.scale).unwrap_or(8)
    }

    fn response(&self) -> WalletResponse {
        WalletResponse {
            id: self.id,
            currency: self.currency.clone(),
            balance: shown(self.balance, self.scale()),
            created_at: self.created_at,
        }
    }
}

/// The caller's wallet `id`; anyone else's (or a system wallet) is 404.
pub(super) async fn own_wallet(
    db: &impl ConnectionTrait,
    user: &Actor,
    id: Uuid,
) -> AppResult<WalletRow> {
    db::row(
        db,
        format!("{WALLET_SQL} WHERE w.id = $1 AND w.owner_id = $2"),
        [id.into(), user.id.into()],
    )
    .await?
    .ok_or_else(|| AppError::not_found("wallet"))
}

/// Any user's wallet `id` (a system wallet is none).
pub(super) async fn user_wallet(
    db: &impl ConnectionTrait,
    id: Uuid,
) -> AppResult<Option<WalletRow>> {
    Ok(db::row(
        db,
        format!("{WALLET_SQL} WHERE w.id = $1 AND w.owner_id IS NOT NULL"),
        [id.into()],
    )
    .await?)
}

/// The wallet in `currency` of the live user with `email`.
pub(super) async fn wallet_of_email(
    db: &impl ConnectionTrait,
    email: &str,
    currency: &str,
) -> AppResult<Option<WalletRow>> {
    Ok(db::row(
        db,
        format!(
            "{WALLET_SQL} JOIN users u ON u.id = w.owner_id \
             WHERE u.email = $1 AND u.deleted_at IS NULL AND w.currency = $2"
        ),
        [email.trim().to_lowercase().into(), currency.into()],
    )
    .await?)
}

pub async fn list_wallets(state: &AppState, user: &Actor) -> AppResult<Vec<WalletResponse>> {
    let rows: Vec<WalletRow> = db::rows(
        &state.db,
        format!("{WALLET_SQL} WHERE w.owner_id = $1 ORDER BY w.currency"),
        [user.id.into()],
    )
    .await?;
    Ok(rows.iter().map(WalletRow::response).collect())
}

pub async fn get_wallet(state: &AppState, user: &Actor, id: Uuid) -> AppResult<WalletResponse> {
    Ok(own_wallet(&state.db, user, id).await?.response())
}

/// The id of the user's wallet in `currency`, if they have one.
pub(super) async fn wallet_id_of(
    db: &impl ConnectionTrait,
    user_id: Uuid,
    currency: &str,
) -> AppResult<Option<Uuid>> {
    Ok(wallets::Entity::find()
        .select_only()
        .column(wallets::Column::Id)
        .filter(wallets::Column::OwnerId.eq(user_id))
        .filter(wallets::Column::Currency.eq(currency))
        .into_tuple()
        .one(db)
        .await?)
}

/// The user's wallet in `currency`, opened if missing.
pub async fn ensure_wallet(
    db: &impl ConnectionTrait,
    user_id: Uuid,
    currency: &str,
) -> AppResult<Uuid> {
    // No conflict target: the clash is on the partial index of (owner, currency).
    wallets::Entity::insert(wallets::ActiveModel {
        id: Set(Uuid::now_v7()),
        owner_id: Set(Some(user_id)),
        currency: Set(currency.to_owned()),
        ..Default::default()
    })
    .on_conflict(OnConflict::new().do_nothing().to_owned())
    .exec_without_returning(db)
    .await?;
    wallet_id_of(db, user_id, currency)
        .await?
        .ok_or_else(|| AppError::not_found("wallet"))
}

/// The platform's wallet of `kind` in `currency`.
pub async fn system_wallet(
    db: &impl ConnectionTrait,
    kind: SystemWalletKind,
    currency: &str,
) -> AppResult<Uuid> {
    wallets::Entity::find()
        .select_only()
        .column(wallets::Column::Id)
        .filter(wallets::Column::SystemKind.eq(kind))
        .filter(wallets::Column::Currency.eq(currency))
        .into_tuple()
        .one(db)
        .await?
        .ok_or_else(|| {
            AppError::internal(anyhow::anyhow!("system wallet {kind}/{currency} missing"))
        })
}

/// Opens the caller's wallet in currency `code` (one per currency: a second one breaks
/// `wallets_owner_currency_key`, 409 `wallet_exists`), audited.
pub async fn open_wallet(
    state: &AppState,
    user: &Actor,
    client: &RequestMeta,
    code: &str,
) -> AppResult<WalletResponse> {
    let cur = currency(&state.db, code, "#/currency").await?;
    if !cur.user_holdable {
        return Err(AppError::validation(vec![FieldError::new(
            "#/currency",
            "users cannot hold this currency",
        )]));
    }
    let txn = state.db.begin().await?;
    let wallet = wallets::ActiveModel {
        id: Set(Uuid::now_v7()),
        owner_id: Set(Some(user.id)),
        currency: Set(cur.code.clone()),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    audit::record(
        &txn,
        AuditEvent::new(
            Some(user.id),
            "wallet.open",
            "wallet",
            Some(wallet.id.to_string()),
        ),
        client,
    )
    .await?;
    txn.commit().await?;
    Ok(WalletResponse {
        id: wallet.id,
        currency: wallet.currency,
        balance: shown(wallet.balance, cur.scale),
        created_at: wallet.created_at,
    })
}

/// One entry of a wallet's history, with its transaction.
#[derive(FromQueryResult)]
struct EntryRow {
    id: Uuid,
    transaction_id: Uuid,
    kind: LedgerKind,
    amount: Decimal,
    balance_after: Decimal,
    description: String,
    created_at: DateTime<Utc>,
}

/// A wallet's entries, newest first, keyset-paged by entry id (ids are time-ordered).
pub async fn history(
    state: &AppState,
    user: &Actor,
    id: Uuid,
    q: LedgerQuery,
) -> AppResult<LedgerPage> {
    let wallet = own_wallet(&state.db, user, id).await?;
    let scale = wallet.scale();
    let (limit, before) = feed_params::<Uuid>(q.limit, q.cursor.as_deref(), 100)?;
    let rows: Vec<EntryRow> = db::rows(
        &state.db,
        "SELECT e.id, e.transaction_id, t.kind, e.amount, e.balance_after, t.description, e.created_at \
         FROM ledger_entries e JOIN ledger_transactions t ON t.id = e.transaction_id \
         WHERE e.wallet_id = $1 AND ($2::uuid IS NULL OR e.id < $2) ORDER BY e.id DESC LIMIT $3",
        [id.into(), before.into(), i64::from(limit + 1).into()],
    )
    .await?;
    let items = rows
        .into_iter()
        .map(|r| LedgerEntryResponse {
            entry_id: r.id,
            transaction_id: r.transaction_id,
            kind: r.kind.to_string(),
            amount: shown(r.amount, scale),
            balance_after: shown(r.balance_after, scale),
            description: r.description,
            created_at: r.created_at,
        })
        .collect();
    let (items, next_cursor) = feed_page(items, limit, |e| e.entry_id.to_string());
    Ok(LedgerPage { items, next_cursor })
}
