//! The audit trail without a global lock: records are appended with no chain position, and a
//! sealer links committed records into the chain later (`chain_pos`, `prev_hash`, `hash`,
//! `sealed_at`), taking only records whose transaction is older than every running one.
//! Signed checkpoints of the chain head. Signing keys (Ed25519, private parts encrypted at rest),
//! one active per purpose, every key ever used kept for verification.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

const UP: &str = r#"
ALTER TABLE audit_logs DISABLE TRIGGER audit_logs_no_update;
ALTER TABLE audit_logs ADD COLUMN xid xid8;
ALTER TABLE audit_logs ADD COLUMN chain_pos bigint;
ALTER TABLE audit_logs ADD COLUMN sealed_at timestamptz;
-- Records written so far were chained at insert: their position is their sequence number.
UPDATE audit_logs SET chain_pos = seq, sealed_at = occurred_at;
ALTER TABLE audit_logs ENABLE TRIGGER audit_logs_no_update;
CREATE SEQUENCE audit_logs_seq_seq OWNED BY audit_logs.seq;
SELECT setval('audit_logs_seq_seq', coalesce((SELECT max(seq) FROM audit_logs), 0) + 1, false);
ALTER TABLE audit_logs ALTER COLUMN seq SET DEFAULT nextval('audit_logs_seq_seq');
ALTER TABLE audit_logs ALTER COLUMN xid SET DEFAULT pg_current_xact_id();
ALTER TABLE audit_logs ALTER COLUMN prev_hash DROP NOT NULL;
ALTER TABLE audit_logs ALTER COLUMN hash DROP NOT NULL;
ALTER TABLE audit_logs ADD CONSTRAINT audit_logs_chain_pos_key UNIQUE (chain_pos);
ALTER TABLE audit_logs ADD CONSTRAINT audit_logs_sealed_whole CHECK (
    (chain_pos IS NULL AND prev_hash IS NULL AND hash IS NULL AND sealed_at IS NULL)
    OR (chain_pos IS NOT NULL AND prev_hash IS NOT NULL AND hash IS NOT NULL AND sealed_at IS NOT NULL));
CREATE INDEX audit_logs_unsealed_idx ON audit_logs (xid, seq) WHERE chain_pos IS NULL;

-- Append-only, except the sealer's one-time fill of the chain columns of an unsealed record.
CREATE OR REPLACE FUNCTION audit_logs_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE'
       AND OLD.chain_pos IS NULL AND NEW.chain_pos IS NOT NULL
       AND (OLD.id, OLD.seq, OLD.xid, OLD.occurred_at, OLD.actor_id, OLD.action, OLD.resource_type,
            OLD.resource_id, OLD.outcome, OLD.ip, OLD.user_agent, OLD.request_id, OLD.details)
           IS NOT DISTINCT FROM
           (NEW.id, NEW.seq, NEW.xid, NEW.occurred_at, NEW.actor_id, NEW.action, NEW.resource_type,
            NEW.resource_id, NEW.outcome, NEW.ip, NEW.user_agent, NEW.request_id, NEW.details)
    THEN
        RETURN NEW;
    END IF;
    RAISE EXCEPTION 'audit_logs is append-only';
END;
$$;

CREATE TABLE audit_checkpoints (
    id          uuid PRIMARY KEY,
    chain_pos   bigint NOT NULL CHECK (chain_pos >= 0),
    head_hash   bytea NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    kid         text NOT NULL,
    -- Compact JWS (EdDSA) over {"chain_pos", "head_hash", "created_at"}: verifiable with the JWKS.
    signature   text NOT NULL
);
CREATE INDEX audit_checkpoints_pos_idx ON audit_checkpoints (chain_pos);
CREATE OR REPLACE FUNCTION audit_checkpoints_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit_checkpoints is append-only';
END;
$$;
CREATE TRIGGER audit_checkpoints_no_update BEFORE UPDATE OR DELETE ON audit_checkpoints
    FOR EACH ROW EXECUTE FUNCTION audit_checkpoints_append_only();

CREATE TABLE signing_keys (
    id           uuid PRIMARY KEY,
    kid          text NOT NULL UNIQUE CHECK (length(kid) BETWEEN 8 AND 100),
    purpose      text NOT NULL CHECK (purpose IN ('audit', 'credentials')),
    algorithm    text NOT NULL DEFAULT 'EdDSA' CHECK (algorithm = 'EdDSA'),
    public_key   bytea NOT NULL CHECK (length(public_key) = 32),
    -- The private key, sealed with security.encryption_key (`v1:` AES-256-GCM).
    private_key  text NOT NULL,
    not_before   timestamptz NOT NULL DEFAULT now(),
    retired_at   timestamptz,
    created_at   timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX signing_keys_one_active ON signing_keys (purpose) WHERE retired_at IS NULL;

INSERT INTO permissions (id, key, description) VALUES
    ('01936b2e-0008-7000-8000-000000000001', 'key:rotate', 'Rotate the platform''s signing keys');
INSERT INTO role_permissions (role_id, permission_id)
SELECT r.id, p.id FROM roles r, permissions p WHERE r.name = 'super_admin' AND p.key = 'key:rotate';
"#;

const DOWN: &str = r#"
DELETE FROM permissions WHERE key = 'key:rotate';
DROP TABLE signing_keys;
DROP TABLE audit_checkpoints;
DROP FUNCTION audit_checkpoints_append_only();
ALTER TABLE audit_logs DISABLE TRIGGER audit_logs_no_update;
DELETE FROM audit_logs WHERE chain_pos IS NULL;
ALTER TABLE audit_logs DROP CONSTRAINT audit_logs_sealed_whole;
ALTER TABLE audit_logs DROP CONSTRAINT audit_logs_chain_pos_key;
ALTER TABLE audit_logs ALTER COLUMN seq DROP DEFAULT;
DROP SEQUENCE audit_logs_seq_seq;
ALTER TABLE audit_logs DROP COLUMN xid, DROP COLUMN chain_pos, DROP COLUMN sealed_at;
ALTER TABLE audit_logs ALTER COLUMN prev_hash SET NOT NULL, ALTER COLUMN hash SET NOT NULL;
ALTER TABLE audit_logs ENABLE TRIGGER audit_logs_no_update;
CREATE OR REPLACE FUNCTION audit_logs_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit_logs is append-only';
END;
$$;
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
