//! Learning: enrollments (free and paid, idempotent), dropping with refunds, lesson progress,
//! course completion with its reward and domain event, and bookmarks.
//!
//! Completion happens exactly once: progress writes lock the enrollment row, the completing
//! write flips `status` to `completed` under that lock, and the reward's dedupe key is the
//! enrollment id.

use chrono::{Duration, Utc};
use rust_decimal::{Decimal, RoundingStrategy};
use sea_orm::{ConnectionTrait, DatabaseTransaction, TransactionTrait};
use serde_json::json;
use uuid::Uuid;

use super::catalog::{CourseRow, two_places, visible_course};
use super::dto::{
    BookmarkRequest, BookmarkResponse, CourseProgressResponse, EnrollmentResponse,
    LessonProgressResponse, MyEnrollmentsQuery, Price, ProgressRequest, ProgressResponse,
};
use super::structure::{lesson_row, readable_lesson};
use crate::db;
use crate::events;
use crate::modules::audit::{self, AuditEvent};
use crate::modules::rbac::Scope;
use crate::modules::wallet;
use crate::state::AppState;
use kernel::event::DomainEvent;
use kernel::idempotency;
use kernel::pagination::{Page, Paging};
use kernel::{Actor, RequestMeta};
use kernel::{AppError, AppResult, ErrorCode, FieldError};

const ENROLLMENT_COLUMNS: &str = "e.id, e.user_id, e.course_id, c.title AS course_title, e.status, \
    e.progress_percent, e.price, coalesce(e.currency, c.currency) AS currency, e.payment_id, e.refund_id, \
    e.learning_path_id, e.enrolled_at, e.completed_at, e.dropped_at, e.last_activity_at";

fn enrollment_from_row(r: &sea_orm::QueryResult) -> AppResult<EnrollmentResponse> {
    Ok(EnrollmentResponse {
        id: r.try_get("", "id")?,
        user_id: r.try_get("", "user_id")?,
        course_id: r.try_get("", "course_id")?,
        course_title: r.try_get("", "course_title")?,
        status: r.try_get("", "status")?,
        progress_percent: two_places(r.try_get::<Decimal>("", "progress_percent")?),
        price: Price {
            amount: r.try_get::<Decimal>("", "price")?.normalize(),
            currency: r.try_get("", "currency")?,
        },
        payment_id: r.try_get("", "payment_id")?,
        refund_id: r.try_get("", "refund_id")?,
        learning_path_id: r.try_get("", "learning_path_id")?,
        enrolled_at: r.try_get("", "enrolled_at")?,
        completed_at: r.try_get("", "completed_at")?,
        dropped_at: r.try_get("", "dropped_at")?,
        last_activity_at: r.try_get("", "last_activity_at")?,
    })
}

pub async fn enrollment(db: &impl ConnectionTrait, id: Uuid) -> AppResult<EnrollmentResponse> {
    let r = db::one(
        db,
        format!("SELECT {ENROLLMENT_COLUMNS} FROM enrollments e JOIN courses c ON c.id = e.course_id WHERE e.id = $1"),
        [id.into()],
    )
    .await?
    .ok_or_else(|| AppError::not_found("enrollment"))?;
    enrollment_from_row(&r)
}

/// The learner's active or completed enrollment in a course, if any.
pub async fn live_enrollment(
    db: &impl ConnectionTrait,
    user_id: Uuid,
    course_id: Uuid,
) -> AppResult<Option<EnrollmentResponse>> {
    db::one(
        db,
        format!(
            "SELECT {ENROLLMENT_COLUMNS} FROM enrollments e JOIN courses c ON c.id = e.course_id \
             WHERE e.user_id = $1 AND e.course_id = $2 AND e.status <> 'dropped'"
        ),
        [user_id.into(), course_id.into()],
    )
    .await?
    .map(|r| enrollment_from_row(&r))
    .transpose()
}

