//! Authorization for every module (`require`), and the roles and assignments behind it.
//!
//! Single-table reads and writes go through the entities; the grants of a user (a recursive
//! walk of the role hierarchy), the role view (with its parent and permissions) and the
//! assignment view (with role and permission names) are explicit SQL read into typed rows.

use chrono::{DateTime, Utc};
use entity::{permissions, role_assignments, role_permissions, roles};
use futures_util::future::BoxFuture;
use kernel::event::DomainEvent;
use kernel::{Actor, AppError, AppResult, ErrorCode, FieldError, RequestMeta, db};
use kernel::{Grant, GrantSet, HeldRole, Scope, ScopeType};
use sea_orm::sea_query::OnConflict;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, DatabaseTransaction,
    EntityTrait, FromQueryResult, QueryFilter, QueryOrder, Set, TransactionTrait,
};
use uuid::Uuid;

use super::dto::{
    AssignmentResponse, CreateAssignmentRequest, CreateRoleRequest, ListAssignmentsQuery,
    PermissionResponse, RoleResponse,
};
use crate::modules::audit::{self, AuditEvent};
use crate::state::AppState;

const GRANTS_SQL: &str = r#"
WITH RECURSIVE active AS (
    SELECT id, role_id, permission_id, scope_type, scope_id, expires_at
    FROM role_assignments
    WHERE user_id = $1 AND (expires_at IS NULL OR expires_at > now())
), chain AS (
    SELECT a.id AS assignment_id, r.id AS role_id, r.name AS via_role, 0 AS depth
    FROM active a JOIN roles r ON r.id = a.role_id
    UNION ALL
    SELECT c.assignment_id, p.id, c.via_role, c.depth + 1
    FROM chain c JOIN roles r ON r.id = c.role_id JOIN roles p ON p.id = r.parent_id
    WHERE c.depth < 32
)
SELECT false AS is_role, p.key AS name, a.scope_type, a.scope_id, a.expires_at, c.via_role AS source
FROM chain c
JOIN active a ON a.id = c.assignment_id
JOIN role_permissions rp ON rp.role_id = c.role_id
JOIN permissions p ON p.id = rp.permission_id
UNION ALL
SELECT false, p.key, a.scope_type, a.scope_id, a.expires_at, 'direct'
FROM active a JOIN permissions p ON p.id = a.permission_id
UNION ALL
SELECT true, r.name, a.scope_type, a.scope_id, a.expires_at, c.via_role
FROM chain c JOIN active a ON a.id = c.assignment_id JOIN roles r ON r.id = c.role_id
"#;

/// One row of [`GRANTS_SQL`]: a permission held (with where it comes from), or a role held.
#[derive(FromQueryResult)]
struct GrantRow {
    is_role: bool,
    name: String,
    scope_type: ScopeType,
    scope_id: Option<Uuid>,
    expires_at: Option<DateTime<Utc>>,
    source: String,
}

fn scope_of(kind: ScopeType, id: Option<Uuid>) -> Scope {
    match (kind, id) {
        (ScopeType::Organization, Some(id)) => Scope::Organization(id),
        (ScopeType::Course, Some(id)) => Scope::Course {
            id,
            organization_id: None,
        },
        _ => Scope::Global,
    }
}

/// Every grant of `user_id` that has not expired, resolved through the role hierarchy (the
/// platform's `load_grants` hook).
pub fn load_grants(db: &DatabaseConnection, user_id: Uuid) -> BoxFuture<'_, AppResult<GrantSet>> {
    Box::pin(grants_of_user(db, user_id))
}

/// Subscriber of `UserRegistered`: every new account is a `student` globally.
pub fn on_user_registered<'a>(
    _state: &'a AppState,
    txn: &'a DatabaseTransaction,
    event: &'a DomainEvent,
) -> BoxFuture<'a, AppResult<()>> {
    Box::pin(async move { assign_role(txn, event.user_id(), "student", Scope::Global, None).await })
}

async fn grants_of_user(db: &impl ConnectionTrait, user_id: Uuid) -> AppResult<GrantSet> {
    let rows: Vec<GrantRow> = db::rows(db, GRANTS_SQL, [user_id.into()]).await?;
    let mut set = GrantSet::default();
    for row in rows {
        let scope = scope_of(row.scope_type, row.scope_id);
        if row.is_role {
            set.roles.push(HeldRole {
                name: row.name,
                scope,
            });
        } else {
            set.grants.push(Grant {
                permission: row.name,
                scope,
                expires_at: row.expires_at,
                source: row.source,
            });
        }
    }
    Ok(set)
}

