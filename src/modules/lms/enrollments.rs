//! Enrollments: joining a course (free or paid through the wallet in the same transaction,
//! idempotent with a key; the course must be published, joined once, and its prerequisites
//! completed), leaving it (the row stays as history; refunded within the refund window), and
//! the learner's list.

use chrono::{DateTime, Duration, Utc};
use entity::enrollments;
use kernel::enums::{CourseStatus, EnrollmentStatus};
use kernel::idempotency;
use kernel::pagination::{Page, Paging};
use kernel::{Actor, AppError, AppResult, ErrorCode, FieldError, RequestMeta, Scope, db};
use rust_decimal::Decimal;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseTransaction, EntityTrait,
    FromQueryResult, QueryFilter, Set, TransactionTrait,
};
use serde_json::json;
use uuid::Uuid;

use super::access::{CourseRow, lock_course, visible_course};
use super::dto::{EnrollmentResponse, MyEnrollmentsQuery, Price, shown, two_places};
use crate::modules::audit::{self, AuditEvent};
use crate::modules::wallet;
use crate::state::AppState;

/// Columns of an enrollment (`enrollments e JOIN courses c`), read into [`EnrollmentRow`].
const ENROLLMENT_COLUMNS: &str = "e.id, e.user_id, e.course_id, c.title AS course_title, e.status, \
    e.progress_percent, e.price, coalesce(e.currency, c.currency) AS currency, e.payment_id, e.refund_id, \
    e.learning_path_id, e.enrolled_at, e.completed_at, e.dropped_at, e.last_activity_at";

#[derive(FromQueryResult)]
struct EnrollmentRow {
    id: Uuid,
    user_id: Uuid,
    course_id: Uuid,
    course_title: String,
    status: EnrollmentStatus,
    progress_percent: Decimal,
    price: Decimal,
    currency: String,
    payment_id: Option<Uuid>,
    refund_id: Option<Uuid>,
    learning_path_id: Option<Uuid>,
    enrolled_at: DateTime<Utc>,
    completed_at: Option<DateTime<Utc>>,
    dropped_at: Option<DateTime<Utc>>,
    last_activity_at: Option<DateTime<Utc>>,
}

impl From<EnrollmentRow> for EnrollmentResponse {
    fn from(r: EnrollmentRow) -> Self {
        EnrollmentResponse {
            id: r.id,
            user_id: r.user_id,
            course_id: r.course_id,
            course_title: r.course_title,
            status: r.status.into(),
            progress_percent: two_places(r.progress_percent),
            price: Price {
                amount: shown(r.price),
                currency: r.currency,
            },
            payment_id: r.payment_id,
            refund_id: r.refund_id,
            learning_path_id: r.learning_path_id,
            enrolled_at: r.enrolled_at,
            completed_at: r.completed_at,
            dropped_at: r.dropped_at,
            last_activity_at: r.last_activity_at,
        }
    }
}

/// Enrollment `id`, or 404.
pub(super) async fn enrollment(
    db: &impl ConnectionTrait,
    id: Uuid,
) -> AppResult<EnrollmentResponse> {
    db::row::<EnrollmentRow, _>(
        db,
        format!("SELECT {ENROLLMENT_COLUMNS} FROM enrollments e JOIN courses c ON c.id = e.course_id WHERE e.id = $1"),
        [id.into()],
    )
    .await?
    .map(EnrollmentResponse::from)
    .ok_or_else(|| AppError::not_found("enrollment"))
}

/// The learner's active or completed enrollment in a course, if any.
pub async fn live_enrollment(
    db: &impl ConnectionTrait,
    user_id: Uuid,
    course_id: Uuid,
) -> AppResult<Option<EnrollmentResponse>> {
    Ok(db::row::<EnrollmentRow, _>(
        db,
        format!(
            "SELECT {ENROLLMENT_COLUMNS} FROM enrollments e JOIN courses c ON c.id = e.course_id \
             WHERE e.user_id = $1 AND e.course_id = $2 AND e.status <> 'dropped'"
        ),
        [user_id.into(), course_id.into()],
    )
    .await?
    .map(EnrollmentResponse::from))
}

/// Locks the learner's live enrollment in the course, or 403 `not_enrolled`.
pub async fn lock_live_enrollment(
    txn: &DatabaseTransaction,
    user_id: Uuid,
    course_id: Uuid,
) -> AppResult<Uuid> {
    db::scalar::<Uuid, _>(
        txn,
        "SELECT id FROM enrollments WHERE user_id = $1 AND course_id = $2 AND status <> 'dropped' FOR UPDATE",
        [user_id.into(), course_id.into()],
    )
    .await?
    .ok_or_else(|| {
        AppError::new(ErrorCode::NotEnrolled, "you are not enrolled in this course")
    })
}

