//! The demo accounts of `azora seed` (`seed::DEMO_USERS`): registered through [`register_in`]
//! with their fixed ids and addresses marked verified, each then granted its global demo role
//! through `rbac::assign_role`. Idempotent: an account whose id or address exists is left as
//! it is.

use entity::users;
use kernel::{AppError, AppResult, RequestMeta, Scope};
use sea_orm::{ColumnTrait, Condition, EntityTrait, PaginatorTrait, QueryFilter, TransactionTrait};
use uuid::Uuid;

use super::accounts::{NewAccount, register_in};
use crate::modules::rbac;
use crate::state::AppState;

/// Registers the demo accounts that do not exist yet; returns how many it registered.
pub async fn seed_demo(state: &AppState) -> AppResult<u64> {
    let txn = state.db.begin().await?;
    kernel::db::advisory_lock(&txn, "seed:demo-accounts").await?;
    let meta = RequestMeta::system();
    // Hashed once, and only when an account is missing (argon2 is slow on purpose).
    let mut password_hash: Option<String> = None;
    let mut inserted = 0;
    for (id, email, name, role) in seed::DEMO_USERS {
        let id: Uuid = id.parse().map_err(AppError::internal)?;
        let taken = users::Entity::find()
            .filter(
                Condition::any().add(users::Column::Id.eq(id)).add(
                    Condition::all()
                        .add(users::Column::Email.eq(email))
                        .add(users::Column::DeletedAt.is_null()),
                ),
            )
            .count(&txn)
            .await?
            > 0;
        if taken {
            continue;
        }
        let hash = match &password_hash {
            Some(hash) => hash.clone(),
            None => {
                // The demo password is exempt from the strength rules.
                let hash = state.hasher.hash(seed::DEMO_PASSWORD.to_owned()).await?;
                password_hash.insert(hash).clone()
            }
        };
        register_in(
            state,
            &txn,
            &meta,
            NewAccount {
                id,
                email: email.to_owned(),
                display_name: name.to_owned(),
                password_hash: hash,
                email_verified: true,
            },
        )
        .await?;
        rbac::assign_role(&txn, id, role, Scope::Global, None).await?;
        inserted += 1;
    }
    txn.commit().await?;
    tracing::info!(inserted, "seeded demo accounts");
    Ok(inserted)
}

/// Demo account `index` of `seed::DEMO_USERS` as an actor (verified), for other modules' seeds.
pub fn demo_actor(index: usize) -> AppResult<kernel::Actor> {
    let (id, email, _, _) = seed::DEMO_USERS[index];
    Ok(kernel::Actor::new(
        id.parse().map_err(AppError::internal)?,
        email.to_owned(),
        true,
        None,
        None,
    ))
}
