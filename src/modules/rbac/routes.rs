//! Handlers of the RBAC routes.

use actix_web::{HttpResponse, delete, get, post, web};
use uuid::Uuid;

use super::dto::{
    AssignmentResponse, CreateAssignmentRequest, CreateRoleRequest, EffectivePermission,
    ListAssignmentsQuery, PermissionResponse, RoleResponse, UserPermissionsResponse,
};
use super::service;
use crate::http::ApiResult;
use crate::http::auth::{AuthUser, ClientInfo};
use crate::http::extract::{Json, Query};
use crate::state::AppState;
use kernel::AppError;
use kernel::Scope;

/// Every permission key.
#[utoipa::path(
    tag = "rbac",
    security(("api_key" = ["role:read"])),
    responses(
        (status = 200, body = Vec<PermissionResponse>),
    )
)]
#[get("/rbac/permissions")]
pub async fn list_permissions(
    state: web::Data<AppState>,
    _user: AuthUser,
) -> ApiResult<web::Json<Vec<PermissionResponse>>> {
    Ok(web::Json(service::list_permissions(&state.db).await?))
}

/// Every role, with its parent and the permissions it adds.
#[utoipa::path(
    tag = "rbac",
    security(("api_key" = ["role:read"])),
    responses(
        (status = 200, body = Vec<RoleResponse>),
    )
)]
#[get("/rbac/roles")]
pub async fn list_roles(
    state: web::Data<AppState>,
    _user: AuthUser,
) -> ApiResult<web::Json<Vec<RoleResponse>>> {
    Ok(web::Json(service::list_roles(&state.db).await?))
}

/// Create a custom role (permission `role:manage`, global).
#[utoipa::path(
    tag = "rbac",
    security(("api_key" = ["role:manage"])),
    request_body = CreateRoleRequest,
    responses(
        (status = 201, body = RoleResponse),
        (status = 403, description = "`forbidden`"),
        (status = 409, description = "`role_exists`"),
        (status = 422, description = "`validation_failed`"),
    )
)]
#[post("/rbac/roles")]
pub async fn create_role(
    state: web::Data<AppState>,
    user: AuthUser,
    client: ClientInfo,
    body: Json<CreateRoleRequest>,
) -> ApiResult<HttpResponse> {
    let role = service::create_role(&state, &user, &client, body.into_inner()).await?;
    Ok(HttpResponse::Created().json(role))
}

/// List grants: your own (`user_id` = you) freely, others' with `role:read` in the scope.
#[utoipa::path(
    tag = "rbac",
    security(("api_key" = ["role:read"])),
    params(ListAssignmentsQuery),
    responses(
        (status = 200, body = Vec<AssignmentResponse>),
    )
)]
#[get("/rbac/assignments")]
pub async fn list_assignments(
    state: web::Data<AppState>,
    user: AuthUser,
    query: Query<ListAssignmentsQuery>,
) -> ApiResult<web::Json<Vec<AssignmentResponse>>> {
    Ok(web::Json(
        service::list_assignments(&state, &user, query.into_inner()).await?,
    ))
}

/// Grant a role or a permission to a user in a scope, optionally until `expires_at`.
/// Needs `role:assign` in that scope; granting what you do not hold yourself, or
/// `super_admin`, needs `role:assign` globally (`escalation_refused`).
#[utoipa::path(
    tag = "rbac",
    security(("api_key" = ["role:assign"])),
    request_body = CreateAssignmentRequest,
    responses(
        (status = 201, body = AssignmentResponse),
        (status = 403, description = "`forbidden`, `escalation_refused`"),
        (status = 409, description = "`assignment_exists`"),
        (status = 422, description = "`validation_failed`"),
    )
)]
#[post("/rbac/assignments")]
pub async fn create_assignment(
    state: web::Data<AppState>,
    user: AuthUser,
    client: ClientInfo,
    body: Json<CreateAssignmentRequest>,
) -> ApiResult<HttpResponse> {
    let a = service::create_assignment(&state, &user, &client, body.into_inner()).await?;
    Ok(HttpResponse::Created().json(a))
}

/// Revoke a grant (needs `role:assign` in its scope).
#[utoipa::path(
    tag = "rbac",
    security(("api_key" = ["role:assign"])),
    params(("id" = Uuid, Path, description = "Assignment id")),
    responses(
        (status = 204, description = "Revoked"),
    )
)]
#[delete("/rbac/assignments/{id}")]
pub async fn delete_assignment(
    state: web::Data<AppState>,
    user: AuthUser,
    client: ClientInfo,
    id: web::Path<Uuid>,
) -> ApiResult<HttpResponse> {
    service::delete_assignment(&state, &user, &client, id.into_inner()).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// A user's effective permissions, with scopes and where each comes from. Yours freely;
/// others' with `user:read` or `role:read` globally.
#[utoipa::path(
    tag = "rbac",
    security(("api_key" = ["role:read"])),
    params(("id" = Uuid, Path, description = "User id")),
    responses(
        (status = 200, body = UserPermissionsResponse),
    )
)]
#[get("/users/{id}/permissions")]
pub async fn get_user_permissions(
    state: web::Data<AppState>,
    user: AuthUser,
    id: web::Path<Uuid>,
) -> ApiResult<web::Json<UserPermissionsResponse>> {
    let id = id.into_inner();
    if id != user.id
        && !crate::authz::allowed(&state, &user, "user:read", Scope::Global).await?
        && !crate::authz::allowed(&state, &user, "role:read", Scope::Global).await?
    {
        return Err(AppError::not_found("user").into());
    }
    let set = service::load_grants(&state.db, id).await?;
    let mut permissions: Vec<EffectivePermission> = set
        .grants
        .into_iter()
        .map(|g| {
            let (scope_type, scope_id) = g.scope.parts();
            EffectivePermission {
                permission: g.permission,
                scope_type,
                scope_id,
                source: g.source,
                expires_at: g.expires_at,
            }
        })
        .collect();
    permissions.sort_by(|a, b| {
        a.permission
            .cmp(&b.permission)
            .then(a.source.cmp(&b.source))
    });
    Ok(web::Json(UserPermissionsResponse {
        user_id: id,
        permissions,
    }))
}
