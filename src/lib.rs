//! Azora: the whole education platform's back end, one actix-web service over one Postgres
//! database. `build_app` assembles the HTTP application from the modules; `startup` runs it.

pub mod authz;
pub mod config;
pub mod db;
pub mod events;
pub mod http;
pub mod markdown;
pub mod metrics;
pub mod modules;
pub mod openapi;
pub mod positions;
pub mod seed;
pub mod startup;
pub mod state;
pub mod stream;
pub mod telemetry;

use std::sync::Arc;

use actix_cors::Cors;
use actix_web::body::MessageBody;
use actix_web::dev::{ServiceFactory, ServiceRequest, ServiceResponse};
use actix_web::http::header;
use actix_web::middleware::{Compress, from_fn};
use actix_web::{App, web};
use utoipa_actix_web::AppExt;
use utoipa_swagger_ui::SwaggerUi;

use crate::config::CorsSettings;
use crate::http::extract::{RouteTable, configure_extractors, not_found_or_method};
use crate::startup::ExtraRoutes;
use crate::state::AppState;

/// Everything the app factory needs, cloned into each worker.
#[derive(Clone)]
pub struct AppParts {
    /// The shared state; each worker gets a copy with a database pool of its own.
    pub state: Arc<AppState>,
    /// Connections in each worker's pool.
    pub worker_pool_size: u32,
    pub routes: web::Data<RouteTable>,
    pub doc: Arc<utoipa::openapi::OpenApi>,
    pub extra: Option<ExtraRoutes>,
}

/// The HTTP application: middleware, modules, Swagger UI and the problem-producing fallbacks.
pub fn build_app(
    parts: AppParts,
) -> App<
    impl ServiceFactory<
        ServiceRequest,
        Config = (),
        Response = ServiceResponse<impl MessageBody>,
        Error = actix_web::Error,
        InitError = (),
    >,
> {
    let settings = parts.state.settings.clone();
    let limit = settings.server.payload_limit_bytes;
    let extra = parts.extra;
    let template = parts.state.clone();
    let pool_size = parts.worker_pool_size;
    App::new()
        // Built inside the worker's runtime, so its connections live and die with that runtime:
        // no worker ever uses a socket whose runtime has already stopped (graceful shutdown).
        .data_factory(move || {
            let template = template.clone();
            async move {
                let mut state = (*template).clone();
                state.db = db::worker_pool(&state.settings.database, pool_size);
                Ok::<_, std::convert::Infallible>(state)
            }
        })
        .app_data(parts.routes)
        .configure(|cfg| configure_extractors(cfg, limit))
        .wrap(from_fn(crate::http::auth::authenticate))
        .wrap(Compress::default())
        .wrap(cors(&settings.cors))
        .wrap(from_fn(crate::http::middleware::observe))
        .into_utoipa_app()
        .configure(modules::configure)
        .into_app()
        .configure(|cfg| {
            if let Some(extra) = extra {
                extra(cfg);
            }
        })
        .service(web::redirect("/docs", "/docs/"))
        .service(SwaggerUi::new("/docs/{_:.*}").url("/api-docs/openapi.json", (*parts.doc).clone()))
        .default_service(web::to(not_found_or_method))
}

fn cors(cfg: &CorsSettings) -> Cors {
    let mut cors = Cors::default()
        .allowed_methods(["GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"])
        .allowed_headers([
            header::AUTHORIZATION,
            header::CONTENT_TYPE,
            header::ACCEPT,
            header::HeaderName::from_static("x-request-id"),
            header::HeaderName::from_static("x-api-key"),
            header::HeaderName::from_static("idempotency-key"),
        ])
        .expose_headers([
            header::HeaderName::from_static("x-request-id"),
            header::RETRY_AFTER,
            header::LOCATION,
        ])
        .max_age(cfg.max_age_secs);
    if cfg.allowed_origins.iter().any(|o| o == "*") {
        cors = cors.allow_any_origin();
    } else {
        for origin in &cfg.allowed_origins {
            cors = cors.allowed_origin(origin);
        }
    }
    cors
}
