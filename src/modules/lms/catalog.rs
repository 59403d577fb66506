//! The catalog: categories, tags, courses (create, edit, search, status workflow), their
//! instructors and prerequisites, and the access rules every other part of the LMS uses.

use kernel::money::Amount;
use kernel::text::Line;
use rust_decimal::Decimal;
use sea_orm::{ConnectionTrait, DatabaseTransaction, TransactionTrait};
use serde_json::json;
use uuid::Uuid;

use super::dto::{
    AddInstructorRequest, AddPrerequisiteRequest, CategoryNode, CategoryRef, CourseDetail,
    CourseRef, CourseSummary, CreateCategoryRequest, CreateCourseRequest, InstructorResponse,
    LessonOutline, ListCoursesQuery, ModuleResponse, Price, PriceInput, TagResponse, TeachingQuery,
    UpdateCategoryRequest, UpdateCourseRequest,
};
use crate::db;
use crate::modules::audit::{self, AuditEvent};
use crate::modules::rbac::{self, Scope};
use crate::modules::wallet;
use crate::state::AppState;
use kernel::pagination::{Page, Paging};
use kernel::slug::{SLUG_RULE, slug_taken, slugify, valid_slug};
use kernel::text::check_name;
use kernel::{Actor, RequestMeta};
use kernel::{AppError, AppResult, ErrorCode, FieldError};

pub const LEVELS: [&str; 4] = ["beginner", "intermediate", "advanced", "expert"];

// ------------------------------------------------------------------ access rules

/// The facts about a course that access rules and other modules need.
#[derive(Debug, Clone)]
pub struct CourseRow {
    pub id: Uuid,
    pub title: String,
    pub status: String,
    pub organization_id: Option<Uuid>,
    pub owner_id: Uuid,
    pub price: Decimal,
    pub currency: String,
    pub completion_reward: Option<Decimal>,
}

impl CourseRow {
    /// The RBAC scope of the course (its organization's grants cover it).
    pub fn scope(&self) -> Scope {
        Scope::Course {
            id: self.id,
            organization_id: self.organization_id,
        }
    }

    /// Published or archived: the public may see it.
    pub fn is_public(&self) -> bool {
        matches!(self.status.as_str(), "published" | "archived")
    }
}

/// A live (not deleted) course, or 404.
pub async fn course_row(db: &impl ConnectionTrait, id: Uuid) -> AppResult<CourseRow> {
    let r = db::one(
        db,
        "SELECT id, title, status, organization_id, owner_id, price, currency, completion_reward \
         FROM courses WHERE id = $1 AND deleted_at IS NULL",
        [id.into()],
    )
    .await?
    .ok_or_else(|| AppError::not_found("course"))?;
    Ok(CourseRow {
        id: r.try_get("", "id")?,
        title: r.try_get("", "title")?,
        status: r.try_get("", "status")?,
        organization_id: r.try_get("", "organization_id")?,
        owner_id: r.try_get("", "owner_id")?,
        price: r.try_get("", "price")?,
        currency: r.try_get("", "currency")?,
        completion_reward: r.try_get("", "completion_reward")?,
    })
}

/// Whether the caller teaches or oversees the course (may see it in any status).
pub async fn is_staff(state: &AppState, user: &Actor, course: &CourseRow) -> AppResult<bool> {
    is_staff_in(state, user, course.scope()).await
}

async fn is_staff_in(state: &AppState, user: &Actor, scope: Scope) -> AppResult<bool> {
    for permission in ["course:update", "course:grade", "course:publish"] {
        if crate::authz::allowed(state, user, permission, scope).await? {
            return Ok(true);
        }
    }
    Ok(false)
}

/// The course if the caller may see it: public ones to everyone, drafts and courses under
/// review to their staff only (404 for the rest, who may not know they exist).
pub async fn visible_course(
    state: &AppState,
    user: Option<&Actor>,
    id: Uuid,
) -> AppResult<CourseRow> {
    let course = course_row(&state.db, id).await?;
    if course.is_public() {
        return Ok(course);
    }
    match user {
        Some(user) if is_staff(state, user, &course).await? => Ok(course),
        _ => Err(AppError::not_found("course")),
    }
}

/// The course if the caller may use `permission` on it: 404 when they cannot even see it,
/// 403 when they can see it but not do this.
pub async fn course_for(
    state: &AppState,
    user: &Actor,
    id: Uuid,
    permission: &str,
) -> AppResult<CourseRow> {
    let course = visible_course(state, Some(user), id).await?;
    crate::authz::require(state, user, permission, course.scope()).await?;
    Ok(course)
}

/// Locks the course row until the transaction ends: structural edits and counters of one
/// course run one at a time.
pub async fn lock_course(txn: &DatabaseTransaction, id: Uuid) -> AppResult<()> {
    db::one(
        txn,
        "SELECT id FROM courses WHERE id = $1 FOR UPDATE",
        [id.into()],
    )
    .await?
    .ok_or_else(|| AppError::not_found("course"))?;
    Ok(())
}

// ------------------------------------------------------------------ money helpers

/// A non-negative amount in `scale` places ("0" allowed), or 422 at `pointer`.
pub fn parse_money(raw: &str, scale: u32, pointer: &str) -> AppResult<Decimal> {
    let zero = raw.trim().parse::<Decimal>().is_ok_and(|d| d.is_zero());
    if zero && !raw.trim().starts_with('-') {
        return Ok(Decimal::ZERO);
    }
    wallet::parse_amount(raw, scale, pointer)
}

async fn parse_price(db: &impl ConnectionTrait, p: &PriceInput) -> AppResult<(Decimal, String)> {
    let cur = wallet::currency(db, &p.currency, "#/price/currency").await?;
    let amount = p.amount.in_scale(cur.scale, "#/price/amount")?;
    Ok((amount, cur.code))
}

fn shown(amount: Decimal) -> Decimal {
    amount.normalize()
}

