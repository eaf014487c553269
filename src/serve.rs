//! Serve: a small HTTP/1.1 server for `output/`, with live reload.
//!
//! In: a bound listener and the output folder. Out: files (GET and HEAD, with single byte
//! ranges so video seeking works), and a websocket at `/__lecturegen/live` that tells pages when a build
//! finished and what failed. Every HTML page is served with a small script that reloads it after
//! a rebuild of its lecture and shows build errors over the page.
//!
//! It is a preview server, not a web server: it binds loopback unless told otherwise, never
//! serves a file outside the output folder (no `..`, encoded or not, no backslashes, no symlinks
//! leading out), answers malformed or oversized requests with 4xx, and caps its connections.

use std::io::{BufRead, BufReader, Read, Seek, SeekFrom, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Component, Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use anyhow::{Context, Result};
use sha1::{Digest, Sha1};

/// Where pages open their live-reload websocket.
const LIVE_PATH: &str = "/__lecturegen/live";
/// Longest request head accepted (request line + headers).
const MAX_HEAD: usize = 16 * 1024;
/// Connections served at once; more get 503.
const MAX_CONNECTIONS: usize = 64;

/// The script added to every served page.
const LIVE_SCRIPT: &str = include_str!("live.js");

/// The state pages are told about: a build number and the errors of the last build.
#[derive(Clone, Default)]
pub struct Live(Arc<LiveState>);

#[derive(Default)]
struct LiveState {
    clients: Mutex<Vec<TcpStream>>,
    status: Mutex<Status>,
}

#[derive(Default, Clone, serde::Serialize)]
struct Status {
    build: u64,
    /// Lecture slugs rebuilt by the last build (their pages reload); the index always reloads.
    changed: Vec<String>,
    errors: Vec<String>,
}

impl Live {
    /// Announces a finished build: `changed` lecture slugs, and the errors it reported (empty
    /// when it succeeded). Open pages of changed lectures reload; errors show over every page.
    pub fn publish(&self, changed: Vec<String>, errors: Vec<String>) {
        let message = {
            let Ok(mut status) = self.0.status.lock() else {
                return;
            };
            status.build += 1;
            status.changed = changed;
            status.errors = errors;
            serde_json::to_string(&*status).unwrap_or_default()
        };
        if let Ok(mut clients) = self.0.clients.lock() {
            clients.retain_mut(|client| send_text(client, &message).is_ok());
        }
    }

    fn current(&self) -> String {
        self.0
            .status
            .lock()
            .map(|s| serde_json::to_string(&*s).unwrap_or_default())
            .unwrap_or_default()
    }

    fn add(&self, mut stream: TcpStream) {
        if send_text(&mut stream, &self.current()).is_ok() {
            if let Ok(mut clients) = self.0.clients.lock() {
                clients.push(stream);
            }
        }
    }
}

/// Serves `root` on `listener` from a background thread; returns at once.
pub fn spawn(
    listener: TcpListener,
    root: &Path,
    live: Live,
) -> Result<std::thread::JoinHandle<()>> {
    let root = root
        .canonicalize()
        .with_context(|| format!("serving {}", root.display()))?;
    let active = Arc::new(AtomicUsize::new(0));
    std::thread::Builder::new()
        .name("serve".into())
        .spawn(move || {
            for stream in listener.incoming() {
                let Ok(mut stream) = stream else { continue };
                if active.load(Ordering::Relaxed) >= MAX_CONNECTIONS {
                    let _ = write_simple(&mut stream, 503, "too many connections");
                    continue;
                }
                active.fetch_add(1, Ordering::Relaxed);
                let (root, live, active) = (root.clone(), live.clone(), active.clone());
                let spawned =
                    std::thread::Builder::new()
                        .name("serve-conn".into())
                        .spawn(move || {
                            connection(stream, &root, &live);
                            active.fetch_sub(1, Ordering::Relaxed);
                        });
                if spawned.is_err() {
                    tracing::warn!("cannot start a thread for a connection");
                }
            }
        })
        .context("starting the server thread")
}

/// A parsed request head.
#[derive(Debug, Clone, PartialEq)]
struct Request {
    /// `GET`, `HEAD`, ...
    method: String,
    /// The request target as sent (`/a/b.mp4?v=1`).
    target: String,
    /// HTTP/1.0 or HTTP/1.1.
    version: String,
    /// Header names lower-cased.
    headers: Vec<(String, String)>,
}

impl Request {
    /// The first header named `name` (lower case).
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    fn keep_alive(&self) -> bool {
        let connection = self.header("connection").unwrap_or("").to_ascii_lowercase();
        if self.version == "HTTP/1.0" {
            connection.contains("keep-alive")
        } else {
            !connection.contains("close")
        }
    }
}

/// Parses a request head (without the blank line). `Err` carries the status to answer.
fn parse_head(head: &str) -> std::result::Result<Request, u16> {
    let mut lines = head.split("\r\n");
    let line = lines.next().ok_or(400u16)?;
    let mut parts = line.split(' ');
    let (Some(method), Some(target), Some(version), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(400);
    };
    if !matches!(version, "HTTP/1.1" | "HTTP/1.0")
        || method.is_empty()
        || !method.bytes().all(|b| b.is_ascii_uppercase())
    {
        return Err(400);
    }
    let mut headers = Vec::new();
    for line in lines {
        let (name, value) = line.split_once(':').ok_or(400u16)?;
        if name.is_empty() || name.bytes().any(|b| b.is_ascii_whitespace()) {
            return Err(400);
        }
        headers.push((name.to_ascii_lowercase(), value.trim().to_string()));
    }
    Ok(Request {
        method: method.into(),
        target: target.into(),
        version: version.into(),
        headers,
    })
}

/// What a request target names under `root`.
#[derive(Debug, Clone, PartialEq)]
enum Target {
    /// A file inside `root`.
    File(PathBuf),
    /// A folder named without its final `/`: redirect so relative links work.
    Redirect(String),
    /// The status to answer instead.
    Status(u16),
}

/// Maps a request target to a file under `root` (which must be canonical). Refuses anything
/// that could leave `root`: `..` or `.` segments (plain or percent-encoded), backslashes, NUL,
/// targets not starting with `/`, and symlinks whose target lies outside.
fn resolve(root: &Path, target: &str) -> Target {
    let path = target.split(['?', '#']).next().unwrap_or("");
    if !path.starts_with('/') {
        return Target::Status(400);
    }
    let Some(decoded) = strict_percent_decode(path) else {
        return Target::Status(400);
    };
    if decoded.contains(['\\', '\0']) {
        return Target::Status(400);
    }
    let mut file = root.to_path_buf();
    for segment in decoded.split('/').filter(|s| !s.is_empty()) {
        let mut components = Path::new(segment).components();
        match (components.next(), components.next()) {
            // Hidden names: a build's temporary files (and dotfiles) are never served.
            (Some(Component::Normal(_)), None) if segment.starts_with('.') => {
                return Target::Status(404)
            }
            (Some(Component::Normal(part)), None) => file.push(part),
            _ => return Target::Status(403),
        }
    }
    let file = if file.is_dir() {
        if !decoded.ends_with('/') {
            return Target::Redirect(format!("{path}/"));
        }
        file.join("index.html")
    } else {
        file
    };
    match file.canonicalize() {
        Ok(real) if !real.starts_with(root) => Target::Status(403),
        Ok(real) if real.is_file() => Target::File(real),
        Ok(_) => Target::Status(404),
        Err(_) => Target::Status(404),
    }
}

/// The path of a request, decoded; `None` when an escape is malformed or the bytes are not
/// UTF-8 (such a request is refused, never guessed at).
fn strict_percent_decode(text: &str) -> Option<String> {
    let (bytes, valid) = crate::fsutil::percent_decode(text);
    valid.then(|| String::from_utf8(bytes).ok()).flatten()
}

/// A byte range of a file of `len` bytes asked for by a `Range` header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Range {
    /// The whole file (no header, or one this server does not honour, such as several ranges).
    Full,
    /// Bytes `start..=end`.
    Part(u64, u64),
    /// A range wholly outside the file: 416.
    Unsatisfiable,
}

