//! A real SMTP server on loopback for tests: the app's mail worker delivers to it through
//! lettre's SMTP transport, and tests read what arrived (subject, decoded text body) to follow
//! a link or use a code.
//!
//! It speaks just enough SMTP for lettre without TLS or AUTH (greeting, EHLO/HELO, MAIL,
//! RCPT, DATA with dot-unstuffing, RSET, NOOP, QUIT) and decodes the message well enough for
//! tests: RFC 2047 subjects, quoted-printable and base64 bodies, the `text/plain` part of a
//! multipart message. [`SmtpServer::pause`] makes the server unreachable (delivery fails) and
//! [`SmtpServer::resume`] brings it back on the same port.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use base64::Engine as _;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpSocket, TcpStream};
use tokio::sync::Notify;
use tokio::task::JoinHandle;

/// One message as the server received it.
#[derive(Debug, Clone)]
pub struct ReceivedMail {
    /// The envelope sender (`MAIL FROM`), without angle brackets.
    pub from: String,
    /// The envelope recipients (`RCPT TO`), without angle brackets.
    pub to: Vec<String>,
    /// The message as sent after `DATA`, dot-unstuffed, lines ending in CRLF.
    pub raw: String,
    /// The decoded `Subject` header.
    pub subject: String,
    /// The decoded text: the `text/plain` part of a multipart message (else the first text
    /// part, else the whole body), transfer encoding undone, line ends as `\n`.
    pub body: String,
}

impl ReceivedMail {
    /// A top-level header, unfolded and RFC 2047-decoded (`header("From")`).
    pub fn header(&self, name: &str) -> Option<String> {
        let (headers, _) = split_message(&self.raw);
        header(&headers, name).map(|v| decode_words(&v))
    }

    /// The first `name=<value>` in the body, `value` running to the next character that
    /// cannot be in a URL query value (`token=` finds `token=AbC-123_x`).
    pub fn param(&self, name: &str) -> Option<String> {
        let key = format!("{name}=");
        let start = self.body.find(&key)? + key.len();
        let value: String = self.body[start..]
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || "-_.~%".contains(*c))
            .collect();
        (!value.is_empty()).then_some(value)
    }
}

struct Stored {
    mail: ReceivedMail,
    returned: bool,
}

#[derive(Default)]
struct Inner {
    mails: Mutex<Vec<Stored>>,
    arrived: Notify,
    tasks: Mutex<Tasks>,
}

#[derive(Default)]
struct Tasks {
    paused: bool,
    accept: Option<JoinHandle<()>>,
    connections: Vec<JoinHandle<()>>,
}

/// The loopback SMTP server; stops when dropped.
pub struct SmtpServer {
    port: u16,
    inner: Arc<Inner>,
}

impl SmtpServer {
    /// Listens on `127.0.0.1` on a free port.
    pub async fn start() -> SmtpServer {
        let listener = listen(0).expect("bind the SMTP server");
        let port = listener.local_addr().expect("SMTP server address").port();
        let server = SmtpServer {
            port,
            inner: Arc::default(),
        };
        server.serve(Some(listener));
        server
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// Every message received so far, oldest first.
    pub fn messages(&self) -> Vec<ReceivedMail> {
        self.inner
            .mails
            .lock()
            .expect("mails lock")
            .iter()
            .map(|s| s.mail.clone())
            .collect()
    }

    /// Waits for mail to `to` (case-insensitive envelope recipient) and returns the **newest**
    /// message to that address that no earlier `wait_for` returned; it and every older message
    /// to `to` then count as returned, so the next call waits for mail that arrives later.
    /// Panics after `timeout`, listing what did arrive.
    pub async fn wait_for(&self, to: &str, timeout: Duration) -> ReceivedMail {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            let arrived = self.inner.arrived.notified();
            tokio::pin!(arrived);
            arrived.as_mut().enable();
            if let Some(mail) = self.take_newest(to) {
                return mail;
            }
            if tokio::time::timeout_at(deadline, arrived).await.is_err() {
                let seen: Vec<String> = self
                    .messages()
                    .iter()
                    .map(|m| format!("{:?} -> {:?}: {:?}", m.from, m.to, m.subject))
                    .collect();
                panic!(
                    "no new mail to {to} within {timeout:?}; the SMTP server received: {seen:#?}"
                );
            }
        }
    }

    fn take_newest(&self, to: &str) -> Option<ReceivedMail> {
        let mut mails = self.inner.mails.lock().expect("mails lock");
        let mut matching = mails
            .iter_mut()
            .filter(|s| s.mail.to.iter().any(|r| r.eq_ignore_ascii_case(to)))
            .collect::<Vec<_>>();
        let newest = matching.iter().rposition(|s| !s.returned)?;
        let mail = matching[newest].mail.clone();
        for stored in matching.iter_mut().take(newest + 1) {
            stored.returned = true;
        }
        Some(mail)
    }

