//! Assessments and their questions: authoring (the course's `course:update` holders), the
//! staff and learner views, and the rule the LMS asks before completing a course.

use rust_decimal::Decimal;
use sea_orm::{ConnectionTrait, DatabaseTransaction, TransactionTrait};
use serde_json::{Value, json};
use uuid::Uuid;

use super::dto::{
    AssessmentResponse, AttemptSummary, CreateAssessmentRequest, OptionResponse, QuestionRequest,
    QuestionResponse, UpdateAssessmentRequest,
};
use super::keys;
use crate::db;
use crate::modules::audit::{self, AuditEvent};
use crate::modules::lms::{self, CourseRow, course_for, lock_course, visible_course};
use crate::positions::Siblings;
use crate::state::AppState;
use kernel::text::check_name;
use kernel::{Actor, RequestMeta};
use kernel::{AppError, AppResult, ErrorCode, FieldError};

/// Whether the learner still has to pass an assessment of the course that is
/// `required_for_completion` (its final exam) before the course can complete.
pub async fn completion_blocked(
    txn: &DatabaseTransaction,
    user_id: Uuid,
    course_id: Uuid,
) -> AppResult<bool> {
    Ok(db::one(
        txn,
        "SELECT 1 AS one FROM assessments a WHERE a.course_id = $1 AND a.required_for_completion \
         AND NOT EXISTS (SELECT 1 FROM attempts t WHERE t.assessment_id = a.id AND t.user_id = $2 AND t.passed) LIMIT 1",
        [course_id.into(), user_id.into()],
    )
    .await?
    .is_some())
}

/// The settings of an assessment that the rules need.
#[derive(Debug, Clone)]
pub struct AssessmentRow {
    pub id: Uuid,
    pub course_id: Uuid,
    pub lesson_id: Option<Uuid>,
    pub title: String,
    pub pass_score: Decimal,
    pub time_limit_seconds: Option<i32>,
    pub max_attempts: Option<i32>,
    pub available_from: Option<chrono::DateTime<chrono::Utc>>,
    pub available_until: Option<chrono::DateTime<chrono::Utc>>,
    pub shuffle_questions: bool,
    pub shuffle_options: bool,
    pub show_correct_answers: bool,
    pub required_for_completion: bool,
    pub reward: Option<Decimal>,
}

pub async fn assessment_row(db: &impl ConnectionTrait, id: Uuid) -> AppResult<AssessmentRow> {
    let r = db::one(
        db,
        "SELECT id, course_id, lesson_id, title, pass_score, time_limit_seconds, max_attempts, available_from, \
         available_until, shuffle_questions, shuffle_options, show_correct_answers, required_for_completion, reward \
         FROM assessments WHERE id = $1",
        [id.into()],
    )
    .await?
    .ok_or_else(|| AppError::not_found("assessment"))?;
    Ok(AssessmentRow {
        id: r.try_get("", "id")?,
        course_id: r.try_get("", "course_id")?,
        lesson_id: r.try_get("", "lesson_id")?,
        title: r.try_get("", "title")?,
        pass_score: r.try_get("", "pass_score")?,
        time_limit_seconds: r.try_get("", "time_limit_seconds")?,
        max_attempts: r.try_get("", "max_attempts")?,
        available_from: r.try_get("", "available_from")?,
        available_until: r.try_get("", "available_until")?,
        shuffle_questions: r.try_get("", "shuffle_questions")?,
        shuffle_options: r.try_get("", "shuffle_options")?,
        show_correct_answers: r.try_get("", "show_correct_answers")?,
        required_for_completion: r.try_get("", "required_for_completion")?,
        reward: r.try_get("", "reward")?,
    })
}

/// The assessment and its course, if the caller may see the course (404 otherwise).
pub async fn visible_assessment(
    state: &AppState,
    user: &Actor,
    id: Uuid,
) -> AppResult<(AssessmentRow, CourseRow)> {
    let a = assessment_row(&state.db, id).await?;
    let course = visible_course(state, Some(user), a.course_id).await?;
    Ok((a, course))
}

