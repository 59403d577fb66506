//! Request and response types of the forum routes.

use chrono::{DateTime, Utc};
use kernel::ScopeType;
use kernel::enums::{PostOrder, PostingRule, SubscriptionLevel, ThreadKind};
use kernel::text::{Line, Name, Prose, Text};
use sea_orm::FromQueryResult;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

pub use crate::modules::chat::ReactionCount;

/// A forum as the caller sees it.
#[derive(Debug, Clone, Serialize, ToSchema, FromQueryResult)]
pub struct ForumResponse {
    pub id: Uuid,
    pub scope_type: ScopeType,
    /// The organization or course; absent for site-wide forums.
    pub scope_id: Option<Uuid>,
    pub parent_id: Option<Uuid>,
    /// 1 for a top forum, at most 3.
    pub depth: i16,
    pub name: String,
    pub description: String,
    /// Who may start threads.
    pub start_rule: PostingRule,
    /// Who may reply.
    pub reply_rule: PostingRule,
    pub position: i32,
    pub thread_count: i32,
    pub post_count: i32,
    pub last_posted_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    /// The caller's subscription level (`normal` unless chosen).
    pub my_level: SubscriptionLevel,
    /// Whether the caller may start a thread here now (rules and bans; rate limits aside).
    #[sea_orm(skip)]
    pub can_start_threads: bool,
    /// Whether the caller may reply here now.
    #[sea_orm(skip)]
    pub can_reply: bool,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListForumsQuery {
    #[param(inline)]
    pub scope_type: Option<ScopeType>,
    pub scope_id: Option<Uuid>,
    /// Only the sub-forums of this forum.
    pub parent_id: Option<Uuid>,
}

/// A new forum.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateForumRequest {
    /// Ignored for sub-forums, which take their parent's scope.
    pub scope_type: ScopeType,
    /// The organization or course (with an organization or course `scope_type`).
    pub scope_id: Option<Uuid>,
    /// Makes this a sub-forum (at most three levels).
    pub parent_id: Option<Uuid>,
    pub name: Name<200>,
    pub description: Option<Text<2000>>,
    /// `members` when absent.
    pub start_rule: Option<PostingRule>,
    /// `members` when absent.
    pub reply_rule: Option<PostingRule>,
    /// Order among its siblings (0 when absent).
    #[schema(minimum = 0, maximum = 1000000)]
    pub position: Option<i32>,
}

/// Fields to change; absent fields stay.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateForumRequest {
    pub name: Option<Name<200>>,
    pub description: Option<Text<2000>>,
    pub start_rule: Option<PostingRule>,
    pub reply_rule: Option<PostingRule>,
    #[schema(minimum = 0, maximum = 1000000)]
    pub position: Option<i32>,
}

/// A thread.
#[derive(Debug, Clone, Serialize, ToSchema, FromQueryResult)]
pub struct ThreadResponse {
    pub id: Uuid,
    pub forum_id: Uuid,
    pub author_id: Uuid,
    pub author_name: String,
    pub title: String,
    pub kind: ThreadKind,
    /// The first post (the question or the opening post).
    pub root_post_id: Option<Uuid>,
    pub accepted_post_id: Option<Uuid>,
    /// The accepted answer, shown ahead of the replies (filled by `GET /forums/threads/{id}`).
    #[sea_orm(skip)]
    pub accepted_answer: Option<PostResponse>,
    pub lesson_id: Option<Uuid>,
    pub assessment_id: Option<Uuid>,
    /// Pinned threads list first.
    pub pinned: bool,
    /// Locked threads take posts from staff only.
    pub locked: bool,
    /// Hidden by a moderator (listed to staff only).
    pub hidden: bool,
    /// Set when the thread was merged into another; it takes no posts any more.
    pub merged_into_id: Option<Uuid>,
    pub post_count: i32,
    pub last_posted_at: DateTime<Utc>,
    pub created_at: DateTime<Utc>,
    /// The caller's level on this thread (its own, else its forum's, else `normal`).
    pub my_level: SubscriptionLevel,
}

/// Threads of a forum: pinned first, then by latest post.
#[derive(Debug, Serialize, ToSchema)]
pub struct ThreadPage {
    pub items: Vec<ThreadResponse>,
    /// Pass as `cursor` for the next page; absent on the last.
    pub next_cursor: Option<String>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListThreadsQuery {
    /// From a previous page's `next_cursor`.
    #[param(value_type = Option<String>, max_length = 60, pattern = "^[01]_[0-9]{1,20}_[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")]
    pub cursor: Option<Line<60>>,
    /// 1 to 100 (default 20).
    #[param(minimum = 1, maximum = 100)]
    pub limit: Option<u32>,
    /// Only threads linked to this lesson.
    pub lesson_id: Option<Uuid>,
}

/// A new thread: its title and first post.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateThreadRequest {
    pub title: Name<300>,
    /// Markdown, rendered server-side to sanitized HTML.
    pub body: Prose<20000>,
    /// `discussion` when absent.
    pub kind: Option<ThreadKind>,
    /// A lesson of the forum's course the thread is about.
    pub lesson_id: Option<Uuid>,
    /// An assessment of the forum's course the thread is about.
    pub assessment_id: Option<Uuid>,
}

/// Changes to a thread: `title`, `lesson_id` and `assessment_id` by its author or staff; the
/// rest by staff only. `null` clears a link.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateThreadRequest {
    pub title: Option<Name<300>>,
    #[serde(default, deserialize_with = "kernel::text::double_option")]
    #[schema(value_type = Option<Uuid>)]
    pub lesson_id: Option<Option<Uuid>>,
    #[serde(default, deserialize_with = "kernel::text::double_option")]
    #[schema(value_type = Option<Uuid>)]
    pub assessment_id: Option<Option<Uuid>>,
    pub pinned: Option<bool>,
    pub locked: Option<bool>,
    pub hidden: Option<bool>,
    /// Moves the thread to another forum (staff of both).
    pub forum_id: Option<Uuid>,
}

