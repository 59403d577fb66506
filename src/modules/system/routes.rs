//! Handlers of the system routes.

use actix_web::{HttpResponse, get, web};

use super::dto::{LiveResponse, ReadyResponse, SystemInfoResponse};
use super::service;
use crate::http::ApiResult;
use crate::state::AppState;
use kernel::{AppError, ErrorCode};

/// Liveness probe: answers while the process runs, whatever the database does.
#[utoipa::path(
    tag = "system",
    responses((status = 200, description = "The process is up", body = LiveResponse))
)]
#[get("/health/live")]
pub async fn health_live(state: web::Data<AppState>) -> web::Json<LiveResponse> {
    web::Json(LiveResponse {
        status: "live",
        uptime_secs: state.started_at.elapsed().as_secs(),
    })
}

/// Readiness probe: one `SELECT 1` through the pool, and the migrations current at start-up.
#[utoipa::path(
    tag = "system",
    responses(
        (status = 200, description = "Ready to serve", body = ReadyResponse),
        (status = 503, description = "Database unreachable (`database_unavailable`) or migrations pending (`migrations_pending`)"),
    )
)]
#[get("/health/ready")]
pub async fn health_ready(state: web::Data<AppState>) -> ApiResult<web::Json<ReadyResponse>> {
    service::ping(&state.db).await?;
    if !state.migrations_current {
        return Err(AppError::new(
            ErrorCode::MigrationsPending,
            "the database schema is behind this server; run `azora migrate up`",
        )
        .into());
    }
    Ok(web::Json(ReadyResponse {
        status: "ready",
        database: "up",
        migrations: "current",
    }))
}

/// Prometheus metrics: request counts and latency histograms per route and status, and
/// database pool gauges.
#[utoipa::path(
    tag = "system",
    responses((status = 200, description = "Prometheus text exposition format", body = String,
        content_type = "text/plain; version=0.0.4"))
)]
#[get("/metrics")]
pub async fn metrics(state: web::Data<AppState>) -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/plain; version=0.0.4; charset=utf-8")
        .body(state.metrics.render(&state.db))
}

/// Public information about this deployment: name, version and public settings.
#[utoipa::path(
    tag = "system",
    responses(
        (status = 200, description = "Deployment information", body = SystemInfoResponse),
        (status = 503, description = "Database unreachable"),
    )
)]
#[get("/system/info")]
pub async fn get_system_info(
    state: web::Data<AppState>,
) -> ApiResult<web::Json<SystemInfoResponse>> {
    let settings = service::public_settings(&state.db).await?;
    let schema_version = service::schema_version(&state.db).await?;
    let name = settings
        .get("platform.name")
        .and_then(|v| v.as_str())
        .unwrap_or("Azora")
        .to_owned();
    Ok(web::Json(SystemInfoResponse {
        name,
        version: env!("CARGO_PKG_VERSION").to_owned(),
        environment: state.settings.environment.clone(),
        schema_version,
        settings,
    }))
}
