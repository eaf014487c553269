//! The remote backend and voice against a server that injects faults: retries, limits,
//! messages and the cache.

use std::process::Command;
use std::time::{Duration, Instant};

use serde_json::json;

use crate::support::{Course, TEST_CONFIG};
use lecturegen_testkit::fakeserver::{png_b64, sdapi_ok, tone_wav, FakeServer, Reply, Seen};

/// Three slides: the title and two headings.
const NOTES: &str = "---\ntitle: Remote\n---\n\n# Clouds\n\nA slide.\n\n# Rivers\n\nAnother.\n";

/// A course whose backgrounds come from `urls` with `extra` lines in `[remote]`.
fn course(urls: &[&str], extra: &str) -> Course {
    let course = Course::new();
    let list: Vec<String> = urls.iter().map(|u| format!("{u:?}")).collect();
    course.file(
        "lecturegen.toml",
        &format!(
            "{}\n[remote]\nurl = [{}]\n{}{extra}\n",
            TEST_CONFIG.replace("backend = \"none\"", "backend = \"remote\""),
            list.join(", "),
            if extra.contains("retries") {
                ""
            } else {
                "retries = 3\n"
            }
        ),
    );
    course.file("content/a.md", NOTES);
    course
}

#[test]
fn sdapi_builds_every_slide_and_a_second_build_sends_nothing() {
    let server = FakeServer::start(|r, _| sdapi_ok(r));
    let course = course(&[&server.url], "");
    let (summary, collect) = course.build();
    assert_eq!(summary.built, 1, "{:?}", collect.errors());
    assert_eq!(summary.backgrounds_generated, 3);
    let requests = server.requests();
    assert_eq!(requests.len(), 3);
    let body = &requests[1].body;
    assert_eq!(requests[1].path, "/sdapi/v1/txt2img");
    assert_eq!(
        body["width"], 1024,
        "the frame's shape, long side 1024: {body}"
    );
    assert_eq!(body["height"], 576);
    assert_eq!(body["steps"], 20);
    assert_eq!(body["sampler_name"], "Euler a");
    assert!(body["negative_prompt"].as_str().unwrap().contains("text"));
    let prompts: Vec<&str> = requests
        .iter()
        .map(|r| r.body["prompt"].as_str().unwrap())
        .collect();
    assert!(prompts.contains(&"Rivers"), "{prompts:?}");
    // The same seed gives the same request, so the same picture: a second build asks nothing.
    let (again, _) = course.build();
    assert!(again.nothing_rendered());
    assert_eq!(server.requests().len(), 3);
}

#[test]
fn retry_after_and_server_errors_are_retried_then_succeed() {
    // Per slide: 429 with retry-after-ms, then 503, then the picture.
    let server = FakeServer::start(|r, n| match n % 3 {
        0 => Reply::json(429, json!({"error": {"message": "slow down"}}))
            .header("retry-after-ms", "150"),
        1 => Reply::json(503, json!({"detail": "warming up"})),
        _ => sdapi_ok(r),
    });
    let course = course(&[&server.url], "concurrency = 1\n");
    course.file("content/a.md", "---\ntitle: One slide\n---\n");
    let started = Instant::now();
    let (summary, collect) = course.build();
    assert_eq!(summary.built, 1, "{:?}", collect.errors());
    assert_eq!(server.requests().len(), 3);
    assert!(
        started.elapsed() >= Duration::from_millis(150),
        "the Retry-After was waited for"
    );
}

#[test]
fn a_client_error_fails_at_once_with_the_servers_message_and_the_slide() {
    let server = FakeServer::start(|r, _| {
        if r.body["prompt"] == "Rivers" {
            Reply::json(
                400,
                json!({"error": {"message": "prompt rejected by policy"}}),
            )
        } else {
            sdapi_ok(r)
        }
    });
    let course = course(&[&server.url], "");
    course.file("content/b.md", "---\ntitle: Fine\n---\n\n# Hills\n\ntext\n");
    let (summary, collect) = course.build();
    // The other lecture builds; the failing one names its slide and the server's words.
    assert_eq!((summary.built, summary.failed), (1, 1));
    let errors = collect.errors().join("\n");
    assert!(errors.contains("content/a.md:9"), "{errors}");
    assert!(
        errors.contains("HTTP 400: prompt rejected by policy"),
        "{errors}"
    );
    let asked_rivers = server
        .requests()
        .iter()
        .filter(|r| r.body["prompt"] == "Rivers")
        .count();
    assert_eq!(asked_rivers, 1, "a 400 is not retried");
}

