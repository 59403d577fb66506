//! `AppState`: what every handler, service and background job can reach, shared by all workers.
//! It names no module: the modules plug into it through [`Hooks`], which the composition root
//! (`modules::hooks`) fills in, so that the web layer and the platform pieces (authorization,
//! events) call modules without depending on them.

use std::sync::Arc;
use std::time::Instant;

use futures_util::future::BoxFuture;
use kernel::crypto::{JwtKeys, PasswordHasher, SecretBox};
use kernel::enums::KeyPurpose;
use kernel::event::{DomainEvent, EventKind};
use kernel::rate_limit::KeyedLimiter;
use kernel::{Actor, AppResult, GrantSet, Scope};
use sea_orm::{DatabaseConnection, DatabaseTransaction};
use uuid::Uuid;

use crate::config::Settings;
use crate::metrics::Metrics;

/// A credential a request presents.
#[derive(Debug, Clone, Copy)]
pub enum Credential<'a> {
    /// An access token (`Authorization: Bearer`).
    Bearer(&'a str),
    /// A personal API key (`X-Api-Key`).
    ApiKey(&'a str),
}

/// Turns a credential into the actor it stands for (identity).
pub type Authenticate = for<'a> fn(&'a AppState, Credential<'a>) -> BoxFuture<'a, AppResult<Actor>>;
/// Loads every live grant of a user (rbac).
pub type LoadGrants =
    for<'a> fn(&'a DatabaseConnection, Uuid) -> BoxFuture<'a, AppResult<GrantSet>>;
/// Completes a scope named by id with what owns it (a course with its organization), or
/// `None` when it names nothing (lms for courses).
pub type ResolveScope =
    for<'a> fn(&'a DatabaseConnection, Scope) -> BoxFuture<'a, AppResult<Option<Scope>>>;
/// Signs `payload` as a compact JWS with the active key of a purpose (keys); the first value
/// adds header members.
pub type Sign = for<'a> fn(
    &'a AppState,
    KeyPurpose,
    serde_json::Value,
    &'a serde_json::Value,
) -> BoxFuture<'a, AppResult<String>>;
/// Whether a rule beyond lessons holds a learner's course completion back (assessments: a
/// required final exam not passed yet).
pub type CompletionBlocked =
    for<'a> fn(&'a DatabaseTransaction, Uuid, Uuid) -> BoxFuture<'a, AppResult<bool>>;
/// Reacts to a domain event inside the publishing transaction.
pub type Subscriber = for<'a> fn(
    &'a AppState,
    &'a DatabaseTransaction,
    &'a DomainEvent,
) -> BoxFuture<'a, AppResult<()>>;

/// Applies a moderator's decision to flagged content of one kind (its module).
pub type Moderate = for<'a> fn(
    &'a DatabaseTransaction,
    Uuid,
    kernel::enums::FlagAction,
) -> BoxFuture<'a, AppResult<()>>;

/// How the modules plug into the platform.
#[derive(Clone)]
pub struct Hooks {
    pub authenticate: Authenticate,
    pub load_grants: LoadGrants,
    pub resolve_scope: ResolveScope,
    pub sign: Sign,
    pub completion_blocked: CompletionBlocked,
    /// Who reacts to what, in order.
    pub subscribers: Vec<(EventKind, Subscriber)>,
    /// Who applies moderation decisions to which kind of flagged content.
    pub moderate: Vec<(kernel::enums::FlagTarget, Moderate)>,
}

/// Cloned into each HTTP worker with a pool of its own (see `db::worker_pool`).
#[derive(Clone)]
pub struct AppState {
    pub db: DatabaseConnection,
    pub settings: Arc<Settings>,
    pub metrics: Arc<Metrics>,
    /// Whether every migration was applied when this process started.
    pub migrations_current: bool,
    pub started_at: Instant,
    pub jwt: Arc<JwtKeys>,
    pub hasher: PasswordHasher,
    /// Encrypts secrets stored for reading back (TOTP seeds).
    pub secret_box: Arc<SecretBox>,
    /// Per-IP budget of the `/auth` routes.
    pub auth_limiter: Arc<KeyedLimiter>,
    pub hooks: Arc<Hooks>,
    /// This node's stream hub (absent in one-off commands: events are still appended).
    pub hub: Option<Arc<crate::stream::Hub>>,
}

impl AppState {
    /// The state of a process: the crypto pieces from the settings (the password hasher
    /// computes a dummy hash, so this runs it on the blocking pool).
    pub async fn new(
        db: DatabaseConnection,
        settings: Settings,
        metrics: Metrics,
        migrations_current: bool,
        hooks: Hooks,
    ) -> anyhow::Result<Self> {
        let security = settings.security.clone();
        let hasher = tokio::task::spawn_blocking(move || {
            PasswordHasher::new(
                security.argon2_memory_kib,
                security.argon2_iterations,
                security.argon2_parallelism,
            )
        })
        .await??;
        Ok(Self {
            db,
            jwt: Arc::new(JwtKeys::new(&settings.security.jwt_secret)),
            secret_box: Arc::new(SecretBox::new(&settings.security.encryption_key)),
            auth_limiter: Arc::new(KeyedLimiter::per_minute(
                settings.security.ip_requests_per_minute,
            )),
            settings: Arc::new(settings),
            metrics: Arc::new(metrics),
            migrations_current,
            started_at: Instant::now(),
            hasher,
            hooks: Arc::new(hooks),
            hub: None,
        })
    }
}
