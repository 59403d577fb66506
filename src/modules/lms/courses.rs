//! Course writes: creating a draft (its owner joins the teaching team; a slug derived from the
//! title is tried in the insert itself, the title's then a suffixed one), editing, deleting a
//! course nobody enrolled in, and the status workflow (draft -> under_review -> published ->
//! archived; submitting or publishing needs a lesson).

use chrono::Utc;
use entity::{course_categories, course_tags, courses, enrollments, lessons, tags};
use kernel::enums::{Choice, CourseLevel, CourseStatus, InstructorRole};
use kernel::money::Amount;
use kernel::slug::{SLUG_RULE, slug_taken, slugify, valid_slug};
use kernel::text::{Line, check_name};
use kernel::{Actor, AppError, AppResult, ErrorCode, FieldError, RequestMeta};
use rust_decimal::Decimal;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseTransaction, EntityTrait,
    PaginatorTrait, QueryFilter, Set, TransactionTrait, TryInsertResult,
};
use serde_json::json;
use uuid::Uuid;

use super::access::{course_for, course_scope, lock_course};
use super::catalog::detail;
use super::categories::category_exists;
use super::dto::{CourseDetail, CreateCourseRequest, PriceInput, UpdateCourseRequest};
use super::instructors::join_team;
use crate::modules::audit::{self, AuditEvent};
use crate::modules::{orgs, wallet};
use crate::state::AppState;

/// Whether an `ON CONFLICT DO NOTHING` insert wrote its row.
fn inserted(result: TryInsertResult<u64>) -> bool {
    matches!(result, TryInsertResult::Inserted(n) if n > 0)
}

// ------------------------------------------------------------------ fields

/// The checked fields of a course write.
struct CourseFields {
    level: Option<CourseLevel>,
    price: Option<(Decimal, String)>,
    completion_reward: Option<Option<Decimal>>,
    tags: Option<Vec<String>>,
}

/// The fields of a course write as given (`None`: not given).
struct GivenFields<'a> {
    title: Option<&'a str>,
    level: Option<&'a Choice<CourseLevel>>,
    language: Option<&'a str>,
    cover: Option<&'a str>,
    hours: Option<Decimal>,
    price: Option<&'a PriceInput>,
    reward: Option<Option<&'a Amount>>,
    category_ids: Option<&'a [Uuid]>,
    tags: Option<&'a [Line<50>]>,
}

async fn parse_price(db: &impl ConnectionTrait, p: &PriceInput) -> AppResult<(Decimal, String)> {
    let cur = wallet::currency(db, &p.currency, "#/price/currency").await?;
    let amount = p.amount.in_scale(cur.scale, "#/price/amount")?;
    Ok((amount, cur.code))
}

/// Lower-cased, trimmed, each once, in the order given.
fn clean_tags(tags: &[Line<50>], errors: &mut Vec<FieldError>) -> Vec<String> {
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
}