/// Whether the caller grades the course (its instructors, assistants and admins).
pub async fn is_grader(state: &AppState, user: &Actor, course: &CourseRow) -> AppResult<bool> {
    crate::authz::allowed(state, user, "course:grade", course.scope()).await
}

pub const ATTEMPT_COLUMNS: &str = "t.id, t.assessment_id, t.user_id, t.number, t.status, t.started_at, t.deadline_at, \
    t.submitted_at, t.auto_submitted, t.score, t.max_score, t.percent, t.passed";

pub fn attempt_summary(r: &sea_orm::QueryResult) -> AppResult<AttemptSummary> {
    Ok(AttemptSummary {
        id: r.try_get("", "id")?,
        assessment_id: r.try_get("", "assessment_id")?,
        user_id: r.try_get("", "user_id")?,
        number: r.try_get("", "number")?,
        status: r.try_get("", "status")?,
        started_at: r.try_get("", "started_at")?,
        deadline_at: r.try_get("", "deadline_at")?,
        submitted_at: r.try_get("", "submitted_at")?,
        auto_submitted: r.try_get("", "auto_submitted")?,
        score: r
            .try_get::<Option<Decimal>>("", "score")?
            .map(|d| d.normalize()),
        max_score: r.try_get::<Decimal>("", "max_score")?.normalize(),
        percent: r
            .try_get::<Option<Decimal>>("", "percent")?
            .map(|d| d.normalize()),
        passed: r.try_get("", "passed")?,
    })
}

/// A question as stored: kind, points, options and key.
#[derive(Debug, Clone)]
pub struct QuestionRow {
    pub id: Uuid,
    pub kind: String,
    pub prompt: String,
    pub points: Decimal,
    pub options: Vec<OptionResponse>,
    pub answer: Value,
    pub partial_credit: bool,
    pub explanation: String,
    pub position: i32,
}

pub async fn questions(
    db: &impl ConnectionTrait,
    assessment_id: Uuid,
) -> AppResult<Vec<QuestionRow>> {
    Ok(questions_of(db, &[assessment_id])
        .await?
        .into_iter()
        .map(|(_, q)| q)
        .collect())
}

/// The questions of several assessments, in order, each with its assessment id.
async fn questions_of(
    db: &impl ConnectionTrait,
    ids: &[Uuid],
) -> AppResult<Vec<(Uuid, QuestionRow)>> {
    db::all(
        db,
        "SELECT assessment_id, id, kind, prompt, points, options, answer, partial_credit, explanation, position \
         FROM questions WHERE assessment_id = ANY($1) ORDER BY assessment_id, position",
        [ids.to_vec().into()],
    )
    .await?
    .iter()
    .map(|r| {
        Ok((
            r.try_get("", "assessment_id")?,
            QuestionRow {
                id: r.try_get("", "id")?,
                kind: r.try_get("", "kind")?,
                prompt: r.try_get("", "prompt")?,
                points: r.try_get("", "points")?,
                options: serde_json::from_value(r.try_get::<Value>("", "options")?)
                    .map_err(AppError::internal)?,
                answer: r.try_get("", "answer")?,
                partial_credit: r.try_get("", "partial_credit")?,
                explanation: r.try_get("", "explanation")?,
                position: r.try_get("", "position")?,
            },
        ))
    })
    .collect()
}

fn question_response(q: QuestionRow) -> QuestionResponse {
    QuestionResponse {
        id: q.id,
        kind: q.kind,
        prompt: q.prompt,
        points: q.points.normalize(),
        options: q.options,
        answer: q.answer,
        partial_credit: q.partial_credit,
        explanation: q.explanation,
        position: q.position,
    }
}

