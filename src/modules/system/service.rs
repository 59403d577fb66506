//! Platform settings and schema state.

use std::collections::BTreeMap;

use entity::platform_settings;
use kernel::{AppResult, db};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder};

/// One round trip that proves the database answers.
pub async fn ping(db: &impl ConnectionTrait) -> AppResult<()> {
    db.execute_unprepared("SELECT 1").await?;
    Ok(())
}

/// The public settings, by key.
pub async fn public_settings(
    db: &impl ConnectionTrait,
) -> AppResult<BTreeMap<String, serde_json::Value>> {
    let rows = platform_settings::Entity::find()
        .filter(platform_settings::Column::IsPublic.eq(true))
        .order_by_asc(platform_settings::Column::Key)
        .all(db)
        .await?;
    Ok(rows.into_iter().map(|r| (r.key, r.value)).collect())
}

/// Name of the newest applied migration.
pub async fn schema_version(db: &impl ConnectionTrait) -> AppResult<Option<String>> {
    Ok(db::scalar(
        db,
        "SELECT version FROM seaql_migrations ORDER BY version DESC LIMIT 1",
        [],
    )
    .await?)
}
