//! `course_prerequisites`: the courses a course requires completing first (no cycles).

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "course_prerequisites")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub course_id: Uuid,
    #[sea_orm(primary_key, auto_increment = false)]
    pub prerequisite_id: Uuid,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    /// The course that requires.
    #[sea_orm(
        belongs_to = "super::courses::Entity",
        from = "Column::CourseId",
        to = "super::courses::Column::Id",
        on_delete = "Cascade"
    )]
    Course,
    /// The course required.
    #[sea_orm(
        belongs_to = "super::courses::Entity",
        from = "Column::PrerequisiteId",
        to = "super::courses::Column::Id",
        on_delete = "Cascade"
    )]
    Prerequisite,
}

/// The requiring course (the prerequisite is `Relation::Prerequisite`).
impl Related<super::courses::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Course.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
