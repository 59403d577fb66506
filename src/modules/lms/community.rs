//! What learners leave on courses and what staff learn from them: reviews (one per learner
//! and course, editable, with an instructor's reply; the course's rating counters change in
//! the same transaction under the course row lock), bookmarks (personal, not audited) and
//! course analytics.

use entity::{course_reviews, courses, lesson_bookmarks};
use kernel::pagination::{Page, Paging};
use kernel::{Actor, AppError, AppResult, ErrorCode, FieldError, RequestMeta, db};
use rust_decimal::Decimal;
use sea_orm::sea_query::OnConflict;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseTransaction, DbErr, DerivePartialModel,
    EntityTrait, FromQueryResult, PaginatorTrait, QueryFilter, Set, TransactionTrait,
};
use serde_json::json;
use uuid::Uuid;

use super::access::{course_for, lock_course, visible_course};
use super::dto::{
    AnalyticsQuery, BookmarkRequest, BookmarkResponse, CourseAnalytics, DailyCount, LessonReach,
    Revenue, ReviewReplyRequest, ReviewRequest, ReviewResponse, ReviewsQuery, rating_average,
    two_places,
};
use super::enrollments::live_enrollment;
use super::structure::readable_lesson;
use crate::modules::audit::{self, AuditEvent};
use crate::state::AppState;

// ------------------------------------------------------------------ reviews

/// Columns of a review with its author's name (`course_reviews r JOIN users u`).
const REVIEW_COLUMNS: &str = "r.id, r.course_id, r.user_id, u.display_name AS author_name, r.rating, r.body, \
    r.reply, r.replied_by, r.replied_at, r.created_at, r.updated_at";

async fn review(db: &impl ConnectionTrait, id: Uuid) -> AppResult<ReviewResponse> {
    db::row(
        db,
        format!("SELECT {REVIEW_COLUMNS} FROM course_reviews r JOIN users u ON u.id = r.user_id WHERE r.id = $1"),
        [id.into()],
    )
    .await?
    .ok_or_else(|| AppError::not_found("review"))
}

pub async fn list_reviews(
    state: &AppState,
    user: Option<&Actor>,
    course_id: Uuid,
    q: ReviewsQuery,
) -> AppResult<Page<ReviewResponse>> {
    visible_course(state, user, course_id).await?;
    let paging = Paging::new(q.page, q.per_page)?;
    let total = course_reviews::Entity::find()
        .filter(course_reviews::Column::CourseId.eq(course_id))
        .count(&state.db)
        .await?;
    let items = db::rows(
        &state.db,
        format!(
            "SELECT {REVIEW_COLUMNS} FROM course_reviews r JOIN users u ON u.id = r.user_id WHERE r.course_id = $1 \
             ORDER BY r.updated_at DESC, r.id DESC LIMIT $2 OFFSET $3"
        ),
        [
            course_id.into(),
            paging.limit_i64().into(),
            paging.offset_i64().into(),
        ],
    )
    .await?;
    Ok(paging.wrap(items, total))
}

/// Creates the caller's review, or edits it; answers whether it was new.
pub async fn post_review(
    state: &AppState,
    actor: &Actor,
    meta: &RequestMeta,
    course_id: Uuid,
    req: ReviewRequest,
) -> AppResult<(ReviewResponse, bool)> {
    visible_course(state, Some(actor), course_id).await?;
    let txn = state.db.begin().await?;
    let out = post_review_in(&txn, actor, meta, course_id, req).await?;
    txn.commit().await?;
    Ok(out)
}

