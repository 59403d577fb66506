//! The hub of one node: which sockets and long polls of this node wait for which user's
//! events, and the tasks that feed them. A LISTEN task turns other nodes' (and this node's)
//! NOTIFYs into wake-ups; the delivery task reads the log for every woken subscriber in one
//! query and hands each its events in order, skipping what it already has (no duplicate) and
//! never past a missing number (no gap). A subscriber whose bounded queue is full is cut off.

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use sea_orm::DatabaseConnection;
use sea_orm::sqlx::postgres::PgListener;
use tokio::sync::{Notify, mpsc, watch};
use tokio::task::JoinHandle;
use uuid::Uuid;

use super::{CHANNEL, StreamEvent, read_many};
use crate::config::RealtimeSettings;

/// The channel ephemeral signals (typing, presence) travel on; never stored.
pub const EPHEMERAL_CHANNEL: &str = "azora_ephemeral";
/// Events read per subscriber per round; a longer backlog takes more rounds.
const PER_USER: i64 = 200;
/// Users per delivery query.
const USERS_PER_QUERY: usize = 2000;

/// What a subscriber receives.
#[derive(Debug, Clone)]
pub enum Outbound {
    /// The next event of the user's stream.
    Event(Arc<StreamEvent>),
    /// A signal that is not part of the stream (typing, presence), as JSON text.
    Signal(Arc<str>),
}

struct Entry {
    id: u64,
    last_seq: i64,
    tx: mpsc::Sender<Outbound>,
    kill: Arc<Notify>,
    /// Set when an event did not fit the queue: the subscriber asks for more once drained.
    behind: Arc<AtomicBool>,
    /// Since when the queue has been found full (reset by every event that fits).
    full_since: Option<Instant>,
}

enum Wake {
    Users(Vec<Uuid>),
    All,
}

/// The subscribers of this node and the handle of its tasks.
pub struct Hub {
    pub node_id: Uuid,
    /// How long a subscriber's queue may stay full before it is cut off.
    slow_after: Duration,
    registry: Mutex<HashMap<Uuid, Vec<Entry>>>,
    next_id: AtomicU64,
    wake: mpsc::UnboundedSender<Wake>,
    tasks: Mutex<Option<HubTasks>>,
}

struct HubTasks {
    stop: watch::Sender<bool>,
    handles: Vec<JoinHandle<()>>,
}

/// A live subscription; dropping it unsubscribes.
pub struct Subscription {
    pub user_id: Uuid,
    pub rx: mpsc::Receiver<Outbound>,
    /// Notified when the hub gave up on this subscriber (its queue stayed full).
    pub kill: Arc<Notify>,
    behind: Arc<AtomicBool>,
    id: u64,
    hub: Arc<Hub>,
}

impl Subscription {
    /// Call after taking a message: once the queue is drained, asks the hub for what did not
    /// fit (a long backlog is delivered queue-full by queue-full, never dropped).
    pub fn drained(&self) {
        if self.rx.is_empty() && self.behind.swap(false, Ordering::SeqCst) {
            self.hub.wake_users(vec![self.user_id]);
        }
    }
}

impl Drop for Subscription {
    fn drop(&mut self) {
        self.hub.remove(self.user_id, self.id);
    }
}

impl Hub {
    /// Starts the LISTEN and delivery tasks of this node.
    pub fn spawn(
        db: DatabaseConnection,
        database_url: String,
        settings: RealtimeSettings,
    ) -> Arc<Hub> {
        let (wake, wake_rx) = mpsc::unbounded_channel();
        let (stop, stop_rx) = watch::channel(false);
        let hub = Arc::new(Hub {
            node_id: Uuid::now_v7(),
            slow_after: Duration::from_secs(settings.slow_consumer_secs.max(1)),
            registry: Mutex::default(),
            next_id: AtomicU64::new(1),
            wake,
            tasks: Mutex::default(),
        });
        let url = settings.listen_url.clone().unwrap_or(database_url);
        let handles = vec![
            tokio::spawn(listen(hub.clone(), url, stop_rx.clone())),
            tokio::spawn(prune_loop(db.clone(), settings.clone(), stop_rx.clone())),
            tokio::spawn(deliver_loop(hub.clone(), db, settings, wake_rx, stop_rx)),
        ];
        *hub.tasks.lock().unwrap_or_else(|e| e.into_inner()) = Some(HubTasks { stop, handles });
        hub
    }

    /// Stops the tasks (shutdown).
    pub async fn stop(&self) {
        let tasks = self.tasks.lock().unwrap_or_else(|e| e.into_inner()).take();
        if let Some(tasks) = tasks {
            let _ = tasks.stop.send(true);
            for handle in tasks.handles {
                handle.abort();
                let _ = handle.await;
            }
        }
    }

