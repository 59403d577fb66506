//! `stake_accruals`: one staking reward per stake and day (the key makes a second run of the
//! job pay nothing), with the transaction that paid it.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "stake_accruals")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub stake_id: Uuid,
    #[sea_orm(primary_key, auto_increment = false)]
    pub day: Date,
    #[sea_orm(column_type = "Decimal(Some((26, 8)))")]
    pub amount: Decimal,
    pub transaction_id: Option<Uuid>,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(
        belongs_to = "super::stakes::Entity",
        from = "Column::StakeId",
        to = "super::stakes::Column::Id"
    )]
    Stake,
    #[sea_orm(
        belongs_to = "super::ledger_transactions::Entity",
        from = "Column::TransactionId",
        to = "super::ledger_transactions::Column::Id"
    )]
    Transaction,
}

impl Related<super::stakes::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Stake.def()
    }
}

impl Related<super::ledger_transactions::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Transaction.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
