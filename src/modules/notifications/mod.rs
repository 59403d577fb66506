//! `notifications`: what the platform tells its users. Today: transactional mail through the
//! outbox (`mail`); in-app notifications and preferences come with their issue.

pub mod mail;

use futures_util::future::BoxFuture;
use kernel::AppResult;
use kernel::event::DomainEvent;
use mail::OutgoingMail;
use sea_orm::DatabaseTransaction;

use crate::db;
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
    let Some(user) = db::one(
        txn,
        "SELECT email, display_name FROM users WHERE id = $1 AND deleted_at IS NULL",
        [(*user_id).into()],
    )
    .await?
    else {
        return Ok(());
    };
    let name: String = user.try_get("", "display_name")?;
    mail::enqueue(
        txn,
        OutgoingMail {
            kind: "course_completed",
            to: user.try_get("", "email")?,
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
