//! `mail_outbox`: one row per message to send, written in the transaction of the change that
//! causes it and delivered by the notifications mail worker.

use kernel::enums::MailStatus;
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "mail_outbox")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    /// What the message is for (`verify_email`, `password_reset`, ...).
    pub kind: String,
    pub to_address: String,
    pub subject: String,
    pub text_body: String,
    pub html_body: Option<String>,
    /// `pending`, `sent` or `failed` (gave up after `mail.max_attempts`).
    pub status: MailStatus,
    /// Delivery attempts made so far (one `mail_delivery_attempts` row each).
    pub attempts: i32,
    pub next_attempt_at: DateTimeUtc,
    pub last_error: Option<String>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    pub sent_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(has_many = "super::mail_delivery_attempts::Entity")]
    DeliveryAttempts,
}

impl Related<super::mail_delivery_attempts::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::DeliveryAttempts.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
