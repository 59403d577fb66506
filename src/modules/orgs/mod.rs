//! `orgs`: schools and companies, and who belongs to them.
//!
//! Owns `organizations` and `organization_members`. Rules: the creator becomes the owner (a
//! member, and `org_admin` scoped to the organization); managing needs `org:manage` in the
//! organization's scope; seeing members needs membership or `org:read` there; the owner
//! cannot be removed; removing a member also ends their grants scoped to the organization.
//! Organizations themselves are public.

mod dto;
mod routes;
mod seed;
mod service;

pub use seed::seed_demo;
pub use service::{find, is_member, publishing_scope};

use utoipa_actix_web::service_config::ServiceConfig;

pub fn routes(cfg: &mut ServiceConfig) {
    cfg.service(routes::list_organizations)
        .service(routes::create_organization)
        .service(routes::get_organization)
        .service(routes::update_organization)
        .service(routes::list_members)
        .service(routes::add_member)
        .service(routes::remove_member);
}
