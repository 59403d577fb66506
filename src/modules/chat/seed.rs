//! Demo chat: the seeded student's course channel (from the demo enrollments) and a direct
//! conversation between the student and the educator, through the module's own services.

use kernel::enums::RoomKind;
use kernel::{AppResult, RequestMeta, db};
use sea_orm::TransactionTrait;
use uuid::Uuid;

use super::dto::{CreateRoomRequest, SendMessageRequest};
use super::{messages, rooms};
use crate::modules::identity;
use crate::state::AppState;

/// Creates the demo rooms and messages (idempotent: the direct room of a pair is unique and
/// messages are added only to an empty room).
pub async fn seed_demo(state: &AppState) -> AppResult<u64> {
    let meta = RequestMeta::system();
    // Course channels of the demo enrollments (made before chat existed in the seed order).
    let enrolled: Vec<(Uuid, Uuid)> = db::rows::<Pair, _>(
        &state.db,
        "SELECT user_id, course_id FROM enrollments WHERE status <> 'dropped' ORDER BY enrolled_at",
        [],
    )
    .await?
    .into_iter()
    .map(|p| (p.user_id, p.course_id))
    .collect();
    let txn = state.db.begin().await?;
    for (user, course) in enrolled {
        rooms::join_channel_in(&txn, RoomKind::Course, course, user).await?;
    }
    txn.commit().await?;
    let student_actor = identity::demo_actor(0)?;
    let educator_actor = identity::demo_actor(1)?;
    let req = CreateRoomRequest {
        kind: RoomKind::Direct,
        name: None,
        topic: None,
        member_ids: vec![educator_actor.id],
    };
    let (room, _) = rooms::create(state, &student_actor, &meta, req).await?;
    let mut sent = 0;
    if room.message_count == 0 {
        let lines = [
            (
                &student_actor,
                "Hi! I finished the first module of **Rust Fundamentals**. Any tips for the ownership quiz?",
            ),
            (
                &educator_actor,
                "Great work! Re-read the borrowing lesson and try the examples in the playground first.",
            ),
        ];
        for (who, body) in lines {
            let body = kernel::text::Prose::new(body)
                .map_err(|e| kernel::AppError::internal(anyhow::anyhow!(e)))?;
            messages::send(
                state,
                who,
                &meta,
                room.id,
                SendMessageRequest {
                    body,
                    thread_root_id: None,
                    attachments: vec![],
                },
                None,
            )
            .await?;
            sent += 1;
        }
    }
    Ok(sent)
}

#[derive(sea_orm::FromQueryResult)]
struct Pair {
    user_id: Uuid,
    course_id: Uuid,
}