#[test]
fn a_hang_past_the_timeout_fails_and_caches_nothing() {
    let server = FakeServer::start(|r, _| sdapi_ok(r).after(Duration::from_secs(3)));
    let course = course(&[&server.url], "timeout_s = 1\nretries = 1\n");
    course.file("content/a.md", "---\ntitle: One slide\n---\n");
    let (summary, collect) = course.build();
    assert_eq!(summary.failed, 1);
    let errors = collect.errors().join("\n");
    assert!(errors.contains("timed out"), "{errors}");
    // Nothing was cached: a healthy server is asked again.
    let healthy = FakeServer::start(|r, _| sdapi_ok(r));
    course.file(
        "lecturegen.toml",
        &course
            .read("lecturegen.toml")
            .replace(&server.url, &healthy.url),
    );
    let (summary, _) = course.build();
    assert_eq!(summary.built, 1);
    assert_eq!(healthy.requests().len(), 1);
}

#[test]
fn garbage_is_refused_and_a_wrong_size_picture_is_fitted() {
    let server = FakeServer::start(|r, _| {
        if r.body["prompt"] == "Rivers" {
            Reply::json(200, json!({"images": ["this is not base64!!"]}))
        } else {
            // A square picture for a 16:9 frame.
            Reply::json(200, json!({"images": [png_b64(96, 96, 3)]}))
        }
    });
    let course = course(&[&server.url], "retries = 0\n");
    let (summary, collect) = course.build();
    assert_eq!(summary.failed, 1);
    let errors = collect.errors().join("\n");
    assert!(errors.contains("not valid base64"), "{errors}");
    // The square pictures were fine: cached (scaled to cover the frame), not asked again.
    course.file("content/a.md", &NOTES.replace("# Rivers\n\nAnother.\n", ""));
    let before = server.requests().len();
    let (summary, collect) = course.build();
    assert_eq!(summary.built, 1, "{:?}", collect.errors());
    assert_eq!(server.requests().len(), before);
}

#[test]
fn a_server_that_goes_away_fails_fast_and_keeps_the_last_good_output() {
    let server = FakeServer::start(|r, _| sdapi_ok(r));
    let course = course(&[&server.url], "");
    let (summary, _) = course.build();
    assert_eq!(summary.built, 1);
    let video = course.read("output/a/index.html");
    // Nobody listens at this address any more.
    let dead = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        format!("http://{}", listener.local_addr().unwrap())
    };
    course.file(
        "lecturegen.toml",
        &course.read("lecturegen.toml").replace(&server.url, &dead),
    );
    course.file("content/a.md", &NOTES.replace("Rivers", "Lakes"));
    let (summary, collect) = course.build();
    assert_eq!(summary.failed, 1);
    let errors = collect.errors().join("\n");
    assert!(errors.contains(&dead), "{errors}");
    assert_eq!(
        course.read("output/a/index.html"),
        video,
        "last good output kept"
    );
    // The server is back: the build resumes from the cache and asks only for the new slide.
    course.file(
        "lecturegen.toml",
        &course.read("lecturegen.toml").replace(&dead, &server.url),
    );
    let before = server.requests().len();
    let (summary, _) = course.build();
    assert_eq!(summary.built, 1);
    assert_eq!(server.requests().len(), before + 1);
}

#[test]
fn requests_spread_over_servers_within_each_ones_limit() {
    let slow = |r: &Seen, _| sdapi_ok(r).after(Duration::from_millis(300));
    let (a, b) = (FakeServer::start(slow), FakeServer::start(slow));
    let course = course(&[&a.url, &b.url], "concurrency = 2\n");
    let mut notes = String::from("---\ntitle: Many\n---\n");
    for i in 0..11 {
        notes.push_str(&format!("\n# Slide {i}\n\ntext {i}\n"));
    }
    course.file("content/a.md", &notes);
    let (summary, collect) = course.build();
    assert_eq!(summary.built, 1, "{:?}", collect.errors());
    assert_eq!(summary.backgrounds_generated, 12);
    // They were asked for up front, and counted as they arrived.
    let arrived = collect.arrived.lock().unwrap().clone();
    assert_eq!(arrived.first(), Some(&(0, 12)));
    assert_eq!(arrived.last(), Some(&(12, 12)));
    let (na, nb) = (a.requests().len(), b.requests().len());
    assert_eq!(na + nb, 12);
    assert!(na >= 4 && nb >= 4, "spread: {na} and {nb}");
    let mut total = 0;
    for server in [&a, &b] {
        let most = server
            .max_in_flight
            .load(std::sync::atomic::Ordering::SeqCst);
        assert!(most <= 2, "at most 2 in flight per server, saw {most}");
        total += most;
    }
    // Both servers had two at once at some point: the pool was used, not two slide threads.
    assert_eq!(total, 4, "in flight at once");
}

