//! A small client of the event stream (`GET /api/v1/events/ws`, docs/realtime.md) over a real
//! TCP connection, with a timeout on every read, and the few chat calls the socket tests and
//! the chat tests share (a room, a message, a response's JSON).

use std::net::SocketAddr;
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use reqwest::Response;
use serde_json::{Value, json};
use tokio::io::AsyncReadExt;
use tokio::net::{TcpSocket, TcpStream};
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::handshake::client::Request;
use tokio_tungstenite::tungstenite::http::HeaderValue;
use tokio_tungstenite::tungstenite::{Error as WsError, Message};
use tokio_tungstenite::{WebSocketStream, client_async};
use uuid::Uuid;

use super::TestApp;
use super::users::TestUser;

/// How long a test waits for something that should come at once.
pub const WAIT: Duration = Duration::from_secs(5);

/// The JSON messages a socket may get at any time, unasked: skipped by [`Ws::next_event`].
const UNASKED: [&str; 3] = ["presence", "typing", "pong"];

/// Options of one connection attempt.
#[derive(Default, Clone)]
pub struct Connect {
    /// `Sec-WebSocket-Protocol`, as sent.
    pub protocols: Option<String>,
    /// An `Origin` header.
    pub origin: Option<String>,
    /// `SO_RCVBUF` of the client socket, set before connecting (a slow reader).
    pub recv_buffer: Option<u32>,
}

/// An open socket to the event stream.
pub struct Ws {
    socket: WebSocketStream<TcpStream>,
    /// The `ready` message the server answered `hello` with.
    pub ready: Value,
}

fn addr_of(app: &TestApp) -> SocketAddr {
    app.address
        .trim_start_matches("http://")
        .parse()
        .expect("a loopback address")
}

fn request(app: &TestApp, options: &Connect) -> Request {
    let url = format!(
        "{}/api/v1/events/ws",
        app.address.replacen("http://", "ws://", 1)
    );
    let mut req = url.into_client_request().expect("a WebSocket request");
    if let Some(protocols) = &options.protocols {
        req.headers_mut().insert(
            "Sec-WebSocket-Protocol",
            HeaderValue::from_str(protocols).expect("header value"),
        );
    }
    if let Some(origin) = &options.origin {
        req.headers_mut().insert(
            "Origin",
            HeaderValue::from_str(origin).expect("header value"),
        );
    }
    req
}

/// The subprotocol header that authenticates as `token`.
pub fn bearer_protocols(token: &str) -> String {
    format!("azora.v1, bearer.{token}")
}

/// The TCP connection and the WebSocket handshake only; `Err` carries a refused upgrade
/// (`WsError::Http` with the response).
pub async fn handshake(
    app: &TestApp,
    options: Connect,
) -> Result<
    (
        Ws,
        tokio_tungstenite::tungstenite::handshake::client::Response,
    ),
    WsError,
> {
    let socket = TcpSocket::new_v4().expect("socket");
    if let Some(size) = options.recv_buffer {
        socket.set_recv_buffer_size(size).expect("SO_RCVBUF");
    }
    let stream = tokio::time::timeout(WAIT, socket.connect(addr_of(app)))
        .await
        .expect("TCP connect in time")
        .expect("TCP connect");
    let (socket, response) =
        tokio::time::timeout(WAIT, client_async(request(app, &options), stream))
            .await
            .expect("handshake in time")?;
    Ok((
        Ws {
            socket,
            ready: Value::Null,
        },
        response,
    ))
}

impl Ws {
    /// Connects with the subprotocol header, sends `hello` (no token) and waits for `ready`.
    pub async fn connect(app: &TestApp, user: &TestUser, after: Option<i64>) -> Ws {
        Self::connect_with(
            app,
            user,
            after,
            Connect {
                protocols: Some(bearer_protocols(&user.access_token)),
                ..Connect::default()
            },
        )
        .await
    }

    /// Like [`Ws::connect`], with the connection's options (the protocols are set here).
    pub async fn connect_with(
        app: &TestApp,
        user: &TestUser,
        after: Option<i64>,
        mut options: Connect,
    ) -> Ws {
        options.protocols = Some(bearer_protocols(&user.access_token));
        let (mut ws, response) = handshake(app, options).await.expect("the upgrade");
        assert_eq!(
            response
                .headers()
                .get("sec-websocket-protocol")
                .and_then(|v| v.to_str().ok()),
            Some("azora.v1"),
            "the server selects azora.v1"
        );
        let mut hello = json!({"type": "hello"});
        if let Some(after) = after {
            hello["after"] = json!(after);
        }
        ws.send(&hello).await;
        ws.await_ready(user).await;
        ws
    }