/// The assessment as `viewer` may see it: questions with keys for its graders only.
pub async fn assessment_view(
    db: &impl ConnectionTrait,
    settings: &crate::config::Settings,
    id: Uuid,
    viewer: Uuid,
    staff: bool,
) -> AppResult<AssessmentResponse> {
    assessment_views(db, settings, &[id], viewer, staff)
        .await?
        .pop()
        .ok_or_else(|| AppError::not_found("assessment"))
}

/// Several assessments as `viewer` may see them, in the order of `ids`: three queries
/// whatever their number.
async fn assessment_views(
    db: &impl ConnectionTrait,
    settings: &crate::config::Settings,
    ids: &[Uuid],
    viewer: Uuid,
    staff: bool,
) -> AppResult<Vec<AssessmentResponse>> {
    let rows = db::all(
        db,
        "SELECT a.*, (SELECT count(*) FROM questions q WHERE q.assessment_id = a.id) AS question_count, \
         (SELECT coalesce(sum(points), 0) FROM questions q WHERE q.assessment_id = a.id) AS total_points \
         FROM assessments a WHERE a.id = ANY($1)",
        [ids.to_vec().into()],
    )
    .await?;
    let mut attempts: Vec<AttemptSummary> = db::all(
        db,
        format!("SELECT {ATTEMPT_COLUMNS} FROM attempts t WHERE t.assessment_id = ANY($1) AND t.user_id = $2 ORDER BY t.number DESC"),
        [ids.to_vec().into(), viewer.into()],
    )
    .await?
    .iter()
    .map(attempt_summary)
    .collect::<AppResult<Vec<_>>>()?;
    let mut keyed = if staff {
        questions_of(db, ids).await?
    } else {
        Vec::new()
    };
    let mut out = Vec::with_capacity(ids.len());
    for id in ids {
        let Some(r) = rows
            .iter()
            .find(|r| r.try_get::<Uuid>("", "id").is_ok_and(|x| x == *id))
        else {
            continue;
        };
        let (mine, rest): (Vec<_>, Vec<_>) =
            attempts.into_iter().partition(|t| t.assessment_id == *id);
        attempts = rest;
        let questions = if staff {
            let (these, rest): (Vec<_>, Vec<_>) = keyed.into_iter().partition(|(a, _)| a == id);
            keyed = rest;
            Some(
                these
                    .into_iter()
                    .map(|(_, q)| question_response(q))
                    .collect(),
            )
        } else {
            None
        };
        out.push(AssessmentResponse {
            id: *id,
            course_id: r.try_get("", "course_id")?,
            lesson_id: r.try_get("", "lesson_id")?,
            kind: r.try_get("", "kind")?,
            title: r.try_get("", "title")?,
            instructions: r.try_get("", "instructions")?,
            pass_score: r.try_get::<Decimal>("", "pass_score")?.normalize(),
            time_limit_seconds: r.try_get("", "time_limit_seconds")?,
            max_attempts: r.try_get("", "max_attempts")?,
            available_from: r.try_get("", "available_from")?,
            available_until: r.try_get("", "available_until")?,
            shuffle_questions: r.try_get("", "shuffle_questions")?,
            shuffle_options: r.try_get("", "shuffle_options")?,
            show_correct_answers: r.try_get("", "show_correct_answers")?,
            weight: r.try_get::<Decimal>("", "weight")?.normalize(),
            grading_policy: r.try_get("", "grading_policy")?,
            required_for_completion: r.try_get("", "required_for_completion")?,
            reward: r
                .try_get::<Option<Decimal>>("", "reward")?
                .unwrap_or(settings.assessments.pass_reward)
                .normalize(),
            question_count: r.try_get("", "question_count")?,
            total_points: r.try_get::<Decimal>("", "total_points")?.normalize(),
            questions,
            my_attempts: mine,
            created_at: r.try_get("", "created_at")?,
            updated_at: r.try_get("", "updated_at")?,
        });
    }
    Ok(out)
}

