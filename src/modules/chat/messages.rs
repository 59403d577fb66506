//! Messages: sending (rate-limited, mentions, threads), editing within the window with the
//! history kept, soft deletion, reactions, history by keyset around an anchor, full-text
//! search, read positions and receipts. Each change is one transaction with its audit record
//! and the stream events of every member (one statement per fan-out).

use chrono::Utc;
use kernel::enums::{FlagAction, FlagReason, FlagTarget, ReactionKind};
use kernel::{
    Actor, AppError, AppResult, ErrorCode, FieldError, RequestMeta, Scope, db, idempotency,
};
use sea_orm::{ConnectionTrait, DatabaseTransaction, FromQueryResult, TransactionTrait};
use serde_json::json;
use uuid::Uuid;

use super::dto::{
    ChatSettingsBody, EditMessageRequest, HistoryQuery, MessageEditResponse, MessageList,
    MessagePage, MessageResponse, ReadRequest, Reader, ReceiptsResponse, SearchQuery,
    SendMessageRequest, UnreadResponse,
};
use super::rooms::{Membership, RoomRow, members_of, membership};
use crate::markdown as render;
use crate::modules::audit::{self, AuditEvent};
use crate::modules::moderation;
use crate::state::AppState;
use crate::stream::{self, Recipients};

/// A message as `$1` sees it (reactions marked `mine`).
const MESSAGE_VIEW: &str = "
SELECT c.id, c.room_id, c.author_id, u.display_name AS author_name,
       CASE WHEN c.deleted_at IS NULL AND c.hidden_at IS NULL THEN c.body ELSE '' END AS body,
       CASE WHEN c.deleted_at IS NULL AND c.hidden_at IS NULL THEN c.body_html ELSE '' END AS body_html,
       c.thread_root_id, c.reply_count, c.mentions, c.attachments,
       coalesce((SELECT jsonb_agg(jsonb_build_object('kind', k.kind, 'count', k.n, 'mine', k.mine) ORDER BY k.kind)
                 FROM (SELECT kind, count(*) AS n, bool_or(user_id = $1) AS mine
                       FROM chat_reactions WHERE message_id = c.id GROUP BY kind) k), '[]'::jsonb) AS reactions,
       c.edited_at, c.deleted_at IS NOT NULL AS deleted, c.hidden_at IS NOT NULL AS hidden, c.created_at
FROM chat_messages c JOIN users u ON u.id = c.author_id";

const NOBODY: Uuid = Uuid::nil();
const NIL: &str = "00000000-0000-0000-0000-000000000000";

async fn view(db: &impl ConnectionTrait, viewer: Uuid, id: Uuid) -> AppResult<MessageResponse> {
    db::row(
        db,
        format!("{MESSAGE_VIEW} WHERE c.id = $2"),
        [viewer.into(), id.into()],
    )
    .await?
    .ok_or_else(|| AppError::not_found("message"))
}

/// What the rules need of a message.
#[derive(Debug, FromQueryResult)]
struct MessageRow {
    room_id: Uuid,
    author_id: Uuid,
    body: String,
    created_at: chrono::DateTime<Utc>,
    deleted: bool,
}

/// Message `id`, its room and the caller's membership; 404 for non-members.
async fn message_for(
    db: &impl ConnectionTrait,
    id: Uuid,
    user_id: Uuid,
    lock: bool,
) -> AppResult<(MessageRow, RoomRow, Membership)> {
    let m: MessageRow = db::row(
        db,
        format!(
            "SELECT room_id, author_id, body, created_at, deleted_at IS NOT NULL AS deleted
             FROM chat_messages WHERE id = $1{}",
            if lock { " FOR UPDATE" } else { "" }
        ),
        [id.into()],
    )
    .await?
    .ok_or_else(|| AppError::not_found("message"))?;
    let (room, me) = membership(db, m.room_id, user_id)
        .await
        .map_err(|_| AppError::not_found("message"))?;
    Ok((m, room, me))
}

