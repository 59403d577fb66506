//! The per-user event stream: what a user should see (chat messages, receipts, membership
//! changes, later notifications and forum replies), each with the next number of that user's
//! own sequence, and the [`Hub`] that delivers it live to the sockets and long polls of this
//! node.
//!
//! Rules: events are appended inside the transaction of the change they describe
//! ([`append`]), to any number of users in one statement; a user's sequence has no gap and
//! commits in order (the `stream_cursors` row lock orders concurrent appends); nodes wake each
//! other with `NOTIFY azora_stream` carrying only user ids, and every delivery reads the log,
//! so a lost wake-up costs latency (until the next sweep), never an event.

mod hub;

pub use hub::{EPHEMERAL_CHANNEL, Hub, Outbound, Subscription};

use chrono::{DateTime, Utc};
use kernel::{AppResult, db};
use sea_orm::{ConnectionTrait, FromQueryResult, Value};
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

/// The channel nodes wake each other on.
pub const CHANNEL: &str = "azora_stream";
/// User ids per NOTIFY payload (33 bytes each; Postgres allows 8,000 per payload).
const IDS_PER_NOTIFY: i64 = 200;

/// One event of a user's stream.
#[derive(Debug, Clone, Serialize, ToSchema, FromQueryResult)]
pub struct StreamEvent {
    /// The user's own sequence number: 1, 2, 3, ... with no gap.
    pub seq: i64,
    /// What happened: `message_created`, `message_edited`, `message_deleted`,
    /// `reaction_added`, `reaction_removed`, `receipt`, `member_joined`, `member_left`,
    /// `room_created`, `room_updated`, `mentioned`.
    #[schema(example = "message_created")]
    pub kind: String,
    /// The chat room it happened in, if any.
    pub room_id: Option<Uuid>,
    /// The changed thing as its own route shows it (a message, a room, a receipt ...).
    #[schema(value_type = Object)]
    pub data: serde_json::Value,
    pub created_at: DateTime<Utc>,
}

/// An event of one user's stream, as the hub reads it.
#[derive(Debug, Clone, FromQueryResult)]
pub(crate) struct UserEvent {
    pub user_id: Uuid,
    pub seq: i64,
    pub kind: String,
    pub room_id: Option<Uuid>,
    pub data: serde_json::Value,
    pub created_at: DateTime<Utc>,
}

impl UserEvent {
    pub(crate) fn event(self) -> StreamEvent {
        StreamEvent {
            seq: self.seq,
            kind: self.kind,
            room_id: self.room_id,
            data: self.data,
            created_at: self.created_at,
        }
    }
}

/// Who receives an event: a SELECT of one `user_id` column with its own parameters
/// (`$1`, `$2`, ...), e.g. a room's members.
pub struct Recipients {
    pub sql: String,
    pub values: Vec<Value>,
}

impl Recipients {
    /// These users.
    pub fn users(ids: &[Uuid]) -> Self {
        Recipients {
            sql: "SELECT unnest($1::uuid[]) AS user_id".into(),
            values: vec![ids.to_vec().into()],
        }
    }

    /// The rows of a query selecting `user_id`.
    pub fn query(sql: impl Into<String>, values: Vec<Value>) -> Self {
        Recipients {
            sql: sql.into(),
            values,
        }
    }
}

/// Appends an event to the stream of every recipient and wakes the nodes that serve them, in
/// one statement whatever the number of recipients; returns how many received it. Takes the
/// recipients' sequence rows in id order, so concurrent fan-outs never deadlock.
pub async fn append(
    db: &impl ConnectionTrait,
    to: Recipients,
    kind: &str,
    room_id: Option<Uuid>,
    data: &serde_json::Value,
) -> AppResult<i64> {
    let n = to.values.len();
    let sql = format!(
        "WITH r AS (SELECT DISTINCT user_id FROM ({recipients}) q WHERE user_id IS NOT NULL),
        c AS (
            INSERT INTO stream_cursors AS sc (user_id, last_seq)
            SELECT user_id, 1 FROM r ORDER BY user_id
            ON CONFLICT (user_id) DO UPDATE SET last_seq = sc.last_seq + 1
            RETURNING user_id, last_seq),
        e AS (
            INSERT INTO stream_events (user_id, seq, kind, room_id, data)
            SELECT user_id, last_seq, ${k}, ${r}, ${d} FROM c
            RETURNING user_id),
        w AS (
            SELECT pg_notify('{CHANNEL}', string_agg(replace(user_id::text, '-', ''), ',')) AS sent,
                   count(*) AS users
            FROM (SELECT user_id, (row_number() OVER (ORDER BY user_id) - 1) / {IDS_PER_NOTIFY} AS chunk FROM e) x
            GROUP BY chunk)
        SELECT coalesce(sum(users), 0)::bigint FROM w",
        recipients = to.sql,
        k = n + 1,
        r = n + 2,
        d = n + 3,
    );
    let mut values = to.values;
    values.push(kind.into());
    values.push(room_id.into());
    values.push(data.clone().into());
    Ok(db::scalar(db, sql, values).await?.unwrap_or(0))
}

