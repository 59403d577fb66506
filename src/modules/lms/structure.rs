//! Course structure: modules and lessons, kept in gap-free order (`position` 0..n-1 within the
//! parent). Every edit locks the course row, so concurrent edits of one course serialise;
//! positions are unique per parent, checked at the end of each statement, so a move or a
//! reorder is one UPDATE.

use sea_orm::{ConnectionTrait, DatabaseTransaction, TransactionTrait};
use serde_json::json;
use uuid::Uuid;

use super::catalog::{self, CourseRow, course_for, lock_course, outline, visible_course};
use super::dto::{
    CreateLessonRequest, CreateModuleRequest, LessonResponse, ModuleResponse, ReorderRequest,
    UpdateLessonRequest, UpdateModuleRequest,
};
use super::learning;
use crate::db;
use crate::modules::audit::{self, AuditEvent};
use crate::positions::Siblings;
use crate::state::AppState;
use kernel::text::check_name;
use kernel::{Actor, RequestMeta};
use kernel::{AppError, AppResult, ErrorCode, FieldError};

pub const LESSON_KINDS: [&str; 6] = [
    "text",
    "video",
    "audio",
    "interactive",
    "quiz",
    "assignment",
];

// ------------------------------------------------------------------ modules

struct ModuleRow {
    course_id: Uuid,
    position: i32,
}

async fn module_row(db: &impl ConnectionTrait, id: Uuid) -> AppResult<ModuleRow> {
    let r = db::one(
        db,
        "SELECT course_id, position FROM course_modules WHERE id = $1",
        [id.into()],
    )
    .await?
    .ok_or_else(|| AppError::not_found("module"))?;
    Ok(ModuleRow {
        course_id: r.try_get("", "course_id")?,
        position: r.try_get("", "position")?,
    })
}

async fn module_response(
    db: &impl ConnectionTrait,
    course: Uuid,
    id: Uuid,
) -> AppResult<ModuleResponse> {
    outline(db, course)
        .await?
        .into_iter()
        .find(|m| m.id == id)
        .ok_or_else(|| AppError::not_found("module"))
}

fn check_title(title: &str, errors: &mut Vec<FieldError>) {
    check_name("#/title", title, 200, errors);
}

pub async fn create_module(
    state: &AppState,
    user: &Actor,
    client: &RequestMeta,
    course_id: Uuid,
    req: CreateModuleRequest,
) -> AppResult<ModuleResponse> {
    course_for(state, user, course_id, "course:update").await?;
    let mut errors = Vec::new();
    check_title(&req.title, &mut errors);
    if !errors.is_empty() {
        return Err(AppError::validation(errors));
    }
    let txn = state.db.begin().await?;
    lock_course(&txn, course_id).await?;
    let position = Siblings::MODULES
        .make_room(&txn, course_id, req.position)
        .await?;
    let id = Uuid::now_v7();
    db::exec(
        &txn,
        "INSERT INTO course_modules (id, course_id, title, description, position) VALUES ($1, $2, $3, $4, $5)",
        [
            id.into(),
            course_id.into(),
            req.title.trim().to_owned().into(),
            req.description.trim().to_owned().into(),
            position.into(),
        ],
    )
    .await?;
    touch(&txn, course_id).await?;
    let module = module_response(&txn, course_id, id).await?;
    audit::record(
        &txn,
        AuditEvent::new(
            Some(user.id),
            "course.module_create",
            "course_module",
            Some(id.to_string()),
        )
        .details(json!({"course_id": course_id, "title": req.title.trim(), "position": position})),
        client,
    )
    .await?;
    txn.commit().await?;
    Ok(module)
}

pub async fn update_module(
    state: &AppState,
    user: &Actor,
    client: &RequestMeta,
    id: Uuid,
    req: UpdateModuleRequest,
) -> AppResult<ModuleResponse> {
    let m = module_row(&state.db, id).await?;
    course_for(state, user, m.course_id, "course:update").await?;
    let mut errors = Vec::new();
    if let Some(t) = &req.title {
        check_title(t, &mut errors);
    }
    if !errors.is_empty() {
        return Err(AppError::validation(errors));
    }
    let txn = state.db.begin().await?;
    lock_course(&txn, m.course_id).await?;
    let m = module_row(&txn, id).await?;
    if let Some(to) = req.position {
        Siblings::MODULES
            .move_to(&txn, m.course_id, id, m.position, to)
            .await?;
    }
    db::exec(
        &txn,
        "UPDATE course_modules SET title = coalesce($2, title), description = coalesce($3, description), \
         updated_at = now() WHERE id = $1",
        [
            id.into(),
            req.title.as_ref().map(|t| t.trim().to_owned()).into(),
            req.description.clone().into(),
        ],
    )
    .await?;
    touch(&txn, m.course_id).await?;
    let module = module_response(&txn, m.course_id, id).await?;
    audit::record(
        &txn,
        AuditEvent::new(
            Some(user.id),
            "course.module_update",
            "course_module",
            Some(id.to_string()),
        )
        .details(json!({"course_id": m.course_id, "title": req.title, "position": req.position})),
        client,
    )
    .await?;
    txn.commit().await?;
    Ok(module)
}