/// A percentage or an average as documented: two decimal places, always (`"3.50"`, `"100.00"`),
/// rounded half away from zero like SQL's `round`.
pub fn two_places(value: Decimal) -> Decimal {
    let mut v =
        value.round_dp_with_strategy(2, rust_decimal::RoundingStrategy::MidpointAwayFromZero);
    v.rescale(2);
    v
}

// ------------------------------------------------------------------ categories and tags

pub async fn category_tree(db: &impl ConnectionTrait) -> AppResult<Vec<CategoryNode>> {
    let rows = db::all(
        db,
        "SELECT k.id, k.parent_id, k.name, k.slug, k.description, k.position, \
         (SELECT count(*) FROM course_categories cc JOIN courses c ON c.id = cc.course_id \
          WHERE cc.category_id = k.id AND c.status = 'published' AND c.deleted_at IS NULL) AS course_count \
         FROM categories k ORDER BY k.position, k.name",
        [],
    )
    .await?;
    let mut flat = Vec::with_capacity(rows.len());
    for r in &rows {
        flat.push(CategoryNode {
            id: r.try_get("", "id")?,
            parent_id: r.try_get("", "parent_id")?,
            name: r.try_get("", "name")?,
            slug: r.try_get("", "slug")?,
            description: r.try_get("", "description")?,
            position: r.try_get("", "position")?,
            course_count: r.try_get("", "course_count")?,
            children: Vec::new(),
        });
    }
    fn build(parent: Option<Uuid>, flat: &[CategoryNode]) -> Vec<CategoryNode> {
        flat.iter()
            .filter(|c| c.parent_id == parent)
            .map(|c| CategoryNode {
                children: build(Some(c.id), flat),
                ..c.clone()
            })
            .collect()
    }
    Ok(build(None, &flat))
}

async fn category_node(db: &impl ConnectionTrait, id: Uuid) -> AppResult<CategoryNode> {
    fn find(nodes: Vec<CategoryNode>, id: Uuid) -> Option<CategoryNode> {
        for n in nodes {
            if n.id == id {
                return Some(n);
            }
            if let Some(found) = find(n.children, id) {
                return Some(found);
            }
        }
        None
    }
    find(category_tree(db).await?, id).ok_or_else(|| AppError::not_found("category"))
}

fn check_category_name(name: &str, errors: &mut Vec<FieldError>) {
    check_name("#/name", name, 100, errors);
}

pub async fn create_category(
    state: &AppState,
    user: &Actor,
    client: &RequestMeta,
    req: CreateCategoryRequest,
) -> AppResult<CategoryNode> {
    crate::authz::require(state, user, "catalog:manage", Scope::Global).await?;
    let mut errors = Vec::new();
    check_category_name(&req.name, &mut errors);
    let slug = req
        .slug
        .clone()
        .map(Line::into_string)
        .unwrap_or_else(|| slugify(&req.name));
    if !valid_slug(&slug) {
        errors.push(FieldError::new("#/slug", SLUG_RULE));
    }
    if req.position.is_some_and(|p| p < 0) {
        errors.push(FieldError::new("#/position", "must be 0 or more"));
    }
    if !errors.is_empty() {
        return Err(AppError::validation(errors));
    }
    let txn = state.db.begin().await?;
    if let Some(parent) = req.parent_id {
        db::one(
            &txn,
            "SELECT id FROM categories WHERE id = $1",
            [parent.into()],
        )
        .await?
        .ok_or_else(|| {
            AppError::validation(vec![FieldError::new("#/parent_id", "no such category")])
        })?;
    }
    let id = Uuid::now_v7();
    let inserted = db::exec(
        &txn,
        "INSERT INTO categories (id, parent_id, name, slug, description, position) \
         VALUES ($1, $2, $3, $4, $5, coalesce($6, (SELECT count(*)::int FROM categories WHERE parent_id IS NOT DISTINCT FROM $2))) \
         ON CONFLICT (slug) DO NOTHING",
        [
            id.into(),
            req.parent_id.into(),
            req.name.trim().to_owned().into(),
            slug.clone().into(),
            req.description.trim().to_owned().into(),
            req.position.into(),
        ],
    )
    .await?;
    if inserted.rows_affected() == 0 {
        return Err(slug_taken(&slug));
    }
    audit::record(
        &txn,
        AuditEvent::new(
            Some(user.id),
            "category.create",
            "category",
            Some(id.to_string()),
        )
        .details(json!({"name": req.name.trim(), "slug": slug, "parent_id": req.parent_id})),
        client,
    )
    .await?;
    txn.commit().await?;
    category_node(&state.db, id).await
}

pub async fn update_category(
    state: &AppState,
    user: &Actor,
    client: &RequestMeta,
    id: Uuid,
    req: UpdateCategoryRequest,
) -> AppResult<CategoryNode> {
    crate::authz::require(state, user, "catalog:manage", Scope::Global).await?;
    let mut errors = Vec::new();
    if let Some(name) = &req.name {
        check_category_name(name, &mut errors);
    }
    if req.position.is_some_and(|p| p < 0) {
        errors.push(FieldError::new("#/position", "must be 0 or more"));
    }
    if !errors.is_empty() {
        return Err(AppError::validation(errors));
    }
    let txn = state.db.begin().await?;
    // One tree edit at a time, so two moves cannot build a cycle between them.
    db::advisory_lock(&txn, "category_tree").await?;
    db::one(&txn, "SELECT id FROM categories WHERE id = $1", [id.into()])
        .await?
        .ok_or_else(|| AppError::not_found("category"))?;
    if let Some(Some(parent)) = req.parent_id {
        db::one(
            &txn,
            "SELECT id FROM categories WHERE id = $1",
            [parent.into()],
        )
        .await?
        .ok_or_else(|| {
            AppError::validation(vec![FieldError::new("#/parent_id", "no such category")])
        })?;
        let cycle = db::one(
            &txn,
            "WITH RECURSIVE sub(id) AS (SELECT $1::uuid UNION SELECT k.id FROM categories k JOIN sub ON k.parent_id = sub.id) \
             SELECT 1 AS one FROM sub WHERE id = $2",
            [id.into(), parent.into()],
        )
        .await?
        .is_some();
        if cycle {
            return Err(AppError::new(
                ErrorCode::CategoryCycle,
                "a category cannot move under itself or one of its descendants",
            )
            .with_errors(vec![FieldError::new(
                "#/parent_id",
                "is this category or one of its descendants",
            )]));
        }
    }
    db::exec(
        &txn,
        "UPDATE categories SET name = coalesce($2, name), description = coalesce($3, description), \
         parent_id = CASE WHEN $4 THEN $5 ELSE parent_id END, position = coalesce($6, position), \
         updated_at = now() WHERE id = $1",
        [
            id.into(),
            req.name.as_ref().map(|n| n.trim().to_owned()).into(),
            req.description.clone().into(),
            req.parent_id.is_some().into(),
            req.parent_id.flatten().into(),
            req.position.into(),
        ],
    )
    .await?;
    audit::record(
        &txn,
        AuditEvent::new(
            Some(user.id),
            "category.update",
            "category",
            Some(id.to_string()),
        )
        .details(json!({"name": req.name, "parent_id": req.parent_id, "position": req.position})),
        client,
    )
    .await?;
    txn.commit().await?;
    category_node(&state.db, id).await
}

