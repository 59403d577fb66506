//! Probe routes mounted only by the test harness, beside the real modules and behind the same
//! middleware and extractor configuration: they exercise the framework errors (bodies, paths,
//! queries, slow requests, hidden 500s) without depending on any feature module.

use actix_web::{HttpResponse, web};
use azora::http::ApiResult;
use azora::http::extract::Json;
use kernel::AppError;
use serde::{Deserialize, Serialize};

#[derive(Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ProbeBody {
    pub name: String,
    pub qty: u32,
    #[serde(default)]
    pub tags: Vec<String>,
}

#[derive(Debug, Deserialize)]
pub struct ProbeQuery {
    pub limit: Option<u32>,
}

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/__probe/items/{id}", web::post().to(create_item))
        .route("/__probe/slow", web::get().to(slow))
        .route("/__probe/boom", web::get().to(boom));
}

async fn create_item(
    id: web::Path<uuid::Uuid>,
    query: web::Query<ProbeQuery>,
    body: Json<ProbeBody>,
) -> HttpResponse {
    HttpResponse::Created().json(serde_json::json!({
        "id": id.into_inner(),
        "limit": query.limit,
        "body": body.into_inner(),
    }))
}

#[derive(Debug, Deserialize)]
pub struct SlowQuery {
    pub ms: u64,
}

async fn slow(q: web::Query<SlowQuery>) -> HttpResponse {
    tokio::time::sleep(std::time::Duration::from_millis(q.ms)).await;
    HttpResponse::Ok().json(serde_json::json!({ "slept_ms": q.ms }))
}

async fn boom() -> ApiResult<HttpResponse> {
    Err(AppError::internal(anyhow::anyhow!(
        "connection string postgres://secret@db/azora leaked"
    ))
    .into())
}
