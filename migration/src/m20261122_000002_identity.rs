//! Identity, organizations, RBAC and the audit trail: users and their credentials, sessions
//! with rotating refresh tokens, TOTP, login attempts (the lockout state), API keys,
//! organizations and members, permissions/roles/assignments with scopes, and the hash-chained
//! audit log.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

const UP: &str = r#"
CREATE TABLE users (
    id                uuid PRIMARY KEY,
    email             text NOT NULL CHECK (email = lower(email) AND position('@' in email) > 1),
    display_name      text NOT NULL CHECK (length(display_name) BETWEEN 1 AND 100),
    password_hash     text NOT NULL,
    email_verified_at timestamptz,
    status            text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'suspended')),
    bio               text NOT NULL DEFAULT '',
    avatar_url        text,
    locale            text NOT NULL DEFAULT 'en',
    time_zone         text NOT NULL DEFAULT 'UTC',
    last_login_at     timestamptz,
    created_at        timestamptz NOT NULL DEFAULT now(),
    updated_at        timestamptz NOT NULL DEFAULT now(),
    deleted_at        timestamptz
);
-- One live account per address; a soft-deleted account frees its address.
CREATE UNIQUE INDEX users_email_key ON users (email) WHERE deleted_at IS NULL;
CREATE INDEX users_created_at_idx ON users (created_at, id);

