//! Assertions on RFC 9457 problem responses.

use serde_json::Value;

/// What a client saw of a response, however it was read (reqwest, or a raw socket).
pub struct Seen<'a> {
    pub status: u16,
    pub content_type: Option<&'a str>,
    pub request_id: Option<&'a str>,
    /// The path the request was answered under.
    pub instance: &'a str,
    pub body: &'a Value,
}

impl Seen<'_> {
    /// Asserts status, content type and `code`, and checks the standard members.
    pub fn check_problem(&self, status: u16, code: &str) {
        let body = self.body;
        assert_eq!(self.status, status, "status of {}: {body}", self.instance);
        assert_eq!(self.content_type, Some("application/problem+json"));
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
        assert_eq!(body["instance"], self.instance);
        assert!(self.request_id.is_some(), "X-Request-Id is echoed");
        assert_eq!(body["request_id"].as_str(), self.request_id);
    }
}

/// Asserts status, content type and `code`, checks the standard members, returns the body.
pub async fn assert_problem(resp: reqwest::Response, status: u16, code: &str) -> Value {
    let actual = resp.status().as_u16();
    let header = |name: &str| {
        resp.headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    };
    let content_type = header("content-type");
    let request_id = header("x-request-id");
    let path = resp.url().path().to_owned();
    let body: Value = resp.json().await.expect("problem body is JSON");
    Seen {
        status: actual,
        content_type: content_type.as_deref(),
        request_id: request_id.as_deref(),
        instance: &path,
        body: &body,
    }
    .check_problem(status, code);
    body
}
