//! The money functions other modules call, inside their own transactions: `pay` (into the
//! platform's course revenue), `refund` (a payment reversed once) and `reward` (AZR from the
//! rewards pool, once per dedupe key). Each is audited as platform work.

use entity::{ledger_entries, ledger_transactions, reward_grants};
use kernel::enums::{LedgerKind, SystemWalletKind};
use kernel::{AppError, AppResult, ErrorCode, RequestMeta, db};
use rust_decimal::Decimal;
use sea_orm::{
    ColumnTrait, DatabaseTransaction, EntityTrait, QueryFilter, QuerySelect, Set, TransactionTrait,
};
use uuid::Uuid;

use super::ledger::{Posting, post};
use super::wallets::{currency, ensure_wallet, system_wallet, wallet_id_of};
use crate::modules::audit::{self, AuditEvent};

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
    let from = wallet_id_of(txn, payer, &cur.code).await?.ok_or_else(|| {
        AppError::new(
            ErrorCode::InsufficientFunds,
            format!("you have no {} wallet", cur.code),
        )
    })?;
    let to = system_wallet(txn, SystemWalletKind::CourseRevenue, &cur.code).await?;
    let posted = post(
        txn,
        Posting {
            kind: LedgerKind::Payment,
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
        AuditEvent::new(
            Some(payer),
            "wallet.pay",
            "ledger_transaction",
            Some(posted.id.to_string()),
        )
        .details(serde_json::json!({
            "amount": amount.to_string(),
            "currency": cur.code,
            "reference": reference,
        })),
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
    let payment = ledger_transactions::Entity::find_by_id(payment_id)
        .filter(ledger_transactions::Column::Kind.eq(LedgerKind::Payment))
        .one(txn)
        .await?
        .ok_or_else(|| AppError::not_found("payment"))?;
    db::advisory_lock(txn, &payment_id.to_string()).await?;
    let done: Option<Uuid> = ledger_transactions::Entity::find()
        .select_only()
        .column(ledger_transactions::Column::Id)
        .filter(ledger_transactions::Column::Reverses.eq(payment_id))
        .into_tuple()
        .one(txn)
        .await?;
    if done.is_some() {
        return Err(AppError::new(
            ErrorCode::AlreadyRefunded,
            "this payment was refunded already",
        ));
    }
    let legs = ledger_entries::Entity::find()
        .filter(ledger_entries::Column::TransactionId.eq(payment_id))
        .all(txn)
        .await?
        .into_iter()
        .map(|e| (e.wallet_id, -e.amount))
        .collect();
    let posted = post(
        txn,
        Posting {
            kind: LedgerKind::Refund,
            currency: &payment.currency,
            amount: payment.amount,
            description,
            reference: Some(&payment_id.to_string()),
            initiated_by: payment.initiated_by,
            reverses: Some(payment_id),
            legs,
        },
    )
    .await?;
    audit::record(
        txn,
        AuditEvent::new(
            payment.initiated_by,
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
    let paid = reward_in(&txn, user_id, amount, reason, dedupe_key).await?;
    if paid.is_some() {
        txn.commit().await?;
    }
    Ok(paid)
}

/// [`reward`] inside the caller's transaction.
pub async fn reward_in(
    txn: &DatabaseTransaction,
    user_id: Uuid,
    amount: Decimal,
    reason: &str,
    dedupe_key: &str,
) -> AppResult<Option<Uuid>> {
    db::advisory_lock(txn, dedupe_key).await?;
    let paid = reward_grants::Entity::find_by_id(dedupe_key)
        .one(txn)
        .await?
        .is_some();
    if paid {
        return Ok(None);
    }
    let amount = amount.round_dp(8);
    if amount <= Decimal::ZERO {
        return Ok(None);
    }
    let to = ensure_wallet(txn, user_id, "AZR").await?;
    let pool = system_wallet(txn, SystemWalletKind::RewardsPool, "AZR").await?;
    let posted = post(
        txn,
        Posting {
            kind: LedgerKind::Reward,
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
    reward_grants::Entity::insert(reward_grants::ActiveModel {
        dedupe_key: Set(dedupe_key.to_owned()),
        user_id: Set(user_id),
        transaction_id: Set(posted.id),
        amount: Set(amount),
        reason: Set(reason.to_owned()),
        ..Default::default()
    })
    .exec_without_returning(txn)
    .await?;
    audit::record(
        txn,
        AuditEvent::new(
            Some(user_id),
            "wallet.reward",
            "ledger_transaction",
            Some(posted.id.to_string()),
        )
        .details(serde_json::json!({
            "amount": amount.to_string(),
            "reason": reason,
            "dedupe_key": dedupe_key,
        })),
        &RequestMeta::system(),
    )
    .await?;
    Ok(Some(posted.id))
}