CREATE TABLE email_tokens (
    id         uuid PRIMARY KEY,
    user_id    uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    purpose    text NOT NULL CHECK (purpose IN ('verify_email', 'reset_password')),
    token_hash bytea NOT NULL UNIQUE,
    expires_at timestamptz NOT NULL,
    used_at    timestamptz,
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX email_tokens_user_idx ON email_tokens (user_id, purpose);

CREATE TABLE sessions (
    id             uuid PRIMARY KEY,
    user_id        uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    user_agent     text NOT NULL DEFAULT '',
    ip             text NOT NULL DEFAULT '',
    created_at     timestamptz NOT NULL DEFAULT now(),
    last_seen_at   timestamptz NOT NULL DEFAULT now(),
    expires_at     timestamptz NOT NULL,
    revoked_at     timestamptz,
    revoked_reason text
);
CREATE INDEX sessions_user_idx ON sessions (user_id) WHERE revoked_at IS NULL;

-- Every refresh token ever issued in a session (its "family"); a used one presented again
-- revokes the session.
CREATE TABLE refresh_tokens (
    id         uuid PRIMARY KEY,
    session_id uuid NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
    token_hash bytea NOT NULL UNIQUE,
    created_at timestamptz NOT NULL DEFAULT now(),
    used_at    timestamptz
);
CREATE INDEX refresh_tokens_session_idx ON refresh_tokens (session_id);

CREATE TABLE mfa_totp (
    user_id        uuid PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    secret         text NOT NULL,
    confirmed_at   timestamptz,
    last_used_step bigint,
    created_at     timestamptz NOT NULL DEFAULT now(),
    updated_at     timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE mfa_backup_codes (
    id         uuid PRIMARY KEY,
    user_id    uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    code_hash  bytea NOT NULL,
    used_at    timestamptz,
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX mfa_backup_codes_user_idx ON mfa_backup_codes (user_id);

-- The second login step: a short-lived, single-use token bound to the first step's client.
CREATE TABLE mfa_challenges (
    id         uuid PRIMARY KEY,
    user_id    uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    token_hash bytea NOT NULL UNIQUE,
    attempts   int NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    user_agent text NOT NULL DEFAULT '',
    ip         text NOT NULL DEFAULT '',
    expires_at timestamptz NOT NULL,
    used_at    timestamptz,
    created_at timestamptz NOT NULL DEFAULT now()
);

-- Every sign-in attempt; the lockout state is computed from it, so it holds across instances.
CREATE TABLE login_attempts (
    id         uuid PRIMARY KEY,
    email      text NOT NULL,
    ip         text NOT NULL,
    user_id    uuid REFERENCES users (id) ON DELETE SET NULL,
    outcome    text NOT NULL CHECK (outcome IN ('success', 'failure', 'locked', 'mfa_required', 'mfa_failure', 'mfa_success')),
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX login_attempts_email_idx ON login_attempts (email, created_at DESC);
CREATE INDEX login_attempts_ip_idx ON login_attempts (ip, created_at DESC);

CREATE TABLE api_keys (
    id           uuid PRIMARY KEY,
    user_id      uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    name         text NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
    prefix       text NOT NULL,
    key_hash     bytea NOT NULL UNIQUE,
    permissions  text[] NOT NULL DEFAULT '{}',
    expires_at   timestamptz,
    last_used_at timestamptz,
    revoked_at   timestamptz,
    created_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX api_keys_user_idx ON api_keys (user_id);

CREATE TABLE organizations (
    id          uuid PRIMARY KEY,
    name        text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    slug        text NOT NULL UNIQUE CHECK (slug ~ '^[a-z0-9]+(-[a-z0-9]+)*$'),
    kind        text NOT NULL DEFAULT 'school' CHECK (kind IN ('school', 'company', 'other')),
    description text NOT NULL DEFAULT '',
    website     text,
    owner_id    uuid NOT NULL REFERENCES users (id),
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    deleted_at  timestamptz
);

CREATE TABLE organization_members (
    id              uuid PRIMARY KEY,
    organization_id uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    user_id         uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    title           text NOT NULL DEFAULT '',
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now(),
    UNIQUE (organization_id, user_id)
);
CREATE INDEX organization_members_user_idx ON organization_members (user_id);

CREATE TABLE permissions (
    id          uuid PRIMARY KEY,
    key         text NOT NULL UNIQUE CHECK (key ~ '^[a-z_]+:[a-z_]+$'),
    description text NOT NULL DEFAULT '',
    created_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE roles (
    id          uuid PRIMARY KEY,
    name        text NOT NULL UNIQUE CHECK (name ~ '^[a-z][a-z0-9_]{1,49}$'),
    description text NOT NULL DEFAULT '',
    parent_id   uuid REFERENCES roles (id),
    is_system   boolean NOT NULL DEFAULT false,
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    CHECK (parent_id IS DISTINCT FROM id)
);

CREATE TABLE role_permissions (
    role_id       uuid NOT NULL REFERENCES roles (id) ON DELETE CASCADE,
    permission_id uuid NOT NULL REFERENCES permissions (id) ON DELETE CASCADE,
    PRIMARY KEY (role_id, permission_id)
);

-- A grant: a role or a single permission, to a user, in a scope, until an optional expiry.
CREATE TABLE role_assignments (
    id            uuid PRIMARY KEY,
    user_id       uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    role_id       uuid REFERENCES roles (id) ON DELETE CASCADE,
    permission_id uuid REFERENCES permissions (id) ON DELETE CASCADE,
    scope_type    text NOT NULL CHECK (scope_type IN ('global', 'organization', 'course')),
    scope_id      uuid,
    expires_at    timestamptz,
    granted_by    uuid REFERENCES users (id) ON DELETE SET NULL,
    created_at    timestamptz NOT NULL DEFAULT now(),
    CHECK ((role_id IS NULL) <> (permission_id IS NULL)),
    CHECK ((scope_type = 'global') = (scope_id IS NULL))
);
CREATE INDEX role_assignments_user_idx ON role_assignments (user_id);
CREATE UNIQUE INDEX role_assignments_unique ON role_assignments
    (user_id, coalesce(role_id, permission_id), scope_type, coalesce(scope_id, '00000000-0000-0000-0000-000000000000'::uuid));

-- Append-only, hash-chained: hash = sha256(prev_hash || canonical content).
CREATE TABLE audit_logs (
    id            uuid PRIMARY KEY,
    seq           bigint NOT NULL UNIQUE,
    occurred_at   timestamptz NOT NULL,
    actor_id      uuid,
    action        text NOT NULL,
    resource_type text NOT NULL,
    resource_id   text,
    outcome       text NOT NULL CHECK (outcome IN ('success', 'failure', 'denied')),
    ip            text,
    user_agent    text,
    request_id    text,
    details       jsonb NOT NULL DEFAULT '{}',
    prev_hash     bytea NOT NULL,
    hash          bytea NOT NULL
);
CREATE INDEX audit_logs_actor_idx ON audit_logs (actor_id, seq);
CREATE INDEX audit_logs_action_idx ON audit_logs (action, seq);
CREATE INDEX audit_logs_resource_idx ON audit_logs (resource_type, resource_id, seq);
CREATE INDEX audit_logs_time_idx ON audit_logs (occurred_at);

CREATE OR REPLACE FUNCTION audit_logs_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit_logs is append-only';
END;
$$;
CREATE TRIGGER audit_logs_no_update BEFORE UPDATE OR DELETE ON audit_logs
    FOR EACH ROW EXECUTE FUNCTION audit_logs_append_only();

-- Permissions and system roles.
INSERT INTO permissions (id, key, description) VALUES
    ('01936b2e-0001-7000-8000-000000000001', 'user:read', 'See user accounts'),
    ('01936b2e-0001-7000-8000-000000000002', 'user:manage', 'Suspend, reactivate and delete accounts'),
    ('01936b2e-0001-7000-8000-000000000003', 'role:read', 'See roles and assignments'),
    ('01936b2e-0001-7000-8000-000000000004', 'role:manage', 'Create custom roles'),
    ('01936b2e-0001-7000-8000-000000000005', 'role:assign', 'Assign and revoke roles'),
    ('01936b2e-0001-7000-8000-000000000006', 'audit:read', 'Read and verify the audit trail'),
    ('01936b2e-0001-7000-8000-000000000007', 'org:create', 'Create organizations'),
    ('01936b2e-0001-7000-8000-000000000008', 'org:manage', 'Update an organization and its members'),
    ('01936b2e-0001-7000-8000-000000000009', 'org:read', 'See an organization''s members'),
    ('01936b2e-0001-7000-8000-000000000010', 'course:read', 'See courses, drafts included'),
    ('01936b2e-0001-7000-8000-000000000011', 'course:create', 'Create courses'),
    ('01936b2e-0001-7000-8000-000000000012', 'course:update', 'Edit courses and their content'),
    ('01936b2e-0001-7000-8000-000000000013', 'course:publish', 'Publish and archive courses'),
    ('01936b2e-0001-7000-8000-000000000014', 'course:enroll', 'Enrol in courses'),
    ('01936b2e-0001-7000-8000-000000000015', 'course:grade', 'Grade submissions'),
    ('01936b2e-0001-7000-8000-000000000016', 'forum:post', 'Post in forums'),
    ('01936b2e-0001-7000-8000-000000000017', 'forum:moderate', 'Moderate forums'),
    ('01936b2e-0001-7000-8000-000000000018', 'wallet:transfer', 'Transfer funds'),
    ('01936b2e-0001-7000-8000-000000000019', 'wallet:mint', 'Mint currency from the treasury'),
    ('01936b2e-0001-7000-8000-000000000020', 'wallet:audit', 'Reconcile the ledger'),
    ('01936b2e-0001-7000-8000-000000000021', 'certificate:issue', 'Issue and revoke certificates'),
    ('01936b2e-0001-7000-8000-000000000022', 'badge:award', 'Create and award badges'),
    ('01936b2e-0001-7000-8000-000000000023', 'job:post', 'Post jobs'),
    ('01936b2e-0001-7000-8000-000000000024', 'job:apply', 'Apply to jobs'),
    ('01936b2e-0001-7000-8000-000000000025', 'chat:use', 'Use chat');

-- Hierarchy: guest < student < instructor < org_admin < admin < super_admin;
-- moderator and employer extend student.
INSERT INTO roles (id, name, description, parent_id, is_system) VALUES
    ('01936b2e-0002-7000-8000-000000000001', 'guest', 'Read-only visitor', NULL, true),
    ('01936b2e-0002-7000-8000-000000000002', 'student', 'Learner', '01936b2e-0002-7000-8000-000000000001', true),
    ('01936b2e-0002-7000-8000-000000000003', 'instructor', 'Creates and teaches courses', '01936b2e-0002-7000-8000-000000000002', true),
    ('01936b2e-0002-7000-8000-000000000004', 'org_admin', 'Runs an organization', '01936b2e-0002-7000-8000-000000000003', true),
    ('01936b2e-0002-7000-8000-000000000005', 'admin', 'Runs the platform', '01936b2e-0002-7000-8000-000000000004', true),
    ('01936b2e-0002-7000-8000-000000000006', 'super_admin', 'Everything', '01936b2e-0002-7000-8000-000000000005', true),
    ('01936b2e-0002-7000-8000-000000000007', 'moderator', 'Moderates forums', '01936b2e-0002-7000-8000-000000000002', true),
    ('01936b2e-0002-7000-8000-000000000008', 'employer', 'Posts jobs', '01936b2e-0002-7000-8000-000000000002', true);

INSERT INTO role_permissions (role_id, permission_id)
SELECT r.id, p.id FROM roles r JOIN permissions p ON p.key = ANY (CASE r.name
    WHEN 'guest' THEN ARRAY['course:read']
    WHEN 'student' THEN ARRAY['course:enroll', 'forum:post', 'wallet:transfer', 'job:apply', 'chat:use', 'org:create']
    WHEN 'instructor' THEN ARRAY['course:create', 'course:update', 'course:grade', 'certificate:issue', 'badge:award']
    WHEN 'org_admin' THEN ARRAY['org:manage', 'org:read', 'course:publish', 'role:assign', 'role:read', 'forum:moderate']
    WHEN 'admin' THEN ARRAY['user:read', 'user:manage', 'role:manage', 'audit:read', 'wallet:audit', 'job:post']
    WHEN 'super_admin' THEN ARRAY['wallet:mint']
    WHEN 'moderator' THEN ARRAY['forum:moderate']
    WHEN 'employer' THEN ARRAY['job:post']
END);
"#;

const DOWN: &str = r#"
DROP TABLE audit_logs;
DROP FUNCTION IF EXISTS audit_logs_append_only();
DROP TABLE role_assignments, role_permissions, roles, permissions;
DROP TABLE organization_members, organizations;
DROP TABLE api_keys, login_attempts, mfa_challenges, mfa_backup_codes, mfa_totp;
DROP TABLE refresh_tokens, sessions, email_tokens, users;
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
