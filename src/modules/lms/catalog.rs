//! The catalog as people read it: the course summary (one row per course, its instructors and
//! categories as JSON in the same row, so a page of courses is one statement), the searched
//! and filtered catalog page, the caller's teaching list, and the course detail with its
//! prerequisites and outline.

use chrono::{DateTime, Utc};
use kernel::enums::{CourseLevel, CourseSort, CourseStatus};
use kernel::pagination::{Page, Paging};
use kernel::{Actor, AppError, AppResult, FieldError, db};
use rust_decimal::Decimal;
use sea_orm::{ConnectionTrait, FromQueryResult};
use uuid::Uuid;

use super::access::{course_scope, is_staff_in};
use super::dto::{
    CategoryRef, CourseDetail, CourseSummary, InstructorResponse, LessonOutline, ListCoursesQuery,
    ModuleResponse, Price, TeachingQuery, rating_average, shown,
};
use super::prerequisites::prerequisites;
use crate::state::AppState;

/// Columns of a course summary (`courses c`), read into [`SummaryRow`].
const SUMMARY_COLUMNS: &str = "c.id, c.title, c.slug, c.summary, c.level, c.language, c.status, \
    c.organization_id, c.cover_image_url, c.estimated_hours, c.price, c.currency, c.tag_names, \
    c.rating_count, c.rating_sum, c.enrollment_count, c.published_at, c.created_at, \
    (SELECT coalesce(json_agg(json_build_object('user_id', u.id, 'display_name', u.display_name, 'role', ci.role) \
        ORDER BY ci.role <> 'owner', ci.role, ci.created_at), '[]'::json) \
     FROM course_instructors ci JOIN users u ON u.id = ci.user_id WHERE ci.course_id = c.id) AS instructors, \
    (SELECT coalesce(json_agg(json_build_object('id', k.id, 'name', k.name, 'slug', k.slug) ORDER BY k.name), '[]'::json) \
     FROM course_categories cc JOIN categories k ON k.id = cc.category_id WHERE cc.course_id = c.id) AS categories";

/// A course as [`SUMMARY_COLUMNS`] read it.
#[derive(FromQueryResult)]
struct SummaryRow {
    id: Uuid,
    title: String,
    slug: String,
    summary: String,
    level: CourseLevel,
    language: String,
    status: CourseStatus,
    organization_id: Option<Uuid>,
    cover_image_url: Option<String>,
    estimated_hours: Option<Decimal>,
    price: Decimal,
    currency: String,
    tag_names: Vec<String>,
    rating_count: i32,
    rating_sum: i32,
    enrollment_count: i32,
    published_at: Option<DateTime<Utc>>,
    created_at: DateTime<Utc>,
    instructors: serde_json::Value,
    categories: serde_json::Value,
}

impl SummaryRow {
    fn into_summary(self) -> AppResult<CourseSummary> {
        Ok(CourseSummary {
            id: self.id,
            title: self.title,
            slug: self.slug,
            summary: self.summary,
            level: self.level.into(),
            language: self.language,
            status: self.status.into(),
            organization_id: self.organization_id,
            cover_image_url: self.cover_image_url,
            estimated_hours: self.estimated_hours.map(shown),
            is_free: self.price.is_zero(),
            price: Price {
                amount: shown(self.price),
                currency: self.currency,
            },
            tags: self.tag_names,
            categories: serde_json::from_value::<Vec<CategoryRef>>(self.categories)
                .map_err(AppError::internal)?,
            instructors: serde_json::from_value::<Vec<InstructorResponse>>(self.instructors)
                .map_err(AppError::internal)?,
            rating_average: rating_average(self.rating_sum, self.rating_count),
            rating_count: self.rating_count,
            enrollment_count: self.enrollment_count,
            published_at: self.published_at,
            created_at: self.created_at,
        })
    }
}

/// A row of a catalog page: the course and how many courses match across all pages.
#[derive(FromQueryResult)]
struct HitRow {
    #[sea_orm(nested)]
    course: SummaryRow,
    total: i64,
}

/// How many courses match, from a catalog page's first row.
#[derive(FromQueryResult)]
struct TotalRow {
    total: i64,
}

