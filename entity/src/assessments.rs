//! `assessments`: a course's quizzes, assignments, projects and final exams.

use kernel::enums::{AssessmentKind, GradingPolicy};
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "assessments")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub course_id: Uuid,
    pub lesson_id: Option<Uuid>,
    pub kind: AssessmentKind,
    pub title: String,
    pub instructions: String,
    #[sea_orm(column_type = "Decimal(Some((5, 2)))")]
    pub pass_score: Decimal,
    pub time_limit_seconds: Option<i32>,
    pub max_attempts: Option<i32>,
    pub available_from: Option<DateTimeUtc>,
    pub available_until: Option<DateTimeUtc>,
    pub shuffle_questions: bool,
    pub shuffle_options: bool,
    pub show_correct_answers: bool,
    #[sea_orm(column_type = "Decimal(Some((6, 2)))")]
    pub weight: Decimal,
    pub grading_policy: GradingPolicy,
    pub required_for_completion: bool,
    #[sea_orm(column_type = "Decimal(Some((26, 8)))")]
    pub reward: Option<Decimal>,
    pub created_by: Uuid,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(
        belongs_to = "super::courses::Entity",
        from = "Column::CourseId",
        to = "super::courses::Column::Id"
    )]
    Course,
    #[sea_orm(
        belongs_to = "super::lessons::Entity",
        from = "Column::LessonId",
        to = "super::lessons::Column::Id",
        on_delete = "SetNull"
    )]
    Lesson,
    #[sea_orm(
        belongs_to = "super::users::Entity",
        from = "Column::CreatedBy",
        to = "super::users::Column::Id"
    )]
    Creator,
    #[sea_orm(has_many = "super::questions::Entity")]
    Questions,
    #[sea_orm(has_many = "super::attempts::Entity")]
    Attempts,
}

impl Related<super::courses::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Course.def()
    }
}

impl Related<super::lessons::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Lesson.def()
    }
}

impl Related<super::questions::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Questions.def()
    }
}

impl Related<super::attempts::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Attempts.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