/// The course as it is now, with its enrollment counter already counting the new learner.
#[derive(FromQueryResult)]
struct CountedCourse {
    status: CourseStatus,
    title: String,
    price: Decimal,
    currency: String,
}

/// A prerequisite the learner has not completed.
#[derive(FromQueryResult)]
struct MissingCourse {
    id: Uuid,
    title: String,
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
    let fresh: CountedCourse = db::row(
        txn,
        "UPDATE courses SET enrollment_count = enrollment_count + 1 WHERE id = $1 AND deleted_at IS NULL \
         RETURNING status, title, price, currency",
        [course.id.into()],
    )
    .await?
    .ok_or_else(|| AppError::not_found("course"))?;
    if fresh.status != CourseStatus::Published {
        return Err(AppError::new(
            ErrorCode::CourseNotOpen,
            format!(
                "this course is {}: only published courses take enrollments",
                fresh.status
            ),
        ));
    }
    if live_enrollment(txn, user_id, course.id).await?.is_some() {
        return Err(AppError::new(
            ErrorCode::AlreadyEnrolled,
            "you are already enrolled in this course",
        ));
    }
    let missing: Vec<MissingCourse> = db::rows(
        txn,
        "SELECT c.id, c.title FROM course_prerequisites p JOIN courses c ON c.id = p.prerequisite_id \
         WHERE p.course_id = $1 AND c.deleted_at IS NULL AND NOT EXISTS ( \
           SELECT 1 FROM enrollments e WHERE e.course_id = p.prerequisite_id AND e.user_id = $2 AND e.status = 'completed') \
         ORDER BY c.title",
        [course.id.into(), user_id.into()],
    )
    .await?;
    if !missing.is_empty() {
        let errors = missing
            .iter()
            .enumerate()
            .map(|(i, m)| {
                FieldError::new(
                    format!("#/prerequisites/{i}"),
                    format!("complete `{}` ({}) first", m.title, m.id),
                )
            })
            .collect();
        let titles: Vec<&str> = missing.iter().map(|m| m.title.as_str()).collect();
        return Err(AppError::new(
            ErrorCode::PrerequisitesMissing,
            format!("complete these courses first: {}", titles.join(", ")),
        )
        .with_errors(errors));
    }
    let id = Uuid::now_v7();
    let payment_id = if fresh.price > Decimal::ZERO {
        Some(
            wallet::pay(
                txn,
                user_id,
                &fresh.currency,
                fresh.price,
                &format!("enrollment:{id}"),
                &format!("Enrollment in {}", fresh.title),
            )
            .await?,
        )
    } else {
        None
    };
    enrollments::ActiveModel {
        id: Set(id),
        user_id: Set(user_id),
        course_id: Set(course.id),
        price: Set(fresh.price),
        currency: Set(Some(fresh.currency)),
        payment_id: Set(payment_id),
        learning_path_id: Set(learning_path_id),
        ..Default::default()
    }
    .insert(txn)
    .await?;
    enrollment(txn, id).await
}

/// `POST /courses/{id}/enroll`, once per `Idempotency-Key` when one is sent.
pub async fn enroll(
    state: &AppState,
    actor: &Actor,
    meta: &RequestMeta,
    course_id: Uuid,
    key: Option<String>,
) -> AppResult<EnrollmentResponse> {
    let course = visible_course(state, Some(actor), course_id).await?;
    crate::authz::require(state, actor, "course:enroll", Scope::Global).await?;
    let hash = idempotency::hash(&json!({ "course_id": course_id }));
    let txn = state.db.begin().await?;
    if let Some(key) = &key {
        idempotency::lock(&txn, actor.id, "enroll", key).await?;
        if let Some(done) =
            idempotency::replay::<EnrollmentResponse>(&txn, actor.id, "enroll", key, &hash).await?
        {
            return Ok(done);
        }
    }
    let enrolled = enroll_in(&txn, actor.id, &course, None).await?;
    crate::events::publish(
        state,
        &txn,
        kernel::event::DomainEvent::Enrolled {
            user_id: actor.id,
            course_id,
        },
    )
    .await?;
    if let Some(key) = &key {
        idempotency::store(&txn, actor.id, "enroll", key, &hash, 201, &enrolled).await?;
    }
    audit::record(
        &txn,
        AuditEvent::new(Some(actor.id), "course.enroll", "enrollment", Some(enrolled.id.to_string()))
            .details(json!({"course_id": course_id, "price": enrolled.price.amount.to_string(), "currency": enrolled.price.currency, "payment_id": enrolled.payment_id})),
        meta,
    )
    .await?;
    txn.commit().await?;
    Ok(enrolled)
}

