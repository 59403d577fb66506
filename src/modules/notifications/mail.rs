//! Transactional mail: the outbox (`mail_outbox`, `mail_delivery_attempts`) and the worker
//! that delivers it.
//!
//! Rules:
//! - Nothing sends mail directly. A service calls [`enqueue`] on the transaction of its change,
//!   so the message exists exactly when the change commits.
//! - [`MailWorker`] polls every `mail.poll_interval_ms`. It claims up to [`BATCH_SIZE`] due rows
//!   in one statement (`SELECT ... FOR UPDATE SKIP LOCKED`, then pushes their `next_attempt_at`
//!   forward by a lease of [`CLAIM_LEASE`]), so several instances never take the same row.
//!   It then sends each message and records the outcome (a `mail_delivery_attempts` row plus
//!   the outbox row's new state) in one transaction.
//! - Delivery is at least once: a worker that dies after claiming leaves its rows pending, and
//!   they come due again when the lease runs out; each message carries `Message-ID:
//!   <outbox id@from domain>`, so a receiver can drop a duplicate.
//! - `attempts` counts every try, successful or not (it equals the number of attempt rows).
//!   A failure retries after `retry_base_ms * 2^(attempts-1)`, capped at one hour; at
//!   `mail.max_attempts`, or at once when the message cannot even be built (bad address), the
//!   row becomes `failed` and stays for an operator.
//! - A database or SMTP outage is logged and retried; it never stops the loop.

use std::fmt::Write as _;
use std::panic::AssertUnwindSafe;
use std::time::Duration;

use chrono::{DateTime, Utc};
use entity::{mail_delivery_attempts, mail_outbox};
use futures_util::FutureExt as _;
use kernel::db;
use kernel::enums::{DeliveryOutcome, MailStatus};
use lettre::message::header::ContentType;
use lettre::message::{Mailbox, MultiPart};
use lettre::transport::smtp::authentication::Credentials;
use lettre::{AsyncFileTransport, AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use sea_orm::ActiveValue::Set;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, DbBackend, DbErr, EntityTrait, QueryFilter,
    Statement, TransactionTrait, Value,
};
use tokio::sync::watch;
use tokio::task::JoinHandle;
use uuid::Uuid;

use crate::config::{MailSettings, MailTransport, SmtpTls};

/// Most rows one poll claims.
pub const BATCH_SIZE: usize = 10;
/// How long a claimed row stays invisible to other workers. It must outlast a whole batch
/// (`BATCH_SIZE` x `SEND_TIMEOUT`); after it, a crashed worker's rows are sent again.
pub const CLAIM_LEASE: Duration = Duration::from_secs(10 * 60);
/// Timeout of each SMTP command (connect, EHLO, DATA, ...).
const SMTP_COMMAND_TIMEOUT: Duration = Duration::from_secs(10);
/// Timeout of one whole message.
const SEND_TIMEOUT: Duration = Duration::from_secs(30);
/// Longest wait between two attempts of a message.
const MAX_BACKOFF_MS: u64 = 60 * 60 * 1000;
/// Longest wait between polls while the database is failing.
const MAX_ERROR_BACKOFF: Duration = Duration::from_secs(5);
/// Errors are stored up to this many characters.
const MAX_ERROR_CHARS: usize = 2000;

/// A message to send, as a service hands it to [`enqueue`].
#[derive(Debug, Clone)]
pub struct OutgoingMail {
    /// What the message is for, in snake_case (`verify_email`, `password_reset`).
    pub kind: &'static str,
    /// The recipient's address (`ada@example.com` or `Ada <ada@example.com>`).
    pub to: String,
    pub subject: String,
    /// The plain-text body; always sent.
    pub text: String,
    /// An HTML alternative; when present the message is `multipart/alternative`.
    pub html: Option<String>,
}

/// Adds `mail` to the outbox as a pending message due now. Pass the transaction of the change
/// that causes the mail: the message is sent only if that transaction commits.
pub async fn enqueue(db: &impl ConnectionTrait, mail: OutgoingMail) -> Result<Uuid, DbErr> {
    let id = Uuid::now_v7();
    let row = mail_outbox::ActiveModel {
        id: Set(id),
        kind: Set(mail.kind.to_owned()),
        to_address: Set(mail.to),
        subject: Set(mail.subject),
        text_body: Set(mail.text),
        html_body: Set(mail.html),
        ..Default::default()
    };
    mail_outbox::Entity::insert(row)
        .exec_without_returning(db)
        .await?;
    Ok(id)
}

