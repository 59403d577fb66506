//! `credentials`: Open Badges 3.0 credentials issued to a holder, one per achievement, with
//! their status and their index in the issuer's status lists.

use kernel::enums::AchievementKind;
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "credentials")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub holder_id: Uuid,
    pub achievement_kind: AchievementKind,
    pub achievement_id: Uuid,
    pub issuer_org_id: Option<Uuid>,
    pub title: String,
    pub status_list: i32,
    pub status_index: i32,
    pub public: bool,
    pub verification_code: String,
    #[sea_orm(column_type = "JsonBinary")]
    pub document: Json,
    pub jwt: String,
    #[sea_orm(column_type = "JsonBinary")]
    pub evidence: Json,
    pub valid_until: Option<DateTimeUtc>,
    pub awarded_by: Option<Uuid>,
    pub issued_at: DateTimeUtc,
    pub revoked_at: Option<DateTimeUtc>,
    pub revocation_reason: Option<String>,
    pub suspended_at: Option<DateTimeUtc>,
    pub suspension_reason: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(
        belongs_to = "super::users::Entity",
        from = "Column::HolderId",
        to = "super::users::Column::Id"
    )]
    Holder,
    #[sea_orm(
        belongs_to = "super::organizations::Entity",
        from = "Column::IssuerOrgId",
        to = "super::organizations::Column::Id"
    )]
    IssuerOrganization,
}

impl ActiveModelBehavior for ActiveModel {}