#[test]
fn openai_dialects_carry_the_seed_where_each_server_takes_it() {
    let answer = |r: &Seen| {
        let size = r.body["size"].as_str().unwrap_or("64x64");
        let (w, h) = size.split_once('x').unwrap();
        Reply::json(
            200,
            json!({"created": 1, "data": [{"b64_json": png_b64(w.parse().unwrap(), h.parse().unwrap(), 1)}]}),
        )
    };
    for (dialect, model) in [
        ("fields", "sd-tiny"),
        ("kwargs", "sd-tiny"),
        ("none", "gpt-image-1"),
    ] {
        let server = FakeServer::start(move |r, _| answer(r));
        let course = course(
            &[&server.url],
            &format!("api = \"openai\"\ndialect = \"{dialect}\"\nmodel = \"{model}\"\n"),
        );
        course.file("content/a.md", "---\ntitle: One slide\n---\n");
        let (summary, collect) = course.build();
        assert_eq!(summary.built, 1, "{dialect}: {:?}", collect.errors());
        let request = &server.requests()[0];
        assert_eq!(request.path, "/v1/images/generations");
        let body = &request.body;
        assert_eq!(body["model"], model);
        assert_eq!(body["size"], "1024x576");
        match dialect {
            "fields" => {
                assert!(body["seed"].is_u64(), "{body}");
                assert_eq!(body["response_format"], "b64_json");
            }
            "kwargs" => {
                assert!(body.get("seed").is_none(), "{body}");
                let kwargs: serde_json::Value =
                    serde_json::from_str(body["kwargs"].as_str().unwrap()).unwrap();
                assert!(kwargs["seed"].is_u64(), "{kwargs}");
                assert!(kwargs["negative_prompt"].is_string());
            }
            _ => {
                assert!(body.get("seed").is_none() && body.get("kwargs").is_none());
                assert!(
                    body.get("response_format").is_none(),
                    "gpt-image rejects it"
                );
            }
        }
    }
}

#[test]
fn the_api_key_comes_from_the_environment_never_the_file() {
    let server = FakeServer::start(|r, _| sdapi_ok(r));
    let course = course(
        &[&server.url],
        "api_key_env = \"LECTUREGEN_TEST_KEY_UNSET\"\n",
    );
    let err = lecturegen::pipeline::Workspace::load(course.settings())
        .err()
        .expect("a missing key is an error");
    assert!(
        format!("{err:#}").contains("LECTUREGEN_TEST_KEY_UNSET is not set"),
        "{err:#}"
    );
    // Set (for the binary only, not this process): sent as a bearer token.
    let out = Command::new(env!("CARGO_BIN_EXE_lecturegen"))
        .args(["build", "-q", "--root", course.root.to_str().unwrap()])
        .env("LECTUREGEN_TEST_KEY_UNSET", "sk-test-123")
        .output()
        .unwrap();
    crate::support::assert_success(&out);
    let auth = server.requests()[0]
        .headers
        .iter()
        .find(|(k, _)| k == "authorization")
        .map(|(_, v)| v.clone());
    assert_eq!(auth.as_deref(), Some("Bearer sk-test-123"));
}

