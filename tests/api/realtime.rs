//! The per-user event stream from the outside (docs/realtime.md): live delivery over real
//! WebSocket clients, resuming with `after` (no gap, no duplicate, also while events keep
//! coming), delivery across two app nodes, the LISTEN connection cut and restored, long
//! polling, `resync_required` after pruning (by hand and by the pruner), a slow consumer cut
//! off with 4008, an idle one with 4000, refused authentication (4001) and origins (403), and
//! a non-member who hears nothing of a room.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicI64, Ordering};
use std::time::{Duration, Instant};

use reqwest::Method;
use sea_orm::{ConnectionTrait, DbBackend, Statement};
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Error as WsError;
use uuid::Uuid;

use crate::helpers::TestApp;
use crate::helpers::tcp_proxy::TcpProxy;
use crate::helpers::users::TestUser;
use crate::helpers::ws::{
    Connect, WAIT, Ws, bearer_protocols, expect, group_room, handshake, post_message,
};

// ------------------------------------------------------------------ helpers

fn seq(event: &Value) -> i64 {
    event["seq"]
        .as_i64()
        .unwrap_or_else(|| panic!("a seq: {event}"))
}

/// Reads events, each exactly the one after `last` (no gap, no duplicate), until one of
/// `kind`; returns it and moves `last` on.
async fn until_kind(ws: &mut Ws, last: &mut i64, kind: &str) -> Value {
    loop {
        let event = ws.next_event(WAIT).await;
        assert_eq!(seq(&event), *last + 1, "the next in sequence: {event}");
        *last = seq(&event);
        if event["kind"] == kind {
            return event;
        }
    }
}

/// `GET /events?after=..&timeout=..` (and `extra` query), asserting 200.
async fn poll(app: &TestApp, user: &TestUser, query: &str) -> Value {
    expect(
        app.get_as(&format!("/api/v1/events?{query}"), user).await,
        200,
    )
    .await
}

/// The user's newest sequence, by a long poll that does not wait.
async fn last_seq(app: &TestApp, user: &TestUser) -> i64 {
    poll(app, user, "after=0&timeout=0").await["last_seq"]
        .as_i64()
        .expect("last_seq")
}

fn postgres_addr() -> SocketAddr {
    let url = url::Url::parse(&crate::helpers::db::server_url()).unwrap();
    let host = url.host_str().unwrap_or("127.0.0.1");
    let port = url.port().unwrap_or(5432);
    format!("{host}:{port}").parse().unwrap()
}

async fn exec(app: &TestApp, sql: &str, values: Vec<sea_orm::Value>) {
    app.db
        .execute_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            sql,
            values,
        ))
        .await
        .expect("arrange directly");
}

/// Alice, Bob, and a group room of the two (Alice owns it).
async fn pair(app: &TestApp) -> (TestUser, TestUser, Uuid) {
    let alice = app.signup("alice@example.com").await;
    let bob = app.signup("bob@example.com").await;
    let room = group_room(app, &alice, "Study group", &[&bob]).await;
    (alice, bob, room)
}

// ------------------------------------------------------------------ live delivery