/// The running delivery loop. Dropping it without [`MailWorker::stop`] also stops the loop,
/// but without waiting for it.
pub struct MailWorker {
    stop: watch::Sender<bool>,
    task: JoinHandle<()>,
}

impl MailWorker {
    /// Starts delivering the outbox of `db` with the transport `settings` describe. Must be
    /// called inside a Tokio runtime.
    pub fn spawn(db: DatabaseConnection, settings: MailSettings) -> MailWorker {
        let (stop, stop_rx) = watch::channel(false);
        let task = tokio::spawn(run(db, settings, stop_rx));
        MailWorker { stop, task }
    }

    /// Asks the loop to stop and waits for it: the message being sent is finished and
    /// recorded, the rest of its batch is handed back (due at once) for another instance.
    pub async fn stop(self) {
        let _ = self.stop.send(true);
        if let Err(e) = self.task.await {
            tracing::error!(error = %e, "mail worker ended abnormally");
        }
    }
}

fn stopping(stop: &watch::Receiver<bool>) -> bool {
    *stop.borrow() || stop.has_changed().is_err()
}

async fn run(db: DatabaseConnection, settings: MailSettings, mut stop: watch::Receiver<bool>) {
    let sender = match Sender::from_settings(&settings).await {
        Ok(sender) => sender,
        Err(e) => {
            // Nothing is sent, nothing is lost: the outbox waits for a corrected configuration.
            tracing::error!(error = %e, "mail transport misconfigured; the outbox will not be delivered");
            let _ = stop.wait_for(|s| *s).await;
            return;
        }
    };
    let poll = Duration::from_millis(settings.poll_interval_ms.max(1));
    let mut failing_polls: u32 = 0;
    tracing::info!(transport = ?settings.transport, "mail worker started");
    loop {
        let tick = AssertUnwindSafe(tick(&db, &sender, &settings, &stop))
            .catch_unwind()
            .await;
        let wait = match tick {
            Ok(Ok(claimed)) => {
                failing_polls = 0;
                // A full batch means there may be more due: go on without waiting.
                (claimed < BATCH_SIZE).then_some(poll)
            }
            Ok(Err(e)) => {
                failing_polls = failing_polls.saturating_add(1);
                tracing::warn!(error = %e, failing_polls, "mail outbox poll failed; retrying");
                Some(backoff(poll, failing_polls))
            }
            Err(_) => {
                failing_polls = failing_polls.saturating_add(1);
                tracing::error!("mail outbox poll panicked; retrying");
                Some(backoff(poll, failing_polls))
            }
        };
        if stopping(&stop) {
            break;
        }
        if let Some(wait) = wait {
            tokio::select! {
                _ = stop.changed() => {}
                _ = tokio::time::sleep(wait) => {}
            }
            if stopping(&stop) {
                break;
            }
        }
    }
    sender.shutdown().await;
    tracing::info!("mail worker stopped");
}

/// The wait before the next poll after `failures` failed polls in a row.
fn backoff(poll: Duration, failures: u32) -> Duration {
    let factor = 2u32.saturating_pow(failures.saturating_sub(1).min(16));
    poll.saturating_mul(factor).min(MAX_ERROR_BACKOFF.max(poll))
}

/// One poll: claims a batch and delivers it. Returns how many rows were claimed.
async fn tick(
    db: &DatabaseConnection,
    sender: &Sender,
    settings: &MailSettings,
    stop: &watch::Receiver<bool>,
) -> Result<usize, DbErr> {
    let batch = claim(db).await?;
    let claimed = batch.len();
    let mut rows = batch.into_iter();
    while let Some(row) = rows.next() {
        if stopping(stop) {
            release(db, std::iter::once(row.id).chain(rows.map(|r| r.id))).await;
            break;
        }
        deliver(db, sender, settings, row).await;
    }
    Ok(claimed)
}

