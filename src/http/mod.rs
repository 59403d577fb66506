//! The web layer: errors as problem+json, extractors (the caller, the body, the client), the
//! request middleware, `Idempotency-Key` headers and field rules. It names no feature module:
//! modules reach it only from their `routes.rs`, and it reaches them only through the hooks
//! in `AppState`.

pub mod auth;
pub mod docs;
pub mod error;
pub mod extract;
pub mod idempotency;
pub mod middleware;
pub mod request_id;
pub mod wire;

pub use error::{ApiError, ApiResult, PROBLEM_JSON, Problem};

/// Name of the bearer-token security scheme, for `security(...)` on handlers.
pub const BEARER: &str = "bearer";
/// Name of the API-key security scheme. Its scopes in an operation's `security` are the
/// permissions an API key needs for that operation.
pub const API_KEY: &str = "api_key";
