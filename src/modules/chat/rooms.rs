//! Rooms and their members: direct rooms (one per pair), groups, and the course and
//! organization channels whose members follow enrollments and organization membership.

use chrono::{DateTime, Utc};
use kernel::enums::{PresenceStatus, RoomKind, RoomRole};
use kernel::{Actor, AppError, AppResult, ErrorCode, FieldError, RequestMeta, Scope, db};
use sea_orm::{ConnectionTrait, DatabaseTransaction, FromQueryResult, TransactionTrait};
use serde_json::json;
use uuid::Uuid;

use super::dto::{
    AddRoomMemberRequest, CreateRoomRequest, MembershipRequest, RoomListQuery, RoomMemberResponse,
    RoomPage, RoomResponse, UpdateRoomRequest,
};
use crate::modules::audit::{self, AuditEvent};
use crate::modules::identity;
use crate::state::AppState;
use crate::stream::{self, Recipients};

/// A room as its members see it; `$1` is the viewer.
const ROOM_VIEW: &str = "
SELECT r.id, r.kind,
       CASE WHEN r.kind = 'direct' THEN coalesce((
           SELECT u.display_name FROM chat_members o JOIN users u ON u.id = o.user_id
           WHERE o.room_id = r.id AND o.user_id <> m.user_id LIMIT 1), '')
       ELSE r.name END AS name,
       r.topic, r.course_id, r.organization_id, r.member_count, r.message_count,
       r.last_message_at, r.archived_at IS NOT NULL AS archived, r.created_at,
       m.role AS my_role, m.muted, m.last_read_id, c.unread_count, c.mention_count
FROM chat_rooms r JOIN chat_members m ON m.room_id = r.id AND m.user_id = $1
CROSS JOIN LATERAL (
    SELECT count(*) AS unread_count, count(*) FILTER (WHERE m.user_id = ANY (x.mentions)) AS mention_count
    FROM chat_messages x
    WHERE x.room_id = r.id AND x.id > coalesce(m.last_read_id, '00000000-0000-0000-0000-000000000000')
      AND x.author_id <> m.user_id AND x.deleted_at IS NULL AND x.hidden_at IS NULL) c";

/// Whether a user has a socket on a live node: `online` and `idle` columns for the user named
/// by `{user}` (a column or parameter). Nodes that stopped their heartbeat do not count.
fn live_presence(user: &str) -> String {
    format!(
        "SELECT coalesce(bool_or(ps.status = 'online'), false) AS online,
                coalesce(bool_or(ps.status = 'idle'), false) AS idle
         FROM presence_sessions ps JOIN realtime_nodes n ON n.node_id = ps.node_id
         WHERE ps.user_id = {user} AND n.seen_at > now() - interval '1 minute'"
    )
}

/// The members of a room, as a recipients query (`$1` the room).
pub(crate) fn members_of(room_id: Uuid) -> Recipients {
    Recipients::query(
        "SELECT user_id FROM chat_members WHERE room_id = $1",
        vec![room_id.into()],
    )
}

/// What the rules need of a room.
#[derive(Debug, Clone, FromQueryResult)]
pub(crate) struct RoomRow {
    pub kind: RoomKind,
    pub member_count: i32,
    pub course_id: Option<Uuid>,
    pub organization_id: Option<Uuid>,
    pub archived_at: Option<DateTime<Utc>>,
}

impl RoomRow {
    /// Where moderators of the room's messages hold `chat:moderate`.
    pub(crate) fn scope(&self) -> Scope {
        match (self.course_id, self.organization_id) {
            (Some(id), _) => Scope::Course {
                id,
                organization_id: None,
            },
            (None, Some(org)) => Scope::Organization(org),
            _ => Scope::Global,
        }
    }

    pub(crate) fn refuse_if_archived(&self) -> AppResult<()> {
        match self.archived_at {
            Some(_) => Err(AppError::new(
                ErrorCode::RoomArchived,
                "the room is archived",
            )),
            None => Ok(()),
        }
    }
}

/// The caller's membership.
#[derive(Debug, Clone, FromQueryResult)]
pub(crate) struct Membership {
    pub role: RoomRole,
    pub last_read_id: Option<Uuid>,
}

