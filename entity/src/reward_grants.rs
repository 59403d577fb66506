//! `reward_grants`: rewards paid, once per dedupe key.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "reward_grants")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub dedupe_key: String,
    pub user_id: Uuid,
    pub transaction_id: Uuid,
    #[sea_orm(column_type = "Decimal(Some((26, 8)))")]
    pub amount: Decimal,
    pub reason: String,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
