//! `wallet`: multi-currency wallets over a double-entry ledger, transfers, mint, staking, and
//! the money functions other modules call (`pay`, `refund`, `reward`).
//!
//! Owns `currencies`, `wallets`, `ledger_transactions`, `ledger_entries`, `reward_grants`,
//! `stakes`, `stake_accruals`, `economic_snapshots` (transfers store their results in the
//! kernel's `idempotency_keys`). Rules: money moves only through `ledger::post`, which locks
//! the wallets in id order, refuses to take a user or pool wallet below zero (a check
//! constraint guards it too), and writes a transaction whose entries sum to zero, each with
//! the balance after it; the ledger is append-only (a trigger refuses edits: corrections are
//! reversing transactions); only the treasury goes negative, by what it issued. Amounts are
//! decimal strings checked against the currency's scale, never rounded. Transfers need an
//! `Idempotency-Key`. Early unstaking is refused; rewards accrue daily by the background job,
//! once per stake and day.
//!
//! Files: `wallets` (currencies, a user's wallets and history), `ledger` (money rules and
//! posting), `transfers` (transfers and mints), `payments` (pay, refund, reward), `staking`
//! (stakes and their daily accrual), `reports` (reconcile, metrics, snapshots), `job` (the
//! background job), `seed` (demo money through the services above).

mod dto;
mod job;
mod ledger;
mod payments;
mod reports;
mod routes;
mod seed;
mod staking;
mod transfers;
mod wallets;

pub use job::WalletJob;
pub use ledger::{Posting, parse_amount, post};
pub use payments::{pay, refund, reward, reward_in};
pub use seed::seed_demo;
pub use staking::accrue_stakes;
pub use transfers::{Mint, mint_in};
pub use wallets::{Currency, currency, ensure_wallet, system_wallet};

use utoipa_actix_web::service_config::ServiceConfig;

pub fn routes(cfg: &mut ServiceConfig) {
    cfg.service(routes::list_wallets)
        .service(routes::open_wallet)
        .service(routes::get_wallet)
        .service(routes::list_wallet_transactions)
        .service(routes::create_transfer)
        .service(routes::list_stakes)
        .service(routes::create_stake)
        .service(routes::unstake)
        .service(routes::mint)
        .service(routes::reconcile)
        .service(routes::wallet_metrics);
}