impl Membership {
    pub(crate) fn manages(&self) -> bool {
        matches!(self.role, RoomRole::Owner | RoomRole::Admin)
    }
}

/// The room and the caller's membership of it; 404 for non-members (and unknown rooms).
pub(crate) async fn membership(
    db: &impl ConnectionTrait,
    room_id: Uuid,
    user_id: Uuid,
) -> AppResult<(RoomRow, Membership)> {
    #[derive(FromQueryResult)]
    struct Both {
        kind: RoomKind,
        member_count: i32,
        course_id: Option<Uuid>,
        organization_id: Option<Uuid>,
        archived_at: Option<DateTime<Utc>>,
        role: RoomRole,
        last_read_id: Option<Uuid>,
    }
    let b: Both = db::row(
        db,
        "SELECT r.kind, r.member_count, r.course_id, r.organization_id, r.archived_at,
                m.role, m.last_read_id
         FROM chat_rooms r JOIN chat_members m ON m.room_id = r.id AND m.user_id = $2
         WHERE r.id = $1",
        [room_id.into(), user_id.into()],
    )
    .await?
    .ok_or_else(|| AppError::not_found("room"))?;
    Ok((
        RoomRow {
            kind: b.kind,
            member_count: b.member_count,
            course_id: b.course_id,
            organization_id: b.organization_id,
            archived_at: b.archived_at,
        },
        Membership {
            role: b.role,
            last_read_id: b.last_read_id,
        },
    ))
}

/// Room `id` as `user_id` sees it (404 for non-members).
pub async fn room(db: &impl ConnectionTrait, user_id: Uuid, id: Uuid) -> AppResult<RoomResponse> {
    db::row(
        db,
        format!("{ROOM_VIEW} WHERE r.id = $2"),
        [user_id.into(), id.into()],
    )
    .await?
    .ok_or_else(|| AppError::not_found("room"))
}

/// The caller's rooms, most recently active first (keyset cursor).
pub async fn list(state: &AppState, actor: &Actor, q: RoomListQuery) -> AppResult<RoomPage> {
    crate::authz::require(state, actor, "chat:use", Scope::Global).await?;
    let limit = kernel::pagination::feed_limit(q.limit, 50, 100)?;
    let cursor = match q.cursor.as_deref() {
        None => None,
        Some(c) => Some(parse_cursor(c).ok_or_else(|| {
            AppError::validation(vec![FieldError::new(
                "#/cursor",
                "not a cursor of this list",
            )])
        })?),
    };
    let (at, id) = cursor.unzip();
    let mut items: Vec<RoomResponse> = db::rows(
        &state.db,
        format!(
            "SELECT * FROM ({ROOM_VIEW}) v
             WHERE $2::timestamptz IS NULL
                OR (coalesce(v.last_message_at, v.created_at), v.id) < ($2, $3)
             ORDER BY coalesce(v.last_message_at, v.created_at) DESC, v.id DESC
             LIMIT $4"
        ),
        [actor.id.into(), at.into(), id.into(), (limit + 1).into()],
    )
    .await?;
    let next_cursor = if items.len() as i64 > limit {
        items.truncate(limit as usize);
        items.last().map(|r| {
            let at = r.last_message_at.unwrap_or(r.created_at);
            format!("{}_{}", at.timestamp_micros(), r.id)
        })
    } else {
        None
    };
    Ok(RoomPage { items, next_cursor })
}

/// `<microseconds>_<room id>`, as the schema's pattern says (at most 16 digits: every such
/// number is a valid time).
fn parse_cursor(c: &str) -> Option<(DateTime<Utc>, Uuid)> {
    let (micros, id) = c.split_once('_')?;
    if micros.is_empty()
        || micros.len() > 16
        || !micros.bytes().all(|b| b.is_ascii_digit())
        || id.len() != 36
    {
        return None;
    }
    Some((
        DateTime::from_timestamp_micros(micros.parse().ok()?)?,
        Uuid::try_parse(id).ok()?,
    ))
}

