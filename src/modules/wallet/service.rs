//! Wallets, the posting primitive, transfers, mint, pay/refund/reward for other modules,
//! staking and its daily job, reconciliation and metrics.

use chrono::{DateTime, Duration, NaiveDate, Utc};
use rust_decimal::Decimal;
use sea_orm::{ConnectionTrait, DatabaseTransaction, TransactionTrait};
use uuid::Uuid;

use super::dto::{
    CreateStakeRequest, CurrencyMetrics, LedgerEntryResponse, LedgerPage, LedgerQuery,
    MetricsResponse, MintRequest, ReconcileResponse, StakeResponse, TransactionResponse,
    TransferRequest, Violation, WalletResponse,
};
use super::ledger::{self};
use crate::config::Settings;
use crate::db;
use crate::modules::audit::{self, AuditEvent};
use crate::modules::rbac::Scope;
use crate::state::AppState;
use kernel::idempotency;
use kernel::pagination::{feed_page, feed_params};
use kernel::{Actor, RequestMeta};
use kernel::{AppError, AppResult, ErrorCode, FieldError};

/// A currency and its number of decimal places.
#[derive(Debug, Clone)]
pub struct Currency {
    pub code: String,
    pub scale: u32,
    pub user_holdable: bool,
}

/// The currency `code`, or a 422 at `pointer`.
pub async fn currency(db: &impl ConnectionTrait, code: &str, pointer: &str) -> AppResult<Currency> {
    let row = db::one(
        db,
        "SELECT code, scale, user_holdable FROM currencies WHERE code = $1",
        [code.trim().to_uppercase().into()],
    )
    .await?
    .ok_or_else(|| {
        AppError::validation(vec![FieldError::new(
            pointer,
            format!("unknown currency `{code}`"),
        )])
    })?;
    Ok(Currency {
        code: row.try_get("", "code")?,
        scale: u32::try_from(row.try_get::<i16>("", "scale")?).unwrap_or(8),
        user_holdable: row.try_get("", "user_holdable")?,
    })
}

fn shown(amount: Decimal, scale: u32) -> Decimal {
    amount.round_dp(scale)
}

/// A user's wallet row.
struct WalletRow {
    id: Uuid,
    currency: String,
    scale: u32,
    balance: Decimal,
    created_at: DateTime<Utc>,
}

const WALLET_SQL: &str = "SELECT w.id, w.owner_id, w.currency, c.scale, w.balance, w.created_at \
     FROM wallets w JOIN currencies c ON c.code = w.currency";

fn wallet_row(r: &sea_orm::QueryResult) -> AppResult<WalletRow> {
    Ok(WalletRow {
        id: r.try_get("", "id")?,
        currency: r.try_get("", "currency")?,
        scale: u32::try_from(r.try_get::<i16>("", "scale")?).unwrap_or(8),
        balance: r.try_get("", "balance")?,
        created_at: r.try_get("", "created_at")?,
    })
}

impl WalletRow {
    fn response(&self) -> WalletResponse {
        WalletResponse {
            id: self.id,
            currency: self.currency.clone(),
            balance: shown(self.balance, self.scale),
            created_at: self.created_at,
        }
    }
}

/// The caller's wallet `id`; anyone else's (or a system wallet) is 404.
async fn own_wallet(db: &impl ConnectionTrait, user: &Actor, id: Uuid) -> AppResult<WalletRow> {
    let row = db::one(
        db,
        format!("{WALLET_SQL} WHERE w.id = $1 AND w.owner_id = $2"),
        [id.into(), user.id.into()],
    )
    .await?
    .ok_or_else(|| AppError::not_found("wallet"))?;
    wallet_row(&row)
}

pub async fn list_wallets(state: &AppState, user: &Actor) -> AppResult<Vec<WalletResponse>> {
    let rows = db::all(
        &state.db,
        format!("{WALLET_SQL} WHERE w.owner_id = $1 ORDER BY w.currency"),
        [user.id.into()],
    )
    .await?;
    rows.iter()
        .map(|r| wallet_row(r).map(|w| w.response()))
        .collect()
}

pub async fn get_wallet(state: &AppState, user: &Actor, id: Uuid) -> AppResult<WalletResponse> {
    Ok(own_wallet(&state.db, user, id).await?.response())
}

/// The user's wallet in `currency`, opened if missing.
pub async fn ensure_wallet(
    db: &impl ConnectionTrait,
    user_id: Uuid,
    currency: &str,
) -> AppResult<Uuid> {
    db::exec(
        db,
        "INSERT INTO wallets (id, owner_id, currency) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
        [Uuid::now_v7().into(), user_id.into(), currency.into()],
    )
    .await?;
    let row = db::one(
        db,
        "SELECT id FROM wallets WHERE owner_id = $1 AND currency = $2",
        [user_id.into(), currency.into()],
    )
    .await?
    .ok_or_else(|| AppError::not_found("wallet"))?;
    Ok(row.try_get("", "id")?)
}

