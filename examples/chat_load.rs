//! WebSocket load on the real-time event stream and chat (docs/realtime.md). Run by
//! `bench/chat.sh`, against a server it started on its own database.
//!
//! ```text
//! cargo run --release --example chat_load -- setup    <base_url> <database_url> [options]
//! cargo run --release --example chat_load -- run      <base_url> <database_url> --server-pid PID [options]
//! cargo run --release --example chat_load -- sqlcount <base_url> <database_url> --pg-log FILE [options]
//! ```
//!
//! `setup` (SQL, before the server starts): the accounts of the benchmark, each with a live
//! session (verified, global `student`, so `chat:use`; no password that signs in), and two
//! group rooms with their members: `fan` (the poster, who owns it, and `--subscribers` others)
//! and `put` (`--room` members, the first `--posters` of whom post), plus `--idle-users` users
//! in no room. The accounts are listed in `bench_chat_accounts` and `bench_chat_rooms`.
//! Access tokens are minted here, HS256 with the server's secret (`AZORA__SECURITY__JWT_SECRET`,
//! the default of config/default.toml when unset), exactly as the server signs them, so nobody
//! signs in (argon2) during the benchmark.
//!
//! `run`, against the server whose pid is `--server-pid`:
//! 1. idle: `--idle` authenticated sockets (spread over the idle users), each reading (so the
//!    server's pings are answered) and sending nothing; the server's VmRSS from
//!    /proc/PID/status before and after, per connection. Half the sockets authenticate with the
//!    subprotocol header, half with the token in `hello`.
//! 2. fan: every subscriber of `fan` connects; the poster posts `--rate` messages/s over REST for
//!    `--fan-secs` s; each socket matches each `message_created` event to its message (the body
//!    carries its number) and records the time since the POST was sent. Prints p50/p99/max and
//!    delivered/expected, and checks every socket's sequence (no gap, no duplicate).
//! 3. put: the non-posting members of `put` connect; `--posters` members post as fast as they
//!    can for `--put-secs` s; prints messages/s, POST latency, delivery latency, delivered.
//!
//! Phases 2 and 3 also print the CPU time the server, the database's Postgres backends, this
//! client and everything else used (from /proc: the machine may be shared), and the
//! sequential scans of `stream_events` (pg_stat_user_tables) while they ran.
//!
//! `sqlcount`, against a server started with `log_statement = 'all'` for the database: the
//! members of `fan` but its poster connect, two warm-up messages, then one measured message;
//! counts the statements the database logged from the POST being sent until every socket had
//! the event (plus 300 ms), next to an equally long window without a message; then the same
//! in the 100-member room `put`, so what grows with the members shows.
//!
//! Options: `--subscribers 1000 --rate 10 --fan-secs 30 --room 100 --posters 4 --put-secs 10
//! --idle 10000 --idle-users 10000 --connect-concurrency 64 --phases idle,fan,put
//! --results FILE` (appends `key value` lines for the script's summary) `--pg-log FILE`
//! `--server-pid PID`.

use std::borrow::Cow;
use std::collections::{BTreeMap, HashMap, HashSet};
use std::io::{Read, Seek, SeekFrom, Write};
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, anyhow, bail};
use futures_util::{SinkExt, StreamExt};
use reqwest::Method;
use sea_orm::{ConnectionTrait, DatabaseConnection, DbBackend, Statement};
use serde::Deserialize;
use serde_json::json;
use tokio::net::TcpStream;
use tokio::sync::watch;
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::HeaderValue;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::tungstenite::{Message, Utf8Bytes};

#[path = "support/bench.rs"]
mod bench;
use bench::*;

const FAN_P99_TARGET_MS: f64 = 50.0;
const DEFAULT_JWT_SECRET: &str = "insecure-development-secret-change-me-0123456789";
/// How long the last deliveries may take after the last POST answered.
const DELIVERY_GRACE: Duration = Duration::from_secs(10);

type Ws = WebSocketStream<TcpStream>;

// ------------------------------------------------------------------------------- options

struct Opts {
    command: String,
    base: String,
    database_url: String,
    subscribers: usize,
    rate: u32,
    fan_secs: u64,
    room: usize,
    posters: usize,
    put_secs: u64,
    idle: usize,
    idle_users: usize,
    concurrency: usize,
    phases: Vec<String>,
    results: Option<String>,
    pg_log: Option<String>,
    server_pid: Option<u32>,
}

impl Opts {
    fn parse() -> anyhow::Result<Self> {
        let args: Vec<String> = std::env::args().skip(1).collect();
        if args.len() < 3 || args[0].starts_with('-') {
            bail!(
                "usage: chat_load setup|run|sqlcount <base_url> <database_url> [--option value]...\n\
                 (bench/chat.sh prepares the database, starts the server and runs this)"
            );
        }
        let mut named: HashMap<String, String> = HashMap::new();
        let mut rest = args[3..].iter();
        while let Some(key) = rest.next() {
            let name = key
                .strip_prefix("--")
                .ok_or_else(|| anyhow!("unexpected argument {key}"))?;
            let value = rest.next().ok_or_else(|| anyhow!("{key} needs a value"))?;
            named.insert(name.to_owned(), value.clone());
        }
        let num = |name: &str, default: usize| -> anyhow::Result<usize> {
            named.get(name).map_or(Ok(default), |v| {
                v.parse()
                    .with_context(|| format!("--{name} must be a number, not {v}"))
            })
        };
        let idle = num("idle", 10_000)?;
        let opts = Self {
            command: args[0].clone(),
            base: args[1].trim_end_matches('/').to_owned(),
            database_url: args[2].clone(),
            subscribers: num("subscribers", 1000)?,
            rate: u32::try_from(num("rate", 10)?)?,
            fan_secs: num("fan-secs", 30)? as u64,
            room: num("room", 100)?,
            posters: num("posters", 4)?,
            put_secs: num("put-secs", 10)? as u64,
            idle,
            idle_users: num("idle-users", idle)?,
            concurrency: num("connect-concurrency", 64)?.max(1),
            phases: named
                .get("phases")
                .map_or("idle,fan,put", String::as_str)
                .split(',')
                .map(str::to_owned)
                .collect(),
            results: named.get("results").cloned(),
            pg_log: named.get("pg-log").cloned(),
            server_pid: named.get("server-pid").map(|p| p.parse()).transpose()?,
        };
        if opts.subscribers == 0 || opts.rate == 0 || opts.room < 2 {
            bail!("--subscribers and --rate must be at least 1, --room at least 2");
        }
        if opts.posters == 0 || opts.posters >= opts.room {
            bail!("--posters must be between 1 and --room - 1");
        }
        if opts.idle > 0 && opts.idle_users == 0 {
            bail!("--idle-users must be at least 1 when --idle is");
        }
        Ok(opts)
    }

