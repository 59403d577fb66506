//! Handlers of the LMS routes: extract, call the service, shape the response.

use actix_web::{HttpRequest, HttpResponse, delete, get, patch, post, put, web};
use uuid::Uuid;

use super::dto::*;
use super::{catalog, community, learning, paths, structure};
use crate::http::ApiResult;
use crate::http::auth::{AuthUser, ClientInfo, MaybeAuthUser};
use crate::http::extract::{Json, Query};
use crate::http::idempotency;
use crate::state::AppState;
use kernel::pagination::Page;

/// The category tree (public).
#[utoipa::path(
    tag = "lms",
    responses(
        (status = 200, body = Vec<CategoryNode>),
    )
)]
#[get("/categories")]
pub async fn list_categories(state: web::Data<AppState>) -> ApiResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(catalog::category_tree(&state.db).await?))
}

/// Add a category (`catalog:manage`).
#[utoipa::path(
    tag = "lms",
    security(("api_key" = ["catalog:manage"])),
    request_body = CreateCategoryRequest,
    responses(
        (status = 201, body = CategoryNode),
        (status = 409, description = "`slug_taken`"),
    )
)]
#[post("/categories")]
pub async fn create_category(
    state: web::Data<AppState>,
    user: AuthUser,
    client: ClientInfo,
    body: Json<CreateCategoryRequest>,
) -> ApiResult<HttpResponse> {
    Ok(HttpResponse::Created()
        .json(catalog::create_category(&state, &user, &client, body.into_inner()).await?))
}

/// Rename or move a category (`catalog:manage`); moving it under its own descendant is 422 `category_cycle`.
#[utoipa::path(
    tag = "lms",
    security(("api_key" = ["catalog:manage"])),
    params(("id" = Uuid, Path, description = "Category id")),
    request_body = UpdateCategoryRequest,
    responses(
        (status = 200, body = CategoryNode),
        (status = 422, description = "`category_cycle`, `validation_failed`"),
    )
)]
#[patch("/categories/{id}")]
pub async fn update_category(
    state: web::Data<AppState>,
    user: AuthUser,
    client: ClientInfo,
    id: web::Path<Uuid>,
    body: Json<UpdateCategoryRequest>,
) -> ApiResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(
        catalog::update_category(&state, &user, &client, id.into_inner(), body.into_inner())
            .await?,
    ))
}

/// Tags in use, most used first (public).
#[utoipa::path(
    tag = "lms",
    responses(
        (status = 200, body = Vec<TagResponse>),
    )
)]
#[get("/tags")]
pub async fn list_tags(state: web::Data<AppState>) -> ApiResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(catalog::list_tags(&state.db).await?))
}

/// Published courses: full-text search (`q`), filters, sorts and pages (public).
#[utoipa::path(
    tag = "lms",
    params(ListCoursesQuery),
    responses(
        (status = 200, body = Page<CourseSummary>),
    )
)]
#[get("/courses")]
pub async fn list_courses(
    state: web::Data<AppState>,
    query: Query<ListCoursesQuery>,
) -> ApiResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(catalog::list_courses(&state.db, query.into_inner()).await?))
}

/// Create a draft course (`course:create`, verified email); you become its owner.
#[utoipa::path(
    tag = "lms",
    security(("api_key" = ["course:create"])),
    request_body = CreateCourseRequest,
    responses(
        (status = 201, body = CourseDetail),
        (status = 403, description = "`email_not_verified`, `forbidden`, `not_a_member`"),
        (status = 409, description = "`slug_taken`"),
    )
)]
#[post("/courses")]
pub async fn create_course(
    state: web::Data<AppState>,
    user: AuthUser,
    client: ClientInfo,
    body: Json<CreateCourseRequest>,
) -> ApiResult<HttpResponse> {
    Ok(HttpResponse::Created()
        .json(catalog::create_course(&state, &user, &client, body.into_inner()).await?))
}

