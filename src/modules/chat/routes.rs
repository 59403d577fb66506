//! Handlers of the chat routes.

use actix_web::{HttpRequest, HttpResponse, delete, get, patch, post, put, web};
use kernel::enums::ReactionKind;
use serde::Deserialize;
use utoipa::IntoParams;
use uuid::Uuid;

use super::dto::{
    AddRoomMemberRequest, ChatSettingsBody, CreateRoomRequest, EditMessageRequest, HistoryQuery,
    MembershipRequest, MessageEditResponse, MessageList, MessagePage, MessageResponse, ReadRequest,
    ReceiptsResponse, RoomListQuery, RoomMemberResponse, RoomPage, RoomResponse, SearchQuery,
    SendMessageRequest, UnreadResponse, UpdateRoomRequest,
};
use super::{messages, rooms};
use crate::http::ApiResult;
use crate::http::auth::{AuthUser, ClientInfo};
use crate::http::extract::{Json, Query};
use crate::http::idempotency::{self, OptionalIdempotencyKey};
use crate::modules::moderation::{FlagRequest, FlagResponse};
use crate::state::AppState;

/// Your rooms, most recently active first, with unread and mention counts.
#[utoipa::path(tag = "chat", security(("api_key" = ["chat:use"])), params(RoomListQuery),
    responses((status = 200, body = RoomPage)))]
#[get("/chat/rooms")]
pub async fn list_rooms(
    state: web::Data<AppState>,
    user: AuthUser,
    q: Query<RoomListQuery>,
) -> ApiResult<web::Json<RoomPage>> {
    Ok(web::Json(rooms::list(&state, &user, q.into_inner()).await?))
}

/// Open the direct room with someone (200 and the existing room of the pair, or 201), or
/// create a group you own.
#[utoipa::path(tag = "chat", security(("api_key" = ["chat:use"])), request_body = CreateRoomRequest,
    responses((status = 201, body = RoomResponse), (status = 200, body = RoomResponse, description = "The existing direct room of the pair")))]
#[post("/chat/rooms")]
pub async fn create_room(
    state: web::Data<AppState>,
    user: AuthUser,
    client: ClientInfo,
    body: Json<CreateRoomRequest>,
) -> ApiResult<HttpResponse> {
    let (room, created) = rooms::create(&state, &user, &client, body.into_inner()).await?;
    Ok(if created {
        HttpResponse::Created().json(room)
    } else {
        HttpResponse::Ok().json(room)
    })
}

/// One of your rooms (non-members get 404).
#[utoipa::path(tag = "chat", security(("api_key" = ["chat:use"])), params(("id" = Uuid, Path, description = "Room id")),
    responses((status = 200, body = RoomResponse)))]
#[get("/chat/rooms/{id}")]
pub async fn get_room(
    state: web::Data<AppState>,
    user: AuthUser,
    id: web::Path<Uuid>,
) -> ApiResult<web::Json<RoomResponse>> {
    Ok(web::Json(rooms::get(&state, &user, id.into_inner()).await?))
}

/// Rename, re-topic, archive or unarchive a room (its owner and admins).
#[utoipa::path(tag = "chat", security(("api_key" = ["chat:use"])), params(("id" = Uuid, Path, description = "Room id")),
    request_body = UpdateRoomRequest, responses((status = 200, body = RoomResponse)))]
#[patch("/chat/rooms/{id}")]
pub async fn update_room(
    state: web::Data<AppState>,
    user: AuthUser,
    client: ClientInfo,
    id: web::Path<Uuid>,
    body: Json<UpdateRoomRequest>,
) -> ApiResult<web::Json<RoomResponse>> {
    Ok(web::Json(
        rooms::update(&state, &user, &client, id.into_inner(), body.into_inner()).await?,
    ))
}

/// The members of a room with their presence.
#[utoipa::path(tag = "chat", security(("api_key" = ["chat:use"])), params(("id" = Uuid, Path, description = "Room id")),
    responses((status = 200, body = Vec<RoomMemberResponse>)))]
#[get("/chat/rooms/{id}/members")]
pub async fn list_room_members(
    state: web::Data<AppState>,
    user: AuthUser,
    id: web::Path<Uuid>,
) -> ApiResult<web::Json<Vec<RoomMemberResponse>>> {
    Ok(web::Json(
        rooms::members(&state, &user, id.into_inner()).await?,
    ))
}

