//! Handlers of course structure: modules and lessons.

use actix_web::{HttpResponse, delete, get, patch, post, web};
use uuid::Uuid;

use crate::http::ApiResult;
use crate::http::auth::{AuthUser, ClientInfo, MaybeAuthUser};
use crate::http::extract::Json;
use crate::modules::lms::dto::*;
use crate::modules::lms::structure;
use crate::state::AppState;

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
