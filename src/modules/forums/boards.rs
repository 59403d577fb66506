//! Forums themselves: listing what the caller sees, creating and changing them (staff of the
//! scope), subscription levels and bans.

use std::collections::{HashMap, HashSet};

use kernel::enums::{PostingRule, SubscriptionLevel};
use kernel::{Actor, AppError, AppResult, FieldError, RequestMeta, Scope, ScopeType, db};
use sea_orm::{ConnectionTrait, FromQueryResult, TransactionTrait};
use serde_json::json;
use uuid::Uuid;

use super::access::{self, Access};
use super::dto::{
    BanRequest, BanResponse, CreateForumRequest, ForumResponse, ListForumsQuery, SubscriptionBody,
    UpdateForumRequest,
};
use crate::modules::audit::{self, AuditEvent};
use crate::state::AppState;

/// A forum as `$1` sees it (rights filled in afterwards).
const FORUM_VIEW: &str = "
SELECT f.id, f.scope_type, f.scope_id, f.parent_id, f.depth, f.name, f.description, f.start_rule,
       f.reply_rule, f.position, f.thread_count, f.post_count, f.last_posted_at, f.created_at,
       coalesce((SELECT s.level FROM forum_subscriptions s
                 WHERE s.target_type = 'forum' AND s.target_id = f.id AND s.user_id = $1), 'normal') AS my_level
FROM forums f";

/// Fills in what the caller may do in each forum: `forum:post`, the posting rules, staff and
/// bans (of the forum and its parents).
async fn decorate(state: &AppState, actor: &Actor, forums: &mut [ForumResponse]) -> AppResult<()> {
    #[derive(FromQueryResult)]
    struct CourseOrg {
        id: Uuid,
        organization_id: Option<Uuid>,
    }
    let course_ids: Vec<Uuid> = forums
        .iter()
        .filter(|f| f.scope_type == ScopeType::Course)
        .filter_map(|f| f.scope_id)
        .collect();
    let orgs: HashMap<Uuid, Option<Uuid>> = if course_ids.is_empty() {
        HashMap::new()
    } else {
        db::rows::<CourseOrg, _>(
            &state.db,
            "SELECT id, organization_id FROM courses WHERE id = ANY ($1)",
            [course_ids.into()],
        )
        .await?
        .into_iter()
        .map(|c| (c.id, c.organization_id))
        .collect()
    };
    let bans: HashSet<Uuid> = db::column::<Uuid, _>(
        &state.db,
        "SELECT b.forum_id FROM forum_bans b WHERE b.user_id = $1 AND (b.until IS NULL OR b.until > now())
         UNION SELECT f.id FROM forums f JOIN forum_bans b ON b.forum_id = f.parent_id
               WHERE b.user_id = $1 AND (b.until IS NULL OR b.until > now())
         UNION SELECT f.id FROM forums f JOIN forums p ON p.id = f.parent_id JOIN forum_bans b ON b.forum_id = p.parent_id
               WHERE b.user_id = $1 AND (b.until IS NULL OR b.until > now())",
        [actor.id.into()],
    )
    .await?
    .into_iter()
    .collect();
    // `forum:post` may also need a verified email (`security.verified_email_required`).
    let verified = actor.email_verified
        || !state
            .settings
            .security
            .verified_email_required
            .iter()
            .any(|p| p == "forum:post");
    for f in forums.iter_mut() {
        let scope = match (f.scope_type, f.scope_id) {
            (ScopeType::Course, Some(id)) => Scope::Course {
                id,
                organization_id: orgs.get(&id).copied().flatten(),
            },
            (kind, id) => Scope::from_parts(kind, id)?,
        };
        let staff = access::is_staff(state, actor, scope).await?;
        let may_post = verified
            && crate::authz::allowed(state, actor, "forum:post", scope).await?
            && !bans.contains(&f.id);
        f.can_start_threads = may_post && access::rule_permits(f.start_rule, staff);
        f.can_reply = may_post && access::rule_permits(f.reply_rule, staff);
    }
    Ok(())
}

async fn view(state: &AppState, actor: &Actor, id: Uuid) -> AppResult<ForumResponse> {
    let mut forum: ForumResponse = db::row(
        &state.db,
        format!("{FORUM_VIEW} WHERE f.id = $2"),
        [actor.id.into(), id.into()],
    )
    .await?
    .ok_or_else(|| AppError::not_found("forum"))?;
    decorate(state, actor, std::slice::from_mut(&mut forum)).await?;
    Ok(forum)
}

