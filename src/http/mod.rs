//! Cross-cutting web pieces: errors as problem+json, extractors, the request middleware and
//! metrics.

pub mod auth;
pub mod error;
pub mod extract;
pub mod idempotency;
pub mod metrics;
pub mod middleware;
pub mod pagination;
pub mod rate_limit;
pub mod request_id;
pub mod validate;
