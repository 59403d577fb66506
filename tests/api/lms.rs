//! The LMS from the outside: the course workflow from draft to completion (reward, mail,
//! reviews), paid enrollments through the wallet (charges, refusals that leave the books
//! untouched, idempotency, refunds), visibility and permission refusals, prerequisites and
//! category cycles, gap-free ordering of modules and lessons, concurrent completion (rewarded
//! once), catalog search and filters, co-instructors, analytics, learning paths and bookmarks.

use std::str::FromStr;
use std::time::Duration;

use futures_util::future::join_all;
use rust_decimal::Decimal;
use sea_orm::{ConnectionTrait, DbBackend, Statement};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::helpers::lms::{
    add_lesson, add_module, complete, complete_course, create_course, draft_course, enroll,
    enroll_resp, progress, publish, published_course_with_lessons, put_as, staff, text_lesson,
};
use crate::helpers::users::{PASSWORD, TestUser};
use crate::helpers::ws::{expect, uuid_of};
use crate::helpers::{TestApp, assert_problem};

// ------------------------------------------------------------------ helpers

/// A JSON decimal string as a number (`"12.50"` -> 12.50); panics on anything else.
fn dec(v: &Value) -> Decimal {
    let s = v
        .as_str()
        .unwrap_or_else(|| panic!("a decimal string, got {v}"));
    Decimal::from_str(s).unwrap_or_else(|e| panic!("`{s}` is not a decimal: {e}"))
}

fn d(s: &str) -> Decimal {
    Decimal::from_str(s).unwrap()
}

fn ids_of(items: &Value) -> Vec<Uuid> {
    items
        .as_array()
        .unwrap_or_else(|| panic!("an array, got {items}"))
        .iter()
        .map(|i| uuid_of(&i["id"]))
        .collect()
}

/// `POST /categories` by an admin; returns the new id.
async fn category(app: &TestApp, admin: &TestUser, name: &str, parent: Option<Uuid>) -> Uuid {
    let node = expect(
        app.post_as(
            "/api/v1/categories",
            admin,
            &json!({"name": name, "parent_id": parent}),
        )
        .await,
        201,
    )
    .await;
    uuid_of(&node["id"])
}

/// A user's balance in `currency` through `GET /wallets`, zero without a wallet.
async fn balance(app: &TestApp, user: &TestUser, currency: &str) -> Decimal {
    let wallets = expect(app.get_as("/api/v1/wallets", user).await, 200).await;
    wallets
        .as_array()
        .expect("an array of wallets")
        .iter()
        .find(|w| w["currency"] == currency)
        .map(|w| dec(&w["balance"]))
        .unwrap_or_default()
}

/// A learner with `amount` USD: opens the wallet and has a super admin mint into it.
async fn fund_usd(app: &TestApp, root: &TestUser, user: &TestUser, amount: &str) {
    expect(
        app.post_as("/api/v1/wallets", user, &json!({"currency": "USD"}))
            .await,
        201,
    )
    .await;
    expect(
        app.post_as(
            "/api/v1/wallet/mint",
            root,
            &json!({"user_id": user.id, "currency": "USD", "amount": amount, "description": "test funds"}),
        )
        .await,
        201,
    )
    .await;
}

async fn enrollment_rows(app: &TestApp, user: &TestUser, course: Uuid) -> i64 {
    app.count(&format!(
        "SELECT count(*) AS n FROM enrollments WHERE user_id = '{}' AND course_id = '{course}'",
        user.id
    ))
    .await
}

/// `GET /courses` with a query string, anonymously; asserts 200.
async fn search(app: &TestApp, query: &str) -> Value {
    expect(app.get(&format!("/api/v1/courses?{query}")).await, 200).await
}

/// Positions of the course's modules, in outline order, as (id, position).
async fn module_order(app: &TestApp, who: &TestUser, course: Uuid) -> Vec<(Uuid, i64)> {
    let c = expect(
        app.get_as(&format!("/api/v1/courses/{course}"), who).await,
        200,
    )
    .await;
    c["modules"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| (uuid_of(&m["id"]), m["position"].as_i64().unwrap()))
        .collect()
}

/// Lessons of one module, in outline order, as (id, position).
async fn lesson_order(
    app: &TestApp,
    who: &TestUser,
    course: Uuid,
    module: Uuid,
) -> Vec<(Uuid, i64)> {
    let c = expect(
        app.get_as(&format!("/api/v1/courses/{course}"), who).await,
        200,
    )
    .await;
    c["modules"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| uuid_of(&m["id"]) == module)
        .expect("the module")["lessons"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| (uuid_of(&l["id"]), l["position"].as_i64().unwrap()))
        .collect()
}

/// Positions must be exactly 0..n-1 in outline order.
fn assert_gap_free(order: &[(Uuid, i64)]) {
    let positions: Vec<i64> = order.iter().map(|(_, p)| *p).collect();
    let expected: Vec<i64> = (0..order.len() as i64).collect();
    assert_eq!(positions, expected, "positions are 0..n-1: {order:?}");
}

fn ids(order: &[(Uuid, i64)]) -> Vec<Uuid> {
    order.iter().map(|(id, _)| *id).collect()
}

// ------------------------------------------------------------------ the journey

