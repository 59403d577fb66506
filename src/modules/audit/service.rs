//! Writing, listing and verifying the audit chain.

use chrono::{DateTime, SubsecRound, Utc};
use sea_orm::ConnectionTrait;
use uuid::Uuid;

use super::chain::{self, GENESIS, Link};
use super::dto::{AuditLogResponse, AuditPage, ListAuditLogsQuery, VerifyResponse};
use crate::db;
use crate::http::request_id::RequestContext;
use kernel::AppResult;
use kernel::RequestMeta;
use kernel::pagination::{feed_page, feed_params};

/// Key of the advisory lock that serialises appends ("audit" in ASCII).
const CHAIN_LOCK: i64 = 0x0061_7564_6974;

/// One action to record.
#[derive(Debug, Clone)]
pub struct AuditEvent {
    pub actor_id: Option<Uuid>,
    pub action: &'static str,
    pub resource_type: &'static str,
    pub resource_id: Option<String>,
    pub outcome: &'static str,
    pub details: serde_json::Value,
}

impl AuditEvent {
    /// A successful action by `actor_id` on a resource.
    pub fn new(
        actor_id: Option<Uuid>,
        action: &'static str,
        resource_type: &'static str,
        resource_id: Option<String>,
    ) -> Self {
        Self {
            actor_id,
            action,
            resource_type,
            resource_id,
            outcome: "success",
            details: serde_json::json!({}),
        }
    }

    pub fn details(mut self, details: serde_json::Value) -> Self {
        self.details = details;
        self
    }

    /// `failure` (the action failed) or `denied` (it was refused).
    pub fn outcome(mut self, outcome: &'static str) -> Self {
        self.outcome = outcome;
        self
    }
}

/// Appends `event` to the chain inside the caller's transaction. Call it last in the
/// transaction: the chain lock is held until commit.
pub async fn record(
    db: &impl ConnectionTrait,
    event: AuditEvent,
    client: &RequestMeta,
) -> AppResult<()> {
    db.execute_unprepared(&format!("SELECT pg_advisory_xact_lock({CHAIN_LOCK})"))
        .await?;
    let head = db::one(
        db,
        "SELECT seq, hash FROM audit_logs ORDER BY seq DESC LIMIT 1",
        [],
    )
    .await?;
    let (prev_seq, prev_hash) = match head {
        Some(row) => (
            row.try_get::<i64>("", "seq")?,
            row.try_get::<Vec<u8>>("", "hash")?,
        ),
        None => (0, GENESIS.to_vec()),
    };
    let request_id = RequestContext::current().map(|c| c.request_id);
    let id = Uuid::now_v7();
    let seq = prev_seq + 1;
    let occurred_at = Utc::now().trunc_subsecs(6);
    let link = Link {
        id,
        seq,
        occurred_at,
        actor_id: event.actor_id,
        action: event.action,
        resource_type: event.resource_type,
        resource_id: event.resource_id.as_deref(),
        outcome: event.outcome,
        ip: Some(client.ip.as_str()),
        user_agent: Some(client.user_agent.as_str()),
        request_id: request_id.as_deref(),
        details: &event.details,
    };
    let hash = chain::hash(&prev_hash, &link);
    db::exec(db, "INSERT INTO audit_logs (id, seq, occurred_at, actor_id, action, resource_type, resource_id, \
         outcome, ip, user_agent, request_id, details, prev_hash, hash) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)",
        [
            id.into(),
            seq.into(),
            occurred_at.into(),
            event.actor_id.into(),
            event.action.into(),
            event.resource_type.into(),
            event.resource_id.clone().into(),
            event.outcome.into(),
            client.ip.clone().into(),
            client.user_agent.clone().into(),
            request_id.into(),
            event.details.clone().into(),
            prev_hash.into(),
            hash.into(),
        ],)
    .await?;
    Ok(())
}

fn log_from_row(r: &sea_orm::QueryResult) -> AppResult<AuditLogResponse> {
    Ok(AuditLogResponse {
        id: r.try_get("", "id")?,
        seq: r.try_get("", "seq")?,
        occurred_at: r.try_get("", "occurred_at")?,
        actor_id: r.try_get("", "actor_id")?,
        action: r.try_get("", "action")?,
        resource_type: r.try_get("", "resource_type")?,
        resource_id: r.try_get("", "resource_id")?,
        outcome: r.try_get("", "outcome")?,
        ip: r.try_get("", "ip")?,
        user_agent: r.try_get("", "user_agent")?,
        request_id: r.try_get("", "request_id")?,
        details: r.try_get("", "details")?,
        hash: hex::encode(r.try_get::<Vec<u8>>("", "hash")?),
    })
}

