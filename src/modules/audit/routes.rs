//! Handlers of the audit routes.

use actix_web::{get, web};

use super::dto::{AuditPage, ListAuditLogsQuery, VerifyResponse};
use super::service;
use crate::http::auth::AuthUser;
use crate::http::{ApiResult, Problem};
use crate::modules::rbac::Scope;
use crate::state::AppState;

/// The audit trail, newest first, with filters and a keyset cursor (permission `audit:read`).
#[utoipa::path(
    tag = "audit",
    security(("bearer" = []), ("api_key" = [])),
    params(ListAuditLogsQuery),
    responses(
        (status = 200, body = AuditPage),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "bad `limit` or `cursor`", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/audit/logs")]
pub async fn list_audit_logs(
    state: web::Data<AppState>,
    user: AuthUser,
    query: web::Query<ListAuditLogsQuery>,
) -> ApiResult<web::Json<AuditPage>> {
    crate::authz::require(&state, &user, "audit:read", Scope::Global).await?;
    Ok(web::Json(
        service::list(&state.db, query.into_inner()).await?,
    ))
}

/// Walk the hash chain and report the first broken link (permission `audit:read`).
#[utoipa::path(
    tag = "audit",
    security(("bearer" = []), ("api_key" = [])),
    responses(
        (status = 200, body = VerifyResponse),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
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