    /// The database's name, from its URL.
    fn database_name(&self) -> String {
        self.database_url
            .rsplit('/')
            .next()
            .and_then(|s| s.split('?').next())
            .unwrap_or_default()
            .to_owned()
    }

    /// Appends `key value` to the results file, if there is one.
    fn result(&self, key: &str, value: impl std::fmt::Display) -> anyhow::Result<()> {
        if let Some(path) = &self.results {
            let mut f = std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(path)?;
            writeln!(f, "{key} {value}")?;
        }
        Ok(())
    }
}

// ------------------------------------------------------------------------------- accounts

/// One benchmark account: its user, and an access token for its session.
#[derive(Clone)]
struct Account {
    token: String,
}

struct Accounts {
    /// `fan[0]` is the poster (owner); the others subscribe.
    fan: Vec<Account>,
    /// `put[..posters]` post; the others listen.
    put: Vec<Account>,
    idle: Vec<Account>,
    fan_room: String,
    put_room: String,
}

async fn setup(opts: &Opts, db: &DatabaseConnection) -> anyhow::Result<()> {
    let started = Instant::now();
    let (fan, put, idle) = (opts.subscribers, opts.room - 1, opts.idle_users);
    sql(
        db,
        &format!(
            "BEGIN;
             CREATE TABLE bench_chat_accounts (
                 grp        text NOT NULL,
                 n          int NOT NULL,
                 user_id    uuid NOT NULL DEFAULT gen_random_uuid(),
                 session_id uuid NOT NULL DEFAULT gen_random_uuid(),
                 PRIMARY KEY (grp, n)
             );
             INSERT INTO bench_chat_accounts (grp, n) SELECT 'fan', i FROM generate_series(0, {fan}) AS i;
             INSERT INTO bench_chat_accounts (grp, n) SELECT 'put', i FROM generate_series(0, {put}) AS i;
             INSERT INTO bench_chat_accounts (grp, n) SELECT 'idle', i FROM generate_series(0, {idle} - 1) AS i;
             -- No password signs in: the benchmark mints its own access tokens.
             INSERT INTO users (id, email, display_name, password_hash, email_verified_at)
             SELECT user_id, grp || n || '@chat.bench.azora.test', 'Chat ' || grp || ' ' || n,
                    '!bench-no-login', now()
             FROM bench_chat_accounts;
             INSERT INTO role_assignments (id, user_id, role_id, scope_type)
             SELECT gen_random_uuid(), a.user_id, r.id, 'global'
             FROM bench_chat_accounts a, roles r WHERE r.name = 'student';
             INSERT INTO sessions (id, user_id, user_agent, ip, expires_at)
             SELECT session_id, user_id, 'chat_load', '127.0.0.1', now() + interval '1 day'
             FROM bench_chat_accounts;
             -- As a new account's stream starts: nothing yet.
             INSERT INTO stream_cursors (user_id) SELECT user_id FROM bench_chat_accounts
             ON CONFLICT DO NOTHING;
             CREATE TABLE bench_chat_rooms (grp text PRIMARY KEY, room_id uuid NOT NULL);
             INSERT INTO bench_chat_rooms VALUES ('fan', gen_random_uuid()), ('put', gen_random_uuid());
             INSERT INTO chat_rooms (id, kind, name, topic, created_by, member_count)
             SELECT r.room_id, 'group', 'Chat load ' || r.grp, 'benchmark room',
                    (SELECT user_id FROM bench_chat_accounts WHERE grp = r.grp AND n = 0),
                    (SELECT count(*) FROM bench_chat_accounts WHERE grp = r.grp)
             FROM bench_chat_rooms r;
             INSERT INTO chat_members (room_id, user_id, role)
             SELECT r.room_id, a.user_id, CASE WHEN a.n = 0 THEN 'owner' ELSE 'member' END
             FROM bench_chat_rooms r JOIN bench_chat_accounts a USING (grp);
             COMMIT;
             ANALYZE;"
        ),
    )
    .await
    .context("creating the benchmark accounts and rooms")?;
    println!(
        "setup: {} accounts with a session each; room `fan`: {} members (the poster and {fan} subscribers), \
         room `put`: {} members; {idle} idle users ({:.1}s)",
        fan + 1 + put + 1 + idle,
        fan + 1,
        put + 1,
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

async fn load_accounts(db: &DatabaseConnection) -> anyhow::Result<Accounts> {
    let secret = std::env::var("AZORA__SECURITY__JWT_SECRET")
        .unwrap_or_else(|_| DEFAULT_JWT_SECRET.to_owned());
    let key = jsonwebtoken::EncodingKey::from_secret(secret.as_bytes());
    let header = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256);
    let now = chrono::Utc::now().timestamp();
    let rows = db
        .query_all_raw(Statement::from_string(
            DbBackend::Postgres,
            "SELECT grp, user_id::text AS user_id, session_id::text AS session_id \
             FROM bench_chat_accounts ORDER BY grp, n",
        ))
        .await
        .context("reading bench_chat_accounts (did `chat_load setup` run?)")?;
    let mut groups: HashMap<String, Vec<Account>> = HashMap::new();
    for row in rows {
        let grp: String = row.try_get("", "grp")?;
        let user_id: String = row.try_get("", "user_id")?;
        let session_id: String = row.try_get("", "session_id")?;
        // The claims of src/modules/identity/authn.rs `Claims`.
        let claims = json!({
            "sub": user_id,
            "sid": session_id,
            "iat": now,
            "exp": now + 4 * 3600,
            "jti": uuid::Uuid::now_v7(),
        });
        let token = jsonwebtoken::encode(&header, &claims, &key)?;
        groups.entry(grp).or_default().push(Account { token });
    }
    let rooms = db
        .query_all_raw(Statement::from_string(
            DbBackend::Postgres,
            "SELECT grp, room_id::text AS room_id FROM bench_chat_rooms",
        ))
        .await?;
    let mut room_of: HashMap<String, String> = HashMap::new();
    for row in rooms {
        room_of.insert(row.try_get("", "grp")?, row.try_get("", "room_id")?);
    }
    let mut take = |g: &str| groups.remove(g).unwrap_or_default();
    let accounts = Accounts {
        fan: take("fan"),
        put: take("put"),
        idle: take("idle"),
        fan_room: room_of
            .remove("fan")
            .ok_or_else(|| anyhow!("no `fan` room"))?,
        put_room: room_of
            .remove("put")
            .ok_or_else(|| anyhow!("no `put` room"))?,
    };
    if accounts.fan.len() < 2 || accounts.put.len() < 2 {
        bail!("bench_chat_accounts is incomplete; run `chat_load setup` on a fresh database");
    }
    Ok(accounts)
}

/// The server takes the minted tokens and shows the rooms as set up.
async fn check_rooms(api: &Api, accounts: &Accounts) -> anyhow::Result<()> {
    for (room, members, who) in [
        (&accounts.fan_room, &accounts.fan, "fan"),
        (&accounts.put_room, &accounts.put, "put"),
    ] {
        for account in [&members[0], &members[members.len() - 1]] {
            let v = api
                .expect(
                    Method::GET,
                    &format!("/chat/rooms/{room}"),
                    Some(&account.token),
                    &[],
                    None,
                    200,
                )
                .await
                .with_context(|| format!("a member reading the `{who}` room"))?;
            if v["member_count"].as_u64() != Some(members.len() as u64) {
                bail!(
                    "the `{who}` room shows member_count {} (expected {}): {v}",
                    v["member_count"],
                    members.len()
                );
            }
        }
    }
    Ok(())
}

// ------------------------------------------------------------------------------- sockets

/// How a socket authenticates (docs/realtime.md): the subprotocol header, or the token in
/// the first `hello`.
#[derive(Clone, Copy, PartialEq)]
enum Auth {
    Subprotocol,
    Hello,
}

/// The fields of a server frame the benchmark reads.
#[derive(Deserialize)]
struct Frame<'a> {
    #[serde(rename = "type", borrow)]
    ty: Cow<'a, str>,
    seq: Option<u64>,
    #[serde(borrow)]
    kind: Option<Cow<'a, str>>,
    #[serde(borrow)]
    room_id: Option<Cow<'a, str>>,
    data: Option<FrameData<'a>>,
    last_seq: Option<u64>,
    #[serde(borrow)]
    code: Option<Cow<'a, str>>,
    #[serde(borrow)]
    detail: Option<Cow<'a, str>>,
}

