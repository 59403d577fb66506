//! The mail outbox and its worker, end to end: rows enqueued in a transaction are delivered by
//! the real worker through lettre's SMTP transport to the loopback SMTP server, only when the
//! transaction commits; an SMTP outage is retried with backoff and recorded; several workers
//! on one database deliver each message once; a message that keeps failing ends `failed`;
//! a database outage only delays mail.

use std::time::{Duration, Instant};

use azora::config::{MailSettings, SmtpTls};
use azora::modules::notifications::mail::{MailWorker, OutgoingMail, enqueue};
use kernel::enums::MailStatus;
use sea_orm::{
    ConnectionTrait, Database, DatabaseConnection, DbBackend, Statement, TransactionTrait, Value,
};
use uuid::Uuid;

use crate::helpers::smtp::SmtpServer;
use crate::helpers::tcp_proxy::TcpProxy;
use crate::helpers::{TestDb, test_settings};

const WAIT: Duration = Duration::from_secs(10);

/// A migrated database, a connection to it and a loopback SMTP server.
struct Harness {
    db: DatabaseConnection,
    smtp: SmtpServer,
    database: TestDb,
}

impl Harness {
    async fn new() -> Harness {
        let database = TestDb::create().await;
        let db = Database::connect(database.url.as_str())
            .await
            .expect("connect the test database");
        let smtp = SmtpServer::start().await;
        Harness { db, smtp, database }
    }

    /// `config/test.toml`'s mail settings, pointed at the loopback server.
    fn settings(&self) -> MailSettings {
        let mut mail = test_settings().mail;
        mail.smtp_host = "127.0.0.1".into();
        mail.smtp_port = self.smtp.port();
        mail.smtp_tls = SmtpTls::None;
        mail
    }

    /// A worker with its own pool, as another app instance would have.
    async fn worker(&self, settings: MailSettings) -> MailWorker {
        let db = Database::connect(self.database.url.as_str())
            .await
            .expect("connect the worker");
        MailWorker::spawn(db, settings)
    }

    async fn enqueue_committed(&self, mail: OutgoingMail) -> Uuid {
        let txn = self.db.begin().await.unwrap();
        let id = enqueue(&txn, mail).await.unwrap();
        txn.commit().await.unwrap();
        id
    }

    async fn row(&self, id: Uuid) -> entity::mail_outbox::Model {
        use sea_orm::EntityTrait;
        entity::mail_outbox::Entity::find_by_id(id)
            .one(&self.db)
            .await
            .unwrap()
            .expect("the outbox row exists")
    }

    /// (attempt, outcome, error) of every attempt at `id`, in order.
    async fn attempts(&self, id: Uuid) -> Vec<(i32, String, Option<String>)> {
        self.db
            .query_all_raw(Statement::from_sql_and_values(
                DbBackend::Postgres,
                "SELECT attempt, outcome, error FROM mail_delivery_attempts \
                 WHERE outbox_id = $1 ORDER BY attempt",
                [Value::from(id)],
            ))
            .await
            .unwrap()
            .iter()
            .map(|r| {
                (
                    r.try_get("", "attempt").unwrap(),
                    r.try_get("", "outcome").unwrap(),
                    r.try_get("", "error").unwrap(),
                )
            })
            .collect()
    }

    async fn count(&self, sql: &str) -> i64 {
        self.db
            .query_one_raw(Statement::from_string(DbBackend::Postgres, sql))
            .await
            .unwrap()
            .unwrap()
            .try_get_by_index(0)
            .unwrap()
    }

