//! Request and response types of the LMS routes. Prices are decimal strings.

use chrono::{DateTime, NaiveDate, Utc};
use kernel::enums::Choice;
use kernel::enums::{
    CoInstructorRole, CourseLevel, CourseSort, CourseStatus, EnrollmentStatus, LessonKind,
    PriceFilter, ProgressUpdate,
};
use kernel::money::Amount;
use kernel::money::DecimalValue;
use kernel::text::{Line, Name, Prose, Text};
use rust_decimal::Decimal;
use sea_orm::FromQueryResult;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

// ---------------------------------------------------------------- categories and tags

/// A category with its children, ordered by `position`.
#[derive(Debug, Clone, Serialize, ToSchema, FromQueryResult)]
pub struct CategoryNode {
    pub id: Uuid,
    pub parent_id: Option<Uuid>,
    #[schema(example = "Programming")]
    pub name: String,
    #[schema(example = "programming")]
    pub slug: String,
    pub description: String,
    pub position: i32,
    /// Published courses filed directly under this category.
    pub course_count: i64,
    #[schema(no_recursion)]
    #[sea_orm(skip)]
    pub children: Vec<CategoryNode>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateCategoryRequest {
    #[schema(example = "Programming")]
    pub name: Name<100>,
    /// Derived from the name when absent.
    #[schema(value_type = Option<String>, pattern = "^[a-z0-9]+(-[a-z0-9]+)*$", max_length = 60)]
    pub slug: Option<Line<60>>,
    pub parent_id: Option<Uuid>,
    #[serde(default)]
    pub description: Text<5000>,
    /// Place among its siblings; at the end when absent.
    #[schema(minimum = 0)]
    pub position: Option<i32>,
}

/// Fields to change; `parent_id: null` moves it to the top level.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateCategoryRequest {
    pub name: Option<Name<100>>,
    pub description: Option<Text<5000>>,
    #[serde(default, deserialize_with = "kernel::text::double_option")]
    #[schema(value_type = Option<Uuid>)]
    pub parent_id: Option<Option<Uuid>>,
    #[schema(minimum = 0)]
    pub position: Option<i32>,
}

/// A tag and how many published courses carry it.
#[derive(Debug, Serialize, ToSchema, FromQueryResult)]
pub struct TagResponse {
    #[schema(example = "rust")]
    pub name: String,
    pub course_count: i64,
}

// ---------------------------------------------------------------- courses

/// A price as given: a decimal string in the currency's scale; `"0"` is free.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PriceInput {
    #[schema(example = "49.00")]
    pub amount: Amount,
    #[schema(example = "USD")]
    pub currency: Line<10>,
}

/// A price; free courses have amount `"0"`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Price {
    #[schema(value_type = DecimalValue, example = "49.00")]
    pub amount: Decimal,
    #[schema(example = "USD")]
    pub currency: String,
}

/// A teacher of a course.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, FromQueryResult)]
pub struct InstructorResponse {
    pub user_id: Uuid,
    pub display_name: String,
    /// `owner`, `instructor` or `assistant`.
    pub role: String,
}

/// A category a course is filed under.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct CategoryRef {
    pub id: Uuid,
    pub name: String,
    #[schema(value_type = String, pattern = "^[a-z0-9]+(-[a-z0-9]+)*$", max_length = 60)]
    pub slug: String,
}

/// A course as listed in the catalog.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CourseSummary {
    pub id: Uuid,
    #[schema(example = "Rust for Web Services")]
    pub title: String,
    pub slug: String,
    pub summary: String,
    /// `beginner`, `intermediate`, `advanced` or `expert`.
    pub level: String,
    #[schema(example = "en")]
    pub language: String,
    /// `draft`, `under_review`, `published` or `archived`.
    pub status: String,
    pub organization_id: Option<Uuid>,
    pub cover_image_url: Option<String>,
    #[schema(value_type = Option<String>, example = "12.5")]
    pub estimated_hours: Option<Decimal>,
    pub price: Price,
    pub is_free: bool,
    pub tags: Vec<String>,
    pub categories: Vec<CategoryRef>,
    pub instructors: Vec<InstructorResponse>,
    /// Average of the ratings, two decimals; null without reviews.
    #[schema(value_type = Option<String>, example = "4.50")]
    pub rating_average: Option<Decimal>,
    pub rating_count: i32,
    pub enrollment_count: i32,
    pub published_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
}

