//! The domain-event bus: `events::publish(state, txn, event)` journals the event in
//! `domain_events` and calls its subscribers in turn, all inside the publisher's transaction;
//! a subscriber's error aborts it. Modules register their subscribers through
//! `modules::hooks`, so this file names none of them.

use kernel::AppResult;
use kernel::db;
use kernel::event::DomainEvent;
use sea_orm::DatabaseTransaction;
use uuid::Uuid;

use crate::state::AppState;

/// Journals `event` and runs its subscribers, all inside `txn`.
pub async fn publish(
    state: &AppState,
    txn: &DatabaseTransaction,
    event: DomainEvent,
) -> AppResult<()> {
    db::exec(
        txn,
        "INSERT INTO domain_events (id, kind, user_id, payload) VALUES ($1, $2, $3, $4)",
        [
            Uuid::now_v7().into(),
            event.kind().as_str().into(),
            event.user_id().into(),
            serde_json::to_value(&event)?.into(),
        ],
    )
    .await?;
    let kind = event.kind();
    for (_, subscriber) in state.hooks.subscribers.iter().filter(|(k, _)| *k == kind) {
        subscriber(state, txn, &event).await?;
    }
    Ok(())
}
