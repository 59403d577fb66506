//! Assertions on RFC 9457 problem responses.

use serde_json::Value;

/// Asserts status, content type and `code`, checks the standard members, returns the body.
pub async fn assert_problem(resp: reqwest::Response, status: u16, code: &str) -> Value {
    assert_eq!(resp.status().as_u16(), status, "status of {}", resp.url());
    let content_type = resp
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    assert_eq!(content_type, "application/problem+json");
    let header_id = resp
        .headers()
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let path = resp.url().path().to_owned();
    let body: Value = resp.json().await.expect("problem body is JSON");
    assert_eq!(body["code"], code, "problem: {body}");
    assert_eq!(body["status"], status, "problem: {body}");
    assert_eq!(body["type"], format!("urn:azora:problem:{code}"));
    assert!(
        body["title"].as_str().is_some_and(|t| !t.is_empty()),
        "title: {body}"
    );
    assert!(
        body["detail"].as_str().is_some_and(|t| !t.is_empty()),
        "detail: {body}"
    );
    assert_eq!(body["instance"], path.as_str());
    assert!(header_id.is_some(), "X-Request-Id is echoed");
    assert_eq!(body["request_id"].as_str(), header_id.as_deref());
    body
}