async fn check_course_fields(
    db: &impl ConnectionTrait,
    given: GivenFields<'_>,
) -> AppResult<CourseFields> {
    let mut errors = Vec::new();
    if let Some(title) = given.title {
        check_name("#/title", title, 200, &mut errors);
    }
    let level = given.level.and_then(|l| l.check("#/level", &mut errors));
    if let Some(lang) = given.language
        && !(2..=10).contains(&lang.len())
    {
        errors.push(FieldError::new(
            "#/language",
            "a language tag like `en` or `pt-BR`",
        ));
    }
    if let Some(url) = given.cover
        && !kernel::text::is_http_url(url)
    {
        errors.push(FieldError::new(
            "#/cover_image_url",
            "must be an http(s) URL",
        ));
    }
    if let Some(h) = given.hours
        && (h.is_sign_negative() || h > Decimal::from(10_000) || h.round_dp(1) != h)
    {
        errors.push(FieldError::new(
            "#/estimated_hours",
            "0 to 10000, at most one decimal",
        ));
    }
    let price = match given.price {
        Some(p) => Some(parse_price(db, p).await?),
        None => None,
    };
    let completion_reward = match given.reward {
        Some(Some(raw)) => Some(Some(raw.in_scale(8, "#/completion_reward")?)),
        Some(None) => Some(None),
        None => None,
    };
    let tags = given.tags.map(|tags| clean_tags(tags, &mut errors));
    if let Some(ids) = given.category_ids {
        if ids.len() > 10 {
            errors.push(FieldError::new("#/category_ids", "at most 10 categories"));
        }
        for (i, id) in ids.iter().enumerate() {
            if !category_exists(db, *id).await? {
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
        level,
        price,
        completion_reward,
        tags,
    })
}

/// Files the course under exactly these categories.
async fn set_categories(txn: &DatabaseTransaction, course: Uuid, ids: &[Uuid]) -> AppResult<()> {
    course_categories::Entity::delete_many()
        .filter(course_categories::Column::CourseId.eq(course))
        .exec(txn)
        .await?;
    let mut unique: Vec<Uuid> = Vec::with_capacity(ids.len());
    for id in ids {
        if !unique.contains(id) {
            unique.push(*id);
        }
    }
    if unique.is_empty() {
        return Ok(());
    }
    course_categories::Entity::insert_many(unique.into_iter().map(|category_id| {
        course_categories::ActiveModel {
            course_id: Set(course),
            category_id: Set(category_id),
        }
    }))
    .on_conflict_do_nothing()
    .exec_without_returning(txn)
    .await?;
    Ok(())
}

/// Gives the course exactly these (clean) tags, creating the tags nobody used yet, and keeps
/// the course's `tag_names` (what search reads) in step.
async fn set_tags(txn: &DatabaseTransaction, course: Uuid, names: &[String]) -> AppResult<()> {
    course_tags::Entity::delete_many()
        .filter(course_tags::Column::CourseId.eq(course))
        .exec(txn)
        .await?;
    if !names.is_empty() {
        tags::Entity::insert_many(names.iter().map(|name| tags::ActiveModel {
            id: Set(Uuid::now_v7()),
            name: Set(name.clone()),
            ..Default::default()
        }))
        .on_conflict_do_nothing_on([tags::Column::Name])
        .exec_without_returning(txn)
        .await?;
        let ids = tags::Entity::find()
            .filter(tags::Column::Name.is_in(names.iter().cloned()))
            .all(txn)
            .await?;
        course_tags::Entity::insert_many(ids.into_iter().map(|tag| course_tags::ActiveModel {
            course_id: Set(course),
            tag_id: Set(tag.id),
        }))
        .on_conflict_do_nothing()
        .exec_without_returning(txn)
        .await?;
    }
    courses::ActiveModel {
        id: Set(course),
        tag_names: Set(names.to_vec()),
        ..Default::default()
    }
    .update(txn)
    .await?;
    Ok(())
}

// ------------------------------------------------------------------ create

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
    actor: &Actor,
    meta: &RequestMeta,
    req: CreateCourseRequest,
) -> AppResult<CourseDetail> {
    let scope = orgs::publishing_scope(state, actor, req.organization_id).await?;
    crate::authz::require(state, actor, "course:create", scope).await?;
    let txn = state.db.begin().await?;
    let detail = create_course_in(state, &txn, actor, meta, Uuid::now_v7(), req).await?;
    txn.commit().await?;
    Ok(detail)
}

/// Creates draft course `id` owned by the actor (the owner of its team, with
/// `course_instructor` in its scope), filed under its categories with its tags, audited.
/// Without a slug, the title's is tried, then a suffixed one; a taken explicit slug is 409
/// `slug_taken`.
pub async fn create_course_in(
    state: &AppState,
    txn: &DatabaseTransaction,
    actor: &Actor,
    meta: &RequestMeta,
    id: Uuid,
    req: CreateCourseRequest,
) -> AppResult<CourseDetail> {
    let fields = check_course_fields(
        txn,
        GivenFields {
            title: Some(&req.title),
            level: req.level.as_ref(),
            language: req.language.as_deref(),
            cover: req.cover_image_url.as_deref(),
            hours: req.estimated_hours,
            price: req.price.as_ref(),
            reward: req.completion_reward.as_ref().map(Some),
            category_ids: Some(&req.category_ids),
            tags: Some(&req.tags),
        },
    )
    .await?;
    let candidates = match &req.slug {
        Some(slug) if !valid_slug(slug) => {
            return Err(AppError::field("#/slug", SLUG_RULE));
        }
        Some(slug) => vec![slug.to_string()],
        None => derived_slugs(&req.title, id),
    };
    let (price, currency) = fields
        .price
        .unwrap_or_else(|| (Decimal::ZERO, "USD".to_owned()));
    let course = courses::ActiveModel {
        id: Set(id),
        title: Set(req.title.trim().to_owned()),
        summary: Set(req.summary.trim().to_owned()),
        description: Set(req.description.to_string()),
        level: Set(fields.level.unwrap_or(CourseLevel::Beginner)),
        language: Set(req
            .language
            .as_ref()
            .map_or_else(|| "en".to_owned(), |l| l.to_string())),
        organization_id: Set(req.organization_id),
        cover_image_url: Set(req.cover_image_url.as_ref().map(|u| u.to_string())),
        estimated_hours: Set(req.estimated_hours),
        price: Set(price),
        currency: Set(currency),
        completion_reward: Set(fields.completion_reward.flatten()),
        owner_id: Set(actor.id),
        ..Default::default()
    };
    // The first free candidate wins (`ON CONFLICT` keeps the transaction usable for the next
    // one); a taken explicit slug is a conflict.
    let mut slug = None;
    for candidate in &candidates {
        let mut row = course.clone();
        row.slug = Set(candidate.clone());
        let result = courses::Entity::insert(row)
            .on_conflict_do_nothing_on([courses::Column::Slug])
            .exec_without_returning(txn)
            .await?;
        if inserted(result) {
            slug = Some(candidate.clone());
            break;
        }
    }
    let slug = slug.ok_or_else(|| slug_taken(&candidates[0]))?;
    join_team(
        txn,
        actor,
        (id, course_scope(id, req.organization_id)),
        actor.id,
        InstructorRole::Owner,
    )
    .await?;
    set_categories(txn, id, &req.category_ids).await?;
    set_tags(txn, id, &fields.tags.unwrap_or_default()).await?;
    let detail = detail(txn, &state.settings, id).await?;
    audit::record(
        txn,
        AuditEvent::new(Some(actor.id), "course.create", "course", Some(id.to_string()))
            .details(json!({"title": req.title.trim(), "slug": slug, "organization_id": req.organization_id})),
        meta,
    )
    .await?;
    Ok(detail)
}

