//! Organizations and their members.

use kernel::text::Line;
use sea_orm::{ConnectionTrait, TransactionTrait};
use uuid::Uuid;

use super::dto::{
    AddMemberRequest, CreateOrganizationRequest, ListOrganizationsQuery, MemberResponse,
    OrganizationResponse, UpdateOrganizationRequest,
};
use crate::db;
use crate::modules::audit::{self, AuditEvent};
use crate::modules::rbac::{self, Scope};
use crate::state::AppState;
use kernel::pagination::{Page, Paging};
use kernel::{Actor, RequestMeta};
use kernel::{AppError, AppResult, ErrorCode, FieldError};

const COLUMNS: &str = "o.id, o.name, o.slug, o.kind, o.description, o.website, o.owner_id, o.created_at, o.updated_at, \
     (SELECT count(*) FROM organization_members m WHERE m.organization_id = o.id) AS member_count";

fn from_row(r: &sea_orm::QueryResult) -> AppResult<OrganizationResponse> {
    Ok(OrganizationResponse {
        id: r.try_get("", "id")?,
        name: r.try_get("", "name")?,
        slug: r.try_get("", "slug")?,
        kind: r.try_get("", "kind")?,
        description: r.try_get("", "description")?,
        website: r.try_get("", "website")?,
        owner_id: r.try_get("", "owner_id")?,
        member_count: r.try_get("", "member_count")?,
        created_at: r.try_get("", "created_at")?,
        updated_at: r.try_get("", "updated_at")?,
    })
}

/// A live organization.
pub async fn find(db: &impl ConnectionTrait, id: Uuid) -> AppResult<OrganizationResponse> {
    let row = db::one(
        db,
        format!("SELECT {COLUMNS} FROM organizations o WHERE o.id = $1 AND o.deleted_at IS NULL"),
        [id.into()],
    )
    .await?
    .ok_or_else(|| AppError::not_found("organization"))?;
    from_row(&row)
}

/// Whether `user_id` belongs to organization `org_id`.
pub async fn is_member(db: &impl ConnectionTrait, org_id: Uuid, user_id: Uuid) -> AppResult<bool> {
    Ok(db::one(
        db,
        "SELECT 1 AS one FROM organization_members WHERE organization_id = $1 AND user_id = $2",
        [org_id.into(), user_id.into()],
    )
    .await?
    .is_some())
}

pub fn slugify(name: &str) -> String {
    let mut out = String::new();
    for c in name.chars().flat_map(char::to_lowercase) {
        if c.is_ascii_alphanumeric() {
            out.push(c);
        } else if !out.ends_with('-') && !out.is_empty() {
            out.push('-');
        }
    }
    out.trim_end_matches('-')
        .chars()
        .take(60)
        .collect::<String>()
        .trim_end_matches('-')
        .to_owned()
}

/// What a valid slug looks like, for field errors.
pub const SLUG_RULE: &str = "lower-case letters and digits in words joined by `-`, at most 60";

/// 409 `slug_taken`, pointing at `#/slug`.
pub fn slug_taken(slug: &str) -> AppError {
    AppError::new(ErrorCode::SlugTaken, format!("the slug `{slug}` is taken"))
        .with_errors(vec![FieldError::new("#/slug", "taken")])
}

/// The scope in which the caller creates something for `org` (a course, a learning path):
/// the organization must exist (422 at `#/organization_id`) and the caller be a member or
/// manage it (403 `not_a_member`): only they publish under its name. `None` is global.
pub async fn publishing_scope(
    state: &AppState,
    user: &Actor,
    org: Option<Uuid>,
) -> AppResult<Scope> {
    let Some(org) = org else {
        return Ok(Scope::Global);
    };
    find(&state.db, org).await.map_err(|_| {
        AppError::validation(vec![FieldError::new(
            "#/organization_id",
            "no such organization",
        )])
    })?;
    if !is_member(&state.db, org, user.id).await?
        && !crate::authz::allowed(state, user, "org:manage", Scope::Organization(org)).await?
    {
        return Err(AppError::new(
            ErrorCode::NotAMember,
            "only members of the organization create things in its name",
        ));
    }
    Ok(Scope::Organization(org))
}

pub fn valid_slug(slug: &str) -> bool {
    !slug.is_empty()
        && slug.len() <= 60
        && slug.split('-').all(|p| {
            !p.is_empty()
                && p.chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
        })
}

