//! Handlers of learning: enrollments, progress, bookmarks, reviews, analytics and learning paths.

use actix_web::{HttpRequest, HttpResponse, delete, get, post, put, web};
use uuid::Uuid;

use crate::http::ApiResult;
use crate::http::auth::{AuthUser, ClientInfo, MaybeAuthUser};
use crate::http::extract::{Json, Query};
use crate::http::idempotency;
use crate::http::idempotency::OptionalIdempotencyKey;
use crate::modules::lms::dto::*;
use crate::modules::lms::{community, enrollments, paths, progress};
use crate::state::AppState;
use kernel::pagination::Page;

/// Enroll in a published course. Paid courses are charged to your wallet in their currency, in the same transaction.
#[utoipa::path(
    tag = "lms",
    security(("api_key" = ["course:enroll"])),
    params(("id" = Uuid, Path, description = "Course id"), OptionalIdempotencyKey),
    responses(
        (status = 201, body = EnrollmentResponse),
        (status = 400, description = "`invalid_idempotency_key`"),
        (status = 403, description = "`forbidden`"),
        (status = 409, description = "`already_enrolled`, `idempotency_key_reused`"),
        (status = 422, description = "`prerequisites_missing`, `insufficient_funds`, `course_not_open`"),
    )
)]
#[post("/courses/{id}/enroll")]
pub async fn enroll(
    req: HttpRequest,
    state: web::Data<AppState>,
    user: AuthUser,
    client: ClientInfo,
    id: web::Path<Uuid>,
) -> ApiResult<HttpResponse> {
    let key = idempotency::header(&req)?;
    Ok(HttpResponse::Created()
        .json(enrollments::enroll(&state, &user, &client, id.into_inner(), key).await?))
}

/// Your enrollments with their progress.
#[utoipa::path(
    tag = "lms",
    security(("api_key" = ["course:read"])),
    params(MyEnrollmentsQuery),
    responses(
        (status = 200, body = Page<EnrollmentResponse>),
    )
)]
#[get("/me/enrollments")]
pub async fn my_enrollments(
    state: web::Data<AppState>,
    user: AuthUser,
    query: Query<MyEnrollmentsQuery>,
) -> ApiResult<HttpResponse> {
    Ok(HttpResponse::Ok()
        .json(enrollments::my_enrollments(&state, &user, query.into_inner()).await?))
}

/// Drop an enrollment (it stays as history); paid ones dropped within the refund window are refunded.
#[utoipa::path(
    tag = "lms",
    security(("api_key" = ["course:enroll"])),
    params(("id" = Uuid, Path, description = "Enrollment id")),
    responses(
        (status = 200, body = EnrollmentResponse),
        (status = 409, description = "`already_dropped`, `enrollment_completed`"),
    )
)]
#[delete("/enrollments/{id}")]
pub async fn drop_enrollment(
    state: web::Data<AppState>,
    user: AuthUser,
    client: ClientInfo,
    id: web::Path<Uuid>,
) -> ApiResult<HttpResponse> {
    Ok(HttpResponse::Ok()
        .json(enrollments::drop_enrollment(&state, &user, &client, id.into_inner()).await?))
}

/// Record your progress on a lesson (enrolled learners). Completing the last required lesson completes the course and pays its reward once.
#[utoipa::path(
    tag = "lms",
    security(("api_key" = ["course:learn"])),
    params(("id" = Uuid, Path, description = "Lesson id")),
    request_body = ProgressRequest,
    responses(
        (status = 200, body = ProgressResponse),
        (status = 403, description = "`not_enrolled`"),
        (status = 422, description = "`assessment_required`, `validation_failed`"),
    )
)]
#[put("/lessons/{id}/progress")]
pub async fn record_progress(
    state: web::Data<AppState>,
    user: AuthUser,
    client: ClientInfo,
    id: web::Path<Uuid>,
    body: Json<ProgressRequest>,
) -> ApiResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(
        progress::record_progress(&state, &user, &client, id.into_inner(), body.into_inner())
            .await?,
    ))
}