// ------------------------------------------------------------------ edit and delete

/// Changes the given fields; a taken slug is 409 `slug_taken`.
pub async fn update_course(
    state: &AppState,
    actor: &Actor,
    meta: &RequestMeta,
    id: Uuid,
    req: UpdateCourseRequest,
) -> AppResult<CourseDetail> {
    course_for(state, actor, id, "course:update").await?;
    let fields = check_course_fields(
        &state.db,
        GivenFields {
            title: req.title.as_deref(),
            level: req.level.as_ref(),
            language: req.language.as_deref(),
            cover: req.cover_image_url.as_ref().and_then(|u| u.as_deref()),
            hours: req.estimated_hours.flatten(),
            price: req.price.as_ref(),
            reward: req.completion_reward.as_ref().map(|r| r.as_ref()),
            category_ids: req.category_ids.as_deref(),
            tags: req.tags.as_deref(),
        },
    )
    .await?;
    if let Some(slug) = &req.slug
        && !valid_slug(slug)
    {
        return Err(AppError::field("#/slug", SLUG_RULE));
    }
    let mut course = courses::ActiveModel {
        id: Set(id),
        updated_at: Set(Utc::now()),
        ..Default::default()
    };
    if let Some(title) = &req.title {
        course.title = Set(title.trim().to_owned());
    }
    if let Some(slug) = &req.slug {
        course.slug = Set(slug.to_string());
    }
    if let Some(summary) = &req.summary {
        course.summary = Set(summary.trim().to_owned());
    }
    if let Some(description) = &req.description {
        course.description = Set(description.to_string());
    }
    if let Some(level) = fields.level {
        course.level = Set(level);
    }
    if let Some(language) = &req.language {
        course.language = Set(language.to_string());
    }
    if let Some(cover) = &req.cover_image_url {
        course.cover_image_url = Set(cover.as_ref().map(|u| u.to_string()));
    }
    if let Some(hours) = req.estimated_hours {
        course.estimated_hours = Set(hours);
    }
    if let Some((price, currency)) = fields.price.clone() {
        course.price = Set(price);
        course.currency = Set(currency);
    }
    if let Some(reward) = fields.completion_reward {
        course.completion_reward = Set(reward);
    }
    let txn = state.db.begin().await?;
    course.update(&txn).await?;
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
            Some(actor.id),
            "course.update",
            "course",
            Some(id.to_string()),
        )
        .details(json!({"fields": changed})),
        meta,
    )
    .await?;
    txn.commit().await?;
    Ok(detail)
}

/// Soft-deletes a course that nobody ever enrolled in (archive the others).
pub async fn delete_course(
    state: &AppState,
    actor: &Actor,
    meta: &RequestMeta,
    id: Uuid,
) -> AppResult<()> {
    course_for(state, actor, id, "course:update").await?;
    let txn = state.db.begin().await?;
    lock_course(&txn, id).await?;
    let enrolled = enrollments::Entity::find()
        .filter(enrollments::Column::CourseId.eq(id))
        .one(&txn)
        .await?
        .is_some();
    if enrolled {
        return Err(AppError::new(
            ErrorCode::CourseHasEnrollments,
            "learners enrolled in this course; archive it instead",
        ));
    }
    let now = Utc::now();
    courses::ActiveModel {
        id: Set(id),
        deleted_at: Set(Some(now)),
        updated_at: Set(now),
        ..Default::default()
    }
    .update(&txn)
    .await?;
    audit::record(
        &txn,
        AuditEvent::new(
            Some(actor.id),
            "course.delete",
            "course",
            Some(id.to_string()),
        ),
        meta,
    )
    .await?;
    txn.commit().await?;
    Ok(())
}

