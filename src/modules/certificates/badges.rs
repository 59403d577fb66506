//! Badges: definitions of an organization (or the platform) with the rules that award them,
//! awards by hand, and the badges a holder shows on their public profile.

use std::collections::HashMap;

use entity::{assessments, badge_rules, badges, courses, credentials, learning_paths, users};
use kernel::enums::{AchievementKind, BadgeRuleKind};
use kernel::pagination::{Page, Paging};
use kernel::{Actor, AppError, AppResult, ErrorCode, FieldError, RequestMeta, Scope, db};
use rust_decimal::Decimal;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseTransaction, EntityTrait,
    FromQueryResult, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect, Set, TransactionTrait,
};
use serde_json::json;
use uuid::Uuid;

use super::dto::{
    AwardRequest, BadgeResponse, BadgeRuleResponse, CreateBadgeRequest, CredentialResponse,
    ListBadgesQuery, UserBadgeResponse,
};
use super::issue::{Achievement, issue_in};
use super::service;
use crate::modules::audit::{self, AuditEvent};
use crate::modules::orgs;
use crate::state::AppState;

fn scope_of(org: Option<Uuid>) -> Scope {
    org.map_or(Scope::Global, Scope::Organization)
}

#[derive(FromQueryResult)]
struct Awarded {
    achievement_id: Uuid,
    n: i64,
}

/// The views of `rows`, with their rules and award counts.
async fn views(
    db: &impl ConnectionTrait,
    rows: Vec<badges::Model>,
) -> AppResult<Vec<BadgeResponse>> {
    let ids: Vec<Uuid> = rows.iter().map(|b| b.id).collect();
    let mut rules: HashMap<Uuid, Vec<BadgeRuleResponse>> = HashMap::new();
    for r in badge_rules::Entity::find()
        .filter(badge_rules::Column::BadgeId.is_in(ids.clone()))
        .order_by_asc(badge_rules::Column::CreatedAt)
        .order_by_asc(badge_rules::Column::Id)
        .all(db)
        .await?
    {
        rules
            .entry(r.badge_id)
            .or_default()
            .push(BadgeRuleResponse {
                kind: r.kind,
                target_id: r.target_id,
                min_percent: r.min_percent.map(|p| p.normalize()),
            });
    }
    let awarded: HashMap<Uuid, i64> = db::rows::<Awarded, _>(
        db,
        "SELECT achievement_id, count(*) AS n FROM credentials \
         WHERE achievement_kind = 'badge' AND achievement_id = ANY($1) AND revoked_at IS NULL \
         GROUP BY achievement_id",
        [ids.into()],
    )
    .await?
    .into_iter()
    .map(|a| (a.achievement_id, a.n))
    .collect();
    Ok(rows
        .into_iter()
        .map(|b| BadgeResponse {
            rules: rules.remove(&b.id).unwrap_or_default(),
            awarded: awarded.get(&b.id).copied().unwrap_or(0),
            id: b.id,
            organization_id: b.organization_id,
            name: b.name,
            description: b.description,
            criteria: b.criteria,
            image_url: b.image_url,
            valid_days: b.valid_days,
            created_by: b.created_by,
            created_at: b.created_at,
        })
        .collect())
}

/// Badge definitions are public: every badge, or one organization's.
pub async fn list(state: &AppState, q: ListBadgesQuery) -> AppResult<Page<BadgeResponse>> {
    let paging = Paging::new(q.page, q.per_page)?;
    let mut query = badges::Entity::find();
    if let Some(org) = q.organization_id {
        query = query.filter(badges::Column::OrganizationId.eq(org));
    }
    let total = query.clone().count(&state.db).await?;
    let rows = query
        .order_by_asc(badges::Column::Name)
        .order_by_asc(badges::Column::Id)
        .limit(paging.limit_i64() as u64)
        .offset(paging.offset_i64() as u64)
        .all(&state.db)
        .await?;
    Ok(paging.wrap(views(&state.db, rows).await?, total))
}

pub async fn find(db: &impl ConnectionTrait, id: Uuid) -> AppResult<BadgeResponse> {
    let row = badges::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or_else(|| AppError::not_found("badge"))?;
    views(db, vec![row])
        .await?
        .pop()
        .ok_or_else(|| AppError::not_found("badge"))
}

