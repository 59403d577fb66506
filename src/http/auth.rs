//! Who is calling: the [`AuthUser`] extractor (a bearer access token bound to a live session,
//! or an `X-Api-Key`), the optional [`MaybeAuthUser`], and [`ClientInfo`] (client IP, user
//! agent and request id, honouring `X-Forwarded-For` only from trusted proxies).
//!
//! Credentials are checked by the identity module (through the `authenticate` hook). The one
//! rule for API keys lives here, in the authentication path: a route's documented security
//! names the permissions an API key needs (`("api_key" = ["course:learn"])`); a key must list
//! every one of them (403 `api_key_not_permitted`), and a route whose security has no
//! `api_key` requirement needs a signed-in session (403 `session_required`).

use std::net::IpAddr;
use std::ops::Deref;

use actix_web::dev::Payload;
use actix_web::http::header;
use actix_web::{FromRequest, HttpRequest, web};
use futures_util::future::LocalBoxFuture;
use kernel::{Actor, AppError, ErrorCode, RequestMeta};

use super::error::ApiError;
use super::extract::RouteTable;
use super::request_id::RequestContext;
use crate::state::{AppState, Credential};

/// The authenticated caller of a request.
#[derive(Debug, Clone)]
pub struct AuthUser(pub Actor);

impl Deref for AuthUser {
    type Target = Actor;
    fn deref(&self) -> &Actor {
        &self.0
    }
}

/// The credential of a request, from its headers.
enum Sent {
    Bearer(String),
    ApiKey(String),
    Malformed,
    None,
}

fn sent(req: &HttpRequest) -> Sent {
    let header_str = |name| req.headers().get(name).and_then(|v| v.to_str().ok());
    match (
        header_str(header::AUTHORIZATION.as_str()),
        header_str("x-api-key"),
    ) {
        (Some(auth), _) => match auth
            .strip_prefix("Bearer ")
            .or_else(|| auth.strip_prefix("bearer "))
        {
            Some(token) => Sent::Bearer(token.trim().to_owned()),
            None => Sent::Malformed,
        },
        (None, Some(key)) => Sent::ApiKey(key.trim().to_owned()),
        (None, None) => Sent::None,
    }
}

/// What the matched route lets an API key do, from the OpenAPI document.
fn check_route_access(req: &HttpRequest, actor: &Actor) -> Result<(), AppError> {
    let Some(key) = &actor.api_key else {
        return Ok(());
    };
    let pattern = req.match_pattern().unwrap_or_default();
    let access = req
        .app_data::<web::Data<RouteTable>>()
        .and_then(|t| t.api_key_permissions(req.method().as_str(), &pattern));
    match access {
        None => Err(AppError::new(
            ErrorCode::SessionRequired,
            "this route needs a signed-in session; API keys cannot use it",
        )),
        Some(needed) => match needed.iter().find(|p| !key.permits(p)) {
            Some(missing) => Err(AppError::new(
                ErrorCode::ApiKeyNotPermitted,
                format!("this API key does not list the permission `{missing}`"),
            )),
            None => Ok(()),
        },
    }
}

impl FromRequest for AuthUser {
    type Error = ApiError;
    type Future = LocalBoxFuture<'static, Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let state = req.app_data::<web::Data<AppState>>().cloned();
        let credential = sent(req);
        let req = req.clone();
        Box::pin(async move {
            let state = state.ok_or_else(|| AppError::internal(anyhow::anyhow!("no AppState")))?;
            let actor = match &credential {
                Sent::Bearer(token) => {
                    (state.hooks.authenticate)(&state, Credential::Bearer(token)).await?
                }
                Sent::ApiKey(key) => {
                    (state.hooks.authenticate)(&state, Credential::ApiKey(key)).await?
                }
                Sent::Malformed => {
                    return Err(AppError::new(
                        ErrorCode::InvalidToken,
                        "use `Authorization: Bearer <token>`",
                    )
                    .into());
                }
                Sent::None => {
                    return Err(AppError::new(
                        ErrorCode::Unauthenticated,
                        "this route needs a bearer token or an X-Api-Key",
                    )
                    .into());
                }
            };
            check_route_access(&req, &actor)?;
            Ok(AuthUser(actor))
        })
    }
}

/// The caller if credentials were sent, `None` if none were; bad credentials still fail.
#[derive(Debug, Clone)]
pub struct MaybeAuthUser(pub Option<AuthUser>);

impl MaybeAuthUser {
    pub fn actor(&self) -> Option<&Actor> {
        self.0.as_ref().map(|u| &u.0)
    }
}

impl FromRequest for MaybeAuthUser {
    type Error = ApiError;
    type Future = LocalBoxFuture<'static, Result<Self, ApiError>>;

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

/// The client's address, user agent and the request id, as services record them.
#[derive(Debug, Clone)]
pub struct ClientInfo(pub RequestMeta);

impl Deref for ClientInfo {
    type Target = RequestMeta;
    fn deref(&self) -> &RequestMeta {
        &self.0
    }
}

impl ClientInfo {
    pub fn into_inner(self) -> RequestMeta {
        self.0
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
        let request_id = RequestContext::current()
            .map(|c| c.request_id)
            .unwrap_or_default();
        Self(RequestMeta {
            ip: ip.to_string(),
            user_agent,
            request_id,
        })
    }
}

impl FromRequest for ClientInfo {
    type Error = ApiError;
    type Future = std::future::Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        std::future::ready(Ok(Self::of(req)))
    }
}
