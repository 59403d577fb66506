//! `system`: liveness, readiness, Prometheus metrics and public platform information.
//!
//! Owns `platform_settings` (operator-editable key/value settings; only rows marked public are
//! shown to clients). Readiness is one `SELECT 1` through the pool plus the migration state
//! found at start-up; it never writes. The demo settings of `azora seed` are added by
//! [`seed_demo`].

mod dto;
mod routes;
mod seed;
mod service;

pub use seed::seed_demo;

use utoipa_actix_web::service_config::ServiceConfig;

/// Routes without the `/api/v1` prefix: `/health/*`, `/metrics`.
pub fn root_routes(cfg: &mut ServiceConfig) {
    cfg.service(routes::health_live)
        .service(routes::health_ready)
        .service(routes::metrics);
}

/// Routes under `/api/v1`.
pub fn api_routes(cfg: &mut ServiceConfig) {
    cfg.service(routes::get_system_info);
}