/// Sends a message to a room (members; not in archived rooms; rate-limited per user).
pub async fn send(
    state: &AppState,
    actor: &Actor,
    meta: &RequestMeta,
    room_id: Uuid,
    req: SendMessageRequest,
    key: Option<String>,
) -> AppResult<MessageResponse> {
    crate::authz::require(state, actor, "chat:use", Scope::Global).await?;
    let (room, _) = membership(&state.db, room_id, actor.id).await?;
    room.refuse_if_archived()?;
    let mut errors = Vec::new();
    kernel::text::check_name("#/body", &req.body, 10_000, &mut errors);
    for (i, a) in req.attachments.iter().enumerate() {
        if !kernel::text::is_http_url(&a.url) {
            errors.push(FieldError::new(
                format!("#/attachments/{i}/url"),
                "must be an http(s) URL",
            ));
        }
        kernel::text::check_name(
            &format!("#/attachments/{i}/name"),
            &a.name,
            255,
            &mut errors,
        );
        if !(0..=10_737_418_240).contains(&a.size) {
            errors.push(FieldError::new(
                format!("#/attachments/{i}/size"),
                "must be 0 to 10 GiB",
            ));
        }
        if !valid_mime(&a.mime_type) {
            errors.push(FieldError::new(
                format!("#/attachments/{i}/mime_type"),
                "must look like type/subtype",
            ));
        }
    }
    if req.attachments.len() > 10 {
        errors.push(FieldError::new("#/attachments", "at most 10 attachments"));
    }
    if !errors.is_empty() {
        return Err(AppError::validation(errors));
    }
    let body = req.body.trim().to_owned();
    let html = render::markdown_to_html(&body);
    let hash = idempotency::hash(&json!({
        "room_id": room_id, "body": body, "thread_root_id": req.thread_root_id, "attachments": req.attachments,
    }));
    let txn = state.db.begin().await?;
    if let Some(key) = &key {
        idempotency::lock(&txn, actor.id, "chat_message", key).await?;
        if let Some(done) =
            idempotency::replay::<MessageResponse>(&txn, actor.id, "chat_message", key, &hash)
                .await?
        {
            return Ok(done);
        }
    }
    // After the replay: a retried request is not a new message.
    rate_limit(state, actor.id).await?;
    let root = match req.thread_root_id {
        None => None,
        Some(root) => {
            let r: Option<(Uuid, Option<Uuid>)> = db::row::<RootRow, _>(
                &txn,
                "SELECT room_id, thread_root_id FROM chat_messages WHERE id = $1 FOR UPDATE",
                [root.into()],
            )
            .await?
            .map(|r| (r.room_id, r.thread_root_id));
            match r {
                Some((room, parent)) if room == room_id => Some(parent.unwrap_or(root)),
                _ => {
                    return Err(AppError::validation(vec![FieldError::new(
                        "#/thread_root_id",
                        "no such message in this room",
                    )]));
                }
            }
        }
    };
    let mentions = mentioned(&txn, room_id, &body).await?;
    let id = Uuid::now_v7();
    db::exec(
        &txn,
        "INSERT INTO chat_messages (id, room_id, author_id, body, body_html, thread_root_id, mentions, attachments)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        [
            id.into(),
            room_id.into(),
            actor.id.into(),
            body.into(),
            html.into(),
            root.into(),
            mentions.clone().into(),
            serde_json::to_value(&req.attachments)?.into(),
        ],
    )
    .await?;
    db::exec(
        &txn,
        "WITH r AS (UPDATE chat_rooms SET message_count = message_count + 1, last_message_at = now() WHERE id = $1),
              t AS (UPDATE chat_messages SET reply_count = reply_count + 1 WHERE id = $3)
         UPDATE chat_members SET last_read_id = $2 WHERE room_id = $1 AND user_id = $4",
        [room_id.into(), id.into(), root.into(), actor.id.into()],
    )
    .await?;
    audit::record(
        &txn,
        AuditEvent::new(
            Some(actor.id),
            "chat.message_send",
            "chat_message",
            Some(id.to_string()),
        )
        .details(json!({"room_id": room_id, "thread_root_id": root})),
        meta,
    )
    .await?;
    let message = view(&txn, NOBODY, id).await?;
    let data = serde_json::to_value(&message)?;
    stream::append(
        &txn,
        members_of(room_id),
        "message_created",
        Some(room_id),
        &data,
    )
    .await?;
    if !mentions.is_empty() {
        let to = Recipients::query(
            "SELECT user_id FROM chat_members WHERE room_id = $1 AND user_id = ANY ($2) AND NOT muted AND user_id <> $3",
            vec![room_id.into(), mentions.into(), actor.id.into()],
        );
        stream::append(&txn, to, "mentioned", Some(room_id), &data).await?;
    }
    if let Some(key) = &key {
        idempotency::store(&txn, actor.id, "chat_message", key, &hash, 201, &message).await?;
    }
    txn.commit().await?;
    Ok(message)
}

