//! Reports on the books: reconciliation (the ledger checked against itself and the cached
//! balances) and the economic metrics, live and as daily snapshots.
//!
//! The checks and live figures are aggregates over several tables: explicit SQL read into
//! typed rows. Negative balances and the snapshot history are single-table reads through the
//! entities.

use chrono::{NaiveDate, Utc};
use entity::{economic_snapshots, wallets};
use kernel::enums::SystemWalletKind;
use kernel::{Actor, AppError, AppResult, Scope, db};
use rust_decimal::Decimal;
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, EntityTrait, FromQueryResult, QueryFilter, QueryOrder,
};
use uuid::Uuid;

use super::dto::{CurrencyMetrics, MetricsResponse, ReconcileResponse, Violation};
use crate::state::AppState;

/// A transaction whose entries do not balance (or are too few, or in another currency).
#[derive(FromQueryResult)]
struct UnbalancedRow {
    id: Uuid,
    currency: String,
    total: Decimal,
    n: i64,
}

/// A wallet whose cached balance is not the sum of its entries.
#[derive(FromQueryResult)]
struct MismatchRow {
    id: Uuid,
    currency: String,
    balance: Decimal,
    total: Decimal,
}

/// A currency's money held, issued by the treasury, and minted.
#[derive(FromQueryResult)]
struct SupplyRow {
    currency: String,
    held: Option<Decimal>,
    issued: Option<Decimal>,
    minted: Decimal,
}

#[derive(FromQueryResult)]
struct Counts {
    transactions: i64,
    wallets: i64,
}

/// Reconciles the ledger; see the module doc for the checks.
pub async fn reconcile(state: &AppState, user: &Actor) -> AppResult<ReconcileResponse> {
    crate::authz::require(state, user, "wallet:audit", Scope::Global).await?;
    let db = &state.db;
    let mut violations = Vec::new();
    let unbalanced: Vec<UnbalancedRow> = db::rows(
        db,
        "SELECT t.id, t.currency, coalesce(sum(e.amount), 0) AS total, count(e.id) AS n, \
                bool_and(w.currency = t.currency) AS same_currency \
         FROM ledger_transactions t LEFT JOIN ledger_entries e ON e.transaction_id = t.id \
         LEFT JOIN wallets w ON w.id = e.wallet_id GROUP BY t.id \
         HAVING coalesce(sum(e.amount), 0) <> 0 OR count(e.id) < 2 OR NOT bool_and(w.currency = t.currency)",
        [],
    )
    .await?;
    for r in unbalanced {
        violations.push(Violation {
            kind: "unbalanced_transaction".into(),
            currency: Some(r.currency),
            transaction_id: Some(r.id),
            wallet_id: None,
            detail: format!("entries sum to {} over {} entries", r.total, r.n),
        });
    }
    let mismatched: Vec<MismatchRow> = db::rows(
        db,
        "SELECT w.id, w.currency, w.balance, coalesce(sum(e.amount), 0) AS total FROM wallets w \
         LEFT JOIN ledger_entries e ON e.wallet_id = w.id GROUP BY w.id HAVING w.balance <> coalesce(sum(e.amount), 0)",
        [],
    )
    .await?;
    for r in mismatched {
        violations.push(Violation {
            kind: "balance_mismatch".into(),
            currency: Some(r.currency),
            transaction_id: None,
            wallet_id: Some(r.id),
            detail: format!(
                "cached balance {} but entries sum to {}",
                r.balance.normalize(),
                r.total.normalize()
            ),
        });
    }
    // Only the treasury goes below zero.
    let negative = wallets::Entity::find()
        .filter(
            Condition::any()
                .add(wallets::Column::SystemKind.is_null())
                .add(wallets::Column::SystemKind.ne(SystemWalletKind::Treasury)),
        )
        .filter(wallets::Column::Balance.lt(Decimal::ZERO))
        .all(db)
        .await?;
    for w in negative {
        violations.push(Violation {
            kind: "negative_balance".into(),
            currency: Some(w.currency),
            transaction_id: None,
            wallet_id: Some(w.id),
            detail: format!("balance {}", w.balance.normalize()),
        });
    }
    let supply: Vec<SupplyRow> = db::rows(
        db,
        "SELECT w.currency, sum(w.balance) FILTER (WHERE w.system_kind IS DISTINCT FROM 'treasury') AS held, \
                -sum(w.balance) FILTER (WHERE w.system_kind = 'treasury') AS issued, \
                (SELECT coalesce(sum(t.amount), 0) FROM ledger_transactions t WHERE t.kind = 'mint' AND t.currency = w.currency) AS minted \
         FROM wallets w GROUP BY w.currency",
        [],
    )
    .await?;
    for r in supply {
        let held = r.held.unwrap_or_default();
        let issued = r.issued.unwrap_or_default();
        if held != issued || issued != r.minted {
            violations.push(Violation {
                kind: "supply_mismatch".into(),
                currency: Some(r.currency),
                transaction_id: None,
                wallet_id: None,
                detail: format!(
                    "held {} but the treasury issued {} and mints total {}",
                    held.normalize(),
                    issued.normalize(),
                    r.minted.normalize()
                ),
            });
        }
    }
    let counts: Counts = db::row(
        db,
        "SELECT (SELECT count(*) FROM ledger_transactions) AS transactions, \
         (SELECT count(*) FROM wallets) AS wallets",
        [],
    )
    .await?
    .ok_or_else(|| AppError::internal(anyhow::anyhow!("count returned nothing")))?;
    Ok(ReconcileResponse {
        ok: violations.is_empty(),
        checked_transactions: counts.transactions,
        checked_wallets: counts.wallets,
        violations,
    })
}

