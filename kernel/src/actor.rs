//! Who acts and from where: the [`Actor`] (the authenticated principal that services take
//! instead of a web request) and [`RequestMeta`] (client address, user agent, request id, as
//! recorded in sessions and the audit trail).
//!
//! An actor is a user signed in with a session, or a user's API key, which limits the actor to
//! the permissions it lists. Background work acts as [`Actor`]-less platform code with
//! [`RequestMeta::system`].

use std::any::Any;
use std::sync::Arc;

use uuid::Uuid;

use crate::error::AppResult;
use crate::scope::GrantSet;

/// The authenticated caller.
#[derive(Clone)]
pub struct Actor {
    /// The user acting.
    pub id: Uuid,
    pub email: String,
    pub email_verified: bool,
    /// The session of a bearer token; `None` for API keys.
    pub session_id: Option<Uuid>,
    /// Set when the caller authenticated with an API key.
    pub api_key: Option<ApiKeyLimit>,
    /// The authenticating module's own view of the account (identity keeps the user row it
    /// read, so `GET /me` needs no second query).
    pub account: Option<Arc<dyn Any + Send + Sync>>,
    grants: Arc<tokio::sync::OnceCell<GrantSet>>,
}

/// An API key in use: its id and the permissions it is limited to.
#[derive(Debug, Clone)]
pub struct ApiKeyLimit {
    pub id: Uuid,
    pub permissions: Vec<String>,
}

impl ApiKeyLimit {
    /// Whether the key lists `permission`.
    pub fn permits(&self, permission: &str) -> bool {
        self.permissions.iter().any(|p| p == permission)
    }
}

impl std::fmt::Debug for Actor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Actor")
            .field("id", &self.id)
            .field("session_id", &self.session_id)
            .field("api_key", &self.api_key.as_ref().map(|k| k.id))
            .finish_non_exhaustive()
    }
}

impl Actor {
    pub fn new(
        id: Uuid,
        email: String,
        email_verified: bool,
        session_id: Option<Uuid>,
        api_key: Option<ApiKeyLimit>,
    ) -> Self {
        Self {
            id,
            email,
            email_verified,
            session_id,
            api_key,
            account: None,
            grants: Arc::default(),
        }
    }

    /// The account view stored by the authenticating module, if it is a `T`.
    pub fn account<T: Any + Send + Sync>(&self) -> Option<&T> {
        self.account.as_ref().and_then(|a| a.downcast_ref::<T>())
    }

    /// The permission list of the API key the actor uses, `None` for sessions.
    pub fn key_permissions(&self) -> Option<&[String]> {
        self.api_key.as_ref().map(|k| k.permissions.as_slice())
    }

    /// The actor's grants, loaded by `load` on first use and kept for the request.
    pub async fn grants_with<F, Fut>(&self, load: F) -> AppResult<&GrantSet>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = AppResult<GrantSet>>,
    {
        self.grants.get_or_try_init(load).await
    }
}

/// Where a request comes from, for sessions and the audit trail.
#[derive(Debug, Clone, Default)]
pub struct RequestMeta {
    pub ip: String,
    pub user_agent: String,
    /// The request id (`X-Request-Id`); empty for work the platform does by itself.
    pub request_id: String,
}

impl RequestMeta {
    /// Work the platform does by itself (background jobs, seeds).
    pub fn system() -> Self {
        Self {
            ip: String::new(),
            user_agent: "azora".into(),
            request_id: String::new(),
        }
    }
}
