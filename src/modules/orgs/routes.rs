//! Handlers of the organization routes.

use actix_web::{HttpResponse, delete, get, patch, post, web};
use uuid::Uuid;

use super::dto::{
    AddMemberRequest, CreateOrganizationRequest, ListOrganizationsQuery, MemberResponse,
    OrganizationResponse, UpdateOrganizationRequest,
};
use super::service;
use crate::http::ApiResult;
use crate::http::auth::{AuthUser, ClientInfo};
use crate::http::extract::{Json, Query};
use crate::state::AppState;
use kernel::pagination::Page;

/// Organizations (public), by name, with paging.
#[utoipa::path(
    tag = "orgs",
    params(ListOrganizationsQuery),
    responses(
        (status = 200, body = Page<OrganizationResponse>),
    )
)]
#[get("/organizations")]
pub async fn list_organizations(
    state: web::Data<AppState>,
    query: Query<ListOrganizationsQuery>,
) -> ApiResult<web::Json<Page<OrganizationResponse>>> {
    Ok(web::Json(
        service::list(&state.db, query.into_inner()).await?,
    ))
}

/// Create an organization; you become its owner and `org_admin` there.
#[utoipa::path(
    tag = "orgs",
    security(("api_key" = ["org:create"])),
    request_body = CreateOrganizationRequest,
    responses(
        (status = 201, body = OrganizationResponse),
        (status = 409, description = "`slug_taken`"),
    )
)]
#[post("/organizations")]
pub async fn create_organization(
    state: web::Data<AppState>,
    user: AuthUser,
    client: ClientInfo,
    body: Json<CreateOrganizationRequest>,
) -> ApiResult<HttpResponse> {
    let org = service::create(&state, &user, &client, body.into_inner()).await?;
    Ok(HttpResponse::Created().json(org))
}

/// One organization (public).
#[utoipa::path(
    tag = "orgs",
    params(("id" = Uuid, Path, description = "Organization id")),
    responses(
        (status = 200, body = OrganizationResponse),
    )
)]
#[get("/organizations/{id}")]
pub async fn get_organization(
    state: web::Data<AppState>,
    id: web::Path<Uuid>,
) -> ApiResult<web::Json<OrganizationResponse>> {
    Ok(web::Json(service::find(&state.db, id.into_inner()).await?))
}

/// Update an organization (permission `org:manage` there).
#[utoipa::path(
    tag = "orgs",
    security(("api_key" = ["org:manage"])),
    params(("id" = Uuid, Path, description = "Organization id")),
    request_body = UpdateOrganizationRequest,
    responses(
        (status = 200, body = OrganizationResponse),
    )
)]
#[patch("/organizations/{id}")]
pub async fn update_organization(
    state: web::Data<AppState>,
    user: AuthUser,
    client: ClientInfo,
    id: web::Path<Uuid>,
    body: Json<UpdateOrganizationRequest>,
) -> ApiResult<web::Json<OrganizationResponse>> {
    Ok(web::Json(
        service::update(&state, &user, &client, id.into_inner(), body.into_inner()).await?,
    ))
}

/// Members of an organization (members, or `org:read` there).
#[utoipa::path(
    tag = "orgs",
    security(("api_key" = ["org:read"])),
    params(("id" = Uuid, Path, description = "Organization id")),
    responses(
        (status = 200, body = Vec<MemberResponse>),
    )
)]
#[get("/organizations/{id}/members")]
pub async fn list_members(
    state: web::Data<AppState>,
    user: AuthUser,
    id: web::Path<Uuid>,
) -> ApiResult<web::Json<Vec<MemberResponse>>> {
    Ok(web::Json(
        service::members(&state, &user, id.into_inner()).await?,
    ))
}

/// Add a member with a title (permission `org:manage` there); answers the member list.
#[utoipa::path(
    tag = "orgs",
    security(("api_key" = ["org:manage"])),
    params(("id" = Uuid, Path, description = "Organization id")),
    request_body = AddMemberRequest,
    responses(
        (status = 201, body = Vec<MemberResponse>),
        (status = 409, description = "`already_member`"),
    )
)]
#[post("/organizations/{id}/members")]
pub async fn add_member(
    state: web::Data<AppState>,
    user: AuthUser,
    client: ClientInfo,
    id: web::Path<Uuid>,
    body: Json<AddMemberRequest>,
) -> ApiResult<HttpResponse> {
    let members =
        service::add_member(&state, &user, &client, id.into_inner(), body.into_inner()).await?;
    Ok(HttpResponse::Created().json(members))
}

/// Remove a member (permission `org:manage` there); their grants in the organization end.
#[utoipa::path(
    tag = "orgs",
    security(("api_key" = ["org:manage"])),
    params(
        ("id" = Uuid, Path, description = "Organization id"),
        ("user_id" = Uuid, Path, description = "Member's user id"),
    ),
    responses(
        (status = 204, description = "Removed"),
        (status = 422, description = "`cannot_remove_owner`"),
    )
)]
#[delete("/organizations/{id}/members/{user_id}")]
pub async fn remove_member(
    state: web::Data<AppState>,
    user: AuthUser,
    client: ClientInfo,
    path: web::Path<(Uuid, Uuid)>,
) -> ApiResult<HttpResponse> {
    let (id, member) = path.into_inner();
    service::remove_member(&state, &user, &client, id, member).await?;
    Ok(HttpResponse::NoContent().finish())
}