/// `type/subtype` as the schema's pattern says: lower-case letters, a slash, then letters,
/// digits, `.`, `+` or `-`.
fn valid_mime(s: &str) -> bool {
    let Some((t, sub)) = s.split_once('/') else {
        return false;
    };
    !t.is_empty()
        && t.chars().all(|c| c.is_ascii_lowercase())
        && !sub.is_empty()
        && sub
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '+' | '-'))
}

#[derive(FromQueryResult)]
struct RootRow {
    room_id: Uuid,
    thread_root_id: Option<Uuid>,
}

/// The members a body mentions by `@handle` (the local part of their email).
async fn mentioned(txn: &DatabaseTransaction, room_id: Uuid, body: &str) -> AppResult<Vec<Uuid>> {
    let handles = render::mentioned_handles(body);
    if handles.is_empty() {
        return Ok(Vec::new());
    }
    Ok(db::column(
        txn,
        "SELECT m.user_id FROM chat_members m JOIN users u ON u.id = m.user_id
         WHERE m.room_id = $1 AND lower(split_part(u.email, '@', 1)) = ANY ($2) ORDER BY m.user_id",
        [room_id.into(), handles.into()],
    )
    .await?)
}

/// At most `chat.messages_per_minute` messages per user over the last minute, on any node.
async fn rate_limit(state: &AppState, user_id: Uuid) -> AppResult<()> {
    #[derive(FromQueryResult)]
    struct Recent {
        n: i64,
        wait: Option<f64>,
    }
    let limit = state.settings.chat.messages_per_minute as i64;
    let r: Option<Recent> = db::row(
        &state.db,
        "SELECT count(*) AS n,
                extract(epoch FROM (min(created_at) + interval '1 minute' - now()))::float8 AS wait
         FROM (SELECT created_at FROM chat_messages
               WHERE author_id = $1 AND created_at > now() - interval '1 minute'
               ORDER BY created_at DESC LIMIT $2) recent",
        [user_id.into(), limit.into()],
    )
    .await?;
    match r {
        Some(r) if r.n >= limit => Err(AppError::too_many_requests(
            ErrorCode::RateLimited,
            format!("at most {limit} messages a minute"),
            r.wait.unwrap_or(1.0).ceil().max(1.0) as u64,
        )),
        _ => Ok(()),
    }
}

pub async fn get(state: &AppState, actor: &Actor, id: Uuid) -> AppResult<MessageResponse> {
    crate::authz::require(state, actor, "chat:use", Scope::Global).await?;
    message_for(&state.db, id, actor.id, false).await?;
    view(&state.db, actor.id, id).await
}

/// Edits a message: its author, within `chat.edit_window_secs`; the old text is kept.
pub async fn edit(
    state: &AppState,
    actor: &Actor,
    meta: &RequestMeta,
    id: Uuid,
    req: EditMessageRequest,
) -> AppResult<MessageResponse> {
    crate::authz::require(state, actor, "chat:use", Scope::Global).await?;
    let txn = state.db.begin().await?;
    let (m, room, _) = message_for(&txn, id, actor.id, true).await?;
    if m.author_id != actor.id {
        return Err(AppError::forbidden("only the author edits a message"));
    }
    room.refuse_if_archived()?;
    if m.deleted {
        return Err(AppError::new(
            ErrorCode::MessageDeleted,
            "the message was deleted",
        ));
    }
    let mut errors = Vec::new();
    kernel::text::check_name("#/body", &req.body, 10_000, &mut errors);
    if !errors.is_empty() {
        return Err(AppError::validation(errors));
    }
    let window = state.settings.chat.edit_window_secs;
    if Utc::now() - m.created_at > chrono::Duration::seconds(window) {
        return Err(AppError::new(
            ErrorCode::EditWindowPassed,
            format!("messages can be edited for {window} seconds"),
        ));
    }
    let body = req.body.trim().to_owned();
    let mentions = mentioned(&txn, m.room_id, &body).await?;
    db::exec(
        &txn,
        "WITH h AS (INSERT INTO chat_message_edits (id, message_id, body, edited_by) VALUES ($5, $1, $6, $4))
         UPDATE chat_messages SET body = $2, body_html = $3, mentions = $7, edited_at = now() WHERE id = $1",
        [
            id.into(),
            body.clone().into(),
            render::markdown_to_html(&body).into(),
            actor.id.into(),
            Uuid::now_v7().into(),
            m.body.into(),
            mentions.into(),
        ],
    )
    .await?;
    audit::record(
        &txn,
        AuditEvent::new(
            Some(actor.id),
            "chat.message_edit",
            "chat_message",
            Some(id.to_string()),
        )
        .details(json!({"room_id": m.room_id})),
        meta,
    )
    .await?;
    let data = serde_json::to_value(view(&txn, NOBODY, id).await?)?;
    stream::append(
        &txn,
        members_of(m.room_id),
        "message_edited",
        Some(m.room_id),
        &data,
    )
    .await?;
    txn.commit().await?;
    view(&state.db, actor.id, id).await
}

