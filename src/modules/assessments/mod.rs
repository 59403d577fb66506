//! `assessments`: quizzes, assignments, projects and final exams of a course, their questions
//! (seven kinds, auto- or hand-graded), attempts, manual grading and the gradebook.
//!
//! Owns `assessments`, `questions`, `attempts` and `responses`. Rules: only the course's
//! `course:update` holders author, only its `course:grade` holders grade and see the gradebook;
//! learners must be enrolled to attempt, and see only their own attempts (404 otherwise);
//! answer keys never leave the server before submission; questions are frozen once an attempt
//! exists; the first pass pays AZR once (dedupe: learner + assessment), completes the lesson
//! the assessment belongs to, and a `required_for_completion` assessment gates the course's
//! completion. Saving answers is not audited (frequent); starting, submitting and grading are.
//!
//! Files: `service` (shared reads and views), `authoring` (assessments and questions),
//! `attempts` (start, save, submit), `scoring` (grading at submission, manual grades, the
//! settled result and what a pass triggers), `grading` (the pure rules: keys, answers, points,
//! percent), `gradebook`, and `seed`, which creates its demo data through the same `x_in`
//! services as the API.

mod attempts;
mod authoring;
mod dto;
mod gradebook;
mod grading;
mod routes;
mod scoring;
mod seed;
mod service;
mod views;

pub use gradebook::{CountedAttempt, CourseRecord, course_record};
pub use seed::seed_demo;
pub use service::completion_blocked;

/// The platform's `completion_blocked` hook: [`completion_blocked`] inside the caller's
/// transaction.
pub fn completion_blocked_hook(
    txn: &sea_orm::DatabaseTransaction,
    user_id: uuid::Uuid,
    course_id: uuid::Uuid,
) -> futures_util::future::BoxFuture<'_, kernel::AppResult<bool>> {
    Box::pin(completion_blocked(txn, user_id, course_id))
}

use utoipa_actix_web::service_config::ServiceConfig;

pub fn routes(cfg: &mut ServiceConfig) {
    cfg.service(routes::list_course_assessments)
        .service(routes::create_assessment)
        .service(routes::get_assessment)
        .service(routes::update_assessment)
        .service(routes::add_question)
        .service(routes::update_question)
        .service(routes::delete_question)
        .service(routes::start_attempt)
        .service(routes::get_attempt)
        .service(routes::save_responses)
        .service(routes::submit_attempt)
        .service(routes::list_submissions)
        .service(routes::grade_response)
        .service(routes::course_gradebook)
        .service(routes::my_grades);
}