/// A course with its outline. Drafts and courses under review are visible to their staff only (404 for others).
#[utoipa::path(
    tag = "lms",
    security((), ("api_key" = ["course:read"])),
    params(("id" = Uuid, Path, description = "Course id")),
    responses(
        (status = 200, body = CourseDetail),
    )
)]
#[get("/courses/{id}")]
pub async fn get_course(
    state: web::Data<AppState>,
    user: MaybeAuthUser,
    id: web::Path<Uuid>,
) -> ApiResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(catalog::get_course(&state, user.actor(), id.into_inner()).await?))
}

/// Edit a course (`course:update` in the course's scope: its instructors and admins).
#[utoipa::path(
    tag = "lms",
    security(("api_key" = ["course:update"])),
    params(("id" = Uuid, Path, description = "Course id")),
    request_body = UpdateCourseRequest,
    responses(
        (status = 200, body = CourseDetail),
        (status = 409, description = "`slug_taken`"),
    )
)]
#[patch("/courses/{id}")]
pub async fn update_course(
    state: web::Data<AppState>,
    user: AuthUser,
    client: ClientInfo,
    id: web::Path<Uuid>,
    body: Json<UpdateCourseRequest>,
) -> ApiResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(
        catalog::update_course(&state, &user, &client, id.into_inner(), body.into_inner()).await?,
    ))
}

/// Delete a course nobody enrolled in (soft delete); otherwise 409 `course_has_enrollments`: archive it.
#[utoipa::path(
    tag = "lms",
    security(("api_key" = ["course:update"])),
    params(("id" = Uuid, Path, description = "Course id")),
    responses(
        (status = 204, description = "Done"),
        (status = 409, description = "`course_has_enrollments`"),
    )
)]
#[delete("/courses/{id}")]
pub async fn delete_course(
    state: web::Data<AppState>,
    user: AuthUser,
    client: ClientInfo,
    id: web::Path<Uuid>,
) -> ApiResult<HttpResponse> {
    catalog::delete_course(&state, &user, &client, id.into_inner()).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Submit a draft for review (`course:update`).
#[utoipa::path(
    tag = "lms",
    security(("api_key" = ["course:update"])),
    params(("id" = Uuid, Path, description = "Course id")),
    responses(
        (status = 200, body = CourseDetail),
        (status = 409, description = "`invalid_transition`"),
        (status = 422, description = "`course_empty`"),
    )
)]
#[post("/courses/{id}/submit")]
pub async fn submit_course(
    state: web::Data<AppState>,
    user: AuthUser,
    client: ClientInfo,
    id: web::Path<Uuid>,
) -> ApiResult<HttpResponse> {
    Ok(HttpResponse::Ok()
        .json(catalog::transition(&state, &user, &client, id.into_inner(), "submit").await?))
}

/// Publish a draft, a course under review or an archived course (`course:publish` in the course's scope).
#[utoipa::path(
    tag = "lms",
    security(("api_key" = ["course:publish"])),
    params(("id" = Uuid, Path, description = "Course id")),
    responses(
        (status = 200, body = CourseDetail),
        (status = 409, description = "`invalid_transition`"),
        (status = 422, description = "`course_empty`"),
    )
)]
#[post("/courses/{id}/publish")]
pub async fn publish_course(
    state: web::Data<AppState>,
    user: AuthUser,
    client: ClientInfo,
    id: web::Path<Uuid>,
) -> ApiResult<HttpResponse> {
    Ok(HttpResponse::Ok()
        .json(catalog::transition(&state, &user, &client, id.into_inner(), "publish").await?))
}

/// Archive a published course (`course:update`): it leaves the catalog and takes no enrollments.
#[utoipa::path(
    tag = "lms",
    security(("api_key" = ["course:update"])),
    params(("id" = Uuid, Path, description = "Course id")),
    responses(
        (status = 200, body = CourseDetail),
        (status = 409, description = "`invalid_transition`"),
    )
)]
#[post("/courses/{id}/archive")]
pub async fn archive_course(
    state: web::Data<AppState>,
    user: AuthUser,
    client: ClientInfo,
    id: web::Path<Uuid>,
) -> ApiResult<HttpResponse> {
    Ok(HttpResponse::Ok()
        .json(catalog::transition(&state, &user, &client, id.into_inner(), "archive").await?))
}

