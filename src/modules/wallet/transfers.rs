//! Transfers between users' wallets (once per `Idempotency-Key`) and mints from the treasury.
//!
//! A transfer is checked (two different user wallets, one currency, the fee worked out) before
//! its transaction opens; inside it, the key's lock and replay come first, then the posting,
//! the stored result, and the audit record last (the audit chain's lock is held until commit,
//! so as little as possible runs after it). `bench/wallet.sh` replays these statements: keep
//! their number and order.

use kernel::enums::{LedgerKind, SystemWalletKind};
use kernel::idempotency;
use kernel::{Actor, AppError, AppResult, ErrorCode, FieldError, RequestMeta, Scope};
use rust_decimal::Decimal;
use sea_orm::{DatabaseTransaction, TransactionTrait};
use uuid::Uuid;

use super::dto::{MintRequest, TransactionResponse, TransferRequest};
use super::ledger::{self, Posting, post, shown};
use super::wallets::{
    Currency, WalletRow, currency, ensure_wallet, own_wallet, system_wallet, user_wallet,
    wallet_of_email,
};
use crate::modules::audit::{self, AuditEvent};
use crate::modules::identity;
use crate::state::AppState;

/// A transfer ready to post: two different user wallets in one currency, a positive amount in
/// its scale, and the sender's fee on top.
pub(super) struct Transfer<'a> {
    pub from: &'a WalletRow,
    pub to: &'a WalletRow,
    pub amount: Decimal,
    pub fee: Decimal,
    pub description: &'a str,
    pub reference: Option<&'a str>,
}

impl<'a> Transfer<'a> {
    /// Checks the wallets (422 `self_transfer`, `currency_mismatch`) and works out the fee at
    /// `fee_rate`.
    pub fn checked(
        from: &'a WalletRow,
        to: &'a WalletRow,
        amount: Decimal,
        fee_rate: Decimal,
        description: &'a str,
        reference: Option<&'a str>,
    ) -> AppResult<Self> {
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
        Ok(Transfer {
            from,
            to,
            amount,
            fee: ledger::fee(amount, fee_rate, from.scale()),
            description,
            reference,
        })
    }
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
    let amount = req.amount.positive_in_scale(from.scale(), "#/amount")?;
    let to = match (&req.to_wallet_id, &req.to_email) {
        (Some(id), None) => user_wallet(&state.db, *id).await?,
        (None, Some(email)) => wallet_of_email(&state.db, email, &from.currency).await?,
        _ => {
            return Err(AppError::validation(vec![FieldError::new(
                "#/to_wallet_id",
                "give exactly one of `to_wallet_id` or `to_email`",
            )]));
        }
    };
    let to = to.ok_or_else(|| AppError::not_found("recipient wallet"))?;
    let t = Transfer::checked(
        &from,
        &to,
        amount,
        state.settings.wallet.transfer_fee_rate,
        req.description.trim(),
        None,
    )?;
    let txn = state.db.begin().await?;
    // Twins with one key run one after the other; the later one answers with the first's result.
    idempotency::lock(&txn, user.id, "transfer", key).await?;
    if let Some(done) = idempotency::replay(&txn, user.id, "transfer", key, &hash).await? {
        return Ok(done);
    }
    let response = post_transfer(&txn, user.id, &t).await?;
    let stored = idempotency::store(&txn, user.id, "transfer", key, &hash, 201, &response).await?;
    if !stored {
        // A twin request with the same key committed first: undo ours, answer with its result.
        txn.rollback().await?;
        return idempotency::replay(&state.db, user.id, "transfer", key, &hash)
            .await?
            .ok_or_else(|| AppError::new(ErrorCode::IdempotencyKeyInUse, "retry this request"));
    }
    audit_transfer(&txn, user.id, client, &t, &response).await?;
    txn.commit().await?;
    Ok(response)
}

/// Posts a checked transfer by user `by` and audits it, inside the caller's transaction (the
/// route does the same two steps with the Idempotency-Key's result stored in between).
pub(super) async fn transfer_in(
    txn: &DatabaseTransaction,
    by: Uuid,
    meta: &RequestMeta,
    t: &Transfer<'_>,
) -> AppResult<TransactionResponse> {
    let response = post_transfer(txn, by, t).await?;
    audit_transfer(txn, by, meta, t, &response).await?;
    Ok(response)
}

