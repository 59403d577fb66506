//! Authorization for every module (`require`), and the roles and assignments behind it.

use chrono::Utc;
use futures_util::future::BoxFuture;
use kernel::event::DomainEvent;
use sea_orm::{ConnectionTrait, DatabaseConnection, DatabaseTransaction, TransactionTrait};
use uuid::Uuid;

use super::dto::{
    AssignmentResponse, CreateAssignmentRequest, CreateRoleRequest, ListAssignmentsQuery,
    PermissionResponse, RoleResponse,
};
use crate::db;
use crate::modules::audit::{self, AuditEvent};
use crate::state::AppState;
use kernel::{Actor, RequestMeta};
use kernel::{AppError, AppResult, ErrorCode, FieldError};
use kernel::{Grant, GrantSet, HeldRole, Scope, ScopeType};

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
SELECT 'permission' AS kind, p.key AS name, a.scope_type, a.scope_id, a.expires_at, c.via_role AS source
FROM chain c
JOIN active a ON a.id = c.assignment_id
JOIN role_permissions rp ON rp.role_id = c.role_id
JOIN permissions p ON p.id = rp.permission_id
UNION ALL
SELECT 'permission', p.key, a.scope_type, a.scope_id, a.expires_at, 'direct'
FROM active a JOIN permissions p ON p.id = a.permission_id
UNION ALL
SELECT 'role', r.name, a.scope_type, a.scope_id, a.expires_at, c.via_role
FROM chain c JOIN active a ON a.id = c.assignment_id JOIN roles r ON r.id = c.role_id
"#;

