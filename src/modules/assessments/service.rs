//! What the other files of the module share: the rows they read (an assessment, its
//! questions, an attempt in brief), who may see and grade them, the assessment views (with
//! answer keys for the course's staff, with their own attempts for everyone), and the rule the
//! LMS asks before completing a course.
//!
//! Single-table reads go through the entities; the view with its question count and total
//! points, and the completion rule, are explicit SQL read into typed rows.

use entity::{assessments, attempts, questions};
use kernel::db;
use kernel::enums::QuestionKind;
use kernel::{Actor, AppError, AppResult};
use rust_decimal::Decimal;
use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, FromQueryResult, QueryFilter, QueryOrder,
    QuerySelect,
};
use serde_json::Value;
use uuid::Uuid;

use super::dto::{AssessmentResponse, AttemptSummary, OptionResponse, QuestionResponse};
use crate::config::Settings;
use crate::modules::lms::{self, CourseRow};
use crate::state::AppState;

/// Whether the learner still has to pass an assessment of the course that is
/// `required_for_completion` (its final exam) before the course can complete.
pub async fn completion_blocked(
    db: &impl ConnectionTrait,
    user_id: Uuid,
    course_id: Uuid,
) -> AppResult<bool> {
    Ok(db::exists(
        db,
        "SELECT 1 FROM assessments a WHERE a.course_id = $1 AND a.required_for_completion \
         AND NOT EXISTS (SELECT 1 FROM attempts t WHERE t.assessment_id = a.id AND t.user_id = $2 AND t.passed) LIMIT 1",
        [course_id.into(), user_id.into()],
    )
    .await?)
}

/// An assessment, or 404.
pub async fn assessment(db: &impl ConnectionTrait, id: Uuid) -> AppResult<assessments::Model> {
    assessments::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or_else(|| AppError::not_found("assessment"))
}

/// The assessment and its course, if the caller may see the course (404 otherwise).
pub async fn visible_assessment(
    state: &AppState,
    user: &Actor,
    id: Uuid,
) -> AppResult<(assessments::Model, CourseRow)> {
    let a = assessment(&state.db, id).await?;
    let course = lms::visible_course(state, Some(user), a.course_id).await?;
    Ok((a, course))
}

/// Whether the caller grades the course (its instructors, assistants and admins).
pub async fn is_grader(state: &AppState, user: &Actor, course: &CourseRow) -> AppResult<bool> {
    crate::authz::allowed(state, user, "course:grade", course.scope()).await
}

/// An attempt in brief, as its learner and graders see it.
pub fn attempt_summary(t: &attempts::Model) -> AttemptSummary {
    AttemptSummary {
        id: t.id,
        assessment_id: t.assessment_id,
        user_id: t.user_id,
        number: t.number,
        status: t.status.into(),
        started_at: t.started_at,
        deadline_at: t.deadline_at,
        submitted_at: t.submitted_at,
        auto_submitted: t.auto_submitted,
        score: t.score.map(|d| d.normalize()),
        max_score: t.max_score.normalize(),
        percent: t.percent.map(|d| d.normalize()),
        passed: t.passed,
    }
}

/// A question as stored, its options read: kind, points, options and key.
#[derive(Debug, Clone)]
pub struct Question {
    pub id: Uuid,
    pub assessment_id: Uuid,
    pub kind: QuestionKind,
    pub prompt: String,
    pub points: Decimal,
    pub options: Vec<OptionResponse>,
    pub answer: Value,
    pub partial_credit: bool,
    pub explanation: String,
    pub position: i32,
}

impl Question {
    pub fn from_model(q: questions::Model) -> AppResult<Self> {
        Ok(Self {
            id: q.id,
            assessment_id: q.assessment_id,
            kind: q.kind,
            prompt: q.prompt,
            points: q.points,
            options: serde_json::from_value(q.options).map_err(AppError::internal)?,
            answer: q.answer,
            partial_credit: q.partial_credit,
            explanation: q.explanation,
            position: q.position,
        })
    }

    /// The staff view, with the key.
    pub fn response(self) -> QuestionResponse {
        QuestionResponse {
            id: self.id,
            kind: self.kind.into(),
            prompt: self.prompt,
            points: self.points.normalize(),
            options: self.options,
            answer: self.answer,
            partial_credit: self.partial_credit,
            explanation: self.explanation,
            position: self.position,
        }
    }
}