/// Checks each rule names something that exists; the rules to store.
async fn check_rules(
    db: &impl ConnectionTrait,
    req: &CreateBadgeRequest,
    errors: &mut Vec<FieldError>,
) -> AppResult<Vec<(BadgeRuleKind, Uuid, Option<Decimal>)>> {
    let mut out = Vec::new();
    for (i, rule) in req.rules.iter().enumerate() {
        let Some(kind) = rule.kind.check(&format!("#/rules/{i}/kind"), errors) else {
            continue;
        };
        let exists = match kind {
            BadgeRuleKind::CourseCompleted => courses::Entity::find_by_id(rule.target_id)
                .one(db)
                .await?
                .is_some_and(|c| c.deleted_at.is_none()),
            BadgeRuleKind::AssessmentPassed => assessments::Entity::find_by_id(rule.target_id)
                .one(db)
                .await?
                .is_some(),
            BadgeRuleKind::PathCompleted => learning_paths::Entity::find_by_id(rule.target_id)
                .one(db)
                .await?
                .is_some(),
        };
        if !exists {
            errors.push(FieldError::new(
                format!("#/rules/{i}/target_id"),
                format!(
                    "no {} has this id",
                    kind.as_str().split('_').next().unwrap_or("target")
                ),
            ));
        }
        match (kind, rule.min_percent) {
            (BadgeRuleKind::AssessmentPassed, Some(p))
                if p < Decimal::ZERO || p > Decimal::ONE_HUNDRED =>
            {
                errors.push(FieldError::new(
                    format!("#/rules/{i}/min_percent"),
                    "must be between 0 and 100",
                ));
            }
            (BadgeRuleKind::CourseCompleted | BadgeRuleKind::PathCompleted, Some(_)) => {
                errors.push(FieldError::new(
                    format!("#/rules/{i}/min_percent"),
                    "only `assessment_passed` rules take a minimum percent",
                ));
            }
            _ => {}
        }
        if out
            .iter()
            .any(|(k, t, _)| *k == kind && *t == rule.target_id)
        {
            errors.push(FieldError::new(
                format!("#/rules/{i}"),
                "the same rule is listed twice",
            ));
        }
        out.push((kind, rule.target_id, rule.min_percent));
    }
    Ok(out)
}

/// Defines a badge (`badge:create` in its organization, or globally for a platform badge).
pub async fn create(
    state: &AppState,
    actor: &Actor,
    meta: &RequestMeta,
    req: CreateBadgeRequest,
) -> AppResult<BadgeResponse> {
    if let Some(org) = req.organization_id {
        orgs::find(&state.db, org)
            .await
            .map_err(|_| AppError::field("#/organization_id", "no such organization"))?;
    }
    crate::authz::require(state, actor, "badge:create", scope_of(req.organization_id)).await?;
    let mut errors = Vec::new();
    kernel::text::check_name("#/name", &req.name, 200, &mut errors);
    if req.criteria.trim().is_empty() {
        errors.push(FieldError::new("#/criteria", "must say something"));
    }
    if let Some(url) = req.image_url.as_deref()
        && !kernel::text::is_https_url(url)
    {
        errors.push(FieldError::new("#/image_url", "must be an https URL"));
    }
    if let Some(days) = req.valid_days
        && !(1..=36_500).contains(&days)
    {
        errors.push(FieldError::new(
            "#/valid_days",
            "must be between 1 and 36500",
        ));
    }
    let rules = check_rules(&state.db, &req, &mut errors).await?;
    if !errors.is_empty() {
        return Err(AppError::validation(errors));
    }
    let txn = state.db.begin().await?;
    let id = create_in(&txn, actor, meta, Uuid::now_v7(), &req, &rules).await?;
    let badge = find(&txn, id).await?;
    txn.commit().await?;
    Ok(badge)
}

/// Stores badge `id` and its (checked) rules, audited.
pub async fn create_in(
    txn: &DatabaseTransaction,
    actor: &Actor,
    meta: &RequestMeta,
    id: Uuid,
    req: &CreateBadgeRequest,
    rules: &[(BadgeRuleKind, Uuid, Option<Decimal>)],
) -> AppResult<Uuid> {
    badges::ActiveModel {
        id: Set(id),
        organization_id: Set(req.organization_id),
        name: Set(req.name.trim().to_owned()),
        description: Set(req.description.as_deref().unwrap_or_default().to_owned()),
        criteria: Set(req.criteria.trim().to_owned()),
        image_url: Set(req.image_url.as_deref().map(str::to_owned)),
        valid_days: Set(req.valid_days),
        created_by: Set(actor.id),
        ..Default::default()
    }
    .insert(txn)
    .await?;
    for (kind, target, min_percent) in rules {
        badge_rules::ActiveModel {
            id: Set(Uuid::now_v7()),
            badge_id: Set(id),
            kind: Set(*kind),
            target_id: Set(*target),
            min_percent: Set(*min_percent),
            ..Default::default()
        }
        .insert(txn)
        .await?;
    }
    audit::record(
        txn,
        AuditEvent::new(Some(actor.id), "badge.create", "badge", Some(id.to_string())).details(
            json!({"name": req.name.as_str(), "organization_id": req.organization_id, "rules": rules.len()}),
        ),
        meta,
    )
    .await?;
    Ok(id)
}

/// What a badge credential attests.
pub fn achievement_of(badge: &badges::Model) -> Achievement {
    Achievement {
        kind: AchievementKind::Badge,
        id: badge.id,
        name: badge.name.clone(),
        description: badge.description.clone(),
        criteria: badge.criteria.clone(),
        image_url: badge.image_url.clone(),
        issuer_org: badge.organization_id,
        grade: None,
        evidence: Vec::new(),
        valid_days: badge.valid_days,
    }
}

