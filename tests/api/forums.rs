//! Forums from the outside (docs/forums.md): who sees a forum and who may post in it per
//! scope and rule, reply trees read in tree and flat order through stable cursors, Markdown
//! sanitized, revisions and soft deletion, split and merge, Q&A with accepted answers and
//! votes, reactions under concurrency, flags through the shared moderation queue (and
//! auto-hiding), locks, pins, bans, the limits on new accounts, search, similar titles,
//! lesson links, stream events for watchers and mentions, and refused input.

use std::collections::HashSet;
use std::time::Duration;

use futures_util::future::join_all;
use reqwest::{Method, Response};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::helpers::lms::{
    Course, Staff, add_module, complete, enroll, published_course_with_lessons, staff, text_lesson,
};
use crate::helpers::users::TestUser;
use crate::helpers::ws::{WAIT, Ws, expect, uuid_of};
use crate::helpers::{TestApp, assert_problem};

// ------------------------------------------------------------------ helpers

fn id(v: &Value) -> Uuid {
    uuid_of(&v["id"])
}

/// The list of a list answer: a bare array or `{items: [...]}`.
fn items(v: &Value) -> Vec<Value> {
    v.as_array()
        .or_else(|| v["items"].as_array())
        .unwrap_or_else(|| panic!("a list, got {v}"))
        .clone()
}

fn ids_of(list: &[Value]) -> Vec<Uuid> {
    list.iter().map(id).collect()
}

/// Asserts a 2xx status (showing the body otherwise) and returns the JSON body (`Null` when
/// empty): for answers whose exact success status the contract leaves open.
async fn expect_ok(resp: Response) -> Value {
    let got = resp.status();
    let path = resp.url().path().to_owned();
    let text = resp.text().await.expect("a body");
    assert!(got.is_success(), "{path}: {got} {text}");
    if text.is_empty() {
        Value::Null
    } else {
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("{path}: not JSON ({e}): {text}"))
    }
}

async fn put(app: &TestApp, path: &str, user: &TestUser, body: Option<&Value>) -> Response {
    app.call(Method::PUT, path, &user.access_token, body).await
}

/// `POST /forums`; asserts 201 and returns the forum.
async fn create_forum(app: &TestApp, who: &TestUser, body: Value) -> Value {
    expect(app.post_as("/api/v1/forums", who, &body).await, 201).await
}

/// A site-wide forum created by `admin`; its id.
async fn global_forum(app: &TestApp, admin: &TestUser, name: &str) -> Uuid {
    id(&create_forum(app, admin, json!({"scope_type": "global", "name": name})).await)
}

async fn start_thread_resp(app: &TestApp, who: &TestUser, forum: Uuid, body: &Value) -> Response {
    app.post_as(&format!("/api/v1/forums/{forum}/threads"), who, body)
        .await
}

/// `POST /forums/{id}/threads` (a discussion); asserts 201 and returns the thread.
async fn start_thread(
    app: &TestApp,
    who: &TestUser,
    forum: Uuid,
    title: &str,
    body: &str,
) -> Value {
    start_thread_with(app, who, forum, json!({"title": title, "body": body})).await
}

async fn start_thread_with(app: &TestApp, who: &TestUser, forum: Uuid, body: Value) -> Value {
    expect(start_thread_resp(app, who, forum, &body).await, 201).await
}

async fn reply_resp(
    app: &TestApp,
    who: &TestUser,
    thread: Uuid,
    parent: Option<Uuid>,
    body: &str,
) -> Response {
    let mut req = json!({"body": body});
    if let Some(parent) = parent {
        req["parent_id"] = json!(parent);
    }
    app.post_as(&format!("/api/v1/forums/threads/{thread}/posts"), who, &req)
        .await
}

/// `POST /forums/threads/{id}/posts`; asserts 201 and returns the post.
async fn reply(
    app: &TestApp,
    who: &TestUser,
    thread: Uuid,
    parent: Option<Uuid>,
    body: &str,
) -> Value {
    expect(reply_resp(app, who, thread, parent, body).await, 201).await
}

async fn get_post(app: &TestApp, who: &TestUser, post: Uuid) -> Value {
    expect(
        app.get_as(&format!("/api/v1/forums/posts/{post}"), who)
            .await,
        200,
    )
    .await
}

async fn get_thread(app: &TestApp, who: &TestUser, thread: Uuid) -> Value {
    expect(
        app.get_as(&format!("/api/v1/forums/threads/{thread}"), who)
            .await,
        200,
    )
    .await
}

/// The ids of a forum's threads, in list order.
async fn thread_list(app: &TestApp, who: &TestUser, forum: Uuid) -> Vec<Uuid> {
    let page = expect(
        app.get_as(&format!("/api/v1/forums/{forum}/threads"), who)
            .await,
        200,
    )
    .await;
    ids_of(&items(&page))
}

async fn get_forum(app: &TestApp, who: &TestUser, forum: Uuid) -> Value {
    expect(
        app.get_as(&format!("/api/v1/forums/{forum}"), who).await,
        200,
    )
    .await
}

/// One page of a thread's posts.
async fn posts_page(app: &TestApp, who: &TestUser, thread: Uuid, query: &str) -> Value {
    expect(
        app.get_as(
            &format!("/api/v1/forums/threads/{thread}/posts?{query}"),
            who,
        )
        .await,
        200,
    )
    .await
}

/// Follows `next_cursor` from `cursor` to the end; the pages read.
async fn pages_from(
    app: &TestApp,
    who: &TestUser,
    thread: Uuid,
    order: &str,
    limit: usize,
    mut cursor: Option<String>,
) -> Vec<Vec<Value>> {
    let mut pages = Vec::new();
    for _ in 0..100 {
        let mut query = format!("order={order}&limit={limit}");
        if let Some(c) = &cursor {
            query.push_str(&format!("&cursor={}", urlencode(c)));
        }
        let page = posts_page(app, who, thread, &query).await;
        let list = items(&page);
        assert!(list.len() <= limit, "a page holds at most {limit}: {page}");
        pages.push(list);
        match page["next_cursor"].as_str() {
            Some(next) => cursor = Some(next.to_owned()),
            None => {
                assert!(page["next_cursor"].is_null(), "{page}");
                return pages;
            }
        }
    }
    panic!("more than 100 pages");
}

/// All of a thread's posts in one read.
async fn all_posts(app: &TestApp, who: &TestUser, thread: Uuid, order: &str) -> Vec<Value> {
    let page = posts_page(app, who, thread, &format!("order={order}&limit=100")).await;
    assert!(page["next_cursor"].is_null(), "one page: {page}");
    items(&page)
}

fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// A published course of `lessons` lessons (owner: a global instructor), a forum of it made
/// by the owner, and an enrolled learner.
struct CourseForum {
    staff: Staff,
    course: Course,
    forum: Uuid,
    learner: TestUser,
}

async fn course_forum(app: &TestApp, lessons: usize) -> CourseForum {
    let staff = staff(app).await;
    let course = published_course_with_lessons(app, &staff, "Cell Biology", lessons, None).await;
    let forum = id(&create_forum(
        app,
        &staff.owner,
        json!({"scope_type": "course", "scope_id": course.id, "name": "Cell Biology Q&A"}),
    )
    .await);
    let learner = app.signup("learner@example.com").await;
    enroll(app, &learner, course.id).await;
    CourseForum {
        staff,
        course,
        forum,
        learner,
    }
}

/// Search as `who`; asserts 200 and returns the page.
async fn search(app: &TestApp, who: &TestUser, query: &str) -> Value {
    expect(
        app.get_as(&format!("/api/v1/forums/search?{query}"), who)
            .await,
        200,
    )
    .await
}

fn hit_posts(page: &Value) -> Vec<Uuid> {
    items(page).iter().map(|h| uuid_of(&h["post_id"])).collect()
}

/// Reads the stream until the next event whose kind starts with `forum_`.
async fn next_forum_event(ws: &mut Ws) -> Value {
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        let left = deadline.saturating_duration_since(tokio::time::Instant::now());
        let event = ws.next_event(left).await;
        if event["kind"]
            .as_str()
            .is_some_and(|k| k.starts_with("forum_"))
        {
            return event;
        }
    }
}

// ------------------------------------------------------------------ the reply tree

/// A thread whose replies form a tree four levels deep with several branches, written out of
/// tree order:
///
/// ```text
/// R
/// ├─ A
/// │  ├─ A1
/// │  │  ├─ A1a
/// │  │  │  └─ A1a1
/// │  │  └─ A1b
/// │  └─ A2
/// ├─ B
/// │  └─ B1
/// └─ C
/// ```
struct Tree {
    thread: Uuid,
    posts: Vec<(&'static str, Uuid)>,
}

impl Tree {
    fn get(&self, name: &str) -> Uuid {
        self.posts
            .iter()
            .find(|(n, _)| *n == name)
            .unwrap_or_else(|| panic!("no post {name}"))
            .1
    }

    fn ids(&self, names: &[&str]) -> Vec<Uuid> {
        names.iter().map(|n| self.get(n)).collect()
    }

    fn name_of(&self, post: Uuid) -> &'static str {
        self.posts
            .iter()
            .find(|(_, id)| *id == post)
            .map(|(n, _)| *n)
            .unwrap_or("<new>")
    }

    fn names(&self, list: &[Value]) -> Vec<&'static str> {
        list.iter().map(|p| self.name_of(id(p))).collect()
    }
}

/// Creation order, with each reply's parent (`R`: the root; `None`: no `parent_id` sent).
const TREE_STEPS: [(&str, Option<&str>); 9] = [
    ("A", None),
    ("B", Some("R")),
    ("A1", Some("A")),
    ("C", None),
    ("B1", Some("B")),
    ("A2", Some("A")),
    ("A1a", Some("A1")),
    ("A1b", Some("A1")),
    ("A1a1", Some("A1a")),
];
/// Tree order: (name, parent, depth, child_count).
const TREE_ORDER: [(&str, Option<&str>, i64, i64); 10] = [
    ("R", None, 0, 3),
    ("A", Some("R"), 1, 2),
    ("A1", Some("A"), 2, 2),
    ("A1a", Some("A1"), 3, 1),
    ("A1a1", Some("A1a"), 4, 0),
    ("A1b", Some("A1"), 3, 0),
    ("A2", Some("A"), 2, 0),
    ("B", Some("R"), 1, 1),
    ("B1", Some("B"), 2, 0),
    ("C", Some("R"), 1, 0),
];
const FLAT_ORDER: [&str; 10] = ["R", "A", "B", "A1", "C", "B1", "A2", "A1a", "A1b", "A1a1"];

