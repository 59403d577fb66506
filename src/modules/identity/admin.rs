//! Account administration: list and search (`user:read`), view, and change status
//! (`user:manage`): suspend (ends every session), reactivate, soft-delete.

use entity::users;
use kernel::enums::{AccountStatus, RevokeReason};
use kernel::pagination::{Page, Paging};
use kernel::{Actor, AppError, AppResult, ErrorCode, RequestMeta, Scope};
use sea_orm::sea_query::extension::postgres::PgExpr;
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ColumnTrait, Condition, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect,
    TransactionTrait,
};
use uuid::Uuid;

use super::accounts::{UserRow, account_view, get_user};
use super::dto::{ListUsersQuery, UpdateUserStatusRequest, UserResponse};
use super::sessions::revoke_sessions;
use crate::modules::audit::{self, AuditEvent};
use crate::state::AppState;

/// The accounts `GET /users` lists: matching `q` in email or display name, and of `status`
/// (live accounts of any status when absent).
fn users_filter(q: &ListUsersQuery) -> Condition {
    let mut filter = Condition::all();
    if let Some(text) = q.q.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        let pattern = format!(
            "%{}%",
            text.replace('\\', "\\\\")
                .replace('%', "\\%")
                .replace('_', "\\_")
        );
        filter = filter.add(
            Condition::any()
                .add(Expr::col((users::Entity, users::Column::Email)).ilike(pattern.clone()))
                .add(Expr::col((users::Entity, users::Column::DisplayName)).ilike(pattern)),
        );
    }
    match q.status {
        Some(AccountStatus::Deleted) => filter.add(users::Column::DeletedAt.is_not_null()),
        None => filter.add(users::Column::DeletedAt.is_null()),
        Some(status) => filter
            .add(users::Column::DeletedAt.is_null())
            .add(users::Column::Status.eq(status)),
    }
}

pub async fn list_users(
    state: &AppState,
    user: &Actor,
    q: ListUsersQuery,
) -> AppResult<Page<UserResponse>> {
    crate::authz::require(state, user, "user:read", Scope::Global).await?;
    let paging = Paging::new(q.page, q.per_page)?;
    let filter = users_filter(&q);
    let total = users::Entity::find()
        .filter(filter.clone())
        .count(&state.db)
        .await?;
    let items = account_view()
        .filter(filter)
        .order_by_asc(users::Column::CreatedAt)
        .order_by_asc(users::Column::Id)
        .limit(paging.per_page)
        .offset(paging.offset())
        .into_model::<UserRow>()
        .all(&state.db)
        .await?
        .into_iter()
        .map(UserResponse::from)
        .collect();
    Ok(paging.wrap(items, total))
}

pub async fn view_user(state: &AppState, user: &Actor, id: Uuid) -> AppResult<UserResponse> {
    if id != user.id && !crate::authz::allowed(state, user, "user:read", Scope::Global).await? {
        return Err(AppError::not_found("user"));
    }
    get_user(&state.db, id).await
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
    let status = req.status.get("#/status")?;
    if id == user.id {
        return Err(AppError::new(
            ErrorCode::CannotChangeOwnStatus,
            "ask another admin to change your own status",
        ));
    }
    let txn = state.db.begin().await?;
    let update = users::Entity::update_many()
        .col_expr(users::Column::UpdatedAt, Expr::current_timestamp())
        .filter(users::Column::Id.eq(id));
    let update = match status {
        // Reactivating a deleted account whose address was taken since is 409 `email_taken`.
        AccountStatus::Active => update
            .col_expr(users::Column::Status, Expr::value(AccountStatus::Active))
            .col_expr(
                users::Column::DeletedAt,
                Expr::value(Option::<chrono::DateTime<chrono::Utc>>::None),
            ),
        AccountStatus::Suspended => update
            .col_expr(users::Column::Status, Expr::value(AccountStatus::Suspended))
            .filter(users::Column::DeletedAt.is_null()),
        AccountStatus::Deleted => update.col_expr(
            users::Column::DeletedAt,
            Expr::col(users::Column::DeletedAt).if_null(Expr::current_timestamp()),
        ),
    };
    if update.exec(&txn).await?.rows_affected == 0 {
        return Err(AppError::not_found("user"));
    }
    let revoked = match status {
        AccountStatus::Active => 0,
        AccountStatus::Suspended => {
            revoke_sessions(&txn, id, None, RevokeReason::Suspended).await?
        }
        AccountStatus::Deleted => revoke_sessions(&txn, id, None, RevokeReason::Deleted).await?,
    };
    audit::record(
        &txn,
        AuditEvent::new(Some(user.id), "user.status_change", "user", Some(id.to_string()))
            .details(serde_json::json!({"status": status, "reason": req.reason, "sessions_revoked": revoked})),
        client,
    )
    .await?;
    let out = get_user(&txn, id).await?;
    txn.commit().await?;
    Ok(out)
}
