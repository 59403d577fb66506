//! Account administration: list and search (`user:read`), view, and change status
//! (`user:manage`): suspend (ends every session), reactivate, soft-delete.

use sea_orm::TransactionTrait;
use uuid::Uuid;

use super::dto::{ListUsersQuery, UpdateUserStatusRequest, UserResponse};
use super::service::{USER_COLUMNS, find_user, revoke_all_sessions, user_from_row};
use crate::db;
use crate::modules::audit::{self, AuditEvent};
use crate::state::AppState;
use kernel::Scope;
use kernel::pagination::{Page, Paging};
use kernel::{Actor, RequestMeta};
use kernel::{AppError, AppResult, ErrorCode, FieldError};

pub async fn list_users(
    state: &AppState,
    user: &Actor,
    q: ListUsersQuery,
) -> AppResult<Page<UserResponse>> {
    crate::authz::require(state, user, "user:read", Scope::Global).await?;
    let paging = Paging::new(q.page, q.per_page)?;
    let status = q.status.map(|v| v.as_str());
    if status.is_some_and(|s| !matches!(s, "active" | "suspended" | "deleted")) {
        return Err(AppError::validation(vec![FieldError::new(
            "status",
            "one of active, suspended, deleted",
        )]));
    }
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
    let filter = "($1::text IS NULL OR u.email ILIKE $1 OR u.display_name ILIKE $1) AND \
         (CASE WHEN $2::text = 'deleted' THEN u.deleted_at IS NOT NULL \
               WHEN $2::text IS NULL THEN u.deleted_at IS NULL \
               ELSE u.deleted_at IS NULL AND u.status = $2 END)";
    let values = || -> Vec<sea_orm::Value> {
        vec![pattern.clone().into(), status.map(str::to_owned).into()]
    };
    let total: i64 = db::one(
        &state.db,
        format!("SELECT count(*) AS n FROM users u WHERE {filter}"),
        values(),
    )
    .await?
    .map(|r| r.try_get("", "n"))
    .transpose()?
    .unwrap_or(0);
    let mut v = values();
    v.push((paging.per_page as i64).into());
    v.push((paging.offset() as i64).into());
    let rows = db::all(&state.db, format!("SELECT {USER_COLUMNS} FROM users u WHERE {filter} ORDER BY u.created_at, u.id LIMIT $3 OFFSET $4"),
            v,)
        .await?;
    let items = rows
        .iter()
        .map(user_from_row)
        .collect::<AppResult<Vec<_>>>()?;
    Ok(paging.wrap(items, total as u64))
}

pub async fn get_user(state: &AppState, user: &Actor, id: Uuid) -> AppResult<UserResponse> {
    if id != user.id && !crate::authz::allowed(state, user, "user:read", Scope::Global).await? {
        return Err(AppError::not_found("user"));
    }
    find_user(&state.db, id)
        .await?
        .ok_or_else(|| AppError::not_found("user"))
}

pub async fn update_status(
    state: &AppState,
    user: &Actor,
    client: &RequestMeta,
    id: Uuid,
    req: UpdateUserStatusRequest,
) -> AppResult<UserResponse> {
    if !crate::authz::allowed(state, user, "user:manage", Scope::Global).await? {
        return Err(
            if crate::authz::allowed(state, user, "user:read", Scope::Global).await? {
                AppError::forbidden("you lack the permission `user:manage`")
            } else {
                AppError::not_found("user")
            },
        );
    }
    if !matches!(req.status.as_str(), "active" | "suspended" | "deleted") {
        return Err(AppError::validation(vec![FieldError::new(
            "#/status",
            "one of active, suspended, deleted",
        )]));
    }
    if id == user.id {
        return Err(AppError::new(
            ErrorCode::CannotChangeOwnStatus,
            "ask another admin to change your own status",
        ));
    }
    let txn = state.db.begin().await?;
    let sql = match req.status.as_str() {
        "active" => {
            "UPDATE users SET status = 'active', deleted_at = NULL, updated_at = now() WHERE id = $1"
        }
        "suspended" => {
            "UPDATE users SET status = 'suspended', updated_at = now() WHERE id = $1 AND deleted_at IS NULL"
        }
        _ => {
            "UPDATE users SET deleted_at = coalesce(deleted_at, now()), updated_at = now() WHERE id = $1"
        }
    };
    let res = db::exec(&txn, sql, [id.into()]).await;
    let res = match res {
        Ok(r) => r,
        // Reactivating a deleted account whose address was taken since.
        Err(e) if e.to_string().contains("users_email_key") => {
            return Err(AppError::new(
                ErrorCode::EmailTaken,
                "another live account uses this address now",
            ));
        }
        Err(e) => return Err(e.into()),
    };
    if res.rows_affected() == 0 {
        return Err(AppError::not_found("user"));
    }
    let revoked = if req.status.as_str() == "active" {
        0
    } else {
        revoke_all_sessions(
            &txn,
            id,
            if req.status.as_str() == "suspended" {
                "suspended"
            } else {
                "deleted"
            },
        )
        .await?
    };
    audit::record(
        &txn,
        AuditEvent::new(Some(user.id), "user.status_change", "user", Some(id.to_string()))
            .details(serde_json::json!({"status": req.status, "reason": req.reason, "sessions_revoked": revoked})),
        client,
    )
    .await?;
    let out = find_user(&txn, id)
        .await?
        .ok_or_else(|| AppError::not_found("user"))?;
    txn.commit().await?;
    Ok(out)
}
