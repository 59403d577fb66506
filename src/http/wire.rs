//! The wire guard: every connection's incoming bytes pass through [`Guarded`] before actix-http
//! reads them, so that a request the HTTP/1 parser refuses still gets a problem+json answer.
//!
//! actix-http answers a request head it cannot parse (a URI over 65,534 bytes, a head over
//! 128 KiB, a bad request line, a bad or missing `Host`, `Content-Length` or
//! `Transfer-Encoding`) with a bare status and no body, before any middleware runs. The guard
//! runs actix-http's own request codec over a copy of the bytes, so it frames requests exactly
//! as the server will. Rules:
//! - bytes pass unchanged and in order, released as the codec accepts them; a request head is
//!   held back until the codec has accepted all of it;
//! - only a head the codec refuses is replaced: by a small stand-in request, same method and
//!   path, that carries the refusal in [`WIRE_ERROR_HEADER`] signed with a per-process nonce;
//!   the outermost middleware answers it with the refusal's problem (request id, log line and
//!   metrics as for any request), and the connection then closes;
//! - the rest of a refused head is read and dropped before the stand-in goes on (at most
//!   [`DRAIN_LIMIT`] bytes), so the client is not reset while it is still sending;
//! - bodies and upgraded streams (WebSockets) are never changed: an error inside a body, and
//!   everything after an upgrade, pass straight through.

use std::io;
use std::mem::MaybeUninit;
use std::pin::Pin;
use std::sync::OnceLock;
use std::task::{Context, Poll, ready};

use actix_codec::Decoder;
use actix_http::ServiceConfig;
use actix_http::error::ParseError;
use actix_http::h1::Codec;
use actix_web::http::Uri;
use actix_web::http::header::HeaderMap;
use bytes::{Buf, BytesMut};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

use kernel::{AppError, ErrorCode};

/// The header of a stand-in request: `<nonce> <code>`.
pub const WIRE_ERROR_HEADER: &str = "x-azora-wire-error";
/// How much of a refused head is read and dropped before the refusal is answered.
pub const DRAIN_LIMIT: usize = 1 << 20;
const READ_CHUNK: usize = 16 * 1024;

/// Why a head was refused; the stand-in carries its name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// The request line did not fit: the URI is longer than the parser reads.
    UriTooLong,
    /// The head did not fit in the parser's 128 KiB.
    HeadTooLarge,
    /// Anything else the parser refuses: method, URI syntax, version, header syntax, `Host`,
    /// `Content-Length`, `Transfer-Encoding`.
    Malformed,
}

impl Refusal {
    fn name(self) -> &'static str {
        match self {
            Refusal::UriTooLong => "uri_too_long",
            Refusal::HeadTooLarge => "headers_too_large",
            Refusal::Malformed => "malformed_request",
        }
    }

    fn from_name(name: &str) -> Option<Self> {
        [
            Refusal::UriTooLong,
            Refusal::HeadTooLarge,
            Refusal::Malformed,
        ]
        .into_iter()
        .find(|r| r.name() == name)
    }

    /// The problem the client gets.
    pub fn error(self) -> AppError {
        match self {
            Refusal::UriTooLong => AppError::new(
                ErrorCode::UriTooLong,
                "The request's URI is longer than the 65,534 bytes the server reads; send long \
                 inputs in a body.",
            ),
            Refusal::HeadTooLarge => AppError::new(
                ErrorCode::HeadersTooLarge,
                "The request's line and headers together exceed the 128 KiB the server reads.",
            ),
            Refusal::Malformed => AppError::new(
                ErrorCode::MalformedRequest,
                "The request is not well-formed HTTP/1.1: check the request line, the header \
                 syntax, `Host` (one, required in HTTP/1.1), `Content-Length` (one, digits \
                 only) and `Transfer-Encoding` (only `chunked`, never with `Content-Length`).",
            ),
        }
    }
}

fn nonce() -> &'static str {
    static NONCE: OnceLock<String> = OnceLock::new();
    NONCE.get_or_init(|| uuid::Uuid::new_v4().simple().to_string())
}

/// The refusal a stand-in request carries; `None` for every real request (a client cannot
/// forge the header without this process's nonce).
pub fn refusal(headers: &HeaderMap) -> Option<Refusal> {
    let value = headers.get(WIRE_ERROR_HEADER)?.to_str().ok()?;
    let (n, name) = value.split_once(' ')?;
    (n == nonce()).then(|| Refusal::from_name(name)).flatten()
}

