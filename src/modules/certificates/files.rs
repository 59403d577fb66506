//! What a holder hands out: the printable PDF, the baked badge images, and the public page of
//! a printed verification code. Rendering runs on the blocking pool.

use chrono::Utc;
use entity::credentials;
use kernel::enums::{AchievementKind, CredentialStatus};
use kernel::{AppError, AppResult};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};

use super::documents::{self, CertificateFields};
use super::dto::{CodeVerificationResponse, Verdict};
use super::issue::{credential_url, normalize_code, verification_url};
use super::service::{self, status_of};
use crate::state::AppState;

/// The graded result a credential states, in percent.
fn grade_of(c: &credentials::Model) -> Option<String> {
    c.document["credentialSubject"]["result"][0]["value"]
        .as_str()
        .map(str::to_owned)
}

pub async fn pdf(state: &AppState, c: &credentials::Model) -> AppResult<Vec<u8>> {
    let holder_name = service::holder_name(&state.db, c.holder_id).await?;
    let issuer = service::view_one(state, &state.db, c).await?.issuer;
    let fields = CertificateFields {
        title: match c.achievement_kind {
            AchievementKind::Course => "Certificate of Completion",
            AchievementKind::Path => "Learning Path Certificate",
            AchievementKind::Badge => "Badge Award",
        }
        .to_owned(),
        holder_name,
        achievement_name: c.title.clone(),
        achievement_description: c.document["credentialSubject"]["achievement"]["description"]
            .as_str()
            .unwrap_or_default()
            .to_owned(),
        issued_on: c.issued_at.date_naive(),
        issuer_name: issuer.name,
        grade: grade_of(c).map(|g| format!("{g} %")),
        verification_code: c.verification_code.clone(),
        verification_url: verification_url(state, &c.verification_code),
    };
    tokio::task::spawn_blocking(move || documents::certificate_pdf(&fields))
        .await
        .map_err(AppError::internal)?
        .map_err(AppError::internal)
}

pub async fn png(jwt: String) -> AppResult<Vec<u8>> {
    tokio::task::spawn_blocking(move || documents::baked_png(&jwt))
        .await
        .map_err(AppError::internal)?
        .map_err(AppError::internal)
}

pub fn svg(c: &credentials::Model) -> String {
    documents::baked_svg(&c.jwt, &c.title)
}

/// What the verification page shows for a printed code (404 for a code we never printed).
pub async fn by_code(state: &AppState, code: &str) -> AppResult<CodeVerificationResponse> {
    let not_found = || AppError::not_found("certificate");
    let code = normalize_code(code).ok_or_else(not_found)?;
    let c = credentials::Entity::find()
        .filter(credentials::Column::VerificationCode.eq(code))
        .one(&state.db)
        .await?
        .ok_or_else(not_found)?;
    let status = status_of(&c);
    let verdict = match status {
        CredentialStatus::Revoked => Verdict::Revoked,
        _ if c.valid_until.is_some_and(|u| u <= Utc::now()) => Verdict::Expired,
        CredentialStatus::Suspended => Verdict::Suspended,
        CredentialStatus::Active => Verdict::Valid,
    };
    let issuer = service::view_one(state, &state.db, &c).await?.issuer;
    Ok(CodeVerificationResponse {
        verdict,
        credential_id: c.id,
        title: c.title.clone(),
        achievement_kind: c.achievement_kind,
        holder_name: service::holder_name(&state.db, c.holder_id).await?,
        issuer,
        issued_at: c.issued_at,
        valid_until: c.valid_until,
        status,
        revocation_reason: c.revocation_reason.clone(),
        grade: grade_of(&c),
        credential_url: c.public.then(|| credential_url(state, c.id)),
    })
}
