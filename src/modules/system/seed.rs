//! The demo platform settings of `azora seed` (`seed::DEMO_SETTINGS`), public. Idempotent: a
//! key that exists keeps the value an operator gave it.

use entity::platform_settings;
use kernel::{AppError, AppResult};
use sea_orm::sea_query::OnConflict;
use sea_orm::{EntityTrait, Set, TransactionTrait};
use uuid::Uuid;

use crate::state::AppState;

/// Adds the demo settings whose keys do not exist yet; returns how many it added.
pub async fn seed_demo(state: &AppState) -> AppResult<u64> {
    let txn = state.db.begin().await?;
    let mut inserted = 0;
    for (id, key, value, description) in seed::DEMO_SETTINGS {
        let id: Uuid = id.parse().map_err(AppError::internal)?;
        let value: serde_json::Value = serde_json::from_str(value)?;
        inserted += platform_settings::Entity::insert(platform_settings::ActiveModel {
            id: Set(id),
            key: Set(key.to_owned()),
            value: Set(value),
            description: Set(description.to_owned()),
            is_public: Set(true),
            ..Default::default()
        })
        .on_conflict(
            OnConflict::column(platform_settings::Column::Key)
                .do_nothing()
                .to_owned(),
        )
        .exec_without_returning(&txn)
        .await?;
    }
    txn.commit().await?;
    tracing::info!(inserted, "seeded platform settings");
    Ok(inserted)
}
