//! `stakes`: AZR locked for a term.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "stakes")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub user_id: Uuid,
    pub wallet_id: Uuid,
    #[sea_orm(column_type = "Decimal(Some((26, 8)))")]
    pub amount: Decimal,
    pub term_days: i32,
    #[sea_orm(column_type = "Decimal(Some((26, 8)))")]
    pub apr: Decimal,
    pub status: String,
    #[sea_orm(column_type = "Decimal(Some((26, 8)))")]
    pub accrued: Decimal,
    pub started_at: DateTimeUtc,
    pub matures_at: DateTimeUtc,
    pub unstaked_at: Option<DateTimeUtc>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
