//! Authoring: assessments and their questions, by the course's `course:update` holders.
//!
//! Each write is a public `x(state, ..)` that checks the caller's permission on the course,
//! opens the transaction, calls `x_in` and commits; `x_in` checks the request, writes under
//! the course lock and records the audit entry, so the seed composes it into its own
//! transaction. Questions change only while nobody has attempted the assessment.

use chrono::{DateTime, Utc};
use entity::{assessments, attempts, questions};
use kernel::db;
use kernel::enums::{AssessmentKind, Choice, GradingPolicy};
use kernel::text::check_name;
use kernel::{Actor, AppError, AppResult, ErrorCode, FieldError, RequestMeta};
use rust_decimal::Decimal;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseTransaction, EntityTrait, QueryFilter,
    Set, TransactionTrait,
};
use serde_json::json;
use uuid::Uuid;

use super::dto::{
    AssessmentResponse, CreateAssessmentRequest, QuestionRequest, QuestionResponse,
    UpdateAssessmentRequest,
};
use super::grading;
use super::service::{Question, assessment, assessment_view};
use crate::modules::audit::{self, AuditEvent};
use crate::modules::lms;
use crate::positions::Siblings;
use crate::state::AppState;

/// The enum fields of the settings, once checked.
struct Checked {
    kind: Option<AssessmentKind>,
    policy: Option<GradingPolicy>,
}

#[allow(clippy::too_many_arguments)]
fn check_settings(
    title: Option<&str>,
    kind: Option<&Choice<AssessmentKind>>,
    pass_score: Option<Decimal>,
    time_limit: Option<i32>,
    max_attempts: Option<i32>,
    from: Option<DateTime<Utc>>,
    until: Option<DateTime<Utc>>,
    weight: Option<Decimal>,
    policy: Option<&Choice<GradingPolicy>>,
    reward: Option<Decimal>,
) -> AppResult<Checked> {
    let mut errors = Vec::new();
    if let Some(t) = title {
        check_name("#/title", t, 200, &mut errors);
    }
    let kind = kind.and_then(|k| k.check("#/kind", &mut errors));
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
    let policy = policy.and_then(|p| p.check("#/grading_policy", &mut errors));
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
        Ok(Checked { kind, policy })
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
    lms::course_for(state, user, course_id, "course:update").await?;
    let txn = state.db.begin().await?;
    let out = create_assessment_in(state, &txn, user, client, course_id, req).await?;
    txn.commit().await?;
    Ok(out)
}

/// Creates an assessment in `course_id` (a quiz with a 60% pass score unless told otherwise),
/// audited; the caller checked `course:update`.
pub async fn create_assessment_in(
    state: &AppState,
    txn: &DatabaseTransaction,
    user: &Actor,
    client: &RequestMeta,
    course_id: Uuid,
    req: CreateAssessmentRequest,
) -> AppResult<AssessmentResponse> {
    let checked = check_settings(
        Some(&req.title),
        req.kind.as_ref(),
        req.pass_score,
        req.time_limit_seconds,
        req.max_attempts,
        req.available_from,
        req.available_until,
        req.weight,
        req.grading_policy.as_ref(),
        req.reward,
    )?;
    let kind = checked.kind.unwrap_or(AssessmentKind::Quiz);
    let id = Uuid::now_v7();
    // Under the course lock, so the lesson cannot be deleted between this check and the insert.
    lms::lock_course(txn, course_id).await?;
    if let Some(lesson) = req.lesson_id {
        let in_course = db::exists(
            txn,
            "SELECT 1 FROM lessons WHERE id = $1 AND course_id = $2",
            [lesson.into(), course_id.into()],
        )
        .await?;
        if !in_course {
            return Err(AppError::validation(vec![FieldError::new(
                "#/lesson_id",
                "not a lesson of this course",
            )]));
        }
    }
    let title = req.title.trim().to_owned();
    assessments::ActiveModel {
        id: Set(id),
        course_id: Set(course_id),
        lesson_id: Set(req.lesson_id),
        kind: Set(kind),
        title: Set(title.clone()),
        instructions: Set(req.instructions.into_string()),
        pass_score: Set(req.pass_score.unwrap_or(Decimal::from(60))),
        time_limit_seconds: Set(req.time_limit_seconds),
        max_attempts: Set(req.max_attempts),
        available_from: Set(req.available_from),
        available_until: Set(req.available_until),
        shuffle_questions: Set(req.shuffle_questions),
        shuffle_options: Set(req.shuffle_options),
        show_correct_answers: Set(req.show_correct_answers.unwrap_or(true)),
        weight: Set(req.weight.unwrap_or(Decimal::ONE)),
        grading_policy: Set(checked.policy.unwrap_or(GradingPolicy::Best)),
        required_for_completion: Set(req
            .required_for_completion
            .unwrap_or(kind == AssessmentKind::FinalExam)),
        reward: Set(req.reward),
        created_by: Set(user.id),
        ..Default::default()
    }
    .insert(txn)
    .await?;
    let out = assessment_view(txn, &state.settings, id, user.id, true).await?;
    audit::record(
        txn,
        AuditEvent::new(
            Some(user.id),
            "assessment.create",
            "assessment",
            Some(id.to_string()),
        )
        .details(json!({"course_id": course_id, "kind": kind, "title": title})),
        client,
    )
    .await?;
    Ok(out)
}

