//! `lessons`: the ordered lessons of a course module (positions 0..n-1).

use kernel::enums::LessonKind;
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "lessons")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub module_id: Uuid,
    pub course_id: Uuid,
    pub title: String,
    pub kind: LessonKind,
    pub content: String,
    pub media_url: Option<String>,
    pub duration_minutes: i32,
    pub preview: bool,
    pub required: bool,
    pub position: i32,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(
        belongs_to = "super::course_modules::Entity",
        from = "Column::ModuleId",
        to = "super::course_modules::Column::Id",
        on_delete = "Cascade"
    )]
    Module,
    #[sea_orm(
        belongs_to = "super::courses::Entity",
        from = "Column::CourseId",
        to = "super::courses::Column::Id",
        on_delete = "Cascade"
    )]
    Course,
    #[sea_orm(has_many = "super::lesson_progress::Entity")]
    Progress,
    #[sea_orm(has_many = "super::lesson_bookmarks::Entity")]
    Bookmarks,
}

impl Related<super::course_modules::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Module.def()
    }
}

impl Related<super::courses::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Course.def()
    }
}

impl Related<super::lesson_progress::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Progress.def()
    }
}

impl Related<super::lesson_bookmarks::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Bookmarks.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
