//! The sealer: one per database, whatever the number of instances. Each instance runs this
//! loop; the one holding the session-level advisory lock `SEALER_LEADER` on its own
//! connection seals continuously and signs checkpoints, the others poll for the lock and take
//! over within `audit.failover_poll_ms` when the leader's connection ends (process stopped or
//! killed: Postgres releases the lock with the session). Correctness does not rest on the
//! election: every pass also takes a transaction-level lock and seals in a deterministic order.

use std::time::{Duration, Instant};

use kernel::AppResult;
use sea_orm::{ConnectOptions, ConnectionTrait, Database, DatabaseConnection, FromQueryResult};
use tokio::sync::watch;
use tokio::task::JoinHandle;

use super::service::{SEAL_BATCH, checkpoint, seal_pass};
use crate::state::AppState;

/// Key of the leader's session-level advisory lock ("sealer" in ASCII).
const SEALER_LEADER: i64 = 0x7365_616c_6572;

pub struct Sealer {
    stop: watch::Sender<bool>,
    task: JoinHandle<()>,
}

impl Sealer {
    /// Starts the loop of this instance. Must be called inside a Tokio runtime.
    pub fn spawn(state: AppState) -> Sealer {
        let (stop, stop_rx) = watch::channel(false);
        let task = tokio::spawn(run(state, stop_rx));
        Sealer { stop, task }
    }

    /// Stops the loop; its connection closes, which hands the leadership on.
    pub async fn stop(self) {
        let _ = self.stop.send(true);
        if let Err(e) = self.task.await {
            tracing::error!(error = %e, "audit sealer ended abnormally");
        }
    }
}

#[derive(FromQueryResult)]
struct Flag {
    v: bool,
}

/// Whether this connection's session holds the leader lock, taking it if it is free.
async fn lead(db: &DatabaseConnection) -> AppResult<bool> {
    let held: Option<Flag> = kernel::db::row(
        db,
        "SELECT EXISTS (SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND granted \
           AND pid = pg_backend_pid() AND objid = ($1::bigint & 4294967295)::oid \
           AND classid = ($1::bigint >> 32)::oid) AS v",
        [SEALER_LEADER.into()],
    )
    .await?;
    if held.is_some_and(|f| f.v) {
        return Ok(true);
    }
    let got: Option<Flag> = kernel::db::row(
        db,
        "SELECT pg_try_advisory_lock($1) AS v",
        [SEALER_LEADER.into()],
    )
    .await?;
    Ok(got.is_some_and(|f| f.v))
}

async fn connect(state: &AppState) -> Option<DatabaseConnection> {
    let cfg = &state.settings.database;
    let mut opt = ConnectOptions::new(cfg.url.clone());
    opt.max_connections(1)
        .min_connections(1)
        .connect_timeout(Duration::from_secs(cfg.connect_timeout_secs))
        .acquire_timeout(Duration::from_secs(cfg.acquire_timeout_secs.max(1)))
        .sqlx_logging(false);
    match Database::connect(opt).await {
        Ok(db) => Some(db),
        Err(e) => {
            tracing::warn!(error = %e, "audit sealer cannot connect; retrying");
            None
        }
    }
}

async fn run(state: AppState, mut stop: watch::Receiver<bool>) {
    let settings = state.settings.audit.clone();
    let pause = Duration::from_millis(settings.seal_interval_ms.max(1));
    let poll = Duration::from_millis(settings.failover_poll_ms.max(1));
    let every = Duration::from_secs(settings.checkpoint_interval_secs.max(1));
    let mut db: Option<DatabaseConnection> = None;
    let mut leading = false;
    let mut last_checkpoint = Instant::now();
    loop {
        if *stop.borrow() {
            break;
        }
        if db.is_none() {
            db = connect(&state).await;
        }
        let wait = match &db {
            None => poll,
            Some(conn) => match lead(conn).await {
                Ok(true) => {
                    if !leading {
                        tracing::info!("this instance now seals the audit trail");
                        leading = true;
                    }
                    let sealed = match seal_pass(conn).await {
                        Ok(n) => n,
                        Err(e) => {
                            tracing::warn!(error = %e, "audit seal pass failed");
                            0
                        }
                    };
                    if last_checkpoint.elapsed() >= every {
                        last_checkpoint = Instant::now();
                        if let Err(e) = checkpoint(&state, conn).await {
                            tracing::warn!(error = %e, "audit checkpoint failed");
                        }
                    }
                    if sealed >= SEAL_BATCH {
                        Duration::ZERO
                    } else {
                        pause
                    }
                }
                Ok(false) => {
                    leading = false;
                    poll
                }
                Err(e) => {
                    tracing::warn!(error = %e, "audit sealer lost its connection");
                    leading = false;
                    if let Some(conn) = db.take() {
                        let _ = conn.close().await;
                    }
                    poll
                }
            },
        };
        if !wait.is_zero() {
            tokio::select! {
                _ = tokio::time::sleep(wait) => {}
                _ = stop.changed() => {}
            }
        }
    }
    if let Some(conn) = db {
        // Closing the session releases the leader lock at once.
        let _ = conn
            .execute_unprepared("SELECT pg_advisory_unlock_all()")
            .await;
        let _ = conn.close().await;
    }
}