#[derive(Deserialize)]
struct FrameData<'a> {
    #[serde(borrow)]
    body: Option<Cow<'a, str>>,
}

/// Opens an authenticated socket and waits for `ready`: the socket and its `last_seq`.
async fn open(addr: SocketAddr, token: &str, auth: Auth) -> anyhow::Result<(Ws, u64)> {
    let tcp = TcpStream::connect(addr).await.context("TCP connect")?;
    tcp.set_nodelay(true)?;
    let mut request = format!("ws://{addr}/api/v1/events/ws").into_client_request()?;
    if auth == Auth::Subprotocol {
        request.headers_mut().insert(
            "Sec-WebSocket-Protocol",
            HeaderValue::from_str(&format!("azora.v1, bearer.{token}"))?,
        );
    }
    // Small buffers: the client's memory is not what is measured, but 10,000 sockets add up.
    let config = WebSocketConfig::default()
        .read_buffer_size(16 * 1024)
        .write_buffer_size(0);
    let (mut ws, response) =
        tokio_tungstenite::client_async_with_config(request, tcp, Some(config))
            .await
            .context("WebSocket handshake")?;
    if auth == Auth::Subprotocol {
        let chosen = response
            .headers()
            .get("Sec-WebSocket-Protocol")
            .and_then(|v| v.to_str().ok());
        if chosen != Some("azora.v1") {
            bail!("the server selected the subprotocol {chosen:?}, not azora.v1");
        }
    }
    let hello = match auth {
        Auth::Subprotocol => json!({"type": "hello"}),
        Auth::Hello => json!({"type": "hello", "token": token}),
    };
    ws.send(Message::text(hello.to_string())).await?;
    let ready = tokio::time::timeout(Duration::from_secs(15), async {
        while let Some(msg) = ws.next().await {
            match msg? {
                Message::Text(text) => {
                    let frame: Frame = serde_json::from_str(text.as_str())
                        .with_context(|| format!("an unreadable frame: {text}"))?;
                    match frame.ty.as_ref() {
                        "ready" => return Ok(frame.last_seq.unwrap_or(0)),
                        "error" => bail!("error before ready: {text}"),
                        _ => bail!("a frame before ready: {text}"),
                    }
                }
                Message::Close(close) => bail!("closed before ready: {close:?}"),
                _ => {}
            }
        }
        bail!("the connection ended before ready")
    })
    .await
    .map_err(|_| anyhow!("no `ready` within 15 s"))??;
    Ok((ws, ready))
}

/// What the run of one phase shares with its sockets: the room and the body prefix of its
/// messages, and when each message was sent (ns since `base`, plus 1; 0: not sent).
struct Track {
    room_id: String,
    prefix: String,
    base: Instant,
    sent: Vec<AtomicU64>,
    next: AtomicUsize,
    delivered: AtomicU64,
}

impl Track {
    fn new(room_id: &str, prefix: String, capacity: usize) -> Arc<Self> {
        Arc::new(Self {
            room_id: room_id.to_owned(),
            prefix,
            base: Instant::now(),
            sent: (0..capacity).map(|_| AtomicU64::new(0)).collect(),
            next: AtomicUsize::new(0),
            delivered: AtomicU64::new(0),
        })
    }

    fn body(&self, n: usize) -> String {
        format!("{}{n}", self.prefix)
    }

    fn mark_sent(&self, n: usize) {
        let ns = self.base.elapsed().as_nanos() as u64 + 1;
        self.sent[n].store(ns, Ordering::Release);
    }

    /// The next message number, if there is room for it.
    fn take(&self) -> Option<usize> {
        let n = self.next.fetch_add(1, Ordering::Relaxed);
        (n < self.sent.len()).then_some(n)
    }

