//! The demo organization of `azora seed` (`seed::DEMO_ORG`): created through [`create_in`] by
//! the demo educator, who owns it, with the demo learners added through [`add_member_in`].
//! Idempotent: nothing happens when an organization with its id or slug exists, or when the
//! educator does not.

use entity::organizations;
use kernel::enums::{Choice, OrganizationKind};
use kernel::text::Text;
use kernel::{Actor, AppError, AppResult, RequestMeta};
use sea_orm::{ColumnTrait, Condition, EntityTrait, PaginatorTrait, QueryFilter, TransactionTrait};
use uuid::Uuid;

use super::dto::{AddMemberRequest, CreateOrganizationRequest};
use super::service::{add_member_in, create_in};
use crate::modules::identity;
use crate::state::AppState;

fn demo_id(id: &str) -> AppResult<Uuid> {
    id.parse().map_err(AppError::internal)
}

fn demo_text<T: std::str::FromStr<Err = String>>(s: &str) -> AppResult<T> {
    s.parse()
        .map_err(|e: String| AppError::internal(anyhow::anyhow!("demo data {s:?}: {e}")))
}

/// Creates the demo organization unless it exists; returns 1 when it did.
pub async fn seed_demo(state: &AppState) -> AppResult<u64> {
    let (id, name, slug) = seed::DEMO_ORG;
    let id = demo_id(id)?;
    let txn = state.db.begin().await?;
    kernel::db::advisory_lock(&txn, "seed:demo-org").await?;
    let exists = organizations::Entity::find()
        .filter(
            Condition::any()
                .add(organizations::Column::Id.eq(id))
                .add(organizations::Column::Slug.eq(slug)),
        )
        .count(&txn)
        .await?
        > 0;
    let educator = identity::find_user(&txn, demo_id(seed::DEMO_USERS[1].0)?)
        .await?
        .filter(|u| u.deleted_at.is_none());
    let Some(educator) = educator.filter(|_| !exists) else {
        return Ok(0);
    };
    let actor = Actor::new(
        educator.id,
        educator.email,
        educator.email_verified,
        None,
        None,
    );
    let meta = RequestMeta::system();
    let request = CreateOrganizationRequest {
        name: demo_text(name)?,
        slug: Some(demo_text(slug)?),
        kind: Some(Choice::from(OrganizationKind::School)),
        description: Some(demo_text::<Text<5000>>(seed::DEMO_ORG_DESCRIPTION)?),
        website: None,
    };
    create_in(&txn, &actor, &meta, id, request).await?;
    for (user, title) in seed::DEMO_ORG_MEMBERS {
        let user_id = demo_id(seed::DEMO_USERS[user].0)?;
        if identity::find_user(&txn, user_id)
            .await?
            .is_some_and(|u| u.deleted_at.is_none())
        {
            let member = AddMemberRequest {
                user_id,
                title: demo_text(title)?,
            };
            add_member_in(&txn, &actor, &meta, id, member).await?;
        }
    }
    txn.commit().await?;
    tracing::info!(organization = %id, "seeded the demo organization");
    Ok(1)
}
