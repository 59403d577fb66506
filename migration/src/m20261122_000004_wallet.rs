//! The wallet: currencies, wallets (user and system), the double-entry ledger, idempotency
//! keys, reward dedupe, stakes with their daily accruals, and daily economic snapshots.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

const UP: &str = r#"
CREATE TABLE currencies (
    code          text PRIMARY KEY CHECK (code ~ '^[A-Z]{3,5}$'),
    name          text NOT NULL,
    scale         smallint NOT NULL CHECK (scale BETWEEN 0 AND 8),
    user_holdable boolean NOT NULL DEFAULT true,
    created_at    timestamptz NOT NULL DEFAULT now()
);
INSERT INTO currencies (code, name, scale, user_holdable) VALUES
    ('AZR', 'Azora token', 8, true),
    ('USD', 'US dollar', 2, true),
    ('ZAR', 'South African rand', 2, true),
    ('BTC', 'Bitcoin', 8, true),
    ('ETH', 'Ether', 8, true);

-- A user wallet has an owner; a system wallet has a kind. User balances never go below zero.
CREATE TABLE wallets (
    id          uuid PRIMARY KEY,
    owner_id    uuid REFERENCES users (id),
    system_kind text CHECK (system_kind IN ('treasury', 'fees', 'escrow', 'staking_pool', 'rewards_pool', 'course_revenue')),
    currency    text NOT NULL REFERENCES currencies (code),
    balance     numeric(26, 8) NOT NULL DEFAULT 0,
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    CHECK ((owner_id IS NULL) <> (system_kind IS NULL)),
    CONSTRAINT wallets_user_balance_non_negative CHECK (owner_id IS NULL OR balance >= 0),
    -- Only the treasury issues: every other wallet holds what it was given.
    CHECK (system_kind IS NULL OR system_kind = 'treasury' OR balance >= 0)
);
CREATE UNIQUE INDEX wallets_owner_currency_key ON wallets (owner_id, currency) WHERE owner_id IS NOT NULL;
CREATE UNIQUE INDEX wallets_system_currency_key ON wallets (system_kind, currency) WHERE system_kind IS NOT NULL;

INSERT INTO wallets (id, system_kind, currency)
SELECT gen_random_uuid(), k.kind, c.code
FROM currencies c
CROSS JOIN (VALUES ('treasury'), ('fees'), ('escrow'), ('staking_pool'), ('rewards_pool'), ('course_revenue')) AS k (kind);

