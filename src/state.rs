//! `AppState`: what every handler can reach, shared by all workers through `web::Data`.

use std::sync::Arc;
use std::time::Instant;

use sea_orm::DatabaseConnection;

use crate::config::Settings;
use crate::http::auth::JwtKeys;
use crate::http::metrics::Metrics;
use crate::http::rate_limit::KeyedLimiter;
use crate::modules::identity::password::Hasher;
use crate::modules::identity::secret_box::SecretBox;

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
    pub hasher: Hasher,
    /// Encrypts secrets stored for reading back (TOTP seeds).
    pub secret_box: Arc<SecretBox>,
    /// Per-IP budget of the `/auth` routes.
    pub auth_limiter: Arc<KeyedLimiter>,
}