/// A lesson in a course outline (no content).
#[derive(Debug, Clone, Serialize, ToSchema, FromQueryResult)]
pub struct LessonOutline {
    pub id: Uuid,
    pub title: String,
    /// `text`, `video`, `audio`, `interactive`, `quiz` or `assignment`.
    pub kind: String,
    pub duration_minutes: i32,
    pub preview: bool,
    pub required: bool,
    pub position: i32,
}

/// A module with its lessons, in order.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ModuleResponse {
    pub id: Uuid,
    pub course_id: Uuid,
    pub title: String,
    pub description: String,
    pub position: i32,
    pub lessons: Vec<LessonOutline>,
}

/// A prerequisite course.
#[derive(Debug, Clone, Serialize, ToSchema, FromQueryResult)]
pub struct CourseRef {
    pub id: Uuid,
    pub title: String,
    pub slug: String,
}

/// A course with its description, outline and prerequisites.
#[derive(Debug, Serialize, ToSchema)]
pub struct CourseDetail {
    #[serde(flatten)]
    pub course: CourseSummary,
    pub description: String,
    /// AZR paid once on completion.
    #[schema(value_type = String, example = "10")]
    pub completion_reward: Decimal,
    pub prerequisites: Vec<CourseRef>,
    pub modules: Vec<ModuleResponse>,
    pub submitted_at: Option<DateTime<Utc>>,
    pub archived_at: Option<DateTime<Utc>>,
    pub updated_at: DateTime<Utc>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateCourseRequest {
    #[schema(example = "Rust for Web Services")]
    pub title: Name<200>,
    /// Derived from the title when absent.
    #[schema(value_type = Option<String>, pattern = "^[a-z0-9]+(-[a-z0-9]+)*$", max_length = 60)]
    pub slug: Option<Line<60>>,
    #[serde(default)]
    pub summary: Text<500>,
    #[serde(default)]
    pub description: Text<20000>,
    /// Default `beginner`.
    #[schema(value_type = Option<CourseLevel>)]
    pub level: Option<Choice<CourseLevel>>,
    /// Default `en`; a language tag of 2 to 10 characters.
    #[schema(value_type = Option<String>, min_length = 2, max_length = 10, pattern = "^[^\\u0000-\\u001F\\u007F-\\u009F]*$")]
    pub language: Option<Line<35>>,
    /// Courses of an organization need `course:create` there.
    pub organization_id: Option<Uuid>,
    #[schema(value_type = Option<String>, max_length = 2048, pattern = "^https?://[A-Za-z0-9-]+(\\.[A-Za-z0-9-]+)*(:[0-9]{1,5})?(/[A-Za-z0-9._~%/-]*)?$")]
    pub cover_image_url: Option<Line<2048>>,
    #[schema(value_type = Option<DecimalValue>, example = "12.5")]
    pub estimated_hours: Option<Decimal>,
    /// Absent or zero: free.
    pub price: Option<PriceInput>,
    /// AZR on completion (decimal string); the platform default when absent.
    #[schema(example = "25")]
    pub completion_reward: Option<Amount>,
    #[serde(default)]
    pub category_ids: Vec<Uuid>,
    #[serde(default)]
    pub tags: Vec<Line<50>>,
}

/// Fields to change; absent fields stay, `null` clears the optional ones.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateCourseRequest {
    pub title: Option<Name<200>>,
    #[schema(value_type = Option<String>, pattern = "^[a-z0-9]+(-[a-z0-9]+)*$", max_length = 60)]
    pub slug: Option<Line<60>>,
    pub summary: Option<Text<500>>,
    pub description: Option<Text<20000>>,
    #[schema(value_type = Option<CourseLevel>)]
    pub level: Option<Choice<CourseLevel>>,
    #[schema(value_type = Option<String>, min_length = 2, max_length = 10, pattern = "^[^\\u0000-\\u001F\\u007F-\\u009F]*$")]
    pub language: Option<Line<35>>,
    #[serde(default, deserialize_with = "kernel::text::double_option")]
    #[schema(value_type = Option<String>, max_length = 2048, pattern = "^https?://[A-Za-z0-9-]+(\\.[A-Za-z0-9-]+)*(:[0-9]{1,5})?(/[A-Za-z0-9._~%/-]*)?$")]
    pub cover_image_url: Option<Option<Line<2048>>>,
    #[serde(default, deserialize_with = "kernel::text::double_option")]
    #[schema(value_type = Option<DecimalValue>)]
    pub estimated_hours: Option<Option<Decimal>>,
    pub price: Option<PriceInput>,
    #[serde(default, deserialize_with = "kernel::text::double_option")]
    #[schema(value_type = Option<Amount>)]
    pub completion_reward: Option<Option<Amount>>,
    pub category_ids: Option<Vec<Uuid>>,
    pub tags: Option<Vec<Line<50>>>,
}

