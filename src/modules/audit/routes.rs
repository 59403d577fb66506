//! Handlers of the audit routes.

use actix_web::{get, web};
use kernel::Scope;

use super::dto::{
    AuditPage, CheckpointPage, ListAuditLogsQuery, ListCheckpointsQuery, VerifyQuery,
    VerifyResponse,
};
use super::service;
use crate::http::ApiResult;
use crate::http::auth::AuthUser;
use crate::http::extract::Query;
use crate::state::AppState;

/// The audit trail, newest first, with filters and a keyset cursor (permission `audit:read`).
/// Records not sealed into the chain yet are listed with `sealed: false`.
#[utoipa::path(
    tag = "audit",
    security(("api_key" = ["audit:read"])),
    params(ListAuditLogsQuery),
    responses(
        (status = 200, body = AuditPage),
        (status = 422, description = "bad `limit` or `cursor`"),
    )
)]
#[get("/audit/logs")]
pub async fn list_audit_logs(
    state: web::Data<AppState>,
    user: AuthUser,
    query: Query<ListAuditLogsQuery>,
) -> ApiResult<web::Json<AuditPage>> {
    crate::authz::require(&state, &user, "audit:read", Scope::Global).await?;
    Ok(web::Json(
        service::list(&state.db, query.into_inner()).await?,
    ))
}

/// Walk the hash chain, check every signed checkpoint against it, and report the first broken
/// link, the first checkpoint that no longer matches, and how many records wait to be sealed
/// (permission `audit:read`). With `from_checkpoint`, prove the log only grew since that
/// checkpoint: the walk starts at its position and head hash.
#[utoipa::path(
    tag = "audit",
    security(("api_key" = ["audit:read"])),
    params(VerifyQuery),
    responses(
        (status = 200, body = VerifyResponse),
        (status = 404, description = "`not_found`: no such checkpoint"),
    )
)]
#[get("/audit/verify")]
pub async fn verify_audit_chain(
    state: web::Data<AppState>,
    user: AuthUser,
    query: Query<VerifyQuery>,
) -> ApiResult<web::Json<VerifyResponse>> {
    crate::authz::require(&state, &user, "audit:read", Scope::Global).await?;
    Ok(web::Json(
        service::verify(&state.db, query.from_checkpoint).await?,
    ))
}

/// Signed checkpoints of the chain's head, newest first (permission `audit:read`). Keep one:
/// `GET /audit/verify?from_checkpoint={id}` later proves the log only grew since.
#[utoipa::path(
    tag = "audit",
    security(("api_key" = ["audit:read"])),
    params(ListCheckpointsQuery),
    responses(
        (status = 200, body = CheckpointPage),
    )
)]
#[get("/audit/checkpoints")]
pub async fn list_audit_checkpoints(
    state: web::Data<AppState>,
    user: AuthUser,
    query: Query<ListCheckpointsQuery>,
) -> ApiResult<web::Json<CheckpointPage>> {
    crate::authz::require(&state, &user, "audit:read", Scope::Global).await?;
    Ok(web::Json(
        service::checkpoints(&state.db, query.into_inner()).await?,
    ))
}