/// Deletes a message softly (its author, or the room's owner and admins): a placeholder stays
/// so threads hold.
pub async fn delete(
    state: &AppState,
    actor: &Actor,
    meta: &RequestMeta,
    id: Uuid,
) -> AppResult<()> {
    crate::authz::require(state, actor, "chat:use", Scope::Global).await?;
    let txn = state.db.begin().await?;
    let (m, _, me) = message_for(&txn, id, actor.id, true).await?;
    if m.author_id != actor.id && !me.manages() {
        return Err(AppError::forbidden(
            "only the author or the room's admins delete a message",
        ));
    }
    if m.deleted {
        return Err(AppError::new(
            ErrorCode::MessageDeleted,
            "the message was deleted already",
        ));
    }
    soft_delete_in(&txn, m.room_id, id).await?;
    audit::record(
        &txn,
        AuditEvent::new(
            Some(actor.id),
            "chat.message_delete",
            "chat_message",
            Some(id.to_string()),
        )
        .details(json!({"room_id": m.room_id, "author_id": m.author_id})),
        meta,
    )
    .await?;
    txn.commit().await?;
    Ok(())
}

async fn soft_delete_in(txn: &DatabaseTransaction, room_id: Uuid, id: Uuid) -> AppResult<()> {
    db::exec(
        txn,
        "UPDATE chat_messages SET deleted_at = coalesce(deleted_at, now()) WHERE id = $1",
        [id.into()],
    )
    .await?;
    let data = serde_json::to_value(view(txn, NOBODY, id).await?)?;
    stream::append(
        txn,
        members_of(room_id),
        "message_deleted",
        Some(room_id),
        &data,
    )
    .await?;
    Ok(())
}

/// Applies a moderator's decision to a flagged message (the moderation module's hook).
pub async fn moderate_in(txn: &DatabaseTransaction, id: Uuid, action: FlagAction) -> AppResult<()> {
    let room_id: Uuid = db::scalar(
        txn,
        "SELECT room_id FROM chat_messages WHERE id = $1",
        [id.into()],
    )
    .await?
    .ok_or_else(|| AppError::not_found("message"))?;
    match action {
        FlagAction::Delete => soft_delete_in(txn, room_id, id).await,
        FlagAction::Hide => {
            db::exec(
                txn,
                "UPDATE chat_messages SET hidden_at = coalesce(hidden_at, now()) WHERE id = $1",
                [id.into()],
            )
            .await?;
            let data = serde_json::to_value(view(txn, NOBODY, id).await?)?;
            stream::append(
                txn,
                members_of(room_id),
                "message_edited",
                Some(room_id),
                &data,
            )
            .await?;
            Ok(())
        }
        FlagAction::Dismiss => Ok(()),
    }
}

/// The earlier texts of a message, oldest first (members; nothing once deleted).
pub async fn edits(
    state: &AppState,
    actor: &Actor,
    id: Uuid,
) -> AppResult<Vec<MessageEditResponse>> {
    crate::authz::require(state, actor, "chat:use", Scope::Global).await?;
    let (m, _, _) = message_for(&state.db, id, actor.id, false).await?;
    if m.deleted {
        return Ok(Vec::new());
    }
    Ok(db::rows(
        &state.db,
        "SELECT e.id, e.body, e.edited_by, e.edited_at FROM chat_message_edits e
         JOIN chat_messages c ON c.id = e.message_id AND c.hidden_at IS NULL
         WHERE e.message_id = $1 ORDER BY e.id",
        [id.into()],
    )
    .await?)
}

