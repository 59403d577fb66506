//! Handlers of the certificate, badge, status-list and DID routes.

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, get, patch, post, put, web};
use kernel::pagination::{Page, PageQuery};
use uuid::Uuid;

use super::dto::{
    AwardRequest, BadgeResponse, CodeVerificationResponse, CreateBadgeRequest, CredentialResponse,
    CredentialSettingsResponse, CredentialVerification, ListBadgesQuery, ListCredentialsQuery,
    PresentedCredential, RevokeRequest, SuspendRequest, UpdateCredentialRequest,
    UpdateCredentialSettingsRequest, UserBadgeResponse, VerifyCredentialRequest,
};
use super::service::StatusChange;
use super::{badges, did, files, service, verify};
use crate::http::ApiResult;
use crate::http::auth::{AuthUser, ClientInfo, MaybeAuthUser};
use crate::http::docs::Binary;
use crate::http::extract::{Json, Query};
use crate::modules::keys;
use crate::state::AppState;

/// The media type of a VC-JWT.
pub const VC_JWT: &str = "application/vc+jwt";

/// The platform's DID document (`did:web:<host>`): every credential key ever used, retired
/// ones included, as Multikey verification methods.
#[utoipa::path(
    tag = "certificates",
    responses(
        (status = 200, description = "The DID document", content_type = "application/did+json", body = Object),
    )
)]
#[get("/.well-known/did.json")]
pub async fn platform_did(state: web::Data<AppState>) -> ApiResult<HttpResponse> {
    did_response(&state, None).await
}

/// An organization's DID document (`did:web:<host>:orgs:<id>`), with the same keys.
#[utoipa::path(
    tag = "certificates",
    params(("id" = Uuid, Path, description = "Organization id")),
    responses(
        (status = 200, description = "The DID document", content_type = "application/did+json", body = Object),
    )
)]
#[get("/orgs/{id}/did.json")]
pub async fn organization_did(
    state: web::Data<AppState>,
    id: web::Path<Uuid>,
) -> ApiResult<HttpResponse> {
    let id = id.into_inner();
    crate::modules::orgs::find(&state.db, id).await?;
    did_response(&state, Some(id)).await
}

async fn did_response(state: &AppState, org: Option<Uuid>) -> ApiResult<HttpResponse> {
    let keys = keys::all_keys(&state.db).await?;
    let id = did::issuer_did(&state.settings.server.public_url, org);
    Ok(HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "public, max-age=300"))
        .content_type("application/did+json")
        .json(did::did_document(&id, &keys)))
}

/// Your credentials (course and path certificates, badges), newest first.
#[utoipa::path(
    tag = "certificates",
    security(("api_key" = ["credential:read"])),
    params(ListCredentialsQuery),
    responses(
        (status = 200, body = Page<CredentialResponse>),
    )
)]
#[get("/me/credentials")]
pub async fn my_credentials(
    state: web::Data<AppState>,
    user: AuthUser,
    query: Query<ListCredentialsQuery>,
) -> ApiResult<web::Json<Page<CredentialResponse>>> {
    Ok(web::Json(
        service::list_mine(&state, &user, query.into_inner()).await?,
    ))
}

/// Verify a credential as a third party would: a VC-JWT (string) or a JSON-LD credential
/// (object). Answers a verdict (`valid`, `revoked`, `suspended`, `expired`, `bad_signature`,
/// `unknown_issuer`, `malformed`) and every check made. Public.
#[utoipa::path(
    tag = "certificates",
    request_body = VerifyCredentialRequest,
    responses(
        (status = 200, body = CredentialVerification),
    )
)]
#[post("/credentials/verify")]
pub async fn verify_credential(
    state: web::Data<AppState>,
    body: Json<VerifyCredentialRequest>,
) -> ApiResult<web::Json<CredentialVerification>> {
    let presented = match body.into_inner().credential {
        PresentedCredential::Jwt(jwt) => serde_json::Value::String(jwt.into_string()),
        PresentedCredential::Document(doc) => serde_json::Value::Object(doc),
    };
    Ok(web::Json(verify::verify(&state, presented).await?))
}

/// A credential as signed: JSON-LD with its Data Integrity proof, or with
/// `Accept: application/vc+jwt` the VC-JWT. Readable by its holder, its issuer, and anyone
/// once the holder made it public (404 otherwise).
#[utoipa::path(
    tag = "certificates",
    security((), ("api_key" = ["credential:read"])),
    params(("id" = Uuid, Path, description = "Credential id")),
    responses(
        (status = 200, description = "The OpenBadgeCredential", content(
            (Object = "application/json"),
            (String = "application/vc+jwt"),
        )),
    )
)]
#[get("/credentials/{id}")]
pub async fn get_credential(
    state: web::Data<AppState>,
    req: HttpRequest,
    user: MaybeAuthUser,
    id: web::Path<Uuid>,
) -> ApiResult<HttpResponse> {
    let c = service::find_readable(&state, user.actor(), id.into_inner()).await?;
    let wants_jwt = req
        .headers()
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains(VC_JWT));
    if wants_jwt {
        Ok(HttpResponse::Ok().content_type(VC_JWT).body(c.jwt))
    } else {
        Ok(HttpResponse::Ok().json(c.document))
    }
}

