//! Request and response types of the chat routes.

use chrono::{DateTime, Utc};
use kernel::enums::{PresenceStatus, ReactionKind, RoomKind, RoomRole};
use kernel::text::{Line, Name, Prose, Text};
use sea_orm::FromQueryResult;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

/// A room as one of its members sees it.
#[derive(Debug, Clone, Serialize, ToSchema, FromQueryResult)]
pub struct RoomResponse {
    pub id: Uuid,
    pub kind: RoomKind,
    /// The room's name; for a direct room, the other person's name.
    pub name: String,
    pub topic: String,
    pub course_id: Option<Uuid>,
    pub organization_id: Option<Uuid>,
    pub member_count: i32,
    pub message_count: i64,
    pub last_message_at: Option<DateTime<Utc>>,
    pub archived: bool,
    pub created_at: DateTime<Utc>,
    /// The caller's role in the room.
    pub my_role: RoomRole,
    /// Whether the caller muted the room (no mention notifications).
    pub muted: bool,
    /// Messages of others after the caller's read position.
    pub unread_count: i64,
    /// Of those, the ones that mention the caller.
    pub mention_count: i64,
    /// The caller's read position.
    pub last_read_id: Option<Uuid>,
}

/// Rooms, most recently active first.
#[derive(Debug, Serialize, ToSchema)]
pub struct RoomPage {
    pub items: Vec<RoomResponse>,
    /// Pass as `cursor` for the next page; absent on the last.
    pub next_cursor: Option<String>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct RoomListQuery {
    /// From a previous page's `next_cursor`.
    #[param(value_type = Option<String>, max_length = 53, pattern = "^[0-9]{1,16}_[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")]
    pub cursor: Option<Line<200>>,
    /// 1 to 100 (default 50).
    #[param(minimum = 1, maximum = 100)]
    pub limit: Option<u32>,
}

/// A direct room with one other person, or a group room.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateRoomRequest {
    /// `direct` or `group` (course and organization channels exist by themselves).
    pub kind: RoomKind,
    /// A group's name (required for groups).
    pub name: Option<Name<200>>,
    pub topic: Option<Text<1000>>,
    /// Direct: exactly the other person. Group: up to 100 people besides you.
    #[schema(max_items = 100)]
    pub member_ids: Vec<Uuid>,
}

/// Fields to change; absent fields stay.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateRoomRequest {
    pub name: Option<Name<200>>,
    pub topic: Option<Text<1000>>,
    /// Archived rooms are read-only.
    pub archived: Option<bool>,
}

/// A member of a room.
#[derive(Debug, Clone, Serialize, ToSchema, FromQueryResult)]
pub struct RoomMemberResponse {
    pub user_id: Uuid,
    pub display_name: String,
    pub role: RoomRole,
    pub joined_at: DateTime<Utc>,
    /// Online, idle or offline now.
    pub presence: PresenceStatus,
    /// When the member's last socket closed (absent while online or never seen).
    pub last_seen_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AddRoomMemberRequest {
    pub user_id: Uuid,
    /// `member` when absent; `admin` needs the owner.
    pub role: Option<RoomRole>,
}

/// The caller's own settings in a room.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MembershipRequest {
    pub muted: bool,
}

/// A file linked to a message (uploads come with the media module; until then a URL).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Attachment {
    /// An `http(s)://` URL.
    #[schema(value_type = String, max_length = 2048, pattern = "^https?://[A-Za-z0-9-]+(\\.[A-Za-z0-9-]+)*(:[0-9]{1,5})?(/[A-Za-z0-9._~%/-]*)?$")]
    pub url: Line<2048>,
    pub name: Name<255>,
    /// Bytes.
    #[schema(minimum = 0, maximum = 10_737_418_240_i64)]
    pub size: i64,
    #[schema(value_type = String, max_length = 255, pattern = "^[a-z]+/[A-Za-z0-9.+-]+$", example = "application/pdf")]
    pub mime_type: Line<255>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SendMessageRequest {
    /// Markdown; `@handle` (a member's email name before the `@`) mentions them.
    pub body: Prose<10000>,
    /// Reply in the thread of this message (of the same room).
    pub thread_root_id: Option<Uuid>,
    #[schema(max_items = 10)]
    #[serde(default)]
    pub attachments: Vec<Attachment>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EditMessageRequest {
    pub body: Prose<10000>,
}

/// How many reacted with one kind.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ReactionCount {
    pub kind: ReactionKind,
    pub count: i64,
    /// Whether the caller is one of them (always false in stream events).
    pub mine: bool,
}