    /// Waits until `expected` deliveries arrived or `deadline` passed.
    async fn wait_delivered(&self, expected: u64, deadline: Instant) {
        while self.delivered.load(Ordering::Relaxed) < expected && Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}

/// What one socket saw.
#[derive(Default)]
struct Seen {
    /// Delivery latencies of this phase's messages, in µs.
    latencies: Vec<u32>,
    duplicates: u64,
    seq_gaps: u64,
    seq_repeats: u64,
    other_events: u64,
    unsent: u64,
    ended: Option<String>,
}

/// Reads a socket until `stop`: matches this phase's `message_created` events to their
/// messages and checks the sequence. The server's pings are answered by the read loop.
async fn hold(
    mut ws: Ws,
    mut last_seq: u64,
    track: Option<Arc<Track>>,
    mut stop: watch::Receiver<bool>,
) -> Seen {
    let mut seen = Seen::default();
    let mut got: HashSet<usize> = HashSet::new();
    loop {
        let msg = tokio::select! {
            _ = stop.changed() => break,
            msg = ws.next() => msg,
        };
        let text: Utf8Bytes = match msg {
            Some(Ok(Message::Text(text))) => text,
            Some(Ok(Message::Close(close))) => {
                seen.ended = Some(match close {
                    Some(c) => format!("closed by the server: {} {}", u16::from(c.code), c.reason),
                    None => "closed by the server (no code)".to_owned(),
                });
                return seen;
            }
            Some(Ok(_)) => continue,
            Some(Err(e)) => {
                seen.ended = Some(format!("socket error: {e}"));
                return seen;
            }
            None => {
                seen.ended = Some("the connection ended".to_owned());
                return seen;
            }
        };
        let Ok(frame) = serde_json::from_str::<Frame>(text.as_str()) else {
            seen.other_events += 1;
            continue;
        };
        if frame.ty == "error" {
            seen.ended = Some(format!(
                "error frame: {} {}",
                frame.code.as_deref().unwrap_or("-"),
                frame.detail.as_deref().unwrap_or("")
            ));
            continue;
        }
        if frame.ty != "event" {
            continue;
        }
        if let Some(seq) = frame.seq {
            if seq <= last_seq {
                seen.seq_repeats += 1;
            } else {
                if seq != last_seq + 1 {
                    seen.seq_gaps += 1;
                }
                last_seq = seq;
            }
        }
        let Some(track) = &track else {
            seen.other_events += 1;
            continue;
        };
        let n = (frame.kind.as_deref() == Some("message_created")
            && frame.room_id.as_deref() == Some(track.room_id.as_str()))
        .then(|| frame.data.as_ref().and_then(|d| d.body.as_deref()))
        .flatten()
        .and_then(|body| body.strip_prefix(track.prefix.as_str()))
        .and_then(|n| n.parse::<usize>().ok())
        .filter(|n| *n < track.sent.len());
        let Some(n) = n else {
            seen.other_events += 1;
            continue;
        };
        let now = track.base.elapsed().as_nanos() as u64;
        let sent = track.sent[n].load(Ordering::Acquire);
        if sent == 0 {
            seen.unsent += 1;
            continue;
        }
        if !got.insert(n) {
            seen.duplicates += 1;
            continue;
        }
        let micros = now.saturating_sub(sent - 1) / 1000;
        seen.latencies
            .push(u32::try_from(micros).unwrap_or(u32::MAX));
        track.delivered.fetch_add(1, Ordering::Relaxed);
    }
    // Asked to stop: close politely (the server answers and ends the connection).
    let _ = tokio::time::timeout(Duration::from_secs(5), async {
        ws.close(Some(tokio_tungstenite::tungstenite::protocol::CloseFrame {
            code: CloseCode::Normal,
            reason: "benchmark done".into(),
        }))
        .await?;
        while let Some(m) = ws.next().await {
            m?;
        }
        Ok::<_, anyhow::Error>(())
    })
    .await;
    seen
}

/// Sockets of `accounts` (`per_account` each, round robin), opened `concurrency` at a time,
/// each held by its own task until `stop`. Fails on the first socket that could not open.
async fn open_all(
    addr: SocketAddr,
    accounts: &[Account],
    sockets: usize,
    concurrency: usize,
    alternate_auth: bool,
    track: Option<Arc<Track>>,
    stop: &watch::Receiver<bool>,
) -> anyhow::Result<Vec<tokio::task::JoinHandle<Seen>>> {
    each(sockets, concurrency, |i| {
        let token = accounts[i % accounts.len()].token.clone();
        let (track, stop) = (track.clone(), stop.clone());
        let auth = if alternate_auth && i % 2 == 1 {
            Auth::Hello
        } else {
            Auth::Subprotocol
        };
        async move {
            let (ws, last_seq) = open(addr, &token, auth)
                .await
                .with_context(|| format!("opening socket {i}"))?;
            Ok(tokio::spawn(hold(ws, last_seq, track, stop)))
        }
    })
    .await
}

struct Sockets {
    seen: Vec<Seen>,
}

impl Sockets {
    async fn stop(
        stop: watch::Sender<bool>,
        handles: Vec<tokio::task::JoinHandle<Seen>>,
    ) -> anyhow::Result<Self> {
        stop.send_replace(true);
        let mut seen = Vec::with_capacity(handles.len());
        for h in handles {
            seen.push(h.await?);
        }
        Ok(Self { seen })
    }

    fn latencies(&self) -> Vec<Duration> {
        let mut all: Vec<Duration> = self
            .seen
            .iter()
            .flat_map(|s| {
                s.latencies
                    .iter()
                    .map(|us| Duration::from_micros(u64::from(*us)))
            })
            .collect();
        all.sort_unstable();
        all
    }

    fn sum(&self, f: impl Fn(&Seen) -> u64) -> u64 {
        self.seen.iter().map(f).sum()
    }

    /// "closed by the server: 4008 slow_consumer x3, ..." or "none".
    fn endings(&self) -> String {
        let mut by: BTreeMap<&str, usize> = BTreeMap::new();
        for s in &self.seen {
            if let Some(e) = &s.ended {
                *by.entry(e.as_str()).or_default() += 1;
            }
        }
        if by.is_empty() {
            return "none".to_owned();
        }
        by.iter()
            .map(|(e, n)| format!("{e} x{n}"))
            .collect::<Vec<_>>()
            .join("; ")
    }

