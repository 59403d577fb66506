//! Lesson progress and course completion.
//!
//! Completion happens exactly once: progress writes lock the enrollment row, the completing
//! write flips `status` to `completed` under that lock, and the reward's dedupe key is the
//! enrollment id. A course may hold completion back until its required assessments are passed
//! (asked of the assessments module).

use chrono::{DateTime, Utc};
use entity::{enrollments, lesson_progress};
use kernel::enums::{EnrollmentStatus, ProgressStatus, ProgressUpdate};
use kernel::event::DomainEvent;
use kernel::{Actor, AppError, AppResult, ErrorCode, FieldError, RequestMeta, db};
use rust_decimal::{Decimal, RoundingStrategy};
use sea_orm::{
    ActiveModelTrait, DatabaseTransaction, EntityTrait, FromQueryResult, Set, TransactionTrait,
};
use serde_json::json;
use uuid::Uuid;

use super::access::{hold_lesson, lesson_row, visible_course};
use super::dto::{
    CourseProgressResponse, EnrollmentResponse, LessonProgressResponse, ProgressRequest,
    ProgressResponse,
};
use super::enrollments::{enrollment, live_enrollment, lock_live_enrollment};
use crate::events;
use crate::modules::audit::{self, AuditEvent};
use crate::modules::wallet;
use crate::state::AppState;

/// An active enrollment the last change left with every required lesson done.
#[derive(FromQueryResult)]
struct FinishedEnrollment {
    id: Uuid,
    user_id: Uuid,
}

/// Recomputes `progress_percent` of the course's active enrollments (after its lessons
/// changed), and completes those the change left with every required lesson done (a lesson
/// removed or made optional), as their next progress write would.
pub async fn recompute_progress(
    txn: &DatabaseTransaction,
    state: &AppState,
    course_id: Uuid,
) -> AppResult<()> {
    db::exec(
        txn,
        "UPDATE enrollments e SET progress_percent = CASE WHEN t.total = 0 THEN 0 ELSE round(100.0 * t.done / t.total, 2) END \
         FROM (SELECT e2.id, \
                 (SELECT count(*) FROM lessons l WHERE l.course_id = e2.course_id AND l.required) AS total, \
                 (SELECT count(*) FROM lesson_progress p JOIN lessons l ON l.id = p.lesson_id \
                  WHERE p.enrollment_id = e2.id AND p.status = 'completed' AND l.required) AS done \
               FROM enrollments e2 WHERE e2.course_id = $1 AND e2.status = 'active') t \
         WHERE e.id = t.id",
        [course_id.into()],
    )
    .await?;
    let finished: Vec<FinishedEnrollment> = db::rows(
        txn,
        "SELECT id, user_id FROM enrollments WHERE course_id = $1 AND status = 'active' AND progress_percent >= 100 \
         ORDER BY id FOR UPDATE",
        [course_id.into()],
    )
    .await?;
    for f in finished {
        // Held back by a required assessment: nothing changes for that learner.
        if !completion_blocked(state, txn, f.user_id, course_id).await? {
            refresh_enrollment(txn, state, f.id).await?;
        }
    }
    Ok(())
}

/// What a progress write did to the enrollment.
pub struct Refreshed {
    pub enrollment: EnrollmentResponse,
    pub completed_now: bool,
    pub reward: Option<Decimal>,
}

/// An enrollment with its course's completion facts and its required lessons done.
#[derive(FromQueryResult)]
struct EnrollmentCounts {
    user_id: Uuid,
    course_id: Uuid,
    status: EnrollmentStatus,
    title: String,
    completion_reward: Option<Decimal>,
    total: i64,
    done: i64,
}