/// Your progress in a course.
#[utoipa::path(
    tag = "lms",
    security(("api_key" = ["course:read"])),
    params(("id" = Uuid, Path, description = "Course id")),
    responses(
        (status = 200, body = CourseProgressResponse),
        (status = 404, description = "`not_found`, `not_enrolled`"),
    )
)]
#[get("/courses/{id}/progress")]
pub async fn course_progress(
    state: web::Data<AppState>,
    user: AuthUser,
    id: web::Path<Uuid>,
) -> ApiResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(progress::course_progress(&state, &user, id.into_inner()).await?))
}

/// Bookmark a lesson you may read (or change its note).
#[utoipa::path(
    tag = "lms",
    security(("api_key" = ["course:learn"])),
    params(("id" = Uuid, Path, description = "Lesson id")),
    request_body(content = Option<BookmarkRequest>, description = "Optional: a note; an empty body bookmarks without one"),
    responses(
        (status = 200, body = BookmarkResponse),
        (status = 403, description = "`enrollment_required`"),
    )
)]
#[put("/lessons/{id}/bookmark")]
pub async fn put_bookmark(
    state: web::Data<AppState>,
    user: AuthUser,
    id: web::Path<Uuid>,
    body: web::Bytes,
) -> ApiResult<HttpResponse> {
    let body: BookmarkRequest = crate::http::extract::optional_json(&body)?;
    Ok(HttpResponse::Ok()
        .json(community::put_bookmark(&state, &user, id.into_inner(), body).await?))
}

/// Remove a bookmark.
#[utoipa::path(
    tag = "lms",
    security(("api_key" = ["course:learn"])),
    params(("id" = Uuid, Path, description = "Lesson id")),
    responses(
        (status = 204, description = "Done"),
    )
)]
#[delete("/lessons/{id}/bookmark")]
pub async fn delete_bookmark(
    state: web::Data<AppState>,
    user: AuthUser,
    id: web::Path<Uuid>,
) -> ApiResult<HttpResponse> {
    community::delete_bookmark(&state, &user, id.into_inner()).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Your bookmarked lessons, newest first.
#[utoipa::path(
    tag = "lms",
    security(("api_key" = ["course:read"])),
    responses(
        (status = 200, body = Vec<BookmarkResponse>),
    )
)]
#[get("/me/bookmarks")]
pub async fn my_bookmarks(state: web::Data<AppState>, user: AuthUser) -> ApiResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(community::my_bookmarks(&state, &user).await?))
}

/// A course's reviews, newest first.
#[utoipa::path(
    tag = "lms",
    security((), ("api_key" = ["course:read"])),
    params(("id" = Uuid, Path, description = "Course id"), ReviewsQuery),
    responses(
        (status = 200, body = Page<ReviewResponse>),
    )
)]
#[get("/courses/{id}/reviews")]
pub async fn list_reviews(
    state: web::Data<AppState>,
    user: MaybeAuthUser,
    id: web::Path<Uuid>,
    query: Query<ReviewsQuery>,
) -> ApiResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(
        community::list_reviews(&state, user.actor(), id.into_inner(), query.into_inner()).await?,
    ))
}

/// Review a course you are enrolled in: 201 for a new review, 200 when it edits yours.
#[utoipa::path(
    tag = "lms",
    security(("api_key" = ["course:learn"])),
    params(("id" = Uuid, Path, description = "Course id")),
    request_body = ReviewRequest,
    responses(
        (status = 201, body = ReviewResponse),
        (status = 200, body = ReviewResponse),
        (status = 403, description = "`not_enrolled`"),
    )
)]
#[post("/courses/{id}/reviews")]
pub async fn post_review(
    state: web::Data<AppState>,
    user: AuthUser,
    client: ClientInfo,
    id: web::Path<Uuid>,
    body: Json<ReviewRequest>,
) -> ApiResult<HttpResponse> {
    let (review, created) =
        community::post_review(&state, &user, &client, id.into_inner(), body.into_inner()).await?;
    Ok(if created {
        HttpResponse::Created()
    } else {
        HttpResponse::Ok()
    }
    .json(review))
}

