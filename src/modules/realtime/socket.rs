//! One WebSocket: `hello`, catch-up and live delivery through the hub, heartbeats, idle and
//! slow-consumer cut-offs, typing and presence.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use actix_ws::{AggregatedMessage, CloseCode, CloseReason, Session};
use futures_util::StreamExt;
use kernel::enums::PresenceStatus;
use kernel::{Scope, db};
use uuid::Uuid;

use super::protocol::{ClientMessage, ServerMessage};
use crate::modules::chat;
use crate::state::{AppState, Credential};
use crate::stream::{self, Outbound};

const HELLO_TIMEOUT: Duration = Duration::from_secs(10);
const MAX_FRAME: usize = 64 * 1024;
/// At most one typing signal per room per this long per socket.
const TYPING_EVERY: Duration = Duration::from_secs(2);

fn close(code: u16, reason: &str) -> Option<CloseReason> {
    Some(CloseReason {
        code: CloseCode::Other(code),
        description: Some(reason.to_owned()),
    })
}

async fn send(session: &mut Session, msg: &ServerMessage) -> bool {
    match serde_json::to_string(msg) {
        Ok(text) => session.text(text).await.is_ok(),
        Err(_) => false,
    }
}

/// Closes without waiting on a client that does not read.
async fn shut(session: Session, reason: Option<CloseReason>) {
    let _ = tokio::time::timeout(Duration::from_secs(1), session.close(reason)).await;
}

/// Closes, then waits (briefly) for the client's own close frame before the connection ends,
/// as RFC 6455 asks: a client still writing (a pong, say) gets to read the close frame instead
/// of a reset.
async fn shut_draining<S>(session: Session, reason: Option<CloseReason>, stream: &mut S)
where
    S: futures_util::Stream<Item = Result<AggregatedMessage, actix_ws::ProtocolError>> + Unpin,
{
    shut(session, reason).await;
    let _ = tokio::time::timeout(Duration::from_secs(2), async {
        while let Some(Ok(msg)) = stream.next().await {
            if matches!(msg, AggregatedMessage::Close(_)) {
                break;
            }
        }
    })
    .await;
}

/// Runs one socket to its end.
pub async fn run(
    state: AppState,
    mut session: Session,
    stream: actix_ws::MessageStream,
    header_token: Option<String>,
) {
    let mut stream = stream
        .max_frame_size(MAX_FRAME)
        .aggregate_continuations()
        .max_continuation_size(MAX_FRAME);
    // 1. hello
    let hello = tokio::time::timeout(HELLO_TIMEOUT, async {
        loop {
            match stream.next().await {
                Some(Ok(AggregatedMessage::Text(t))) => {
                    return serde_json::from_str::<ClientMessage>(&t).ok();
                }
                Some(Ok(AggregatedMessage::Ping(p))) => {
                    let _ = session.pong(&p).await;
                }
                Some(Ok(_)) => continue,
                _ => return None,
            }
        }
    })
    .await;
    let (token, after) = match hello {
        Ok(Some(ClientMessage::Hello { token, after })) => (token.or(header_token), after),
        _ => return shut(session, close(4001, "unauthorized: send hello first")).await,
    };
    let Some(token) = token else {
        return shut(session, close(4001, "unauthorized: no token")).await;
    };
    let actor = match (state.hooks.authenticate)(&state, Credential::Bearer(&token)).await {
        Ok(a) => a,
        Err(_) => return shut(session, close(4001, "unauthorized")).await,
    };
    if crate::authz::require(&state, &actor, "chat:use", Scope::Global)
        .await
        .is_err()
    {
        return shut(session, close(4003, "forbidden")).await;
    }
    let Some(hub) = state.hub.clone() else {
        return shut(session, close(1011, "no stream hub")).await;
    };
    let Ok(pos) = stream::position(&state.db, actor.id).await else {
        return shut(session, close(1011, "database unavailable")).await;
    };
    // 2. where to start: ready, then either the events after `after` or `resync_required`
    if !send(
        &mut session,
        &ServerMessage::Ready {
            user_id: actor.id,
            last_seq: pos.last_seq,
        },
    )
    .await
    {
        return;
    }
    let mut from = pos.last_seq;
    if let Some(after) = after.filter(|a| *a >= 0) {
        if pos.needs_resync(after) {
            let msg = ServerMessage::ResyncRequired {
                after,
                oldest_seq: pos.pruned_through + 1,
                last_seq: pos.last_seq,
            };
            if !send(&mut session, &msg).await {
                return;
            }
        } else {
            from = after.min(pos.last_seq);
        }
    }
    let settings = state.settings.realtime.clone();
    let mut sub = hub.subscribe(actor.id, from, settings.send_buffer);
    presence(&state, hub.node_id, actor.id, Some(PresenceStatus::Online)).await;
    // 3. live
    let mut ping = tokio::time::interval(Duration::from_secs(settings.ping_interval_secs));
    ping.tick().await;
    let idle = Duration::from_secs(settings.idle_timeout_secs);
    let mut heard = Instant::now();
    let mut typed: HashMap<Uuid, Instant> = HashMap::new();
    let reason = loop {
        tokio::select! {
            _ = sub.kill.notified() => break close(4008, "slow_consumer"),
            out = sub.rx.recv() => {
                let text = match out {
                    Some(Outbound::Event(e)) => serde_json::to_string(&ServerMessage::Event((*e).clone())).ok(),
                    Some(Outbound::Signal(s)) => Some(s.to_string()),
                    None => break close(1011, "stream closed"),
                };
                sub.drained();
                let Some(text) = text else { continue };
                tokio::select! {
                    r = session.text(text) => if r.is_err() { break None },
                    _ = sub.kill.notified() => break close(4008, "slow_consumer"),
                }
            }
            msg = stream.next() => {
                heard = Instant::now();
                match msg {
                    Some(Ok(AggregatedMessage::Ping(p))) => {
                        if session.pong(&p).await.is_err() { break None }
                    }
                    Some(Ok(AggregatedMessage::Pong(_))) | Some(Ok(AggregatedMessage::Binary(_))) => {}
                    Some(Ok(AggregatedMessage::Text(t))) => {
                        let reply = handle(&state, actor.id, hub.node_id, &t, &mut typed).await;
                        if let Some(reply) = reply
                            && !send(&mut session, &reply).await
                        {
                            break None;
                        }
                    }
                    Some(Ok(AggregatedMessage::Close(_))) | None => break None,
                    Some(Err(_)) => break close(1002, "protocol error"),
                }
            }
            _ = ping.tick() => {
                if heard.elapsed() > idle {
                    break close(4000, "idle_timeout");
                }
                if session.ping(b"").await.is_err() { break None }
            }
        }
    };
    drop(sub);
    if !hub.is_local(actor.id) {
        presence(&state, hub.node_id, actor.id, None).await;
    }
    shut_draining(session, reason, &mut stream).await;
}

