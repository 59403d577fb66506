//! Posts: writing them into the tree (a path of post numbers, under the thread's row lock),
//! reading a thread in tree or flat order by keyset, editing with revisions, soft deletion,
//! reactions, votes, flags (hidden after `forums.auto_hide_flags` distinct ones) and the
//! stream events of watchers, replied-to authors and mentioned members.

use kernel::enums::{
    FlagAction, FlagTarget, PostOrder, ReactionKind, SubscriptionLevel, ThreadKind,
};
use kernel::{Actor, AppError, AppResult, ErrorCode, RequestMeta, db};
use sea_orm::{ConnectionTrait, DatabaseTransaction, FromQueryResult, TransactionTrait};
use serde_json::json;
use uuid::Uuid;

use super::access::{self, Access, FORUM_FACTS, FORUM_FROM, Posting};
use super::boards::set_level_in;
use super::dto::{
    CreatePostRequest, EditPostRequest, ListPostsQuery, PostPage, PostResponse, RevisionResponse,
    VoteRequest,
};
use crate::markdown;
use crate::modules::audit::{self, AuditEvent};
use crate::modules::moderation::{self, FlagRequest, FlagResponse};
use crate::state::AppState;
use crate::stream::{self, Recipients};

/// A post as `$1` sees it (`$2`: whether `$1` is staff, who see hidden bodies).
pub(super) const POST_VIEW: &str = "
SELECT p.id, p.thread_id, p.number, p.parent_id, cardinality(p.path) - 1 AS depth,
       array_to_string(p.path, '.') AS path, p.author_id, u.display_name AS author_name,
       CASE WHEN p.deleted_at IS NULL AND (p.hidden_at IS NULL OR $2) THEN p.body ELSE '' END AS body,
       CASE WHEN p.deleted_at IS NULL AND (p.hidden_at IS NULL OR $2) THEN p.body_html ELSE '' END AS body_html,
       p.child_count, p.score,
       coalesce((SELECT v.value FROM forum_votes v WHERE v.post_id = p.id AND v.user_id = $1), 0::smallint) AS my_vote,
       coalesce((SELECT jsonb_agg(jsonb_build_object('kind', k.kind, 'count', k.n, 'mine', k.mine) ORDER BY k.kind)
                 FROM (SELECT kind, count(*) AS n, bool_or(user_id = $1) AS mine
                       FROM forum_reactions WHERE post_id = p.id GROUP BY kind) k), '[]'::jsonb) AS reactions,
       coalesce(t.accepted_post_id = p.id, false) AS accepted,
       p.deleted_at IS NOT NULL AS deleted, p.hidden_at IS NOT NULL AS hidden, p.edited_at, p.created_at
FROM forum_posts p JOIN users u ON u.id = p.author_id JOIN forum_threads t ON t.id = p.thread_id";

pub(super) async fn view(
    db: &impl ConnectionTrait,
    viewer: Uuid,
    staff: bool,
    id: Uuid,
) -> AppResult<PostResponse> {
    db::row(
        db,
        format!("{POST_VIEW} WHERE p.id = $3"),
        [viewer.into(), staff.into(), id.into()],
    )
    .await?
    .ok_or_else(|| AppError::not_found("post"))
}

/// What the rules need of a thread.
#[derive(Debug, Clone, FromQueryResult)]
pub(super) struct ThreadRow {
    pub id: Uuid,
    pub forum_id: Uuid,
    pub author_id: Uuid,
    pub title: String,
    pub kind: ThreadKind,
    pub root_post_id: Option<Uuid>,
    pub accepted_post_id: Option<Uuid>,
    pub locked: bool,
    pub hidden: bool,
    pub merged_into_id: Option<Uuid>,
    pub lesson_id: Option<Uuid>,
    pub assessment_id: Option<Uuid>,
    pub next_number: i32,
    pub post_count: i32,
}

/// The columns of [`ThreadRow`] from a thread `t`.
const THREAD_FACTS: &str = "t.id, t.forum_id, t.author_id, t.title, t.kind, t.root_post_id, t.accepted_post_id,
        t.locked, t.hidden_at IS NOT NULL AS hidden, t.merged_into_id, t.lesson_id, t.assessment_id, t.next_number,
        t.post_count";

