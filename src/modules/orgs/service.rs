//! Organizations and their members: the rules behind the routes, on `Actor`/`RequestMeta`.
//!
//! Shape (the one every module copies): a public `x(state, ..)` opens the transaction, calls
//! `x_in(state, txn, ..)` and commits; `x_in` does the work, so other modules and seeds compose
//! it into their own transaction with its audit record. Single-table reads and writes go
//! through the entities; the organization view (with its member count) and the member list
//! (a join with users) are explicit SQL read into typed rows.

use entity::{organization_members, organizations};
use kernel::enums::{Choice, OrganizationKind};
use kernel::pagination::{Page, Paging};
use kernel::slug::{SLUG_RULE, derive_slug, valid_slug};
use kernel::{Actor, AppError, AppResult, ErrorCode, FieldError, RequestMeta, Scope, db};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseTransaction, EntityTrait,
    FromQueryResult, PaginatorTrait, QueryFilter, Set, TransactionTrait,
};
use uuid::Uuid;

use super::dto::{
    AddMemberRequest, CreateOrganizationRequest, ListOrganizationsQuery, MemberResponse,
    OrganizationResponse, UpdateOrganizationRequest,
};
use crate::modules::audit::{self, AuditEvent};
use crate::modules::{identity, rbac};
use crate::state::AppState;

/// The view of an organization: its row and how many members it has.
const VIEW: &str = "SELECT o.id, o.name, o.slug, o.kind, o.description, o.website, o.owner_id, \
     o.created_at, o.updated_at, \
     (SELECT count(*) FROM organization_members m WHERE m.organization_id = o.id) AS member_count \
     FROM organizations o";

/// A live organization.
pub async fn find(db: &impl ConnectionTrait, id: Uuid) -> AppResult<OrganizationResponse> {
    db::row(
        db,
        format!("{VIEW} WHERE o.id = $1 AND o.deleted_at IS NULL"),
        [id.into()],
    )
    .await?
    .ok_or_else(|| AppError::not_found("organization"))
}

/// Whether `user_id` belongs to organization `org_id`.
pub async fn is_member(db: &impl ConnectionTrait, org_id: Uuid, user_id: Uuid) -> AppResult<bool> {
    Ok(organization_members::Entity::find()
        .filter(organization_members::Column::OrganizationId.eq(org_id))
        .filter(organization_members::Column::UserId.eq(user_id))
        .count(db)
        .await?
        > 0)
}

/// The scope in which the caller creates something for `org` (a course, a learning path):
/// the organization must exist (422 at `#/organization_id`) and the caller be a member or
/// manage it (403 `not_a_member`): only they publish under its name. `None` is global.
pub async fn publishing_scope(
    state: &AppState,
    actor: &Actor,
    org: Option<Uuid>,
) -> AppResult<Scope> {
    let Some(org) = org else {
        return Ok(Scope::Global);
    };
    find(&state.db, org)
        .await
        .map_err(|_| AppError::field("#/organization_id", "no such organization"))?;
    if !is_member(&state.db, org, actor.id).await?
        && !crate::authz::allowed(state, actor, "org:manage", Scope::Organization(org)).await?
    {
        return Err(AppError::new(
            ErrorCode::NotAMember,
            "only members of the organization create things in its name",
        ));
    }
    Ok(Scope::Organization(org))
}

fn check_fields(
    name: Option<&str>,
    kind: Option<&Choice<OrganizationKind>>,
    website: Option<&str>,
    errors: &mut Vec<FieldError>,
) -> Option<OrganizationKind> {
    let kind = kind.and_then(|k| k.check("#/kind", errors));
    if let Some(name) = name {
        kernel::text::check_name("#/name", name, 200, errors);
    }
    if let Some(site) = website
        && !kernel::text::is_http_url(site)
    {
        errors.push(FieldError::new("#/website", "must be an http(s) URL"));
    }
    kind
}

/// `%text%` for `ILIKE`, with the pattern characters of `text` escaped.
fn contains_pattern(text: &str) -> String {
    let escaped = text
        .replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_");
    format!("%{escaped}%")
}

