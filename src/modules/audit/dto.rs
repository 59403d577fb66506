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
    /// Position in the chain, from 1.
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
    /// Hex SHA-256 of this record chained to the previous one.
    pub hash: String,
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
    pub cursor: Option<Line<100>>,
}

/// The result of walking the chain.
#[derive(Debug, Serialize, ToSchema)]
pub struct VerifyResponse {
    pub valid: bool,
    /// Records verified before the first break (all of them when valid).
    pub checked: u64,
    pub first_broken_seq: Option<i64>,
    pub reason: Option<String>,
}
