//! `wallet`: multi-currency wallets over a double-entry ledger, transfers, mint, staking, and
//! the money functions other modules call (`pay`, `refund`, `reward`).
//!
//! Owns `currencies`, `wallets`, `ledger_transactions`, `ledger_entries`, `idempotency_keys`,
//! `reward_grants`, `stakes`, `stake_accruals`, `economic_snapshots`. Rules: money moves only
//! through `service::post`, which locks the wallets in id order, refuses to take a user or pool
//! wallet below zero (a check constraint guards it too), and writes a transaction whose entries
//! sum to zero, each with the balance after it; the ledger is append-only (a trigger refuses
//! edits: corrections are reversing transactions); only the treasury goes negative, by what it
//! issued. Amounts are decimal strings checked against the currency's scale, never rounded.
//! Transfers need an `Idempotency-Key`. Early unstaking is refused; rewards accrue daily by
//! the background job, once per stake and day.

pub mod dto;
pub mod ledger;
mod routes;
pub mod service;

use std::time::Duration;

use sea_orm::DatabaseConnection;
use tokio::sync::watch;
use tokio::task::JoinHandle;
use utoipa_actix_web::service_config::ServiceConfig;

use crate::config::Settings;

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

/// The background job: accrues stake rewards and refreshes today's economic snapshot every
/// `wallet.job_interval_secs` (and once at start).
pub struct WalletJob {
    stop: watch::Sender<bool>,
    task: JoinHandle<()>,
}

impl WalletJob {
    pub fn spawn(db: DatabaseConnection, settings: Settings) -> WalletJob {
        let (stop, mut stopped) = watch::channel(false);
        let interval = Duration::from_secs(settings.wallet.job_interval_secs);
        let task = tokio::spawn(async move {
            loop {
                let today = chrono::Utc::now().date_naive();
                match service::accrue_stakes(&db, today).await {
                    Ok(paid) if paid > 0 => tracing::info!(paid, "staking rewards accrued"),
                    Ok(_) => {}
                    Err(e) => tracing::warn!(error = %e, "staking job failed; retrying next run"),
                }
                if let Err(e) = service::snapshot(&db, today).await {
                    tracing::warn!(error = %e, "economic snapshot failed; retrying next run");
                }
                tokio::select! {
                    _ = tokio::time::sleep(interval) => {}
                    _ = stopped.changed() => break,
                }
            }
        });
        WalletJob { stop, task }
    }

    pub async fn stop(self) {
        let _ = self.stop.send(true);
        let _ = self.task.await;
    }
}