    fn check_line(&self) -> String {
        format!(
            "sequence gaps {}, repeated sequences {}, duplicate messages {}, unknown messages {}; sockets ended early: {}",
            self.sum(|s| s.seq_gaps),
            self.sum(|s| s.seq_repeats),
            self.sum(|s| s.duplicates),
            self.sum(|s| s.unsent),
            self.endings()
        )
    }
}

fn statuses_line(statuses: &BTreeMap<u16, usize>) -> String {
    statuses
        .iter()
        .map(|(s, n)| format!("{s} x{n}"))
        .collect::<Vec<_>>()
        .join(", ")
}

async fn post_message(
    api: &Api,
    track: &Track,
    token: &str,
    n: usize,
) -> anyhow::Result<(u16, Duration, serde_json::Value)> {
    let body = json!({"body": track.body(n)});
    let path = format!("/chat/rooms/{}/messages", track.room_id);
    let t0 = Instant::now();
    track.mark_sent(n);
    let (status, value) = api
        .call(Method::POST, &path, Some(token), &[], Some(&body))
        .await?;
    Ok((status, t0.elapsed(), value))
}

// ------------------------------------------------------------------------------- CPU

/// CPU time used so far (clock ticks of 10 ms, Linux's USER_HZ) by the server, by the
/// Postgres backends of the benchmark database, by the other Postgres processes (other
/// databases, background writers), by this client, and by the whole machine (busy and total).
#[derive(Clone, Copy, Default)]
struct Cpu {
    server: u64,
    postgres: u64,
    postgres_other: u64,
    client: u64,
    busy: u64,
    total: u64,
}

/// utime + stime of a /proc/<pid>/stat line, and the command name.
fn proc_ticks(stat: &str) -> Option<(&str, u64)> {
    let open = stat.find('(')?;
    let close = stat.rfind(')')?;
    let comm = &stat[open + 1..close];
    let fields: Vec<&str> = stat[close + 2..].split_whitespace().collect();
    // After the name: state is field 3, utime 14 and stime 15 (1-based, whole line).
    let utime: u64 = fields.get(11)?.parse().ok()?;
    let stime: u64 = fields.get(12)?.parse().ok()?;
    Some((comm, utime + stime))
}

impl Cpu {
    fn sample(server_pid: Option<u32>, database: &str) -> Self {
        let backend = format!(" {database} ");
        let mut cpu = Cpu::default();
        let read = |path: String| std::fs::read_to_string(path).unwrap_or_default();
        if let Some(pid) = server_pid {
            cpu.server = proc_ticks(&read(format!("/proc/{pid}/stat"))).map_or(0, |t| t.1);
        }
        cpu.client = proc_ticks(&read("/proc/self/stat".to_owned())).map_or(0, |t| t.1);
        if let Ok(dir) = std::fs::read_dir("/proc") {
            for entry in dir.flatten() {
                let name = entry.file_name();
                let Some(pid) = name
                    .to_str()
                    .filter(|n| n.bytes().all(|b| b.is_ascii_digit()))
                else {
                    continue;
                };
                let stat = read(format!("/proc/{pid}/stat"));
                if let Some(("postgres", ticks)) = proc_ticks(&stat) {
                    // A backend's title: "postgres: <user> <database> <client> <state>".
                    let title = read(format!("/proc/{pid}/cmdline"));
                    if title.contains(&backend) {
                        cpu.postgres += ticks;
                    } else {
                        cpu.postgres_other += ticks;
                    }
                }
            }
        }
        if let Some(line) = read("/proc/stat".to_owned()).lines().next() {
            let v: Vec<u64> = line
                .split_whitespace()
                .skip(1)
                .filter_map(|f| f.parse().ok())
                .collect();
            // user nice system idle iowait irq softirq steal (guest is inside user)
            cpu.total = v.iter().take(8).sum();
            cpu.busy = cpu.total - v.get(3).copied().unwrap_or(0) - v.get(4).copied().unwrap_or(0);
        }
        cpu
    }
}

/// CPU used and sequential scans of `stream_events` during a phase.
struct Usage {
    cpu: Cpu,
    /// `seq_scan` and `seq_tup_read` of `stream_events` (pg_stat_user_tables; backends
    /// report them within seconds, not at once).
    scans: (i64, i64),
}

impl Usage {
    async fn sample(opts: &Opts, db: &DatabaseConnection) -> anyhow::Result<Self> {
        let row = db
            .query_one_raw(Statement::from_string(
                DbBackend::Postgres,
                "SELECT coalesce(seq_scan, 0)::bigint AS scans, coalesce(seq_tup_read, 0)::bigint AS tuples \
                 FROM pg_stat_user_tables WHERE relname = 'stream_events'",
            ))
            .await?;
        let scans = match row {
            Some(r) => (r.try_get("", "scans")?, r.try_get("", "tuples")?),
            None => (0, 0),
        };
        Ok(Self {
            cpu: Cpu::sample(opts.server_pid, &opts.database_name()),
            scans,
        })
    }

    /// Prints what the phase used and records it as `<phase>_cpu_*`, `<phase>_busy_pct`,
    /// `<phase>_seq_scans` and `<phase>_seq_rows`.
    fn report(&self, before: &Usage, phase: &str, opts: &Opts) -> anyhow::Result<()> {
        let s = |a: u64, b: u64| a.saturating_sub(b) as f64 / 100.0;
        let (now, was) = (&self.cpu, &before.cpu);
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get()) as f64;
        let server = s(now.server, was.server);
        let postgres = s(now.postgres, was.postgres);
        let postgres_other = s(now.postgres_other, was.postgres_other);
        let client = s(now.client, was.client);
        let busy = s(now.busy, was.busy);
        let wall = s(now.total, was.total) / cores;
        let others = (busy - server - postgres - postgres_other - client).max(0.0);
        let busy_pct = if wall > 0.0 {
            100.0 * busy / (wall * cores)
        } else {
            0.0
        };
        let scans = self.scans.0 - before.scans.0;
        let rows = self.scans.1 - before.scans.1;
        println!(
            "{phase}: CPU: server {server:.1} s, Postgres (this database) {postgres:.1} s, this client {client:.1} s; \
             not ours: Postgres (other databases, background) {postgres_other:.1} s, other processes {others:.1} s; \
             machine {busy_pct:.0} % busy over {wall:.1} s"
        );
        println!(
            "{phase}: stream_events sequential scans: {scans} reading {rows} rows (index reads expected; \
             many scans mean the hub's read plan scans the log once per subscriber)"
        );
        opts.result(&format!("{phase}_cpu_server"), format!("{server:.1}"))?;
        opts.result(&format!("{phase}_cpu_postgres"), format!("{postgres:.1}"))?;
        opts.result(&format!("{phase}_cpu_client"), format!("{client:.1}"))?;
        opts.result(
            &format!("{phase}_cpu_not_ours"),
            format!("{:.1}", others + postgres_other),
        )?;
        opts.result(&format!("{phase}_busy_pct"), format!("{busy_pct:.0}"))?;
        opts.result(&format!("{phase}_seq_scans"), scans)?;
        opts.result(&format!("{phase}_seq_rows"), rows)?;
        Ok(())
    }
}

// ------------------------------------------------------------------------------- phases