/// A message.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, FromQueryResult)]
pub struct MessageResponse {
    pub id: Uuid,
    pub room_id: Uuid,
    pub author_id: Uuid,
    pub author_name: String,
    /// Markdown as written; empty once deleted or hidden.
    pub body: String,
    /// The body rendered to sanitized HTML.
    pub body_html: String,
    pub thread_root_id: Option<Uuid>,
    pub reply_count: i32,
    /// Members the message mentions.
    pub mentions: Vec<Uuid>,
    #[sea_orm(from_json)]
    #[schema(value_type = Vec<Attachment>)]
    pub attachments: serde_json::Value,
    #[sea_orm(from_json)]
    #[schema(value_type = Vec<ReactionCount>)]
    pub reactions: serde_json::Value,
    pub edited_at: Option<DateTime<Utc>>,
    pub deleted: bool,
    /// Hidden by a moderator.
    pub hidden: bool,
    pub created_at: DateTime<Utc>,
}

/// A page of a room's history, oldest first.
#[derive(Debug, Serialize, ToSchema)]
pub struct MessagePage {
    pub items: Vec<MessageResponse>,
    /// Whether older messages exist (page on with `before` = the first item's id).
    pub has_older: bool,
    /// Whether newer messages exist (page on with `after` = the last item's id).
    pub has_newer: bool,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct HistoryQuery {
    /// Messages older than this one.
    pub before: Option<Uuid>,
    /// Messages newer than this one.
    pub after: Option<Uuid>,
    /// Messages around this one (it included).
    pub around: Option<Uuid>,
    /// `first_unread`: the page around the caller's first unread message.
    #[param(inline, value_type = Option<String>, pattern = "^first_unread$", max_length = 20)]
    pub anchor: Option<Line<20>>,
    /// 1 to 100 (default 50).
    #[param(minimum = 1, maximum = 100)]
    pub limit: Option<u32>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SearchQuery {
    /// Words to find (full-text).
    #[param(min_length = 1, max_length = 200)]
    pub q: Line<200>,
    /// 1 to 100 (default 20).
    #[param(minimum = 1, maximum = 100)]
    pub limit: Option<u32>,
}

/// Search results, best first.
#[derive(Debug, Serialize, ToSchema)]
pub struct MessageList {
    pub items: Vec<MessageResponse>,
}

/// An earlier text of a message.
#[derive(Debug, Serialize, ToSchema, FromQueryResult)]
pub struct MessageEditResponse {
    pub id: Uuid,
    /// The text before this edit.
    pub body: String,
    pub edited_by: Uuid,
    pub edited_at: DateTime<Utc>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReadRequest {
    /// The newest message read (a message of this room).
    pub up_to: Uuid,
}

/// The caller's counts after moving the read position.
#[derive(Debug, Serialize, ToSchema)]
pub struct UnreadResponse {
    pub unread_count: i64,
    pub mention_count: i64,
    pub last_read_id: Option<Uuid>,
}

/// Who read up to where (small rooms only).
#[derive(Debug, Serialize, Deserialize, ToSchema, FromQueryResult)]
pub struct Reader {
    pub user_id: Uuid,
    pub up_to: Uuid,
}

/// Who read a message.
#[derive(Debug, Serialize, ToSchema)]
pub struct ReceiptsResponse {
    /// Members (other than the author) whose read position is at or past the message, among
    /// those who send receipts.
    pub read_by_count: i64,
    /// Those members with their positions, in rooms up to `chat.receipt_detail_max_members`
    /// members; absent in bigger rooms.
    pub readers: Option<Vec<Reader>>,
}

/// The caller's chat settings.
#[derive(Debug, Serialize, Deserialize, ToSchema, FromQueryResult)]
#[serde(deny_unknown_fields)]
pub struct ChatSettingsBody {
    /// Whether others may see how far you read.
    pub send_receipts: bool,
}