/// Recomputes one enrollment's progress (its row locked by the caller) and completes it when
/// every required lesson is done and the course's completion rules (see `completion_blocked`)
/// hold: sets `completed_at`, pays the reward once and publishes `CourseCompleted`.
pub async fn refresh_enrollment(
    txn: &DatabaseTransaction,
    state: &AppState,
    enrollment_id: Uuid,
) -> AppResult<Refreshed> {
    let row: EnrollmentCounts = db::row(
        txn,
        "SELECT e.user_id, e.course_id, e.status, c.title, c.completion_reward, \
           (SELECT count(*) FROM lessons l WHERE l.course_id = e.course_id AND l.required) AS total, \
           (SELECT count(*) FROM lesson_progress p JOIN lessons l ON l.id = p.lesson_id \
            WHERE p.enrollment_id = e.id AND p.status = 'completed' AND l.required) AS done \
         FROM enrollments e JOIN courses c ON c.id = e.course_id WHERE e.id = $1",
        [enrollment_id.into()],
    )
    .await?
    .ok_or_else(|| AppError::not_found("enrollment"))?;
    let mut completed_now = false;
    let mut reward = None;
    if row.status == EnrollmentStatus::Active {
        let percent = if row.total == 0 {
            Decimal::ZERO
        } else {
            // Rounded as `recompute_progress` rounds in SQL (half away from zero).
            (Decimal::from(row.done) * Decimal::from(100) / Decimal::from(row.total))
                .round_dp_with_strategy(2, RoundingStrategy::MidpointAwayFromZero)
        };
        enrollments::ActiveModel {
            id: Set(enrollment_id),
            progress_percent: Set(percent),
            last_activity_at: Set(Some(Utc::now())),
            ..Default::default()
        }
        .update(txn)
        .await?;
        if row.total > 0
            && row.done >= row.total
            && !completion_blocked(state, txn, row.user_id, row.course_id).await?
        {
            enrollments::ActiveModel {
                id: Set(enrollment_id),
                status: Set(EnrollmentStatus::Completed),
                completed_at: Set(Some(Utc::now())),
                progress_percent: Set(Decimal::from(100)),
                ..Default::default()
            }
            .update(txn)
            .await?;
            completed_now = true;
            events::publish(
                state,
                txn,
                DomainEvent::CourseCompleted {
                    enrollment_id,
                    user_id: row.user_id,
                    course_id: row.course_id,
                    course_title: row.title.clone(),
                },
            )
            .await?;
            super::paths::complete_paths_in(state, txn, row.user_id, row.course_id).await?;
            // The reward last: it locks the shared rewards-pool wallet until commit, so what
            // the completion sets off (certificates are signed here) must not run under it.
            let amount = row
                .completion_reward
                .unwrap_or(state.settings.lms.completion_reward);
            if wallet::reward(
                txn,
                row.user_id,
                amount,
                &format!("Completed {}", row.title),
                &format!("course_completion:{enrollment_id}"),
            )
            .await?
            .is_some()
            {
                reward = Some(amount.normalize());
            }
            audit::record(
                txn,
                AuditEvent::new(
                    Some(row.user_id),
                    "course.complete",
                    "enrollment",
                    Some(enrollment_id.to_string()),
                )
                .details(
                    json!({"course_id": row.course_id, "reward": reward.map(|r| r.to_string())}),
                ),
                &RequestMeta::system(),
            )
            .await?;
        }
    } else {
        enrollments::ActiveModel {
            id: Set(enrollment_id),
            last_activity_at: Set(Some(Utc::now())),
            ..Default::default()
        }
        .update(txn)
        .await?;
    }
    Ok(Refreshed {
        enrollment: enrollment(txn, enrollment_id).await?,
        completed_now,
        reward,
    })
}

/// Rules beyond lessons that hold a completion back: a course may require passing its
/// assessments marked `required_for_completion` (its final exam).
/// They are the assessments module's rule, plugged in as the `completion_blocked` hook (lms
/// does not depend on assessments; assessments depends on lms).
async fn completion_blocked(
    state: &AppState,
    txn: &DatabaseTransaction,
    user_id: Uuid,
    course_id: Uuid,
) -> AppResult<bool> {
    (state.hooks.completion_blocked)(txn, user_id, course_id).await
}

/// A lesson's progress as written.
#[derive(FromQueryResult)]
struct ProgressRow {
    lesson_id: Uuid,
    status: ProgressStatus,
    time_spent_seconds: i32,
    last_position_seconds: i32,
    started_at: DateTime<Utc>,
    completed_at: Option<DateTime<Utc>>,
}