/// Invite someone to a group (its owner and admins).
#[utoipa::path(tag = "chat", security(("api_key" = ["chat:use"])), params(("id" = Uuid, Path, description = "Room id")),
    request_body = AddRoomMemberRequest,
    responses((status = 201, body = Vec<RoomMemberResponse>), (status = 409, description = "`already_member`, `room_membership_managed`")))]
#[post("/chat/rooms/{id}/members")]
pub async fn add_room_member(
    state: web::Data<AppState>,
    user: AuthUser,
    client: ClientInfo,
    id: web::Path<Uuid>,
    body: Json<AddRoomMemberRequest>,
) -> ApiResult<HttpResponse> {
    Ok(HttpResponse::Created()
        .json(rooms::add_member(&state, &user, &client, id.into_inner(), body.into_inner()).await?))
}

/// Leave a group (your own id) or remove a member (the owner; admins remove members).
#[utoipa::path(tag = "chat", security(("api_key" = ["chat:use"])),
    params(("id" = Uuid, Path, description = "Room id"), ("user_id" = Uuid, Path, description = "Member")),
    responses((status = 204, description = "Done"), (status = 409, description = "`room_membership_managed`")))]
#[delete("/chat/rooms/{id}/members/{user_id}")]
pub async fn remove_room_member(
    state: web::Data<AppState>,
    user: AuthUser,
    client: ClientInfo,
    path: web::Path<(Uuid, Uuid)>,
) -> ApiResult<HttpResponse> {
    let (id, member) = path.into_inner();
    rooms::remove_member(&state, &user, &client, id, member).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Mute or unmute a room for yourself.
#[utoipa::path(tag = "chat", security(("api_key" = ["chat:use"])), params(("id" = Uuid, Path, description = "Room id")),
    request_body = MembershipRequest, responses((status = 200, body = RoomResponse)))]
#[patch("/chat/rooms/{id}/membership")]
pub async fn update_membership(
    state: web::Data<AppState>,
    user: AuthUser,
    id: web::Path<Uuid>,
    body: Json<MembershipRequest>,
) -> ApiResult<web::Json<RoomResponse>> {
    Ok(web::Json(
        rooms::set_membership(&state, &user, id.into_inner(), body.into_inner()).await?,
    ))
}

/// A room's history (top-level messages, oldest first): before, after or around a message,
/// around your first unread one (`anchor=first_unread`), or the newest page.
#[utoipa::path(tag = "chat", security(("api_key" = ["chat:use"])), params(("id" = Uuid, Path, description = "Room id"), HistoryQuery),
    responses((status = 200, body = MessagePage)))]
#[get("/chat/rooms/{id}/messages")]
pub async fn list_messages(
    state: web::Data<AppState>,
    user: AuthUser,
    id: web::Path<Uuid>,
    q: Query<HistoryQuery>,
) -> ApiResult<web::Json<MessagePage>> {
    Ok(web::Json(
        messages::history(&state, &user, id.into_inner(), q.into_inner()).await?,
    ))
}

/// Send a message (Markdown; `@handle` mentions a member). Rate-limited per user; with an
/// `Idempotency-Key`, a retry answers the first result instead of sending twice.
#[utoipa::path(tag = "chat", security(("api_key" = ["chat:use"])), params(("id" = Uuid, Path, description = "Room id"), OptionalIdempotencyKey),
    request_body = SendMessageRequest,
    responses((status = 201, body = MessageResponse), (status = 400, description = "`invalid_idempotency_key`"),
        (status = 409, description = "`room_archived`, `idempotency_key_reused`, `idempotency_key_in_use`")))]
#[post("/chat/rooms/{id}/messages")]
pub async fn send_message(
    req: HttpRequest,
    state: web::Data<AppState>,
    user: AuthUser,
    client: ClientInfo,
    id: web::Path<Uuid>,
    body: Json<SendMessageRequest>,
) -> ApiResult<HttpResponse> {
    let key = idempotency::header(&req)?;
    Ok(HttpResponse::Created().json(
        messages::send(
            &state,
            &user,
            &client,
            id.into_inner(),
            body.into_inner(),
            key,
        )
        .await?,
    ))
}

/// Full-text search of a room's messages, best first.
#[utoipa::path(tag = "chat", security(("api_key" = ["chat:use"])), params(("id" = Uuid, Path, description = "Room id"), SearchQuery),
    responses((status = 200, body = MessageList)))]
