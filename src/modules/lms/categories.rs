//! Categories (a tree: no category under itself or its descendants, one tree edit at a time)
//! and the tags courses carry.

use entity::categories;
use kernel::slug::{SLUG_RULE, derive_slug, valid_slug};
use kernel::text::check_name;
use kernel::{Actor, AppError, AppResult, ErrorCode, FieldError, RequestMeta, Scope, db};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseTransaction, EntityTrait,
    PaginatorTrait, QueryFilter, Set, TransactionTrait,
};
use serde_json::json;
use uuid::Uuid;

use super::dto::{CategoryNode, CreateCategoryRequest, TagResponse, UpdateCategoryRequest};
use crate::modules::audit::{self, AuditEvent};
use crate::state::AppState;

/// The whole tree, each level ordered by position then name.
pub async fn category_tree(db: &impl ConnectionTrait) -> AppResult<Vec<CategoryNode>> {
    let flat: Vec<CategoryNode> = db::rows(
        db,
        "SELECT k.id, k.parent_id, k.name, k.slug, k.description, k.position, \
         (SELECT count(*) FROM course_categories cc JOIN courses c ON c.id = cc.course_id \
          WHERE cc.category_id = k.id AND c.status = 'published' AND c.deleted_at IS NULL) AS course_count \
         FROM categories k ORDER BY k.position, k.name",
        [],
    )
    .await?;
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

/// Whether category `id` exists.
pub(super) async fn category_exists(db: &impl ConnectionTrait, id: Uuid) -> AppResult<bool> {
    Ok(categories::Entity::find_by_id(id).one(db).await?.is_some())
}

/// 422 at `pointer` (a reference to the category in a request) unless category `id` exists.
async fn require_category(db: &impl ConnectionTrait, id: Uuid, pointer: &str) -> AppResult<()> {
    if category_exists(db, id).await? {
        Ok(())
    } else {
        Err(AppError::field(pointer, "no such category"))
    }
}

fn check_category_name(name: &str, errors: &mut Vec<FieldError>) {
    check_name("#/name", name, 100, errors);
}

fn check_position(position: Option<i32>, errors: &mut Vec<FieldError>) {
    if position.is_some_and(|p| p < 0) {
        errors.push(FieldError::new("#/position", "must be 0 or more"));
    }
}

pub async fn create_category(
    state: &AppState,
    actor: &Actor,
    meta: &RequestMeta,
    req: CreateCategoryRequest,
) -> AppResult<CategoryNode> {
    crate::authz::require(state, actor, "catalog:manage", Scope::Global).await?;
    let txn = state.db.begin().await?;
    let node = create_category_in(&txn, actor, meta, Uuid::now_v7(), req).await?;
    txn.commit().await?;
    Ok(node)
}

/// Creates category `id` (at the end of its siblings unless a position is given), audited.
/// A taken slug is 409 `slug_taken`.
pub async fn create_category_in(
    txn: &DatabaseTransaction,
    actor: &Actor,
    meta: &RequestMeta,
    id: Uuid,
    req: CreateCategoryRequest,
) -> AppResult<CategoryNode> {
    let mut errors = Vec::new();
    check_category_name(&req.name, &mut errors);
    let slug = match &req.slug {
        Some(slug) => slug.to_string(),
        None => derive_slug(&req.name),
    };
    if !valid_slug(&slug) {
        errors.push(FieldError::new("#/slug", SLUG_RULE));
    }
    check_position(req.position, &mut errors);
    if !errors.is_empty() {
        return Err(AppError::validation(errors));
    }
    if let Some(parent) = req.parent_id {
        require_category(txn, parent, "#/parent_id").await?;
    }
    let position = match req.position {
        Some(p) => p,
        None => {
            let siblings = categories::Entity::find().filter(match req.parent_id {
                Some(parent) => categories::Column::ParentId.eq(parent),
                None => categories::Column::ParentId.is_null(),
            });
            siblings.count(txn).await? as i32
        }
    };
    categories::ActiveModel {
        id: Set(id),
        parent_id: Set(req.parent_id),
        name: Set(req.name.trim().to_owned()),
        slug: Set(slug.clone()),
        description: Set(req.description.trim().to_owned()),
        position: Set(position),
        ..Default::default()
    }
    .insert(txn)
    .await?;
    audit::record(
        txn,
        AuditEvent::new(
            Some(actor.id),
            "category.create",
            "category",
            Some(id.to_string()),
        )
        .details(json!({"name": req.name.trim(), "slug": slug, "parent_id": req.parent_id})),
        meta,
    )
    .await?;
    category_node(txn, id).await
}

pub async fn update_category(
    state: &AppState,
    actor: &Actor,
    meta: &RequestMeta,
    id: Uuid,
    req: UpdateCategoryRequest,
) -> AppResult<CategoryNode> {
    crate::authz::require(state, actor, "catalog:manage", Scope::Global).await?;
    let mut errors = Vec::new();
    if let Some(name) = &req.name {
        check_category_name(name, &mut errors);
    }
    check_position(req.position, &mut errors);
    if !errors.is_empty() {
        return Err(AppError::validation(errors));
    }
    let txn = state.db.begin().await?;
    // One tree edit at a time, so two moves cannot build a cycle between them.
    db::advisory_lock(&txn, "category_tree").await?;
    if !category_exists(&txn, id).await? {
        return Err(AppError::not_found("category"));
    }
    if let Some(Some(parent)) = req.parent_id {
        require_category(&txn, parent, "#/parent_id").await?;
        let cycle = db::exists(
            &txn,
            "WITH RECURSIVE sub(id) AS (SELECT $1::uuid UNION SELECT k.id FROM categories k JOIN sub ON k.parent_id = sub.id) \
             SELECT 1 AS one FROM sub WHERE id = $2",
            [id.into(), parent.into()],
        )
        .await?;
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
    let mut category = categories::ActiveModel {
        id: Set(id),
        updated_at: Set(chrono::Utc::now()),
        ..Default::default()
    };
    if let Some(name) = &req.name {
        category.name = Set(name.trim().to_owned());
    }
    if let Some(description) = &req.description {
        category.description = Set(description.to_string());
    }
    if let Some(parent) = req.parent_id {
        category.parent_id = Set(parent);
    }
    if let Some(position) = req.position {
        category.position = Set(position);
    }
    category.update(&txn).await?;
    audit::record(
        &txn,
        AuditEvent::new(
            Some(actor.id),
            "category.update",
            "category",
            Some(id.to_string()),
        )
        .details(json!({"name": req.name, "parent_id": req.parent_id, "position": req.position})),
        meta,
    )
    .await?;
    txn.commit().await?;
    category_node(&state.db, id).await
}

/// Tags of published courses only: those of drafts are not public, and unused ones are noise.
pub async fn list_tags(db: &impl ConnectionTrait) -> AppResult<Vec<TagResponse>> {
    Ok(db::rows(
        db,
        "SELECT t.name, count(c.id) AS course_count FROM tags t \
         LEFT JOIN course_tags ct ON ct.tag_id = t.id \
         LEFT JOIN courses c ON c.id = ct.course_id AND c.status = 'published' AND c.deleted_at IS NULL \
         GROUP BY t.name HAVING count(c.id) > 0 ORDER BY count(c.id) DESC, t.name LIMIT 500",
        [],
    )
    .await?)
}