async fn build_tree(app: &TestApp, writers: &[&TestUser], forum: Uuid) -> Tree {
    let thread = start_thread(app, writers[0], forum, "Trees of replies", "The root").await;
    let mut tree = Tree {
        thread: id(&thread),
        posts: vec![("R", uuid_of(&thread["root_post_id"]))],
    };
    for (i, (name, parent)) in TREE_STEPS.iter().enumerate() {
        let parent = parent.map(|p| tree.get(p));
        let who = writers[(i + 1) % writers.len()];
        let post = reply(app, who, tree.thread, parent, &format!("Post {name}")).await;
        assert_eq!(post["thread_id"], tree.thread.to_string());
        tree.posts.push((name, id(&post)));
    }
    tree
}

#[tokio::test]
async fn a_reply_tree_reads_in_tree_and_flat_order_through_small_pages() {
    // Arrange
    let app = TestApp::spawn().await;
    let admin = app.signup_with_role("admin@example.com", "admin").await;
    let alice = app.signup("alice@example.com").await;
    let bob = app.signup("bob@example.com").await;
    let carol = app.signup("carol@example.com").await;
    let forum = global_forum(&app, &admin, "General").await;
    let tree = build_tree(&app, &[&alice, &bob, &carol], forum).await;

    // Act
    let full_tree = all_posts(&app, &bob, tree.thread, "tree").await;
    let tree_pages = pages_from(&app, &bob, tree.thread, "tree", 3, None).await;
    let full_flat = all_posts(&app, &bob, tree.thread, "flat").await;
    let flat_pages = pages_from(&app, &bob, tree.thread, "flat", 3, None).await;
    let default_order = posts_page(&app, &bob, tree.thread, "limit=100").await;

    // Assert: depth-first, children oldest first, with depth, parent and child count.
    let expected: Vec<&str> = TREE_ORDER.iter().map(|(n, ..)| *n).collect();
    assert_eq!(tree.names(&full_tree), expected);
    for (post, (name, parent, depth, children)) in full_tree.iter().zip(TREE_ORDER) {
        assert_eq!(post["depth"], depth, "depth of {name}: {post}");
        assert_eq!(post["child_count"], children, "children of {name}: {post}");
        match parent {
            None => assert!(post["parent_id"].is_null(), "{post}"),
            Some(p) => assert_eq!(post["parent_id"], tree.get(p).to_string(), "{post}"),
        }
        assert_eq!(
            post["body"],
            format!("Post {name}").replace("Post R", "The root")
        );
        assert_eq!(post["deleted"], false);
    }
    assert_eq!(
        ids_of(&items(&default_order)),
        ids_of(&full_tree),
        "tree by default"
    );
    // Pages of 3: 3, 3, 3, 1, concatenated the same.
    let sizes: Vec<usize> = tree_pages.iter().map(Vec::len).collect();
    assert_eq!(sizes, vec![3, 3, 3, 1]);
    let concatenated: Vec<Value> = tree_pages.concat();
    assert_eq!(ids_of(&concatenated), ids_of(&full_tree));

    // Flat: by creation time, numbered in that order.
    assert_eq!(tree.names(&full_flat), FLAT_ORDER.to_vec());
    let numbers: Vec<i64> = full_flat
        .iter()
        .map(|p| p["number"].as_i64().unwrap())
        .collect();
    assert!(numbers.windows(2).all(|w| w[0] < w[1]), "{numbers:?}");
    let sizes: Vec<usize> = flat_pages.iter().map(Vec::len).collect();
    assert_eq!(sizes, vec![3, 3, 3, 1]);
    assert_eq!(ids_of(&flat_pages.concat()), ids_of(&full_flat));

    // The limit is 1 to 100.
    for limit in ["0", "101"] {
        assert_problem(
            app.get_as(
                &format!("/api/v1/forums/threads/{}/posts?limit={limit}", tree.thread),
                &bob,
            )
            .await,
            422,
            "validation_failed",
        )
        .await;
    }
}

#[tokio::test]
async fn new_posts_never_shift_or_repeat_the_pages_still_to_read() {
    // Arrange: a tree, and its first two pages of three read (R A A1 | A1a A1a1 A1b).
    let app = TestApp::spawn().await;
    let admin = app.signup_with_role("admin@example.com", "admin").await;
    let alice = app.signup("alice@example.com").await;
    let bob = app.signup("bob@example.com").await;
    let forum = global_forum(&app, &admin, "General").await;
    let tree = build_tree(&app, &[&alice, &bob], forum).await;
    let first = posts_page(&app, &bob, tree.thread, "order=tree&limit=3").await;
    let cursor = first["next_cursor"].as_str().unwrap().to_owned();
    let second = posts_page(
        &app,
        &bob,
        tree.thread,
        &format!("order=tree&limit=3&cursor={}", urlencode(&cursor)),
    )
    .await;
    let read: Vec<Value> = [items(&first), items(&second)].concat();
    assert_eq!(
        tree.names(&read),
        vec!["R", "A", "A1", "A1a", "A1a1", "A1b"]
    );
    let cursor = second["next_cursor"].as_str().unwrap().to_owned();
    let flat_first = posts_page(&app, &bob, tree.thread, "order=flat&limit=4").await;
    let flat_cursor = flat_first["next_cursor"].as_str().unwrap().to_owned();

    // Act: replies under posts already read (before the cursor in the tree) and after it.
    let before_1 = reply(
        &app,
        &alice,
        tree.thread,
        Some(tree.get("A1a1")),
        "late, deep",
    )
    .await;
    let before_2 = reply(
        &app,
        &alice,
        tree.thread,
        Some(tree.get("A1a")),
        "late, under A1a",
    )
    .await;
    let after_1 = reply(
        &app,
        &alice,
        tree.thread,
        Some(tree.get("A")),
        "late, under A",
    )
    .await;
    let after_2 = reply(
        &app,
        &alice,
        tree.thread,
        Some(tree.get("B1")),
        "late, under B1",
    )
    .await;
    let after_3 = reply(&app, &alice, tree.thread, None, "late, under the root").await;
    let rest = pages_from(&app, &bob, tree.thread, "tree", 3, Some(cursor)).await;
    let flat_rest = pages_from(&app, &bob, tree.thread, "flat", 3, Some(flat_cursor)).await;

    // Assert: the old posts not read yet, each once, in order; the new ones after the cursor
    // in their places; the new ones before it not at all.
    let rest: Vec<Uuid> = ids_of(&rest.concat());
    let expected = vec![
        tree.get("A2"),
        id(&after_1),
        tree.get("B"),
        tree.get("B1"),
        id(&after_2),
        tree.get("C"),
        id(&after_3),
    ];
    assert_eq!(rest, expected);
    for before in [&before_1, &before_2] {
        assert!(!rest.contains(&id(before)), "{before}");
    }
    let everything: Vec<Uuid> = ids_of(&read).into_iter().chain(rest).collect();
    let unique: HashSet<&Uuid> = everything.iter().collect();
    assert_eq!(unique.len(), everything.len(), "no post repeated");
    for (name, post) in &tree.posts {
        assert!(everything.contains(post), "{name} skipped");
    }
    // The full read places the early ones where they belong.
    let full = ids_of(&all_posts(&app, &bob, tree.thread, "tree").await);
    let at = |p: Uuid| full.iter().position(|x| *x == p).unwrap();
    assert_eq!(at(id(&before_1)), at(tree.get("A1a1")) + 1);
    assert_eq!(at(id(&before_2)), at(id(&before_1)) + 1);

    // Flat: the rest of the old posts once and in order, then the new ones.
    let flat_rest = ids_of(&flat_rest.concat());
    let mut expected: Vec<Uuid> = tree.ids(&FLAT_ORDER[4..]);
    expected.extend(
        [&before_1, &before_2, &after_1, &after_2, &after_3]
            .iter()
            .map(|p| id(p)),
    );
    assert_eq!(flat_rest, expected);
}

// ------------------------------------------------------------------ visibility and rules