impl From<ProgressRow> for LessonProgressResponse {
    fn from(r: ProgressRow) -> Self {
        LessonProgressResponse {
            lesson_id: r.lesson_id,
            status: r.status.into(),
            time_spent_seconds: r.time_spent_seconds,
            last_position_seconds: r.last_position_seconds,
            started_at: r.started_at,
            completed_at: r.completed_at,
        }
    }
}

/// Upserts a lesson's progress for an enrollment (completed stays completed; time only grows);
/// answers whether this write completed the lesson.
async fn upsert_progress(
    txn: &DatabaseTransaction,
    enrollment_id: Uuid,
    lesson_id: Uuid,
    status: ProgressStatus,
    time_spent: i32,
    position: i32,
) -> AppResult<(LessonProgressResponse, bool)> {
    let before = lesson_progress::Entity::find_by_id((enrollment_id, lesson_id))
        .one(txn)
        .await?
        .map(|p| p.status);
    let row: ProgressRow = db::row(
        txn,
        "INSERT INTO lesson_progress (enrollment_id, lesson_id, status, time_spent_seconds, last_position_seconds, completed_at) \
         VALUES ($1, $2, $3, $4, $5, CASE WHEN $3 = 'completed' THEN now() END) \
         ON CONFLICT (enrollment_id, lesson_id) DO UPDATE SET \
           status = CASE WHEN lesson_progress.status = 'completed' THEN 'completed' ELSE EXCLUDED.status END, \
           time_spent_seconds = greatest(lesson_progress.time_spent_seconds, EXCLUDED.time_spent_seconds), \
           last_position_seconds = EXCLUDED.last_position_seconds, \
           completed_at = coalesce(lesson_progress.completed_at, EXCLUDED.completed_at), \
           updated_at = now() \
         RETURNING lesson_id, status, time_spent_seconds, last_position_seconds, started_at, completed_at",
        [
            enrollment_id.into(),
            lesson_id.into(),
            status.as_str().into(),
            time_spent.into(),
            position.into(),
        ],
    )
    .await?
    .ok_or_else(|| AppError::internal(anyhow::anyhow!("progress upsert returned nothing")))?;
    let newly_completed =
        row.status == ProgressStatus::Completed && before != Some(ProgressStatus::Completed);
    Ok((row.into(), newly_completed))
}

/// `PUT /lessons/{id}/progress`.
pub async fn record_progress(
    state: &AppState,
    actor: &Actor,
    meta: &RequestMeta,
    lesson_id: Uuid,
    req: ProgressRequest,
) -> AppResult<ProgressResponse> {
    let lesson = lesson_row(&state.db, lesson_id).await?;
    visible_course(state, Some(actor), lesson.course_id).await?;
    let mut errors = Vec::new();
    let update = req.status.parse::<ProgressUpdate>().ok();
    if update.is_none() {
        errors.push(FieldError::new("#/status", "`started` or `completed`"));
    }
    if req.time_spent_seconds < 0 {
        errors.push(FieldError::new("#/time_spent_seconds", "must be 0 or more"));
    }
    if req.last_position_seconds < 0 {
        errors.push(FieldError::new(
            "#/last_position_seconds",
            "must be 0 or more",
        ));
    }
    let Some(update) = update.filter(|_| errors.is_empty()) else {
        return Err(AppError::validation(errors));
    };
    let txn = state.db.begin().await?;
    if !hold_lesson(&txn, lesson_id).await? {
        return Err(AppError::not_found("lesson"));
    }
    let enrollment_id = lock_live_enrollment(&txn, actor.id, lesson.course_id).await?;
    // A lesson with an assessment is completed by passing it, not by saying so.
    if update == ProgressUpdate::Completed
        && db::exists(
            &txn,
            "SELECT 1 AS one FROM assessments WHERE lesson_id = $1 LIMIT 1",
            [lesson_id.into()],
        )
        .await?
    {
        return Err(AppError::new(
            ErrorCode::AssessmentRequired,
            "pass this lesson's assessment to complete it",
        ));
    }
    let (progress, newly_completed) = upsert_progress(
        &txn,
        enrollment_id,
        lesson_id,
        update.into(),
        req.time_spent_seconds,
        req.last_position_seconds,
    )
    .await?;
    let refreshed = refresh_enrollment(&txn, state, enrollment_id).await?;
    if newly_completed {
        audit::record(
            &txn,
            AuditEvent::new(
                Some(actor.id),
                "lesson.complete",
                "lesson",
                Some(lesson_id.to_string()),
            )
            .details(json!({"enrollment_id": enrollment_id, "course_id": lesson.course_id})),
            meta,
        )
        .await?;
    }
    txn.commit().await?;
    Ok(ProgressResponse {
        lesson: progress,
        enrollment: refreshed.enrollment,
        course_completed: refreshed.completed_now,
        reward: refreshed.reward,
    })
}