#[tokio::test]
async fn a_course_goes_from_draft_to_a_completed_and_rewarded_enrollment() {
    let app = TestApp::spawn().await;
    let s = staff(&app).await;
    let programming = category(&app, &s.admin, "Programming", None).await;

    let course = create_course(
        &app,
        &s.owner,
        json!({
            "title": "Rust for Web Services",
            "summary": "Build fast APIs",
            "description": "Actix, Postgres and a great deal of borrowing.",
            "level": "intermediate",
            "tags": ["Rust", "web", "rust"],
            "category_ids": [programming],
            "completion_reward": "25",
            "estimated_hours": "12.5",
        }),
    )
    .await;
    let id = uuid_of(&course["id"]);
    assert_eq!(course["status"], "draft");
    assert_eq!(course["slug"], "rust-for-web-services");
    assert_eq!(course["tags"], json!(["rust", "web"]));
    assert_eq!(course["categories"][0]["id"], programming.to_string());
    assert_eq!(course["is_free"], true);
    assert_eq!(dec(&course["price"]["amount"]), Decimal::ZERO);
    assert_eq!(dec(&course["completion_reward"]), d("25"));
    assert_eq!(dec(&course["estimated_hours"]), d("12.5"));
    assert_eq!(course["instructors"][0]["user_id"], s.owner.id.to_string());
    assert_eq!(course["instructors"][0]["role"], "owner");
    assert!(course["published_at"].is_null());

    let basics = add_module(&app, &s.owner, id, "Basics").await;
    let advanced = add_module(&app, &s.owner, id, "Advanced").await;
    let intro = add_lesson(
        &app,
        &s.owner,
        basics,
        json!({"title": "Intro", "content": "Hello.", "preview": true}),
    )
    .await;
    assert_eq!(intro["preview"], true);
    assert_eq!(intro["position"], 0);
    let video = add_lesson(
        &app,
        &s.owner,
        basics,
        json!({"title": "Tour", "kind": "video", "content": "", "media_url": "https://video.example.com/tour.mp4", "duration_minutes": 12}),
    )
    .await;
    assert_eq!(video["kind"], "video");
    assert_eq!(video["position"], 1);
    let traits = text_lesson(&app, &s.owner, advanced, "Traits").await;
    let lessons = [uuid_of(&intro["id"]), uuid_of(&video["id"]), traits];

    let detail = expect(
        app.get_as(&format!("/api/v1/courses/{id}"), &s.owner).await,
        200,
    )
    .await;
    assert_eq!(ids_of(&detail["modules"]), vec![basics, advanced]);
    assert_eq!(
        ids_of(&detail["modules"][0]["lessons"]),
        lessons[..2].to_vec()
    );

    // The owner submits; publishing takes `course:publish`, which instructors lack.
    let submitted = expect(
        app.post_as(
            &format!("/api/v1/courses/{id}/submit"),
            &s.owner,
            &json!({}),
        )
        .await,
        200,
    )
    .await;
    assert_eq!(submitted["status"], "under_review");
    assert!(submitted["submitted_at"].is_string());
    assert_problem(
        app.post_as(
            &format!("/api/v1/courses/{id}/publish"),
            &s.owner,
            &json!({}),
        )
        .await,
        403,
        "forbidden",
    )
    .await;
    let published = publish(&app, &s.admin, id).await;
    assert_eq!(published["status"], "published");
    assert!(published["published_at"].is_string());

    // A learner finds it by a word of its description and of its title.
    let learner = app.signup("learner@example.com").await;
    for q in ["borrowing", "rust"] {
        let found = search(&app, &format!("q={q}")).await;
        assert_eq!(found["total"], 1, "q={q}: {found}");
        let item = &found["items"][0];
        assert_eq!(uuid_of(&item["id"]), id);
        assert!(item["rating_average"].is_null());
        assert_eq!(item["rating_count"], 0);
        assert_eq!(item["enrollment_count"], 0);
        assert_eq!(item["instructors"][0]["display_name"], "Test User");
        assert_eq!(item["instructors"][0]["user_id"], s.owner.id.to_string());
    }

    let enrollment = enroll(&app, &learner, id).await;
    assert_eq!(enrollment["status"], "active");
    assert_eq!(uuid_of(&enrollment["course_id"]), id);
    assert_eq!(uuid_of(&enrollment["user_id"]), learner.id);
    assert_eq!(dec(&enrollment["progress_percent"]), Decimal::ZERO);
    assert!(enrollment["payment_id"].is_null());
    let found = search(&app, "q=rust").await;
    assert_eq!(found["items"][0]["enrollment_count"], 1);

    // Progress, lesson by lesson; the last one completes the course and pays its reward.
    let first = complete(&app, &learner, lessons[0]).await;
    assert_eq!(first["course_completed"], false);
    assert!(first["reward"].is_null());
    assert_eq!(first["lesson"]["status"], "completed");
    assert_eq!(dec(&first["enrollment"]["progress_percent"]), d("33.33"));
    let second = complete(&app, &learner, lessons[1]).await;
    assert_eq!(second["course_completed"], false);
    assert_eq!(dec(&second["enrollment"]["progress_percent"]), d("66.67"));
    let last = complete(&app, &learner, lessons[2]).await;
    assert_eq!(last["course_completed"], true, "{last}");
    assert_eq!(dec(&last["reward"]), d("25"));
    assert_eq!(last["enrollment"]["status"], "completed");
    assert!(last["enrollment"]["completed_at"].is_string());

    let mine = expect(app.get_as("/api/v1/me/enrollments", &learner).await, 200).await;
    assert_eq!(mine["total"], 1);
    assert_eq!(mine["items"][0]["status"], "completed");
    assert_eq!(dec(&mine["items"][0]["progress_percent"]), d("100"));
    assert_eq!(balance(&app, &learner, "AZR").await, d("25"));

    // Completing again changes nothing and pays nothing.
    let again = complete(&app, &learner, lessons[2]).await;
    assert_eq!(again["course_completed"], false);
    assert!(again["reward"].is_null());
    assert_eq!(balance(&app, &learner, "AZR").await, d("25"));
    assert_eq!(
        app.count(&format!(
            "SELECT count(*) AS n FROM reward_grants WHERE user_id = '{}'",
            learner.id
        ))
        .await,
        1
    );

    // The learner is congratulated by mail (after the earlier verification mail).
    let mut subjects = Vec::new();
    for _ in 0..3 {
        let mail = app
            .smtp
            .wait_for("learner@example.com", Duration::from_secs(10))
            .await;
        subjects.push(mail.subject.clone());
        if mail.subject.contains("You completed") {
            break;
        }
    }
    assert!(
        subjects
            .last()
            .is_some_and(|s| s.contains("You completed Rust for Web Services")),
        "{subjects:?}"
    );

    // Reviews: a new one is 201, a second post edits it (200); the average follows.
    let outsider = app.signup("outsider@example.com").await;
    assert_problem(
        app.post_as(
            &format!("/api/v1/courses/{id}/reviews"),
            &outsider,
            &json!({"rating": 5}),
        )
        .await,
        403,
        "not_enrolled",
    )
    .await;
    let review = expect(
        app.post_as(
            &format!("/api/v1/courses/{id}/reviews"),
            &learner,
            &json!({"rating": 3, "body": "Good."}),
        )
        .await,
        201,
    )
    .await;
    let edited = expect(
        app.post_as(
            &format!("/api/v1/courses/{id}/reviews"),
            &learner,
            &json!({"rating": 5, "body": "Great, actually."}),
        )
        .await,
        200,
    )
    .await;
    assert_eq!(edited["id"], review["id"]);
    assert_eq!(edited["rating"], 5);
    assert_eq!(edited["body"], "Great, actually.");
    let second_learner = app.signup("second@example.com").await;
    enroll(&app, &second_learner, id).await;
    expect(
        app.post_as(
            &format!("/api/v1/courses/{id}/reviews"),
            &second_learner,
            &json!({"rating": 2, "body": "Too fast."}),
        )
        .await,
        201,
    )
    .await;
    assert_problem(
        app.post_as(
            &format!("/api/v1/courses/{id}/reviews"),
            &learner,
            &json!({"rating": 6}),
        )
        .await,
        422,
        "validation_failed",
    )
    .await;
    let detail = expect(app.get(&format!("/api/v1/courses/{id}")).await, 200).await;
    assert_eq!(dec(&detail["rating_average"]), d("3.50"));
    assert_eq!(
        detail["rating_average"], "3.50",
        "two decimals, as documented"
    );
    assert_eq!(detail["rating_count"], 2);
    assert_eq!(detail["enrollment_count"], 2);

    // The instructor answers; a learner may not.
    let review_id = uuid_of(&review["id"]);
    assert_problem(
        app.post_as(
            &format!("/api/v1/reviews/{review_id}/reply"),
            &second_learner,
            &json!({"reply": "Me too"}),
        )
        .await,
        403,
        "forbidden",
    )
    .await;
    let replied = expect(
        app.post_as(
            &format!("/api/v1/reviews/{review_id}/reply"),
            &s.owner,
            &json!({"reply": "Thank you!"}),
        )
        .await,
        200,
    )
    .await;
    assert_eq!(replied["reply"], "Thank you!");
    assert_eq!(uuid_of(&replied["replied_by"]), s.owner.id);
    let reviews = expect(app.get(&format!("/api/v1/courses/{id}/reviews")).await, 200).await;
    assert_eq!(reviews["total"], 2);
    assert!(
        reviews["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r["reply"] == "Thank you!")
    );
}

// ------------------------------------------------------------------ paid courses

#[tokio::test]
async fn a_paid_enrollment_is_charged_and_dropping_it_refunds_it() {
    let app = TestApp::spawn().await;
    let s = staff(&app).await;
    let root = app
        .signup_with_role("root@example.com", "super_admin")
        .await;
    let course = published_course_with_lessons(&app, &s, "Paid Rust", 2, Some("25.00")).await;
    let shown = expect(
        app.get(&format!("/api/v1/courses/{}", course.id)).await,
        200,
    )
    .await;
    assert_eq!(dec(&shown["price"]["amount"]), d("25"));
    assert_eq!(shown["price"]["currency"], "USD");
    assert_eq!(shown["is_free"], false);

    let learner = app.signup("learner@example.com").await;
    fund_usd(&app, &root, &learner, "30.00").await;
    assert_eq!(balance(&app, &learner, "USD").await, d("30"));

    let enrollment = enroll(&app, &learner, course.id).await;
    assert!(enrollment["payment_id"].is_string(), "{enrollment}");
    assert_eq!(dec(&enrollment["price"]["amount"]), d("25"));
    assert_eq!(enrollment["price"]["currency"], "USD");
    assert_eq!(balance(&app, &learner, "USD").await, d("5"));
    let eid = uuid_of(&enrollment["id"]);

    // Dropping within the refund window gives the money back; the row stays as history.
    let dropped = expect(
        app.delete_as(&format!("/api/v1/enrollments/{eid}"), &learner)
            .await,
        200,
    )
    .await;
    assert_eq!(dropped["status"], "dropped");
    assert!(dropped["refund_id"].is_string(), "{dropped}");
    assert!(dropped["dropped_at"].is_string());
    assert_eq!(balance(&app, &learner, "USD").await, d("30"));
    let history = expect(
        app.get_as("/api/v1/me/enrollments?status=dropped", &learner)
            .await,
        200,
    )
    .await;
    assert_eq!(history["total"], 1);
    assert_eq!(uuid_of(&history["items"][0]["id"]), eid);
    let active = expect(
        app.get_as("/api/v1/me/enrollments?status=active", &learner)
            .await,
        200,
    )
    .await;
    assert_eq!(active["total"], 0);
    assert_problem(
        app.delete_as(&format!("/api/v1/enrollments/{eid}"), &learner)
            .await,
        409,
        "already_dropped",
    )
    .await;
    assert_problem(
        app.post_as(
            &format!("/api/v1/courses/{}/reviews", course.id),
            &learner,
            &json!({"rating": 1}),
        )
        .await,
        403,
        "not_enrolled",
    )
    .await;
    let course_now = expect(
        app.get(&format!("/api/v1/courses/{}", course.id)).await,
        200,
    )
    .await;
    assert_eq!(course_now["enrollment_count"], 0);

    // Enrolling again is a new enrollment, charged again.
    let again = enroll(&app, &learner, course.id).await;
    assert_ne!(uuid_of(&again["id"]), eid);
    assert_eq!(balance(&app, &learner, "USD").await, d("5"));
    assert_eq!(enrollment_rows(&app, &learner, course.id).await, 2);
}

#[tokio::test]
async fn an_enrollment_without_the_money_is_refused_and_leaves_nothing_behind() {
    let app = TestApp::spawn().await;
    let s = staff(&app).await;
    let root = app
        .signup_with_role("root@example.com", "super_admin")
        .await;
    let course = published_course_with_lessons(&app, &s, "Paid Rust", 1, Some("25.00")).await;

    // No USD wallet at all.
    let broke = app.signup("broke@example.com").await;
    assert_problem(
        enroll_resp(&app, &broke, course.id).await,
        422,
        "insufficient_funds",
    )
    .await;
    assert_eq!(enrollment_rows(&app, &broke, course.id).await, 0);

    // A wallet with too little in it.
    let poor = app.signup("poor@example.com").await;
    fund_usd(&app, &root, &poor, "24.99").await;
    let payments_before = app
        .count("SELECT count(*) AS n FROM ledger_transactions WHERE kind = 'payment'")
        .await;
    assert_problem(
        enroll_resp(&app, &poor, course.id).await,
        422,
        "insufficient_funds",
    )
    .await;
    assert_eq!(enrollment_rows(&app, &poor, course.id).await, 0);
    assert_eq!(balance(&app, &poor, "USD").await, d("24.99"));
    assert_eq!(
        app.count("SELECT count(*) AS n FROM ledger_transactions WHERE kind = 'payment'")
            .await,
        payments_before
    );
    let course_now = expect(
        app.get(&format!("/api/v1/courses/{}", course.id)).await,
        200,
    )
    .await;
    assert_eq!(course_now["enrollment_count"], 0);
}

#[tokio::test]
async fn an_idempotency_key_enrolls_and_charges_once() {
    let app = TestApp::spawn().await;
    let s = staff(&app).await;
    let root = app
        .signup_with_role("root@example.com", "super_admin")
        .await;
    let course = published_course_with_lessons(&app, &s, "Paid Rust", 1, Some("25.00")).await;
    let learner = app.signup("learner@example.com").await;
    fund_usd(&app, &root, &learner, "100.00").await;

    let key = Uuid::now_v7().to_string();
    let send = || {
        app.client
            .post(app.url(&format!("/api/v1/courses/{}/enroll", course.id)))
            .bearer_auth(&learner.access_token)
            .header("Idempotency-Key", &key)
            .send()
    };
    let first = expect(send().await.unwrap(), 201).await;
    let second = expect(send().await.unwrap(), 201).await;
    assert_eq!(first["id"], second["id"]);
    assert_eq!(first["payment_id"], second["payment_id"]);
    assert_eq!(balance(&app, &learner, "USD").await, d("75"));
    assert_eq!(enrollment_rows(&app, &learner, course.id).await, 1);

    // Without the key, it is a second enrollment attempt.
    assert_problem(
        enroll_resp(&app, &learner, course.id).await,
        409,
        "already_enrolled",
    )
    .await;
    assert_eq!(balance(&app, &learner, "USD").await, d("75"));

    // The same key for another course is a different request.
    let other = published_course_with_lessons(&app, &s, "Other Paid", 1, Some("5.00")).await;
    let resp = app
        .client
        .post(app.url(&format!("/api/v1/courses/{}/enroll", other.id)))
        .bearer_auth(&learner.access_token)
        .header("Idempotency-Key", &key)
        .send()
        .await
        .unwrap();
    assert_problem(resp, 409, "idempotency_key_reused").await;
    assert_eq!(enrollment_rows(&app, &learner, other.id).await, 0);
    assert_eq!(balance(&app, &learner, "USD").await, d("75"));
}

#[tokio::test]
async fn concurrent_enrollments_in_a_paid_course_charge_once() {
    let app = TestApp::spawn().await;
    let s = staff(&app).await;
    let root = app
        .signup_with_role("root@example.com", "super_admin")
        .await;
    let course = published_course_with_lessons(&app, &s, "Busy Course", 1, Some("25.00")).await;
    let learner = app.signup("learner@example.com").await;
    fund_usd(&app, &root, &learner, "100.00").await;

    let answers = join_all((0..5).map(|_| enroll_resp(&app, &learner, course.id))).await;
    let mut created = 0;
    for resp in answers {
        if resp.status() == 201 {
            created += 1;
        } else {
            assert_problem(resp, 409, "already_enrolled").await;
        }
    }
    assert_eq!(created, 1);
    assert_eq!(enrollment_rows(&app, &learner, course.id).await, 1);
    assert_eq!(balance(&app, &learner, "USD").await, d("75"));
    let shown = expect(
        app.get(&format!("/api/v1/courses/{}", course.id)).await,
        200,
    )
    .await;
    assert_eq!(shown["enrollment_count"], 1);
}

#[tokio::test]
async fn prices_are_validated_in_the_currencys_scale() {
    let app = TestApp::spawn().await;
    let s = staff(&app).await;
    for price in [
        json!({"amount": "25.001", "currency": "USD"}),
        json!({"amount": "-5", "currency": "USD"}),
        json!({"amount": "ten", "currency": "USD"}),
        json!({"amount": "10", "currency": "XYZ"}),
    ] {
        assert_problem(
            app.post_as(
                "/api/v1/courses",
                &s.owner,
                &json!({"title": "Badly Priced", "price": price}),
            )
            .await,
            422,
            "validation_failed",
        )
        .await;
    }
    assert_eq!(app.count("SELECT count(*) AS n FROM courses").await, 0);
    let course = create_course(
        &app,
        &s.owner,
        json!({"title": "Well Priced", "price": {"amount": "0.5", "currency": "usd"}}),
    )
    .await;
    assert_eq!(dec(&course["price"]["amount"]), d("0.5"));
    assert_eq!(course["price"]["currency"], "USD");
    assert_eq!(course["is_free"], false);
}

// ------------------------------------------------------------------ visibility and permissions

#[tokio::test]
async fn drafts_are_visible_to_their_staff_only() {
    let app = TestApp::spawn().await;
    let s = staff(&app).await;
    let draft = draft_course(
        &app,
        &s.owner,
        "Secret Draft",
        1,
        json!({"tags": ["project-x"]}),
    )
    .await;
    let learner = app.signup("learner@example.com").await;

    let path = format!("/api/v1/courses/{}", draft.id);
    assert_problem(app.get_as(&path, &learner).await, 404, "not_found").await;
    assert_problem(app.get(&path).await, 404, "not_found").await;
    expect(app.get_as(&path, &s.owner).await, 200).await;
    expect(app.get_as(&path, &s.admin).await, 200).await;
    assert_eq!(search(&app, "").await["total"], 0);
    assert_eq!(search(&app, "q=secret").await["total"], 0);
    assert_eq!(search(&app, "tag=project-x").await["total"], 0);
    // Nor do its tags show in the public tag list.
    let tags = expect(app.get("/api/v1/tags").await, 200).await;
    assert_eq!(tags, json!([]), "the tags of drafts are not public");

    // Under review: still hidden.
    expect(
        app.post_as(&format!("{path}/submit"), &s.owner, &json!({}))
            .await,
        200,
    )
    .await;
    assert_problem(app.get_as(&path, &learner).await, 404, "not_found").await;
    assert_problem(
        app.get(&format!("/api/v1/lessons/{}", draft.lessons[0]))
            .await,
        404,
        "not_found",
    )
    .await;
    assert_problem(
        enroll_resp(&app, &learner, draft.id).await,
        404,
        "not_found",
    )
    .await;
    assert_eq!(search(&app, "").await["total"], 0);

    publish(&app, &s.admin, draft.id).await;
    expect(app.get(&path).await, 200).await;
    assert_eq!(search(&app, "").await["total"], 1);
    let tags = expect(app.get("/api/v1/tags").await, 200).await;
    assert_eq!(tags, json!([{"name": "project-x", "course_count": 1}]));
}

#[tokio::test]
async fn only_the_courses_staff_edit_it() {
    let app = TestApp::spawn().await;
    let s = staff(&app).await;
    let other = app
        .signup_with_role("other@example.com", "instructor")
        .await;
    let published = published_course_with_lessons(&app, &s, "Public Course", 1, None).await;
    let draft = draft_course(&app, &s.owner, "Private Draft", 1, json!({})).await;

    assert_problem(
        app.patch_as(
            &format!("/api/v1/courses/{}", published.id),
            &other,
            &json!({"title": "Hijacked"}),
        )
        .await,
        403,
        "forbidden",
    )
    .await;
    assert_problem(
        app.patch_as(
            &format!("/api/v1/courses/{}", draft.id),
            &other,
            &json!({"title": "Hijacked"}),
        )
        .await,
        404,
        "not_found",
    )
    .await;
    assert_problem(
        app.post_as(
            &format!("/api/v1/courses/{}/modules", published.id),
            &other,
            &json!({"title": "Extra"}),
        )
        .await,
        403,
        "forbidden",
    )
    .await;

    let edited = expect(
        app.patch_as(
            &format!("/api/v1/courses/{}", published.id),
            &s.owner,
            &json!({"title": "Public Course, Revised", "level": "advanced"}),
        )
        .await,
        200,
    )
    .await;
    assert_eq!(edited["title"], "Public Course, Revised");
    assert_eq!(edited["level"], "advanced");
    assert_problem(
        app.patch_as(
            &format!("/api/v1/courses/{}", published.id),
            &s.owner,
            &json!({"level": "wizard"}),
        )
        .await,
        422,
        "validation_failed",
    )
    .await;
}

#[tokio::test]
async fn students_and_unverified_accounts_cannot_create_courses() {
    let app = TestApp::spawn().await;
    let student = app.signup("student@example.com").await;
    assert_problem(
        app.post_as("/api/v1/courses", &student, &json!({"title": "Mine"}))
            .await,
        403,
        "forbidden",
    )
    .await;

    app.register("fresh@example.com", PASSWORD, "Fresh").await;
    let fresh = app.signin("fresh@example.com", PASSWORD).await;
    app.grant_role(fresh.id, "instructor", None).await;
    assert_problem(
        app.post_as("/api/v1/courses", &fresh, &json!({"title": "Mine"}))
            .await,
        403,
        "email_not_verified",
    )
    .await;
    assert_eq!(app.count("SELECT count(*) AS n FROM courses").await, 0);

    assert_problem(
        app.post_as("/api/v1/categories", &student, &json!({"name": "Mine"}))
            .await,
        403,
        "forbidden",
    )
    .await;
}

#[tokio::test]
async fn lessons_need_an_enrollment_except_previews() {
    let app = TestApp::spawn().await;
    let s = staff(&app).await;
    let course = draft_course(&app, &s.owner, "Preview Course", 1, json!({})).await;
    let preview = uuid_of(
        &add_lesson(
            &app,
            &s.owner,
            course.module,
            json!({"title": "Free taste", "content": "Taste this.", "preview": true}),
        )
        .await["id"],
    );
    publish(&app, &s.admin, course.id).await;
    let learner = app.signup("learner@example.com").await;
    let locked = course.lessons[0];

    let open = expect(app.get(&format!("/api/v1/lessons/{preview}")).await, 200).await;
    assert_eq!(open["content"], "Taste this.");
    assert_eq!(open["bookmarked"], false);
    assert_problem(
        app.get_as(&format!("/api/v1/lessons/{locked}"), &learner)
            .await,
        403,
        "enrollment_required",
    )
    .await;
    assert_problem(
        app.get(&format!("/api/v1/lessons/{locked}")).await,
        403,
        "enrollment_required",
    )
    .await;
    assert_problem(
        progress(&app, &learner, locked, "completed").await,
        403,
        "not_enrolled",
    )
    .await;
    assert_problem(
        progress(&app, &learner, locked, "finished").await,
        422,
        "validation_failed",
    )
    .await;

    enroll(&app, &learner, course.id).await;
    let read = expect(
        app.get_as(&format!("/api/v1/lessons/{locked}"), &learner)
            .await,
        200,
    )
    .await;
    assert_eq!(read["content"], "Some words.");
    let started = expect(
        put_as(
            &app,
            &format!("/api/v1/lessons/{locked}/progress"),
            &learner,
            &json!({"status": "started", "time_spent_seconds": 90, "last_position_seconds": 120}),
        )
        .await,
        200,
    )
    .await;
    assert_eq!(started["lesson"]["status"], "started");
    assert!(started["lesson"]["completed_at"].is_null());
    // Time spent only grows; the position is where the learner is now (they may rewind).
    let rewound = expect(
        put_as(
            &app,
            &format!("/api/v1/lessons/{locked}/progress"),
            &learner,
            &json!({"status": "started", "time_spent_seconds": 30, "last_position_seconds": 15}),
        )
        .await,
        200,
    )
    .await;
    assert_eq!(rewound["lesson"]["time_spent_seconds"], 90);
    assert_eq!(rewound["lesson"]["last_position_seconds"], 15);
    let done = complete(&app, &learner, locked).await;
    assert!(done["lesson"]["completed_at"].is_string());
    let restarted = expect(progress(&app, &learner, locked, "started").await, 200).await;
    assert_eq!(
        restarted["lesson"]["status"], "completed",
        "completed stays completed"
    );
    let progress_view = expect(
        app.get_as(&format!("/api/v1/courses/{}/progress", course.id), &learner)
            .await,
        200,
    )
    .await;
    assert_eq!(progress_view["required_lessons"], 2);
    assert_eq!(progress_view["completed_lessons"], 1);
    assert_eq!(progress_view["lessons"].as_array().unwrap().len(), 1);
    let stranger = app.signup("stranger@example.com").await;
    assert_problem(
        app.get_as(
            &format!("/api/v1/courses/{}/progress", course.id),
            &stranger,
        )
        .await,
        404,
        "not_enrolled",
    )
    .await;
}

#[tokio::test]
async fn enrollment_needs_an_open_course_and_happens_once() {
    let app = TestApp::spawn().await;
    let s = staff(&app).await;
    let learner = app.signup("learner@example.com").await;
    let draft = draft_course(&app, &s.owner, "Draft Course", 1, json!({})).await;
    assert_problem(
        enroll_resp(&app, &learner, draft.id).await,
        404,
        "not_found",
    )
    .await;
    assert_problem(
        enroll_resp(&app, &learner, Uuid::now_v7()).await,
        404,
        "not_found",
    )
    .await;

    let open = published_course_with_lessons(&app, &s, "Open Course", 1, None).await;
    enroll(&app, &learner, open.id).await;
    assert_problem(
        enroll_resp(&app, &learner, open.id).await,
        409,
        "already_enrolled",
    )
    .await;
    assert_eq!(enrollment_rows(&app, &learner, open.id).await, 1);

    let archived = expect(
        app.post_as(
            &format!("/api/v1/courses/{}/archive", open.id),
            &s.owner,
            &json!({}),
        )
        .await,
        200,
    )
    .await;
    assert_eq!(archived["status"], "archived");
    let late = app.signup("late@example.com").await;
    assert_problem(
        enroll_resp(&app, &late, open.id).await,
        422,
        "course_not_open",
    )
    .await;
    assert_eq!(enrollment_rows(&app, &late, open.id).await, 0);
    // Archived courses leave the catalog.
    assert_eq!(search(&app, "").await["total"], 0);
}

#[tokio::test]
async fn the_status_workflow_refuses_invalid_transitions_and_empty_courses() {
    let app = TestApp::spawn().await;
    let s = staff(&app).await;
    let empty =
        uuid_of(&create_course(&app, &s.owner, json!({"title": "Empty Course"})).await["id"]);
    assert_problem(
        app.post_as(
            &format!("/api/v1/courses/{empty}/submit"),
            &s.owner,
            &json!({}),
        )
        .await,
        422,
        "course_empty",
    )
    .await;
    // A module without lessons is still empty.
    add_module(&app, &s.owner, empty, "Nothing here").await;
    assert_problem(
        app.post_as(
            &format!("/api/v1/courses/{empty}/publish"),
            &s.admin,
            &json!({}),
        )
        .await,
        422,
        "course_empty",
    )
    .await;

    let course = published_course_with_lessons(&app, &s, "Twice", 1, None).await;
    assert_problem(
        app.post_as(
            &format!("/api/v1/courses/{}/publish", course.id),
            &s.admin,
            &json!({}),
        )
        .await,
        409,
        "invalid_transition",
    )
    .await;
    assert_problem(
        app.post_as(
            &format!("/api/v1/courses/{}/submit", course.id),
            &s.owner,
            &json!({}),
        )
        .await,
        409,
        "invalid_transition",
    )
    .await;
    // Archive once; a second archive is a clash too.
    let archive = format!("/api/v1/courses/{}/archive", course.id);
    expect(app.post_as(&archive, &s.owner, &json!({})).await, 200).await;
    assert_problem(
        app.post_as(&archive, &s.owner, &json!({})).await,
        409,
        "invalid_transition",
    )
    .await;
}

#[tokio::test]
async fn edits_refuse_a_taken_slug_nul_characters_and_bad_search_input() {
    let app = TestApp::spawn().await;
    let s = staff(&app).await;
    create_course(&app, &s.owner, json!({"title": "First", "slug": "first"})).await;
    let second = uuid_of(&create_course(&app, &s.owner, json!({"title": "Second"})).await["id"]);
    let path = format!("/api/v1/courses/{second}");
    assert_problem(
        app.patch_as(&path, &s.owner, &json!({"slug": "first"}))
            .await,
        409,
        "slug_taken",
    )
    .await;
    // U+0000 cannot be stored: refused up front, not a 500 from the database.
    assert_problem(
        app.patch_as(&path, &s.owner, &json!({"title": "a\u{0}b"}))
            .await,
        400,
        "malformed_json",
    )
    .await;
    let detail = expect(app.get_as(&path, &s.owner).await, 200).await;
    assert_eq!(detail["title"], "Second");
    assert_eq!(detail["slug"], "second");
    for query in [
        "q=a%00b",
        "tag=x%00",
        "sort=loudest",
        "price=cheap",
        "per_page=0",
    ] {
        assert_problem(
            app.get(&format!("/api/v1/courses?{query}")).await,
            422,
            "validation_failed",
        )
        .await;
    }
}

// ------------------------------------------------------------------ prerequisites and categories

#[tokio::test]
async fn prerequisites_must_be_completed_before_enrolling() {
    let app = TestApp::spawn().await;
    let s = staff(&app).await;
    let a = published_course_with_lessons(&app, &s, "Course A", 1, None).await;
    let b = published_course_with_lessons(&app, &s, "Course B", 1, None).await;
    let list = expect(
        app.post_as(
            &format!("/api/v1/courses/{}/prerequisites", b.id),
            &s.owner,
            &json!({"prerequisite_id": a.id}),
        )
        .await,
        201,
    )
    .await;
    assert_eq!(ids_of(&list), vec![a.id]);
    let shown = expect(app.get(&format!("/api/v1/courses/{}", b.id)).await, 200).await;
    assert_eq!(ids_of(&shown["prerequisites"]), vec![a.id]);

    let learner = app.signup("learner@example.com").await;
    let problem = assert_problem(
        enroll_resp(&app, &learner, b.id).await,
        422,
        "prerequisites_missing",
    )
    .await;
    let errors = problem["errors"].as_array().expect("errors");
    assert_eq!(errors.len(), 1, "{problem}");
    assert!(
        errors[0]["detail"]
            .as_str()
            .unwrap()
            .contains(&a.id.to_string()),
        "{problem}"
    );
    assert_eq!(enrollment_rows(&app, &learner, b.id).await, 0);

    // Being enrolled in A is not enough; completing it is.
    enroll(&app, &learner, a.id).await;
    assert_problem(
        enroll_resp(&app, &learner, b.id).await,
        422,
        "prerequisites_missing",
    )
    .await;
    complete_course(&app, &learner, &a).await;
    enroll(&app, &learner, b.id).await;
}

#[tokio::test]
async fn prerequisite_cycles_are_refused() {
    let app = TestApp::spawn().await;
    let s = staff(&app).await;
    let a = draft_course(&app, &s.owner, "Course A", 1, json!({})).await;
    let b = draft_course(&app, &s.owner, "Course B", 1, json!({})).await;
    let c = draft_course(&app, &s.owner, "Course C", 1, json!({})).await;
    let add = |course: Uuid, pre: Uuid| {
        let owner = &s.owner;
        let app = &app;
        async move {
            app.post_as(
                &format!("/api/v1/courses/{course}/prerequisites"),
                owner,
                &json!({"prerequisite_id": pre}),
            )
            .await
        }
    };
    expect(add(b.id, a.id).await, 201).await;
    assert_problem(add(a.id, b.id).await, 422, "prerequisite_cycle").await;
    assert_problem(add(a.id, a.id).await, 422, "prerequisite_cycle").await;
    // Through a third course: C requires B (which requires A); A requiring C closes a loop.
    expect(add(c.id, b.id).await, 201).await;
    assert_problem(add(a.id, c.id).await, 422, "prerequisite_cycle").await;
    assert_problem(add(b.id, a.id).await, 409, "already_prerequisite").await;
    // Another instructor's draft is not a course the owner may point at.
    let other = app
        .signup_with_role("other@example.com", "instructor")
        .await;
    let hidden = draft_course(&app, &other, "Hidden Draft", 1, json!({})).await;
    let refused = assert_problem(add(a.id, hidden.id).await, 422, "validation_failed").await;
    assert_eq!(refused["errors"][0]["pointer"], "#/prerequisite_id");
    assert_problem(add(a.id, Uuid::now_v7()).await, 422, "validation_failed").await;
    assert_eq!(
        app.count("SELECT count(*) AS n FROM course_prerequisites")
            .await,
        2
    );
}

#[tokio::test]
async fn a_category_cannot_move_under_itself_or_its_descendants() {
    let app = TestApp::spawn().await;
    let s = staff(&app).await;
    let top = category(&app, &s.admin, "Programming", None).await;
    let child = category(&app, &s.admin, "Rust", Some(top)).await;
    let grandchild = category(&app, &s.admin, "Async Rust", Some(child)).await;
    assert_problem(
        app.post_as(
            "/api/v1/categories",
            &s.admin,
            &json!({"name": "Programming"}),
        )
        .await,
        409,
        "slug_taken",
    )
    .await;
    let tree = expect(app.get("/api/v1/categories").await, 200).await;
    assert_eq!(ids_of(&tree), vec![top]);
    assert_eq!(ids_of(&tree[0]["children"]), vec![child]);
    assert_eq!(
        ids_of(&tree[0]["children"][0]["children"]),
        vec![grandchild]
    );
    assert_eq!(tree[0]["slug"], "programming");

    for target in [top, child, grandchild] {
        assert_problem(
            app.patch_as(
                &format!("/api/v1/categories/{top}"),
                &s.admin,
                &json!({"parent_id": target}),
            )
            .await,
            422,
            "category_cycle",
        )
        .await;
    }
    // A legal move: the grandchild to the top level.
    let moved = expect(
        app.patch_as(
            &format!("/api/v1/categories/{grandchild}"),
            &s.admin,
            &json!({"parent_id": null}),
        )
        .await,
        200,
    )
    .await;
    assert!(moved["parent_id"].is_null());
    let tree = expect(app.get("/api/v1/categories").await, 200).await;
    assert_eq!(tree.as_array().unwrap().len(), 2, "{tree}");
    assert_eq!(
        app.patch_as(
            &format!("/api/v1/categories/{top}"),
            &s.owner,
            &json!({"name": "Mine"}),
        )
        .await
        .status(),
        403
    );
}

// ------------------------------------------------------------------ ordering

#[tokio::test]
async fn modules_keep_a_gap_free_order() {
    let app = TestApp::spawn().await;
    let s = staff(&app).await;
    let course = uuid_of(&create_course(&app, &s.owner, json!({"title": "Ordered"})).await["id"]);
    let a = add_module(&app, &s.owner, course, "A").await;
    let b = add_module(&app, &s.owner, course, "B").await;
    let c = add_module(&app, &s.owner, course, "C").await;
    let reorder = |ids: Value| {
        let app = &app;
        let owner = &s.owner;
        async move {
            app.post_as(
                &format!("/api/v1/courses/{course}/modules/reorder"),
                owner,
                &json!({"ids": ids}),
            )
            .await
        }
    };

    let modules = expect(reorder(json!([c, a, b])).await, 200).await;
    assert_eq!(ids_of(&modules), vec![c, a, b]);
    let order = module_order(&app, &s.owner, course).await;
    assert_eq!(ids(&order), vec![c, a, b]);
    assert_gap_free(&order);

    let foreign = uuid_of(&create_course(&app, &s.owner, json!({"title": "Other"})).await["id"]);
    let foreign_module = add_module(&app, &s.owner, foreign, "Elsewhere").await;
    for bad in [
        json!([c, a]),
        json!([c, a, a]),
        json!([c, a, b, b]),
        json!([c, a, foreign_module]),
        json!([c, a, b, foreign_module]),
    ] {
        assert_problem(reorder(bad).await, 422, "invalid_order").await;
        assert_eq!(
            ids(&module_order(&app, &s.owner, course).await),
            vec![c, a, b]
        );
    }

    // A new module at position 0 shifts the others down.
    let first = expect(
        app.post_as(
            &format!("/api/v1/courses/{course}/modules"),
            &s.owner,
            &json!({"title": "First", "position": 0}),
        )
        .await,
        201,
    )
    .await;
    assert_eq!(first["position"], 0);
    let z = uuid_of(&first["id"]);
    let order = module_order(&app, &s.owner, course).await;
    assert_eq!(ids(&order), vec![z, c, a, b]);
    assert_gap_free(&order);
    assert_problem(
        app.post_as(
            &format!("/api/v1/courses/{course}/modules"),
            &s.owner,
            &json!({"title": "Far", "position": 9}),
        )
        .await,
        422,
        "validation_failed",
    )
    .await;

    // Moving one with PATCH.
    let moved = expect(
        app.patch_as(
            &format!("/api/v1/modules/{z}"),
            &s.owner,
            &json!({"position": 2}),
        )
        .await,
        200,
    )
    .await;
    assert_eq!(moved["position"], 2);
    let order = module_order(&app, &s.owner, course).await;
    assert_eq!(ids(&order), vec![c, a, z, b]);
    assert_gap_free(&order);
    expect(
        app.patch_as(
            &format!("/api/v1/modules/{b}"),
            &s.owner,
            &json!({"position": 0}),
        )
        .await,
        200,
    )
    .await;
    let order = module_order(&app, &s.owner, course).await;
    assert_eq!(ids(&order), vec![b, c, a, z]);
    assert_gap_free(&order);
    assert_problem(
        app.patch_as(
            &format!("/api/v1/modules/{b}"),
            &s.owner,
            &json!({"position": 4}),
        )
        .await,
        422,
        "validation_failed",
    )
    .await;

    // Deleting closes the gap.
    expect(
        app.delete_as(&format!("/api/v1/modules/{c}"), &s.owner)
            .await,
        204,
    )
    .await;
    let order = module_order(&app, &s.owner, course).await;
    assert_eq!(ids(&order), vec![b, a, z]);
    assert_gap_free(&order);

    // Concurrent additions, at the front and at the end, still give 0..n-1.
    let answers = join_all((0..6).map(|i| {
        let body = if i % 2 == 0 {
            json!({"title": format!("Burst {i}"), "position": 0})
        } else {
            json!({"title": format!("Burst {i}")})
        };
        let app = &app;
        let owner = &s.owner;
        async move {
            app.post_as(&format!("/api/v1/courses/{course}/modules"), owner, &body)
                .await
        }
    }))
    .await;
    for resp in answers {
        expect(resp, 201).await;
    }
    let order = module_order(&app, &s.owner, course).await;
    assert_eq!(order.len(), 9);
    assert_gap_free(&order);
}

#[tokio::test]
async fn lessons_keep_a_gap_free_order() {
    let app = TestApp::spawn().await;
    let s = staff(&app).await;
    let course = draft_course(&app, &s.owner, "Ordered Lessons", 3, json!({})).await;
    let [a, b, c] = [course.lessons[0], course.lessons[1], course.lessons[2]];
    let m = course.module;
    let reorder = |ids: Value| {
        let app = &app;
        let owner = &s.owner;
        async move {
            app.post_as(
                &format!("/api/v1/modules/{m}/lessons/reorder"),
                owner,
                &json!({"ids": ids}),
            )
            .await
        }
    };

    let module = expect(reorder(json!([c, a, b])).await, 200).await;
    assert_eq!(ids_of(&module["lessons"]), vec![c, a, b]);
    let order = lesson_order(&app, &s.owner, course.id, m).await;
    assert_eq!(ids(&order), vec![c, a, b]);
    assert_gap_free(&order);

    let other_module = add_module(&app, &s.owner, course.id, "Second").await;
    let foreign = text_lesson(&app, &s.owner, other_module, "Foreign").await;
    for bad in [
        json!([c, a]),
        json!([c, a, a]),
        json!([c, a, foreign]),
        json!([c, a, b, foreign]),
    ] {
        assert_problem(reorder(bad).await, 422, "invalid_order").await;
        assert_eq!(
            ids(&lesson_order(&app, &s.owner, course.id, m).await),
            vec![c, a, b]
        );
    }

    let z = uuid_of(
        &add_lesson(&app, &s.owner, m, json!({"title": "Zeroth", "position": 0})).await["id"],
    );
    let order = lesson_order(&app, &s.owner, course.id, m).await;
    assert_eq!(ids(&order), vec![z, c, a, b]);
    assert_gap_free(&order);

    let moved = expect(
        app.patch_as(
            &format!("/api/v1/lessons/{z}"),
            &s.owner,
            &json!({"position": 2}),
        )
        .await,
        200,
    )
    .await;
    assert_eq!(moved["position"], 2);
    let order = lesson_order(&app, &s.owner, course.id, m).await;
    assert_eq!(ids(&order), vec![c, a, z, b]);
    assert_gap_free(&order);

    expect(
        app.delete_as(&format!("/api/v1/lessons/{c}"), &s.owner)
            .await,
        204,
    )
    .await;
    let order = lesson_order(&app, &s.owner, course.id, m).await;
    assert_eq!(ids(&order), vec![a, z, b]);
    assert_gap_free(&order);
    // The other module was not touched.
    let other = lesson_order(&app, &s.owner, course.id, other_module).await;
    assert_eq!(ids(&other), vec![foreign]);
    assert_gap_free(&other);
}

// ------------------------------------------------------------------ concurrency

#[tokio::test]
async fn concurrent_completions_complete_and_reward_once() {
    let app = TestApp::spawn().await;
    let s = staff(&app).await;
    let course = published_course_with_lessons(&app, &s, "Race Course", 3, None).await;
    let learner = app.signup("learner@example.com").await;
    enroll(&app, &learner, course.id).await;
    complete(&app, &learner, course.lessons[0]).await;
    complete(&app, &learner, course.lessons[1]).await;

    let last = course.lessons[2];
    let answers = join_all((0..10).map(|_| progress(&app, &learner, last, "completed"))).await;
    let mut completed = 0;
    let mut rewards = Vec::new();
    for resp in answers {
        let body = expect(resp, 200).await;
        if body["course_completed"] == true {
            completed += 1;
            rewards.push(dec(&body["reward"]));
        } else {
            assert!(body["reward"].is_null(), "{body}");
        }
        assert_eq!(body["enrollment"]["status"], "completed");
    }
    assert_eq!(completed, 1, "exactly one request completes the course");
    assert_eq!(rewards, vec![d("10")], "the platform default reward");
    assert_eq!(
        app.count(&format!(
            "SELECT count(*) AS n FROM reward_grants WHERE user_id = '{}'",
            learner.id
        ))
        .await,
        1
    );
    assert_eq!(
        app.count(&format!(
            "SELECT count(*) AS n FROM domain_events WHERE kind = 'course_completed' AND user_id = '{}'",
            learner.id
        ))
        .await,
        1
    );
    assert_eq!(balance(&app, &learner, "AZR").await, d("10"));
}

// ------------------------------------------------------------------ catalog search

#[tokio::test]
async fn search_ranks_title_matches_first_and_filters() {
    let app = TestApp::spawn().await;
    let s = staff(&app).await;
    let top = category(&app, &s.admin, "Science", None).await;
    let child = category(&app, &s.admin, "Physics", Some(top)).await;
    let other = category(&app, &s.admin, "Cooking", None).await;

    // Created in this order: the description match first, so only ranking puts the title first.
    let in_description = draft_course(
        &app,
        &s.owner,
        "Linear Algebra",
        1,
        json!({"description": "Vectors, matrices and a word on quantum states.", "category_ids": [top], "tags": ["math"], "level": "beginner"}),
    )
    .await;
    let in_title = draft_course(
        &app,
        &s.owner,
        "Quantum Mechanics",
        1,
        json!({"description": "Waves and particles.", "category_ids": [child], "tags": ["physics"], "level": "advanced", "price": {"amount": "10.00", "currency": "USD"}}),
    )
    .await;
    let unrelated = draft_course(
        &app,
        &s.owner,
        "Bread Baking",
        1,
        json!({"category_ids": [other], "tags": ["food"], "level": "beginner"}),
    )
    .await;
    for c in [&in_description, &in_title, &unrelated] {
        publish(&app, &s.admin, c.id).await;
    }

    let found = search(&app, "q=quantum").await;
    assert_eq!(found["total"], 2);
    assert_eq!(
        ids_of(&found["items"]),
        vec![in_title.id, in_description.id]
    );
    assert_eq!(search(&app, "q=sourdough").await["total"], 0);

    // A parent category finds courses filed under its children.
    let by_parent = search(&app, &format!("category={top}&sort=title")).await;
    assert_eq!(
        ids_of(&by_parent["items"]),
        vec![in_description.id, in_title.id]
    );
    let by_child = search(&app, &format!("category={child}")).await;
    assert_eq!(ids_of(&by_child["items"]), vec![in_title.id]);

    let advanced = search(&app, "level=advanced").await;
    assert_eq!(ids_of(&advanced["items"]), vec![in_title.id]);
    let tagged = search(&app, "tag=Food").await;
    assert_eq!(ids_of(&tagged["items"]), vec![unrelated.id]);
    let paid = search(&app, "price=paid").await;
    assert_eq!(ids_of(&paid["items"]), vec![in_title.id]);
    let free = search(&app, "price=free&sort=title").await;
    assert_eq!(
        ids_of(&free["items"]),
        vec![unrelated.id, in_description.id]
    );
    let combined = search(&app, &format!("q=quantum&category={top}&level=beginner")).await;
    assert_eq!(ids_of(&combined["items"]), vec![in_description.id]);

    for bad in [
        "sort=cheapest",
        "level=wizard",
        "price=cheap",
        "sort=relevance",
        "per_page=101",
        "page=0",
    ] {
        assert_problem(
            app.get(&format!("/api/v1/courses?{bad}")).await,
            422,
            "validation_failed",
        )
        .await;
    }
    // Whatever people type is a search, never an error.
    for odd in ["%26%7C!(", "c%2B%2B%20-%22", "%20", "the"] {
        let found = search(&app, &format!("q={odd}")).await;
        assert!(found["items"].is_array(), "q={odd}: {found}");
    }
    let tags = expect(app.get("/api/v1/tags").await, 200).await;
    assert_eq!(tags.as_array().unwrap().len(), 3, "{tags}");
    // The tree counts the published courses filed directly under each category.
    let tree = expect(app.get("/api/v1/categories").await, 200).await;
    let science = tree
        .as_array()
        .unwrap()
        .iter()
        .find(|c| uuid_of(&c["id"]) == top)
        .unwrap();
    assert_eq!(science["course_count"], 1);
    assert_eq!(uuid_of(&science["children"][0]["id"]), child);
    assert_eq!(science["children"][0]["course_count"], 1);
}

#[tokio::test]
async fn the_catalog_sorts_by_popularity_rating_and_newest_and_pages() {
    let app = TestApp::spawn().await;
    let s = staff(&app).await;
    let first = published_course_with_lessons(&app, &s, "First Published", 1, None).await;
    let second = published_course_with_lessons(&app, &s, "Second Published", 1, None).await;
    let third = published_course_with_lessons(&app, &s, "Third Published", 1, None).await;

    // Popularity: second has two learners, first one, third none.
    let ann = app.signup("ann@example.com").await;
    let bob = app.signup("bob@example.com").await;
    enroll(&app, &ann, second.id).await;
    enroll(&app, &bob, second.id).await;
    enroll(&app, &ann, first.id).await;
    let popular = search(&app, "sort=popularity").await;
    assert_eq!(
        ids_of(&popular["items"]),
        vec![second.id, first.id, third.id]
    );
    assert_eq!(popular["items"][0]["enrollment_count"], 2);

    // Rating: first is rated 5, second 3; third has none and comes last.
    let review = |course: Uuid, who: &TestUser, rating: i32| {
        let app = &app;
        let who = who.clone();
        async move {
            expect(
                app.post_as(
                    &format!("/api/v1/courses/{course}/reviews"),
                    &who,
                    &json!({"rating": rating}),
                )
                .await,
                201,
            )
            .await
        }
    };
    review(first.id, &ann, 5).await;
    review(second.id, &ann, 4).await;
    review(second.id, &bob, 2).await;
    let rated = search(&app, "sort=rating").await;
    assert_eq!(ids_of(&rated["items"]), vec![first.id, second.id, third.id]);
    assert_eq!(dec(&rated["items"][1]["rating_average"]), d("3"));

    let newest = search(&app, "sort=newest").await;
    assert_eq!(
        ids_of(&newest["items"]),
        vec![third.id, second.id, first.id]
    );
    let default = search(&app, "").await;
    assert_eq!(
        ids_of(&default["items"]),
        vec![third.id, second.id, first.id]
    );

    // Pages keep the total.
    let page1 = search(&app, "sort=newest&per_page=2").await;
    assert_eq!(page1["total"], 3);
    assert_eq!(page1["per_page"], 2);
    assert_eq!(ids_of(&page1["items"]), vec![third.id, second.id]);
    let page2 = search(&app, "sort=newest&per_page=2&page=2").await;
    assert_eq!(page2["total"], 3);
    assert_eq!(page2["page"], 2);
    assert_eq!(ids_of(&page2["items"]), vec![first.id]);
    let past = search(&app, "sort=newest&per_page=2&page=5").await;
    assert_eq!(past["total"], 3);
    assert_eq!(past["items"], json!([]));
}

// ------------------------------------------------------------------ co-instructors

#[tokio::test]
async fn the_owner_manages_co_instructors() {
    let app = TestApp::spawn().await;
    let s = staff(&app).await;
    let co = app.signup_with_role("co@example.com", "instructor").await;
    let learner = app.signup("learner@example.com").await;
    let published = published_course_with_lessons(&app, &s, "Shared Course", 1, None).await;
    let draft = draft_course(&app, &s.owner, "Shared Draft", 1, json!({})).await;

    assert_problem(
        app.post_as(
            &format!("/api/v1/courses/{}/instructors", published.id),
            &learner,
            &json!({"user_id": learner.id}),
        )
        .await,
        403,
        "forbidden",
    )
    .await;

    for course in [published.id, draft.id] {
        let team = expect(
            app.post_as(
                &format!("/api/v1/courses/{course}/instructors"),
                &s.owner,
                &json!({"user_id": co.id}),
            )
            .await,
            201,
        )
        .await;
        let members: Vec<(String, String)> = team
            .as_array()
            .unwrap()
            .iter()
            .map(|i| {
                (
                    i["user_id"].as_str().unwrap().to_owned(),
                    i["role"].as_str().unwrap().to_owned(),
                )
            })
            .collect();
        assert_eq!(
            members,
            vec![
                (s.owner.id.to_string(), "owner".to_owned()),
                (co.id.to_string(), "instructor".to_owned())
            ]
        );
    }
    assert_problem(
        app.post_as(
            &format!("/api/v1/courses/{}/instructors", published.id),
            &s.owner,
            &json!({"user_id": co.id}),
        )
        .await,
        409,
        "already_instructor",
    )
    .await;

    // The co-instructor edits both, and sees the draft.
    for course in [published.id, draft.id] {
        expect(
            app.patch_as(
                &format!("/api/v1/courses/{course}"),
                &co,
                &json!({"summary": "Co-written"}),
            )
            .await,
            200,
        )
        .await;
    }
    // An assistant sees the draft but does not edit it.
    let assistant = app.signup("ta@example.com").await;
    expect(
        app.post_as(
            &format!("/api/v1/courses/{}/instructors", draft.id),
            &s.owner,
            &json!({"user_id": assistant.id, "role": "assistant"}),
        )
        .await,
        201,
    )
    .await;
    expect(
        app.get_as(&format!("/api/v1/courses/{}", draft.id), &assistant)
            .await,
        200,
    )
    .await;
    assert_problem(
        app.patch_as(
            &format!("/api/v1/courses/{}", draft.id),
            &assistant,
            &json!({"summary": "Mine now"}),
        )
        .await,
        403,
        "forbidden",
    )
    .await;
    assert_problem(
        app.post_as(
            &format!("/api/v1/courses/{}/instructors", draft.id),
            &s.owner,
            &json!({"user_id": learner.id, "role": "boss"}),
        )
        .await,
        422,
        "validation_failed",
    )
    .await;

    // A co-instructor does not manage the team.
    assert_problem(
        app.delete_as(
            &format!(
                "/api/v1/courses/{}/instructors/{}",
                published.id, s.owner.id
            ),
            &co,
        )
        .await,
        403,
        "forbidden",
    )
    .await;
    assert_problem(
        app.delete_as(
            &format!(
                "/api/v1/courses/{}/instructors/{}",
                published.id, s.owner.id
            ),
            &s.owner,
        )
        .await,
        422,
        "cannot_remove_owner",
    )
    .await;

    for course in [published.id, draft.id] {
        expect(
            app.delete_as(
                &format!("/api/v1/courses/{course}/instructors/{}", co.id),
                &s.owner,
            )
            .await,
            204,
        )
        .await;
    }
    assert_problem(
        app.patch_as(
            &format!("/api/v1/courses/{}", published.id),
            &co,
            &json!({"summary": "Still mine?"}),
        )
        .await,
        403,
        "forbidden",
    )
    .await;
    assert_problem(
        app.patch_as(
            &format!("/api/v1/courses/{}", draft.id),
            &co,
            &json!({"summary": "Still mine?"}),
        )
        .await,
        404,
        "not_found",
    )
    .await;
    assert_problem(
        app.delete_as(
            &format!("/api/v1/courses/{}/instructors/{}", published.id, co.id),
            &s.owner,
        )
        .await,
        404,
        "not_found",
    )
    .await;
    let teaching = expect(app.get_as("/api/v1/me/teaching", &co).await, 200).await;
    assert_eq!(teaching["total"], 0, "{teaching}");
    let shown = expect(
        app.get(&format!("/api/v1/courses/{}", published.id)).await,
        200,
    )
    .await;
    assert_eq!(shown["instructors"].as_array().unwrap().len(), 1);
    assert_eq!(shown["summary"], "Co-written");
}

// ------------------------------------------------------------------ analytics

#[tokio::test]
async fn analytics_show_enrollments_completion_reach_and_revenue_to_the_staff() {
    let app = TestApp::spawn().await;
    let s = staff(&app).await;
    let root = app
        .signup_with_role("root@example.com", "super_admin")
        .await;
    let course = published_course_with_lessons(&app, &s, "Counted Course", 2, Some("25.00")).await;
    let [finisher, halfway, quitter] = [
        app.signup("finisher@example.com").await,
        app.signup("halfway@example.com").await,
        app.signup("quitter@example.com").await,
    ];
    for who in [&finisher, &halfway, &quitter] {
        fund_usd(&app, &root, who, "25.00").await;
        enroll(&app, who, course.id).await;
    }
    complete_course(&app, &finisher, &course).await;
    complete(&app, &halfway, course.lessons[0]).await;
    let quit = expect(app.get_as("/api/v1/me/enrollments", &quitter).await, 200).await;
    expect(
        app.delete_as(
            &format!(
                "/api/v1/enrollments/{}",
                quit["items"][0]["id"].as_str().unwrap()
            ),
            &quitter,
        )
        .await,
        200,
    )
    .await;
    expect(
        app.post_as(
            &format!("/api/v1/courses/{}/reviews", course.id),
            &finisher,
            &json!({"rating": 4}),
        )
        .await,
        201,
    )
    .await;

    let path = format!("/api/v1/courses/{}/analytics", course.id);
    let a = expect(app.get_as(&path, &s.owner).await, 200).await;
    assert_eq!(a["enrollments_total"], 3, "{a}");
    assert_eq!(a["active"], 1);
    assert_eq!(a["completed"], 1);
    assert_eq!(a["dropped"], 1);
    assert_eq!(dec(&a["completion_rate"]), d("0.5"));
    assert_eq!(dec(&a["average_progress"]), d("75"));
    assert_eq!(dec(&a["average_rating"]), d("4"));
    assert_eq!(a["rating_count"], 1);
    let reach = a["lesson_reach"].as_array().unwrap();
    assert_eq!(reach.len(), 2);
    assert_eq!(uuid_of(&reach[0]["lesson_id"]), course.lessons[0]);
    assert_eq!(reach[0]["learners"], 2);
    assert_eq!(uuid_of(&reach[1]["lesson_id"]), course.lessons[1]);
    assert_eq!(reach[1]["learners"], 1);
    assert_eq!(dec(&reach[0]["reached_share"]), d("0.6667"));
    assert_eq!(dec(&reach[1]["reached_share"]), d("0.3333"));
    let today = a["enrollments_over_time"]
        .as_array()
        .unwrap()
        .last()
        .unwrap()
        .clone();
    assert_eq!(today["enrollments"], 3);
    assert_eq!(a["enrollments_over_time"].as_array().unwrap().len(), 30);
    let revenue = a["revenue"].as_array().unwrap();
    assert_eq!(revenue.len(), 1, "{a}");
    assert_eq!(revenue[0]["currency"], "USD");
    assert_eq!(dec(&revenue[0]["gross"]), d("75"));
    assert_eq!(dec(&revenue[0]["refunded"]), d("25"));
    assert_eq!(dec(&revenue[0]["net"]), d("50"));

    expect(app.get_as(&path, &s.admin).await, 200).await;
    assert_problem(app.get_as(&path, &finisher).await, 403, "forbidden").await;
    assert_problem(
        app.get_as(&format!("{path}?days=0"), &s.owner).await,
        422,
        "validation_failed",
    )
    .await;
}

// ------------------------------------------------------------------ learning paths

#[tokio::test]
async fn a_learning_path_enrolls_step_by_step_and_tracks_progress() {
    let app = TestApp::spawn().await;
    let s = staff(&app).await;
    let first = published_course_with_lessons(&app, &s, "Path Step One", 1, None).await;
    let second = published_course_with_lessons(&app, &s, "Path Step Two", 1, None).await;
    let draft = draft_course(&app, &s.owner, "Unfinished Step", 1, json!({})).await;

    let refused = assert_problem(
        app.post_as(
            "/api/v1/learning-paths",
            &s.owner,
            &json!({"title": "Broken Path", "courses": [{"course_id": first.id}, {"course_id": draft.id}]}),
        )
        .await,
        422,
        "validation_failed",
    )
    .await;
    assert_eq!(refused["errors"][0]["pointer"], "#/courses/1/course_id");
    let learner = app.signup("learner@example.com").await;
    assert_problem(
        app.post_as(
            "/api/v1/learning-paths",
            &learner,
            &json!({"title": "My Path", "courses": [{"course_id": first.id}]}),
        )
        .await,
        403,
        "forbidden",
    )
    .await;

    let path = expect(
        app.post_as(
            "/api/v1/learning-paths",
            &s.owner,
            &json!({"title": "Full Path", "courses": [{"course_id": first.id, "required": true}, {"course_id": second.id}]}),
        )
        .await,
        201,
    )
    .await;
    let pid = uuid_of(&path["id"]);
    assert_eq!(path["courses"].as_array().unwrap().len(), 2);
    assert_eq!(uuid_of(&path["courses"][0]["course_id"]), first.id);
    assert_eq!(path["courses"][1]["position"], 1);

    let joined = expect(
        app.post_as(
            &format!("/api/v1/learning-paths/{pid}/enroll"),
            &learner,
            &json!({}),
        )
        .await,
        201,
    )
    .await;
    let made = joined["enrollments"].as_array().unwrap();
    assert_eq!(made.len(), 1, "{joined}");
    assert_eq!(uuid_of(&made[0]["course_id"]), first.id);
    assert_eq!(uuid_of(&made[0]["learning_path_id"]), pid);
    assert_eq!(joined["path"]["enrolled"], true);
    assert_eq!(enrollment_rows(&app, &learner, first.id).await, 1);
    assert_eq!(enrollment_rows(&app, &learner, second.id).await, 0);
    assert_problem(
        app.post_as(
            &format!("/api/v1/learning-paths/{pid}/enroll"),
            &learner,
            &json!({}),
        )
        .await,
        409,
        "already_enrolled",
    )
    .await;

    complete_course(&app, &learner, &first).await;
    let shown = expect(
        app.get_as(&format!("/api/v1/learning-paths/{pid}"), &learner)
            .await,
        200,
    )
    .await;
    assert_eq!(dec(&shown["progress_percent"]), d("50"));
    assert_eq!(
        shown["progress_percent"], "50.00",
        "two decimals, as documented"
    );
    assert_eq!(shown["courses"][0]["enrollment_status"], "completed");
    assert!(shown["courses"][1]["enrollment_status"].is_null());
    let anonymous = expect(app.get(&format!("/api/v1/learning-paths/{pid}")).await, 200).await;
    assert_eq!(dec(&anonymous["progress_percent"]), Decimal::ZERO);
    assert_eq!(anonymous["enrolled"], false);
    let list = expect(app.get("/api/v1/learning-paths").await, 200).await;
    assert_eq!(list["total"], 1);

    // Joining a path is all or nothing: no money for its paid first course, no path enrollment.
    let root = app
        .signup_with_role("root@example.com", "super_admin")
        .await;
    let paid = published_course_with_lessons(&app, &s, "Paid Step", 1, Some("10.00")).await;
    let paid_path = expect(
        app.post_as(
            "/api/v1/learning-paths",
            &s.owner,
            &json!({"title": "Paid Path", "courses": [{"course_id": paid.id}, {"course_id": second.id}]}),
        )
        .await,
        201,
    )
    .await;
    let paid_pid = uuid_of(&paid_path["id"]);
    let poor = app.signup("poor@example.com").await;
    assert_problem(
        app.post_as(
            &format!("/api/v1/learning-paths/{paid_pid}/enroll"),
            &poor,
            &json!({}),
        )
        .await,
        422,
        "insufficient_funds",
    )
    .await;
    assert_eq!(
        app.count(&format!(
            "SELECT count(*) AS n FROM learning_path_enrollments WHERE user_id = '{}'",
            poor.id
        ))
        .await,
        0
    );
    fund_usd(&app, &root, &poor, "10.00").await;
    let joined = expect(
        app.post_as(
            &format!("/api/v1/learning-paths/{paid_pid}/enroll"),
            &poor,
            &json!({}),
        )
        .await,
        201,
    )
    .await;
    assert!(
        joined["enrollments"][0]["payment_id"].is_string(),
        "{joined}"
    );
    assert_eq!(balance(&app, &poor, "USD").await, Decimal::ZERO);

    // A learner who already completed the first course starts at the second.
    let ahead = app.signup("ahead@example.com").await;
    enroll(&app, &ahead, first.id).await;
    complete_course(&app, &ahead, &first).await;
    let joined = expect(
        app.post_as(
            &format!("/api/v1/learning-paths/{pid}/enroll"),
            &ahead,
            &json!({}),
        )
        .await,
        201,
    )
    .await;
    let made = joined["enrollments"].as_array().unwrap();
    assert_eq!(made.len(), 1, "{joined}");
    assert_eq!(uuid_of(&made[0]["course_id"]), second.id);
    assert_eq!(dec(&joined["path"]["progress_percent"]), d("50"));
}

// ------------------------------------------------------------------ bookmarks and drops

#[tokio::test]
async fn bookmarks_are_listed_and_removed_once() {
    let app = TestApp::spawn().await;
    let s = staff(&app).await;
    let course = published_course_with_lessons(&app, &s, "Bookmarked Course", 2, None).await;
    let learner = app.signup("learner@example.com").await;
    let lesson = course.lessons[1];
    let path = format!("/api/v1/lessons/{lesson}/bookmark");

    assert_problem(
        put_as(&app, &path, &learner, &json!({})).await,
        403,
        "enrollment_required",
    )
    .await;
    enroll(&app, &learner, course.id).await;
    let mark = expect(
        put_as(&app, &path, &learner, &json!({"note": "read again"})).await,
        200,
    )
    .await;
    assert_eq!(uuid_of(&mark["lesson_id"]), lesson);
    assert_eq!(mark["note"], "read again");
    let mine = expect(app.get_as("/api/v1/me/bookmarks", &learner).await, 200).await;
    assert_eq!(mine.as_array().unwrap().len(), 1);
    assert_eq!(uuid_of(&mine[0]["lesson_id"]), lesson);
    assert_eq!(uuid_of(&mine[0]["course_id"]), course.id);
    assert_eq!(mine[0]["course_title"], "Bookmarked Course");
    let read = expect(
        app.get_as(&format!("/api/v1/lessons/{lesson}"), &learner)
            .await,
        200,
    )
    .await;
    assert_eq!(read["bookmarked"], true);

    expect(app.delete_as(&path, &learner).await, 204).await;
    assert_problem(app.delete_as(&path, &learner).await, 404, "not_found").await;
    let mine = expect(app.get_as("/api/v1/me/bookmarks", &learner).await, 200).await;
    assert_eq!(mine, json!([]));

    // The body is optional; a malformed one is still refused.
    let bare = expect(
        app.call(reqwest::Method::PUT, &path, &learner.access_token, None)
            .await,
        200,
    )
    .await;
    assert_eq!(bare["note"], "");
    let resp = app
        .client
        .put(app.url(&path))
        .bearer_auth(&learner.access_token)
        .header("content-type", "application/json")
        .body("{\"note\": ")
        .send()
        .await
        .unwrap();
    assert_problem(resp, 400, "malformed_json").await;
}

#[tokio::test]
async fn nobody_drops_someone_elses_enrollment() {
    let app = TestApp::spawn().await;
    let s = staff(&app).await;
    let course = published_course_with_lessons(&app, &s, "Mine Alone", 1, None).await;
    let owner_of_it = app.signup("learner@example.com").await;
    let intruder = app.signup("intruder@example.com").await;
    let enrollment = enroll(&app, &owner_of_it, course.id).await;
    let path = format!("/api/v1/enrollments/{}", enrollment["id"].as_str().unwrap());

    assert_problem(app.delete_as(&path, &intruder).await, 404, "not_found").await;
    assert_problem(
        app.delete_as(
            &format!("/api/v1/enrollments/{}", Uuid::now_v7()),
            &intruder,
        )
        .await,
        404,
        "not_found",
    )
    .await;
    let mine = expect(
        app.get_as("/api/v1/me/enrollments", &owner_of_it).await,
        200,
    )
    .await;
    assert_eq!(mine["items"][0]["status"], "active");

    // A completed course cannot be dropped.
    complete_course(&app, &owner_of_it, &course).await;
    assert_problem(
        app.delete_as(&path, &owner_of_it).await,
        409,
        "enrollment_completed",
    )
    .await;
}

// ------------------------------------------------------------------ progress and structure edits

/// The caller's only enrollment, through `GET /me/enrollments`.
async fn my_enrollment(app: &TestApp, who: &TestUser) -> Value {
    let mine = expect(app.get_as("/api/v1/me/enrollments", who).await, 200).await;
    assert_eq!(mine["total"], 1, "{mine}");
    mine["items"][0].clone()
}

#[tokio::test]
async fn progress_follows_lesson_edits_and_optional_lessons_do_not_count() {
    let app = TestApp::spawn().await;
    let s = staff(&app).await;
    let course = draft_course(&app, &s.owner, "Changing Course", 2, json!({})).await;
    let optional = uuid_of(
        &add_lesson(
            &app,
            &s.owner,
            course.module,
            json!({"title": "Extra reading", "required": false}),
        )
        .await["id"],
    );
    publish(&app, &s.admin, course.id).await;
    let learner = app.signup("learner@example.com").await;
    enroll(&app, &learner, course.id).await;

    let first = complete(&app, &learner, course.lessons[0]).await;
    assert_eq!(dec(&first["enrollment"]["progress_percent"]), d("50"));
    let extra = complete(&app, &learner, optional).await;
    assert_eq!(dec(&extra["enrollment"]["progress_percent"]), d("50"));
    assert_eq!(extra["course_completed"], false);

    // A new required lesson lowers everyone's progress; removing it restores it.
    let added = text_lesson(&app, &s.owner, course.module, "New material").await;
    assert_eq!(
        dec(&my_enrollment(&app, &learner).await["progress_percent"]),
        d("33.33")
    );
    expect(
        app.delete_as(&format!("/api/v1/lessons/{added}"), &s.owner)
            .await,
        204,
    )
    .await;
    assert_eq!(
        dec(&my_enrollment(&app, &learner).await["progress_percent"]),
        d("50")
    );

    // Making the last missing lesson optional leaves nothing to do: the course is completed
    // (and rewarded) then, not left at 100% and active with no lesson left to finish.
    expect(
        app.patch_as(
            &format!("/api/v1/lessons/{}", course.lessons[1]),
            &s.owner,
            &json!({"required": false}),
        )
        .await,
        200,
    )
    .await;
    let enrollment = my_enrollment(&app, &learner).await;
    assert_eq!(dec(&enrollment["progress_percent"]), d("100"));
    assert_eq!(enrollment["status"], "completed", "{enrollment}");
    assert_eq!(balance(&app, &learner, "AZR").await, d("10"));

    // A completed enrollment stays completed when lessons are added.
    text_lesson(&app, &s.owner, course.module, "Bonus").await;
    let enrollment = my_enrollment(&app, &learner).await;
    assert_eq!(enrollment["status"], "completed");
    assert_eq!(dec(&enrollment["progress_percent"]), d("100"));
    let again = complete(&app, &learner, course.lessons[0]).await;
    assert_eq!(again["course_completed"], false);
    assert_eq!(balance(&app, &learner, "AZR").await, d("10"));
}

#[tokio::test]
async fn progress_is_rounded_alike_by_the_learner_and_by_structure_edits() {
    let app = TestApp::spawn().await;
    let s = staff(&app).await;
    // 1 of 32 lessons is 3.125%: a midpoint, which must not round differently depending on
    // which write computed it.
    let mut course = published_course_with_lessons(&app, &s, "Thirty Two", 2, None).await;
    // Thirty more lessons, arranged directly (creating them is tested elsewhere).
    app.db
        .execute_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            "INSERT INTO lessons (id, module_id, course_id, title, kind, content, position) \
             SELECT gen_random_uuid(), $1, $2, 'Lesson ' || n, 'text', 'Words.', n \
             FROM generate_series(2, 31) AS n",
            [course.module.into(), course.id.into()],
        ))
        .await
        .unwrap();
    course.lessons = expect(
        app.get(&format!("/api/v1/courses/{}", course.id)).await,
        200,
    )
    .await["modules"][0]["lessons"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| uuid_of(&l["id"]))
        .collect();
    assert_eq!(course.lessons.len(), 32);
    let learner = app.signup("learner@example.com").await;
    enroll(&app, &learner, course.id).await;
    let by_learner = complete(&app, &learner, course.lessons[0]).await;
    let by_learner = dec(&by_learner["enrollment"]["progress_percent"]);
    // A no-op edit recomputes every learner's progress.
    expect(
        app.patch_as(
            &format!("/api/v1/lessons/{}", course.lessons[31]),
            &s.owner,
            &json!({"required": true}),
        )
        .await,
        200,
    )
    .await;
    let by_edit = dec(&my_enrollment(&app, &learner).await["progress_percent"]);
    assert_eq!(by_learner, by_edit);
    assert_eq!(by_edit, d("3.13"));
}