pub async fn delete_module(
    state: &AppState,
    user: &Actor,
    client: &RequestMeta,
    id: Uuid,
) -> AppResult<()> {
    let m = module_row(&state.db, id).await?;
    course_for(state, user, m.course_id, "course:update").await?;
    let txn = state.db.begin().await?;
    lock_course(&txn, m.course_id).await?;
    let m = module_row(&txn, id).await?;
    db::exec(
        &txn,
        "DELETE FROM course_modules WHERE id = $1",
        [id.into()],
    )
    .await?;
    Siblings::MODULES
        .close_gap(&txn, m.course_id, m.position)
        .await?;
    learning::recompute_progress(&txn, state, m.course_id).await?;
    touch(&txn, m.course_id).await?;
    audit::record(
        &txn,
        AuditEvent::new(
            Some(user.id),
            "course.module_delete",
            "course_module",
            Some(id.to_string()),
        )
        .details(json!({"course_id": m.course_id})),
        client,
    )
    .await?;
    txn.commit().await?;
    Ok(())
}

pub async fn reorder_modules(
    state: &AppState,
    user: &Actor,
    client: &RequestMeta,
    course_id: Uuid,
    req: ReorderRequest,
) -> AppResult<Vec<ModuleResponse>> {
    course_for(state, user, course_id, "course:update").await?;
    let txn = state.db.begin().await?;
    lock_course(&txn, course_id).await?;
    Siblings::MODULES.reorder(&txn, course_id, &req.ids).await?;
    touch(&txn, course_id).await?;
    let modules = outline(&txn, course_id).await?;
    audit::record(
        &txn,
        AuditEvent::new(
            Some(user.id),
            "course.module_reorder",
            "course",
            Some(course_id.to_string()),
        )
        .details(json!({"ids": req.ids})),
        client,
    )
    .await?;
    txn.commit().await?;
    Ok(modules)
}

// ------------------------------------------------------------------ lessons

const LESSON_COLUMNS: &str = "l.id, l.course_id, l.module_id, l.title, l.kind, l.content, l.media_url, \
    l.duration_minutes, l.preview, l.required, l.position, l.created_at, l.updated_at";

/// Where a lesson sits.
pub struct LessonRow {
    pub id: Uuid,
    pub course_id: Uuid,
    pub module_id: Uuid,
    pub title: String,
    pub position: i32,
    pub preview: bool,
}

pub async fn lesson_row(db: &impl ConnectionTrait, id: Uuid) -> AppResult<LessonRow> {
    let r = db::one(
        db,
        "SELECT id, course_id, module_id, title, position, preview FROM lessons WHERE id = $1",
        [id.into()],
    )
    .await?
    .ok_or_else(|| AppError::not_found("lesson"))?;
    Ok(LessonRow {
        id: r.try_get("", "id")?,
        course_id: r.try_get("", "course_id")?,
        module_id: r.try_get("", "module_id")?,
        title: r.try_get("", "title")?,
        position: r.try_get("", "position")?,
        preview: r.try_get("", "preview")?,
    })
}

async fn lesson_response(
    db: &impl ConnectionTrait,
    id: Uuid,
    viewer: Option<Uuid>,
) -> AppResult<LessonResponse> {
    let r = db::one(
        db,
        format!(
            "SELECT {LESSON_COLUMNS}, EXISTS (SELECT 1 FROM lesson_bookmarks b WHERE b.lesson_id = l.id AND b.user_id = $2) AS bookmarked \
             FROM lessons l WHERE l.id = $1"
        ),
        [id.into(), viewer.into()],
    )
    .await?
    .ok_or_else(|| AppError::not_found("lesson"))?;
    Ok(LessonResponse {
        id: r.try_get("", "id")?,
        course_id: r.try_get("", "course_id")?,
        module_id: r.try_get("", "module_id")?,
        title: r.try_get("", "title")?,
        kind: r.try_get("", "kind")?,
        content: r.try_get("", "content")?,
        media_url: r.try_get("", "media_url")?,
        duration_minutes: r.try_get("", "duration_minutes")?,
        preview: r.try_get("", "preview")?,
        required: r.try_get("", "required")?,
        position: r.try_get("", "position")?,
        bookmarked: r.try_get("", "bookmarked")?,
        created_at: r.try_get("", "created_at")?,
        updated_at: r.try_get("", "updated_at")?,
    })
}

