//! Cross-cutting web pieces: errors as problem+json, extractors, the request middleware and
//! metrics.

pub mod error;
pub mod extract;
pub mod metrics;
pub mod middleware;
pub mod request_id;