/// The questions of an assessment, in order.
pub async fn questions(db: &impl ConnectionTrait, assessment_id: Uuid) -> AppResult<Vec<Question>> {
    questions::Entity::find()
        .filter(questions::Column::AssessmentId.eq(assessment_id))
        .order_by_asc(questions::Column::Position)
        .all(db)
        .await?
        .into_iter()
        .map(Question::from_model)
        .collect()
}

/// The questions of several assessments, each assessment's in order.
async fn questions_of(db: &impl ConnectionTrait, ids: &[Uuid]) -> AppResult<Vec<Question>> {
    questions::Entity::find()
        .filter(questions::Column::AssessmentId.is_in(ids.iter().copied()))
        .order_by_asc(questions::Column::AssessmentId)
        .order_by_asc(questions::Column::Position)
        .all(db)
        .await?
        .into_iter()
        .map(Question::from_model)
        .collect()
}

/// An assessment with what its view counts.
#[derive(FromQueryResult)]
struct AssessmentViewRow {
    #[sea_orm(nested)]
    assessment: assessments::Model,
    question_count: i64,
    total_points: Decimal,
}

/// The assessment as `viewer` may see it: questions with keys for its graders only.
pub async fn assessment_view(
    db: &impl ConnectionTrait,
    settings: &Settings,
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
    settings: &Settings,
    ids: &[Uuid],
    viewer: Uuid,
    staff: bool,
) -> AppResult<Vec<AssessmentResponse>> {
    let rows: Vec<AssessmentViewRow> = db::rows(
        db,
        "SELECT a.*, (SELECT count(*) FROM questions q WHERE q.assessment_id = a.id) AS question_count, \
         (SELECT coalesce(sum(points), 0) FROM questions q WHERE q.assessment_id = a.id) AS total_points \
         FROM assessments a WHERE a.id = ANY($1)",
        [ids.to_vec().into()],
    )
    .await?;
    let mut attempts = attempts::Entity::find()
        .filter(attempts::Column::AssessmentId.is_in(ids.iter().copied()))
        .filter(attempts::Column::UserId.eq(viewer))
        .order_by_desc(attempts::Column::Number)
        .all(db)
        .await?;
    let mut keyed = if staff {
        questions_of(db, ids).await?
    } else {
        Vec::new()
    };
    let mut out = Vec::with_capacity(ids.len());
    for id in ids {
        let Some(row) = rows.iter().find(|r| r.assessment.id == *id) else {
            continue;
        };
        let (mine, rest): (Vec<_>, Vec<_>) =
            attempts.into_iter().partition(|t| t.assessment_id == *id);
        attempts = rest;
        let questions = if staff {
            let (these, rest): (Vec<_>, Vec<_>) =
                keyed.into_iter().partition(|q| q.assessment_id == *id);
            keyed = rest;
            Some(these.into_iter().map(Question::response).collect())
        } else {
            None
        };
        let a = &row.assessment;
        out.push(AssessmentResponse {
            id: *id,
            course_id: a.course_id,
            lesson_id: a.lesson_id,
            kind: a.kind.into(),
            title: a.title.clone(),
            instructions: a.instructions.clone(),
            pass_score: a.pass_score.normalize(),
            time_limit_seconds: a.time_limit_seconds,
            max_attempts: a.max_attempts,
            available_from: a.available_from,
            available_until: a.available_until,
            shuffle_questions: a.shuffle_questions,
            shuffle_options: a.shuffle_options,
            show_correct_answers: a.show_correct_answers,
            weight: a.weight.normalize(),
            grading_policy: a.grading_policy.into(),
            required_for_completion: a.required_for_completion,
            reward: a
                .reward
                .unwrap_or(settings.assessments.pass_reward)
                .normalize(),
            question_count: row.question_count,
            total_points: row.total_points.normalize(),
            questions,
            my_attempts: mine.iter().map(attempt_summary).collect(),
            created_at: a.created_at,
            updated_at: a.updated_at,
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
    let course = lms::visible_course(state, Some(user), course_id).await?;
    let staff = lms::is_staff(state, user, &course).await?;
    let ids: Vec<Uuid> = assessments::Entity::find()
        .select_only()
        .column(assessments::Column::Id)
        .filter(assessments::Column::CourseId.eq(course_id))
        .order_by_asc(assessments::Column::CreatedAt)
        .order_by_asc(assessments::Column::Id)
        .into_tuple()
        .all(&state.db)
        .await?;
    assessment_views(&state.db, &state.settings, &ids, user.id, staff).await
}