/// Takes up to [`BATCH_SIZE`] due rows for this worker: locks them skipping rows another
/// worker holds, and moves them out of everyone's sight for [`CLAIM_LEASE`], all in one
/// statement (one short transaction).
async fn claim(db: &DatabaseConnection) -> Result<Vec<mail_outbox::Model>, DbErr> {
    const SQL: &str = r#"
WITH due AS (
    SELECT id FROM mail_outbox
    WHERE status = 'pending' AND next_attempt_at <= now()
    ORDER BY next_attempt_at, id
    LIMIT $1
    FOR UPDATE SKIP LOCKED
)
UPDATE mail_outbox AS m
SET next_attempt_at = now() + make_interval(secs => $2), updated_at = now()
FROM due
WHERE m.id = due.id
RETURNING m.*"#;
    let stmt = Statement::from_sql_and_values(
        DbBackend::Postgres,
        SQL,
        [
            Value::from(BATCH_SIZE as i64),
            Value::from(CLAIM_LEASE.as_secs_f64()),
        ],
    );
    let mut rows = mail_outbox::Entity::find()
        .from_raw_sql(stmt)
        .all(db)
        .await?;
    rows.sort_by_key(|r| (r.next_attempt_at, r.id));
    Ok(rows)
}

/// Hands claimed but unsent rows back (due at once), when stopping mid-batch.
async fn release(db: &DatabaseConnection, ids: impl Iterator<Item = Uuid>) {
    for id in ids {
        let released = mail_outbox::Entity::update_many()
            .col_expr(
                mail_outbox::Column::NextAttemptAt,
                Expr::current_timestamp(),
            )
            .col_expr(mail_outbox::Column::UpdatedAt, Expr::current_timestamp())
            .filter(mail_outbox::Column::Id.eq(id))
            .filter(mail_outbox::Column::Status.eq(MailStatus::Pending))
            .exec(db)
            .await;
        if let Err(e) = released {
            // The lease runs out on its own; the message is only late.
            tracing::warn!(outbox_id = %id, error = %e, "could not release a claimed mail");
        }
    }
}

/// Why an attempt failed, and whether trying again could help.
struct Failure {
    error: String,
    permanent: bool,
}

/// Sends one claimed row and records the outcome. Never fails: a recording error is logged
/// and the row, still pending under its lease, is tried again later.
async fn deliver(
    db: &DatabaseConnection,
    sender: &Sender,
    settings: &MailSettings,
    row: mail_outbox::Model,
) {
    let attempted_at = Utc::now();
    let outcome = sender.send(&row).await;
    if let Err(e) = record(db, settings, &row, attempted_at, &outcome).await {
        tracing::warn!(
            outbox_id = %row.id,
            sent = outcome.is_ok(),
            error = %e,
            "could not record a mail delivery attempt; the message will be tried again"
        );
    }
}

