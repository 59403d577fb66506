//! Handlers of the key routes.

use actix_web::{HttpResponse, get, http::header, post, web};
use kernel::enums::KeyPurpose;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::service;
use crate::http::ApiResult;
use crate::http::auth::{AuthUser, ClientInfo};
use crate::http::extract::Json;
use crate::state::AppState;

/// The platform's public signing keys (JWK Set), every key ever used: the active one of each
/// purpose and the retired ones (marked with `retired_at`), so anything Azora signed verifies
/// with this document alone. Cacheable for five minutes.
#[utoipa::path(
    tag = "keys",
    responses(
        (status = 200, description = "The JWK Set", content_type = "application/jwk-set+json", body = Object),
    )
)]
#[get("/.well-known/jwks.json")]
pub async fn get_jwks(state: web::Data<AppState>) -> ApiResult<HttpResponse> {
    let keys = service::all_keys(&state.db).await?;
    Ok(HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "public, max-age=300"))
        .content_type("application/jwk-set+json")
        .json(service::jwks(&keys)))
}

/// Which keys to rotate.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RotateKeyRequest {
    pub purpose: KeyPurpose,
}

/// A key as the rotation reports it (never its private part).
#[derive(Debug, Serialize, ToSchema)]
pub struct SigningKeyResponse {
    pub kid: String,
    pub purpose: KeyPurpose,
    pub algorithm: String,
    pub not_before: chrono::DateTime<chrono::Utc>,
}

/// Rotate the signing key of a purpose: the active key is retired (it stays in the JWKS) and
/// a new one signs from now on.
#[utoipa::path(
    tag = "keys",
    security(("bearer" = [])),
    request_body = RotateKeyRequest,
    responses(
        (status = 201, body = SigningKeyResponse),
    )
)]
#[post("/keys/rotate")]
pub async fn rotate_key(
    state: web::Data<AppState>,
    user: AuthUser,
    client: ClientInfo,
    body: Json<RotateKeyRequest>,
) -> ApiResult<HttpResponse> {
    let key = service::rotate(&state, &user, &client, body.purpose).await?;
    Ok(HttpResponse::Created().json(SigningKeyResponse {
        kid: key.kid,
        purpose: key.purpose,
        algorithm: key.algorithm,
        not_before: key.not_before,
    }))
}