#[tokio::test]
async fn a_course_forum_is_for_its_learners_and_staff_and_rules_decide_who_posts() {
    // Arrange
    let app = TestApp::spawn().await;
    let CourseForum {
        staff,
        course,
        forum,
        learner,
    } = course_forum(&app, 1).await;
    let instructor = &staff.owner;
    let outsider = app.signup("outsider@example.com").await;
    let thread = start_thread(&app, &learner, forum, "Mitosis", "How many phases?").await;
    let thread_id = id(&thread);
    let root = uuid_of(&thread["root_post_id"]);
    let answer = reply(&app, instructor, thread_id, None, "Four, plus interphase.").await;

    // Assert: the outsider gets 404 everywhere and finds nothing in lists.
    for path in [
        format!("/api/v1/forums/{forum}"),
        format!("/api/v1/forums/{forum}/threads"),
        format!("/api/v1/forums/threads/{thread_id}"),
        format!("/api/v1/forums/threads/{thread_id}/posts"),
        format!("/api/v1/forums/posts/{root}"),
        format!("/api/v1/forums/posts/{}", id(&answer)),
    ] {
        assert_problem(app.get_as(&path, &outsider).await, 404, "not_found").await;
    }
    assert_problem(
        start_thread_resp(
            &app,
            &outsider,
            forum,
            &json!({"title": "Hi", "body": "Me too"}),
        )
        .await,
        404,
        "not_found",
    )
    .await;
    assert_problem(
        reply_resp(&app, &outsider, thread_id, None, "Let me in").await,
        404,
        "not_found",
    )
    .await;
    // Nothing in the forum answers the outsider otherwise, reads or writes, and nothing is stored.
    let post = id(&answer);
    let calls: Vec<(Method, String, Option<Value>)> = vec![
        (
            Method::GET,
            format!("/api/v1/forums/posts/{post}/revisions"),
            None,
        ),
        (
            Method::GET,
            format!("/api/v1/forums/{forum}/similar?title=Mitosis"),
            None,
        ),
        (Method::GET, format!("/api/v1/forums/{forum}/bans"), None),
        (
            Method::PUT,
            format!("/api/v1/forums/{forum}/subscription"),
            Some(json!({"level": "watching"})),
        ),
        (
            Method::PUT,
            format!("/api/v1/forums/threads/{thread_id}/subscription"),
            Some(json!({"level": "watching"})),
        ),
        (
            Method::PATCH,
            format!("/api/v1/forums/threads/{thread_id}"),
            Some(json!({"title": "Mine now"})),
        ),
        (
            Method::PUT,
            format!("/api/v1/forums/threads/{thread_id}/accepted-answer"),
            Some(json!({"post_id": post})),
        ),
        (
            Method::PATCH,
            format!("/api/v1/forums/posts/{post}"),
            Some(json!({"body": "Edited"})),
        ),
        (Method::DELETE, format!("/api/v1/forums/posts/{post}"), None),
        (
            Method::PUT,
            format!("/api/v1/forums/posts/{post}/reactions/heart"),
            None,
        ),
        (
            Method::PUT,
            format!("/api/v1/forums/posts/{post}/vote"),
            Some(json!({"value": 1})),
        ),
        (
            Method::POST,
            format!("/api/v1/forums/posts/{post}/flags"),
            Some(json!({"reason": "spam"})),
        ),
    ];
    for (method, path, body) in calls {
        let resp = app
            .call(method, &path, &outsider.access_token, body.as_ref())
            .await;
        assert_problem(resp, 404, "not_found").await;
    }
    for table in [
        "forum_subscriptions",
        "forum_reactions",
        "forum_votes",
        "moderation_flags",
    ] {
        let n = app
            .count(&format!(
                "SELECT count(*) AS n FROM {table} WHERE {} = '{}'",
                if table == "moderation_flags" {
                    "reporter_id"
                } else {
                    "user_id"
                },
                outsider.id
            ))
            .await;
        assert_eq!(n, 0, "{table} got a row of the outsider's");
    }
    assert_eq!(
        get_post(&app, &learner, post).await["body"],
        "Four, plus interphase."
    );
    let theirs = expect(app.get_as("/api/v1/forums", &outsider).await, 200).await;
    assert!(!ids_of(&items(&theirs)).contains(&forum), "{theirs}");
    let filtered = expect(
        app.get_as(
            &format!("/api/v1/forums?scope_type=course&scope_id={}", course.id),
            &outsider,
        )
        .await,
        200,
    )
    .await;
    assert!(items(&filtered).is_empty(), "{filtered}");

    // The learner and the instructor see all of it.
    for who in [&learner, instructor] {
        let seen = get_forum(&app, who, forum).await;
        assert_eq!(seen["scope_type"], "course");
        assert_eq!(seen["scope_id"], course.id.to_string());
        assert_eq!(seen["can_start_threads"], true);
        assert_eq!(seen["can_reply"], true);
        assert_eq!(get_thread(&app, who, thread_id).await["title"], "Mitosis");
        assert_eq!(get_post(&app, who, root).await["body"], "How many phases?");
        let posts = all_posts(&app, who, thread_id, "tree").await;
        assert_eq!(ids_of(&posts), vec![root, id(&answer)]);
        let listed = expect(
            app.get_as(
                &format!("/api/v1/forums?scope_type=course&scope_id={}", course.id),
                who,
            )
            .await,
            200,
        )
        .await;
        assert_eq!(ids_of(&items(&listed)), vec![forum]);
    }

    // Staff-only threads: the learner is refused, may still reply; staff start threads.
    expect_ok(
        app.patch_as(
            &format!("/api/v1/forums/{forum}"),
            instructor,
            &json!({"start_rule": "staff"}),
        )
        .await,
    )
    .await;
    let seen = get_forum(&app, &learner, forum).await;
    assert_eq!(seen["start_rule"], "staff");
    assert_eq!(seen["can_start_threads"], false);
    assert_eq!(seen["can_reply"], true);
    assert_problem(
        start_thread_resp(
            &app,
            &learner,
            forum,
            &json!({"title": "Q", "body": "Mine"}),
        )
        .await,
        403,
        "posting_restricted",
    )
    .await;
    start_thread(&app, instructor, forum, "Announcements", "Exam on Friday").await;
    reply(&app, &learner, thread_id, None, "Thanks!").await;

    // Staff-only replies.
    expect_ok(
        app.patch_as(
            &format!("/api/v1/forums/{forum}"),
            instructor,
            &json!({"reply_rule": "staff"}),
        )
        .await,
    )
    .await;
    assert_eq!(get_forum(&app, &learner, forum).await["can_reply"], false);
    assert_problem(
        reply_resp(&app, &learner, thread_id, None, "One more thing").await,
        403,
        "posting_restricted",
    )
    .await;
    reply(&app, instructor, thread_id, None, "Staff note").await;

    // Read-only: nobody posts, staff included.
    expect_ok(
        app.patch_as(
            &format!("/api/v1/forums/{forum}"),
            instructor,
            &json!({"start_rule": "nobody", "reply_rule": "nobody"}),
        )
        .await,
    )
    .await;
    for who in [&learner, instructor] {
        assert_problem(
            start_thread_resp(&app, who, forum, &json!({"title": "Q", "body": "Text"})).await,
            403,
            "posting_restricted",
        )
        .await;
        assert_problem(
            reply_resp(&app, who, thread_id, None, "Text").await,
            403,
            "posting_restricted",
        )
        .await;
    }
    let posts = app
        .count(&format!(
            "SELECT count(*) AS n FROM forum_posts WHERE thread_id = '{thread_id}'"
        ))
        .await;
    assert_eq!(posts, 4, "root, answer, thanks, staff note");

    // Managing forums is for staff: a learner neither updates nor creates one.
    assert_problem(
        app.patch_as(
            &format!("/api/v1/forums/{forum}"),
            &learner,
            &json!({"name": "Mine"}),
        )
        .await,
        403,
        "forbidden",
    )
    .await;
    for body in [
        json!({"scope_type": "global", "name": "Student lounge"}),
        json!({"scope_type": "course", "scope_id": course.id, "name": "Side room"}),
    ] {
        assert_problem(
            app.post_as("/api/v1/forums", &learner, &body).await,
            403,
            "forbidden",
        )
        .await;
    }
    assert_eq!(app.count("SELECT count(*) AS n FROM forums").await, 1);

    // Dropping the course ends the access.
    let enrollment: Value =
        items(&expect(app.get_as("/api/v1/me/enrollments", &learner).await, 200).await)[0].clone();
    expect_ok(
        app.delete_as(
            &format!("/api/v1/enrollments/{}", enrollment["id"].as_str().unwrap()),
            &learner,
        )
        .await,
    )
    .await;
    assert_problem(
        app.get_as(&format!("/api/v1/forums/threads/{thread_id}"), &learner)
            .await,
        404,
        "not_found",
    )
    .await;
}

#[tokio::test]
async fn an_organization_forum_is_for_its_members() {
    // Arrange
    let app = TestApp::spawn().await;
    let head = app.signup("head@example.com").await;
    let teacher = app.signup("teacher@example.com").await;
    let stranger = app.signup("stranger@example.com").await;
    let org = expect(
        app.post_as(
            "/api/v1/organizations",
            &head,
            &json!({"name": "Soweto Science Academy"}),
        )
        .await,
        201,
    )
    .await;
    let org_id = id(&org);
    expect(
        app.post_as(
            &format!("/api/v1/organizations/{org_id}/members"),
            &head,
            &json!({"user_id": teacher.id}),
        )
        .await,
        201,
    )
    .await;

    // Act: the organization's admin makes a forum; a member starts a thread.
    let forum = id(&create_forum(
        &app,
        &head,
        json!({"scope_type": "organization", "scope_id": org_id, "name": "Staff room"}),
    )
    .await);
    let thread = start_thread(&app, &teacher, forum, "Timetables", "Draft attached").await;

    // Assert
    assert_eq!(
        get_forum(&app, &teacher, forum).await["scope_id"],
        org_id.to_string()
    );
    assert_eq!(
        get_thread(&app, &head, id(&thread)).await["author_id"],
        teacher.id.to_string()
    );
    for path in [
        format!("/api/v1/forums/{forum}"),
        format!("/api/v1/forums/threads/{}", id(&thread)),
        format!(
            "/api/v1/forums/posts/{}",
            thread["root_post_id"].as_str().unwrap()
        ),
    ] {
        assert_problem(app.get_as(&path, &stranger).await, 404, "not_found").await;
    }
    assert_problem(
        reply_resp(&app, &stranger, id(&thread), None, "Hello?").await,
        404,
        "not_found",
    )
    .await;
    // A plain member does not manage the organization's forums.
    assert_problem(
        app.post_as(
            "/api/v1/forums",
            &teacher,
            &json!({"scope_type": "organization", "scope_id": org_id, "name": "Mine"}),
        )
        .await,
        403,
        "forbidden",
    )
    .await;
}

// ------------------------------------------------------------------ rendering and editing

#[tokio::test]
async fn markdown_is_sanitized_in_posts_and_edits() {
    // Arrange
    let app = TestApp::spawn().await;
    let admin = app.signup_with_role("admin@example.com", "admin").await;
    let alice = app.signup("alice@example.com").await;
    let bob = app.signup("bob@example.com").await;
    let forum = global_forum(&app, &admin, "General").await;
    let attacks = [
        "<script>alert('x')</script> after the script",
        "[x](javascript:alert(1))",
        "<img src=x onerror=alert(1)>",
        "<a href=\"data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==\">click</a>",
        "<a href=\"JaVaScRiPt:alert(1)\">caps</a> <p onclick=\"x()\" style=\"color:red\">p</p>",
    ];

    // Act
    let thread = start_thread(
        &app,
        &alice,
        forum,
        "Formatting",
        &format!("**bold** and `code`\n\n{}", attacks[0]),
    )
    .await;
    let mut posts = vec![get_post(&app, &bob, uuid_of(&thread["root_post_id"])).await];
    for attack in &attacks[1..] {
        posts.push(reply(&app, &alice, id(&thread), None, attack).await);
    }
    let last = id(posts.last().unwrap());
    let edited = expect_ok(
        app.patch_as(
            &format!("/api/v1/forums/posts/{last}"),
            &alice,
            &json!({"body": "edited <script>steal()</script> [y](javascript:void(0))"}),
        )
        .await,
    )
    .await;
    let reread = all_posts(&app, &bob, id(&thread), "flat").await;

    // Assert
    assert!(
        posts[0]["body_html"]
            .as_str()
            .unwrap()
            .contains("<strong>bold</strong>"),
        "{}",
        posts[0]
    );
    assert_eq!(
        posts[1]["body"], attacks[1],
        "the source is kept as written"
    );
    let mut htmls: Vec<String> = posts
        .iter()
        .chain(reread.iter())
        .chain([&edited, &get_post(&app, &bob, last).await])
        .map(|p| p["body_html"].as_str().unwrap().to_owned())
        .collect();
    htmls.retain(|h| !h.is_empty());
    assert_eq!(htmls.len(), 2 * attacks.len() + 2);
    for html in htmls {
        let lower = html.to_lowercase();
        for bad in ["<script", "javascript:", "onerror", "onclick", "data:"] {
            assert!(!lower.contains(bad), "{bad} in {html}");
        }
    }
}