/// The actor's review of a course they are enrolled in (403 `not_enrolled` otherwise): a new
/// one counts in the course's rating, a second one edits the first; audited. Answers whether
/// it was new.
pub async fn post_review_in(
    txn: &DatabaseTransaction,
    actor: &Actor,
    meta: &RequestMeta,
    course_id: Uuid,
    req: ReviewRequest,
) -> AppResult<(ReviewResponse, bool)> {
    let mut errors = Vec::new();
    if !(1..=5).contains(&req.rating) {
        errors.push(FieldError::new("#/rating", "must be 1 to 5"));
    }
    if req.body.chars().count() > 5000 {
        errors.push(FieldError::new("#/body", "at most 5000 characters"));
    }
    if !errors.is_empty() {
        return Err(AppError::validation(errors));
    }
    if live_enrollment(txn, actor.id, course_id).await?.is_none() {
        return Err(AppError::new(
            ErrorCode::NotEnrolled,
            "only learners enrolled in the course review it",
        ));
    }
    lock_course(txn, course_id).await?;
    let existing = course_reviews::Entity::find()
        .filter(course_reviews::Column::CourseId.eq(course_id))
        .filter(course_reviews::Column::UserId.eq(actor.id))
        .one(txn)
        .await?;
    let rating = req.rating as i16;
    let (id, created) = match existing {
        Some(old) => {
            course_reviews::ActiveModel {
                id: Set(old.id),
                rating: Set(rating),
                body: Set(req.body.trim().to_owned()),
                updated_at: Set(chrono::Utc::now()),
                ..Default::default()
            }
            .update(txn)
            .await?;
            db::exec(
                txn,
                "UPDATE courses SET rating_sum = rating_sum + $2 WHERE id = $1",
                [
                    course_id.into(),
                    (req.rating - i32::from(old.rating)).into(),
                ],
            )
            .await?;
            (old.id, false)
        }
        None => {
            let id = Uuid::now_v7();
            course_reviews::ActiveModel {
                id: Set(id),
                course_id: Set(course_id),
                user_id: Set(actor.id),
                rating: Set(rating),
                body: Set(req.body.trim().to_owned()),
                ..Default::default()
            }
            .insert(txn)
            .await?;
            db::exec(
                txn,
                "UPDATE courses SET rating_sum = rating_sum + $2, rating_count = rating_count + 1 WHERE id = $1",
                [course_id.into(), req.rating.into()],
            )
            .await?;
            (id, true)
        }
    };
    let out = review(txn, id).await?;
    audit::record(
        txn,
        AuditEvent::new(
            Some(actor.id),
            if created {
                "review.create"
            } else {
                "review.update"
            },
            "course_review",
            Some(id.to_string()),
        )
        .details(json!({"course_id": course_id, "rating": req.rating})),
        meta,
    )
    .await?;
    Ok((out, created))
}

/// An instructor's (or admin's) public answer to a review.
pub async fn reply(
    state: &AppState,
    actor: &Actor,
    meta: &RequestMeta,
    review_id: Uuid,
    req: ReviewReplyRequest,
) -> AppResult<ReviewResponse> {
    let existing = review(&state.db, review_id).await?;
    course_for(state, actor, existing.course_id, "course:update").await?;
    let txn = state.db.begin().await?;
    let out = reply_in(&txn, actor, meta, review_id, req).await?;
    txn.commit().await?;
    Ok(out)
}

/// Sets the reply of review `review_id` (1 to 5000 characters) as the actor's, audited.
pub async fn reply_in(
    txn: &DatabaseTransaction,
    actor: &Actor,
    meta: &RequestMeta,
    review_id: Uuid,
    req: ReviewReplyRequest,
) -> AppResult<ReviewResponse> {
    if req.reply.trim().is_empty() || req.reply.chars().count() > 5000 {
        return Err(AppError::field("#/reply", "must be 1 to 5000 characters"));
    }
    let reviewed = course_reviews::ActiveModel {
        id: Set(review_id),
        reply: Set(Some(req.reply.trim().to_owned())),
        replied_by: Set(Some(actor.id)),
        replied_at: Set(Some(chrono::Utc::now())),
        ..Default::default()
    }
    .update(txn)
    .await
    .map_err(|e| match e {
        DbErr::RecordNotUpdated => AppError::not_found("review"),
        e => e.into(),
    })?;
    let out = review(txn, review_id).await?;
    audit::record(
        txn,
        AuditEvent::new(
            Some(actor.id),
            "review.reply",
            "course_review",
            Some(review_id.to_string()),
        )
        .details(json!({"course_id": reviewed.course_id})),
        meta,
    )
    .await?;
    Ok(out)
}

