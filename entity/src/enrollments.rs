//! `enrollments`: a learner's enrollment in a course (active, completed or dropped; one live
//! enrollment per learner and course).

use kernel::enums::EnrollmentStatus;
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "enrollments")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub user_id: Uuid,
    pub course_id: Uuid,
    pub status: EnrollmentStatus,
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
pub enum Relation {
    #[sea_orm(
        belongs_to = "super::users::Entity",
        from = "Column::UserId",
        to = "super::users::Column::Id"
    )]
    User,
    #[sea_orm(
        belongs_to = "super::courses::Entity",
        from = "Column::CourseId",
        to = "super::courses::Column::Id"
    )]
    Course,
    #[sea_orm(
        belongs_to = "super::learning_paths::Entity",
        from = "Column::LearningPathId",
        to = "super::learning_paths::Column::Id"
    )]
    LearningPath,
    /// What was paid (a ledger `payment`).
    #[sea_orm(
        belongs_to = "super::ledger_transactions::Entity",
        from = "Column::PaymentId",
        to = "super::ledger_transactions::Column::Id"
    )]
    Payment,
    /// Its refund, once dropped within the refund window.
    #[sea_orm(
        belongs_to = "super::ledger_transactions::Entity",
        from = "Column::RefundId",
        to = "super::ledger_transactions::Column::Id"
    )]
    Refund,
    #[sea_orm(has_many = "super::lesson_progress::Entity")]
    Progress,
}

impl Related<super::users::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::User.def()
    }
}

impl Related<super::courses::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Course.def()
    }
}

impl Related<super::learning_paths::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::LearningPath.def()
    }
}

impl Related<super::lesson_progress::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Progress.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