#[tokio::test]
async fn edits_keep_revisions_and_deletion_leaves_a_placeholder_in_the_tree() {
    // Arrange
    let app = TestApp::spawn().await;
    let admin = app.signup_with_role("admin@example.com", "admin").await;
    let alice = app.signup("alice@example.com").await;
    let bob = app.signup("bob@example.com").await;
    let forum = global_forum(&app, &admin, "General").await;
    let thread = start_thread(&app, &bob, forum, "Drafts", "Opening").await;
    let thread_id = id(&thread);
    let post = reply(&app, &alice, thread_id, None, "first text").await;
    let post_id = id(&post);
    let child = reply(&app, &bob, thread_id, Some(post_id), "a reply to alice").await;
    let grandchild = reply(&app, &alice, thread_id, Some(id(&child)), "and back").await;
    assert!(post["edited_at"].is_null());

    // Act: two edits by the author, one refused edit by someone else.
    let second = expect_ok(
        app.patch_as(
            &format!("/api/v1/forums/posts/{post_id}"),
            &alice,
            &json!({"body": "second *text*"}),
        )
        .await,
    )
    .await;
    expect_ok(
        app.patch_as(
            &format!("/api/v1/forums/posts/{post_id}"),
            &alice,
            &json!({"body": "third text"}),
        )
        .await,
    )
    .await;
    let refused = app
        .patch_as(
            &format!("/api/v1/forums/posts/{post_id}"),
            &bob,
            &json!({"body": "bob was here"}),
        )
        .await;

    // Assert
    assert_problem(refused, 403, "forbidden").await;
    assert_eq!(second["body"], "second *text*");
    assert!(
        second["body_html"]
            .as_str()
            .unwrap()
            .contains("<em>text</em>"),
        "{second}"
    );
    let now = get_post(&app, &bob, post_id).await;
    assert_eq!(now["body"], "third text");
    assert!(now["edited_at"].is_string(), "{now}");
    let revisions = expect(
        app.get_as(&format!("/api/v1/forums/posts/{post_id}/revisions"), &bob)
            .await,
        200,
    )
    .await;
    let earlier: Vec<Value> = items(&revisions)
        .iter()
        .map(|r| r["body"].clone())
        .collect();
    assert_eq!(
        earlier,
        vec![json!("first text"), json!("second *text*")],
        "oldest first: {revisions}"
    );
    assert_eq!(items(&revisions)[0]["edited_by"], alice.id.to_string());

    // Soft deletion: another member may not, the author may; the place and the children stay.
    assert_problem(
        app.delete_as(&format!("/api/v1/forums/posts/{post_id}"), &bob)
            .await,
        403,
        "forbidden",
    )
    .await;
    let deleted = app
        .delete_as(&format!("/api/v1/forums/posts/{post_id}"), &alice)
        .await;
    assert_eq!(deleted.status(), 204);
    let placeholder = get_post(&app, &bob, post_id).await;
    assert_eq!(placeholder["deleted"], true, "{placeholder}");
    assert_eq!(placeholder["body"], "");
    assert_eq!(placeholder["body_html"], "");
    let tree = all_posts(&app, &bob, thread_id, "tree").await;
    assert_eq!(
        ids_of(&tree),
        vec![
            uuid_of(&thread["root_post_id"]),
            post_id,
            id(&child),
            id(&grandchild)
        ]
    );
    assert_eq!(tree[1]["deleted"], true);
    assert_eq!(tree[1]["body"], "");
    assert_eq!(tree[1]["child_count"], 1);
    assert_eq!(tree[2]["depth"], 2);
    assert_eq!(tree[3]["body"], "and back");
    // The deleted text shows nowhere in the thread.
    assert!(!tree.iter().any(|p| p["body"] == "third text"));
    // Staff may edit someone else's post.
    let by_staff = expect_ok(
        app.patch_as(
            &format!("/api/v1/forums/posts/{}", id(&grandchild)),
            &admin,
            &json!({"body": "[removed link]"}),
        )
        .await,
    )
    .await;
    assert_eq!(by_staff["body"], "[removed link]");
}

// ------------------------------------------------------------------ split and merge

#[tokio::test]
async fn moderators_split_a_subtree_off_and_merge_threads() {
    // Arrange: R ─ A ─ A1 ─ A1a, R ─ B ─ B1, in a course forum.
    let app = TestApp::spawn().await;
    let CourseForum {
        staff,
        forum,
        learner,
        course,
    } = course_forum(&app, 1).await;
    let instructor = &staff.owner;
    let other = app.signup("other@example.com").await;
    enroll(&app, &other, course.id).await;
    let thread = start_thread(&app, &learner, forum, "Enzymes", "What are they?").await;
    let thread_id = id(&thread);
    let root = uuid_of(&thread["root_post_id"]);
    let a = id(&reply(&app, &other, thread_id, None, "Off topic: the exam?").await);
    let a1 = id(&reply(&app, &learner, thread_id, Some(a), "Friday").await);
    let a1a = id(&reply(&app, &other, thread_id, Some(a1), "Thanks").await);
    let b = id(&reply(&app, instructor, thread_id, None, "Catalysts.").await);
    let b1 = id(&reply(&app, &learner, thread_id, Some(b), "Got it").await);
    let count_before = get_thread(&app, &learner, thread_id).await["post_count"]
        .as_i64()
        .unwrap();

    // A learner may do neither.
    assert_problem(
        app.post_as(
            &format!("/api/v1/forums/posts/{a}/split"),
            &learner,
            &json!({"title": "Exam"}),
        )
        .await,
        403,
        "forbidden",
    )
    .await;

    // Act: the instructor splits A off.
    let split = expect_ok(
        app.post_as(
            &format!("/api/v1/forums/posts/{a}/split"),
            instructor,
            &json!({"title": "Exam dates"}),
        )
        .await,
    )
    .await;

    // Assert: the new thread is exactly the subtree, A its root, depths recomputed.
    let new_id = id(&split);
    assert_ne!(new_id, thread_id);
    let new_thread = get_thread(&app, &learner, new_id).await;
    assert_eq!(new_thread["title"], "Exam dates");
    assert_eq!(new_thread["forum_id"], forum.to_string());
    assert_eq!(new_thread["root_post_id"], a.to_string());
    let moved = all_posts(&app, &learner, new_id, "tree").await;
    assert_eq!(ids_of(&moved), vec![a, a1, a1a]);
    let depths: Vec<i64> = moved.iter().map(|p| p["depth"].as_i64().unwrap()).collect();
    assert_eq!(depths, vec![0, 1, 2]);
    assert!(moved[0]["parent_id"].is_null(), "{}", moved[0]);
    assert!(moved.iter().all(|p| p["thread_id"] == new_id.to_string()));
    let left = all_posts(&app, &learner, thread_id, "tree").await;
    assert_eq!(ids_of(&left), vec![root, b, b1]);
    assert_eq!(left[0]["child_count"], 1, "the root lost A");
    let count_after = get_thread(&app, &learner, thread_id).await["post_count"]
        .as_i64()
        .unwrap();
    assert_eq!(count_after, count_before - 3);
    assert_eq!(
        get_post(&app, &other, a1a).await["thread_id"],
        new_id.to_string()
    );
    // The root cannot be split off.
    assert_problem(
        app.post_as(
            &format!("/api/v1/forums/posts/{root}/split"),
            instructor,
            &json!({"title": "Everything"}),
        )
        .await,
        422,
        "validation_failed",
    )
    .await;

    // Merge: a learner may not; the platform admin merges the new thread back.
    assert_problem(
        app.post_as(
            &format!("/api/v1/forums/threads/{new_id}/merge"),
            &learner,
            &json!({"into_thread_id": thread_id}),
        )
        .await,
        403,
        "forbidden",
    )
    .await;
    expect_ok(
        app.post_as(
            &format!("/api/v1/forums/threads/{new_id}/merge"),
            &staff.admin,
            &json!({"into_thread_id": thread_id}),
        )
        .await,
    )
    .await;

    let merged = all_posts(&app, &learner, thread_id, "tree").await;
    let merged_ids: HashSet<Uuid> = ids_of(&merged).into_iter().collect();
    assert_eq!(merged_ids, HashSet::from([root, a, a1, a1a, b, b1]));
    assert_eq!(
        merged[0]["id"],
        root.to_string(),
        "the target's root stays first"
    );
    // Still a tree: each parent before its children, one level up.
    for (i, post) in merged.iter().enumerate() {
        if let Some(parent) = post["parent_id"].as_str() {
            let at = merged[..i]
                .iter()
                .position(|p| p["id"] == parent)
                .unwrap_or_else(|| panic!("parent before child: {merged:?}"));
            assert_eq!(
                post["depth"].as_i64().unwrap(),
                merged[at]["depth"].as_i64().unwrap() + 1
            );
        } else {
            assert_eq!(post["depth"], 0);
        }
        assert_eq!(post["thread_id"], thread_id.to_string());
    }
    let source = get_thread(&app, &learner, new_id).await;
    assert_eq!(source["merged_into_id"], thread_id.to_string());
    let listed = expect(
        app.get_as(&format!("/api/v1/forums/{forum}/threads"), &learner)
            .await,
        200,
    )
    .await;
    let listed = ids_of(&items(&listed));
    assert!(listed.contains(&thread_id));
    assert!(!listed.contains(&new_id), "a merged thread lists no more");
    assert_problem(
        reply_resp(&app, &learner, new_id, None, "Too late").await,
        409,
        "thread_merged",
    )
    .await;
    assert_eq!(
        app.count(
            "SELECT count(*) AS n FROM audit_logs WHERE action LIKE 'forum%' AND (action LIKE '%split%' OR action LIKE '%merge%')"
        )
        .await,
        2,
        "split and merge are audited"
    );
}

// ------------------------------------------------------------------ Q&A

