//! Handlers of the assessment routes: extract, call the service, shape the response.

use actix_web::{HttpResponse, delete, get, patch, post, put, web};
use uuid::Uuid;

use kernel::enums::GradebookFormat;

use super::dto::*;
use super::{attempts, authoring, gradebook, scoring, service};
use crate::http::ApiResult;
use crate::http::auth::{AuthUser, ClientInfo};
use crate::http::extract::{Json, Query};
use crate::state::AppState;

/// A course's assessments (answer keys for its staff only).
#[utoipa::path(
    tag = "assessments",
    security(("api_key" = ["course:read"])),
    params(("id" = Uuid, Path, description = "Course id")),
    responses(
        (status = 200, body = Vec<AssessmentResponse>),
    )
)]
#[get("/courses/{id}/quizzes")]
pub async fn list_course_assessments(
    state: web::Data<AppState>,
    user: AuthUser,
    id: web::Path<Uuid>,
) -> ApiResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(service::list_for_course(&state, &user, id.into_inner()).await?))
}

/// Create a quiz, assignment, project or final exam (`course:update` in the course's scope).
#[utoipa::path(
    tag = "assessments",
    security(("api_key" = ["course:update"])),
    params(("id" = Uuid, Path, description = "Course id")),
    request_body = CreateAssessmentRequest,
    responses(
        (status = 201, body = AssessmentResponse),
    )
)]
#[post("/courses/{id}/quizzes")]
pub async fn create_assessment(
    state: web::Data<AppState>,
    user: AuthUser,
    client: ClientInfo,
    id: web::Path<Uuid>,
    body: Json<CreateAssessmentRequest>,
) -> ApiResult<HttpResponse> {
    Ok(HttpResponse::Created().json(
        authoring::create_assessment(&state, &user, &client, id.into_inner(), body.into_inner())
            .await?,
    ))
}

/// An assessment: settings and your attempts; questions with keys for its staff only.
#[utoipa::path(
    tag = "assessments",
    security(("api_key" = ["course:read"])),
    params(("id" = Uuid, Path, description = "Assessment id")),
    responses(
        (status = 200, body = AssessmentResponse),
    )
)]
#[get("/quizzes/{id}")]
pub async fn get_assessment(
    state: web::Data<AppState>,
    user: AuthUser,
    id: web::Path<Uuid>,
) -> ApiResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(service::get_assessment(&state, &user, id.into_inner()).await?))
}

/// Change an assessment's settings.
#[utoipa::path(
    tag = "assessments",
    security(("api_key" = ["course:update"])),
    params(("id" = Uuid, Path, description = "Assessment id")),
    request_body = UpdateAssessmentRequest,
    responses(
        (status = 200, body = AssessmentResponse),
    )
)]
#[patch("/quizzes/{id}")]
pub async fn update_assessment(
    state: web::Data<AppState>,
    user: AuthUser,
    client: ClientInfo,
    id: web::Path<Uuid>,
    body: Json<UpdateAssessmentRequest>,
) -> ApiResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(
        authoring::update_assessment(&state, &user, &client, id.into_inner(), body.into_inner())
            .await?,
    ))
}

/// Add a question (only while nobody has attempted the assessment).
#[utoipa::path(
    tag = "assessments",
    security(("api_key" = ["course:update"])),
    params(("id" = Uuid, Path, description = "Assessment id")),
    request_body = QuestionRequest,
    responses(
        (status = 201, body = QuestionResponse),
        (status = 409, description = "`assessment_has_attempts`"),
    )
)]
#[post("/quizzes/{id}/questions")]
pub async fn add_question(
    state: web::Data<AppState>,
    user: AuthUser,
    client: ClientInfo,
    id: web::Path<Uuid>,
    body: Json<QuestionRequest>,
) -> ApiResult<HttpResponse> {
    Ok(HttpResponse::Created().json(
        authoring::add_question(&state, &user, &client, id.into_inner(), body.into_inner()).await?,
    ))
}

