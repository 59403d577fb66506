//! Learning paths: ordered published courses, each required or optional. Enrolling in a path
//! enrols the learner in its courses up to and including the first required one not yet
//! completed (paid and prerequisite rules apply as for a direct enrollment); path progress is
//! the share of its required courses completed. Completing the last required course of a path
//! the learner is enrolled in publishes `PathCompleted`, once.

use chrono::{DateTime, Utc};
use entity::{learning_path_courses, learning_path_enrollments, learning_paths};
use kernel::enums::{CourseStatus, EnrollmentStatus};
use kernel::pagination::{Page, Paging};
use kernel::slug::{SLUG_RULE, derive_slug, valid_slug};
use kernel::text::check_name;
use kernel::{Actor, AppError, AppResult, FieldError, RequestMeta, Scope, db};
use rust_decimal::Decimal;
use sea_orm::{
    ActiveModelTrait, ConnectionTrait, DatabaseTransaction, EntityTrait, FromQueryResult,
    PaginatorTrait, QueryOrder, QuerySelect, Set, TransactionTrait,
};
use serde_json::json;
use uuid::Uuid;

use super::access::course_row;
use super::dto::{
    CreatePathRequest, PathCourse, PathEnrollResponse, PathResponse, PathsQuery, two_places,
};
use super::enrollments::enroll_in;
use crate::modules::audit::{self, AuditEvent};
use crate::modules::orgs;
use crate::state::AppState;

/// A path, and whether the viewer is enrolled in it.
#[derive(FromQueryResult)]
struct PathRow {
    id: Uuid,
    title: String,
    slug: String,
    description: String,
    organization_id: Option<Uuid>,
    created_by: Uuid,
    created_at: DateTime<Utc>,
    enrolled: bool,
}

/// A course of a path, with the viewer's latest enrollment status in it.
#[derive(FromQueryResult)]
struct StepRow {
    path_id: Uuid,
    course_id: Uuid,
    title: String,
    slug: String,
    position: i32,
    required: bool,
    enrollment_status: Option<EnrollmentStatus>,
}

impl StepRow {
    fn course(&self) -> PathCourse {
        PathCourse {
            course_id: self.course_id,
            title: self.title.clone(),
            slug: self.slug.clone(),
            position: self.position,
            required: self.required,
            enrollment_status: self.enrollment_status.map(String::from),
        }
    }
}

/// A path as the viewer sees it, with its steps as read.
struct ViewedPath {
    path: PathResponse,
    steps: Vec<StepRow>,
}

async fn path(db: &impl ConnectionTrait, id: Uuid, viewer: Option<Uuid>) -> AppResult<ViewedPath> {
    paths(db, &[id], viewer)
        .await?
        .pop()
        .ok_or_else(|| AppError::not_found("learning path"))
}

/// The paths with these ids, in that order, each with its courses and the viewer's progress:
/// two queries whatever the number of paths.
async fn paths(
    db: &impl ConnectionTrait,
    ids: &[Uuid],
    viewer: Option<Uuid>,
) -> AppResult<Vec<ViewedPath>> {
    let rows: Vec<PathRow> = db::rows(
        db,
        "SELECT id, title, slug, description, organization_id, created_by, created_at, \
         EXISTS (SELECT 1 FROM learning_path_enrollments pe WHERE pe.path_id = p.id AND pe.user_id = $2) AS enrolled \
         FROM learning_paths p WHERE id = ANY($1)",
        [ids.to_vec().into(), viewer.into()],
    )
    .await?;
    let mut steps: Vec<StepRow> = db::rows(
        db,
        "SELECT pc.path_id, pc.course_id, c.title, c.slug, pc.position, pc.required, \
           (SELECT e.status FROM enrollments e WHERE e.course_id = pc.course_id AND e.user_id = $2 \
            ORDER BY e.status = 'dropped', e.enrolled_at DESC LIMIT 1) AS enrollment_status \
         FROM learning_path_courses pc JOIN courses c ON c.id = pc.course_id AND c.deleted_at IS NULL \
         WHERE pc.path_id = ANY($1) ORDER BY pc.path_id, pc.position",
        [ids.to_vec().into(), viewer.into()],
    )
    .await?;
    let mut out = Vec::with_capacity(ids.len());
    for id in ids {
        let Some(r) = rows.iter().find(|r| r.id == *id) else {
            continue;
        };
        let (mine, rest): (Vec<StepRow>, Vec<StepRow>) =
            steps.into_iter().partition(|s| s.path_id == *id);
        steps = rest;
        let required = mine.iter().filter(|s| s.required).count();
        let done = mine
            .iter()
            .filter(|s| s.required && s.enrollment_status == Some(EnrollmentStatus::Completed))
            .count();
        out.push(ViewedPath {
            path: PathResponse {
                id: *id,
                title: r.title.clone(),
                slug: r.slug.clone(),
                description: r.description.clone(),
                organization_id: r.organization_id,
                created_by: r.created_by,
                courses: mine.iter().map(StepRow::course).collect(),
                enrolled: r.enrolled,
                progress_percent: two_places(if required == 0 {
                    Decimal::ZERO
                } else {
                    Decimal::from(done as u64) * Decimal::from(100) / Decimal::from(required as u64)
                }),
                created_at: r.created_at,
            },
            steps: mine,
        });
    }
    Ok(out)
}