/// The SQL of a catalog page, shared with the benchmark (`examples/bench_catalog.rs
/// --print-sql`): parameters
/// $1 q, $2 category, $3 level, $4 tag, $5 language, $6 price (`free`/`paid`), $7 organization,
/// $8 instructor, $9 limit, $10 offset.
pub fn search_sql(sort: CourseSort) -> String {
    let order = match sort {
        CourseSort::Relevance => "ts_rank_cd(c.search, (SELECT query FROM q), 1) DESC, c.id DESC",
        CourseSort::Rating => {
            "(c.rating_sum::numeric / nullif(c.rating_count, 0)) DESC NULLS LAST, c.rating_count DESC, c.id DESC"
        }
        CourseSort::Popularity => "c.enrollment_count DESC, c.id DESC",
        CourseSort::Title => "lower(c.title), c.id",
        CourseSort::Newest => "c.published_at DESC NULLS LAST, c.id DESC",
    };
    format!(
        "WITH RECURSIVE q AS (SELECT websearch_to_tsquery('english', $1::text) AS query), \
         cat(id) AS (SELECT id FROM categories WHERE id = $2::uuid \
                     UNION SELECT k.id FROM categories k JOIN cat ON k.parent_id = cat.id), \
         hit AS ( \
           SELECT c.id, row_number() OVER (ORDER BY {order}) AS rn, count(*) OVER () AS total \
           FROM courses c \
           WHERE c.status = 'published' AND c.deleted_at IS NULL \
             AND ($1::text IS NULL OR c.search @@ (SELECT query FROM q)) \
             AND ($2::uuid IS NULL OR EXISTS (SELECT 1 FROM course_categories cc WHERE cc.course_id = c.id AND cc.category_id IN (SELECT id FROM cat))) \
             AND ($3::text IS NULL OR c.level = $3) \
             AND ($4::text IS NULL OR $4 = ANY (c.tag_names)) \
             AND ($5::text IS NULL OR c.language = $5) \
             AND ($6::text IS NULL OR ($6 = 'free' AND c.price = 0) OR ($6 = 'paid' AND c.price > 0)) \
             AND ($7::uuid IS NULL OR c.organization_id = $7) \
             AND ($8::uuid IS NULL OR EXISTS (SELECT 1 FROM course_instructors ci WHERE ci.course_id = c.id AND ci.user_id = $8)) \
           ORDER BY rn LIMIT $9 OFFSET $10) \
         SELECT {SUMMARY_COLUMNS}, hit.total FROM hit JOIN courses c ON c.id = hit.id ORDER BY hit.rn"
    )
}

/// `GET /courses`: published courses, searched, filtered, sorted and paged.
pub async fn list_courses(
    db: &impl ConnectionTrait,
    q: ListCoursesQuery,
) -> AppResult<Page<CourseSummary>> {
    let paging = Paging::new(q.page, q.per_page)?;
    let text =
        q.q.as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_owned);
    let mut errors = Vec::new();
    if text
        .as_ref()
        .is_some_and(|t| t.chars().count() > 200 || t.contains('\0'))
    {
        errors.push(FieldError::new(
            "q",
            "at most 200 characters, no NUL characters",
        ));
    }
    for (name, value) in [
        ("tag", q.tag.as_deref()),
        ("language", q.language.as_deref()),
    ] {
        if value.is_some_and(|v| v.contains('\0') || v.len() > 100) {
            errors.push(FieldError::new(
                name,
                "at most 100 characters, no NUL characters",
            ));
        }
    }
    let default_sort = if text.is_some() {
        CourseSort::Relevance
    } else {
        CourseSort::Newest
    };
    let sort = q.sort.unwrap_or(default_sort);
    if sort == CourseSort::Relevance && text.is_none() {
        errors.push(FieldError::new(
            "sort",
            "`relevance` needs a search text `q`",
        ));
    }
    if !errors.is_empty() {
        return Err(AppError::validation(errors));
    }
    let values = vec![
        text.into(),
        q.category.into(),
        q.level.into(),
        q.tag.map(|t| t.trim().to_lowercase()).into(),
        q.language.into(),
        q.price.into(),
        q.organization_id.into(),
        q.instructor_id.into(),
        paging.limit_i64().into(),
        paging.offset_i64().into(),
    ];
    let rows: Vec<HitRow> = db::rows(db, search_sql(sort), values.clone()).await?;
    let total = match rows.first() {
        Some(r) => r.total as u64,
        None if paging.page > 1 => {
            // Past the last page: count with the first page's query.
            let mut first = values;
            first[9] = 0i64.into();
            first[8] = 1i64.into();
            db::row::<TotalRow, _>(db, search_sql(sort), first)
                .await?
                .map_or(0, |r| r.total) as u64
        }
        None => 0,
    };
    let items = rows
        .into_iter()
        .map(|r| r.course.into_summary())
        .collect::<AppResult<Vec<_>>>()?;
    Ok(paging.wrap(items, total))
}

