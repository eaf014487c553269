//! `lecturegen serve` as a browser meets it: ranges, refused requests, live reload, and a load
//! test (path safety, range and head parsing are unit tests in `src/serve.rs`).

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::Path;

use crate::support::{Course, Running};

/// Sends raw bytes and reads the whole answer (the request asks to close).
fn raw(address: &str, request: &[u8]) -> (u16, String, Vec<u8>) {
    let mut stream = TcpStream::connect(address).unwrap();
    stream.write_all(request).unwrap();
    let mut answer = Vec::new();
    let _ = stream.read_to_end(&mut answer);
    split_response(&answer)
}

fn split_response(answer: &[u8]) -> (u16, String, Vec<u8>) {
    let end = answer
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .unwrap_or_else(|| panic!("no head in {:?}", String::from_utf8_lossy(answer)));
    let head = String::from_utf8_lossy(&answer[..end]).into_owned();
    let status = head[9..12].parse().unwrap();
    (status, head, answer[end + 4..].to_vec())
}

fn get(address: &str, path: &str, extra: &str) -> (u16, String, Vec<u8>) {
    raw(
        address,
        format!("GET {path} HTTP/1.1\r\nHost: x\r\n{extra}Connection: close\r\n\r\n").as_bytes(),
    )
}

pub fn serve(course: &Course) -> (Running, String) {
    let root = course.root.to_string_lossy().into_owned();
    let server = Running::start(&course.root, &["serve", "--root", &root, "--port", "0"]);
    let line = server.wait_line("the server address", |l| l.starts_with("serving "));
    let url = line.split(" at ").nth(1).unwrap().trim().to_string();
    server.wait_line("the watcher to start", |l| l.starts_with("watching "));
    (server, url)
}

fn address(url: &str) -> String {
    url.trim_start_matches("http://")
        .trim_end_matches('/')
        .to_string()
}

/// Reads one server-to-client websocket text frame.
fn read_frame(stream: &mut TcpStream) -> String {
    let mut head = [0u8; 2];
    stream.read_exact(&mut head).unwrap();
    assert_eq!(head[0], 0x81, "a final text frame");
    let len = match head[1] {
        126 => {
            let mut b = [0u8; 2];
            stream.read_exact(&mut b).unwrap();
            u16::from_be_bytes(b) as usize
        }
        127 => {
            let mut b = [0u8; 8];
            stream.read_exact(&mut b).unwrap();
            u64::from_be_bytes(b) as usize
        }
        n => n as usize,
    };
    let mut payload = vec![0u8; len];
    stream.read_exact(&mut payload).unwrap();
    String::from_utf8(payload).unwrap()
}

