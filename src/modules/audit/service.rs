//! Writing, sealing, listing and verifying the audit trail.
//!
//! Appending is one INSERT with no chain position: nothing a request does waits on other
//! requests' records. The sealer ([`seal_pass`]) links committed records into the chain under
//! a transaction-level advisory lock: it takes only records whose inserting transaction is
//! older than every transaction still running (`xid < pg_snapshot_xmin(pg_current_snapshot())`),
//! so no record can ever appear before a position already sealed, orders them by (xid, seq),
//! and fills `chain_pos`, `prev_hash` and `hash` once.

use chrono::{DateTime, SubsecRound, Utc};
use entity::{audit_checkpoints, audit_logs};
use kernel::crypto::{ed25519_verify, jws_parts};
use kernel::enums::KeyPurpose;
use kernel::pagination::{feed_page, feed_params};
use kernel::{AppError, AppResult, RequestMeta, db};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, FromQueryResult, QueryFilter,
    QueryOrder, QuerySelect, Set, TransactionTrait,
};
use uuid::Uuid;

use super::chain::{self, GENESIS, Link};
use super::dto::{
    AuditLogResponse, AuditPage, CheckpointPage, CheckpointResponse, ListAuditLogsQuery,
    ListCheckpointsQuery, VerifyResponse,
};
use crate::state::AppState;

/// Key of the transaction-level advisory lock of a seal pass ("audit" in ASCII).
const SEAL_LOCK: i64 = 0x0061_7564_6974;
/// Records sealed per pass at most.
pub const SEAL_BATCH: u64 = 2000;

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

/// Appends `event` inside the caller's transaction: one INSERT, no lock. The sealer chains it
/// once the transaction has committed.
pub async fn record(
    db: &impl ConnectionTrait,
    event: AuditEvent,
    meta: &RequestMeta,
) -> AppResult<()> {
    let request_id = (!meta.request_id.is_empty()).then(|| meta.request_id.clone());
    audit_logs::Entity::insert(audit_logs::ActiveModel {
        id: Set(Uuid::now_v7()),
        occurred_at: Set(Utc::now().trunc_subsecs(6)),
        actor_id: Set(event.actor_id),
        action: Set(event.action.to_owned()),
        resource_type: Set(event.resource_type.to_owned()),
        resource_id: Set(event.resource_id),
        outcome: Set(event.outcome.to_owned()),
        ip: Set(Some(meta.ip.clone())),
        user_agent: Set(Some(meta.user_agent.clone())),
        request_id: Set(request_id),
        details: Set(event.details),
        ..Default::default()
    })
    .exec_without_returning(db)
    .await?;
    Ok(())
}

/// The chained content of a stored record at chain position `pos`.
fn link_of(r: &audit_logs::Model, pos: i64) -> Link<'_> {
    Link {
        id: r.id,
        seq: pos,
        occurred_at: r.occurred_at,
        actor_id: r.actor_id,
        action: &r.action,
        resource_type: &r.resource_type,
        resource_id: r.resource_id.as_deref(),
        outcome: &r.outcome,
        ip: r.ip.as_deref(),
        user_agent: r.user_agent.as_deref(),
        request_id: r.request_id.as_deref(),
        details: &r.details,
    }
}

#[derive(FromQueryResult)]
struct Head {
    chain_pos: i64,
    hash: Vec<u8>,
}

async fn head(db: &impl ConnectionTrait) -> AppResult<(i64, Vec<u8>)> {
    let head: Option<Head> = db::row(
        db,
        "SELECT chain_pos, hash FROM audit_logs WHERE chain_pos IS NOT NULL \
         ORDER BY chain_pos DESC LIMIT 1",
        [],
    )
    .await?;
    Ok(head.map_or((0, GENESIS.to_vec()), |h| (h.chain_pos, h.hash)))
}