pub async fn update_assessment(
    state: &AppState,
    user: &Actor,
    client: &RequestMeta,
    id: Uuid,
    req: UpdateAssessmentRequest,
) -> AppResult<AssessmentResponse> {
    let a = assessment(&state.db, id).await?;
    lms::course_for(state, user, a.course_id, "course:update").await?;
    let txn = state.db.begin().await?;
    let out = update_assessment_in(state, &txn, user, client, &a, req).await?;
    txn.commit().await?;
    Ok(out)
}

/// Changes the settings of assessment `a` (absent fields stay; `null` clears the optional
/// ones), audited; the caller checked `course:update`.
pub async fn update_assessment_in(
    state: &AppState,
    txn: &DatabaseTransaction,
    user: &Actor,
    client: &RequestMeta,
    a: &assessments::Model,
    req: UpdateAssessmentRequest,
) -> AppResult<AssessmentResponse> {
    let from = req.available_from.unwrap_or(a.available_from);
    let until = req.available_until.unwrap_or(a.available_until);
    let checked = check_settings(
        req.title.as_deref(),
        None,
        req.pass_score,
        req.time_limit_seconds.flatten(),
        req.max_attempts.flatten(),
        from,
        until,
        req.weight,
        req.grading_policy.as_ref(),
        req.reward.flatten(),
    )?;
    let mut row = assessments::ActiveModel {
        id: Set(a.id),
        available_from: Set(from),
        available_until: Set(until),
        updated_at: Set(Utc::now()),
        ..Default::default()
    };
    if let Some(title) = &req.title {
        row.title = Set(title.trim().to_owned());
    }
    if let Some(instructions) = req.instructions {
        row.instructions = Set(instructions.into_string());
    }
    if let Some(pass_score) = req.pass_score {
        row.pass_score = Set(pass_score);
    }
    if let Some(limit) = req.time_limit_seconds {
        row.time_limit_seconds = Set(limit);
    }
    if let Some(max) = req.max_attempts {
        row.max_attempts = Set(max);
    }
    if let Some(v) = req.shuffle_questions {
        row.shuffle_questions = Set(v);
    }
    if let Some(v) = req.shuffle_options {
        row.shuffle_options = Set(v);
    }
    if let Some(v) = req.show_correct_answers {
        row.show_correct_answers = Set(v);
    }
    if let Some(weight) = req.weight {
        row.weight = Set(weight);
    }
    if let Some(policy) = checked.policy {
        row.grading_policy = Set(policy);
    }
    if let Some(v) = req.required_for_completion {
        row.required_for_completion = Set(v);
    }
    if let Some(reward) = req.reward {
        row.reward = Set(reward);
    }
    row.update(txn).await?;
    let out = assessment_view(txn, &state.settings, a.id, user.id, true).await?;
    audit::record(
        txn,
        AuditEvent::new(
            Some(user.id),
            "assessment.update",
            "assessment",
            Some(a.id.to_string()),
        )
        .details(json!({"course_id": a.course_id})),
        client,
    )
    .await?;
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
    let attempted = attempts::Entity::find()
        .filter(attempts::Column::AssessmentId.eq(assessment_id))
        .one(txn)
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

/// A question, or 404.
async fn question(db: &impl ConnectionTrait, id: Uuid) -> AppResult<questions::Model> {
    questions::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or_else(|| AppError::not_found("question"))
}

pub async fn add_question(
    state: &AppState,
    user: &Actor,
    client: &RequestMeta,
    assessment_id: Uuid,
    req: QuestionRequest,
) -> AppResult<QuestionResponse> {
    let a = assessment(&state.db, assessment_id).await?;
    lms::course_for(state, user, a.course_id, "course:update").await?;
    let txn = state.db.begin().await?;
    let out = add_question_in(&txn, user, client, &a, req).await?;
    txn.commit().await?;
    Ok(out)
}

/// Adds a question to assessment `a` (its options and key built by [`grading::build`]) at
/// `req.position` or last, audited; the caller checked `course:update`.
pub async fn add_question_in(
    txn: &DatabaseTransaction,
    user: &Actor,
    client: &RequestMeta,
    a: &assessments::Model,
    req: QuestionRequest,
) -> AppResult<QuestionResponse> {
    let (kind, options, key) = grading::build(&req).map_err(AppError::validation)?;
    lms::lock_course(txn, a.course_id).await?;
    refuse_if_attempted(txn, a.id).await?;
    let position = Siblings::QUESTIONS
        .make_room(txn, a.id, req.position)
        .await?;
    let id = Uuid::now_v7();
    let stored = questions::ActiveModel {
        id: Set(id),
        assessment_id: Set(a.id),
        kind: Set(kind),
        prompt: Set(req.prompt.trim().to_owned()),
        points: Set(req.points.unwrap_or(Decimal::ONE)),
        options: Set(serde_json::to_value(&options).map_err(AppError::internal)?),
        answer: Set(key),
        partial_credit: Set(req.partial_credit),
        explanation: Set(req.explanation.trim().to_owned()),
        position: Set(position),
        ..Default::default()
    }
    .insert(txn)
    .await?;
    audit::record(
        txn,
        AuditEvent::new(
            Some(user.id),
            "assessment.question_add",
            "question",
            Some(id.to_string()),
        )
        .details(json!({"assessment_id": a.id, "kind": kind})),
        client,
    )
    .await?;
    Ok(Question::from_model(stored)?.response())
}

/// Replaces a question (same rules as adding; its position stays unless given).
pub async fn update_question(
    state: &AppState,
    user: &Actor,
    client: &RequestMeta,
    id: Uuid,
    req: QuestionRequest,
) -> AppResult<QuestionResponse> {
    let q = question(&state.db, id).await?;
    let a = assessment(&state.db, q.assessment_id).await?;
    lms::course_for(state, user, a.course_id, "course:update").await?;
    let txn = state.db.begin().await?;
    let out = update_question_in(&txn, user, client, &a, id, req).await?;
    txn.commit().await?;
    Ok(out)
}

/// Replaces question `id` of assessment `a`, audited; the caller checked `course:update`.
pub async fn update_question_in(
    txn: &DatabaseTransaction,
    user: &Actor,
    client: &RequestMeta,
    a: &assessments::Model,
    id: Uuid,
    req: QuestionRequest,
) -> AppResult<QuestionResponse> {
    let (kind, options, key) = grading::build(&req).map_err(AppError::validation)?;
    lms::lock_course(txn, a.course_id).await?;
    refuse_if_attempted(txn, a.id).await?;
    let position = question(txn, id).await?.position;
    if let Some(to) = req.position {
        Siblings::QUESTIONS
            .move_to(txn, a.id, id, position, to)
            .await?;
    }
    let stored = questions::ActiveModel {
        id: Set(id),
        kind: Set(kind),
        prompt: Set(req.prompt.trim().to_owned()),
        points: Set(req.points.unwrap_or(Decimal::ONE)),
        options: Set(serde_json::to_value(&options).map_err(AppError::internal)?),
        answer: Set(key),
        partial_credit: Set(req.partial_credit),
        explanation: Set(req.explanation.trim().to_owned()),
        updated_at: Set(Utc::now()),
        ..Default::default()
    }
    .update(txn)
    .await?;
    audit::record(
        txn,
        AuditEvent::new(
            Some(user.id),
            "assessment.question_update",
            "question",
            Some(id.to_string()),
        )
        .details(json!({"assessment_id": a.id})),
        client,
    )
    .await?;
    Question::from_model(stored).map(Question::response)
}

pub async fn delete_question(
    state: &AppState,
    user: &Actor,
    client: &RequestMeta,
    id: Uuid,
) -> AppResult<()> {
    let q = question(&state.db, id).await?;
    let a = assessment(&state.db, q.assessment_id).await?;
    lms::course_for(state, user, a.course_id, "course:update").await?;
    let txn = state.db.begin().await?;
    delete_question_in(&txn, user, client, &a, id).await?;
    txn.commit().await?;
    Ok(())
}

/// Deletes question `id` of assessment `a` and closes the gap, audited; the caller checked
/// `course:update`.
pub async fn delete_question_in(
    txn: &DatabaseTransaction,
    user: &Actor,
    client: &RequestMeta,
    a: &assessments::Model,
    id: Uuid,
) -> AppResult<()> {
    lms::lock_course(txn, a.course_id).await?;
    refuse_if_attempted(txn, a.id).await?;
    let position = question(txn, id).await?.position;
    questions::Entity::delete_by_id(id).exec(txn).await?;
    Siblings::QUESTIONS.close_gap(txn, a.id, position).await?;
    audit::record(
        txn,
        AuditEvent::new(
            Some(user.id),
            "assessment.question_delete",
            "question",
            Some(id.to_string()),
        )
        .details(json!({"assessment_id": a.id})),
        client,
    )
    .await?;
    Ok(())
}