fn check_lesson(
    title: Option<&str>,
    kind: Option<&str>,
    content: Option<&str>,
    media_url: Option<&str>,
    duration: Option<i32>,
    errors: &mut Vec<FieldError>,
) {
    if let Some(t) = title {
        check_title(t, errors);
    }
    if let Some(kind) = kind
        && !LESSON_KINDS.contains(&kind)
    {
        errors.push(FieldError::new(
            "#/kind",
            "one of text, video, audio, interactive, quiz, assignment",
        ));
    }
    if let Some(url) = media_url
        && !kernel::text::is_http_url(url)
    {
        errors.push(FieldError::new("#/media_url", "must be an http(s) URL"));
    }
    if content.is_some_and(|c| c.len() > 200_000) {
        errors.push(FieldError::new("#/content", "at most 200000 bytes"));
    }
    if duration.is_some_and(|d| !(0..=100_000).contains(&d)) {
        errors.push(FieldError::new("#/duration_minutes", "0 to 100000"));
    }
}

/// Text-like lessons need content or media; quiz and assignment lessons may point elsewhere.
fn check_has_material(kind: &str, content: &str, media_url: Option<&str>) -> AppResult<()> {
    if matches!(kind, "quiz" | "assignment") || !content.trim().is_empty() || media_url.is_some() {
        return Ok(());
    }
    Err(AppError::validation(vec![FieldError::new(
        "#/content",
        "give the lesson content or a media_url",
    )]))
}

pub async fn create_lesson(
    state: &AppState,
    user: &Actor,
    client: &RequestMeta,
    module_id: Uuid,
    req: CreateLessonRequest,
) -> AppResult<LessonResponse> {
    let m = module_row(&state.db, module_id).await?;
    course_for(state, user, m.course_id, "course:update").await?;
    let mut errors = Vec::new();
    check_lesson(
        Some(&req.title),
        Some(req.kind.as_str()),
        Some(&req.content),
        req.media_url.as_deref(),
        Some(req.duration_minutes),
        &mut errors,
    );
    if !errors.is_empty() {
        return Err(AppError::validation(errors));
    }
    check_has_material(req.kind.as_str(), &req.content, req.media_url.as_deref())?;
    let txn = state.db.begin().await?;
    lock_course(&txn, m.course_id).await?;
    module_row(&txn, module_id).await?;
    let position = Siblings::LESSONS
        .make_room(&txn, module_id, req.position)
        .await?;
    let id = Uuid::now_v7();
    db::exec(
        &txn,
        "INSERT INTO lessons (id, module_id, course_id, title, kind, content, media_url, duration_minutes, preview, required, position) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
        [
            id.into(),
            module_id.into(),
            m.course_id.into(),
            req.title.trim().to_owned().into(),
            req.kind.clone().into(),
            req.content.clone().into(),
            req.media_url.clone().into(),
            req.duration_minutes.into(),
            req.preview.into(),
            req.required.unwrap_or(true).into(),
            position.into(),
        ],
    )
    .await?;
    learning::recompute_progress(&txn, state, m.course_id).await?;
    touch(&txn, m.course_id).await?;
    let lesson = lesson_response(&txn, id, Some(user.id)).await?;
    audit::record(
        &txn,
        AuditEvent::new(Some(user.id), "course.lesson_create", "lesson", Some(id.to_string()))
            .details(json!({"course_id": m.course_id, "module_id": module_id, "kind": req.kind, "position": position})),
        client,
    )
    .await?;
    txn.commit().await?;
    Ok(lesson)
}

/// Whether `user` may read the lesson's content: its staff, enrolled learners, and anyone for
/// previews of public courses. 404 if the course is hidden, 403 `enrollment_required` otherwise.
pub async fn readable_lesson(
    state: &AppState,
    user: Option<&Actor>,
    id: Uuid,
) -> AppResult<(LessonRow, CourseRow)> {
    let lesson = lesson_row(&state.db, id).await?;
    let course = visible_course(state, user, lesson.course_id).await?;
    if lesson.preview && course.is_public() {
        return Ok((lesson, course));
    }
    if let Some(user) = user {
        if catalog::is_staff(state, user, &course).await? {
            return Ok((lesson, course));
        }
        if learning::live_enrollment(&state.db, user.id, course.id)
            .await?
            .is_some()
        {
            return Ok((lesson, course));
        }
    }
    Err(AppError::new(
        ErrorCode::EnrollmentRequired,
        "enroll in the course to read this lesson",
    ))
}

pub async fn get_lesson(
    state: &AppState,
    user: Option<&Actor>,
    id: Uuid,
) -> AppResult<LessonResponse> {
    readable_lesson(state, user, id).await?;
    lesson_response(&state.db, id, user.map(|u| u.id)).await
}

