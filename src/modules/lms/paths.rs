//! Learning paths: ordered published courses, each required or optional. Enrolling in a path
//! enrols the learner in its courses up to and including the first required one not yet
//! completed (paid and prerequisite rules apply as for a direct enrollment); path progress is
//! the share of its required courses completed.

use kernel::text::Line;
use rust_decimal::Decimal;
use sea_orm::{ConnectionTrait, TransactionTrait};
use serde_json::json;
use uuid::Uuid;

use super::catalog::{course_row, two_places};
use super::dto::{CreatePathRequest, PathCourse, PathEnrollResponse, PathResponse, PathsQuery};
use super::learning::enroll_in;
use crate::db;
use crate::modules::audit::{self, AuditEvent};
use crate::modules::rbac::Scope;
use crate::state::AppState;
use kernel::pagination::{Page, Paging};
use kernel::slug::{SLUG_RULE, slug_taken, slugify, valid_slug};
use kernel::text::check_name;
use kernel::{Actor, RequestMeta};
use kernel::{AppError, AppResult, ErrorCode, FieldError};

async fn path(
    db: &impl ConnectionTrait,
    id: Uuid,
    viewer: Option<Uuid>,
) -> AppResult<PathResponse> {
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
) -> AppResult<Vec<PathResponse>> {
    let rows = db::all(
        db,
        "SELECT id, title, slug, description, organization_id, created_by, created_at, \
         EXISTS (SELECT 1 FROM learning_path_enrollments pe WHERE pe.path_id = p.id AND pe.user_id = $2) AS enrolled \
         FROM learning_paths p WHERE id = ANY($1)",
        [ids.to_vec().into(), viewer.into()],
    )
    .await?;
    let course_rows = db::all(
        db,
        "SELECT pc.path_id, pc.course_id, c.title, c.slug, pc.position, pc.required, \
           (SELECT e.status FROM enrollments e WHERE e.course_id = pc.course_id AND e.user_id = $2 \
            ORDER BY e.status = 'dropped', e.enrolled_at DESC LIMIT 1) AS enrollment_status \
         FROM learning_path_courses pc JOIN courses c ON c.id = pc.course_id AND c.deleted_at IS NULL \
         WHERE pc.path_id = ANY($1) ORDER BY pc.path_id, pc.position",
        [ids.to_vec().into(), viewer.into()],
    )
    .await?;
    let mut steps: Vec<(Uuid, PathCourse)> = Vec::with_capacity(course_rows.len());
    for r in &course_rows {
        steps.push((
            r.try_get("", "path_id")?,
            PathCourse {
                course_id: r.try_get("", "course_id")?,
                title: r.try_get("", "title")?,
                slug: r.try_get("", "slug")?,
                position: r.try_get("", "position")?,
                required: r.try_get("", "required")?,
                enrollment_status: r.try_get("", "enrollment_status")?,
            },
        ));
    }
    let mut out = Vec::with_capacity(ids.len());
    for id in ids {
        let Some(r) = rows
            .iter()
            .find(|r| r.try_get::<Uuid>("", "id").is_ok_and(|x| x == *id))
        else {
            continue;
        };
        let courses: Vec<PathCourse> = steps
            .iter()
            .filter(|(p, _)| p == id)
            .map(|(_, c)| c.clone())
            .collect();
        let required = courses.iter().filter(|c| c.required).count();
        let done = courses
            .iter()
            .filter(|c| c.required && c.enrollment_status.as_deref() == Some("completed"))
            .count();
        out.push(PathResponse {
            id: *id,
            title: r.try_get("", "title")?,
            slug: r.try_get("", "slug")?,
            description: r.try_get("", "description")?,
            organization_id: r.try_get("", "organization_id")?,
            created_by: r.try_get("", "created_by")?,
            courses,
            enrolled: r.try_get("", "enrolled")?,
            progress_percent: two_places(if required == 0 {
                Decimal::ZERO
            } else {
                Decimal::from(done as u64) * Decimal::from(100) / Decimal::from(required as u64)
            }),
            created_at: r.try_get("", "created_at")?,
        });
    }
    Ok(out)
}

pub async fn get_path(state: &AppState, user: Option<&Actor>, id: Uuid) -> AppResult<PathResponse> {
    path(&state.db, id, user.map(|u| u.id)).await
}

