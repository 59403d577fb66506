//! `mail_delivery_attempts`: every try at delivering a `mail_outbox` row, with its outcome.

use kernel::enums::DeliveryOutcome;
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "mail_delivery_attempts")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub outbox_id: Uuid,
    /// 1 for the first try of the message, then 2, 3, ...
    pub attempt: i32,
    pub attempted_at: DateTimeUtc,
    /// `sent` or `failed`.
    pub outcome: DeliveryOutcome,
    pub error: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(
        belongs_to = "super::mail_outbox::Entity",
        from = "Column::OutboxId",
        to = "super::mail_outbox::Column::Id",
        on_delete = "Cascade"
    )]
    Outbox,
}

impl Related<super::mail_outbox::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Outbox.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
