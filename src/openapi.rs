//! The root of the OpenAPI document: info, security schemes, shared schemas and one tag per
//! module. Paths are not listed here: utoipa-actix-web collects them from the `.service(..)`
//! registrations, so a route cannot exist without its documentation.

use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

use kernel::FieldError;

use crate::http::Problem;
pub use crate::http::{API_KEY, BEARER};

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Azora API",
        description = "The back end of the Azora education platform: accounts, organizations, \
            courses, assessments, certificates, forums, chat, wallet, notifications and jobs. \
            Errors are RFC 9457 problem+json with a stable `code`.",
        license(name = "MIT"),
    ),
    components(schemas(
        Problem,
        FieldError,
        crate::modules::realtime::ClientMessage,
        crate::modules::realtime::ServerMessage,
    )),
    modifiers(&SecuritySchemes),
    tags(
        (name = "system", description = "Health, metrics and platform information"),
        (name = "identity", description = "Accounts, sign-in, sessions, two-factor, API keys and account administration"),
        (name = "orgs", description = "Organizations (schools and companies) and their members"),
        (name = "rbac", description = "Permissions, roles and scoped assignments"),
        (name = "audit", description = "The tamper-evident audit trail: records, signed checkpoints, verification"),
        (name = "keys", description = "The platform's signing keys: the JWKS and rotation"),
        (name = "wallet", description = "Multi-currency wallets on a double-entry ledger: transfers, staking, mint, reconciliation"),
        (name = "lms", description = "Catalog, course structure, enrollments, progress, reviews, analytics and learning paths"),
        (name = "assessments", description = "Quizzes, questions, attempts, grading and the gradebook"),
        (name = "certificates", description = "Verifiable credentials (Open Badges 3.0): certificates, badges, status lists, DID documents and verification"),
        (name = "realtime", description = "The per-user event stream: WebSocket, long polling and the snapshot to resync from"),
        (name = "chat", description = "Rooms (direct, group, course and organization channels), messages, reactions, read positions and receipts"),
        (name = "forums", description = "Course, organization and site-wide forums: threaded replies, Q&A, moderation and search"),
        (name = "moderation", description = "One queue of flags for chat messages and forum posts"),
    )
)]
pub struct ApiDoc;

struct SecuritySchemes;

impl Modify for SecuritySchemes {
    fn modify(&self, doc: &mut utoipa::openapi::OpenApi) {
        let components = doc.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            BEARER,
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("JWT")
                    .description(Some(
                        "Access token from `POST /api/v1/auth/login` (15 minutes).",
                    ))
                    .build(),
            ),
        );
        components.add_security_scheme(
            API_KEY,
            SecurityScheme::ApiKey(ApiKey::Header(ApiKeyValue::with_description(
                "X-Api-Key",
                "A personal API key from `POST /api/v1/me/api-keys`.",
            ))),
        );
    }
}

/// The whole document, built from the same registrations the server uses.
pub fn document() -> utoipa::openapi::OpenApi {
    use utoipa_actix_web::AppExt;
    let (_, doc) = actix_web::App::new()
        .into_utoipa_app()
        .openapi(ApiDoc::openapi())
        .configure(crate::modules::configure)
        .split_for_parts();
    // The shared security and problem responses are added to the finished document (see
    // `http::docs`); a utoipa modifier would run before the paths are collected.
    let mut json = serde_json::to_value(&doc).unwrap_or_default();
    crate::http::docs::finish(&mut json);
    match serde_json::from_value(json) {
        Ok(finished) => finished,
        Err(e) => panic!("the finished OpenAPI document does not read back: {e}"),
    }
}

/// The document as committed in `openapi.json` (pretty JSON, trailing newline).
pub fn document_json() -> String {
    let mut s = document().to_pretty_json().unwrap_or_default();
    s.push('\n');
    s
}