pub(super) async fn thread_row(
    db: &impl ConnectionTrait,
    id: Uuid,
    lock: bool,
) -> AppResult<ThreadRow> {
    db::row(
        db,
        format!(
            "SELECT {THREAD_FACTS} FROM forum_threads t WHERE t.id = $1{}",
            if lock { " FOR UPDATE" } else { "" }
        ),
        [id.into()],
    )
    .await?
    .ok_or_else(|| AppError::not_found("thread"))
}

/// A thread with its forum's facts, read in one statement (every thread route starts here).
#[derive(Debug, FromQueryResult)]
struct ThreadAndForum {
    #[sea_orm(nested)]
    thread: ThreadRow,
    scope_type: kernel::ScopeType,
    scope_id: Option<Uuid>,
    parent_id: Option<Uuid>,
    grandparent_id: Option<Uuid>,
    depth: i16,
    start_rule: kernel::enums::PostingRule,
    reply_rule: kernel::enums::PostingRule,
}

/// Thread `id` and its forum if the caller sees them (404 otherwise; hidden threads are
/// seen by staff only).
pub(super) async fn thread_for(
    state: &AppState,
    actor: &Actor,
    id: Uuid,
) -> AppResult<(ThreadRow, Access)> {
    let row: ThreadAndForum = db::row(
        &state.db,
        format!(
            "SELECT {THREAD_FACTS}, {FORUM_FACTS} FROM forum_threads t JOIN {FORUM_FROM} ON f.id = t.forum_id
             WHERE t.id = $1"
        ),
        [id.into()],
    )
    .await?
    .ok_or_else(|| AppError::not_found("thread"))?;
    let forum = access::ForumRow {
        id: row.thread.forum_id,
        scope_type: row.scope_type,
        scope_id: row.scope_id,
        parent_id: row.parent_id,
        grandparent_id: row.grandparent_id,
        depth: row.depth,
        start_rule: row.start_rule,
        reply_rule: row.reply_rule,
    };
    let thread = row.thread;
    let a = access::access_to(state, actor, forum)
        .await
        .map_err(|e| not_found_as(e, "thread"))?;
    if thread.hidden && !a.staff {
        return Err(AppError::not_found("thread"));
    }
    Ok((thread, a))
}

fn not_found_as(e: AppError, what: &str) -> AppError {
    if e.code() == ErrorCode::NotFound {
        AppError::not_found(what)
    } else {
        e
    }
}

/// What the rules need of a post.
#[derive(Debug, Clone, FromQueryResult)]
pub(super) struct PostRow {
    pub id: Uuid,
    pub thread_id: Uuid,
    pub parent_id: Option<Uuid>,
    pub path: Vec<i32>,
    pub author_id: Uuid,
    pub body: String,
    pub deleted: bool,
    pub hidden: bool,
}

pub(super) async fn post_row(
    db: &impl ConnectionTrait,
    id: Uuid,
    lock: bool,
) -> AppResult<PostRow> {
    db::row(
        db,
        format!(
            "SELECT id, thread_id, parent_id, path, author_id, body, deleted_at IS NOT NULL AS deleted,
                    hidden_at IS NOT NULL AS hidden FROM forum_posts WHERE id = $1{}",
            if lock { " FOR UPDATE" } else { "" }
        ),
        [id.into()],
    )
    .await?
    .ok_or_else(|| AppError::not_found("post"))
}

/// Post `id`, its thread and forum if the caller sees them (404 otherwise).
pub(super) async fn post_for(
    state: &AppState,
    actor: &Actor,
    id: Uuid,
) -> AppResult<(PostRow, ThreadRow, Access)> {
    let post = post_row(&state.db, id, false).await?;
    let (thread, a) = thread_for(state, actor, post.thread_id)
        .await
        .map_err(|e| not_found_as(e, "post"))?;
    Ok((post, thread, a))
}