    /// Stops listening and drops every open connection: delivery fails until [`resume`].
    ///
    /// [`resume`]: SmtpServer::resume
    pub fn pause(&self) {
        let mut tasks = self.inner.tasks.lock().expect("tasks lock");
        tasks.paused = true;
        if let Some(accept) = tasks.accept.take() {
            accept.abort();
        }
        for conn in tasks.connections.drain(..) {
            conn.abort();
        }
    }

    /// Listens again on the same port (binding is retried briefly while the old listener is
    /// still being dropped).
    pub fn resume(&self) {
        self.serve(None);
    }

    fn serve(&self, listener: Option<TcpListener>) {
        let inner = self.inner.clone();
        let port = self.port;
        let mut tasks = self.inner.tasks.lock().expect("tasks lock");
        if tasks.accept.is_some() {
            return;
        }
        tasks.paused = false;
        tasks.accept = Some(tokio::spawn(async move {
            let listener = match listener {
                Some(listener) => listener,
                None => rebind(port).await,
            };
            while let Ok((stream, _)) = listener.accept().await {
                let mut tasks = inner.tasks.lock().expect("tasks lock");
                if tasks.paused {
                    continue;
                }
                tasks.connections.retain(|c| !c.is_finished());
                tasks
                    .connections
                    .push(tokio::spawn(session(stream, inner.clone())));
            }
        }));
    }
}

impl Drop for SmtpServer {
    fn drop(&mut self) {
        self.pause();
    }
}

fn listen(port: u16) -> std::io::Result<TcpListener> {
    let socket = TcpSocket::new_v4()?;
    socket.set_reuseaddr(true)?;
    socket.bind(SocketAddr::from(([127, 0, 0, 1], port)))?;
    socket.listen(128)
}

async fn rebind(port: u16) -> TcpListener {
    let mut tries = 0;
    loop {
        match listen(port) {
            Ok(listener) => return listener,
            Err(e) if tries < 300 => {
                tries += 1;
                let _ = e;
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
            Err(e) => panic!("the SMTP server cannot listen on port {port} again: {e}"),
        }
    }
}

/// One SMTP conversation.
async fn session(stream: TcpStream, inner: Arc<Inner>) {
    let (read, mut write) = stream.into_split();
    let mut reader = BufReader::new(read);
    if write
        .write_all(b"220 127.0.0.1 ESMTP azora-test\r\n")
        .await
        .is_err()
    {
        return;
    }
    let mut from: Option<String> = None;
    let mut to: Vec<String> = Vec::new();
    let mut line = Vec::new();
    loop {
        line.clear();
        match reader.read_until(b'\n', &mut line).await {
            Ok(0) | Err(_) => return,
            Ok(_) => {}
        }
        let text = String::from_utf8_lossy(&line);
        let text = text.trim_end_matches(['\r', '\n']);
        let verb = text
            .split_whitespace()
            .next()
            .unwrap_or("")
            .to_ascii_uppercase();
        let reply: &[u8] = match verb.as_str() {
            "EHLO" => b"250-127.0.0.1 greets you\r\n250-8BITMIME\r\n250 SIZE 10485760\r\n",
            "HELO" => b"250 127.0.0.1\r\n",
            "MAIL" => {
                from = Some(address(text));
                to.clear();
                b"250 2.1.0 OK\r\n"
            }
            "RCPT" if from.is_some() => {
                to.push(address(text));
                b"250 2.1.5 OK\r\n"
            }
            "RCPT" => b"503 5.5.1 MAIL first\r\n",
            "DATA" if from.is_some() && !to.is_empty() => {
                if write
                    .write_all(b"354 End data with <CR><LF>.<CR><LF>\r\n")
                    .await
                    .is_err()
                {
                    return;
                }
                let Some(raw) = read_data(&mut reader).await else {
                    return;
                };
                let mail = parse(
                    from.take().unwrap_or_default(),
                    std::mem::take(&mut to),
                    raw,
                );
                inner.mails.lock().expect("mails lock").push(Stored {
                    mail,
                    returned: false,
                });
                inner.arrived.notify_waiters();
                b"250 2.0.0 OK queued\r\n"
            }
            "DATA" => b"503 5.5.1 RCPT first\r\n",
            "RSET" => {
                from = None;
                to.clear();
                b"250 2.0.0 OK\r\n"
            }
            "NOOP" => b"250 2.0.0 OK\r\n",
            "VRFY" => b"252 2.0.0 Cannot VRFY\r\n",
            "QUIT" => {
                let _ = write.write_all(b"221 2.0.0 Bye\r\n").await;
                return;
            }
            _ => b"502 5.5.2 Command not implemented\r\n",
        };
        if write.write_all(reply).await.is_err() {
            return;
        }
    }
}

/// The address in `MAIL FROM:<a@b> SIZE=..` / `RCPT TO:<a@b>`.
fn address(command: &str) -> String {
    let after = command.split_once(':').map_or("", |(_, rest)| rest).trim();
    match (after.find('<'), after.find('>')) {
        (Some(open), Some(close)) if open < close => after[open + 1..close].to_owned(),
        _ => after.split_whitespace().next().unwrap_or("").to_owned(),
    }
}

/// Reads the message after `DATA` up to the lone `.` line, undoing dot-stuffing.
async fn read_data(reader: &mut BufReader<tokio::net::tcp::OwnedReadHalf>) -> Option<String> {
    let mut lines: Vec<String> = Vec::new();
    let mut line = Vec::new();
    loop {
        line.clear();
        match reader.read_until(b'\n', &mut line).await {
            Ok(0) | Err(_) => return None,
            Ok(_) => {}
        }
        let text = String::from_utf8_lossy(&line);
        let text = text.trim_end_matches(['\r', '\n']);
        if text == "." {
            break;
        }
        lines.push(text.strip_prefix('.').unwrap_or(text).to_owned());
    }
    let mut raw = lines.join("\r\n");
    raw.push_str("\r\n");
    Some(raw)
}

fn parse(from: String, to: Vec<String>, raw: String) -> ReceivedMail {
    let (headers, body) = split_message(&raw);
    let subject = header(&headers, "Subject")
        .map(|s| decode_words(&s))
        .unwrap_or_default();
    let body = text_of(&headers, body).replace("\r\n", "\n");
    ReceivedMail {
        from,
        to,
        raw,
        subject,
        body,
    }
}

/// Unfolded headers and the body of a message or MIME part.
fn split_message(raw: &str) -> (Vec<(String, String)>, &str) {
    let (head, body) = match raw.find("\r\n\r\n") {
        Some(i) => (&raw[..i], &raw[i + 4..]),
        None if raw.starts_with("\r\n") => ("", &raw[2..]),
        None => (raw, ""),
    };
    let mut headers: Vec<(String, String)> = Vec::new();
    for line in head.split("\r\n") {
        if line.starts_with([' ', '\t']) {
            if let Some((_, value)) = headers.last_mut() {
                value.push(' ');
                value.push_str(line.trim());
            }
        } else if let Some((name, value)) = line.split_once(':') {
            headers.push((name.trim().to_owned(), value.trim().to_owned()));
        }
    }
    (headers, body)
}

fn header(headers: &[(String, String)], name: &str) -> Option<String> {
    headers
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.clone())
}