async fn phase_idle(opts: &Opts, addr: SocketAddr, accounts: &Accounts) -> anyhow::Result<()> {
    let pid = opts
        .server_pid
        .ok_or_else(|| anyhow!("--server-pid is needed for the idle phase"))?;
    let users = accounts.idle.len().min(opts.idle);
    let per_user = opts.idle.div_ceil(users.max(1));
    println!(
        "idle: {} sockets from {users} users ({per_user} per user at most), half authenticated by subprotocol, half by hello",
        opts.idle
    );
    // Warm-up: whatever the first sockets allocate once (buffers, maps) is not per connection.
    let (stop_tx, stop) = watch::channel(false);
    let warm = open_all(
        addr,
        &accounts.idle[..users],
        200.min(opts.idle),
        opts.concurrency,
        true,
        None,
        &stop,
    )
    .await?;
    Sockets::stop(stop_tx, warm).await?;
    tokio::time::sleep(Duration::from_secs(2)).await;
    let before = rss_kib(pid)?;

    let (stop_tx, stop) = watch::channel(false);
    let t0 = Instant::now();
    let handles = open_all(
        addr,
        &accounts.idle[..users],
        opts.idle,
        opts.concurrency,
        true,
        None,
        &stop,
    )
    .await?;
    let open_time = t0.elapsed();
    tokio::time::sleep(Duration::from_secs(3)).await;
    let after = rss_kib(pid)?;
    let alive = handles.iter().filter(|h| !h.is_finished()).count();
    let sockets = Sockets::stop(stop_tx, handles).await?;
    tokio::time::sleep(Duration::from_secs(2)).await;
    let closed = rss_kib(pid)?;

    let per_conn = (after.0 as f64 - before.0 as f64) / opts.idle as f64;
    let per_conn_anon = (after.1 as f64 - before.1 as f64) / opts.idle as f64;
    println!(
        "idle: opened {} sockets in {:.1}s ({:.0}/s); still open after 3 s: {alive}; server VmRSS {} KiB before, {} KiB with them open, {} KiB after closing them",
        opts.idle,
        open_time.as_secs_f64(),
        opts.idle as f64 / open_time.as_secs_f64(),
        before.0,
        after.0,
        closed.0
    );
    println!(
        "idle: {per_conn:.1} KiB of VmRSS per idle connection ({per_conn_anon:.1} KiB RssAnon); {}",
        sockets.check_line()
    );
    opts.result("idle_sockets", opts.idle)?;
    opts.result("idle_users", users)?;
    opts.result("idle_alive", alive)?;
    opts.result("idle_rss_before_kib", before.0)?;
    opts.result("idle_rss_after_kib", after.0)?;
    opts.result("idle_rss_closed_kib", closed.0)?;
    opts.result("idle_kib_per_conn", format!("{per_conn:.1}"))?;
    opts.result(
        "idle_open_per_s",
        format!("{:.0}", opts.idle as f64 / open_time.as_secs_f64()),
    )?;
    Ok(())
}

async fn phase_fan(
    opts: &Opts,
    api: &Api,
    db: &DatabaseConnection,
    addr: SocketAddr,
    accounts: &Accounts,
    tag: &str,
) -> anyhow::Result<()> {
    let subscribers = &accounts.fan[1..];
    let poster = &accounts.fan[0];
    let messages = opts.rate as usize * opts.fan_secs as usize;
    let track = Track::new(
        &accounts.fan_room,
        format!("chat-load {tag} fan #"),
        messages,
    );
    let (stop_tx, stop) = watch::channel(false);
    let t0 = Instant::now();
    let handles = open_all(
        addr,
        subscribers,
        subscribers.len(),
        opts.concurrency,
        false,
        Some(track.clone()),
        &stop,
    )
    .await?;
    println!(
        "fan: {} subscribers connected in {:.1}s; posting {} messages/s for {}s",
        subscribers.len(),
        t0.elapsed().as_secs_f64(),
        opts.rate,
        opts.fan_secs
    );
    tokio::time::sleep(Duration::from_secs(1)).await;

    let mut tick = tokio::time::interval(Duration::from_secs(1) / opts.rate);
    let mut posts = Vec::with_capacity(messages);
    let usage0 = Usage::sample(opts, db).await?;
    let t0 = Instant::now();
    for n in 0..messages {
        tick.tick().await;
        let (api, track, token) = (api.clone(), track.clone(), poster.token.clone());
        posts.push(tokio::spawn(async move {
            post_message(&api, &track, &token, n).await
        }));
    }
    let mut statuses: BTreeMap<u16, usize> = BTreeMap::new();
    let mut post_latencies = Vec::with_capacity(messages);
    let mut first_failure = None;
    for p in posts {
        let (status, latency, body) = p.await??;
        *statuses.entry(status).or_default() += 1;
        post_latencies.push(latency);
        if status != 201 && first_failure.is_none() {
            first_failure = Some(format!("{status} {body}"));
        }
    }
    let posting = t0.elapsed();
    let created = statuses.get(&201).copied().unwrap_or(0) as u64;
    let expected = created * subscribers.len() as u64;
    track
        .wait_delivered(expected, Instant::now() + DELIVERY_GRACE)
        .await;
    let usage = Usage::sample(opts, db).await?;
    let sockets = Sockets::stop(stop_tx, handles).await?;
    let lat = sockets.latencies();
    let delivered = lat.len() as u64;
    post_latencies.sort_unstable();

    let p99_ms = pct(&lat, 99.0).as_secs_f64() * 1000.0;
    println!(
        "fan: {messages} POSTs in {:.1}s: {}; POST p50 {} p99 {}",
        posting.as_secs_f64(),
        statuses_line(&statuses),
        ms(pct(&post_latencies, 50.0)),
        ms(pct(&post_latencies, 99.0)),
    );
    if let Some(f) = first_failure {
        println!("fan: first failed POST: {f}");
    }
    println!(
        "fan: delivery latency (POST sent -> event read) p50 {} p95 {} p99 {} max {}; delivered {delivered}/{expected}",
        ms(pct(&lat, 50.0)),
        ms(pct(&lat, 95.0)),
        ms(pct(&lat, 99.0)),
        ms(lat.last().copied().unwrap_or_default()),
    );
    println!(
        "fan: p99 {p99_ms:.1} ms, target <= {FAN_P99_TARGET_MS:.0} ms: {}; delivered {:.2} %, target 100 %",
        if p99_ms <= FAN_P99_TARGET_MS {
            "met"
        } else {
            "MISSED"
        },
        if expected == 0 {
            0.0
        } else {
            100.0 * delivered as f64 / expected as f64
        }
    );
    println!("fan: {}", sockets.check_line());
    usage.report(&usage0, "fan", opts)?;
    opts.result("fan_subscribers", subscribers.len())?;
    opts.result("fan_messages", messages)?;
    opts.result("fan_created", created)?;
    opts.result("fan_statuses", statuses_line(&statuses).replace(' ', ""))?;
    opts.result(
        "fan_p50_ms",
        format!("{:.1}", pct(&lat, 50.0).as_secs_f64() * 1000.0),
    )?;
    opts.result("fan_p99_ms", format!("{p99_ms:.1}"))?;
    opts.result(
        "fan_max_ms",
        format!(
            "{:.1}",
            lat.last().copied().unwrap_or_default().as_secs_f64() * 1000.0
        ),
    )?;
    opts.result("fan_delivered", delivered)?;
    opts.result("fan_expected", expected)?;
    opts.result("fan_seq_gaps", sockets.sum(|s| s.seq_gaps))?;
    opts.result(
        "fan_duplicates",
        sockets.sum(|s| s.duplicates + s.seq_repeats),
    )?;
    opts.result(
        "fan_ended",
        sockets.seen.iter().filter(|s| s.ended.is_some()).count(),
    )?;
    Ok(())
}