/// Parses `Range: bytes=a-b`, `bytes=a-` and `bytes=-n`.
fn parse_range(header: Option<&str>, len: u64) -> Range {
    let Some(spec) = header.and_then(|h| h.trim().strip_prefix("bytes=")) else {
        return Range::Full;
    };
    if spec.contains(',') {
        return Range::Full;
    }
    let Some((start, end)) = spec.trim().split_once('-') else {
        return Range::Full;
    };
    let number = |s: &str| s.trim().parse::<u64>().ok();
    match (start.trim().is_empty(), number(start), number(end)) {
        // bytes=-n: the last n bytes.
        (true, _, Some(n)) if n > 0 && len > 0 => Range::Part(len.saturating_sub(n), len - 1),
        (true, _, Some(_)) => Range::Unsatisfiable,
        (false, Some(s), _) if s >= len => Range::Unsatisfiable,
        (false, Some(s), None) if end.trim().is_empty() => Range::Part(s, len - 1),
        (false, Some(s), Some(e)) if e >= s => Range::Part(s, e.min(len - 1)),
        _ => Range::Full,
    }
}

fn content_type(path: &Path) -> &'static str {
    let ext = path
        .extension()
        .map(|e| e.to_string_lossy().to_ascii_lowercase())
        .unwrap_or_default();
    match ext.as_str() {
        "html" | "htm" => "text/html; charset=utf-8",
        "css" => "text/css; charset=utf-8",
        "js" => "text/javascript; charset=utf-8",
        "json" => "application/json",
        "vtt" => "text/vtt; charset=utf-8",
        "mp4" | "m4v" => "video/mp4",
        "jpg" | "jpeg" => "image/jpeg",
        "png" => "image/png",
        "gif" => "image/gif",
        "webp" => "image/webp",
        "svg" => "image/svg+xml",
        "txt" | "md" => "text/plain; charset=utf-8",
        "woff2" => "font/woff2",
        _ => "application/octet-stream",
    }
}