/// Writes the attempt and the row's new state in one transaction.
async fn record(
    db: &DatabaseConnection,
    settings: &MailSettings,
    row: &mail_outbox::Model,
    attempted_at: DateTime<Utc>,
    outcome: &Result<(), Failure>,
) -> Result<(), DbErr> {
    let txn = db.begin().await?;
    let attempts: Option<i32> = db::scalar(
        &txn,
        "SELECT attempts FROM mail_outbox WHERE id = $1 AND status = 'pending' FOR UPDATE",
        [Value::from(row.id)],
    )
    .await?;
    let Some(attempts) = attempts else {
        // Another worker finished it after this one's lease ran out (or it was deleted).
        tracing::warn!(outbox_id = %row.id, sent = outcome.is_ok(), "mail row already finished elsewhere");
        return txn.rollback().await;
    };
    let attempt = attempts.saturating_add(1);
    let max_attempts = i32::try_from(settings.max_attempts.max(1)).unwrap_or(i32::MAX);

    let update = mail_outbox::Entity::update_many()
        .col_expr(mail_outbox::Column::Attempts, Expr::value(attempt))
        .col_expr(mail_outbox::Column::UpdatedAt, Expr::current_timestamp())
        .filter(mail_outbox::Column::Id.eq(row.id));
    let (update, outcome, error) = match outcome {
        Ok(()) => {
            tracing::info!(outbox_id = %row.id, kind = %row.kind, attempt, "mail sent");
            (
                update
                    .col_expr(mail_outbox::Column::Status, Expr::value(MailStatus::Sent))
                    .col_expr(mail_outbox::Column::SentAt, Expr::current_timestamp())
                    .col_expr(
                        mail_outbox::Column::LastError,
                        Expr::value(Option::<String>::None),
                    ),
                DeliveryOutcome::Sent,
                None,
            )
        }
        Err(failure) if failure.permanent || attempt >= max_attempts => {
            tracing::error!(
                outbox_id = %row.id, kind = %row.kind, attempt, error = %failure.error,
                "mail delivery failed for good"
            );
            (
                update
                    .col_expr(mail_outbox::Column::Status, Expr::value(MailStatus::Failed))
                    .col_expr(
                        mail_outbox::Column::LastError,
                        Expr::value(failure.error.clone()),
                    ),
                DeliveryOutcome::Failed,
                Some(failure.error.clone()),
            )
        }
        Err(failure) => {
            let delay_ms = retry_delay_ms(settings.retry_base_ms, attempt);
            tracing::warn!(
                outbox_id = %row.id, kind = %row.kind, attempt, retry_in_ms = delay_ms,
                error = %failure.error, "mail delivery failed; will retry"
            );
            (
                update
                    .col_expr(
                        mail_outbox::Column::LastError,
                        Expr::value(failure.error.clone()),
                    )
                    .col_expr(
                        mail_outbox::Column::NextAttemptAt,
                        Expr::cust_with_values(
                            "now() + make_interval(secs => $1)",
                            [delay_ms as f64 / 1000.0],
                        ),
                    ),
                DeliveryOutcome::Failed,
                Some(failure.error.clone()),
            )
        }
    };
    update.exec(&txn).await?;
    mail_delivery_attempts::Entity::insert(mail_delivery_attempts::ActiveModel {
        id: Set(Uuid::now_v7()),
        outbox_id: Set(row.id),
        attempt: Set(attempt),
        attempted_at: Set(attempted_at),
        outcome: Set(outcome),
        error: Set(error),
    })
    .exec_without_returning(&txn)
    .await?;
    txn.commit().await
}

/// The wait after the `attempt`-th failure: `base * 2^(attempt-1)`, at most one hour.
fn retry_delay_ms(base_ms: u64, attempt: i32) -> u64 {
    let exponent = u32::try_from(attempt.saturating_sub(1))
        .unwrap_or(0)
        .min(63);
    base_ms
        .saturating_mul(2u64.saturating_pow(exponent))
        .min(MAX_BACKOFF_MS)
}

/// Where messages go, built once from the settings.
enum Transport {
    Smtp(AsyncSmtpTransport<Tokio1Executor>),
    File(AsyncFileTransport<Tokio1Executor>),
    Log,
}

struct Sender {
    transport: Transport,
    from: Mailbox,
}

impl Sender {
    async fn from_settings(settings: &MailSettings) -> Result<Sender, String> {
        let from: Mailbox = settings
            .from
            .parse()
            .map_err(|e| format!("mail.from `{}`: {e}", settings.from))?;
        let transport = match settings.transport {
            MailTransport::Smtp => {
                let host = settings.smtp_host.as_str();
                let builder = match settings.smtp_tls {
                    SmtpTls::None => AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(host),
                    SmtpTls::Starttls => AsyncSmtpTransport::<Tokio1Executor>::starttls_relay(host)
                        .map_err(|e| format!("mail.smtp_host `{host}`: {e}"))?,
                    SmtpTls::Tls => AsyncSmtpTransport::<Tokio1Executor>::relay(host)
                        .map_err(|e| format!("mail.smtp_host `{host}`: {e}"))?,
                };
                let mut builder = builder
                    .port(settings.smtp_port)
                    .timeout(Some(SMTP_COMMAND_TIMEOUT));
                if !settings.smtp_username.is_empty() {
                    builder = builder.credentials(Credentials::new(
                        settings.smtp_username.clone(),
                        settings.smtp_password.clone(),
                    ));
                }
                Transport::Smtp(builder.build())
            }
            MailTransport::File => {
                if let Err(e) = tokio::fs::create_dir_all(&settings.file_dir).await {
                    // Each send fails (and is retried) until the folder can be written.
                    tracing::warn!(dir = %settings.file_dir, error = %e, "cannot create the mail folder");
                }
                Transport::File(AsyncFileTransport::new(&settings.file_dir))
            }
            MailTransport::Log => Transport::Log,
        };
        Ok(Sender { transport, from })
    }