/// Filters and order of `GET /courses`.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListCoursesQuery {
    /// Full-text search over title, tags, summary and description.
    pub q: Option<Line<200>>,
    /// Category id; courses in its descendants match too.
    pub category: Option<Uuid>,
    pub level: Option<CourseLevel>,
    pub tag: Option<Line<50>>,
    pub language: Option<Line<35>>,
    /// `free` or `paid`.
    #[param(inline)]
    pub price: Option<PriceFilter>,
    pub organization_id: Option<Uuid>,
    pub instructor_id: Option<Uuid>,
    /// `relevance` (default with `q`), `newest` (default), `rating`, `popularity`, `title`.
    #[param(inline)]
    pub sort: Option<CourseSort>,
    #[param(minimum = 1, maximum = 1_000_000)]
    pub page: Option<u64>,
    #[param(minimum = 1, maximum = 100)]
    pub per_page: Option<u64>,
}

/// Filters of `GET /me/teaching`.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct TeachingQuery {
    /// Only courses in this status.
    #[param(inline)]
    pub status: Option<CourseStatus>,
    #[param(minimum = 1, maximum = 1_000_000)]
    pub page: Option<u64>,
    #[param(minimum = 1, maximum = 100)]
    pub per_page: Option<u64>,
}

/// Add a co-instructor or assistant (owners, or `course:publish` in the course's scope).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AddInstructorRequest {
    pub user_id: Uuid,
    /// `instructor` (default) or `assistant`.
    #[schema(value_type = Option<CoInstructorRole>)]
    pub role: Option<Choice<CoInstructorRole>>,
}

/// Require another course to be completed first.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AddPrerequisiteRequest {
    pub prerequisite_id: Uuid,
}