/// Adds the live-reload script to a page, before `</body>` when there is one.
fn inject_live_script(html: &str) -> String {
    let script = format!("<script>{LIVE_SCRIPT}</script>\n");
    match html.to_ascii_lowercase().rfind("</body>") {
        Some(at) => format!("{}{script}{}", &html[..at], &html[at..]),
        None => format!("{html}{script}"),
    }
}

enum Head {
    Complete(String),
    Closed,
    TooLarge,
    Malformed,
}

fn read_head(reader: &mut impl BufRead) -> Head {
    let mut head = Vec::new();
    loop {
        let mut line = Vec::new();
        let limit = (MAX_HEAD + 1 - head.len()) as u64;
        match reader.by_ref().take(limit).read_until(b'\n', &mut line) {
            Ok(0) if head.is_empty() => return Head::Closed,
            Ok(0) => return Head::Malformed,
            Ok(_) => {}
            Err(_) => return Head::Closed,
        }
        if !line.ends_with(b"\n") {
            return if head.len() + line.len() > MAX_HEAD {
                Head::TooLarge
            } else {
                Head::Malformed
            };
        }
        if (line == b"\r\n" || line == b"\n") && head.is_empty() {
            continue; // Stray blank lines before a request are allowed.
        }
        if line == b"\r\n" || line == b"\n" {
            break;
        }
        head.extend_from_slice(&line);
        if head.len() > MAX_HEAD {
            return Head::TooLarge;
        }
    }
    match String::from_utf8(head) {
        Ok(text) => Head::Complete(text.trim_end().replace("\r\n", "\n").replace('\n', "\r\n")),
        Err(_) => Head::Malformed,
    }
}