/// Replace a question (only while nobody has attempted the assessment).
#[utoipa::path(
    tag = "assessments",
    security(("api_key" = ["course:update"])),
    params(("id" = Uuid, Path, description = "Question id")),
    request_body = QuestionRequest,
    responses(
        (status = 200, body = QuestionResponse),
        (status = 409, description = "`assessment_has_attempts`"),
    )
)]
#[put("/questions/{id}")]
pub async fn update_question(
    state: web::Data<AppState>,
    user: AuthUser,
    client: ClientInfo,
    id: web::Path<Uuid>,
    body: Json<QuestionRequest>,
) -> ApiResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(
        authoring::update_question(&state, &user, &client, id.into_inner(), body.into_inner())
            .await?,
    ))
}

/// Delete a question (only while nobody has attempted the assessment).
#[utoipa::path(
    tag = "assessments",
    security(("api_key" = ["course:update"])),
    params(("id" = Uuid, Path, description = "Question id")),
    responses(
        (status = 204, description = "Done"),
        (status = 409, description = "`assessment_has_attempts`"),
    )
)]
#[delete("/questions/{id}")]
pub async fn delete_question(
    state: web::Data<AppState>,
    user: AuthUser,
    client: ClientInfo,
    id: web::Path<Uuid>,
) -> ApiResult<HttpResponse> {
    authoring::delete_question(&state, &user, &client, id.into_inner()).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Start an attempt (enrolled learners): the server fixes its deadline; questions come without any answer key.
#[utoipa::path(
    tag = "assessments",
    security(("api_key" = ["course:learn"])),
    params(("id" = Uuid, Path, description = "Assessment id")),
    responses(
        (status = 201, body = AttemptResponse),
        (status = 403, description = "`not_enrolled`"),
        (status = 409, description = "`attempt_in_progress`"),
        (status = 422, description = "`assessment_not_available`, `max_attempts_reached`, `assessment_empty`"),
    )
)]
#[post("/quizzes/{id}/attempts")]
pub async fn start_attempt(
    state: web::Data<AppState>,
    user: AuthUser,
    client: ClientInfo,
    id: web::Path<Uuid>,
) -> ApiResult<HttpResponse> {
    Ok(HttpResponse::Created()
        .json(attempts::start_attempt(&state, &user, &client, id.into_inner()).await?))
}

/// Your attempt (or, for the course's graders, a learner's). Keys show after submission if the assessment allows.
#[utoipa::path(
    tag = "assessments",
    security(("api_key" = ["course:learn"])),
    params(("id" = Uuid, Path, description = "Attempt id")),
    responses(
        (status = 200, body = AttemptResponse),
    )
)]
#[get("/attempts/{id}")]
pub async fn get_attempt(
    state: web::Data<AppState>,
    user: AuthUser,
    client: ClientInfo,
    id: web::Path<Uuid>,
) -> ApiResult<HttpResponse> {
    Ok(HttpResponse::Ok()
        .json(attempts::get_attempt(&state, &user, &client, id.into_inner()).await?))
}

/// Save answers (repeatable until submission). After the deadline and its grace: 409 `deadline_passed`, and the attempt is submitted with what was saved.
#[utoipa::path(
    tag = "assessments",
    security(("api_key" = ["course:learn"])),
    params(("id" = Uuid, Path, description = "Attempt id")),
    request_body = SaveResponsesRequest,
    responses(
        (status = 200, body = AttemptResponse),
        (status = 409, description = "`attempt_closed`, `deadline_passed`"),
    )
)]
#[put("/attempts/{id}/responses")]
pub async fn save_responses(
    state: web::Data<AppState>,
    user: AuthUser,
    client: ClientInfo,
    id: web::Path<Uuid>,
    body: Json<SaveResponsesRequest>,
) -> ApiResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(
        attempts::save_responses(&state, &user, &client, id.into_inner(), body.into_inner())
            .await?,
    ))
}