/// Seals what can be sealed now, in one transaction; returns how many records it sealed.
pub async fn seal_pass(db: &DatabaseConnection) -> AppResult<u64> {
    let txn = db.begin().await?;
    db::exec(&txn, "SELECT pg_advisory_xact_lock($1)", [SEAL_LOCK.into()]).await?;
    let (mut pos, mut prev) = head(&txn).await?;
    let batch: Vec<audit_logs::Model> = audit_logs::Model::find_by_statement(
        sea_orm::Statement::from_sql_and_values(
            sea_orm::DbBackend::Postgres,
            "SELECT id, seq, occurred_at, actor_id, action, resource_type, resource_id, outcome, ip, \
             user_agent, request_id, details, chain_pos, prev_hash, hash, sealed_at \
             FROM audit_logs WHERE chain_pos IS NULL \
               AND xid < pg_snapshot_xmin(pg_current_snapshot()) \
             ORDER BY xid, seq LIMIT $1",
            [(SEAL_BATCH as i64).into()],
        ),
    )
    .all(&txn)
    .await?;
    if batch.is_empty() {
        txn.commit().await?;
        return Ok(0);
    }
    let (mut ids, mut positions, mut prevs, mut hashes) = (vec![], vec![], vec![], vec![]);
    for record in &batch {
        pos += 1;
        let hash = chain::hash(&prev, &link_of(record, pos));
        ids.push(record.id);
        positions.push(pos);
        prevs.push(prev);
        prev = hash.clone();
        hashes.push(hash);
    }
    let sealed = db::exec(
        &txn,
        "UPDATE audit_logs a SET chain_pos = v.pos, prev_hash = v.prev, hash = v.hash, \
         sealed_at = now() FROM unnest($1::uuid[], $2::bigint[], $3::bytea[], $4::bytea[]) \
         AS v(id, pos, prev, hash) WHERE a.id = v.id",
        [ids.into(), positions.into(), prevs.into(), hashes.into()],
    )
    .await?
    .rows_affected();
    txn.commit().await?;
    Ok(sealed)
}

/// Signs a checkpoint of the chain's head when it moved since the last one.
pub async fn checkpoint(state: &AppState, db: &DatabaseConnection) -> AppResult<Option<Uuid>> {
    let (pos, hash) = head(db).await?;
    let last = audit_checkpoints::Entity::find()
        .order_by_desc(audit_checkpoints::Column::ChainPos)
        .one(db)
        .await?;
    if pos == 0 || last.is_some_and(|c| c.chain_pos >= pos) {
        return Ok(None);
    }
    let created_at = Utc::now().trunc_subsecs(6);
    let payload = serde_json::json!({
        "chain_pos": pos,
        "head_hash": hex::encode(&hash),
        "created_at": created_at.to_rfc3339_opts(chrono::SecondsFormat::Micros, true),
    });
    let signature =
        (state.hooks.sign)(state, KeyPurpose::Audit, serde_json::json!({}), &payload).await?;
    let kid = jws_parts(&signature)
        .and_then(|(h, ..)| h["kid"].as_str().map(str::to_owned))
        .unwrap_or_default();
    let id = Uuid::now_v7();
    audit_checkpoints::Entity::insert(audit_checkpoints::ActiveModel {
        id: Set(id),
        chain_pos: Set(pos),
        head_hash: Set(hash),
        created_at: Set(created_at),
        kid: Set(kid),
        signature: Set(signature),
    })
    .exec_without_returning(db)
    .await?;
    Ok(Some(id))
}

fn log_response(r: audit_logs::Model) -> AuditLogResponse {
    AuditLogResponse {
        id: r.id,
        seq: r.seq,
        occurred_at: r.occurred_at,
        actor_id: r.actor_id,
        action: r.action,
        resource_type: r.resource_type,
        resource_id: r.resource_id,
        outcome: r.outcome,
        ip: r.ip,
        user_agent: r.user_agent,
        request_id: r.request_id,
        details: r.details,
        sealed: r.chain_pos.is_some(),
        chain_pos: r.chain_pos,
        hash: r.hash.map(hex::encode),
        sealed_at: r.sealed_at,
    }
}

