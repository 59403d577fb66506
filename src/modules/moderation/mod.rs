//! `moderation`: one queue of flags for chat messages and forum posts.
//!
//! Owns `moderation_flags`. Rules: a member flags content once (409 `already_flagged`); each
//! flag carries the scope of the content (platform, organization or course); holders of
//! `chat:moderate` there see and resolve chat flags, holders of `forum:moderate` forum flags
//! (course instructors hold it in their course); resolving applies the action through the
//! content's module (hide, delete, dismiss) and closes every open flag on the same content,
//! audited in the same transaction.

mod routes;

use chrono::{DateTime, Utc};
use kernel::enums::{FlagAction, FlagReason, FlagState, FlagTarget};
use kernel::text::Text;
use kernel::{Actor, AppError, AppResult, ErrorCode, RequestMeta, Scope, ScopeType, db};
use sea_orm::{DatabaseTransaction, FromQueryResult, TransactionTrait};
use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::{IntoParams, ToSchema};
use utoipa_actix_web::service_config::ServiceConfig;
use uuid::Uuid;

use crate::modules::audit::{self, AuditEvent};
use crate::state::AppState;

pub fn routes(cfg: &mut ServiceConfig) {
    cfg.service(routes::list_flags)
        .service(routes::resolve_flag);
}

/// A flag in the queue.
#[derive(Debug, Clone, Serialize, ToSchema, FromQueryResult)]
pub struct FlagResponse {
    pub id: Uuid,
    pub target_type: FlagTarget,
    pub target_id: Uuid,
    pub scope_type: ScopeType,
    pub scope_id: Option<Uuid>,
    pub reporter_id: Uuid,
    pub reason: FlagReason,
    pub note: String,
    pub state: FlagState,
    pub resolution: Option<FlagAction>,
    pub resolution_note: Option<String>,
    pub moderator_id: Option<Uuid>,
    pub created_at: DateTime<Utc>,
    pub resolved_at: Option<DateTime<Utc>>,
}

/// Why something is flagged.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FlagRequest {
    pub reason: FlagReason,
    pub note: Option<Text<1000>>,
}

/// A moderator's decision.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ResolveRequest {
    pub action: FlagAction,
    pub note: Option<Text<1000>>,
}

/// Filters of the queue; without a scope, the platform-wide flags.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct FlagQuery {
    /// `open` when absent.
    #[param(inline)]
    pub state: Option<FlagState>,
    /// Only flags on this kind of content (of the kinds you moderate).
    #[param(inline)]
    pub target_type: Option<FlagTarget>,
    #[param(inline)]
    pub scope_type: Option<ScopeType>,
    pub scope_id: Option<Uuid>,
    /// From a previous page's `next_cursor`.
    pub cursor: Option<Uuid>,
    /// 1 to 100 (default 50).
    #[param(minimum = 1, maximum = 100)]
    pub limit: Option<u32>,
}

/// A page of flags, oldest first.
#[derive(Debug, Serialize, ToSchema)]
pub struct FlagPage {
    pub items: Vec<FlagResponse>,
    pub next_cursor: Option<Uuid>,
}

const FLAG_COLUMNS: &str = "id, target_type, target_id, scope_type, scope_id, reporter_id, reason, note, state, \
     resolution, resolution_note, moderator_id, created_at, resolved_at";

/// Files a flag on content of `scope`, inside the content module's transaction; audited.
#[allow(clippy::too_many_arguments)]
pub async fn flag_in(
    txn: &DatabaseTransaction,
    actor: &Actor,
    meta: &RequestMeta,
    target: FlagTarget,
    target_id: Uuid,
    scope: Scope,
    reason: FlagReason,
    note: &str,
) -> AppResult<FlagResponse> {
    let (scope_type, scope_id) = scope.parts();
    let id = Uuid::now_v7();
    let row: Option<FlagResponse> = db::row(
        txn,
        format!(
            "INSERT INTO moderation_flags (id, target_type, target_id, scope_type, scope_id, reporter_id, reason, note)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
             ON CONFLICT (target_type, target_id, reporter_id) DO NOTHING RETURNING {FLAG_COLUMNS}"
        ),
        [
            id.into(),
            target.as_str().into(),
            target_id.into(),
            scope_type.as_str().into(),
            scope_id.into(),
            actor.id.into(),
            reason.as_str().into(),
            note.trim().into(),
        ],
    )
    .await?;
    let row =
        row.ok_or_else(|| AppError::new(ErrorCode::AlreadyFlagged, "you flagged this already"))?;
    audit::record(
        txn,
        AuditEvent::new(
            Some(actor.id),
            "moderation.flag",
            target.as_str(),
            Some(target_id.to_string()),
        )
        .details(json!({"flag_id": id, "reason": reason})),
        meta,
    )
    .await?;
    Ok(row)
}

/// The permission that moderates a kind of content.
fn permission_for(target: FlagTarget) -> &'static str {
    match target {
        FlagTarget::ChatMessage => "chat:moderate",
        FlagTarget::ForumPost => "forum:moderate",
    }
}

