//! Who is calling: the [`AuthUser`] extractor (a bearer access token bound to a live session,
//! or an `X-Api-Key`), the optional [`MaybeAuthUser`], and [`ClientInfo`] (client IP and user
//! agent, honouring `X-Forwarded-For` only from trusted proxies).
//!
//! An access token is accepted only while its session is live: logout or revocation ends it
//! at once, not at expiry. Suspended or deleted accounts are refused whatever the credential.

use std::net::IpAddr;
use std::sync::Arc;

use actix_web::dev::Payload;
use actix_web::http::header;
use actix_web::{FromRequest, HttpRequest, web};
use chrono::{DateTime, Utc};
use futures_util::future::LocalBoxFuture;
use uuid::Uuid;

use super::error::AppError;
use crate::db;
use crate::modules::identity::dto::UserResponse;
use crate::modules::identity::service::{USER_COLUMNS, user_from_row};
use crate::modules::rbac::GrantSet;
use crate::state::AppState;

/// The authenticated caller of a request.
#[derive(Debug, Clone)]
pub struct AuthUser {
    pub id: Uuid,
    pub email: String,
    pub display_name: String,
    pub email_verified: bool,
    /// The session of a bearer token; `None` for API keys.
    pub session_id: Option<Uuid>,
    /// Set when the caller authenticated with an API key.
    pub api_key: Option<ApiKeyAuth>,
    /// The caller's account as read while authenticating (`GET /me` needs no other query).
    pub account: Arc<UserResponse>,
    /// The caller's grants, loaded on the first permission check of the request.
    pub(crate) grants: Arc<tokio::sync::OnceCell<GrantSet>>,
}

/// An API key in use: its id and the permissions it is limited to.
#[derive(Debug, Clone)]
pub struct ApiKeyAuth {
    pub id: Uuid,
    pub permissions: Vec<String>,
}

/// Claims of an access token.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct Claims {
    pub sub: Uuid,
    pub sid: Uuid,
    pub exp: i64,
    pub iat: i64,
    pub jti: Uuid,
}

/// Signing and verification keys for access tokens (HS256).
pub struct JwtKeys {
    encoding: jsonwebtoken::EncodingKey,
    decoding: jsonwebtoken::DecodingKey,
    validation: jsonwebtoken::Validation,
}

impl JwtKeys {
    pub fn new(secret: &str) -> Self {
        let mut validation = jsonwebtoken::Validation::new(jsonwebtoken::Algorithm::HS256);
        validation.leeway = 0;
        validation.set_required_spec_claims(&["exp", "sub", "iat"]);
        Self {
            encoding: jsonwebtoken::EncodingKey::from_secret(secret.as_bytes()),
            decoding: jsonwebtoken::DecodingKey::from_secret(secret.as_bytes()),
            validation,
        }
    }

    pub fn encode(&self, claims: &Claims) -> Result<String, AppError> {
        jsonwebtoken::encode(
            &jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256),
            claims,
            &self.encoding,
        )
        .map_err(AppError::internal)
    }

    pub fn decode(&self, token: &str) -> Result<Claims, AppError> {
        jsonwebtoken::decode::<Claims>(token, &self.decoding, &self.validation)
            .map(|d| d.claims)
            .map_err(|e| {
                let code = if matches!(e.kind(), jsonwebtoken::errors::ErrorKind::ExpiredSignature)
                {
                    "token_expired"
                } else {
                    "invalid_token"
                };
                unauthorized(code, "the access token is invalid or expired")
            })
    }
}

fn unauthorized(code: &'static str, detail: &str) -> AppError {
    AppError::unauthorized(code, detail.to_owned())
}

impl AuthUser {
    /// From a row holding `identity::service::USER_COLUMNS`.
    fn from_row(
        row: &sea_orm::QueryResult,
        session_id: Option<Uuid>,
        api_key: Option<ApiKeyAuth>,
    ) -> Result<Self, AppError> {
        let account = user_from_row(row)?;
        if account.status != "active" {
            return Err(AppError::forbidden(
                "account_suspended",
                "this account is suspended",
            ));
        }
        Ok(Self {
            id: account.id,
            email: account.email.clone(),
            display_name: account.display_name.clone(),
            email_verified: account.email_verified,
            session_id,
            api_key,
            account: Arc::new(account),
            grants: Arc::default(),
        })
    }
}

impl FromRequest for AuthUser {
    type Error = AppError;
    type Future = LocalBoxFuture<'static, Result<Self, AppError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let state = req.app_data::<web::Data<AppState>>().cloned();
        let bearer = req
            .headers()
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        let api_key = req
            .headers()
            .get("x-api-key")
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        Box::pin(async move {
            let state = state.ok_or_else(|| AppError::internal(anyhow::anyhow!("no AppState")))?;
            match (bearer, api_key) {
                (Some(auth), _) => {
                    let token = auth
                        .strip_prefix("Bearer ")
                        .or_else(|| auth.strip_prefix("bearer "))
                        .ok_or_else(|| {
                            unauthorized("invalid_token", "use `Authorization: Bearer <token>`")
                        })?;
                    from_access_token(&state, token.trim()).await
                }
                (None, Some(key)) => from_api_key(&state, key.trim()).await,
                (None, None) => Err(unauthorized(
                    "unauthenticated",
                    "this route needs a bearer token or an X-Api-Key",
                )),
            }
        })
    }
}