    /// Connects without a subprotocol and authenticates with `hello` carrying the token.
    pub async fn connect_hello(app: &TestApp, user: &TestUser, after: Option<i64>) -> Ws {
        let (mut ws, _) = handshake(app, Connect::default())
            .await
            .expect("the upgrade");
        let mut hello = json!({"type": "hello", "token": user.access_token});
        if let Some(after) = after {
            hello["after"] = json!(after);
        }
        ws.send(&hello).await;
        ws.await_ready(user).await;
        ws
    }

    async fn await_ready(&mut self, user: &TestUser) {
        let ready = self.next_message(WAIT).await;
        assert_eq!(ready["type"], "ready", "the answer to hello: {ready}");
        assert_eq!(ready["user_id"], user.id.to_string(), "{ready}");
        assert!(ready["last_seq"].is_i64(), "{ready}");
        self.ready = ready;
    }

    /// `last_seq` of the `ready` message.
    pub fn ready_seq(&self) -> i64 {
        self.ready["last_seq"].as_i64().expect("last_seq")
    }

    /// Sends a JSON text frame.
    pub async fn send(&mut self, message: &Value) {
        tokio::time::timeout(WAIT, self.socket.send(Message::text(message.to_string())))
            .await
            .expect("send in time")
            .expect("send");
    }

    /// The next JSON text message (control frames skipped); panics on a close, the end of the
    /// stream or the timeout.
    pub async fn next_message(&mut self, wait: Duration) -> Value {
        match self.try_next_message(wait).await {
            Ok(Some(message)) => message,
            Ok(None) => panic!("no message within {wait:?}"),
            Err(end) => panic!("the socket ended instead of a message: {end}"),
        }
    }

    /// `Ok(None)` on the timeout; `Err(description)` when the socket closes or fails.
    async fn try_next_message(&mut self, wait: Duration) -> Result<Option<Value>, String> {
        let deadline = tokio::time::Instant::now() + wait;
        loop {
            let frame = match tokio::time::timeout_at(deadline, self.socket.next()).await {
                Err(_) => return Ok(None),
                Ok(None) => return Err("end of stream".into()),
                Ok(Some(Err(e))) => return Err(format!("error {e}")),
                Ok(Some(Ok(frame))) => frame,
            };
            match frame {
                Message::Text(text) => {
                    return Ok(Some(
                        serde_json::from_str(text.as_str())
                            .unwrap_or_else(|e| panic!("not JSON ({e}): {text}")),
                    ));
                }
                Message::Close(frame) => return Err(format!("close frame {frame:?}")),
                Message::Binary(bytes) => panic!("unexpected binary frame of {}", bytes.len()),
                Message::Ping(_) | Message::Pong(_) | Message::Frame(_) => {}
            }
        }
    }

    /// The next message that is not `presence`, `typing` or `pong`; asserts it is an event.
    pub async fn next_event(&mut self, wait: Duration) -> Value {
        let message = self.next_non_unasked(wait).await;
        assert_eq!(message["type"], "event", "expected an event: {message}");
        assert!(message["seq"].is_i64(), "{message}");
        message
    }

    /// The next message that is not `presence`, `typing` or `pong`, whatever its type.
    pub async fn next_non_unasked(&mut self, wait: Duration) -> Value {
        let deadline = tokio::time::Instant::now() + wait;
        loop {
            let left = deadline.saturating_duration_since(tokio::time::Instant::now());
            let message = self.next_message(left).await;
            if !UNASKED.contains(&message["type"].as_str().unwrap_or_default()) {
                return message;
            }
        }
    }

    /// The next message of `kind` type (`"typing"`, `"pong"`, ...), skipping any other.
    pub async fn next_of_type(&mut self, kind: &str, wait: Duration) -> Value {
        let deadline = tokio::time::Instant::now() + wait;
        loop {
            let left = deadline.saturating_duration_since(tokio::time::Instant::now());
            let message = self.next_message(left).await;
            if message["type"] == kind {
                return message;
            }
        }
    }

    /// The next event of `kind`, skipping events of other kinds (and unasked messages).
    pub async fn next_event_of_kind(&mut self, kind: &str, wait: Duration) -> Value {
        let deadline = tokio::time::Instant::now() + wait;
        loop {
            let left = deadline.saturating_duration_since(tokio::time::Instant::now());
            let event = self.next_event(left).await;
            if event["kind"] == kind {
                return event;
            }
        }
    }

    /// Asserts that nothing but unasked messages arrives for `wait`.
    pub async fn assert_quiet(&mut self, wait: Duration) {
        let deadline = tokio::time::Instant::now() + wait;
        loop {
            let left = deadline.saturating_duration_since(tokio::time::Instant::now());
            match self.try_next_message(left).await {
                Ok(None) => return,
                Ok(Some(message)) => {
                    assert!(
                        UNASKED.contains(&message["type"].as_str().unwrap_or_default()),
                        "expected nothing, got {message}"
                    );
                }
                Err(end) => panic!("the socket ended while quiet: {end}"),
            }
        }
    }

