//! `badge_rules`: what awards a badge by itself (a completed course or path, a passed
//! assessment with a minimum percentage).

use kernel::enums::BadgeRuleKind;
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "badge_rules")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub badge_id: Uuid,
    pub kind: BadgeRuleKind,
    pub target_id: Uuid,
    #[sea_orm(column_type = "Decimal(Some((5, 2)))")]
    pub min_percent: Option<Decimal>,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(
        belongs_to = "super::badges::Entity",
        from = "Column::BadgeId",
        to = "super::badges::Column::Id",
        on_delete = "Cascade"
    )]
    Badge,
}

impl Related<super::badges::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Badge.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
