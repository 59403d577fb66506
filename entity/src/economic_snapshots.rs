//! `economic_snapshots`: daily economic figures per currency.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "economic_snapshots")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub day: Date,
    #[sea_orm(primary_key, auto_increment = false)]
    pub currency: String,
    #[sea_orm(column_type = "Decimal(Some((26, 8)))")]
    pub supply: Decimal,
    #[sea_orm(column_type = "Decimal(Some((26, 8)))")]
    pub staked: Decimal,
    #[sea_orm(column_type = "Decimal(Some((26, 8)))")]
    pub volume_24h: Decimal,
    pub transactions: i64,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(
        belongs_to = "super::currencies::Entity",
        from = "Column::Currency",
        to = "super::currencies::Column::Code"
    )]
    Currency,
}

impl Related<super::currencies::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Currency.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
