//! `chat`: rooms (direct, group, course and organization channels), their members, messages,
//! reactions, read positions and receipts.
//!
//! Owns `chat_rooms`, `chat_members`, `chat_messages`, `chat_message_edits`,
//! `chat_reactions`, `chat_settings`. Rules: non-members get 404 for a room and all in it;
//! every change appends its stream events to every member in the same transaction (one
//! statement per fan-out); a direct room is unique per pair; course channels follow
//! enrollments and organization channels membership (domain events), groups are managed by
//! their owner and admins; edits keep the earlier text; deletes are soft; read positions move
//! forward only and are the only read state kept (no per-message read times); receipts are
//! shown per reader only in small rooms and never for users who switched them off.

mod dto;
mod messages;
mod rooms;
mod routes;
mod seed;

pub use dto::{ReactionCount, RoomResponse};
pub use rooms::{all_rooms, presence_of, presence_watchers, typing_recipients};
pub use seed::seed_demo;

use futures_util::future::BoxFuture;
use kernel::AppResult;
use kernel::enums::{FlagAction, RoomKind};
use kernel::event::DomainEvent;
use sea_orm::DatabaseTransaction;
use utoipa_actix_web::service_config::ServiceConfig;
use uuid::Uuid;

use crate::state::AppState;

pub fn routes(cfg: &mut ServiceConfig) {
    cfg.service(routes::list_rooms)
        .service(routes::create_room)
        .service(routes::get_room)
        .service(routes::update_room)
        .service(routes::list_room_members)
        .service(routes::add_room_member)
        .service(routes::remove_room_member)
        .service(routes::update_membership)
        .service(routes::list_messages)
        .service(routes::send_message)
        .service(routes::search_messages)
        .service(routes::mark_read)
        .service(routes::get_chat_settings)
        .service(routes::update_chat_settings)
        .service(routes::get_message)
        .service(routes::edit_message)
        .service(routes::delete_message)
        .service(routes::list_message_edits)
        .service(routes::list_replies)
        .service(routes::add_reaction)
        .service(routes::remove_reaction)
        .service(routes::get_receipts)
        .service(routes::flag_message);
}

/// Course and organization channels follow enrollments and membership.
pub fn on_membership_change<'a>(
    _state: &'a AppState,
    txn: &'a DatabaseTransaction,
    event: &'a DomainEvent,
) -> BoxFuture<'a, AppResult<()>> {
    Box::pin(async move {
        match event {
            DomainEvent::Enrolled { user_id, course_id } => {
                rooms::join_channel_in(txn, RoomKind::Course, *course_id, *user_id).await
            }
            DomainEvent::EnrollmentDropped { user_id, course_id } => {
                rooms::leave_channel_in(txn, RoomKind::Course, *course_id, *user_id).await
            }
            DomainEvent::OrganizationJoined {
                user_id,
                organization_id,
            } => {
                rooms::join_channel_in(txn, RoomKind::Organization, *organization_id, *user_id)
                    .await
            }
            DomainEvent::OrganizationLeft {
                user_id,
                organization_id,
            } => {
                rooms::leave_channel_in(txn, RoomKind::Organization, *organization_id, *user_id)
                    .await
            }
            _ => Ok(()),
        }
    })
}

/// Applies a moderator's decision to a chat message (registered with the moderation module).
pub fn moderate<'a>(
    txn: &'a DatabaseTransaction,
    id: Uuid,
    action: FlagAction,
) -> BoxFuture<'a, AppResult<()>> {
    Box::pin(messages::moderate_in(txn, id, action))
}
