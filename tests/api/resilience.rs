//! The database going away and coming back: start-up retries with backoff, requests get 503
//! problem+json while it is gone, and the server recovers by itself.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::helpers::tcp_proxy::TcpProxy;
use crate::helpers::{TestApp, TestDb, assert_problem, test_settings};

fn postgres_addr() -> SocketAddr {
    let url = url::Url::parse(&crate::helpers::db::server_url()).unwrap();
    let host = url.host_str().unwrap_or("127.0.0.1");
    let port = url.port().unwrap_or(5432);
    format!("{host}:{port}").parse().unwrap()
}

/// A test database reached through a proxy the test controls.
async fn behind_proxy() -> (Arc<TestDb>, TcpProxy, String) {
    let database = Arc::new(TestDb::create().await);
    let proxy = TcpProxy::start(postgres_addr()).await;
    let url = format!(
        "postgres://postgres@127.0.0.1:{}/{}",
        proxy.port, database.name
    );
    (database, proxy, url)
}

#[tokio::test]
async fn requests_get_503_while_the_database_is_away_and_recover_after() {
    let (database, proxy, url) = behind_proxy().await;
    let mut settings = test_settings();
    settings.database.url = url;
    let app = TestApp::start(settings, database).await;
    assert_eq!(app.get("/health/ready").await.status(), 200);
    assert_eq!(app.get("/api/v1/system/info").await.status(), 200);

    proxy.cut();

    let body = assert_problem(app.get("/health/ready").await, 503, "database_unavailable").await;
    assert!(!body.to_string().contains("postgres://"));
    let resp = app.get("/api/v1/system/info").await;
    assert!(resp.headers().contains_key("retry-after"));
    assert_problem(resp, 503, "database_unavailable").await;
    // Liveness does not depend on the database.
    assert_eq!(app.get("/health/live").await.status(), 200);

    proxy.restore();

    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let status = app.get("/health/ready").await.status();
        if status == 200 {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "did not recover; last status {status}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert_eq!(app.get("/api/v1/system/info").await.status(), 200);
}

#[tokio::test]
async fn startup_retries_until_the_database_appears() {
    let (database, proxy, url) = behind_proxy().await;
    proxy.cut();
    let mut settings = test_settings();
    settings.database.url = url;
    settings.database.connect_retries = 20;
    settings.database.retry_backoff_ms = 100;

    let restore_later = async {
        tokio::time::sleep(Duration::from_millis(1500)).await;
        proxy.restore();
    };
    let (app, ()) = tokio::join!(TestApp::start(settings, database), restore_later);
    assert_eq!(app.get("/health/ready").await.status(), 200);
}

#[tokio::test]
async fn startup_gives_up_after_the_configured_retries() {
    let (_database, proxy, url) = behind_proxy().await;
    proxy.cut();
    let mut settings = test_settings();
    settings.database.url = url;
    settings.database.connect_retries = 1;
    settings.database.retry_backoff_ms = 50;

    let started = Instant::now();
    let result = azora::startup::Application::build(settings).await;
    let err = result.err().expect("start-up fails").to_string();
    assert!(err.contains("failed after 2 attempt(s)"), "{err}");
    assert!(started.elapsed() < Duration::from_secs(30));
}
