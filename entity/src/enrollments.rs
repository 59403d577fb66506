//! `enrollments`: a learner's enrollment in a course (active, completed or dropped).

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "enrollments")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub user_id: Uuid,
    pub course_id: Uuid,
    pub status: String,
    #[sea_orm(column_type = "Decimal(Some((5, 2)))")]
    pub progress_percent: Decimal,
    #[sea_orm(column_type = "Decimal(Some((26, 8)))")]
    pub price: Decimal,
    pub currency: Option<String>,
    pub payment_id: Option<Uuid>,
    pub refund_id: Option<Uuid>,
    pub learning_path_id: Option<Uuid>,
    pub enrolled_at: DateTimeUtc,
    pub completed_at: Option<DateTimeUtc>,
    pub dropped_at: Option<DateTimeUtc>,
    pub last_activity_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
