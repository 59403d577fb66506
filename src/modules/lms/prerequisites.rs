//! Prerequisites: the courses a course requires completing before enrolling. No cycles: one
//! prerequisite edit at a time, each checked against what the prerequisite already requires.

use entity::course_prerequisites;
use kernel::{Actor, AppError, AppResult, ErrorCode, FieldError, RequestMeta, db};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseTransaction, EntityTrait, QueryFilter,
    Set, TransactionTrait,
};
use serde_json::json;
use uuid::Uuid;

use super::access::{course_for, course_row, visible_course};
use super::dto::{AddPrerequisiteRequest, CourseRef};
use crate::modules::audit::{self, AuditEvent};
use crate::state::AppState;

/// The live courses `id` requires, by title.
pub(super) async fn prerequisites(
    db: &impl ConnectionTrait,
    id: Uuid,
) -> AppResult<Vec<CourseRef>> {
    Ok(db::rows(
        db,
        "SELECT c.id, c.title, c.slug FROM course_prerequisites p JOIN courses c ON c.id = p.prerequisite_id \
         WHERE p.course_id = $1 AND c.deleted_at IS NULL ORDER BY c.title",
        [id.into()],
    )
    .await?)
}

fn no_such_course() -> AppError {
    AppError::field("#/prerequisite_id", "no such course")
}

pub async fn add_prerequisite(
    state: &AppState,
    actor: &Actor,
    meta: &RequestMeta,
    id: Uuid,
    req: AddPrerequisiteRequest,
) -> AppResult<Vec<CourseRef>> {
    course_for(state, actor, id, "course:update").await?;
    // Only a course the caller may see: someone else's draft is "no such course" (its title
    // would otherwise show on this course's public page).
    visible_course(state, Some(actor), req.prerequisite_id)
        .await
        .map_err(|_| no_such_course())?;
    let txn = state.db.begin().await?;
    let list = add_prerequisite_in(&txn, actor, meta, id, req).await?;
    txn.commit().await?;
    Ok(list)
}

/// Makes course `id` require `req.prerequisite_id` (422 `prerequisite_cycle` when that one
/// already requires this one, 409 `already_prerequisite` when required already), audited;
/// answers the new list.
pub async fn add_prerequisite_in(
    txn: &DatabaseTransaction,
    actor: &Actor,
    meta: &RequestMeta,
    id: Uuid,
    req: AddPrerequisiteRequest,
) -> AppResult<Vec<CourseRef>> {
    // One prerequisite edit at a time, so two additions cannot close a cycle between them.
    db::advisory_lock(txn, "course_prerequisites").await?;
    course_row(txn, req.prerequisite_id)
        .await
        .map_err(|_| no_such_course())?;
    let cycle = req.prerequisite_id == id
        || db::exists(
            txn,
            "WITH RECURSIVE reach(id) AS (SELECT $1::uuid UNION \
               SELECT p.prerequisite_id FROM course_prerequisites p JOIN reach ON p.course_id = reach.id) \
             SELECT 1 AS one FROM reach WHERE id = $2",
            [req.prerequisite_id.into(), id.into()],
        )
        .await?;
    if cycle {
        return Err(AppError::new(
            ErrorCode::PrerequisiteCycle,
            "that course already requires this one (directly or through others)",
        )
        .with_errors(vec![FieldError::new(
            "#/prerequisite_id",
            "would make a cycle",
        )]));
    }
    course_prerequisites::ActiveModel {
        course_id: Set(id),
        prerequisite_id: Set(req.prerequisite_id),
        ..Default::default()
    }
    .insert(txn)
    .await?;
    let list = prerequisites(txn, id).await?;
    audit::record(
        txn,
        AuditEvent::new(
            Some(actor.id),
            "course.prerequisite_add",
            "course",
            Some(id.to_string()),
        )
        .details(json!({"prerequisite_id": req.prerequisite_id})),
        meta,
    )
    .await?;
    Ok(list)
}

pub async fn remove_prerequisite(
    state: &AppState,
    actor: &Actor,
    meta: &RequestMeta,
    id: Uuid,
    prerequisite: Uuid,
) -> AppResult<()> {
    course_for(state, actor, id, "course:update").await?;
    let txn = state.db.begin().await?;
    let removed = course_prerequisites::Entity::delete_many()
        .filter(course_prerequisites::Column::CourseId.eq(id))
        .filter(course_prerequisites::Column::PrerequisiteId.eq(prerequisite))
        .exec(&txn)
        .await?;
    if removed.rows_affected == 0 {
        return Err(AppError::not_found("prerequisite"));
    }
    audit::record(
        &txn,
        AuditEvent::new(
            Some(actor.id),
            "course.prerequisite_remove",
            "course",
            Some(id.to_string()),
        )
        .details(json!({"prerequisite_id": prerequisite})),
        meta,
    )
    .await?;
    txn.commit().await?;
    Ok(())
}
