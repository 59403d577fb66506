//! `tags`: lower-case tag names courses can carry.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "tags")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub name: String,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(has_many = "super::course_tags::Entity")]
    CourseTags,
}

impl Related<super::course_tags::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::CourseTags.def()
    }
}

impl Related<super::courses::Entity> for Entity {
    fn to() -> RelationDef {
        super::course_tags::Relation::Course.def()
    }

    fn via() -> Option<RelationDef> {
        Some(super::course_tags::Relation::Tag.def().rev())
    }
}

impl ActiveModelBehavior for ActiveModel {}