#[tokio::test]
async fn events_are_delivered_live_over_a_socket() {
    let app = TestApp::spawn().await;
    let alice = app.signup("alice@example.com").await;
    let bob = app.signup("bob@example.com").await;

    // Bob authenticates with the subprotocol, Alice with a token in `hello`.
    let mut bob_ws = Ws::connect(&app, &bob, None).await;
    let mut bob_last = bob_ws.ready_seq();
    assert_eq!(bob_last, 0, "a new account has no events yet");

    // Being put into a room reaches the socket at once.
    let room = group_room(&app, &alice, "Study group", &[&bob]).await;
    let first = bob_ws.next_event(WAIT).await;
    assert_eq!(seq(&first), 1);
    bob_last = 1;
    assert!(
        ["room_created", "member_joined"].contains(&first["kind"].as_str().unwrap()),
        "{first}"
    );
    assert_eq!(first["room_id"], room.to_string(), "{first}");
    assert!(first["created_at"].is_string(), "{first}");

    let mut alice_ws = Ws::connect_hello(&app, &alice, None).await;
    let mut alice_last = alice_ws.ready_seq();
    assert!(
        alice_last >= 1,
        "Alice has the room's events: {}",
        alice_ws.ready
    );

    // A message: the event carries the message as GET /chat/messages/{id} shows it.
    let sent = post_message(&app, &alice, room, "Hello **Bob**").await;
    let created = until_kind(&mut bob_ws, &mut bob_last, "message_created").await;
    assert_eq!(created["room_id"], room.to_string());
    assert_eq!(created["data"]["id"], sent["id"]);
    assert_eq!(created["data"]["body"], "Hello **Bob**");
    assert!(
        created["data"]["body_html"]
            .as_str()
            .unwrap()
            .contains("<strong>Bob</strong>"),
        "{created}"
    );
    assert_eq!(created["data"]["author_id"], alice.id.to_string());
    let message = sent["id"].as_str().unwrap().to_owned();

    // Bob's answer reaches Alice.
    post_message(&app, &bob, room, "Hi Alice").await;
    let answer = loop {
        // Alice may get her own message first.
        let event = until_kind(&mut alice_ws, &mut alice_last, "message_created").await;
        if event["data"]["body"] == "Hi Alice" {
            break event;
        }
    };
    assert_eq!(answer["data"]["body"], "Hi Alice");
    assert_eq!(answer["data"]["author_id"], bob.id.to_string());

    // An edit, a reaction, a deletion.
    expect(
        app.patch_as(
            &format!("/api/v1/chat/messages/{message}"),
            &alice,
            &json!({"body": "Hello **Bob**, again"}),
        )
        .await,
        200,
    )
    .await;
    let edited = until_kind(&mut bob_ws, &mut bob_last, "message_edited").await;
    assert_eq!(edited["data"]["id"], message.as_str());
    assert_eq!(edited["data"]["body"], "Hello **Bob**, again");
    assert!(edited["data"]["edited_at"].is_string(), "{edited}");

    let resp = app
        .call(
            Method::PUT,
            &format!("/api/v1/chat/messages/{message}/reactions/heart"),
            &bob.access_token,
            None,
        )
        .await;
    assert!(resp.status().is_success(), "{}", resp.status());
    let reacted = until_kind(&mut alice_ws, &mut alice_last, "reaction_added").await;
    assert_eq!(reacted["room_id"], room.to_string());
    assert_eq!(reacted["data"]["message_id"], message.as_str());
    assert_eq!(reacted["data"]["user_id"], bob.id.to_string());
    assert_eq!(reacted["data"]["kind"], "heart");
    assert!(!reacted["data"]["counts"].is_null(), "{reacted}");

    expect(
        app.delete_as(&format!("/api/v1/chat/messages/{message}"), &alice)
            .await,
        204,
    )
    .await;
    let deleted = until_kind(&mut bob_ws, &mut bob_last, "message_deleted").await;
    assert_eq!(deleted["data"]["id"], message.as_str());
    assert_eq!(deleted["data"]["deleted"], true);
    assert_eq!(deleted["data"]["body"], "");
    until_kind(&mut alice_ws, &mut alice_last, "message_deleted").await;

    // Signals: typing goes to the room's other members, ping is answered.
    bob_ws
        .send(&json!({"type": "typing", "room_id": room}))
        .await;
    let typing = alice_ws.next_of_type("typing", WAIT).await;
    assert_eq!(typing["room_id"], room.to_string());
    assert_eq!(typing["user_id"], bob.id.to_string());

    bob_ws
        .send(&json!({"type": "presence", "status": "idle"}))
        .await;
    let presence = loop {
        let p = alice_ws.next_of_type("presence", WAIT).await;
        if p["user_id"] == bob.id.to_string() && p["status"] == "idle" {
            break p;
        }
    };
    assert!(presence.get("last_seen_at").is_some(), "{presence}");

    alice_ws.send(&json!({"type": "ping"})).await;
    alice_ws.next_of_type("pong", WAIT).await;

    // Typing is not stored: neither stream moved.
    assert_eq!(last_seq(&app, &bob).await, bob_last);
    assert_eq!(last_seq(&app, &alice).await, alice_last);
    bob_ws.close().await;
    alice_ws.close().await;

    // docs/realtime.md: `room_created` carries the room (as GET /chat/rooms/{id} shows it).
    assert_eq!(first["kind"], "room_created", "{first}");
    assert_eq!(first["data"]["id"], room.to_string(), "the room: {first}");
    assert_eq!(first["data"]["kind"], "group", "the room: {first}");
}