// ------------------------------------------------------------------ bookmarks

/// The user's bookmarks of live courses (one lesson's, or all), newest first.
async fn bookmarks_where(
    db: &impl ConnectionTrait,
    user_id: Uuid,
    lesson_id: Option<Uuid>,
) -> AppResult<Vec<BookmarkResponse>> {
    Ok(db::rows(
        db,
        "SELECT b.lesson_id, l.title AS lesson_title, l.course_id, c.title AS course_title, b.note, b.created_at \
         FROM lesson_bookmarks b JOIN lessons l ON l.id = b.lesson_id JOIN courses c ON c.id = l.course_id \
         WHERE b.user_id = $1 AND ($2::uuid IS NULL OR b.lesson_id = $2) AND c.deleted_at IS NULL \
         ORDER BY b.created_at DESC",
        [user_id.into(), lesson_id.into()],
    )
    .await?)
}

pub async fn my_bookmarks(state: &AppState, actor: &Actor) -> AppResult<Vec<BookmarkResponse>> {
    bookmarks_where(&state.db, actor.id, None).await
}

/// `PUT /lessons/{id}/bookmark`: bookmarks a lesson the caller may read (or updates its note).
pub async fn put_bookmark(
    state: &AppState,
    actor: &Actor,
    lesson_id: Uuid,
    req: BookmarkRequest,
) -> AppResult<BookmarkResponse> {
    readable_lesson(state, Some(actor), lesson_id).await?;
    if req.note.chars().count() > 1000 {
        return Err(AppError::field("#/note", "at most 1000 characters"));
    }
    lesson_bookmarks::Entity::insert(lesson_bookmarks::ActiveModel {
        user_id: Set(actor.id),
        lesson_id: Set(lesson_id),
        note: Set(req.note.trim().to_owned()),
        ..Default::default()
    })
    .on_conflict(
        OnConflict::columns([
            lesson_bookmarks::Column::UserId,
            lesson_bookmarks::Column::LessonId,
        ])
        .update_column(lesson_bookmarks::Column::Note)
        .to_owned(),
    )
    .exec_without_returning(&state.db)
    .await?;
    bookmarks_where(&state.db, actor.id, Some(lesson_id))
        .await?
        .pop()
        .ok_or_else(|| AppError::not_found("bookmark"))
}

pub async fn delete_bookmark(state: &AppState, actor: &Actor, lesson_id: Uuid) -> AppResult<()> {
    let removed = lesson_bookmarks::Entity::delete_many()
        .filter(lesson_bookmarks::Column::UserId.eq(actor.id))
        .filter(lesson_bookmarks::Column::LessonId.eq(lesson_id))
        .exec(&state.db)
        .await?;
    if removed.rows_affected == 0 {
        return Err(AppError::not_found("bookmark"));
    }
    Ok(())
}

// ------------------------------------------------------------------ analytics

/// The course's enrollments by status, and the average progress of the live ones.
#[derive(FromQueryResult)]
struct EnrollmentTotals {
    total: i64,
    active: i64,
    completed: i64,
    dropped: i64,
    avg_progress: Decimal,
}

/// The course's rating counters.
#[derive(DerivePartialModel)]
#[sea_orm(entity = "courses::Entity")]
struct Ratings {
    rating_count: i32,
    rating_sum: i32,
}

/// How many learners reached a lesson.
#[derive(FromQueryResult)]
struct ReachRow {
    id: Uuid,
    title: String,
    module_position: i32,
    position: i32,
    learners: i64,
}

/// Money taken in one currency, and how much of it was refunded.
#[derive(FromQueryResult)]
struct RevenueRow {
    currency: String,
    gross: Decimal,
    refunded: Decimal,
}

