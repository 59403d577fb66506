//! `learning_path_courses`: the ordered courses of a learning path, each required or optional.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "learning_path_courses")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub path_id: Uuid,
    #[sea_orm(primary_key, auto_increment = false)]
    pub course_id: Uuid,
    pub position: i32,
    pub required: bool,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(
        belongs_to = "super::learning_paths::Entity",
        from = "Column::PathId",
        to = "super::learning_paths::Column::Id",
        on_delete = "Cascade"
    )]
    Path,
    #[sea_orm(
        belongs_to = "super::courses::Entity",
        from = "Column::CourseId",
        to = "super::courses::Column::Id"
    )]
    Course,
}

impl Related<super::learning_paths::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Path.def()
    }
}

impl Related<super::courses::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Course.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
