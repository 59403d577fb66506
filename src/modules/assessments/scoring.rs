//! An attempt's score: every question graded at submission (one statement), the graders'
//! queue and manual grades, the settled result once every response has points, and what a
//! pass triggers (the reward once, the lesson's completion, the course's, a domain event).
//!
//! These are the only functions that grade or settle an attempt; the API and the seed both go
//! through them.

use entity::{assessments, attempts, responses};
use kernel::db;
use kernel::enums::{AttemptStatus, QuestionKind, SubmissionFilter};
use kernel::event::DomainEvent;
use kernel::{Actor, AppError, AppResult, ErrorCode, FieldError, RequestMeta};
use rust_decimal::Decimal;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ColumnTrait, DatabaseTransaction, EntityTrait, FromQueryResult, QueryFilter, TransactionTrait,
};
use serde_json::{Value, json};
use uuid::Uuid;

use super::dto::{AttemptResponse, GradeRequest, SubmissionResponse, SubmissionsQuery};
use super::grading;
use super::service::{assessment, is_grader, questions, visible_assessment};
use super::views::{attempt_view, lock_attempt};
use crate::events;
use crate::modules::audit::{self, AuditEvent};
use crate::modules::{lms, wallet};
use crate::state::AppState;

/// Grades the auto-gradable responses of a closed attempt, fills unanswered questions with 0,
/// and marks it submitted; then settles it.
pub(super) async fn finalize(
    txn: &DatabaseTransaction,
    state: &AppState,
    attempt: &attempts::Model,
    auto: bool,
) -> AppResult<()> {
    let qs = questions(txn, attempt.assessment_id).await?;
    let saved = responses::Entity::find()
        .filter(responses::Column::AttemptId.eq(attempt.id))
        .all(txn)
        .await?;
    // Every question's grade in one statement (a quiz is one round trip, not one per question).
    let mut graded = Vec::with_capacity(qs.len());
    for q in &qs {
        let answer = saved
            .iter()
            .find(|r| r.question_id == q.id)
            .map_or(Value::Null, |r| r.answer.clone());
        let points = grading::grade(q.kind, &q.answer, q.partial_credit, q.points, &answer);
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
    attempts::Entity::update_many()
        .col_expr(
            attempts::Column::Status,
            Expr::value(AttemptStatus::Submitted),
        )
        .col_expr(attempts::Column::SubmittedAt, Expr::current_timestamp())
        .col_expr(attempts::Column::AutoSubmitted, Expr::value(auto))
        .filter(attempts::Column::Id.eq(attempt.id))
        .exec(txn)
        .await?;
    settle(txn, state, attempt.id).await
}

/// What settling an attempt needs: its responses' points so far and the assessment's total.
#[derive(FromQueryResult)]
struct Tally {
    user_id: Uuid,
    assessment_id: Uuid,
    /// Responses still waiting for a grader.
    pending: i64,
    score: Decimal,
    max_score: Decimal,
}

/// Once every response has points: the attempt's score, percent and pass, and what a pass
/// triggers. Runs again after each manual grade.
async fn settle(txn: &DatabaseTransaction, state: &AppState, attempt_id: Uuid) -> AppResult<()> {
    let tally: Tally = db::row(
        txn,
        "SELECT t.user_id, t.assessment_id, \
           count(r.id) FILTER (WHERE r.points IS NULL) AS pending, coalesce(sum(r.points), 0) AS score, \
           (SELECT coalesce(sum(q.points), 0) FROM questions q WHERE q.assessment_id = t.assessment_id) AS max_score \
         FROM attempts t LEFT JOIN responses r ON r.attempt_id = t.id WHERE t.id = $1 GROUP BY t.id",
        [attempt_id.into()],
    )
    .await?
    .ok_or_else(|| AppError::not_found("attempt"))?;
    let none = Option::<Decimal>::None;
    if tally.pending > 0 {
        attempts::Entity::update_many()
            .col_expr(
                attempts::Column::Status,
                Expr::value(AttemptStatus::Submitted),
            )
            .col_expr(attempts::Column::Score, Expr::value(none))
            .col_expr(attempts::Column::Percent, Expr::value(none))
            .col_expr(attempts::Column::Passed, Expr::value(Option::<bool>::None))
            .col_expr(attempts::Column::MaxScore, Expr::value(tally.max_score))
            .filter(attempts::Column::Id.eq(attempt_id))
            .exec(txn)
            .await?;
        return Ok(());
    }
    let a = assessment(txn, tally.assessment_id).await?;
    let percent = grading::percent(tally.score, tally.max_score);
    let passed = percent >= a.pass_score;
    attempts::Entity::update_many()
        .col_expr(attempts::Column::Status, Expr::value(AttemptStatus::Graded))
        .col_expr(attempts::Column::Score, Expr::value(tally.score))
        .col_expr(attempts::Column::MaxScore, Expr::value(tally.max_score))
        .col_expr(attempts::Column::Percent, Expr::value(percent))
        .col_expr(attempts::Column::Passed, Expr::value(passed))
        .col_expr(attempts::Column::GradedAt, Expr::current_timestamp())
        .filter(attempts::Column::Id.eq(attempt_id))
        .exec(txn)
        .await?;
    if passed {
        on_pass(txn, state, &a, tally.user_id, attempt_id).await?;
    }
    Ok(())
}

/// A pass: the first one rewards AZR once and is announced; a lesson's quiz completes the
/// lesson; a required assessment may complete the course.
async fn on_pass(
    txn: &DatabaseTransaction,
    state: &AppState,
    a: &assessments::Model,
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
    let announced = db::exists(
        txn,
        "SELECT 1 FROM domain_events WHERE kind = 'assessment_passed' AND user_id = $1 \
         AND payload->>'assessment_id' = $2 LIMIT 1",
        [user_id.into(), a.id.to_string().into()],
    )
    .await?;
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

// ------------------------------------------------------------------ manual grading

/// A hand-graded response as the graders' queue lists it.
#[derive(FromQueryResult)]
struct SubmissionRow {
    response_id: Uuid,
    attempt_id: Uuid,
    user_id: Uuid,
    display_name: String,
    question_id: Uuid,
    kind: QuestionKind,
    prompt: String,
    points_possible: Decimal,
    answer: Value,
    points: Option<Decimal>,
    feedback: String,
    submitted_at: Option<chrono::DateTime<chrono::Utc>>,
}

/// The kinds a person grades, as stored.
fn manual_kinds() -> Vec<String> {
    QuestionKind::ALL
        .iter()
        .filter(|k| k.is_manual())
        .map(|k| k.as_str().to_owned())
        .collect()
}

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
    let all = match q.status {
        None | Some(SubmissionFilter::NeedsGrading) => false,
        Some(SubmissionFilter::All) => true,
    };
    let rows: Vec<SubmissionRow> = db::rows(
        &state.db,
        "SELECT r.id AS response_id, t.id AS attempt_id, t.user_id, u.display_name, q.id AS question_id, q.kind, \
                q.prompt, q.points AS points_possible, r.answer, r.points, r.feedback, t.submitted_at \
         FROM responses r JOIN attempts t ON t.id = r.attempt_id JOIN questions q ON q.id = r.question_id \
         JOIN users u ON u.id = t.user_id \
         WHERE t.assessment_id = $1 AND t.status <> 'in_progress' AND q.kind = ANY($3) \
           AND ($2 OR r.points IS NULL) \
         ORDER BY t.submitted_at, t.id, q.position",
        [assessment_id.into(), all.into(), manual_kinds().into()],
    )
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| SubmissionResponse {
            response_id: r.response_id,
            attempt_id: r.attempt_id,
            user_id: r.user_id,
            learner_name: r.display_name,
            question_id: r.question_id,
            kind: r.kind.into(),
            prompt: r.prompt,
            points_possible: r.points_possible.normalize(),
            answer: r.answer,
            points: r.points.map(|d| d.normalize()),
            feedback: r.feedback,
            submitted_at: r.submitted_at,
        })
        .collect())
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
    let txn = state.db.begin().await?;
    let attempt_id = grade_response_in(state, &txn, user, client, response_id, req).await?;
    txn.commit().await?;
    // Read after commit: the audit chain is not held for it.
    attempt_view(&state.db, attempt_id, true).await
}