/// Enrolls `user_id` in `course` inside `txn`: checks it is open, not already joined and its
/// prerequisites are completed, charges paid courses through the wallet, keeps the counter.
pub async fn enroll_in(
    txn: &DatabaseTransaction,
    user_id: Uuid,
    course: &CourseRow,
    learning_path_id: Option<Uuid>,
) -> AppResult<EnrollmentResponse> {
    // The course row first (lock order: course, wallets, audit chain): it serialises
    // enrollments in the course and gives the price and status as of now, not as read earlier.
    let fresh = db::one(
        txn,
        "UPDATE courses SET enrollment_count = enrollment_count + 1 WHERE id = $1 AND deleted_at IS NULL \
         RETURNING status, title, price, currency",
        [course.id.into()],
    )
    .await?
    .ok_or_else(|| AppError::not_found("course"))?;
    let status: String = fresh.try_get("", "status")?;
    if status != "published" {
        return Err(AppError::new(
            ErrorCode::CourseNotOpen,
            format!("this course is {status}: only published courses take enrollments"),
        ));
    }
    let course = CourseRow {
        status,
        title: fresh.try_get("", "title")?,
        price: fresh.try_get("", "price")?,
        currency: fresh.try_get("", "currency")?,
        ..course.clone()
    };
    if live_enrollment(txn, user_id, course.id).await?.is_some() {
        return Err(AppError::new(
            ErrorCode::AlreadyEnrolled,
            "you are already enrolled in this course",
        ));
    }
    let missing = db::all(
        txn,
        "SELECT c.id, c.title FROM course_prerequisites p JOIN courses c ON c.id = p.prerequisite_id \
         WHERE p.course_id = $1 AND c.deleted_at IS NULL AND NOT EXISTS ( \
           SELECT 1 FROM enrollments e WHERE e.course_id = p.prerequisite_id AND e.user_id = $2 AND e.status = 'completed') \
         ORDER BY c.title",
        [course.id.into(), user_id.into()],
    )
    .await?;
    if !missing.is_empty() {
        let mut errors = Vec::new();
        let mut titles = Vec::new();
        for (i, r) in missing.iter().enumerate() {
            let id: Uuid = r.try_get("", "id")?;
            let title: String = r.try_get("", "title")?;
            errors.push(FieldError::new(
                format!("#/prerequisites/{i}"),
                format!("complete `{title}` ({id}) first"),
            ));
            titles.push(title);
        }
        return Err(AppError::new(
            ErrorCode::PrerequisitesMissing,
            format!("complete these courses first: {}", titles.join(", ")),
        )
        .with_errors(errors));
    }
    let id = Uuid::now_v7();
    let payment_id = if course.price > Decimal::ZERO {
        Some(
            wallet::service::pay(
                txn,
                user_id,
                &course.currency,
                course.price,
                &format!("enrollment:{id}"),
                &format!("Enrollment in {}", course.title),
            )
            .await?,
        )
    } else {
        None
    };
    db::exec(
        txn,
        "INSERT INTO enrollments (id, user_id, course_id, price, currency, payment_id, learning_path_id) \
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
        [
            id.into(),
            user_id.into(),
            course.id.into(),
            course.price.into(),
            course.currency.clone().into(),
            payment_id.into(),
            learning_path_id.into(),
        ],
    )
    .await?;
    enrollment(txn, id).await
}

/// `POST /courses/{id}/enroll`, once per `Idempotency-Key` when one is sent.
pub async fn enroll(
    state: &AppState,
    user: &Actor,
    client: &RequestMeta,
    course_id: Uuid,
    key: Option<String>,
) -> AppResult<EnrollmentResponse> {
    let course = visible_course(state, Some(user), course_id).await?;
    crate::authz::require(state, user, "course:enroll", Scope::Global).await?;
    let hash = idempotency::hash(&json!({ "course_id": course_id }));
    let txn = state.db.begin().await?;
    if let Some(key) = &key {
        idempotency::lock(&txn, user.id, "enroll", key).await?;
        if let Some(done) =
            idempotency::replay::<EnrollmentResponse>(&txn, user.id, "enroll", key, &hash).await?
        {
            return Ok(done);
        }
    }
    let enrolled = enroll_in(&txn, user.id, &course, None).await?;
    if let Some(key) = &key {
        idempotency::store(&txn, user.id, "enroll", key, &hash, 201, &enrolled).await?;
    }
    audit::record(
        &txn,
        AuditEvent::new(Some(user.id), "course.enroll", "enrollment", Some(enrolled.id.to_string()))
            .details(json!({"course_id": course_id, "price": enrolled.price.amount.to_string(), "currency": enrolled.price.currency, "payment_id": enrolled.payment_id})),
        client,
    )
    .await?;
    txn.commit().await?;
    Ok(enrolled)
}