enum Mode {
    /// Mirroring the codec over `parse`; `raw` holds the same bytes not yet released.
    Framing {
        codec: Box<Codec>,
        parse: BytesMut,
        raw: BytesMut,
    },
    /// Upgraded, or a body the codec refused: bytes pass untouched.
    Passthrough,
    /// A head was refused and is still arriving; the stand-in waits for its end.
    Draining {
        stand_in: Vec<u8>,
        scan: HeadEnd,
        dropped: usize,
    },
    /// The stand-in went on: everything else is dropped.
    Discard,
}

/// An I/O stream whose incoming requests are framed and checked; see the module doc.
pub struct Guarded<T> {
    inner: T,
    mode: Mode,
    ready: BytesMut,
    eof: bool,
}

impl<T> Guarded<T> {
    /// Guards `inner`; `config` is the worker's (one per worker: making one starts a timer).
    pub fn new(inner: T, config: &ServiceConfig) -> Self {
        Self {
            inner,
            mode: Mode::Framing {
                codec: Box::new(Codec::new(config.clone())),
                parse: BytesMut::new(),
                raw: BytesMut::new(),
            },
            ready: BytesMut::new(),
            eof: false,
        }
    }

    /// Takes in bytes read from the client.
    fn feed(&mut self, data: &[u8]) {
        match &mut self.mode {
            Mode::Passthrough => self.ready.extend_from_slice(data),
            Mode::Discard => {}
            Mode::Draining {
                stand_in,
                scan,
                dropped,
            } => {
                *dropped += data.len();
                if scan.feed(data) || *dropped >= DRAIN_LIMIT {
                    self.ready.extend_from_slice(stand_in);
                    self.mode = Mode::Discard;
                }
            }
            Mode::Framing { codec, parse, raw } => {
                parse.extend_from_slice(data);
                raw.extend_from_slice(data);
                loop {
                    let before = parse.len();
                    let outcome = codec.decode(parse);
                    if let Err(err) = outcome {
                        match err {
                            // Only a body's decoder fails with I/O errors (the codec reads
                            // nothing itself): the request is already with the server.
                            ParseError::Io(_) => {
                                self.ready.extend_from_slice(raw);
                                self.mode = Mode::Passthrough;
                            }
                            err => self.mode = refuse(err, raw, &mut self.ready),
                        }
                        return;
                    }
                    let used = before - parse.len();
                    self.ready.extend_from_slice(&raw[..used]);
                    raw.advance(used);
                    match outcome {
                        Ok(Some(_)) if codec.upgrade() => {
                            self.ready.extend_from_slice(raw);
                            self.mode = Mode::Passthrough;
                            return;
                        }
                        Ok(Some(_)) => continue,
                        _ => {
                            release_if_empty(parse);
                            release_if_empty(raw);
                            return;
                        }
                    }
                }
            }
        }
    }

    /// The client closed its side: hand on what is held (a partial head the server then sees
    /// end), or the stand-in of a refused head that never ended.
    fn finish(&mut self) {
        match std::mem::replace(&mut self.mode, Mode::Discard) {
            Mode::Framing { raw, .. } => self.ready.extend_from_slice(&raw),
            Mode::Draining { stand_in, .. } => self.ready.extend_from_slice(&stand_in),
            Mode::Passthrough | Mode::Discard => {}
        }
        self.eof = true;
    }
}

/// The mode after a refused head (the start of `raw`): its stand-in goes to `ready` now if
/// the head has ended, else once it does.
fn refuse(err: ParseError, raw: &[u8], ready: &mut BytesMut) -> Mode {
    let refusal = match err {
        ParseError::TooLarge if !raw.contains(&b'\n') => Refusal::UriTooLong,
        ParseError::TooLarge => Refusal::HeadTooLarge,
        ParseError::Uri(_) if request_line(raw).len() > usize::from(u16::MAX) - 1 => {
            Refusal::UriTooLong
        }
        _ => Refusal::Malformed,
    };
    tracing::debug!(refusal = refusal.name(), error = %err, "request head refused by the parser");
    let stand_in = stand_in(raw, refusal);
    let mut scan = HeadEnd::default();
    if scan.feed(raw) {
        ready.extend_from_slice(&stand_in);
        Mode::Discard
    } else {
        Mode::Draining {
            stand_in,
            scan,
            dropped: raw.len(),
        }
    }
}

/// Frees an emptied buffer that grew past a typical head, so an idle keep-alive connection
/// (or a WebSocket, whose bytes pass straight through) holds no read buffers here.
fn release_if_empty(buf: &mut BytesMut) {
    if buf.is_empty() && buf.capacity() > 4096 {
        *buf = BytesMut::new();
    }
}

