//! Threads: starting one (its title and root post), listing a forum's (pinned first, keyset
//! by latest post), reading one with its accepted answer, the author's and staff's changes
//! (lock, pin, hide, move), splitting a subtree off and merging threads, accepting answers,
//! similar titles and the threads linked to a lesson.

use chrono::{DateTime, Utc};
use kernel::enums::ThreadKind;
use kernel::{Actor, AppError, AppResult, ErrorCode, FieldError, RequestMeta, Scope, db};
use sea_orm::{ConnectionTrait, DatabaseTransaction, TransactionTrait};
use serde_json::json;
use uuid::Uuid;

use super::access::{self, Access, Posting};
use super::boards::require_staff;
use super::dto::{
    AcceptRequest, CreateThreadRequest, ListThreadsQuery, MergeRequest, SplitRequest, ThreadPage,
    ThreadResponse, UpdateThreadRequest,
};
use super::posts::{self, ThreadRow, insert_in, notify_in, thread_for, thread_row};
use crate::modules::audit::{self, AuditEvent};
use crate::state::AppState;

/// A thread as `$1` sees it.
pub(super) const THREAD_VIEW: &str = "
SELECT t.id, t.forum_id, t.author_id, u.display_name AS author_name, t.title, t.kind, t.root_post_id,
       t.accepted_post_id, t.lesson_id, t.assessment_id, t.pinned, t.locked, t.hidden_at IS NOT NULL AS hidden,
       t.merged_into_id, t.post_count, t.last_posted_at, t.created_at,
       coalesce((SELECT s.level FROM forum_subscriptions s WHERE s.user_id = $1
                   AND ((s.target_type = 'thread' AND s.target_id = t.id) OR (s.target_type = 'forum' AND s.target_id = t.forum_id))
                 ORDER BY s.target_type DESC LIMIT 1), 'normal') AS my_level
FROM forum_threads t JOIN users u ON u.id = t.author_id";

async fn view(db: &impl ConnectionTrait, viewer: Uuid, id: Uuid) -> AppResult<ThreadResponse> {
    db::row(
        db,
        format!("{THREAD_VIEW} WHERE t.id = $2"),
        [viewer.into(), id.into()],
    )
    .await?
    .ok_or_else(|| AppError::not_found("thread"))
}

/// The course of a forum's scope, if any.
fn course_of(a: &Access) -> Option<Uuid> {
    match a.scope {
        Scope::Course { id, .. } => Some(id),
        _ => None,
    }
}

/// A lesson or assessment link must name one of the forum's course.
async fn check_links(
    db: &impl ConnectionTrait,
    a: &Access,
    lesson_id: Option<Uuid>,
    assessment_id: Option<Uuid>,
) -> AppResult<()> {
    let mut errors = Vec::new();
    let course = course_of(a);
    for (pointer, table, id) in [
        ("#/lesson_id", "lessons", lesson_id),
        ("#/assessment_id", "assessments", assessment_id),
    ] {
        let Some(id) = id else { continue };
        let owner: Option<Uuid> = db::scalar(
            db,
            format!("SELECT course_id FROM {table} WHERE id = $1"),
            [id.into()],
        )
        .await?;
        if owner.is_none() || owner != course {
            errors.push(FieldError::new(
                pointer,
                "must be one of the forum's course (course forums only)",
            ));
        }
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(AppError::validation(errors))
    }
}