/// `DELETE /enrollments/{id}`: the learner leaves; the row stays as history. A paid enrollment
/// dropped within `lms.refund_window_days` is refunded through the wallet.
pub async fn drop_enrollment(
    state: &AppState,
    user: &Actor,
    client: &RequestMeta,
    id: Uuid,
) -> AppResult<EnrollmentResponse> {
    let course_of = db::one(
        &state.db,
        "SELECT course_id FROM enrollments WHERE id = $1 AND user_id = $2",
        [id.into(), user.id.into()],
    )
    .await?
    .ok_or_else(|| AppError::not_found("enrollment"))?
    .try_get::<Uuid>("", "course_id")?;
    let txn = state.db.begin().await?;
    // Lock order: the course row, then the enrollment (as structure edits recompute progress).
    crate::modules::lms::catalog::lock_course(&txn, course_of).await?;
    let row = db::one(
        &txn,
        "SELECT user_id, course_id, status, payment_id, enrolled_at FROM enrollments WHERE id = $1 FOR UPDATE",
        [id.into()],
    )
    .await?
    .filter(|r| r.try_get::<Uuid>("", "user_id").is_ok_and(|u| u == user.id))
    .ok_or_else(|| AppError::not_found("enrollment"))?;
    let status: String = row.try_get("", "status")?;
    match status.as_str() {
        "dropped" => {
            return Err(AppError::new(
                ErrorCode::AlreadyDropped,
                "this enrollment was dropped already",
            ));
        }
        "completed" => {
            return Err(AppError::new(
                ErrorCode::EnrollmentCompleted,
                "a completed course cannot be dropped",
            ));
        }
        _ => {}
    }
    let course_id: Uuid = row.try_get("", "course_id")?;
    let payment: Option<Uuid> = row.try_get("", "payment_id")?;
    let enrolled_at: chrono::DateTime<Utc> = row.try_get("", "enrolled_at")?;
    let window = state.settings.lms.refund_window_days;
    db::exec(
        &txn,
        "UPDATE courses SET enrollment_count = greatest(enrollment_count - 1, 0) WHERE id = $1",
        [course_id.into()],
    )
    .await?;
    let refund_id = match payment {
        Some(p) if window > 0 && Utc::now() - enrolled_at <= Duration::days(window) => {
            Some(wallet::service::refund(&txn, p, "Refund of a dropped enrollment").await?)
        }
        _ => None,
    };
    db::exec(
        &txn,
        "UPDATE enrollments SET status = 'dropped', dropped_at = now(), refund_id = $2 WHERE id = $1",
        [id.into(), refund_id.into()],
    )
    .await?;
    let out = enrollment(&txn, id).await?;
    audit::record(
        &txn,
        AuditEvent::new(
            Some(user.id),
            "enrollment.drop",
            "enrollment",
            Some(id.to_string()),
        )
        .details(json!({"course_id": course_id, "refund_id": refund_id})),
        client,
    )
    .await?;
    txn.commit().await?;
    Ok(out)
}

pub async fn my_enrollments(
    state: &AppState,
    user: &Actor,
    q: MyEnrollmentsQuery,
) -> AppResult<Page<EnrollmentResponse>> {
    let paging = Paging::new(q.page, q.per_page)?;
    if let Some(s) = &q.status
        && !matches!(s.as_str(), "active" | "completed" | "dropped")
    {
        return Err(AppError::validation(vec![FieldError::new(
            "status",
            "one of active, completed, dropped",
        )]));
    }
    let filter = "e.user_id = $1 AND ($2::text IS NULL OR e.status = $2)";
    let total: i64 = db::one(
        &state.db,
        format!("SELECT count(*) AS n FROM enrollments e WHERE {filter}"),
        [user.id.into(), q.status.into()],
    )
    .await?
    .map(|r| r.try_get("", "n"))
    .transpose()?
    .unwrap_or(0);
    let rows = db::all(
        &state.db,
        format!(
            "SELECT {ENROLLMENT_COLUMNS} FROM enrollments e JOIN courses c ON c.id = e.course_id WHERE {filter} \
             ORDER BY e.enrolled_at DESC, e.id DESC LIMIT $3 OFFSET $4"
        ),
        [
            user.id.into(),
            q.status.into(),
            (paging.per_page as i64).into(),
            (paging.offset() as i64).into(),
        ],
    )
    .await?;
    let items = rows
        .iter()
        .map(enrollment_from_row)
        .collect::<AppResult<Vec<_>>>()?;
    Ok(paging.wrap(items, total as u64))
}

