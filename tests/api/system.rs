//! Health, readiness, metrics, request ids, security headers, CORS and graceful shutdown.

use crate::helpers::{TestApp, assert_problem};
use sea_orm::ConnectionTrait;

#[tokio::test]
async fn live_and_ready_answer_when_the_database_is_up() {
    let app = TestApp::spawn().await;

    let live = app.get("/health/live").await;
    assert_eq!(live.status(), 200);
    let body: serde_json::Value = live.json().await.unwrap();
    assert_eq!(body["status"], "live");

    let ready = app.get("/health/ready").await;
    assert_eq!(ready.status(), 200);
    let body: serde_json::Value = ready.json().await.unwrap();
    assert_eq!(
        body,
        serde_json::json!({"status": "ready", "database": "up", "migrations": "current"})
    );
}

#[tokio::test]
async fn ready_is_503_while_migrations_are_pending() {
    let app = TestApp::spawn().await;
    // The newest migration "un-applied": a server started now finds the schema behind it.
    app.db
        .execute_unprepared("DELETE FROM seaql_migrations")
        .await
        .unwrap();
    let mut settings = app.settings.clone();
    settings.database.auto_migrate = false;
    let behind = TestApp::start(settings, app.database.clone()).await;

    assert_problem(behind.get("/health/ready").await, 503, "migrations_pending").await;
    assert_eq!(behind.get("/health/live").await.status(), 200);
}

#[tokio::test]
async fn system_info_reads_public_settings_from_the_database() {
    let app = TestApp::spawn().await;
    app.db
        .execute_unprepared(
            "UPDATE platform_settings SET value = '\"Azora Test\"' WHERE key = 'platform.name'",
        )
        .await
        .unwrap();
    let resp = app.get("/api/v1/system/info").await;
    assert_eq!(resp.status(), 200);
    let body: serde_json::Value = resp.json().await.unwrap();
    assert_eq!(body["name"], "Azora Test");
    assert_eq!(body["environment"], "test");
    use migration::MigratorTrait;
    let newest = migration::Migrator::migrations()
        .last()
        .unwrap()
        .name()
        .to_owned();
    assert_eq!(body["schema_version"], newest.as_str());
    assert_eq!(body["settings"]["platform.default_locale"], "en");
}

#[tokio::test]
async fn metrics_count_requests_per_route_and_status_and_show_the_pool() {
    let app = TestApp::spawn().await;
    for _ in 0..3 {
        app.get("/health/live").await;
    }
    app.get("/api/v1/no-such-route").await;

    let resp = app.get("/metrics").await;
    assert_eq!(resp.status(), 200);
    assert!(
        resp.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/plain")
    );
    let text = resp.text().await.unwrap();
    assert!(
        text.contains(
            r#"azora_http_requests_total{method="GET",route="/health/live",status="200"} 3"#
        ),
        "{text}"
    );
    assert!(
        text.contains(r#"route="<unmatched>",status="404""#),
        "{text}"
    );
    assert!(
        text.contains("azora_http_request_duration_seconds_bucket{"),
        "{text}"
    );
    assert!(text.contains("azora_db_pool_connections "), "{text}");
    assert!(text.contains("azora_db_pool_max_connections 5"), "{text}");
}

#[tokio::test]
async fn request_id_is_echoed_when_well_formed_and_replaced_otherwise() {
    let app = TestApp::spawn().await;

    let resp = app
        .client
        .get(app.url("/health/live"))
        .header("X-Request-Id", "client-abc.123")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.headers()["x-request-id"], "client-abc.123");

    let resp = app
        .client
        .get(app.url("/health/live"))
        .header("X-Request-Id", "bad id with spaces")
        .send()
        .await
        .unwrap();
    let id = resp.headers()["x-request-id"].to_str().unwrap();
    assert_ne!(id, "bad id with spaces");
    assert!(uuid::Uuid::parse_str(id).is_ok(), "a generated UUID: {id}");

    // Errors quote the same id in their body.
    let resp = app
        .client
        .get(app.url("/api/v1/nope"))
        .header("X-Request-Id", "trace-me-42")
        .send()
        .await
        .unwrap();
    let body = assert_problem(resp, 404, "route_not_found").await;
    assert_eq!(body["request_id"], "trace-me-42");
}

#[tokio::test]
async fn every_response_carries_security_headers() {
    let app = TestApp::spawn().await;
    for path in ["/health/live", "/api/v1/nope", "/docs/"] {
        let resp = app.get(path).await;
        let h = resp.headers();
        assert_eq!(h["x-content-type-options"], "nosniff", "{path}");
        assert_eq!(h["x-frame-options"], "DENY", "{path}");
        assert_eq!(h["referrer-policy"], "no-referrer", "{path}");
        assert!(h.contains_key("content-security-policy"), "{path}");
    }
}

#[tokio::test]
async fn cors_follows_settings() {
    let app = TestApp::spawn_with(|s| {
        s.cors.allowed_origins = vec!["https://app.azora.test".into()];
    })
    .await;
    let preflight = app
        .client
        .request(reqwest::Method::OPTIONS, app.url("/api/v1/system/info"))
        .header("Origin", "https://app.azora.test")
        .header("Access-Control-Request-Method", "GET")
        .send()
        .await
        .unwrap();
    assert_eq!(preflight.status(), 200);
    assert_eq!(
        preflight.headers()["access-control-allow-origin"],
        "https://app.azora.test"
    );

    let other = app
        .client
        .get(app.url("/api/v1/system/info"))
        .header("Origin", "https://evil.test")
        .send()
        .await
        .unwrap();
    assert!(!other.headers().contains_key("access-control-allow-origin"));
}

#[tokio::test]
async fn responses_are_compressed_when_asked() {
    let app = TestApp::spawn().await;
    let resp = app
        .client
        .get(app.url("/api-docs/openapi.json"))
        .header("Accept-Encoding", "gzip")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    assert_eq!(resp.headers()["content-encoding"], "gzip");
}

#[tokio::test]
async fn graceful_stop_lets_in_flight_requests_finish() {
    let app = TestApp::spawn().await;
    let client = app.client.clone();
    let url = app.url("/__probe/slow?ms=700");
    let in_flight = tokio::spawn(async move { client.get(url).send().await });
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;

    app.handle.stop(true).await;

    let resp = in_flight
        .await
        .unwrap()
        .expect("the in-flight request completes");
    assert_eq!(resp.status(), 200);
    let body: serde_json::Value = resp.json().await.unwrap();
    assert_eq!(body["slept_ms"], 700);
    let refused = reqwest::Client::new()
        .get(app.url("/health/live"))
        .send()
        .await;
    assert!(refused.is_err(), "no new connections after stop");
}

#[tokio::test]
async fn two_instances_serve_the_same_database() {
    let first = TestApp::spawn().await;
    let second = first.spawn_sibling().await;
    assert_ne!(first.address, second.address);
    first
        .db
        .execute_unprepared(
            "UPDATE platform_settings SET value = '\"Shared\"' WHERE key = 'platform.name'",
        )
        .await
        .unwrap();
    for app in [&first, &second] {
        let body: serde_json::Value = app.get("/api/v1/system/info").await.json().await.unwrap();
        assert_eq!(body["name"], "Shared");
    }
}