/// Starts a thread: its title and root post; the author watches it.
pub async fn create(
    state: &AppState,
    actor: &Actor,
    meta: &RequestMeta,
    forum_id: Uuid,
    req: CreateThreadRequest,
) -> AppResult<ThreadResponse> {
    let a = access::access(state, actor, forum_id).await?;
    access::check_posting(state, actor, &a, Posting::Start).await?;
    let mut errors = Vec::new();
    kernel::text::check_name("#/title", &req.title, 300, &mut errors);
    kernel::text::check_name("#/body", &req.body, 20_000, &mut errors);
    if !errors.is_empty() {
        return Err(AppError::validation(errors));
    }
    check_links(&state.db, &a, req.lesson_id, req.assessment_id).await?;
    let title = req.title.trim().to_owned();
    let body = req.body.trim().to_owned();
    let kind = req.kind.unwrap_or(ThreadKind::Discussion);
    let id = Uuid::now_v7();
    let txn = state.db.begin().await?;
    db::exec(
        &txn,
        "WITH f AS (UPDATE forums SET thread_count = thread_count + 1 WHERE id = $2)
         INSERT INTO forum_threads (id, forum_id, author_id, title, kind, lesson_id, assessment_id)
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
        [
            id.into(),
            forum_id.into(),
            actor.id.into(),
            title.clone().into(),
            kind.as_str().into(),
            req.lesson_id.into(),
            req.assessment_id.into(),
        ],
    )
    .await?;
    let thread = thread_row(&txn, id, true).await?;
    let root = insert_in(&txn, &thread, None, actor.id, &body, Some(&title)).await?;
    db::exec(
        &txn,
        "UPDATE forum_threads SET root_post_id = $2 WHERE id = $1",
        [id.into(), root.into()],
    )
    .await?;
    audit::record(
        &txn,
        AuditEvent::new(
            Some(actor.id),
            "forum.thread_create",
            "forum_thread",
            Some(id.to_string()),
        )
        .details(json!({"forum_id": forum_id, "kind": kind, "lesson_id": req.lesson_id, "assessment_id": req.assessment_id})),
        meta,
    )
    .await?;
    let post = posts::view(&txn, Uuid::nil(), false, root).await?;
    notify_in(&txn, &a, &thread, &post, None).await?;
    let out = view(&txn, actor.id, id).await?;
    txn.commit().await?;
    Ok(out)
}

/// A threads-list cursor: `pinned_micros_id` of the last thread of a page.
fn parse_cursor(s: &str) -> AppResult<(bool, DateTime<Utc>, Uuid)> {
    let bad = || AppError::field("cursor", "not a cursor of this list");
    let mut parts = s.splitn(3, '_');
    let pinned = match parts.next() {
        Some("1") => true,
        Some("0") => false,
        _ => return Err(bad()),
    };
    let micros: i64 = parts
        .next()
        .filter(|m| !m.is_empty() && m.bytes().all(|b| b.is_ascii_digit()))
        .and_then(|m| m.parse().ok())
        .ok_or_else(bad)?;
    let at = DateTime::from_timestamp_micros(micros).ok_or_else(bad)?;
    let id = parts
        .next()
        .and_then(|i| Uuid::parse_str(i).ok())
        .ok_or_else(bad)?;
    Ok((pinned, at, id))
}

/// A forum's threads: pinned first, then by latest post (hidden ones to staff only).
pub async fn list(
    state: &AppState,
    actor: &Actor,
    forum_id: Uuid,
    q: ListThreadsQuery,
) -> AppResult<ThreadPage> {
    let limit = kernel::pagination::feed_limit(q.limit, 20, 100)?;
    let a = access::access(state, actor, forum_id).await?;
    let after = q.cursor.as_deref().map(parse_cursor).transpose()?;
    let mut items: Vec<ThreadResponse> = db::rows(
        &state.db,
        format!(
            "{THREAD_VIEW} WHERE t.forum_id = $2 AND t.merged_into_id IS NULL AND (t.hidden_at IS NULL OR $3)
               AND ($4::uuid IS NULL OR t.lesson_id = $4)
               AND ($5::boolean IS NULL OR (t.pinned, t.last_posted_at, t.id) < ($5, $6, $7))
             ORDER BY t.pinned DESC, t.last_posted_at DESC, t.id DESC LIMIT $8"
        ),
        [
            actor.id.into(),
            forum_id.into(),
            a.staff.into(),
            q.lesson_id.into(),
            after.map(|c| c.0).into(),
            after.map(|c| c.1).into(),
            after.map(|c| c.2).into(),
            (limit + 1).into(),
        ],
    )
    .await?;
    let next_cursor = if items.len() as i64 > limit {
        items.truncate(limit as usize);
        items.last().map(|t| {
            format!(
                "{}_{}_{}",
                u8::from(t.pinned),
                t.last_posted_at.timestamp_micros(),
                t.id
            )
        })
    } else {
        None
    };
    Ok(ThreadPage { items, next_cursor })
}