/// For other modules (a passed quiz completes its lesson): marks `lesson_id` completed for the
/// learner's live enrollment inside `txn`, and completes the course if that was the last step.
/// Does nothing when the learner is not enrolled.
pub async fn complete_lesson_for(
    txn: &DatabaseTransaction,
    state: &AppState,
    user_id: Uuid,
    lesson_id: Uuid,
) -> AppResult<Option<Refreshed>> {
    let lesson = lesson_row(txn, lesson_id).await?;
    // The lesson before the enrollment (the order progress writes use).
    if !hold_lesson(txn, lesson_id).await? {
        return Ok(None);
    }
    let enrollment_id = match lock_live_enrollment(txn, user_id, lesson.course_id).await {
        Ok(id) => id,
        Err(e) if e.code() == ErrorCode::NotEnrolled => return Ok(None),
        Err(e) => return Err(e),
    };
    upsert_progress(
        txn,
        enrollment_id,
        lesson_id,
        ProgressStatus::Completed,
        0,
        0,
    )
    .await?;
    Ok(Some(refresh_enrollment(txn, state, enrollment_id).await?))
}

/// For other modules: re-evaluates completion of the learner's enrollment in a course (after
/// a required assessment was passed).
pub async fn recheck_completion(
    txn: &DatabaseTransaction,
    state: &AppState,
    user_id: Uuid,
    course_id: Uuid,
) -> AppResult<Option<Refreshed>> {
    let enrollment_id = match lock_live_enrollment(txn, user_id, course_id).await {
        Ok(id) => id,
        Err(e) if e.code() == ErrorCode::NotEnrolled => return Ok(None),
        Err(e) => return Err(e),
    };
    Ok(Some(refresh_enrollment(txn, state, enrollment_id).await?))
}

/// Required lessons of the course, and how many of them the enrollment completed.
#[derive(FromQueryResult)]
struct LessonCounts {
    required: i64,
    done: i64,
}

/// `GET /courses/{id}/progress`: the caller's enrollment and lesson-by-lesson progress.
pub async fn course_progress(
    state: &AppState,
    actor: &Actor,
    course_id: Uuid,
) -> AppResult<CourseProgressResponse> {
    visible_course(state, Some(actor), course_id).await?;
    let enrollment = live_enrollment(&state.db, actor.id, course_id)
        .await?
        .ok_or_else(|| {
            // The enrollment is the resource here: 404, where acting on a course is 403.
            AppError::new(
                ErrorCode::NotEnrolled,
                "you are not enrolled in this course",
            )
            .with_status(404)
        })?;
    let lessons: Vec<LessonProgressResponse> = db::rows(
        &state.db,
        "SELECT p.lesson_id, p.status, p.time_spent_seconds, p.last_position_seconds, p.started_at, p.completed_at \
         FROM lesson_progress p JOIN lessons l ON l.id = p.lesson_id JOIN course_modules m ON m.id = l.module_id \
         WHERE p.enrollment_id = $1 ORDER BY m.position, l.position",
        [enrollment.id.into()],
    )
    .await?;
    let counts: LessonCounts = db::row(
        &state.db,
        "SELECT (SELECT count(*) FROM lessons WHERE course_id = $1 AND required) AS required, \
                (SELECT count(*) FROM lesson_progress p JOIN lessons l ON l.id = p.lesson_id \
                 WHERE p.enrollment_id = $2 AND p.status = 'completed' AND l.required) AS done",
        [course_id.into(), enrollment.id.into()],
    )
    .await?
    .ok_or_else(|| AppError::internal(anyhow::anyhow!("count returned nothing")))?;
    Ok(CourseProgressResponse {
        enrollment,
        completed_lessons: counts.done,
        required_lessons: counts.required,
        lessons,
    })
}