#[tokio::test]
async fn questions_take_an_accepted_answer_and_votes() {
    // Arrange
    let app = TestApp::spawn().await;
    let CourseForum {
        staff,
        course,
        forum,
        learner: asker,
    } = course_forum(&app, 1).await;
    let instructor = &staff.owner;
    let bob = app.signup("bob@example.com").await;
    let carol = app.signup("carol@example.com").await;
    for who in [&bob, &carol] {
        enroll(&app, who, course.id).await;
    }
    let question = start_thread_with(
        &app,
        &asker,
        forum,
        json!({"title": "Why do cells divide?", "body": "Asking for a friend", "kind": "question"}),
    )
    .await;
    assert_eq!(question["kind"], "question");
    let q = id(&question);
    let by_bob = id(&reply(&app, &bob, q, None, "To grow.").await);
    let by_carol = id(&reply(&app, &carol, q, None, "To repair tissue.").await);
    let discussion = start_thread(&app, &asker, forum, "Chat", "Anything goes").await;
    let chat_reply = id(&reply(&app, &bob, id(&discussion), None, "Hello").await);
    let accept = |thread: Uuid| format!("/api/v1/forums/threads/{thread}/accepted-answer");

    // Act / Assert: another learner cannot accept; the asker can.
    assert_problem(
        put(
            &app,
            &accept(q),
            &carol,
            Some(&json!({"post_id": by_carol})),
        )
        .await,
        403,
        "forbidden",
    )
    .await;
    expect_ok(put(&app, &accept(q), &asker, Some(&json!({"post_id": by_bob}))).await).await;
    let read = get_thread(&app, &carol, q).await;
    assert_eq!(read["accepted_post_id"], by_bob.to_string());
    assert_eq!(read["accepted_answer"]["id"], by_bob.to_string(), "{read}");
    assert_eq!(read["accepted_answer"]["body"], "To grow.");
    assert_eq!(read["accepted_answer"]["accepted"], true);
    assert_eq!(get_post(&app, &carol, by_bob).await["accepted"], true);

    // The course's instructor may change it.
    expect_ok(
        put(
            &app,
            &accept(q),
            instructor,
            Some(&json!({"post_id": by_carol})),
        )
        .await,
    )
    .await;
    let read = get_thread(&app, &bob, q).await;
    assert_eq!(read["accepted_post_id"], by_carol.to_string());
    assert_eq!(get_post(&app, &bob, by_bob).await["accepted"], false);
    // ... and the asker may take it back.
    let taken = app.delete_as(&accept(q), &asker).await;
    assert!(taken.status().is_success(), "{}", taken.status());
    let read = get_thread(&app, &bob, q).await;
    assert!(read["accepted_post_id"].is_null(), "{read}");
    assert!(read["accepted_answer"].is_null(), "{read}");

    // A discussion has no answers.
    assert_problem(
        put(
            &app,
            &accept(id(&discussion)),
            &asker,
            Some(&json!({"post_id": chat_reply})),
        )
        .await,
        422,
        "validation_failed",
    )
    .await;

    // Votes: +1 and -1 move the score, one vote per user, none on one's own post.
    let vote = |post: Uuid| format!("/api/v1/forums/posts/{post}/vote");
    for _ in 0..2 {
        expect_ok(put(&app, &vote(by_bob), &carol, Some(&json!({"value": 1}))).await).await;
    }
    let seen = get_post(&app, &carol, by_bob).await;
    assert_eq!(seen["score"], 1, "one vote per user: {seen}");
    assert_eq!(seen["my_vote"], 1);
    assert_eq!(get_post(&app, &asker, by_bob).await["my_vote"], 0);
    expect_ok(put(&app, &vote(by_bob), &asker, Some(&json!({"value": 1}))).await).await;
    assert_eq!(get_post(&app, &bob, by_bob).await["score"], 2);
    expect_ok(put(&app, &vote(by_bob), &carol, Some(&json!({"value": -1}))).await).await;
    let seen = get_post(&app, &carol, by_bob).await;
    assert_eq!(seen["score"], 0, "carol's vote turned: {seen}");
    assert_eq!(seen["my_vote"], -1);
    let removed = app.delete_as(&vote(by_bob), &carol).await;
    assert!(removed.status().is_success(), "{}", removed.status());
    assert_eq!(get_post(&app, &carol, by_bob).await["score"], 1);
    assert_eq!(
        app.count(&format!(
            "SELECT count(*) AS n FROM forum_votes WHERE post_id = '{by_bob}'"
        ))
        .await,
        1
    );
    assert_problem(
        put(&app, &vote(by_bob), &bob, Some(&json!({"value": 1}))).await,
        403,
        "forbidden",
    )
    .await;
    assert_problem(
        put(&app, &vote(chat_reply), &carol, Some(&json!({"value": 1}))).await,
        422,
        "validation_failed",
    )
    .await;
    assert_problem(
        put(&app, &vote(by_carol), &bob, Some(&json!({"value": 2}))).await,
        422,
        "validation_failed",
    )
    .await;
}

// ------------------------------------------------------------------ reactions

#[tokio::test]
async fn reactions_count_once_per_user_even_when_sent_at_once() {
    // Arrange
    let app = TestApp::spawn().await;
    let admin = app.signup_with_role("admin@example.com", "admin").await;
    let alice = app.signup("alice@example.com").await;
    let bob = app.signup("bob@example.com").await;
    let carol = app.signup("carol@example.com").await;
    let forum = global_forum(&app, &admin, "General").await;
    let thread = start_thread(&app, &alice, forum, "Show and tell", "My project").await;
    let post = uuid_of(&thread["root_post_id"]);
    let path = format!("/api/v1/forums/posts/{post}/reactions/heart");

    // Act: ten at once by bob.
    let answers = join_all((0..10).map(|_| put(&app, &path, &bob, None))).await;

    // Assert
    for answer in answers {
        assert!(answer.status().is_success(), "{}", answer.status());
    }
    let reactions = |p: &Value| p["reactions"].as_array().unwrap().clone();
    let seen = get_post(&app, &bob, post).await;
    assert_eq!(
        reactions(&seen),
        vec![json!({"kind": "heart", "count": 1, "mine": true})]
    );
    assert_eq!(
        app.count(&format!(
            "SELECT count(*) AS n FROM forum_reactions WHERE post_id = '{post}'"
        ))
        .await,
        1
    );

    // A second user makes two; `mine` is each caller's own.
    expect_ok(put(&app, &path, &carol, None).await).await;
    for (who, mine) in [(&bob, true), (&carol, true), (&alice, false)] {
        let seen = get_post(&app, who, post).await;
        assert_eq!(
            reactions(&seen),
            vec![json!({"kind": "heart", "count": 2, "mine": mine})],
            "as {}",
            who.email
        );
    }
    // Taking it back, and an unknown kind.
    let removed = app.delete_as(&path, &bob).await;
    assert!(removed.status().is_success(), "{}", removed.status());
    let seen = get_post(&app, &bob, post).await;
    assert_eq!(
        reactions(&seen),
        vec![json!({"kind": "heart", "count": 1, "mine": false})]
    );
    let unknown = put(
        &app,
        &format!("/api/v1/forums/posts/{post}/reactions/dislike"),
        &bob,
        None,
    )
    .await;
    assert_problem(unknown, 400, "invalid_path_parameter").await;
}

// ------------------------------------------------------------------ moderation

#[tokio::test]
async fn a_flag_reaches_the_course_queue_and_hiding_empties_the_post_for_learners() {
    // Arrange
    let app = TestApp::spawn().await;
    let CourseForum {
        staff,
        course,
        forum,
        learner: author,
    } = course_forum(&app, 1).await;
    let instructor = &staff.owner;
    let reporter = app.signup("reporter@example.com").await;
    enroll(&app, &reporter, course.id).await;
    let thread = start_thread(
        &app,
        &author,
        forum,
        "Homework",
        "Answers for sale at scam.example",
    )
    .await;
    let post = uuid_of(&thread["root_post_id"]);
    let flags_path = format!("/api/v1/forums/posts/{post}/flags");
    let queue_path = format!(
        "/api/v1/moderation/flags?scope_type=course&scope_id={}",
        course.id
    );

    // Act
    let flag = expect(
        app.post_as(
            &flags_path,
            &reporter,
            &json!({"reason": "spam", "note": "selling answers"}),
        )
        .await,
        201,
    )
    .await;

    // Assert: in the course's queue.
    assert_eq!(flag["target_type"], "forum_post");
    assert_eq!(flag["target_id"], post.to_string());
    assert_eq!(flag["scope_type"], "course");
    assert_eq!(flag["scope_id"], course.id.to_string());
    assert_eq!(flag["state"], "open");
    assert_problem(
        app.post_as(&flags_path, &reporter, &json!({"reason": "spam"}))
            .await,
        409,
        "already_flagged",
    )
    .await;
    let queue = expect(app.get_as(&queue_path, instructor).await, 200).await;
    assert_eq!(ids_of(&items(&queue)), vec![id(&flag)], "{queue}");
    assert_problem(app.get_as(&queue_path, &reporter).await, 403, "forbidden").await;
    assert_eq!(
        get_post(&app, &reporter, post).await["hidden"],
        false,
        "one flag of three"
    );

    // Resolving with `hide`: learners get an empty body, staff the text with `hidden`.
    let resolved = expect(
        app.post_as(
            &format!("/api/v1/moderation/flags/{}/resolve", id(&flag)),
            instructor,
            &json!({"action": "hide"}),
        )
        .await,
        200,
    )
    .await;
    assert_eq!(resolved["state"], "resolved");
    for learner in [&reporter, &author] {
        let seen = get_post(&app, learner, post).await;
        assert_eq!(seen["hidden"], true, "{seen}");
        assert_eq!(seen["body"], "");
        assert_eq!(seen["body_html"], "");
        let listed = all_posts(&app, learner, id(&thread), "tree").await;
        assert!(!Value::Array(listed).to_string().contains("scam.example"));
    }
    let seen = get_post(&app, instructor, post).await;
    assert_eq!(seen["hidden"], true);
    assert_eq!(seen["body"], "Answers for sale at scam.example");
    let open = expect(app.get_as(&queue_path, instructor).await, 200).await;
    assert!(items(&open).is_empty(), "{open}");
}

#[tokio::test]
async fn enough_distinct_flags_hide_a_post_until_a_moderator_dismisses_them() {
    // Arrange: two flags hide.
    let app = TestApp::spawn_with(|s| s.forums.auto_hide_flags = 2).await;
    let admin = app.signup_with_role("admin@example.com", "admin").await;
    let alice = app.signup("alice@example.com").await;
    let bob = app.signup("bob@example.com").await;
    let carol = app.signup("carol@example.com").await;
    let dave = app.signup("dave@example.com").await;
    let forum = global_forum(&app, &admin, "General").await;
    let thread = start_thread(&app, &alice, forum, "Opinions", "A perfectly fine opinion").await;
    let post = id(&reply(&app, &alice, id(&thread), None, "A spicy take").await);
    let flags_path = format!("/api/v1/forums/posts/{post}/flags");

    // Act / Assert: one flag leaves it; a second reporter's hides it.
    let first = expect(
        app.post_as(&flags_path, &bob, &json!({"reason": "inappropriate"}))
            .await,
        201,
    )
    .await;
    assert_eq!(get_post(&app, &dave, post).await["hidden"], false);
    assert_problem(
        app.post_as(&flags_path, &bob, &json!({"reason": "spam"}))
            .await,
        409,
        "already_flagged",
    )
    .await;
    assert_eq!(
        get_post(&app, &dave, post).await["hidden"],
        false,
        "the same reporter twice is one flag"
    );
    expect(
        app.post_as(&flags_path, &carol, &json!({"reason": "spam"}))
            .await,
        201,
    )
    .await;
    let hidden = get_post(&app, &dave, post).await;
    assert_eq!(hidden["hidden"], true, "{hidden}");
    assert_eq!(hidden["body"], "");
    assert_eq!(get_post(&app, &admin, post).await["body"], "A spicy take");

    // The admin dismisses: visible again, no flag left open.
    let queue = expect(app.get_as("/api/v1/moderation/flags", &admin).await, 200).await;
    assert_eq!(items(&queue).len(), 2, "{queue}");
    expect(
        app.post_as(
            &format!("/api/v1/moderation/flags/{}/resolve", id(&first)),
            &admin,
            &json!({"action": "dismiss"}),
        )
        .await,
        200,
    )
    .await;
    let back = get_post(&app, &dave, post).await;
    assert_eq!(back["hidden"], false, "{back}");
    assert_eq!(back["body"], "A spicy take");
    let queue = expect(app.get_as("/api/v1/moderation/flags", &admin).await, 200).await;
    assert!(items(&queue).is_empty(), "{queue}");
}

