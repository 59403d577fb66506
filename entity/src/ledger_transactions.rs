//! `ledger_transactions`: immutable journal records (a trigger refuses updates and deletes;
//! corrections are reversing transactions).

use kernel::enums::LedgerKind;
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "ledger_transactions")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub kind: LedgerKind,
    pub currency: String,
    #[sea_orm(column_type = "Decimal(Some((26, 8)))")]
    pub amount: Decimal,
    pub description: String,
    pub reference: Option<String>,
    pub initiated_by: Option<Uuid>,
    pub reverses: Option<Uuid>,
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
    #[sea_orm(
        belongs_to = "super::users::Entity",
        from = "Column::InitiatedBy",
        to = "super::users::Column::Id"
    )]
    InitiatedBy,
    /// The transaction this one reverses (a refund's payment).
    #[sea_orm(belongs_to = "Entity", from = "Column::Reverses", to = "Column::Id")]
    Reverses,
    #[sea_orm(has_many = "super::ledger_entries::Entity")]
    Entries,
}

impl Related<super::currencies::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Currency.def()
    }
}

impl Related<super::users::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::InitiatedBy.def()
    }
}

impl Related<super::ledger_entries::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Entries.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