#[tokio::test]
async fn dropping_after_the_refund_window_refunds_nothing() {
    let app = TestApp::spawn_with(|s| s.lms.refund_window_days = 0).await;
    let s = staff(&app).await;
    let root = app
        .signup_with_role("root@example.com", "super_admin")
        .await;
    let course = published_course_with_lessons(&app, &s, "No Refunds", 1, Some("25.00")).await;
    let learner = app.signup("learner@example.com").await;
    fund_usd(&app, &root, &learner, "25.00").await;
    let enrollment = enroll(&app, &learner, course.id).await;
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
    assert!(dropped["refund_id"].is_null());
    assert_eq!(balance(&app, &learner, "USD").await, Decimal::ZERO);
}

#[tokio::test]
async fn courses_with_learners_are_archived_not_deleted() {
    let app = TestApp::spawn().await;
    let s = staff(&app).await;
    let taken = published_course_with_lessons(&app, &s, "Taken Course", 1, None).await;
    let learner = app.signup("learner@example.com").await;
    enroll(&app, &learner, taken.id).await;
    assert_problem(
        app.delete_as(&format!("/api/v1/courses/{}", taken.id), &s.owner)
            .await,
        409,
        "course_has_enrollments",
    )
    .await;
    assert_problem(
        app.delete_as(&format!("/api/v1/courses/{}", taken.id), &learner)
            .await,
        403,
        "forbidden",
    )
    .await;

    let unused = draft_course(&app, &s.owner, "Unused Draft", 1, json!({})).await;
    expect(
        app.delete_as(&format!("/api/v1/courses/{}", unused.id), &s.owner)
            .await,
        204,
    )
    .await;
    assert_problem(
        app.get_as(&format!("/api/v1/courses/{}", unused.id), &s.owner)
            .await,
        404,
        "not_found",
    )
    .await;
    let teaching = expect(app.get_as("/api/v1/me/teaching", &s.owner).await, 200).await;
    assert_eq!(ids_of(&teaching["items"]), vec![taken.id]);
}

