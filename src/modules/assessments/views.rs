//! The attempt views: an attempt's row (read or locked) and its questions with the saved
//! responses, as learners and graders see them. Used by `attempts` and `scoring`, which
//! depend on this file and not on each other's views.

use entity::{assessments, attempts, responses};
use kernel::db;
use kernel::enums::AttemptStatus;
use kernel::{AppError, AppResult};
use sea_orm::{ColumnTrait, ConnectionTrait, DatabaseTransaction, EntityTrait, QueryFilter};
use uuid::Uuid;

use super::dto::{AttemptQuestion, AttemptResponse};
use super::grading;
use super::service::{Question, assessment, attempt_summary, questions};

/// An attempt, or 404.
pub(super) async fn attempt(db: &impl ConnectionTrait, id: Uuid) -> AppResult<attempts::Model> {
    attempts::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or_else(|| AppError::not_found("attempt"))
}

/// An attempt with its row locked until the transaction ends, or 404.
pub(super) async fn lock_attempt(
    txn: &DatabaseTransaction,
    id: Uuid,
) -> AppResult<attempts::Model> {
    db::row(
        txn,
        "SELECT * FROM attempts WHERE id = $1 FOR UPDATE",
        [id.into()],
    )
    .await?
    .ok_or_else(|| AppError::not_found("attempt"))
}

/// The attempt with its questions in its order: answers and grades as saved, keys for staff
/// and, once closed, where the assessment shows them.
pub(super) fn render(
    t: &attempts::Model,
    a: &assessments::Model,
    qs: &[Question],
    saved: &[responses::Model],
    staff: bool,
) -> AttemptResponse {
    let closed = t.status != AttemptStatus::InProgress;
    let reveal = staff || (closed && a.show_correct_answers);
    let mut out = Vec::with_capacity(t.question_order.len());
    for qid in &t.question_order {
        let Some(q) = qs.iter().find(|q| q.id == *qid) else {
            continue;
        };
        let resp = saved.iter().find(|r| r.question_id == q.id);
        out.push(AttemptQuestion {
            question_id: q.id,
            kind: q.kind.into(),
            prompt: q.prompt.clone(),
            points: q.points.normalize(),
            options: grading::ordered_options(
                &q.options,
                a.shuffle_options.then_some(t.option_seed),
            ),
            response: resp.map(|r| r.answer.clone()).filter(|v| !v.is_null()),
            response_id: resp.map(|r| r.id),
            points_awarded: if closed {
                resp.and_then(|r| r.points).map(|d| d.normalize())
            } else {
                None
            },
            feedback: if closed {
                resp.map(|r| r.feedback.clone()).filter(|f| !f.is_empty())
            } else {
                None
            },
            correct_answer: reveal.then(|| q.answer.clone()),
            explanation: reveal
                .then(|| q.explanation.clone())
                .filter(|e| !e.is_empty()),
        });
    }
    AttemptResponse {
        attempt: attempt_summary(t),
        assessment_title: a.title.clone(),
        questions: out,
    }
}

/// The saved responses of an attempt.
pub(super) async fn saved_responses(
    db: &impl ConnectionTrait,
    attempt_id: Uuid,
) -> AppResult<Vec<responses::Model>> {
    Ok(responses::Entity::find()
        .filter(responses::Column::AttemptId.eq(attempt_id))
        .all(db)
        .await?)
}

pub(super) async fn attempt_view(
    db: &impl ConnectionTrait,
    id: Uuid,
    staff: bool,
) -> AppResult<AttemptResponse> {
    let t = attempt(db, id).await?;
    let a = assessment(db, t.assessment_id).await?;
    let qs = questions(db, a.id).await?;
    let saved = saved_responses(db, id).await?;
    Ok(render(&t, &a, &qs, &saved, staff))
}
