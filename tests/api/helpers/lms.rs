//! Page-object helpers for the LMS that several modules' tests need: a course with its
//! modules and lessons, publishing, enrolling and completing lessons, all through the API.

use reqwest::{Method, Response};
use serde_json::{Value, json};
use uuid::Uuid;

use super::TestApp;
use super::users::TestUser;
use super::ws::{expect, uuid_of};

/// `PUT` with a JSON body, as `user`.
pub async fn put_as(app: &TestApp, path: &str, user: &TestUser, body: &Value) -> Response {
    app.call(Method::PUT, path, &user.access_token, Some(body))
        .await
}

/// The people most tests need: a course owner (global `instructor`) and an `admin`.
pub struct Staff {
    pub owner: TestUser,
    pub admin: TestUser,
}

pub async fn staff(app: &TestApp) -> Staff {
    Staff {
        owner: app
            .signup_with_role("owner@example.com", "instructor")
            .await,
        admin: app.signup_with_role("admin@example.com", "admin").await,
    }
}

/// `POST /courses`; asserts 201 and returns the course.
pub async fn create_course(app: &TestApp, instructor: &TestUser, body: Value) -> Value {
    expect(app.post_as("/api/v1/courses", instructor, &body).await, 201).await
}

/// `POST /courses/{id}/modules` at the end; returns the module's id.
pub async fn add_module(app: &TestApp, who: &TestUser, course: Uuid, title: &str) -> Uuid {
    let m = expect(
        app.post_as(
            &format!("/api/v1/courses/{course}/modules"),
            who,
            &json!({"title": title}),
        )
        .await,
        201,
    )
    .await;
    uuid_of(&m["id"])
}

/// `POST /modules/{id}/lessons` with `body` over defaults (a text lesson); returns the lesson.
pub async fn add_lesson(app: &TestApp, who: &TestUser, module: Uuid, body: Value) -> Value {
    let mut full = json!({"title": "A lesson", "kind": "text", "content": "Some words."});
    for (k, v) in body.as_object().expect("an object") {
        full[k] = v.clone();
    }
    expect(
        app.post_as(&format!("/api/v1/modules/{module}/lessons"), who, &full)
            .await,
        201,
    )
    .await
}

pub async fn text_lesson(app: &TestApp, who: &TestUser, module: Uuid, title: &str) -> Uuid {
    uuid_of(&add_lesson(app, who, module, json!({"title": title})).await["id"])
}

/// `POST /courses/{id}/publish` by an admin; asserts 200.
pub async fn publish(app: &TestApp, admin: &TestUser, course: Uuid) -> Value {
    expect(
        app.post_as(
            &format!("/api/v1/courses/{course}/publish"),
            admin,
            &json!({}),
        )
        .await,
        200,
    )
    .await
}

/// A course with its module and lessons.
pub struct Course {
    pub id: Uuid,
    pub module: Uuid,
    pub lessons: Vec<Uuid>,
}

/// A draft of `n` text lessons in one module, owned by `owner`.
pub async fn draft_course(
    app: &TestApp,
    owner: &TestUser,
    title: &str,
    n: usize,
    extra: Value,
) -> Course {
    let mut body = json!({"title": title, "description": format!("All about {title}.")});
    for (k, v) in extra.as_object().expect("an object") {
        body[k] = v.clone();
    }
    let id = uuid_of(&create_course(app, owner, body).await["id"]);
    let module = add_module(app, owner, id, "Module one").await;
    let mut lessons = Vec::new();
    for i in 0..n {
        lessons.push(text_lesson(app, owner, module, &format!("Lesson {i}")).await);
    }
    Course {
        id,
        module,
        lessons,
    }
}

/// A published course of `n` lessons; `price` in USD (free when `None`).
pub async fn published_course_with_lessons(
    app: &TestApp,
    s: &Staff,
    title: &str,
    n: usize,
    price: Option<&str>,
) -> Course {
    let extra = match price {
        Some(p) => json!({"price": {"amount": p, "currency": "USD"}}),
        None => json!({}),
    };
    let course = draft_course(app, &s.owner, title, n, extra).await;
    publish(app, &s.admin, course.id).await;
    course
}

pub async fn enroll_resp(app: &TestApp, who: &TestUser, course: Uuid) -> Response {
    app.post_as(&format!("/api/v1/courses/{course}/enroll"), who, &json!({}))
        .await
}

/// `POST /courses/{id}/enroll`; asserts 201 and returns the enrollment.
pub async fn enroll(app: &TestApp, who: &TestUser, course: Uuid) -> Value {
    expect(enroll_resp(app, who, course).await, 201).await
}

pub async fn progress(app: &TestApp, who: &TestUser, lesson: Uuid, status: &str) -> Response {
    put_as(
        app,
        &format!("/api/v1/lessons/{lesson}/progress"),
        who,
        &json!({"status": status}),
    )
    .await
}

/// Completes a lesson; asserts 200 and returns the answer.
pub async fn complete(app: &TestApp, who: &TestUser, lesson: Uuid) -> Value {
    expect(progress(app, who, lesson, "completed").await, 200).await
}

pub async fn complete_course(app: &TestApp, who: &TestUser, course: &Course) {
    for l in &course.lessons {
        complete(app, who, *l).await;
    }
}
