//! Requests the HTTP/1 parser refuses (a URI past 65,534 bytes, a head past 128 KiB, a malformed
//! head) are answered with problem+json like any other error, also on a connection that
//! carried sound requests before; sound requests, bodies and chunked bodies pass unchanged
//! (src/http/wire.rs).

use std::time::Duration;

use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::helpers::problem::Seen;
use crate::helpers::{TestApp, assert_problem};

/// One parsed response off a raw connection.
#[derive(Debug)]
struct Raw {
    status: u16,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Raw {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    fn json(&self) -> Value {
        serde_json::from_slice(&self.body).expect("a JSON body")
    }

    /// The checks of `assert_problem`, for a response read off a raw socket.
    fn assert_problem(&self, status: u16, code: &str, instance: &str) -> Value {
        let body = self.json();
        Seen {
            status: self.status,
            content_type: self.header("content-type"),
            request_id: self.header("x-request-id"),
            instance,
            body: &body,
        }
        .check_problem(status, code);
        body
    }
}

/// Writes `bytes` on a new connection and reads every response until the server closes it.
async fn exchange(app: &TestApp, bytes: &[u8]) -> Vec<Raw> {
    let addr = app.address.trim_start_matches("http://");
    let mut conn = TcpStream::connect(addr).await.unwrap();
    conn.write_all(bytes).await.unwrap();
    let mut all = Vec::new();
    tokio::time::timeout(Duration::from_secs(20), conn.read_to_end(&mut all))
        .await
        .expect("the server closes the connection")
        .expect("no connection reset");
    parse_responses(&all)
}

fn parse_responses(mut data: &[u8]) -> Vec<Raw> {
    let mut out = Vec::new();
    while !data.is_empty() {
        let end = data
            .windows(4)
            .position(|w| w == b"\r\n\r\n")
            .expect("a complete response head");
        let head = std::str::from_utf8(&data[..end]).unwrap();
        let mut lines = head.split("\r\n");
        let status = lines.next().unwrap()[9..12].parse().unwrap();
        let headers: Vec<(String, String)> = lines
            .map(|l| {
                let (n, v) = l.split_once(':').unwrap();
                (n.trim().to_owned(), v.trim().to_owned())
            })
            .collect();
        let len: usize = headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case("content-length"))
            .map_or(0, |(_, v)| v.parse().unwrap());
        let body = data[end + 4..end + 4 + len].to_vec();
        data = &data[end + 4 + len..];
        out.push(Raw {
            status,
            headers,
            body,
        });
    }
    out
}

fn long_query(path: &str, len: usize) -> String {
    format!("{path}?search={}", "x".repeat(len))
}

#[tokio::test]
async fn a_query_string_past_the_parser_is_a_414_problem() {
    let app = TestApp::spawn().await;
    // Below the parser's limit a long query reaches the route (and its own rules).
    let resp = app.get(&long_query("/api/v1/courses", 20_000)).await;
    assert_ne!(resp.status().as_u16(), 414);
    assert!(resp.status().as_u16() < 500);

    // Past it (HTTP clients built on the `http` crate refuse to send such a URI: raw bytes).
    let request = format!(
        "GET {} HTTP/1.1\r\nHost: t\r\n\r\n",
        long_query("/api/v1/courses", 100_000)
    );
    let responses = exchange(&app, request.as_bytes()).await;
    assert_eq!(responses.len(), 1);
    let body = responses[0].assert_problem(414, "uri_too_long", "/api/v1/courses");
    assert!(body["detail"].as_str().unwrap().contains("65,534"));
    assert_eq!(responses[0].header("connection"), Some("close"));

    // A path that is itself too long is answered under `/`.
    let request = format!("GET /{} HTTP/1.1\r\nHost: t\r\n\r\n", "p".repeat(70_000));
    let responses = exchange(&app, request.as_bytes()).await;
    responses[0].assert_problem(414, "uri_too_long", "/");

    // The server goes on serving.
    assert_eq!(app.get("/api/v1/system/info").await.status(), 200);
}