pub async fn get_assessment(
    state: &AppState,
    user: &Actor,
    id: Uuid,
) -> AppResult<AssessmentResponse> {
    let (_, course) = visible_assessment(state, user, id).await?;
    let staff = lms::is_staff(state, user, &course).await?;
    assessment_view(&state.db, &state.settings, id, user.id, staff).await
}

/// The course's assessments, as the caller may see them.
pub async fn list_for_course(
    state: &AppState,
    user: &Actor,
    course_id: Uuid,
) -> AppResult<Vec<AssessmentResponse>> {
    let course = visible_course(state, Some(user), course_id).await?;
    let staff = lms::is_staff(state, user, &course).await?;
    let ids = db::all(
        &state.db,
        "SELECT id FROM assessments WHERE course_id = $1 ORDER BY created_at, id",
        [course_id.into()],
    )
    .await?;
    let ids = ids
        .iter()
        .map(|r| r.try_get::<Uuid>("", "id"))
        .collect::<Result<Vec<_>, _>>()?;
    assessment_views(&state.db, &state.settings, &ids, user.id, staff).await
}

struct Checked {
    kind: String,
    policy: String,
}

#[allow(clippy::too_many_arguments)]
fn check_settings(
    title: Option<&str>,
    kind: Option<&str>,
    pass_score: Option<Decimal>,
    time_limit: Option<i32>,
    max_attempts: Option<i32>,
    from: Option<chrono::DateTime<chrono::Utc>>,
    until: Option<chrono::DateTime<chrono::Utc>>,
    weight: Option<Decimal>,
    policy: Option<&str>,
    reward: Option<Decimal>,
) -> AppResult<Checked> {
    let mut errors = Vec::new();
    if let Some(t) = title {
        check_name("#/title", t, 200, &mut errors);
    }
    let kind = kind.unwrap_or("quiz");
    if !matches!(kind, "quiz" | "assignment" | "project" | "final_exam") {
        errors.push(FieldError::new(
            "#/kind",
            "one of quiz, assignment, project, final_exam",
        ));
    }
    if let Some(p) = pass_score
        && (p.is_sign_negative() || p > Decimal::ONE_HUNDRED || p.round_dp(2) != p)
    {
        errors.push(FieldError::new("#/pass_score", "0 to 100, two decimals"));
    }
    if time_limit.is_some_and(|t| !(1..=86_400 * 7).contains(&t)) {
        errors.push(FieldError::new(
            "#/time_limit_seconds",
            "1 second to 7 days",
        ));
    }
    if max_attempts.is_some_and(|m| !(1..=100).contains(&m)) {
        errors.push(FieldError::new("#/max_attempts", "1 to 100"));
    }
    if let (Some(f), Some(u)) = (from, until)
        && f >= u
    {
        errors.push(FieldError::new(
            "#/available_until",
            "must be after available_from",
        ));
    }
    if let Some(w) = weight
        && (w.is_sign_negative() || w > Decimal::from(1000) || w.round_dp(2) != w)
    {
        errors.push(FieldError::new("#/weight", "0 to 1000, two decimals"));
    }
    let policy = policy.unwrap_or("best");
    if !matches!(policy, "best" | "last") {
        errors.push(FieldError::new("#/grading_policy", "`best` or `last`"));
    }
    if let Some(r) = reward
        && (r.is_sign_negative()
            || r.scale() > 8
            || r >= Decimal::from(1_000_000_000_000_000_000i64))
    {
        errors.push(FieldError::new(
            "#/reward",
            "a non-negative AZR amount below 10^18, at most 8 decimals",
        ));
    }
    if errors.is_empty() {
        Ok(Checked {
            kind: kind.to_owned(),
            policy: policy.to_owned(),
        })
    } else {
        Err(AppError::validation(errors))
    }
}

