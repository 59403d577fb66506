//! `audit`: the append-only, tamper-evident audit trail.
//!
//! Owns `audit_logs` and `audit_checkpoints`. Every state-changing or security-relevant action
//! writes one record with [`record`], inside the transaction of the change itself (a failure
//! that must still be recorded, such as a wrong password, commits its own small transaction).
//! Appending takes no lock: the record has no chain position yet. The [`Sealer`] (one per
//! database, elected by an advisory lock) links committed records into the chain,
//! `hash = sha256(prev_hash || canonical content)`, and signs a checkpoint of the head every
//! `audit.checkpoint_interval_secs` with the platform's `audit` key. Triggers refuse UPDATE
//! and DELETE, except the sealer's one-time fill of the chain columns. `GET /audit/verify`
//! walks the chain, checks the checkpoints, and reports the first broken link. Details never
//! hold secrets or password material.

mod chain;
mod dto;
mod routes;
mod sealer;
mod service;

pub use sealer::Sealer;
pub use service::{AuditEvent, record, seal_pass};

use utoipa_actix_web::service_config::ServiceConfig;

pub fn routes(cfg: &mut ServiceConfig) {
    cfg.service(routes::list_audit_logs)
        .service(routes::verify_audit_chain)
        .service(routes::list_audit_checkpoints);
}
