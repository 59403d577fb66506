//! Attempts: start (enrolled learners, within the window, under the attempt limit), save
//! responses until the deadline, submit (auto-grading at once), manual grading, and what a
//! pass triggers (reward once, lesson completion, course completion, a domain event).
//!
//! The server fixes each attempt's deadline from the time limit and the end of the
//! availability window (whichever comes first). Answers later than the
//! deadline plus `assessments.grace_seconds` are refused, and the attempt is then submitted
//! with what was saved; any read of an expired attempt submits it the same way. Every change
//! of an attempt locks its row first.

use chrono::{Duration, Utc};
use rust_decimal::Decimal;
use sea_orm::{ConnectionTrait, DatabaseTransaction, TransactionTrait};
use serde_json::{Value, json};
use uuid::Uuid;

use super::dto::{
    AttemptQuestion, AttemptResponse, GradeRequest, SaveResponsesRequest, SubmissionResponse,
    SubmissionsQuery,
};
use super::keys;
use super::service::{
    ATTEMPT_COLUMNS, AssessmentRow, QuestionRow, assessment_row, attempt_summary, is_grader,
    questions, visible_assessment,
};
use crate::config::Settings;
use crate::db;
use crate::events;
use crate::modules::audit::{self, AuditEvent};
use crate::modules::lms::{self, course_row};
use crate::modules::wallet;
use crate::state::AppState;
use kernel::event::DomainEvent;
use kernel::{Actor, RequestMeta};
use kernel::{AppError, AppResult, ErrorCode, FieldError};

struct AttemptRow {
    id: Uuid,
    assessment_id: Uuid,
    user_id: Uuid,
    status: String,
    deadline_at: Option<chrono::DateTime<Utc>>,
    question_order: Vec<Uuid>,
}

async fn attempt_row(db: &impl ConnectionTrait, id: Uuid, lock: bool) -> AppResult<AttemptRow> {
    let r = db::one(
        db,
        format!(
            "SELECT id, assessment_id, user_id, status, deadline_at, question_order FROM attempts WHERE id = $1{}",
            if lock { " FOR UPDATE" } else { "" }
        ),
        [id.into()],
    )
    .await?
    .ok_or_else(|| AppError::not_found("attempt"))?;
    Ok(AttemptRow {
        id: r.try_get("", "id")?,
        assessment_id: r.try_get("", "assessment_id")?,
        user_id: r.try_get("", "user_id")?,
        status: r.try_get("", "status")?,
        deadline_at: r.try_get("", "deadline_at")?,
        question_order: r.try_get("", "question_order")?,
    })
}

impl AttemptRow {
    /// Past its deadline and the grace period.
    fn expired(&self, settings: &Settings) -> bool {
        self.status == "in_progress"
            && self.deadline_at.is_some_and(|d| {
                Utc::now() > d + Duration::seconds(settings.assessments.grace_seconds)
            })
    }
}

/// The attempt if the caller owns it or grades its course; 404 for everyone else.
async fn readable_attempt(
    state: &AppState,
    user: &Actor,
    id: Uuid,
) -> AppResult<(AttemptRow, AssessmentRow, bool)> {
    let attempt = attempt_row(&state.db, id, false).await?;
    let a = assessment_row(&state.db, attempt.assessment_id).await?;
    if attempt.user_id == user.id {
        return Ok((attempt, a, false));
    }
    let course = course_row(&state.db, a.course_id).await?;
    if is_grader(state, user, &course).await? {
        return Ok((attempt, a, true));
    }
    Err(AppError::not_found("attempt"))
}

// ------------------------------------------------------------------ grading core

