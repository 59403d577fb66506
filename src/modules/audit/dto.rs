//! Response and query types of the audit routes.

use chrono::{DateTime, Utc};
use kernel::text::Line;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

/// One audit record.
#[derive(Debug, Serialize, ToSchema)]
pub struct AuditLogResponse {
    pub id: Uuid,
    /// Insertion order (the listing cursor); not the chain position.
    pub seq: i64,
    pub occurred_at: DateTime<Utc>,
    pub actor_id: Option<Uuid>,
    #[schema(example = "auth.login")]
    pub action: String,
    #[schema(example = "user")]
    pub resource_type: String,
    pub resource_id: Option<String>,
    /// `success`, `failure` or `denied`.
    pub outcome: String,
    pub ip: Option<String>,
    pub user_agent: Option<String>,
    pub request_id: Option<String>,
    #[schema(value_type = Object)]
    pub details: serde_json::Value,
    /// Whether the sealer has linked it into the chain yet (it does so within moments).
    pub sealed: bool,
    /// Position in the chain, from 1, once sealed.
    pub chain_pos: Option<i64>,
    /// Hex SHA-256 of this record chained to the previous one, once sealed.
    pub hash: Option<String>,
    pub sealed_at: Option<DateTime<Utc>>,
}

/// A page of audit records, newest first.
#[derive(Debug, Serialize, ToSchema)]
pub struct AuditPage {
    pub items: Vec<AuditLogResponse>,
    /// Pass as `cursor` for the next (older) page; absent on the last page.
    pub next_cursor: Option<String>,
}

/// Filters of `GET /audit/logs`.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListAuditLogsQuery {
    pub actor_id: Option<Uuid>,
    /// Exact action, e.g. `auth.login`.
    pub action: Option<Line<100>>,
    pub resource_type: Option<Line<100>>,
    pub resource_id: Option<Line<100>>,
    /// Records at or after this time.
    pub from: Option<DateTime<Utc>>,
    /// Records before this time.
    pub to: Option<DateTime<Utc>>,
    /// 1 to 200, default 50.
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<u32>,
    /// The `next_cursor` of the previous page.
    #[param(value_type = Option<String>, pattern = "^[0-9]{1,19}$", max_length = 19)]
    pub cursor: Option<Line<100>>,
}

/// Options of `GET /audit/verify`.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct VerifyQuery {
    /// Check only that the log grew since this checkpoint: from its position and head hash to
    /// today's head.
    pub from_checkpoint: Option<Uuid>,
}

/// The result of walking the chain.
#[derive(Debug, Serialize, ToSchema)]
pub struct VerifyResponse {
    pub valid: bool,
    /// Sealed records verified before the first break (all of them when valid).
    pub checked: u64,
    /// Chain position of the first broken link.
    pub first_broken_seq: Option<i64>,
    pub reason: Option<String>,
    /// The first checkpoint whose head no longer matches the chain, or whose signature fails.
    pub broken_checkpoint: Option<Uuid>,
    pub checkpoints_checked: u64,
    /// The chain's head now.
    pub head_pos: i64,
    /// Hex hash of the head (empty for an empty chain).
    pub head_hash: String,
    /// Records written but not yet sealed, and how long the oldest has waited.
    pub unsealed: u64,
    pub oldest_unsealed_secs: Option<f64>,
    /// Where the walk started (`from_checkpoint`), 0 for the genesis.
    pub from_pos: i64,
}

/// A signed statement of the chain's head.
#[derive(Debug, Serialize, ToSchema)]
pub struct CheckpointResponse {
    pub id: Uuid,
    pub chain_pos: i64,
    /// Hex hash of the record at `chain_pos`.
    pub head_hash: String,
    pub created_at: DateTime<Utc>,
    /// The signing key, in `/.well-known/jwks.json`.
    pub kid: String,
    /// Compact JWS (EdDSA) whose payload is `{"chain_pos", "head_hash", "created_at"}`.
    pub signature: String,
}

/// A page of checkpoints, newest first.
#[derive(Debug, Serialize, ToSchema)]
pub struct CheckpointPage {
    pub items: Vec<CheckpointResponse>,
    pub next_cursor: Option<String>,
}

/// Paging of `GET /audit/checkpoints`.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListCheckpointsQuery {
    /// 1 to 200, default 50.
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<u32>,
    /// The `next_cursor` of the previous page.
    #[param(value_type = Option<String>, pattern = "^[0-9]{1,19}$", max_length = 19)]
    pub cursor: Option<Line<100>>,
}
