//! Feature modules. Each owns its tables, rules and routes; `configure` mounts them all.
//!
//! To add a module: create `modules/<name>/` with `mod.rs` (module doc + `routes`),
//! `routes.rs`, `service.rs`, `dto.rs`; add it below and its tag in `openapi.rs`; add its
//! migration in the `migration` crate and its entities in `entity`.

pub mod assessments;
pub mod audit;
pub mod identity;
pub mod lms;
pub mod notifications;
pub mod orgs;
pub mod rbac;
pub mod system;
pub mod wallet;

use utoipa_actix_web::scope;
use utoipa_actix_web::service_config::ServiceConfig;

/// Mounts every module: system routes at the root, the rest under `/api/v1`.
pub fn configure(cfg: &mut ServiceConfig) {
    cfg.configure(system::root_routes);
    cfg.service(
        scope("/api/v1")
            .configure(system::api_routes)
            .configure(identity::routes)
            .configure(orgs::routes)
            .configure(rbac::routes)
            .configure(audit::routes)
            .configure(wallet::routes)
            .configure(lms::routes)
            .configure(assessments::routes),
    );
}