/// The first line of a head, without its line end.
fn request_line(raw: &[u8]) -> &[u8] {
    let line = raw.split(|b| *b == b'\n').next().unwrap_or_default();
    line.strip_suffix(b"\r").unwrap_or(line)
}

/// The request that stands in for a refused head: its method and path when they are sound and
/// short (so the log names them), else `GET /`; never its query, headers or body.
fn stand_in(raw: &[u8], refusal: Refusal) -> Vec<u8> {
    let mut parts = request_line(raw).split(|b| *b == b' ');
    let method = parts
        .next()
        .filter(|m| (1..=16).contains(&m.len()) && m.iter().all(u8::is_ascii_uppercase))
        .filter(|m| *m != b"CONNECT")
        .unwrap_or(b"GET");
    let path = parts
        .next()
        .map(|t| t.split(|b| *b == b'?').next().unwrap_or_default())
        .filter(|p| p.starts_with(b"/") && p.len() <= 1024 && Uri::try_from(*p).is_ok())
        .unwrap_or(b"/");
    let mut out = Vec::with_capacity(160 + path.len());
    out.extend_from_slice(method);
    out.push(b' ');
    out.extend_from_slice(path);
    out.extend_from_slice(b" HTTP/1.1\r\nhost: azora\r\nconnection: close\r\n");
    out.extend_from_slice(
        format!(
            "{WIRE_ERROR_HEADER}: {} {}\r\n\r\n",
            nonce(),
            refusal.name()
        )
        .as_bytes(),
    );
    out
}

/// Finds the blank line that ends a head (`\n\n`, `\r\n\r\n` or mixed), across reads.
#[derive(Default)]
struct HeadEnd {
    after_newline: bool,
}

impl HeadEnd {
    fn feed(&mut self, data: &[u8]) -> bool {
        for b in data {
            match b {
                b'\n' if self.after_newline => return true,
                b'\n' => self.after_newline = true,
                b'\r' => {}
                _ => self.after_newline = false,
            }
        }
        false
    }
}

impl<T: AsyncRead + Unpin> AsyncRead for Guarded<T> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        out: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        loop {
            if !this.ready.is_empty() {
                let n = this.ready.len().min(out.remaining());
                out.put_slice(&this.ready[..n]);
                this.ready.advance(n);
                if this.ready.is_empty() && matches!(this.mode, Mode::Passthrough) {
                    // Nothing more is staged here once bytes pass straight through.
                    this.ready = BytesMut::new();
                }
                release_if_empty(&mut this.ready);
                return Poll::Ready(Ok(()));
            }
            if this.eof {
                return Poll::Ready(Ok(()));
            }
            if matches!(this.mode, Mode::Passthrough) {
                return Pin::new(&mut this.inner).poll_read(cx, out);
            }
            let mut chunk = [MaybeUninit::<u8>::uninit(); READ_CHUNK];
            let mut buf = ReadBuf::uninit(&mut chunk);
            ready!(Pin::new(&mut this.inner).poll_read(cx, &mut buf))?;
            if buf.filled().is_empty() {
                this.finish();
            } else {
                this.feed(buf.filled());
            }
        }
    }
}

