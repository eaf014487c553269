//! `lecturegen serve`: path safety, ranges, request limits, live reload, and a load test.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::Path;

use lecturegen::serve::{
    inject_live_script, parse_head, parse_range, resolve, websocket_accept, Range, Target,
};

use crate::support::{Course, Running};

#[test]
fn resolve_never_leaves_the_output_folder() {
    let course = Course::new();
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