#[tokio::test]
async fn a_locked_thread_takes_replies_from_staff_only_and_pinned_threads_come_first() {
    // Arrange
    let app = TestApp::spawn().await;
    let CourseForum {
        staff,
        forum,
        learner,
        ..
    } = course_forum(&app, 1).await;
    let instructor = &staff.owner;
    let first = start_thread(&app, &learner, forum, "First", "one").await;
    let second = start_thread(&app, &learner, forum, "Second", "two").await;
    let third = start_thread(&app, &learner, forum, "Third", "three").await;
    assert_eq!(
        thread_list(&app, &learner, forum).await,
        vec![id(&third), id(&second), id(&first)],
        "newest activity first"
    );

    // Act: a learner may not lock or pin; the instructor does both.
    for body in [json!({"locked": true}), json!({"pinned": true})] {
        assert_problem(
            app.patch_as(
                &format!("/api/v1/forums/threads/{}", id(&second)),
                &learner,
                &body,
            )
            .await,
            403,
            "forbidden",
        )
        .await;
    }
    let locked = expect(
        app.patch_as(
            &format!("/api/v1/forums/threads/{}", id(&second)),
            instructor,
            &json!({"locked": true}),
        )
        .await,
        200,
    )
    .await;
    expect(
        app.patch_as(
            &format!("/api/v1/forums/threads/{}", id(&first)),
            instructor,
            &json!({"pinned": true}),
        )
        .await,
        200,
    )
    .await;

    // Assert
    assert_eq!(locked["locked"], true);
    assert_problem(
        reply_resp(&app, &learner, id(&second), None, "But wait").await,
        409,
        "thread_locked",
    )
    .await;
    reply(&app, instructor, id(&second), None, "Closing remarks").await;
    // The instructor's reply bumped `second`; the pinned one still leads.
    assert_eq!(
        thread_list(&app, &learner, forum).await,
        vec![id(&first), id(&second), id(&third)]
    );
    assert_eq!(get_thread(&app, &learner, id(&first)).await["pinned"], true);
    // The author may still retitle the locked thread, but not unlock it.
    let retitled = expect(
        app.patch_as(
            &format!("/api/v1/forums/threads/{}", id(&second)),
            &learner,
            &json!({"title": "Second (answered)"}),
        )
        .await,
        200,
    )
    .await;
    assert_eq!(retitled["title"], "Second (answered)");
    assert_eq!(retitled["locked"], true);
    assert_problem(
        app.patch_as(
            &format!("/api/v1/forums/threads/{}", id(&second)),
            &learner,
            &json!({"locked": false}),
        )
        .await,
        403,
        "forbidden",
    )
    .await;
    assert_eq!(
        app.count(
            "SELECT count(*) AS n FROM audit_logs WHERE action LIKE 'forum.%' \
             AND (details->>'locked' = 'true' OR details->>'pinned' = 'true')"
        )
        .await,
        2,
        "lock and pin are audited"
    );
}

#[tokio::test]
async fn banned_learners_cannot_post_until_the_ban_ends_or_is_lifted() {
    // Arrange
    let app = TestApp::spawn().await;
    let CourseForum {
        staff,
        course,
        forum,
        learner: troll,
    } = course_forum(&app, 1).await;
    let instructor = &staff.owner;
    let reformed = app.signup("reformed@example.com").await;
    enroll(&app, &reformed, course.id).await;
    let thread = start_thread(&app, &troll, forum, "Hello", "Before the ban").await;
    let bans = format!("/api/v1/forums/{forum}/bans");

    // A learner cannot ban, nor list bans.
    assert_problem(
        app.post_as(&bans, &reformed, &json!({"user_id": troll.id}))
            .await,
        403,
        "forbidden",
    )
    .await;
    assert_problem(app.get_as(&bans, &reformed).await, 403, "forbidden").await;

    // Act: the instructor bans one learner for good and one with a ban already over.
    let ban = expect(
        app.post_as(
            &bans,
            instructor,
            &json!({"user_id": troll.id, "reason": "insults"}),
        )
        .await,
        201,
    )
    .await;
    expect(
        app.post_as(
            &bans,
            instructor,
            &json!({"user_id": reformed.id, "until": "2020-01-01T00:00:00Z"}),
        )
        .await,
        201,
    )
    .await;

    // Assert
    assert_eq!(ban["forum_id"], forum.to_string());
    assert_eq!(ban["user_id"], troll.id.to_string());
    assert_eq!(ban["banned_by"], instructor.id.to_string());
    assert_eq!(ban["reason"], "insults");
    assert!(ban["until"].is_null());
    let listed = expect(app.get_as(&bans, instructor).await, 200).await;
    assert!(
        items(&listed)
            .iter()
            .any(|b| b["user_id"] == troll.id.to_string()),
        "{listed}"
    );
    assert_problem(
        start_thread_resp(
            &app,
            &troll,
            forum,
            &json!({"title": "Again", "body": "Hi"}),
        )
        .await,
        403,
        "forum_banned",
    )
    .await;
    assert_problem(
        reply_resp(&app, &troll, id(&thread), None, "Still here").await,
        403,
        "forum_banned",
    )
    .await;
    // Reading is still allowed.
    get_thread(&app, &troll, id(&thread)).await;
    // A ban in the past does not apply.
    reply(&app, &reformed, id(&thread), None, "I am back").await;

    // Lifting it.
    let lifted = app
        .delete_as(&format!("{bans}/{}", troll.id), instructor)
        .await;
    assert!(lifted.status().is_success(), "{}", lifted.status());
    reply(&app, &troll, id(&thread), None, "Sorry").await;
    assert_eq!(
        app.count(&format!(
            "SELECT count(*) AS n FROM forum_bans WHERE user_id = '{}'",
            troll.id
        ))
        .await,
        0
    );
}

// ------------------------------------------------------------------ trust

#[tokio::test]
async fn new_accounts_wait_between_posts_unless_they_proved_themselves_in_the_course() {
    // Arrange: 60 s between posts of a new account.
    let app = TestApp::spawn_with(|s| s.forums.new_post_interval_secs = 60).await;
    let CourseForum {
        staff,
        course,
        forum,
        learner: fresh,
    } = course_forum(&app, 2).await;
    let instructor = &staff.owner;
    let diligent = app.signup("diligent@example.com").await;
    enroll(&app, &diligent, course.id).await;
    complete(&app, &diligent, course.lessons[0]).await;

    // Act: a first post, then a second at once.
    let thread = start_thread(&app, &fresh, forum, "Hi all", "First post").await;
    let second = reply_resp(&app, &fresh, id(&thread), None, "And another").await;

    // Assert
    let retry_after: u64 = second
        .headers()
        .get("retry-after")
        .expect("Retry-After")
        .to_str()
        .unwrap()
        .parse()
        .expect("seconds");
    assert!((1..=60).contains(&retry_after), "{retry_after}");
    assert_problem(second, 429, "rate_limited").await;
    assert_eq!(
        app.count(&format!(
            "SELECT count(*) AS n FROM forum_posts WHERE author_id = '{}'",
            fresh.id
        ))
        .await,
        1
    );
    // Exempt: a learner who completed a lesson, and the instructor.
    for who in [&diligent, instructor] {
        let own = start_thread(&app, who, forum, "Notes", "One").await;
        reply(&app, who, id(&own), None, "Two").await;
        reply(&app, who, id(&thread), None, "Three").await;
    }
}

#[tokio::test]
async fn new_accounts_start_a_limited_number_of_threads_a_day() {
    // Arrange
    let app = TestApp::spawn_with(|s| {
        s.forums.new_post_interval_secs = 0;
        s.forums.new_daily_threads = 1;
        s.forums.new_daily_posts = 3;
    })
    .await;
    let admin = app.signup_with_role("admin@example.com", "admin").await;
    let alice = app.signup("alice@example.com").await;
    let forum = global_forum(&app, &admin, "General").await;
    let thread = start_thread(&app, &alice, forum, "Mine", "One").await;

    // Act / Assert: a second thread is over the daily threads; replies go on to the posts
    // limit (the thread's root counts as one post).
    let refused = start_thread_resp(
        &app,
        &alice,
        forum,
        &json!({"title": "More", "body": "Two"}),
    )
    .await;
    assert!(refused.headers().get("retry-after").is_some());
    assert_problem(refused, 429, "rate_limited").await;
    reply(&app, &alice, id(&thread), None, "Two").await;
    reply(&app, &alice, id(&thread), None, "Three").await;
    assert_problem(
        reply_resp(&app, &alice, id(&thread), None, "Four").await,
        429,
        "rate_limited",
    )
    .await;
    // Forum staff are exempt.
    start_thread(&app, &admin, forum, "Rules", "Be nice").await;
    start_thread(&app, &admin, forum, "FAQ", "Read it").await;
}

// ------------------------------------------------------------------ search