fn connection(stream: TcpStream, root: &Path, live: &Live) {
    let _ = stream.set_read_timeout(Some(Duration::from_secs(15)));
    let _ = stream.set_write_timeout(Some(Duration::from_secs(30)));
    let Ok(read_half) = stream.try_clone() else {
        return;
    };
    let mut reader = BufReader::new(read_half);
    let mut stream = stream;
    loop {
        let request = match read_head(&mut reader) {
            Head::Complete(text) => match parse_head(&text) {
                Ok(request) => request,
                Err(status) => {
                    let _ = write_simple(&mut stream, status, "bad request");
                    return;
                }
            },
            Head::Closed => return,
            Head::TooLarge => {
                let _ = write_simple(&mut stream, 431, "request head too large");
                return;
            }
            Head::Malformed => {
                let _ = write_simple(&mut stream, 400, "bad request");
                return;
            }
        };
        let path = request.target.split('?').next().unwrap_or("");
        if path == LIVE_PATH {
            if upgrade(&mut stream, &request).is_ok() {
                let _ = stream.set_read_timeout(None);
                // A page that stops reading must not hold up the announcement of a rebuild.
                let _ = stream.set_write_timeout(Some(Duration::from_secs(2)));
                live.add(stream);
                // Read (and drop) what the page sends until it goes away, then forget it.
                let mut sink = [0u8; 512];
                while matches!(reader.get_mut().read(&mut sink), Ok(n) if n > 0) {}
            }
            return;
        }
        let has_body = request
            .header("content-length")
            .is_some_and(|l| l.trim() != "0")
            || request.header("transfer-encoding").is_some();
        let keep = request.keep_alive() && !has_body;
        if respond(&mut stream, &request, root, keep).is_err() || !keep {
            return;
        }
    }
}

fn respond(
    stream: &mut TcpStream,
    request: &Request,
    root: &Path,
    keep: bool,
) -> std::io::Result<()> {
    if !matches!(request.method.as_str(), "GET" | "HEAD") {
        return write_simple(stream, 405, "only GET and HEAD");
    }
    let file = match resolve(root, &request.target) {
        Target::File(file) => file,
        Target::Redirect(to) => {
            let head = format!(
                "HTTP/1.1 301 Moved Permanently\r\nLocation: {to}\r\nContent-Length: 0\r\n{}\r\n",
                connection_header(keep)
            );
            return stream.write_all(head.as_bytes());
        }
        Target::Status(status) => return write_simple(stream, status, reason(status)),
    };
    let kind = content_type(&file);
    let head_only = request.method == "HEAD";
    if kind.starts_with("text/html") {
        let Ok(html) = std::fs::read_to_string(&file) else {
            return write_simple(stream, 404, "not found");
        };
        let body = inject_live_script(&html).into_bytes();
        return send(stream, request, kind, Body::Bytes(body), head_only, keep);
    }
    let Ok(handle) = std::fs::File::open(&file) else {
        return write_simple(stream, 404, "not found");
    };
    send(stream, request, kind, Body::File(handle), head_only, keep)
}

enum Body {
    Bytes(Vec<u8>),
    File(std::fs::File),
}

fn send(
    stream: &mut TcpStream,
    request: &Request,
    kind: &str,
    body: Body,
    head_only: bool,
    keep: bool,
) -> std::io::Result<()> {
    let len = match &body {
        Body::Bytes(b) => b.len() as u64,
        Body::File(f) => f.metadata()?.len(),
    };
    let (status, start, count, range_header) = match parse_range(request.header("range"), len) {
        Range::Full => (200, 0, len, String::new()),
        Range::Part(s, e) => (
            206,
            s,
            e - s + 1,
            format!("Content-Range: bytes {s}-{e}/{len}\r\n"),
        ),
        Range::Unsatisfiable => {
            let head = format!(
                "HTTP/1.1 416 Range Not Satisfiable\r\nContent-Range: bytes */{len}\r\nContent-Length: 0\r\n{}\r\n",
                connection_header(keep)
            );
            return stream.write_all(head.as_bytes());
        }
    };
    let head = format!(
        "HTTP/1.1 {status} {}\r\nContent-Type: {kind}\r\nContent-Length: {count}\r\n{range_header}\
         Accept-Ranges: bytes\r\nCache-Control: no-cache\r\nX-Content-Type-Options: nosniff\r\n{}\r\n",
        reason(status),
        connection_header(keep)
    );
    stream.write_all(head.as_bytes())?;
    if head_only {
        return Ok(());
    }
    match body {
        Body::Bytes(bytes) => {
            stream.write_all(&bytes[start as usize..(start + count) as usize])?;
        }
        Body::File(mut file) => {
            file.seek(SeekFrom::Start(start))?;
            let copied = std::io::copy(&mut file.take(count), stream)?;
            if copied < count {
                // The file shrank under us (a rebuild): end the connection, the client retries.
                return Err(std::io::ErrorKind::UnexpectedEof.into());
            }
        }
    }
    stream.flush()
}

