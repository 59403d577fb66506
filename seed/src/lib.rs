//! Idempotent demo data for `azora seed`: running it twice leaves the same rows as once.
//!
//! Each module adds its own step here as it lands; a step inserts rows with fixed ids or
//! natural keys and `ON CONFLICT DO NOTHING`, so it never duplicates or overwrites what an
//! operator changed.

use sea_orm::{ConnectionTrait, DatabaseConnection, DbErr, Statement, TransactionTrait};

/// What one seed run inserted, per step.
#[derive(Debug, Default, Clone)]
pub struct SeedReport {
    pub steps: Vec<(&'static str, u64)>,
}

/// Inserts the demo data in one transaction.
pub async fn run(db: &DatabaseConnection) -> Result<SeedReport, DbErr> {
    let txn = db.begin().await?;
    let mut report = SeedReport::default();
    report
        .steps
        .push(("platform_settings", platform_settings(&txn).await?));
    txn.commit().await?;
    Ok(report)
}

async fn platform_settings<C: ConnectionTrait>(db: &C) -> Result<u64, DbErr> {
    let rows: [(&str, &str, serde_json::Value, &str); 3] = [
        (
            "01936b2e-0000-7000-8000-000000000101",
            "platform.tagline",
            serde_json::json!("Learn, earn and prove it"),
            "Shown under the platform name",
        ),
        (
            "01936b2e-0000-7000-8000-000000000102",
            "platform.default_currency",
            serde_json::json!("AZR"),
            "Currency shown first in wallets",
        ),
        (
            "01936b2e-0000-7000-8000-000000000103",
            "platform.demo",
            serde_json::json!(true),
            "This database holds demo data",
        ),
    ];
    let mut inserted = 0;
    for (id, key, value, description) in rows {
        let id: uuid::Uuid = id
            .parse()
            .map_err(|e| DbErr::Custom(format!("bad seed id {id}: {e}")))?;
        let res = db
            .execute_raw(Statement::from_sql_and_values(
                db.get_database_backend(),
                "INSERT INTO platform_settings (id, key, value, description, is_public) \
                 VALUES ($1, $2, $3, $4, true) ON CONFLICT (key) DO NOTHING",
                [id.into(), key.into(), value.into(), description.into()],
            ))
            .await?;
        inserted += res.rows_affected();
    }
    tracing::info!(inserted, "seeded platform settings");
    Ok(inserted)
}
