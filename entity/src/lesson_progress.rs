//! `lesson_progress`: an enrollment's progress through one lesson.

use kernel::enums::ProgressStatus;
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "lesson_progress")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub enrollment_id: Uuid,
    #[sea_orm(primary_key, auto_increment = false)]
    pub lesson_id: Uuid,
    pub status: ProgressStatus,
    pub time_spent_seconds: i32,
    pub last_position_seconds: i32,
    pub started_at: DateTimeUtc,
    pub completed_at: Option<DateTimeUtc>,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(
        belongs_to = "super::enrollments::Entity",
        from = "Column::EnrollmentId",
        to = "super::enrollments::Column::Id",
        on_delete = "Cascade"
    )]
    Enrollment,
    #[sea_orm(
        belongs_to = "super::lessons::Entity",
        from = "Column::LessonId",
        to = "super::lessons::Column::Id",
        on_delete = "Cascade"
    )]
    Lesson,
}

impl Related<super::enrollments::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Enrollment.def()
    }
}

impl Related<super::lessons::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Lesson.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
