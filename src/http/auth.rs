//! Who is calling: the [`AuthUser`] extractor (a bearer access token bound to a live session,
//! or an `X-Api-Key`), the optional [`MaybeAuthUser`], and [`ClientInfo`] (client IP, user
//! agent and request id, honouring `X-Forwarded-For` only from trusted proxies).
//!
//! Credentials are checked by the identity module (through the `authenticate` hook). The one
//! rule for API keys lives here, in the authentication path: a route's documented security
//! names the permissions an API key needs (`("api_key" = ["course:learn"])`); a key must list
//! every one of them (403 `forbidden`), and a route whose security has no
//! `api_key` requirement needs a signed-in session (403 `session_required`).

use std::net::IpAddr;
use std::ops::Deref;

use actix_web::HttpMessage;
use actix_web::body::MessageBody;
use actix_web::dev::{Payload, ServiceRequest, ServiceResponse};
use actix_web::http::header;
use actix_web::middleware::Next;
use actix_web::{FromRequest, HttpRequest, web};
use futures_util::future::LocalBoxFuture;
use kernel::{Actor, AppError, ErrorCode, RequestMeta};

use super::error::ApiError;
use super::extract::{Access, RouteTable};
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

/// The API-key rule of an operation: a key must list every permission of one of the
/// operation's `api_key` requirements, and an operation that names none for keys needs a
/// session.
fn check_key(access: Option<&Access>, actor: &Actor) -> Result<(), AppError> {
    let Some(key) = &actor.api_key else {
        return Ok(());
    };
    match access.and_then(|a| a.api_key.as_ref()) {
        None => Err(AppError::new(
            ErrorCode::SessionRequired,
            "this route needs a signed-in session; API keys cannot use it",
        )),
        Some(alternatives) => {
            if alternatives
                .iter()
                .any(|needed| needed.iter().all(|p| key.permits(p)))
            {
                return Ok(());
            }
            let wanted: Vec<String> = alternatives
                .iter()
                .map(|needed| format!("`{}`", needed.join("` and `")))
                .collect();
            Err(AppError::forbidden(format!(
                "this API key does not list the permission {}",
                wanted.join(" or ")
            )))
        }
    }
}

async fn authenticate_sent(state: &AppState, credential: &Sent) -> Result<Option<Actor>, AppError> {
    match credential {
        Sent::Bearer(token) => (state.hooks.authenticate)(state, Credential::Bearer(token))
            .await
            .map(Some),
        Sent::ApiKey(key) => (state.hooks.authenticate)(state, Credential::ApiKey(key))
            .await
            .map(Some),
        Sent::Malformed => Err(AppError::new(
            ErrorCode::InvalidToken,
            "use `Authorization: Bearer <token>`",
        )),
        Sent::None => Ok(None),
    }
}

/// Middleware: authenticates the caller of every operation whose documented security names a
/// scheme, before any extractor reads the body, and applies the API-key rule. The actor goes
/// into the request's extensions for [`AuthUser`] and [`MaybeAuthUser`].
pub async fn authenticate(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let access = req.app_data::<web::Data<RouteTable>>().and_then(|t| {
        let pattern = req.match_pattern()?;
        t.access(req.method().as_str(), &pattern).cloned()
    });
    if let (Some(access), Some(state)) = (&access, req.app_data::<web::Data<AppState>>())
        && access.secured
    {
        let credential = sent(req.request());
        if let Some(actor) = authenticate_sent(state, &credential)
            .await
            .map_err(ApiError)?
        {
            check_key(Some(access), &actor).map_err(ApiError)?;
            req.extensions_mut().insert(actor);
        } else if !access.anonymous {
            return Err(ApiError(AppError::new(
                ErrorCode::Unauthenticated,
                "this route needs a bearer token or an X-Api-Key",
            ))
            .into());
        }
    }
    next.call(req).await
}

impl FromRequest for AuthUser {
    type Error = ApiError;
    type Future = LocalBoxFuture<'static, Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        // Documented operations were authenticated by the middleware; anything else (a route
        // the document does not list) is authenticated here, as a session-only route.
        let known = req.extensions().get::<Actor>().cloned();
        let state = req.app_data::<web::Data<AppState>>().cloned();
        let credential = sent(req);
        Box::pin(async move {
            if let Some(actor) = known {
                return Ok(AuthUser(actor));
            }
            let state = state.ok_or_else(|| AppError::internal(anyhow::anyhow!("no AppState")))?;
            match authenticate_sent(&state, &credential).await? {
                Some(actor) => {
                    check_key(None, &actor)?;
                    Ok(AuthUser(actor))
                }
                None => Err(AppError::new(
                    ErrorCode::Unauthenticated,
                    "this route needs a bearer token or an X-Api-Key",
                )
                .into()),
            }
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
