//! Attempts: start (enrolled learners, within the window, under the attempt limit), save
//! responses until the deadline, submit (graded at once by `scoring`), and the attempt views.
//!
//! The server fixes each attempt's deadline from the time limit and the end of the
//! availability window (whichever comes first). Answers later than the
//! deadline plus `assessments.grace_seconds` are refused, and the attempt is then submitted
//! with what was saved; any read of an expired attempt submits it the same way. Every change
//! of an attempt locks its row first.
//!
//! Each learner action is a public `x(state, ..)` that opens the transaction, calls
//! `x_in(state, txn, ..)` and commits; the seed calls the `x_in` functions as the demo student.

use chrono::{Duration, Utc};
use entity::{assessments, attempts};
use kernel::db;
use kernel::enums::AttemptStatus;
use kernel::{Actor, AppError, AppResult, ErrorCode, FieldError, RequestMeta};
use rust_decimal::Decimal;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, DatabaseTransaction, EntityTrait, PaginatorTrait, QueryFilter,
    Set, TransactionTrait,
};
use serde_json::{Value, json};
use uuid::Uuid;

use super::dto::{AttemptResponse, SaveResponsesRequest};
use super::grading;
use super::scoring;
use super::service::{assessment, is_grader, questions, visible_assessment};
use super::views::{attempt, attempt_view, lock_attempt, render, saved_responses};
use crate::config::Settings;
use crate::modules::audit::{self, AuditEvent};
use crate::modules::lms;
use crate::state::AppState;

/// Open past its deadline and the grace period.
fn expired(t: &attempts::Model, settings: &Settings) -> bool {
    t.status == AttemptStatus::InProgress
        && t.deadline_at
            .is_some_and(|d| Utc::now() > d + Duration::seconds(settings.assessments.grace_seconds))
}

/// The attempt if the caller owns it or grades its course (then `true`); 404 for everyone
/// else.
async fn readable_attempt(
    state: &AppState,
    user: &Actor,
    id: Uuid,
) -> AppResult<(attempts::Model, bool)> {
    let t = attempt(&state.db, id).await?;
    if t.user_id == user.id {
        return Ok((t, false));
    }
    let a = assessment(&state.db, t.assessment_id).await?;
    let course = lms::course_row(&state.db, a.course_id).await?;
    if is_grader(state, user, &course).await? {
        return Ok((t, true));
    }
    Err(AppError::not_found("attempt"))
}

// ------------------------------------------------------------------ views

/// Submits an expired attempt (its row locked) and commits; false when it was not expired.
async fn close_if_expired(
    state: &AppState,
    attempt_id: Uuid,
    client: &RequestMeta,
) -> AppResult<bool> {
    let txn = state.db.begin().await?;
    let t = lock_attempt(&txn, attempt_id).await?;
    if !expired(&t, &state.settings) {
        return Ok(false);
    }
    scoring::finalize(&txn, state, &t, true).await?;
    audit::record(
        &txn,
        AuditEvent::new(
            Some(t.user_id),
            "assessment.auto_submit",
            "attempt",
            Some(attempt_id.to_string()),
        )
        .details(json!({"assessment_id": t.assessment_id})),
        client,
    )
    .await?;
    txn.commit().await?;
    Ok(true)
}

pub async fn get_attempt(
    state: &AppState,
    user: &Actor,
    client: &RequestMeta,
    id: Uuid,
) -> AppResult<AttemptResponse> {
    let (t, staff) = readable_attempt(state, user, id).await?;
    if expired(&t, &state.settings) {
        close_if_expired(state, id, client).await?;
    }
    attempt_view(&state.db, id, staff).await
}

// ------------------------------------------------------------------ learner actions

pub async fn start_attempt(
    state: &AppState,
    user: &Actor,
    client: &RequestMeta,
    assessment_id: Uuid,
) -> AppResult<AttemptResponse> {
    let (a, _) = visible_assessment(state, user, assessment_id).await?;
    let txn = state.db.begin().await?;
    match start_attempt_in(state, &txn, user, client, &a).await {
        Ok(out) => {
            txn.commit().await?;
            Ok(out)
        }
        // The submission of an expired open attempt stands when no new attempt may start.
        Err(e) if e.code() == ErrorCode::MaxAttemptsReached => {
            txn.commit().await?;
            Err(e)
        }
        Err(e) => Err(e),
    }
}

