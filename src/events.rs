//! Domain events: facts a module publishes inside the transaction that caused them, so the
//! modules that react do so in that same transaction (all or nothing).
//!
//! `publish` journals the event in `domain_events` and then calls each subscriber in turn;
//! the subscriber list is [`dispatch`], in code, so who reacts to what is visible in one place.
//! A subscriber's error aborts the publisher's transaction.

use sea_orm::DatabaseTransaction;
use serde::Serialize;
use uuid::Uuid;

use crate::db;
use crate::http::error::{AppError, AppResult};

/// Something that happened, as other modules may need to know it.
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum DomainEvent {
    /// A learner completed a course (once per enrollment).
    CourseCompleted {
        enrollment_id: Uuid,
        user_id: Uuid,
        course_id: Uuid,
        course_title: String,
    },
    /// A learner passed an assessment for the first time.
    AssessmentPassed {
        attempt_id: Uuid,
        user_id: Uuid,
        assessment_id: Uuid,
        course_id: Uuid,
        lesson_id: Option<Uuid>,
    },
}

impl DomainEvent {
    pub fn kind(&self) -> &'static str {
        match self {
            DomainEvent::CourseCompleted { .. } => "course_completed",
            DomainEvent::AssessmentPassed { .. } => "assessment_passed",
        }
    }

    fn user_id(&self) -> Uuid {
        match self {
            DomainEvent::CourseCompleted { user_id, .. }
            | DomainEvent::AssessmentPassed { user_id, .. } => *user_id,
        }
    }
}

/// Journals `event` and runs its subscribers, all inside `txn`.
pub async fn publish(txn: &DatabaseTransaction, event: DomainEvent) -> AppResult<()> {
    db::exec(
        txn,
        "INSERT INTO domain_events (id, kind, user_id, payload) VALUES ($1, $2, $3, $4)",
        [
            Uuid::now_v7().into(),
            event.kind().into(),
            event.user_id().into(),
            serde_json::to_value(&event)
                .map_err(AppError::internal)?
                .into(),
        ],
    )
    .await?;
    dispatch(txn, &event).await
}

/// The subscribers of each event.
async fn dispatch(txn: &DatabaseTransaction, event: &DomainEvent) -> AppResult<()> {
    match event {
        DomainEvent::CourseCompleted { .. } => {
            crate::modules::notifications::on_course_completed(txn, event).await
        }
        DomainEvent::AssessmentPassed { .. } => Ok(()),
    }
}