// ------------------------------------------------------------------ workflow

/// A move in the status workflow.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transition {
    /// draft -> under_review (`course:update`).
    Submit,
    /// draft | under_review | archived -> published (`course:publish`).
    Publish,
    /// published -> archived (`course:update`).
    Archive,
}

impl Transition {
    fn as_str(self) -> &'static str {
        match self {
            Transition::Submit => "submit",
            Transition::Publish => "publish",
            Transition::Archive => "archive",
        }
    }

    /// The permission it needs.
    fn permission(self) -> &'static str {
        match self {
            Transition::Publish => "course:publish",
            Transition::Submit | Transition::Archive => "course:update",
        }
    }

    /// The statuses it starts from, where it goes, and its audit action.
    fn path(self) -> (&'static [CourseStatus], CourseStatus, &'static str) {
        match self {
            Transition::Submit => (
                &[CourseStatus::Draft],
                CourseStatus::UnderReview,
                "course.submit",
            ),
            Transition::Publish => (
                &[
                    CourseStatus::Draft,
                    CourseStatus::UnderReview,
                    CourseStatus::Archived,
                ],
                CourseStatus::Published,
                "course.publish",
            ),
            Transition::Archive => (
                &[CourseStatus::Published],
                CourseStatus::Archived,
                "course.archive",
            ),
        }
    }
}

/// A status change by a caller with the transition's permission in the course's scope.
pub async fn transition(
    state: &AppState,
    actor: &Actor,
    meta: &RequestMeta,
    id: Uuid,
    action: Transition,
) -> AppResult<CourseDetail> {
    course_for(state, actor, id, action.permission()).await?;
    let txn = state.db.begin().await?;
    let detail = transition_in(state, &txn, actor, meta, id, action).await?;
    txn.commit().await?;
    Ok(detail)
}

/// Moves course `id` through the workflow under its row lock (409 `invalid_transition` from a
/// status the move does not start from; 422 `course_empty` to review or publish a course
/// without lessons), stamped and audited. `published_at` keeps the first publication (the
/// catalog's "newest").
pub async fn transition_in(
    state: &AppState,
    txn: &DatabaseTransaction,
    actor: &Actor,
    meta: &RequestMeta,
    id: Uuid,
    action: Transition,
) -> AppResult<CourseDetail> {
    let (from, to, audit_action) = action.path();
    lock_course(txn, id).await?;
    let current = courses::Entity::find_by_id(id)
        .filter(courses::Column::DeletedAt.is_null())
        .one(txn)
        .await?
        .ok_or_else(|| AppError::not_found("course"))?;
    if !from.contains(&current.status) {
        return Err(AppError::new(
            ErrorCode::InvalidTransition,
            format!(
                "a course that is {} cannot be {}ed",
                current.status,
                action.as_str()
            ),
        ));
    }
    if to != CourseStatus::Archived {
        let lessons = lessons::Entity::find()
            .filter(lessons::Column::CourseId.eq(id))
            .count(txn)
            .await?;
        if lessons == 0 {
            return Err(AppError::new(
                ErrorCode::CourseEmpty,
                "add at least one lesson before submitting or publishing",
            ));
        }
    }
    let now = Utc::now();
    let mut course = courses::ActiveModel {
        id: Set(id),
        status: Set(to),
        updated_at: Set(now),
        ..Default::default()
    };
    match to {
        CourseStatus::UnderReview => course.submitted_at = Set(Some(now)),
        CourseStatus::Published => course.published_at = Set(current.published_at.or(Some(now))),
        CourseStatus::Archived => course.archived_at = Set(Some(now)),
        CourseStatus::Draft => {}
    }
    course.update(txn).await?;
    let detail = detail(txn, &state.settings, id).await?;
    audit::record(
        txn,
        AuditEvent::new(Some(actor.id), audit_action, "course", Some(id.to_string()))
            .details(json!({"from": current.status, "to": to, "title": current.title})),
        meta,
    )
    .await?;
    Ok(detail)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn derived_slugs_try_the_title_then_a_suffixed_one() {
        let id = Uuid::from_u128(0x0193_0000_0000_7000_8000_0000_1234_abcd);
        assert_eq!(
            derived_slugs("Intro to Rust", id),
            ["intro-to-rust", "intro-to-rust-1234abcd"]
        );
        assert_eq!(derived_slugs("¿¡!?", id), ["course-1234abcd"]);
        let long = "word ".repeat(30);
        let slugs = derived_slugs(&long, id);
        assert!(slugs.iter().all(|s| valid_slug(s)), "{slugs:?}");
    }
}