/// The forums the caller sees, filtered, by position.
pub async fn list(
    state: &AppState,
    actor: &Actor,
    q: ListForumsQuery,
) -> AppResult<Vec<ForumResponse>> {
    let visible = access::visible_forum_ids(state, actor).await?;
    let mut items: Vec<ForumResponse> = db::rows(
        &state.db,
        format!(
            "{FORUM_VIEW} WHERE f.id = ANY ($2)
               AND ($3::text IS NULL OR f.scope_type = $3) AND ($4::uuid IS NULL OR f.scope_id = $4)
               AND ($5::uuid IS NULL OR f.parent_id = $5)
             ORDER BY f.depth, f.position, f.created_at, f.id LIMIT 1000"
        ),
        [
            actor.id.into(),
            visible.into(),
            q.scope_type.map(|s| s.as_str()).into(),
            q.scope_id.into(),
            q.parent_id.into(),
        ],
    )
    .await?;
    decorate(state, actor, &mut items).await?;
    Ok(items)
}

pub async fn get(state: &AppState, actor: &Actor, id: Uuid) -> AppResult<ForumResponse> {
    access::access(state, actor, id).await?;
    view(state, actor, id).await
}

/// Creates a forum (staff of its scope); a sub-forum takes its parent's scope.
pub async fn create(
    state: &AppState,
    actor: &Actor,
    meta: &RequestMeta,
    req: CreateForumRequest,
) -> AppResult<ForumResponse> {
    let mut errors = Vec::new();
    kernel::text::check_name("#/name", &req.name, 200, &mut errors);
    if req.position.is_some_and(|p| !(0..=1_000_000).contains(&p)) {
        errors.push(FieldError::new("#/position", "must be 0 to 1000000"));
    }
    if !errors.is_empty() {
        return Err(AppError::validation(errors));
    }
    let (scope_type, scope_id, depth) = match req.parent_id {
        Some(parent) => {
            let parent = access::access(state, actor, parent)
                .await
                .map_err(|_| AppError::field("#/parent_id", "no such forum"))?;
            if parent.forum.depth >= 3 {
                return Err(AppError::field(
                    "#/parent_id",
                    "forums nest at most three levels",
                ));
            }
            (
                parent.forum.scope_type,
                parent.forum.scope_id,
                parent.forum.depth + 1,
            )
        }
        None => (req.scope_type, req.scope_id, 1),
    };
    let scope = crate::authz::resolve_parts(state, scope_type, scope_id)
        .await?
        .ok_or_else(|| AppError::field("#/scope_id", "no such course"))?;
    let scope = match scope {
        Scope::Organization(id) => {
            if !db::exists(
                &state.db,
                "SELECT 1 FROM organizations WHERE id = $1",
                [id.into()],
            )
            .await?
            {
                return Err(AppError::field("#/scope_id", "no such organization"));
            }
            scope
        }
        other => other,
    };
    crate::authz::require(state, actor, "forum:moderate", scope).await?;
    let id = Uuid::now_v7();
    let txn = state.db.begin().await?;
    db::exec(
        &txn,
        "INSERT INTO forums (id, scope_type, scope_id, parent_id, depth, name, description, start_rule, reply_rule, position, created_by)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
        [
            id.into(),
            scope_type.as_str().into(),
            scope_id.into(),
            req.parent_id.into(),
            depth.into(),
            req.name.trim().into(),
            req.description.as_deref().unwrap_or("").trim().into(),
            req.start_rule.unwrap_or(PostingRule::Members).as_str().into(),
            req.reply_rule.unwrap_or(PostingRule::Members).as_str().into(),
            req.position.unwrap_or(0).into(),
            actor.id.into(),
        ],
    )
    .await?;
    audit::record(
        &txn,
        AuditEvent::new(
            Some(actor.id),
            "forum.create",
            "forum",
            Some(id.to_string()),
        )
        .details(
            json!({"scope_type": scope_type, "scope_id": scope_id, "parent_id": req.parent_id}),
        ),
        meta,
    )
    .await?;
    txn.commit().await?;
    view(state, actor, id).await
}

/// Staff of the forum change its name, description, rules or position.
pub async fn update(
    state: &AppState,
    actor: &Actor,
    meta: &RequestMeta,
    id: Uuid,
    req: UpdateForumRequest,
) -> AppResult<ForumResponse> {
    let a = access::access(state, actor, id).await?;
    require_staff(state, actor, &a).await?;
    let mut errors = Vec::new();
    if let Some(name) = &req.name {
        kernel::text::check_name("#/name", name, 200, &mut errors);
    }
    if req.position.is_some_and(|p| !(0..=1_000_000).contains(&p)) {
        errors.push(FieldError::new("#/position", "must be 0 to 1000000"));
    }
    if !errors.is_empty() {
        return Err(AppError::validation(errors));
    }
    let txn = state.db.begin().await?;
    db::exec(
        &txn,
        "UPDATE forums SET name = coalesce($2, name), description = coalesce($3, description),
                start_rule = coalesce($4, start_rule), reply_rule = coalesce($5, reply_rule),
                position = coalesce($6, position)
         WHERE id = $1",
        [
            id.into(),
            req.name.as_deref().map(|s| s.trim().to_owned()).into(),
            req.description
                .as_deref()
                .map(|s| s.trim().to_owned())
                .into(),
            req.start_rule.map(|r| r.as_str()).into(),
            req.reply_rule.map(|r| r.as_str()).into(),
            req.position.into(),
        ],
    )
    .await?;
    audit::record(
        &txn,
        AuditEvent::new(Some(actor.id), "forum.update", "forum", Some(id.to_string())).details(
            json!({"name": req.name.as_deref(), "start_rule": req.start_rule, "reply_rule": req.reply_rule, "position": req.position}),
        ),
        meta,
    )
    .await?;
    txn.commit().await?;
    view(state, actor, id).await
}