/// Writes a post under `parent` (the root when `None`; then `title` goes into its search
/// vector) and counts it in its thread and forum. The caller holds the thread's row lock.
pub(super) async fn insert_in(
    txn: &DatabaseTransaction,
    thread: &ThreadRow,
    parent: Option<&PostRow>,
    author: Uuid,
    body: &str,
    title: Option<&str>,
) -> AppResult<Uuid> {
    if parent.is_some_and(|p| p.path.len() >= 64) {
        return Err(AppError::field(
            "#/parent_id",
            "replies nest at most 64 levels deep",
        ));
    }
    let id = Uuid::now_v7();
    let parent_path: Vec<i32> = parent.map(|p| p.path.clone()).unwrap_or_default();
    db::exec(
        txn,
        "WITH n AS (UPDATE forum_threads SET next_number = next_number + 1, post_count = post_count + 1,
                           last_posted_at = now()
                    WHERE id = $2 RETURNING next_number - 1 AS number)
         INSERT INTO forum_posts (id, thread_id, number, parent_id, path, author_id, body, body_html, search)
         SELECT $1, $2, n.number, $3, $4::int[] || n.number, $5, $6, $7,
                setweight(to_tsvector('english', $8), 'A') || setweight(to_tsvector('english', $6), 'B')
         FROM n",
        [
            id.into(),
            thread.id.into(),
            parent.map(|p| p.id).into(),
            parent_path.into(),
            author.into(),
            body.into(),
            markdown::markdown_to_html(body).into(),
            title.unwrap_or("").into(),
        ],
    )
    .await?;
    db::exec(
        txn,
        "WITH c AS (UPDATE forum_posts SET child_count = child_count + 1 WHERE id = $2)
         UPDATE forums SET post_count = post_count + 1, last_posted_at = now() WHERE id = $1",
        [thread.forum_id.into(), parent.map(|p| p.id).into()],
    )
    .await?;
    // Whoever writes in a thread watches it, unless they chose a level for it already.
    db::exec(
        txn,
        "INSERT INTO forum_subscriptions (user_id, target_type, target_id, level) VALUES ($1, 'thread', $2, 'watching')
         ON CONFLICT DO NOTHING",
        [author.into(), thread.id.into()],
    )
    .await?;
    Ok(id)
}

/// Who of `$4` (users) may see forum `$1` (scope `$2`/`$3`): the forum's audience as SQL over
/// a user id column named `user_id`.
const AUDIENCE: &str = "($2 = 'global'
   OR ($2 = 'organization' AND EXISTS (SELECT 1 FROM organization_members m WHERE m.organization_id = $3 AND m.user_id = x.user_id))
   OR ($2 = 'course' AND (EXISTS (SELECT 1 FROM enrollments e WHERE e.course_id = $3 AND e.user_id = x.user_id AND e.status <> 'dropped')
                        OR EXISTS (SELECT 1 FROM course_instructors ci WHERE ci.course_id = $3 AND ci.user_id = x.user_id))))";

/// The effective level of `x.user_id` on thread `$4` of forum `$1`.
const LEVEL: &str = "coalesce((SELECT s.level FROM forum_subscriptions s WHERE s.user_id = x.user_id
      AND ((s.target_type = 'thread' AND s.target_id = $4) OR (s.target_type = 'forum' AND s.target_id = $1))
      ORDER BY s.target_type DESC LIMIT 1), 'normal')";

/// Stream events of a new post: `forum_post_created` to the thread's watchers,
/// `forum_reply` to the replied-to author, `forum_mentioned` to mentioned members; never to
/// the author, never to muted users, only to users who see the forum.
pub(super) async fn notify_in(
    txn: &DatabaseTransaction,
    a: &Access,
    thread: &ThreadRow,
    post: &PostResponse,
    parent_author: Option<Uuid>,
) -> AppResult<()> {
    let data = json!({
        "post": post, "thread_id": thread.id, "forum_id": thread.forum_id, "title": thread.title,
    });
    let base = || -> Vec<sea_orm::Value> {
        vec![
            thread.forum_id.into(),
            a.forum.scope_type.as_str().into(),
            a.forum.scope_id.into(),
            thread.id.into(),
            post.author_id.into(),
        ]
    };
    let watchers = Recipients::query(
        format!(
            "SELECT x.user_id FROM (SELECT DISTINCT user_id FROM forum_subscriptions
                 WHERE ((target_type = 'thread' AND target_id = $4) OR (target_type = 'forum' AND target_id = $1))
                   AND level = 'watching' AND user_id <> $5) x
             WHERE {LEVEL} = 'watching' AND {AUDIENCE} ORDER BY x.user_id"
        ),
        base(),
    );
    stream::append(txn, watchers, "forum_post_created", None, &data).await?;
    if let Some(parent_author) = parent_author.filter(|p| *p != post.author_id) {
        let mut values = base();
        values.push(parent_author.into());
        let to = Recipients::query(
            format!(
                "SELECT x.user_id FROM (SELECT $6::uuid AS user_id) x
                 WHERE {LEVEL} NOT IN ('watching', 'muted') AND {AUDIENCE}"
            ),
            values,
        );
        stream::append(txn, to, "forum_reply", None, &data).await?;
    }
    let handles = markdown::mentioned_handles(&post.body);
    if !handles.is_empty() {
        let mut values = base();
        values.push(handles.into());
        let to = Recipients::query(
            format!(
                "SELECT x.user_id FROM (SELECT id AS user_id FROM users
                     WHERE lower(split_part(email, '@', 1)) = ANY ($6) AND id <> $5) x
                 WHERE {LEVEL} <> 'muted' AND {AUDIENCE} ORDER BY x.user_id"
            ),
            values,
        );
        stream::append(txn, to, "forum_mentioned", None, &data).await?;
    }
    Ok(())
}