// ---------------------------------------------------------------- modules and lessons

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateModuleRequest {
    #[schema(example = "Getting started")]
    pub title: Name<200>,
    #[serde(default)]
    pub description: Text<5000>,
    /// 0-based place; at the end when absent. Later modules move down.
    #[schema(minimum = 0)]
    pub position: Option<i32>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateModuleRequest {
    pub title: Option<Name<200>>,
    pub description: Option<Text<5000>>,
    /// Moves the module; the others close up around it.
    #[schema(minimum = 0)]
    pub position: Option<i32>,
}

/// The complete new order: every id of the parent exactly once.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReorderRequest {
    pub ids: Vec<Uuid>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateLessonRequest {
    #[schema(example = "Ownership and borrowing")]
    pub title: Name<200>,
    /// `text`, `video`, `audio`, `interactive`, `quiz` or `assignment`.
    #[schema(value_type = LessonKind)]
    pub kind: Choice<LessonKind>,
    #[serde(default)]
    pub content: Text<100000>,
    #[schema(value_type = Option<String>, max_length = 2048, pattern = "^https?://[A-Za-z0-9-]+(\\.[A-Za-z0-9-]+)*(:[0-9]{1,5})?(/[A-Za-z0-9._~%/-]*)?$")]
    pub media_url: Option<Line<2048>>,
    #[serde(default)]
    pub duration_minutes: i32,
    /// Readable without enrolling.
    #[serde(default)]
    pub preview: bool,
    /// Counts towards completion (default true).
    pub required: Option<bool>,
    #[schema(minimum = 0)]
    pub position: Option<i32>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateLessonRequest {
    pub title: Option<Name<200>>,
    #[schema(value_type = Option<LessonKind>)]
    pub kind: Option<Choice<LessonKind>>,
    pub content: Option<Text<100000>>,
    #[serde(default, deserialize_with = "kernel::text::double_option")]
    #[schema(value_type = Option<String>, max_length = 2048, pattern = "^https?://[A-Za-z0-9-]+(\\.[A-Za-z0-9-]+)*(:[0-9]{1,5})?(/[A-Za-z0-9._~%/-]*)?$")]
    pub media_url: Option<Option<Line<2048>>>,
    pub duration_minutes: Option<i32>,
    pub preview: Option<bool>,
    pub required: Option<bool>,
    #[schema(minimum = 0)]
    pub position: Option<i32>,
}

/// A lesson with its content.
#[derive(Debug, Serialize, ToSchema, FromQueryResult)]
pub struct LessonResponse {
    pub id: Uuid,
    pub course_id: Uuid,
    pub module_id: Uuid,
    pub title: String,
    pub kind: String,
    pub content: String,
    pub media_url: Option<String>,
    pub duration_minutes: i32,
    pub preview: bool,
    pub required: bool,
    pub position: i32,
    /// Whether the caller bookmarked it.
    pub bookmarked: bool,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

// ---------------------------------------------------------------- enrollments and progress

/// An enrollment of the caller (or, for instructors, of a learner).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct EnrollmentResponse {
    pub id: Uuid,
    pub user_id: Uuid,
    pub course_id: Uuid,
    pub course_title: String,
    /// `active`, `completed` or `dropped`.
    pub status: String,
    #[schema(value_type = DecimalValue, example = "62.50")]
    pub progress_percent: Decimal,
    /// What was paid; `"0"` for free courses.
    pub price: Price,
    pub payment_id: Option<Uuid>,
    pub refund_id: Option<Uuid>,
    pub learning_path_id: Option<Uuid>,
    pub enrolled_at: DateTime<Utc>,
    pub completed_at: Option<DateTime<Utc>>,
    pub dropped_at: Option<DateTime<Utc>>,
    pub last_activity_at: Option<DateTime<Utc>>,
}

/// Filters of `GET /me/enrollments`.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct MyEnrollmentsQuery {
    /// `active`, `completed` or `dropped`.
    #[param(inline)]
    pub status: Option<EnrollmentStatus>,
    #[param(minimum = 1, maximum = 1_000_000)]
    pub page: Option<u64>,
    #[param(minimum = 1, maximum = 100)]
    pub per_page: Option<u64>,
}

/// Record progress on a lesson. Time spent only grows (the largest total reported is kept);
/// the position is the latest reported (learners rewind); completed stays completed.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ProgressRequest {
    /// `started` or `completed`.
    #[schema(value_type = ProgressUpdate)]
    pub status: Choice<ProgressUpdate>,
    /// Total seconds spent on the lesson so far.
    #[serde(default)]
    #[schema(minimum = 0)]
    pub time_spent_seconds: i32,
    /// Where the learner is in the media now (seconds), to resume from.
    #[serde(default)]
    #[schema(minimum = 0)]
    pub last_position_seconds: i32,
}