/// A thread with its accepted answer.
pub async fn get(state: &AppState, actor: &Actor, id: Uuid) -> AppResult<ThreadResponse> {
    let (thread, a) = thread_for(state, actor, id).await?;
    let mut out = view(&state.db, actor.id, id).await?;
    if let Some(answer) = thread.accepted_post_id {
        out.accepted_answer = Some(posts::view(&state.db, actor.id, a.staff, answer).await?);
    }
    Ok(out)
}

/// Changes a thread: title and links by its author or staff; pin, lock, hide and move by
/// staff (of both forums for a move). Audited with what changed.
pub async fn update(
    state: &AppState,
    actor: &Actor,
    meta: &RequestMeta,
    id: Uuid,
    req: UpdateThreadRequest,
) -> AppResult<ThreadResponse> {
    let (thread, a) = thread_for(state, actor, id).await?;
    let staff_only = req.pinned.is_some()
        || req.locked.is_some()
        || req.hidden.is_some()
        || req.forum_id.is_some();
    if staff_only || thread.author_id != actor.id {
        require_staff(state, actor, &a).await?;
    }
    let mut errors = Vec::new();
    if let Some(title) = &req.title {
        kernel::text::check_name("#/title", title, 300, &mut errors);
    }
    if !errors.is_empty() {
        return Err(AppError::validation(errors));
    }
    let target = match req.forum_id {
        Some(f) if f != thread.forum_id => {
            let t = access::access(state, actor, f)
                .await
                .map_err(|_| AppError::field("#/forum_id", "no such forum"))?;
            require_staff(state, actor, &t).await?;
            Some(t)
        }
        _ => None,
    };
    let dest = target.as_ref().unwrap_or(&a);
    // Links are kept only while they name the (new) forum's course.
    let lesson = req.lesson_id.unwrap_or(thread.lesson_id);
    let assessment = req.assessment_id.unwrap_or(thread.assessment_id);
    let (lesson, assessment) = if req.lesson_id.is_some() || req.assessment_id.is_some() {
        check_links(
            &state.db,
            dest,
            req.lesson_id.flatten(),
            req.assessment_id.flatten(),
        )
        .await?;
        (lesson, assessment)
    } else if target.is_some() {
        // Stored links that do not fit the new forum's course go.
        match check_links(&state.db, dest, lesson, assessment).await {
            Ok(()) => (lesson, assessment),
            Err(e) if e.code() == ErrorCode::ValidationFailed => (None, None),
            Err(e) => return Err(e),
        }
    } else {
        (lesson, assessment)
    };
    let txn = state.db.begin().await?;
    let locked = thread_row(&txn, id, true).await?;
    if let Some(t) = &target {
        move_counts_in(&txn, locked.forum_id, t.forum.id, 1, locked.post_count).await?;
    }
    db::exec(
        &txn,
        "UPDATE forum_threads SET title = coalesce($2, title), lesson_id = $3, assessment_id = $4,
                pinned = coalesce($5, pinned), locked = coalesce($6, locked),
                hidden_at = CASE WHEN $7::boolean IS NULL THEN hidden_at WHEN $7 THEN coalesce(hidden_at, now()) ELSE NULL END,
                forum_id = coalesce($8, forum_id)
         WHERE id = $1",
        [
            id.into(),
            req.title.as_deref().map(|t| t.trim().to_owned()).into(),
            lesson.into(),
            assessment.into(),
            req.pinned.into(),
            req.locked.into(),
            req.hidden.into(),
            target.as_ref().map(|t| t.forum.id).into(),
        ],
    )
    .await?;
    if req.title.is_some() {
        reindex_root_in(&txn, id).await?;
    }
    audit::record(
        &txn,
        AuditEvent::new(
            Some(actor.id),
            "forum.thread_update",
            "forum_thread",
            Some(id.to_string()),
        )
        .details(json!({
            "title": req.title.as_deref(), "pinned": req.pinned, "locked": req.locked, "hidden": req.hidden,
            "moved_to": target.as_ref().map(|t| t.forum.id), "lesson_id": lesson, "assessment_id": assessment,
        })),
        meta,
    )
    .await?;
    let out = view(&txn, actor.id, id).await?;
    txn.commit().await?;
    Ok(out)
}