#[test]
fn remote_voice_speaks_and_a_bad_answer_is_refused() {
    let server = FakeServer::start(|r, _| {
        if r.body["input"].as_str().unwrap_or("").contains("garbage") {
            Reply::bytes(200, b"<html>oops</html>".to_vec())
        } else {
            Reply::bytes(200, tone_wav()).header("Content-Type", "audio/wav")
        }
    });
    let course = Course::new();
    course.file(
        "lecturegen.toml",
        &TEST_CONFIG.replace(
            "voice = \"none\"",
            &format!(
                "voice = \"remote\"\n\n[narration.remote]\nurl = \"{}\"\nmodel = \"kokoro\"\nvoice = \"af_sky\"\nretries = 0\n",
                server.url
            ),
        ),
    );
    course.file(
        "content/a.md",
        "---\ntitle: Spoken\n---\n\n# One\n\nNote: First sentence here. Second one.\n",
    );
    let (summary, collect) = course.build();
    assert_eq!(summary.built, 1, "{:?}", collect.errors());
    assert_eq!(summary.narrated, 1);
    let request = &server.requests()[0];
    assert_eq!(request.path, "/v1/audio/speech");
    assert_eq!(request.body["model"], "kokoro");
    assert_eq!(request.body["voice"], "af_sky");
    assert_eq!(request.body["response_format"], "wav");
    assert!(course.read("output/a/captions.vtt").contains("Second one."));
    // An answer that is not audio fails the lecture with a clear message.
    course.file(
        "content/a.md",
        "---\ntitle: Spoken\n---\n\n# One\n\nNote: This is garbage.\n",
    );
    let (summary, collect) = course.build();
    assert_eq!(summary.failed, 1);
    let errors = collect.errors().join("\n");
    assert!(errors.contains("not a WAV file"), "{errors}");
}

#[test]
fn prompts_list_what_a_build_would_make_and_cache_import_fills_it() {
    let course = course(&["http://127.0.0.1:9"], "retries = 0\n");
    let run = |args: &[&str]| {
        let mut args = args.to_vec();
        args.extend(["--root", course.root.to_str().unwrap()]);
        crate::support::run_ok(&course.root, env!("CARGO_BIN_EXE_lecturegen"), &args)
    };
    let listed: serde_json::Value = serde_json::from_slice(&run(&["prompts", "--json"])).unwrap();
    let listed = listed.as_array().unwrap();
    assert_eq!(listed.len(), 3);
    for p in listed {
        for field in [
            "key",
            "slide",
            "backend",
            "prompt",
            "negative_prompt",
            "seed",
            "width",
            "height",
        ] {
            assert!(p.get(field).is_some(), "{field} in {p}");
        }
    }
    // Another engine makes them (any size: they are fitted to the frame), named by key.
    let made = course.path("made");
    std::fs::create_dir_all(&made).unwrap();
    for p in listed {
        let key = p["key"].as_str().unwrap();
        std::fs::write(
            made.join(format!("{key}.png")),
            crate::support::png(64, 36, [10, 120, 200]),
        )
        .unwrap();
    }
    std::fs::write(
        made.join("not-a-key.png"),
        crate::support::png(8, 8, [0, 0, 0]),
    )
    .unwrap();
    run(&["cache", "import", made.to_str().unwrap()]);
    // Nothing left to make, and the build needs no server (nobody listens on port 9).
    let after: serde_json::Value = serde_json::from_slice(&run(&["prompts", "--json"])).unwrap();
    assert_eq!(after.as_array().unwrap().len(), 0);
    let (summary, collect) = course.build();
    assert_eq!(summary.built, 1, "{:?}", collect.errors());
}

#[test]
fn x_should_retry_overrides_the_status() {
    // The server says a 400 is worth retrying, and a 503 is not.
    let server = FakeServer::start(|r, _| {
        if r.body["prompt"] == "Rivers" {
            Reply::json(503, json!({"detail": "gone for good"})).header("x-should-retry", "false")
        } else {
            sdapi_ok(r)
        }
    });
    let flaky = FakeServer::start(|r, n| {
        if n == 0 {
            Reply::json(400, json!({"detail": "busy, try again"})).header("x-should-retry", "true")
        } else {
            sdapi_ok(r)
        }
    });
    let course = course(&[&flaky.url], "concurrency = 1\n");
    course.file("content/a.md", "---\ntitle: One slide\n---\n");
    let (summary, collect) = course.build();
    assert_eq!(summary.built, 1, "{:?}", collect.errors());
    assert_eq!(flaky.requests().len(), 2, "the 400 was retried");

    let course = self::course(&[&server.url], "");
    course.file("content/a.md", NOTES);
    let (summary, collect) = course.build();
    assert_eq!(summary.failed, 1);
    assert!(collect.errors().join("\n").contains("gone for good"));
    let asked = server
        .requests()
        .iter()
        .filter(|r| r.body["prompt"] == "Rivers")
        .count();
    assert_eq!(
        asked, 1,
        "a 503 the server says not to retry is not retried"
    );
}