    fn message(&self, row: &mail_outbox::Model) -> Result<Message, String> {
        let to: Mailbox = row
            .to_address
            .parse()
            .map_err(|e| format!("recipient `{}`: {e}", row.to_address))?;
        let builder = Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(row.subject.clone())
            .message_id(Some(format!("<{}@{}>", row.id, self.from.email.domain())));
        let message = match &row.html_body {
            Some(html) => builder.multipart(MultiPart::alternative_plain_html(
                row.text_body.clone(),
                html.clone(),
            )),
            None => builder
                .header(ContentType::TEXT_PLAIN)
                .body(row.text_body.clone()),
        };
        message.map_err(|e| format!("building the message: {e}"))
    }

    async fn send(&self, row: &mail_outbox::Model) -> Result<(), Failure> {
        let message = self.message(row).map_err(|error| Failure {
            error: truncate(error),
            permanent: true,
        })?;
        let sent = match &self.transport {
            Transport::Smtp(smtp) => tokio::time::timeout(SEND_TIMEOUT, smtp.send(message))
                .await
                .map(|r| r.map(drop).map_err(|e| error_chain(&e))),
            Transport::File(file) => tokio::time::timeout(SEND_TIMEOUT, file.send(message))
                .await
                .map(|r| r.map(drop).map_err(|e| error_chain(&e))),
            Transport::Log => {
                tracing::info!(
                    outbox_id = %row.id, kind = %row.kind, to = %row.to_address,
                    subject = %row.subject, "mail (log transport, not sent)"
                );
                tracing::debug!(outbox_id = %row.id, body = %row.text_body, "mail body");
                Ok(Ok(()))
            }
        };
        match sent {
            Ok(Ok(())) => Ok(()),
            Ok(Err(error)) => Err(Failure {
                error: truncate(error),
                permanent: false,
            }),
            Err(_) => Err(Failure {
                error: format!("timed out after {} s", SEND_TIMEOUT.as_secs()),
                permanent: false,
            }),
        }
    }

    async fn shutdown(&self) {
        if let Transport::Smtp(smtp) = &self.transport {
            smtp.shutdown().await;
        }
    }
}

/// An error and its sources, without repeating a source already in the message.
fn error_chain(e: &(dyn std::error::Error + 'static)) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        let part = s.to_string();
        if !text.contains(&part) {
            let _ = write!(text, ": {part}");
        }
        source = s.source();
    }
    text
}

fn truncate(mut text: String) -> String {
    if let Some((cut, _)) = text.char_indices().nth(MAX_ERROR_CHARS) {
        text.truncate(cut);
        text.push('…');
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_delay_doubles_and_caps_at_one_hour() {
        assert_eq!(retry_delay_ms(100, 1), 100);
        assert_eq!(retry_delay_ms(100, 2), 200);
        assert_eq!(retry_delay_ms(100, 4), 800);
        assert_eq!(retry_delay_ms(2000, 30), MAX_BACKOFF_MS);
        assert_eq!(retry_delay_ms(u64::MAX, 200), MAX_BACKOFF_MS);
        assert_eq!(retry_delay_ms(100, 0), 100);
    }

    #[test]
    fn poll_backoff_grows_to_its_cap() {
        let poll = Duration::from_millis(50);
        assert_eq!(backoff(poll, 1), poll);
        assert_eq!(backoff(poll, 2), Duration::from_millis(100));
        assert_eq!(backoff(poll, 40), MAX_ERROR_BACKOFF);
        let slow = Duration::from_secs(60);
        assert_eq!(backoff(slow, 3), slow);
    }

    #[test]
    fn long_errors_are_truncated() {
        assert_eq!(truncate("short".into()), "short");
        let long = "é".repeat(MAX_ERROR_CHARS + 10);
        assert_eq!(truncate(long).chars().count(), MAX_ERROR_CHARS + 1);
    }
}
