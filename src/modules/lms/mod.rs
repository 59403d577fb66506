//! `lms`: the catalog and learning. Categories (a tree) and tags; courses with their status
//! workflow (draft -> under_review -> published -> archived), instructors, prerequisites (no
//! cycles), modules and lessons in gap-free order; enrollments (paid through the wallet in the
//! same transaction), lesson progress, completion (exactly once, rewarded once, announced as a
//! domain event), bookmarks, reviews, analytics and learning paths.
//!
//! Owns `categories`, `tags`, `courses`, `course_categories`, `course_tags`,
//! `course_instructors`, `course_prerequisites`, `course_modules`, `lessons`, `enrollments`,
//! `lesson_progress`, `lesson_bookmarks`, `course_reviews`, `learning_paths`,
//! `learning_path_courses` and `learning_path_enrollments`; publishes `CourseCompleted`.
//! Rules: drafts are visible to their staff only (404 for others); editing needs
//! `course:update` in the course's scope (its `course_instructor`s, organization admins,
//! admins); publishing needs `course:publish`; slugs of categories, courses and paths are
//! unique (409 `slug_taken`); every state change is audited in its transaction. Lesson
//! position pings and bookmarks are not audited (personal, frequent).
//!
//! Files, each depending only on those listed before it: `access` (course and lesson facts,
//! visibility, the course row lock), `categories`, `prerequisites`, `catalog` (course reads:
//! search, teaching list, detail), `instructors`, `courses` (writes and workflow),
//! `enrollments`, `progress` (progress and completion), `structure` (modules and lessons; its
//! edits recompute progress), `community` (reviews, bookmarks, analytics), `paths`, `seed`
//! (with its data, `demo_catalog`); `routes` (the handlers) and `dto` serve them all.

mod access;
mod catalog;
mod categories;
mod community;
mod courses;
mod demo_catalog;
mod dto;
mod enrollments;
mod instructors;
mod paths;
mod prerequisites;
mod progress;
mod routes;
mod seed;
mod structure;

pub use access::{
    CourseRow, STAFF_PERMISSIONS, course_for, course_row, is_staff, is_staff_in, lock_course,
    visible_course,
};
pub use catalog::search_sql;
pub use enrollments::{live_enrollment, lock_live_enrollment};
pub use progress::{Refreshed, complete_lesson_for, recheck_completion, refresh_enrollment};
pub use seed::seed_demo;

use futures_util::future::BoxFuture;
use kernel::{AppResult, Scope};
use sea_orm::DatabaseConnection;
use utoipa_actix_web::service_config::ServiceConfig;

/// The platform's `resolve_scope` hook: a course scope completed with the course's
/// organization, `None` for an unknown course; other scopes as they are.
pub fn resolve_scope(
    db: &DatabaseConnection,
    scope: Scope,
) -> BoxFuture<'_, AppResult<Option<Scope>>> {
    Box::pin(async move {
        match scope {
            Scope::Course { id, .. } => match course_row(db, id).await {
                Ok(course) => Ok(Some(course.scope())),
                Err(e) if e.code() == kernel::ErrorCode::NotFound => Ok(None),
                Err(e) => Err(e),
            },
            other => Ok(Some(other)),
        }
    })
}

pub fn routes(cfg: &mut ServiceConfig) {
    cfg.service(routes::list_categories)
        .service(routes::create_category)
        .service(routes::update_category)
        .service(routes::list_tags)
        .service(routes::list_courses)
        .service(routes::create_course)
        .service(routes::get_course)
        .service(routes::update_course)
        .service(routes::delete_course)
        .service(routes::submit_course)
        .service(routes::publish_course)
        .service(routes::archive_course)
        .service(routes::add_instructor)
        .service(routes::remove_instructor)
        .service(routes::add_prerequisite)
        .service(routes::remove_prerequisite)
        .service(routes::my_teaching)
        .service(routes::create_module)
        .service(routes::reorder_modules)
        .service(routes::update_module)
        .service(routes::delete_module)
        .service(routes::create_lesson)
        .service(routes::reorder_lessons)
        .service(routes::get_lesson)
        .service(routes::update_lesson)
        .service(routes::delete_lesson)
        .service(routes::enroll)
        .service(routes::my_enrollments)
        .service(routes::drop_enrollment)
        .service(routes::record_progress)
        .service(routes::course_progress)
        .service(routes::put_bookmark)
        .service(routes::delete_bookmark)
        .service(routes::my_bookmarks)
        .service(routes::list_reviews)
        .service(routes::post_review)
        .service(routes::reply_review)
        .service(routes::course_analytics)
        .service(routes::list_paths)
        .service(routes::create_path)
        .service(routes::get_path)
        .service(routes::enroll_path);
}