async fn phase_put(
    opts: &Opts,
    api: &Api,
    db: &DatabaseConnection,
    addr: SocketAddr,
    accounts: &Accounts,
    tag: &str,
) -> anyhow::Result<()> {
    let posters = &accounts.put[..opts.posters];
    let listeners = &accounts.put[opts.posters..];
    let track = Track::new(
        &accounts.put_room,
        format!("chat-load {tag} put #"),
        1_000_000,
    );
    let (stop_tx, stop) = watch::channel(false);
    let handles = open_all(
        addr,
        listeners,
        listeners.len(),
        opts.concurrency,
        false,
        Some(track.clone()),
        &stop,
    )
    .await?;
    println!(
        "put: a room of {} members, {} listening; {} members post as fast as they can for {}s",
        accounts.put.len(),
        listeners.len(),
        posters.len(),
        opts.put_secs
    );
    tokio::time::sleep(Duration::from_secs(1)).await;
    let run = Duration::from_secs(opts.put_secs);
    let usage0 = Usage::sample(opts, db).await?;
    let t0 = Instant::now();
    let mut tasks = Vec::new();
    for poster in posters {
        let (api, track, token) = (api.clone(), track.clone(), poster.token.clone());
        tasks.push(tokio::spawn(async move {
            let mut done: Vec<(u16, Duration)> = Vec::new();
            let mut first_failure = None;
            while t0.elapsed() < run {
                let Some(n) = track.take() else { break };
                let (status, latency, body) = post_message(&api, &track, &token, n).await?;
                if status != 201 && first_failure.is_none() {
                    first_failure = Some(format!("{status} {body}"));
                }
                done.push((status, latency));
            }
            Ok::<_, anyhow::Error>((done, first_failure, t0.elapsed()))
        }));
    }
    let mut statuses: BTreeMap<u16, usize> = BTreeMap::new();
    let mut post_latencies = Vec::new();
    let mut wall = Duration::ZERO;
    let mut first_failure = None;
    for t in tasks {
        let (done, failure, elapsed) = t.await??;
        wall = wall.max(elapsed);
        first_failure = first_failure.or(failure);
        for (status, latency) in done {
            *statuses.entry(status).or_default() += 1;
            if status == 201 {
                post_latencies.push(latency);
            }
        }
    }
    let created = statuses.get(&201).copied().unwrap_or(0) as u64;
    let expected = created * listeners.len() as u64;
    track
        .wait_delivered(expected, Instant::now() + DELIVERY_GRACE)
        .await;
    let drained = t0.elapsed();
    let usage = Usage::sample(opts, db).await?;
    let sockets = Sockets::stop(stop_tx, handles).await?;
    let lat = sockets.latencies();
    post_latencies.sort_unstable();
    let rate = created as f64 / wall.as_secs_f64();
    println!(
        "put: {created} messages created in {:.1}s: {rate:.1} messages/s ({}); POST p50 {} p99 {} max {}",
        wall.as_secs_f64(),
        statuses_line(&statuses),
        ms(pct(&post_latencies, 50.0)),
        ms(pct(&post_latencies, 99.0)),
        ms(post_latencies.last().copied().unwrap_or_default()),
    );
    if let Some(f) = first_failure {
        println!("put: first failed POST: {f}");
    }
    println!(
        "put: delivered {}/{expected} to the {} listeners (all in by {:.1}s); delivery latency p50 {} p99 {} max {}",
        lat.len(),
        listeners.len(),
        drained.as_secs_f64(),
        ms(pct(&lat, 50.0)),
        ms(pct(&lat, 99.0)),
        ms(lat.last().copied().unwrap_or_default()),
    );
    println!("put: {}", sockets.check_line());
    usage.report(&usage0, "put", opts)?;
    opts.result("put_members", accounts.put.len())?;
    opts.result("put_posters", posters.len())?;
    opts.result("put_created", created)?;
    opts.result("put_statuses", statuses_line(&statuses).replace(' ', ""))?;
    opts.result("put_rate", format!("{rate:.1}"))?;
    opts.result(
        "put_post_p50_ms",
        format!("{:.1}", pct(&post_latencies, 50.0).as_secs_f64() * 1000.0),
    )?;
    opts.result(
        "put_post_p99_ms",
        format!("{:.1}", pct(&post_latencies, 99.0).as_secs_f64() * 1000.0),
    )?;
    opts.result("put_delivered", lat.len())?;
    opts.result("put_expected", expected)?;
    opts.result(
        "put_delivery_p99_ms",
        format!("{:.1}", pct(&lat, 99.0).as_secs_f64() * 1000.0),
    )?;
    opts.result(
        "put_ended",
        sockets.seen.iter().filter(|s| s.ended.is_some()).count(),
    )?;
    Ok(())
}

// ------------------------------------------------------------------------------- sqlcount

fn log_size(path: &str) -> anyhow::Result<u64> {
    Ok(std::fs::metadata(path)
        .with_context(|| format!("reading {path}"))?
        .len())
}

/// Whether a log line starts a new entry (`2026-11-30 16:35:36.304 UTC [pid] ...`): other
/// lines continue the entry before (a statement's further lines).
fn starts_entry(line: &str) -> bool {
    let b = line.as_bytes();
    b.len() > 11 && b[..4].iter().all(u8::is_ascii_digit) && b[4] == b'-' && b[10] == b' '
}

/// The statements database `db` logged between two offsets of the log (`log_statement =
/// 'all'`): (backend pid, text with its whitespace collapsed).
fn logged_statements(
    path: &str,
    from: u64,
    to: u64,
    db: &str,
) -> anyhow::Result<Vec<(String, String)>> {
    let mut f = std::fs::File::open(path)?;
    f.seek(SeekFrom::Start(from))?;
    let mut raw = Vec::new();
    f.take(to.saturating_sub(from)).read_to_end(&mut raw)?;
    let text = String::from_utf8_lossy(&raw);
    let marker = format!("@{db} LOG:  ");
    let mut out: Vec<(String, String)> = Vec::new();
    let mut open = false;
    for line in text.lines() {
        if !starts_entry(line) {
            if open && let Some(last) = out.last_mut() {
                last.1.push(' ');
                last.1.push_str(line);
            }
            continue;
        }
        open = false;
        let Some(at) = line.find(&marker) else {
            continue;
        };
        let rest = &line[at + marker.len()..];
        let statement = if let Some(s) = rest.strip_prefix("statement: ") {
            s
        } else if let Some(s) = rest.strip_prefix("execute ") {
            s.split_once(": ").map_or(s, |(_, s)| s)
        } else {
            continue;
        };
        let pid = line
            .split_once('[')
            .and_then(|(_, r)| r.split_once(']'))
            .map_or("?", |(p, _)| p);
        out.push((pid.to_owned(), statement.to_owned()));
        open = true;
    }
    for (_, s) in &mut out {
        *s = s.split_whitespace().collect::<Vec<_>>().join(" ");
    }
    Ok(out)
}

/// What one measured message cost the database.
struct SqlCost {
    statements: Vec<(String, String)>,
    quiet: usize,
    window: Duration,
    delivered: u64,
    stream_rows: i64,
}