/// 403 unless the caller is staff of the forum (`forum:moderate` in its scope).
pub async fn require_staff(state: &AppState, actor: &Actor, a: &Access) -> AppResult<()> {
    if a.staff {
        Ok(())
    } else {
        crate::authz::require(state, actor, "forum:moderate", a.scope).await
    }
}

/// Sets the caller's level on a forum or a thread.
pub async fn set_level_in(
    db: &impl ConnectionTrait,
    user_id: Uuid,
    target_type: &str,
    target_id: Uuid,
    level: SubscriptionLevel,
) -> AppResult<()> {
    db::exec(
        db,
        "INSERT INTO forum_subscriptions (user_id, target_type, target_id, level) VALUES ($1, $2, $3, $4)
         ON CONFLICT (target_type, target_id, user_id) DO UPDATE SET level = EXCLUDED.level, updated_at = now()",
        [
            user_id.into(),
            target_type.into(),
            target_id.into(),
            level.as_str().into(),
        ],
    )
    .await?;
    Ok(())
}

pub async fn subscribe(
    state: &AppState,
    actor: &Actor,
    id: Uuid,
    body: SubscriptionBody,
) -> AppResult<SubscriptionBody> {
    access::access(state, actor, id).await?;
    set_level_in(&state.db, actor.id, "forum", id, body.level).await?;
    Ok(body)
}

const BAN_COLUMNS: &str = "forum_id, user_id, until, reason, banned_by, created_at";

pub async fn bans(state: &AppState, actor: &Actor, id: Uuid) -> AppResult<Vec<BanResponse>> {
    let a = access::access(state, actor, id).await?;
    require_staff(state, actor, &a).await?;
    Ok(db::rows(
        &state.db,
        format!(
            "SELECT {BAN_COLUMNS} FROM forum_bans WHERE forum_id = $1 ORDER BY created_at, user_id"
        ),
        [id.into()],
    )
    .await?)
}

/// Bans a user from the forum (and its sub-forums) until `until` or until lifted; a second
/// ban replaces the first. Audited.
pub async fn ban(
    state: &AppState,
    actor: &Actor,
    meta: &RequestMeta,
    id: Uuid,
    req: BanRequest,
) -> AppResult<BanResponse> {
    let a = access::access(state, actor, id).await?;
    require_staff(state, actor, &a).await?;
    if req.user_id == actor.id {
        return Err(AppError::field("#/user_id", "you cannot ban yourself"));
    }
    let txn = state.db.begin().await?;
    if !db::exists(
        &txn,
        "SELECT 1 FROM users WHERE id = $1",
        [req.user_id.into()],
    )
    .await?
    {
        return Err(AppError::field("#/user_id", "no such user"));
    }
    let row: BanResponse = db::row(
        &txn,
        format!(
            "INSERT INTO forum_bans (forum_id, user_id, until, reason, banned_by) VALUES ($1, $2, $3, $4, $5)
             ON CONFLICT (forum_id, user_id) DO UPDATE SET until = EXCLUDED.until, reason = EXCLUDED.reason,
                 banned_by = EXCLUDED.banned_by, created_at = now()
             RETURNING {BAN_COLUMNS}"
        ),
        [
            id.into(),
            req.user_id.into(),
            req.until.into(),
            req.reason.as_deref().unwrap_or("").trim().into(),
            actor.id.into(),
        ],
    )
    .await?
    .ok_or_else(|| AppError::not_found("ban"))?;
    audit::record(
        &txn,
        AuditEvent::new(Some(actor.id), "forum.ban", "forum", Some(id.to_string()))
            .details(json!({"user_id": req.user_id, "until": req.until})),
        meta,
    )
    .await?;
    txn.commit().await?;
    Ok(row)
}

pub async fn unban(
    state: &AppState,
    actor: &Actor,
    meta: &RequestMeta,
    id: Uuid,
    user_id: Uuid,
) -> AppResult<()> {
    let a = access::access(state, actor, id).await?;
    require_staff(state, actor, &a).await?;
    let txn = state.db.begin().await?;
    let gone = db::exists(
        &txn,
        "DELETE FROM forum_bans WHERE forum_id = $1 AND user_id = $2 RETURNING 1",
        [id.into(), user_id.into()],
    )
    .await?;
    if !gone {
        return Err(AppError::not_found("ban"));
    }
    audit::record(
        &txn,
        AuditEvent::new(Some(actor.id), "forum.unban", "forum", Some(id.to_string()))
            .details(json!({"user_id": user_id})),
        meta,
    )
    .await?;
    txn.commit().await?;
    Ok(())
}