pub async fn get_path(state: &AppState, user: Option<&Actor>, id: Uuid) -> AppResult<PathResponse> {
    Ok(path(&state.db, id, user.map(|u| u.id)).await?.path)
}

pub async fn list_paths(
    state: &AppState,
    user: Option<&Actor>,
    q: PathsQuery,
) -> AppResult<Page<PathResponse>> {
    let paging = Paging::new(q.page, q.per_page)?;
    let total = learning_paths::Entity::find().count(&state.db).await?;
    let ids: Vec<Uuid> = learning_paths::Entity::find()
        .select_only()
        .column(learning_paths::Column::Id)
        .order_by_desc(learning_paths::Column::CreatedAt)
        .order_by_desc(learning_paths::Column::Id)
        .limit(paging.per_page)
        .offset(paging.offset())
        .into_tuple()
        .all(&state.db)
        .await?;
    let items = paths(&state.db, &ids, user.map(|u| u.id))
        .await?
        .into_iter()
        .map(|p| p.path)
        .collect();
    Ok(paging.wrap(items, total))
}

pub async fn create_path(
    state: &AppState,
    actor: &Actor,
    meta: &RequestMeta,
    req: CreatePathRequest,
) -> AppResult<PathResponse> {
    let scope = orgs::publishing_scope(state, actor, req.organization_id).await?;
    crate::authz::require(state, actor, "course:create", scope).await?;
    let txn = state.db.begin().await?;
    let out = create_path_in(&txn, actor, meta, Uuid::now_v7(), req).await?;
    txn.commit().await?;
    Ok(out)
}

/// Creates path `id` of 1 to 50 published courses (at least one required) by the actor,
/// audited. A taken slug is 409 `slug_taken`.
pub async fn create_path_in(
    txn: &DatabaseTransaction,
    actor: &Actor,
    meta: &RequestMeta,
    id: Uuid,
    req: CreatePathRequest,
) -> AppResult<PathResponse> {
    let mut errors = Vec::new();
    check_name("#/title", &req.title, 200, &mut errors);
    let slug = match &req.slug {
        Some(slug) => slug.to_string(),
        None => derive_slug(&req.title),
    };
    if !valid_slug(&slug) {
        errors.push(FieldError::new("#/slug", SLUG_RULE));
    }
    if req.courses.is_empty() || req.courses.len() > 50 {
        errors.push(FieldError::new("#/courses", "1 to 50 courses"));
    }
    if !req.courses.iter().any(|c| c.required.unwrap_or(true)) {
        errors.push(FieldError::new(
            "#/courses",
            "at least one course must be required",
        ));
    }
    for (i, c) in req.courses.iter().enumerate() {
        if req.courses[..i].iter().any(|o| o.course_id == c.course_id) {
            errors.push(FieldError::new(
                format!("#/courses/{i}/course_id"),
                "listed twice",
            ));
            continue;
        }
        let published = course_row(txn, c.course_id)
            .await
            .is_ok_and(|c| c.status == CourseStatus::Published);
        if !published {
            errors.push(FieldError::new(
                format!("#/courses/{i}/course_id"),
                "not a published course",
            ));
        }
    }
    if !errors.is_empty() {
        return Err(AppError::validation(errors));
    }
    learning_paths::ActiveModel {
        id: Set(id),
        title: Set(req.title.trim().to_owned()),
        slug: Set(slug),
        description: Set(req.description.trim().to_owned()),
        organization_id: Set(req.organization_id),
        created_by: Set(actor.id),
        ..Default::default()
    }
    .insert(txn)
    .await?;
    learning_path_courses::Entity::insert_many(req.courses.iter().enumerate().map(|(i, c)| {
        learning_path_courses::ActiveModel {
            path_id: Set(id),
            course_id: Set(c.course_id),
            position: Set(i as i32),
            required: Set(c.required.unwrap_or(true)),
        }
    }))
    .exec_without_returning(txn)
    .await?;
    let out = path(txn, id, Some(actor.id)).await?.path;
    audit::record(
        txn,
        AuditEvent::new(Some(actor.id), "path.create", "learning_path", Some(id.to_string()))
            .details(json!({"title": req.title.trim(), "courses": req.courses.iter().map(|c| c.course_id).collect::<Vec<_>>()})),
        meta,
    )
    .await?;
    Ok(out)
}

