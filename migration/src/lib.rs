//! Azora's schema, as versioned migrations: one file per module step, never edited once landed.
//!
//! Migrations are plain Postgres SQL (the database is Postgres only), so constraints, partial
//! and GIN indexes read exactly as they run. This crate depends on nothing of Azora's, so old
//! migrations keep compiling whatever the application becomes.

pub use sea_orm_migration::prelude::*;

mod m20261122_000001_platform;
mod m20261122_000002_identity;
mod m20261122_000003_mail_outbox;
mod m20261122_000004_wallet;
mod m20261122_000005_lms;
mod m20261122_000006_assessments;
mod m20261130_000007_self_service_permissions;
mod m20261130_000008_audit_sealer_and_keys;
mod m20261130_000009_certificates;
mod m20261130_000010_realtime_chat;
mod m20261130_000011_forums;

/// Every migration, in the order it applies.
pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261122_000001_platform::Migration),
            Box::new(m20261122_000002_identity::Migration),
            Box::new(m20261122_000003_mail_outbox::Migration),
            Box::new(m20261122_000004_wallet::Migration),
            Box::new(m20261122_000005_lms::Migration),
            Box::new(m20261122_000006_assessments::Migration),
            Box::new(m20261130_000007_self_service_permissions::Migration),
            Box::new(m20261130_000008_audit_sealer_and_keys::Migration),
            Box::new(m20261130_000009_certificates::Migration),
            Box::new(m20261130_000010_realtime_chat::Migration),
            Box::new(m20261130_000011_forums::Migration),
        ]
    }
}

/// Runs each `;`-terminated statement of `sql` in order (Postgres accepts several statements
/// in one unprepared call, which keeps each migration one readable SQL text).
pub async fn run_sql(manager: &SchemaManager<'_>, sql: &str) -> Result<(), DbErr> {
    manager
        .get_connection()
        .execute_unprepared(sql)
        .await
        .map(|_| ())
}
