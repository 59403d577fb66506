//! `notifications`: what the platform tells its users. Today: transactional mail through the
//! outbox (`mail`); in-app notifications and preferences come with their issue.
//!
//! Owns `mail_outbox` and `mail_delivery_attempts`. Rules: a service enqueues a message in the
//! transaction of the change that causes it (`enqueue`), so it exists exactly when the change
//! commits; the worker delivers each message at least once, retrying with backoff, and records
//! every attempt. Recipients' addresses are read from `users` through its entity (identity
//! owns the table; notifications never writes it).

pub mod mail;

pub use mail::{MailWorker, OutgoingMail, enqueue};

use futures_util::future::BoxFuture;
use kernel::AppResult;
use kernel::event::DomainEvent;
use sea_orm::{DatabaseTransaction, EntityTrait};

use crate::state::AppState;

/// Subscriber of `CourseCompleted`: congratulates the learner by mail (same transaction).
pub fn on_course_completed<'a>(
    _state: &'a AppState,
    txn: &'a DatabaseTransaction,
    event: &'a DomainEvent,
) -> BoxFuture<'a, AppResult<()>> {
    Box::pin(congratulate(txn, event))
}

async fn congratulate(txn: &DatabaseTransaction, event: &DomainEvent) -> AppResult<()> {
    let DomainEvent::CourseCompleted {
        user_id,
        course_title,
        ..
    } = event
    else {
        return Ok(());
    };
    let Some(user) = entity::users::Entity::find_by_id(*user_id)
        .one(txn)
        .await?
        .filter(|u| u.deleted_at.is_none())
    else {
        return Ok(());
    };
    let name = user.display_name;
    enqueue(
        txn,
        OutgoingMail {
            kind: "course_completed",
            to: user.email,
            subject: format!("You completed {course_title}"),
            text: format!(
                "Hello {name},\n\nCongratulations: you completed the course \"{course_title}\" on Azora.\n"
            ),
            html: None,
        },
    )
    .await?;
    Ok(())
}
