//! `audit`: the append-only, tamper-evident audit trail.
//!
//! Owns `audit_logs`. Every state-changing or security-relevant action writes one record with
//! [`record`], inside the transaction of the change itself (a failure that must still be
//! recorded, such as a wrong password, commits its own small transaction). Records are chained:
//! `hash = sha256(prev_hash || canonical content)`, appended under an advisory lock so the
//! chain is one line; a trigger refuses UPDATE and DELETE. `GET /audit/verify` walks the chain
//! and reports the first broken link. Details never hold secrets or password material.

mod chain;
pub mod dto;
mod routes;
mod service;

pub use service::{AuditEvent, record};

use utoipa_actix_web::service_config::ServiceConfig;

pub fn routes(cfg: &mut ServiceConfig) {
    cfg.service(routes::list_audit_logs)
        .service(routes::verify_audit_chain);
}
