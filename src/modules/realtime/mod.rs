//! `realtime`: how clients read their event stream (the platform's `stream`): the WebSocket,
//! long polling, the snapshot to rebuild from after `resync_required`, and presence and typing,
//! which travel through the sockets and are never written per keystroke.
//!
//! Owns `presence_sessions`, `user_last_seen` and `realtime_nodes`. Rules: the socket is
//! authenticated by its first message or the `Sec-WebSocket-Protocol` header, never the URL,
//! and its `Origin` must be allowed by `cors`; a socket gets every event after the sequence it
//! names, in order, with no gap and no duplicate, then live ones; its queue is bounded and a
//! client that lets it fill is closed (4008); a silent client is closed after
//! `realtime.idle_timeout_secs` (4000).

mod protocol;
mod routes;
mod socket;

pub use protocol::{ClientMessage, ServerMessage};

use utoipa_actix_web::service_config::ServiceConfig;

pub fn routes(cfg: &mut ServiceConfig) {
    cfg.service(routes::events_ws)
        .service(routes::poll_events)
        .service(routes::snapshot);
}