pub async fn enroll_path(
    state: &AppState,
    actor: &Actor,
    meta: &RequestMeta,
    id: Uuid,
) -> AppResult<PathEnrollResponse> {
    path(&state.db, id, None).await?;
    crate::authz::require(state, actor, "course:enroll", Scope::Global).await?;
    let txn = state.db.begin().await?;
    let out = enroll_path_in(&txn, actor, meta, id).await?;
    for e in &out.enrollments {
        crate::events::publish(
            state,
            &txn,
            kernel::event::DomainEvent::Enrolled {
                user_id: actor.id,
                course_id: e.course_id,
            },
        )
        .await?;
    }
    txn.commit().await?;
    Ok(out)
}

/// Enrols the actor in path `id` (409 `already_enrolled` the second time) and in its courses
/// up to and including the first required one not yet completed, audited.
pub async fn enroll_path_in(
    txn: &DatabaseTransaction,
    actor: &Actor,
    meta: &RequestMeta,
    id: Uuid,
) -> AppResult<PathEnrollResponse> {
    learning_path_enrollments::ActiveModel {
        id: Set(Uuid::now_v7()),
        path_id: Set(id),
        user_id: Set(actor.id),
        ..Default::default()
    }
    .insert(txn)
    .await?;
    // Lock order: every course row of the path (in id order) before any wallet or the audit
    // chain, which the first payment takes.
    db::exec(
        txn,
        "SELECT c.id FROM courses c JOIN learning_path_courses pc ON pc.course_id = c.id \
         WHERE pc.path_id = $1 ORDER BY c.id FOR UPDATE OF c",
        [id.into()],
    )
    .await?;
    let steps = path(txn, id, Some(actor.id)).await?.steps;
    let mut enrollments = Vec::new();
    for step in steps {
        match step.enrollment_status {
            Some(EnrollmentStatus::Completed) => continue,
            Some(EnrollmentStatus::Active) => {
                if step.required {
                    break;
                }
                continue;
            }
            Some(EnrollmentStatus::Dropped) | None => {}
        }
        let course = course_row(txn, step.course_id).await?;
        if course.status != CourseStatus::Published {
            // An archived step takes no one; the path goes on with the next.
            continue;
        }
        enrollments.push(enroll_in(txn, actor.id, &course, Some(id)).await?);
        if step.required {
            break;
        }
    }
    let out = path(txn, id, Some(actor.id)).await?.path;
    audit::record(
        txn,
        AuditEvent::new(
            Some(actor.id),
            "path.enroll",
            "learning_path",
            Some(id.to_string()),
        )
        .details(json!({"enrollments": enrollments.iter().map(|e| e.id).collect::<Vec<_>>()})),
        meta,
    )
    .await?;
    Ok(PathEnrollResponse {
        path: out,
        enrollments,
    })
}

#[derive(FromQueryResult)]
struct CompletedPath {
    id: Uuid,
    title: String,
}

/// After `user` completed `course` (in `txn`): publishes `PathCompleted` for each path they are
/// enrolled in that requires the course and whose required courses are now all complete. A
/// lock per learner makes concurrent completions see each other's, so exactly one of them
/// completes the path.
pub async fn complete_paths_in(
    state: &AppState,
    txn: &DatabaseTransaction,
    user: Uuid,
    course: Uuid,
) -> AppResult<()> {
    db::advisory_lock(txn, &format!("paths:{user}")).await?;
    let done: Vec<CompletedPath> = db::rows(
        txn,
        "SELECT p.id, p.title FROM learning_paths p \
         JOIN learning_path_enrollments pe ON pe.path_id = p.id AND pe.user_id = $1 \
         WHERE EXISTS (SELECT 1 FROM learning_path_courses pc \
                       WHERE pc.path_id = p.id AND pc.course_id = $2 AND pc.required) \
           AND NOT EXISTS (SELECT 1 FROM learning_path_courses pc \
                           WHERE pc.path_id = p.id AND pc.required AND NOT EXISTS ( \
                             SELECT 1 FROM enrollments e WHERE e.user_id = $1 \
                               AND e.course_id = pc.course_id AND e.status = 'completed')) \
         ORDER BY p.id",
        [user.into(), course.into()],
    )
    .await?;
    for path in done {
        crate::events::publish(
            state,
            txn,
            kernel::event::DomainEvent::PathCompleted {
                user_id: user,
                path_id: path.id,
                path_title: path.title,
            },
        )
        .await?;
    }
    Ok(())
}
