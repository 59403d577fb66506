//! Handlers of the moderation queue.

use actix_web::{get, post, web};
use uuid::Uuid;

use super::{FlagPage, FlagQuery, FlagResponse, ResolveRequest};
use crate::http::ApiResult;
use crate::http::auth::{AuthUser, ClientInfo};
use crate::http::extract::{Json, Query};
use crate::state::AppState;

/// The flags of one scope, oldest first: chat messages for holders of `chat:moderate` there,
/// forum posts for holders of `forum:moderate`. Without `scope_type`, the platform-wide flags.
#[utoipa::path(
    tag = "moderation",
    security(("api_key" = ["chat:moderate"]), ("api_key" = ["forum:moderate"])),
    params(FlagQuery),
    responses((status = 200, body = FlagPage))
)]
#[get("/moderation/flags")]
pub async fn list_flags(
    state: web::Data<AppState>,
    user: AuthUser,
    query: Query<FlagQuery>,
) -> ApiResult<web::Json<FlagPage>> {
    Ok(web::Json(
        super::list(&state, &user, query.into_inner()).await?,
    ))
}

/// Resolve a flag (hide, delete or dismiss, with a note); closes every open flag on the same
/// content. Moderators of the flag's scope only (others get 404).
#[utoipa::path(
    tag = "moderation",
    security(("api_key" = ["chat:moderate"]), ("api_key" = ["forum:moderate"])),
    params(("id" = Uuid, Path, description = "Flag id")),
    request_body = ResolveRequest,
    responses(
        (status = 200, body = FlagResponse),
        (status = 409, description = "`flag_resolved`"),
    )
)]
#[post("/moderation/flags/{id}/resolve")]
pub async fn resolve_flag(
    state: web::Data<AppState>,
    user: AuthUser,
    client: ClientInfo,
    id: web::Path<Uuid>,
    body: Json<ResolveRequest>,
) -> ApiResult<web::Json<FlagResponse>> {
    Ok(web::Json(
        super::resolve(&state, &user, &client, id.into_inner(), body.into_inner()).await?,
    ))
}