impl<T: AsyncWrite + Unpin> AsyncWrite for Guarded<T> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().inner).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().inner).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    /// Feeds `input` in pieces of `step` bytes and returns what the server would read.
    fn through(input: &[u8], step: usize) -> Vec<u8> {
        let mut g = Guarded::new((), &ServiceConfig::default());
        for piece in input.chunks(step) {
            g.feed(piece);
        }
        g.finish();
        g.ready.to_vec()
    }

    fn refusal_in(out: &[u8]) -> Option<Refusal> {
        let text = String::from_utf8_lossy(out);
        let value = text
            .lines()
            .find_map(|l| l.strip_prefix(&format!("{WIRE_ERROR_HEADER}: ")))?;
        let (n, name) = value.split_once(' ')?;
        assert_eq!(n, nonce());
        Refusal::from_name(name)
    }

    #[actix_web::test]
    async fn sound_requests_pass_unchanged_however_they_are_split() {
        let mut input = Vec::new();
        input.extend_from_slice(b"GET /courses?page=2 HTTP/1.1\r\nHost: a\r\n\r\n");
        input.extend_from_slice(
            b"POST /wallet/transfers HTTP/1.1\r\nHost: a\r\nContent-Length: 11\r\n\r\n{\"a\":\"\r\n\"}",
        );
        input.extend_from_slice(
            b"PUT /x HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n4\r\nGET \r\n0\r\n\r\n",
        );
        input.extend_from_slice(b"GET /me HTTP/1.1\r\nHost: a\r\n\r\n");
        for step in [1, 2, 3, 7, 64, input.len()] {
            assert_eq!(through(&input, step), input, "step {step}");
        }
    }

    #[actix_web::test]
    async fn an_upgrade_passes_everything_after_it() {
        let mut input =
            b"GET /ws HTTP/1.1\r\nHost: a\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n"
                .to_vec();
        // Frames that would be a refused head if they were read as HTTP.
        input.extend_from_slice(&[0x81, 0x85, b'\n', b'\n', 0, 0, 0xff, b' ', b'x']);
        for step in [1, 5, input.len()] {
            assert_eq!(through(&input, step), input);
        }
    }

    #[actix_web::test]
    async fn a_long_uri_after_a_sound_request_is_replaced_by_its_stand_in() {
        let first = b"POST /a HTTP/1.1\r\nHost: a\r\nContent-Length: 4\r\n\r\nbody".to_vec();
        let mut input = first.clone();
        input.extend_from_slice(b"GET /courses?q=");
        input.extend(std::iter::repeat_n(b'x', 100_000));
        input.extend_from_slice(b" HTTP/1.1\r\nHost: a\r\n\r\n");
        for step in [1000, 16 * 1024, input.len()] {
            let out = through(&input, step);
            assert!(out.starts_with(&first));
            let rest = &out[first.len()..];
            assert!(
                rest.starts_with(b"GET /courses HTTP/1.1\r\n"),
                "step {step}"
            );
            assert_eq!(refusal_in(rest), Some(Refusal::UriTooLong));
            assert!(rest.len() < 200);
        }
    }

    #[actix_web::test]
    async fn an_unended_request_line_past_the_buffer_is_too_long() {
        let mut input = b"GET /x?".to_vec();
        input.extend(std::iter::repeat_n(b'y', 200_000));
        let out = through(&input, 8192);
        assert_eq!(refusal_in(&out), Some(Refusal::UriTooLong));
        assert!(out.starts_with(b"GET /x HTTP/1.1\r\n"));
    }

    #[actix_web::test]
    async fn oversized_and_malformed_heads_are_refused() {
        let mut big = b"GET / HTTP/1.1\r\nHost: a\r\n".to_vec();
        for i in 0..40 {
            big.extend_from_slice(format!("x-h{i}: {}\r\n", "v".repeat(4000)).as_bytes());
        }
        big.extend_from_slice(b"\r\n");
        assert_eq!(
            refusal_in(&through(&big, 4096)),
            Some(Refusal::HeadTooLarge)
        );
        for bad in [
            &b"GET / HTTP/1.1\r\n\r\n"[..],
            b"GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n",
            b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: +4\r\n\r\nbody",
            b"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip\r\n\r\n",
            b"G@T / HTTP/1.1\r\nHost: a\r\n\r\n",
            b"GET / HTTP/9.1\r\nHost: a\r\n\r\n",
        ] {
            let out = through(bad, 3);
            assert_eq!(refusal_in(&out), Some(Refusal::Malformed), "{bad:?}");
        }
    }

    #[test]
    fn a_refused_heads_method_and_path_survive_only_when_sound() {
        let out = stand_in(b"DELETE /courses/1?x=y HTTP/1.1\r\n", Refusal::Malformed);
        assert!(out.starts_with(b"DELETE /courses/1 HTTP/1.1\r\n"));
        let out = stand_in(b"CONNECT a:443 HTTP/1.1\r\n", Refusal::Malformed);
        assert!(out.starts_with(b"GET / HTTP/1.1\r\n"));
        let out = stand_in(b"get /%zz\x01 HTTP/1.1\r\n", Refusal::Malformed);
        assert!(out.starts_with(b"GET / HTTP/1.1\r\n"));
    }

    #[test]
    fn a_forged_header_is_no_refusal() {
        let mut headers = HeaderMap::new();
        headers.insert(
            WIRE_ERROR_HEADER.parse().unwrap(),
            "0123 uri_too_long".parse().unwrap(),
        );
        assert_eq!(refusal(&headers), None);
        headers.insert(
            WIRE_ERROR_HEADER.parse().unwrap(),
            format!("{} uri_too_long", nonce()).parse().unwrap(),
        );
        assert_eq!(refusal(&headers), Some(Refusal::UriTooLong));
    }
}