/// Make a credential public (anyone with its link reads it) or private again (its holder).
#[utoipa::path(
    tag = "certificates",
    security(("api_key" = ["credential:share"])),
    params(("id" = Uuid, Path, description = "Credential id")),
    request_body = UpdateCredentialRequest,
    responses(
        (status = 200, body = CredentialResponse),
    )
)]
#[patch("/credentials/{id}")]
pub async fn update_credential(
    state: web::Data<AppState>,
    user: AuthUser,
    client: ClientInfo,
    id: web::Path<Uuid>,
    body: Json<UpdateCredentialRequest>,
) -> ApiResult<web::Json<CredentialResponse>> {
    Ok(web::Json(
        service::set_public(&state, &user, &client, id.into_inner(), body.public).await?,
    ))
}

/// The documents of a credential's `evidence`, whose digests it carries (holder and issuer).
#[utoipa::path(
    tag = "certificates",
    security(("api_key" = ["credential:read"])),
    params(("id" = Uuid, Path, description = "Credential id")),
    responses(
        (status = 200, description = "One document per evidence entry, in order; each hashes (compact JSON, keys sorted, SHA-256) to its `digestMultibase`", body = Vec<Object>),
    )
)]
#[get("/credentials/{id}/evidence")]
pub async fn credential_evidence(
    state: web::Data<AppState>,
    user: AuthUser,
    id: web::Path<Uuid>,
) -> ApiResult<HttpResponse> {
    let c = service::find_private(&state, &user, id.into_inner()).await?;
    Ok(HttpResponse::Ok().json(c.evidence))
}

/// The printable certificate: one landscape page with the holder, achievement, date, issuer,
/// grade, the verification code and a QR code of the verification URL.
#[utoipa::path(
    tag = "certificates",
    security((), ("api_key" = ["credential:read"])),
    params(("id" = Uuid, Path, description = "Credential id")),
    responses(
        (status = 200, description = "The certificate", content_type = "application/pdf", body = Binary),
    )
)]
#[get("/credentials/{id}/pdf")]
pub async fn credential_pdf(
    state: web::Data<AppState>,
    user: MaybeAuthUser,
    id: web::Path<Uuid>,
) -> ApiResult<HttpResponse> {
    let c = service::find_readable(&state, user.actor(), id.into_inner()).await?;
    let pdf = files::pdf(&state, &c).await?;
    Ok(HttpResponse::Ok()
        .content_type("application/pdf")
        .insert_header((
            header::CONTENT_DISPOSITION,
            format!(
                "inline; filename=\"certificate-{}.pdf\"",
                c.verification_code
            ),
        ))
        .body(pdf))
}

/// The badge image with the VC-JWT baked in (PNG `iTXt` chunk `openbadgecredential`).
#[utoipa::path(
    tag = "certificates",
    security((), ("api_key" = ["credential:read"])),
    params(("id" = Uuid, Path, description = "Credential id")),
    responses(
        (status = 200, description = "The baked badge", content_type = "image/png", body = Binary),
    )
)]
#[get("/credentials/{id}/badge.png")]
pub async fn badge_png(
    state: web::Data<AppState>,
    user: MaybeAuthUser,
    id: web::Path<Uuid>,
) -> ApiResult<HttpResponse> {
    let c = service::find_readable(&state, user.actor(), id.into_inner()).await?;
    let png = files::png(c.jwt).await?;
    Ok(HttpResponse::Ok().content_type("image/png").body(png))
}

/// The badge image with the VC-JWT baked in (`<openbadges:credential>`).
#[utoipa::path(
    tag = "certificates",
    security((), ("api_key" = ["credential:read"])),
    params(("id" = Uuid, Path, description = "Credential id")),
    responses(
        (status = 200, description = "The baked badge", content_type = "image/svg+xml", body = String),
    )
)]
#[get("/credentials/{id}/badge.svg")]
pub async fn badge_svg(
    state: web::Data<AppState>,
    user: MaybeAuthUser,
    id: web::Path<Uuid>,
) -> ApiResult<HttpResponse> {
    let c = service::find_readable(&state, user.actor(), id.into_inner()).await?;
    Ok(HttpResponse::Ok()
        .content_type("image/svg+xml")
        .body(files::svg(&c)))
}