/// Add a co-instructor or assistant (the owner, or `course:publish` there).
#[utoipa::path(
    tag = "lms",
    security(("api_key" = ["course:update"])),
    params(("id" = Uuid, Path, description = "Course id")),
    request_body = AddInstructorRequest,
    responses(
        (status = 201, body = Vec<InstructorResponse>),
        (status = 409, description = "`already_instructor`"),
    )
)]
#[post("/courses/{id}/instructors")]
pub async fn add_instructor(
    state: web::Data<AppState>,
    user: AuthUser,
    client: ClientInfo,
    id: web::Path<Uuid>,
    body: Json<AddInstructorRequest>,
) -> ApiResult<HttpResponse> {
    Ok(HttpResponse::Created().json(
        catalog::add_instructor(&state, &user, &client, id.into_inner(), body.into_inner()).await?,
    ))
}

/// Remove a co-instructor or assistant; their grants on the course end.
#[utoipa::path(
    tag = "lms",
    security(("api_key" = ["course:update"])),
    params(("id" = Uuid, Path, description = "Course id"), ("user_id" = Uuid, Path, description = "Instructor's user id")),
    responses(
        (status = 204, description = "Done"),
        (status = 422, description = "`cannot_remove_owner`"),
    )
)]
#[delete("/courses/{id}/instructors/{user_id}")]
pub async fn remove_instructor(
    state: web::Data<AppState>,
    user: AuthUser,
    client: ClientInfo,
    path: web::Path<(Uuid, Uuid)>,
) -> ApiResult<HttpResponse> {
    let (id, user_id) = path.into_inner();
    catalog::remove_instructor(&state, &user, &client, id, user_id).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Require another course to be completed first; cycles are 422 `prerequisite_cycle`.
#[utoipa::path(
    tag = "lms",
    security(("api_key" = ["course:update"])),
    params(("id" = Uuid, Path, description = "Course id")),
    request_body = AddPrerequisiteRequest,
    responses(
        (status = 201, body = Vec<CourseRef>),
        (status = 409, description = "`already_prerequisite`"),
        (status = 422, description = "`prerequisite_cycle`, `validation_failed`"),
    )
)]
#[post("/courses/{id}/prerequisites")]
pub async fn add_prerequisite(
    state: web::Data<AppState>,
    user: AuthUser,
    client: ClientInfo,
    id: web::Path<Uuid>,
    body: Json<AddPrerequisiteRequest>,
) -> ApiResult<HttpResponse> {
    Ok(HttpResponse::Created().json(
        catalog::add_prerequisite(&state, &user, &client, id.into_inner(), body.into_inner())
            .await?,
    ))
}

/// Drop a prerequisite.
#[utoipa::path(
    tag = "lms",
    security(("api_key" = ["course:update"])),
    params(("id" = Uuid, Path, description = "Course id"), ("prerequisite_id" = Uuid, Path, description = "Prerequisite course id")),
    responses(
        (status = 204, description = "Done"),
    )
)]
#[delete("/courses/{id}/prerequisites/{prerequisite_id}")]
pub async fn remove_prerequisite(
    state: web::Data<AppState>,
    user: AuthUser,
    client: ClientInfo,
    path: web::Path<(Uuid, Uuid)>,
) -> ApiResult<HttpResponse> {
    let (id, prerequisite_id) = path.into_inner();
    catalog::remove_prerequisite(&state, &user, &client, id, prerequisite_id).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Courses you teach or assist, in any status.
#[utoipa::path(
    tag = "lms",
    security(("api_key" = ["course:read"])),
    params(TeachingQuery),
    responses(
        (status = 200, body = Page<CourseSummary>),
    )
)]
#[get("/me/teaching")]
pub async fn my_teaching(
    state: web::Data<AppState>,
    user: AuthUser,
    query: Query<TeachingQuery>,
) -> ApiResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(catalog::teaching(&state, &user, query.into_inner()).await?))
}