/// Newest first, filtered, with a keyset cursor (the `seq` to continue below).
pub async fn list(db: &impl ConnectionTrait, q: ListAuditLogsQuery) -> AppResult<AuditPage> {
    let (limit, before) = feed_params::<i64>(q.limit, q.cursor.as_deref(), 200)?;
    use audit_logs::Column as C;
    let mut query = audit_logs::Entity::find();
    if let Some(before) = before {
        query = query.filter(C::Seq.lt(before));
    }
    if let Some(actor) = q.actor_id {
        query = query.filter(C::ActorId.eq(actor));
    }
    if let Some(action) = &q.action {
        query = query.filter(C::Action.eq(action.as_str()));
    }
    if let Some(kind) = &q.resource_type {
        query = query.filter(C::ResourceType.eq(kind.as_str()));
    }
    if let Some(id) = &q.resource_id {
        query = query.filter(C::ResourceId.eq(id.as_str()));
    }
    if let Some(from) = q.from {
        query = query.filter(C::OccurredAt.gte(from));
    }
    if let Some(to) = q.to {
        query = query.filter(C::OccurredAt.lt(to));
    }
    let rows = query
        .order_by_desc(C::Seq)
        .limit(u64::from(limit) + 1)
        .all(db)
        .await?;
    let items = rows.into_iter().map(log_response).collect();
    let (items, next_cursor) = feed_page(items, limit, |l| l.seq.to_string());
    Ok(AuditPage { items, next_cursor })
}

fn checkpoint_response(c: audit_checkpoints::Model) -> CheckpointResponse {
    CheckpointResponse {
        id: c.id,
        chain_pos: c.chain_pos,
        head_hash: hex::encode(c.head_hash),
        created_at: c.created_at,
        kid: c.kid,
        signature: c.signature,
    }
}

/// Checkpoints, newest first, with a keyset cursor (the position to continue below).
pub async fn checkpoints(
    db: &impl ConnectionTrait,
    q: ListCheckpointsQuery,
) -> AppResult<CheckpointPage> {
    let (limit, before) = feed_params::<i64>(q.limit, q.cursor.as_deref(), 200)?;
    let mut query = audit_checkpoints::Entity::find();
    if let Some(before) = before {
        query = query.filter(audit_checkpoints::Column::ChainPos.lt(before));
    }
    let rows = query
        .order_by_desc(audit_checkpoints::Column::ChainPos)
        .limit(u64::from(limit) + 1)
        .all(db)
        .await?;
    let items = rows.into_iter().map(checkpoint_response).collect();
    let (items, next_cursor) = feed_page(items, limit, |c| c.chain_pos.to_string());
    Ok(CheckpointPage { items, next_cursor })
}

/// Whether a checkpoint's signature verifies with the published key it names, over exactly
/// its stored position and head.
async fn checkpoint_signed(
    db: &impl ConnectionTrait,
    c: &audit_checkpoints::Model,
) -> AppResult<bool> {
    let Some((header, payload, input, signature)) = jws_parts(&c.signature) else {
        return Ok(false);
    };
    let Some(key) = entity::signing_keys::Entity::find()
        .filter(entity::signing_keys::Column::Kid.eq(c.kid.as_str()))
        .one(db)
        .await?
    else {
        return Ok(false);
    };
    let payload: serde_json::Value = serde_json::from_slice(&payload).unwrap_or_default();
    Ok(header["alg"] == "EdDSA"
        && header["kid"] == c.kid.as_str()
        && payload["chain_pos"] == c.chain_pos
        && payload["head_hash"] == hex::encode(&c.head_hash)
        && ed25519_verify(&key.public_key, input.as_bytes(), &signature))
}