/// Newest first, filtered, with a keyset cursor (the `seq` to continue below).
pub async fn list(db: &impl ConnectionTrait, q: ListAuditLogsQuery) -> AppResult<AuditPage> {
    let (limit, before) = feed_params::<i64>(q.limit, q.cursor.as_deref(), 200)?;
    let rows = db::all(db, "SELECT * FROM audit_logs WHERE ($1::bigint IS NULL OR seq < $1) \
             AND ($2::uuid IS NULL OR actor_id = $2) AND ($3::text IS NULL OR action = $3) \
             AND ($4::text IS NULL OR resource_type = $4) AND ($5::text IS NULL OR resource_id = $5) \
             AND ($6::timestamptz IS NULL OR occurred_at >= $6) AND ($7::timestamptz IS NULL OR occurred_at < $7) \
             ORDER BY seq DESC LIMIT $8",
            [
                before.into(),
                q.actor_id.into(),
                q.action.clone().into(),
                q.resource_type.clone().into(),
                q.resource_id.clone().into(),
                q.from.into(),
                q.to.into(),
                i64::from(limit + 1).into(),
            ],)
        .await?;
    let items = rows
        .iter()
        .map(log_from_row)
        .collect::<AppResult<Vec<_>>>()?;
    let (items, next_cursor) = feed_page(items, limit, |l| l.seq.to_string());
    Ok(AuditPage { items, next_cursor })
}

/// Walks the whole chain in order, in pages, and reports the first broken link.
pub async fn verify(db: &impl ConnectionTrait) -> AppResult<VerifyResponse> {
    let mut prev_hash = GENESIS.to_vec();
    let mut expected_seq = 1_i64;
    let mut checked = 0_u64;
    loop {
        let rows = db::all(
            db,
            "SELECT * FROM audit_logs WHERE seq >= $1 ORDER BY seq LIMIT 1000",
            [expected_seq.into()],
        )
        .await?;
        if rows.is_empty() {
            break;
        }
        for row in &rows {
            let seq: i64 = row.try_get("", "seq")?;
            let stored_prev: Vec<u8> = row.try_get("", "prev_hash")?;
            let stored_hash: Vec<u8> = row.try_get("", "hash")?;
            let details: serde_json::Value = row.try_get("", "details")?;
            let occurred_at: DateTime<Utc> = row.try_get("", "occurred_at")?;
            let resource_id: Option<String> = row.try_get("", "resource_id")?;
            let ip: Option<String> = row.try_get("", "ip")?;
            let user_agent: Option<String> = row.try_get("", "user_agent")?;
            let request_id: Option<String> = row.try_get("", "request_id")?;
            let action: String = row.try_get("", "action")?;
            let resource_type: String = row.try_get("", "resource_type")?;
            let outcome: String = row.try_get("", "outcome")?;
            let link = Link {
                id: row.try_get("", "id")?,
                seq,
                occurred_at,
                actor_id: row.try_get("", "actor_id")?,
                action: &action,
                resource_type: &resource_type,
                resource_id: resource_id.as_deref(),
                outcome: &outcome,
                ip: ip.as_deref(),
                user_agent: user_agent.as_deref(),
                request_id: request_id.as_deref(),
                details: &details,
            };
            let problem = if seq != expected_seq {
                Some(format!("record {expected_seq} is missing"))
            } else if stored_prev != prev_hash {
                Some("prev_hash does not match the previous record's hash".to_owned())
            } else if chain::hash(&prev_hash, &link) != stored_hash {
                Some("the record's content does not match its hash".to_owned())
            } else {
                None
            };
            if let Some(reason) = problem {
                return Ok(VerifyResponse {
                    valid: false,
                    checked,
                    first_broken_seq: Some(expected_seq.min(seq)),
                    reason: Some(reason),
                });
            }
            prev_hash = stored_hash;
            expected_seq += 1;
            checked += 1;
        }
    }
    Ok(VerifyResponse {
        valid: true,
        checked,
        first_broken_seq: None,
        reason: None,
    })
}
