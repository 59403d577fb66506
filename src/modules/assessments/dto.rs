//! Request and response types of the assessment routes. Scores and points are decimal
//! strings; answer keys appear only in staff views and, after submission, where the
//! assessment shows correct answers.

use chrono::{DateTime, Utc};
use kernel::enums::Choice;
use kernel::enums::{
    AssessmentKind, GradebookFormat, GradingPolicy, QuestionKind, SubmissionFilter,
};
use kernel::money::{DecimalValue, Percent, Weight};
use kernel::text::{Line, Name, Prose, Text};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

/// Create an assessment in a course.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateAssessmentRequest {
    #[schema(example = "Ownership quiz")]
    pub title: Name<200>,
    /// `quiz` (default), `assignment`, `project` or `final_exam`.
    #[schema(value_type = Option<AssessmentKind>)]
    pub kind: Option<Choice<AssessmentKind>>,
    /// The lesson it belongs to; passing it completes that lesson.
    pub lesson_id: Option<Uuid>,
    #[serde(default)]
    pub instructions: Text<20000>,
    /// Percent needed to pass (default 60).
    #[schema(value_type = Option<Percent>, example = "70")]
    pub pass_score: Option<Decimal>,
    /// Seconds from the start of an attempt; none = untimed.
    #[schema(minimum = 1, maximum = 604800)]
    pub time_limit_seconds: Option<i32>,
    /// None = unlimited.
    #[schema(minimum = 1, maximum = 100)]
    pub max_attempts: Option<i32>,
    pub available_from: Option<DateTime<Utc>>,
    pub available_until: Option<DateTime<Utc>>,
    #[serde(default)]
    pub shuffle_questions: bool,
    #[serde(default)]
    pub shuffle_options: bool,
    /// Show the answer key with a submitted attempt (default true).
    pub show_correct_answers: Option<bool>,
    /// Weight in the course grade (default 1).
    #[schema(value_type = Option<Weight>, example = "2")]
    pub weight: Option<Decimal>,
    /// `best` (default) or `last` attempt counts in the gradebook.
    #[schema(value_type = Option<GradingPolicy>)]
    pub grading_policy: Option<Choice<GradingPolicy>>,
    /// The course completes only once this is passed (a final exam). Default: true for
    /// `final_exam`, false otherwise.
    pub required_for_completion: Option<bool>,
    /// AZR paid once on the first pass; the platform default when absent.
    #[schema(value_type = Option<DecimalValue>)]
    pub reward: Option<Decimal>,
}

/// Fields to change; `null` clears the optional ones.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateAssessmentRequest {
    pub title: Option<Name<200>>,
    pub instructions: Option<Text<20000>>,
    #[schema(value_type = Option<Percent>)]
    pub pass_score: Option<Decimal>,
    #[serde(default, deserialize_with = "kernel::text::double_option")]
    #[schema(value_type = Option<i32>, minimum = 1, maximum = 604800)]
    pub time_limit_seconds: Option<Option<i32>>,
    #[serde(default, deserialize_with = "kernel::text::double_option")]
    #[schema(value_type = Option<i32>, minimum = 1, maximum = 100)]
    pub max_attempts: Option<Option<i32>>,
    #[serde(default, deserialize_with = "kernel::text::double_option")]
    #[schema(value_type = Option<DateTime<Utc>>)]
    pub available_from: Option<Option<DateTime<Utc>>>,
    #[serde(default, deserialize_with = "kernel::text::double_option")]
    #[schema(value_type = Option<DateTime<Utc>>)]
    pub available_until: Option<Option<DateTime<Utc>>>,
    pub shuffle_questions: Option<bool>,
    pub shuffle_options: Option<bool>,
    pub show_correct_answers: Option<bool>,
    #[schema(value_type = Option<Weight>)]
    pub weight: Option<Decimal>,
    #[schema(value_type = Option<GradingPolicy>)]
    pub grading_policy: Option<Choice<GradingPolicy>>,
    pub required_for_completion: Option<bool>,
    /// AZR on the first pass; `null` returns to the platform default.
    #[serde(default, deserialize_with = "kernel::text::double_option")]
    #[schema(value_type = Option<DecimalValue>)]
    pub reward: Option<Option<Decimal>>,
}