/// Answer a review (the course's instructors and admins).
#[utoipa::path(
    tag = "lms",
    security(("api_key" = ["course:update"])),
    params(("id" = Uuid, Path, description = "Review id")),
    request_body = ReviewReplyRequest,
    responses(
        (status = 200, body = ReviewResponse),
    )
)]
#[post("/reviews/{id}/reply")]
pub async fn reply_review(
    state: web::Data<AppState>,
    user: AuthUser,
    client: ClientInfo,
    id: web::Path<Uuid>,
    body: Json<ReviewReplyRequest>,
) -> ApiResult<HttpResponse> {
    Ok(HttpResponse::Ok()
        .json(community::reply(&state, &user, &client, id.into_inner(), body.into_inner()).await?))
}

/// Enrollments over time, completion, progress, rating, lesson reach and revenue (instructors and admins).
#[utoipa::path(
    tag = "lms",
    security(("api_key" = ["course:update"])),
    params(("id" = Uuid, Path, description = "Course id"), AnalyticsQuery),
    responses(
        (status = 200, body = CourseAnalytics),
    )
)]
#[get("/courses/{id}/analytics")]
pub async fn course_analytics(
    state: web::Data<AppState>,
    user: AuthUser,
    id: web::Path<Uuid>,
    query: Query<AnalyticsQuery>,
) -> ApiResult<HttpResponse> {
    Ok(HttpResponse::Ok()
        .json(community::analytics(&state, &user, id.into_inner(), query.into_inner()).await?))
}

/// Learning paths, newest first; with your progress when signed in.
#[utoipa::path(
    tag = "lms",
    security((), ("api_key" = ["course:read"])),
    params(PathsQuery),
    responses(
        (status = 200, body = Page<PathResponse>),
    )
)]
#[get("/learning-paths")]
pub async fn list_paths(
    state: web::Data<AppState>,
    user: MaybeAuthUser,
    query: Query<PathsQuery>,
) -> ApiResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(paths::list_paths(&state, user.actor(), query.into_inner()).await?))
}

/// Create a learning path of published courses (`course:create`).
#[utoipa::path(
    tag = "lms",
    security(("api_key" = ["course:create"])),
    request_body = CreatePathRequest,
    responses(
        (status = 201, body = PathResponse),
        (status = 403, description = "`forbidden`, `not_a_member`"),
        (status = 409, description = "`slug_taken`"),
    )
)]
#[post("/learning-paths")]
pub async fn create_path(
    state: web::Data<AppState>,
    user: AuthUser,
    client: ClientInfo,
    body: Json<CreatePathRequest>,
) -> ApiResult<HttpResponse> {
    Ok(HttpResponse::Created()
        .json(paths::create_path(&state, &user, &client, body.into_inner()).await?))
}

/// A learning path; with your progress when signed in.
#[utoipa::path(
    tag = "lms",
    security((), ("api_key" = ["course:read"])),
    params(("id" = Uuid, Path, description = "Learning path id")),
    responses(
        (status = 200, body = PathResponse),
    )
)]
#[get("/learning-paths/{id}")]
pub async fn get_path(
    state: web::Data<AppState>,
    user: MaybeAuthUser,
    id: web::Path<Uuid>,
) -> ApiResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(paths::get_path(&state, user.actor(), id.into_inner()).await?))
}

/// Join a learning path: enrols you in its courses up to its first required one.
#[utoipa::path(
    tag = "lms",
    security(("api_key" = ["course:enroll"])),
    params(("id" = Uuid, Path, description = "Learning path id")),
    responses(
        (status = 201, body = PathEnrollResponse),
        (status = 409, description = "`already_enrolled`"),
        (status = 422, description = "`prerequisites_missing`, `insufficient_funds`"),
    )
)]
#[post("/learning-paths/{id}/enroll")]
pub async fn enroll_path(
    state: web::Data<AppState>,
    user: AuthUser,
    client: ClientInfo,
    id: web::Path<Uuid>,
) -> ApiResult<HttpResponse> {
    Ok(HttpResponse::Created()
        .json(paths::enroll_path(&state, &user, &client, id.into_inner()).await?))
}