/// Recomputes the search vector of a thread's root post (the title changed).
async fn reindex_root_in(txn: &DatabaseTransaction, thread_id: Uuid) -> AppResult<()> {
    db::exec(
        txn,
        "UPDATE forum_posts p SET search = setweight(to_tsvector('english', t.title), 'A')
                                       || setweight(to_tsvector('english', p.body), 'B')
         FROM forum_threads t WHERE t.id = $1 AND p.id = t.root_post_id",
        [thread_id.into()],
    )
    .await?;
    Ok(())
}

/// Moves `threads` threads and `posts` posts from one forum's counters to another's.
async fn move_counts_in(
    txn: &DatabaseTransaction,
    from: Uuid,
    to: Uuid,
    threads: i32,
    posts: i32,
) -> AppResult<()> {
    if from == to {
        return Ok(());
    }
    db::exec(
        txn,
        "UPDATE forums SET thread_count = thread_count + CASE WHEN id = $2 THEN $3 ELSE -$3 END,
                           post_count = post_count + CASE WHEN id = $2 THEN $4 ELSE -$4 END
         WHERE id IN ($1, $2)",
        [from.into(), to.into(), threads.into(), posts.into()],
    )
    .await?;
    Ok(())
}

/// Staff split a reply and its subtree into a new thread (in this forum or another they
/// staff): the reply becomes the new thread's root, the paths lose their old prefix.
pub async fn split(
    state: &AppState,
    actor: &Actor,
    meta: &RequestMeta,
    post_id: Uuid,
    req: SplitRequest,
) -> AppResult<ThreadResponse> {
    let (post, thread, a) = posts::post_for(state, actor, post_id).await?;
    require_staff(state, actor, &a).await?;
    let mut errors = Vec::new();
    kernel::text::check_name("#/title", &req.title, 300, &mut errors);
    if post.parent_id.is_none() {
        errors.push(FieldError::new(
            "#/title",
            "the root post is the whole thread: move the thread instead",
        ));
    }
    if !errors.is_empty() {
        return Err(AppError::validation(errors));
    }
    let dest = match req.forum_id {
        Some(f) if f != thread.forum_id => {
            let t = access::access(state, actor, f)
                .await
                .map_err(|_| AppError::field("#/forum_id", "no such forum"))?;
            require_staff(state, actor, &t).await?;
            t.forum.id
        }
        _ => thread.forum_id,
    };
    let title = req.title.trim().to_owned();
    let new_id = Uuid::now_v7();
    let txn = state.db.begin().await?;
    let old = thread_row(&txn, thread.id, true).await?;
    if old.merged_into_id.is_some() {
        return Err(AppError::new(
            ErrorCode::ThreadMerged,
            "the thread was merged into another",
        ));
    }
    let post = posts::post_row(&txn, post_id, true).await?;
    let k = post.path.len() as i32;
    db::exec(
        &txn,
        "INSERT INTO forum_threads (id, forum_id, author_id, title, kind, root_post_id, next_number)
         VALUES ($1, $2, $3, $4, 'discussion', $5, $6)",
        [
            new_id.into(),
            dest.into(),
            post.author_id.into(),
            title.into(),
            post_id.into(),
            old.next_number.into(),
        ],
    )
    .await?;
    let moved: i64 = db::scalar(
        &txn,
        "WITH m AS (UPDATE forum_posts SET thread_id = $1, path = path[$3:cardinality(path)],
                           parent_id = CASE WHEN id = $4 THEN NULL ELSE parent_id END
                    WHERE thread_id = $2 AND path[1:$3] = $5::int[] RETURNING created_at)
         SELECT count(*) FROM m",
        [
            new_id.into(),
            old.id.into(),
            k.into(),
            post_id.into(),
            post.path.clone().into(),
        ],
    )
    .await?
    .unwrap_or(0);
    let moved = moved as i32;
    db::exec(
        &txn,
        "WITH p AS (UPDATE forum_posts SET child_count = child_count - 1 WHERE id = $4),
              n AS (UPDATE forum_threads SET post_count = $3,
                           last_posted_at = coalesce((SELECT max(created_at) FROM forum_posts WHERE thread_id = $2), now())
                    WHERE id = $2)
         UPDATE forum_threads SET post_count = post_count - $3,
                accepted_post_id = CASE WHEN accepted_post_id IN (SELECT id FROM forum_posts WHERE thread_id = $2)
                                        THEN NULL ELSE accepted_post_id END,
                last_posted_at = coalesce((SELECT max(created_at) FROM forum_posts WHERE thread_id = $1), last_posted_at)
         WHERE id = $1",
        [
            old.id.into(),
            new_id.into(),
            moved.into(),
            post.parent_id.into(),
        ],
    )
    .await?;
    reindex_root_in(&txn, new_id).await?;
    db::exec(
        &txn,
        "UPDATE forums SET thread_count = thread_count + 1 WHERE id = $1",
        [dest.into()],
    )
    .await?;
    if dest != old.forum_id {
        move_counts_in(&txn, old.forum_id, dest, 0, moved).await?;
    }
    db::exec(
        &txn,
        "INSERT INTO forum_subscriptions (user_id, target_type, target_id, level)
         SELECT DISTINCT author_id, 'thread', $1, 'watching' FROM forum_posts WHERE thread_id = $1
         ON CONFLICT DO NOTHING",
        [new_id.into()],
    )
    .await?;
    audit::record(
        &txn,
        AuditEvent::new(
            Some(actor.id),
            "forum.thread_split",
            "forum_thread",
            Some(old.id.to_string()),
        )
        .details(
            json!({"post_id": post_id, "new_thread_id": new_id, "forum_id": dest, "posts": moved}),
        ),
        meta,
    )
    .await?;
    let out = view(&txn, actor.id, new_id).await?;
    txn.commit().await?;
    Ok(out)
}