/// Awards a badge by hand (`badge:award` in its organization): 409 `already_awarded` when the
/// learner holds it.
pub async fn award(
    state: &AppState,
    actor: &Actor,
    meta: &RequestMeta,
    badge_id: Uuid,
    req: AwardRequest,
) -> AppResult<CredentialResponse> {
    let badge = badges::Entity::find_by_id(badge_id)
        .one(&state.db)
        .await?
        .ok_or_else(|| AppError::not_found("badge"))?;
    crate::authz::require(state, actor, "badge:award", scope_of(badge.organization_id)).await?;
    users::Entity::find_by_id(req.user_id)
        .one(&state.db)
        .await?
        .filter(|u| u.deleted_at.is_none())
        .ok_or_else(|| AppError::field("#/user_id", "no such user"))?;
    let txn = state.db.begin().await?;
    let issued = award_in(state, &txn, actor, meta, &badge, req.user_id).await?;
    let view = service::view_one(state, &txn, &issued).await?;
    txn.commit().await?;
    Ok(view)
}

pub async fn award_in(
    state: &AppState,
    txn: &DatabaseTransaction,
    actor: &Actor,
    meta: &RequestMeta,
    badge: &badges::Model,
    user: Uuid,
) -> AppResult<credentials::Model> {
    issue_in(
        state,
        txn,
        user,
        &achievement_of(badge),
        Some(actor.id),
        meta,
    )
    .await?
    .ok_or_else(|| {
        AppError::new(
            ErrorCode::AlreadyAwarded,
            "the learner holds this badge already",
        )
    })
}

/// Issues every badge whose `kind` rule on `target` the learner now meets (`percent` for
/// `assessment_passed` rules), in the transaction of the fact that earned it.
pub async fn award_by_rules(
    state: &AppState,
    txn: &DatabaseTransaction,
    user: Uuid,
    kind: BadgeRuleKind,
    target: Uuid,
    percent: Option<Decimal>,
) -> AppResult<()> {
    let rules = badge_rules::Entity::find()
        .filter(badge_rules::Column::Kind.eq(kind))
        .filter(badge_rules::Column::TargetId.eq(target))
        .find_also_related(badges::Entity)
        .all(txn)
        .await?;
    for (rule, badge) in rules {
        let Some(badge) = badge else { continue };
        if let Some(min) = rule.min_percent
            && percent.is_none_or(|p| p < min)
        {
            continue;
        }
        issue_in(
            state,
            txn,
            user,
            &achievement_of(&badge),
            None,
            &RequestMeta::system(),
        )
        .await?;
    }
    Ok(())
}

#[derive(FromQueryResult)]
struct ProfileBadge {
    credential_id: Uuid,
    badge_id: Uuid,
    name: String,
    description: String,
    image_url: Option<String>,
    issuer_org_id: Option<Uuid>,
    issued_at: chrono::DateTime<chrono::Utc>,
    public: bool,
}

/// A holder's badges in force (neither revoked nor suspended), for everyone when they chose to
/// show them, else for themselves only (404 to others).
pub async fn of_user(
    state: &AppState,
    actor: Option<&Actor>,
    user: Uuid,
    q: kernel::pagination::PageQuery,
) -> AppResult<Page<UserBadgeResponse>> {
    let paging = Paging::new(q.page, q.per_page)?;
    let own = actor.is_some_and(|a| a.id == user);
    let exists = users::Entity::find_by_id(user)
        .one(&state.db)
        .await?
        .is_some_and(|u| u.deleted_at.is_none());
    if !exists || !(own || service::public_badges(&state.db, user).await?) {
        return Err(AppError::not_found("user badges"));
    }
    let filter = "c.holder_id = $1 AND c.achievement_kind = 'badge' \
                  AND c.revoked_at IS NULL AND c.suspended_at IS NULL";
    let total: i64 = db::scalar(
        &state.db,
        format!("SELECT count(*) FROM credentials c WHERE {filter}"),
        [user.into()],
    )
    .await?
    .unwrap_or(0);
    let rows: Vec<ProfileBadge> = db::rows(
        &state.db,
        format!(
            "SELECT c.id AS credential_id, b.id AS badge_id, b.name, b.description, b.image_url, \
               c.issuer_org_id, c.issued_at, c.public \
             FROM credentials c JOIN badges b ON b.id = c.achievement_id WHERE {filter} \
             ORDER BY c.issued_at DESC, c.id LIMIT $2 OFFSET $3"
        ),
        [
            user.into(),
            paging.limit_i64().into(),
            paging.offset_i64().into(),
        ],
    )
    .await?;
    let issuers = service::issuers(state, &state.db, rows.iter().map(|r| r.issuer_org_id)).await?;
    let items = rows
        .into_iter()
        .map(|r| UserBadgeResponse {
            credential_id: r.credential_id,
            badge_id: r.badge_id,
            name: r.name,
            description: r.description,
            image_url: r.image_url,
            issuer: issuers
                .get(&r.issuer_org_id)
                .cloned()
                .unwrap_or_else(|| service::issuer_fallback(state, r.issuer_org_id)),
            issued_at: r.issued_at,
            credential_url: r
                .public
                .then(|| super::issue::credential_url(state, r.credential_id)),
        })
        .collect();
    Ok(paging.wrap(items, total as u64))
}
