//! Demo money for the seeded accounts, through the module's own services: every demo user is
//! credited AZR and ZAR from the treasury (`mint_in`), three transfers run between them
//! (`transfer_in`, with the configured fee), and the student stakes AZR (`stake_in`). All in
//! one transaction; the mints carry the reference `seed:demo`, so a second run finds them and
//! posts nothing.

use entity::ledger_transactions;
use kernel::{AppError, AppResult, RequestMeta, db};
use rust_decimal::Decimal;
use sea_orm::{
    ColumnTrait, DatabaseTransaction, EntityTrait, QueryFilter, QuerySelect, TransactionTrait,
};
use uuid::Uuid;

use super::staking::stake_in;
use super::transfers::{Mint, Transfer, mint_in, transfer_in};
use super::wallets::{WalletRow, currency, ensure_wallet, user_wallet};
use crate::state::AppState;

/// The reference of the demo postings.
const REFERENCE: &str = "seed:demo";

/// (currency, amount) credited to every demo user.
const MINTS: [(&str, &str); 2] = [("AZR", "1000"), ("ZAR", "500.00")];

/// (sender, recipient) as indexes into the demo users, currency, amount.
const TRANSFERS: [(usize, usize, &str, &str); 3] = [
    (0, 1, "ZAR", "25.00"),
    (1, 0, "AZR", "10"),
    (2, 0, "ZAR", "50.00"),
];

/// Seeds the demo wallets (idempotent). Returns the transactions posted.
pub async fn seed_demo(state: &AppState) -> AppResult<u64> {
    let settings = &state.settings.wallet;
    let txn = state.db.begin().await?;
    db::advisory_lock(&txn, "seed:demo-wallets").await?;
    let done: Option<Uuid> = ledger_transactions::Entity::find()
        .select_only()
        .column(ledger_transactions::Column::Id)
        .filter(ledger_transactions::Column::Reference.eq(REFERENCE))
        .into_tuple()
        .one(&txn)
        .await?;
    let mut users = Vec::new();
    for (id, ..) in ::seed::DEMO_USERS {
        let id: Uuid = id.parse().map_err(AppError::internal)?;
        if db::exists(&txn, "SELECT 1 FROM users WHERE id = $1", [id.into()]).await? {
            users.push(id);
        }
    }
    if done.is_some() || users.len() < 3 {
        return Ok(0);
    }
    let meta = RequestMeta::system();
    let mut posted = 0;
    for user in &users {
        for (code, amount) in MINTS {
            let cur = currency(&txn, code, "#/currency").await?;
            mint_in(
                &txn,
                None,
                &meta,
                Mint {
                    user_id: *user,
                    currency: &cur,
                    amount: demo_amount(amount)?,
                    description: "demo data",
                    reference: Some(REFERENCE),
                },
            )
            .await?;
            posted += 1;
        }
    }
    for (from, to, code, amount) in TRANSFERS {
        let sender = wallet(&txn, users[from], code).await?;
        let recipient = wallet(&txn, users[to], code).await?;
        let transfer = Transfer::checked(
            &sender,
            &recipient,
            demo_amount(amount)?,
            settings.transfer_fee_rate,
            "demo data",
            Some(REFERENCE),
        )?;
        transfer_in(&txn, users[from], &meta, &transfer).await?;
        posted += 1;
    }
    stake_in(
        &txn,
        users[0],
        &meta,
        Decimal::from(100),
        30,
        settings.stake_apr_30,
    )
    .await?;
    txn.commit().await?;
    Ok(posted + 1)
}

fn demo_amount(amount: &str) -> AppResult<Decimal> {
    amount.parse().map_err(AppError::internal)
}

/// The user's wallet in `currency`, opened if missing.
async fn wallet(txn: &DatabaseTransaction, user: Uuid, currency: &str) -> AppResult<WalletRow> {
    let id = ensure_wallet(txn, user, currency).await?;
    user_wallet(txn, id)
        .await?
        .ok_or_else(|| AppError::not_found("wallet"))
}
