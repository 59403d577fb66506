//! `wallets`: user wallets (with an owner) and system wallets (with a kind), each in one
//! currency, with its cached balance.

use kernel::enums::SystemWalletKind;
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "wallets")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub owner_id: Option<Uuid>,
    pub system_kind: Option<SystemWalletKind>,
    pub currency: String,
    #[sea_orm(column_type = "Decimal(Some((26, 8)))")]
    pub balance: Decimal,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(
        belongs_to = "super::users::Entity",
        from = "Column::OwnerId",
        to = "super::users::Column::Id"
    )]
    Owner,
    #[sea_orm(
        belongs_to = "super::currencies::Entity",
        from = "Column::Currency",
        to = "super::currencies::Column::Code"
    )]
    Currency,
    #[sea_orm(has_many = "super::ledger_entries::Entity")]
    Entries,
    #[sea_orm(has_many = "super::stakes::Entity")]
    Stakes,
}

impl Related<super::users::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Owner.def()
    }
}

impl Related<super::currencies::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Currency.def()
    }
}

impl Related<super::ledger_entries::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Entries.def()
    }
}

impl Related<super::stakes::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Stakes.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