pub async fn create_assessment(
    state: &AppState,
    user: &Actor,
    client: &RequestMeta,
    course_id: Uuid,
    req: CreateAssessmentRequest,
) -> AppResult<AssessmentResponse> {
    course_for(state, user, course_id, "course:update").await?;
    let checked = check_settings(
        Some(&req.title),
        req.kind.as_deref(),
        req.pass_score,
        req.time_limit_seconds,
        req.max_attempts,
        req.available_from,
        req.available_until,
        req.weight,
        req.grading_policy.as_deref(),
        req.reward,
    )?;
    let id = Uuid::now_v7();
    let txn = state.db.begin().await?;
    // Under the course lock, so the lesson cannot be deleted between this check and the insert.
    lock_course(&txn, course_id).await?;
    if let Some(lesson) = req.lesson_id {
        let in_course = db::one(
            &txn,
            "SELECT 1 AS one FROM lessons WHERE id = $1 AND course_id = $2",
            [lesson.into(), course_id.into()],
        )
        .await?
        .is_some();
        if !in_course {
            return Err(AppError::validation(vec![FieldError::new(
                "#/lesson_id",
                "not a lesson of this course",
            )]));
        }
    }
    db::exec(
        &txn,
        "INSERT INTO assessments (id, course_id, lesson_id, kind, title, instructions, pass_score, time_limit_seconds, \
         max_attempts, available_from, available_until, shuffle_questions, shuffle_options, show_correct_answers, weight, \
         grading_policy, required_for_completion, reward, created_by) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19)",
        [
            id.into(),
            course_id.into(),
            req.lesson_id.into(),
            checked.kind.clone().into(),
            req.title.trim().to_owned().into(),
            req.instructions.clone().into(),
            req.pass_score.unwrap_or(Decimal::from(60)).into(),
            req.time_limit_seconds.into(),
            req.max_attempts.into(),
            req.available_from.into(),
            req.available_until.into(),
            req.shuffle_questions.into(),
            req.shuffle_options.into(),
            req.show_correct_answers.unwrap_or(true).into(),
            req.weight.unwrap_or(Decimal::ONE).into(),
            checked.policy.into(),
            req.required_for_completion
                .unwrap_or(checked.kind == "final_exam")
                .into(),
            req.reward.into(),
            user.id.into(),
        ],
    )
    .await?;
    let out = assessment_view(&txn, &state.settings, id, user.id, true).await?;
    audit::record(
        &txn,
        AuditEvent::new(
            Some(user.id),
            "assessment.create",
            "assessment",
            Some(id.to_string()),
        )
        .details(json!({"course_id": course_id, "kind": checked.kind, "title": req.title.trim()})),
        client,
    )
    .await?;
    txn.commit().await?;
    Ok(out)
}

