//! The embedded player in a real browser: in a page holding the preprocessor's output (in CI),
//! and in a book the real `mdbook` builds and serves (`scripts/check-hosts.sh`, which installs
//! mdBook 0.5 and 0.4 and runs the ignored tests here).

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use lecturegen::host::mdbook;
use serde_json::Value;

use crate::support::{Collect, Course, TEST_CONFIG};
use lecturegen_testkit::cdp::{self, Browser};

/// Checks the player of the page at `url`: the video's length is the chapters' end, both
/// tracks are there (captions when `narrated`), a chapter button seeks to its start, and the
/// video plays. Returns the number of chapters.
pub fn check_player(browser: &mut Browser, url: &str, narrated: bool) -> usize {
    browser.navigate(url);
    let duration = browser.wait_for(
        "the embedded video's duration",
        "(() => { const v = document.querySelector('figure.lecturegen video'); \
         return v && v.readyState >= 1 && isFinite(v.duration) ? v.duration : null })()",
        30,
    );
    let ends: Vec<f64> = browser
        .eval("[...document.querySelectorAll('.lecturegen-chapters li')].map(li => parseFloat(li.dataset.end))")
        .unwrap()
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_f64().unwrap())
        .collect();
    assert!(ends.len() >= 3, "chapters: {ends:?}");
    let duration = duration.as_f64().unwrap();
    let end = *ends.last().unwrap();
    assert!(
        (duration - end).abs() < 0.15,
        "video {duration} s, chapters end at {end} s"
    );
    let tracks = browser
        .eval("[...document.querySelector('figure.lecturegen video').textTracks].map(t => t.kind).join(',')")
        .unwrap();
    let want = if narrated {
        "chapters,captions"
    } else {
        "chapters"
    };
    assert_eq!(tracks.as_str().unwrap(), want);
    // The chapters track loads (a wrong relative URL would leave it without cues).
    let cues = browser.wait_for(
        "the chapters track's cues",
        "(() => { const t = document.querySelector('figure.lecturegen video').textTracks[0]; \
         t.mode = 'hidden'; return t.cues && t.cues.length ? t.cues.length : null })()",
        20,
    );
    assert_eq!(cues.as_u64().unwrap() as usize, ends.len());
    // The third chapter's button seeks there and plays.
    let seeked = browser
        .eval(
            "new Promise(done => { const v = document.querySelector('figure.lecturegen video'); \
             v.muted = true; v.addEventListener('seeked', () => done(v.currentTime), { once: true }); \
             document.querySelectorAll('.lecturegen-chapters button')[2].click(); })",
        )
        .unwrap()
        .as_f64()
        .unwrap();
    let start = browser
        .eval("parseFloat(document.querySelectorAll('.lecturegen-chapters li')[2].dataset.start)")
        .unwrap()
        .as_f64()
        .unwrap();
    assert!(
        seeked >= start && seeked < start + 1.0,
        "seeked to {seeked}, chapter at {start}"
    );
    let later = browser
        .eval(
            "new Promise(done => { const v = document.querySelector('figure.lecturegen video'); \
             const t0 = v.currentTime; setTimeout(() => { const t = v.currentTime; v.pause(); done(t - t0); }, 1200); })",
        )
        .unwrap()
        .as_f64()
        .unwrap();
    assert!(later > 0.3, "the video plays: advanced {later} s");
    let current = browser
        .eval("document.querySelectorAll('.lecturegen-chapters li.lecturegen-current').length")
        .unwrap();
    assert_eq!(current.as_u64(), Some(1), "the chapter playing is marked");
    ends.len()
}

/// Serves `root` on a free port; returns its base URL.
fn serve_dir(root: &Path) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    lecturegen::serve::spawn(listener, root, lecturegen::serve::Live::default()).unwrap();
    format!("http://127.0.0.1:{port}/")
}

#[test]
fn embedded_player_seeks_and_plays_in_a_browser() {
    let Some(chromium) = cdp::find() else {
        eprintln!("\n!!!!!!!!\nSKIPPED embedded player test: no Chromium found.\n!!!!!!!!\n");
        return;
    };
    let course = Course::fixture("book");
    course.file(
        "lecturegen.toml",
        &format!("{TEST_CONFIG}\n[site]\ngenerator = \"mdbook\"\n"),
    );
    let raw = std::fs::read_to_string(crate::support::fixtures().join("mdbook/book-0.5.json"))
        .unwrap()
        .replace("@ROOT@", course.root.to_str().unwrap());
    let outcome = mdbook::preprocess(raw.as_bytes(), &Collect::default()).unwrap();
    let book: Value = serde_json::from_slice(&outcome.book).unwrap();
    let content = book["items"][1]["Chapter"]["sub_items"][0]["Chapter"]["content"]
        .as_str()
        .unwrap();
    let start = content.find("<figure").unwrap();
    let end = content.find("</figure>").unwrap() + "</figure>".len();
    // The page where mdBook would put it: one folder down from the site's root.
    let site = course.path("site");
    std::fs::create_dir_all(site.join("diffusion")).unwrap();
    std::fs::write(
        site.join("diffusion/sampling.html"),
        format!(
            "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>t</title></head>\
             <body><h1>Sampling</h1>\n{}\n</body></html>",
            &content[start..end]
        ),
    )
    .unwrap();
    copy_tree(&course.path("src/lectures"), &site.join("lectures"));
    let url = serve_dir(&site);
    let mut browser = Browser::start(&chromium);
    check_player(
        &mut browser,
        &format!("{url}diffusion/sampling.html"),
        false,
    );
}