/// Grades the auto-gradable responses of a closed attempt, fills unanswered questions with 0,
/// and marks it submitted.
async fn finalize(
    txn: &DatabaseTransaction,
    state: &AppState,
    attempt: &AttemptRow,
    auto: bool,
) -> AppResult<()> {
    let qs = questions(txn, attempt.assessment_id).await?;
    let saved = db::all(
        txn,
        "SELECT question_id, answer FROM responses WHERE attempt_id = $1",
        [attempt.id.into()],
    )
    .await?;
    // Every question's grade in one statement (a quiz is one round trip, not one per question).
    let mut graded = Vec::with_capacity(qs.len());
    for q in &qs {
        let answer = saved
            .iter()
            .find(|r| {
                r.try_get::<Uuid>("", "question_id")
                    .is_ok_and(|id| id == q.id)
            })
            .map(|r| r.try_get::<Value>("", "answer"))
            .transpose()?
            .unwrap_or(Value::Null);
        let points = keys::grade(&q.kind, &q.answer, q.partial_credit, q.points, &answer);
        graded.push(json!({
            "id": Uuid::now_v7(),
            "question_id": q.id,
            "answer": answer,
            "points": points.map(|p| p.to_string()),
        }));
    }
    db::exec(
        txn,
        "INSERT INTO responses (id, attempt_id, question_id, answer, points, auto_graded, graded_at) \
         SELECT x.id, $1, x.question_id, coalesce(x.answer, 'null'::jsonb), x.points, x.points IS NOT NULL, \
                CASE WHEN x.points IS NOT NULL THEN now() END \
         FROM jsonb_to_recordset($2::jsonb) AS x(id uuid, question_id uuid, answer jsonb, points numeric) \
         ON CONFLICT (attempt_id, question_id) DO UPDATE SET points = EXCLUDED.points, \
           auto_graded = EXCLUDED.auto_graded, graded_at = EXCLUDED.graded_at, updated_at = now()",
        [attempt.id.into(), Value::Array(graded).into()],
    )
    .await?;
    db::exec(
        txn,
        "UPDATE attempts SET status = 'submitted', submitted_at = now(), auto_submitted = $2 WHERE id = $1",
        [attempt.id.into(), auto.into()],
    )
    .await?;
    settle(txn, state, attempt.id).await
}

/// Once every response has points: the attempt's score, percent and pass, and what a pass
/// triggers. Runs again after each manual grade.
async fn settle(txn: &DatabaseTransaction, state: &AppState, attempt_id: Uuid) -> AppResult<()> {
    let r = db::one(
        txn,
        "SELECT t.user_id, t.assessment_id, \
           count(r.id) FILTER (WHERE r.points IS NULL) AS pending, coalesce(sum(r.points), 0) AS score, \
           (SELECT coalesce(sum(q.points), 0) FROM questions q WHERE q.assessment_id = t.assessment_id) AS max_score \
         FROM attempts t LEFT JOIN responses r ON r.attempt_id = t.id WHERE t.id = $1 GROUP BY t.id",
        [attempt_id.into()],
    )
    .await?
    .ok_or_else(|| AppError::not_found("attempt"))?;
    let pending: i64 = r.try_get("", "pending")?;
    let max_score: Decimal = r.try_get("", "max_score")?;
    if pending > 0 {
        db::exec(
            txn,
            "UPDATE attempts SET status = 'submitted', score = NULL, percent = NULL, passed = NULL, max_score = $2 WHERE id = $1",
            [attempt_id.into(), max_score.into()],
        )
        .await?;
        return Ok(());
    }
    let score: Decimal = r.try_get("", "score")?;
    let a = assessment_row(txn, r.try_get("", "assessment_id")?).await?;
    let percent = if max_score.is_zero() {
        Decimal::ZERO
    } else {
        (score * Decimal::ONE_HUNDRED / max_score)
            .round_dp_with_strategy(2, rust_decimal::RoundingStrategy::MidpointAwayFromZero)
    };
    let passed = percent >= a.pass_score;
    db::exec(
        txn,
        "UPDATE attempts SET status = 'graded', score = $2, max_score = $3, percent = $4, passed = $5, graded_at = now() WHERE id = $1",
        [
            attempt_id.into(),
            score.into(),
            max_score.into(),
            percent.into(),
            passed.into(),
        ],
    )
    .await?;
    if passed {
        on_pass(txn, state, &a, r.try_get("", "user_id")?, attempt_id).await?;
    }
    Ok(())
}