/// Staff merge a thread into another: every post moves (renumbered after the target's, the
/// source's root under the target's root); the source keeps `merged_into_id`.
pub async fn merge(
    state: &AppState,
    actor: &Actor,
    meta: &RequestMeta,
    id: Uuid,
    req: MergeRequest,
) -> AppResult<ThreadResponse> {
    let (_, a) = thread_for(state, actor, id).await?;
    require_staff(state, actor, &a).await?;
    if req.into_thread_id == id {
        return Err(AppError::field(
            "#/into_thread_id",
            "a thread cannot merge into itself",
        ));
    }
    let (_, b) = thread_for(state, actor, req.into_thread_id)
        .await
        .map_err(|_| AppError::field("#/into_thread_id", "no such thread"))?;
    require_staff(state, actor, &b).await?;
    let txn = state.db.begin().await?;
    // Both row locks, in id order.
    let (first, second) = if id < req.into_thread_id {
        (id, req.into_thread_id)
    } else {
        (req.into_thread_id, id)
    };
    let x = thread_row(&txn, first, true).await?;
    let y = thread_row(&txn, second, true).await?;
    let (source, target): (ThreadRow, ThreadRow) = if x.id == id { (x, y) } else { (y, x) };
    if source.merged_into_id.is_some() || target.merged_into_id.is_some() {
        return Err(AppError::new(
            ErrorCode::ThreadMerged,
            "the thread was merged into another already",
        ));
    }
    let (Some(source_root), Some(target_root)) = (source.root_post_id, target.root_post_id) else {
        return Err(AppError::not_found("thread"));
    };
    let deepest: i32 = db::scalar(
        &txn,
        "SELECT coalesce(max(cardinality(path)), 0) FROM forum_posts WHERE thread_id = $1",
        [source.id.into()],
    )
    .await?
    .unwrap_or(0);
    let target_path: Vec<i32> = posts::post_row(&txn, target_root, false).await?.path;
    if deepest as usize + target_path.len() > 64 {
        return Err(AppError::field(
            "#/into_thread_id",
            "the merged tree would nest deeper than 64 levels",
        ));
    }
    let offset = target.next_number - 1;
    db::exec(
        &txn,
        "UPDATE forum_posts SET thread_id = $1, number = number + $3,
                path = $4::int[] || (SELECT array_agg(x + $3 ORDER BY i) FROM unnest(path) WITH ORDINALITY AS u(x, i)),
                parent_id = CASE WHEN id = $5 THEN $6 ELSE parent_id END,
                search = CASE WHEN id = $5 THEN setweight(to_tsvector('english', body), 'B') ELSE search END
         WHERE thread_id = $2",
        [
            target.id.into(),
            source.id.into(),
            offset.into(),
            target_path.into(),
            source_root.into(),
            target_root.into(),
        ],
    )
    .await?;
    db::exec(
        &txn,
        "WITH r AS (UPDATE forum_posts SET child_count = child_count + 1 WHERE id = $3),
              s AS (UPDATE forum_threads SET merged_into_id = $1, accepted_post_id = NULL, post_count = 0 WHERE id = $2),
              w AS (INSERT INTO forum_subscriptions (user_id, target_type, target_id, level)
                    SELECT user_id, 'thread', $1, level FROM forum_subscriptions WHERE target_type = 'thread' AND target_id = $2
                    ON CONFLICT DO NOTHING)
         UPDATE forum_threads SET next_number = next_number + $4 - 1, post_count = post_count + $5,
                last_posted_at = greatest(last_posted_at, (SELECT last_posted_at FROM forum_threads WHERE id = $2))
         WHERE id = $1",
        [
            target.id.into(),
            source.id.into(),
            target_root.into(),
            source.next_number.into(),
            source.post_count.into(),
        ],
    )
    .await?;
    db::exec(
        &txn,
        "UPDATE forums SET thread_count = thread_count - 1 WHERE id = $1",
        [source.forum_id.into()],
    )
    .await?;
    if source.forum_id != target.forum_id {
        move_counts_in(&txn, source.forum_id, target.forum_id, 0, source.post_count).await?;
    }
    audit::record(
        &txn,
        AuditEvent::new(
            Some(actor.id),
            "forum.thread_merge",
            "forum_thread",
            Some(source.id.to_string()),
        )
        .details(json!({"into_thread_id": target.id, "posts": source.post_count})),
        meta,
    )
    .await?;
    let out = view(&txn, actor.id, target.id).await?;
    txn.commit().await?;
    Ok(out)
}