#[get("/chat/rooms/{id}/search")]
pub async fn search_messages(
    state: web::Data<AppState>,
    user: AuthUser,
    id: web::Path<Uuid>,
    q: Query<SearchQuery>,
) -> ApiResult<web::Json<MessageList>> {
    Ok(web::Json(
        messages::search(&state, &user, id.into_inner(), q.into_inner()).await?,
    ))
}

/// Move your read position forward (never back); answers your unread and mention counts.
#[utoipa::path(tag = "chat", security(("api_key" = ["chat:use"])), params(("id" = Uuid, Path, description = "Room id")),
    request_body = ReadRequest, responses((status = 200, body = UnreadResponse)))]
#[post("/chat/rooms/{id}/read")]
pub async fn mark_read(
    state: web::Data<AppState>,
    user: AuthUser,
    id: web::Path<Uuid>,
    body: Json<ReadRequest>,
) -> ApiResult<web::Json<UnreadResponse>> {
    Ok(web::Json(
        messages::read(&state, &user, id.into_inner(), body.into_inner()).await?,
    ))
}

/// One message (members of its room).
#[utoipa::path(tag = "chat", security(("api_key" = ["chat:use"])), params(("id" = Uuid, Path, description = "Message id")),
    responses((status = 200, body = MessageResponse)))]
#[get("/chat/messages/{id}")]
pub async fn get_message(
    state: web::Data<AppState>,
    user: AuthUser,
    id: web::Path<Uuid>,
) -> ApiResult<web::Json<MessageResponse>> {
    Ok(web::Json(
        messages::get(&state, &user, id.into_inner()).await?,
    ))
}

/// Edit your message within the edit window; the earlier text is kept.
#[utoipa::path(tag = "chat", security(("api_key" = ["chat:use"])), params(("id" = Uuid, Path, description = "Message id")),
    request_body = EditMessageRequest,
    responses((status = 200, body = MessageResponse), (status = 409, description = "`edit_window_passed`, `message_deleted`, `room_archived`")))]
#[patch("/chat/messages/{id}")]
pub async fn edit_message(
    state: web::Data<AppState>,
    user: AuthUser,
    client: ClientInfo,
    id: web::Path<Uuid>,
    body: Json<EditMessageRequest>,
) -> ApiResult<web::Json<MessageResponse>> {
    Ok(web::Json(
        messages::edit(&state, &user, &client, id.into_inner(), body.into_inner()).await?,
    ))
}

/// Delete a message (its author, or the room's owner and admins); a placeholder stays.
#[utoipa::path(tag = "chat", security(("api_key" = ["chat:use"])), params(("id" = Uuid, Path, description = "Message id")),
    responses((status = 204, description = "Done"), (status = 409, description = "`message_deleted`")))]
#[delete("/chat/messages/{id}")]
pub async fn delete_message(
    state: web::Data<AppState>,
    user: AuthUser,
    client: ClientInfo,
    id: web::Path<Uuid>,
) -> ApiResult<HttpResponse> {
    messages::delete(&state, &user, &client, id.into_inner()).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// The earlier texts of a message, oldest first.
#[utoipa::path(tag = "chat", security(("api_key" = ["chat:use"])), params(("id" = Uuid, Path, description = "Message id")),
    responses((status = 200, body = Vec<MessageEditResponse>)))]
#[get("/chat/messages/{id}/edits")]
pub async fn list_message_edits(
    state: web::Data<AppState>,
    user: AuthUser,
    id: web::Path<Uuid>,
) -> ApiResult<web::Json<Vec<MessageEditResponse>>> {
    Ok(web::Json(
        messages::edits(&state, &user, id.into_inner()).await?,
    ))
}

/// Paging of a thread's replies.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct RepliesQuery {
    /// Replies after this one.
    pub after: Option<Uuid>,
    /// 1 to 100 (default 50).
    #[param(minimum = 1, maximum = 100)]
    pub limit: Option<u32>,
}

/// The replies in a message's thread, oldest first.
#[utoipa::path(tag = "chat", security(("api_key" = ["chat:use"])), params(("id" = Uuid, Path, description = "Message id"), RepliesQuery),
    responses((status = 200, body = MessagePage)))]