/// Add a module (at `position`, or at the end).
#[utoipa::path(
    tag = "lms",
    security(("api_key" = ["course:update"])),
    params(("id" = Uuid, Path, description = "Course id")),
    request_body = CreateModuleRequest,
    responses(
        (status = 201, body = ModuleResponse),
    )
)]
#[post("/courses/{id}/modules")]
pub async fn create_module(
    state: web::Data<AppState>,
    user: AuthUser,
    client: ClientInfo,
    id: web::Path<Uuid>,
    body: Json<CreateModuleRequest>,
) -> ApiResult<HttpResponse> {
    Ok(HttpResponse::Created().json(
        structure::create_module(&state, &user, &client, id.into_inner(), body.into_inner())
            .await?,
    ))
}

/// Set the order of all the course's modules in one call.
#[utoipa::path(
    tag = "lms",
    security(("api_key" = ["course:update"])),
    params(("id" = Uuid, Path, description = "Course id")),
    request_body = ReorderRequest,
    responses(
        (status = 200, body = Vec<ModuleResponse>),
        (status = 422, description = "`invalid_order`"),
    )
)]
#[post("/courses/{id}/modules/reorder")]
pub async fn reorder_modules(
    state: web::Data<AppState>,
    user: AuthUser,
    client: ClientInfo,
    id: web::Path<Uuid>,
    body: Json<ReorderRequest>,
) -> ApiResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(
        structure::reorder_modules(&state, &user, &client, id.into_inner(), body.into_inner())
            .await?,
    ))
}

/// Rename or move a module.
#[utoipa::path(
    tag = "lms",
    security(("api_key" = ["course:update"])),
    params(("id" = Uuid, Path, description = "Module id")),
    request_body = UpdateModuleRequest,
    responses(
        (status = 200, body = ModuleResponse),
    )
)]
#[patch("/modules/{id}")]
pub async fn update_module(
    state: web::Data<AppState>,
    user: AuthUser,
    client: ClientInfo,
    id: web::Path<Uuid>,
    body: Json<UpdateModuleRequest>,
) -> ApiResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(
        structure::update_module(&state, &user, &client, id.into_inner(), body.into_inner())
            .await?,
    ))
}

/// Delete a module and its lessons; the others close up.
#[utoipa::path(
    tag = "lms",
    security(("api_key" = ["course:update"])),
    params(("id" = Uuid, Path, description = "Module id")),
    responses(
        (status = 204, description = "Done"),
    )
)]
#[delete("/modules/{id}")]
pub async fn delete_module(
    state: web::Data<AppState>,
    user: AuthUser,
    client: ClientInfo,
    id: web::Path<Uuid>,
) -> ApiResult<HttpResponse> {
    structure::delete_module(&state, &user, &client, id.into_inner()).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Add a lesson to a module.
#[utoipa::path(
    tag = "lms",
    security(("api_key" = ["course:update"])),
    params(("id" = Uuid, Path, description = "Module id")),
    request_body = CreateLessonRequest,
    responses(
        (status = 201, body = LessonResponse),
    )
)]
#[post("/modules/{id}/lessons")]
pub async fn create_lesson(
    state: web::Data<AppState>,
    user: AuthUser,
    client: ClientInfo,
    id: web::Path<Uuid>,
    body: Json<CreateLessonRequest>,
) -> ApiResult<HttpResponse> {
    Ok(HttpResponse::Created().json(
        structure::create_lesson(&state, &user, &client, id.into_inner(), body.into_inner())
            .await?,
    ))
}