/// Tags of published courses only: those of drafts are not public, and unused ones are noise.
pub async fn list_tags(db: &impl ConnectionTrait) -> AppResult<Vec<TagResponse>> {
    let rows = db::all(
        db,
        "SELECT t.name, count(c.id) AS course_count FROM tags t \
         LEFT JOIN course_tags ct ON ct.tag_id = t.id \
         LEFT JOIN courses c ON c.id = ct.course_id AND c.status = 'published' AND c.deleted_at IS NULL \
         GROUP BY t.name HAVING count(c.id) > 0 ORDER BY count(c.id) DESC, t.name LIMIT 500",
        [],
    )
    .await?;
    rows.iter()
        .map(|r| {
            Ok(TagResponse {
                name: r.try_get("", "name")?,
                course_count: r.try_get("", "course_count")?,
            })
        })
        .collect()
}

// ------------------------------------------------------------------ course reads

/// Columns of a course summary; instructors and categories come as JSON in the same row, so a
/// page of courses is one query.
const SUMMARY_COLUMNS: &str = "c.id, c.title, c.slug, c.summary, c.level, c.language, c.status, \
    c.organization_id, c.cover_image_url, c.estimated_hours, c.price, c.currency, c.tag_names, \
    c.rating_count, c.rating_sum, c.enrollment_count, c.published_at, c.created_at, \
    (SELECT coalesce(json_agg(json_build_object('user_id', u.id, 'display_name', u.display_name, 'role', ci.role) \
        ORDER BY ci.role <> 'owner', ci.role, ci.created_at), '[]'::json) \
     FROM course_instructors ci JOIN users u ON u.id = ci.user_id WHERE ci.course_id = c.id) AS instructors, \
    (SELECT coalesce(json_agg(json_build_object('id', k.id, 'name', k.name, 'slug', k.slug) ORDER BY k.name), '[]'::json) \
     FROM course_categories cc JOIN categories k ON k.id = cc.category_id WHERE cc.course_id = c.id) AS categories";

fn summary_from_row(r: &sea_orm::QueryResult) -> AppResult<CourseSummary> {
    let rating_count: i32 = r.try_get("", "rating_count")?;
    let rating_sum: i32 = r.try_get("", "rating_sum")?;
    let price: Decimal = r.try_get("", "price")?;
    let instructors: serde_json::Value = r.try_get("", "instructors")?;
    let categories: serde_json::Value = r.try_get("", "categories")?;
    Ok(CourseSummary {
        id: r.try_get("", "id")?,
        title: r.try_get("", "title")?,
        slug: r.try_get("", "slug")?,
        summary: r.try_get("", "summary")?,
        level: r.try_get("", "level")?,
        language: r.try_get("", "language")?,
        status: r.try_get("", "status")?,
        organization_id: r.try_get("", "organization_id")?,
        cover_image_url: r.try_get("", "cover_image_url")?,
        estimated_hours: r
            .try_get::<Option<Decimal>>("", "estimated_hours")?
            .map(shown),
        is_free: price.is_zero(),
        price: Price {
            amount: shown(price),
            currency: r.try_get("", "currency")?,
        },
        tags: r.try_get("", "tag_names")?,
        categories: serde_json::from_value::<Vec<CategoryRef>>(categories)
            .map_err(AppError::internal)?,
        instructors: serde_json::from_value::<Vec<InstructorResponse>>(instructors)
            .map_err(AppError::internal)?,
        rating_average: (rating_count > 0)
            .then(|| two_places(Decimal::from(rating_sum) / Decimal::from(rating_count))),
        rating_count,
        enrollment_count: r.try_get("", "enrollment_count")?,
        published_at: r.try_get("", "published_at")?,
        created_at: r.try_get("", "created_at")?,
    })
}