/// A system wallet (`treasury`, `fees`, `escrow`, `staking_pool`, `rewards_pool`,
/// `course_revenue`) in `currency`.
pub async fn system_wallet(
    db: &impl ConnectionTrait,
    kind: &str,
    currency: &str,
) -> AppResult<Uuid> {
    let row = db::one(
        db,
        "SELECT id FROM wallets WHERE system_kind = $1 AND currency = $2",
        [kind.into(), currency.into()],
    )
    .await?
    .ok_or_else(|| {
        AppError::internal(anyhow::anyhow!("system wallet {kind}/{currency} missing"))
    })?;
    Ok(row.try_get("", "id")?)
}

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
    let id = Uuid::now_v7();
    let inserted = db::exec(
        &txn,
        "INSERT INTO wallets (id, owner_id, currency) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
        [id.into(), user.id.into(), cur.code.clone().into()],
    )
    .await?;
    if inserted.rows_affected() == 0 {
        return Err(AppError::new(
            ErrorCode::WalletExists,
            format!("you already have a {} wallet", cur.code),
        ));
    }
    audit::record(
        &txn,
        AuditEvent::new(Some(user.id), "wallet.open", "wallet", Some(id.to_string())),
        client,
    )
    .await?;
    let w = wallet_row(
        &db::one(&txn, format!("{WALLET_SQL} WHERE w.id = $1"), [id.into()])
            .await?
            .ok_or_else(|| AppError::not_found("wallet"))?,
    )?;
    txn.commit().await?;
    Ok(w.response())
}

/// A ledger transaction to post.
pub struct Posting<'a> {
    pub kind: &'static str,
    pub currency: &'a str,
    pub amount: Decimal,
    pub description: &'a str,
    pub reference: Option<&'a str>,
    pub initiated_by: Option<Uuid>,
    pub reverses: Option<Uuid>,
    /// (wallet, signed amount); must sum to zero.
    pub legs: Vec<(Uuid, Decimal)>,
}

/// A posted transaction: its id, time, and each wallet's balance after it.
pub struct Posted {
    pub id: Uuid,
    pub created_at: DateTime<Utc>,
    pub balances: Vec<(Uuid, Decimal)>,
}

impl Posted {
    pub fn balance_of(&self, wallet: Uuid) -> Option<Decimal> {
        self.balances
            .iter()
            .find(|(w, _)| *w == wallet)
            .map(|(_, b)| *b)
    }
}

