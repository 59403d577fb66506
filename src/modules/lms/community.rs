//! Reviews (one per learner and course, editable, with an instructor's reply; the course's
//! rating counters change in the same transaction under the course row lock) and analytics.

use rust_decimal::Decimal;
use sea_orm::{ConnectionTrait, TransactionTrait};
use serde_json::json;
use uuid::Uuid;

use super::catalog::{course_for, lock_course, two_places, visible_course};
use super::dto::{
    AnalyticsQuery, CourseAnalytics, DailyCount, LessonReach, Revenue, ReviewReplyRequest,
    ReviewRequest, ReviewResponse, ReviewsQuery,
};
use super::learning::live_enrollment;
use crate::db;
use crate::modules::audit::{self, AuditEvent};
use crate::state::AppState;
use kernel::pagination::{Page, Paging};
use kernel::{Actor, RequestMeta};
use kernel::{AppError, AppResult, ErrorCode, FieldError};

const REVIEW_COLUMNS: &str = "r.id, r.course_id, r.user_id, u.display_name AS author_name, r.rating, r.body, \
    r.reply, r.replied_by, r.replied_at, r.created_at, r.updated_at";

fn review_from_row(r: &sea_orm::QueryResult) -> AppResult<ReviewResponse> {
    Ok(ReviewResponse {
        id: r.try_get("", "id")?,
        course_id: r.try_get("", "course_id")?,
        user_id: r.try_get("", "user_id")?,
        author_name: r.try_get("", "author_name")?,
        rating: r.try_get("", "rating")?,
        body: r.try_get("", "body")?,
        reply: r.try_get("", "reply")?,
        replied_by: r.try_get("", "replied_by")?,
        replied_at: r.try_get("", "replied_at")?,
        created_at: r.try_get("", "created_at")?,
        updated_at: r.try_get("", "updated_at")?,
    })
}

async fn review(db: &impl ConnectionTrait, id: Uuid) -> AppResult<ReviewResponse> {
    let r = db::one(
        db,
        format!("SELECT {REVIEW_COLUMNS} FROM course_reviews r JOIN users u ON u.id = r.user_id WHERE r.id = $1"),
        [id.into()],
    )
    .await?
    .ok_or_else(|| AppError::not_found("review"))?;
    review_from_row(&r)
}

pub async fn list_reviews(
    state: &AppState,
    user: Option<&Actor>,
    course_id: Uuid,
    q: ReviewsQuery,
) -> AppResult<Page<ReviewResponse>> {
    visible_course(state, user, course_id).await?;
    let paging = Paging::new(q.page, q.per_page)?;
    let total: i64 = db::one(
        &state.db,
        "SELECT count(*) AS n FROM course_reviews WHERE course_id = $1",
        [course_id.into()],
    )
    .await?
    .map(|r| r.try_get("", "n"))
    .transpose()?
    .unwrap_or(0);
    let rows = db::all(
        &state.db,
        format!(
            "SELECT {REVIEW_COLUMNS} FROM course_reviews r JOIN users u ON u.id = r.user_id WHERE r.course_id = $1 \
             ORDER BY r.updated_at DESC, r.id DESC LIMIT $2 OFFSET $3"
        ),
        [
            course_id.into(),
            (paging.per_page as i64).into(),
            (paging.offset() as i64).into(),
        ],
    )
    .await?;
    let items = rows
        .iter()
        .map(review_from_row)
        .collect::<AppResult<Vec<_>>>()?;
    Ok(paging.wrap(items, total as u64))
}