pub async fn list(
    db: &impl ConnectionTrait,
    q: ListOrganizationsQuery,
) -> AppResult<Page<OrganizationResponse>> {
    let paging = Paging::new(q.page, q.per_page)?;
    let pattern =
        q.q.as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(contains_pattern);
    let filter = "o.deleted_at IS NULL AND ($1::text IS NULL OR o.name ILIKE $1) \
                  AND ($2::text IS NULL OR o.kind = $2)";
    let kind = q.kind.map(|k| k.as_str());
    let total: i64 = db::scalar(
        db,
        format!("SELECT count(*) FROM organizations o WHERE {filter}"),
        [pattern.clone().into(), kind.into()],
    )
    .await?
    .unwrap_or(0);
    let items = db::rows(
        db,
        format!("{VIEW} WHERE {filter} ORDER BY o.name, o.id LIMIT $3 OFFSET $4"),
        [
            pattern.into(),
            kind.into(),
            paging.limit_i64().into(),
            paging.offset_i64().into(),
        ],
    )
    .await?;
    Ok(paging.wrap(items, total as u64))
}

pub async fn create(
    state: &AppState,
    actor: &Actor,
    meta: &RequestMeta,
    req: CreateOrganizationRequest,
) -> AppResult<OrganizationResponse> {
    crate::authz::require(state, actor, "org:create", Scope::Global).await?;
    let txn = state.db.begin().await?;
    let org = create_in(&txn, actor, meta, Uuid::now_v7(), req).await?;
    txn.commit().await?;
    Ok(org)
}

/// Creates organization `id` owned by the actor (a member titled "Owner", and `org_admin` in
/// its scope), audited.
pub async fn create_in(
    txn: &DatabaseTransaction,
    actor: &Actor,
    meta: &RequestMeta,
    id: Uuid,
    req: CreateOrganizationRequest,
) -> AppResult<OrganizationResponse> {
    let mut errors = Vec::new();
    let kind = check_fields(
        Some(&req.name),
        req.kind.as_ref(),
        req.website.as_deref(),
        &mut errors,
    );
    let slug = match &req.slug {
        Some(slug) => slug.to_string(),
        None => derive_slug(&req.name),
    };
    if !valid_slug(&slug) {
        errors.push(FieldError::new("#/slug", SLUG_RULE));
    }
    if !errors.is_empty() {
        return Err(AppError::validation(errors));
    }
    organizations::ActiveModel {
        id: Set(id),
        name: Set(req.name.trim().to_owned()),
        slug: Set(slug.clone()),
        kind: Set(kind.unwrap_or(OrganizationKind::School)),
        description: Set(req.description.map(String::from).unwrap_or_default()),
        website: Set(req.website.map(String::from)),
        owner_id: Set(actor.id),
        ..Default::default()
    }
    .insert(txn)
    .await?;
    organization_members::ActiveModel {
        id: Set(Uuid::now_v7()),
        organization_id: Set(id),
        user_id: Set(actor.id),
        title: Set("Owner".into()),
        ..Default::default()
    }
    .insert(txn)
    .await?;
    rbac::assign_role(
        txn,
        actor.id,
        "org_admin",
        Scope::Organization(id),
        Some(actor.id),
    )
    .await?;
    audit::record(
        txn,
        AuditEvent::new(
            Some(actor.id),
            "org.create",
            "organization",
            Some(id.to_string()),
        )
        .details(serde_json::json!({"name": req.name, "slug": slug})),
        meta,
    )
    .await?;
    find(txn, id).await
}

pub async fn update(
    state: &AppState,
    actor: &Actor,
    meta: &RequestMeta,
    id: Uuid,
    req: UpdateOrganizationRequest,
) -> AppResult<OrganizationResponse> {
    find(&state.db, id).await?;
    crate::authz::require(state, actor, "org:manage", Scope::Organization(id)).await?;
    let mut errors = Vec::new();
    let kind = check_fields(
        req.name.as_deref(),
        req.kind.as_ref(),
        req.website.clone().flatten().as_deref(),
        &mut errors,
    );
    if !errors.is_empty() {
        return Err(AppError::validation(errors));
    }
    let txn = state.db.begin().await?;
    let mut org = organizations::ActiveModel {
        id: Set(id),
        updated_at: Set(chrono::Utc::now()),
        ..Default::default()
    };
    if let Some(name) = &req.name {
        org.name = Set(name.trim().to_owned());
    }
    if let Some(kind) = kind {
        org.kind = Set(kind);
    }
    if let Some(description) = &req.description {
        org.description = Set(description.to_string());
    }
    if let Some(website) = &req.website {
        org.website = Set(website.as_ref().map(|w| w.to_string()));
    }
    org.update(&txn).await?;
    audit::record(
        &txn,
        AuditEvent::new(
            Some(actor.id),
            "org.update",
            "organization",
            Some(id.to_string()),
        ),
        meta,
    )
    .await?;
    let org = find(&txn, id).await?;
    txn.commit().await?;
    Ok(org)
}

