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
pub enum Relation {
    #[sea_orm(
        belongs_to = "super::users::Entity",
        from = "Column::UserId",
        to = "super::users::Column::Id"
    )]
    User,
    #[sea_orm(
        belongs_to = "super::ledger_transactions::Entity",
        from = "Column::TransactionId",
        to = "super::ledger_transactions::Column::Id"
    )]
    Transaction,
}

impl Related<super::users::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::User.def()
    }
}

impl Related<super::ledger_transactions::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Transaction.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