/// Set the order of all the module's lessons in one call.
#[utoipa::path(
    tag = "lms",
    security(("api_key" = ["course:update"])),
    params(("id" = Uuid, Path, description = "Module id")),
    request_body = ReorderRequest,
    responses(
        (status = 200, body = ModuleResponse),
        (status = 422, description = "`invalid_order`"),
    )
)]
#[post("/modules/{id}/lessons/reorder")]
pub async fn reorder_lessons(
    state: web::Data<AppState>,
    user: AuthUser,
    client: ClientInfo,
    id: web::Path<Uuid>,
    body: Json<ReorderRequest>,
) -> ApiResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(
        structure::reorder_lessons(&state, &user, &client, id.into_inner(), body.into_inner())
            .await?,
    ))
}

/// A lesson with its content: for enrolled learners and staff; previews for anyone.
#[utoipa::path(
    tag = "lms",
    security((), ("api_key" = ["course:read"])),
    params(("id" = Uuid, Path, description = "Lesson id")),
    responses(
        (status = 200, body = LessonResponse),
        (status = 403, description = "`enrollment_required`"),
    )
)]
#[get("/lessons/{id}")]
pub async fn get_lesson(
    state: web::Data<AppState>,
    user: MaybeAuthUser,
    id: web::Path<Uuid>,
) -> ApiResult<HttpResponse> {
    Ok(
        HttpResponse::Ok()
            .json(structure::get_lesson(&state, user.actor(), id.into_inner()).await?),
    )
}

/// Edit or move a lesson.
#[utoipa::path(
    tag = "lms",
    security(("api_key" = ["course:update"])),
    params(("id" = Uuid, Path, description = "Lesson id")),
    request_body = UpdateLessonRequest,
    responses(
        (status = 200, body = LessonResponse),
    )
)]
#[patch("/lessons/{id}")]
pub async fn update_lesson(
    state: web::Data<AppState>,
    user: AuthUser,
    client: ClientInfo,
    id: web::Path<Uuid>,
    body: Json<UpdateLessonRequest>,
) -> ApiResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(
        structure::update_lesson(&state, &user, &client, id.into_inner(), body.into_inner())
            .await?,
    ))
}

/// Delete a lesson; the others close up.
#[utoipa::path(
    tag = "lms",
    security(("api_key" = ["course:update"])),
    params(("id" = Uuid, Path, description = "Lesson id")),
    responses(
        (status = 204, description = "Done"),
    )
)]
#[delete("/lessons/{id}")]
pub async fn delete_lesson(
    state: web::Data<AppState>,
    user: AuthUser,
    client: ClientInfo,
    id: web::Path<Uuid>,
) -> ApiResult<HttpResponse> {
    structure::delete_lesson(&state, &user, &client, id.into_inner()).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Enroll in a published course. Paid courses are charged to your wallet in their currency, in the same transaction.
#[utoipa::path(
    tag = "lms",
    security(("api_key" = ["course:enroll"])),
    params(("id" = Uuid, Path, description = "Course id"), ("Idempotency-Key" = Option<String>, Header, description = "Makes a retry safe: the same key answers with the first result")),
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
        .json(learning::enroll(&state, &user, &client, id.into_inner(), key).await?))
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
    Ok(HttpResponse::Ok().json(learning::my_enrollments(&state, &user, query.into_inner()).await?))
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
        .json(learning::drop_enrollment(&state, &user, &client, id.into_inner()).await?))
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
        learning::record_progress(&state, &user, &client, id.into_inner(), body.into_inner())
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
    Ok(HttpResponse::Ok().json(learning::course_progress(&state, &user, id.into_inner()).await?))
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
    let body: BookmarkRequest = if body.iter().all(u8::is_ascii_whitespace) {
        BookmarkRequest::default()
    } else {
        crate::http::extract::parse_json(&body)?
    };
    Ok(
        HttpResponse::Ok()
            .json(learning::put_bookmark(&state, &user, id.into_inner(), body).await?),
    )
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
    learning::delete_bookmark(&state, &user, id.into_inner()).await?;
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
    Ok(HttpResponse::Ok().json(learning::my_bookmarks(&state, &user).await?))
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
