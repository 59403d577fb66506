//! `audit_checkpoints`: signed statements of the audit chain's head (position and hash).

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "audit_checkpoints")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub chain_pos: i64,
    pub head_hash: Vec<u8>,
    pub created_at: DateTimeUtc,
    pub kid: String,
    /// Compact JWS (EdDSA) over the checkpoint.
    pub signature: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
