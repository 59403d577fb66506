//! Handlers of the catalog: categories, tags, courses, their workflow, team and prerequisites.

use actix_web::{HttpResponse, delete, get, patch, post, web};
use uuid::Uuid;

use crate::http::ApiResult;
use crate::http::auth::{AuthUser, ClientInfo, MaybeAuthUser};
use crate::http::extract::{Json, Query};
use crate::modules::lms::courses::Transition;
use crate::modules::lms::dto::*;
use crate::modules::lms::{catalog, categories, courses, instructors, prerequisites};
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
    Ok(HttpResponse::Ok().json(categories::category_tree(&state.db).await?))
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
        .json(categories::create_category(&state, &user, &client, body.into_inner()).await?))
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
        categories::update_category(&state, &user, &client, id.into_inner(), body.into_inner())
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
    Ok(HttpResponse::Ok().json(categories::list_tags(&state.db).await?))
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
        .json(courses::create_course(&state, &user, &client, body.into_inner()).await?))
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
        courses::update_course(&state, &user, &client, id.into_inner(), body.into_inner()).await?,
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
    courses::delete_course(&state, &user, &client, id.into_inner()).await?;
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
    Ok(HttpResponse::Ok().json(
        courses::transition(&state, &user, &client, id.into_inner(), Transition::Submit).await?,
    ))
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
    Ok(HttpResponse::Ok().json(
        courses::transition(&state, &user, &client, id.into_inner(), Transition::Publish).await?,
    ))
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
    Ok(HttpResponse::Ok().json(
        courses::transition(&state, &user, &client, id.into_inner(), Transition::Archive).await?,
    ))
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
        instructors::add_instructor(&state, &user, &client, id.into_inner(), body.into_inner())
            .await?,
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
    instructors::remove_instructor(&state, &user, &client, id, user_id).await?;
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
        prerequisites::add_prerequisite(&state, &user, &client, id.into_inner(), body.into_inner())
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
    prerequisites::remove_prerequisite(&state, &user, &client, id, prerequisite_id).await?;
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