pub async fn update_lesson(
    state: &AppState,
    user: &Actor,
    client: &RequestMeta,
    id: Uuid,
    req: UpdateLessonRequest,
) -> AppResult<LessonResponse> {
    let lesson = lesson_row(&state.db, id).await?;
    course_for(state, user, lesson.course_id, "course:update").await?;
    let mut errors = Vec::new();
    check_lesson(
        req.title.as_deref(),
        req.kind.as_deref(),
        req.content.as_deref(),
        req.media_url.clone().flatten().as_deref(),
        req.duration_minutes,
        &mut errors,
    );
    if !errors.is_empty() {
        return Err(AppError::validation(errors));
    }
    let txn = state.db.begin().await?;
    lock_course(&txn, lesson.course_id).await?;
    let lesson = lesson_row(&txn, id).await?;
    if let Some(to) = req.position {
        Siblings::LESSONS
            .move_to(&txn, lesson.module_id, id, lesson.position, to)
            .await?;
    }
    db::exec(
        &txn,
        "UPDATE lessons SET title = coalesce($2, title), kind = coalesce($3, kind), content = coalesce($4, content), \
         media_url = CASE WHEN $5 THEN $6 ELSE media_url END, duration_minutes = coalesce($7, duration_minutes), \
         preview = coalesce($8, preview), required = coalesce($9, required), updated_at = now() WHERE id = $1",
        [
            id.into(),
            req.title.as_ref().map(|t| t.trim().to_owned()).into(),
            req.kind.clone().into(),
            req.content.clone().into(),
            req.media_url.is_some().into(),
            req.media_url.clone().flatten().into(),
            req.duration_minutes.into(),
            req.preview.into(),
            req.required.into(),
        ],
    )
    .await?;
    let after = lesson_response(&txn, id, Some(user.id)).await?;
    check_has_material(&after.kind, &after.content, after.media_url.as_deref())?;
    if req.required.is_some() {
        learning::recompute_progress(&txn, state, lesson.course_id).await?;
    }
    touch(&txn, lesson.course_id).await?;
    audit::record(
        &txn,
        AuditEvent::new(
            Some(user.id),
            "course.lesson_update",
            "lesson",
            Some(id.to_string()),
        )
        .details(json!({"course_id": lesson.course_id})),
        client,
    )
    .await?;
    txn.commit().await?;
    Ok(after)
}

pub async fn delete_lesson(
    state: &AppState,
    user: &Actor,
    client: &RequestMeta,
    id: Uuid,
) -> AppResult<()> {
    let lesson = lesson_row(&state.db, id).await?;
    course_for(state, user, lesson.course_id, "course:update").await?;
    let txn = state.db.begin().await?;
    lock_course(&txn, lesson.course_id).await?;
    let lesson = lesson_row(&txn, id).await?;
    db::exec(&txn, "DELETE FROM lessons WHERE id = $1", [id.into()]).await?;
    Siblings::LESSONS
        .close_gap(&txn, lesson.module_id, lesson.position)
        .await?;
    learning::recompute_progress(&txn, state, lesson.course_id).await?;
    touch(&txn, lesson.course_id).await?;
    audit::record(
        &txn,
        AuditEvent::new(
            Some(user.id),
            "course.lesson_delete",
            "lesson",
            Some(id.to_string()),
        )
        .details(json!({"course_id": lesson.course_id, "title": lesson.title})),
        client,
    )
    .await?;
    txn.commit().await?;
    Ok(())
}

pub async fn reorder_lessons(
    state: &AppState,
    user: &Actor,
    client: &RequestMeta,
    module_id: Uuid,
    req: ReorderRequest,
) -> AppResult<ModuleResponse> {
    let m = module_row(&state.db, module_id).await?;
    course_for(state, user, m.course_id, "course:update").await?;
    let txn = state.db.begin().await?;
    lock_course(&txn, m.course_id).await?;
    Siblings::LESSONS.reorder(&txn, module_id, &req.ids).await?;
    touch(&txn, m.course_id).await?;
    let module = module_response(&txn, m.course_id, module_id).await?;
    audit::record(
        &txn,
        AuditEvent::new(
            Some(user.id),
            "course.lesson_reorder",
            "course_module",
            Some(module_id.to_string()),
        )
        .details(json!({"ids": req.ids})),
        client,
    )
    .await?;
    txn.commit().await?;
    Ok(module)
}

async fn touch(txn: &DatabaseTransaction, course_id: Uuid) -> AppResult<()> {
    db::exec(
        txn,
        "UPDATE courses SET updated_at = now() WHERE id = $1",
        [course_id.into()],
    )
    .await?;
    Ok(())
}
