//! Course structure: modules and lessons, kept in gap-free order (`position` 0..n-1 within the
//! parent). Every edit locks the course row, so concurrent edits of one course serialise;
//! positions are unique per parent, checked at the end of each statement, so a move or a
//! reorder is one UPDATE. Edits that change which lessons count recompute the learners'
//! progress (and may complete their enrollments). Who may read a lesson is decided here too.

use entity::{course_modules, courses, lessons};
use kernel::enums::{Choice, LessonKind};
use kernel::text::check_name;
use kernel::{Actor, AppError, AppResult, ErrorCode, FieldError, RequestMeta, db};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseTransaction, EntityTrait, QueryFilter,
    Set, TransactionTrait,
};
use serde_json::json;
use uuid::Uuid;

use super::access::{
    CourseRow, LessonRow, course_for, is_staff, lesson_row, lock_course, visible_course,
};
use super::catalog::outline;
use super::dto::{
    CreateLessonRequest, CreateModuleRequest, LessonResponse, ModuleResponse, ReorderRequest,
    UpdateLessonRequest, UpdateModuleRequest,
};
use super::enrollments::live_enrollment;
use super::progress::recompute_progress;
use crate::modules::audit::{self, AuditEvent};
use crate::positions::Siblings;
use crate::state::AppState;

// ------------------------------------------------------------------ modules