// ------------------------------------------------------------------ resume

#[tokio::test]
async fn a_resumed_socket_misses_nothing_and_repeats_nothing() {
    let app = TestApp::spawn().await;
    let (alice, bob, room) = pair(&app).await;

    let mut ws = Ws::connect(&app, &bob, None).await;
    let mut last = ws.ready_seq();
    post_message(&app, &alice, room, "m0").await;
    let first = until_kind(&mut ws, &mut last, "message_created").await;
    assert_eq!(first["data"]["body"], "m0");
    let seen = seq(&first);
    ws.close().await;

    // Five while disconnected, ten more while the client reconnects: the catch-up from the
    // log and the live tail must join without a gap or a repeat.
    for i in 1..=5 {
        post_message(&app, &alice, room, &format!("m{i}")).await;
    }
    let (mut ws, ()) = tokio::join!(Ws::connect_hello(&app, &bob, Some(seen)), async {
        for i in 6..=15 {
            post_message(&app, &alice, room, &format!("m{i}")).await;
        }
    });
    assert!(
        ws.ready_seq() >= seen + 5,
        "ready counts the missed ones: {}",
        ws.ready
    );
    let mut bodies = Vec::new();
    let mut expected = seen + 1;
    while bodies.len() < 15 {
        let event = ws.next_event(WAIT).await;
        assert_eq!(seq(&event), expected, "no gap, no duplicate: {event}");
        expected += 1;
        assert_eq!(event["kind"], "message_created", "{event}");
        bodies.push(event["data"]["body"].as_str().unwrap().to_owned());
    }
    let wanted: Vec<String> = (1..=15).map(|i| format!("m{i}")).collect();
    assert_eq!(bodies, wanted);
    ws.assert_quiet(Duration::from_millis(300)).await;

    // And live after that.
    post_message(&app, &alice, room, "m16").await;
    let live = ws.next_event(WAIT).await;
    assert_eq!(seq(&live), expected);
    assert_eq!(live["data"]["body"], "m16");
    ws.close().await;
}

// ------------------------------------------------------------------ several nodes

#[tokio::test]
async fn events_cross_from_one_app_node_to_another() {
    // No sweep to fall back on: the other node learns of the event through NOTIFY.
    let app = TestApp::spawn_with(|s| s.realtime.sweep_interval_secs = 3600).await;
    let sibling = app.spawn_sibling().await;
    let (alice, bob, room) = pair(&app).await;

    let mut bob_on_sibling = Ws::connect(&sibling, &bob, None).await;
    let mut bob_on_app = Ws::connect(&app, &bob, None).await;
    let mut alice_on_app = Ws::connect(&app, &alice, None).await;

    let sent = post_message(&app, &alice, room, "from the first node").await;
    let there = bob_on_sibling.next_event(WAIT).await;
    let here = bob_on_app.next_event(WAIT).await;
    assert_eq!(there["data"]["id"], sent["id"]);
    assert_eq!(
        seq(&there),
        seq(&here),
        "one stream, whichever node serves it"
    );

    let answer = post_message(&sibling, &bob, room, "from the second node").await;
    let mut last = alice_on_app.ready_seq();
    // Alice may see her own message first.
    let got = loop {
        let event = until_kind(&mut alice_on_app, &mut last, "message_created").await;
        if event["data"]["id"] == answer["id"] {
            break event;
        }
    };
    assert_eq!(got["data"]["body"], "from the second node");
    bob_on_sibling.close().await;
    bob_on_app.close().await;
    alice_on_app.close().await;
}