async fn role_id(db: &impl ConnectionTrait, name: &str) -> AppResult<Option<Uuid>> {
    Ok(roles::Entity::find()
        .filter(roles::Column::Name.eq(name))
        .one(db)
        .await?
        .map(|r| r.id))
}

async fn permission_id(db: &impl ConnectionTrait, key: &str) -> AppResult<Option<Uuid>> {
    Ok(permissions::Entity::find()
        .filter(permissions::Column::Key.eq(key))
        .one(db)
        .await?
        .map(|p| p.id))
}

/// Grants `role` to `user_id` in `scope` (idempotent). For other modules: orgs make the
/// creator `org_admin` of the new organization, identity makes new accounts `student`.
pub async fn assign_role(
    db: &impl ConnectionTrait,
    user_id: Uuid,
    role: &str,
    scope: Scope,
    granted_by: Option<Uuid>,
) -> AppResult<()> {
    let role_id = role_id(db, role)
        .await?
        .ok_or_else(|| AppError::internal(anyhow::anyhow!("system role {role} missing")))?;
    let (scope_type, scope_id) = scope.parts();
    // Idempotent: a grant that exists (`role_assignments_unique`) stays as it is.
    role_assignments::Entity::insert(role_assignments::ActiveModel {
        id: Set(Uuid::now_v7()),
        user_id: Set(user_id),
        role_id: Set(Some(role_id)),
        scope_type: Set(scope_type),
        scope_id: Set(scope_id),
        granted_by: Set(granted_by),
        ..Default::default()
    })
    .on_conflict(OnConflict::new().do_nothing().to_owned())
    .exec_without_returning(db)
    .await?;
    Ok(())
}

/// Ends every grant of `user_id` scoped exactly to `scope` (a member leaving an organization).
pub async fn revoke_scope_grants(
    db: &impl ConnectionTrait,
    user_id: Uuid,
    scope: Scope,
) -> AppResult<u64> {
    let (scope_type, scope_id) = scope.parts();
    let res = role_assignments::Entity::delete_many()
        .filter(role_assignments::Column::UserId.eq(user_id))
        .filter(role_assignments::Column::ScopeType.eq(scope_type))
        .filter(match scope_id {
            Some(id) => role_assignments::Column::ScopeId.eq(id),
            None => role_assignments::Column::ScopeId.is_null(),
        })
        .exec(db)
        .await?;
    Ok(res.rows_affected)
}

pub async fn list_permissions(db: &impl ConnectionTrait) -> AppResult<Vec<PermissionResponse>> {
    Ok(permissions::Entity::find()
        .order_by_asc(permissions::Column::Key)
        .all(db)
        .await?
        .into_iter()
        .map(|p| PermissionResponse {
            key: p.key,
            description: p.description,
        })
        .collect())
}

/// The role view: a role with its parent's name and the permissions it adds.
const ROLES_SQL: &str = "SELECT r.id, r.name, r.description, r.is_system, p.name AS parent, \
     coalesce(array_agg(pm.key ORDER BY pm.key) FILTER (WHERE pm.key IS NOT NULL), '{}') AS permissions \
     FROM roles r LEFT JOIN roles p ON p.id = r.parent_id \
     LEFT JOIN role_permissions rp ON rp.role_id = r.id \
     LEFT JOIN permissions pm ON pm.id = rp.permission_id";

pub async fn list_roles(db: &impl ConnectionTrait) -> AppResult<Vec<RoleResponse>> {
    Ok(db::rows(
        db,
        format!("{ROLES_SQL} GROUP BY r.id, p.name ORDER BY r.name"),
        [],
    )
    .await?)
}