#[tokio::test]
async fn derived_slugs_stay_unique_and_only_members_create_courses_in_an_organization() {
    let app = TestApp::spawn().await;
    let s = staff(&app).await;
    let first = create_course(&app, &s.owner, json!({"title": "Intro to Rust"})).await;
    assert_eq!(first["slug"], "intro-to-rust");
    // Same title, no slug given: a unique slug is derived instead of a conflict.
    let second = create_course(&app, &s.owner, json!({"title": "Intro to Rust"})).await;
    let slug = second["slug"].as_str().unwrap();
    assert!(
        slug.starts_with("intro-to-rust-") && slug != "intro-to-rust",
        "{slug}"
    );
    // A title without letters or digits still gets a slug.
    let symbols = create_course(&app, &s.owner, json!({"title": "¿¡!?"})).await;
    assert!(symbols["slug"].as_str().unwrap().starts_with("course-"));
    // An explicit slug that is taken is a conflict.
    assert_problem(
        app.post_as(
            "/api/v1/courses",
            &s.owner,
            &json!({"title": "Other", "slug": "intro-to-rust"}),
        )
        .await,
        409,
        "slug_taken",
    )
    .await;

    // An instructor outside an organization cannot publish under its name.
    let head = app.signup("head@example.com").await;
    let org = expect(
        app.post_as(
            "/api/v1/organizations",
            &head,
            &json!({"name": "Member School"}),
        )
        .await,
        201,
    )
    .await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_problem(
        app.post_as(
            "/api/v1/courses",
            &s.owner,
            &json!({"title": "Hijack", "organization_id": org}),
        )
        .await,
        403,
        "not_a_member",
    )
    .await;
    // Once a member, they may.
    expect(
        app.post_as(
            &format!("/api/v1/organizations/{org}/members"),
            &head,
            &json!({"user_id": s.owner.id, "title": "Teacher"}),
        )
        .await,
        201,
    )
    .await;
    let course = create_course(
        &app,
        &s.owner,
        json!({"title": "Member Course", "organization_id": org}),
    )
    .await;
    assert_eq!(course["organization_id"], org.as_str());
}