/// A post.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, FromQueryResult)]
pub struct PostResponse {
    pub id: Uuid,
    pub thread_id: Uuid,
    /// The post's number in its thread (1 for the first).
    pub number: i32,
    /// The post it replies to; absent for the root.
    pub parent_id: Option<Uuid>,
    /// 0 for the root, 1 for replies to it, and so on.
    pub depth: i32,
    /// The post's place in the tree (post numbers from the root), the tree order's cursor.
    pub path: String,
    pub author_id: Uuid,
    pub author_name: String,
    /// Markdown as written; empty when deleted, or hidden from a caller who is not staff.
    pub body: String,
    /// The body rendered to sanitized HTML.
    pub body_html: String,
    /// Direct replies.
    pub child_count: i32,
    /// Sum of the votes (answers in question threads).
    pub score: i32,
    /// The caller's vote: -1, 0 or 1.
    pub my_vote: i16,
    #[sea_orm(from_json)]
    #[schema(value_type = Vec<ReactionCount>)]
    pub reactions: serde_json::Value,
    /// The thread's accepted answer.
    pub accepted: bool,
    pub deleted: bool,
    /// Hidden by a moderator or by flags awaiting review.
    pub hidden: bool,
    pub edited_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
}

/// A page of a thread's posts.
#[derive(Debug, Serialize, ToSchema)]
pub struct PostPage {
    pub items: Vec<PostResponse>,
    /// Pass as `cursor` for the next page; absent on the last.
    pub next_cursor: Option<String>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListPostsQuery {
    /// `tree` when absent.
    #[param(inline)]
    pub order: Option<PostOrder>,
    /// From a previous page's `next_cursor` (a path like `1.4.9` in tree order, a post id in
    /// flat order).
    #[param(value_type = Option<String>, max_length = 800, pattern = "^([0-9]{1,9}(\\.[0-9]{1,9}){0,63}|[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12})$")]
    pub cursor: Option<Line<800>>,
    /// 1 to 100 (default 20).
    #[param(minimum = 1, maximum = 100)]
    pub limit: Option<u32>,
}

/// A reply.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreatePostRequest {
    /// Markdown, rendered server-side to sanitized HTML.
    pub body: Prose<20000>,
    /// The post replied to (the root when absent).
    pub parent_id: Option<Uuid>,
}

/// A post's new text (the old one is kept as a revision).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EditPostRequest {
    pub body: Prose<20000>,
}

/// An earlier text of a post.
#[derive(Debug, Serialize, ToSchema, FromQueryResult)]
pub struct RevisionResponse {
    pub id: Uuid,
    /// The text before this edit.
    pub body: String,
    pub edited_by: Uuid,
    pub edited_at: DateTime<Utc>,
}

/// Where a split-off subtree goes.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SplitRequest {
    pub title: Name<300>,
    /// The forum of the new thread (this thread's when absent; staff of both).
    pub forum_id: Option<Uuid>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MergeRequest {
    /// The thread that takes every post of this one.
    pub into_thread_id: Uuid,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AcceptRequest {
    /// A reply in this (question) thread.
    pub post_id: Uuid,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct VoteRequest {
    /// 1 (up) or -1 (down).
    #[schema(minimum = -1, maximum = 1)]
    pub value: i16,
}

/// A subscription level.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SubscriptionBody {
    pub level: SubscriptionLevel,
}

/// A ban from a forum.
#[derive(Debug, Serialize, ToSchema, FromQueryResult)]
pub struct BanResponse {
    pub forum_id: Uuid,
    pub user_id: Uuid,
    /// Absent: until lifted.
    pub until: Option<DateTime<Utc>>,
    pub reason: String,
    pub banned_by: Uuid,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BanRequest {
    pub user_id: Uuid,
    /// The ban ends then; absent, it lasts until lifted.
    pub until: Option<DateTime<Utc>>,
    pub reason: Option<Text<1000>>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SimilarQuery {
    /// The title being written (a blank one matches nothing).
    pub title: Line<300>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SearchQuery {
    /// Words to find (web search syntax: `"a phrase"`, `-word`, `or`); a blank one finds
    /// nothing.
    pub q: Line<200>,
    pub forum_id: Option<Uuid>,
    pub author_id: Option<Uuid>,
    /// Posts written at or after this time.
    pub since: Option<DateTime<Utc>>,
    /// Posts written before this time.
    pub until: Option<DateTime<Utc>>,
    /// Only threads with (true) or without (false) an accepted answer.
    pub answered: Option<bool>,
    /// Page number, from 1.
    #[param(minimum = 1, maximum = 1000000)]
    pub page: Option<u64>,
    /// Items per page (default 20).
    #[param(minimum = 1, maximum = 100)]
    pub per_page: Option<u64>,
}

/// A post that matches a search.
#[derive(Debug, Serialize, ToSchema, FromQueryResult)]
pub struct SearchHit {
    pub post_id: Uuid,
    pub thread_id: Uuid,
    pub forum_id: Uuid,
    pub title: String,
    pub number: i32,
    pub author_id: Uuid,
    pub author_name: String,
    /// The matching passage, HTML-escaped, with the matches in `<mark>`.
    pub snippet: String,
    /// Relevance (higher is better).
    pub rank: f32,
    /// Whether the thread has an accepted answer.
    pub answered: bool,
    pub created_at: DateTime<Utc>,
}