pub async fn update_assessment(
    state: &AppState,
    user: &Actor,
    client: &RequestMeta,
    id: Uuid,
    req: UpdateAssessmentRequest,
) -> AppResult<AssessmentResponse> {
    let a = assessment_row(&state.db, id).await?;
    course_for(state, user, a.course_id, "course:update").await?;
    let from = req.available_from.unwrap_or(a.available_from);
    let until = req.available_until.unwrap_or(a.available_until);
    check_settings(
        req.title.as_deref(),
        None,
        req.pass_score,
        req.time_limit_seconds.flatten(),
        req.max_attempts.flatten(),
        from,
        until,
        req.weight,
        req.grading_policy.as_deref(),
        req.reward.flatten(),
    )?;
    let txn = state.db.begin().await?;
    db::exec(
        &txn,
        "UPDATE assessments SET title = coalesce($2, title), instructions = coalesce($3, instructions), \
         pass_score = coalesce($4, pass_score), \
         time_limit_seconds = CASE WHEN $5 THEN $6 ELSE time_limit_seconds END, \
         max_attempts = CASE WHEN $7 THEN $8 ELSE max_attempts END, \
         available_from = $9, available_until = $10, \
         shuffle_questions = coalesce($11, shuffle_questions), shuffle_options = coalesce($12, shuffle_options), \
         show_correct_answers = coalesce($13, show_correct_answers), weight = coalesce($14, weight), \
         grading_policy = coalesce($15, grading_policy), \
         required_for_completion = coalesce($16, required_for_completion), \
         reward = CASE WHEN $17 THEN $18 ELSE reward END, updated_at = now() WHERE id = $1",
        [
            id.into(),
            req.title.as_ref().map(|t| t.trim().to_owned()).into(),
            req.instructions.clone().into(),
            req.pass_score.into(),
            req.time_limit_seconds.is_some().into(),
            req.time_limit_seconds.flatten().into(),
            req.max_attempts.is_some().into(),
            req.max_attempts.flatten().into(),
            from.into(),
            until.into(),
            req.shuffle_questions.into(),
            req.shuffle_options.into(),
            req.show_correct_answers.into(),
            req.weight.into(),
            req.grading_policy.clone().into(),
            req.required_for_completion.into(),
            req.reward.is_some().into(),
            req.reward.flatten().into(),
        ],
    )
    .await?;
    let out = assessment_view(&txn, &state.settings, id, user.id, true).await?;
    audit::record(
        &txn,
        AuditEvent::new(
            Some(user.id),
            "assessment.update",
            "assessment",
            Some(id.to_string()),
        )
        .details(json!({"course_id": a.course_id})),
        client,
    )
    .await?;
    txn.commit().await?;
    Ok(out)
}

/// Questions change only while nobody has attempted the assessment, so every attempt keeps
/// the questions it was given.
async fn refuse_if_attempted(txn: &DatabaseTransaction, assessment_id: Uuid) -> AppResult<()> {
    // Starting an attempt shares this lock: an edit and a start never interleave.
    db::exec(
        txn,
        "SELECT id FROM assessments WHERE id = $1 FOR UPDATE",
        [assessment_id.into()],
    )
    .await?;
    let attempted = db::one(
        txn,
        "SELECT 1 AS one FROM attempts WHERE assessment_id = $1 LIMIT 1",
        [assessment_id.into()],
    )
    .await?
    .is_some();
    if attempted {
        return Err(AppError::new(
            ErrorCode::AssessmentHasAttempts,
            "learners have attempted this assessment: its questions can no longer change",
        ));
    }
    Ok(())
}

pub async fn add_question(
    state: &AppState,
    user: &Actor,
    client: &RequestMeta,
    assessment_id: Uuid,
    req: QuestionRequest,
) -> AppResult<QuestionResponse> {
    let a = assessment_row(&state.db, assessment_id).await?;
    course_for(state, user, a.course_id, "course:update").await?;
    let (options, key) = keys::build(&req).map_err(AppError::validation)?;
    let txn = state.db.begin().await?;
    lock_course(&txn, a.course_id).await?;
    refuse_if_attempted(&txn, assessment_id).await?;
    let position = Siblings::QUESTIONS
        .make_room(&txn, assessment_id, req.position)
        .await?;
    let id = Uuid::now_v7();
    db::exec(
        &txn,
        "INSERT INTO questions (id, assessment_id, kind, prompt, points, options, answer, partial_credit, explanation, position) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
        [
            id.into(),
            assessment_id.into(),
            req.kind.clone().into(),
            req.prompt.trim().to_owned().into(),
            req.points.unwrap_or(Decimal::ONE).into(),
            serde_json::to_value(&options)
                .map_err(AppError::internal)?
                .into(),
            key.into(),
            req.partial_credit.into(),
            req.explanation.trim().to_owned().into(),
            position.into(),
        ],
    )
    .await?;
    audit::record(
        &txn,
        AuditEvent::new(
            Some(user.id),
            "assessment.question_add",
            "question",
            Some(id.to_string()),
        )
        .details(json!({"assessment_id": assessment_id, "kind": req.kind})),
        client,
    )
    .await?;
    let q = questions(&txn, assessment_id)
        .await?
        .into_iter()
        .find(|q| q.id == id)
        .ok_or_else(|| AppError::internal(anyhow::anyhow!("question vanished")))?;
    txn.commit().await?;
    Ok(question_response(q))
}