#[tokio::test]
async fn a_refused_head_after_sound_requests_on_one_connection() {
    let app = TestApp::spawn().await;
    let body = json!({"name": "pen", "qty": 2}).to_string();
    let mut wire = Vec::new();
    wire.extend_from_slice(b"GET /api/v1/system/info HTTP/1.1\r\nHost: t\r\n\r\n");
    wire.extend_from_slice(
        format!(
            "POST /__probe/items/{} HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\n\
             Content-Length: {}\r\n\r\n{body}",
            uuid::Uuid::now_v7(),
            body.len()
        )
        .as_bytes(),
    );
    // A chunked body whose data looks like a request line: framing follows the chunks.
    let chunk1 = r#"{"name": "GET / HTTP/1.1"#;
    let chunk2 = r#"", "qty": 3}"#;
    wire.extend_from_slice(
        format!(
            "POST /__probe/items/{} HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\n\
             Transfer-Encoding: chunked\r\n\r\n{:x}\r\n{chunk1}\r\n{:x}\r\n{chunk2}\r\n0\r\n\r\n",
            uuid::Uuid::now_v7(),
            chunk1.len(),
            chunk2.len()
        )
        .as_bytes(),
    );
    wire.extend_from_slice(
        format!(
            "GET {} HTTP/1.1\r\nHost: t\r\n\r\n",
            long_query("/api/v1/courses", 100_000)
        )
        .as_bytes(),
    );
    // Never read: the connection closes after the refusal.
    wire.extend_from_slice(b"GET /api/v1/system/info HTTP/1.1\r\nHost: t\r\n\r\n");

    let responses = exchange(&app, &wire).await;
    assert_eq!(responses.len(), 4, "{responses:?}");
    assert_eq!(responses[0].status, 200);
    assert_eq!(responses[1].status, 201);
    assert_eq!(responses[1].json()["body"]["qty"], 2);
    assert_eq!(responses[2].status, 201);
    assert_eq!(responses[2].json()["body"]["name"], "GET / HTTP/1.1");
    responses[3].assert_problem(414, "uri_too_long", "/api/v1/courses");
    assert_eq!(responses[3].header("connection"), Some("close"));
}

#[tokio::test]
async fn an_oversized_head_is_a_431_problem() {
    let app = TestApp::spawn().await;
    let mut req = app.client.get(app.url("/api/v1/system/info"));
    for i in 0..40 {
        req = req.header(format!("x-filler-{i}"), "v".repeat(4000));
    }
    let resp = req.send().await.unwrap();
    assert_problem(resp, 431, "headers_too_large").await;
}

#[tokio::test]
async fn malformed_heads_are_400_problems() {
    let app = TestApp::spawn().await;
    for head in [
        // HTTP/1.1 needs a Host.
        "GET /api/v1/system/info HTTP/1.1\r\n\r\n",
        "POST /api/v1/auth/login HTTP/1.1\r\nHost: t\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\n{}",
        "POST /api/v1/auth/login HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: gzip\r\n\r\n",
        "GET /api/v1/system/info HTTP/1.1\r\nHost: t\r\nBad Header: x\r\n\r\n",
    ] {
        let responses = exchange(&app, head.as_bytes()).await;
        assert_eq!(responses.len(), 1, "{head:?}: {responses:?}");
        let instance = head.split(' ').nth(1).unwrap();
        responses[0].assert_problem(400, "malformed_request", instance);
    }
}

#[tokio::test]
async fn a_forged_refusal_header_is_ignored() {
    let app = TestApp::spawn().await;
    let resp = app
        .client
        .get(app.url("/api/v1/system/info"))
        .header(
            "x-azora-wire-error",
            "00000000000000000000000000000000 uri_too_long",
        )
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
}
