//! Feature modules. Each owns its tables, rules and routes; `configure` mounts them all.
//!
//! To add a module: create `modules/<name>/` with `mod.rs` (module doc + `routes`),
//! `routes.rs`, `service.rs`, `dto.rs`; add it below and its tag in `openapi.rs`; add its
//! migration in the `migration` crate and its entities in `entity`.

pub mod assessments;
pub mod audit;
pub mod certificates;
pub mod chat;
pub mod forums;
pub mod identity;
pub mod keys;
pub mod lms;
pub mod moderation;
pub mod notifications;
pub mod orgs;
pub mod rbac;
pub mod realtime;
pub mod system;
pub mod wallet;

use kernel::event::EventKind;
use utoipa_actix_web::scope;
use utoipa_actix_web::service_config::ServiceConfig;

use crate::state::Hooks;

/// How the modules plug into the platform: who authenticates, who loads grants and resolves
/// scopes, and who subscribes to which domain event.
pub fn hooks() -> Hooks {
    Hooks {
        authenticate: identity::authenticate,
        load_grants: rbac::load_grants,
        resolve_scope: lms::resolve_scope,
        sign: keys::sign,
        completion_blocked: assessments::completion_blocked_hook,
        subscribers: vec![
            (EventKind::UserRegistered, rbac::on_user_registered),
            (
                EventKind::CourseCompleted,
                notifications::on_course_completed,
            ),
            (
                EventKind::CourseCompleted,
                certificates::on_course_completed,
            ),
            (EventKind::PathCompleted, certificates::on_path_completed),
            (
                EventKind::AssessmentPassed,
                certificates::on_assessment_passed,
            ),
            (EventKind::Enrolled, chat::on_membership_change),
            (EventKind::EnrollmentDropped, chat::on_membership_change),
            (EventKind::OrganizationJoined, chat::on_membership_change),
            (EventKind::OrganizationLeft, chat::on_membership_change),
        ],
        moderate: vec![
            (kernel::enums::FlagTarget::ChatMessage, chat::moderate),
            (kernel::enums::FlagTarget::ForumPost, forums::moderate),
        ],
    }
}

/// Mounts every module: system routes at the root, the rest under `/api/v1`.
pub fn configure(cfg: &mut ServiceConfig) {
    cfg.configure(system::root_routes);
    cfg.configure(keys::root_routes);
    cfg.configure(certificates::root_routes);
    cfg.service(
        scope("/api/v1")
            .configure(system::api_routes)
            .configure(identity::routes)
            .configure(orgs::routes)
            .configure(rbac::routes)
            .configure(audit::routes)
            .configure(keys::routes)
            .configure(wallet::routes)
            .configure(lms::routes)
            .configure(assessments::routes)
            .configure(certificates::routes)
            .configure(realtime::routes)
            .configure(chat::routes)
            .configure(forums::routes)
            .configure(moderation::routes),
    );
}