fn connection_header(keep: bool) -> &'static str {
    if keep {
        "Connection: keep-alive\r\n"
    } else {
        "Connection: close\r\n"
    }
}

fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        206 => "Partial Content",
        400 => "Bad Request",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        416 => "Range Not Satisfiable",
        431 => "Request Header Fields Too Large",
        503 => "Service Unavailable",
        _ => "Error",
    }
}

fn write_simple(stream: &mut TcpStream, status: u16, text: &str) -> std::io::Result<()> {
    let response = format!(
        "HTTP/1.1 {status} {}\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{text}",
        reason(status),
        text.len()
    );
    stream.write_all(response.as_bytes())?;
    stream.flush()
}

/// Answers a websocket handshake (RFC 6455).
fn upgrade(stream: &mut TcpStream, request: &Request) -> std::io::Result<()> {
    let key = request.header("sec-websocket-key");
    let is_upgrade = request
        .header("upgrade")
        .is_some_and(|u| u.eq_ignore_ascii_case("websocket"));
    let (Some(key), true, "GET") = (key, is_upgrade, request.method.as_str()) else {
        write_simple(stream, 400, "websocket upgrade expected")?;
        return Err(std::io::ErrorKind::InvalidInput.into());
    };
    let head = format!(
        "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: {}\r\n\r\n",
        websocket_accept(key)
    );
    stream.write_all(head.as_bytes())
}