/// Checks a body: 1 to 20,000 characters, not blank.
pub(super) fn check_body(body: &str) -> AppResult<()> {
    let mut errors = Vec::new();
    kernel::text::check_name("#/body", body, 20_000, &mut errors);
    if errors.is_empty() {
        Ok(())
    } else {
        Err(AppError::validation(errors))
    }
}

/// Refuses posts into merged threads (409 `thread_merged`) and, for non-staff, locked ones
/// (409 `thread_locked`).
fn check_open(thread: &ThreadRow, a: &Access) -> AppResult<()> {
    if thread.merged_into_id.is_some() {
        return Err(AppError::new(
            ErrorCode::ThreadMerged,
            "the thread was merged into another; post there",
        ));
    }
    if thread.locked && !a.staff {
        return Err(AppError::new(
            ErrorCode::ThreadLocked,
            "the thread is locked",
        ));
    }
    Ok(())
}

/// Replies in a thread (to `parent_id`, or to the root post).
pub async fn reply(
    state: &AppState,
    actor: &Actor,
    meta: &RequestMeta,
    thread_id: Uuid,
    req: CreatePostRequest,
) -> AppResult<PostResponse> {
    let (thread, a) = thread_for(state, actor, thread_id).await?;
    check_open(&thread, &a)?;
    access::check_posting(state, actor, &a, Posting::Reply).await?;
    check_body(&req.body)?;
    let body = req.body.trim().to_owned();
    let txn = state.db.begin().await?;
    let thread = thread_row(&txn, thread_id, true).await?;
    check_open(&thread, &a)?;
    let parent_id = req.parent_id.or(thread.root_post_id);
    let parent = match parent_id {
        Some(id) => {
            let p = post_row(&txn, id, false).await;
            match p {
                Ok(p) if p.thread_id == thread_id => Some(p),
                _ => {
                    return Err(AppError::field(
                        "#/parent_id",
                        "no such post in this thread",
                    ));
                }
            }
        }
        None => None,
    };
    let id = insert_in(&txn, &thread, parent.as_ref(), actor.id, &body, None).await?;
    audit::record(
        &txn,
        AuditEvent::new(
            Some(actor.id),
            "forum.post_create",
            "forum_post",
            Some(id.to_string()),
        )
        .details(json!({"thread_id": thread_id, "parent_id": parent_id})),
        meta,
    )
    .await?;
    let post = view(&txn, Uuid::nil(), false, id).await?;
    notify_in(&txn, &a, &thread, &post, parent.map(|p| p.author_id)).await?;
    txn.commit().await?;
    view(&state.db, actor.id, a.staff, id).await
}

/// A cursor of the tree order: a path like `1.4.9`.
fn parse_path(s: &str) -> AppResult<Vec<i32>> {
    let bad = || AppError::field("cursor", "not a cursor of this order");
    let parts: Vec<i32> = s
        .split('.')
        .map(|n| {
            if n.is_empty() || n.len() > 9 || !n.bytes().all(|b| b.is_ascii_digit()) {
                Err(bad())
            } else {
                n.parse::<i32>().map_err(|_| bad())
            }
        })
        .collect::<AppResult<_>>()?;
    if parts.len() > 64 {
        return Err(bad());
    }
    Ok(parts)
}