/// An assessment as its staff see it (with questions and answer keys) or as learners see it
/// (settings, no questions, their own attempts).
#[derive(Debug, Serialize, ToSchema)]
pub struct AssessmentResponse {
    pub id: Uuid,
    pub course_id: Uuid,
    pub lesson_id: Option<Uuid>,
    pub kind: String,
    pub title: String,
    pub instructions: String,
    #[schema(value_type = String)]
    pub pass_score: Decimal,
    pub time_limit_seconds: Option<i32>,
    pub max_attempts: Option<i32>,
    pub available_from: Option<DateTime<Utc>>,
    pub available_until: Option<DateTime<Utc>>,
    pub shuffle_questions: bool,
    pub shuffle_options: bool,
    pub show_correct_answers: bool,
    #[schema(value_type = String)]
    pub weight: Decimal,
    pub grading_policy: String,
    pub required_for_completion: bool,
    #[schema(value_type = String)]
    pub reward: Decimal,
    pub question_count: i64,
    #[schema(value_type = String)]
    pub total_points: Decimal,
    /// Staff only: the questions with their answer keys.
    pub questions: Option<Vec<QuestionResponse>>,
    /// The caller's attempts, newest first.
    pub my_attempts: Vec<AttemptSummary>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// A question as authored.
///
/// By kind: `single_choice` and `multiple_choice` take `options` and `correct_options`
/// (0-based indexes); `true_false` takes `correct`; `short_answer` takes `accepted_answers` and
/// `case_sensitive`; `numeric` takes `numeric_answer` and `tolerance`; `essay` and
/// `file_upload` are graded by hand.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct QuestionRequest {
    #[schema(value_type = QuestionKind)]
    pub kind: Choice<QuestionKind>,
    #[schema(example = "Which keyword moves a value into a closure?")]
    pub prompt: Prose<10000>,
    /// Greater than 0 (default 1).
    #[schema(value_type = Option<DecimalValue>, example = "2")]
    pub points: Option<Decimal>,
    #[serde(default)]
    pub options: Vec<Text<1000>>,
    #[serde(default)]
    pub correct_options: Vec<usize>,
    pub correct: Option<bool>,
    #[serde(default)]
    pub accepted_answers: Vec<Line<500>>,
    #[serde(default)]
    pub case_sensitive: bool,
    #[schema(value_type = Option<DecimalValue>, example = "3.14")]
    pub numeric_answer: Option<Decimal>,
    #[schema(value_type = Option<DecimalValue>, example = "0.01")]
    pub tolerance: Option<Decimal>,
    /// Multiple choice: credit for each right choice, less each wrong one (never below 0).
    #[serde(default)]
    pub partial_credit: bool,
    #[serde(default)]
    pub explanation: Text<5000>,
    #[schema(minimum = 0)]
    pub position: Option<i32>,
}

/// An answer option.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct OptionResponse {
    pub id: String,
    pub text: String,
}

/// A question with its answer key (staff view).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct QuestionResponse {
    pub id: Uuid,
    pub kind: String,
    pub prompt: String,
    #[schema(value_type = String)]
    pub points: Decimal,
    pub options: Vec<OptionResponse>,
    /// The key: `{"correct": [option ids]}`, `{"value": true}`,
    /// `{"accepted": [...], "case_sensitive": false}`, `{"value": "3.14", "tolerance": "0.01"}`
    /// or `{}` for hand-graded kinds.
    #[schema(value_type = Object)]
    pub answer: Value,
    pub partial_credit: bool,
    pub explanation: String,
    pub position: i32,
}

/// A learner's answer to one question, by kind: an option id (`single_choice`), a list of
/// option ids (`multiple_choice`), `true`/`false` (`true_false`), text (`short_answer`,
/// `essay`), a decimal as a string or a number (`numeric`) or a URL (`file_upload`).
pub struct Answer;

impl utoipa::PartialSchema for Answer {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        use utoipa::openapi::schema::{ArrayBuilder, ObjectBuilder, OneOfBuilder, Type};
        OneOfBuilder::new()
            .description(Some(
                "By question kind: an option id (single choice), option ids (multiple choice), \
                 a boolean (true/false), text (short answer, essay; a URL for file upload) or a \
                 decimal (numeric: a string like \"3.14\" or a number).",
            ))
            .item(
                ObjectBuilder::new()
                    .schema_type(Type::String)
                    .max_length(Some(50_000)),
            )
            .item(ObjectBuilder::new().schema_type(Type::Boolean))
            .item(ObjectBuilder::new().schema_type(Type::Number))
            .item(
                ArrayBuilder::new()
                    .items(
                        ObjectBuilder::new()
                            .schema_type(Type::String)
                            .max_length(Some(64)),
                    )
                    .max_items(Some(20)),
            )
            .into()
    }
}

impl utoipa::ToSchema for Answer {}

/// A learner's attempt in brief.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct AttemptSummary {
    pub id: Uuid,
    pub assessment_id: Uuid,
    pub user_id: Uuid,
    pub number: i32,
    /// `in_progress`, `submitted` (waiting for manual grading) or `graded`.
    pub status: String,
    pub started_at: DateTime<Utc>,
    pub deadline_at: Option<DateTime<Utc>>,
    pub submitted_at: Option<DateTime<Utc>>,
    pub auto_submitted: bool,
    #[schema(value_type = Option<String>)]
    pub score: Option<Decimal>,
    #[schema(value_type = String)]
    pub max_score: Decimal,
    #[schema(value_type = Option<String>)]
    pub percent: Option<Decimal>,
    pub passed: Option<bool>,
}