async fn module_row(db: &impl ConnectionTrait, id: Uuid) -> AppResult<course_modules::Model> {
    course_modules::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or_else(|| AppError::not_found("module"))
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

/// Marks the course as edited.
async fn touch(txn: &DatabaseTransaction, course_id: Uuid) -> AppResult<()> {
    courses::Entity::update_many()
        .col_expr(courses::Column::UpdatedAt, Expr::current_timestamp())
        .filter(courses::Column::Id.eq(course_id))
        .exec(txn)
        .await?;
    Ok(())
}

pub async fn create_module(
    state: &AppState,
    actor: &Actor,
    meta: &RequestMeta,
    course_id: Uuid,
    req: CreateModuleRequest,
) -> AppResult<ModuleResponse> {
    course_for(state, actor, course_id, "course:update").await?;
    let txn = state.db.begin().await?;
    let module = create_module_in(&txn, actor, meta, course_id, req).await?;
    txn.commit().await?;
    Ok(module)
}

/// Adds a module to the course (at the end unless a position is given; later modules move
/// down), audited.
pub async fn create_module_in(
    txn: &DatabaseTransaction,
    actor: &Actor,
    meta: &RequestMeta,
    course_id: Uuid,
    req: CreateModuleRequest,
) -> AppResult<ModuleResponse> {
    let mut errors = Vec::new();
    check_title(&req.title, &mut errors);
    if !errors.is_empty() {
        return Err(AppError::validation(errors));
    }
    lock_course(txn, course_id).await?;
    let position = Siblings::MODULES
        .make_room(txn, course_id, req.position)
        .await?;
    let id = Uuid::now_v7();
    course_modules::ActiveModel {
        id: Set(id),
        course_id: Set(course_id),
        title: Set(req.title.trim().to_owned()),
        description: Set(req.description.trim().to_owned()),
        position: Set(position),
        ..Default::default()
    }
    .insert(txn)
    .await?;
    touch(txn, course_id).await?;
    let module = module_response(txn, course_id, id).await?;
    audit::record(
        txn,
        AuditEvent::new(
            Some(actor.id),
            "course.module_create",
            "course_module",
            Some(id.to_string()),
        )
        .details(json!({"course_id": course_id, "title": req.title.trim(), "position": position})),
        meta,
    )
    .await?;
    Ok(module)
}

pub async fn update_module(
    state: &AppState,
    actor: &Actor,
    meta: &RequestMeta,
    id: Uuid,
    req: UpdateModuleRequest,
) -> AppResult<ModuleResponse> {
    let m = module_row(&state.db, id).await?;
    course_for(state, actor, m.course_id, "course:update").await?;
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
    let mut module = course_modules::ActiveModel {
        id: Set(id),
        updated_at: Set(chrono::Utc::now()),
        ..Default::default()
    };
    if let Some(title) = &req.title {
        module.title = Set(title.trim().to_owned());
    }
    if let Some(description) = &req.description {
        module.description = Set(description.to_string());
    }
    module.update(&txn).await?;
    touch(&txn, m.course_id).await?;
    let module = module_response(&txn, m.course_id, id).await?;
    audit::record(
        &txn,
        AuditEvent::new(
            Some(actor.id),
            "course.module_update",
            "course_module",
            Some(id.to_string()),
        )
        .details(json!({"course_id": m.course_id, "title": req.title, "position": req.position})),
        meta,
    )
    .await?;
    txn.commit().await?;
    Ok(module)
}

pub async fn delete_module(
    state: &AppState,
    actor: &Actor,
    meta: &RequestMeta,
    id: Uuid,
) -> AppResult<()> {
    let m = module_row(&state.db, id).await?;
    course_for(state, actor, m.course_id, "course:update").await?;
    let txn = state.db.begin().await?;
    lock_course(&txn, m.course_id).await?;
    let m = module_row(&txn, id).await?;
    course_modules::Entity::delete_by_id(id).exec(&txn).await?;
    Siblings::MODULES
        .close_gap(&txn, m.course_id, m.position)
        .await?;
    recompute_progress(&txn, state, m.course_id).await?;
    touch(&txn, m.course_id).await?;
    audit::record(
        &txn,
        AuditEvent::new(
            Some(actor.id),
            "course.module_delete",
            "course_module",
            Some(id.to_string()),
        )
        .details(json!({"course_id": m.course_id})),
        meta,
    )
    .await?;
    txn.commit().await?;
    Ok(())
}

pub async fn reorder_modules(
    state: &AppState,
    actor: &Actor,
    meta: &RequestMeta,
    course_id: Uuid,
    req: ReorderRequest,
) -> AppResult<Vec<ModuleResponse>> {
    course_for(state, actor, course_id, "course:update").await?;
    let txn = state.db.begin().await?;
    lock_course(&txn, course_id).await?;
    Siblings::MODULES.reorder(&txn, course_id, &req.ids).await?;
    touch(&txn, course_id).await?;
    let modules = outline(&txn, course_id).await?;
    audit::record(
        &txn,
        AuditEvent::new(
            Some(actor.id),
            "course.module_reorder",
            "course",
            Some(course_id.to_string()),
        )
        .details(json!({"ids": req.ids})),
        meta,
    )
    .await?;
    txn.commit().await?;
    Ok(modules)
}

// ------------------------------------------------------------------ lessons

/// A lesson with its content, and whether the viewer (`$2`) bookmarked it.
async fn lesson_response(
    db: &impl ConnectionTrait,
    id: Uuid,
    viewer: Option<Uuid>,
) -> AppResult<LessonResponse> {
    db::row(
        db,
        "SELECT l.id, l.course_id, l.module_id, l.title, l.kind, l.content, l.media_url, \
           l.duration_minutes, l.preview, l.required, l.position, l.created_at, l.updated_at, \
           EXISTS (SELECT 1 FROM lesson_bookmarks b WHERE b.lesson_id = l.id AND b.user_id = $2) AS bookmarked \
         FROM lessons l WHERE l.id = $1",
        [id.into(), viewer.into()],
    )
    .await?
    .ok_or_else(|| AppError::not_found("lesson"))
}

/// Checks the given fields of a lesson write; answers the kind, if given and valid.
fn check_lesson(
    title: Option<&str>,
    kind: Option<&Choice<LessonKind>>,
    content: Option<&str>,
    media_url: Option<&str>,
    duration: Option<i32>,
    errors: &mut Vec<FieldError>,
) -> Option<LessonKind> {
    if let Some(t) = title {
        check_title(t, errors);
    }
    let kind = kind.and_then(|k| k.check("#/kind", errors));
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
    kind
}

/// Text-like lessons need content or media; quiz and assignment lessons may point elsewhere.
fn check_has_material(kind: LessonKind, content: &str, media_url: Option<&str>) -> AppResult<()> {
    if matches!(kind, LessonKind::Quiz | LessonKind::Assignment)
        || !content.trim().is_empty()
        || media_url.is_some()
    {
        return Ok(());
    }
    Err(AppError::field(
        "#/content",
        "give the lesson content or a media_url",
    ))
}

pub async fn create_lesson(
    state: &AppState,
    actor: &Actor,
    meta: &RequestMeta,
    module_id: Uuid,
    req: CreateLessonRequest,
) -> AppResult<LessonResponse> {
    let m = module_row(&state.db, module_id).await?;
    course_for(state, actor, m.course_id, "course:update").await?;
    let txn = state.db.begin().await?;
    let lesson = create_lesson_in(state, &txn, actor, meta, module_id, req).await?;
    txn.commit().await?;
    Ok(lesson)
}

/// Adds a lesson to module `module_id` (at the end unless a position is given; later lessons
/// move down) and recomputes the learners' progress, audited.
pub async fn create_lesson_in(
    state: &AppState,
    txn: &DatabaseTransaction,
    actor: &Actor,
    meta: &RequestMeta,
    module_id: Uuid,
    req: CreateLessonRequest,
) -> AppResult<LessonResponse> {
    let m = module_row(txn, module_id).await?;
    let mut errors = Vec::new();
    let kind = check_lesson(
        Some(&req.title),
        Some(&req.kind),
        Some(&req.content),
        req.media_url.as_deref(),
        Some(req.duration_minutes),
        &mut errors,
    );
    let Some(kind) = kind.filter(|_| errors.is_empty()) else {
        return Err(AppError::validation(errors));
    };
    check_has_material(kind, &req.content, req.media_url.as_deref())?;
    lock_course(txn, m.course_id).await?;
    module_row(txn, module_id).await?;
    let position = Siblings::LESSONS
        .make_room(txn, module_id, req.position)
        .await?;
    let id = Uuid::now_v7();
    lessons::ActiveModel {
        id: Set(id),
        module_id: Set(module_id),
        course_id: Set(m.course_id),
        title: Set(req.title.trim().to_owned()),
        kind: Set(kind),
        content: Set(req.content.to_string()),
        media_url: Set(req.media_url.as_ref().map(|u| u.to_string())),
        duration_minutes: Set(req.duration_minutes),
        preview: Set(req.preview),
        required: Set(req.required.unwrap_or(true)),
        position: Set(position),
        ..Default::default()
    }
    .insert(txn)
    .await?;
    recompute_progress(txn, state, m.course_id).await?;
    touch(txn, m.course_id).await?;
    let lesson = lesson_response(txn, id, Some(actor.id)).await?;
    audit::record(
        txn,
        AuditEvent::new(Some(actor.id), "course.lesson_create", "lesson", Some(id.to_string()))
            .details(json!({"course_id": m.course_id, "module_id": module_id, "kind": kind, "position": position})),
        meta,
    )
    .await?;
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
        if is_staff(state, user, &course).await? {
            return Ok((lesson, course));
        }
        if live_enrollment(&state.db, user.id, course.id)
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
    actor: &Actor,
    meta: &RequestMeta,
    id: Uuid,
    req: UpdateLessonRequest,
) -> AppResult<LessonResponse> {
    let lesson = lesson_row(&state.db, id).await?;
    course_for(state, actor, lesson.course_id, "course:update").await?;
    let mut errors = Vec::new();
    let kind = check_lesson(
        req.title.as_deref(),
        req.kind.as_ref(),
        req.content.as_deref(),
        req.media_url.as_ref().and_then(|u| u.as_deref()),
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
    let mut change = lessons::ActiveModel {
        id: Set(id),
        updated_at: Set(chrono::Utc::now()),
        ..Default::default()
    };
    if let Some(title) = &req.title {
        change.title = Set(title.trim().to_owned());
    }
    if let Some(kind) = kind {
        change.kind = Set(kind);
    }
    if let Some(content) = &req.content {
        change.content = Set(content.to_string());
    }
    if let Some(media_url) = &req.media_url {
        change.media_url = Set(media_url.as_ref().map(|u| u.to_string()));
    }
    if let Some(duration) = req.duration_minutes {
        change.duration_minutes = Set(duration);
    }
    if let Some(preview) = req.preview {
        change.preview = Set(preview);
    }
    if let Some(required) = req.required {
        change.required = Set(required);
    }
    let updated = change.update(&txn).await?;
    check_has_material(updated.kind, &updated.content, updated.media_url.as_deref())?;
    let after = lesson_response(&txn, id, Some(actor.id)).await?;
    if req.required.is_some() {
        recompute_progress(&txn, state, lesson.course_id).await?;
    }
    touch(&txn, lesson.course_id).await?;
    audit::record(
        &txn,
        AuditEvent::new(
            Some(actor.id),
            "course.lesson_update",
            "lesson",
            Some(id.to_string()),
        )
        .details(json!({"course_id": lesson.course_id})),
        meta,
    )
    .await?;
    txn.commit().await?;
    Ok(after)
}

pub async fn delete_lesson(
    state: &AppState,
    actor: &Actor,
    meta: &RequestMeta,
    id: Uuid,
) -> AppResult<()> {
    let lesson = lesson_row(&state.db, id).await?;
    course_for(state, actor, lesson.course_id, "course:update").await?;
    let txn = state.db.begin().await?;
    lock_course(&txn, lesson.course_id).await?;
    let lesson = lesson_row(&txn, id).await?;
    lessons::Entity::delete_by_id(id).exec(&txn).await?;
    Siblings::LESSONS
        .close_gap(&txn, lesson.module_id, lesson.position)
        .await?;
    recompute_progress(&txn, state, lesson.course_id).await?;
    touch(&txn, lesson.course_id).await?;
    audit::record(
        &txn,
        AuditEvent::new(
            Some(actor.id),
            "course.lesson_delete",
            "lesson",
            Some(id.to_string()),
        )
        .details(json!({"course_id": lesson.course_id, "title": lesson.title})),
        meta,
    )
    .await?;
    txn.commit().await?;
    Ok(())
}

pub async fn reorder_lessons(
    state: &AppState,
    actor: &Actor,
    meta: &RequestMeta,
    module_id: Uuid,
    req: ReorderRequest,
) -> AppResult<ModuleResponse> {
    let m = module_row(&state.db, module_id).await?;
    course_for(state, actor, m.course_id, "course:update").await?;
    let txn = state.db.begin().await?;
    lock_course(&txn, m.course_id).await?;
    Siblings::LESSONS.reorder(&txn, module_id, &req.ids).await?;
    touch(&txn, m.course_id).await?;
    let module = module_response(&txn, m.course_id, module_id).await?;
    audit::record(
        &txn,
        AuditEvent::new(
            Some(actor.id),
            "course.lesson_reorder",
            "course_module",
            Some(module_id.to_string()),
        )
        .details(json!({"ids": req.ids})),
        meta,
    )
    .await?;
    txn.commit().await?;
    Ok(module)
}
