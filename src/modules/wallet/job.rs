//! The wallet's background job: accrues stake rewards and refreshes today's economic snapshot
//! every `wallet.job_interval_secs` (and once at start).

use std::time::Duration;

use sea_orm::DatabaseConnection;
use tokio::sync::watch;
use tokio::task::JoinHandle;

use super::reports::snapshot;
use super::staking::accrue_stakes;
use crate::config::Settings;

/// The running job; [`WalletJob::stop`] ends it after the current round.
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
                match accrue_stakes(&db, today).await {
                    Ok(paid) if paid > 0 => tracing::info!(paid, "staking rewards accrued"),
                    Ok(_) => {}
                    Err(e) => tracing::warn!(error = %e, "staking job failed; retrying next run"),
                }
                if let Err(e) = snapshot(&db, today).await {
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