async fn from_access_token(state: &AppState, token: &str) -> Result<AuthUser, AppError> {
    let claims = state.jwt.decode(token)?;
    let row = db::one(
        &state.db,
        format!(
            "SELECT {USER_COLUMNS}, s.last_seen_at FROM sessions s JOIN users u ON u.id = s.user_id \
             WHERE s.id = $1 AND s.user_id = $2 AND s.revoked_at IS NULL \
               AND s.expires_at > now() AND u.deleted_at IS NULL"
        ),
        [claims.sid.into(), claims.sub.into()],
    )
    .await?
    .ok_or_else(|| unauthorized("session_revoked", "this session has ended; sign in again"))?;
    let user = AuthUser::from_row(&row, Some(claims.sid), None)?;
    let last_seen: DateTime<Utc> = row.try_get("", "last_seen_at")?;
    if Utc::now() - last_seen > chrono::Duration::seconds(60) {
        db::exec(
            &state.db,
            "UPDATE sessions SET last_seen_at = now() WHERE id = $1",
            [claims.sid.into()],
        )
        .await?;
    }
    Ok(user)
}

async fn from_api_key(state: &AppState, key: &str) -> Result<AuthUser, AppError> {
    let hash = crate::modules::identity::tokens::hash_token(key);
    let row = db::one(
        &state.db,
        format!(
            "UPDATE api_keys k SET last_used_at = now() FROM users u \
             WHERE k.key_hash = $1 AND u.id = k.user_id AND k.revoked_at IS NULL \
               AND (k.expires_at IS NULL OR k.expires_at > now()) AND u.deleted_at IS NULL \
             RETURNING k.id AS key_id, k.permissions, {USER_COLUMNS}"
        ),
        [hash.into()],
    )
    .await?
    .ok_or_else(|| {
        unauthorized(
            "invalid_api_key",
            "the API key is unknown, expired or revoked",
        )
    })?;
    let key = ApiKeyAuth {
        id: row.try_get("", "key_id")?,
        permissions: row.try_get("", "permissions")?,
    };
    AuthUser::from_row(&row, None, Some(key))
}

/// The caller if credentials were sent, `None` if none were; bad credentials still fail.
#[derive(Debug, Clone)]
pub struct MaybeAuthUser(pub Option<AuthUser>);

impl FromRequest for MaybeAuthUser {
    type Error = AppError;
    type Future = LocalBoxFuture<'static, Result<Self, AppError>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let has_credentials = req.headers().contains_key(header::AUTHORIZATION)
            || req.headers().contains_key("x-api-key");
        let fut = AuthUser::from_request(req, payload);
        Box::pin(async move {
            if has_credentials {
                fut.await.map(|u| MaybeAuthUser(Some(u)))
            } else {
                Ok(MaybeAuthUser(None))
            }
        })
    }
}

/// The client's address and user agent, as recorded in sessions and the audit trail.
#[derive(Debug, Clone)]
pub struct ClientInfo {
    pub ip: String,
    pub user_agent: String,
}

impl ClientInfo {
    /// Work the platform does by itself (background jobs), for the audit trail.
    pub fn system() -> Self {
        Self {
            ip: String::new(),
            user_agent: "azora".into(),
        }
    }

    pub fn of(req: &HttpRequest) -> Self {
        let trusted: Vec<IpAddr> = req
            .app_data::<web::Data<AppState>>()
            .map(|s| {
                s.settings
                    .security
                    .trusted_proxies
                    .iter()
                    .filter_map(|p| p.parse().ok())
                    .collect()
            })
            .unwrap_or_default();
        let peer = req.peer_addr().map(|a| a.ip());
        let forwarded = req
            .headers()
            .get("x-forwarded-for")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(',').next())
            .and_then(|v| v.trim().parse::<IpAddr>().ok());
        let ip = match (peer, forwarded) {
            (Some(p), Some(f)) if trusted.contains(&p) => f,
            (Some(p), _) => p,
            (None, _) => IpAddr::from([0, 0, 0, 0]),
        };
        let user_agent = req
            .headers()
            .get(header::USER_AGENT)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .chars()
            .take(512)
            .collect();
        Self {
            ip: ip.to_string(),
            user_agent,
        }
    }
}

impl FromRequest for ClientInfo {
    type Error = AppError;
    type Future = std::future::Ready<Result<Self, AppError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        std::future::ready(Ok(Self::of(req)))
    }
}