#[tokio::test]
async fn events_committed_while_the_listen_connection_is_down_arrive_after_it_returns() {
    let proxy = TcpProxy::start(postgres_addr()).await;
    let port = proxy.port;
    let app = TestApp::spawn_with(|s| {
        let mut url = url::Url::parse(&s.database.url).unwrap();
        url.set_port(Some(port)).unwrap();
        s.realtime.listen_url = Some(url.to_string());
        // No periodic sweep: recovery has to come from the LISTEN connection's return.
        s.realtime.sweep_interval_secs = 3600;
    })
    .await;
    let (alice, bob, room) = pair(&app).await;

    let mut ws = Ws::connect(&app, &bob, None).await;
    let mut last = ws.ready_seq();
    post_message(&app, &alice, room, "before the cut").await;
    let before = until_kind(&mut ws, &mut last, "message_created").await;
    assert_eq!(before["data"]["body"], "before the cut");

    proxy.cut();
    tokio::time::sleep(Duration::from_millis(200)).await;
    for i in 1..=3 {
        post_message(&app, &alice, room, &format!("during the cut {i}")).await;
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    proxy.restore();

    for i in 1..=3 {
        let event = ws.next_event(Duration::from_secs(15)).await;
        assert_eq!(seq(&event), last + 1, "{event}");
        last += 1;
        assert_eq!(event["kind"], "message_created");
        assert_eq!(event["data"]["body"], format!("during the cut {i}"));
    }
    post_message(&app, &alice, room, "after the cut").await;
    let after = ws.next_event(WAIT).await;
    assert_eq!(seq(&after), last + 1);
    assert_eq!(after["data"]["body"], "after the cut");
    ws.close().await;
}

// ------------------------------------------------------------------ long polling

#[tokio::test]
async fn long_polling_answers_at_once_or_waits_for_the_next_event() {
    let app = TestApp::spawn().await;
    let (alice, bob, room) = pair(&app).await;

    // Events waiting: at once, all of them in order.
    let started = Instant::now();
    let page = poll(&app, &bob, "after=0&timeout=30").await;
    assert!(started.elapsed() < Duration::from_secs(2), "did not wait");
    assert_eq!(page["resync_required"], false);
    let items = page["items"].as_array().unwrap();
    assert!(!items.is_empty(), "the room's events: {page}");
    let seqs: Vec<i64> = items.iter().map(seq).collect();
    assert_eq!(seqs, (1..=items.len() as i64).collect::<Vec<_>>());
    assert!(items.iter().all(|e| e["room_id"] == room.to_string()));
    let last = page["last_seq"].as_i64().unwrap();
    assert_eq!(last, items.len() as i64);

    // Nothing yet: waits until an event arrives.
    let started = Instant::now();
    let query = format!("after={last}&timeout=10");
    let (page, sent) = tokio::join!(poll(&app, &bob, &query), async {
        tokio::time::sleep(Duration::from_millis(500)).await;
        post_message(&app, &alice, room, "worth the wait").await
    });
    let waited = started.elapsed();
    assert!(waited >= Duration::from_millis(500), "answered too early");
    assert!(
        waited < Duration::from_secs(5),
        "answered {waited:?} after the event"
    );
    let items = page["items"].as_array().unwrap();
    assert_eq!(items.len(), 1, "{page}");
    assert_eq!(seq(&items[0]), last + 1);
    assert_eq!(items[0]["kind"], "message_created");
    assert_eq!(items[0]["data"]["id"], sent["id"]);
    assert_eq!(page["last_seq"], last + 1);

    // Nothing at all: empty after the timeout.
    let started = Instant::now();
    let page = poll(&app, &bob, &format!("after={}&timeout=1", last + 1)).await;
    assert!(started.elapsed() >= Duration::from_millis(900));
    assert_eq!(page["items"], json!([]));
    assert_eq!(page["last_seq"], last + 1);
    assert_eq!(page["resync_required"], false);

    // `limit` bounds the page.
    for i in 0..3 {
        post_message(&app, &alice, room, &format!("more {i}")).await;
    }
    let page = poll(&app, &bob, &format!("after={}&timeout=0&limit=2", last + 1)).await;
    let seqs: Vec<i64> = page["items"].as_array().unwrap().iter().map(seq).collect();
    assert_eq!(seqs, vec![last + 2, last + 3]);
    assert_eq!(page["last_seq"], last + 4);

    // Without credentials.
    crate::helpers::assert_problem(
        app.get("/api/v1/events?after=0&timeout=0").await,
        401,
        "unauthenticated",
    )
    .await;
}

// ------------------------------------------------------------------ resync

#[tokio::test]
async fn a_client_behind_the_retention_gets_resync_required_and_continues_live() {
    let app = TestApp::spawn().await;
    let (alice, bob, room) = pair(&app).await;
    for i in 0..5 {
        post_message(&app, &alice, room, &format!("old {i}")).await;
    }
    let last = last_seq(&app, &bob).await;
    assert!(last >= 6, "{last}");

    // Pruning, by hand: everything up to last - 2 is gone.
    let pruned = last - 2;
    exec(
        &app,
        "DELETE FROM stream_events WHERE user_id = $1 AND seq <= $2",
        vec![bob.id.into(), pruned.into()],
    )
    .await;
    exec(
        &app,
        "UPDATE stream_cursors SET pruned_through = $2 WHERE user_id = $1",
        vec![bob.id.into(), pruned.into()],
    )
    .await;

    // Long polling: nothing but the flag for a client behind the pruned edge.
    let page = poll(&app, &bob, "after=1&timeout=0").await;
    assert_eq!(page["resync_required"], true, "{page}");
    assert_eq!(page["items"], json!([]));
    assert_eq!(page["last_seq"], last);
    // A client exactly at the edge still catches up from the log.
    let page = poll(&app, &bob, &format!("after={pruned}&timeout=0")).await;
    assert_eq!(page["resync_required"], false);
    let seqs: Vec<i64> = page["items"].as_array().unwrap().iter().map(seq).collect();
    assert_eq!(seqs, vec![pruned + 1, pruned + 2]);

    // The snapshot to rebuild from.
    let snapshot = expect(app.get_as("/api/v1/events/snapshot", &bob).await, 200).await;
    assert_eq!(snapshot["last_seq"], last);
    let rooms = snapshot["rooms"].as_array().unwrap();
    assert_eq!(rooms.len(), 1, "{snapshot}");
    assert_eq!(rooms[0]["id"], room.to_string());
    assert_eq!(rooms[0]["unread_count"], 5);

    // A socket at the edge: the two kept events, then live.
    let mut ws = Ws::connect(&app, &bob, Some(pruned)).await;
    assert_eq!(ws.ready_seq(), last);
    assert_eq!(seq(&ws.next_event(WAIT).await), pruned + 1);
    assert_eq!(seq(&ws.next_event(WAIT).await), pruned + 2);
    ws.close().await;

    // A socket behind it: `ready`, then `resync_required` instead of the missing events,
    // then live from last_seq on.
    let (mut ws, _) = handshake(
        &app,
        Connect {
            protocols: Some(bearer_protocols(&bob.access_token)),
            ..Connect::default()
        },
    )
    .await
    .expect("the upgrade");
    ws.send(&json!({"type": "hello", "after": 1})).await;
    let first = ws.next_non_unasked(WAIT).await;
    let second = ws.next_non_unasked(WAIT).await;
    let resync = [&first, &second]
        .into_iter()
        .find(|m| m["type"] == "resync_required")
        .unwrap_or_else(|| panic!("no resync_required: {first} {second}"))
        .clone();
    assert_eq!(resync["after"], 1);
    assert_eq!(resync["oldest_seq"], pruned + 1);
    assert_eq!(resync["last_seq"], last);
    post_message(&app, &alice, room, "new").await;
    let live = ws.next_event(WAIT).await;
    assert_eq!(seq(&live), last + 1, "{live}");
    assert_eq!(live["data"]["body"], "new");
    assert_eq!(
        first["type"], "ready",
        "the server answers hello with ready first (docs/realtime.md), got {first} then {second}"
    );
    assert_eq!(second["type"], "resync_required");
    ws.close().await;
}

#[tokio::test]
async fn the_pruner_drops_events_past_the_retention() {
    let app = TestApp::spawn_with(|s| {
        s.realtime.retention_days = 1;
        s.realtime.prune_interval_secs = 1;
    })
    .await;
    let (alice, bob, room) = pair(&app).await;
    post_message(&app, &alice, room, "recent").await;
    let last = last_seq(&app, &bob).await;
    assert!(last >= 2);
    // Everything but the newest is two days old.
    exec(
        &app,
        "UPDATE stream_events SET created_at = now() - interval '2 days' WHERE seq < $1",
        vec![last.into()],
    )
    .await;

    let deadline = Instant::now() + Duration::from_secs(10);
    let pruned = loop {
        let pruned = app
            .count(&format!(
                "SELECT pruned_through AS n FROM stream_cursors WHERE user_id = '{}'",
                bob.id
            ))
            .await;
        if pruned > 0 {
            break pruned;
        }
        assert!(Instant::now() < deadline, "the pruner did not run");
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    assert_eq!(pruned, last - 1);
    assert_eq!(
        app.count(&format!(
            "SELECT count(*) AS n FROM stream_events WHERE user_id = '{}'",
            bob.id
        ))
        .await,
        1,
        "only the recent event is kept"
    );
    let page = poll(&app, &bob, "after=0&timeout=0").await;
    assert_eq!(page["resync_required"], true, "{page}");
    let page = poll(&app, &bob, &format!("after={}&timeout=0", last - 1)).await;
    assert_eq!(page["items"][0]["data"]["body"], "recent", "{page}");
}

// ------------------------------------------------------------------ back-pressure and timeouts

#[tokio::test]
async fn a_slow_consumer_is_closed_with_4008_and_resumes_without_a_gap() {
    let app = TestApp::spawn_with(|s| {
        s.realtime.send_buffer = 4;
        // Full for a second is slow enough.
        s.realtime.slow_consumer_secs = 1;
        s.database.max_connections = 10;
        s.realtime.ping_interval_secs = 60;
        s.realtime.idle_timeout_secs = 120;
        s.chat.messages_per_minute = 100_000;
    })
    .await;
    let (alice, bob, room) = pair(&app).await;

    // A reader with a tiny receive buffer that stops reading after `ready`.
    let mut ws = Ws::connect_with(
        &app,
        &bob,
        None,
        Connect {
            recv_buffer: Some(4096),
            ..Connect::default()
        },
    )
    .await;
    let start = ws.ready_seq();
    let deadline = Instant::now() + WAIT;
    while socket_gone(&app, bob.id).await {
        assert!(Instant::now() < deadline, "no presence row for the socket");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }

    // Big events (a 10,000-character body and ten long attachment links: ~45 kB each) until
    // the server gives up on the socket: the kernel absorbs some MB first (loopback's 64 kB
    // segments let the server's send buffer grow to megabytes). The client starts reading as
    // soon as it is cut off, as a slow (not dead) client would: the close frame waits behind
    // the data already queued.
    let attachment = json!({
        "url": format!("https://cdn.example.org/{}", "a".repeat(2000)),
        "name": "n".repeat(255),
        "size": 1024,
        "mime_type": "application/pdf",
    });
    // Mentioning Bob gives him two events of it (`message_created`, `mentioned`).
    let body = format!(
        "@bob see attached {}",
        "lorem ipsum dolor sit amet ".repeat(360)
    );
    let big = json!({"body": body, "attachments": vec![attachment; 10]});
    let messages_path = format!("/api/v1/chat/rooms/{room}/messages");
    let post_big = || async {
        expect(app.post_as(&messages_path, &alice, &big).await, 201).await;
    };
    let posted = AtomicI64::new(0);
    let stop = AtomicBool::new(false);
    let post = async {
        let deadline = Instant::now() + Duration::from_secs(60);
        while !stop.load(Ordering::SeqCst) && posted.load(Ordering::SeqCst) < 2000 {
            let batch: Vec<_> = (0..4).map(|_| post_big()).collect();
            futures_util::future::join_all(batch).await;
            posted.fetch_add(4, Ordering::SeqCst);
            assert!(Instant::now() < deadline, "still posting after 60 s");
        }
    };
    let watch = async {
        let deadline = Instant::now() + Duration::from_secs(60);
        while !socket_gone(&app, bob.id).await {
            assert!(
                Instant::now() < deadline,
                "the socket was never cut off ({} posted)",
                posted.load(Ordering::SeqCst)
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        stop.store(true, Ordering::SeqCst);
        ws.read_until_close(Duration::from_secs(30)).await
    };
    let ((), (code, seen)) = tokio::join!(post, watch);
    let posted = posted.load(Ordering::SeqCst);
    let events: Vec<&Value> = seen.iter().filter(|m| m["type"] == "event").collect();
    assert_eq!(
        code,
        Some(4008),
        "closed as a slow consumer ({} events read of {posted} posted)",
        events.len()
    );
    assert!(
        (events.len() as i64) < 2 * posted,
        "dropped before it had everything ({} of {})",
        events.len(),
        2 * posted
    );
    for (i, event) in events.iter().enumerate() {
        assert_eq!(seq(event), start + 1 + i as i64, "in order, no gap");
    }

    // It resumes from what it saw and gets the rest, in order.
    let mut last = start + events.len() as i64;
    let mut ws = Ws::connect(&app, &bob, Some(last)).await;
    let target = ws.ready_seq();
    assert_eq!(target, start + 2 * posted, "two events per message");
    while last < target {
        let event = ws.next_event(WAIT).await;
        assert_eq!(seq(&event), last + 1);
        last += 1;
    }
    ws.close().await;
}

/// Whether `user` has no socket left (the server forgot the slow one).
async fn socket_gone(app: &TestApp, user: Uuid) -> bool {
    app.count(&format!(
        "SELECT count(*) AS n FROM presence_sessions WHERE user_id = '{user}'"
    ))
    .await
        == 0
}

#[tokio::test]
async fn a_silent_client_is_closed_with_4000_and_a_talking_one_stays() {
    let app = TestApp::spawn_with(|s| {
        s.realtime.ping_interval_secs = 1;
        s.realtime.idle_timeout_secs = 2;
    })
    .await;
    let user = app.signup("quiet@example.com").await;
    let silent = Ws::connect(&app, &user, None).await;
    let mut talking = Ws::connect(&app, &user, None).await;

    // The silent one reads nothing (so answers no ping); the other pings every 500 ms.
    let keep_talking = async {
        for _ in 0..7 {
            talking.send(&json!({"type": "ping"})).await;
            talking.next_of_type("pong", WAIT).await;
            tokio::time::sleep(Duration::from_millis(500)).await;
        }
    };
    keep_talking.await;
    assert_eq!(
        silent.raw_close_code(WAIT).await,
        Some(4000),
        "idle_timeout"
    );
    talking.send(&json!({"type": "ping"})).await;
    talking.next_of_type("pong", WAIT).await;
    talking.close().await;
}

// ------------------------------------------------------------------ refusals

#[tokio::test]
async fn a_socket_without_valid_credentials_is_closed_with_4001() {
    let app = TestApp::spawn().await;
    let user = app.signup("member@example.com").await;

    let attempts = [
        (
            "a bad token in hello",
            json!({"type": "hello", "token": "not-a-token"}),
        ),
        ("no token at all", json!({"type": "hello"})),
        (
            "a refresh token",
            json!({"type": "hello", "token": user.refresh_token}),
        ),
        ("no hello first", json!({"type": "ping"})),
    ];
    for (what, first) in attempts {
        let (mut ws, _) = handshake(&app, Connect::default()).await.expect("upgrade");
        ws.send(&first).await;
        let (code, seen) = ws.read_until_close(WAIT).await;
        assert_eq!(code, Some(4001), "{what}");
        assert!(
            seen.iter().all(|m| m["type"] == "error"),
            "{what}: nothing but an error before the close: {seen:?}"
        );
        assert!(
            seen.iter().all(|m| m["type"] != "ready"),
            "{what}: {seen:?}"
        );
    }

    // A bad bearer in the subprotocol: refused, before or right after the upgrade.
    match handshake(
        &app,
        Connect {
            protocols: Some(bearer_protocols("not-a-token")),
            ..Connect::default()
        },
    )
    .await
    {
        Err(WsError::Http(response)) => assert_eq!(response.status(), 401),
        Err(other) => panic!("unexpected handshake error {other}"),
        Ok((mut ws, _)) => {
            ws.send(&json!({"type": "hello"})).await;
            let (code, _) = ws.read_until_close(WAIT).await;
            assert_eq!(code, Some(4001), "a bad bearer subprotocol");
        }
    }

    // The good token works on the same route.
    let ws = Ws::connect_hello(&app, &user, None).await;
    ws.close().await;
}

#[tokio::test]
async fn an_origin_the_cors_settings_do_not_allow_is_refused_before_the_upgrade() {
    let app =
        TestApp::spawn_with(|s| s.cors.allowed_origins = vec!["https://app.example".into()]).await;
    let user = app.signup("member@example.com").await;
    let refused = handshake(
        &app,
        Connect {
            protocols: Some(bearer_protocols(&user.access_token)),
            origin: Some("https://evil.example".into()),
            ..Connect::default()
        },
    )
    .await;
    match refused {
        Err(WsError::Http(response)) => assert_eq!(response.status(), 403),
        Err(other) => panic!("unexpected handshake error {other}"),
        Ok(_) => panic!("an upgrade from a foreign origin"),
    }
    let ws = Ws::connect_with(
        &app,
        &user,
        None,
        Connect {
            origin: Some("https://app.example".into()),
            ..Connect::default()
        },
    )
    .await;
    ws.close().await;
}

#[tokio::test]
async fn a_non_member_hears_nothing_of_a_room() {
    let app = TestApp::spawn().await;
    let (alice, bob, room) = pair(&app).await;
    let carol = app.signup("carol@example.com").await;
    let mut carol_ws = Ws::connect(&app, &carol, None).await;
    let mut bob_ws = Ws::connect(&app, &bob, None).await;

    // Everything that happens in Alice and Bob's room ...
    let secret = post_message(&app, &alice, room, "just between us").await;
    let secret_id = secret["id"].as_str().unwrap();
    let resp = app
        .call(
            Method::PUT,
            &format!("/api/v1/chat/messages/{secret_id}/reactions/eyes"),
            &bob.access_token,
            None,
        )
        .await;
    assert!(resp.status().is_success());
    expect(
        app.post_as(
            &format!("/api/v1/chat/rooms/{room}/read"),
            &bob,
            &json!({"up_to": secret_id}),
        )
        .await,
        200,
    )
    .await;
    bob_ws
        .send(&json!({"type": "typing", "room_id": room}))
        .await;
    bob_ws.next_event_of_kind("message_created", WAIT).await;
    // ... and Carol's typing into it is not relayed to Bob.
    carol_ws
        .send(&json!({"type": "typing", "room_id": room}))
        .await;
    carol_ws.send(&json!({"type": "ping"})).await;
    loop {
        // At most an error for the typing, then the pong.
        let m = carol_ws.next_message(WAIT).await;
        match m["type"].as_str() {
            Some("pong") => break,
            Some("error") | Some("presence") => {}
            _ => panic!("Carol got {m}"),
        }
    }

    // Then a room Carol shares: her first event is of that room.
    let shared = group_room(&app, &alice, "Everyone", &[&carol]).await;
    let mut last = carol_ws.ready_seq();
    let first = carol_ws.next_event(WAIT).await;
    assert_eq!(seq(&first), last + 1);
    last += 1;
    assert_eq!(first["room_id"], shared.to_string(), "{first}");
    post_message(&app, &alice, shared, "hello all").await;
    let message = until_kind(&mut carol_ws, &mut last, "message_created").await;
    assert_eq!(message["room_id"], shared.to_string());
    assert_eq!(message["data"]["body"], "hello all");

    // Her stream has nothing of the first room at all.
    let page = poll(&app, &carol, "after=0&timeout=0").await;
    assert!(
        page["items"]
            .as_array()
            .unwrap()
            .iter()
            .all(|e| e["room_id"] != room.to_string()
                && !e["data"].to_string().contains("just between us")),
        "{page}"
    );
    // Bob got no typing from Carol: Alice's typing, sent after hers, comes first.
    alice_typing(&app, &alice, room).await;
    loop {
        let m = bob_ws.next_message(WAIT).await;
        if m["type"] == "typing" {
            assert_eq!(
                m["user_id"],
                alice.id.to_string(),
                "relayed from a non-member: {m}"
            );
            break;
        }
    }
    carol_ws.close().await;
    bob_ws.close().await;
}

/// Alice says she is typing in `room` from a socket of her own.
async fn alice_typing(app: &TestApp, alice: &TestUser, room: Uuid) {
    let mut ws = Ws::connect(app, alice, None).await;
    ws.send(&json!({"type": "typing", "room_id": room})).await;
    ws.send(&json!({"type": "ping"})).await;
    ws.next_of_type("pong", WAIT).await;
    ws.close().await;
}
