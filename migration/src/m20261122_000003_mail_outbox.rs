//! The transactional mail outbox: `mail_outbox`, one row per message to send, written in the
//! same transaction as the change that causes it, and `mail_delivery_attempts`, the history
//! of every try the delivery worker makes. The partial index serves the worker's poll (due,
//! pending rows only), so sent and failed history never slows it down.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

const UP: &str = r#"
CREATE TABLE mail_outbox (
    id              uuid PRIMARY KEY,
    kind            text NOT NULL CHECK (kind ~ '^[a-z][a-z0-9_.-]{0,63}$'),
    to_address      text NOT NULL CHECK (to_address <> ''),
    subject         text NOT NULL,
    text_body       text NOT NULL,
    html_body       text NULL,
    status          text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'sent', 'failed')),
    attempts        integer NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    next_attempt_at timestamptz NOT NULL DEFAULT now(),
    last_error      text NULL,
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now(),
    sent_at         timestamptz NULL,
    CHECK ((status = 'sent') = (sent_at IS NOT NULL))
);

CREATE INDEX mail_outbox_due_idx ON mail_outbox (next_attempt_at) WHERE status = 'pending';

CREATE TABLE mail_delivery_attempts (
    id           uuid PRIMARY KEY,
    outbox_id    uuid NOT NULL REFERENCES mail_outbox (id) ON DELETE CASCADE,
    attempt      integer NOT NULL CHECK (attempt >= 1),
    attempted_at timestamptz NOT NULL DEFAULT now(),
    outcome      text NOT NULL CHECK (outcome IN ('sent', 'failed')),
    error        text NULL
);

CREATE INDEX mail_delivery_attempts_outbox_idx ON mail_delivery_attempts (outbox_id);
"#;

const DOWN: &str = "DROP TABLE mail_delivery_attempts; DROP TABLE mail_outbox;";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        crate::run_sql(manager, UP).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        crate::run_sql(manager, DOWN).await
    }
}