/// All of the caller's rooms (the stream snapshot), most recently active first.
pub async fn all_rooms(db: &impl ConnectionTrait, user_id: Uuid) -> AppResult<Vec<RoomResponse>> {
    Ok(db::rows(
        db,
        format!(
            "SELECT * FROM ({ROOM_VIEW}) v
             ORDER BY coalesce(v.last_message_at, v.created_at) DESC, v.id DESC LIMIT 1000"
        ),
        [user_id.into()],
    )
    .await?)
}

/// Creates a group, or opens the direct room of a pair (201 new, or 200 and the existing one:
/// the bool says whether it was created).
pub async fn create(
    state: &AppState,
    actor: &Actor,
    meta: &RequestMeta,
    req: CreateRoomRequest,
) -> AppResult<(RoomResponse, bool)> {
    crate::authz::require(state, actor, "chat:use", Scope::Global).await?;
    let mut ids: Vec<Uuid> = Vec::new();
    for id in &req.member_ids {
        if *id != actor.id && !ids.contains(id) {
            ids.push(*id);
        }
    }
    let txn = state.db.begin().await?;
    for (i, id) in ids.iter().enumerate() {
        identity::require_live_user(&txn, *id, &format!("#/member_ids/{i}")).await?;
    }
    let id = Uuid::now_v7();
    let created = match req.kind {
        RoomKind::Direct => {
            let [other] = ids.as_slice() else {
                return Err(AppError::validation(vec![FieldError::new(
                    "#/member_ids",
                    "a direct room names exactly one other person",
                )]));
            };
            let (a, b) = if actor.id < *other {
                (actor.id, *other)
            } else {
                (*other, actor.id)
            };
            let key = format!("{a}:{b}");
            let inserted: Option<Uuid> = db::scalar(
                &txn,
                "INSERT INTO chat_rooms (id, kind, direct_key, created_by, member_count)
                 VALUES ($1, 'direct', $2, $3, 2) ON CONFLICT (direct_key) DO NOTHING RETURNING id",
                [id.into(), key.clone().into(), actor.id.into()],
            )
            .await?;
            match inserted {
                Some(_) => {
                    add_rows(
                        &txn,
                        id,
                        &[(actor.id, RoomRole::Member), (*other, RoomRole::Member)],
                    )
                    .await?;
                    true
                }
                None => {
                    let existing: Option<Uuid> = db::scalar(
                        &txn,
                        "SELECT id FROM chat_rooms WHERE direct_key = $1",
                        [key.into()],
                    )
                    .await?;
                    txn.commit().await?;
                    let existing = existing.ok_or_else(|| AppError::not_found("room"))?;
                    return Ok((room(&state.db, actor.id, existing).await?, false));
                }
            }
        }
        RoomKind::Group => {
            let Some(name) = req.name.as_ref().filter(|n| !n.trim().is_empty()) else {
                return Err(AppError::validation(vec![FieldError::new(
                    "#/name",
                    "a group needs a name",
                )]));
            };
            db::exec(
                &txn,
                "INSERT INTO chat_rooms (id, kind, name, topic, created_by) VALUES ($1, 'group', $2, $3, $4)",
                [
                    id.into(),
                    name.trim().into(),
                    req.topic.as_deref().unwrap_or("").trim().into(),
                    actor.id.into(),
                ],
            )
            .await?;
            let mut rows = vec![(actor.id, RoomRole::Owner)];
            rows.extend(ids.iter().map(|u| (*u, RoomRole::Member)));
            add_rows(&txn, id, &rows).await?;
            true
        }
        RoomKind::Course | RoomKind::Organization => {
            return Err(AppError::validation(vec![FieldError::new(
                "#/kind",
                "course and organization channels exist by themselves; create `direct` or `group`",
            )]));
        }
    };
    audit::record(
        &txn,
        AuditEvent::new(
            Some(actor.id),
            "chat.room_create",
            "chat_room",
            Some(id.to_string()),
        )
        .details(json!({"kind": req.kind, "members": ids})),
        meta,
    )
    .await?;
    let out = room(&txn, actor.id, id).await?;
    stream::append(
        &txn,
        members_of(id),
        "room_created",
        Some(id),
        &room_data(&txn, id).await?,
    )
    .await?;
    txn.commit().await?;
    Ok((out, created))
}