/// A pass: the first one rewards AZR once and is announced; a lesson's quiz completes the
/// lesson; a required assessment may complete the course.
async fn on_pass(
    txn: &DatabaseTransaction,
    state: &AppState,
    a: &AssessmentRow,
    user_id: Uuid,
    attempt_id: Uuid,
) -> AppResult<()> {
    // Lock order: the learner's enrollment before wallets and the audit chain, as lesson
    // progress takes them; a learner who left the course still gets the reward.
    if let Some(lesson) = a.lesson_id {
        // The lesson before the enrollment, as progress writes take them.
        db::exec(
            txn,
            "SELECT id FROM lessons WHERE id = $1 FOR KEY SHARE",
            [lesson.into()],
        )
        .await?;
    }
    if a.lesson_id.is_some() || a.required_for_completion {
        match lms::lock_live_enrollment(txn, user_id, a.course_id).await {
            Err(e) if e.code() != ErrorCode::NotEnrolled => return Err(e),
            _ => {}
        }
    }
    // Announced once per learner and assessment, also when a regrade passes an attempt again
    // or the reward is zero (so that `first` says nothing).
    let announced = db::one(
        txn,
        "SELECT 1 AS one FROM domain_events WHERE kind = 'assessment_passed' AND user_id = $1 \
         AND payload->>'assessment_id' = $2 LIMIT 1",
        [user_id.into(), a.id.to_string().into()],
    )
    .await?
    .is_some();
    if !announced {
        events::publish(
            state,
            txn,
            DomainEvent::AssessmentPassed {
                attempt_id,
                user_id,
                assessment_id: a.id,
                course_id: a.course_id,
                lesson_id: a.lesson_id,
            },
        )
        .await?;
    }
    match a.lesson_id {
        Some(lesson) => {
            lms::complete_lesson_for(txn, state, user_id, lesson).await?;
        }
        None if a.required_for_completion => {
            lms::recheck_completion(txn, state, user_id, a.course_id).await?;
        }
        None => {}
    }
    // Last: the reward takes the audit chain, held until commit.
    let amount = a.reward.unwrap_or(state.settings.assessments.pass_reward);
    wallet::reward(
        txn,
        user_id,
        amount,
        &format!("Passed {}", a.title),
        &format!("assessment_pass:{user_id}:{}", a.id),
    )
    .await?;
    Ok(())
}

// ------------------------------------------------------------------ views

async fn attempt_view(
    db: &impl ConnectionTrait,
    id: Uuid,
    staff: bool,
) -> AppResult<AttemptResponse> {
    let r = db::one(
        db,
        format!("SELECT {ATTEMPT_COLUMNS}, t.question_order, t.option_seed FROM attempts t WHERE t.id = $1"),
        [id.into()],
    )
    .await?
    .ok_or_else(|| AppError::not_found("attempt"))?;
    let summary = attempt_summary(&r)?;
    let order: Vec<Uuid> = r.try_get("", "question_order")?;
    let seed: i64 = r.try_get("", "option_seed")?;
    let a = assessment_row(db, summary.assessment_id).await?;
    let qs = questions(db, a.id).await?;
    let responses = db::all(
        db,
        "SELECT id, question_id, answer, points, feedback FROM responses WHERE attempt_id = $1",
        [id.into()],
    )
    .await?;
    let closed = summary.status != "in_progress";
    let reveal = staff || (closed && a.show_correct_answers);
    let mut out = Vec::with_capacity(order.len());
    for qid in &order {
        let Some(q) = qs.iter().find(|q| q.id == *qid) else {
            continue;
        };
        let resp = responses.iter().find(|r| {
            r.try_get::<Uuid>("", "question_id")
                .is_ok_and(|x| x == q.id)
        });
        let answer = resp
            .map(|r| r.try_get::<Value>("", "answer"))
            .transpose()?
            .filter(|v| !v.is_null());
        out.push(AttemptQuestion {
            question_id: q.id,
            kind: q.kind.clone(),
            prompt: q.prompt.clone(),
            points: q.points.normalize(),
            options: keys::ordered_options(&q.options, a.shuffle_options.then_some(seed)),
            response: answer,
            response_id: resp.map(|r| r.try_get("", "id")).transpose()?,
            points_awarded: if closed {
                resp.map(|r| r.try_get::<Option<Decimal>>("", "points"))
                    .transpose()?
                    .flatten()
                    .map(|d| d.normalize())
            } else {
                None
            },
            feedback: if closed {
                resp.map(|r| r.try_get::<String>("", "feedback"))
                    .transpose()?
                    .filter(|f| !f.is_empty())
            } else {
                None
            },
            correct_answer: reveal.then(|| q.answer.clone()),
            explanation: reveal
                .then(|| q.explanation.clone())
                .filter(|e| !e.is_empty()),
        });
    }
    Ok(AttemptResponse {
        attempt: summary,
        assessment_title: a.title,
        questions: out,
    })
}

