//! `categories`: the course category tree.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "categories")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub parent_id: Option<Uuid>,
    pub name: String,
    pub slug: String,
    pub description: String,
    pub position: i32,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(belongs_to = "Entity", from = "Column::ParentId", to = "Column::Id")]
    Parent,
    #[sea_orm(has_many = "super::course_categories::Entity")]
    CourseCategories,
}

impl Related<super::course_categories::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::CourseCategories.def()
    }
}

impl Related<super::courses::Entity> for Entity {
    fn to() -> RelationDef {
        super::course_categories::Relation::Course.def()
    }

    fn via() -> Option<RelationDef> {
        Some(super::course_categories::Relation::Category.def().rev())
    }
}

impl ActiveModelBehavior for ActiveModel {}