/// A question inside an attempt: never its key before submission.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct AttemptQuestion {
    pub question_id: Uuid,
    pub kind: String,
    pub prompt: String,
    #[schema(value_type = String)]
    pub points: Decimal,
    /// In this attempt's order.
    pub options: Vec<OptionResponse>,
    /// The saved answer: an option id (single choice), a list of option ids (multiple
    /// choice), true/false, text (short answer, essay), a decimal string (numeric; numbers are
    /// accepted and stored as decimal strings) or a URL (file).
    #[schema(value_type = Option<Answer>)]
    pub response: Option<Value>,
    pub response_id: Option<Uuid>,
    #[schema(value_type = Option<String>)]
    pub points_awarded: Option<Decimal>,
    pub feedback: Option<String>,
    /// After submission, where the assessment shows answers.
    #[schema(value_type = Option<Object>)]
    pub correct_answer: Option<Value>,
    pub explanation: Option<String>,
}

/// An attempt with its questions and responses.
#[derive(Debug, Serialize, ToSchema)]
pub struct AttemptResponse {
    #[serde(flatten)]
    pub attempt: AttemptSummary,
    pub assessment_title: String,
    pub questions: Vec<AttemptQuestion>,
}

/// One saved answer.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ResponseInput {
    pub question_id: Uuid,
    #[schema(value_type = Answer)]
    pub answer: Value,
}

/// Answers to save (repeatable until submission).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SaveResponsesRequest {
    pub responses: Vec<ResponseInput>,
}

/// A manual grade.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct GradeRequest {
    /// 0 to the question's points.
    #[schema(value_type = DecimalValue, example = "4.5")]
    pub points: Decimal,
    #[serde(default)]
    pub feedback: Text<5000>,
}

/// A response waiting for (or given) a manual grade.
#[derive(Debug, Serialize, ToSchema)]
pub struct SubmissionResponse {
    pub response_id: Uuid,
    pub attempt_id: Uuid,
    pub user_id: Uuid,
    pub learner_name: String,
    pub question_id: Uuid,
    pub kind: String,
    pub prompt: String,
    #[schema(value_type = String)]
    pub points_possible: Decimal,
    #[schema(value_type = Answer)]
    pub answer: Value,
    #[schema(value_type = Option<String>)]
    pub points: Option<Decimal>,
    pub feedback: String,
    pub submitted_at: Option<DateTime<Utc>>,
}

/// Filter of `GET /quizzes/{id}/submissions`.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SubmissionsQuery {
    /// `needs_grading` (default) or `all`.
    #[param(inline)]
    pub status: Option<SubmissionFilter>,
}

/// A column of the gradebook.
#[derive(Debug, Serialize, ToSchema)]
pub struct GradebookColumn {
    pub assessment_id: Uuid,
    pub title: String,
    pub kind: String,
    #[schema(value_type = String)]
    pub weight: Decimal,
    #[schema(value_type = String)]
    pub pass_score: Decimal,
    pub grading_policy: String,
}

/// One learner's result on one assessment.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct GradeCell {
    pub assessment_id: Uuid,
    /// Best or last graded attempt's percent, by the assessment's policy; null if none.
    #[schema(value_type = Option<String>)]
    pub percent: Option<Decimal>,
    pub passed: Option<bool>,
    pub attempts: i64,
    /// An attempt is waiting for manual grading.
    pub pending: bool,
}

/// A learner's row of the gradebook.
#[derive(Debug, Serialize, ToSchema)]
pub struct GradebookRow {
    pub user_id: Uuid,
    pub display_name: String,
    pub email: String,
    pub grades: Vec<GradeCell>,
    /// Weighted mean of the percents (missing results count 0), two decimals.
    #[schema(value_type = String)]
    pub course_grade: Decimal,
    /// Course grade at least `assessments.course_pass_score` and every required assessment passed.
    pub passed: bool,
}

/// A course's gradebook: learners × assessments.
#[derive(Debug, Serialize, ToSchema)]
pub struct GradebookResponse {
    pub course_id: Uuid,
    pub columns: Vec<GradebookColumn>,
    pub rows: Vec<GradebookRow>,
}

/// `format=csv` exports the gradebook as CSV.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct GradebookQuery {
    /// `json` (default) or `csv`.
    #[param(inline)]
    pub format: Option<GradebookFormat>,
}

/// One of your grades.
#[derive(Debug, Serialize, ToSchema)]
pub struct MyGrade {
    pub assessment_id: Uuid,
    pub title: String,
    pub kind: String,
    #[schema(value_type = String)]
    pub weight: Decimal,
    #[serde(flatten)]
    pub cell: GradeCell,
}

/// Your grades in one course.
#[derive(Debug, Serialize, ToSchema)]
pub struct MyCourseGrades {
    pub course_id: Uuid,
    pub course_title: String,
    pub grades: Vec<MyGrade>,
    #[schema(value_type = String)]
    pub course_grade: Decimal,
    pub passed: bool,
}