/// The SQL of a catalog page, shared with the benchmark (`examples/bench_catalog.rs
/// --print-sql`): parameters
/// $1 q, $2 category, $3 level, $4 tag, $5 language, $6 price (`free`/`paid`), $7 organization,
/// $8 instructor, $9 limit, $10 offset.
pub fn search_sql(sort: &str) -> String {
    let order = match sort {
        "relevance" => "ts_rank_cd(c.search, (SELECT query FROM q), 1) DESC, c.id DESC",
        "rating" => {
            "(c.rating_sum::numeric / nullif(c.rating_count, 0)) DESC NULLS LAST, c.rating_count DESC, c.id DESC"
        }
        "popularity" => "c.enrollment_count DESC, c.id DESC",
        "title" => "lower(c.title), c.id",
        _ => "c.published_at DESC NULLS LAST, c.id DESC",
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
    if let Some(level) = &q.level
        && !LEVELS.contains(&level.as_str())
    {
        errors.push(FieldError::new(
            "level",
            "one of beginner, intermediate, advanced, expert",
        ));
    }
    if let Some(price) = &q.price
        && !matches!(price.as_str(), "free" | "paid")
    {
        errors.push(FieldError::new("price", "`free` or `paid`"));
    }
    let default_sort = if text.is_some() {
        "relevance"
    } else {
        "newest"
    };
    let sort = q
        .sort
        .map(|v| v.as_str())
        .unwrap_or(default_sort)
        .to_owned();
    if !matches!(
        sort.as_str(),
        "relevance" | "newest" | "rating" | "popularity" | "title"
    ) {
        errors.push(FieldError::new(
            "sort",
            "one of relevance, newest, rating, popularity, title",
        ));
    }
    if sort == "relevance" && text.is_none() {
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
        (paging.per_page as i64).into(),
        (paging.offset() as i64).into(),
    ];
    let rows = db::all(db, search_sql(&sort), values.clone()).await?;
    let total = match rows.first() {
        Some(r) => r.try_get::<i64>("", "total")? as u64,
        None if paging.page > 1 => {
            // Past the last page: count with the first page's query.
            let mut first = values;
            first[9] = 0i64.into();
            first[8] = 1i64.into();
            db::one(db, search_sql(&sort), first)
                .await?
                .map(|r| r.try_get::<i64>("", "total"))
                .transpose()?
                .unwrap_or(0) as u64
        }
        None => 0,
    };
    let items = rows
        .iter()
        .map(summary_from_row)
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
    let total: i64 = db::one(
        &state.db,
        format!("SELECT count(*) AS n FROM courses c WHERE {filter}"),
        [user.id.into(), q.status.into()],
    )
    .await?
    .map(|r| r.try_get("", "n"))
    .transpose()?
    .unwrap_or(0);
    let rows = db::all(
        &state.db,
        format!(
            "SELECT {SUMMARY_COLUMNS} FROM courses c WHERE {filter} ORDER BY c.updated_at DESC, c.id LIMIT $3 OFFSET $4"
        ),
        [
            user.id.into(),
            q.status.into(),
            (paging.per_page as i64).into(),
            (paging.offset() as i64).into(),
        ],
    )
    .await?;
    let items = rows
        .iter()
        .map(summary_from_row)
        .collect::<AppResult<Vec<_>>>()?;
    Ok(paging.wrap(items, total as u64))
}

/// The full course: summary, description, prerequisites and outline.
pub async fn detail(
    db: &impl ConnectionTrait,
    settings: &crate::config::Settings,
    id: Uuid,
) -> AppResult<CourseDetail> {
    let r = db::one(
        db,
        format!(
            "SELECT {SUMMARY_COLUMNS}, c.description, c.completion_reward, c.submitted_at, c.archived_at, c.updated_at \
             FROM courses c WHERE c.id = $1 AND c.deleted_at IS NULL"
        ),
        [id.into()],
    )
    .await?
    .ok_or_else(|| AppError::not_found("course"))?;
    let course = summary_from_row(&r)?;
    let prerequisites = prerequisites(db, id).await?;
    Ok(CourseDetail {
        course,
        description: r.try_get("", "description")?,
        completion_reward: shown(
            r.try_get::<Option<Decimal>>("", "completion_reward")?
                .unwrap_or(settings.lms.completion_reward),
        ),
        prerequisites,
        modules: outline(db, id).await?,
        submitted_at: r.try_get("", "submitted_at")?,
        archived_at: r.try_get("", "archived_at")?,
        updated_at: r.try_get("", "updated_at")?,
    })
}

/// Modules with their lessons (no content), in order.
pub async fn outline(db: &impl ConnectionTrait, course_id: Uuid) -> AppResult<Vec<ModuleResponse>> {
    let rows = db::all(
        db,
        "SELECT m.id AS module_id, m.title AS module_title, m.description, m.position AS module_position, \
                l.id, l.title, l.kind, l.duration_minutes, l.preview, l.required, l.position \
         FROM course_modules m LEFT JOIN lessons l ON l.module_id = m.id \
         WHERE m.course_id = $1 ORDER BY m.position, l.position",
        [course_id.into()],
    )
    .await?;
    let mut modules: Vec<ModuleResponse> = Vec::new();
    for r in &rows {
        let module_id: Uuid = r.try_get("", "module_id")?;
        if modules.last().is_none_or(|m| m.id != module_id) {
            modules.push(ModuleResponse {
                id: module_id,
                course_id,
                title: r.try_get("", "module_title")?,
                description: r.try_get("", "description")?,
                position: r.try_get("", "module_position")?,
                lessons: Vec::new(),
            });
        }
        if let Some(id) = r.try_get::<Option<Uuid>>("", "id")?
            && let Some(m) = modules.last_mut()
        {
            m.lessons.push(LessonOutline {
                id,
                title: r.try_get("", "title")?,
                kind: r.try_get("", "kind")?,
                duration_minutes: r.try_get("", "duration_minutes")?,
                preview: r.try_get("", "preview")?,
                required: r.try_get("", "required")?,
                position: r.try_get("", "position")?,
            });
        }
    }
    Ok(modules)
}

pub async fn get_course(
    state: &AppState,
    user: Option<&Actor>,
    id: Uuid,
) -> AppResult<CourseDetail> {
    // One read: the detail carries what visibility needs (status, organization).
    let detail = detail(&state.db, &state.settings, id).await?;
    if matches!(detail.course.status.as_str(), "published" | "archived") {
        return Ok(detail);
    }
    let scope = Scope::Course {
        id,
        organization_id: detail.course.organization_id,
    };
    match user {
        Some(user) if is_staff_in(state, user, scope).await? => Ok(detail),
        _ => Err(AppError::not_found("course")),
    }
}

// ------------------------------------------------------------------ course writes

struct CourseFields {
    level: Option<String>,
    language: Option<String>,
    price: Option<(Decimal, String)>,
    completion_reward: Option<Option<Decimal>>,
    tags: Option<Vec<String>>,
}

#[allow(clippy::too_many_arguments)]
async fn check_course_fields(
    db: &impl ConnectionTrait,
    title: Option<&str>,
    level: Option<&str>,
    language: Option<&str>,
    cover: Option<&str>,
    hours: Option<Decimal>,
    price: Option<&PriceInput>,
    reward: Option<Option<&Amount>>,
    category_ids: Option<&[Uuid]>,
    tags: Option<&[Line<50>]>,
) -> AppResult<CourseFields> {
    let mut errors = Vec::new();
    if let Some(title) = title {
        check_name("#/title", title, 200, &mut errors);
    }
    if let Some(level) = level
        && !LEVELS.contains(&level)
    {
        errors.push(FieldError::new(
            "#/level",
            "one of beginner, intermediate, advanced, expert",
        ));
    }
    if let Some(lang) = language
        && !(2..=10).contains(&lang.len())
    {
        errors.push(FieldError::new(
            "#/language",
            "a language tag like `en` or `pt-BR`",
        ));
    }
    if let Some(url) = cover
        && !kernel::text::is_http_url(url)
    {
        errors.push(FieldError::new(
            "#/cover_image_url",
            "must be an http(s) URL",
        ));
    }
    if let Some(h) = hours
        && (h.is_sign_negative() || h > Decimal::from(10_000) || h.round_dp(1) != h)
    {
        errors.push(FieldError::new(
            "#/estimated_hours",
            "0 to 10000, at most one decimal",
        ));
    }
    let price = match price {
        Some(p) => match parse_price(db, p).await {
            Ok(v) => Some(v),
            Err(e) => return Err(e),
        },
        None => None,
    };
    let completion_reward = match reward {
        Some(Some(raw)) => Some(Some(raw.in_scale(8, "#/completion_reward")?)),
        Some(None) => Some(None),
        None => None,
    };
    let tags = tags.map(|tags| {
        let mut clean: Vec<String> = Vec::new();
        for (i, t) in tags.iter().enumerate() {
            let t = t.trim().to_lowercase();
            if t.is_empty() || t.chars().count() > 50 {
                errors.push(FieldError::new(
                    format!("#/tags/{i}"),
                    "must be 1 to 50 characters",
                ));
            } else if !clean.contains(&t) {
                clean.push(t);
            }
        }
        if clean.len() > 20 {
            errors.push(FieldError::new("#/tags", "at most 20 tags"));
        }
        clean
    });
    if let Some(ids) = category_ids {
        if ids.len() > 10 {
            errors.push(FieldError::new("#/category_ids", "at most 10 categories"));
        }
        for (i, id) in ids.iter().enumerate() {
            let known = db::one(
                db,
                "SELECT id FROM categories WHERE id = $1",
                [(*id).into()],
            )
            .await?
            .is_some();
            if !known {
                errors.push(FieldError::new(
                    format!("#/category_ids/{i}"),
                    "no such category",
                ));
            }
        }
    }
    if !errors.is_empty() {
        return Err(AppError::validation(errors));
    }
    Ok(CourseFields {
        level: level.map(str::to_owned),
        language: language.map(str::to_owned),
        price,
        completion_reward,
        tags,
    })
}

async fn set_categories(txn: &DatabaseTransaction, course: Uuid, ids: &[Uuid]) -> AppResult<()> {
    db::exec(
        txn,
        "DELETE FROM course_categories WHERE course_id = $1",
        [course.into()],
    )
    .await?;
    for id in ids {
        db::exec(
            txn,
            "INSERT INTO course_categories (course_id, category_id) VALUES ($1, $2) ON CONFLICT DO NOTHING",
            [course.into(), (*id).into()],
        )
        .await?;
    }
    Ok(())
}

async fn set_tags(txn: &DatabaseTransaction, course: Uuid, tags: &[String]) -> AppResult<()> {
    db::exec(
        txn,
        "DELETE FROM course_tags WHERE course_id = $1",
        [course.into()],
    )
    .await?;
    for tag in tags {
        db::exec(
            txn,
            "INSERT INTO tags (id, name) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING",
            [Uuid::now_v7().into(), tag.clone().into()],
        )
        .await?;
        db::exec(
            txn,
            "INSERT INTO course_tags (course_id, tag_id) SELECT $1, id FROM tags WHERE name = $2 ON CONFLICT DO NOTHING",
            [course.into(), tag.clone().into()],
        )
        .await?;
    }
    db::exec(
        txn,
        "UPDATE courses SET tag_names = $2 WHERE id = $1",
        [course.into(), tags.to_vec().into()],
    )
    .await?;
    Ok(())
}

/// Slugs to try for a course created without one: the title's, then the title's with the
/// course id's last characters (or `course-<suffix>` for a title without letters or digits).
fn derived_slugs(title: &str, id: Uuid) -> Vec<String> {
    let base = slugify(title);
    let simple = id.simple().to_string();
    let suffix = &simple[simple.len() - 8..];
    let stem: String = base.chars().take(50).collect();
    let stem = stem.trim_end_matches('-');
    let suffixed = if stem.is_empty() {
        format!("course-{suffix}")
    } else {
        format!("{stem}-{suffix}")
    };
    if valid_slug(&base) {
        vec![base, suffixed]
    } else {
        vec![suffixed]
    }
}

pub async fn create_course(
    state: &AppState,
    user: &Actor,
    client: &RequestMeta,
    req: CreateCourseRequest,
) -> AppResult<CourseDetail> {
    let scope = crate::modules::orgs::publishing_scope(state, user, req.organization_id).await?;
    crate::authz::require(state, user, "course:create", scope).await?;
    let fields = check_course_fields(
        &state.db,
        Some(&req.title),
        req.level.as_deref(),
        req.language.as_deref(),
        req.cover_image_url.as_deref(),
        req.estimated_hours,
        req.price.as_ref(),
        req.completion_reward.as_ref().map(Some),
        Some(&req.category_ids),
        Some(&req.tags),
    )
    .await?;
    let id = Uuid::now_v7();
    let candidates = match &req.slug {
        Some(slug) if !valid_slug(slug) => {
            return Err(AppError::validation(vec![FieldError::new(
                "#/slug", SLUG_RULE,
            )]));
        }
        Some(slug) => vec![slug.to_string()],
        None => derived_slugs(&req.title, id),
    };
    let (price, currency) = fields
        .price
        .unwrap_or_else(|| (Decimal::ZERO, "USD".to_owned()));
    let level = fields.level.unwrap_or_else(|| "beginner".to_owned());
    let language = fields.language.unwrap_or_else(|| "en".to_owned());
    let txn = state.db.begin().await?;
    // The first free candidate wins; a taken explicit slug is a conflict.
    let mut slug = None;
    for candidate in &candidates {
        let inserted = db::exec(
            &txn,
            "INSERT INTO courses (id, title, slug, summary, description, level, language, organization_id, \
             cover_image_url, estimated_hours, price, currency, completion_reward, owner_id) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14) ON CONFLICT (slug) DO NOTHING",
            [
                id.into(),
                req.title.trim().to_owned().into(),
                candidate.clone().into(),
                req.summary.trim().to_owned().into(),
                req.description.clone().into(),
                level.clone().into(),
                language.clone().into(),
                req.organization_id.into(),
                req.cover_image_url.clone().into(),
                req.estimated_hours.into(),
                price.into(),
                currency.clone().into(),
                fields.completion_reward.flatten().into(),
                user.id.into(),
            ],
        )
        .await?;
        if inserted.rows_affected() == 1 {
            slug = Some(candidate.clone());
            break;
        }
    }
    let slug = slug.ok_or_else(|| slug_taken(&candidates[0]))?;
    db::exec(
        &txn,
        "INSERT INTO course_instructors (course_id, user_id, role) VALUES ($1, $2, 'owner')",
        [id.into(), user.id.into()],
    )
    .await?;
    let course_scope = Scope::Course {
        id,
        organization_id: req.organization_id,
    };
    rbac::assign_role(
        &txn,
        user.id,
        "course_instructor",
        course_scope,
        Some(user.id),
    )
    .await?;
    set_categories(&txn, id, &req.category_ids).await?;
    set_tags(&txn, id, &fields.tags.unwrap_or_default()).await?;
    let detail = detail(&txn, &state.settings, id).await?;
    audit::record(
        &txn,
        AuditEvent::new(Some(user.id), "course.create", "course", Some(id.to_string()))
            .details(json!({"title": req.title.trim(), "slug": slug, "organization_id": req.organization_id})),
        client,
    )
    .await?;
    txn.commit().await?;
    Ok(detail)
}

pub async fn update_course(
    state: &AppState,
    user: &Actor,
    client: &RequestMeta,
    id: Uuid,
    req: UpdateCourseRequest,
) -> AppResult<CourseDetail> {
    course_for(state, user, id, "course:update").await?;
    let fields = check_course_fields(
        &state.db,
        req.title.as_deref(),
        req.level.as_deref(),
        req.language.as_deref(),
        req.cover_image_url.clone().flatten().as_deref(),
        req.estimated_hours.flatten(),
        req.price.as_ref(),
        req.completion_reward.as_ref().map(|r| r.as_ref()),
        req.category_ids.as_deref(),
        req.tags.as_deref(),
    )
    .await?;
    if let Some(slug) = &req.slug
        && !valid_slug(slug)
    {
        return Err(AppError::validation(vec![FieldError::new(
            "#/slug", SLUG_RULE,
        )]));
    }
    let txn = state.db.begin().await?;
    if let Some(slug) = &req.slug {
        let taken = db::one(
            &txn,
            "SELECT 1 AS one FROM courses WHERE slug = $1 AND id <> $2",
            [slug.clone().into(), id.into()],
        )
        .await?
        .is_some();
        if taken {
            return Err(slug_taken(slug));
        }
    }
    let (price, currency) = fields.price.clone().unzip();
    db::exec(
        &txn,
        "UPDATE courses SET title = coalesce($2, title), slug = coalesce($3, slug), summary = coalesce($4, summary), \
         description = coalesce($5, description), level = coalesce($6, level), language = coalesce($7, language), \
         cover_image_url = CASE WHEN $8 THEN $9 ELSE cover_image_url END, \
         estimated_hours = CASE WHEN $10 THEN $11 ELSE estimated_hours END, \
         price = coalesce($12, price), currency = coalesce($13, currency), \
         completion_reward = CASE WHEN $14 THEN $15 ELSE completion_reward END, updated_at = now() \
         WHERE id = $1",
        [
            id.into(),
            req.title.as_ref().map(|t| t.trim().to_owned()).into(),
            req.slug.clone().into(),
            req.summary.as_ref().map(|s| s.trim().to_owned()).into(),
            req.description.clone().into(),
            fields.level.into(),
            fields.language.into(),
            req.cover_image_url.is_some().into(),
            req.cover_image_url.clone().flatten().into(),
            req.estimated_hours.is_some().into(),
            req.estimated_hours.flatten().into(),
            price.into(),
            currency.into(),
            fields.completion_reward.is_some().into(),
            fields.completion_reward.flatten().into(),
        ],
    )
    .await
    .map_err(|e| match e.sql_err() {
        // A concurrent update took the slug between the check above and this write.
        Some(sea_orm::SqlErr::UniqueConstraintViolation(_)) => {
            slug_taken(req.slug.as_deref().unwrap_or_default())
        }
        _ => e.into(),
    })?;
    if let Some(ids) = &req.category_ids {
        set_categories(&txn, id, ids).await?;
    }
    if let Some(tags) = &fields.tags {
        set_tags(&txn, id, tags).await?;
    }
    let changed: Vec<&str> = [
        ("title", req.title.is_some()),
        ("slug", req.slug.is_some()),
        ("summary", req.summary.is_some()),
        ("description", req.description.is_some()),
        ("level", req.level.is_some()),
        ("language", req.language.is_some()),
        ("cover_image_url", req.cover_image_url.is_some()),
        ("estimated_hours", req.estimated_hours.is_some()),
        ("price", req.price.is_some()),
        ("completion_reward", req.completion_reward.is_some()),
        ("category_ids", req.category_ids.is_some()),
        ("tags", req.tags.is_some()),
    ]
    .into_iter()
    .filter_map(|(k, set)| set.then_some(k))
    .collect();
    let detail = detail(&txn, &state.settings, id).await?;
    audit::record(
        &txn,
        AuditEvent::new(
            Some(user.id),
            "course.update",
            "course",
            Some(id.to_string()),
        )
        .details(json!({"fields": changed})),
        client,
    )
    .await?;
    txn.commit().await?;
    Ok(detail)
}

/// Soft-deletes a course that nobody ever enrolled in (archive the others).
pub async fn delete_course(
    state: &AppState,
    user: &Actor,
    client: &RequestMeta,
    id: Uuid,
) -> AppResult<()> {
    course_for(state, user, id, "course:update").await?;
    let txn = state.db.begin().await?;
    lock_course(&txn, id).await?;
    let enrolled = db::one(
        &txn,
        "SELECT 1 AS one FROM enrollments WHERE course_id = $1 LIMIT 1",
        [id.into()],
    )
    .await?
    .is_some();
    if enrolled {
        return Err(AppError::new(
            ErrorCode::CourseHasEnrollments,
            "learners enrolled in this course; archive it instead",
        ));
    }
    db::exec(
        &txn,
        "UPDATE courses SET deleted_at = now(), updated_at = now() WHERE id = $1",
        [id.into()],
    )
    .await?;
    audit::record(
        &txn,
        AuditEvent::new(
            Some(user.id),
            "course.delete",
            "course",
            Some(id.to_string()),
        ),
        client,
    )
    .await?;
    txn.commit().await?;
    Ok(())
}

/// A status change: `submit` (draft -> under_review, `course:update`), `publish`
/// (draft | under_review | archived -> published, `course:publish`), `archive`
/// (published -> archived, `course:update`).
pub async fn transition(
    state: &AppState,
    user: &Actor,
    client: &RequestMeta,
    id: Uuid,
    action: &str,
) -> AppResult<CourseDetail> {
    let (permission, from, to, audit_action): (&str, &[&str], &str, &'static str) = match action {
        "submit" => ("course:update", &["draft"], "under_review", "course.submit"),
        "publish" => (
            "course:publish",
            &["draft", "under_review", "archived"],
            "published",
            "course.publish",
        ),
        _ => (
            "course:update",
            &["published"],
            "archived",
            "course.archive",
        ),
    };
    let course = course_for(state, user, id, permission).await?;
    let txn = state.db.begin().await?;
    lock_course(&txn, id).await?;
    let current = course_row(&txn, id).await?.status;
    if !from.contains(&current.as_str()) {
        return Err(AppError::new(
            ErrorCode::InvalidTransition,
            format!("a course that is {current} cannot be {action}ed"),
        ));
    }
    if to != "archived" {
        let lessons = db::one(
            &txn,
            "SELECT count(*) AS n FROM lessons WHERE course_id = $1",
            [id.into()],
        )
        .await?
        .map(|r| r.try_get::<i64>("", "n"))
        .transpose()?
        .unwrap_or(0);
        if lessons == 0 {
            return Err(AppError::new(
                ErrorCode::CourseEmpty,
                "add at least one lesson before submitting or publishing",
            ));
        }
    }
    let stamp = match to {
        "under_review" => "submitted_at",
        "published" => "published_at",
        _ => "archived_at",
    };
    // `published_at` keeps the first publication (the catalog's "newest").
    db::exec(
        &txn,
        format!(
            "UPDATE courses SET status = $2, {stamp} = CASE WHEN $2 = 'published' THEN coalesce({stamp}, now()) ELSE now() END, \
             updated_at = now() WHERE id = $1"
        ),
        [id.into(), to.into()],
    )
    .await?;
    let detail = detail(&txn, &state.settings, id).await?;
    audit::record(
        &txn,
        AuditEvent::new(Some(user.id), audit_action, "course", Some(id.to_string()))
            .details(json!({"from": current, "to": to, "title": course.title})),
        client,
    )
    .await?;
    txn.commit().await?;
    Ok(detail)
}

// ------------------------------------------------------------------ instructors

async fn instructors(db: &impl ConnectionTrait, id: Uuid) -> AppResult<Vec<InstructorResponse>> {
    db::all(
        db,
        "SELECT u.id, u.display_name, ci.role FROM course_instructors ci JOIN users u ON u.id = ci.user_id \
         WHERE ci.course_id = $1 ORDER BY ci.role <> 'owner', ci.role, ci.created_at",
        [id.into()],
    )
    .await?
    .iter()
    .map(|r| {
        Ok(InstructorResponse {
            user_id: r.try_get("", "id")?,
            display_name: r.try_get("", "display_name")?,
            role: r.try_get("", "role")?,
        })
    })
    .collect()
}

/// Owners manage the teaching team; so do reviewers (`course:publish` in the course's scope).
async fn require_owner(state: &AppState, user: &Actor, course: &CourseRow) -> AppResult<()> {
    if course.owner_id == user.id
        || crate::authz::allowed(state, user, "course:publish", course.scope()).await?
    {
        return Ok(());
    }
    Err(AppError::forbidden(
        "only the course's owner manages its instructors",
    ))
}

pub async fn add_instructor(
    state: &AppState,
    user: &Actor,
    client: &RequestMeta,
    id: Uuid,
    req: AddInstructorRequest,
) -> AppResult<Vec<InstructorResponse>> {
    let course = visible_course(state, Some(user), id).await?;
    require_owner(state, user, &course).await?;
    let role = req.role.as_deref().unwrap_or("instructor").to_owned();
    let rbac_role = match role.as_str() {
        "instructor" => "course_instructor",
        "assistant" => "teaching_assistant",
        _ => {
            return Err(AppError::validation(vec![FieldError::new(
                "#/role",
                "`instructor` or `assistant`",
            )]));
        }
    };
    let txn = state.db.begin().await?;
    crate::modules::identity::require_live_user(&txn, req.user_id, "#/user_id").await?;
    let inserted = db::exec(
        &txn,
        "INSERT INTO course_instructors (course_id, user_id, role) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
        [id.into(), req.user_id.into(), role.clone().into()],
    )
    .await?;
    if inserted.rows_affected() == 0 {
        return Err(AppError::new(
            ErrorCode::AlreadyInstructor,
            "this user already teaches this course",
        ));
    }
    rbac::assign_role(&txn, req.user_id, rbac_role, course.scope(), Some(user.id)).await?;
    let list = instructors(&txn, id).await?;
    audit::record(
        &txn,
        AuditEvent::new(
            Some(user.id),
            "course.instructor_add",
            "course",
            Some(id.to_string()),
        )
        .details(json!({"user_id": req.user_id, "role": role})),
        client,
    )
    .await?;
    txn.commit().await?;
    Ok(list)
}

pub async fn remove_instructor(
    state: &AppState,
    user: &Actor,
    client: &RequestMeta,
    id: Uuid,
    member: Uuid,
) -> AppResult<()> {
    let course = visible_course(state, Some(user), id).await?;
    require_owner(state, user, &course).await?;
    if member == course.owner_id {
        return Err(AppError::new(
            ErrorCode::CannotRemoveOwner,
            "the owner cannot be removed",
        ));
    }
    let txn = state.db.begin().await?;
    let removed = db::exec(
        &txn,
        "DELETE FROM course_instructors WHERE course_id = $1 AND user_id = $2",
        [id.into(), member.into()],
    )
    .await?;
    if removed.rows_affected() == 0 {
        return Err(AppError::not_found("instructor"));
    }
    let grants = rbac::revoke_scope_grants(&txn, member, course.scope()).await?;
    audit::record(
        &txn,
        AuditEvent::new(
            Some(user.id),
            "course.instructor_remove",
            "course",
            Some(id.to_string()),
        )
        .details(json!({"user_id": member, "grants_revoked": grants})),
        client,
    )
    .await?;
    txn.commit().await?;
    Ok(())
}

// ------------------------------------------------------------------ prerequisites

async fn prerequisites(db: &impl ConnectionTrait, id: Uuid) -> AppResult<Vec<CourseRef>> {
    db::all(
        db,
        "SELECT c.id, c.title, c.slug FROM course_prerequisites p JOIN courses c ON c.id = p.prerequisite_id \
         WHERE p.course_id = $1 AND c.deleted_at IS NULL ORDER BY c.title",
        [id.into()],
    )
    .await?
    .iter()
    .map(|r| {
        Ok(CourseRef {
            id: r.try_get("", "id")?,
            title: r.try_get("", "title")?,
            slug: r.try_get("", "slug")?,
        })
    })
    .collect()
}

pub async fn add_prerequisite(
    state: &AppState,
    user: &Actor,
    client: &RequestMeta,
    id: Uuid,
    req: AddPrerequisiteRequest,
) -> AppResult<Vec<CourseRef>> {
    course_for(state, user, id, "course:update").await?;
    // Only a course the caller may see: someone else's draft is "no such course" (its title
    // would otherwise show on this course's public page).
    visible_course(state, Some(user), req.prerequisite_id)
        .await
        .map_err(|_| {
            AppError::validation(vec![FieldError::new("#/prerequisite_id", "no such course")])
        })?;
    let txn = state.db.begin().await?;
    // One prerequisite edit at a time, so two additions cannot close a cycle between them.
    db::advisory_lock(&txn, "course_prerequisites").await?;
    course_row(&txn, req.prerequisite_id).await.map_err(|_| {
        AppError::validation(vec![FieldError::new("#/prerequisite_id", "no such course")])
    })?;
    let cycle = req.prerequisite_id == id
        || db::one(
            &txn,
            "WITH RECURSIVE reach(id) AS (SELECT $1::uuid UNION \
               SELECT p.prerequisite_id FROM course_prerequisites p JOIN reach ON p.course_id = reach.id) \
             SELECT 1 AS one FROM reach WHERE id = $2",
            [req.prerequisite_id.into(), id.into()],
        )
        .await?
        .is_some();
    if cycle {
        return Err(AppError::new(
            ErrorCode::PrerequisiteCycle,
            "that course already requires this one (directly or through others)",
        )
        .with_errors(vec![FieldError::new(
            "#/prerequisite_id",
            "would make a cycle",
        )]));
    }
    let inserted = db::exec(
        &txn,
        "INSERT INTO course_prerequisites (course_id, prerequisite_id) VALUES ($1, $2) ON CONFLICT DO NOTHING",
        [id.into(), req.prerequisite_id.into()],
    )
    .await?;
    if inserted.rows_affected() == 0 {
        return Err(AppError::new(
            ErrorCode::AlreadyPrerequisite,
            "this course already requires that one",
        ));
    }
    let list = prerequisites(&txn, id).await?;
    audit::record(
        &txn,
        AuditEvent::new(
            Some(user.id),
            "course.prerequisite_add",
            "course",
            Some(id.to_string()),
        )
        .details(json!({"prerequisite_id": req.prerequisite_id})),
        client,
    )
    .await?;
    txn.commit().await?;
    Ok(list)
}

pub async fn remove_prerequisite(
    state: &AppState,
    user: &Actor,
    client: &RequestMeta,
    id: Uuid,
    prerequisite: Uuid,
) -> AppResult<()> {
    course_for(state, user, id, "course:update").await?;
    let txn = state.db.begin().await?;
    let removed = db::exec(
        &txn,
        "DELETE FROM course_prerequisites WHERE course_id = $1 AND prerequisite_id = $2",
        [id.into(), prerequisite.into()],
    )
    .await?;
    if removed.rows_affected() == 0 {
        return Err(AppError::not_found("prerequisite"));
    }
    audit::record(
        &txn,
        AuditEvent::new(
            Some(user.id),
            "course.prerequisite_remove",
            "course",
            Some(id.to_string()),
        )
        .details(json!({"prerequisite_id": prerequisite})),
        client,
    )
    .await?;
    txn.commit().await?;
    Ok(())
}
