//! Self-service permissions: every route that acts for a user names a permission, also on the
//! user's own resources, so that an API key can be limited to them. Every account holds these
//! through the `student` role.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

const UP: &str = r#"
INSERT INTO permissions (id, key, description) VALUES
    ('01936b2e-0007-7000-8000-000000000001', 'course:learn', 'Take courses: progress, bookmarks, reviews, quiz attempts'),
    ('01936b2e-0007-7000-8000-000000000002', 'profile:write', 'Edit one''s own profile'),
    ('01936b2e-0007-7000-8000-000000000003', 'wallet:read', 'See one''s own wallets, transactions and stakes'),
    ('01936b2e-0007-7000-8000-000000000004', 'wallet:open', 'Open wallets'),
    ('01936b2e-0007-7000-8000-000000000005', 'wallet:stake', 'Stake and unstake funds');
INSERT INTO role_permissions (role_id, permission_id)
SELECT r.id, p.id FROM roles r, permissions p
WHERE r.name = 'student'
  AND p.key IN ('course:learn', 'profile:write', 'wallet:read', 'wallet:open', 'wallet:stake')
ON CONFLICT DO NOTHING;
-- API keys stop at a password change or reset: remember when a key was revoked that way.
ALTER TABLE api_keys ADD COLUMN revoked_reason text CHECK (length(revoked_reason) <= 100);
"#;

const DOWN: &str = r#"
ALTER TABLE api_keys DROP COLUMN revoked_reason;
DELETE FROM permissions WHERE key IN ('course:learn', 'profile:write', 'wallet:read', 'wallet:open', 'wallet:stake');
"#;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        crate::run_sql(manager, UP).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        crate::run_sql(manager, DOWN).await
    }
}