/// A learner's progress on one lesson.
#[derive(Debug, Clone, Serialize, ToSchema, FromQueryResult)]
pub struct LessonProgressResponse {
    pub lesson_id: Uuid,
    pub status: String,
    pub time_spent_seconds: i32,
    pub last_position_seconds: i32,
    pub started_at: DateTime<Utc>,
    pub completed_at: Option<DateTime<Utc>>,
}

/// Answer of `PUT /lessons/{id}/progress`.
#[derive(Debug, Serialize, ToSchema)]
pub struct ProgressResponse {
    pub lesson: LessonProgressResponse,
    pub enrollment: EnrollmentResponse,
    /// True on the one request that completed the course.
    pub course_completed: bool,
    /// The AZR reward paid by this request, if any.
    #[schema(value_type = Option<String>)]
    pub reward: Option<Decimal>,
}

/// The caller's progress in a course.
#[derive(Debug, Serialize, ToSchema)]
pub struct CourseProgressResponse {
    pub enrollment: EnrollmentResponse,
    pub completed_lessons: i64,
    pub required_lessons: i64,
    pub lessons: Vec<LessonProgressResponse>,
}

/// Optional note with a bookmark.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BookmarkRequest {
    #[serde(default)]
    pub note: Text<1000>,
}

/// A bookmarked lesson.
#[derive(Debug, Serialize, ToSchema, FromQueryResult)]
pub struct BookmarkResponse {
    pub lesson_id: Uuid,
    pub lesson_title: String,
    pub course_id: Uuid,
    pub course_title: String,
    pub note: String,
    pub created_at: DateTime<Utc>,
}

// ---------------------------------------------------------------- reviews

/// Rate a course (enrolled learners; a second post edits your review).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReviewRequest {
    /// 1 to 5.
    #[schema(minimum = 1, maximum = 5)]
    pub rating: i32,
    #[serde(default)]
    pub body: Text<5000>,
}

/// An instructor's answer to a review.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReviewReplyRequest {
    pub reply: Prose<5000>,
}

#[derive(Debug, Serialize, ToSchema, FromQueryResult)]
pub struct ReviewResponse {
    pub id: Uuid,
    pub course_id: Uuid,
    pub user_id: Uuid,
    pub author_name: String,
    pub rating: i16,
    pub body: String,
    pub reply: Option<String>,
    pub replied_by: Option<Uuid>,
    pub replied_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// Paging of `GET /courses/{id}/reviews`.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ReviewsQuery {
    #[param(minimum = 1, maximum = 1_000_000)]
    pub page: Option<u64>,
    #[param(minimum = 1, maximum = 100)]
    pub per_page: Option<u64>,
}

// ---------------------------------------------------------------- analytics

#[derive(Debug, Serialize, ToSchema, FromQueryResult)]
pub struct DailyCount {
    pub day: NaiveDate,
    pub enrollments: i64,
}

/// Share of enrolled learners who reached a lesson (any progress on it).
#[derive(Debug, Serialize, ToSchema)]
pub struct LessonReach {
    pub lesson_id: Uuid,
    pub title: String,
    pub module_position: i32,
    pub position: i32,
    pub learners: i64,
    #[schema(value_type = String, example = "0.75")]
    pub reached_share: Decimal,
}

/// Money taken by the course, net of refunds, per currency.
#[derive(Debug, Serialize, ToSchema)]
pub struct Revenue {
    pub currency: String,
    #[schema(value_type = String)]
    pub gross: Decimal,
    #[schema(value_type = String)]
    pub refunded: Decimal,
    #[schema(value_type = String)]
    pub net: Decimal,
}

/// Course analytics for its instructors and admins.
#[derive(Debug, Serialize, ToSchema)]
pub struct CourseAnalytics {
    pub course_id: Uuid,
    pub enrollments_total: i64,
    pub active: i64,
    pub completed: i64,
    pub dropped: i64,
    /// Completed / (active + completed).
    #[schema(value_type = String, example = "0.25")]
    pub completion_rate: Decimal,
    #[schema(value_type = String, example = "41.20")]
    pub average_progress: Decimal,
    #[schema(value_type = Option<String>)]
    pub average_rating: Option<Decimal>,
    pub rating_count: i32,
    /// New enrollments per day over the window.
    pub enrollments_over_time: Vec<DailyCount>,
    pub lesson_reach: Vec<LessonReach>,
    pub revenue: Vec<Revenue>,
}