/// `GET /me/teaching`: courses the caller teaches or assists, in any status.
pub async fn teaching(
    state: &AppState,
    user: &Actor,
    q: TeachingQuery,
) -> AppResult<Page<CourseSummary>> {
    let paging = Paging::new(q.page, q.per_page)?;
    let filter = "c.deleted_at IS NULL AND ($2::text IS NULL OR c.status = $2) \
                  AND EXISTS (SELECT 1 FROM course_instructors ci WHERE ci.course_id = c.id AND ci.user_id = $1)";
    let total: i64 = db::scalar(
        &state.db,
        format!("SELECT count(*) AS n FROM courses c WHERE {filter}"),
        [user.id.into(), q.status.into()],
    )
    .await?
    .unwrap_or(0);
    let rows: Vec<SummaryRow> = db::rows(
        &state.db,
        format!(
            "SELECT {SUMMARY_COLUMNS} FROM courses c WHERE {filter} ORDER BY c.updated_at DESC, c.id LIMIT $3 OFFSET $4"
        ),
        [
            user.id.into(),
            q.status.into(),
            paging.limit_i64().into(),
            paging.offset_i64().into(),
        ],
    )
    .await?;
    let items = rows
        .into_iter()
        .map(SummaryRow::into_summary)
        .collect::<AppResult<Vec<_>>>()?;
    Ok(paging.wrap(items, total as u64))
}

/// A course as the detail reads it: the summary and the columns only the detail shows.
#[derive(FromQueryResult)]
struct DetailRow {
    #[sea_orm(nested)]
    course: SummaryRow,
    description: String,
    completion_reward: Option<Decimal>,
    submitted_at: Option<DateTime<Utc>>,
    archived_at: Option<DateTime<Utc>>,
    updated_at: DateTime<Utc>,
}

async fn detail_row(db: &impl ConnectionTrait, id: Uuid) -> AppResult<DetailRow> {
    db::row(
        db,
        format!(
            "SELECT {SUMMARY_COLUMNS}, c.description, c.completion_reward, c.submitted_at, c.archived_at, c.updated_at \
             FROM courses c WHERE c.id = $1 AND c.deleted_at IS NULL"
        ),
        [id.into()],
    )
    .await?
    .ok_or_else(|| AppError::not_found("course"))
}

/// The detail of `row`: its prerequisites and outline added.
async fn finish_detail(
    db: &impl ConnectionTrait,
    settings: &crate::config::Settings,
    row: DetailRow,
) -> AppResult<CourseDetail> {
    let id = row.course.id;
    let prerequisites = prerequisites(db, id).await?;
    Ok(CourseDetail {
        course: row.course.into_summary()?,
        description: row.description,
        completion_reward: shown(
            row.completion_reward
                .unwrap_or(settings.lms.completion_reward),
        ),
        prerequisites,
        modules: outline(db, id).await?,
        submitted_at: row.submitted_at,
        archived_at: row.archived_at,
        updated_at: row.updated_at,
    })
}

/// The full course: summary, description, prerequisites and outline.
pub(super) async fn detail(
    db: &impl ConnectionTrait,
    settings: &crate::config::Settings,
    id: Uuid,
) -> AppResult<CourseDetail> {
    let row = detail_row(db, id).await?;
    finish_detail(db, settings, row).await
}

/// A module of the outline with one of its lessons (`None` for a module without lessons).
#[derive(FromQueryResult)]
struct OutlineRow {
    module_id: Uuid,
    module_title: String,
    description: String,
    module_position: i32,
    #[sea_orm(nested)]
    lesson: Option<LessonOutline>,
}

/// Modules with their lessons (no content), in order.
pub(super) async fn outline(
    db: &impl ConnectionTrait,
    course_id: Uuid,
) -> AppResult<Vec<ModuleResponse>> {
    let rows: Vec<OutlineRow> = db::rows(
        db,
        "SELECT m.id AS module_id, m.title AS module_title, m.description, m.position AS module_position, \
                l.id, l.title, l.kind, l.duration_minutes, l.preview, l.required, l.position \
         FROM course_modules m LEFT JOIN lessons l ON l.module_id = m.id \
         WHERE m.course_id = $1 ORDER BY m.position, l.position",
        [course_id.into()],
    )
    .await?;
    let mut modules: Vec<ModuleResponse> = Vec::new();
    for r in rows {
        if modules.last().is_none_or(|m| m.id != r.module_id) {
            modules.push(ModuleResponse {
                id: r.module_id,
                course_id,
                title: r.module_title,
                description: r.description,
                position: r.module_position,
                lessons: Vec::new(),
            });
        }
        if let Some(lesson) = r.lesson
            && let Some(m) = modules.last_mut()
        {
            m.lessons.push(lesson);
        }
    }
    Ok(modules)
}

/// `GET /courses/{id}`: drafts and courses under review only for their staff (404 for others).
pub async fn get_course(
    state: &AppState,
    user: Option<&Actor>,
    id: Uuid,
) -> AppResult<CourseDetail> {
    // One read: the row carries what visibility needs (status, organization).
    let row = detail_row(&state.db, id).await?;
    if !row.course.status.is_public() {
        let scope = course_scope(id, row.course.organization_id);
        match user {
            Some(user) if is_staff_in(state, user, scope).await? => {}
            _ => return Err(AppError::not_found("course")),
        }
    }
    finish_detail(&state.db, &state.settings, row).await
}