/// The posting of a transfer: the sender pays amount and fee, the recipient gets the amount,
/// the fees wallet the fee.
async fn post_transfer(
    txn: &DatabaseTransaction,
    by: Uuid,
    t: &Transfer<'_>,
) -> AppResult<TransactionResponse> {
    let (from, to, currency) = (t.from.id, t.to.id, &t.from.currency);
    let mut legs = vec![(from, -(t.amount + t.fee)), (to, t.amount)];
    if !t.fee.is_zero() {
        legs.push((
            system_wallet(txn, SystemWalletKind::Fees, currency).await?,
            t.fee,
        ));
    }
    let posted = post(
        txn,
        Posting {
            kind: LedgerKind::Transfer,
            currency,
            amount: t.amount,
            description: t.description,
            reference: t.reference,
            initiated_by: Some(by),
            reverses: None,
            legs,
        },
    )
    .await?;
    let scale = t.from.scale();
    Ok(TransactionResponse {
        id: posted.id,
        kind: LedgerKind::Transfer.to_string(),
        currency: currency.clone(),
        amount: shown(t.amount, scale),
        fee: shown(t.fee, scale),
        from_wallet_id: Some(from),
        to_wallet_id: Some(to),
        balance_after: posted.balance_of(from).map(|b| shown(b, scale)),
        description: t.description.to_owned(),
        created_at: posted.created_at,
    })
}

async fn audit_transfer(
    txn: &DatabaseTransaction,
    by: Uuid,
    meta: &RequestMeta,
    t: &Transfer<'_>,
    posted: &TransactionResponse,
) -> AppResult<()> {
    audit::record(
        txn,
        AuditEvent::new(
            Some(by),
            "wallet.transfer",
            "ledger_transaction",
            Some(posted.id.to_string()),
        )
        .details(serde_json::json!({
            "from": t.from.id,
            "to": t.to.id,
            "currency": t.from.currency,
            "amount": t.amount.to_string(),
            "fee": t.fee.to_string(),
        })),
        meta,
    )
    .await?;
    Ok(())
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
    let minted = mint_in(
        &txn,
        Some(user.id),
        client,
        Mint {
            user_id: req.user_id,
            currency: &cur,
            amount,
            description: req.description.trim(),
            reference: None,
        },
    )
    .await?;
    txn.commit().await?;
    Ok(minted)
}

/// A credit from the treasury.
pub struct Mint<'a> {
    /// The credited user (live: else 422 at `#/user_id`); their wallet opens if missing.
    pub user_id: Uuid,
    pub currency: &'a Currency,
    /// Positive, in the currency's scale.
    pub amount: Decimal,
    pub description: &'a str,
    pub reference: Option<&'a str>,
}

/// Credits `m.user_id` from the treasury, audited, inside the caller's transaction. `by` is
/// who mints: `None` for the platform itself (seeds).
pub async fn mint_in(
    txn: &DatabaseTransaction,
    by: Option<Uuid>,
    meta: &RequestMeta,
    m: Mint<'_>,
) -> AppResult<TransactionResponse> {
    let cur = m.currency;
    identity::require_live_user(txn, m.user_id, "#/user_id").await?;
    let to = ensure_wallet(txn, m.user_id, &cur.code).await?;
    let treasury = system_wallet(txn, SystemWalletKind::Treasury, &cur.code).await?;
    let posted = post(
        txn,
        Posting {
            kind: LedgerKind::Mint,
            currency: &cur.code,
            amount: m.amount,
            description: m.description,
            reference: m.reference,
            initiated_by: by,
            reverses: None,
            legs: vec![(treasury, -m.amount), (to, m.amount)],
        },
    )
    .await?;
    audit::record(
        txn,
        AuditEvent::new(
            by,
            "wallet.mint",
            "ledger_transaction",
            Some(posted.id.to_string()),
        )
        .details(serde_json::json!({
            "user_id": m.user_id,
            "currency": cur.code,
            "amount": m.amount.to_string(),
        })),
        meta,
    )
    .await?;
    Ok(TransactionResponse {
        id: posted.id,
        kind: LedgerKind::Mint.to_string(),
        currency: cur.code.clone(),
        amount: shown(m.amount, cur.scale),
        fee: shown(Decimal::ZERO, cur.scale),
        from_wallet_id: Some(treasury),
        to_wallet_id: Some(to),
        balance_after: posted.balance_of(to).map(|b| shown(b, cur.scale)),
        description: m.description.to_owned(),
        created_at: posted.created_at,
    })
}