-- Immutable journal: a transaction and its entries; entries sum to zero (checked by reconcile
-- and by the posting code, which writes all of them in one statement).
CREATE TABLE ledger_transactions (
    id           uuid PRIMARY KEY,
    kind         text NOT NULL CHECK (kind IN ('transfer', 'payment', 'refund', 'reward', 'mint', 'stake', 'unstake', 'stake_reward', 'fee')),
    currency     text NOT NULL REFERENCES currencies (code),
    amount       numeric(26, 8) NOT NULL CHECK (amount > 0),
    description  text NOT NULL DEFAULT '',
    reference    text,
    initiated_by uuid REFERENCES users (id),
    reverses     uuid REFERENCES ledger_transactions (id),
    created_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX ledger_transactions_created_idx ON ledger_transactions (created_at);

CREATE TABLE ledger_entries (
    id             uuid PRIMARY KEY,
    transaction_id uuid NOT NULL REFERENCES ledger_transactions (id),
    wallet_id      uuid NOT NULL REFERENCES wallets (id),
    amount         numeric(26, 8) NOT NULL CHECK (amount <> 0),
    balance_after  numeric(26, 8) NOT NULL,
    created_at     timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX ledger_entries_wallet_idx ON ledger_entries (wallet_id, id DESC);
CREATE INDEX ledger_entries_transaction_idx ON ledger_entries (transaction_id);

CREATE OR REPLACE FUNCTION ledger_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'the ledger is append-only: post a reversing transaction instead';
END;
$$;
CREATE TRIGGER ledger_transactions_no_update BEFORE UPDATE OR DELETE ON ledger_transactions
    FOR EACH ROW EXECUTE FUNCTION ledger_append_only();
CREATE TRIGGER ledger_entries_no_update BEFORE UPDATE OR DELETE ON ledger_entries
    FOR EACH ROW EXECUTE FUNCTION ledger_append_only();

-- The rewards pool starts funded by the treasury, so rewards and staking yield are part of
-- the issued supply.
WITH t AS (
    INSERT INTO ledger_transactions (id, kind, currency, amount, description)
    VALUES ('01936b2e-0005-7000-8000-000000000001', 'mint', 'AZR', 10000000, 'Initial rewards pool')
    RETURNING id
)
INSERT INTO ledger_entries (id, transaction_id, wallet_id, amount, balance_after)
SELECT gen_random_uuid(), t.id, w.id,
       CASE w.system_kind WHEN 'treasury' THEN -10000000 ELSE 10000000 END,
       CASE w.system_kind WHEN 'treasury' THEN -10000000 ELSE 10000000 END
FROM t, wallets w WHERE w.currency = 'AZR' AND w.system_kind IN ('treasury', 'rewards_pool');
UPDATE wallets SET balance = CASE system_kind WHEN 'treasury' THEN -10000000 ELSE 10000000 END
WHERE currency = 'AZR' AND system_kind IN ('treasury', 'rewards_pool');

-- The first result of a request made with an Idempotency-Key.
CREATE TABLE idempotency_keys (
    user_id      uuid NOT NULL REFERENCES users (id),
    scope        text NOT NULL,
    key          text NOT NULL CHECK (length(key) BETWEEN 1 AND 200),
    request_hash bytea NOT NULL,
    status_code  int NOT NULL,
    response     jsonb NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (user_id, scope, key)
);

-- A reward is paid at most once per dedupe key.
CREATE TABLE reward_grants (
    dedupe_key     text PRIMARY KEY,
    user_id        uuid NOT NULL REFERENCES users (id),
    transaction_id uuid NOT NULL REFERENCES ledger_transactions (id),
    amount         numeric(26, 8) NOT NULL,
    reason         text NOT NULL,
    created_at     timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE stakes (
    id              uuid PRIMARY KEY,
    user_id         uuid NOT NULL REFERENCES users (id),
    wallet_id       uuid NOT NULL REFERENCES wallets (id),
    amount          numeric(26, 8) NOT NULL CHECK (amount > 0),
    term_days       int NOT NULL CHECK (term_days > 0),
    apr             numeric(8, 6) NOT NULL CHECK (apr >= 0),
    status          text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'unstaked')),
    accrued         numeric(26, 8) NOT NULL DEFAULT 0 CHECK (accrued >= 0),
    started_at      timestamptz NOT NULL DEFAULT now(),
    matures_at      timestamptz NOT NULL,
    unstaked_at     timestamptz,
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX stakes_user_idx ON stakes (user_id);
CREATE INDEX stakes_active_idx ON stakes (status) WHERE status = 'active';

-- One accrual per stake per day: the key makes a second run of the job pay nothing.
CREATE TABLE stake_accruals (
    stake_id       uuid NOT NULL REFERENCES stakes (id),
    day            date NOT NULL,
    amount         numeric(26, 8) NOT NULL CHECK (amount >= 0),
    transaction_id uuid REFERENCES ledger_transactions (id),
    created_at     timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (stake_id, day)
);

CREATE TABLE economic_snapshots (
    day          date NOT NULL,
    currency     text NOT NULL REFERENCES currencies (code),
    supply       numeric(26, 8) NOT NULL,
    staked       numeric(26, 8) NOT NULL,
    volume_24h   numeric(26, 8) NOT NULL,
    transactions bigint NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (day, currency)
);
"#;

const DOWN: &str = r#"
DROP TABLE economic_snapshots, stake_accruals, stakes, reward_grants, idempotency_keys;
DROP TABLE ledger_entries, ledger_transactions;
DROP FUNCTION IF EXISTS ledger_append_only();
DROP TABLE wallets, currencies;
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
