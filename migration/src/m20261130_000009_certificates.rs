//! Certificates and badges: verifiable credentials (Open Badges 3.0) issued when a learner
//! completes a course or a learning path or is awarded a badge, with their status (revoked,
//! suspended) and their index in the issuer's status lists; badge definitions and the rules
//! that award them; each holder's choice to show their badges publicly.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

const UP: &str = r#"
CREATE TABLE badges (
    id              uuid PRIMARY KEY,
    organization_id uuid REFERENCES organizations (id),
    name            text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    description     text NOT NULL DEFAULT '' CHECK (length(description) <= 5000),
    criteria        text NOT NULL CHECK (length(criteria) BETWEEN 1 AND 5000),
    image_url       text CHECK (length(image_url) <= 2048),
    -- Awards expire this many days after issue (`validUntil`); NULL: never.
    valid_days      int CHECK (valid_days BETWEEN 1 AND 36500),
    created_by      uuid NOT NULL REFERENCES users (id),
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX badges_org_idx ON badges (organization_id);

CREATE TABLE badge_rules (
    id          uuid PRIMARY KEY,
    badge_id    uuid NOT NULL REFERENCES badges (id) ON DELETE CASCADE,
    kind        text NOT NULL CHECK (kind IN ('course_completed', 'assessment_passed', 'path_completed')),
    target_id   uuid NOT NULL,
    min_percent numeric(5, 2) CHECK (min_percent BETWEEN 0 AND 100),
    created_at  timestamptz NOT NULL DEFAULT now(),
    UNIQUE (badge_id, kind, target_id)
);
CREATE INDEX badge_rules_target_idx ON badge_rules (kind, target_id);

CREATE TABLE credentials (
    id                uuid PRIMARY KEY,
    holder_id         uuid NOT NULL REFERENCES users (id),
    achievement_kind  text NOT NULL CHECK (achievement_kind IN ('course', 'path', 'badge')),
    achievement_id    uuid NOT NULL,
    -- NULL: the platform issued it; else the organization, under its own did:web.
    issuer_org_id     uuid REFERENCES organizations (id),
    title             text NOT NULL,
    -- Its entry in the issuer's revocation and suspension lists: list number `status_list`,
    -- a random index in it, the same in both purposes, unique per issuer and list.
    status_list       int NOT NULL CHECK (status_list >= 0),
    status_index      int NOT NULL CHECK (status_index >= 0 AND status_index < 131072),
    -- Whether anyone with the link may read it (`GET /credentials/{id}`); the holder decides.
    public            boolean NOT NULL DEFAULT false,
    -- The short code printed on the certificate (`GET /verify/{code}`).
    verification_code text NOT NULL UNIQUE CHECK (length(verification_code) BETWEEN 8 AND 32),
    -- The credential as JSON-LD with its Data Integrity proof, and as a VC-JWT.
    document          jsonb NOT NULL,
    jwt               text NOT NULL,
    -- The exact documents the `evidence` digests were computed over (graded attempts).
    evidence          jsonb NOT NULL DEFAULT '[]',
    valid_until       timestamptz,
    awarded_by        uuid REFERENCES users (id),
    issued_at         timestamptz NOT NULL DEFAULT now(),
    revoked_at        timestamptz,
    revocation_reason text CHECK (length(revocation_reason) <= 1000),
    suspended_at      timestamptz,
    suspension_reason text CHECK (length(suspension_reason) <= 1000),
    CHECK (revoked_at IS NULL OR revocation_reason IS NOT NULL)
);
-- Exactly one credential per holder and achievement, even when completions race.
CREATE UNIQUE INDEX credentials_once ON credentials (holder_id, achievement_kind, achievement_id);
CREATE UNIQUE INDEX credentials_status_index ON credentials
    (coalesce(issuer_org_id, '00000000-0000-0000-0000-000000000000'::uuid), status_list, status_index);
CREATE INDEX credentials_issuer_idx ON credentials (issuer_org_id, issued_at DESC);

-- The issuers' status lists, one row per (issuer, list number, purpose); the id is a UUID v5
-- of those three, so issuing names a list without reading this table.
CREATE TABLE status_lists (
    id            uuid PRIMARY KEY,
    issuer_org_id uuid REFERENCES organizations (id),
    list_no       int NOT NULL CHECK (list_no >= 0),
    purpose       text NOT NULL CHECK (purpose IN ('revocation', 'suspension')),
    created_at    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX credentials_holder_idx ON credentials (holder_id, issued_at DESC);

CREATE TABLE credential_settings (
    user_id       uuid PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    public_badges boolean NOT NULL DEFAULT false,
    updated_at    timestamptz NOT NULL DEFAULT now()
);

INSERT INTO permissions (id, key, description) VALUES
    ('01936b2e-0009-7000-8000-000000000001', 'badge:create', 'Define badges of an organization'),
    ('01936b2e-0009-7000-8000-000000000002', 'credential:read', 'See one''s own credentials and download them'),
    ('01936b2e-0009-7000-8000-000000000003', 'credential:share', 'Share one''s own credentials and badges');
INSERT INTO role_permissions (role_id, permission_id)
SELECT r.id, p.id FROM roles r, permissions p
WHERE r.name = 'student' AND p.key IN ('credential:read', 'credential:share')
ON CONFLICT DO NOTHING;
-- Issuing authority is scoped, as course editing is: a global `instructor` no longer revokes
-- anybody's certificate. A course's instructors act on its certificates; an organization's
-- admins on its certificates and badges (admins, above them, everywhere).
DELETE FROM role_permissions rp USING roles r, permissions p
WHERE rp.role_id = r.id AND rp.permission_id = p.id
  AND r.name = 'instructor' AND p.key IN ('certificate:issue', 'badge:award');
INSERT INTO role_permissions (role_id, permission_id)
SELECT r.id, p.id FROM roles r JOIN permissions p ON p.key = ANY (CASE r.name
    WHEN 'org_admin' THEN ARRAY['badge:create', 'badge:award', 'certificate:issue']
    WHEN 'course_instructor' THEN ARRAY['certificate:issue']
    ELSE ARRAY[]::text[] END)
ON CONFLICT DO NOTHING;
"#;

const DOWN: &str = r#"
DELETE FROM role_permissions rp USING roles r, permissions p
WHERE rp.role_id = r.id AND rp.permission_id = p.id
  AND ((r.name = 'course_instructor' AND p.key = 'certificate:issue')
    OR (r.name = 'org_admin' AND p.key IN ('badge:award', 'certificate:issue')));
INSERT INTO role_permissions (role_id, permission_id)
SELECT r.id, p.id FROM roles r, permissions p
WHERE r.name = 'instructor' AND p.key IN ('certificate:issue', 'badge:award') ON CONFLICT DO NOTHING;
DELETE FROM permissions WHERE key IN ('badge:create', 'credential:read', 'credential:share');
DROP TABLE credential_settings, status_lists, credentials, badge_rules, badges;
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