/// Window of `GET /courses/{id}/analytics`.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AnalyticsQuery {
    /// Days of enrollments over time (1 to 365, default 30).
    #[param(minimum = 1, maximum = 365)]
    pub days: Option<i64>,
}

// ---------------------------------------------------------------- learning paths

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PathCourseInput {
    pub course_id: Uuid,
    /// Default true.
    pub required: Option<bool>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreatePathRequest {
    #[schema(example = "Full-stack developer")]
    pub title: Name<200>,
    #[schema(value_type = Option<String>, pattern = "^[a-z0-9]+(-[a-z0-9]+)*$", max_length = 60)]
    pub slug: Option<Line<60>>,
    #[serde(default)]
    pub description: Text<5000>,
    pub organization_id: Option<Uuid>,
    /// In order; published courses only.
    pub courses: Vec<PathCourseInput>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PathCourse {
    pub course_id: Uuid,
    pub title: String,
    pub slug: String,
    pub position: i32,
    pub required: bool,
    /// The caller's enrollment status in it, if any.
    pub enrollment_status: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PathResponse {
    pub id: Uuid,
    pub title: String,
    pub slug: String,
    pub description: String,
    pub organization_id: Option<Uuid>,
    pub created_by: Uuid,
    pub courses: Vec<PathCourse>,
    /// Whether the caller is enrolled in the path.
    pub enrolled: bool,
    /// Completed required courses over required courses, for the caller.
    #[schema(value_type = String, example = "50.00")]
    pub progress_percent: Decimal,
    pub created_at: DateTime<Utc>,
}

/// Paging of `GET /learning-paths`.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PathsQuery {
    #[param(minimum = 1, maximum = 1_000_000)]
    pub page: Option<u64>,
    #[param(minimum = 1, maximum = 100)]
    pub per_page: Option<u64>,
}

/// Answer of `POST /learning-paths/{id}/enroll`.
#[derive(Debug, Serialize, ToSchema)]
pub struct PathEnrollResponse {
    pub path: PathResponse,
    /// Course enrollments made by this call.
    pub enrollments: Vec<EnrollmentResponse>,
}

// ---------------------------------------------------------------- numbers as shown

/// A stored amount as shown: without trailing zeros (`"49.00000000"` -> `"49"`).
pub(super) fn shown(amount: Decimal) -> Decimal {
    amount.normalize()
}

/// A percentage or an average as documented: two decimal places, always (`"3.50"`, `"100.00"`),
/// rounded half away from zero like SQL's `round`.
pub(super) fn two_places(value: Decimal) -> Decimal {
    let mut v =
        value.round_dp_with_strategy(2, rust_decimal::RoundingStrategy::MidpointAwayFromZero);
    v.rescale(2);
    v
}

/// The average of `count` ratings summing to `sum`, two places; `None` without ratings.
pub(super) fn rating_average(sum: i32, count: i32) -> Option<Decimal> {
    (count > 0).then(|| two_places(Decimal::from(sum) / Decimal::from(count)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> Decimal {
        s.parse().unwrap_or_default()
    }

    #[test]
    fn percentages_and_averages_have_two_places_rounded_half_away_from_zero() {
        assert_eq!(two_places(d("3.5")).to_string(), "3.50");
        assert_eq!(two_places(d("100")).to_string(), "100.00");
        assert_eq!(two_places(d("66.665")).to_string(), "66.67");
        assert_eq!(
            rating_average(9, 2).map(|d| d.to_string()),
            Some("4.50".into())
        );
        assert_eq!(rating_average(0, 0), None);
        assert_eq!(shown(d("49.00000000")).to_string(), "49");
    }
}