/// Creates the caller's review, or edits it; answers whether it was new.
pub async fn post_review(
    state: &AppState,
    user: &Actor,
    client: &RequestMeta,
    course_id: Uuid,
    req: ReviewRequest,
) -> AppResult<(ReviewResponse, bool)> {
    visible_course(state, Some(user), course_id).await?;
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
    if live_enrollment(&state.db, user.id, course_id)
        .await?
        .is_none()
    {
        return Err(AppError::new(
            ErrorCode::NotEnrolled,
            "only learners enrolled in the course review it",
        ));
    }
    let txn = state.db.begin().await?;
    lock_course(&txn, course_id).await?;
    let existing = db::one(
        &txn,
        "SELECT id, rating FROM course_reviews WHERE course_id = $1 AND user_id = $2",
        [course_id.into(), user.id.into()],
    )
    .await?;
    let (id, created) = match existing {
        Some(row) => {
            let id: Uuid = row.try_get("", "id")?;
            let old: i16 = row.try_get("", "rating")?;
            db::exec(
                &txn,
                "UPDATE course_reviews SET rating = $2, body = $3, updated_at = now() WHERE id = $1",
                [id.into(), (req.rating as i16).into(), req.body.trim().to_owned().into()],
            )
            .await?;
            db::exec(
                &txn,
                "UPDATE courses SET rating_sum = rating_sum + $2 WHERE id = $1",
                [course_id.into(), (req.rating - i32::from(old)).into()],
            )
            .await?;
            (id, false)
        }
        None => {
            let id = Uuid::now_v7();
            db::exec(
                &txn,
                "INSERT INTO course_reviews (id, course_id, user_id, rating, body) VALUES ($1, $2, $3, $4, $5)",
                [
                    id.into(),
                    course_id.into(),
                    user.id.into(),
                    (req.rating as i16).into(),
                    req.body.trim().to_owned().into(),
                ],
            )
            .await?;
            db::exec(
                &txn,
                "UPDATE courses SET rating_sum = rating_sum + $2, rating_count = rating_count + 1 WHERE id = $1",
                [course_id.into(), req.rating.into()],
            )
            .await?;
            (id, true)
        }
    };
    let out = review(&txn, id).await?;
    audit::record(
        &txn,
        AuditEvent::new(
            Some(user.id),
            if created {
                "review.create"
            } else {
                "review.update"
            },
            "course_review",
            Some(id.to_string()),
        )
        .details(json!({"course_id": course_id, "rating": req.rating})),
        client,
    )
    .await?;
    txn.commit().await?;
    Ok((out, created))
}

/// An instructor's (or admin's) public answer to a review.
pub async fn reply(
    state: &AppState,
    user: &Actor,
    client: &RequestMeta,
    review_id: Uuid,
    req: ReviewReplyRequest,
) -> AppResult<ReviewResponse> {
    let existing = review(&state.db, review_id).await?;
    course_for(state, user, existing.course_id, "course:update").await?;
    if req.reply.trim().is_empty() || req.reply.chars().count() > 5000 {
        return Err(AppError::validation(vec![FieldError::new(
            "#/reply",
            "must be 1 to 5000 characters",
        )]));
    }
    let txn = state.db.begin().await?;
    db::exec(
        &txn,
        "UPDATE course_reviews SET reply = $2, replied_by = $3, replied_at = now() WHERE id = $1",
        [
            review_id.into(),
            req.reply.trim().to_owned().into(),
            user.id.into(),
        ],
    )
    .await?;
    let out = review(&txn, review_id).await?;
    audit::record(
        &txn,
        AuditEvent::new(
            Some(user.id),
            "review.reply",
            "course_review",
            Some(review_id.to_string()),
        )
        .details(json!({"course_id": existing.course_id})),
        client,
    )
    .await?;
    txn.commit().await?;
    Ok(out)
}

// ------------------------------------------------------------------ analytics