/// Submits an expired attempt (its row locked) and commits; false when it was not expired.
async fn close_if_expired(
    state: &AppState,
    attempt_id: Uuid,
    client: &RequestMeta,
) -> AppResult<bool> {
    let txn = state.db.begin().await?;
    let attempt = attempt_row(&txn, attempt_id, true).await?;
    if !attempt.expired(&state.settings) {
        return Ok(false);
    }
    finalize(&txn, state, &attempt, true).await?;
    audit::record(
        &txn,
        AuditEvent::new(
            Some(attempt.user_id),
            "assessment.auto_submit",
            "attempt",
            Some(attempt_id.to_string()),
        )
        .details(json!({"assessment_id": attempt.assessment_id})),
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
    let (attempt, _, staff) = readable_attempt(state, user, id).await?;
    if attempt.expired(&state.settings) {
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
    let (a, course) = visible_assessment(state, user, assessment_id).await?;
    if lms::live_enrollment(&state.db, user.id, course.id)
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
    let txn = state.db.begin().await?;
    db::advisory_lock(&txn, &format!("attempt:{}:{assessment_id}", user.id)).await?;
    // Questions cannot change while an attempt starts (edits lock the assessment row).
    db::exec(
        &txn,
        "SELECT id FROM assessments WHERE id = $1 FOR SHARE",
        [assessment_id.into()],
    )
    .await?;
    if let Some(open) = db::one(
        &txn,
        "SELECT id FROM attempts WHERE assessment_id = $1 AND user_id = $2 AND status = 'in_progress' FOR UPDATE",
        [assessment_id.into(), user.id.into()],
    )
    .await?
    {
        let open = attempt_row(&txn, open.try_get("", "id")?, false).await?;
        if !open.expired(&state.settings) {
            return Err(AppError::new(
                ErrorCode::AttemptInProgress,
                format!("finish or submit your open attempt {} first", open.id),
            ));
        }
        finalize(&txn, state, &open, true).await?;
        audit::record(
            &txn,
            AuditEvent::new(
                Some(user.id),
                "assessment.auto_submit",
                "attempt",
                Some(open.id.to_string()),
            )
            .details(json!({"assessment_id": assessment_id})),
            client,
        )
        .await?;
    }
    let used: i64 = db::one(
        &txn,
        "SELECT count(*) AS n FROM attempts WHERE assessment_id = $1 AND user_id = $2",
        [assessment_id.into(), user.id.into()],
    )
    .await?
    .map(|r| r.try_get("", "n"))
    .transpose()?
    .unwrap_or(0);
    if let Some(max) = a.max_attempts
        && used >= i64::from(max)
    {
        txn.commit().await?;
        return Err(AppError::new(
            ErrorCode::MaxAttemptsReached,
            format!("you have used all {max} attempts"),
        ));
    }
    let mut order: Vec<Uuid> = questions(&txn, assessment_id)
        .await?
        .iter()
        .map(|q| q.id)
        .collect();
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
    let seed: i64 = rand::random();
    // The time limit, and in any case the end of the availability window.
    let deadline = match (a.time_limit_seconds, a.available_until) {
        (Some(s), until) => {
            let d = now + Duration::seconds(i64::from(s));
            Some(until.map_or(d, |u| d.min(u)))
        }
        (None, until) => until,
    };
    let id = Uuid::now_v7();
    let max_score: Decimal = db::one(
        &txn,
        "SELECT coalesce(sum(points), 0) AS s FROM questions WHERE assessment_id = $1",
        [assessment_id.into()],
    )
    .await?
    .map(|r| r.try_get("", "s"))
    .transpose()?
    .unwrap_or(Decimal::ZERO);
    db::exec(
        &txn,
        "INSERT INTO attempts (id, assessment_id, user_id, number, question_order, option_seed, deadline_at, max_score) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        [
            id.into(),
            assessment_id.into(),
            user.id.into(),
            ((used + 1) as i32).into(),
            order.into(),
            seed.into(),
            deadline.into(),
            max_score.into(),
        ],
    )
    .await?;
    let out = attempt_view(&txn, id, false).await?;
    audit::record(
        &txn,
        AuditEvent::new(
            Some(user.id),
            "assessment.attempt_start",
            "attempt",
            Some(id.to_string()),
        )
        .details(json!({"assessment_id": assessment_id, "number": used + 1})),
        client,
    )
    .await?;
    txn.commit().await?;
    Ok(out)
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
    let attempt = attempt_row(&state.db, id, false).await?;
    if attempt.user_id != user.id {
        return Err(AppError::not_found("attempt"));
    }
    if req.responses.len() > 500 {
        return Err(AppError::validation(vec![FieldError::new(
            "#/responses",
            "at most 500 responses",
        )]));
    }
    let qs: Vec<QuestionRow> = questions(&state.db, attempt.assessment_id).await?;
    let mut errors = Vec::new();
    let mut checked = Vec::new();
    for (i, r) in req.responses.iter().enumerate() {
        let Some(q) = qs
            .iter()
            .find(|q| q.id == r.question_id && attempt.question_order.contains(&q.id))
        else {
            errors.push(FieldError::new(
                format!("#/responses/{i}/question_id"),
                "not a question of this attempt",
            ));
            continue;
        };
        match keys::check_answer(&q.kind, &q.options, &r.answer) {
            Ok(v) => checked.push((q.id, v)),
            Err(detail) => errors.push(FieldError::new(format!("#/responses/{i}/answer"), detail)),
        }
    }
    if !errors.is_empty() {
        return Err(AppError::validation(errors));
    }
    let txn = state.db.begin().await?;
    let locked = attempt_row(&txn, id, true).await?;
    if locked.status != "in_progress" {
        return Err(closed());
    }
    if locked.expired(&state.settings) {
        drop(txn);
        close_if_expired(state, id, client).await?;
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
            &txn,
            "INSERT INTO responses (id, attempt_id, question_id, answer) \
             SELECT x.id, $1, x.question_id, x.answer \
             FROM jsonb_to_recordset($2::jsonb) AS x(id uuid, question_id uuid, answer jsonb) \
             ON CONFLICT (attempt_id, question_id) DO UPDATE SET answer = EXCLUDED.answer, updated_at = now()",
            [id.into(), Value::Array(rows).into()],
        )
        .await?;
    }
    let out = attempt_view(&txn, id, false).await?;
    txn.commit().await?;
    Ok(out)
}