/// The scope of a flag or a query (an unknown course stays as named: nobody moderates it).
async fn scope_of(
    state: &AppState,
    scope_type: ScopeType,
    scope_id: Option<Uuid>,
) -> AppResult<Scope> {
    match crate::authz::resolve_parts(state, scope_type, scope_id).await? {
        Some(scope) => Ok(scope),
        None => Scope::from_parts(scope_type, scope_id),
    }
}

/// The kinds of content the caller moderates in a scope.
async fn moderated_kinds(
    state: &AppState,
    actor: &Actor,
    scope: Scope,
) -> AppResult<Vec<FlagTarget>> {
    let mut kinds = Vec::new();
    for kind in FlagTarget::ALL {
        if crate::authz::allowed(state, actor, permission_for(*kind), scope).await? {
            kinds.push(*kind);
        }
    }
    Ok(kinds)
}

/// The flags of one scope, of the kinds the caller moderates there (`chat:moderate`,
/// `forum:moderate`), oldest first.
pub async fn list(state: &AppState, actor: &Actor, q: FlagQuery) -> AppResult<FlagPage> {
    let scope_type = q.scope_type.unwrap_or(ScopeType::Global);
    let scope = scope_of(state, scope_type, q.scope_id).await?;
    let mut kinds = moderated_kinds(state, actor, scope).await?;
    if let Some(only) = q.target_type {
        kinds.retain(|k| *k == only);
    }
    if kinds.is_empty() {
        return Err(AppError::forbidden(
            "you moderate no content of this kind in this scope",
        ));
    }
    let limit = kernel::pagination::feed_limit(q.limit, 50, 100)?;
    let kinds: Vec<String> = kinds.iter().map(|k| k.as_str().to_owned()).collect();
    let mut items: Vec<FlagResponse> = db::rows(
        &state.db,
        format!(
            "SELECT {FLAG_COLUMNS} FROM moderation_flags
             WHERE state = $1 AND scope_type = $2 AND scope_id IS NOT DISTINCT FROM $3
               AND ($4::uuid IS NULL OR id > $4) AND target_type = ANY ($6)
             ORDER BY id LIMIT $5"
        ),
        [
            q.state.unwrap_or(FlagState::Open).as_str().into(),
            scope_type.as_str().into(),
            q.scope_id.into(),
            q.cursor.into(),
            (limit + 1).into(),
            kinds.into(),
        ],
    )
    .await?;
    let next_cursor = if items.len() as i64 > limit {
        items.truncate(limit as usize);
        items.last().map(|f| f.id)
    } else {
        None
    };
    Ok(FlagPage { items, next_cursor })
}

/// Resolves a flag and every other open flag on the same content: the content's module
/// applies the action; audited.
pub async fn resolve(
    state: &AppState,
    actor: &Actor,
    meta: &RequestMeta,
    id: Uuid,
    req: ResolveRequest,
) -> AppResult<FlagResponse> {
    let txn = state.db.begin().await?;
    let flag: FlagResponse = db::row(
        &txn,
        format!("SELECT {FLAG_COLUMNS} FROM moderation_flags WHERE id = $1 FOR UPDATE"),
        [id.into()],
    )
    .await?
    .ok_or_else(|| AppError::not_found("flag"))?;
    let scope = scope_of(state, flag.scope_type, flag.scope_id).await?;
    if !crate::authz::allowed(state, actor, permission_for(flag.target_type), scope).await? {
        return Err(AppError::not_found("flag"));
    }
    if flag.state == FlagState::Resolved {
        return Err(AppError::new(
            ErrorCode::FlagResolved,
            "the flag was resolved already",
        ));
    }
    if let Some((_, apply)) = state
        .hooks
        .moderate
        .iter()
        .find(|(t, _)| *t == flag.target_type)
    {
        apply(&txn, flag.target_id, req.action).await?;
    }
    let note: Option<String> = req.note.as_deref().map(|n| n.trim().to_owned());
    db::exec(
        &txn,
        "UPDATE moderation_flags SET state = 'resolved', resolution = $3, resolution_note = $4,
                moderator_id = $5, resolved_at = now()
         WHERE target_type = $1 AND target_id = $2 AND state = 'open'",
        [
            flag.target_type.as_str().into(),
            flag.target_id.into(),
            req.action.as_str().into(),
            note.into(),
            actor.id.into(),
        ],
    )
    .await?;
    audit::record(
        &txn,
        AuditEvent::new(
            Some(actor.id),
            "moderation.resolve",
            flag.target_type.as_str(),
            Some(flag.target_id.to_string()),
        )
        .details(json!({"flag_id": id, "action": req.action})),
        meta,
    )
    .await?;
    let out: FlagResponse = db::row(
        &txn,
        format!("SELECT {FLAG_COLUMNS} FROM moderation_flags WHERE id = $1"),
        [id.into()],
    )
    .await?
    .ok_or_else(|| AppError::not_found("flag"))?;
    txn.commit().await?;
    Ok(out)
}