pub async fn list_paths(
    state: &AppState,
    user: Option<&Actor>,
    q: PathsQuery,
) -> AppResult<Page<PathResponse>> {
    let paging = Paging::new(q.page, q.per_page)?;
    let total: i64 = db::one(&state.db, "SELECT count(*) AS n FROM learning_paths", [])
        .await?
        .map(|r| r.try_get("", "n"))
        .transpose()?
        .unwrap_or(0);
    let ids = db::all(
        &state.db,
        "SELECT id FROM learning_paths ORDER BY created_at DESC, id DESC LIMIT $1 OFFSET $2",
        [
            (paging.per_page as i64).into(),
            (paging.offset() as i64).into(),
        ],
    )
    .await?;
    let ids = ids
        .iter()
        .map(|r| r.try_get::<Uuid>("", "id"))
        .collect::<Result<Vec<_>, _>>()?;
    let items = paths(&state.db, &ids, user.map(|u| u.id)).await?;
    Ok(paging.wrap(items, total as u64))
}

pub async fn create_path(
    state: &AppState,
    user: &Actor,
    client: &RequestMeta,
    req: CreatePathRequest,
) -> AppResult<PathResponse> {
    let scope = crate::modules::orgs::publishing_scope(state, user, req.organization_id).await?;
    crate::authz::require(state, user, "course:create", scope).await?;
    let mut errors = Vec::new();
    check_name("#/title", &req.title, 200, &mut errors);
    let slug = req
        .slug
        .clone()
        .map(Line::into_string)
        .unwrap_or_else(|| slugify(&req.title));
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
        let published = course_row(&state.db, c.course_id)
            .await
            .is_ok_and(|c| c.status == "published");
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
    let id = Uuid::now_v7();
    let txn = state.db.begin().await?;
    let inserted = db::exec(
        &txn,
        "INSERT INTO learning_paths (id, title, slug, description, organization_id, created_by) \
         VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (slug) DO NOTHING",
        [
            id.into(),
            req.title.trim().to_owned().into(),
            slug.clone().into(),
            req.description.trim().to_owned().into(),
            req.organization_id.into(),
            user.id.into(),
        ],
    )
    .await?;
    if inserted.rows_affected() == 0 {
        return Err(slug_taken(&slug));
    }
    for (i, c) in req.courses.iter().enumerate() {
        db::exec(
            &txn,
            "INSERT INTO learning_path_courses (path_id, course_id, position, required) VALUES ($1, $2, $3, $4)",
            [
                id.into(),
                c.course_id.into(),
                (i as i32).into(),
                c.required.unwrap_or(true).into(),
            ],
        )
        .await?;
    }
    let out = path(&txn, id, Some(user.id)).await?;
    audit::record(
        &txn,
        AuditEvent::new(Some(user.id), "path.create", "learning_path", Some(id.to_string()))
            .details(json!({"title": req.title.trim(), "courses": req.courses.iter().map(|c| c.course_id).collect::<Vec<_>>()})),
        client,
    )
    .await?;
    txn.commit().await?;
    Ok(out)
}

pub async fn enroll_path(
    state: &AppState,
    user: &Actor,
    client: &RequestMeta,
    id: Uuid,
) -> AppResult<PathEnrollResponse> {
    path(&state.db, id, None).await?;
    crate::authz::require(state, user, "course:enroll", Scope::Global).await?;
    let txn = state.db.begin().await?;
    let inserted = db::exec(
        &txn,
        "INSERT INTO learning_path_enrollments (id, path_id, user_id) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
        [Uuid::now_v7().into(), id.into(), user.id.into()],
    )
    .await?;
    if inserted.rows_affected() == 0 {
        return Err(AppError::new(
            ErrorCode::AlreadyEnrolled,
            "you are already enrolled in this learning path",
        ));
    }
    // Lock order: every course row of the path (in id order) before any wallet or the audit
    // chain, which the first payment takes.
    db::exec(
        &txn,
        "SELECT c.id FROM courses c JOIN learning_path_courses pc ON pc.course_id = c.id \
         WHERE pc.path_id = $1 ORDER BY c.id FOR UPDATE OF c",
        [id.into()],
    )
    .await?;
    let steps = path(&txn, id, Some(user.id)).await?.courses;
    let mut enrollments = Vec::new();
    for step in steps {
        match step.enrollment_status.as_deref() {
            Some("completed") => continue,
            Some("active") => {
                if step.required {
                    break;
                }
                continue;
            }
            _ => {}
        }
        let course = course_row(&txn, step.course_id).await?;
        if course.status != "published" {
            // An archived step takes no one; the path goes on with the next.
            continue;
        }
        enrollments.push(enroll_in(&txn, user.id, &course, Some(id)).await?);
        if step.required {
            break;
        }
    }
    let out = path(&txn, id, Some(user.id)).await?;
    audit::record(
        &txn,
        AuditEvent::new(
            Some(user.id),
            "path.enroll",
            "learning_path",
            Some(id.to_string()),
        )
        .details(json!({"enrollments": enrollments.iter().map(|e| e.id).collect::<Vec<_>>()})),
        client,
    )
    .await?;
    txn.commit().await?;
    Ok(PathEnrollResponse {
        path: out,
        enrollments,
    })
}