/// Inserts members (ignoring existing ones) and recounts.
async fn add_rows(
    txn: &DatabaseTransaction,
    room_id: Uuid,
    rows: &[(Uuid, RoomRole)],
) -> AppResult<u64> {
    let users: Vec<Uuid> = rows.iter().map(|r| r.0).collect();
    let roles: Vec<String> = rows.iter().map(|r| r.1.as_str().to_owned()).collect();
    let added = db::exec(
        txn,
        "INSERT INTO chat_members (room_id, user_id, role)
         SELECT $1, u, r FROM unnest($2::uuid[], $3::text[]) AS x (u, r)
         ON CONFLICT (room_id, user_id) DO NOTHING",
        [room_id.into(), users.into(), roles.into()],
    )
    .await?
    .rows_affected();
    recount(txn, room_id).await?;
    Ok(added)
}

async fn recount(txn: &DatabaseTransaction, room_id: Uuid) -> AppResult<()> {
    db::exec(
        txn,
        "UPDATE chat_rooms SET member_count = (SELECT count(*) FROM chat_members WHERE room_id = $1),
                updated_at = now() WHERE id = $1",
        [room_id.into()],
    )
    .await?;
    Ok(())
}

pub async fn get(state: &AppState, actor: &Actor, id: Uuid) -> AppResult<RoomResponse> {
    crate::authz::require(state, actor, "chat:use", Scope::Global).await?;
    room(&state.db, actor.id, id).await
}

/// Renames, re-topics, archives or unarchives a room (its owner or admins).
pub async fn update(
    state: &AppState,
    actor: &Actor,
    meta: &RequestMeta,
    id: Uuid,
    req: UpdateRoomRequest,
) -> AppResult<RoomResponse> {
    crate::authz::require(state, actor, "chat:use", Scope::Global).await?;
    let txn = state.db.begin().await?;
    let (r, me) = membership(&txn, id, actor.id).await?;
    if !me.manages() {
        return Err(AppError::forbidden(
            "only the room's owner and admins change it",
        ));
    }
    if req.name.as_ref().is_some_and(|n| n.trim().is_empty()) {
        return Err(AppError::validation(vec![FieldError::new(
            "#/name",
            "must not be blank",
        )]));
    }
    if r.kind == RoomKind::Direct && req.name.is_some() {
        return Err(AppError::validation(vec![FieldError::new(
            "#/name",
            "a direct room is named after the other person",
        )]));
    }
    db::exec(
        &txn,
        "UPDATE chat_rooms SET name = coalesce($2, name), topic = coalesce($3, topic),
                archived_at = CASE WHEN $4::boolean IS NULL THEN archived_at
                                   WHEN $4 THEN coalesce(archived_at, now()) ELSE NULL END,
                updated_at = now()
         WHERE id = $1",
        [
            id.into(),
            req.name.as_deref().map(|n| n.trim().to_owned()).into(),
            req.topic.as_deref().map(|t| t.trim().to_owned()).into(),
            req.archived.into(),
        ],
    )
    .await?;
    audit::record(
        &txn,
        AuditEvent::new(Some(actor.id), "chat.room_update", "chat_room", Some(id.to_string()))
            .details(json!({"name": req.name.as_deref(), "topic": req.topic.as_deref(), "archived": req.archived})),
        meta,
    )
    .await?;
    stream::append(
        &txn,
        members_of(id),
        "room_updated",
        Some(id),
        &room_data(&txn, id).await?,
    )
    .await?;
    let out = room(&txn, actor.id, id).await?;
    txn.commit().await?;
    Ok(out)
}

/// The members of a room with their presence (members only).
pub async fn members(
    state: &AppState,
    actor: &Actor,
    id: Uuid,
) -> AppResult<Vec<RoomMemberResponse>> {
    crate::authz::require(state, actor, "chat:use", Scope::Global).await?;
    membership(&state.db, id, actor.id).await?;
    Ok(db::rows(
        &state.db,
        format!(
            "SELECT m.user_id, u.display_name, m.role, m.joined_at,
                CASE WHEN p.online THEN 'online' WHEN p.idle THEN 'idle' ELSE 'offline' END AS presence,
                CASE WHEN p.online OR p.idle THEN NULL ELSE s.last_seen_at END AS last_seen_at
         FROM chat_members m
         JOIN users u ON u.id = m.user_id
         LEFT JOIN user_last_seen s ON s.user_id = m.user_id
         CROSS JOIN LATERAL ({}) p
         WHERE m.room_id = $1
         ORDER BY m.joined_at, m.user_id
         LIMIT 1000",
            live_presence("m.user_id")
        ),
        [id.into()],
    )
    .await?)
}

