//! `certificates`: credentials anyone can verify without trusting Azora's database. Completing
//! a course or a learning path, or earning a badge, issues an Open Badges 3.0
//! `OpenBadgeCredential` signed twice with the `credentials` key of the key store: an embedded
//! Data Integrity proof (`eddsa-rdfc-2022`) and a VC-JWT. Issuers are the platform
//! (`did:web:<host>`) or an organization (`did:web:<host>:orgs:<id>`); their DID documents list
//! every credentials key ever used, so rotation never breaks a credential.
//!
//! Owns `badges`, `badge_rules`, `credentials`, `status_lists` and `credential_settings`.
//! Rules: one credential per (holder, achievement), issued in the transaction of the fact
//! that earned it (subscribers of `CourseCompleted`, `PathCompleted`, `AssessmentPassed`);
//! each carries a revocation and a suspension `BitstringStatusListEntry` (one random index in
//! lists of 131,072 entries) and a `1EdTechRevocationList` entry; revoke, suspend and
//! unsuspend are for the issuer (`certificate:issue`, or `badge:award` for badges, in its
//! scope) and audited; a credential is private to its holder and issuer until the holder makes
//! it public (404 to others); badges show on a profile only if the holder chose so.
//!
//! Files: `proof` (the two proofs, pure), `status` (bitstrings, pure), `did` (DIDs and DID
//! documents, pure), `documents` (PDF and baked images, pure), `issue` (building, signing and
//! storing a credential), `service` (reads, status changes, settings, status lists),
//! `badges`, `rules` (the subscribers), `verify` (third-party verification), `files` (PDF,
//! images, the code page), `seed`; `routes` and `dto` serve them all.

/// SQL: the credential's issuer (`prefix` a table alias, or `""`) is `$1`, the nil UUID standing
/// for the platform; the expression of the `credentials_status_index` unique index.
macro_rules! issuer_is {
    ($prefix:literal) => {
        concat!(
            "coalesce(",
            $prefix,
            "issuer_org_id, '00000000-0000-0000-0000-000000000000') = $1"
        )
    };
}

mod badges;
mod did;
mod documents;
mod dto;
mod files;
mod issue;
mod proof;
mod routes;
mod rules;
mod seed;
mod service;
mod status;
mod verify;

pub use proof::{CONTEXTS, canonize, key_of_multikey, verify_data_integrity_proof};
pub use rules::{on_assessment_passed, on_course_completed, on_path_completed};
pub use seed::seed_demo;
pub use status::{LIST_BITS, bit};

use utoipa_actix_web::service_config::ServiceConfig;

/// Routes outside `/api/v1`: the DID documents.
pub fn root_routes(cfg: &mut ServiceConfig) {
    cfg.service(routes::platform_did)
        .service(routes::organization_did);
}

pub fn routes(cfg: &mut ServiceConfig) {
    // `POST /credentials/verify` before `/credentials/{id}`: a resource answers 405 to the
    // methods it lacks rather than letting the next one match.
    cfg.service(routes::verify_credential)
        .service(routes::my_credentials)
        .service(routes::get_credential)
        .service(routes::update_credential)
        .service(routes::credential_evidence)
        .service(routes::credential_pdf)
        .service(routes::badge_png)
        .service(routes::badge_svg)
        .service(routes::revoke_credential)
        .service(routes::suspend_credential)
        .service(routes::unsuspend_credential)
        .service(routes::status_list)
        .service(routes::revocation_list)
        .service(routes::verify_code)
        .service(routes::list_badges)
        .service(routes::create_badge)
        .service(routes::get_badge)
        .service(routes::award_badge)
        .service(routes::user_badges)
        .service(routes::get_credential_settings)
        .service(routes::put_credential_settings);
}