fn scope_of(kind: &str, id: Option<Uuid>) -> Scope {
    match (ScopeType::parse(kind), id) {
        (Some(ScopeType::Organization), Some(id)) => Scope::Organization(id),
        (Some(ScopeType::Course), Some(id)) => Scope::Course {
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
    let rows = db::all(db, GRANTS_SQL, [user_id.into()]).await?;
    let mut set = GrantSet::default();
    for row in rows {
        let kind: String = row.try_get("", "kind")?;
        let name: String = row.try_get("", "name")?;
        let scope_type: String = row.try_get("", "scope_type")?;
        let scope = scope_of(&scope_type, row.try_get("", "scope_id")?);
        if kind == "role" {
            set.roles.push(HeldRole { name, scope });
        } else {
            set.grants.push(Grant {
                permission: name,
                scope,
                expires_at: row.try_get("", "expires_at")?,
                source: row.try_get("", "source")?,
            });
        }
    }
    Ok(set)
}

async fn role_id(db: &impl ConnectionTrait, name: &str) -> AppResult<Option<Uuid>> {
    let row = db::one(db, "SELECT id FROM roles WHERE name = $1", [name.into()]).await?;
    Ok(row.map(|r| r.try_get("", "id")).transpose()?)
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
    let (kind, scope_id) = scope.parts();
    db::exec(
        db,
        "INSERT INTO role_assignments (id, user_id, role_id, scope_type, scope_id, granted_by) \
         VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING",
        [
            Uuid::now_v7().into(),
            user_id.into(),
            role_id.into(),
            kind.as_str().into(),
            scope_id.into(),
            granted_by.into(),
        ],
    )
    .await?;
    Ok(())
}

/// Ends every grant of `user_id` scoped exactly to `scope` (a member leaving an organization).
pub async fn revoke_scope_grants(
    db: &impl ConnectionTrait,
    user_id: Uuid,
    scope: Scope,
) -> AppResult<u64> {
    let (kind, scope_id) = scope.parts();
    let res = db::exec(db, "DELETE FROM role_assignments WHERE user_id = $1 AND scope_type = $2 AND scope_id IS NOT DISTINCT FROM $3",
            [user_id.into(), kind.as_str().into(), scope_id.into()],)
        .await?;
    Ok(res.rows_affected())
}

pub async fn list_permissions(db: &impl ConnectionTrait) -> AppResult<Vec<PermissionResponse>> {
    let rows = db::all(
        db,
        "SELECT key, description FROM permissions ORDER BY key",
        [],
    )
    .await?;
    rows.into_iter()
        .map(|r| {
            Ok(PermissionResponse {
                key: r.try_get("", "key")?,
                description: r.try_get("", "description")?,
            })
        })
        .collect()
}

const ROLES_SQL: &str = "SELECT r.id, r.name, r.description, r.is_system, p.name AS parent, \
     coalesce(array_agg(pm.key ORDER BY pm.key) FILTER (WHERE pm.key IS NOT NULL), '{}') AS permissions \
     FROM roles r LEFT JOIN roles p ON p.id = r.parent_id \
     LEFT JOIN role_permissions rp ON rp.role_id = r.id \
     LEFT JOIN permissions pm ON pm.id = rp.permission_id";

fn role_from_row(r: &sea_orm::QueryResult) -> AppResult<RoleResponse> {
    Ok(RoleResponse {
        id: r.try_get("", "id")?,
        name: r.try_get("", "name")?,
        description: r.try_get("", "description")?,
        parent: r.try_get("", "parent")?,
        is_system: r.try_get("", "is_system")?,
        permissions: r.try_get("", "permissions")?,
    })
}

pub async fn list_roles(db: &impl ConnectionTrait) -> AppResult<Vec<RoleResponse>> {
    let rows = db::all(
        db,
        format!("{ROLES_SQL} GROUP BY r.id, p.name ORDER BY r.name"),
        [],
    )
    .await?;
    rows.iter().map(role_from_row).collect()
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
    let inserted = db::exec(
        &txn,
        "INSERT INTO roles (id, name, description, parent_id) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (name) DO NOTHING",
        [
            id.into(),
            req.name.clone().into(),
            req.description.clone().unwrap_or_default().into(),
            parent_id.into(),
        ],
    )
    .await?;
    if inserted.rows_affected() == 0 {
        return Err(AppError::new(
            ErrorCode::RoleExists,
            format!("a role named {} exists", req.name),
        ));
    }
    for (i, key) in req.permissions.iter().enumerate() {
        let added = db::exec(
            &txn,
            "INSERT INTO role_permissions (role_id, permission_id) \
                 SELECT $1, id FROM permissions WHERE key = $2 ON CONFLICT DO NOTHING",
            [id.into(), key.clone().into()],
        )
        .await?;
        if added.rows_affected() == 0 && !req.permissions[..i].contains(key) {
            return Err(AppError::validation(vec![FieldError::new(
                format!("#/permissions/{i}"),
                format!("unknown permission `{key}`"),
            )]));
        }
    }
    audit::record(
        &txn,
        AuditEvent::new(Some(user.id), "role.create", "role", Some(id.to_string()))
            .details(serde_json::json!({"name": req.name, "parent": req.parent, "permissions": req.permissions})),
        client,
    )
    .await?;
    let row = db::one(
        &txn,
        format!("{ROLES_SQL} WHERE r.id = $1 GROUP BY r.id, p.name"),
        [id.into()],
    )
    .await?
    .ok_or_else(|| AppError::not_found("role"))?;
    let role = role_from_row(&row)?;
    txn.commit().await?;
    Ok(role)
}

const ASSIGNMENTS_SQL: &str = "SELECT a.id, a.user_id, r.name AS role, p.key AS permission, a.scope_type, \
     a.scope_id, a.expires_at, a.granted_by, a.created_at \
     FROM role_assignments a LEFT JOIN roles r ON r.id = a.role_id \
     LEFT JOIN permissions p ON p.id = a.permission_id";

fn assignment_from_row(r: &sea_orm::QueryResult) -> AppResult<AssignmentResponse> {
    let scope_type: String = r.try_get("", "scope_type")?;
    Ok(AssignmentResponse {
        id: r.try_get("", "id")?,
        user_id: r.try_get("", "user_id")?,
        role: r.try_get("", "role")?,
        permission: r.try_get("", "permission")?,
        scope_type: ScopeType::parse(&scope_type).unwrap_or(ScopeType::Global),
        scope_id: r.try_get("", "scope_id")?,
        expires_at: r.try_get("", "expires_at")?,
        granted_by: r.try_get("", "granted_by")?,
        created_at: r.try_get("", "created_at")?,
    })
}

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
            (Some(k.as_str()), id)
        }
        None => (None, None),
    };
    let rows = db::all(
        &state.db,
        format!(
            "{ASSIGNMENTS_SQL} WHERE ($1::uuid IS NULL OR a.user_id = $1) \
                 AND ($2::text IS NULL OR a.scope_type = $2) \
                 AND ($3::uuid IS NULL OR a.scope_id = $3) \
                 ORDER BY a.created_at, a.id LIMIT 500"
        ),
        [
            q.user_id.into(),
            kind.map(str::to_owned).into(),
            scope_id.into(),
        ],
    )
    .await?;
    rows.iter().map(assignment_from_row).collect()
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
        (_, Some(key)) => {
            let row = db::one(
                &txn,
                "SELECT id FROM permissions WHERE key = $1",
                [key.clone().into()],
            )
            .await?
            .ok_or_else(|| {
                AppError::validation(vec![FieldError::new("#/permission", "no such permission")])
            })?;
            (None, Some(row.try_get::<Uuid>("", "id")?))
        }
        _ => (None, None),
    };
    let id = Uuid::now_v7();
    let (kind, scope_id) = scope.parts();
    let inserted = db::exec(&txn, "INSERT INTO role_assignments (id, user_id, role_id, permission_id, scope_type, scope_id, expires_at, granted_by) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT DO NOTHING",
            [
                id.into(),
                req.user_id.into(),
                role_id.into(),
                permission_id.into(),
                kind.as_str().into(),
                scope_id.into(),
                req.expires_at.into(),
                user.id.into(),
            ],)
        .await?;
    if inserted.rows_affected() == 0 {
        return Err(AppError::new(
            ErrorCode::AssignmentExists,
            "this grant already exists in this scope",
        ));
    }
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
    let row = db::one(
        &txn,
        format!("{ASSIGNMENTS_SQL} WHERE a.id = $1"),
        [id.into()],
    )
    .await?
    .ok_or_else(|| AppError::not_found("assignment"))?;
    let out = assignment_from_row(&row)?;
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
    let row = db::one(
        &txn,
        format!("{ASSIGNMENTS_SQL} WHERE a.id = $1 FOR UPDATE OF a"),
        [id.into()],
    )
    .await?
    .ok_or_else(|| AppError::not_found("assignment"))?;
    let a = assignment_from_row(&row)?;
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
    db::exec(
        &txn,
        "DELETE FROM role_assignments WHERE id = $1",
        [id.into()],
    )
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