fn check_fields(
    name: Option<&str>,
    kind: Option<&str>,
    website: Option<&str>,
    errors: &mut Vec<FieldError>,
) {
    if let Some(name) = name
        && (name.trim().is_empty() || name.chars().count() > 200)
    {
        errors.push(FieldError::new("#/name", "must be 1 to 200 characters"));
    }
    if let Some(kind) = kind
        && !matches!(kind, "school" | "company" | "other")
    {
        errors.push(FieldError::new("#/kind", "one of school, company, other"));
    }
    if let Some(site) = website
        && !crate::http::validate::is_http_url(site)
    {
        errors.push(FieldError::new("#/website", "must be an http(s) URL"));
    }
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
            .map(|s| {
                format!(
                    "%{}%",
                    s.replace('\\', "\\\\")
                        .replace('%', "\\%")
                        .replace('_', "\\_")
                )
            });
    let filter = "o.deleted_at IS NULL AND ($1::text IS NULL OR o.name ILIKE $1) AND ($2::text IS NULL OR o.kind = $2)";
    let total: i64 = db::one(
        db,
        format!("SELECT count(*) AS n FROM organizations o WHERE {filter}"),
        [pattern.clone().into(), q.kind.clone().into()],
    )
    .await?
    .map(|r| r.try_get("", "n"))
    .transpose()?
    .unwrap_or(0);
    let rows = db::all(db, format!("SELECT {COLUMNS} FROM organizations o WHERE {filter} ORDER BY o.name, o.id LIMIT $3 OFFSET $4"),
            [
                pattern.into(),
                q.kind.into(),
                (paging.per_page as i64).into(),
                (paging.offset() as i64).into(),
            ],)
        .await?;
    let items = rows.iter().map(from_row).collect::<AppResult<Vec<_>>>()?;
    Ok(paging.wrap(items, total as u64))
}

pub async fn create(
    state: &AppState,
    user: &Actor,
    client: &RequestMeta,
    req: CreateOrganizationRequest,
) -> AppResult<OrganizationResponse> {
    crate::authz::require(state, user, "org:create", Scope::Global).await?;
    let mut errors = Vec::new();
    check_fields(
        Some(&req.name),
        req.kind.as_deref(),
        req.website.as_deref(),
        &mut errors,
    );
    let slug = req
        .slug
        .clone()
        .map(Line::into_string)
        .unwrap_or_else(|| slugify(&req.name));
    if !valid_slug(&slug) {
        errors.push(FieldError::new("#/slug", SLUG_RULE));
    }
    if !errors.is_empty() {
        return Err(AppError::validation(errors));
    }
    let id = Uuid::now_v7();
    let txn = state.db.begin().await?;
    let inserted = db::exec(
        &txn,
        "INSERT INTO organizations (id, name, slug, kind, description, website, owner_id) \
             VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (slug) DO NOTHING",
        [
            id.into(),
            req.name.trim().to_owned().into(),
            slug.clone().into(),
            req.kind.as_deref().unwrap_or("school").into(),
            req.description.clone().unwrap_or_default().into(),
            req.website.clone().into(),
            user.id.into(),
        ],
    )
    .await?;
    if inserted.rows_affected() == 0 {
        return Err(slug_taken(&slug));
    }
    db::exec(&txn, "INSERT INTO organization_members (id, organization_id, user_id, title) VALUES ($1, $2, $3, 'Owner')",
        [Uuid::now_v7().into(), id.into(), user.id.into()],)
    .await?;
    rbac::assign_role(
        &txn,
        user.id,
        "org_admin",
        Scope::Organization(id),
        Some(user.id),
    )
    .await?;
    audit::record(
        &txn,
        AuditEvent::new(
            Some(user.id),
            "org.create",
            "organization",
            Some(id.to_string()),
        )
        .details(serde_json::json!({"name": req.name, "slug": slug})),
        client,
    )
    .await?;
    let org = find(&txn, id).await?;
    txn.commit().await?;
    Ok(org)
}

