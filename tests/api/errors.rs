//! Every error the framework can produce reaches the client as problem+json, and a 500 shows
//! nothing of its cause. The probe routes (helpers/probe.rs) sit behind the real middleware
//! and extractor configuration.

use crate::helpers::{TestApp, assert_problem};
use serde_json::json;

fn item_path() -> String {
    format!("/__probe/items/{}", uuid::Uuid::now_v7())
}

#[tokio::test]
async fn a_valid_body_passes() {
    let app = TestApp::spawn().await;
    let resp = app
        .post_json(
            &format!("{}?limit=5", item_path()),
            &json!({"name": "pen", "qty": 2}),
        )
        .await;
    assert_eq!(resp.status(), 201);
    let body: serde_json::Value = resp.json().await.unwrap();
    assert_eq!(body["body"]["qty"], 2);
    assert_eq!(body["limit"], 5);
}

#[tokio::test]
async fn malformed_json_is_400() {
    let app = TestApp::spawn().await;
    let resp = app
        .client
        .post(app.url(&item_path()))
        .header("content-type", "application/json")
        .body(r#"{"name": "pen", "qty": "#)
        .send()
        .await
        .unwrap();
    assert_problem(resp, 400, "malformed_json").await;
}

#[tokio::test]
async fn wrong_field_type_is_422_with_a_pointer() {
    let app = TestApp::spawn().await;
    let resp = app
        .post_json(&item_path(), &json!({"name": "pen", "qty": "two"}))
        .await;
    let body = assert_problem(resp, 422, "validation_failed").await;
    assert_eq!(body["errors"][0]["pointer"], "#/qty");
    assert!(
        body["errors"][0]["detail"]
            .as_str()
            .unwrap()
            .contains("invalid type")
    );

    let resp = app
        .post_json(
            &item_path(),
            &json!({"name": "pen", "qty": 1, "tags": ["a", 7]}),
        )
        .await;
    let body = assert_problem(resp, 422, "validation_failed").await;
    assert_eq!(body["errors"][0]["pointer"], "#/tags/1");
}

#[tokio::test]
async fn missing_field_is_422_with_a_pointer() {
    let app = TestApp::spawn().await;
    let resp = app.post_json(&item_path(), &json!({"qty": 1})).await;
    let body = assert_problem(resp, 422, "validation_failed").await;
    assert_eq!(body["errors"][0]["pointer"], "#/name");
    assert!(
        body["errors"][0]["detail"]
            .as_str()
            .unwrap()
            .contains("missing field")
    );
}

#[tokio::test]
async fn unknown_field_is_422_where_the_dto_forbids_it() {
    let app = TestApp::spawn().await;
    let resp = app
        .post_json(
            &item_path(),
            &json!({"name": "pen", "qty": 1, "colour": "red"}),
        )
        .await;
    let body = assert_problem(resp, 422, "validation_failed").await;
    assert_eq!(body["errors"][0]["pointer"], "#/colour");
}

#[tokio::test]
async fn wrong_content_type_is_415() {
    let app = TestApp::spawn().await;
    let resp = app
        .client
        .post(app.url(&item_path()))
        .header("content-type", "text/plain")
        .body("name=pen")
        .send()
        .await
        .unwrap();
    assert_problem(resp, 415, "unsupported_media_type").await;
}

#[tokio::test]
async fn payload_over_the_limit_is_413() {
    let app = TestApp::spawn().await;
    let big = "x".repeat(1024 * 1024 + 10);
    let resp = app
        .post_json(&item_path(), &json!({"name": big, "qty": 1}))
        .await;
    assert_problem(resp, 413, "payload_too_large").await;

    // The limit comes from settings.
    let small = TestApp::spawn_with(|s| s.server.payload_limit_bytes = 64).await;
    let resp = small
        .post_json(&item_path(), &json!({"name": "x".repeat(100), "qty": 1}))
        .await;
    let body = assert_problem(resp, 413, "payload_too_large").await;
    assert!(body["detail"].as_str().unwrap().contains("64 bytes"));
}

#[tokio::test]
async fn non_uuid_path_parameter_is_400() {
    let app = TestApp::spawn().await;
    let resp = app
        .post_json(
            "/__probe/items/not-a-uuid",
            &json!({"name": "pen", "qty": 1}),
        )
        .await;
    assert_problem(resp, 400, "invalid_path_parameter").await;
}

#[tokio::test]
async fn bad_query_parameter_is_400() {
    let app = TestApp::spawn().await;
    let resp = app
        .post_json(
            &format!("{}?limit=lots", item_path()),
            &json!({"name": "pen", "qty": 1}),
        )
        .await;
    assert_problem(resp, 400, "invalid_query").await;
}

#[tokio::test]
async fn unknown_route_is_404_and_wrong_method_is_405() {
    let app = TestApp::spawn().await;
    assert_problem(
        app.get("/api/v1/does-not-exist").await,
        404,
        "route_not_found",
    )
    .await;
    assert_problem(app.get("/nowhere").await, 404, "route_not_found").await;
    // A trailing slash is another path.
    assert_problem(
        app.get("/api/v1/system/info/").await,
        404,
        "route_not_found",
    )
    .await;

    let resp = app
        .client
        .delete(app.url("/api/v1/system/info"))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.headers()["allow"], "GET");
    assert_problem(resp, 405, "method_not_allowed").await;
}

#[tokio::test]
async fn internal_errors_hide_their_cause() {
    let app = TestApp::spawn().await;
    let body = assert_problem(app.get("/__probe/boom").await, 500, "internal_error").await;
    let text = body.to_string();
    assert!(!text.contains("secret"), "{text}");
    assert!(!text.contains("postgres://"), "{text}");
}
