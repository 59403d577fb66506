//! Demo data of certificates: the demo organization's badge, awarded by its educator to the
//! student, through the same services as the API. The student's course certificate needs no
//! step here: the LMS seed completes a course, and completion issues it.

use entity::badges;
use kernel::{AppError, AppResult, RequestMeta, db};
use sea_orm::{EntityTrait, TransactionTrait};
use uuid::Uuid;

use super::badges::{award_in, create_in};
use super::dto::CreateBadgeRequest;
use crate::state::AppState;

/// Creates the demo badge and awards it (idempotent); the rows it inserted.
pub async fn seed_demo(state: &AppState) -> AppResult<u64> {
    let (id, name, description, criteria) = seed::DEMO_BADGE;
    let id: Uuid = id.parse().map_err(AppError::internal)?;
    let org: Uuid = seed::DEMO_ORG.0.parse().map_err(AppError::internal)?;
    let txn = state.db.begin().await?;
    db::advisory_lock(&txn, "seed:demo-certificates").await?;
    if badges::Entity::find_by_id(id).one(&txn).await?.is_some()
        || crate::modules::orgs::find(&txn, org).await.is_err()
    {
        return Ok(0);
    }
    let student = crate::modules::identity::demo_actor(0)?;
    let educator = crate::modules::identity::demo_actor(1)?;
    let meta = RequestMeta::system();
    let bad = |e: String| AppError::internal(anyhow::anyhow!(e));
    let req = CreateBadgeRequest {
        organization_id: Some(org),
        name: name.parse().map_err(bad)?,
        description: Some(description.parse().map_err(bad)?),
        criteria: criteria.parse().map_err(bad)?,
        image_url: None,
        valid_days: None,
        rules: Vec::new(),
    };
    create_in(&txn, &educator, &meta, id, &req, &[]).await?;
    let badge = badges::Entity::find_by_id(id)
        .one(&txn)
        .await?
        .ok_or_else(|| AppError::not_found("badge"))?;
    award_in(state, &txn, &educator, &meta, &badge, student.id).await?;
    txn.commit().await?;
    Ok(2)
}
