//! `signing_keys`: the platform's Ed25519 keys, one active per purpose; retired keys stay so
//! that what they signed still verifies.

use kernel::enums::KeyPurpose;
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "signing_keys")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub kid: String,
    pub purpose: KeyPurpose,
    pub algorithm: String,
    pub public_key: Vec<u8>,
    /// The 32-byte seed, sealed with `security.encryption_key`.
    pub private_key: String,
    pub not_before: DateTimeUtc,
    pub retired_at: Option<DateTimeUtc>,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
