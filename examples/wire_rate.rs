//! What the wire guard (src/http/wire.rs) costs per request, next to its baseline: actix-http's
//! request codec alone, the parse the server does for every request anyway. Both read the same
//! pipelined bytes (a GET with a bearer token, as wrk sends in `bench/forums.sh`, and a POST
//! with a 2 KB JSON body); the guard reads them in the 16 KiB pieces a socket gives, and its
//! output is checked equal to its input.
//! `cargo run --release --example wire_rate -- [requests=200000]`

use std::time::{Duration, Instant};

use actix_codec::Decoder;
use actix_http::ServiceConfig;
use actix_http::h1::{Codec, Message};
use bytes::BytesMut;
use tokio::io::AsyncReadExt;

use azora::http::wire::Guarded;

fn requests(n: usize, body: usize) -> Vec<u8> {
    let token = format!("eyJhbGciOiJIUzI1NiJ9.{}.sig", "x".repeat(260));
    let json = format!("{{\"body\":\"{}\"}}", "y".repeat(body.saturating_sub(11)));
    let mut out = Vec::new();
    for i in 0..n {
        if body == 0 {
            out.extend_from_slice(
                format!(
                    "GET /api/v1/forums/threads/0195f0c2-{i:04x}-7000-8000-000000000000/posts?order=tree&limit=20 HTTP/1.1\r\n\
                     Host: 127.0.0.1:18085\r\nAuthorization: Bearer {token}\r\n\r\n"
                )
                .as_bytes(),
            );
        } else {
            out.extend_from_slice(
                format!(
                    "POST /api/v1/forums/threads/{i}/posts HTTP/1.1\r\nHost: 127.0.0.1:18085\r\n\
                     Authorization: Bearer {token}\r\nContent-Type: application/json\r\n\
                     Content-Length: {}\r\n\r\n{json}",
                    json.len()
                )
                .as_bytes(),
            );
        }
    }
    out
}

fn per_request(d: Duration, n: usize) -> f64 {
    d.as_secs_f64() * 1e6 / n as f64
}

fn main() -> anyhow::Result<()> {
    let n: usize = std::env::args()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(200_000);
    actix_web::rt::System::new().block_on(async move {
        let config = ServiceConfig::default();
        println!("{n} pipelined requests per case, one thread");
        for (label, body) in [("GET, bearer token", 0), ("POST, 2 KB JSON body", 2048)] {
            let wire = requests(n, body);

            let started = Instant::now();
            let mut buf = BytesMut::from(&wire[..]);
            let mut codec = Codec::new(config.clone());
            let mut heads = 0;
            while let Some(msg) = codec
                .decode(&mut buf)
                .map_err(|e| anyhow::anyhow!("{e}"))?
            {
                if matches!(msg, Message::Item(_)) {
                    heads += 1;
                }
            }
            let codec_time = started.elapsed();
            anyhow::ensure!(heads == n, "the codec saw {heads} requests");

            let started = Instant::now();
            let mut guarded = Guarded::new(&wire[..], &config);
            let mut out = Vec::with_capacity(wire.len());
            guarded.read_to_end(&mut out).await?;
            let guard_time = started.elapsed();
            anyhow::ensure!(out == wire, "the guard changed the bytes");

            println!(
                "{label:<22} {:>6} B/request | codec alone {:>6.2} us/request | guard {:>6.2} us/request ({:.1}x the codec)",
                wire.len() / n,
                per_request(codec_time, n),
                per_request(guard_time, n),
                guard_time.as_secs_f64() / codec_time.as_secs_f64(),
            );
        }
        Ok(())
    })
}