/// Invites someone to a group (owner or admins; `admin` role: the owner only).
pub async fn add_member(
    state: &AppState,
    actor: &Actor,
    meta: &RequestMeta,
    id: Uuid,
    req: AddRoomMemberRequest,
) -> AppResult<Vec<RoomMemberResponse>> {
    crate::authz::require(state, actor, "chat:use", Scope::Global).await?;
    let txn = state.db.begin().await?;
    let (r, me) = membership(&txn, id, actor.id).await?;
    if r.kind != RoomKind::Group {
        return Err(AppError::new(
            ErrorCode::RoomMembershipManaged,
            "only groups take members by hand",
        ));
    }
    if !me.manages() {
        return Err(AppError::forbidden(
            "only the room's owner and admins invite",
        ));
    }
    let role = req.role.unwrap_or(RoomRole::Member);
    if role == RoomRole::Owner || (role == RoomRole::Admin && me.role != RoomRole::Owner) {
        return Err(AppError::forbidden(
            "only the owner names admins; a room has one owner",
        ));
    }
    identity::require_live_user(&txn, req.user_id, "#/user_id").await?;
    if add_rows(&txn, id, &[(req.user_id, role)]).await? == 0 {
        return Err(AppError::new(
            ErrorCode::AlreadyMember,
            "already a member of the room",
        ));
    }
    audit::record(
        &txn,
        AuditEvent::new(
            Some(actor.id),
            "chat.member_add",
            "chat_room",
            Some(id.to_string()),
        )
        .details(json!({"user_id": req.user_id, "role": role})),
        meta,
    )
    .await?;
    let data = json!({"room_id": id, "user_id": req.user_id, "role": role});
    stream::append(&txn, members_of(id), "member_joined", Some(id), &data).await?;
    txn.commit().await?;
    members(state, actor, id).await
}

/// Leaves a group (yourself) or removes someone (owner; admins remove members). When the
/// owner leaves, the longest-standing member becomes owner.
pub async fn remove_member(
    state: &AppState,
    actor: &Actor,
    meta: &RequestMeta,
    id: Uuid,
    user_id: Uuid,
) -> AppResult<()> {
    crate::authz::require(state, actor, "chat:use", Scope::Global).await?;
    let txn = state.db.begin().await?;
    let (r, me) = membership(&txn, id, actor.id).await?;
    let (_, them) = membership(&txn, id, user_id)
        .await
        .map_err(|_| AppError::not_found("member"))?;
    if r.kind != RoomKind::Group {
        return Err(AppError::new(
            ErrorCode::RoomMembershipManaged,
            "only groups lose members by hand",
        ));
    }
    if user_id != actor.id {
        let allowed = match me.role {
            RoomRole::Owner => true,
            RoomRole::Admin => them.role == RoomRole::Member,
            RoomRole::Member => false,
        };
        if !allowed {
            return Err(AppError::forbidden("you may not remove this member"));
        }
    }
    let data = json!({"room_id": id, "user_id": user_id, "role": them.role});
    // The leaver hears it too (their other devices drop the room).
    stream::append(&txn, members_of(id), "member_left", Some(id), &data).await?;
    db::exec(
        &txn,
        "DELETE FROM chat_members WHERE room_id = $1 AND user_id = $2",
        [id.into(), user_id.into()],
    )
    .await?;
    if them.role == RoomRole::Owner {
        db::exec(
            &txn,
            "UPDATE chat_members SET role = 'owner' WHERE (room_id, user_id) = (
                SELECT room_id, user_id FROM chat_members WHERE room_id = $1
                ORDER BY (role = 'admin') DESC, joined_at, user_id LIMIT 1)",
            [id.into()],
        )
        .await?;
    }
    recount(&txn, id).await?;
    audit::record(
        &txn,
        AuditEvent::new(
            Some(actor.id),
            "chat.member_remove",
            "chat_room",
            Some(id.to_string()),
        )
        .details(json!({"user_id": user_id})),
        meta,
    )
    .await?;
    txn.commit().await?;
    Ok(())
}