/// `text/plain; charset=utf-8` -> ("text/plain", [("charset", "utf-8")]).
fn content_type(headers: &[(String, String)]) -> (String, Vec<(String, String)>) {
    let value = header(headers, "Content-Type").unwrap_or_else(|| "text/plain".to_owned());
    let mut pieces = value.split(';');
    let mime = pieces.next().unwrap_or("").trim().to_ascii_lowercase();
    let params = pieces
        .filter_map(|p| p.split_once('='))
        .map(|(k, v)| {
            (
                k.trim().to_ascii_lowercase(),
                v.trim().trim_matches('"').to_owned(),
            )
        })
        .collect();
    (mime, params)
}

/// The decoded text of a part: the `text/plain` leaf of a multipart (else the first text
/// leaf), else the part itself.
fn text_of(headers: &[(String, String)], body: &str) -> String {
    let mut texts = Vec::new();
    collect_texts(headers, body, &mut texts);
    texts
        .iter()
        .find(|(mime, _)| mime == "text/plain")
        .or_else(|| texts.first())
        .map(|(_, text)| text.clone())
        .unwrap_or_else(|| body.to_owned())
}

fn collect_texts(headers: &[(String, String)], body: &str, out: &mut Vec<(String, String)>) {
    let (mime, params) = content_type(headers);
    if mime.starts_with("multipart/") {
        let Some((_, boundary)) = params.iter().find(|(k, _)| k == "boundary") else {
            return;
        };
        for part in multipart_parts(body, boundary) {
            let (part_headers, part_body) = split_message(&part);
            collect_texts(&part_headers, part_body, out);
        }
    } else if mime.starts_with("text/") {
        let encoding = header(headers, "Content-Transfer-Encoding")
            .unwrap_or_default()
            .to_ascii_lowercase();
        let bytes = match encoding.as_str() {
            "quoted-printable" => decode_quoted_printable(body),
            "base64" => {
                let compact: String = body.split_whitespace().collect();
                base64::engine::general_purpose::STANDARD
                    .decode(compact)
                    .unwrap_or_else(|_| body.as_bytes().to_vec())
            }
            _ => body.as_bytes().to_vec(),
        };
        out.push((mime, String::from_utf8_lossy(&bytes).into_owned()));
    }
}