#[test]
fn server_serves_ranges_refuses_bad_requests_and_pushes_rebuilds() {
    let course = Course::new();
    course.file(
        "content/a.md",
        "# A\n\n## One\n\nfirst\n\n## Two\n\nsecond\n",
    );
    let (server, url) = serve(&course);
    assert!(url.starts_with("http://127.0.0.1:"), "{url}");
    let addr = address(&url);

    let video = std::fs::read(course.path("output/a/lecture.mp4")).unwrap();
    let (status, head, body) = get(&addr, "/a/lecture.mp4?v=1", "Range: bytes=100-1099\r\n");
    assert_eq!(status, 206, "{head}");
    assert!(head.contains(&format!("Content-Range: bytes 100-1099/{}", video.len())));
    assert_eq!(body, &video[100..1100]);
    let (status, head, body) = get(&addr, "/a/lecture.mp4", "Range: bytes=99999999-\r\n");
    assert_eq!(status, 416, "{head}");
    assert!(body.is_empty());
    let (status, head, body) = raw(
        &addr,
        b"HEAD /a/lecture.mp4 HTTP/1.1\r\nConnection: close\r\n\r\n",
    );
    assert_eq!(status, 200);
    assert!(head.contains(&format!("Content-Length: {}", video.len())));
    assert!(body.is_empty());
    let (status, _, page) = get(&addr, "/a/", "");
    assert_eq!(status, 200);
    assert!(String::from_utf8_lossy(&page).contains("/__lecturegen/live"));

    // Hostile and malformed requests: 4xx, and the server lives on.
    assert_eq!(get(&addr, "/../lecturegen.toml", "").0, 403);
    assert_eq!(get(&addr, "/%2e%2e/lecturegen.toml", "").0, 403);
    assert_eq!(get(&addr, "/..%5clecturegen.toml", "").0, 400);
    assert_eq!(raw(&addr, b"garbage\r\n\r\n").0, 400);
    assert_eq!(raw(&addr, b"\xff\xfe GET / HTTP/1.1\r\n\r\n").0, 400);
    let huge = format!("GET / HTTP/1.1\r\nX: {}\r\n\r\n", "a".repeat(40_000));
    assert_eq!(raw(&addr, huge.as_bytes()).0, 431);
    assert_eq!(
        raw(
            &addr,
            b"POST /a/ HTTP/1.1\r\nContent-Length: 3\r\nConnection: close\r\n\r\nabc"
        )
        .0,
        405
    );
    assert_eq!(get(&addr, "/a/", "").0, 200);

    // Live reload: the page's socket hears of each build, with its errors.
    let mut socket = TcpStream::connect(&addr).unwrap();
    socket
        .write_all(
            b"GET /__lecturegen/live HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
              Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n",
        )
        .unwrap();
    let mut head = Vec::new();
    while !head.ends_with(b"\r\n\r\n") {
        let mut byte = [0u8; 1];
        socket.read_exact(&mut byte).unwrap();
        head.push(byte[0]);
    }
    let head = String::from_utf8(head).unwrap();
    assert!(head.starts_with("HTTP/1.1 101"), "{head}");
    assert!(head.contains("s3pPLMBiTxaQ9kYGzzhZRbK+xOo="));
    let first: serde_json::Value = serde_json::from_str(&read_frame(&mut socket)).unwrap();
    course.file(
        "content/a.md",
        "# A\n\n## One\n\nedited\n\n## Two\n\nsecond\n",
    );
    let next: serde_json::Value = serde_json::from_str(&read_frame(&mut socket)).unwrap();
    assert_eq!(next["build"], first["build"].as_u64().unwrap() + 1);
    assert_eq!(next["changed"], serde_json::json!(["a"]));
    assert_eq!(next["errors"], serde_json::json!([]));
    course.file("content/a.md", "---\ntitle: [broken\n---\n# A\n");
    let broken: serde_json::Value = serde_json::from_str(&read_frame(&mut socket)).unwrap();
    let errors = broken["errors"].to_string();
    assert!(errors.contains("content/a.md:2"), "{errors}");
    drop(server);
}

#[test]
fn concurrent_range_requests_all_succeed() {
    let course = Course::new();
    course.file(
        "content/a.md",
        "# A\n\n## One\n\nfirst\n\n## Two\n\nsecond\n",
    );
    let (_server, url) = serve(&course);
    let addr = address(&url);
    let video = std::fs::read(course.path("output/a/lecture.mp4")).unwrap();
    let len = video.len();
    let threads: Vec<_> = (0..16)
        .map(|t| {
            let (addr, video) = (addr.clone(), video.clone());
            std::thread::spawn(move || {
                // Each thread keeps one connection alive for 25 requests.
                let mut stream = TcpStream::connect(&addr).unwrap();
                for i in 0..25 {
                    let start = (t * 997 + i * 131) % (len - 200);
                    let end = start + 150;
                    write!(
                        stream,
                        "GET /a/lecture.mp4 HTTP/1.1\r\nHost: x\r\nRange: bytes={start}-{end}\r\n\r\n"
                    )
                    .unwrap();
                    let mut head = Vec::new();
                    while !head.ends_with(b"\r\n\r\n") {
                        let mut byte = [0u8; 1];
                        stream.read_exact(&mut byte).unwrap();
                        head.push(byte[0]);
                    }
                    let head = String::from_utf8(head).unwrap();
                    assert!(head.starts_with("HTTP/1.1 206"), "{head}");
                    let mut body = vec![0u8; end - start + 1];
                    stream.read_exact(&mut body).unwrap();
                    assert_eq!(body, &video[start..=end]);
                }
            })
        })
        .collect();
    for thread in threads {
        thread.join().unwrap();
    }
    let _ = Path::new(&url);
}
