//! `rbac`: permissions (`resource:action`), hierarchical roles, scoped and expiring
//! assignments, and the one authorization call every module uses:
//! `crate::authz::require(&state, &user, "course:publish", Scope::Course { .. }).await?`.
//!
//! Owns `permissions`, `roles`, `role_permissions`, `role_assignments`. Rules: a role inherits
//! its parent's permissions; a global grant covers every organization and course, an
//! organization grant covers that organization's courses; expired grants stop at once; grants
//! are loaded once per request and cached on the `Actor`. Granting what you do not hold
//! yourself, or `super_admin`, needs `role:assign` globally.

mod dto;
mod routes;
mod service;

pub use kernel::{GrantSet, Scope, ScopeType};
pub use service::{assign_role, load_grants, on_user_registered, revoke_scope_grants};

use utoipa_actix_web::service_config::ServiceConfig;

pub fn routes(cfg: &mut ServiceConfig) {
    cfg.service(routes::list_permissions)
        .service(routes::list_roles)
        .service(routes::create_role)
        .service(routes::list_assignments)
        .service(routes::create_assignment)
        .service(routes::delete_assignment)
        .service(routes::get_user_permissions);
}
