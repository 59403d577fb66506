//! The database pool: creating the database when it is missing, connecting with retries and
//! backoff at start-up, and applying migrations under an advisory lock so that several
//! instances starting together migrate once.

use std::time::Duration;

use migration::{Migrator, MigratorTrait};
use sea_orm::{
    ConnectOptions, ConnectionTrait, Database, DatabaseConnection, DbErr, Statement,
    TransactionTrait,
};

use crate::config::DatabaseSettings;

/// Key of the advisory lock held while migrating ("azora" in ASCII).
const MIGRATION_LOCK: i64 = 0x0061_7a6f_7261;

/// Connects the pool, retrying while Postgres is unreachable.
pub async fn connect(cfg: &DatabaseSettings) -> anyhow::Result<DatabaseConnection> {
    if cfg.create_if_missing {
        retry(cfg, "create database", || {
            create_database_if_missing(&cfg.url)
        })
        .await?;
    }
    retry(cfg, "connect", || async {
        let db = Database::connect(options(cfg, &cfg.url)).await?;
        db.execute_unprepared("SELECT 1").await?;
        Ok(db)
    })
    .await
}

/// A lazily connecting pool of `size` connections for one HTTP worker (opened on first use, in
/// the worker's runtime). The URL was validated when the settings loaded.
pub fn worker_pool(cfg: &DatabaseSettings, size: u32) -> DatabaseConnection {
    use sea_orm::sqlx::postgres::{PgConnectOptions, PgPoolOptions};
    let connect = cfg.url.parse::<PgConnectOptions>().unwrap_or_default();
    let pool = PgPoolOptions::new()
        .max_connections(size)
        .min_connections(cfg.min_connections.min(size))
        .acquire_timeout(Duration::from_secs(cfg.acquire_timeout_secs))
        .idle_timeout(Duration::from_secs(cfg.idle_timeout_secs))
        .max_lifetime(Duration::from_secs(cfg.max_lifetime_secs))
        .test_before_acquire(false)
        .connect_lazy_with(connect);
    sea_orm::SqlxPostgresConnector::from_sqlx_postgres_pool(pool)
}

/// The stream hub's own small pool: its one read per wake-up is planned afresh every time
/// (`plan_cache_mode = force_custom_plan`). A cached generic plan made while `stream_events`
/// was nearly empty scans the whole log once per subscriber until the next ANALYZE.
pub fn stream_pool(cfg: &DatabaseSettings) -> DatabaseConnection {
    use sea_orm::sqlx::postgres::{PgConnectOptions, PgPoolOptions};
    let connect = cfg
        .url
        .parse::<PgConnectOptions>()
        .unwrap_or_default()
        .options([("plan_cache_mode", "force_custom_plan")]);
    let pool = PgPoolOptions::new()
        .max_connections(2)
        .min_connections(0)
        .acquire_timeout(Duration::from_secs(cfg.acquire_timeout_secs))
        .idle_timeout(Duration::from_secs(cfg.idle_timeout_secs))
        .max_lifetime(Duration::from_secs(cfg.max_lifetime_secs))
        .connect_lazy_with(connect);
    sea_orm::SqlxPostgresConnector::from_sqlx_postgres_pool(pool)
}

/// The pool options from settings.
pub fn options(cfg: &DatabaseSettings, url: &str) -> ConnectOptions {
    let mut opt = ConnectOptions::new(url.to_owned());
    opt.max_connections(cfg.max_connections)
        .min_connections(cfg.min_connections)
        .connect_timeout(Duration::from_secs(cfg.connect_timeout_secs))
        .acquire_timeout(Duration::from_secs(cfg.acquire_timeout_secs))
        .idle_timeout(Duration::from_secs(cfg.idle_timeout_secs))
        .max_lifetime(Duration::from_secs(cfg.max_lifetime_secs))
        // A ping before every checkout doubles the round trips; only check connections that
        // sat idle long enough to have been cut (after a Postgres restart a broken one fails
        // once with 503 and is dropped).
        .test_before_acquire(false)
        .sqlx_logging(false);
    opt
}

async fn retry<T, F, Fut>(cfg: &DatabaseSettings, what: &str, mut f: F) -> anyhow::Result<T>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, DbErr>>,
{
    let mut delay = Duration::from_millis(cfg.retry_backoff_ms.max(1));
    let mut attempt = 0;
    loop {
        attempt += 1;
        match f().await {
            Ok(v) => return Ok(v),
            Err(e) if attempt <= cfg.connect_retries && kernel::error::is_unavailable(&e) => {
                tracing::warn!(attempt, retry_in_ms = delay.as_millis() as u64, error = %e, "database {what} failed; retrying");
                tokio::time::sleep(delay).await;
                delay = (delay * 2).min(Duration::from_secs(10));
            }
            Err(e) => {
                return Err(anyhow::anyhow!(
                    "database {what} failed after {attempt} attempt(s): {e}"
                ));
            }
        }
    }
}

/// Creates the database named in `url` when it does not exist, through the `postgres`
/// maintenance database of the same server.
pub async fn create_database_if_missing(url: &str) -> Result<(), DbErr> {
    let (admin_url, name) = split_url(url)?;
    let admin = Database::connect(admin_url).await?;
    let exists = admin
        .query_one_raw(Statement::from_sql_and_values(
            admin.get_database_backend(),
            "SELECT 1 AS one FROM pg_database WHERE datname = $1",
            [name.clone().into()],
        ))
        .await?
        .is_some();
    if !exists {
        tracing::info!(database = %name, "creating database");
        let res = admin
            .execute_unprepared(&format!("CREATE DATABASE {}", quote_ident(&name)))
            .await;
        // Another instance may have created it in the meantime.
        if let Err(e) = res
            && !e.to_string().contains("already exists")
        {
            return Err(e);
        }
    }
    admin.close().await
}

/// `(url of the maintenance database, database name)`.
pub fn split_url(url: &str) -> Result<(String, String), DbErr> {
    let mut parsed =
        url::Url::parse(url).map_err(|e| DbErr::Custom(format!("bad database url: {e}")))?;
    let name = parsed.path().trim_start_matches('/').to_owned();
    if name.is_empty() {
        return Err(DbErr::Custom("the database url names no database".into()));
    }
    parsed.set_path("/postgres");
    Ok((parsed.to_string(), name))
}

pub fn quote_ident(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// Applies pending migrations in one transaction under an advisory lock.
pub async fn migrate_up(db: &DatabaseConnection) -> Result<(), DbErr> {
    let txn = db.begin().await?;
    txn.execute_unprepared(&format!("SELECT pg_advisory_xact_lock({MIGRATION_LOCK})"))
        .await?;
    Migrator::up(&txn, None).await?;
    txn.commit().await
}

/// Names of migrations not yet applied.
pub async fn pending_migrations(db: &DatabaseConnection) -> Result<Vec<String>, DbErr> {
    Ok(Migrator::get_pending_migrations(db)
        .await?
        .iter()
        .map(|m| m.name().to_owned())
        .collect())
}