/// Seals until the records written before now are in the chain, for at most `patience`: the
/// horizon is cluster-wide, so a long transaction anywhere holds sealing back.
async fn seal_up_to_now(db: &DatabaseConnection, patience: std::time::Duration) -> AppResult<()> {
    let now = Utc::now();
    let deadline = std::time::Instant::now() + patience;
    loop {
        seal_pass(db).await?;
        let waiting = db::exists(
            db,
            "SELECT 1 FROM audit_logs WHERE chain_pos IS NULL AND occurred_at <= $1 LIMIT 1",
            [now.into()],
        )
        .await?;
        if !waiting || std::time::Instant::now() >= deadline {
            return Ok(());
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}

/// Walks the chain (from the genesis, or from checkpoint `from`) and reports the first broken
/// link, the first checkpoint that no longer matches, and what is not sealed yet. Seals what
/// can be sealed first (waiting up to 5 s), so records committed before the call are covered.
pub async fn verify(db: &DatabaseConnection, from: Option<Uuid>) -> AppResult<VerifyResponse> {
    seal_up_to_now(db, std::time::Duration::from_secs(5)).await?;
    let mut report = VerifyResponse {
        valid: true,
        checked: 0,
        first_broken_seq: None,
        reason: None,
        broken_checkpoint: None,
        checkpoints_checked: 0,
        head_pos: 0,
        head_hash: String::new(),
        unsealed: 0,
        oldest_unsealed_secs: None,
        from_pos: 0,
    };
    let mut checkpoints = audit_checkpoints::Entity::find()
        .order_by_asc(audit_checkpoints::Column::ChainPos)
        .all(db)
        .await?;
    let (mut prev_hash, mut expected) = (GENESIS.to_vec(), 1_i64);
    if let Some(from) = from {
        let start = checkpoints
            .iter()
            .find(|c| c.id == from)
            .cloned()
            .ok_or_else(|| AppError::not_found("checkpoint"))?;
        report.from_pos = start.chain_pos;
        report.head_pos = start.chain_pos;
        checkpoints.retain(|c| c.chain_pos > start.chain_pos);
        prev_hash = start.head_hash.clone();
        expected = start.chain_pos + 1;
        report.checkpoints_checked += 1;
        if !checkpoint_signed(db, &start).await? {
            report.valid = false;
            report.broken_checkpoint = Some(start.id);
            report.reason = Some("the starting checkpoint's signature does not verify".into());
        }
    }
    let mut pending = checkpoints.into_iter().peekable();
    // A checkpoint at the starting position is checked against the record there.
    if report.valid && report.from_pos > 0 {
        let at = audit_logs::Entity::find()
            .filter(audit_logs::Column::ChainPos.eq(report.from_pos))
            .one(db)
            .await?;
        if at.and_then(|r| r.hash) != Some(prev_hash.clone()) {
            report.valid = false;
            report.first_broken_seq = Some(report.from_pos);
            report.reason = Some("the checkpoint's head is not in the chain any more".into());
            report.broken_checkpoint = from;
        }
    }
    'walk: while report.valid {
        let rows = audit_logs::Entity::find()
            .filter(audit_logs::Column::ChainPos.gte(expected))
            .order_by_asc(audit_logs::Column::ChainPos)
            .limit(1000)
            .all(db)
            .await?;
        if rows.is_empty() {
            break;
        }
        for row in &rows {
            let pos = row.chain_pos.unwrap_or_default();
            let problem = if pos != expected {
                Some(format!("record {expected} is missing"))
            } else if row.prev_hash.as_deref() != Some(prev_hash.as_slice()) {
                Some("prev_hash does not match the previous record's hash".to_owned())
            } else if row.hash.as_deref()
                != Some(chain::hash(&prev_hash, &link_of(row, pos)).as_slice())
            {
                Some("the record's content does not match its hash".to_owned())
            } else {
                None
            };
            if let Some(reason) = problem {
                report.valid = false;
                report.first_broken_seq = Some(expected.min(pos));
                report.reason = Some(reason);
                break 'walk;
            }
            prev_hash = row.hash.clone().unwrap_or_default();
            while let Some(c) = pending.next_if(|c| c.chain_pos <= pos) {
                report.checkpoints_checked += 1;
                let matches = c.chain_pos == pos && c.head_hash == prev_hash;
                if !matches || !checkpoint_signed(db, &c).await? {
                    report.valid = false;
                    report.broken_checkpoint = Some(c.id);
                    report.reason = Some(if matches {
                        "a checkpoint's signature does not verify".into()
                    } else {
                        "a checkpoint does not match the chain".into()
                    });
                    break 'walk;
                }
            }
            report.checked += 1;
            report.head_pos = pos;
            expected += 1;
        }
    }
    // Checkpoints beyond the head name records that are gone.
    if report.valid
        && let Some(c) = pending.next()
    {
        report.valid = false;
        report.broken_checkpoint = Some(c.id);
        report.reason = Some("a checkpoint names a position past the chain's head".into());
    }
    report.head_hash = if report.head_pos > 0 {
        hex::encode(&prev_hash)
    } else {
        String::new()
    };
    #[derive(FromQueryResult)]
    struct Unsealed {
        n: i64,
        oldest: Option<DateTime<Utc>>,
    }
    if let Some(u) = db::row::<Unsealed, _>(
        db,
        "SELECT count(*) AS n, min(occurred_at) AS oldest FROM audit_logs WHERE chain_pos IS NULL",
        [],
    )
    .await?
    {
        report.unsealed = u.n as u64;
        report.oldest_unsealed_secs = u
            .oldest
            .map(|t| (Utc::now() - t).num_milliseconds() as f64 / 1000.0);
    }
    Ok(report)
}