/// `GET /courses/{id}/analytics` (`course:update` in the course's scope: its instructors,
/// organization admins and admins).
pub async fn analytics(
    state: &AppState,
    actor: &Actor,
    course_id: Uuid,
    q: AnalyticsQuery,
) -> AppResult<CourseAnalytics> {
    let course = visible_course(state, Some(actor), course_id).await?;
    if !crate::authz::allowed(state, actor, "course:update", course.scope()).await?
        && !crate::authz::allowed(state, actor, "course:publish", course.scope()).await?
    {
        return Err(AppError::forbidden(
            "only the course's instructors and admins see its analytics",
        ));
    }
    let days = q.days.unwrap_or(30);
    if !(1..=365).contains(&days) {
        return Err(AppError::field("days", "must be between 1 and 365"));
    }
    let db = &state.db;
    let totals: EnrollmentTotals = db::row(
        db,
        "SELECT count(*) AS total, \
                count(*) FILTER (WHERE status = 'active') AS active, \
                count(*) FILTER (WHERE status = 'completed') AS completed, \
                count(*) FILTER (WHERE status = 'dropped') AS dropped, \
                coalesce(avg(progress_percent) FILTER (WHERE status <> 'dropped'), 0) AS avg_progress \
         FROM enrollments WHERE course_id = $1",
        [course_id.into()],
    )
    .await?
    .ok_or_else(|| AppError::internal(anyhow::anyhow!("totals returned nothing")))?;
    let live = totals.active + totals.completed;
    let completion_rate = if live == 0 {
        Decimal::ZERO
    } else {
        (Decimal::from(totals.completed) / Decimal::from(live)).round_dp(4)
    };
    let ratings: Ratings = courses::Entity::find_by_id(course_id)
        .into_partial_model()
        .one(db)
        .await?
        .ok_or_else(|| AppError::not_found("course"))?;
    let over_time: Vec<DailyCount> = db::rows(
        db,
        "SELECT d::date AS day, count(e.id) AS enrollments \
         FROM generate_series((now() AT TIME ZONE 'UTC')::date - ($2::int - 1), (now() AT TIME ZONE 'UTC')::date, interval '1 day') d \
         LEFT JOIN enrollments e ON e.course_id = $1 AND (e.enrolled_at AT TIME ZONE 'UTC')::date = d::date \
         GROUP BY d ORDER BY d",
        [course_id.into(), (days as i32).into()],
    )
    .await?;
    let reach: Vec<ReachRow> = db::rows(
        db,
        "SELECT l.id, l.title, m.position AS module_position, l.position, count(p.enrollment_id) AS learners \
         FROM lessons l JOIN course_modules m ON m.id = l.module_id \
         LEFT JOIN lesson_progress p ON p.lesson_id = l.id \
         WHERE l.course_id = $1 GROUP BY l.id, m.position ORDER BY m.position, l.position",
        [course_id.into()],
    )
    .await?;
    let revenue: Vec<RevenueRow> = db::rows(
        db,
        "SELECT e.currency, coalesce(sum(e.price), 0) AS gross, \
                coalesce(sum(e.price) FILTER (WHERE e.refund_id IS NOT NULL), 0) AS refunded \
         FROM enrollments e WHERE e.course_id = $1 AND e.payment_id IS NOT NULL GROUP BY e.currency ORDER BY e.currency",
        [course_id.into()],
    )
    .await?;
    let denominator = totals.total;
    Ok(CourseAnalytics {
        course_id,
        enrollments_total: denominator,
        active: totals.active,
        completed: totals.completed,
        dropped: totals.dropped,
        completion_rate,
        average_progress: two_places(totals.avg_progress),
        average_rating: rating_average(ratings.rating_sum, ratings.rating_count),
        rating_count: ratings.rating_count,
        enrollments_over_time: over_time,
        lesson_reach: reach
            .into_iter()
            .map(|r| LessonReach {
                lesson_id: r.id,
                title: r.title,
                module_position: r.module_position,
                position: r.position,
                learners: r.learners,
                reached_share: if denominator == 0 {
                    Decimal::ZERO
                } else {
                    (Decimal::from(r.learners) / Decimal::from(denominator)).round_dp(4)
                },
            })
            .collect(),
        revenue: revenue
            .into_iter()
            .map(|r| Revenue {
                currency: r.currency,
                gross: r.gross.normalize(),
                refunded: r.refunded.normalize(),
                net: (r.gross - r.refunded).normalize(),
            })
            .collect(),
    })
}
