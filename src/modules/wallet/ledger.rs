//! The ledger: pure money rules (unit-tested: parsing amounts against a currency's scale,
//! fees, daily staking yield, the zero-sum check of a posting) and [`post`], the one way money
//! moves.
//!
//! Posting stays explicit SQL (row locks in id order, the balance update and the journal
//! written in one statement each), read into typed rows: it is the transfer's hot path, and
//! `bench/wallet.sh` replays its statements one for one.

use chrono::{DateTime, Utc};
use kernel::enums::{LedgerKind, SystemWalletKind};
use kernel::{AppError, AppResult, ErrorCode, FieldError, db};
use rust_decimal::{Decimal, RoundingStrategy};
use sea_orm::{DatabaseTransaction, FromQueryResult};
use uuid::Uuid;

/// Parses a decimal string: positive, at most 18 integer digits, at most `scale` places.
/// Anything else is a 422 at `pointer`, never rounded.
pub fn parse_amount(raw: &str, scale: u32, pointer: &str) -> AppResult<Decimal> {
    let fail = |detail: String| Err(AppError::validation(vec![FieldError::new(pointer, detail)]));
    let s = raw.trim();
    let (int, frac) = s.split_once('.').unwrap_or((s, ""));
    let digits_ok = !int.is_empty()
        && int.bytes().all(|b| b.is_ascii_digit())
        && frac.bytes().all(|b| b.is_ascii_digit())
        && !(s.contains('.') && frac.is_empty());
    if !digits_ok {
        return fail(format!(
            "`{raw}` is not a positive decimal number like \"12.50\""
        ));
    }
    if int.trim_start_matches('0').len() > 18 {
        return fail("must be below 10^18".into());
    }
    if frac.len() > scale as usize {
        return fail(format!("at most {scale} decimal places for this currency"));
    }
    let value: Decimal = s
        .parse()
        .or_else(|_| fail(format!("`{raw}` is not a decimal number")))?;
    if value <= Decimal::ZERO {
        return fail("must be greater than 0".into());
    }
    Ok(value)
}

/// The fee on `amount` at `rate`, rounded half away from zero to the currency's scale.
pub fn fee(amount: Decimal, rate: Decimal, scale: u32) -> Decimal {
    (amount * rate).round_dp_with_strategy(scale, RoundingStrategy::MidpointAwayFromZero)
}

/// One day's yield of `principal` at annual `apr`, rounded down to the scale.
pub fn daily_yield(principal: Decimal, apr: Decimal, scale: u32) -> Decimal {
    (principal * apr / Decimal::from(365)).round_dp_with_strategy(scale, RoundingStrategy::ToZero)
}

/// A posting balances when its legs sum to zero and none is zero.
pub fn balanced(legs: &[(Uuid, Decimal)]) -> bool {
    legs.len() >= 2
        && legs.iter().all(|(_, d)| !d.is_zero())
        && legs.iter().map(|(_, d)| *d).sum::<Decimal>().is_zero()
}

/// An amount as shown: rounded to the currency's scale.
pub fn shown(amount: Decimal, scale: u32) -> Decimal {
    amount.round_dp(scale)
}

/// A ledger transaction to post.
pub struct Posting<'a> {
    pub kind: LedgerKind,
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

/// `($start::c0, $start+1::c1, ..), (..)`: `rows` tuples of `per_row` numbered parameters.
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

/// A wallet of a posting, locked.
#[derive(FromQueryResult)]
struct LockedWallet {
    id: Uuid,
    system_kind: Option<SystemWalletKind>,
    currency: String,
    balance: Decimal,
}

/// A wallet's balance after a posting.
#[derive(FromQueryResult)]
struct NewBalance {
    id: Uuid,
    balance: Decimal,
}

/// The one way money moves: locks the wallets in id order (so opposite transfers cannot
/// deadlock), refuses to take a user or pool wallet below zero (422 `insufficient_funds`),
/// updates the cached balances and writes the transaction and its entries, all inside the
/// caller's transaction.
pub async fn post(txn: &DatabaseTransaction, p: Posting<'_>) -> AppResult<Posted> {
    if !balanced(&p.legs) {
        return Err(AppError::internal(anyhow::anyhow!(
            "unbalanced posting of {}",
            p.kind
        )));
    }
    let mut ids: Vec<Uuid> = p.legs.iter().map(|(w, _)| *w).collect();
    ids.sort();
    ids.dedup();
    let locked: Vec<LockedWallet> = db::rows(
        txn,
        format!(
            "SELECT id, owner_id, system_kind, currency, balance FROM wallets WHERE id IN ({}) ORDER BY id FOR UPDATE",
            (1..=ids.len()).map(|i| format!("${i}")).collect::<Vec<_>>().join(", ")
        ),
        ids.iter().map(|i| (*i).into()),
    )
    .await?;
    if locked.len() != ids.len() {
        return Err(AppError::not_found("wallet"));
    }
    for wallet in &locked {
        if wallet.currency != p.currency {
            return Err(AppError::new(
                ErrorCode::CurrencyMismatch,
                "the wallets hold different currencies",
            ));
        }
        let delta: Decimal = p
            .legs
            .iter()
            .filter(|(w, _)| *w == wallet.id)
            .map(|(_, d)| *d)
            .sum();
        if wallet.system_kind != Some(SystemWalletKind::Treasury)
            && wallet.balance + delta < Decimal::ZERO
        {
            let who = if wallet.system_kind.is_some() {
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
    let updated: Vec<NewBalance> = db::rows(
        txn,
        format!(
            "UPDATE wallets w SET balance = w.balance + d.delta, updated_at = now() \
             FROM (VALUES {}) AS d (id, delta) WHERE w.id = d.id RETURNING w.id, w.balance",
            placeholders(1, n, 2, &["::uuid", "::numeric"])
        ),
        values,
    )
    .await?;
    let balances: Vec<(Uuid, Decimal)> = updated.into_iter().map(|b| (b.id, b.balance)).collect();
    let id = Uuid::now_v7();
    let created_at = Utc::now();
    let mut values: Vec<sea_orm::Value> = vec![
        id.into(),
        p.kind.as_str().into(),
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

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn d(s: &str) -> Decimal {
        s.parse().unwrap()
    }

    #[test]
    fn amounts_are_checked_not_rounded() {
        assert_eq!(parse_amount("12.50", 2, "#/amount").unwrap(), d("12.50"));
        assert_eq!(parse_amount("5", 2, "#/amount").unwrap(), d("5"));
        for bad in [
            "0",
            "0.00",
            "-1",
            "1.001",
            "abc",
            "",
            "1.",
            ".5",
            "1e3",
            "1 000",
            "9999999999999999999",
        ] {
            assert!(parse_amount(bad, 2, "#/amount").is_err(), "{bad}");
        }
        assert!(parse_amount("0.00000001", 8, "#/amount").is_ok());
        assert!(parse_amount("0.000000001", 8, "#/amount").is_err());
    }

    #[test]
    fn fees_yields_and_balance() {
        assert_eq!(fee(d("10.00"), d("0.01"), 2), d("0.10"));
        assert_eq!(fee(d("0.05"), d("0.1"), 2), d("0.01"));
        assert_eq!(daily_yield(d("365"), d("0.05"), 8), d("0.05"));
        let (a, b) = (Uuid::now_v7(), Uuid::now_v7());
        assert!(balanced(&[(a, d("-1")), (b, d("1"))]));
        assert!(!balanced(&[(a, d("-1")), (b, d("0.5"))]));
        assert!(!balanced(&[(a, d("0")), (b, d("0"))]));
    }
}