/// A page of a thread's posts in tree (depth-first) or flat (time) order.
pub async fn list(
    state: &AppState,
    actor: &Actor,
    thread_id: Uuid,
    q: ListPostsQuery,
) -> AppResult<PostPage> {
    let limit = kernel::pagination::feed_limit(q.limit, 20, 100)?;
    let (_, a) = thread_for(state, actor, thread_id).await?;
    let order = q.order.unwrap_or(PostOrder::Tree);
    let mut items: Vec<PostResponse> = match order {
        PostOrder::Tree => {
            let after = q.cursor.as_deref().map(parse_path).transpose()?;
            db::rows(
                &state.db,
                format!(
                    "{POST_VIEW} WHERE p.thread_id = $3 AND p.path > $4::int[] ORDER BY p.path LIMIT $5"
                ),
                [
                    actor.id.into(),
                    a.staff.into(),
                    thread_id.into(),
                    after.unwrap_or_default().into(),
                    (limit + 1).into(),
                ],
            )
            .await?
        }
        PostOrder::Flat => {
            let after = q
                .cursor
                .as_deref()
                .map(|c| {
                    Uuid::parse_str(c)
                        .map_err(|_| AppError::field("cursor", "not a cursor of this order"))
                })
                .transpose()?;
            db::rows(
                &state.db,
                format!("{POST_VIEW} WHERE p.thread_id = $3 AND p.id > $4 ORDER BY p.id LIMIT $5"),
                [
                    actor.id.into(),
                    a.staff.into(),
                    thread_id.into(),
                    after.unwrap_or_default().into(),
                    (limit + 1).into(),
                ],
            )
            .await?
        }
    };
    let next_cursor = if items.len() as i64 > limit {
        items.truncate(limit as usize);
        items.last().map(|p| match order {
            PostOrder::Tree => p.path.clone(),
            PostOrder::Flat => p.id.to_string(),
        })
    } else {
        None
    };
    Ok(PostPage { items, next_cursor })
}

pub async fn get(state: &AppState, actor: &Actor, id: Uuid) -> AppResult<PostResponse> {
    let (_, _, a) = post_for(state, actor, id).await?;
    view(&state.db, actor.id, a.staff, id).await
}

/// Edits a post (its author or staff); the earlier text becomes a revision.
pub async fn edit(
    state: &AppState,
    actor: &Actor,
    meta: &RequestMeta,
    id: Uuid,
    req: EditPostRequest,
) -> AppResult<PostResponse> {
    let (post, thread, a) = post_for(state, actor, id).await?;
    if post.author_id != actor.id && !a.staff {
        return Err(AppError::forbidden(
            "only the author or the forum's staff edit a post",
        ));
    }
    if thread.merged_into_id.is_none() && thread.locked && !a.staff {
        return Err(AppError::new(
            ErrorCode::ThreadLocked,
            "the thread is locked",
        ));
    }
    check_body(&req.body)?;
    let body = req.body.trim().to_owned();
    let txn = state.db.begin().await?;
    let post = post_row(&txn, id, true).await?;
    if post.deleted {
        return Err(AppError::new(
            ErrorCode::PostDeleted,
            "the post was deleted",
        ));
    }
    if post.body != body {
        db::exec(
            &txn,
            "INSERT INTO forum_post_revisions (id, post_id, body, edited_by) VALUES ($1, $2, $3, $4)",
            [
                Uuid::now_v7().into(),
                id.into(),
                post.body.clone().into(),
                actor.id.into(),
            ],
        )
        .await?;
        db::exec(
            &txn,
            "UPDATE forum_posts p SET body = $2, body_html = $3, edited_at = now(),
                    search = setweight(to_tsvector('english', CASE WHEN t.root_post_id = p.id THEN t.title ELSE '' END), 'A')
                             || setweight(to_tsvector('english', $2), 'B')
             FROM forum_threads t WHERE t.id = p.thread_id AND p.id = $1",
            [
                id.into(),
                body.clone().into(),
                markdown::markdown_to_html(&body).into(),
            ],
        )
        .await?;
        audit_change_in(&txn, actor, meta, "forum.post_edit", &post).await?;
    }
    txn.commit().await?;
    view(&state.db, actor.id, a.staff, id).await
}