/// Today's figures of every currency: supply (what the treasury issued), staked (the staking
/// pool), and the last 24 hours' volume and transaction count.
const LIVE_METRICS_SQL: &str = "SELECT c.code AS currency, \
     coalesce((SELECT -balance FROM wallets WHERE system_kind = 'treasury' AND currency = c.code), 0) AS supply, \
     coalesce((SELECT balance FROM wallets WHERE system_kind = 'staking_pool' AND currency = c.code), 0) AS staked, \
     coalesce((SELECT sum(amount) FROM ledger_transactions WHERE currency = c.code AND created_at > now() - interval '24 hours'), 0) AS volume, \
     (SELECT count(*) FROM ledger_transactions WHERE currency = c.code AND created_at > now() - interval '24 hours') AS n \
     FROM currencies c ORDER BY c.code";

/// A row of [`LIVE_METRICS_SQL`].
#[derive(FromQueryResult)]
struct LiveMetricsRow {
    currency: String,
    supply: Decimal,
    staked: Decimal,
    volume: Decimal,
    n: i64,
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
    let live: Vec<LiveMetricsRow> = db::rows(&state.db, LIVE_METRICS_SQL, []).await?;
    let history = economic_snapshots::Entity::find()
        .filter(Expr::col(economic_snapshots::Column::Day).gt(Expr::cust("current_date - 30")))
        .order_by_desc(economic_snapshots::Column::Day)
        .order_by_asc(economic_snapshots::Column::Currency)
        .all(&state.db)
        .await?;
    Ok(MetricsResponse {
        today: live
            .into_iter()
            .map(|r| CurrencyMetrics {
                currency: r.currency,
                day: today,
                supply: r.supply.normalize(),
                staked: r.staked.normalize(),
                volume_24h: r.volume.normalize(),
                transactions: r.n,
            })
            .collect(),
        history: history
            .into_iter()
            .map(|s| CurrencyMetrics {
                currency: s.currency,
                day: s.day,
                supply: s.supply.normalize(),
                staked: s.staked.normalize(),
                volume_24h: s.volume_24h.normalize(),
                transactions: s.transactions,
            })
            .collect(),
    })
}