/// One message to `room` from `poster` (a member) while `members` hold sockets: the
/// statements logged from the POST being sent until every socket had it (+ 300 ms), after
/// two warm-up messages; then an equally long window without a message.
#[allow(clippy::too_many_arguments)]
async fn sql_cost(
    opts: &Opts,
    api: &Api,
    db: &DatabaseConnection,
    addr: SocketAddr,
    room: &str,
    poster: &Account,
    members: &[Account],
    label: String,
) -> anyhow::Result<SqlCost> {
    let pg_log = opts
        .pg_log
        .as_deref()
        .ok_or_else(|| anyhow!("--pg-log is needed"))?;
    let db_name = opts.database_name();
    let track = Track::new(room, label, 3);
    let (stop_tx, stop) = watch::channel(false);
    let handles = open_all(
        addr,
        members,
        members.len(),
        opts.concurrency,
        false,
        Some(track.clone()),
        &stop,
    )
    .await?;
    let per = members.len() as u64;
    // Warm-up: the pool's connections, their statement caches, the poster's session.
    for n in 0..2 {
        let (status, _, body) = post_message(api, &track, &poster.token, n).await?;
        if status != 201 {
            bail!("a warm-up message answered {status}: {body}");
        }
        track
            .wait_delivered(per * (n as u64 + 1), Instant::now() + DELIVERY_GRACE)
            .await;
    }
    tokio::time::sleep(Duration::from_secs(1)).await;

    let from = log_size(pg_log)?;
    let t0 = Instant::now();
    let (status, _, body) = post_message(api, &track, &poster.token, 2).await?;
    if status != 201 {
        bail!("the measured message answered {status}: {body}");
    }
    track
        .wait_delivered(per * 3, Instant::now() + DELIVERY_GRACE)
        .await;
    let delivered = track
        .delivered
        .load(Ordering::Relaxed)
        .saturating_sub(per * 2);
    tokio::time::sleep(Duration::from_millis(300)).await;
    let window = t0.elapsed();
    let to = log_size(pg_log)?;
    // The same length of time with no message: what runs anyway (jobs, heartbeats).
    let quiet_from = log_size(pg_log)?;
    tokio::time::sleep(window).await;
    let quiet_to = log_size(pg_log)?;
    Sockets::stop(stop_tx, handles).await?;

    let statements = logged_statements(pg_log, from, to, &db_name)?;
    let quiet = logged_statements(pg_log, quiet_from, quiet_to, &db_name)?.len();
    let message_id = body["id"].as_str().unwrap_or_default().to_owned();
    let stream_rows = sql_i64(
        db,
        format!(
            "SELECT count(*) AS n FROM stream_events \
             WHERE kind = 'message_created' AND data->>'id' = '{message_id}'"
        ),
    )
    .await?;
    Ok(SqlCost {
        statements,
        quiet,
        window,
        delivered,
        stream_rows,
    })
}

async fn sqlcount(
    opts: &Opts,
    api: &Api,
    db: &DatabaseConnection,
    addr: SocketAddr,
    accounts: &Accounts,
    tag: &str,
) -> anyhow::Result<()> {
    // The big room: its poster has no socket, every other member has one.
    let fan = sql_cost(
        opts,
        api,
        db,
        addr,
        &accounts.fan_room,
        &accounts.fan[0],
        &accounts.fan[1..],
        format!("chat-load {tag} sql-fan #"),
    )
    .await?;
    // The small room, for comparison: what grows with the members shows up here.
    let put = sql_cost(
        opts,
        api,
        db,
        addr,
        &accounts.put_room,
        &accounts.put[0],
        &accounts.put[1..],
        format!("chat-load {tag} sql-put #"),
    )
    .await?;
    for (cost, members, sockets) in [
        (&fan, accounts.fan.len(), accounts.fan.len() - 1),
        (&put, accounts.put.len(), accounts.put.len() - 1),
    ] {
        let backends: HashSet<&str> = cost.statements.iter().map(|(p, _)| p.as_str()).collect();
        println!(
            "sql: one message to a room of {members} members ({sockets} with a socket): {} statements from {} backends \
             in {:.0} ms (POST sent -> {}/{sockets} sockets had it, + 300 ms); {} in as long without a message; \
             {} stream_events rows",
            cost.statements.len(),
            backends.len(),
            cost.window.as_secs_f64() * 1000.0,
            cost.delivered,
            cost.quiet,
            cost.stream_rows,
        );
    }
    println!(
        "sql: the statements of the message to the {}-member room, in order (first 120 characters):",
        accounts.fan.len()
    );
    for (pid, s) in &fan.statements {
        let short: String = s.chars().take(120).collect();
        println!("  [{pid:>6}] {short}");
    }
    opts.result("sql_statements", fan.statements.len())?;
    opts.result("sql_quiet", fan.quiet)?;
    opts.result(
        "sql_backends",
        fan.statements
            .iter()
            .map(|(p, _)| p.as_str())
            .collect::<HashSet<_>>()
            .len(),
    )?;
    opts.result("sql_members", accounts.fan.len())?;
    opts.result("sql_stream_rows", fan.stream_rows)?;
    opts.result("sql_delivered", fan.delivered)?;
    opts.result("sql_small_members", accounts.put.len())?;
    opts.result("sql_small_statements", put.statements.len())?;
    Ok(())
}

// ------------------------------------------------------------------------------- main

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let opts = Opts::parse()?;
    let sockets = opts.idle.max(opts.subscribers) + 16;
    let (api, db, tag) = connect(&opts.base, &opts.database_url, 64).await?;
    if opts.command == "setup" {
        return setup(&opts, &db).await;
    }
    let addr: SocketAddr = opts
        .base
        .strip_prefix("http://")
        .ok_or_else(|| anyhow!("the base URL must be http://host:port"))?
        .parse()
        .context("the base URL must be http://<ip>:<port>")?;
    let accounts = load_accounts(&db).await?;
    check_rooms(&api, &accounts).await?;
    match opts.command.as_str() {
        "run" => {
            println!("client: up to {sockets} sockets; run tag {tag}");
            for phase in &opts.phases {
                match phase.as_str() {
                    "idle" if opts.idle > 0 => phase_idle(&opts, addr, &accounts).await?,
                    "idle" => {}
                    "fan" => phase_fan(&opts, &api, &db, addr, &accounts, &tag).await?,
                    "put" => phase_put(&opts, &api, &db, addr, &accounts, &tag).await?,
                    other => bail!("unknown phase {other} (idle, fan, put)"),
                }
            }
        }
        "sqlcount" => sqlcount(&opts, &api, &db, addr, &accounts, &tag).await?,
        other => bail!("unknown command {other} (setup, run, sqlcount)"),
    }
    Ok(())
}