/// Starts the actor's next attempt at `a` (enrolled, within the window, under the limit; an
/// expired open attempt is submitted first), audited. The caller may see the course.
pub async fn start_attempt_in(
    state: &AppState,
    txn: &DatabaseTransaction,
    user: &Actor,
    client: &RequestMeta,
    a: &assessments::Model,
) -> AppResult<AttemptResponse> {
    if lms::live_enrollment(txn, user.id, a.course_id)
        .await?
        .is_none()
    {
        return Err(AppError::new(
            ErrorCode::NotEnrolled,
            "enroll in the course to take its assessments",
        ));
    }
    let now = Utc::now();
    if let Some(from) = a.available_from
        && now < from
    {
        return Err(AppError::new(
            ErrorCode::AssessmentNotAvailable,
            format!("this assessment opens at {}", from.to_rfc3339()),
        ));
    }
    if let Some(until) = a.available_until
        && now >= until
    {
        return Err(AppError::new(
            ErrorCode::AssessmentNotAvailable,
            format!("this assessment closed at {}", until.to_rfc3339()),
        ));
    }
    db::advisory_lock(txn, &format!("attempt:{}:{}", user.id, a.id)).await?;
    // Questions cannot change while an attempt starts (edits lock the assessment row).
    db::exec(
        txn,
        "SELECT id FROM assessments WHERE id = $1 FOR SHARE",
        [a.id.into()],
    )
    .await?;
    // The literal status matches the partial index of open attempts.
    let open: Option<attempts::Model> = db::row(
        txn,
        "SELECT * FROM attempts WHERE assessment_id = $1 AND user_id = $2 AND status = 'in_progress' FOR UPDATE",
        [a.id.into(), user.id.into()],
    )
    .await?;
    if let Some(open) = open {
        if !expired(&open, &state.settings) {
            return Err(AppError::new(
                ErrorCode::AttemptInProgress,
                format!("finish or submit your open attempt {} first", open.id),
            ));
        }
        scoring::finalize(txn, state, &open, true).await?;
        audit::record(
            txn,
            AuditEvent::new(
                Some(user.id),
                "assessment.auto_submit",
                "attempt",
                Some(open.id.to_string()),
            )
            .details(json!({"assessment_id": a.id})),
            client,
        )
        .await?;
    }
    let used = attempts::Entity::find()
        .filter(attempts::Column::AssessmentId.eq(a.id))
        .filter(attempts::Column::UserId.eq(user.id))
        .count(txn)
        .await?;
    if let Some(max) = a.max_attempts
        && used >= u64::try_from(max).unwrap_or(0)
    {
        return Err(AppError::new(
            ErrorCode::MaxAttemptsReached,
            format!("you have used all {max} attempts"),
        ));
    }
    let qs = questions(txn, a.id).await?;
    let mut order: Vec<Uuid> = qs.iter().map(|q| q.id).collect();
    if order.is_empty() {
        return Err(AppError::new(
            ErrorCode::AssessmentEmpty,
            "this assessment has no questions yet",
        ));
    }
    if a.shuffle_questions {
        use rand::seq::SliceRandom;
        order.shuffle(&mut rand::rng());
    }
    // The time limit, and in any case the end of the availability window.
    let deadline = match (a.time_limit_seconds, a.available_until) {
        (Some(s), until) => {
            let d = now + Duration::seconds(i64::from(s));
            Some(until.map_or(d, |u| d.min(u)))
        }
        (None, until) => until,
    };
    let number = i32::try_from(used + 1).map_err(AppError::internal)?;
    // The questions are locked against edits: their points are the attempt's maximum.
    let max_score: Decimal = qs.iter().map(|q| q.points).sum();
    let t = attempts::ActiveModel {
        id: Set(Uuid::now_v7()),
        assessment_id: Set(a.id),
        user_id: Set(user.id),
        number: Set(number),
        status: Set(AttemptStatus::InProgress),
        question_order: Set(order),
        option_seed: Set(rand::random()),
        deadline_at: Set(deadline),
        max_score: Set(max_score),
        ..Default::default()
    }
    .insert(txn)
    .await?;
    audit::record(
        txn,
        AuditEvent::new(
            Some(user.id),
            "assessment.attempt_start",
            "attempt",
            Some(t.id.to_string()),
        )
        .details(json!({"assessment_id": a.id, "number": number})),
        client,
    )
    .await?;
    Ok(render(&t, a, &qs, &[], false))
}

/// Refusal of a closed attempt.
fn closed() -> AppError {
    AppError::new(
        ErrorCode::AttemptClosed,
        "this attempt was submitted already",
    )
}

fn deadline_passed() -> AppError {
    AppError::new(
        ErrorCode::DeadlinePassed,
        "the attempt's time is up: it was submitted with the answers saved before the deadline",
    )
}