async fn question_owner(db: &impl ConnectionTrait, id: Uuid) -> AppResult<(Uuid, i32)> {
    let r = db::one(
        db,
        "SELECT assessment_id, position FROM questions WHERE id = $1",
        [id.into()],
    )
    .await?
    .ok_or_else(|| AppError::not_found("question"))?;
    Ok((r.try_get("", "assessment_id")?, r.try_get("", "position")?))
}

/// Replaces a question (same rules as adding; its position stays unless given).
pub async fn update_question(
    state: &AppState,
    user: &Actor,
    client: &RequestMeta,
    id: Uuid,
    req: QuestionRequest,
) -> AppResult<QuestionResponse> {
    let (assessment_id, _) = question_owner(&state.db, id).await?;
    let a = assessment_row(&state.db, assessment_id).await?;
    course_for(state, user, a.course_id, "course:update").await?;
    let (options, key) = keys::build(&req).map_err(AppError::validation)?;
    let txn = state.db.begin().await?;
    lock_course(&txn, a.course_id).await?;
    refuse_if_attempted(&txn, assessment_id).await?;
    let (_, position) = question_owner(&txn, id).await?;
    if let Some(to) = req.position {
        Siblings::QUESTIONS
            .move_to(&txn, assessment_id, id, position, to)
            .await?;
    }
    db::exec(
        &txn,
        "UPDATE questions SET kind = $2, prompt = $3, points = $4, options = $5, answer = $6, partial_credit = $7, \
         explanation = $8, updated_at = now() WHERE id = $1",
        [
            id.into(),
            req.kind.clone().into(),
            req.prompt.trim().to_owned().into(),
            req.points.unwrap_or(Decimal::ONE).into(),
            serde_json::to_value(&options)
                .map_err(AppError::internal)?
                .into(),
            key.into(),
            req.partial_credit.into(),
            req.explanation.trim().to_owned().into(),
        ],
    )
    .await?;
    audit::record(
        &txn,
        AuditEvent::new(
            Some(user.id),
            "assessment.question_update",
            "question",
            Some(id.to_string()),
        )
        .details(json!({"assessment_id": assessment_id})),
        client,
    )
    .await?;
    let q = questions(&txn, assessment_id)
        .await?
        .into_iter()
        .find(|q| q.id == id)
        .ok_or_else(|| AppError::internal(anyhow::anyhow!("question vanished")))?;
    txn.commit().await?;
    Ok(question_response(q))
}

pub async fn delete_question(
    state: &AppState,
    user: &Actor,
    client: &RequestMeta,
    id: Uuid,
) -> AppResult<()> {
    let (assessment_id, _) = question_owner(&state.db, id).await?;
    let a = assessment_row(&state.db, assessment_id).await?;
    course_for(state, user, a.course_id, "course:update").await?;
    let txn = state.db.begin().await?;
    lock_course(&txn, a.course_id).await?;
    refuse_if_attempted(&txn, assessment_id).await?;
    let (_, position) = question_owner(&txn, id).await?;
    db::exec(&txn, "DELETE FROM questions WHERE id = $1", [id.into()]).await?;
    Siblings::QUESTIONS
        .close_gap(&txn, assessment_id, position)
        .await?;
    audit::record(
        &txn,
        AuditEvent::new(
            Some(user.id),
            "assessment.question_delete",
            "question",
            Some(id.to_string()),
        )
        .details(json!({"assessment_id": assessment_id})),
        client,
    )
    .await?;
    txn.commit().await?;
    Ok(())
}