#[tokio::test]
async fn search_ranks_filters_escapes_and_respects_visibility() {
    // Arrange
    let app = TestApp::spawn().await;
    let CourseForum {
        staff,
        course: _,
        forum: course_forum_id,
        learner,
    } = course_forum(&app, 1).await;
    let admin = &staff.admin;
    let alice = app.signup("alice@example.com").await;
    let bob = app.signup("bob@example.com").await;
    let outsider = app.signup("outsider@example.com").await;
    let botany = global_forum(&app, admin, "Botany").await;
    let algae = global_forum(&app, admin, "Algae").await;
    let strong = start_thread(
        &app,
        &alice,
        botany,
        "Photosynthesis explained",
        "Photosynthesis turns light, water and carbon dioxide into sugar.",
    )
    .await;
    let other = start_thread(&app, &bob, botany, "Leaves", "Why are leaves green?").await;
    let weak = reply(
        &app,
        &bob,
        id(&other),
        None,
        "Chlorophyll absorbs red and blue light for photosynthesis, <b>reflecting</b> green.",
    )
    .await;
    let algae_thread = start_thread(
        &app,
        &bob,
        algae,
        "Algae",
        "Algae do photosynthesis in water too.",
    )
    .await;
    let question = start_thread_with(
        &app,
        &alice,
        botany,
        json!({"title": "Is photosynthesis slow?", "body": "It seems slow.", "kind": "question"}),
    )
    .await;
    let answer = reply(
        &app,
        &bob,
        id(&question),
        None,
        "Yes: photosynthesis is limited by RuBisCO.",
    )
    .await;
    expect_ok(
        put(
            &app,
            &format!("/api/v1/forums/threads/{}/accepted-answer", id(&question)),
            &alice,
            Some(&json!({"post_id": id(&answer)})),
        )
        .await,
    )
    .await;
    let in_course = start_thread(
        &app,
        &staff.owner,
        course_forum_id,
        "Photosynthesis lab notes",
        "Bring photosynthesis worksheets.",
    )
    .await;
    let in_course_root = uuid_of(&in_course["root_post_id"]);

    // Act
    let all = search(&app, &outsider, "q=photosynthesis&per_page=50").await;

    // Assert: relevance, the shape and the snippet.
    let hits = items(&all);
    let posts = hit_posts(&all);
    let strong_root = uuid_of(&strong["root_post_id"]);
    let at = |p: Uuid| {
        posts
            .iter()
            .position(|x| *x == p)
            .unwrap_or_else(|| panic!("{p} not found in {all}"))
    };
    assert!(
        at(strong_root) < at(id(&weak)),
        "title and body above once in a body: {all}"
    );
    assert_eq!(all["total"], hits.len(), "{all}");
    assert!(all["page"].is_number() && all["per_page"].is_number());
    let weak_hit = &hits[at(id(&weak))];
    assert_eq!(weak_hit["thread_id"], other["id"]);
    assert_eq!(weak_hit["forum_id"], botany.to_string());
    assert_eq!(weak_hit["title"], "Leaves");
    assert_eq!(weak_hit["author_id"], bob.id.to_string());
    let snippet = weak_hit["snippet"].as_str().unwrap();
    assert!(snippet.contains("<mark>photosynthesis</mark>"), "{snippet}");
    assert!(
        snippet.contains("&lt;b&gt;"),
        "the body's tag is escaped: {snippet}"
    );
    let bare = snippet.replace("<mark>", "").replace("</mark>", "");
    assert!(!bare.contains('<') && !bare.contains('>'), "{snippet}");
    for hit in &hits {
        let bare = hit["snippet"]
            .as_str()
            .unwrap()
            .replace("<mark>", "")
            .replace("</mark>", "");
        assert!(!bare.contains('<'), "{hit}");
    }
    let ranks: Vec<f64> = hits.iter().map(|h| h["rank"].as_f64().unwrap()).collect();
    assert!(
        ranks.windows(2).all(|w| w[0] >= w[1]),
        "best first: {ranks:?}"
    );

    // The course forum's posts: never for an outsider, found by its learner.
    assert!(!posts.contains(&in_course_root), "{all}");
    assert!(
        !hits
            .iter()
            .any(|h| h["forum_id"] == course_forum_id.to_string())
    );
    let enrolled = search(&app, &learner, "q=photosynthesis&per_page=50").await;
    assert!(hit_posts(&enrolled).contains(&in_course_root), "{enrolled}");
    assert_eq!(enrolled["total"], all["total"].as_i64().unwrap() + 1);

    // Filters.
    let in_algae = search(
        &app,
        &outsider,
        &format!("q=photosynthesis&forum_id={algae}"),
    )
    .await;
    assert_eq!(
        hit_posts(&in_algae),
        vec![uuid_of(&algae_thread["root_post_id"])]
    );
    let by_alice = search(
        &app,
        &outsider,
        &format!("q=photosynthesis&author_id={}", alice.id),
    )
    .await;
    let alices: HashSet<Uuid> = hit_posts(&by_alice).into_iter().collect();
    assert_eq!(
        alices,
        HashSet::from([strong_root, uuid_of(&question["root_post_id"])])
    );
    let answered = search(&app, &outsider, "q=photosynthesis&answered=true").await;
    let answered_hits = items(&answered);
    assert!(!answered_hits.is_empty(), "{answered}");
    for hit in &answered_hits {
        assert_eq!(hit["thread_id"], question["id"], "{answered}");
        assert_eq!(hit["answered"], true);
    }
    assert!(hit_posts(&answered).contains(&id(&answer)));
    let none = search(&app, &outsider, "q=zebrafish").await;
    assert!(items(&none).is_empty());
    assert_eq!(none["total"], 0);
}

#[tokio::test]
async fn similar_titles_are_suggested_from_the_forum() {
    // Arrange
    let app = TestApp::spawn().await;
    let admin = app.signup_with_role("admin@example.com", "admin").await;
    let alice = app.signup("alice@example.com").await;
    let forum = global_forum(&app, &admin, "Help").await;
    let elsewhere = global_forum(&app, &admin, "Elsewhere").await;
    let install = start_thread(&app, &alice, forum, "Installing Rust on Windows", "Steps?").await;
    let pizza = start_thread(&app, &alice, forum, "Best pizza in town", "Opinions").await;
    let other_forum = start_thread(&app, &alice, elsewhere, "Rust installation woes", "Help").await;

    // Act
    let similar = expect(
        app.get_as(
            &format!("/api/v1/forums/{forum}/similar?title=How%20do%20I%20install%20Rust%3F"),
            &alice,
        )
        .await,
        200,
    )
    .await;

    // Assert
    let found = ids_of(&items(&similar));
    assert_eq!(found.first(), Some(&id(&install)), "{similar}");
    assert!(!found.contains(&id(&pizza)));
    assert!(
        !found.contains(&id(&other_forum)),
        "this forum's threads only"
    );
    assert!(found.len() <= 5);
    let nothing = expect(
        app.get_as(
            &format!("/api/v1/forums/{forum}/similar?title=quantum%20chromodynamics"),
            &alice,
        )
        .await,
        200,
    )
    .await;
    assert!(items(&nothing).is_empty(), "{nothing}");
}

// ------------------------------------------------------------------ lessons

#[tokio::test]
async fn threads_link_to_lessons_of_the_forums_course_only() {
    // Arrange
    let app = TestApp::spawn().await;
    let CourseForum {
        staff,
        course,
        forum,
        learner,
    } = course_forum(&app, 2).await;
    let other_course = published_course_with_lessons(&app, &staff, "Astronomy", 1, None).await;
    let lesson = course.lessons[0];
    let outsider = app.signup("outsider@example.com").await;

    // Act
    let linked = start_thread_with(
        &app,
        &learner,
        forum,
        json!({"title": "Lesson 0 question", "body": "What does slide 3 mean?", "lesson_id": lesson}),
    )
    .await;
    let unlinked = start_thread(&app, &learner, forum, "General", "Hello").await;
    let foreign = start_thread_resp(
        &app,
        &learner,
        forum,
        &json!({"title": "Wrong", "body": "Other course", "lesson_id": other_course.lessons[0]}),
    )
    .await;

    // Assert
    assert_eq!(linked["lesson_id"], lesson.to_string());
    assert_problem(foreign, 422, "validation_failed").await;
    let for_lesson = expect(
        app.get_as(&format!("/api/v1/lessons/{lesson}/threads"), &learner)
            .await,
        200,
    )
    .await;
    assert_eq!(
        ids_of(&items(&for_lesson)),
        vec![id(&linked)],
        "{for_lesson}"
    );
    let filtered = expect(
        app.get_as(
            &format!("/api/v1/forums/{forum}/threads?lesson_id={lesson}"),
            &learner,
        )
        .await,
        200,
    )
    .await;
    assert_eq!(ids_of(&items(&filtered)), vec![id(&linked)]);
    let all = expect(
        app.get_as(&format!("/api/v1/forums/{forum}/threads"), &learner)
            .await,
        200,
    )
    .await;
    assert_eq!(ids_of(&items(&all)).len(), 2);
    assert!(ids_of(&items(&all)).contains(&id(&unlinked)));
    let other_lesson = expect(
        app.get_as(
            &format!("/api/v1/lessons/{}/threads", course.lessons[1]),
            &learner,
        )
        .await,
        200,
    )
    .await;
    assert!(items(&other_lesson).is_empty());
    // An outsider sees no linked thread.
    let theirs = app
        .get_as(&format!("/api/v1/lessons/{lesson}/threads"), &outsider)
        .await;
    if theirs.status() == 200 {
        let body: Value = theirs.json().await.unwrap();
        assert!(items(&body).is_empty(), "{body}");
    } else {
        assert_problem(theirs, 404, "not_found").await;
    }
    // A lesson added later to the other course does not help either.
    let module = add_module(&app, &staff.owner, other_course.id, "Extra").await;
    let extra = text_lesson(&app, &staff.owner, module, "Extra lesson").await;
    assert_problem(
        app.patch_as(
            &format!("/api/v1/forums/threads/{}", id(&unlinked)),
            &learner,
            &json!({"lesson_id": extra}),
        )
        .await,
        422,
        "validation_failed",
    )
    .await;
}

// ------------------------------------------------------------------ the stream

#[tokio::test]
async fn watchers_hear_of_new_posts_mentions_reach_members_and_muting_silences() {
    // Arrange
    let app = TestApp::spawn().await;
    let admin = app.signup_with_role("admin@example.com", "admin").await;
    let alice = app.signup("alice@example.com").await;
    let bob = app.signup("bob@example.com").await;
    let carol = app.signup("carol@example.com").await;
    let dave = app.signup("dave@example.com").await;
    let erin = app.signup("erin@example.com").await;
    let frank = app.signup("frank@example.com").await;
    let forum = global_forum(&app, &admin, "General").await;
    let thread = start_thread(&app, &alice, forum, "Study plan", "Who is in?").await;
    let thread_id = id(&thread);
    let elsewhere = start_thread(&app, &bob, forum, "Elsewhere", "Another topic").await;
    assert_eq!(
        get_thread(&app, &alice, thread_id).await["my_level"],
        "watching",
        "the author watches"
    );
    reply(&app, &dave, thread_id, None, "Me!").await;
    assert_eq!(
        get_thread(&app, &dave, thread_id).await["my_level"],
        "watching"
    );
    // Frank replies too, then chooses `normal`: replies to his post only.
    let franks = reply(&app, &frank, thread_id, None, "Maybe").await;
    expect(
        put(
            &app,
            &format!("/api/v1/forums/threads/{thread_id}/subscription"),
            &frank,
            Some(&json!({"level": "normal"})),
        )
        .await,
        200,
    )
    .await;
    let muted = expect(
        put(
            &app,
            &format!("/api/v1/forums/threads/{thread_id}/subscription"),
            &dave,
            Some(&json!({"level": "muted"})),
        )
        .await,
        200,
    )
    .await;
    assert_eq!(muted, json!({"level": "muted"}));
    let watching = expect(
        put(
            &app,
            &format!("/api/v1/forums/{forum}/subscription"),
            &erin,
            Some(&json!({"level": "watching"})),
        )
        .await,
        200,
    )
    .await;
    assert_eq!(watching["level"], "watching");
    let mut alice_ws = Ws::connect(&app, &alice, None).await;
    let mut carol_ws = Ws::connect(&app, &carol, None).await;
    let mut dave_ws = Ws::connect(&app, &dave, None).await;
    let mut erin_ws = Ws::connect(&app, &erin, None).await;
    let mut bob_ws = Ws::connect(&app, &bob, None).await;
    let mut frank_ws = Ws::connect(&app, &frank, None).await;

    // Act: bob replies, mentioning carol; then mentions dave in the other thread; then
    // answers frank.
    let post = reply(&app, &bob, thread_id, None, "Count me in, @carol too?").await;
    let ping = reply(&app, &bob, id(&elsewhere), None, "@dave see this").await;
    let to_frank = reply(&app, &bob, thread_id, Some(id(&franks)), "Why maybe?").await;

    // Assert: the author (watching) hears of it, with the post.
    let created = alice_ws
        .next_event_of_kind("forum_post_created", WAIT)
        .await;
    assert_eq!(created["data"]["post"]["id"], post["id"], "{created}");
    assert_eq!(created["data"]["post"]["body"], "Count me in, @carol too?");
    assert_eq!(created["data"]["thread_id"], thread_id.to_string());
    assert_eq!(created["data"]["forum_id"], forum.to_string());
    assert_eq!(created["data"]["title"], "Study plan");
    // The forum's watcher too.
    let for_erin = erin_ws.next_event_of_kind("forum_post_created", WAIT).await;
    assert_eq!(for_erin["data"]["post"]["id"], post["id"]);
    // Carol, mentioned.
    let mentioned = carol_ws.next_event_of_kind("forum_mentioned", WAIT).await;
    assert_eq!(mentioned["data"]["post"]["id"], post["id"], "{mentioned}");
    assert_eq!(mentioned["data"]["thread_id"], thread_id.to_string());
    // Dave muted the thread: the first forum event he gets is the mention elsewhere.
    let first = next_forum_event(&mut dave_ws).await;
    assert_eq!(first["kind"], "forum_mentioned", "{first}");
    assert_eq!(first["data"]["post"]["id"], ping["id"]);
    // Frank, at `normal`, hears of the reply to his post only.
    let first = next_forum_event(&mut frank_ws).await;
    assert_eq!(first["kind"], "forum_reply", "{first}");
    assert_eq!(first["data"]["post"]["id"], to_frank["id"]);
    assert_eq!(first["data"]["post"]["parent_id"], franks["id"]);
    // Alice, watching, gets that one as a new post.
    let next = next_forum_event(&mut alice_ws).await;
    assert_eq!(next["kind"], "forum_post_created", "{next}");
    assert_eq!(next["data"]["post"]["id"], to_frank["id"]);
    // Bob watches both threads (he started one, replied in the other) but wrote both posts:
    // nothing for the author.
    let own = next_forum_event_or_none(&mut bob_ws, Duration::from_millis(800)).await;
    assert!(own.is_none(), "nothing for the author: {own:?}");
    for ws in [alice_ws, carol_ws, dave_ws, erin_ws, bob_ws, frank_ws] {
        ws.close().await;
    }
}