/// Four paragraphs of prose, each long enough that its point is a cut of it.
const PROSE: &str = "---\ntitle: Points\n---\n\n# Prose\n\nAlpha is the first paragraph of this \
section, and it goes on for a while so that its point is shorter than it.\n\nBeta is the second \
paragraph of this section, and it goes on for a while so that its point is shorter than it.\n\n\
Gamma is the third paragraph of this section, and it goes on for a while so that its point is \
shorter than it.\n\nDelta is the fourth paragraph of this section, and it goes on for a while \
so that its point is shorter than it.\n";

/// A course whose points come from the chat server at `url`, with `extra` in
/// `[points.remote]`.
fn points_course(url: &str, extra: &str) -> Course {
    let course = Course::new();
    course.file(
        "lecturegen.toml",
        &format!("{TEST_CONFIG}\n[points.remote]\nurl = {url:?}\nmodel = \"tiny\"\n{extra}\n"),
    );
    course.file("content/a.md", PROSE);
    course
}

/// `lecturegen points --json` in `course`: the points of lecture `a` and what it printed on
/// stderr.
fn listed_points(course: &Course) -> (Vec<String>, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_lecturegen"))
        .args(["points", "--json"])
        .current_dir(&course.root)
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    let listed: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let points = listed[0]["slides"][1]["points"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["point"].as_str().unwrap().to_string())
        .collect();
    (points, String::from_utf8_lossy(&out.stderr).into_owned())
}

/// The paragraph a chat request asks about.
fn paragraph(request: &Seen) -> String {
    request.body["messages"][1]["content"]
        .as_str()
        .unwrap_or_default()
        .to_string()
}

#[test]
fn a_text_model_writes_the_points_once() {
    let server = FakeServer::start(|r, _| {
        let first = paragraph(r)
            .split_whitespace()
            .next()
            .unwrap_or("")
            .to_string();
        Reply::json(
            200,
            json!({"choices": [{"message": {"role": "assistant",
                "content": format!("\"**{first}** in a few words.\"\n")}}]}),
        )
    });
    let course = points_course(&server.url, "");
    let (points, stderr) = listed_points(&course);
    assert_eq!(
        points,
        [
            "**Alpha** in a few words",
            "**Beta** in a few words",
            "**Gamma** in a few words",
            "**Delta** in a few words"
        ],
        "{stderr}"
    );
    let requests = server.requests();
    assert_eq!(requests.len(), 4);
    assert_eq!(requests[0].path, "/v1/chat/completions");
    assert_eq!(requests[0].body["model"], "tiny");
    assert_eq!(requests[0].body["messages"][0]["role"], "system");
    assert!(requests[0].body["max_tokens"].as_u64().unwrap() >= 8);
    // Cached by paragraph: a build and a second listing ask nothing more.
    let (summary, collect) = course.build();
    assert_eq!(summary.built, 1, "{:?}", collect.errors());
    let (again, _) = listed_points(&course);
    assert_eq!(again, points);
    assert_eq!(server.requests().len(), 4);
}

#[test]
fn a_failing_text_model_leaves_the_points_made_from_the_text() {
    // Alpha: always 429; Beta: not JSON; Gamma: too slow; Delta: three lines.
    let server = FakeServer::start(|r, _| {
        let text = paragraph(r);
        let answer = |content: &str| {
            Reply::json(200, json!({"choices": [{"message": {"content": content}}]}))
        };
        if text.starts_with("Alpha") {
            Reply::json(429, json!({"error": "slow down"})).header("retry-after-ms", "10")
        } else if text.starts_with("Beta") {
            Reply::bytes(200, b"<html>gateway</html>".to_vec())
        } else if text.starts_with("Gamma") {
            answer("Gamma briefly").after(Duration::from_millis(2500))
        } else {
            answer("one\ntwo\nthree")
        }
    });
    let course = points_course(&server.url, "retries = 1\ntimeout_s = 1\n");
    let (points, stderr) = listed_points(&course);
    assert_eq!(
        points,
        [
            "Alpha is the first paragraph of this section",
            "Beta is the second paragraph of this section",
            "Gamma is the third paragraph of this section",
            "Delta is the fourth paragraph of this section"
        ],
        "{stderr}"
    );
    assert_eq!(
        stderr.matches("points: the text model at").count(),
        1,
        "said once: {stderr}"
    );
    assert!(
        stderr.contains("4 points are made from the text"),
        "{stderr}"
    );
    // The build goes on with them.
    let (summary, collect) = course.build();
    assert_eq!(summary.built, 1, "{:?}", collect.errors());
}