/// The parts between `--boundary` lines, each as headers + body text.
fn multipart_parts(body: &str, boundary: &str) -> Vec<String> {
    let open = format!("--{boundary}");
    let close = format!("--{boundary}--");
    let mut parts = Vec::new();
    let mut current: Option<Vec<&str>> = None;
    for line in body.split("\r\n") {
        if line == close {
            if let Some(lines) = current.take() {
                parts.push(lines.join("\r\n"));
            }
            break;
        } else if line == open {
            if let Some(lines) = current.take() {
                parts.push(lines.join("\r\n"));
            }
            current = Some(Vec::new());
        } else if let Some(lines) = current.as_mut() {
            lines.push(line);
        }
    }
    if let Some(lines) = current {
        parts.push(lines.join("\r\n"));
    }
    parts
}

fn hex(b: u8) -> Option<u8> {
    (b as char).to_digit(16).map(|d| d as u8)
}

/// Quoted-printable: `=XX` escapes and `=` soft line breaks.
fn decode_quoted_printable(text: &str) -> Vec<u8> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'=' {
            if bytes[i + 1..].starts_with(b"\r\n") {
                i += 3;
                continue;
            }
            if bytes[i + 1..].starts_with(b"\n") {
                i += 2;
                continue;
            }
            if let (Some(h), Some(l)) = (
                bytes.get(i + 1).copied().and_then(hex),
                bytes.get(i + 2).copied().and_then(hex),
            ) {
                out.push(h * 16 + l);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    out
}

/// RFC 2047 encoded words (`=?utf-8?b?...?=`, `=?utf-8?q?...?=`) in a header value; the
/// white space between two adjacent encoded words is dropped.
fn decode_words(value: &str) -> String {
    let mut out = String::new();
    let mut rest = value;
    let mut after_word = false;
    while let Some(start) = rest.find("=?") {
        match encoded_word(&rest[start..]) {
            Some((len, decoded)) => {
                let between = &rest[..start];
                if !(after_word && between.trim().is_empty()) {
                    out.push_str(between);
                }
                out.push_str(&decoded);
                rest = &rest[start + len..];
                after_word = true;
            }
            None => {
                out.push_str(&rest[..start + 2]);
                rest = &rest[start + 2..];
                after_word = false;
            }
        }
    }
    out.push_str(rest);
    out
}

/// Decodes the encoded word at the start of `text`: (its length, its text).
fn encoded_word(text: &str) -> Option<(usize, String)> {
    let inner = text.strip_prefix("=?")?;
    let charset_end = inner.find('?')?;
    let after_charset = &inner[charset_end + 1..];
    let (encoding, after_encoding) = after_charset.split_once('?')?;
    let payload_end = after_encoding.find("?=")?;
    let payload = &after_encoding[..payload_end];
    let bytes = match encoding.to_ascii_lowercase().as_str() {
        "b" => base64::engine::general_purpose::STANDARD
            .decode(payload)
            .ok()?,
        "q" => decode_quoted_printable(&payload.replace('_', " ")),
        _ => return None,
    };
    let len = 2 + charset_end + 1 + encoding.len() + 1 + payload_end + 2;
    Some((len, String::from_utf8_lossy(&bytes).into_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_quoted_printable_and_encoded_words() {
        assert_eq!(
            String::from_utf8(decode_quoted_printable("a=3Db=\r\nc =C3=A9")).unwrap(),
            "a=bc é"
        );
        assert_eq!(
            decode_words("=?utf-8?b?Q2Fmw6k=?= =?utf-8?q?_au_lait?= !"),
            "Café au lait !"
        );
        assert_eq!(decode_words("plain =? text"), "plain =? text");
    }

    #[test]
    fn picks_the_plain_part_of_a_multipart_message() {
        let raw = "Subject: Hi\r\nContent-Type: multipart/alternative; boundary=\"XX\"\r\n\r\n\
                   --XX\r\nContent-Type: text/plain; charset=utf-8\r\n\
                   Content-Transfer-Encoding: quoted-printable\r\n\r\nGo to http://x/?token=3DAb=\r\nC1\r\n\
                   --XX\r\nContent-Type: text/html\r\n\r\n<p>html</p>\r\n--XX--\r\n";
        let mail = parse("a@b".into(), vec!["c@d".into()], raw.into());
        assert_eq!(mail.subject, "Hi");
        assert_eq!(mail.body, "Go to http://x/?token=AbC1");
        assert_eq!(mail.param("token").as_deref(), Some("AbC1"));
    }
}