#[get("/chat/messages/{id}/replies")]
pub async fn list_replies(
    state: web::Data<AppState>,
    user: AuthUser,
    id: web::Path<Uuid>,
    q: Query<RepliesQuery>,
) -> ApiResult<web::Json<MessagePage>> {
    let q = q.into_inner();
    Ok(web::Json(
        messages::replies(&state, &user, id.into_inner(), q.after, q.limit).await?,
    ))
}

/// React to a message (one per kind per person); answers the message with its counts.
#[utoipa::path(tag = "chat", security(("api_key" = ["chat:use"])),
    params(("id" = Uuid, Path, description = "Message id"), ("kind" = inline(ReactionKind), Path, description = "Reaction")),
    responses((status = 200, body = MessageResponse), (status = 409, description = "`message_deleted`, `room_archived`")))]
#[put("/chat/messages/{id}/reactions/{kind}")]
pub async fn add_reaction(
    state: web::Data<AppState>,
    user: AuthUser,
    path: web::Path<(Uuid, ReactionKind)>,
) -> ApiResult<web::Json<MessageResponse>> {
    let (id, kind) = path.into_inner();
    Ok(web::Json(
        messages::react(&state, &user, id, kind, true).await?,
    ))
}

/// Take your reaction back; answers the message with its counts.
#[utoipa::path(tag = "chat", security(("api_key" = ["chat:use"])),
    params(("id" = Uuid, Path, description = "Message id"), ("kind" = inline(ReactionKind), Path, description = "Reaction")),
    responses((status = 200, body = MessageResponse), (status = 409, description = "`message_deleted`, `room_archived`")))]
#[delete("/chat/messages/{id}/reactions/{kind}")]
pub async fn remove_reaction(
    state: web::Data<AppState>,
    user: AuthUser,
    path: web::Path<(Uuid, ReactionKind)>,
) -> ApiResult<web::Json<MessageResponse>> {
    let (id, kind) = path.into_inner();
    Ok(web::Json(
        messages::react(&state, &user, id, kind, false).await?,
    ))
}

/// Who read a message: how many always, who only in small rooms.
#[utoipa::path(tag = "chat", security(("api_key" = ["chat:use"])), params(("id" = Uuid, Path, description = "Message id")),
    responses((status = 200, body = ReceiptsResponse)))]
#[get("/chat/messages/{id}/receipts")]
pub async fn get_receipts(
    state: web::Data<AppState>,
    user: AuthUser,
    id: web::Path<Uuid>,
) -> ApiResult<web::Json<ReceiptsResponse>> {
    Ok(web::Json(
        messages::receipts(&state, &user, id.into_inner()).await?,
    ))
}

/// Flag a message for the moderators (once per person).
#[utoipa::path(tag = "chat", security(("api_key" = ["chat:use"])), params(("id" = Uuid, Path, description = "Message id")),
    request_body = FlagRequest,
    responses((status = 201, body = FlagResponse), (status = 409, description = "`already_flagged`")))]
#[post("/chat/messages/{id}/flags")]
pub async fn flag_message(
    state: web::Data<AppState>,
    user: AuthUser,
    client: ClientInfo,
    id: web::Path<Uuid>,
    body: Json<FlagRequest>,
) -> ApiResult<HttpResponse> {
    let body = body.into_inner();
    let note = body.note.as_deref().unwrap_or("").to_owned();
    Ok(HttpResponse::Created()
        .json(messages::flag(&state, &user, &client, id.into_inner(), body.reason, &note).await?))
}

/// Your chat settings.
#[utoipa::path(tag = "chat", security(("api_key" = ["chat:use"])), responses((status = 200, body = ChatSettingsBody)))]
#[get("/chat/settings")]
pub async fn get_chat_settings(
    state: web::Data<AppState>,
    user: AuthUser,
) -> ApiResult<web::Json<ChatSettingsBody>> {
    Ok(web::Json(messages::settings(&state, &user).await?))
}

/// Change your chat settings (whether others see how far you read).
#[utoipa::path(tag = "chat", security(("api_key" = ["chat:use"])), request_body = ChatSettingsBody,
    responses((status = 200, body = ChatSettingsBody)))]
#[patch("/chat/settings")]
pub async fn update_chat_settings(
    state: web::Data<AppState>,
    user: AuthUser,
    client: ClientInfo,
    body: Json<ChatSettingsBody>,
) -> ApiResult<web::Json<ChatSettingsBody>> {
    Ok(web::Json(
        messages::update_settings(&state, &user, &client, body.into_inner()).await?,
    ))
}