    /// Polls `row(id)` until `done` holds, or panics after [`WAIT`].
    async fn row_until(
        &self,
        id: Uuid,
        what: &str,
        done: impl Fn(&entity::mail_outbox::Model) -> bool,
    ) -> entity::mail_outbox::Model {
        let deadline = Instant::now() + WAIT;
        loop {
            let row = self.row(id).await;
            if done(&row) {
                return row;
            }
            assert!(
                Instant::now() < deadline,
                "timed out waiting for {what}: {row:?}"
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}

fn mail(to: &str, subject: &str, text: &str, html: Option<&str>) -> OutgoingMail {
    OutgoingMail {
        kind: "verify_email",
        to: to.to_owned(),
        subject: subject.to_owned(),
        text: text.to_owned(),
        html: html.map(str::to_owned),
    }
}

#[tokio::test]
async fn a_committed_mail_is_delivered_over_smtp_and_recorded() {
    let h = Harness::new().await;
    let worker = h.worker(h.settings()).await;

    // A long token and a long line make lettre pick a transfer encoding (quoted-printable or
    // base64): the test server must hand back the decoded text.
    let token = "AbC123_-".repeat(12);
    let text = format!(
        "Welcome to Azora. Confirm your address by opening this link within 24 hours: \
         http://localhost:8080/verify?token={token}\n\nThe Azora team"
    );
    let id = h
        .enqueue_committed(mail(
            "ada@example.com",
            "Confirm your email",
            &text,
            Some(&format!(
                "<p><a href=\"http://localhost:8080/verify?token={token}\">Confirm</a></p>"
            )),
        ))
        .await;
    let plain_id = h
        .enqueue_committed(mail(
            "bob@example.com",
            "Bienvenue, Zoë ✓",
            "Votre code : 123456 — à bientôt, Zoë ✓ ëëëëëëëëëë",
            None,
        ))
        .await;

    let got = h.smtp.wait_for("ada@example.com", WAIT).await;
    assert_eq!(got.subject, "Confirm your email");
    assert_eq!(got.from, "no-reply@azora.local");
    assert_eq!(got.to, vec!["ada@example.com".to_owned()]);
    assert_eq!(
        got.header("From").as_deref(),
        Some("Azora <no-reply@azora.local>")
    );
    assert_eq!(got.header("To").as_deref(), Some("ada@example.com"));
    assert_eq!(
        got.header("Message-ID"),
        Some(format!("<{id}@azora.local>"))
    );
    assert!(got.raw.contains("multipart/alternative"), "{}", got.raw);
    assert!(
        got.body.contains(&format!("/verify?token={token}")),
        "{}",
        got.body
    );
    assert!(
        !got.body.contains("<p>"),
        "the body is the text part: {}",
        got.body
    );
    assert_eq!(got.param("token"), Some(token));

    let plain = h.smtp.wait_for("bob@example.com", WAIT).await;
    // Non-ASCII text: an RFC 2047 subject and a base64 or quoted-printable body.
    assert_eq!(plain.subject, "Bienvenue, Zoë ✓");
    assert_eq!(
        plain.body.trim_end(),
        "Votre code : 123456 — à bientôt, Zoë ✓ ëëëëëëëëëë"
    );
    assert!(!plain.raw.contains("multipart"));

    let row = h
        .row_until(id, "status sent", |r| r.status == MailStatus::Sent)
        .await;
    assert_eq!(row.attempts, 1);
    assert!(row.sent_at.is_some());
    assert!(row.last_error.is_none());
    assert_eq!(h.attempts(id).await, vec![(1, "sent".to_owned(), None)]);
    h.row_until(plain_id, "status sent", |r| r.status == MailStatus::Sent)
        .await;

    worker.stop().await;
    assert_eq!(h.smtp.messages().len(), 2, "each mail is sent once");
}

#[tokio::test]
async fn a_rolled_back_transaction_sends_nothing() {
    let h = Harness::new().await;
    let worker = h.worker(h.settings()).await;

    let txn = h.db.begin().await.unwrap();
    enqueue(&txn, mail("ghost@example.com", "Never", "never sent", None))
        .await
        .unwrap();
    txn.rollback().await.unwrap();
    // A mail committed afterwards shows the worker has polled past the rolled-back one.
    h.enqueue_committed(mail("after@example.com", "After", "sent", None))
        .await;
    h.smtp.wait_for("after@example.com", WAIT).await;
    tokio::time::sleep(Duration::from_millis(200)).await;

    assert!(
        h.smtp
            .messages()
            .iter()
            .all(|m| !m.to.contains(&"ghost@example.com".to_owned()))
    );
    assert_eq!(
        h.count("SELECT count(*) FROM mail_outbox WHERE to_address = 'ghost@example.com'")
            .await,
        0
    );
    worker.stop().await;
}

#[tokio::test]
async fn an_smtp_outage_is_retried_with_backoff_and_the_mail_arrives_after() {
    let h = Harness::new().await;
    let worker = h.worker(h.settings()).await;
    h.smtp.pause();

    let id = h
        .enqueue_committed(mail(
            "carol@example.com",
            "Reset your password",
            "code 424242",
            None,
        ))
        .await;
    let deadline = Instant::now() + WAIT;
    while h.attempts(id).await.len() < 2 {
        assert!(Instant::now() < deadline, "no two failed attempts recorded");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let failing = h.row(id).await;
    assert_eq!(failing.status, MailStatus::Pending);
    assert!(failing.attempts >= 2);
    assert!(failing.last_error.as_deref().is_some_and(|e| !e.is_empty()));
    assert!(h.smtp.messages().is_empty());

    h.smtp.resume();

    let got = h.smtp.wait_for("carol@example.com", WAIT).await;
    assert_eq!(got.subject, "Reset your password");
    assert!(got.body.contains("code 424242"));
    let row = h
        .row_until(id, "status sent", |r| r.status == MailStatus::Sent)
        .await;
    let attempts = h.attempts(id).await;
    assert!(attempts.len() >= 3, "{attempts:?}");
    assert_eq!(row.attempts as usize, attempts.len());
    let (last, failed) = attempts.split_last().unwrap();
    assert_eq!(last.1, "sent");
    for (n, (attempt, outcome, error)) in failed.iter().enumerate() {
        assert_eq!(*attempt as usize, n + 1);
        assert_eq!(outcome, "failed");
        assert!(error.as_deref().is_some_and(|e| !e.is_empty()));
    }
    assert!(row.last_error.is_none());

    worker.stop().await;
    assert_eq!(h.smtp.messages().len(), 1);
}

#[tokio::test]
async fn two_workers_on_one_database_deliver_each_message_exactly_once() {
    let h = Harness::new().await;
    let first = h.worker(h.settings()).await;
    let second = h.worker(h.settings()).await;

    let txn = h.db.begin().await.unwrap();
    for n in 0..20 {
        enqueue(
            &txn,
            mail(
                &format!("user{n}@example.com"),
                &format!("Message {n}"),
                "hello",
                None,
            ),
        )
        .await
        .unwrap();
    }
    txn.commit().await.unwrap();

    let deadline = Instant::now() + WAIT;
    while h
        .count("SELECT count(*) FROM mail_outbox WHERE status = 'sent'")
        .await
        < 20
    {
        assert!(Instant::now() < deadline, "not all 20 mails were sent");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    // Leave a duplicate time to show up.
    tokio::time::sleep(Duration::from_millis(300)).await;
    first.stop().await;
    second.stop().await;

    let mut subjects: Vec<String> = h.smtp.messages().into_iter().map(|m| m.subject).collect();
    subjects.sort();
    let mut expected: Vec<String> = (0..20).map(|n| format!("Message {n}")).collect();
    expected.sort();
    assert_eq!(subjects, expected);
    assert_eq!(
        h.count("SELECT count(*) FROM mail_delivery_attempts").await,
        20
    );
}

#[tokio::test]
async fn a_mail_that_keeps_failing_ends_failed_after_max_attempts() {
    let h = Harness::new().await;
    h.smtp.pause();
    let mut settings = h.settings();
    settings.max_attempts = 3;
    let worker = h.worker(settings).await;

    let id = h
        .enqueue_committed(mail("dave@example.com", "Doomed", "x", None))
        .await;
    let row = h
        .row_until(id, "status failed", |r| r.status == MailStatus::Failed)
        .await;
    assert_eq!(row.attempts, 3);
    assert!(row.sent_at.is_none());
    assert!(row.last_error.as_deref().is_some_and(|e| !e.is_empty()));
    let attempts = h.attempts(id).await;
    assert_eq!(
        attempts
            .iter()
            .map(|a| (a.0, a.1.as_str()))
            .collect::<Vec<_>>(),
        vec![(1, "failed"), (2, "failed"), (3, "failed")]
    );

    // A failed mail is not retried, even once the server is back.
    h.smtp.resume();
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(h.attempts(id).await.len(), 3);
    assert!(h.smtp.messages().is_empty());
    worker.stop().await;
}

#[tokio::test]
async fn an_unparsable_recipient_fails_at_once() {
    let h = Harness::new().await;
    let worker = h.worker(h.settings()).await;
    let id = h
        .enqueue_committed(mail("not an address", "Bad", "x", None))
        .await;
    let row = h
        .row_until(id, "status failed", |r| r.status == MailStatus::Failed)
        .await;
    assert_eq!(row.attempts, 1);
    assert!(row.last_error.unwrap().contains("recipient"));
    worker.stop().await;
}

#[tokio::test]
async fn a_row_locked_by_another_instance_is_skipped_not_waited_for() {
    let h = Harness::new().await;
    let locked = h
        .enqueue_committed(mail("locked@example.com", "Locked", "x", None))
        .await;
    h.enqueue_committed(mail("free@example.com", "Free", "x", None))
        .await;

    // Another instance is in the middle of claiming `locked`.
    let other = Database::connect(h.database.url.as_str()).await.unwrap();
    let txn = other.begin().await.unwrap();
    txn.execute_raw(Statement::from_sql_and_values(
        DbBackend::Postgres,
        "SELECT id FROM mail_outbox WHERE id = $1 FOR UPDATE",
        [Value::from(locked)],
    ))
    .await
    .unwrap();

    let worker = h.worker(h.settings()).await;
    h.smtp.wait_for("free@example.com", WAIT).await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(h.smtp.messages().len(), 1, "the locked row was not sent");

    txn.rollback().await.unwrap();
    h.smtp.wait_for("locked@example.com", WAIT).await;
    worker.stop().await;
}

#[tokio::test]
async fn a_stopped_worker_sends_nothing_more() {
    let h = Harness::new().await;
    let worker = h.worker(h.settings()).await;
    h.enqueue_committed(mail("first@example.com", "First", "x", None))
        .await;
    h.smtp.wait_for("first@example.com", WAIT).await;

    let started = Instant::now();
    worker.stop().await;
    assert!(started.elapsed() < Duration::from_secs(2), "stop is prompt");

    let id = h
        .enqueue_committed(mail("second@example.com", "Second", "x", None))
        .await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(h.smtp.messages().len(), 1);
    assert_eq!(h.row(id).await.status, MailStatus::Pending);
}

#[tokio::test]
async fn the_worker_rides_out_a_database_outage() {
    let h = Harness::new().await;
    let server = url::Url::parse(&crate::helpers::db::server_url()).unwrap();
    let postgres = format!(
        "{}:{}",
        server.host_str().unwrap_or("127.0.0.1"),
        server.port().unwrap_or(5432)
    );
    let proxy = TcpProxy::start(postgres.parse().unwrap()).await;
    let url = format!(
        "postgres://postgres@127.0.0.1:{}/{}",
        proxy.port, h.database.name
    );
    let pool = Database::connect(azora::db::options(&test_settings().database, &url))
        .await
        .unwrap();
    let worker = MailWorker::spawn(pool, h.settings());
    h.enqueue_committed(mail("before@example.com", "Before", "x", None))
        .await;
    h.smtp.wait_for("before@example.com", WAIT).await;

    proxy.cut();
    // Several polls fail while the database is unreachable to the worker.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let id = h
        .enqueue_committed(mail("during@example.com", "During", "x", None))
        .await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(h.smtp.messages().len(), 1);

    proxy.restore();
    h.smtp
        .wait_for("during@example.com", Duration::from_secs(15))
        .await;
    let row = h
        .row_until(id, "status sent", |r| r.status == MailStatus::Sent)
        .await;
    assert_eq!(row.attempts, 1);
    worker.stop().await;
}