/// The enrollment being dropped, under its row lock.
#[derive(FromQueryResult)]
struct LockedEnrollment {
    user_id: Uuid,
    course_id: Uuid,
    status: EnrollmentStatus,
    payment_id: Option<Uuid>,
    enrolled_at: DateTime<Utc>,
}

/// `DELETE /enrollments/{id}`: the learner leaves; the row stays as history. A paid enrollment
/// dropped within `lms.refund_window_days` is refunded through the wallet.
pub async fn drop_enrollment(
    state: &AppState,
    actor: &Actor,
    meta: &RequestMeta,
    id: Uuid,
) -> AppResult<EnrollmentResponse> {
    let course_of = enrollments::Entity::find_by_id(id)
        .filter(enrollments::Column::UserId.eq(actor.id))
        .one(&state.db)
        .await?
        .ok_or_else(|| AppError::not_found("enrollment"))?
        .course_id;
    let txn = state.db.begin().await?;
    // Lock order: the course row, then the enrollment (as structure edits recompute progress).
    lock_course(&txn, course_of).await?;
    let row: LockedEnrollment = db::row(
        &txn,
        "SELECT user_id, course_id, status, payment_id, enrolled_at FROM enrollments WHERE id = $1 FOR UPDATE",
        [id.into()],
    )
    .await?
    .filter(|r: &LockedEnrollment| r.user_id == actor.id)
    .ok_or_else(|| AppError::not_found("enrollment"))?;
    match row.status {
        EnrollmentStatus::Dropped => {
            return Err(AppError::new(
                ErrorCode::AlreadyDropped,
                "this enrollment was dropped already",
            ));
        }
        EnrollmentStatus::Completed => {
            return Err(AppError::new(
                ErrorCode::EnrollmentCompleted,
                "a completed course cannot be dropped",
            ));
        }
        EnrollmentStatus::Active => {}
    }
    let window = state.settings.lms.refund_window_days;
    db::exec(
        &txn,
        "UPDATE courses SET enrollment_count = greatest(enrollment_count - 1, 0) WHERE id = $1",
        [row.course_id.into()],
    )
    .await?;
    let refund_id = match row.payment_id {
        Some(p) if window > 0 && Utc::now() - row.enrolled_at <= Duration::days(window) => {
            Some(wallet::refund(&txn, p, "Refund of a dropped enrollment").await?)
        }
        _ => None,
    };
    enrollments::ActiveModel {
        id: Set(id),
        status: Set(EnrollmentStatus::Dropped),
        dropped_at: Set(Some(Utc::now())),
        refund_id: Set(refund_id),
        ..Default::default()
    }
    .update(&txn)
    .await?;
    crate::events::publish(
        state,
        &txn,
        kernel::event::DomainEvent::EnrollmentDropped {
            user_id: actor.id,
            course_id: row.course_id,
        },
    )
    .await?;
    let out = enrollment(&txn, id).await?;
    audit::record(
        &txn,
        AuditEvent::new(
            Some(actor.id),
            "enrollment.drop",
            "enrollment",
            Some(id.to_string()),
        )
        .details(json!({"course_id": row.course_id, "refund_id": refund_id})),
        meta,
    )
    .await?;
    txn.commit().await?;
    Ok(out)
}

/// `GET /me/enrollments`: newest first.
pub async fn my_enrollments(
    state: &AppState,
    actor: &Actor,
    q: MyEnrollmentsQuery,
) -> AppResult<Page<EnrollmentResponse>> {
    let paging = Paging::new(q.page, q.per_page)?;
    let filter = "e.user_id = $1 AND ($2::text IS NULL OR e.status = $2)";
    let total: i64 = db::scalar(
        &state.db,
        format!("SELECT count(*) AS n FROM enrollments e WHERE {filter}"),
        [actor.id.into(), q.status.into()],
    )
    .await?
    .unwrap_or(0);
    let rows: Vec<EnrollmentRow> = db::rows(
        &state.db,
        format!(
            "SELECT {ENROLLMENT_COLUMNS} FROM enrollments e JOIN courses c ON c.id = e.course_id WHERE {filter} \
             ORDER BY e.enrolled_at DESC, e.id DESC LIMIT $3 OFFSET $4"
        ),
        [
            actor.id.into(),
            q.status.into(),
            paging.limit_i64().into(),
            paging.offset_i64().into(),
        ],
    )
    .await?;
    let items = rows.into_iter().map(EnrollmentResponse::from).collect();
    Ok(paging.wrap(items, total as u64))
}