/// A client message after `hello`; answers what goes back to this socket.
async fn handle(
    state: &AppState,
    user_id: Uuid,
    node_id: Uuid,
    text: &str,
    typed: &mut HashMap<Uuid, Instant>,
) -> Option<ServerMessage> {
    let error = |code: &str, detail: &str| ServerMessage::Error {
        code: code.into(),
        detail: detail.into(),
    };
    match serde_json::from_str::<ClientMessage>(text) {
        Ok(ClientMessage::Ping) => Some(ServerMessage::Pong),
        Ok(ClientMessage::Hello { .. }) => {
            Some(error("already_ready", "hello is the first message only"))
        }
        Ok(ClientMessage::Typing { room_id }) => {
            if typed
                .get(&room_id)
                .is_some_and(|t| t.elapsed() < TYPING_EVERY)
            {
                return None;
            }
            typed.insert(room_id, Instant::now());
            let max = state.settings.chat.typing_max_members;
            match chat::typing_recipients(&state.db, room_id, user_id, max).await {
                Ok(to) => {
                    let signal =
                        serde_json::to_value(ServerMessage::Typing { room_id, user_id }).ok()?;
                    let _ = stream::signal(&state.db, &to, signal).await;
                    None
                }
                Err(_) => Some(error("not_found", "no such room")),
            }
        }
        Ok(ClientMessage::Presence { status }) => {
            if status == PresenceStatus::Offline {
                return Some(error("validation_failed", "status is online or idle"));
            }
            presence(state, node_id, user_id, Some(status)).await;
            None
        }
        Err(e) => Some(error("invalid_message", &e.to_string())),
    }
}

/// Records this node's presence row for the user (`None`: its last socket here closed) and
/// tells the members of the user's small rooms.
async fn presence(state: &AppState, node_id: Uuid, user_id: Uuid, status: Option<PresenceStatus>) {
    let written = match status {
        Some(s) => db::exec(
            &state.db,
            "INSERT INTO presence_sessions (node_id, user_id, status) VALUES ($1, $2, $3)
             ON CONFLICT (user_id, node_id) DO UPDATE SET status = excluded.status, updated_at = now()",
            [node_id.into(), user_id.into(), s.as_str().into()],
        )
        .await
        .map(|_| ()),
        None => db::exec(
            &state.db,
            "WITH d AS (DELETE FROM presence_sessions WHERE node_id = $1 AND user_id = $2)
             INSERT INTO user_last_seen (user_id, last_seen_at) VALUES ($2, now())
             ON CONFLICT (user_id) DO UPDATE SET last_seen_at = now()",
            [node_id.into(), user_id.into()],
        )
        .await
        .map(|_| ()),
    };
    if written.is_err() {
        return;
    }
    let now = match chat::presence_of(&state.db, user_id).await {
        Ok(p) => p,
        Err(_) => return,
    };
    let last_seen_at = (now == PresenceStatus::Offline).then(chrono::Utc::now);
    let max = state.settings.chat.typing_max_members;
    if let Ok(to) = chat::presence_watchers(&state.db, user_id, max).await
        && let Ok(signal) = serde_json::to_value(ServerMessage::Presence {
            user_id,
            status: now,
            last_seen_at,
        })
    {
        let _ = stream::signal(&state.db, &to, signal).await;
    }
}