/// Creates a custom role (needs `role:manage` globally).
pub async fn create_role(
    state: &AppState,
    user: &Actor,
    client: &RequestMeta,
    req: CreateRoleRequest,
) -> AppResult<RoleResponse> {
    crate::authz::require(state, user, "role:manage", Scope::Global).await?;
    let mut errors = Vec::new();
    let name_ok = req.name.len() >= 2
        && req.name.len() <= 50
        && req.name.starts_with(|c: char| c.is_ascii_lowercase())
        && req
            .name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
    if !name_ok {
        errors.push(FieldError::new(
            "#/name",
            "2-50 characters: lower-case letters, digits and _, starting with a letter",
        ));
    }
    if !errors.is_empty() {
        return Err(AppError::validation(errors));
    }
    let txn = state.db.begin().await?;
    let parent_id = match &req.parent {
        Some(parent) => Some(role_id(&txn, parent).await?.ok_or_else(|| {
            AppError::validation(vec![FieldError::new("#/parent", "no such role")])
        })?),
        None => None,
    };
    let id = Uuid::now_v7();
    // A taken name is 409 `role_exists` (`roles_name_key`).
    roles::ActiveModel {
        id: Set(id),
        name: Set(req.name.to_string()),
        description: Set(req
            .description
            .as_ref()
            .map(|d| d.to_string())
            .unwrap_or_default()),
        parent_id: Set(parent_id),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    for (i, key) in req.permissions.iter().enumerate() {
        let Some(permission_id) = permission_id(&txn, key).await? else {
            return Err(AppError::validation(vec![FieldError::new(
                format!("#/permissions/{i}"),
                format!("unknown permission `{key}`"),
            )]));
        };
        // A permission listed twice is added once.
        role_permissions::Entity::insert(role_permissions::ActiveModel {
            role_id: Set(id),
            permission_id: Set(permission_id),
        })
        .on_conflict_do_nothing()
        .exec_without_returning(&txn)
        .await?;
    }
    audit::record(
        &txn,
        AuditEvent::new(Some(user.id), "role.create", "role", Some(id.to_string()))
            .details(serde_json::json!({"name": req.name, "parent": req.parent, "permissions": req.permissions})),
        client,
    )
    .await?;
    let role: RoleResponse = db::row(
        &txn,
        format!("{ROLES_SQL} WHERE r.id = $1 GROUP BY r.id, p.name"),
        [id.into()],
    )
    .await?
    .ok_or_else(|| AppError::not_found("role"))?;
    txn.commit().await?;
    Ok(role)
}

/// The assignment view: a grant with the names of its role or permission.
const ASSIGNMENTS_SQL: &str = "SELECT a.id, a.user_id, r.name AS role, p.key AS permission, a.scope_type, \
     a.scope_id, a.expires_at, a.granted_by, a.created_at \
     FROM role_assignments a LEFT JOIN roles r ON r.id = a.role_id \
     LEFT JOIN permissions p ON p.id = a.permission_id";

/// Lists assignments: your own freely; others' with `role:read` in the scope asked about.
pub async fn list_assignments(
    state: &AppState,
    user: &Actor,
    q: ListAssignmentsQuery,
) -> AppResult<Vec<AssignmentResponse>> {
    let scope = match q.scope_type {
        Some(kind) => Some(Scope::from_parts(kind, q.scope_id)?),
        None => None,
    };
    let own = q.user_id == Some(user.id);
    if !own {
        crate::authz::require(state, user, "role:read", scope.unwrap_or(Scope::Global)).await?;
    }
    let (kind, scope_id) = match scope {
        Some(s) => {
            let (k, id) = s.parts();
            (Some(k), id)
        }
        None => (None, None),
    };
    Ok(db::rows(
        &state.db,
        format!(
            "{ASSIGNMENTS_SQL} WHERE ($1::uuid IS NULL OR a.user_id = $1) \
                 AND ($2::text IS NULL OR a.scope_type = $2) \
                 AND ($3::uuid IS NULL OR a.scope_id = $3) \
                 ORDER BY a.created_at, a.id LIMIT 500"
        ),
        [q.user_id.into(), kind.into(), scope_id.into()],
    )
    .await?)
}

/// Grants a role or a permission. Needs `role:assign` in the scope; a role or permission the
/// caller does not hold there, and `super_admin` always, need `role:assign` globally.
pub async fn create_assignment(
    state: &AppState,
    user: &Actor,
    client: &RequestMeta,
    req: CreateAssignmentRequest,
) -> AppResult<AssignmentResponse> {
    let scope = match Scope::from_parts(req.scope_type, req.scope_id)? {
        // A course scope names its organization, so that organization's admins cover it.
        scope @ Scope::Course { .. } => crate::authz::resolve(state, scope)
            .await?
            .ok_or_else(|| AppError::field("#/scope_id", "no such course"))?,
        scope => scope,
    };
    match (&req.role, &req.permission) {
        (Some(_), None) | (None, Some(_)) => {}
        _ => {
            return Err(AppError::validation(vec![FieldError::new(
                "#/role",
                "give exactly one of `role` or `permission`",
            )]));
        }
    }
    if let Some(expires_at) = req.expires_at
        && expires_at <= Utc::now()
    {
        return Err(AppError::validation(vec![FieldError::new(
            "#/expires_at",
            "must be in the future",
        )]));
    }
    crate::authz::require(state, user, "role:assign", scope).await?;
    let key = user.api_key.as_ref().map(|k| k.permissions.as_slice());
    let grants = crate::authz::grants(state, user).await?;
    let global_assigner = grants.allows("role:assign", &Scope::Global, key);
    let escalates = match (&req.role, &req.permission) {
        (Some(role), _) => role == "super_admin" || !grants.holds_role(role, &scope),
        (_, Some(permission)) => !grants.allows(permission, &scope, key),
        _ => true,
    };
    if escalates && !global_assigner {
        return Err(AppError::new(
            ErrorCode::EscalationRefused,
            "you cannot grant a role or permission you do not hold yourself",
        ));
    }

    let txn = state.db.begin().await?;
    crate::modules::identity::require_live_user(&txn, req.user_id, "#/user_id").await?;
    let (role_id, permission_id) = match (&req.role, &req.permission) {
        (Some(role), _) => (
            Some(role_id(&txn, role).await?.ok_or_else(|| {
                AppError::validation(vec![FieldError::new("#/role", "no such role")])
            })?),
            None,
        ),
        (_, Some(key)) => (
            None,
            Some(permission_id(&txn, key).await?.ok_or_else(|| {
                AppError::validation(vec![FieldError::new("#/permission", "no such permission")])
            })?),
        ),
        _ => (None, None),
    };
    let id = Uuid::now_v7();
    let (kind, scope_id) = scope.parts();
    // The same grant twice is 409 `assignment_exists` (`role_assignments_unique`).
    role_assignments::ActiveModel {
        id: Set(id),
        user_id: Set(req.user_id),
        role_id: Set(role_id),
        permission_id: Set(permission_id),
        scope_type: Set(kind),
        scope_id: Set(scope_id),
        expires_at: Set(req.expires_at),
        granted_by: Set(Some(user.id)),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    audit::record(
        &txn,
        AuditEvent::new(
            Some(user.id),
            "rbac.assign",
            "role_assignment",
            Some(id.to_string()),
        )
        .details(serde_json::json!({
            "user_id": req.user_id, "role": req.role, "permission": req.permission,
            "scope_type": kind.as_str(), "scope_id": scope_id,
            "expires_at": req.expires_at.map(|e| e.to_rfc3339()),
        })),
        client,
    )
    .await?;
    let out: AssignmentResponse = db::row(
        &txn,
        format!("{ASSIGNMENTS_SQL} WHERE a.id = $1"),
        [id.into()],
    )
    .await?
    .ok_or_else(|| AppError::not_found("assignment"))?;
    txn.commit().await?;
    Ok(out)
}

/// Revokes an assignment (needs `role:assign` in its scope).
pub async fn delete_assignment(
    state: &AppState,
    user: &Actor,
    client: &RequestMeta,
    id: Uuid,
) -> AppResult<()> {
    let txn = state.db.begin().await?;
    let a: AssignmentResponse = db::row(
        &txn,
        format!("{ASSIGNMENTS_SQL} WHERE a.id = $1 FOR UPDATE OF a"),
        [id.into()],
    )
    .await?
    .ok_or_else(|| AppError::not_found("assignment"))?;
    let scope = match Scope::from_parts(a.scope_type, a.scope_id)? {
        scope @ Scope::Course { .. } => crate::authz::resolve(state, scope).await?.unwrap_or(scope),
        scope => scope,
    };
    if !crate::authz::allowed(state, user, "role:assign", scope).await? {
        // Those who may not manage grants here are not told whether this one exists.
        return Err(
            if crate::authz::allowed(state, user, "role:read", scope).await? {
                AppError::forbidden("you lack the permission `role:assign` here")
            } else {
                AppError::not_found("assignment")
            },
        );
    }
    role_assignments::Entity::delete_by_id(id)
        .exec(&txn)
        .await?;
    audit::record(
        &txn,
        AuditEvent::new(
            Some(user.id),
            "rbac.revoke",
            "role_assignment",
            Some(id.to_string()),
        )
        .details(
            serde_json::json!({"user_id": a.user_id, "role": a.role, "permission": a.permission}),
        ),
        client,
    )
    .await?;
    txn.commit().await?;
    Ok(())
}
