//! The access rules every part of the LMS (and the assessments) uses: the facts of a course and
//! its RBAC scope, who may see it (the public once it is published or archived, its staff
//! always), who may act on it, the course row lock that serialises edits and counters of one
//! course, and where a lesson sits.

use entity::{courses, lessons};
use kernel::enums::CourseStatus;
use kernel::{Actor, AppError, AppResult, Scope, db};
use rust_decimal::Decimal;
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseTransaction, DerivePartialModel, EntityTrait, QueryFilter,
};
use uuid::Uuid;

use crate::state::AppState;

/// The facts about a course that access rules and other modules need.
#[derive(Debug, Clone, DerivePartialModel)]
#[sea_orm(entity = "courses::Entity")]
pub struct CourseRow {
    pub id: Uuid,
    pub title: String,
    pub status: CourseStatus,
    pub organization_id: Option<Uuid>,
    pub owner_id: Uuid,
    pub price: Decimal,
    pub currency: String,
    pub completion_reward: Option<Decimal>,
}

impl CourseRow {
    /// The RBAC scope of the course (its organization's grants cover it).
    pub fn scope(&self) -> Scope {
        course_scope(self.id, self.organization_id)
    }

    /// Published or archived: the public may see it.
    pub fn is_public(&self) -> bool {
        self.status.is_public()
    }
}

/// The RBAC scope of course `id` of `organization_id`.
pub(super) fn course_scope(id: Uuid, organization_id: Option<Uuid>) -> Scope {
    Scope::Course {
        id,
        organization_id,
    }
}

/// A live (not deleted) course, or 404.
pub async fn course_row(db: &impl ConnectionTrait, id: Uuid) -> AppResult<CourseRow> {
    courses::Entity::find_by_id(id)
        .filter(courses::Column::DeletedAt.is_null())
        .into_partial_model()
        .one(db)
        .await?
        .ok_or_else(|| AppError::not_found("course"))
}

/// Whether the caller teaches or oversees the course (may see it in any status).
pub async fn is_staff(state: &AppState, user: &Actor, course: &CourseRow) -> AppResult<bool> {
    is_staff_in(state, user, course.scope()).await
}

/// The permissions that make someone staff of a course (any one of them in its scope).
pub const STAFF_PERMISSIONS: [&str; 3] = ["course:update", "course:grade", "course:publish"];

/// Whether the caller teaches or oversees the course of `scope`.
pub async fn is_staff_in(state: &AppState, user: &Actor, scope: Scope) -> AppResult<bool> {
    for permission in STAFF_PERMISSIONS {
        if crate::authz::allowed(state, user, permission, scope).await? {
            return Ok(true);
        }
    }
    Ok(false)
}

/// The course if the caller may see it: public ones to everyone, drafts and courses under
/// review to their staff only (404 for the rest, who may not know they exist).
pub async fn visible_course(
    state: &AppState,
    user: Option<&Actor>,
    id: Uuid,
) -> AppResult<CourseRow> {
    let course = course_row(&state.db, id).await?;
    if course.is_public() {
        return Ok(course);
    }
    match user {
        Some(user) if is_staff(state, user, &course).await? => Ok(course),
        _ => Err(AppError::not_found("course")),
    }
}

/// The course if the caller may use `permission` on it: 404 when they cannot even see it,
/// 403 when they can see it but not do this.
pub async fn course_for(
    state: &AppState,
    user: &Actor,
    id: Uuid,
    permission: &str,
) -> AppResult<CourseRow> {
    let course = visible_course(state, Some(user), id).await?;
    crate::authz::require(state, user, permission, course.scope()).await?;
    Ok(course)
}

/// Locks the course row until the transaction ends: structural edits and counters of one
/// course run one at a time.
pub async fn lock_course(txn: &DatabaseTransaction, id: Uuid) -> AppResult<()> {
    if db::exists(
        txn,
        "SELECT id FROM courses WHERE id = $1 FOR UPDATE",
        [id.into()],
    )
    .await?
    {
        Ok(())
    } else {
        Err(AppError::not_found("course"))
    }
}

/// Where a lesson sits.
#[derive(Debug, Clone, DerivePartialModel)]
#[sea_orm(entity = "lessons::Entity")]
pub struct LessonRow {
    pub course_id: Uuid,
    pub module_id: Uuid,
    pub title: String,
    pub position: i32,
    pub preview: bool,
}

/// A lesson, or 404.
pub async fn lesson_row(db: &impl ConnectionTrait, id: Uuid) -> AppResult<LessonRow> {
    lessons::Entity::find_by_id(id)
        .into_partial_model()
        .one(db)
        .await?
        .ok_or_else(|| AppError::not_found("lesson"))
}

/// Holds the lesson until commit with a key-share lock (it cannot be deleted meanwhile);
/// `false` when it is gone. Progress writes take it before the enrollment row (a deletion holds
/// the lesson, then updates enrollments), so the two never wait on each other in a circle.
pub(super) async fn hold_lesson(txn: &DatabaseTransaction, id: Uuid) -> AppResult<bool> {
    Ok(db::exists(
        txn,
        "SELECT id FROM lessons WHERE id = $1 FOR KEY SHARE",
        [id.into()],
    )
    .await?)
}
