//! Chat from the outside (docs/realtime.md): direct rooms one per pair, group rooms and their
//! roles, Markdown rendered and sanitized, edits within a window with their history, soft
//! deletion, threads, reactions, mentions and unread counts, read receipts in small and big
//! rooms, history cursors, search, course channels following enrollments, what non-members
//! get (404 and nothing on their stream), the per-user rate limit, moderation flags, and API
//! keys without `chat:use`.

use std::time::Duration;

use reqwest::{Method, Response};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::helpers::users::{TestUser, create_key, with_key};
use crate::helpers::ws::{WAIT, Ws, expect, group_room, post_message, uuid_of};
use crate::helpers::{TestApp, assert_problem};

// ------------------------------------------------------------------ helpers

/// The list of a list answer: a bare array or `{items: [...]}`.
fn items(v: &Value) -> Vec<Value> {
    v.as_array()
        .or_else(|| v["items"].as_array())
        .unwrap_or_else(|| panic!("a list, got {v}"))
        .clone()
}

fn ids_of(list: &[Value]) -> Vec<Uuid> {
    list.iter().map(|m| uuid_of(&m["id"])).collect()
}

fn bodies(list: &[Value]) -> Vec<String> {
    list.iter()
        .map(|m| m["body"].as_str().unwrap_or_default().to_owned())
        .collect()
}

async fn room_as(app: &TestApp, user: &TestUser, room: Uuid) -> Value {
    expect(
        app.get_as(&format!("/api/v1/chat/rooms/{room}"), user)
            .await,
        200,
    )
    .await
}

async fn message_as(app: &TestApp, user: &TestUser, message: &str) -> Value {
    expect(
        app.get_as(&format!("/api/v1/chat/messages/{message}"), user)
            .await,
        200,
    )
    .await
}