/// The replies of a thread, oldest first, after `after`.
pub async fn replies(
    state: &AppState,
    actor: &Actor,
    id: Uuid,
    after: Option<Uuid>,
    limit: Option<u32>,
) -> AppResult<MessagePage> {
    crate::authz::require(state, actor, "chat:use", Scope::Global).await?;
    message_for(&state.db, id, actor.id, false).await?;
    let limit = kernel::pagination::feed_limit(limit, 50, 100)?;
    let mut items: Vec<MessageResponse> = db::rows(
        &state.db,
        format!("{MESSAGE_VIEW} WHERE c.thread_root_id = $2 AND c.id > coalesce($3, '{NIL}'::uuid) ORDER BY c.id LIMIT $4"),
        [actor.id.into(), id.into(), after.into(), (limit + 1).into()],
    )
    .await?;
    let has_newer = items.len() as i64 > limit;
    items.truncate(limit as usize);
    Ok(MessagePage {
        items,
        has_older: after.is_some(),
        has_newer,
    })
}

/// Adds (PUT) or removes a reaction of the caller; answers the message.
pub async fn react(
    state: &AppState,
    actor: &Actor,
    id: Uuid,
    kind: ReactionKind,
    on: bool,
) -> AppResult<MessageResponse> {
    crate::authz::require(state, actor, "chat:use", Scope::Global).await?;
    let txn = state.db.begin().await?;
    let (m, room, _) = message_for(&txn, id, actor.id, false).await?;
    room.refuse_if_archived()?;
    if m.deleted {
        return Err(AppError::new(
            ErrorCode::MessageDeleted,
            "the message was deleted",
        ));
    }
    let sql = if on {
        "INSERT INTO chat_reactions (message_id, user_id, kind) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING"
    } else {
        "DELETE FROM chat_reactions WHERE message_id = $1 AND user_id = $2 AND kind = $3"
    };
    let changed = db::exec(
        &txn,
        sql,
        [id.into(), actor.id.into(), kind.as_str().into()],
    )
    .await?
    .rows_affected();
    if changed > 0 {
        let counts = view(&txn, NOBODY, id).await?.reactions;
        let data = json!({"message_id": id, "user_id": actor.id, "kind": kind, "counts": counts});
        let what = if on {
            "reaction_added"
        } else {
            "reaction_removed"
        };
        stream::append(&txn, members_of(m.room_id), what, Some(m.room_id), &data).await?;
    }
    txn.commit().await?;
    view(&state.db, actor.id, id).await
}

