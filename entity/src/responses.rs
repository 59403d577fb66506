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
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