/// Revoke a credential for good, with a reason the holder sees (its issuer: `certificate:issue`,
/// or `badge:award` for badges, in the issuer's scope; administrators).
#[utoipa::path(
    tag = "certificates",
    security(("api_key" = ["certificate:issue"]), ("api_key" = ["badge:award"])),
    params(("id" = Uuid, Path, description = "Credential id")),
    request_body = RevokeRequest,
    responses(
        (status = 200, body = CredentialResponse),
        (status = 409, description = "`credential_revoked`"),
    )
)]
#[post("/credentials/{id}/revoke")]
pub async fn revoke_credential(
    state: web::Data<AppState>,
    user: AuthUser,
    client: ClientInfo,
    id: web::Path<Uuid>,
    body: Json<RevokeRequest>,
) -> ApiResult<web::Json<CredentialResponse>> {
    let reason = body.into_inner().reason.trim().to_owned();
    Ok(web::Json(
        service::change_status(
            &state,
            &user,
            &client,
            id.into_inner(),
            StatusChange::Revoke,
            Some(reason),
        )
        .await?,
    ))
}

/// Suspend a credential until it is unsuspended (its issuer).
#[utoipa::path(
    tag = "certificates",
    security(("api_key" = ["certificate:issue"]), ("api_key" = ["badge:award"])),
    params(("id" = Uuid, Path, description = "Credential id")),
    request_body(content = Option<SuspendRequest>, description = "An optional reason"),
    responses(
        (status = 200, body = CredentialResponse),
        (status = 409, description = "`credential_revoked`, `already_suspended`"),
    )
)]
#[post("/credentials/{id}/suspend")]
pub async fn suspend_credential(
    state: web::Data<AppState>,
    user: AuthUser,
    client: ClientInfo,
    id: web::Path<Uuid>,
    body: web::Bytes,
) -> ApiResult<web::Json<CredentialResponse>> {
    let body: SuspendRequest = crate::http::extract::optional_json(&body)?;
    let reason = body.reason.map(|r| r.trim().to_owned());
    Ok(web::Json(
        service::change_status(
            &state,
            &user,
            &client,
            id.into_inner(),
            StatusChange::Suspend,
            reason,
        )
        .await?,
    ))
}

/// Lift a suspension (its issuer).
#[utoipa::path(
    tag = "certificates",
    security(("api_key" = ["certificate:issue"]), ("api_key" = ["badge:award"])),
    params(("id" = Uuid, Path, description = "Credential id")),
    responses(
        (status = 200, body = CredentialResponse),
        (status = 409, description = "`credential_revoked`, `not_suspended`"),
    )
)]
#[post("/credentials/{id}/unsuspend")]
pub async fn unsuspend_credential(
    state: web::Data<AppState>,
    user: AuthUser,
    client: ClientInfo,
    id: web::Path<Uuid>,
) -> ApiResult<web::Json<CredentialResponse>> {
    Ok(web::Json(
        service::change_status(
            &state,
            &user,
            &client,
            id.into_inner(),
            StatusChange::Unsuspend,
            None,
        )
        .await?,
    ))
}

/// A status list (W3C Bitstring Status List v1.0) as its issuer signed it: a
/// `BitstringStatusListCredential` VC-JWT; `encodedList` is the GZIP-compressed, base64url
/// bitstring of 131,072 entries. Public.
#[utoipa::path(
    tag = "certificates",
    params(("id" = Uuid, Path, description = "Status list id (from a credential's `statusListCredential`)")),
    responses(
        (status = 200, description = "The signed status list", content_type = "application/vc+jwt", body = String),
    )
)]
#[get("/status-lists/{id}")]
pub async fn status_list(
    state: web::Data<AppState>,
    id: web::Path<Uuid>,
) -> ApiResult<HttpResponse> {
    let jwt = service::status_list_jwt(&state, id.into_inner()).await?;
    Ok(HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "no-cache"))
        .content_type(VC_JWT)
        .body(jwt))
}

/// The 1EdTech Revocation List of a revocation list: the revoked credentials with their reasons.
/// Public.
#[utoipa::path(
    tag = "certificates",
    params(("id" = Uuid, Path, description = "Revocation status list id")),
    responses(
        (status = 200, description = "The revocation list", body = Object),
    )
)]
#[get("/status-lists/{id}/revocations")]
pub async fn revocation_list(
    state: web::Data<AppState>,
    id: web::Path<Uuid>,
) -> ApiResult<HttpResponse> {
    Ok(HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "no-cache"))
        .json(service::revocation_list(&state, id.into_inner()).await?))
}

/// Check a printed certificate by its code (any case, dashes optional). Public.
#[utoipa::path(
    tag = "certificates",
    params(("code" = String, Path, max_length = 24, description = "The code printed on the certificate", example = "AZ7K-Q2MD-X9TP")),
    responses(
        (status = 200, body = CodeVerificationResponse),
    )
)]
#[get("/verify/{code}")]
pub async fn verify_code(
    state: web::Data<AppState>,
    code: web::Path<String>,
) -> ApiResult<web::Json<CodeVerificationResponse>> {
    Ok(web::Json(files::by_code(&state, &code).await?))
}