    /// Reads (and drops) everything until the close frame; its code, or `None` when the
    /// stream ends without one. Returns the messages read before it too.
    pub async fn read_until_close(&mut self, wait: Duration) -> (Option<u16>, Vec<Value>) {
        let deadline = tokio::time::Instant::now() + wait;
        let mut seen = Vec::new();
        loop {
            let frame = match tokio::time::timeout_at(deadline, self.socket.next()).await {
                Err(_) => panic!(
                    "no close within {wait:?} (read {} messages; last {:?})",
                    seen.len(),
                    seen.last()
                ),
                Ok(None) => return (None, seen),
                Ok(Some(Err(e))) => {
                    eprintln!("the socket failed before a close frame: {e}");
                    return (None, seen);
                }
                Ok(Some(Ok(frame))) => frame,
            };
            match frame {
                Message::Close(frame) => return (frame.map(|f| u16::from(f.code)), seen),
                Message::Text(text) => {
                    seen.push(serde_json::from_str(text.as_str()).expect("JSON"));
                }
                _ => {}
            }
        }
    }

    /// Reads the raw TCP stream until the server ends it, sending nothing (a WebSocket client
    /// would answer the server's pings, and a pong written after the server closed draws a
    /// reset that can drop the close frame unread); the code of the close frame in it.
    pub async fn raw_close_code(mut self, wait: Duration) -> Option<u16> {
        let mut bytes = Vec::new();
        let read = tokio::time::timeout(wait, self.socket.get_mut().read_to_end(&mut bytes)).await;
        assert!(
            read.is_ok(),
            "the server did not end the connection within {wait:?}"
        );
        // Server frames are unmasked: FIN/opcode, length (7 bits, or 16 or 64 more), payload.
        let mut at = 0;
        while let (Some(&head), Some(&len7)) = (bytes.get(at), bytes.get(at + 1)) {
            let (len, start) = match len7 & 0x7f {
                126 => (
                    usize::from(u16::from_be_bytes(
                        bytes.get(at + 2..at + 4)?.try_into().ok()?,
                    )),
                    at + 4,
                ),
                127 => (
                    usize::try_from(u64::from_be_bytes(
                        bytes.get(at + 2..at + 10)?.try_into().ok()?,
                    ))
                    .ok()?,
                    at + 10,
                ),
                n => (usize::from(n), at + 2),
            };
            if head & 0x0f == 0x8 {
                let code = bytes.get(start..start + 2)?;
                return Some(u16::from_be_bytes([code[0], code[1]]));
            }
            at = start + len;
        }
        None
    }

    /// Closes from the client side (normal closure) and drops the connection.
    pub async fn close(mut self) {
        let _ = tokio::time::timeout(WAIT, self.socket.close(None)).await;
    }
}

// ------------------------------------------------------------------ chat calls

/// Asserts the status (showing the body when it differs) and returns the JSON body (`Null`
/// when empty).
pub async fn expect(resp: Response, status: u16) -> Value {
    let got = resp.status().as_u16();
    let path = resp.url().path().to_owned();
    let text = resp.text().await.expect("a body");
    assert_eq!(got, status, "{path}: {text}");
    if text.is_empty() {
        Value::Null
    } else {
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("{path}: not JSON ({e}): {text}"))
    }
}

pub fn uuid_of(v: &Value) -> Uuid {
    v.as_str()
        .unwrap_or_else(|| panic!("a uuid string, got {v}"))
        .parse()
        .expect("a uuid")
}

/// `POST /chat/rooms` of kind `group` by `owner` with `members`; returns the room's id.
pub async fn group_room(
    app: &TestApp,
    owner: &TestUser,
    name: &str,
    members: &[&TestUser],
) -> Uuid {
    let ids: Vec<Uuid> = members.iter().map(|m| m.id).collect();
    let room = expect(
        app.post_as(
            "/api/v1/chat/rooms",
            owner,
            &json!({"kind": "group", "name": name, "member_ids": ids}),
        )
        .await,
        201,
    )
    .await;
    uuid_of(&room["id"])
}

/// `POST /chat/rooms/{room}/messages`; asserts 201 and returns the message.
pub async fn post_message(app: &TestApp, author: &TestUser, room: Uuid, body: &str) -> Value {
    expect(
        app.post_as(
            &format!("/api/v1/chat/rooms/{room}/messages"),
            author,
            &json!({"body": body}),
        )
        .await,
        201,
    )
    .await
}