/// A user's newest sequence and the newest one pruned (events up to it are gone).
#[derive(Debug, Clone, Copy, Default, FromQueryResult)]
pub struct Position {
    pub last_seq: i64,
    pub pruned_through: i64,
}

impl Position {
    /// Whether a client that saw up to `after` can no longer be caught up from the log.
    pub fn needs_resync(&self, after: i64) -> bool {
        after < self.pruned_through
    }
}

pub async fn position(db: &impl ConnectionTrait, user_id: Uuid) -> AppResult<Position> {
    Ok(db::row(
        db,
        "SELECT last_seq, pruned_through FROM stream_cursors WHERE user_id = $1",
        [user_id.into()],
    )
    .await?
    .unwrap_or_default())
}

/// The user's events after `after`, oldest first, at most `limit`.
pub async fn read(
    db: &impl ConnectionTrait,
    user_id: Uuid,
    after: i64,
    limit: u64,
) -> AppResult<Vec<StreamEvent>> {
    Ok(db::rows(
        db,
        "SELECT seq, kind, room_id, data, created_at FROM stream_events
         WHERE user_id = $1 AND seq > $2 ORDER BY seq LIMIT $3",
        [user_id.into(), after.into(), (limit as i64).into()],
    )
    .await?)
}

/// Events of several users after each one's position, oldest first per user, at most
/// `per_user` each: the hub's one query per wake-up.
pub(crate) async fn read_many(
    db: &impl ConnectionTrait,
    users: &[(Uuid, i64)],
    per_user: i64,
) -> AppResult<Vec<UserEvent>> {
    let ids: Vec<Uuid> = users.iter().map(|u| u.0).collect();
    let after: Vec<i64> = users.iter().map(|u| u.1).collect();
    Ok(db::rows(
        db,
        "SELECT e.user_id, e.seq, e.kind, e.room_id, e.data, e.created_at
         FROM unnest($1::uuid[], $2::bigint[]) AS c (user_id, after)
         CROSS JOIN LATERAL (
             SELECT * FROM stream_events s
             WHERE s.user_id = c.user_id AND s.seq > c.after
             ORDER BY s.seq LIMIT $3) e
         ORDER BY e.user_id, e.seq",
        [ids.into(), after.into(), per_user.into()],
    )
    .await?)
}

/// Deletes events older than `days` and remembers per user how far pruning went; returns the
/// number deleted.
pub async fn prune(db: &impl ConnectionTrait, days: u32) -> AppResult<u64> {
    let n: Option<i64> = db::scalar(
        db,
        "WITH d AS (
            DELETE FROM stream_events WHERE created_at < now() - make_interval(days => $1)
            RETURNING user_id, seq),
        m AS (SELECT user_id, max(seq) AS upto, count(*) AS n FROM d GROUP BY user_id),
        u AS (
            UPDATE stream_cursors c SET pruned_through = greatest(c.pruned_through, m.upto)
            FROM m WHERE c.user_id = m.user_id RETURNING m.n)
        SELECT coalesce(sum(n), 0)::bigint FROM u",
        [(days as i32).into()],
    )
    .await?;
    Ok(n.unwrap_or(0) as u64)
}

/// Sends a signal that is not stored (typing, presence) to the sockets of `to` on every node.
pub async fn signal(
    db: &impl ConnectionTrait,
    to: &[Uuid],
    signal: serde_json::Value,
) -> AppResult<()> {
    if to.is_empty() {
        return Ok(());
    }
    let payload = serde_json::json!({ "to": to, "signal": signal }).to_string();
    db::exec(
        db,
        "SELECT pg_notify($1, $2)",
        [EPHEMERAL_CHANNEL.into(), payload.into()],
    )
    .await?;
    Ok(())
}