/// A page of history: before, after or around a message, around the first unread one, or
/// the newest page.
pub async fn history(
    state: &AppState,
    actor: &Actor,
    room_id: Uuid,
    q: HistoryQuery,
) -> AppResult<MessagePage> {
    crate::authz::require(state, actor, "chat:use", Scope::Global).await?;
    let (_, me) = membership(&state.db, room_id, actor.id).await?;
    let given = [
        q.before.is_some(),
        q.after.is_some(),
        q.around.is_some(),
        q.anchor.is_some(),
    ];
    if given.iter().filter(|g| **g).count() > 1 {
        return Err(AppError::validation(vec![FieldError::new(
            "#/before",
            "give at most one of before, after, around and anchor",
        )]));
    }
    if let Some(a) = q.anchor.as_deref()
        && a != "first_unread"
    {
        return Err(AppError::validation(vec![FieldError::new(
            "#/anchor",
            "must be first_unread",
        )]));
    }
    let limit = kernel::pagination::feed_limit(q.limit, 50, 100)?;
    let older = |anchor: Option<Uuid>, inclusive: bool, n: i64| {
        let op = if inclusive { "<=" } else { "<" };
        db::rows::<MessageResponse, _>(
            &state.db,
            format!(
                "SELECT * FROM ({MESSAGE_VIEW} WHERE c.room_id = $2 AND c.thread_root_id IS NULL
                   AND ($3::uuid IS NULL OR c.id {op} $3) ORDER BY c.id DESC LIMIT $4) p ORDER BY id"
            ),
            [actor.id.into(), room_id.into(), anchor.into(), n.into()],
        )
    };
    let newer = |anchor: Uuid, n: i64| {
        db::rows::<MessageResponse, _>(
            &state.db,
            format!(
                "{MESSAGE_VIEW} WHERE c.room_id = $2 AND c.thread_root_id IS NULL AND c.id > $3
                 ORDER BY c.id LIMIT $4"
            ),
            [actor.id.into(), room_id.into(), anchor.into(), n.into()],
        )
    };
    // Each direction reads one more than it shows, to tell whether there is more.
    let (items, has_older, has_newer) = if let Some(after) = q.after {
        let mut items = newer(after, limit + 1).await?;
        let more = items.len() as i64 > limit;
        items.truncate(limit as usize);
        (items, true, more)
    } else if let Some(before) = q.before {
        let mut items = older(Some(before), false, limit + 1).await?;
        let more = items.len() as i64 > limit;
        if more {
            items.remove(0);
        }
        (items, more, true)
    } else if q.around.is_some() || q.anchor.is_some() {
        let anchor = match q.around {
            Some(a) => a,
            None => {
                let first: Option<Uuid> = db::scalar(
                    &state.db,
                    format!(
                        "SELECT id FROM chat_messages WHERE room_id = $1 AND thread_root_id IS NULL
                         AND id > coalesce($2, '{NIL}'::uuid) AND author_id <> $3 ORDER BY id LIMIT 1"
                    ),
                    [room_id.into(), me.last_read_id.into(), actor.id.into()],
                )
                .await?;
                match first {
                    Some(f) => f,
                    // Nothing unread: the newest page.
                    None => {
                        let mut items = older(None, true, limit + 1).await?;
                        let more = items.len() as i64 > limit;
                        if more {
                            items.remove(0);
                        }
                        return Ok(MessagePage {
                            items,
                            has_older: more,
                            has_newer: false,
                        });
                    }
                }
            }
        };
        let before_n = limit / 2;
        let mut head = older(Some(anchor), true, before_n + 2).await?;
        let more_older = head.len() as i64 > before_n + 1;
        if more_older {
            head.remove(0);
        }
        if head.last().map(|m| m.id) != Some(anchor) {
            return Err(AppError::validation(vec![FieldError::new(
                "#/around",
                "no such message in this room",
            )]));
        }
        let after_n = limit - head.len() as i64;
        let mut tail = newer(anchor, after_n + 1).await?;
        let more_newer = tail.len() as i64 > after_n;
        tail.truncate(after_n as usize);
        head.extend(tail);
        (head, more_older, more_newer)
    } else {
        let mut items = older(None, true, limit + 1).await?;
        let more = items.len() as i64 > limit;
        if more {
            items.remove(0);
        }
        (items, more, false)
    };
    Ok(MessagePage {
        items,
        has_older,
        has_newer,
    })
}

/// Full-text search of a room's visible messages, best first.
pub async fn search(
    state: &AppState,
    actor: &Actor,
    room_id: Uuid,
    q: SearchQuery,
) -> AppResult<MessageList> {
    crate::authz::require(state, actor, "chat:use", Scope::Global).await?;
    membership(&state.db, room_id, actor.id).await?;
    let limit = kernel::pagination::feed_limit(q.limit, 20, 100)?;
    let items = db::rows(
        &state.db,
        format!(
            "{MESSAGE_VIEW}, websearch_to_tsquery('simple', $3) query
             WHERE c.room_id = $2 AND c.deleted_at IS NULL AND c.hidden_at IS NULL AND c.search @@ query
             ORDER BY ts_rank(c.search, query) DESC, c.id DESC LIMIT $4"
        ),
        [actor.id.into(), room_id.into(), q.q.trim().into(), limit.into()],
    )
    .await?;
    Ok(MessageList { items })
}

/// Moves the caller's read position forward to `up_to` (never back); in small rooms and for
/// users who send receipts the others get a `receipt` event; the caller's own devices always.
pub async fn read(
    state: &AppState,
    actor: &Actor,
    room_id: Uuid,
    req: ReadRequest,
) -> AppResult<UnreadResponse> {
    crate::authz::require(state, actor, "chat:use", Scope::Global).await?;
    let txn = state.db.begin().await?;
    let (room, _) = membership(&txn, room_id, actor.id).await?;
    let in_room: bool = db::exists(
        &txn,
        "SELECT 1 FROM chat_messages WHERE id = $1 AND room_id = $2",
        [req.up_to.into(), room_id.into()],
    )
    .await?;
    if !in_room {
        return Err(AppError::validation(vec![FieldError::new(
            "#/up_to",
            "no such message in this room",
        )]));
    }
    let moved = db::exec(
        &txn,
        "UPDATE chat_members SET last_read_id = $3
         WHERE room_id = $1 AND user_id = $2 AND (last_read_id IS NULL OR last_read_id < $3)",
        [room_id.into(), actor.id.into(), req.up_to.into()],
    )
    .await?
    .rows_affected();
    if moved > 0 {
        let shares = settings_of(&txn, actor.id).await?.send_receipts
            && room.member_count <= state.settings.chat.receipt_detail_max_members;
        let to = if shares {
            members_of(room_id)
        } else {
            Recipients::users(&[actor.id])
        };
        let data = json!({"room_id": room_id, "user_id": actor.id, "up_to": req.up_to});
        stream::append(&txn, to, "receipt", Some(room_id), &data).await?;
    }
    // The counts as the room list shows them (one definition of "unread").
    let room = super::rooms::room(&txn, actor.id, room_id).await?;
    txn.commit().await?;
    Ok(UnreadResponse {
        unread_count: room.unread_count,
        mention_count: room.mention_count,
        last_read_id: room.last_read_id,
    })
}