// ------------------------------------------------------------------ progress

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
    let finished = db::all(
        txn,
        "SELECT id, user_id FROM enrollments WHERE course_id = $1 AND status = 'active' AND progress_percent >= 100 \
         ORDER BY id FOR UPDATE",
        [course_id.into()],
    )
    .await?;
    for r in &finished {
        // Held back by a required assessment: nothing changes for that learner.
        if !completion_blocked(txn, r.try_get("", "user_id")?, course_id).await? {
            refresh_enrollment(txn, state, r.try_get("", "id")?).await?;
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

/// Recomputes one enrollment's progress (its row locked by the caller) and completes it when
/// every required lesson is done and the course's completion rules (see `completion_blocked`)
/// hold: sets `completed_at`, pays the reward once and publishes `CourseCompleted`.
pub async fn refresh_enrollment(
    txn: &DatabaseTransaction,
    state: &AppState,
    enrollment_id: Uuid,
) -> AppResult<Refreshed> {
    let row = db::one(
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
    let status: String = row.try_get("", "status")?;
    let total: i64 = row.try_get("", "total")?;
    let done: i64 = row.try_get("", "done")?;
    let user_id: Uuid = row.try_get("", "user_id")?;
    let course_id: Uuid = row.try_get("", "course_id")?;
    let mut completed_now = false;
    let mut reward = None;
    if status == "active" {
        let percent = if total == 0 {
            Decimal::ZERO
        } else {
            // Rounded as `recompute_progress` rounds in SQL (half away from zero).
            (Decimal::from(done) * Decimal::from(100) / Decimal::from(total))
                .round_dp_with_strategy(2, RoundingStrategy::MidpointAwayFromZero)
        };
        db::exec(
            txn,
            "UPDATE enrollments SET progress_percent = $2, last_activity_at = now() WHERE id = $1",
            [enrollment_id.into(), percent.into()],
        )
        .await?;
        if total > 0 && done >= total && !completion_blocked(txn, user_id, course_id).await? {
            db::exec(
                txn,
                "UPDATE enrollments SET status = 'completed', completed_at = now(), progress_percent = 100 WHERE id = $1",
                [enrollment_id.into()],
            )
            .await?;
            completed_now = true;
            let title: String = row.try_get("", "title")?;
            let amount = row
                .try_get::<Option<Decimal>>("", "completion_reward")?
                .unwrap_or(state.settings.lms.completion_reward);
            if wallet::service::reward(
                txn,
                user_id,
                amount,
                &format!("Completed {title}"),
                &format!("course_completion:{enrollment_id}"),
            )
            .await?
            .is_some()
            {
                reward = Some(amount.normalize());
            }
            events::publish(
                state,
                txn,
                DomainEvent::CourseCompleted {
                    enrollment_id,
                    user_id,
                    course_id,
                    course_title: title.clone(),
                },
            )
            .await?;
            audit::record(
                txn,
                AuditEvent::new(
                    Some(user_id),
                    "course.complete",
                    "enrollment",
                    Some(enrollment_id.to_string()),
                )
                .details(json!({"course_id": course_id, "reward": reward.map(|r| r.to_string())})),
                &RequestMeta::system(),
            )
            .await?;
        }
    } else {
        db::exec(
            txn,
            "UPDATE enrollments SET last_activity_at = now() WHERE id = $1",
            [enrollment_id.into()],
        )
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
async fn completion_blocked(
    txn: &DatabaseTransaction,
    user_id: Uuid,
    course_id: Uuid,
) -> AppResult<bool> {
    crate::modules::assessments::completion_blocked(txn, user_id, course_id).await
}

/// Locks the learner's live enrollment in the course, or 403 `not_enrolled`.
pub async fn lock_live_enrollment(
    txn: &DatabaseTransaction,
    user_id: Uuid,
    course_id: Uuid,
) -> AppResult<Uuid> {
    db::one(
        txn,
        "SELECT id FROM enrollments WHERE user_id = $1 AND course_id = $2 AND status <> 'dropped' FOR UPDATE",
        [user_id.into(), course_id.into()],
    )
    .await?
    .map(|r| r.try_get::<Uuid>("", "id"))
    .transpose()?
    .ok_or_else(|| {
        AppError::new(ErrorCode::NotEnrolled, "you are not enrolled in this course")
    })
}

/// Upserts a lesson's progress for an enrollment (completed stays completed; time only grows).
async fn upsert_progress(
    txn: &DatabaseTransaction,
    enrollment_id: Uuid,
    lesson_id: Uuid,
    status: &str,
    time_spent: i32,
    position: i32,
) -> AppResult<(LessonProgressResponse, bool)> {
    let before = db::one(
        txn,
        "SELECT status FROM lesson_progress WHERE enrollment_id = $1 AND lesson_id = $2",
        [enrollment_id.into(), lesson_id.into()],
    )
    .await?
    .map(|r| r.try_get::<String>("", "status"))
    .transpose()?;
    let r = db::one(
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
            status.into(),
            time_spent.into(),
            position.into(),
        ],
    )
    .await?
    .ok_or_else(|| AppError::internal(anyhow::anyhow!("progress upsert returned nothing")))?;
    let progress = progress_from_row(&r)?;
    let newly_completed = progress.status == "completed" && before.as_deref() != Some("completed");
    Ok((progress, newly_completed))
}

fn progress_from_row(r: &sea_orm::QueryResult) -> AppResult<LessonProgressResponse> {
    Ok(LessonProgressResponse {
        lesson_id: r.try_get("", "lesson_id")?,
        status: r.try_get("", "status")?,
        time_spent_seconds: r.try_get("", "time_spent_seconds")?,
        last_position_seconds: r.try_get("", "last_position_seconds")?,
        started_at: r.try_get("", "started_at")?,
        completed_at: r.try_get("", "completed_at")?,
    })
}

/// `PUT /lessons/{id}/progress`.
pub async fn record_progress(
    state: &AppState,
    user: &Actor,
    client: &RequestMeta,
    lesson_id: Uuid,
    req: ProgressRequest,
) -> AppResult<ProgressResponse> {
    let lesson = lesson_row(&state.db, lesson_id).await?;
    visible_course(state, Some(user), lesson.course_id).await?;
    let mut errors = Vec::new();
    if !matches!(req.status.as_str(), "started" | "completed") {
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
    if !errors.is_empty() {
        return Err(AppError::validation(errors));
    }
    let txn = state.db.begin().await?;
    // The lesson must still exist when its progress is written: a key-share lock keeps it from
    // being deleted until commit. Taken before the enrollment (a deletion holds the lesson, then
    // updates enrollments), so the two never wait on each other in a circle.
    db::one(
        &txn,
        "SELECT id FROM lessons WHERE id = $1 FOR KEY SHARE",
        [lesson_id.into()],
    )
    .await?
    .ok_or_else(|| AppError::not_found("lesson"))?;
    let enrollment_id = lock_live_enrollment(&txn, user.id, lesson.course_id).await?;
    // A lesson with an assessment is completed by passing it, not by saying so.
    if req.status.as_str() == "completed"
        && db::one(
            &txn,
            "SELECT 1 AS one FROM assessments WHERE lesson_id = $1 LIMIT 1",
            [lesson_id.into()],
        )
        .await?
        .is_some()
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
        req.status.as_str(),
        req.time_spent_seconds,
        req.last_position_seconds,
    )
    .await?;
    let refreshed = refresh_enrollment(&txn, state, enrollment_id).await?;
    if newly_completed {
        audit::record(
            &txn,
            AuditEvent::new(
                Some(user.id),
                "lesson.complete",
                "lesson",
                Some(lesson_id.to_string()),
            )
            .details(json!({"enrollment_id": enrollment_id, "course_id": lesson.course_id})),
            client,
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
    if db::one(
        txn,
        "SELECT id FROM lessons WHERE id = $1 FOR KEY SHARE",
        [lesson_id.into()],
    )
    .await?
    .is_none()
    {
        return Ok(None);
    }
    let enrollment_id = match lock_live_enrollment(txn, user_id, lesson.course_id).await {
        Ok(id) => id,
        Err(e) if e.code() == ErrorCode::NotEnrolled => return Ok(None),
        Err(e) => return Err(e),
    };
    upsert_progress(txn, enrollment_id, lesson_id, "completed", 0, 0).await?;
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

/// `GET /courses/{id}/progress`: the caller's enrollment and lesson-by-lesson progress.
pub async fn course_progress(
    state: &AppState,
    user: &Actor,
    course_id: Uuid,
) -> AppResult<CourseProgressResponse> {
    visible_course(state, Some(user), course_id).await?;
    let enrollment = live_enrollment(&state.db, user.id, course_id)
        .await?
        .ok_or_else(|| {
            // The enrollment is the resource here: 404, where acting on a course is 403.
            AppError::new(
                ErrorCode::NotEnrolled,
                "you are not enrolled in this course",
            )
            .with_status(404)
        })?;
    let lessons = db::all(
        &state.db,
        "SELECT p.lesson_id, p.status, p.time_spent_seconds, p.last_position_seconds, p.started_at, p.completed_at \
         FROM lesson_progress p JOIN lessons l ON l.id = p.lesson_id JOIN course_modules m ON m.id = l.module_id \
         WHERE p.enrollment_id = $1 ORDER BY m.position, l.position",
        [enrollment.id.into()],
    )
    .await?
    .iter()
    .map(progress_from_row)
    .collect::<AppResult<Vec<_>>>()?;
    let counts = db::one(
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
        completed_lessons: counts.try_get("", "done")?,
        required_lessons: counts.try_get("", "required")?,
        lessons,
    })
}

// ------------------------------------------------------------------ bookmarks

async fn bookmark_response(
    db: &impl ConnectionTrait,
    user_id: Uuid,
    lesson_id: Uuid,
) -> AppResult<Option<BookmarkResponse>> {
    bookmarks_where(db, user_id, Some(lesson_id))
        .await
        .map(|mut v| v.pop())
}

async fn bookmarks_where(
    db: &impl ConnectionTrait,
    user_id: Uuid,
    lesson_id: Option<Uuid>,
) -> AppResult<Vec<BookmarkResponse>> {
    db::all(
        db,
        "SELECT b.lesson_id, l.title AS lesson_title, l.course_id, c.title AS course_title, b.note, b.created_at \
         FROM lesson_bookmarks b JOIN lessons l ON l.id = b.lesson_id JOIN courses c ON c.id = l.course_id \
         WHERE b.user_id = $1 AND ($2::uuid IS NULL OR b.lesson_id = $2) AND c.deleted_at IS NULL \
         ORDER BY b.created_at DESC",
        [user_id.into(), lesson_id.into()],
    )
    .await?
    .iter()
    .map(|r| {
        Ok(BookmarkResponse {
            lesson_id: r.try_get("", "lesson_id")?,
            lesson_title: r.try_get("", "lesson_title")?,
            course_id: r.try_get("", "course_id")?,
            course_title: r.try_get("", "course_title")?,
            note: r.try_get("", "note")?,
            created_at: r.try_get("", "created_at")?,
        })
    })
    .collect()
}

pub async fn my_bookmarks(state: &AppState, user: &Actor) -> AppResult<Vec<BookmarkResponse>> {
    bookmarks_where(&state.db, user.id, None).await
}

/// `PUT /lessons/{id}/bookmark`: bookmarks a lesson the caller may read (or updates its note).
pub async fn put_bookmark(
    state: &AppState,
    user: &Actor,
    lesson_id: Uuid,
    req: BookmarkRequest,
) -> AppResult<BookmarkResponse> {
    readable_lesson(state, Some(user), lesson_id).await?;
    if req.note.chars().count() > 1000 {
        return Err(AppError::validation(vec![FieldError::new(
            "#/note",
            "at most 1000 characters",
        )]));
    }
    db::exec(
        &state.db,
        "INSERT INTO lesson_bookmarks (user_id, lesson_id, note) VALUES ($1, $2, $3) \
         ON CONFLICT (user_id, lesson_id) DO UPDATE SET note = EXCLUDED.note",
        [
            user.id.into(),
            lesson_id.into(),
            req.note.trim().to_owned().into(),
        ],
    )
    .await?;
    bookmark_response(&state.db, user.id, lesson_id)
        .await?
        .ok_or_else(|| AppError::not_found("bookmark"))
}

pub async fn delete_bookmark(state: &AppState, user: &Actor, lesson_id: Uuid) -> AppResult<()> {
    let removed = db::exec(
        &state.db,
        "DELETE FROM lesson_bookmarks WHERE user_id = $1 AND lesson_id = $2",
        [user.id.into(), lesson_id.into()],
    )
    .await?;
    if removed.rows_affected() == 0 {
        return Err(AppError::not_found("bookmark"));
    }
    Ok(())
}