/// Soft-deletes a post (its author or staff): its place in the tree stays, its text goes.
pub async fn delete(
    state: &AppState,
    actor: &Actor,
    meta: &RequestMeta,
    id: Uuid,
) -> AppResult<()> {
    let (post, _, a) = post_for(state, actor, id).await?;
    if post.author_id != actor.id && !a.staff {
        return Err(AppError::forbidden(
            "only the author or the forum's staff delete a post",
        ));
    }
    let txn = state.db.begin().await?;
    delete_in(&txn, id).await?;
    audit_change_in(&txn, actor, meta, "forum.post_delete", &post).await?;
    txn.commit().await?;
    Ok(())
}

/// Audits an edit or deletion of `post`, saying whether staff changed someone else's post.
async fn audit_change_in(
    txn: &DatabaseTransaction,
    actor: &Actor,
    meta: &RequestMeta,
    action: &'static str,
    post: &PostRow,
) -> AppResult<()> {
    audit::record(
        txn,
        AuditEvent::new(
            Some(actor.id),
            action,
            "forum_post",
            Some(post.id.to_string()),
        )
        .details(json!({"thread_id": post.thread_id, "by_staff": post.author_id != actor.id})),
        meta,
    )
    .await?;
    Ok(())
}

async fn delete_in(txn: &DatabaseTransaction, id: Uuid) -> AppResult<()> {
    db::exec(
        txn,
        "WITH d AS (UPDATE forum_posts SET deleted_at = coalesce(deleted_at, now()) WHERE id = $1)
         UPDATE forum_threads SET accepted_post_id = NULL WHERE accepted_post_id = $1",
        [id.into()],
    )
    .await?;
    Ok(())
}

/// The earlier texts of a post, oldest first (deleted or hidden posts: staff only).
pub async fn revisions(
    state: &AppState,
    actor: &Actor,
    id: Uuid,
) -> AppResult<Vec<RevisionResponse>> {
    let (post, _, a) = post_for(state, actor, id).await?;
    if (post.deleted || post.hidden) && !a.staff {
        return Ok(Vec::new());
    }
    Ok(db::rows(
        &state.db,
        "SELECT id, body, edited_by, edited_at FROM forum_post_revisions WHERE post_id = $1 ORDER BY id",
        [id.into()],
    )
    .await?)
}

/// Adds (`on`) or removes a reaction of the caller; one per kind per user.
pub async fn react(
    state: &AppState,
    actor: &Actor,
    id: Uuid,
    kind: ReactionKind,
    on: bool,
) -> AppResult<PostResponse> {
    let (post, _, a) = post_for(state, actor, id).await?;
    crate::authz::require(state, actor, "forum:post", a.scope).await?;
    if on {
        if post.deleted {
            return Err(AppError::new(
                ErrorCode::PostDeleted,
                "the post was deleted",
            ));
        }
        db::exec(
            &state.db,
            "INSERT INTO forum_reactions (post_id, user_id, kind) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
            [id.into(), actor.id.into(), kind.as_str().into()],
        )
        .await?;
    } else {
        db::exec(
            &state.db,
            "DELETE FROM forum_reactions WHERE post_id = $1 AND user_id = $2 AND kind = $3",
            [id.into(), actor.id.into(), kind.as_str().into()],
        )
        .await?;
    }
    view(&state.db, actor.id, a.staff, id).await
}

/// Votes on an answer (a reply in a question thread, not one's own), or takes the vote back
/// (`None`). The score changes by the difference, under the post's row lock.
pub async fn vote(
    state: &AppState,
    actor: &Actor,
    id: Uuid,
    req: Option<VoteRequest>,
) -> AppResult<PostResponse> {
    let (post, thread, a) = post_for(state, actor, id).await?;
    crate::authz::require(state, actor, "forum:post", a.scope).await?;
    if thread.kind != ThreadKind::Question || post.parent_id.is_none() {
        return Err(AppError::field(
            "#/value",
            "only answers in question threads take votes",
        ));
    }
    if post.author_id == actor.id {
        return Err(AppError::forbidden("you cannot vote on your own post"));
    }
    let value: i16 = match &req {
        Some(v) if v.value == 1 || v.value == -1 => v.value,
        Some(_) => return Err(AppError::field("#/value", "must be 1 or -1")),
        None => 0,
    };
    let txn = state.db.begin().await?;
    post_row(&txn, id, true).await?;
    let old: i16 = db::scalar(
        &txn,
        "SELECT coalesce((SELECT value FROM forum_votes WHERE post_id = $1 AND user_id = $2), 0::smallint)",
        [id.into(), actor.id.into()],
    )
    .await?
    .unwrap_or(0);
    if value == 0 {
        db::exec(
            &txn,
            "DELETE FROM forum_votes WHERE post_id = $1 AND user_id = $2",
            [id.into(), actor.id.into()],
        )
        .await?;
    } else {
        db::exec(
            &txn,
            "INSERT INTO forum_votes (post_id, user_id, value) VALUES ($1, $2, $3)
             ON CONFLICT (post_id, user_id) DO UPDATE SET value = EXCLUDED.value, created_at = now()",
            [id.into(), actor.id.into(), value.into()],
        )
        .await?;
    }
    db::exec(
        &txn,
        "UPDATE forum_posts SET score = score + $2 WHERE id = $1",
        [id.into(), i32::from(value - old).into()],
    )
    .await?;
    txn.commit().await?;
    view(&state.db, actor.id, a.staff, id).await
}