fn placeholders(start: usize, rows: usize, per_row: usize, casts: &[&str]) -> String {
    (0..rows)
        .map(|r| {
            let cols: Vec<String> = (0..per_row)
                .map(|c| {
                    format!(
                        "${}{}",
                        start + r * per_row + c,
                        casts.get(c).copied().unwrap_or("")
                    )
                })
                .collect();
            format!("({})", cols.join(", "))
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// The one way money moves: locks the wallets in id order (so opposite transfers cannot
/// deadlock), refuses to take a user or pool wallet below zero (422 `insufficient_funds`),
/// updates the cached balances and writes the transaction and its entries, all inside the
/// caller's transaction.
pub async fn post(txn: &DatabaseTransaction, p: Posting<'_>) -> AppResult<Posted> {
    if !ledger::balanced(&p.legs) {
        return Err(AppError::internal(anyhow::anyhow!(
            "unbalanced posting of {}",
            p.kind
        )));
    }
    let mut ids: Vec<Uuid> = p.legs.iter().map(|(w, _)| *w).collect();
    ids.sort();
    ids.dedup();
    let rows = db::all(
        txn,
        format!(
            "SELECT id, owner_id, system_kind, currency, balance FROM wallets WHERE id IN ({}) ORDER BY id FOR UPDATE",
            (1..=ids.len()).map(|i| format!("${i}")).collect::<Vec<_>>().join(", ")
        ),
        ids.iter().map(|i| (*i).into()),
    )
    .await?;
    if rows.len() != ids.len() {
        return Err(AppError::not_found("wallet"));
    }
    for row in &rows {
        let id: Uuid = row.try_get("", "id")?;
        let currency: String = row.try_get("", "currency")?;
        if currency != p.currency {
            return Err(AppError::new(
                ErrorCode::CurrencyMismatch,
                "the wallets hold different currencies",
            ));
        }
        let system_kind: Option<String> = row.try_get("", "system_kind")?;
        let balance: Decimal = row.try_get("", "balance")?;
        let delta: Decimal = p
            .legs
            .iter()
            .filter(|(w, _)| *w == id)
            .map(|(_, d)| *d)
            .sum();
        if system_kind.as_deref() != Some("treasury") && balance + delta < Decimal::ZERO {
            let who = if system_kind.is_some() {
                "the platform's pool"
            } else {
                "the wallet"
            };
            return Err(AppError::new(
                ErrorCode::InsufficientFunds,
                format!("{who} holds too little for this"),
            ));
        }
    }
    let n = p.legs.len();
    let mut values: Vec<sea_orm::Value> = Vec::with_capacity(2 * n);
    for (w, d) in &p.legs {
        values.push((*w).into());
        values.push((*d).into());
    }
    let updated = db::all(
        txn,
        format!(
            "UPDATE wallets w SET balance = w.balance + d.delta, updated_at = now() \
             FROM (VALUES {}) AS d (id, delta) WHERE w.id = d.id RETURNING w.id, w.balance",
            placeholders(1, n, 2, &["::uuid", "::numeric"])
        ),
        values,
    )
    .await?;
    let balances: Vec<(Uuid, Decimal)> = updated
        .iter()
        .map(|r| Ok((r.try_get("", "id")?, r.try_get("", "balance")?)))
        .collect::<AppResult<_>>()?;
    let id = Uuid::now_v7();
    let created_at = Utc::now();
    let mut values: Vec<sea_orm::Value> = vec![
        id.into(),
        p.kind.into(),
        p.currency.into(),
        p.amount.into(),
        p.description.into(),
        p.reference.map(str::to_owned).into(),
        p.initiated_by.into(),
        p.reverses.into(),
        created_at.into(),
    ];
    for (w, d) in &p.legs {
        let after = balances
            .iter()
            .find(|(b, _)| b == w)
            .map(|(_, b)| *b)
            .unwrap_or_default();
        values.push(Uuid::now_v7().into());
        values.push((*w).into());
        values.push((*d).into());
        values.push(after.into());
    }
    db::exec(
        txn,
        format!(
            "WITH t AS (INSERT INTO ledger_transactions (id, kind, currency, amount, description, reference, initiated_by, reverses, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)) \
             INSERT INTO ledger_entries (id, wallet_id, amount, balance_after, transaction_id, created_at) \
             SELECT e.id, e.wallet_id, e.amount, e.balance_after, $1, $9 FROM (VALUES {}) AS e (id, wallet_id, amount, balance_after)",
            placeholders(10, n, 4, &["::uuid", "::uuid", "::numeric", "::numeric"])
        ),
        values,
    )
    .await?;
    Ok(Posted {
        id,
        created_at,
        balances,
    })
}

/// Moves money between two users' wallets in one currency, once per Idempotency-Key.
pub async fn transfer(
    state: &AppState,
    user: &Actor,
    client: &RequestMeta,
    key: &str,
    req: TransferRequest,
) -> AppResult<TransactionResponse> {
    crate::authz::require(state, user, "wallet:transfer", Scope::Global).await?;
    let hash = idempotency::hash(&req);
    let from = own_wallet(&state.db, user, req.from_wallet_id).await?;
    let amount = req.amount.positive_in_scale(from.scale, "#/amount")?;
    let to = match (&req.to_wallet_id, &req.to_email) {
        (Some(id), None) => {
            db::one(
                &state.db,
                format!("{WALLET_SQL} WHERE w.id = $1 AND w.owner_id IS NOT NULL"),
                [(*id).into()],
            )
            .await?
        }
        (None, Some(email)) => {
            db::one(
                &state.db,
                format!(
                    "{WALLET_SQL} JOIN users u ON u.id = w.owner_id \
                     WHERE u.email = $1 AND u.deleted_at IS NULL AND w.currency = $2"
                ),
                [
                    email.trim().to_lowercase().into(),
                    from.currency.clone().into(),
                ],
            )
            .await?
        }
        _ => {
            return Err(AppError::validation(vec![FieldError::new(
                "#/to_wallet_id",
                "give exactly one of `to_wallet_id` or `to_email`",
            )]));
        }
    };
    let to = wallet_row(&to.ok_or_else(|| AppError::not_found("recipient wallet"))?)?;
    if to.id == from.id {
        return Err(AppError::new(
            ErrorCode::SelfTransfer,
            "a wallet cannot pay itself",
        ));
    }
    if to.currency != from.currency {
        return Err(AppError::new(
            ErrorCode::CurrencyMismatch,
            format!(
                "the recipient wallet holds {}, not {}",
                to.currency, from.currency
            ),
        ));
    }
    let fee = ledger::fee(amount, state.settings.wallet.transfer_fee_rate, from.scale);
    let txn = state.db.begin().await?;
    // Twins with one key run one after the other; the later one answers with the first's result.
    idempotency::lock(&txn, user.id, "transfer", key).await?;
    if let Some(done) = idempotency::replay(&txn, user.id, "transfer", key, &hash).await? {
        return Ok(done);
    }
    let mut legs = vec![(from.id, -(amount + fee)), (to.id, amount)];
    if !fee.is_zero() {
        legs.push((system_wallet(&txn, "fees", &from.currency).await?, fee));
    }
    let posted = post(
        &txn,
        Posting {
            kind: "transfer",
            currency: &from.currency,
            amount,
            description: req.description.trim(),
            reference: None,
            initiated_by: Some(user.id),
            reverses: None,
            legs,
        },
    )
    .await?;
    let response = TransactionResponse {
        id: posted.id,
        kind: "transfer".into(),
        currency: from.currency.clone(),
        amount: shown(amount, from.scale),
        fee: shown(fee, from.scale),
        from_wallet_id: Some(from.id),
        to_wallet_id: Some(to.id),
        balance_after: posted.balance_of(from.id).map(|b| shown(b, from.scale)),
        description: req.description.trim().to_owned(),
        created_at: posted.created_at,
    };
    let stored = idempotency::store(&txn, user.id, "transfer", key, &hash, 201, &response).await?;
    if !stored {
        // A twin request with the same key committed first: undo ours, answer with its result.
        txn.rollback().await?;
        return idempotency::replay(&state.db, user.id, "transfer", key, &hash)
            .await?
            .ok_or_else(|| AppError::new(ErrorCode::IdempotencyKeyInUse, "retry this request"));
    }
    audit::record(
        &txn,
        AuditEvent::new(Some(user.id), "wallet.transfer", "ledger_transaction", Some(posted.id.to_string())).details(
            serde_json::json!({"from": from.id, "to": to.id, "currency": from.currency, "amount": amount.to_string(), "fee": fee.to_string()}),
        ),
        client,
    )
    .await?;
    txn.commit().await?;
    Ok(response)
}

/// Credits a user from the treasury (`wallet:mint`, global).
pub async fn mint(
    state: &AppState,
    user: &Actor,
    client: &RequestMeta,
    req: MintRequest,
) -> AppResult<TransactionResponse> {
    crate::authz::require(state, user, "wallet:mint", Scope::Global).await?;
    let cur = currency(&state.db, &req.currency, "#/currency").await?;
    let amount = req.amount.positive_in_scale(cur.scale, "#/amount")?;
    let txn = state.db.begin().await?;
    crate::modules::identity::require_live_user(&txn, req.user_id, "#/user_id").await?;
    let to = ensure_wallet(&txn, req.user_id, &cur.code).await?;
    let treasury = system_wallet(&txn, "treasury", &cur.code).await?;
    let posted = post(
        &txn,
        Posting {
            kind: "mint",
            currency: &cur.code,
            amount,
            description: req.description.trim(),
            reference: None,
            initiated_by: Some(user.id),
            reverses: None,
            legs: vec![(treasury, -amount), (to, amount)],
        },
    )
    .await?;
    audit::record(
        &txn,
        AuditEvent::new(Some(user.id), "wallet.mint", "ledger_transaction", Some(posted.id.to_string()))
            .details(serde_json::json!({"user_id": req.user_id, "currency": cur.code, "amount": amount.to_string()})),
        client,
    )
    .await?;
    txn.commit().await?;
    Ok(TransactionResponse {
        id: posted.id,
        kind: "mint".into(),
        currency: cur.code.clone(),
        amount: shown(amount, cur.scale),
        fee: shown(Decimal::ZERO, cur.scale),
        from_wallet_id: Some(treasury),
        to_wallet_id: Some(to),
        balance_after: posted.balance_of(to).map(|b| shown(b, cur.scale)),
        description: req.description.trim().to_owned(),
        created_at: posted.created_at,
    })
}

/// For other modules: `payer` pays `amount` into the platform's course-revenue wallet, inside
/// the caller's transaction (paid enrollment). Returns the transaction id.
pub async fn pay(
    txn: &DatabaseTransaction,
    payer: Uuid,
    currency_code: &str,
    amount: Decimal,
    reference: &str,
    description: &str,
) -> AppResult<Uuid> {
    let cur = currency(txn, currency_code, "#/currency").await?;
    if amount <= Decimal::ZERO || amount.round_dp(cur.scale) != amount {
        return Err(AppError::new(
            ErrorCode::InvalidAmount,
            "the price is not a valid amount",
        ));
    }
    let from = db::one(
        txn,
        "SELECT id FROM wallets WHERE owner_id = $1 AND currency = $2",
        [payer.into(), cur.code.clone().into()],
    )
    .await?
    .ok_or_else(|| {
        AppError::new(
            ErrorCode::InsufficientFunds,
            format!("you have no {} wallet", cur.code),
        )
    })?
    .try_get::<Uuid>("", "id")?;
    let to = system_wallet(txn, "course_revenue", &cur.code).await?;
    let posted = post(
        txn,
        Posting {
            kind: "payment",
            currency: &cur.code,
            amount,
            description,
            reference: Some(reference),
            initiated_by: Some(payer),
            reverses: None,
            legs: vec![(from, -amount), (to, amount)],
        },
    )
    .await?;
    audit::record(
        txn,
        AuditEvent::new(Some(payer), "wallet.pay", "ledger_transaction", Some(posted.id.to_string()))
            .details(serde_json::json!({"amount": amount.to_string(), "currency": cur.code, "reference": reference})),
        &RequestMeta::system(),
    )
    .await?;
    Ok(posted.id)
}

/// For other modules: reverses a payment once (a new `refund` transaction with the legs
/// turned around). A second refund of the same payment is 409 `already_refunded`.
pub async fn refund(
    txn: &DatabaseTransaction,
    payment_id: Uuid,
    description: &str,
) -> AppResult<Uuid> {
    let tx = db::one(
        txn,
        "SELECT currency, amount, initiated_by FROM ledger_transactions WHERE id = $1 AND kind = 'payment'",
        [payment_id.into()],
    )
    .await?
    .ok_or_else(|| AppError::not_found("payment"))?;
    db::advisory_lock(txn, &payment_id.to_string()).await?;
    let done = db::one(
        txn,
        "SELECT 1 AS one FROM ledger_transactions WHERE reverses = $1",
        [payment_id.into()],
    )
    .await?
    .is_some();
    if done {
        return Err(AppError::new(
            ErrorCode::AlreadyRefunded,
            "this payment was refunded already",
        ));
    }
    let legs = db::all(
        txn,
        "SELECT wallet_id, amount FROM ledger_entries WHERE transaction_id = $1",
        [payment_id.into()],
    )
    .await?
    .iter()
    .map(|r| {
        Ok((
            r.try_get::<Uuid>("", "wallet_id")?,
            -r.try_get::<Decimal>("", "amount")?,
        ))
    })
    .collect::<AppResult<Vec<_>>>()?;
    let currency: String = tx.try_get("", "currency")?;
    let posted = post(
        txn,
        Posting {
            kind: "refund",
            currency: &currency,
            amount: tx.try_get("", "amount")?,
            description,
            reference: Some(&payment_id.to_string()),
            initiated_by: tx.try_get("", "initiated_by")?,
            reverses: Some(payment_id),
            legs,
        },
    )
    .await?;
    audit::record(
        txn,
        AuditEvent::new(
            tx.try_get("", "initiated_by")?,
            "wallet.refund",
            "ledger_transaction",
            Some(posted.id.to_string()),
        )
        .details(serde_json::json!({"payment_id": payment_id})),
        &RequestMeta::system(),
    )
    .await?;
    Ok(posted.id)
}

/// For other modules: pays `amount` AZR from the rewards pool to `user_id`, at most once per
/// `dedupe_key` (a second call returns `None` and pays nothing). Runs in a transaction (or a
/// savepoint of the caller's).
pub async fn reward<C: TransactionTrait<Transaction = DatabaseTransaction>>(
    db: &C,
    user_id: Uuid,
    amount: Decimal,
    reason: &str,
    dedupe_key: &str,
) -> AppResult<Option<Uuid>> {
    let txn = db.begin().await?;
    db::advisory_lock(&txn, dedupe_key).await?;
    let paid = db::one(
        &txn,
        "SELECT 1 AS one FROM reward_grants WHERE dedupe_key = $1",
        [dedupe_key.into()],
    )
    .await?
    .is_some();
    if paid {
        return Ok(None);
    }
    let amount = amount.round_dp(8);
    if amount <= Decimal::ZERO {
        return Ok(None);
    }
    let to = ensure_wallet(&txn, user_id, "AZR").await?;
    let pool = system_wallet(&txn, "rewards_pool", "AZR").await?;
    let posted = post(
        &txn,
        Posting {
            kind: "reward",
            currency: "AZR",
            amount,
            description: reason,
            reference: Some(dedupe_key),
            initiated_by: None,
            reverses: None,
            legs: vec![(pool, -amount), (to, amount)],
        },
    )
    .await?;
    db::exec(
        &txn,
        "INSERT INTO reward_grants (dedupe_key, user_id, transaction_id, amount, reason) VALUES ($1, $2, $3, $4, $5)",
        [dedupe_key.into(), user_id.into(), posted.id.into(), amount.into(), reason.into()],
    )
    .await?;
    audit::record(
        &txn,
        AuditEvent::new(Some(user_id), "wallet.reward", "ledger_transaction", Some(posted.id.to_string()))
            .details(serde_json::json!({"amount": amount.to_string(), "reason": reason, "dedupe_key": dedupe_key})),
        &RequestMeta::system(),
    )
    .await?;
    txn.commit().await?;
    Ok(Some(posted.id))
}

fn apr_for(settings: &Settings, term_days: i32) -> Option<Decimal> {
    match term_days {
        30 => Some(settings.wallet.stake_apr_30),
        90 => Some(settings.wallet.stake_apr_90),
        180 => Some(settings.wallet.stake_apr_180),
        _ => None,
    }
}

const STAKE_SQL: &str = "SELECT id, user_id, wallet_id, amount, term_days, apr, status, accrued, started_at, matures_at, unstaked_at FROM stakes";

fn stake_from_row(r: &sea_orm::QueryResult) -> AppResult<StakeResponse> {
    Ok(StakeResponse {
        id: r.try_get("", "id")?,
        amount: shown(r.try_get("", "amount")?, 8),
        term_days: r.try_get("", "term_days")?,
        apr: r.try_get::<Decimal>("", "apr")?.normalize(),
        status: r.try_get("", "status")?,
        accrued: shown(r.try_get("", "accrued")?, 8),
        started_at: r.try_get("", "started_at")?,
        matures_at: r.try_get("", "matures_at")?,
        unstaked_at: r.try_get("", "unstaked_at")?,
    })
}

pub async fn list_stakes(state: &AppState, user: &Actor) -> AppResult<Vec<StakeResponse>> {
    let rows = db::all(
        &state.db,
        format!("{STAKE_SQL} WHERE user_id = $1 ORDER BY started_at DESC"),
        [user.id.into()],
    )
    .await?;
    rows.iter().map(stake_from_row).collect()
}

/// Locks AZR for a term (30, 90 or 180 days).
pub async fn create_stake(
    state: &AppState,
    user: &Actor,
    client: &RequestMeta,
    req: CreateStakeRequest,
) -> AppResult<StakeResponse> {
    crate::authz::require(state, user, "wallet:transfer", Scope::Global).await?;
    let apr = apr_for(&state.settings, req.term_days).ok_or_else(|| {
        AppError::validation(vec![FieldError::new("#/term_days", "one of 30, 90, 180")])
    })?;
    let amount = req.amount.positive_in_scale(8, "#/amount")?;
    let txn = state.db.begin().await?;
    let (row, posted_id) = open_stake(&txn, user.id, amount, req.term_days, apr).await?;
    let id: Uuid = row.try_get("", "id")?;
    audit::record(
        &txn,
        AuditEvent::new(Some(user.id), "wallet.stake", "stake", Some(id.to_string()))
            .details(serde_json::json!({"amount": amount.to_string(), "term_days": req.term_days, "transaction_id": posted_id})),
        client,
    )
    .await?;
    let out = stake_from_row(&row)?;
    txn.commit().await?;
    Ok(out)
}

/// Moves `amount` AZR of `user_id` into the staking pool and records the stake.
async fn open_stake(
    txn: &DatabaseTransaction,
    user_id: Uuid,
    amount: Decimal,
    term_days: i32,
    apr: Decimal,
) -> AppResult<(sea_orm::QueryResult, Uuid)> {
    let wallet = ensure_wallet(txn, user_id, "AZR").await?;
    let pool = system_wallet(txn, "staking_pool", "AZR").await?;
    let id = Uuid::now_v7();
    let posted = post(
        txn,
        Posting {
            kind: "stake",
            currency: "AZR",
            amount,
            description: "stake",
            reference: Some(&id.to_string()),
            initiated_by: Some(user_id),
            reverses: None,
            legs: vec![(wallet, -amount), (pool, amount)],
        },
    )
    .await?;
    let row = db::one(
        txn,
        "INSERT INTO stakes (id, user_id, wallet_id, amount, term_days, apr, matures_at) \
         VALUES ($1, $2, $3, $4, $5, $6, now() + make_interval(days => $5)) \
         RETURNING id, user_id, wallet_id, amount, term_days, apr, status, accrued, started_at, matures_at, unstaked_at",
        [id.into(), user_id.into(), wallet.into(), amount.into(), term_days.into(), apr.into()],
    )
    .await?
    .ok_or_else(|| AppError::internal(anyhow::anyhow!("stake insert returned nothing")))?;
    Ok((row, posted.id))
}

/// Demo money for the seeded accounts (idempotent): AZR and ZAR wallets funded from the
/// treasury, a few transfers between them, and one stake. Returns the transactions posted.
pub async fn seed_demo(state: &AppState) -> AppResult<u64> {
    let (db, settings) = (&state.db, &*state.settings);
    let txn = db.begin().await?;
    db::advisory_lock(&txn, "seed:demo-wallets").await?;
    let done = db::one(
        &txn,
        "SELECT 1 AS one FROM ledger_transactions WHERE reference = 'seed:demo'",
        [],
    )
    .await?
    .is_some();
    let mut users = Vec::new();
    for (id, ..) in seed::DEMO_USERS {
        let id: Uuid = id.parse().map_err(AppError::internal)?;
        if db::one(
            &txn,
            "SELECT 1 AS one FROM users WHERE id = $1",
            [id.into()],
        )
        .await?
        .is_some()
        {
            users.push(id);
        }
    }
    if done || users.len() < 3 {
        return Ok(0);
    }
    let mut posted = 0;
    let step = |kind: &'static str, currency: &'static str, amount: &str, legs: (Uuid, Uuid)| {
        let amount: Decimal = amount.parse().unwrap_or_default();
        (kind, currency, amount, legs)
    };
    let mut plan = Vec::new();
    for user in &users {
        plan.push(step("mint", "AZR", "1000", (Uuid::nil(), *user)));
        plan.push(step("mint", "ZAR", "500.00", (Uuid::nil(), *user)));
    }
    plan.push(step("transfer", "ZAR", "25.00", (users[0], users[1])));
    plan.push(step("transfer", "AZR", "10", (users[1], users[0])));
    plan.push(step("transfer", "ZAR", "50.00", (users[2], users[0])));
    for (kind, currency, amount, (from, to)) in plan {
        let to_wallet = ensure_wallet(&txn, to, currency).await?;
        let from_wallet = if from.is_nil() {
            system_wallet(&txn, "treasury", currency).await?
        } else {
            ensure_wallet(&txn, from, currency).await?
        };
        post(
            &txn,
            Posting {
                kind,
                currency,
                amount,
                description: "demo data",
                reference: Some("seed:demo"),
                initiated_by: None,
                reverses: None,
                legs: vec![(from_wallet, -amount), (to_wallet, amount)],
            },
        )
        .await?;
        posted += 1;
    }
    open_stake(
        &txn,
        users[0],
        Decimal::from(100),
        30,
        settings.wallet.stake_apr_30,
    )
    .await?;
    txn.commit().await?;
    Ok(posted + 1)
}

/// Returns principal and rewards after the term. Early unstaking is refused
/// (`stake_not_matured`): the term is the promise the yield pays for.
pub async fn unstake(
    state: &AppState,
    user: &Actor,
    client: &RequestMeta,
    id: Uuid,
) -> AppResult<StakeResponse> {
    let txn = state.db.begin().await?;
    let row = db::one(
        &txn,
        format!("{STAKE_SQL} WHERE id = $1 AND user_id = $2 FOR UPDATE"),
        [id.into(), user.id.into()],
    )
    .await?
    .ok_or_else(|| AppError::not_found("stake"))?;
    let stake = stake_from_row(&row)?;
    if stake.status != "active" {
        return Err(AppError::new(
            ErrorCode::AlreadyUnstaked,
            "this stake was already returned",
        ));
    }
    if stake.matures_at > Utc::now() {
        return Err(AppError::new(
            ErrorCode::StakeNotMatured,
            format!(
                "the stake matures at {}; early unstaking is not allowed",
                stake.matures_at.to_rfc3339()
            ),
        ));
    }
    let wallet: Uuid = row.try_get("", "wallet_id")?;
    let pool = system_wallet(&txn, "staking_pool", "AZR").await?;
    let total = stake.amount + stake.accrued;
    post(
        &txn,
        Posting {
            kind: "unstake",
            currency: "AZR",
            amount: total,
            description: "unstake",
            reference: Some(&id.to_string()),
            initiated_by: Some(user.id),
            reverses: None,
            legs: vec![(pool, -total), (wallet, total)],
        },
    )
    .await?;
    let row = db::one(
        &txn,
        "UPDATE stakes SET status = 'unstaked', unstaked_at = now(), updated_at = now() WHERE id = $1 \
         RETURNING id, user_id, wallet_id, amount, term_days, apr, status, accrued, started_at, matures_at, unstaked_at",
        [id.into()],
    )
    .await?
    .ok_or_else(|| AppError::not_found("stake"))?;
    audit::record(
        &txn,
        AuditEvent::new(
            Some(user.id),
            "wallet.unstake",
            "stake",
            Some(id.to_string()),
        )
        .details(serde_json::json!({"returned": total.to_string()})),
        client,
    )
    .await?;
    let out = stake_from_row(&row)?;
    txn.commit().await?;
    Ok(out)
}

/// The daily staking job: for every active stake, pays each day from its start up to `day`
/// (and not past maturity) that has not been paid, from the rewards pool into the staking
/// pool. One transaction per stake; `stake_accruals` has one row per stake and day, so a
/// second run, or a run after a crash, pays nothing twice. Returns how many stakes it paid.
pub async fn accrue_stakes(db: &sea_orm::DatabaseConnection, day: NaiveDate) -> AppResult<u64> {
    let stakes = db::all(
        db,
        "SELECT id FROM stakes WHERE status = 'active' AND (started_at AT TIME ZONE 'UTC')::date < $1 ORDER BY id",
        [day.into()],
    )
    .await?;
    let mut paid = 0;
    for s in stakes {
        let id: Uuid = s.try_get("", "id")?;
        match accrue_stake(db, id, day).await {
            Ok(true) => paid += 1,
            Ok(false) => {}
            // One stake's failure (an empty rewards pool, say) does not hold up the others.
            Err(e) => {
                tracing::warn!(stake = %id, error = %e, "stake accrual failed; retrying next run")
            }
        }
    }
    Ok(paid)
}

/// Pays the unpaid days of one stake, in one transaction; true when it paid anything.
async fn accrue_stake(
    db: &sea_orm::DatabaseConnection,
    id: Uuid,
    day: NaiveDate,
) -> AppResult<bool> {
    let txn = db.begin().await?;
    let Some(row) = db::one(
        &txn,
        format!("{STAKE_SQL} WHERE id = $1 AND status = 'active' FOR UPDATE"),
        [id.into()],
    )
    .await?
    else {
        return Ok(false);
    };
    let stake = stake_from_row(&row)?;
    let last_paid: Option<NaiveDate> = db::one(
        &txn,
        "SELECT max(day) AS d FROM stake_accruals WHERE stake_id = $1",
        [id.into()],
    )
    .await?
    .and_then(|r| r.try_get("", "d").ok())
    .flatten();
    let first = last_paid.map_or(stake.started_at.date_naive() + Duration::days(1), |d| {
        d + Duration::days(1)
    });
    let last = day.min(stake.matures_at.date_naive());
    let per_day = ledger::daily_yield(stake.amount, stake.apr, 8);
    let mut total = Decimal::ZERO;
    let mut d = first;
    while d <= last {
        let inserted = db::exec(
            &txn,
            "INSERT INTO stake_accruals (stake_id, day, amount) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
            [id.into(), d.into(), per_day.into()],
        )
        .await?;
        if inserted.rows_affected() == 1 {
            total += per_day;
        }
        d += Duration::days(1);
    }
    if total > Decimal::ZERO {
        let pool = system_wallet(&txn, "rewards_pool", "AZR").await?;
        let staking = system_wallet(&txn, "staking_pool", "AZR").await?;
        let posted = post(
            &txn,
            Posting {
                kind: "stake_reward",
                currency: "AZR",
                amount: total,
                description: "staking reward",
                reference: Some(&id.to_string()),
                initiated_by: None,
                reverses: None,
                legs: vec![(pool, -total), (staking, total)],
            },
        )
        .await?;
        db::exec(
            &txn,
            "UPDATE stake_accruals SET transaction_id = $2 WHERE stake_id = $1 AND transaction_id IS NULL",
            [id.into(), posted.id.into()],
        )
        .await?;
        db::exec(
            &txn,
            "UPDATE stakes SET accrued = accrued + $2, updated_at = now() WHERE id = $1",
            [id.into(), total.into()],
        )
        .await?;
        let user_id: Uuid = row.try_get("", "user_id")?;
        audit::record(
            &txn,
            AuditEvent::new(Some(user_id), "wallet.stake_reward", "stake", Some(id.to_string()))
                .details(serde_json::json!({"amount": total.to_string(), "through": last.to_string(), "transaction_id": posted.id})),
            &RequestMeta::system(),
        )
        .await?;
        txn.commit().await?;
        return Ok(true);
    }
    txn.commit().await?;
    Ok(false)
}

/// Reconciles the ledger; see the module doc for the checks.
pub async fn reconcile(state: &AppState, user: &Actor) -> AppResult<ReconcileResponse> {
    crate::authz::require(state, user, "wallet:audit", Scope::Global).await?;
    let db = &state.db;
    let mut violations = Vec::new();
    for r in db::all(
        db,
        "SELECT t.id, t.currency, coalesce(sum(e.amount), 0) AS total, count(e.id) AS n, \
                bool_and(w.currency = t.currency) AS same_currency \
         FROM ledger_transactions t LEFT JOIN ledger_entries e ON e.transaction_id = t.id \
         LEFT JOIN wallets w ON w.id = e.wallet_id GROUP BY t.id \
         HAVING coalesce(sum(e.amount), 0) <> 0 OR count(e.id) < 2 OR NOT bool_and(w.currency = t.currency)",
        [],
    )
    .await?
    {
        let total: Decimal = r.try_get("", "total")?;
        violations.push(Violation {
            kind: "unbalanced_transaction".into(),
            currency: r.try_get("", "currency")?,
            transaction_id: r.try_get("", "id")?,
            wallet_id: None,
            detail: format!("entries sum to {total} over {} entries", r.try_get::<i64>("", "n")?),
        });
    }
    for r in db::all(
        db,
        "SELECT w.id, w.currency, w.balance, coalesce(sum(e.amount), 0) AS total FROM wallets w \
         LEFT JOIN ledger_entries e ON e.wallet_id = w.id GROUP BY w.id HAVING w.balance <> coalesce(sum(e.amount), 0)",
        [],
    )
    .await?
    {
        let balance: Decimal = r.try_get("", "balance")?;
        let total: Decimal = r.try_get("", "total")?;
        violations.push(Violation {
            kind: "balance_mismatch".into(),
            currency: r.try_get("", "currency")?,
            transaction_id: None,
            wallet_id: r.try_get("", "id")?,
            detail: format!("cached balance {} but entries sum to {}", balance.normalize(), total.normalize()),
        });
    }
    for r in db::all(
        db,
        "SELECT id, currency, balance FROM wallets WHERE system_kind IS DISTINCT FROM 'treasury' AND balance < 0",
        [],
    )
    .await?
    {
        violations.push(Violation {
            kind: "negative_balance".into(),
            currency: r.try_get("", "currency")?,
            transaction_id: None,
            wallet_id: r.try_get("", "id")?,
            detail: format!("balance {}", r.try_get::<Decimal>("", "balance")?.normalize()),
        });
    }
    for r in db::all(
        db,
        "SELECT w.currency, sum(w.balance) FILTER (WHERE w.system_kind IS DISTINCT FROM 'treasury') AS held, \
                -sum(w.balance) FILTER (WHERE w.system_kind = 'treasury') AS issued, \
                (SELECT coalesce(sum(t.amount), 0) FROM ledger_transactions t WHERE t.kind = 'mint' AND t.currency = w.currency) AS minted \
         FROM wallets w GROUP BY w.currency",
        [],
    )
    .await?
    {
        let held: Decimal = r.try_get::<Option<Decimal>>("", "held")?.unwrap_or_default();
        let issued: Decimal = r.try_get::<Option<Decimal>>("", "issued")?.unwrap_or_default();
        let minted: Decimal = r.try_get("", "minted")?;
        if held != issued || issued != minted {
            violations.push(Violation {
                kind: "supply_mismatch".into(),
                currency: r.try_get("", "currency")?,
                transaction_id: None,
                wallet_id: None,
                detail: format!(
                    "held {} but the treasury issued {} and mints total {}",
                    held.normalize(),
                    issued.normalize(),
                    minted.normalize()
                ),
            });
        }
    }
    let counts = db::one(db, "SELECT (SELECT count(*) FROM ledger_transactions) AS t, (SELECT count(*) FROM wallets) AS w", [])
        .await?
        .ok_or_else(|| AppError::internal(anyhow::anyhow!("count returned nothing")))?;
    Ok(ReconcileResponse {
        ok: violations.is_empty(),
        checked_transactions: counts.try_get("", "t")?,
        checked_wallets: counts.try_get("", "w")?,
        violations,
    })
}

const LIVE_METRICS_SQL: &str = "SELECT c.code AS currency, \
     coalesce((SELECT -balance FROM wallets WHERE system_kind = 'treasury' AND currency = c.code), 0) AS supply, \
     coalesce((SELECT balance FROM wallets WHERE system_kind = 'staking_pool' AND currency = c.code), 0) AS staked, \
     coalesce((SELECT sum(amount) FROM ledger_transactions WHERE currency = c.code AND created_at > now() - interval '24 hours'), 0) AS volume, \
     (SELECT count(*) FROM ledger_transactions WHERE currency = c.code AND created_at > now() - interval '24 hours') AS n \
     FROM currencies c ORDER BY c.code";

fn metrics_from_row(
    r: &sea_orm::QueryResult,
    day: NaiveDate,
    volume: &str,
    n: &str,
) -> AppResult<CurrencyMetrics> {
    Ok(CurrencyMetrics {
        currency: r.try_get("", "currency")?,
        day,
        supply: r.try_get::<Decimal>("", "supply")?.normalize(),
        staked: r.try_get::<Decimal>("", "staked")?.normalize(),
        volume_24h: r.try_get::<Decimal>("", volume)?.normalize(),
        transactions: r.try_get("", n)?,
    })
}

/// Writes (or refreshes) today's snapshot of every currency.
pub async fn snapshot(db: &impl ConnectionTrait, day: NaiveDate) -> AppResult<()> {
    db::exec(
        db,
        format!(
            "INSERT INTO economic_snapshots (day, currency, supply, staked, volume_24h, transactions) \
             SELECT $1, m.currency, m.supply, m.staked, m.volume, m.n FROM ({LIVE_METRICS_SQL}) m \
             ON CONFLICT (day, currency) DO UPDATE SET supply = excluded.supply, staked = excluded.staked, \
             volume_24h = excluded.volume_24h, transactions = excluded.transactions"
        ),
        [day.into()],
    )
    .await?;
    Ok(())
}

pub async fn metrics(state: &AppState) -> AppResult<MetricsResponse> {
    let today = Utc::now().date_naive();
    let live = db::all(&state.db, LIVE_METRICS_SQL, []).await?;
    let history = db::all(
        &state.db,
        "SELECT day, currency, supply, staked, volume_24h, transactions FROM economic_snapshots \
         WHERE day > current_date - 30 ORDER BY day DESC, currency",
        [],
    )
    .await?;
    Ok(MetricsResponse {
        today: live
            .iter()
            .map(|r| metrics_from_row(r, today, "volume", "n"))
            .collect::<AppResult<_>>()?,
        history: history
            .iter()
            .map(|r| metrics_from_row(r, r.try_get("", "day")?, "volume_24h", "transactions"))
            .collect::<AppResult<_>>()?,
    })
}

/// A wallet's entries, newest first, keyset-paged by entry id (ids are time-ordered).
pub async fn history(
    state: &AppState,
    user: &Actor,
    id: Uuid,
    q: LedgerQuery,
) -> AppResult<LedgerPage> {
    let wallet = own_wallet(&state.db, user, id).await?;
    let (limit, before) = feed_params::<Uuid>(q.limit, q.cursor.as_deref(), 100)?;
    let rows = db::all(
        &state.db,
        "SELECT e.id, e.transaction_id, t.kind, e.amount, e.balance_after, t.description, e.created_at \
         FROM ledger_entries e JOIN ledger_transactions t ON t.id = e.transaction_id \
         WHERE e.wallet_id = $1 AND ($2::uuid IS NULL OR e.id < $2) ORDER BY e.id DESC LIMIT $3",
        [id.into(), before.into(), i64::from(limit + 1).into()],
    )
    .await?;
    let items = rows
        .iter()
        .map(|r| {
            Ok(LedgerEntryResponse {
                entry_id: r.try_get("", "id")?,
                transaction_id: r.try_get("", "transaction_id")?,
                kind: r.try_get("", "kind")?,
                amount: shown(r.try_get("", "amount")?, wallet.scale),
                balance_after: shown(r.try_get("", "balance_after")?, wallet.scale),
                description: r.try_get("", "description")?,
                created_at: r.try_get("", "created_at")?,
            })
        })
        .collect::<AppResult<Vec<_>>>()?;
    let (items, next_cursor) = feed_page(items, limit, |e| e.entry_id.to_string());
    Ok(LedgerPage { items, next_cursor })
}