    /// Subscribes to `user_id`'s events after `after`, with a queue of `capacity`; the hub
    /// catches the subscriber up from the log at once.
    pub fn subscribe(self: &Arc<Self>, user_id: Uuid, after: i64, capacity: usize) -> Subscription {
        let (tx, rx) = mpsc::channel(capacity.max(1));
        let kill = Arc::new(Notify::new());
        let behind = Arc::new(AtomicBool::new(false));
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        self.lock().entry(user_id).or_default().push(Entry {
            id,
            last_seq: after,
            tx,
            kill: kill.clone(),
            behind: behind.clone(),
            full_since: None,
        });
        let _ = self.wake.send(Wake::Users(vec![user_id]));
        Subscription {
            user_id,
            rx,
            kill,
            behind,
            id,
            hub: self.clone(),
        }
    }

    /// Whether `user_id` has a subscription on this node.
    pub fn is_local(&self, user_id: Uuid) -> bool {
        self.lock().contains_key(&user_id)
    }

    /// Hands a signal to the local subscribers of `users` (dropped for a full queue: signals
    /// are ephemeral).
    pub fn signal_local(&self, users: &[Uuid], text: &str) {
        let text: Arc<str> = Arc::from(text);
        let registry = self.lock();
        for user in users {
            for entry in registry.get(user).into_iter().flatten() {
                let _ = entry.tx.try_send(Outbound::Signal(text.clone()));
            }
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<Uuid, Vec<Entry>>> {
        self.registry.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn remove(&self, user_id: Uuid, id: u64) {
        let mut registry = self.lock();
        if let Some(entries) = registry.get_mut(&user_id) {
            entries.retain(|e| e.id != id);
            if entries.is_empty() {
                registry.remove(&user_id);
            }
        }
    }

    fn wake_users(&self, users: Vec<Uuid>) {
        let _ = self.wake.send(Wake::Users(users));
    }

    /// The position to read from per woken user: the lowest of its subscribers'.
    fn positions(&self, users: Option<&HashSet<Uuid>>) -> Vec<(Uuid, i64)> {
        let registry = self.lock();
        let min = |entries: &Vec<Entry>| entries.iter().map(|e| e.last_seq).min();
        match users {
            Some(users) => users
                .iter()
                .filter_map(|u| registry.get(u).and_then(min).map(|m| (*u, m)))
                .collect(),
            None => registry
                .iter()
                .filter_map(|(u, e)| min(e).map(|m| (*u, m)))
                .collect(),
        }
    }

    /// Hands read events to the subscribers that are exactly one behind each; returns the
    /// users that may have more. An event that does not fit a queue waits in the log (the
    /// subscriber asks again once drained); a queue full for longer than `slow_after` gets
    /// its subscriber cut off.
    fn dispatch(&self, events: Vec<super::UserEvent>) -> Vec<Uuid> {
        let mut counts: HashMap<Uuid, i64> = HashMap::new();
        let mut registry = self.lock();
        for row in events {
            *counts.entry(row.user_id).or_default() += 1;
            let Some(entries) = registry.get_mut(&row.user_id) else {
                continue;
            };
            let user = row.user_id;
            let event = Arc::new(row.event());
            let slow_after = self.slow_after;
            entries.retain_mut(|entry| {
                if entry.last_seq + 1 != event.seq {
                    return true;
                }
                match entry.tx.try_send(Outbound::Event(event.clone())) {
                    Ok(()) => {
                        entry.last_seq = event.seq;
                        entry.full_since = None;
                        true
                    }
                    Err(mpsc::error::TrySendError::Full(_)) => {
                        entry.behind.store(true, Ordering::SeqCst);
                        let since = *entry.full_since.get_or_insert_with(Instant::now);
                        if since.elapsed() < slow_after {
                            return true;
                        }
                        tracing::info!(user_id = %user, "slow stream consumer cut off");
                        entry.kill.notify_one();
                        false
                    }
                    Err(mpsc::error::TrySendError::Closed(_)) => false,
                }
            });
            if entries.is_empty() {
                registry.remove(&user);
            }
        }
        counts
            .into_iter()
            .filter(|(_, n)| *n >= PER_USER)
            .map(|(u, _)| u)
            .collect()
    }
}

/// Turns NOTIFYs into wake-ups; after a lost connection, wakes everyone (catch-up).
async fn listen(hub: Arc<Hub>, url: String, mut stop: watch::Receiver<bool>) {
    let mut backoff = Duration::from_millis(100);
    loop {
        let connected = async {
            let mut listener = PgListener::connect(&url).await?;
            listener.listen_all([CHANNEL, EPHEMERAL_CHANNEL]).await?;
            Ok::<_, sea_orm::sqlx::Error>(listener)
        };
        let mut listener = tokio::select! {
            _ = stop.changed() => return,
            r = connected => match r {
                Ok(l) => l,
                Err(e) => {
                    tracing::warn!(error = %e, "stream LISTEN connection failed; retrying");
                    tokio::select! {
                        _ = stop.changed() => return,
                        _ = tokio::time::sleep(backoff) => {}
                    }
                    backoff = (backoff * 2).min(Duration::from_secs(5));
                    continue;
                }
            }
        };
        backoff = Duration::from_millis(100);
        // Anything committed while this node was not listening is in the log.
        let _ = hub.wake.send(Wake::All);
        loop {
            let next = tokio::select! {
                _ = stop.changed() => return,
                n = listener.try_recv() => n,
            };
            match next {
                Ok(Some(n)) if n.channel() == CHANNEL => {
                    let users = n
                        .payload()
                        .split(',')
                        .filter_map(|h| Uuid::try_parse(h).ok());
                    let local: Vec<Uuid> = users.filter(|u| hub.is_local(*u)).collect();
                    if !local.is_empty() {
                        hub.wake_users(local);
                    }
                }
                Ok(Some(n)) => deliver_signal(&hub, n.payload()),
                Ok(None) => {
                    tracing::warn!("stream LISTEN connection lost; catching up from the log");
                    let _ = hub.wake.send(Wake::All);
                }
                Err(e) => {
                    tracing::warn!(error = %e, "stream LISTEN connection down; reconnecting");
                    break;
                }
            }
        }
    }
}

/// A signal NOTIFY: `{"to": [user ids], "signal": {...}}`.
fn deliver_signal(hub: &Hub, payload: &str) {
    #[derive(serde::Deserialize)]
    struct Signal {
        to: Vec<Uuid>,
        signal: serde_json::Value,
    }
    if let Ok(s) = serde_json::from_str::<Signal>(payload) {
        hub.signal_local(&s.to, &s.signal.to_string());
    }
}

/// Reads and dispatches for woken users, one query per batch; sweeps every subscriber each
/// `sweep_interval_secs` (a wake-up lost with a connection costs latency, never an event).
async fn deliver_loop(
    hub: Arc<Hub>,
    db: DatabaseConnection,
    settings: RealtimeSettings,
    mut wake: mpsc::UnboundedReceiver<Wake>,
    mut stop: watch::Receiver<bool>,
) {
    let mut sweep = tokio::time::interval(Duration::from_secs(settings.sweep_interval_secs.max(1)));
    sweep.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        let mut all = false;
        let mut users: HashSet<Uuid> = HashSet::new();
        let mut take = |w: Wake, all: &mut bool| match w {
            Wake::All => *all = true,
            Wake::Users(u) => users.extend(u),
        };
        tokio::select! {
            _ = stop.changed() => return,
            w = wake.recv() => match w {
                Some(w) => take(w, &mut all),
                None => return,
            },
            _ = sweep.tick() => {
                all = true;
                heartbeat(&db, hub.node_id).await;
            }
        }
        while let Ok(w) = wake.try_recv() {
            take(w, &mut all);
        }
        let positions = hub.positions(if all { None } else { Some(&users) });
        for chunk in positions.chunks(USERS_PER_QUERY) {
            match read_many(&db, chunk, PER_USER).await {
                Ok(events) => {
                    let more = hub.dispatch(events);
                    if !more.is_empty() {
                        hub.wake_users(more);
                    }
                }
                Err(e) => {
                    tracing::warn!(error = %e, "reading the stream failed; retrying");
                    tokio::time::sleep(Duration::from_millis(200)).await;
                    hub.wake_users(chunk.iter().map(|c| c.0).collect());
                }
            }
        }
    }
}

/// Marks this node alive (presence rows of nodes that stop doing so stop counting).
async fn heartbeat(db: &DatabaseConnection, node_id: Uuid) {
    let r = kernel::db::exec(
        db,
        "INSERT INTO realtime_nodes (node_id, seen_at) VALUES ($1, now())
         ON CONFLICT (node_id) DO UPDATE SET seen_at = now()",
        [node_id.into()],
    )
    .await;
    if let Err(e) = r {
        tracing::debug!(error = %e, "realtime node heartbeat failed");
    }
}

/// Prunes events older than `retention_days` every `prune_interval_secs` (any node may; the
/// deletes are idempotent).
async fn prune_loop(
    db: DatabaseConnection,
    settings: RealtimeSettings,
    mut stop: watch::Receiver<bool>,
) {
    let mut every = tokio::time::interval(Duration::from_secs(settings.prune_interval_secs.max(1)));
    every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = stop.changed() => return,
            _ = every.tick() => {}
        }
        match super::prune(&db, settings.retention_days).await {
            Ok(n) if n > 0 => tracing::info!(pruned = n, "stream events pruned"),
            Ok(_) => {}
            Err(e) => tracing::warn!(error = %e, "pruning the stream failed"),
        }
        let _ = kernel::db::exec(
            &db,
            "DELETE FROM realtime_nodes WHERE seen_at < now() - interval '1 day'",
            [],
        )
        .await;
    }
}
