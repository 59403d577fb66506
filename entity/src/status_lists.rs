//! `status_lists`: the status lists of each issuer (platform or organization), by list number
//! and purpose; the bits themselves are computed from `credentials`.

use kernel::enums::StatusPurpose;
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "status_lists")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub issuer_org_id: Option<Uuid>,
    pub list_no: i32,
    pub purpose: StatusPurpose,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