/// Submit an attempt: auto-gradable questions are graded at once; essays and files wait for a grader.
#[utoipa::path(
    tag = "assessments",
    security(("api_key" = ["course:learn"])),
    params(("id" = Uuid, Path, description = "Attempt id")),
    responses(
        (status = 200, body = AttemptResponse),
        (status = 409, description = "`attempt_closed`"),
    )
)]
#[post("/attempts/{id}/submit")]
pub async fn submit_attempt(
    state: web::Data<AppState>,
    user: AuthUser,
    client: ClientInfo,
    id: web::Path<Uuid>,
) -> ApiResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(attempts::submit(&state, &user, &client, id.into_inner()).await?))
}

/// Responses waiting for a manual grade (or all hand-graded ones), for the course's graders.
#[utoipa::path(
    tag = "assessments",
    security(("api_key" = ["course:grade"])),
    params(("id" = Uuid, Path, description = "Assessment id"), SubmissionsQuery),
    responses(
        (status = 200, body = Vec<SubmissionResponse>),
    )
)]
#[get("/quizzes/{id}/submissions")]
pub async fn list_submissions(
    state: web::Data<AppState>,
    user: AuthUser,
    id: web::Path<Uuid>,
    query: Query<SubmissionsQuery>,
) -> ApiResult<HttpResponse> {
    Ok(HttpResponse::Ok()
        .json(scoring::submissions(&state, &user, id.into_inner(), query.into_inner()).await?))
}

/// Grade one response with points and feedback (the course's graders); the attempt's score follows when all are graded.
#[utoipa::path(
    tag = "assessments",
    security(("api_key" = ["course:grade"])),
    params(("id" = Uuid, Path, description = "Response id")),
    request_body = GradeRequest,
    responses(
        (status = 200, body = AttemptResponse),
        (status = 409, description = "`attempt_open`"),
    )
)]
#[post("/responses/{id}/grade")]
pub async fn grade_response(
    state: web::Data<AppState>,
    user: AuthUser,
    client: ClientInfo,
    id: web::Path<Uuid>,
    body: Json<GradeRequest>,
) -> ApiResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(
        scoring::grade_response(&state, &user, &client, id.into_inner(), body.into_inner()).await?,
    ))
}

/// Learners × assessments with weighted course grades (the course's graders); `format=csv` exports it.
#[utoipa::path(
    tag = "assessments",
    security(("api_key" = ["course:grade"])),
    params(("id" = Uuid, Path, description = "Course id"), GradebookQuery),
    responses(
        (status = 200, description = "JSON, or CSV with `format=csv`", content((GradebookResponse = "application/json"), (String = "text/csv"))),
    )
)]
#[get("/courses/{id}/gradebook")]
pub async fn course_gradebook(
    state: web::Data<AppState>,
    user: AuthUser,
    id: web::Path<Uuid>,
    query: Query<GradebookQuery>,
) -> ApiResult<HttpResponse> {
    let book = gradebook::gradebook(&state, &user, id.into_inner()).await?;
    match query.format {
        None | Some(GradebookFormat::Json) => Ok(HttpResponse::Ok().json(book)),
        Some(GradebookFormat::Csv) => Ok(HttpResponse::Ok()
            .content_type("text/csv; charset=utf-8")
            .insert_header((
                "Content-Disposition",
                format!("attachment; filename=\"gradebook-{}.csv\"", book.course_id),
            ))
            .body(gradebook::to_csv(&book))),
    }
}

/// Your grades, per course.
#[utoipa::path(
    tag = "assessments",
    security(("api_key" = ["course:read"])),
    responses(
        (status = 200, body = Vec<MyCourseGrades>),
    )
)]
#[get("/me/grades")]
pub async fn my_grades(state: web::Data<AppState>, user: AuthUser) -> ApiResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(gradebook::my_grades(&state, &user).await?))
}