/// Flags a post into the shared moderation queue (scope: the forum's); at
/// `forums.auto_hide_flags` distinct open flags the post is hidden until reviewed.
pub async fn flag(
    state: &AppState,
    actor: &Actor,
    meta: &RequestMeta,
    id: Uuid,
    req: FlagRequest,
) -> AppResult<FlagResponse> {
    let (_, _, a) = post_for(state, actor, id).await?;
    let txn = state.db.begin().await?;
    post_row(&txn, id, true).await?;
    let flag = moderation::flag_in(
        &txn,
        actor,
        meta,
        FlagTarget::ForumPost,
        id,
        a.scope,
        req.reason,
        req.note.as_deref().unwrap_or(""),
    )
    .await?;
    let open: i64 = db::scalar(
        &txn,
        "SELECT count(*) FROM moderation_flags WHERE target_type = 'forum_post' AND target_id = $1 AND state = 'open'",
        [id.into()],
    )
    .await?
    .unwrap_or(0);
    if open >= state.settings.forums.auto_hide_flags
        && db::exists(
            &txn,
            "UPDATE forum_posts SET hidden_at = now(), hidden_by = 'flags' WHERE id = $1 AND hidden_at IS NULL RETURNING 1",
            [id.into()],
        )
        .await?
    {
        audit::record(
            &txn,
            AuditEvent::new(None, "forum.post_auto_hide", "forum_post", Some(id.to_string()))
                .details(json!({"open_flags": open})),
            meta,
        )
        .await?;
    }
    txn.commit().await?;
    Ok(flag)
}

/// Applies a moderator's decision to a post (the moderation module's hook): `hide` keeps it
/// hidden, `delete` soft-deletes it, `dismiss` un-hides a post that flags hid.
pub async fn moderate_in(txn: &DatabaseTransaction, id: Uuid, action: FlagAction) -> AppResult<()> {
    post_row(txn, id, true).await?;
    match action {
        FlagAction::Hide => {
            db::exec(
                txn,
                "UPDATE forum_posts SET hidden_at = coalesce(hidden_at, now()), hidden_by = 'moderator' WHERE id = $1",
                [id.into()],
            )
            .await?;
        }
        FlagAction::Delete => delete_in(txn, id).await?,
        FlagAction::Dismiss => {
            db::exec(
                txn,
                "UPDATE forum_posts SET hidden_at = NULL, hidden_by = NULL WHERE id = $1 AND hidden_by = 'flags'",
                [id.into()],
            )
            .await?;
        }
    }
    Ok(())
}

/// The subscription route of a thread.
pub async fn subscribe(
    state: &AppState,
    actor: &Actor,
    thread_id: Uuid,
    level: SubscriptionLevel,
) -> AppResult<()> {
    thread_for(state, actor, thread_id).await?;
    set_level_in(&state.db, actor.id, "thread", thread_id, level).await
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn tree_cursors_are_paths_of_post_numbers() {
        assert_eq!(parse_path("1").unwrap(), vec![1]);
        assert_eq!(parse_path("1.4.9").unwrap(), vec![1, 4, 9]);
        for bad in ["", "1..2", "1.-2", "+1", "1.a", "1234567890", "1.2."] {
            assert!(parse_path(bad).is_err(), "{bad} parsed");
        }
        let deep = vec!["1"; 65].join(".");
        assert!(parse_path(&deep).is_err());
    }
}