pub async fn update(
    state: &AppState,
    user: &Actor,
    client: &RequestMeta,
    id: Uuid,
    req: UpdateOrganizationRequest,
) -> AppResult<OrganizationResponse> {
    find(&state.db, id).await?;
    crate::authz::require(state, user, "org:manage", Scope::Organization(id)).await?;
    let mut errors = Vec::new();
    check_fields(
        req.name.as_deref(),
        req.kind.as_deref(),
        req.website.clone().flatten().as_deref(),
        &mut errors,
    );
    if !errors.is_empty() {
        return Err(AppError::validation(errors));
    }
    let txn = state.db.begin().await?;
    db::exec(
        &txn,
        "UPDATE organizations SET name = coalesce($2, name), kind = coalesce($3, kind), \
         description = coalesce($4, description), website = CASE WHEN $5 THEN $6 ELSE website END, \
         updated_at = now() WHERE id = $1",
        [
            id.into(),
            req.name.as_ref().map(|n| n.trim().to_owned()).into(),
            req.kind.clone().into(),
            req.description.clone().into(),
            req.website.is_some().into(),
            req.website.clone().flatten().into(),
        ],
    )
    .await?;
    audit::record(
        &txn,
        AuditEvent::new(
            Some(user.id),
            "org.update",
            "organization",
            Some(id.to_string()),
        ),
        client,
    )
    .await?;
    let org = find(&txn, id).await?;
    txn.commit().await?;
    Ok(org)
}

pub async fn members(state: &AppState, user: &Actor, id: Uuid) -> AppResult<Vec<MemberResponse>> {
    let org = find(&state.db, id).await?;
    if !is_member(&state.db, id, user.id).await?
        && !crate::authz::allowed(state, user, "org:read", Scope::Organization(id)).await?
    {
        return Err(AppError::forbidden("only members see the member list"));
    }
    let rows = db::all(&state.db, "SELECT m.user_id, u.display_name, u.email, m.title, m.created_at FROM organization_members m \
             JOIN users u ON u.id = m.user_id WHERE m.organization_id = $1 AND u.deleted_at IS NULL \
             ORDER BY m.created_at, m.id",
            [id.into()],)
        .await?;
    rows.iter()
        .map(|r| {
            let user_id: Uuid = r.try_get("", "user_id")?;
            Ok(MemberResponse {
                user_id,
                display_name: r.try_get("", "display_name")?,
                email: r.try_get("", "email")?,
                title: r.try_get("", "title")?,
                is_owner: user_id == org.owner_id,
                joined_at: r.try_get("", "created_at")?,
            })
        })
        .collect()
}

pub async fn add_member(
    state: &AppState,
    user: &Actor,
    client: &RequestMeta,
    id: Uuid,
    req: AddMemberRequest,
) -> AppResult<Vec<MemberResponse>> {
    find(&state.db, id).await?;
    crate::authz::require(state, user, "org:manage", Scope::Organization(id)).await?;
    if req.title.chars().count() > 100 {
        return Err(AppError::validation(vec![FieldError::new(
            "#/title",
            "at most 100 characters",
        )]));
    }
    let txn = state.db.begin().await?;
    crate::modules::identity::service::require_live_user(&txn, req.user_id, "#/user_id").await?;
    let inserted = db::exec(&txn, "INSERT INTO organization_members (id, organization_id, user_id, title) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (organization_id, user_id) DO NOTHING",
            [Uuid::now_v7().into(), id.into(), req.user_id.into(), req.title.trim().to_owned().into()],)
        .await?;
    if inserted.rows_affected() == 0 {
        return Err(AppError::new(
            ErrorCode::AlreadyMember,
            "this user is already a member",
        ));
    }
    audit::record(
        &txn,
        AuditEvent::new(
            Some(user.id),
            "org.member_add",
            "organization",
            Some(id.to_string()),
        )
        .details(serde_json::json!({"user_id": req.user_id, "title": req.title})),
        client,
    )
    .await?;
    txn.commit().await?;
    members(state, user, id).await
}

pub async fn remove_member(
    state: &AppState,
    user: &Actor,
    client: &RequestMeta,
    id: Uuid,
    member_id: Uuid,
) -> AppResult<()> {
    let org = find(&state.db, id).await?;
    crate::authz::require(state, user, "org:manage", Scope::Organization(id)).await?;
    if member_id == org.owner_id {
        return Err(AppError::new(
            ErrorCode::CannotRemoveOwner,
            "the owner cannot be removed",
        ));
    }
    let txn = state.db.begin().await?;
    let removed = db::exec(
        &txn,
        "DELETE FROM organization_members WHERE organization_id = $1 AND user_id = $2",
        [id.into(), member_id.into()],
    )
    .await?;
    if removed.rows_affected() == 0 {
        return Err(AppError::not_found("member"));
    }
    let grants =
        rbac::service::revoke_scope_grants(&txn, member_id, Scope::Organization(id)).await?;
    audit::record(
        &txn,
        AuditEvent::new(
            Some(user.id),
            "org.member_remove",
            "organization",
            Some(id.to_string()),
        )
        .details(serde_json::json!({"user_id": member_id, "grants_revoked": grants})),
        client,
    )
    .await?;
    txn.commit().await?;
    Ok(())
}