/// Badge definitions (public), by name.
#[utoipa::path(
    tag = "certificates",
    params(ListBadgesQuery),
    responses(
        (status = 200, body = Page<BadgeResponse>),
    )
)]
#[get("/badges")]
pub async fn list_badges(
    state: web::Data<AppState>,
    query: Query<ListBadgesQuery>,
) -> ApiResult<web::Json<Page<BadgeResponse>>> {
    Ok(web::Json(badges::list(&state, query.into_inner()).await?))
}

/// Define a badge (`badge:create` in its organization; globally for a platform badge), with
/// the rules that award it by themselves.
#[utoipa::path(
    tag = "certificates",
    security(("api_key" = ["badge:create"])),
    request_body = CreateBadgeRequest,
    responses(
        (status = 201, body = BadgeResponse),
    )
)]
#[post("/badges")]
pub async fn create_badge(
    state: web::Data<AppState>,
    user: AuthUser,
    client: ClientInfo,
    body: Json<CreateBadgeRequest>,
) -> ApiResult<HttpResponse> {
    let badge = badges::create(&state, &user, &client, body.into_inner()).await?;
    Ok(HttpResponse::Created().json(badge))
}

/// One badge definition (public): the `achievement.id` of its credentials.
#[utoipa::path(
    tag = "certificates",
    params(("id" = Uuid, Path, description = "Badge id")),
    responses(
        (status = 200, body = BadgeResponse),
    )
)]
#[get("/badges/{id}")]
pub async fn get_badge(
    state: web::Data<AppState>,
    id: web::Path<Uuid>,
) -> ApiResult<web::Json<BadgeResponse>> {
    Ok(web::Json(badges::find(&state.db, id.into_inner()).await?))
}

/// Award a badge by hand (`badge:award` in its organization): issues the learner's credential.
#[utoipa::path(
    tag = "certificates",
    security(("api_key" = ["badge:award"])),
    params(("id" = Uuid, Path, description = "Badge id")),
    request_body = AwardRequest,
    responses(
        (status = 201, body = CredentialResponse),
        (status = 409, description = "`already_awarded`"),
    )
)]
#[post("/badges/{id}/awards")]
pub async fn award_badge(
    state: web::Data<AppState>,
    user: AuthUser,
    client: ClientInfo,
    id: web::Path<Uuid>,
    body: Json<AwardRequest>,
) -> ApiResult<HttpResponse> {
    let credential =
        badges::award(&state, &user, &client, id.into_inner(), body.into_inner()).await?;
    Ok(HttpResponse::Created().json(credential))
}

/// A user's badges in force, when they chose to show them (`PUT /me/credential-settings`);
/// 404 otherwise (except to themselves).
#[utoipa::path(
    tag = "certificates",
    security((), ("api_key" = ["credential:read"])),
    params(("id" = Uuid, Path, description = "User id"), PageQuery),
    responses(
        (status = 200, body = Page<UserBadgeResponse>),
    )
)]
#[get("/users/{id}/badges")]
pub async fn user_badges(
    state: web::Data<AppState>,
    user: MaybeAuthUser,
    id: web::Path<Uuid>,
    query: Query<PageQuery>,
) -> ApiResult<web::Json<Page<UserBadgeResponse>>> {
    Ok(web::Json(
        badges::of_user(&state, user.actor(), id.into_inner(), query.into_inner()).await?,
    ))
}

/// Your credential settings.
#[utoipa::path(
    tag = "certificates",
    security(("api_key" = ["credential:read"])),
    responses(
        (status = 200, body = CredentialSettingsResponse),
    )
)]
#[get("/me/credential-settings")]
pub async fn get_credential_settings(
    state: web::Data<AppState>,
    user: AuthUser,
) -> ApiResult<web::Json<CredentialSettingsResponse>> {
    Ok(web::Json(service::settings(&state, &user).await?))
}

/// Show your badges on your public profile, or hide them.
#[utoipa::path(
    tag = "certificates",
    security(("api_key" = ["credential:share"])),
    request_body = UpdateCredentialSettingsRequest,
    responses(
        (status = 200, body = CredentialSettingsResponse),
    )
)]
#[put("/me/credential-settings")]
pub async fn put_credential_settings(
    state: web::Data<AppState>,
    user: AuthUser,
    client: ClientInfo,
    body: Json<UpdateCredentialSettingsRequest>,
) -> ApiResult<web::Json<CredentialSettingsResponse>> {
    Ok(web::Json(
        service::update_settings(&state, &user, &client, body.public_badges).await?,
    ))
}