pub async fn submit(
    state: &AppState,
    user: &Actor,
    client: &RequestMeta,
    id: Uuid,
) -> AppResult<AttemptResponse> {
    let attempt = attempt_row(&state.db, id, false).await?;
    if attempt.user_id != user.id {
        return Err(AppError::not_found("attempt"));
    }
    let txn = state.db.begin().await?;
    let locked = attempt_row(&txn, id, true).await?;
    if locked.status != "in_progress" {
        return Err(closed());
    }
    let late = locked.expired(&state.settings);
    finalize(&txn, state, &locked, late).await?;
    audit::record(
        &txn,
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
    txn.commit().await?;
    // Read after commit: the audit chain is not held for it.
    attempt_view(&state.db, id, false).await
}

// ------------------------------------------------------------------ manual grading

pub async fn submissions(
    state: &AppState,
    user: &Actor,
    assessment_id: Uuid,
    q: SubmissionsQuery,
) -> AppResult<Vec<SubmissionResponse>> {
    let (_, course) = visible_assessment(state, user, assessment_id).await?;
    if !is_grader(state, user, &course).await? {
        return Err(AppError::forbidden(
            "only the course's graders see submissions",
        ));
    }
    let all = match q.status.map(|v| v.as_str()) {
        None | Some("needs_grading") => false,
        Some("all") => true,
        Some(_) => {
            return Err(AppError::validation(vec![FieldError::new(
                "status",
                "`needs_grading` or `all`",
            )]));
        }
    };
    db::all(
        &state.db,
        "SELECT r.id AS response_id, t.id AS attempt_id, t.user_id, u.display_name, q.id AS question_id, q.kind, \
                q.prompt, q.points AS points_possible, r.answer, r.points, r.feedback, t.submitted_at \
         FROM responses r JOIN attempts t ON t.id = r.attempt_id JOIN questions q ON q.id = r.question_id \
         JOIN users u ON u.id = t.user_id \
         WHERE t.assessment_id = $1 AND t.status <> 'in_progress' AND q.kind IN ('essay', 'file_upload') \
           AND ($2 OR r.points IS NULL) \
         ORDER BY t.submitted_at, t.id, q.position",
        [assessment_id.into(), all.into()],
    )
    .await?
    .iter()
    .map(|r| {
        Ok(SubmissionResponse {
            response_id: r.try_get("", "response_id")?,
            attempt_id: r.try_get("", "attempt_id")?,
            user_id: r.try_get("", "user_id")?,
            learner_name: r.try_get("", "display_name")?,
            question_id: r.try_get("", "question_id")?,
            kind: r.try_get("", "kind")?,
            prompt: r.try_get("", "prompt")?,
            points_possible: r.try_get::<Decimal>("", "points_possible")?.normalize(),
            answer: r.try_get("", "answer")?,
            points: r
                .try_get::<Option<Decimal>>("", "points")?
                .map(|d| d.normalize()),
            feedback: r.try_get("", "feedback")?,
            submitted_at: r.try_get("", "submitted_at")?,
        })
    })
    .collect()
}

/// `POST /responses/{id}/grade`: points and feedback on one response (graders of the course);
/// the attempt's score and pass follow once every response has points.
pub async fn grade_response(
    state: &AppState,
    user: &Actor,
    client: &RequestMeta,
    response_id: Uuid,
    req: GradeRequest,
) -> AppResult<AttemptResponse> {
    let r = db::one(
        &state.db,
        "SELECT r.attempt_id, t.assessment_id, t.user_id, q.points AS max_points FROM responses r \
         JOIN attempts t ON t.id = r.attempt_id JOIN questions q ON q.id = r.question_id WHERE r.id = $1",
        [response_id.into()],
    )
    .await?
    .ok_or_else(|| AppError::not_found("response"))?;
    let attempt_id: Uuid = r.try_get("", "attempt_id")?;
    let learner: Uuid = r.try_get("", "user_id")?;
    let a = assessment_row(&state.db, r.try_get("", "assessment_id")?).await?;
    let course = course_row(&state.db, a.course_id).await?;
    if !is_grader(state, user, &course).await? {
        return Err(if learner == user.id {
            AppError::forbidden("you cannot grade your own work")
        } else {
            AppError::not_found("response")
        });
    }
    let max: Decimal = r.try_get("", "max_points")?;
    let mut errors = Vec::new();
    if req.points.is_sign_negative() || req.points > max || req.points.round_dp(2) != req.points {
        errors.push(FieldError::new(
            "#/points",
            format!("0 to {}, two decimals", max.normalize()),
        ));
    }
    if req.feedback.chars().count() > 10_000 {
        errors.push(FieldError::new("#/feedback", "at most 10000 characters"));
    }
    if !errors.is_empty() {
        return Err(AppError::validation(errors));
    }
    let txn = state.db.begin().await?;
    let attempt = attempt_row(&txn, attempt_id, true).await?;
    if attempt.status == "in_progress" {
        return Err(AppError::new(
            ErrorCode::AttemptOpen,
            "the learner has not submitted this attempt yet",
        ));
    }
    db::exec(
        &txn,
        "UPDATE responses SET points = $2, feedback = $3, graded_by = $4, graded_at = now(), auto_graded = false, \
         updated_at = now() WHERE id = $1",
        [
            response_id.into(),
            req.points.into(),
            req.feedback.trim().to_owned().into(),
            user.id.into(),
        ],
    )
    .await?;
    settle(&txn, state, attempt_id).await?;
    audit::record(
        &txn,
        AuditEvent::new(
            Some(user.id),
            "assessment.grade",
            "response",
            Some(response_id.to_string()),
        )
        .details(json!({"attempt_id": attempt_id, "points": req.points.to_string()})),
        client,
    )
    .await?;
    txn.commit().await?;
    // Read after commit: the audit chain is not held for it.
    attempt_view(&state.db, attempt_id, true).await
}
