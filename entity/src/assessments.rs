//! `assessments`: a course's quizzes, assignments, projects and final exams.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "assessments")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub course_id: Uuid,
    pub lesson_id: Option<Uuid>,
    pub kind: String,
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
    pub grading_policy: String,
    pub required_for_completion: bool,
    #[sea_orm(column_type = "Decimal(Some((26, 8)))")]
    pub reward: Option<Decimal>,
    pub created_by: Uuid,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
