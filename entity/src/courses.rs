//! `courses`: the course catalog; the `search` tsvector is left out (no SeaORM type; SQL only).

use kernel::enums::{CourseLevel, CourseStatus};
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "courses")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub title: String,
    pub slug: String,
    pub summary: String,
    pub description: String,
    pub level: CourseLevel,
    pub language: String,
    pub organization_id: Option<Uuid>,
    pub cover_image_url: Option<String>,
    #[sea_orm(column_type = "Decimal(Some((7, 1)))")]
    pub estimated_hours: Option<Decimal>,
    #[sea_orm(column_type = "Decimal(Some((26, 8)))")]
    pub price: Decimal,
    pub currency: String,
    #[sea_orm(column_type = "Decimal(Some((26, 8)))")]
    pub completion_reward: Option<Decimal>,
    pub status: CourseStatus,
    pub owner_id: Uuid,
    pub tag_names: Vec<String>,
    pub enrollment_count: i32,
    pub rating_count: i32,
    pub rating_sum: i32,
    pub submitted_at: Option<DateTimeUtc>,
    pub published_at: Option<DateTimeUtc>,
    pub archived_at: Option<DateTimeUtc>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    pub deleted_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(
        belongs_to = "super::organizations::Entity",
        from = "Column::OrganizationId",
        to = "super::organizations::Column::Id"
    )]
    Organization,
    #[sea_orm(
        belongs_to = "super::users::Entity",
        from = "Column::OwnerId",
        to = "super::users::Column::Id"
    )]
    Owner,
    #[sea_orm(
        belongs_to = "super::currencies::Entity",
        from = "Column::Currency",
        to = "super::currencies::Column::Code"
    )]
    Currency,
    #[sea_orm(has_many = "super::course_instructors::Entity")]
    Instructors,
    #[sea_orm(has_many = "super::course_categories::Entity")]
    CourseCategories,
    #[sea_orm(has_many = "super::course_tags::Entity")]
    CourseTags,
    #[sea_orm(has_many = "super::course_modules::Entity")]
    Modules,
    #[sea_orm(has_many = "super::lessons::Entity")]
    Lessons,
    #[sea_orm(has_many = "super::enrollments::Entity")]
    Enrollments,
    #[sea_orm(has_many = "super::course_reviews::Entity")]
    Reviews,
}

impl Related<super::organizations::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Organization.def()
    }
}

impl Related<super::course_instructors::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Instructors.def()
    }
}

impl Related<super::course_categories::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::CourseCategories.def()
    }
}

impl Related<super::categories::Entity> for Entity {
    fn to() -> RelationDef {
        super::course_categories::Relation::Category.def()
    }

    fn via() -> Option<RelationDef> {
        Some(super::course_categories::Relation::Course.def().rev())
    }
}

impl Related<super::course_tags::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::CourseTags.def()
    }
}

impl Related<super::tags::Entity> for Entity {
    fn to() -> RelationDef {
        super::course_tags::Relation::Tag.def()
    }

    fn via() -> Option<RelationDef> {
        Some(super::course_tags::Relation::Course.def().rev())
    }
}

impl Related<super::course_modules::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Modules.def()
    }
}

impl Related<super::lessons::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Lessons.def()
    }
}

impl Related<super::enrollments::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Enrollments.def()
    }
}

impl Related<super::course_reviews::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Reviews.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