/// A member as listed: the membership joined with the account.
#[derive(FromQueryResult)]
struct MemberRow {
    user_id: Uuid,
    display_name: String,
    email: String,
    title: String,
    created_at: chrono::DateTime<chrono::Utc>,
}

pub async fn members(state: &AppState, actor: &Actor, id: Uuid) -> AppResult<Vec<MemberResponse>> {
    let org = find(&state.db, id).await?;
    if !is_member(&state.db, id, actor.id).await?
        && !crate::authz::allowed(state, actor, "org:read", Scope::Organization(id)).await?
    {
        return Err(AppError::forbidden("only members see the member list"));
    }
    let rows: Vec<MemberRow> = db::rows(
        &state.db,
        "SELECT m.user_id, u.display_name, u.email, m.title, m.created_at \
         FROM organization_members m JOIN users u ON u.id = m.user_id \
         WHERE m.organization_id = $1 AND u.deleted_at IS NULL ORDER BY m.created_at, m.id",
        [id.into()],
    )
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| MemberResponse {
            is_owner: r.user_id == org.owner_id,
            user_id: r.user_id,
            display_name: r.display_name,
            email: r.email,
            title: r.title,
            joined_at: r.created_at,
        })
        .collect())
}

pub async fn add_member(
    state: &AppState,
    actor: &Actor,
    meta: &RequestMeta,
    id: Uuid,
    req: AddMemberRequest,
) -> AppResult<Vec<MemberResponse>> {
    find(&state.db, id).await?;
    crate::authz::require(state, actor, "org:manage", Scope::Organization(id)).await?;
    let txn = state.db.begin().await?;
    let user_id = req.user_id;
    add_member_in(&txn, actor, meta, id, req).await?;
    crate::events::publish(
        state,
        &txn,
        kernel::event::DomainEvent::OrganizationJoined {
            user_id,
            organization_id: id,
        },
    )
    .await?;
    txn.commit().await?;
    members(state, actor, id).await
}

/// Adds a live user to organization `id` (409 `already_member`), audited.
pub async fn add_member_in(
    txn: &DatabaseTransaction,
    actor: &Actor,
    meta: &RequestMeta,
    id: Uuid,
    req: AddMemberRequest,
) -> AppResult<()> {
    identity::require_live_user(txn, req.user_id, "#/user_id").await?;
    organization_members::ActiveModel {
        id: Set(Uuid::now_v7()),
        organization_id: Set(id),
        user_id: Set(req.user_id),
        title: Set(req.title.trim().to_owned()),
        ..Default::default()
    }
    .insert(txn)
    .await?;
    audit::record(
        txn,
        AuditEvent::new(
            Some(actor.id),
            "org.member_add",
            "organization",
            Some(id.to_string()),
        )
        .details(serde_json::json!({"user_id": req.user_id, "title": req.title})),
        meta,
    )
    .await?;
    Ok(())
}

pub async fn remove_member(
    state: &AppState,
    actor: &Actor,
    meta: &RequestMeta,
    id: Uuid,
    member_id: Uuid,
) -> AppResult<()> {
    let org = find(&state.db, id).await?;
    crate::authz::require(state, actor, "org:manage", Scope::Organization(id)).await?;
    if member_id == org.owner_id {
        return Err(AppError::new(
            ErrorCode::CannotRemoveOwner,
            "the owner cannot be removed",
        ));
    }
    let txn = state.db.begin().await?;
    let removed = organization_members::Entity::delete_many()
        .filter(organization_members::Column::OrganizationId.eq(id))
        .filter(organization_members::Column::UserId.eq(member_id))
        .exec(&txn)
        .await?;
    if removed.rows_affected == 0 {
        return Err(AppError::not_found("member"));
    }
    let grants = rbac::revoke_scope_grants(&txn, member_id, Scope::Organization(id)).await?;
    crate::events::publish(
        state,
        &txn,
        kernel::event::DomainEvent::OrganizationLeft {
            user_id: member_id,
            organization_id: id,
        },
    )
    .await?;
    audit::record(
        &txn,
        AuditEvent::new(
            Some(actor.id),
            "org.member_remove",
            "organization",
            Some(id.to_string()),
        )
        .details(serde_json::json!({"user_id": member_id, "grants_revoked": grants})),
        meta,
    )
    .await?;
    txn.commit().await?;
    Ok(())
}
