//! `courses`: the course catalog; the `search` tsvector is left out (no SeaORM type; SQL only).

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
    pub level: String,
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
    pub status: String,
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
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
