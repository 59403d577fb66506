//! Handlers of the audit routes.

use actix_web::{get, web};

use super::dto::{AuditPage, ListAuditLogsQuery, VerifyResponse};
use super::service;
use crate::http::ApiResult;
use crate::http::auth::AuthUser;
use crate::http::extract::Query;
use crate::modules::rbac::Scope;
use crate::state::AppState;

/// The audit trail, newest first, with filters and a keyset cursor (permission `audit:read`).
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

/// Walk the hash chain and report the first broken link (permission `audit:read`).
#[utoipa::path(
    tag = "audit",
    security(("api_key" = ["audit:read"])),
    responses(
        (status = 200, body = VerifyResponse),
    )
)]
#[get("/audit/verify")]
pub async fn verify_audit_chain(
    state: web::Data<AppState>,
    user: AuthUser,
) -> ApiResult<web::Json<VerifyResponse>> {
    crate::authz::require(&state, &user, "audit:read", Scope::Global).await?;
    Ok(web::Json(service::verify(&state.db).await?))
}