/// `Sec-WebSocket-Accept` for a `Sec-WebSocket-Key`.
fn websocket_accept(key: &str) -> String {
    let mut sha = Sha1::new();
    sha.update(key.trim().as_bytes());
    sha.update(b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11");
    base64(&sha.finalize())
}

fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |n, (i, &b)| n | u32::from(b) << (16 - 8 * i));
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(ALPHABET[(n >> (18 - 6 * i) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// Sends one unmasked text frame (server to client).
fn send_text(stream: &mut TcpStream, text: &str) -> std::io::Result<()> {
    let payload = text.as_bytes();
    let mut frame = vec![0x81u8];
    match payload.len() {
        n if n < 126 => frame.push(n as u8),
        n if n < 65536 => {
            frame.push(126);
            frame.extend_from_slice(&(n as u16).to_be_bytes());
        }
        n => {
            frame.push(127);
            frame.extend_from_slice(&(n as u64).to_be_bytes());
        }
    }
    frame.extend_from_slice(payload);
    stream.write_all(&frame)?;
    stream.flush()
}

#[cfg(test)]
mod tests {
    use lecturegen_testkit::Scratch;

    use super::*;

    #[test]
    fn resolve_never_leaves_the_output_folder() {
        let course = Scratch::new();
        course.file("output/a/index.html", "<p>a</p>");
        course.file("output/a/lecture.mp4", "video");
        course.file("output/a/.lecturegen-tmp-1-lecture.mp4", "half a video");
        course.file("secret.txt", "secret");
        let root = course.path("output").canonicalize().unwrap();
        std::os::unix::fs::symlink(course.path("secret.txt"), root.join("link.txt")).unwrap();
        std::os::unix::fs::symlink(course.path("."), root.join("up")).unwrap();
        let r = |t: &str| resolve(&root, t);
        assert_eq!(
            r("/a/lecture.mp4"),
            Target::File(root.join("a/lecture.mp4"))
        );
        assert_eq!(
            r("/a/lecture.mp4?v=123"),
            Target::File(root.join("a/lecture.mp4"))
        );
        assert_eq!(r("/a/"), Target::File(root.join("a/index.html")));
        assert_eq!(
            r("/a%2Flecture.mp4"),
            Target::File(root.join("a/lecture.mp4"))
        );
        assert_eq!(r("/a"), Target::Redirect("/a/".into()));
        for (target, status) in [
            ("/../secret.txt", 403),
            ("/a/../../secret.txt", 403),
            ("/%2e%2e/secret.txt", 403),
            ("/%2E%2E%2Fsecret.txt", 403),
            ("/a/%2e%2e/%2e%2e/secret.txt", 403),
            ("/./a/index.html", 403),
            ("/a\\..\\..\\secret.txt", 400),
            ("/a%5c..%5c..%5csecret.txt", 400),
            ("/a/index.html%00.mp4", 400),
            ("/%zz", 400),
            ("/%ff", 400),
            ("secret.txt", 400),
            ("http://example.com/a/index.html", 400),
            ("//etc/passwd", 404),
            ("/link.txt", 403),
            ("/up/secret.txt", 403),
            ("/missing.mp4", 404),
            ("/a/.lecturegen-tmp-1-lecture.mp4", 404),
            ("/a/%2Electuregen-tmp-1-lecture.mp4", 404),
        ] {
            assert_eq!(r(target), Target::Status(status), "{target}");
        }
    }

    #[test]
    fn ranges_follow_rfc_9110() {
        assert_eq!(parse_range(None, 100), Range::Full);
        assert_eq!(parse_range(Some("bytes=0-9"), 100), Range::Part(0, 9));
        assert_eq!(parse_range(Some("bytes=90-"), 100), Range::Part(90, 99));
        assert_eq!(parse_range(Some("bytes=90-500"), 100), Range::Part(90, 99));
        assert_eq!(parse_range(Some("bytes=-10"), 100), Range::Part(90, 99));
        assert_eq!(parse_range(Some("bytes=-500"), 100), Range::Part(0, 99));
        assert_eq!(parse_range(Some("bytes=100-"), 100), Range::Unsatisfiable);
        assert_eq!(parse_range(Some("bytes=-0"), 100), Range::Unsatisfiable);
        assert_eq!(parse_range(Some("bytes=0-0"), 0), Range::Unsatisfiable);
        // Several ranges, reversed or garbled ones: the whole file, as the RFC allows.
        assert_eq!(parse_range(Some("bytes=0-1,5-6"), 100), Range::Full);
        assert_eq!(parse_range(Some("bytes=9-3"), 100), Range::Full);
        assert_eq!(parse_range(Some("bytes=x-y"), 100), Range::Full);
        assert_eq!(parse_range(Some("items=0-1"), 100), Range::Full);
    }

    #[test]
    fn request_heads_are_parsed_strictly() {
        let ok = parse_head("GET /a HTTP/1.1\r\nHost: x\r\nRange: bytes=0-1").unwrap();
        assert_eq!(ok.method, "GET");
        assert_eq!(ok.header("range"), Some("bytes=0-1"));
        assert_eq!(ok.header("host"), Some("x"));
        for bad in [
            "",
            "GET",
            "GET /a",
            "GET /a HTTP/2.0",
            "get /a HTTP/1.1",
            "GET /a HTTP/1.1 extra",
            "GET /a HTTP/1.1\r\nno colon",
            "GET /a HTTP/1.1\r\nBad Name: x",
        ] {
            assert_eq!(parse_head(bad), Err(400), "{bad:?}");
        }
    }

    #[test]
    fn websocket_accept_matches_rfc_6455_and_pages_get_the_script() {
        assert_eq!(
            websocket_accept("dGhlIHNhbXBsZSBub25jZQ=="),
            "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="
        );
        let page = inject_live_script("<html><body><p>x</p></BODY></html>");
        assert!(page.find("<script>").unwrap() < page.find("</BODY>").unwrap());
        assert!(page.contains("/__lecturegen/live"));
        assert!(inject_live_script("<p>bare</p>").ends_with("</script>\n"));
    }
}