/// Accepts an answer (`Some`) or takes the acceptance back: question threads only, by the
/// thread's author or staff. Audited.
pub async fn accept(
    state: &AppState,
    actor: &Actor,
    meta: &RequestMeta,
    id: Uuid,
    req: Option<AcceptRequest>,
) -> AppResult<ThreadResponse> {
    let (thread, a) = thread_for(state, actor, id).await?;
    if thread.author_id != actor.id {
        require_staff(state, actor, &a).await?;
    }
    if thread.kind != ThreadKind::Question {
        return Err(AppError::field(
            "#/post_id",
            "only question threads have accepted answers",
        ));
    }
    let txn = state.db.begin().await?;
    thread_row(&txn, id, true).await?;
    let answer = match &req {
        Some(r) => {
            let p = posts::post_row(&txn, r.post_id, false).await;
            match p {
                Ok(p) if p.thread_id == id && p.parent_id.is_some() && !p.deleted => Some(p.id),
                _ => {
                    return Err(AppError::field(
                        "#/post_id",
                        "must be a reply in this thread (not deleted)",
                    ));
                }
            }
        }
        None => None,
    };
    db::exec(
        &txn,
        "UPDATE forum_threads SET accepted_post_id = $2 WHERE id = $1",
        [id.into(), answer.into()],
    )
    .await?;
    audit::record(
        &txn,
        AuditEvent::new(
            Some(actor.id),
            if answer.is_some() {
                "forum.answer_accept"
            } else {
                "forum.answer_unaccept"
            },
            "forum_thread",
            Some(id.to_string()),
        )
        .details(json!({"post_id": answer})),
        meta,
    )
    .await?;
    txn.commit().await?;
    get(state, actor, id).await
}

