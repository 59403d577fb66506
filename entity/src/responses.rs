//! `responses`: an attempt's answer to one question, and its grade.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "responses")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub attempt_id: Uuid,
    pub question_id: Uuid,
    #[sea_orm(column_type = "JsonBinary")]
    pub answer: Json,
    #[sea_orm(column_type = "Decimal(Some((8, 2)))")]
    pub points: Option<Decimal>,
    pub feedback: String,
    pub auto_graded: bool,
    pub graded_by: Option<Uuid>,
    pub graded_at: Option<DateTimeUtc>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(
        belongs_to = "super::attempts::Entity",
        from = "Column::AttemptId",
        to = "super::attempts::Column::Id",
        on_delete = "Cascade"
    )]
    Attempt,
    #[sea_orm(
        belongs_to = "super::questions::Entity",
        from = "Column::QuestionId",
        to = "super::questions::Column::Id"
    )]
    Question,
    #[sea_orm(
        belongs_to = "super::users::Entity",
        from = "Column::GradedBy",
        to = "super::users::Column::Id"
    )]
    Grader,
}

impl Related<super::attempts::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Attempt.def()
    }
}

impl Related<super::questions::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Question.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