#[tokio::test]
async fn path_and_enrollment_refusals_name_their_cause() {
    let app = TestApp::spawn().await;
    let s = staff(&app).await;
    let a = published_course_with_lessons(&app, &s, "Path Basics", 1, None).await;
    let b = published_course_with_lessons(&app, &s, "Path Advanced", 1, None).await;
    expect(
        app.post_as(
            &format!("/api/v1/courses/{}/prerequisites", b.id),
            &s.owner,
            &json!({"prerequisite_id": a.id}),
        )
        .await,
        201,
    )
    .await;

    // A path whose first required step needs a course the learner has not completed.
    let path = expect(
        app.post_as(
            "/api/v1/learning-paths",
            &s.owner,
            &json!({"title": "Straight to advanced", "courses": [{"course_id": b.id}]}),
        )
        .await,
        201,
    )
    .await;
    let learner = app.signup("learner@example.com").await;
    let problem = assert_problem(
        app.post_as(
            &format!(
                "/api/v1/learning-paths/{}/enroll",
                path["id"].as_str().unwrap()
            ),
            &learner,
            &json!({}),
        )
        .await,
        422,
        "prerequisites_missing",
    )
    .await;
    assert!(problem["detail"].as_str().unwrap().contains("Path Basics"));
    // All or nothing: no path enrollment was kept either.
    assert_eq!(
        app.count("SELECT count(*) AS n FROM learning_path_enrollments")
            .await,
        0
    );
    // Same slug again; and an organization the author does not belong to.
    assert_problem(
        app.post_as(
            "/api/v1/learning-paths",
            &s.owner,
            &json!({"title": "Straight to advanced", "courses": [{"course_id": a.id}]}),
        )
        .await,
        409,
        "slug_taken",
    )
    .await;
    let head = app.signup("head@example.com").await;
    let org = expect(
        app.post_as(
            "/api/v1/organizations",
            &head,
            &json!({"name": "Path School"}),
        )
        .await,
        201,
    )
    .await;
    assert_problem(
        app.post_as(
            "/api/v1/learning-paths",
            &s.owner,
            &json!({"title": "Not mine", "organization_id": org["id"], "courses": [{"course_id": a.id}]}),
        )
        .await,
        403,
        "not_a_member",
    )
    .await;

    // Progress of an unknown course is 404 `not_found`, of a known one without enrolling
    // `not_enrolled`.
    assert_problem(
        app.get_as(
            &format!("/api/v1/courses/{}/progress", Uuid::now_v7()),
            &learner,
        )
        .await,
        404,
        "not_found",
    )
    .await;
    assert_problem(
        app.get_as(&format!("/api/v1/courses/{}/progress", a.id), &learner)
            .await,
        404,
        "not_enrolled",
    )
    .await;

    // An API key without `course:enroll` cannot enroll its owner.
    let key = expect(
        app.post_as(
            "/api/v1/me/api-keys",
            &learner,
            &json!({"name": "reader", "permissions": ["course:read"]}),
        )
        .await,
        201,
    )
    .await["key"]
        .as_str()
        .unwrap()
        .to_owned();
    let resp = app
        .client
        .post(app.url(&format!("/api/v1/courses/{}/enroll", a.id)))
        .header("X-Api-Key", key)
        .send()
        .await
        .unwrap();
    assert_problem(resp, 403, "forbidden").await;
    assert_eq!(enrollment_rows(&app, &learner, a.id).await, 0);
}