/// Mutes or unmutes a room for the caller.
pub async fn set_membership(
    state: &AppState,
    actor: &Actor,
    id: Uuid,
    req: MembershipRequest,
) -> AppResult<RoomResponse> {
    crate::authz::require(state, actor, "chat:use", Scope::Global).await?;
    membership(&state.db, id, actor.id).await?;
    db::exec(
        &state.db,
        "UPDATE chat_members SET muted = $3 WHERE room_id = $1 AND user_id = $2",
        [id.into(), actor.id.into(), req.muted.into()],
    )
    .await?;
    room(&state.db, actor.id, id).await
}

/// Adds a user to a channel (course or organization), creating the channel first if needed;
/// inside the caller's transaction (enrollment and membership events).
pub(crate) async fn join_channel_in(
    txn: &DatabaseTransaction,
    kind: RoomKind,
    owner_id: Uuid,
    user_id: Uuid,
) -> AppResult<()> {
    let room_id = ensure_channel(txn, kind, owner_id).await?;
    if add_rows(txn, room_id, &[(user_id, RoomRole::Member)]).await? > 0 {
        let data = json!({"room_id": room_id, "user_id": user_id, "role": RoomRole::Member});
        stream::append(
            txn,
            members_of(room_id),
            "member_joined",
            Some(room_id),
            &data,
        )
        .await?;
    }
    Ok(())
}

/// Removes a user from a channel (dropping the course, leaving the organization).
pub(crate) async fn leave_channel_in(
    txn: &DatabaseTransaction,
    kind: RoomKind,
    owner_id: Uuid,
    user_id: Uuid,
) -> AppResult<()> {
    let column = if kind == RoomKind::Course {
        "course_id"
    } else {
        "organization_id"
    };
    let room_id: Option<Uuid> = db::scalar(
        txn,
        format!("SELECT id FROM chat_rooms WHERE {column} = $1"),
        [owner_id.into()],
    )
    .await?;
    let Some(room_id) = room_id else {
        return Ok(());
    };
    // Instructors stay: they are members by teaching, not by enrollment.
    let role: Option<RoomRole> = db::scalar(
        txn,
        "SELECT role FROM chat_members WHERE room_id = $1 AND user_id = $2",
        [room_id.into(), user_id.into()],
    )
    .await?;
    if role != Some(RoomRole::Member) {
        return Ok(());
    }
    let data = json!({"room_id": room_id, "user_id": user_id, "role": RoomRole::Member});
    stream::append(
        txn,
        members_of(room_id),
        "member_left",
        Some(room_id),
        &data,
    )
    .await?;
    db::exec(
        txn,
        "DELETE FROM chat_members WHERE room_id = $1 AND user_id = $2",
        [room_id.into(), user_id.into()],
    )
    .await?;
    recount(txn, room_id).await?;
    Ok(())
}