/// Who read a message: a count always, the readers only in small rooms; members who switched
/// receipts off are never counted.
pub async fn receipts(state: &AppState, actor: &Actor, id: Uuid) -> AppResult<ReceiptsResponse> {
    crate::authz::require(state, actor, "chat:use", Scope::Global).await?;
    let (m, room, _) = message_for(&state.db, id, actor.id, false).await?;
    let readers: Vec<Reader> = db::rows(
        &state.db,
        "SELECT mb.user_id, mb.last_read_id AS up_to FROM chat_members mb
         LEFT JOIN chat_settings s ON s.user_id = mb.user_id
         WHERE mb.room_id = $1 AND mb.user_id <> $2 AND mb.last_read_id >= $3
           AND coalesce(s.send_receipts, true)
         ORDER BY mb.user_id LIMIT 10000",
        [m.room_id.into(), m.author_id.into(), id.into()],
    )
    .await?;
    let detail = room.member_count <= state.settings.chat.receipt_detail_max_members;
    Ok(ReceiptsResponse {
        read_by_count: readers.len() as i64,
        readers: detail.then_some(readers),
    })
}

async fn settings_of(db: &impl ConnectionTrait, user_id: Uuid) -> AppResult<ChatSettingsBody> {
    Ok(db::row(
        db,
        "SELECT send_receipts FROM chat_settings WHERE user_id = $1",
        [user_id.into()],
    )
    .await?
    .unwrap_or(ChatSettingsBody {
        send_receipts: true,
    }))
}

pub async fn settings(state: &AppState, actor: &Actor) -> AppResult<ChatSettingsBody> {
    crate::authz::require(state, actor, "chat:use", Scope::Global).await?;
    settings_of(&state.db, actor.id).await
}

pub async fn update_settings(
    state: &AppState,
    actor: &Actor,
    meta: &RequestMeta,
    req: ChatSettingsBody,
) -> AppResult<ChatSettingsBody> {
    crate::authz::require(state, actor, "chat:use", Scope::Global).await?;
    let txn = state.db.begin().await?;
    db::exec(
        &txn,
        "INSERT INTO chat_settings (user_id, send_receipts) VALUES ($1, $2)
         ON CONFLICT (user_id) DO UPDATE SET send_receipts = excluded.send_receipts",
        [actor.id.into(), req.send_receipts.into()],
    )
    .await?;
    audit::record(
        &txn,
        AuditEvent::new(
            Some(actor.id),
            "chat.settings_update",
            "user",
            Some(actor.id.to_string()),
        )
        .details(json!({"send_receipts": req.send_receipts})),
        meta,
    )
    .await?;
    txn.commit().await?;
    Ok(req)
}

/// Flags a message for the moderators of its room's scope (members; once per reporter).
pub async fn flag(
    state: &AppState,
    actor: &Actor,
    meta: &RequestMeta,
    id: Uuid,
    reason: FlagReason,
    note: &str,
) -> AppResult<moderation::FlagResponse> {
    crate::authz::require(state, actor, "chat:use", Scope::Global).await?;
    let txn = state.db.begin().await?;
    let (_, room, _) = message_for(&txn, id, actor.id, false).await?;
    let out = moderation::flag_in(
        &txn,
        actor,
        meta,
        FlagTarget::ChatMessage,
        id,
        room.scope(),
        reason,
        note,
    )
    .await?;
    txn.commit().await?;
    Ok(out)
}
