//! A course's teaching team: its owner (who created it), co-instructors and assistants, each
//! with the course-scoped role that lets them edit or grade it. Owners manage the team; so do
//! reviewers (`course:publish` in the course's scope). The owner cannot be removed.

use entity::course_instructors;
use kernel::enums::{CoInstructorRole, InstructorRole};
use kernel::{Actor, AppError, AppResult, ErrorCode, FieldError, RequestMeta, Scope, db};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseTransaction, EntityTrait, QueryFilter,
    Set, TransactionTrait,
};
use serde_json::json;
use uuid::Uuid;

use super::access::{CourseRow, visible_course};
use super::dto::{AddInstructorRequest, InstructorResponse};
use crate::modules::audit::{self, AuditEvent};
use crate::modules::{identity, rbac};
use crate::state::AppState;

/// The team, the owner first.
async fn instructors(db: &impl ConnectionTrait, id: Uuid) -> AppResult<Vec<InstructorResponse>> {
    Ok(db::rows(
        db,
        "SELECT u.id AS user_id, u.display_name, ci.role FROM course_instructors ci JOIN users u ON u.id = ci.user_id \
         WHERE ci.course_id = $1 ORDER BY ci.role <> 'owner', ci.role, ci.created_at",
        [id.into()],
    )
    .await?)
}

/// The RBAC role that goes with a course role.
fn rbac_role(role: InstructorRole) -> &'static str {
    match role {
        InstructorRole::Owner | InstructorRole::Instructor => "course_instructor",
        InstructorRole::Assistant => "teaching_assistant",
    }
}

/// Makes `user_id` a member of the course's team with `role`, with the course-scoped grant
/// that goes with it (the owner's row when the course is created).
pub(super) async fn join_team(
    txn: &DatabaseTransaction,
    actor: &Actor,
    course: (Uuid, Scope),
    user_id: Uuid,
    role: InstructorRole,
) -> AppResult<()> {
    let (course_id, scope) = course;
    course_instructors::ActiveModel {
        course_id: Set(course_id),
        user_id: Set(user_id),
        role: Set(role),
        ..Default::default()
    }
    .insert(txn)
    .await?;
    rbac::assign_role(txn, user_id, rbac_role(role), scope, Some(actor.id)).await
}

/// Owners manage the teaching team; so do reviewers (`course:publish` in the course's scope).
async fn require_owner(state: &AppState, user: &Actor, course: &CourseRow) -> AppResult<()> {
    if course.owner_id == user.id
        || crate::authz::allowed(state, user, "course:publish", course.scope()).await?
    {
        return Ok(());
    }
    Err(AppError::forbidden(
        "only the course's owner manages its instructors",
    ))
}

pub async fn add_instructor(
    state: &AppState,
    actor: &Actor,
    meta: &RequestMeta,
    id: Uuid,
    req: AddInstructorRequest,
) -> AppResult<Vec<InstructorResponse>> {
    let course = visible_course(state, Some(actor), id).await?;
    require_owner(state, actor, &course).await?;
    let txn = state.db.begin().await?;
    let list = add_instructor_in(&txn, actor, meta, &course, req).await?;
    txn.commit().await?;
    Ok(list)
}

/// Adds a live user to the course's team as a co-instructor (the default) or an assistant
/// (409 `already_instructor` when they teach it already), audited; answers the new team.
pub async fn add_instructor_in(
    txn: &DatabaseTransaction,
    actor: &Actor,
    meta: &RequestMeta,
    course: &CourseRow,
    req: AddInstructorRequest,
) -> AppResult<Vec<InstructorResponse>> {
    let role = match &req.role {
        None => CoInstructorRole::Instructor,
        Some(role) => role.parse().map_err(|_| {
            AppError::validation(vec![FieldError::new(
                "#/role",
                "`instructor` or `assistant`",
            )])
        })?,
    };
    identity::require_live_user(txn, req.user_id, "#/user_id").await?;
    join_team(
        txn,
        actor,
        (course.id, course.scope()),
        req.user_id,
        role.into(),
    )
    .await?;
    let list = instructors(txn, course.id).await?;
    audit::record(
        txn,
        AuditEvent::new(
            Some(actor.id),
            "course.instructor_add",
            "course",
            Some(course.id.to_string()),
        )
        .details(json!({"user_id": req.user_id, "role": role})),
        meta,
    )
    .await?;
    Ok(list)
}

pub async fn remove_instructor(
    state: &AppState,
    actor: &Actor,
    meta: &RequestMeta,
    id: Uuid,
    member: Uuid,
) -> AppResult<()> {
    let course = visible_course(state, Some(actor), id).await?;
    require_owner(state, actor, &course).await?;
    if member == course.owner_id {
        return Err(AppError::new(
            ErrorCode::CannotRemoveOwner,
            "the owner cannot be removed",
        ));
    }
    let txn = state.db.begin().await?;
    let removed = course_instructors::Entity::delete_many()
        .filter(course_instructors::Column::CourseId.eq(id))
        .filter(course_instructors::Column::UserId.eq(member))
        .exec(&txn)
        .await?;
    if removed.rows_affected == 0 {
        return Err(AppError::not_found("instructor"));
    }
    let grants = rbac::revoke_scope_grants(&txn, member, course.scope()).await?;
    audit::record(
        &txn,
        AuditEvent::new(
            Some(actor.id),
            "course.instructor_remove",
            "course",
            Some(id.to_string()),
        )
        .details(json!({"user_id": member, "grants_revoked": grants})),
        meta,
    )
    .await?;
    txn.commit().await?;
    Ok(())
}