pub async fn save_responses(
    state: &AppState,
    user: &Actor,
    client: &RequestMeta,
    id: Uuid,
    req: SaveResponsesRequest,
) -> AppResult<AttemptResponse> {
    let txn = state.db.begin().await?;
    match save_responses_in(state, &txn, user, id, req).await {
        Ok(out) => {
            txn.commit().await?;
            Ok(out)
        }
        // Too late: nothing is saved, and the attempt is submitted with what it had.
        Err(e) if e.code() == ErrorCode::DeadlinePassed => {
            drop(txn);
            close_if_expired(state, id, client).await?;
            Err(e)
        }
        Err(e) => Err(e),
    }
}

/// Saves the actor's answers to their open attempt `id` (each checked against its question;
/// 409 `deadline_passed` after the deadline and its grace, with nothing saved). Not audited.
pub async fn save_responses_in(
    state: &AppState,
    txn: &DatabaseTransaction,
    user: &Actor,
    id: Uuid,
    req: SaveResponsesRequest,
) -> AppResult<AttemptResponse> {
    let t = attempt(txn, id).await?;
    if t.user_id != user.id {
        return Err(AppError::not_found("attempt"));
    }
    if req.responses.len() > 500 {
        return Err(AppError::validation(vec![FieldError::new(
            "#/responses",
            "at most 500 responses",
        )]));
    }
    let qs = questions(txn, t.assessment_id).await?;
    let mut errors = Vec::new();
    let mut checked = Vec::new();
    for (i, r) in req.responses.iter().enumerate() {
        let Some(q) = qs
            .iter()
            .find(|q| q.id == r.question_id && t.question_order.contains(&q.id))
        else {
            errors.push(FieldError::new(
                format!("#/responses/{i}/question_id"),
                "not a question of this attempt",
            ));
            continue;
        };
        match grading::check_answer(q.kind, &q.options, &r.answer) {
            Ok(v) => checked.push((q.id, v)),
            Err(detail) => errors.push(FieldError::new(format!("#/responses/{i}/answer"), detail)),
        }
    }
    if !errors.is_empty() {
        return Err(AppError::validation(errors));
    }
    let locked = lock_attempt(txn, id).await?;
    if locked.status != AttemptStatus::InProgress {
        return Err(closed());
    }
    if expired(&locked, &state.settings) {
        return Err(deadline_passed());
    }
    // One statement for all answers; a question listed twice keeps its last answer.
    let mut rows: Vec<Value> = Vec::with_capacity(checked.len());
    for (question_id, answer) in checked.into_iter().rev() {
        if !rows.iter().any(|r| r["question_id"] == json!(question_id)) {
            rows.push(json!({"id": Uuid::now_v7(), "question_id": question_id, "answer": answer}));
        }
    }
    if !rows.is_empty() {
        db::exec(
            txn,
            "INSERT INTO responses (id, attempt_id, question_id, answer) \
             SELECT x.id, $1, x.question_id, x.answer \
             FROM jsonb_to_recordset($2::jsonb) AS x(id uuid, question_id uuid, answer jsonb) \
             ON CONFLICT (attempt_id, question_id) DO UPDATE SET answer = EXCLUDED.answer, updated_at = now()",
            [id.into(), Value::Array(rows).into()],
        )
        .await?;
    }
    let a = assessment(txn, locked.assessment_id).await?;
    let saved = saved_responses(txn, id).await?;
    Ok(render(&locked, &a, &qs, &saved, false))
}

pub async fn submit(
    state: &AppState,
    user: &Actor,
    client: &RequestMeta,
    id: Uuid,
) -> AppResult<AttemptResponse> {
    let txn = state.db.begin().await?;
    submit_in(state, &txn, user, client, id).await?;
    txn.commit().await?;
    // Read after commit: the audit chain is not held for it.
    attempt_view(&state.db, id, false).await
}

/// Submits the actor's open attempt `id`: graded at once where a key grades it (late when
/// past the deadline and its grace), audited.
pub async fn submit_in(
    state: &AppState,
    txn: &DatabaseTransaction,
    user: &Actor,
    client: &RequestMeta,
    id: Uuid,
) -> AppResult<()> {
    let t = attempt(txn, id).await?;
    if t.user_id != user.id {
        return Err(AppError::not_found("attempt"));
    }
    let locked = lock_attempt(txn, id).await?;
    if locked.status != AttemptStatus::InProgress {
        return Err(closed());
    }
    let late = expired(&locked, &state.settings);
    scoring::finalize(txn, state, &locked, late).await?;
    audit::record(
        txn,
        AuditEvent::new(
            Some(user.id),
            "assessment.submit",
            "attempt",
            Some(id.to_string()),
        )
        .details(json!({"assessment_id": locked.assessment_id, "late": late})),
        client,
    )
    .await?;
    Ok(())
}
