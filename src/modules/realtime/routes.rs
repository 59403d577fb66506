//! Handlers of the stream routes.

use std::time::Duration;

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, get, web};
use kernel::{AppError, ErrorCode, FieldError, Scope};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::socket;
use crate::http::ApiResult;
use crate::http::auth::AuthUser;
use crate::http::extract::Query;
use crate::modules::chat::{self, RoomResponse};
use crate::state::AppState;
use crate::stream::{self, Outbound, StreamEvent};

/// The event stream over a WebSocket. Authenticate with the subprotocol
/// `Sec-WebSocket-Protocol: azora.v1, bearer.<access token>` or a first message
/// `{"type": "hello", "token": ..., "after": N}` (never the URL); the messages are the
/// `ClientMessage` and `ServerMessage` components. Close codes: 4001 unauthorized, 4003
/// forbidden, 4000 idle timeout, 4008 slow consumer.
#[utoipa::path(
    tag = "realtime",
    responses(
        (status = 101, description = "Switching to the WebSocket protocol"),
        (status = 400, description = "`websocket_required`: not an upgrade request"),
        (status = 403, description = "`origin_not_allowed`"),
    )
)]
#[get("/events/ws")]
pub async fn events_ws(
    state: web::Data<AppState>,
    req: HttpRequest,
    body: web::Payload,
) -> ApiResult<HttpResponse> {
    let upgrade = req
        .headers()
        .get(header::UPGRADE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.eq_ignore_ascii_case("websocket"));
    if !upgrade {
        return Err(AppError::new(
            ErrorCode::WebsocketRequired,
            "send a WebSocket upgrade request",
        )
        .into());
    }
    if let Some(origin) = req
        .headers()
        .get(header::ORIGIN)
        .and_then(|v| v.to_str().ok())
    {
        let allowed = &state.settings.cors.allowed_origins;
        if !allowed.iter().any(|o| o == "*" || o == origin) {
            return Err(AppError::new(
                ErrorCode::OriginNotAllowed,
                "this origin may not open sockets",
            )
            .into());
        }
    }
    let token = req
        .headers()
        .get_all(header::SEC_WEBSOCKET_PROTOCOL)
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(str::trim)
        .find_map(|p| p.strip_prefix("bearer.").map(str::to_owned));
    let (response, session, messages) = actix_ws::handle_with_protocols(&req, body, &["azora.v1"])
        .map_err(|e| AppError::new(ErrorCode::WebsocketRequired, e.to_string()))?;
    let state = state.get_ref().clone();
    actix_web::rt::spawn(socket::run(state, session, messages, token));
    Ok(response)
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PollQuery {
    /// The last sequence the client saw (absent: wait for the next event).
    #[param(minimum = 0)]
    pub after: Option<i64>,
    /// Seconds to wait when nothing is there yet: 0 to 60 (default 30).
    #[param(minimum = 0, maximum = 60)]
    pub timeout: Option<u32>,
    /// 1 to 500 (default 100).
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<u32>,
}

/// Events after a sequence.
#[derive(Debug, Serialize, ToSchema)]
pub struct PollResponse {
    /// Oldest first; empty after a timeout or when a resync is required.
    pub items: Vec<StreamEvent>,
    /// The newest sequence of the stream now.
    pub last_seq: i64,
    /// The events after `after` were pruned: rebuild from `GET /events/snapshot`.
    pub resync_required: bool,
}

/// The event stream by long polling: answers at once when events follow `after`, else waits
/// up to `timeout` seconds for one.
#[utoipa::path(
    tag = "realtime",
    security(("api_key" = ["chat:use"])),
    params(PollQuery),
    responses((status = 200, body = PollResponse))
)]
#[get("/events")]
pub async fn poll_events(
    state: web::Data<AppState>,
    user: AuthUser,
    q: Query<PollQuery>,
) -> ApiResult<web::Json<PollResponse>> {
    crate::authz::require(&state, &user, "chat:use", Scope::Global).await?;
    let q = q.into_inner();
    let limit = kernel::pagination::feed_limit(q.limit, 100, 500)? as u64;
    let mut errors = Vec::new();
    if q.timeout.is_some_and(|t| t > 60) {
        errors.push(FieldError::new("timeout", "must be between 0 and 60"));
    }
    if q.after.is_some_and(|a| a < 0) {
        errors.push(FieldError::new("after", "must be 0 or more"));
    }
    if !errors.is_empty() {
        return Err(AppError::validation(errors).into());
    }
    let wait = Duration::from_secs(u64::from(q.timeout.unwrap_or(30)));
    let pos = stream::position(&state.db, user.id).await?;
    // An `after` beyond the newest sequence waits for the next event.
    let after = q.after.unwrap_or(pos.last_seq).min(pos.last_seq);
    if pos.needs_resync(after) {
        return Ok(web::Json(PollResponse {
            items: Vec::new(),
            last_seq: pos.last_seq,
            resync_required: true,
        }));
    }
    let mut items = stream::read(&state.db, user.id, after, limit).await?;
    if items.is_empty()
        && !wait.is_zero()
        && let Some(hub) = state.hub.clone()
    {
        {
            let mut sub = hub.subscribe(user.id, after, 1);
            let woke = tokio::time::timeout(wait, async {
                loop {
                    match sub.rx.recv().await {
                        Some(Outbound::Event(_)) | None => return,
                        Some(Outbound::Signal(_)) => continue,
                    }
                }
            })
            .await;
            drop(sub);
            if woke.is_ok() {
                items = stream::read(&state.db, user.id, after, limit).await?;
            }
        }
    }
    let last_seq = items
        .last()
        .map_or(pos.last_seq, |e| e.seq.max(pos.last_seq));
    Ok(web::Json(PollResponse {
        items,
        last_seq,
        resync_required: false,
    }))
}

/// What a client rebuilds from after `resync_required`.
#[derive(Debug, Serialize, ToSchema)]
pub struct SnapshotResponse {
    /// Resume the stream after this sequence.
    pub last_seq: i64,
    /// The caller's rooms with their unread counts.
    pub rooms: Vec<RoomResponse>,
}

/// The state to rebuild from: your rooms, and the sequence to resume the stream after (read
/// first, so nothing after it is missed).
#[utoipa::path(
    tag = "realtime",
    security(("api_key" = ["chat:use"])),
    responses((status = 200, body = SnapshotResponse))
)]
#[get("/events/snapshot")]
pub async fn snapshot(
    state: web::Data<AppState>,
    user: AuthUser,
) -> ApiResult<web::Json<SnapshotResponse>> {
    crate::authz::require(&state, &user, "chat:use", Scope::Global).await?;
    let pos = stream::position(&state.db, user.id).await?;
    let rooms = chat::all_rooms(&state.db, user.id).await?;
    Ok(web::Json(SnapshotResponse {
        last_seq: pos.last_seq,
        rooms,
    }))
}