/// `(user_id, role)` of the room's members, as `user` sees them.
async fn members(app: &TestApp, user: &TestUser, room: Uuid) -> Vec<(Uuid, String)> {
    let list = expect(
        app.get_as(&format!("/api/v1/chat/rooms/{room}/members"), user)
            .await,
        200,
    )
    .await;
    let mut out: Vec<(Uuid, String)> = items(&list)
        .iter()
        .map(|m| {
            (
                uuid_of(&m["user_id"]),
                m["role"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    out.sort();
    out
}

fn sorted(mut v: Vec<(Uuid, String)>) -> Vec<(Uuid, String)> {
    v.sort();
    v
}

async fn put_as(app: &TestApp, path: &str, user: &TestUser) -> Response {
    app.call(Method::PUT, path, &user.access_token, None).await
}

async fn history(app: &TestApp, user: &TestUser, room: Uuid, query: &str) -> Value {
    expect(
        app.get_as(&format!("/api/v1/chat/rooms/{room}/messages?{query}"), user)
            .await,
        200,
    )
    .await
}

async fn read_up_to(app: &TestApp, user: &TestUser, room: Uuid, message: &str) -> Value {
    expect(
        app.post_as(
            &format!("/api/v1/chat/rooms/{room}/read"),
            user,
            &json!({"up_to": message}),
        )
        .await,
        200,
    )
    .await
}

fn id(message: &Value) -> String {
    message["id"].as_str().expect("an id").to_owned()
}

// ------------------------------------------------------------------ rooms

#[tokio::test]
async fn a_direct_room_is_unique_per_pair() {
    let app = TestApp::spawn().await;
    let alice = app.signup("alice@example.com").await;
    let bob = app.signup("bob@example.com").await;
    let carol = app.signup("carol@example.com").await;
    let dave = app.signup("dave@example.com").await;

    let direct = json!({"kind": "direct", "member_ids": [bob.id]});
    let room = expect(
        app.post_as("/api/v1/chat/rooms", &alice, &direct).await,
        201,
    )
    .await;
    assert_eq!(room["kind"], "direct");
    assert_eq!(room["member_count"], 2);
    let again = expect(
        app.post_as("/api/v1/chat/rooms", &alice, &direct).await,
        200,
    )
    .await;
    assert_eq!(again["id"], room["id"]);
    let from_bob = expect(
        app.post_as(
            "/api/v1/chat/rooms",
            &bob,
            &json!({"kind": "direct", "member_ids": [alice.id]}),
        )
        .await,
        200,
    )
    .await;
    assert_eq!(from_bob["id"], room["id"]);
    let listed = expect(app.get_as("/api/v1/chat/rooms", &bob).await, 200).await;
    assert_eq!(ids_of(&items(&listed)), vec![uuid_of(&room["id"])]);
    // A direct room takes no third member.
    assert_problem(
        app.post_as(
            &format!(
                "/api/v1/chat/rooms/{}/members",
                room["id"].as_str().unwrap()
            ),
            &alice,
            &json!({"user_id": carol.id}),
        )
        .await,
        409,
        "room_membership_managed",
    )
    .await;

    // Both at once: still one room.
    let (to_dave, to_carol) = (
        json!({"kind": "direct", "member_ids": [dave.id]}),
        json!({"kind": "direct", "member_ids": [carol.id]}),
    );
    let (a, b) = tokio::join!(
        app.post_as("/api/v1/chat/rooms", &carol, &to_dave),
        app.post_as("/api/v1/chat/rooms", &dave, &to_carol),
    );
    let mut statuses = [a.status().as_u16(), b.status().as_u16()];
    statuses.sort();
    assert_eq!(statuses, [200, 201]);
    let (a, b): (Value, Value) = (a.json().await.unwrap(), b.json().await.unwrap());
    assert_eq!(a["id"], b["id"]);
    assert_eq!(
        app.count("SELECT count(*) AS n FROM chat_rooms WHERE kind = 'direct'")
            .await,
        2
    );

    // Not with oneself, nor with two others, nor with nobody that exists.
    for body in [
        json!({"kind": "direct", "member_ids": [alice.id]}),
        json!({"kind": "direct", "member_ids": [bob.id, carol.id]}),
        json!({"kind": "direct", "member_ids": [Uuid::now_v7()]}),
    ] {
        assert_problem(
            app.post_as("/api/v1/chat/rooms", &alice, &body).await,
            422,
            "validation_failed",
        )
        .await;
    }
    assert_eq!(
        app.count("SELECT count(*) AS n FROM chat_rooms").await,
        2,
        "a refusal creates nothing"
    );
}

#[tokio::test]
async fn group_rooms_invite_remove_leave_and_respect_roles() {
    let app = TestApp::spawn().await;
    let owner = app.signup("owner@example.com").await;
    let alice = app.signup("alice@example.com").await;
    let bob = app.signup("bob@example.com").await;
    let carol = app.signup("carol@example.com").await;

    let created = expect(
        app.post_as(
            "/api/v1/chat/rooms",
            &owner,
            &json!({"kind": "group", "name": "Physics", "topic": "Waves", "member_ids": [alice.id]}),
        )
        .await,
        201,
    )
    .await;
    assert_eq!(created["kind"], "group");
    assert_eq!(created["name"], "Physics");
    assert_eq!(created["topic"], "Waves");
    assert_eq!(created["my_role"], "owner");
    assert_eq!(created["member_count"], 2);
    let room = uuid_of(&created["id"]);
    let members_path = format!("/api/v1/chat/rooms/{room}/members");
    assert_eq!(room_as(&app, &alice, room).await["my_role"], "member");
    assert_eq!(
        members(&app, &alice, room).await,
        sorted(vec![
            (owner.id, "owner".into()),
            (alice.id, "member".into())
        ])
    );

    // A plain member neither invites nor changes the room.
    assert_problem(
        app.post_as(&members_path, &alice, &json!({"user_id": bob.id}))
            .await,
        403,
        "forbidden",
    )
    .await;
    assert_problem(
        app.patch_as(
            &format!("/api/v1/chat/rooms/{room}"),
            &alice,
            &json!({"name": "Mine"}),
        )
        .await,
        403,
        "forbidden",
    )
    .await;

    // The owner invites an admin; the admin invites and edits.
    let resp = app
        .post_as(
            &members_path,
            &owner,
            &json!({"user_id": bob.id, "role": "admin"}),
        )
        .await;
    assert!(resp.status().is_success(), "{}", resp.status());
    // Only the owner names admins.
    assert_problem(
        app.post_as(
            &members_path,
            &bob,
            &json!({"user_id": carol.id, "role": "admin"}),
        )
        .await,
        403,
        "forbidden",
    )
    .await;
    let resp = app
        .post_as(&members_path, &bob, &json!({"user_id": carol.id}))
        .await;
    assert!(resp.status().is_success(), "{}", resp.status());
    assert_problem(
        app.post_as(&members_path, &owner, &json!({"user_id": carol.id}))
            .await,
        409,
        "already_member",
    )
    .await;
    assert_eq!(
        members(&app, &carol, room).await,
        sorted(vec![
            (owner.id, "owner".into()),
            (alice.id, "member".into()),
            (bob.id, "admin".into()),
            (carol.id, "member".into()),
        ])
    );
    assert_eq!(room_as(&app, &carol, room).await["member_count"], 4);
    let patched = expect(
        app.patch_as(
            &format!("/api/v1/chat/rooms/{room}"),
            &bob,
            &json!({"topic": "Optics"}),
        )
        .await,
        200,
    )
    .await;
    assert_eq!(patched["topic"], "Optics");
    assert_eq!(patched["name"], "Physics");

    // A member cannot remove another, nor an admin the owner; an admin removes a member; a
    // member can leave.
    assert_problem(
        app.delete_as(&format!("{members_path}/{}", owner.id), &bob)
            .await,
        403,
        "forbidden",
    )
    .await;
    assert_problem(
        app.delete_as(&format!("{members_path}/{}", alice.id), &carol)
            .await,
        403,
        "forbidden",
    )
    .await;
    expect(
        app.delete_as(&format!("{members_path}/{}", alice.id), &bob)
            .await,
        204,
    )
    .await;
    assert_problem(
        app.get_as(&format!("/api/v1/chat/rooms/{room}"), &alice)
            .await,
        404,
        "not_found",
    )
    .await;
    expect(
        app.delete_as(&format!("{members_path}/{}", carol.id), &carol)
            .await,
        204,
    )
    .await;
    assert_problem(
        app.get_as(&format!("/api/v1/chat/rooms/{room}"), &carol)
            .await,
        404,
        "not_found",
    )
    .await;
    assert_eq!(
        members(&app, &owner, room).await,
        sorted(vec![(owner.id, "owner".into()), (bob.id, "admin".into())])
    );
    assert_eq!(room_as(&app, &owner, room).await["member_count"], 2);
    let listed = expect(app.get_as("/api/v1/chat/rooms", &alice).await, 200).await;
    assert!(items(&listed).is_empty(), "{listed}");

    // Muting is one's own; archiving is the owner's.
    let muted = expect(
        app.patch_as(
            &format!("/api/v1/chat/rooms/{room}/membership"),
            &bob,
            &json!({"muted": true}),
        )
        .await,
        200,
    )
    .await;
    assert_eq!(muted["muted"], true, "{muted}");
    assert_eq!(room_as(&app, &bob, room).await["muted"], true);
    assert_eq!(room_as(&app, &owner, room).await["muted"], false);
    let archived = expect(
        app.patch_as(
            &format!("/api/v1/chat/rooms/{room}"),
            &owner,
            &json!({"archived": true}),
        )
        .await,
        200,
    )
    .await;
    assert_eq!(archived["archived"], true);
    assert_problem(
        app.post_as(
            &format!("/api/v1/chat/rooms/{room}/messages"),
            &bob,
            &json!({"body": "anyone?"}),
        )
        .await,
        409,
        "room_archived",
    )
    .await;
}

// ------------------------------------------------------------------ messages

#[tokio::test]
async fn markdown_is_rendered_and_sanitized() {
    let app = TestApp::spawn().await;
    let alice = app.signup("alice@example.com").await;
    let bob = app.signup("bob@example.com").await;
    let room = group_room(&app, &alice, "Study group", &[&bob]).await;

    let body = "**bold** and `code`\n\n<script>alert('x')</script>\n\n\
                [link](javascript:alert(1)) <img src=x onerror=alert(1)> \
                <a href=\"https://example.org\" onclick=\"steal()\">ok</a>";
    let message = post_message(&app, &alice, room, body).await;
    assert_eq!(message["body"], body, "the source is kept as written");
    assert_eq!(message["author_id"], alice.id.to_string());
    assert_eq!(message["room_id"], room.to_string());
    assert_eq!(message["deleted"], false);
    for html in [
        message["body_html"].as_str().unwrap().to_owned(),
        message_as(&app, &bob, &id(&message)).await["body_html"]
            .as_str()
            .unwrap()
            .to_owned(),
    ] {
        assert!(html.contains("<strong>bold</strong>"), "{html}");
        assert!(html.contains("<code>code</code>"), "{html}");
        let lower = html.to_lowercase();
        for bad in ["<script", "javascript:", "onerror", "onclick"] {
            assert!(!lower.contains(bad), "{bad} in {html}");
        }
    }

    // An over-long, empty or blank body is refused and stores nothing.
    let long = "x".repeat(10_001);
    for body in [long.as_str(), "", " \n\t "] {
        assert_problem(
            app.post_as(
                &format!("/api/v1/chat/rooms/{room}/messages"),
                &alice,
                &json!({"body": body}),
            )
            .await,
            422,
            "validation_failed",
        )
        .await;
    }
    assert_eq!(
        app.count("SELECT count(*) AS n FROM chat_messages").await,
        1
    );
}

#[tokio::test]
async fn edits_within_the_window_keep_their_history_and_later_ones_are_refused() {
    let app = TestApp::spawn_with(|s| s.chat.edit_window_secs = 2).await;
    let alice = app.signup("alice@example.com").await;
    let bob = app.signup("bob@example.com").await;
    let room = group_room(&app, &alice, "Study group", &[&bob]).await;
    let message = post_message(&app, &alice, room, "first *draft*").await;
    let mid = id(&message);
    let path = format!("/api/v1/chat/messages/{mid}");
    assert!(message["edited_at"].is_null());

    let edited = expect(
        app.patch_as(&path, &alice, &json!({"body": "second **draft**"}))
            .await,
        200,
    )
    .await;
    assert_eq!(edited["body"], "second **draft**");
    assert!(
        edited["body_html"]
            .as_str()
            .unwrap()
            .contains("<strong>draft</strong>")
    );
    assert!(edited["edited_at"].is_string());
    expect(
        app.patch_as(&path, &alice, &json!({"body": "final"})).await,
        200,
    )
    .await;
    // Only the author edits.
    assert_problem(
        app.patch_as(&path, &bob, &json!({"body": "hijacked"}))
            .await,
        403,
        "forbidden",
    )
    .await;

    let edits = expect(app.get_as(&format!("{path}/edits"), &bob).await, 200).await;
    let edits = items(&edits);
    assert_eq!(
        bodies(&edits),
        vec!["first *draft*", "second **draft**"],
        "the text before each edit, oldest first"
    );
    assert!(edits.iter().all(|e| e["edited_by"] == alice.id.to_string()));
    assert_eq!(message_as(&app, &bob, &mid).await["body"], "final");

    // After the window, no more.
    tokio::time::sleep(Duration::from_millis(2500)).await;
    assert_problem(
        app.patch_as(&path, &alice, &json!({"body": "too late"}))
            .await,
        409,
        "edit_window_passed",
    )
    .await;
    assert_eq!(message_as(&app, &bob, &mid).await["body"], "final");
    assert_eq!(
        items(&expect(app.get_as(&format!("{path}/edits"), &alice).await, 200).await).len(),
        2
    );
}

#[tokio::test]
async fn a_deleted_message_keeps_its_place_without_its_text() {
    let app = TestApp::spawn().await;
    let owner = app.signup("owner@example.com").await;
    let alice = app.signup("alice@example.com").await;
    let bob = app.signup("bob@example.com").await;
    let room = group_room(&app, &owner, "Study group", &[&alice, &bob]).await;
    let first = post_message(&app, &alice, room, "oops, my password").await;
    let second = post_message(&app, &alice, room, "rude words").await;
    let third = post_message(&app, &bob, room, "a fine message").await;

    // Neither another member...
    assert_problem(
        app.delete_as(&format!("/api/v1/chat/messages/{}", id(&third)), &alice)
            .await,
        403,
        "forbidden",
    )
    .await;
    // ... but the author, and the room's owner.
    expect(
        app.delete_as(&format!("/api/v1/chat/messages/{}", id(&first)), &alice)
            .await,
        204,
    )
    .await;
    expect(
        app.delete_as(&format!("/api/v1/chat/messages/{}", id(&second)), &owner)
            .await,
        204,
    )
    .await;

    let gone = message_as(&app, &bob, &id(&first)).await;
    assert_eq!(gone["deleted"], true);
    assert_eq!(gone["body"], "");
    assert!(!gone.to_string().contains("password"), "{gone}");
    let page = history(&app, &bob, room, "").await;
    let list = items(&page);
    assert_eq!(
        ids_of(&list),
        vec![
            uuid_of(&first["id"]),
            uuid_of(&second["id"]),
            uuid_of(&third["id"])
        ],
        "deleted messages keep their place"
    );
    assert_eq!(bodies(&list), vec!["", "", "a fine message"]);
    assert!(!page.to_string().contains("rude words"));

    // Nothing to edit any more.
    assert_problem(
        app.patch_as(
            &format!("/api/v1/chat/messages/{}", id(&first)),
            &alice,
            &json!({"body": "restored"}),
        )
        .await,
        409,
        "message_deleted",
    )
    .await;
    assert_problem(
        app.delete_as(&format!("/api/v1/chat/messages/{}", id(&first)), &owner)
            .await,
        409,
        "message_deleted",
    )
    .await;
    assert_eq!(message_as(&app, &bob, &id(&first)).await["body"], "");
}

#[tokio::test]
async fn thread_replies_are_listed_and_counted() {
    let app = TestApp::spawn().await;
    let alice = app.signup("alice@example.com").await;
    let bob = app.signup("bob@example.com").await;
    let room = group_room(&app, &alice, "Study group", &[&bob]).await;
    let root = post_message(&app, &alice, room, "What is entropy?").await;
    let mut replies = Vec::new();
    for (who, text) in [(&bob, "Disorder, roughly."), (&alice, "Thanks!")] {
        let reply = expect(
            app.post_as(
                &format!("/api/v1/chat/rooms/{room}/messages"),
                who,
                &json!({"body": text, "thread_root_id": root["id"]}),
            )
            .await,
            201,
        )
        .await;
        assert_eq!(reply["thread_root_id"], root["id"]);
        replies.push(reply);
    }
    assert_eq!(message_as(&app, &bob, &id(&root)).await["reply_count"], 2);
    let listed = expect(
        app.get_as(
            &format!("/api/v1/chat/messages/{}/replies", id(&root)),
            &bob,
        )
        .await,
        200,
    )
    .await;
    let listed = items(&listed);
    assert_eq!(ids_of(&listed), ids_of(&replies));
    assert_eq!(bodies(&listed), vec!["Disorder, roughly.", "Thanks!"]);

    // A root from another room is refused.
    let other = group_room(&app, &alice, "Elsewhere", &[&bob]).await;
    assert_problem(
        app.post_as(
            &format!("/api/v1/chat/rooms/{other}/messages"),
            &alice,
            &json!({"body": "cross-posted", "thread_root_id": root["id"]}),
        )
        .await,
        422,
        "validation_failed",
    )
    .await;
    assert_eq!(message_as(&app, &bob, &id(&root)).await["reply_count"], 2);
}

#[tokio::test]
async fn reactions_are_one_per_kind_per_user_and_counted() {
    let app = TestApp::spawn().await;
    let alice = app.signup("alice@example.com").await;
    let bob = app.signup("bob@example.com").await;
    let room = group_room(&app, &alice, "Study group", &[&bob]).await;
    let message = post_message(&app, &alice, room, "Exam moved to Friday").await;
    let mid = id(&message);
    let path = |kind: &str| format!("/api/v1/chat/messages/{mid}/reactions/{kind}");

    for _ in 0..2 {
        let resp = put_as(&app, &path("thumbs_up"), &alice).await;
        assert!(resp.status().is_success(), "{}", resp.status());
    }
    assert!(
        put_as(&app, &path("thumbs_up"), &bob)
            .await
            .status()
            .is_success()
    );
    assert!(
        put_as(&app, &path("heart"), &alice)
            .await
            .status()
            .is_success()
    );
    assert_eq!(
        app.count("SELECT count(*) AS n FROM chat_reactions").await,
        3
    );

    let reactions = |m: &Value| -> Vec<(String, i64, bool)> {
        let mut r: Vec<(String, i64, bool)> = m["reactions"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| {
                (
                    r["kind"].as_str().unwrap().to_owned(),
                    r["count"].as_i64().unwrap(),
                    r["mine"].as_bool().unwrap(),
                )
            })
            .collect();
        r.sort();
        r
    };
    assert_eq!(
        reactions(&message_as(&app, &alice, &mid).await),
        vec![("heart".into(), 1, true), ("thumbs_up".into(), 2, true)]
    );
    assert_eq!(
        reactions(&message_as(&app, &bob, &mid).await),
        vec![("heart".into(), 1, false), ("thumbs_up".into(), 2, true)]
    );

    let resp = app.delete_as(&path("thumbs_up"), &alice).await;
    assert!(resp.status().is_success(), "{}", resp.status());
    assert_eq!(
        reactions(&message_as(&app, &bob, &mid).await),
        vec![("heart".into(), 1, false), ("thumbs_up".into(), 1, true)]
    );
    let resp = app.delete_as(&path("heart"), &alice).await;
    assert!(resp.status().is_success(), "{}", resp.status());
    assert_eq!(
        reactions(&message_as(&app, &alice, &mid).await),
        vec![("thumbs_up".into(), 1, false)]
    );

    // Only the six kinds.
    assert_problem(
        put_as(&app, &path("pizza"), &alice).await,
        400,
        "invalid_path_parameter",
    )
    .await;
    assert_eq!(
        app.count("SELECT count(*) AS n FROM chat_reactions").await,
        1
    );
}

#[tokio::test]
async fn mentions_and_unread_counts_follow_reading() {
    let app = TestApp::spawn().await;
    let alice = app.signup("alice@example.com").await;
    let bob = app.signup("bob.smith@example.com").await;
    // Carol exists, but is no member of the room.
    let _carol = app.signup("carol@example.com").await;
    let room = group_room(&app, &alice, "Study group", &[&bob]).await;

    let first = post_message(&app, &alice, room, "Morning all").await;
    let second = post_message(&app, &alice, room, "@bob.smith can you share the notes?").await;
    // No mention of a non-member.
    let third = post_message(&app, &alice, room, "and @carol, maybe").await;
    assert_eq!(second["mentions"], json!([bob.id]));
    assert_eq!(third["mentions"], json!([]));

    let seen = room_as(&app, &bob, room).await;
    assert_eq!(seen["unread_count"], 3, "{seen}");
    assert_eq!(seen["mention_count"], 1);
    assert_eq!(seen["message_count"], 3);
    assert!(seen["last_read_id"].is_null());
    let mine = room_as(&app, &alice, room).await;
    assert_eq!(mine["unread_count"], 0, "one's own messages are read");
    assert_eq!(mine["mention_count"], 0);

    // Reading moves the counts; the list shows them too.
    let counts = read_up_to(&app, &bob, room, &id(&first)).await;
    assert_eq!(counts["unread_count"], 2, "{counts}");
    assert_eq!(counts["mention_count"], 1, "{counts}");
    let counts = read_up_to(&app, &bob, room, &id(&second)).await;
    assert_eq!(counts["unread_count"], 1, "{counts}");
    assert_eq!(counts["mention_count"], 0, "{counts}");
    let listed = expect(app.get_as("/api/v1/chat/rooms", &bob).await, 200).await;
    let listed = items(&listed);
    assert_eq!(listed[0]["unread_count"], 1);
    assert_eq!(listed[0]["mention_count"], 0);
    assert_eq!(listed[0]["last_read_id"], second["id"]);
    let counts = read_up_to(&app, &bob, room, &id(&third)).await;
    assert_eq!(counts["unread_count"], 0, "{counts}");
    assert_eq!(counts["mention_count"], 0, "{counts}");

    // Reading backwards does not unread.
    let counts = read_up_to(&app, &bob, room, &id(&first)).await;
    assert_eq!(counts["unread_count"], 0);
    assert_eq!(room_as(&app, &bob, room).await["last_read_id"], third["id"]);

    // A mention arrives on the mentioned member's stream.
    let mut ws = Ws::connect(&app, &bob, None).await;
    let fourth = post_message(&app, &alice, room, "thanks @bob.smith").await;
    let mentioned = ws.next_event_of_kind("mentioned", WAIT).await;
    assert_eq!(mentioned["data"]["id"], fourth["id"]);
    ws.close().await;
    assert_eq!(room_as(&app, &bob, room).await["mention_count"], 1);
}

#[tokio::test]
async fn receipts_in_a_small_room_list_the_readers_who_share_them() {
    let app = TestApp::spawn().await;
    let alice = app.signup("alice@example.com").await;
    let bob = app.signup("bob@example.com").await;
    let carol = app.signup("carol@example.com").await;
    let room = group_room(&app, &alice, "Study group", &[&bob, &carol]).await;

    // Carol keeps her reading to herself.
    let settings = expect(app.get_as("/api/v1/chat/settings", &carol).await, 200).await;
    assert_eq!(settings["send_receipts"], true);
    let settings = expect(
        app.patch_as(
            "/api/v1/chat/settings",
            &carol,
            &json!({"send_receipts": false}),
        )
        .await,
        200,
    )
    .await;
    assert_eq!(settings["send_receipts"], false);

    let mut alice_ws = Ws::connect(&app, &alice, None).await;
    let message = post_message(&app, &alice, room, "Read this, please").await;
    let mid = id(&message);
    read_up_to(&app, &carol, room, &mid).await;
    read_up_to(&app, &bob, room, &mid).await;

    let receipts = expect(
        app.get_as(&format!("/api/v1/chat/messages/{mid}/receipts"), &alice)
            .await,
        200,
    )
    .await;
    let readers = receipts["readers"].as_array().expect("readers listed");
    assert_eq!(
        readers.len(),
        1,
        "Bob only, not the reader who opted out: {receipts}"
    );
    assert_eq!(readers[0]["user_id"], bob.id.to_string());
    assert_eq!(readers[0]["up_to"], mid.as_str());
    assert_eq!(receipts["read_by_count"], 1, "{receipts}");

    // The receipt event comes from Bob, never from Carol.
    let receipt = alice_ws.next_event_of_kind("receipt", WAIT).await;
    assert_eq!(receipt["data"]["user_id"], bob.id.to_string(), "{receipt}");
    assert_eq!(receipt["data"]["up_to"], mid.as_str());
    assert_eq!(receipt["data"]["room_id"], room.to_string());
    alice_ws.close().await;
}

#[tokio::test]
async fn receipts_in_a_big_room_are_only_counted() {
    let app = TestApp::spawn_with(|s| s.chat.receipt_detail_max_members = 2).await;
    let alice = app.signup("alice@example.com").await;
    let bob = app.signup("bob@example.com").await;
    let carol = app.signup("carol@example.com").await;
    let room = group_room(&app, &alice, "Study group", &[&bob, &carol]).await;
    let message = post_message(&app, &alice, room, "Read this, please").await;
    let mid = id(&message);
    read_up_to(&app, &bob, room, &mid).await;
    read_up_to(&app, &carol, room, &mid).await;

    let receipts = expect(
        app.get_as(&format!("/api/v1/chat/messages/{mid}/receipts"), &alice)
            .await,
        200,
    )
    .await;
    assert_eq!(receipts["read_by_count"], 2, "{receipts}");
    assert!(receipts["readers"].is_null(), "{receipts}");
    // No receipt events in a big room either.
    let page = expect(
        app.get_as("/api/v1/events?after=0&timeout=0", &alice).await,
        200,
    )
    .await;
    assert!(
        items(&page).iter().all(|e| e["kind"] != "receipt"),
        "{page}"
    );
}

// ------------------------------------------------------------------ history and search

#[tokio::test]
async fn history_pages_by_cursor_oldest_first() {
    let app = TestApp::spawn_with(|s| s.chat.messages_per_minute = 1000).await;
    let alice = app.signup("alice@example.com").await;
    let bob = app.signup("bob@example.com").await;
    let room = group_room(&app, &alice, "Study group", &[&bob]).await;
    let mut all = Vec::new();
    for i in 0..25 {
        all.push(post_message(&app, &alice, room, &format!("m{i:02}")).await);
    }
    let names = |page: &Value| bodies(&items(page));
    let range =
        |a: usize, b: usize| -> Vec<String> { (a..b).map(|i| format!("m{i:02}")).collect() };

    let newest = history(&app, &bob, room, "limit=10").await;
    assert_eq!(names(&newest), range(15, 25));
    assert_eq!(newest["has_older"], true);
    assert_eq!(newest["has_newer"], false);

    let older = history(
        &app,
        &bob,
        room,
        &format!("before={}&limit=10", id(&all[15])),
    )
    .await;
    assert_eq!(names(&older), range(5, 15));
    assert_eq!(older["has_older"], true);
    assert_eq!(older["has_newer"], true);
    let oldest = history(
        &app,
        &bob,
        room,
        &format!("before={}&limit=10", id(&all[5])),
    )
    .await;
    assert_eq!(names(&oldest), range(0, 5));
    assert_eq!(oldest["has_older"], false);
    assert_eq!(oldest["has_newer"], true);

    let newer = history(&app, &bob, room, &format!("after={}&limit=5", id(&all[4]))).await;
    assert_eq!(names(&newer), range(5, 10));
    assert_eq!(newer["has_older"], true);
    assert_eq!(newer["has_newer"], true);
    let tail = history(
        &app,
        &bob,
        room,
        &format!("after={}&limit=10", id(&all[20])),
    )
    .await;
    assert_eq!(names(&tail), range(21, 25));
    assert_eq!(tail["has_newer"], false);

    // Around a message: it is in the page, with neighbours on both sides, in order.
    let around = history(
        &app,
        &bob,
        room,
        &format!("around={}&limit=5", id(&all[12])),
    )
    .await;
    let got = names(&around);
    assert_eq!(got.len(), 5, "{around}");
    assert!(got.contains(&"m12".to_owned()));
    assert!(got.first().unwrap() < &"m12".to_owned() && got.last().unwrap() > &"m12".to_owned());
    let start: usize = got[0][1..].parse().unwrap();
    assert_eq!(got, range(start, start + 5));

    // From the first unread on.
    read_up_to(&app, &bob, room, &id(&all[7])).await;
    let unread = history(&app, &bob, room, "anchor=first_unread&limit=5").await;
    let got = names(&unread);
    assert!(got.contains(&"m08".to_owned()), "{unread}");
    assert!(!got.contains(&"m13".to_owned()));
    let start: usize = got[0][1..].parse().unwrap();
    assert_eq!(got, range(start, start + got.len()));

    // The limit is bounded.
    let full = history(&app, &bob, room, "limit=100").await;
    assert_eq!(names(&full).len(), 25);
    // Over 100 is refused, as the document declares (a test below covers every feed).
    assert_problem(
        app.get_as(
            &format!("/api/v1/chat/rooms/{room}/messages?limit=101"),
            &bob,
        )
        .await,
        422,
        "validation_failed",
    )
    .await;
    // One cursor at a time.
    let resp = app
        .get_as(
            &format!(
                "/api/v1/chat/rooms/{room}/messages?before={}&after={}",
                id(&all[10]),
                id(&all[2])
            ),
            &bob,
        )
        .await;
    assert_problem(resp, 422, "validation_failed").await;
}

#[tokio::test]
async fn search_finds_words_in_the_room_only() {
    let app = TestApp::spawn().await;
    let alice = app.signup("alice@example.com").await;
    let bob = app.signup("bob@example.com").await;
    let carol = app.signup("carol@example.com").await;
    let room = group_room(&app, &alice, "Biology", &[&bob]).await;
    let other = group_room(&app, &alice, "Elsewhere", &[&carol]).await;
    let hit = post_message(&app, &alice, room, "Photosynthesis happens in chloroplasts").await;
    post_message(&app, &bob, room, "Mitochondria make energy").await;
    post_message(&app, &alice, other, "photosynthesis elsewhere").await;
    let gone = post_message(&app, &bob, room, "photosynthesis, deleted").await;
    expect(
        app.delete_as(&format!("/api/v1/chat/messages/{}", id(&gone)), &bob)
            .await,
        204,
    )
    .await;

    let found = expect(
        app.get_as(
            &format!("/api/v1/chat/rooms/{room}/search?q=photosynthesis"),
            &bob,
        )
        .await,
        200,
    )
    .await;
    assert_eq!(ids_of(&items(&found)), vec![uuid_of(&hit["id"])], "{found}");
    let none = expect(
        app.get_as(&format!("/api/v1/chat/rooms/{room}/search?q=quasar"), &bob)
            .await,
        200,
    )
    .await;
    assert!(items(&none).is_empty());
    assert_problem(
        app.get_as(
            &format!("/api/v1/chat/rooms/{room}/search?q=photosynthesis"),
            &carol,
        )
        .await,
        404,
        "not_found",
    )
    .await;
}

// ------------------------------------------------------------------ course channels

#[tokio::test]
async fn a_course_channel_follows_enrollment() {
    let app = TestApp::spawn().await;
    let instructor = app
        .signup_with_role("teacher@example.com", "instructor")
        .await;
    let admin = app.signup_with_role("admin@example.com", "admin").await;
    let learner = app.signup("learner@example.com").await;

    let course = expect(
        app.post_as(
            "/api/v1/courses",
            &instructor,
            &json!({"title": "Waves", "description": "All about waves."}),
        )
        .await,
        201,
    )
    .await;
    let course_id = uuid_of(&course["id"]);
    let module = expect(
        app.post_as(
            &format!("/api/v1/courses/{course_id}/modules"),
            &instructor,
            &json!({"title": "One"}),
        )
        .await,
        201,
    )
    .await;
    expect(
        app.post_as(
            &format!("/api/v1/modules/{}/lessons", module["id"].as_str().unwrap()),
            &instructor,
            &json!({"title": "A lesson", "kind": "text", "content": "Some words."}),
        )
        .await,
        201,
    )
    .await;
    expect(
        app.post_as(
            &format!("/api/v1/courses/{course_id}/publish"),
            &admin,
            &json!({}),
        )
        .await,
        200,
    )
    .await;

    let course_room = |list: &Value| -> Option<Value> {
        items(list)
            .into_iter()
            .find(|r| r["kind"] == "course" && r["course_id"] == course_id.to_string())
    };
    let before = expect(app.get_as("/api/v1/chat/rooms", &learner).await, 200).await;
    assert!(course_room(&before).is_none());

    let enrollment = expect(
        app.post_as(
            &format!("/api/v1/courses/{course_id}/enroll"),
            &learner,
            &json!({}),
        )
        .await,
        201,
    )
    .await;
    let listed = expect(app.get_as("/api/v1/chat/rooms", &learner).await, 200).await;
    let room = course_room(&listed).expect("the course's room after enrolling");
    let room_id = uuid_of(&room["id"]);
    assert_eq!(room["my_role"], "member");
    assert!(
        members(&app, &learner, room_id)
            .await
            .iter()
            .any(|(u, _)| *u == learner.id)
    );
    let said = post_message(&app, &learner, room_id, "Hello class").await;
    // The instructor is in it too.
    assert_eq!(
        message_as(&app, &instructor, &id(&said)).await["body"],
        "Hello class"
    );

    // Dropping the enrollment leaves the room.
    let dropped = expect(
        app.delete_as(
            &format!("/api/v1/enrollments/{}", enrollment["id"].as_str().unwrap()),
            &learner,
        )
        .await,
        200,
    )
    .await;
    assert_eq!(dropped["status"], "dropped");
    let after = expect(app.get_as("/api/v1/chat/rooms", &learner).await, 200).await;
    assert!(course_room(&after).is_none(), "{after}");
    assert_problem(
        app.get_as(&format!("/api/v1/chat/rooms/{room_id}"), &learner)
            .await,
        404,
        "not_found",
    )
    .await;
    assert!(
        !members(&app, &instructor, room_id)
            .await
            .iter()
            .any(|(u, _)| *u == learner.id)
    );
    // Course rooms are not managed by hand: membership is the enrollment's.
    assert_eq!(
        room_as(&app, &instructor, room_id).await["my_role"],
        "admin",
        "the course's instructors run its room"
    );
    assert_problem(
        app.delete_as(
            &format!("/api/v1/chat/rooms/{room_id}/members/{}", instructor.id),
            &instructor,
        )
        .await,
        409,
        "room_membership_managed",
    )
    .await;
}

// ------------------------------------------------------------------ refusals

#[tokio::test]
async fn non_members_get_404_and_nothing_on_their_stream() {
    let app = TestApp::spawn().await;
    let alice = app.signup("alice@example.com").await;
    let bob = app.signup("bob@example.com").await;
    let mallory = app.signup("mallory@example.com").await;
    let room = group_room(&app, &alice, "Private", &[&bob]).await;
    let message = post_message(&app, &alice, room, "secret plans").await;
    let mid = id(&message);

    let refusals: Vec<(Method, String, Option<Value>)> = vec![
        (Method::GET, format!("/api/v1/chat/rooms/{room}"), None),
        (
            Method::PATCH,
            format!("/api/v1/chat/rooms/{room}"),
            Some(json!({"name": "pwned"})),
        ),
        (
            Method::GET,
            format!("/api/v1/chat/rooms/{room}/members"),
            None,
        ),
        (
            Method::POST,
            format!("/api/v1/chat/rooms/{room}/members"),
            Some(json!({"user_id": mallory.id})),
        ),
        (
            Method::GET,
            format!("/api/v1/chat/rooms/{room}/messages"),
            None,
        ),
        (
            Method::POST,
            format!("/api/v1/chat/rooms/{room}/messages"),
            Some(json!({"body": "let me in"})),
        ),
        (
            Method::POST,
            format!("/api/v1/chat/rooms/{room}/read"),
            Some(json!({"up_to": mid})),
        ),
        (
            Method::PATCH,
            format!("/api/v1/chat/rooms/{room}/membership"),
            Some(json!({"muted": true})),
        ),
        (
            Method::GET,
            format!("/api/v1/chat/rooms/{room}/search?q=secret"),
            None,
        ),
        (Method::GET, format!("/api/v1/chat/messages/{mid}"), None),
        (
            Method::PATCH,
            format!("/api/v1/chat/messages/{mid}"),
            Some(json!({"body": "edited"})),
        ),
        (Method::DELETE, format!("/api/v1/chat/messages/{mid}"), None),
        (
            Method::GET,
            format!("/api/v1/chat/messages/{mid}/edits"),
            None,
        ),
        (
            Method::GET,
            format!("/api/v1/chat/messages/{mid}/replies"),
            None,
        ),
        (
            Method::GET,
            format!("/api/v1/chat/messages/{mid}/receipts"),
            None,
        ),
        (
            Method::PUT,
            format!("/api/v1/chat/messages/{mid}/reactions/heart"),
            None,
        ),
        (
            Method::POST,
            format!("/api/v1/chat/messages/{mid}/flags"),
            Some(json!({"reason": "spam"})),
        ),
    ];
    for (method, path, body) in refusals {
        let resp = app
            .call(method.clone(), &path, &mallory.access_token, body.as_ref())
            .await;
        assert_problem(resp, 404, "not_found").await;
    }
    let listed = expect(app.get_as("/api/v1/chat/rooms", &mallory).await, 200).await;
    assert!(items(&listed).is_empty());
    // Nothing changed.
    let seen = message_as(&app, &bob, &mid).await;
    assert_eq!(seen["body"], "secret plans");
    assert_eq!(seen["reactions"], json!([]));
    assert_eq!(
        app.count("SELECT count(*) AS n FROM chat_messages").await,
        1
    );
    assert_eq!(room_as(&app, &bob, room).await["name"], "Private");

    // Mallory's stream has nothing of it, and gets nothing new.
    let mut ws = Ws::connect(&app, &mallory, Some(0)).await;
    assert_eq!(ws.ready_seq(), 0);
    post_message(&app, &bob, room, "more secrets").await;
    ws.assert_quiet(Duration::from_millis(500)).await;
    ws.close().await;
}

#[tokio::test]
async fn the_fourth_message_in_a_minute_is_refused_with_retry_after() {
    let app = TestApp::spawn_with(|s| s.chat.messages_per_minute = 3).await;
    let alice = app.signup("alice@example.com").await;
    let bob = app.signup("bob@example.com").await;
    let room = group_room(&app, &alice, "Study group", &[&bob]).await;
    for i in 0..3 {
        post_message(&app, &alice, room, &format!("message {i}")).await;
    }
    let resp = app
        .post_as(
            &format!("/api/v1/chat/rooms/{room}/messages"),
            &alice,
            &json!({"body": "one too many"}),
        )
        .await;
    let retry_after: u64 = resp
        .headers()
        .get("retry-after")
        .expect("Retry-After")
        .to_str()
        .unwrap()
        .parse()
        .expect("seconds");
    assert!((1..=60).contains(&retry_after), "{retry_after}");
    assert_problem(resp, 429, "rate_limited").await;
    assert_eq!(
        app.count("SELECT count(*) AS n FROM chat_messages").await,
        3
    );
    // The limit is per user.
    post_message(&app, &bob, room, "my turn").await;
}

#[tokio::test]
async fn a_flagged_message_is_hidden_by_a_moderator() {
    let app = TestApp::spawn().await;
    let alice = app.signup("alice@example.com").await;
    let bob = app.signup("bob@example.com").await;
    let carol = app.signup("carol@example.com").await;
    let moderator = app
        .signup_with_role("moderator@example.com", "moderator")
        .await;
    let room = group_room(&app, &alice, "Study group", &[&bob, &carol]).await;
    let message = post_message(&app, &alice, room, "buy cheap essays at scam.example").await;
    let mid = id(&message);
    let flags_path = format!("/api/v1/chat/messages/{mid}/flags");

    let flag = expect(
        app.post_as(
            &flags_path,
            &bob,
            &json!({"reason": "spam", "note": "advertising"}),
        )
        .await,
        201,
    )
    .await;
    let flag_id = uuid_of(&flag["id"]);
    assert_eq!(flag["state"], "open");
    assert_eq!(flag["target_type"], "chat_message");
    assert_eq!(flag["target_id"], mid.as_str());
    assert_eq!(
        flag["scope_type"], "global",
        "a group room is the platform's"
    );
    // Once per reporter; a reason from the list.
    assert_problem(
        app.post_as(&flags_path, &bob, &json!({"reason": "spam"}))
            .await,
        409,
        "already_flagged",
    )
    .await;
    assert_problem(
        app.post_as(&flags_path, &carol, &json!({"reason": "i_dont_like_it"}))
            .await,
        422,
        "validation_failed",
    )
    .await;
    let second = expect(
        app.post_as(&flags_path, &carol, &json!({"reason": "inappropriate"}))
            .await,
        201,
    )
    .await;

    // Members neither see the queue nor resolve (the flag does not exist for them).
    assert_problem(
        app.get_as("/api/v1/moderation/flags", &alice).await,
        403,
        "forbidden",
    )
    .await;
    assert_problem(
        app.post_as(
            &format!("/api/v1/moderation/flags/{flag_id}/resolve"),
            &alice,
            &json!({"action": "dismiss"}),
        )
        .await,
        404,
        "not_found",
    )
    .await;

    let queue = expect(
        app.get_as("/api/v1/moderation/flags?state=open", &moderator)
            .await,
        200,
    )
    .await;
    let queue = items(&queue);
    assert_eq!(
        ids_of(&queue),
        vec![flag_id, uuid_of(&second["id"])],
        "{queue:?}"
    );
    assert_eq!(queue[0]["reason"], "spam");
    assert_eq!(queue[0]["reporter_id"], bob.id.to_string());

    let resolved = expect(
        app.post_as(
            &format!("/api/v1/moderation/flags/{flag_id}/resolve"),
            &moderator,
            &json!({"action": "hide", "note": "spam link"}),
        )
        .await,
        200,
    )
    .await;
    assert_eq!(resolved["state"], "resolved");
    assert_eq!(resolved["resolution"], "hide");
    assert_eq!(resolved["moderator_id"], moderator.id.to_string());
    // Every open flag on the message is closed with it.
    let open = expect(
        app.get_as("/api/v1/moderation/flags?state=open", &moderator)
            .await,
        200,
    )
    .await;
    assert!(items(&open).is_empty(), "{open}");
    let done = expect(
        app.get_as("/api/v1/moderation/flags?state=resolved", &moderator)
            .await,
        200,
    )
    .await;
    assert_eq!(ids_of(&items(&done)), vec![flag_id, uuid_of(&second["id"])]);

    // The text is gone for members, the place stays.
    let page = history(&app, &bob, room, "").await;
    assert!(!page.to_string().contains("scam.example"), "{page}");
    assert_eq!(ids_of(&items(&page)), vec![uuid_of(&message["id"])]);
    let seen = message_as(&app, &bob, &mid).await;
    assert_eq!(seen["body"], "", "{seen}");
    assert_eq!(seen["body_html"], "", "{seen}");
    let found = expect(
        app.get_as(&format!("/api/v1/chat/rooms/{room}/search?q=essays"), &bob)
            .await,
        200,
    )
    .await;
    assert!(items(&found).is_empty(), "{found}");
    // Resolved once.
    assert_problem(
        app.post_as(
            &format!("/api/v1/moderation/flags/{flag_id}/resolve"),
            &moderator,
            &json!({"action": "dismiss"}),
        )
        .await,
        409,
        "flag_resolved",
    )
    .await;
}

#[tokio::test]
async fn an_api_key_without_chat_use_cannot_write_to_chat() {
    let app = TestApp::spawn().await;
    let alice = app.signup("alice@example.com").await;
    let bob = app.signup("bob@example.com").await;
    let room = group_room(&app, &alice, "Study group", &[&bob]).await;
    let reader = create_key(&app, &alice, &["course:read"]).await;
    let path = format!("/api/v1/chat/rooms/{room}/messages");
    let body = json!({"body": "from a script"});

    assert_problem(
        with_key(&app, Method::POST, &path, &reader, Some(&body)).await,
        403,
        "forbidden",
    )
    .await;
    assert_problem(
        with_key(
            &app,
            Method::POST,
            "/api/v1/chat/rooms",
            &reader,
            Some(&json!({"kind": "direct", "member_ids": [bob.id]})),
        )
        .await,
        403,
        "forbidden",
    )
    .await;
    assert_eq!(
        app.count("SELECT count(*) AS n FROM chat_messages").await,
        0
    );

    let chatter = create_key(&app, &alice, &["chat:use"]).await;
    let resp = with_key(&app, Method::POST, &path, &chatter, Some(&body)).await;
    let message = expect(resp, 201).await;
    assert_eq!(message["author_id"], alice.id.to_string());
}

#[tokio::test]
async fn a_retried_send_with_the_same_idempotency_key_posts_once() {
    let app = TestApp::spawn().await;
    let alice = app.signup("alice@example.com").await;
    let bob = app.signup("bob@example.com").await;
    let room = group_room(&app, &alice, "Study group", &[&bob]).await;
    let path = format!("/api/v1/chat/rooms/{room}/messages");
    let send = |body: &'static str, key: &'static str| {
        app.client
            .post(app.url(&path))
            .bearer_auth(&alice.access_token)
            .header("Idempotency-Key", key)
            .json(&json!({"body": body}))
            .send()
    };
    let first = send("once", "key-1").await.expect("sent");
    assert_eq!(first.status(), 201);
    let first: Value = first.json().await.unwrap();
    let again = send("once", "key-1").await.expect("sent");
    assert_eq!(again.status(), 201);
    let again: Value = again.json().await.unwrap();
    assert_eq!(
        first["id"], again["id"],
        "the retry answers the first message"
    );
    assert_eq!(
        app.count("SELECT count(*) AS n FROM chat_messages").await,
        1
    );
    // The same key with another body is a different request.
    assert_problem(
        send("twice", "key-1").await.expect("sent"),
        409,
        "idempotency_key_reused",
    )
    .await;
    assert_eq!(
        app.count("SELECT count(*) AS n FROM chat_messages").await,
        1
    );
}

#[tokio::test]
async fn feed_limits_and_poll_timeouts_outside_their_range_are_refused() {
    let app = TestApp::spawn().await;
    let alice = app.signup("alice@example.com").await;
    let bob = app.signup("bob@example.com").await;
    let room = group_room(&app, &alice, "Study group", &[&bob]).await;
    for path in [
        format!("/api/v1/chat/rooms/{room}/messages?limit=101"),
        format!("/api/v1/chat/rooms/{room}/messages?limit=0"),
        format!("/api/v1/chat/rooms/{room}/search?q=x&limit=500"),
        "/api/v1/chat/rooms?limit=1000".to_owned(),
        "/api/v1/events?timeout=61".to_owned(),
        "/api/v1/events?after=-1&timeout=0".to_owned(),
        "/api/v1/events?limit=501&timeout=0".to_owned(),
    ] {
        assert_problem(app.get_as(&path, &alice).await, 422, "validation_failed").await;
    }
    let ok = app
        .get_as(
            &format!("/api/v1/chat/rooms/{room}/messages?limit=100"),
            &alice,
        )
        .await;
    assert_eq!(ok.status(), 200);
}