/// The channel of a course or organization, created with its staff (course instructors, the
/// organization's owner) as admins, and for an organization its current members.
async fn ensure_channel(
    txn: &DatabaseTransaction,
    kind: RoomKind,
    owner_id: Uuid,
) -> AppResult<Uuid> {
    let (column, name_sql) = match kind {
        RoomKind::Course => ("course_id", "SELECT title FROM courses WHERE id = $1"),
        _ => (
            "organization_id",
            "SELECT name FROM organizations WHERE id = $1",
        ),
    };
    if let Some(id) = db::scalar::<Uuid, _>(
        txn,
        format!("SELECT id FROM chat_rooms WHERE {column} = $1"),
        [owner_id.into()],
    )
    .await?
    {
        return Ok(id);
    }
    let name: String = db::scalar(txn, name_sql, [owner_id.into()])
        .await?
        .ok_or_else(|| AppError::not_found(kind.as_str()))?;
    let id = Uuid::now_v7();
    let inserted: Option<Uuid> = db::scalar(
        txn,
        format!(
            "INSERT INTO chat_rooms (id, kind, name, {column}) VALUES ($1, $2, $3, $4)
             ON CONFLICT ({column}) DO NOTHING RETURNING id"
        ),
        [
            id.into(),
            kind.as_str().into(),
            name.chars().take(200).collect::<String>().into(),
            owner_id.into(),
        ],
    )
    .await?;
    if inserted.is_none() {
        return db::scalar(
            txn,
            format!("SELECT id FROM chat_rooms WHERE {column} = $1"),
            [owner_id.into()],
        )
        .await?
        .ok_or_else(|| AppError::not_found("room"));
    }
    let staff_sql = match kind {
        RoomKind::Course => {
            "SELECT user_id, 'admin' AS role FROM course_instructors WHERE course_id = $2"
        }
        _ => {
            "SELECT user_id, CASE WHEN o.owner_id = m.user_id THEN 'owner' ELSE 'member' END AS role
              FROM organization_members m JOIN organizations o ON o.id = m.organization_id
              WHERE m.organization_id = $2"
        }
    };
    db::exec(
        txn,
        format!(
            "INSERT INTO chat_members (room_id, user_id, role) SELECT $1, user_id, role FROM ({staff_sql}) s
             ON CONFLICT (room_id, user_id) DO NOTHING"
        ),
        [id.into(), owner_id.into()],
    )
    .await?;
    recount(txn, id).await?;
    stream::append(
        txn,
        members_of(id),
        "room_created",
        Some(id),
        &room_data(txn, id).await?,
    )
    .await?;
    Ok(id)
}

/// Presence for one user as the member lists show it.
pub async fn presence_of(db: &impl ConnectionTrait, user_id: Uuid) -> AppResult<PresenceStatus> {
    #[derive(FromQueryResult)]
    struct Live {
        online: bool,
        idle: bool,
    }
    let live: Option<Live> = db::row(db, live_presence("$1"), [user_id.into()]).await?;
    Ok(match live {
        Some(Live { online: true, .. }) => PresenceStatus::Online,
        Some(Live { idle: true, .. }) => PresenceStatus::Idle,
        _ => PresenceStatus::Offline,
    })
}

/// Who sees `user_id`'s typing in a room: the other members, if the caller is one and the room
/// has at most `max` members.
pub async fn typing_recipients(
    db: &impl ConnectionTrait,
    room_id: Uuid,
    user_id: Uuid,
    max: i32,
) -> AppResult<Vec<Uuid>> {
    Ok(db::column(
        db,
        "SELECT o.user_id FROM chat_rooms r
         JOIN chat_members me ON me.room_id = r.id AND me.user_id = $2
         JOIN chat_members o ON o.room_id = r.id AND o.user_id <> $2
         WHERE r.id = $1 AND r.member_count <= $3 AND r.archived_at IS NULL",
        [room_id.into(), user_id.into(), max.into()],
    )
    .await?)
}

/// Who hears of `user_id`'s presence: the members of its rooms of at most `max` members.
pub async fn presence_watchers(
    db: &impl ConnectionTrait,
    user_id: Uuid,
    max: i32,
) -> AppResult<Vec<Uuid>> {
    Ok(db::column(
        db,
        "SELECT DISTINCT o.user_id FROM chat_members me
         JOIN chat_rooms r ON r.id = me.room_id AND r.member_count <= $2
         JOIN chat_members o ON o.room_id = me.room_id AND o.user_id <> $1
         WHERE me.user_id = $1 LIMIT 5000",
        [user_id.into(), max.into()],
    )
    .await?)
}

/// A room as stream events carry it: the same for every member (a direct room's `name` is
/// empty: each side shows the other person).
async fn room_data(db: &impl ConnectionTrait, id: Uuid) -> AppResult<serde_json::Value> {
    db::scalar(
        db,
        "SELECT jsonb_build_object('id', id, 'room_id', id, 'kind', kind, 'name', name, 'topic', topic,
                'course_id', course_id, 'organization_id', organization_id, 'member_count', member_count,
                'message_count', message_count, 'last_message_at', last_message_at,
                'archived', archived_at IS NOT NULL, 'created_at', created_at)
         FROM chat_rooms WHERE id = $1",
        [id.into()],
    )
    .await?
    .ok_or_else(|| AppError::not_found("room"))
}