/// The response to grade, with its attempt and the question's points.
#[derive(FromQueryResult)]
struct GradeTarget {
    attempt_id: Uuid,
    assessment_id: Uuid,
    user_id: Uuid,
    max_points: Decimal,
}

/// Grades response `response_id` as the actor (a grader of its course; a learner cannot
/// grade their own work), then settles its attempt; audited. Returns the attempt's id.
pub async fn grade_response_in(
    state: &AppState,
    txn: &DatabaseTransaction,
    user: &Actor,
    client: &RequestMeta,
    response_id: Uuid,
    req: GradeRequest,
) -> AppResult<Uuid> {
    let target: GradeTarget = db::row(
        txn,
        "SELECT r.attempt_id, t.assessment_id, t.user_id, q.points AS max_points FROM responses r \
         JOIN attempts t ON t.id = r.attempt_id JOIN questions q ON q.id = r.question_id WHERE r.id = $1",
        [response_id.into()],
    )
    .await?
    .ok_or_else(|| AppError::not_found("response"))?;
    let a = assessment(txn, target.assessment_id).await?;
    let course = lms::course_row(txn, a.course_id).await?;
    if !is_grader(state, user, &course).await? {
        return Err(if target.user_id == user.id {
            AppError::forbidden("you cannot grade your own work")
        } else {
            AppError::not_found("response")
        });
    }
    let max = target.max_points;
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
    let attempt = lock_attempt(txn, target.attempt_id).await?;
    if attempt.status == AttemptStatus::InProgress {
        return Err(AppError::new(
            ErrorCode::AttemptOpen,
            "the learner has not submitted this attempt yet",
        ));
    }
    responses::Entity::update_many()
        .col_expr(responses::Column::Points, Expr::value(req.points))
        .col_expr(
            responses::Column::Feedback,
            Expr::value(req.feedback.trim().to_owned()),
        )
        .col_expr(responses::Column::GradedBy, Expr::value(user.id))
        .col_expr(responses::Column::GradedAt, Expr::current_timestamp())
        .col_expr(responses::Column::AutoGraded, Expr::value(false))
        .col_expr(responses::Column::UpdatedAt, Expr::current_timestamp())
        .filter(responses::Column::Id.eq(response_id))
        .exec(txn)
        .await?;
    settle(txn, state, attempt.id).await?;
    audit::record(
        txn,
        AuditEvent::new(
            Some(user.id),
            "assessment.grade",
            "response",
            Some(response_id.to_string()),
        )
        .details(json!({"attempt_id": attempt.id, "points": req.points.to_string()})),
        client,
    )
    .await?;
    Ok(attempt.id)
}
