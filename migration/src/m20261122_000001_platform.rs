//! The platform's own tables: `platform_settings`, the operator-editable key/value settings
//! (site name, support address, defaults) that every module may read.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

const UP: &str = r#"
CREATE TABLE platform_settings (
    id          uuid PRIMARY KEY,
    key         text NOT NULL UNIQUE CHECK (key ~ '^[a-z][a-z0-9_.]{0,99}$'),
    value       jsonb NOT NULL,
    description text NOT NULL DEFAULT '',
    is_public   boolean NOT NULL DEFAULT false,
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now()
);

INSERT INTO platform_settings (id, key, value, description, is_public) VALUES
    ('01936b2e-0000-7000-8000-000000000001', 'platform.name', '"Azora"', 'Name shown to users and in mail', true),
    ('01936b2e-0000-7000-8000-000000000002', 'platform.default_locale', '"en"', 'Locale for new accounts', true),
    ('01936b2e-0000-7000-8000-000000000003', 'platform.support_email', '"support@azora.local"', 'Where users write for help', true);
"#;

const DOWN: &str = "DROP TABLE platform_settings;";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        crate::run_sql(manager, UP).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        crate::run_sql(manager, DOWN).await
    }
}