/// The next `forum_*` event within `wait`, or `None`.
async fn next_forum_event_or_none(ws: &mut Ws, wait: Duration) -> Option<Value> {
    tokio::time::timeout(wait, next_forum_event(ws)).await.ok()
}

// ------------------------------------------------------------------ bad input

#[tokio::test]
async fn bad_input_is_refused_with_problems() {
    // Arrange
    let app = TestApp::spawn().await;
    let admin = app.signup_with_role("admin@example.com", "admin").await;
    let alice = app.signup("alice@example.com").await;
    let forum = global_forum(&app, &admin, "General").await;
    let thread = start_thread(&app, &alice, forum, "Fine", "Fine").await;
    let thread_id = id(&thread);

    // Blank titles and bodies, unknown fields, bad enums.
    for body in [
        json!({"title": "", "body": "text"}),
        json!({"title": "  \n ", "body": "text"}),
        json!({"title": "Title", "body": ""}),
        json!({"title": "Title", "body": " \t "}),
        json!({"title": "Title", "body": "text", "colour": "red"}),
        json!({"title": "Title", "body": "text", "kind": "poll"}),
        json!({"title": "x".repeat(301), "body": "text"}),
        json!({"body": "no title"}),
    ] {
        assert_problem(
            start_thread_resp(&app, &alice, forum, &body).await,
            422,
            "validation_failed",
        )
        .await;
    }
    for body in [
        json!({"body": ""}),
        json!({"body": "   "}),
        json!({"body": "ok", "sticky": true}),
        json!({"body": "x".repeat(20_001)}),
    ] {
        assert_problem(
            app.post_as(
                &format!("/api/v1/forums/threads/{thread_id}/posts"),
                &alice,
                &body,
            )
            .await,
            422,
            "validation_failed",
        )
        .await;
    }
    // A parent from another thread.
    let other = start_thread(&app, &alice, forum, "Other", "Other").await;
    assert_problem(
        reply_resp(
            &app,
            &alice,
            thread_id,
            Some(uuid_of(&other["root_post_id"])),
            "x",
        )
        .await,
        422,
        "validation_failed",
    )
    .await;
    assert_problem(
        put(
            &app,
            &format!("/api/v1/forums/threads/{thread_id}/subscription"),
            &alice,
            Some(&json!({"level": "loud"})),
        )
        .await,
        422,
        "validation_failed",
    )
    .await;
    assert_problem(
        app.post_as(
            "/api/v1/forums",
            &admin,
            &json!({"scope_type": "global", "name": "X", "start_rule": "everyone"}),
        )
        .await,
        422,
        "validation_failed",
    )
    .await;
    assert_problem(
        app.post_as(
            "/api/v1/forums",
            &admin,
            &json!({"scope_type": "course", "name": "No course"}),
        )
        .await,
        422,
        "validation_failed",
    )
    .await;
    // A query value outside its enum breaks a rule of its type (422, like a body's); one of
    // the wrong type is malformed (400).
    assert_problem(
        app.get_as(
            &format!("/api/v1/forums/threads/{thread_id}/posts?order=sideways"),
            &alice,
        )
        .await,
        422,
        "validation_failed",
    )
    .await;
    assert_problem(
        app.get_as(
            &format!("/api/v1/forums/threads/{thread_id}/posts?limit=lots"),
            &alice,
        )
        .await,
        400,
        "invalid_query",
    )
    .await;
    // Unknown things are 404.
    let nowhere = Uuid::now_v7();
    assert_problem(
        app.get_as(&format!("/api/v1/forums/{nowhere}"), &alice)
            .await,
        404,
        "not_found",
    )
    .await;
    assert_problem(
        start_thread_resp(&app, &alice, nowhere, &json!({"title": "T", "body": "B"})).await,
        404,
        "not_found",
    )
    .await;
    assert_problem(
        reply_resp(&app, &alice, nowhere, None, "B").await,
        404,
        "not_found",
    )
    .await;
    // Sub-forums nest three deep at most.
    let mut parent = forum;
    for depth in 2..=3 {
        let child = create_forum(
            &app,
            &admin,
            json!({"scope_type": "global", "parent_id": parent, "name": format!("Level {depth}")}),
        )
        .await;
        assert_eq!(child["depth"], depth);
        parent = id(&child);
    }
    assert_problem(
        app.post_as(
            "/api/v1/forums",
            &admin,
            &json!({"scope_type": "global", "parent_id": parent, "name": "Level 4"}),
        )
        .await,
        422,
        "validation_failed",
    )
    .await;
    // Nothing of the refused input was stored.
    assert_eq!(
        app.count("SELECT count(*) AS n FROM forum_threads").await,
        2
    );
    assert_eq!(app.count("SELECT count(*) AS n FROM forum_posts").await, 2);
    assert_eq!(app.count("SELECT count(*) AS n FROM forums").await, 3);
}

/// Moving a thread needs staff in both forums (the course's instructor is not staff of a
/// site-wide forum); the counters follow the thread, and a lesson link that does not fit the
/// new forum's course is dropped. A mention of someone who cannot see the forum reaches nobody.
#[tokio::test]
async fn threads_move_between_forums_their_staff_share_and_mentions_stay_inside() {
    // Arrange: a course forum with a thread linked to a lesson, a site-wide forum, an outsider.
    let app = TestApp::spawn().await;
    let cf = course_forum(&app, 1).await;
    let lesson = cf.course.lessons[0];
    let thread = start_thread_with(
        &app,
        &cf.learner,
        cf.forum,
        json!({"title": "Mitochondria", "body": "Why do they have their own DNA?", "lesson_id": lesson}),
    )
    .await;
    let thread_id = id(&thread);
    let community = global_forum(&app, &cf.staff.admin, "Community").await;
    let outsider = app.signup("outsider@example.com").await;
    let mut outsider_ws = Ws::connect(&app, &outsider, None).await;

    // Act + Assert: the instructor moderates the course forum but not the site-wide one.
    let moved = app
        .patch_as(
            &format!("/api/v1/forums/threads/{thread_id}"),
            &cf.staff.owner,
            &json!({"forum_id": community}),
        )
        .await;
    assert_problem(moved, 403, "forbidden").await;
    assert_eq!(
        thread_list(&app, &cf.learner, cf.forum).await,
        vec![thread_id]
    );

    // A mention of the outsider in the course forum tells them nothing.
    reply(
        &app,
        &cf.learner,
        thread_id,
        None,
        "@outsider what do you think?",
    )
    .await;
    assert!(
        next_forum_event_or_none(&mut outsider_ws, Duration::from_millis(1500))
            .await
            .is_none(),
        "an outsider heard of a course forum's post"
    );

    // The admin is staff of both: the thread moves, its link to the course's lesson goes.
    let moved = expect(
        app.patch_as(
            &format!("/api/v1/forums/threads/{thread_id}"),
            &cf.staff.admin,
            &json!({"forum_id": community}),
        )
        .await,
        200,
    )
    .await;
    assert_eq!(uuid_of(&moved["forum_id"]), community);
    assert!(moved["lesson_id"].is_null(), "{moved}");
    assert!(thread_list(&app, &cf.learner, cf.forum).await.is_empty());
    assert_eq!(
        thread_list(&app, &outsider, community).await,
        vec![thread_id]
    );
    let (old, new) = (
        get_forum(&app, &cf.staff.admin, cf.forum).await,
        get_forum(&app, &cf.staff.admin, community).await,
    );
    assert_eq!(
        (old["thread_count"].as_i64(), old["post_count"].as_i64()),
        (Some(0), Some(0))
    );
    assert_eq!(
        (new["thread_count"].as_i64(), new["post_count"].as_i64()),
        (Some(1), Some(2))
    );
    assert_eq!(
        app.count(&format!(
            "SELECT count(*) AS n FROM audit_logs WHERE action = 'forum.thread_update' AND resource_id = '{thread_id}'"
        ))
        .await,
        1
    );

    // Now that the outsider sees it, a mention reaches them.
    reply(&app, &cf.learner, thread_id, None, "@outsider welcome!").await;
    let event = next_forum_event(&mut outsider_ws).await;
    assert_eq!(event["kind"], "forum_mentioned", "{event}");
    assert_eq!(uuid_of(&event["data"]["thread_id"]), thread_id);
}

/// `/forums/search` is a route of its own, not a forum id: another method on it is a 405 that
/// allows only GET, and a forum "id" that is no UUID is a 404.
#[tokio::test]
async fn static_forum_routes_are_not_read_as_forum_ids() {
    let app = TestApp::spawn().await;
    let user = app.signup("reader@example.com").await;
    let resp = app
        .patch_as("/api/v1/forums/search", &user, &json!({}))
        .await;
    assert_eq!(
        resp.headers().get("allow").and_then(|v| v.to_str().ok()),
        Some("GET")
    );
    assert_problem(resp, 405, "method_not_allowed").await;
    assert_problem(
        app.get_as("/api/v1/forums/not-a-forum", &user).await,
        404,
        "route_not_found",
    )
    .await;
}