/// `GET /courses/{id}/analytics` (`course:update` in the course's scope: its instructors,
/// organization admins and admins).
pub async fn analytics(
    state: &AppState,
    user: &Actor,
    course_id: Uuid,
    q: AnalyticsQuery,
) -> AppResult<CourseAnalytics> {
    let course = visible_course(state, Some(user), course_id).await?;
    if !crate::authz::allowed(state, user, "course:update", course.scope()).await?
        && !crate::authz::allowed(state, user, "course:publish", course.scope()).await?
    {
        return Err(AppError::forbidden(
            "only the course's instructors and admins see its analytics",
        ));
    }
    let days = q.days.unwrap_or(30);
    if !(1..=365).contains(&days) {
        return Err(AppError::validation(vec![FieldError::new(
            "days",
            "must be between 1 and 365",
        )]));
    }
    let db = &state.db;
    let totals = db::one(
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
    let active: i64 = totals.try_get("", "active")?;
    let completed: i64 = totals.try_get("", "completed")?;
    let live = active + completed;
    let completion_rate = if live == 0 {
        Decimal::ZERO
    } else {
        (Decimal::from(completed) / Decimal::from(live)).round_dp(4)
    };
    let ratings = db::one(
        db,
        "SELECT rating_count, rating_sum FROM courses WHERE id = $1",
        [course_id.into()],
    )
    .await?
    .ok_or_else(|| AppError::not_found("course"))?;
    let rating_count: i32 = ratings.try_get("", "rating_count")?;
    let rating_sum: i32 = ratings.try_get("", "rating_sum")?;
    let over_time = db::all(
        db,
        "SELECT d::date AS day, count(e.id) AS n \
         FROM generate_series((now() AT TIME ZONE 'UTC')::date - ($2::int - 1), (now() AT TIME ZONE 'UTC')::date, interval '1 day') d \
         LEFT JOIN enrollments e ON e.course_id = $1 AND (e.enrolled_at AT TIME ZONE 'UTC')::date = d::date \
         GROUP BY d ORDER BY d",
        [course_id.into(), (days as i32).into()],
    )
    .await?
    .iter()
    .map(|r| {
        Ok(DailyCount {
            day: r.try_get("", "day")?,
            enrollments: r.try_get("", "n")?,
        })
    })
    .collect::<AppResult<Vec<_>>>()?;
    let denominator = totals.try_get::<i64>("", "total")?;
    let reach = db::all(
        db,
        "SELECT l.id, l.title, m.position AS module_position, l.position, count(p.enrollment_id) AS learners \
         FROM lessons l JOIN course_modules m ON m.id = l.module_id \
         LEFT JOIN lesson_progress p ON p.lesson_id = l.id \
         WHERE l.course_id = $1 GROUP BY l.id, m.position ORDER BY m.position, l.position",
        [course_id.into()],
    )
    .await?
    .iter()
    .map(|r| {
        let learners: i64 = r.try_get("", "learners")?;
        Ok(LessonReach {
            lesson_id: r.try_get("", "id")?,
            title: r.try_get("", "title")?,
            module_position: r.try_get("", "module_position")?,
            position: r.try_get("", "position")?,
            learners,
            reached_share: if denominator == 0 {
                Decimal::ZERO
            } else {
                (Decimal::from(learners) / Decimal::from(denominator)).round_dp(4)
            },
        })
    })
    .collect::<AppResult<Vec<_>>>()?;
    let revenue = db::all(
        db,
        "SELECT e.currency, coalesce(sum(e.price), 0) AS gross, \
                coalesce(sum(e.price) FILTER (WHERE e.refund_id IS NOT NULL), 0) AS refunded \
         FROM enrollments e WHERE e.course_id = $1 AND e.payment_id IS NOT NULL GROUP BY e.currency ORDER BY e.currency",
        [course_id.into()],
    )
    .await?
    .iter()
    .map(|r| {
        let gross: Decimal = r.try_get("", "gross")?;
        let refunded: Decimal = r.try_get("", "refunded")?;
        Ok(Revenue {
            currency: r.try_get("", "currency")?,
            gross: gross.normalize(),
            refunded: refunded.normalize(),
            net: (gross - refunded).normalize(),
        })
    })
    .collect::<AppResult<Vec<_>>>()?;
    Ok(CourseAnalytics {
        course_id,
        enrollments_total: denominator,
        active,
        completed,
        dropped: totals.try_get("", "dropped")?,
        completion_rate,
        average_progress: two_places(totals.try_get::<Decimal>("", "avg_progress")?),
        average_rating: (rating_count > 0)
            .then(|| two_places(Decimal::from(rating_sum) / Decimal::from(rating_count))),
        rating_count,
        enrollments_over_time: over_time,
        lesson_reach: reach,
        revenue,
    })
}
