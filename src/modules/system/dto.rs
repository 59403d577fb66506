//! Response types of the system routes.

use std::collections::BTreeMap;

use serde::Serialize;
use utoipa::ToSchema;

/// Liveness: the process is up.
#[derive(Debug, Serialize, ToSchema)]
pub struct LiveResponse {
    #[schema(example = "live")]
    pub status: &'static str,
    /// Seconds since the process started.
    pub uptime_secs: u64,
}

/// Readiness: the database answers and the schema is current.
#[derive(Debug, Serialize, ToSchema)]
pub struct ReadyResponse {
    #[schema(example = "ready")]
    pub status: &'static str,
    #[schema(example = "up")]
    pub database: &'static str,
    #[schema(example = "current")]
    pub migrations: &'static str,
}

/// Public information about this Azora deployment.
#[derive(Debug, Serialize, ToSchema)]
pub struct SystemInfoResponse {
    /// Platform name (setting `platform.name`).
    #[schema(example = "Azora")]
    pub name: String,
    /// Version of the running server.
    #[schema(example = "0.1.0")]
    pub version: String,
    /// Deployment environment (`development`, `production`, ...).
    pub environment: String,
    /// Migrations applied to the database, newest last.
    pub schema_version: Option<String>,
    /// Settings marked public, by key.
    #[schema(value_type = Object)]
    pub settings: BTreeMap<String, serde_json::Value>,
}
