//! The socket's messages, as JSON text frames, documented as OpenAPI components
//! (`ClientMessage`, `ServerMessage`).

use kernel::enums::PresenceStatus;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::stream::StreamEvent;

/// What a client sends on `GET /api/v1/events/ws`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum ClientMessage {
    /// The first message: the access token (unless given as the `bearer.<token>`
    /// subprotocol) and the last sequence the client saw (absent: live from now).
    Hello {
        #[schema(max_length = 4096)]
        token: Option<String>,
        #[schema(minimum = 0)]
        after: Option<i64>,
    },
    /// The user is typing in a room (sent to the other members of small rooms).
    Typing { room_id: Uuid },
    /// The user's presence changed (`online` or `idle`).
    Presence { status: PresenceStatus },
    /// Answered with `pong`.
    Ping,
}

/// What the server sends.
#[derive(Debug, Serialize, ToSchema)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ServerMessage {
    /// After `hello`: who the socket belongs to and the newest sequence now.
    Ready {
        user_id: Uuid,
        last_seq: i64,
    },
    /// The next event of the user's stream.
    Event(StreamEvent),
    /// The events after `after` were pruned: rebuild from `GET /api/v1/events/snapshot`; the
    /// socket continues live after `last_seq`.
    ResyncRequired {
        after: i64,
        oldest_seq: i64,
        last_seq: i64,
    },
    /// Someone is typing in a room.
    Typing {
        room_id: Uuid,
        user_id: Uuid,
    },
    /// Someone's presence changed.
    Presence {
        user_id: Uuid,
        status: PresenceStatus,
        last_seen_at: Option<chrono::DateTime<chrono::Utc>>,
    },
    Pong,
    /// A message of the client could not be used (the socket stays open).
    Error {
        code: String,
        detail: String,
    },
}
