//! What issues credentials by itself: the subscribers of `CourseCompleted` (the course's
//! certificate, with its grade and the graded attempts as evidence, and the badges whose rules
//! name the course), `PathCompleted` (the path's certificate and its badges) and
//! `AssessmentPassed` (badges with a minimum percent). They run inside the transaction that
//! completed or passed, so a credential exists exactly when its fact does.

use entity::{attempts, courses, learning_path_courses, learning_paths};
use futures_util::future::BoxFuture;
use kernel::enums::{AchievementKind, BadgeRuleKind};
use kernel::event::DomainEvent;
use kernel::{AppResult, RequestMeta};
use sea_orm::{ColumnTrait, DatabaseTransaction, EntityTrait, QueryFilter, QueryOrder};
use uuid::Uuid;

use super::badges::award_by_rules;
use super::issue::{Achievement, Evidence, api_base, issue_in};
use crate::modules::assessments;
use crate::state::AppState;

/// At most `max` characters of `s`.
fn shorten(s: &str, max: usize) -> String {
    match s.char_indices().nth(max) {
        Some((i, _)) => format!("{}…", &s[..i]),
        None => s.to_owned(),
    }
}

pub fn on_course_completed<'a>(
    state: &'a AppState,
    txn: &'a DatabaseTransaction,
    event: &'a DomainEvent,
) -> BoxFuture<'a, AppResult<()>> {
    Box::pin(async move {
        let DomainEvent::CourseCompleted {
            user_id, course_id, ..
        } = event
        else {
            return Ok(());
        };
        let Some(course) = courses::Entity::find_by_id(*course_id).one(txn).await? else {
            return Ok(());
        };
        let record = assessments::course_record(txn, &state.settings, *user_id, *course_id).await?;
        let evidence = record
            .attempts
            .iter()
            .map(|a| Evidence {
                url: format!("{}/attempts/{}", api_base(state), a.attempt_id),
                name: format!("{}, attempt {}", a.assessment_title, a.number),
                description: format!("Graded {} %", a.percent),
                document: a.record.clone(),
            })
            .collect();
        let description = if course.summary.trim().is_empty() {
            shorten(&course.description, 2000)
        } else {
            course.summary.clone()
        };
        let criteria = if record.grade.is_some() {
            "Completed every required lesson of the course and met its assessment requirements."
        } else {
            "Completed every required lesson of the course."
        };
        let achievement = Achievement {
            kind: AchievementKind::Course,
            id: course.id,
            name: course.title,
            description,
            criteria: criteria.into(),
            image_url: course.cover_image_url,
            issuer_org: course.organization_id,
            grade: record.grade,
            evidence,
            valid_days: None,
        };
        completed(
            state,
            txn,
            *user_id,
            &achievement,
            BadgeRuleKind::CourseCompleted,
        )
        .await
    })
}

/// A completion's credential, then the badges whose rules it satisfies (`achievement.id` is the
/// rule's target).
async fn completed(
    state: &AppState,
    txn: &DatabaseTransaction,
    user_id: Uuid,
    achievement: &Achievement,
    rule: BadgeRuleKind,
) -> AppResult<()> {
    issue_in(
        state,
        txn,
        user_id,
        achievement,
        None,
        &RequestMeta::system(),
    )
    .await?;
    award_by_rules(state, txn, user_id, rule, achievement.id, None).await
}

pub fn on_path_completed<'a>(
    state: &'a AppState,
    txn: &'a DatabaseTransaction,
    event: &'a DomainEvent,
) -> BoxFuture<'a, AppResult<()>> {
    Box::pin(async move {
        let DomainEvent::PathCompleted {
            user_id, path_id, ..
        } = event
        else {
            return Ok(());
        };
        let Some(path) = learning_paths::Entity::find_by_id(*path_id)
            .one(txn)
            .await?
        else {
            return Ok(());
        };
        let required = learning_path_courses::Entity::find()
            .filter(learning_path_courses::Column::PathId.eq(*path_id))
            .filter(learning_path_courses::Column::Required.eq(true))
            .find_also_related(courses::Entity)
            .order_by_asc(learning_path_courses::Column::Position)
            .all(txn)
            .await?;
        let titles: Vec<String> = required
            .into_iter()
            .filter_map(|(_, c)| c.map(|c| c.title))
            .collect();
        let achievement = Achievement {
            kind: AchievementKind::Path,
            id: path.id,
            name: path.title,
            description: shorten(&path.description, 2000),
            criteria: shorten(
                &format!(
                    "Completed every required course of the learning path: {}.",
                    titles.join(", ")
                ),
                4000,
            ),
            image_url: None,
            issuer_org: path.organization_id,
            grade: None,
            evidence: Vec::new(),
            valid_days: None,
        };
        completed(
            state,
            txn,
            *user_id,
            &achievement,
            BadgeRuleKind::PathCompleted,
        )
        .await
    })
}

pub fn on_assessment_passed<'a>(
    state: &'a AppState,
    txn: &'a DatabaseTransaction,
    event: &'a DomainEvent,
) -> BoxFuture<'a, AppResult<()>> {
    Box::pin(async move {
        let DomainEvent::AssessmentPassed {
            attempt_id,
            user_id,
            assessment_id,
            ..
        } = event
        else {
            return Ok(());
        };
        let percent = attempts::Entity::find_by_id(*attempt_id)
            .one(txn)
            .await?
            .and_then(|a| a.percent);
        award_by_rules(
            state,
            txn,
            *user_id,
            BadgeRuleKind::AssessmentPassed,
            *assessment_id,
            percent,
        )
        .await
    })
}