fn copy_tree(from: &Path, to: &Path) {
    for entry in walkdir::WalkDir::new(from).into_iter().flatten() {
        let target = to.join(entry.path().strip_prefix(from).unwrap());
        if entry.file_type().is_dir() {
            std::fs::create_dir_all(&target).unwrap();
        } else {
            std::fs::copy(entry.path(), &target).unwrap();
        }
    }
}

/// A child process killed when dropped.
struct Killed(Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// `PATH` with lecturegen's folder first, so book.toml's `lecturegen mdbook` runs this build.
fn path_with_lecturegen() -> std::ffi::OsString {
    let exe = PathBuf::from(env!("CARGO_BIN_EXE_lecturegen"));
    let mut paths = vec![exe.parent().unwrap().to_path_buf()];
    paths.extend(std::env::split_paths(
        &std::env::var_os("PATH").unwrap_or_default(),
    ));
    std::env::join_paths(paths).unwrap()
}

/// Lines of a log file that mark a build started.
fn builds_in(log: &Path) -> usize {
    std::fs::read_to_string(log)
        .unwrap_or_default()
        .lines()
        .filter(|l| l.contains("Book building has started"))
        .count()
}

fn wait(what: &str, seconds: u64, mut probe: impl FnMut() -> bool) {
    let until = Instant::now() + Duration::from_secs(seconds);
    while !probe() {
        assert!(Instant::now() < until, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// With the real mdBook named by `LECTUREGEN_MDBOOK`: `integrate mdbook`, `mdbook build` puts
/// the player and the media in `book/`, and `mdbook serve` rebuilds once per edit, never on
/// lecturegen's own writes, and its page plays the video in Chromium.
#[test]
#[ignore = "needs a real mdbook: scripts/check-hosts.sh"]
fn real_mdbook_builds_serves_and_plays() {
    let mdbook = PathBuf::from(
        std::env::var_os("LECTUREGEN_MDBOOK").expect("LECTUREGEN_MDBOOK=/path/to/mdbook"),
    );
    let chromium = cdp::find().expect("Chromium");
    let course = Course::fixture("book");
    std::fs::remove_file(course.path("lecturegen.toml")).unwrap();
    std::fs::remove_dir_all(course.path("content")).unwrap();
    let path = path_with_lecturegen();
    crate::support::run_ok(
        &course.root,
        env!("CARGO_BIN_EXE_lecturegen"),
        &["integrate", "mdbook"],
    );
    // Small frames, the espeak voice (narrated: both tracks), gradients for speed.
    let config = course.read("lecturegen.toml");
    course.file(
        "lecturegen.toml",
        &format!(
            "{config}\n{}",
            TEST_CONFIG.replace("voice = \"none\"", "voice = \"espeak\"")
        ),
    );
    let build = Command::new(&mdbook)
        .arg("build")
        .env("PATH", &path)
        .current_dir(&course.root)
        .output()
        .unwrap();
    let log = String::from_utf8_lossy(&build.stderr);
    assert!(build.status.success(), "{log}");
    let page = course.read("book/diffusion/sampling.html");
    assert!(page.contains("<figure class=\"lecturegen\""), "{page}");
    assert!(page.contains("kind=\"chapters\"") && page.contains("kind=\"captions\""));
    assert!(!page.contains("{{#lecture}}"));
    for file in [
        "lecture.mp4",
        "slides/001.jpg",
        "chapters.vtt",
        "captions.vtt",
    ] {
        assert!(course
            .path(&format!("book/lectures/diffusion-sampling/{file}"))
            .is_file());
    }
    assert!(course.path("book/lectures/lecturegen.js").is_file());
    // Other pages are untouched.
    assert!(!course.read("book/intro.html").contains("lecturegen"));

    // mdbook serve: one build at start, none from lecturegen's writes, one per edit.
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let log = course.path("serve.log");
    let child = Command::new(&mdbook)
        .args(["serve", "-p", &port.to_string(), "-n", "127.0.0.1"])
        .env("PATH", &path)
        .current_dir(&course.root)
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(&log).unwrap())
        .spawn()
        .unwrap();
    let _serve = Killed(child);
    wait("mdbook serve's first build", 60, || builds_in(&log) >= 1);
    std::thread::sleep(Duration::from_secs(4));
    let settled = builds_in(&log);
    assert_eq!(settled, 1, "{}", std::fs::read_to_string(&log).unwrap());
    let notes = course.read("src/diffusion/sampling.md");
    course.file(
        "src/diffusion/sampling.md",
        &notes.replace("A good scheduler", "A well tuned scheduler"),
    );
    wait("the rebuild after an edit", 60, || {
        std::fs::read_to_string(course.path("book/diffusion/sampling.html"))
            .is_ok_and(|p| p.contains("lecture.mp4") && builds_in(&log) >= 2)
    });
    std::thread::sleep(Duration::from_secs(4));
    assert_eq!(
        builds_in(&log),
        2,
        "one rebuild per edit: {}",
        std::fs::read_to_string(&log).unwrap()
    );
    let manifest = course.read("src/lectures/lectures.json");
    assert!(manifest.contains("A well tuned scheduler"));

    let mut browser = Browser::start(&chromium);
    let url = format!("http://127.0.0.1:{port}/diffusion/sampling.html");
    let chapters = check_player(&mut browser, &url, true);
    assert_eq!(chapters, 4);
}

/// The tone voice (a deterministic stand-in for a TTS program, run as one): narrated lectures
/// with both tracks, without depending on espeak-ng's voice data.
fn narrated_config(course: &Course) -> String {
    let script = crate::support::scripts().join("tone_voice.py");
    TEST_CONFIG.replace(
        "voice = \"none\"",
        &format!(
            "voice = \"command\"\ncommand = [\"python3\", {:?}, \"{{text}}\", \"{{wav}}\", \"{{lang}}\", {:?}]",
            script.to_string_lossy(),
            course.path("said.log").to_string_lossy()
        ),
    )
}

/// A real host site: `lecturegen integrate`, `lecturegen build`, then the generator's build
/// (`build` argv) into `site` (its output folder); the built page holds the player with both
/// tracks, the media are in the output, and Chromium plays the video from that output served
/// under the site's base path `/course/`.
fn real_host(fixture: &str, generator_name: &str, build: &[&str], site: &str, page: &str) {
    let Some(chromium) = cdp::find() else {
        eprintln!("\n!!!!!!!!\nSKIPPED {generator_name} browser test: no Chromium.\n!!!!!!!!\n");
        return;
    };
    let course = Course::fixture(fixture);
    std::fs::remove_file(course.path("lecturegen.toml")).unwrap();
    let run = |program: &str, args: &[&str]| {
        let out = Command::new(program)
            .args(args)
            .current_dir(&course.root)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{program} {args:?}: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stderr).into_owned()
    };
    let lecturegen = env!("CARGO_BIN_EXE_lecturegen");
    run(lecturegen, &["integrate", generator_name]);
    let config = course.read("lecturegen.toml");
    course.file(
        "lecturegen.toml",
        &format!("{config}\n{}", narrated_config(&course)),
    );
    let said = run(lecturegen, &["build"]);
    assert!(!said.contains("warning"), "{said}");
    run(build[0], &build[1..]);
    let html = course
        .read(&format!("{site}/{page}"))
        .replace("&#x2F;", "/");
    assert!(html.contains("<figure class=\"lecturegen\""), "{html}");
    for needle in [
        "kind=\"chapters\"",
        "kind=\"captions\"",
        "src=\"/course/lectures/notes-diffusion/lecture.mp4?v=",
        "poster=\"/course/lectures/notes-diffusion/slides/001.jpg?v=",
        "src=\"/course/lectures/lecturegen.js\"",
        // The handout, next to the download link.
        "href=\"/course/lectures/notes-diffusion/handout.pdf?v=",
    ] {
        assert!(html.contains(needle), "{needle}: {html}");
    }
    for file in [
        "lecture.mp4",
        "slides/001.jpg",
        "chapters.vtt",
        "captions.vtt",
        "handout.pdf",
        "../course.pdf",
    ] {
        let path = course.path(&format!("{site}/lectures/notes-diffusion/{file}"));
        assert!(path.is_file(), "{}", path.display());
    }
    // Served under /course/, as the site's base URL says.
    let served = course.path("served");
    copy_tree(&course.path(site), &served.join("course"));
    let url = serve_dir(&served);
    let mut browser = Browser::start(&chromium);
    let chapters = check_player(
        &mut browser,
        &format!("{url}course/{}", page.trim_end_matches("index.html")),
        true,
    );
    assert_eq!(chapters, 4);
}

#[test]
fn real_hugo_site_embeds_and_plays() {
    if crate::support::tool("hugo", "version", "hugo") {
        real_host(
            "hugo-site",
            "hugo",
            &["hugo", "--quiet"],
            "public",
            "notes/diffusion/index.html",
        );
    }
}

#[test]
fn real_jekyll_site_embeds_and_plays() {
    if crate::support::tool("jekyll", "--version", "jekyll") {
        real_host(
            "jekyll-site",
            "jekyll",
            &["jekyll", "build", "--quiet"],
            "_site",
            "notes/diffusion/index.html",
        );
    }
}