/// Up to 5 threads of the forum whose titles share words with `title`, best first.
pub async fn similar(
    state: &AppState,
    actor: &Actor,
    forum_id: Uuid,
    title: &str,
) -> AppResult<Vec<ThreadResponse>> {
    let a = access::access(state, actor, forum_id).await?;
    Ok(db::rows(
        &state.db,
        format!(
            "WITH q AS (SELECT nullif(replace(plainto_tsquery('english', $3)::text, ' & ', ' | '), '') AS q)
             {THREAD_VIEW}, q
             WHERE q.q IS NOT NULL AND t.forum_id = $2 AND t.merged_into_id IS NULL AND (t.hidden_at IS NULL OR $4)
               AND to_tsvector('english', t.title) @@ q.q::tsquery
             ORDER BY ts_rank(to_tsvector('english', t.title), q.q::tsquery) DESC, t.last_posted_at DESC LIMIT 5"
        ),
        [actor.id.into(), forum_id.into(), title.into(), a.staff.into()],
    )
    .await?)
}

/// The threads linked to a lesson that the caller sees, latest first.
pub async fn for_lesson(
    state: &AppState,
    actor: &Actor,
    lesson_id: Uuid,
) -> AppResult<Vec<ThreadResponse>> {
    let course: Uuid = db::scalar(
        &state.db,
        "SELECT course_id FROM lessons WHERE id = $1",
        [lesson_id.into()],
    )
    .await?
    .ok_or_else(|| AppError::not_found("lesson"))?;
    crate::modules::lms::visible_course(state, Some(actor), course)
        .await
        .map_err(|_| AppError::not_found("lesson"))?;
    let visible = access::visible_forum_ids(state, actor).await?;
    Ok(db::rows(
        &state.db,
        format!(
            "{THREAD_VIEW} WHERE t.lesson_id = $2 AND t.forum_id = ANY ($3) AND t.hidden_at IS NULL
               AND t.merged_into_id IS NULL
             ORDER BY t.last_posted_at DESC, t.id DESC LIMIT 100"
        ),
        [actor.id.into(), lesson_id.into(), visible.into()],
    )
    .await?)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn thread_cursors_round_trip_and_refuse_garbage() {
        let id = Uuid::now_v7();
        let at = DateTime::from_timestamp_micros(1_764_500_000_123_456).unwrap();
        let (pinned, when, back) =
            parse_cursor(&format!("1_{}_{id}", at.timestamp_micros())).unwrap();
        assert!(pinned);
        assert_eq!(when, at);
        assert_eq!(back, id);
        for bad in [
            "",
            "2_1_x",
            "0__",
            "0_-5_00000000-0000-0000-0000-000000000000",
            "0_1_nope",
        ] {
            assert!(parse_cursor(bad).is_err(), "{bad} parsed");
        }
    }
}
