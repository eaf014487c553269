//! Edit -> new video: how long a teacher waits after saving.
//!
//! A 20-slide lecture (1920x1080, built-in backend, backgrounds already cached) under
//! `lecturegen watch` (the release binary). Each round rewrites one slide's text and times
//! save -> the new MP4 and HTML on disk (median of 20). Under `lecturegen serve` with headless
//! Chromium (when installed) it times save -> the open page reloaded with the change (median of
//! 10). Anchor, measured in the same run: what slide tools that export video do on an edit,
//! redraw and re-encode the whole deck (`lecturegen build` with the encoded-slide cache and
//! slide keys emptied; backgrounds still cached). Also: a no-op rebuild of the sample course.

#[allow(dead_code)]
mod common;

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use common::{build_ms, copy, median, start, timed_saves, wait_line};
use lecturegen_testkit::cdp;

const SLIDES: usize = 20;
const ROUNDS: usize = 20;
const BROWSER_ROUNDS: usize = 10;
/// The slide whose text every round rewrites.
const EDITED: usize = 7;

fn notes(round: usize, edited: usize) -> String {
    let mut text =
        String::from("---\ntitle: Twenty slides\nbackground: calm blue watercolour\n---\n");
    for i in 0..SLIDES {
        let body = if i == edited {
            format!("edit number {round}")
        } else {
            format!("steady text of slide {i}")
        };
        text.push_str(&format!(
            "\n# Slide {i}\n\n- {body}\n- a second point about slide {i}\n- and a third one\n"
        ));
    }
    text
}

fn course(dir: &Path) {
    let _ = std::fs::remove_dir_all(dir);
    std::fs::create_dir_all(dir.join("content")).expect("course folder");
    std::fs::write(
        dir.join("lecturegen.toml"),
        "[course]\ntitle = \"Bench\"\n\n[build]\nbackend = \"builtin\"\n",
    )
    .expect("config");
    std::fs::write(dir.join("content/lecture.md"), notes(0, EDITED)).expect("notes");
}

fn main() {
    let work = std::env::temp_dir().join(format!("lecturegen-watch-bench-{}", std::process::id()));
    course(&work);
    let out = work.join("output/lecture");

    // Cold build (makes and caches the 20 backgrounds).
    println!(
        "cold build, 20 slides with built-in backgrounds: {:.2} s",
        build_ms(&work, &[]) / 1000.0
    );

    // Anchor: redraw and re-encode the whole deck after an edit.
    let mut whole = Vec::new();
    for round in 0..3 {
        std::fs::write(work.join("content/lecture.md"), notes(1000 + round, round)).expect("edit");
        let _ = std::fs::remove_dir_all(work.join(".lecturegen/cache/slides"));
        let _ = std::fs::remove_dir_all(work.join(".lecturegen/cache/state"));
        whole.push(build_ms(&work, &[]));
    }
    let whole = median(whole);

    // Save -> new MP4 + HTML under `watch`.
    let (watcher, rx) = start(&work, &["watch"]);
    wait_line(&rx, "watching ");
    let times = timed_saves(
        &rx,
        &out.join("lecture.mp4"),
        0..ROUNDS,
        |round| {
            std::fs::write(work.join("content/lecture.md"), notes(round, EDITED)).expect("edit")
        },
        |round| {
            let html = std::fs::read_to_string(out.join("index.html")).unwrap_or_default();
            html.contains(&format!("edit number {round}"))
        },
    );
    drop(watcher);
    let edit = median(times.clone());
    println!(
        "save -> new MP4 + HTML (watch, 1 of 20 slides edited): median {edit:.0} ms of {ROUNDS} (min {:.0}, max {:.0})",
        times.iter().cloned().fold(f64::MAX, f64::min),
        times.iter().cloned().fold(0.0, f64::max)
    );
    println!(
        "anchor, whole deck redrawn and re-encoded: {whole:.0} ms -> {:.1}x faster",
        whole / edit
    );

    // Save -> page reloaded in a browser under `serve`.
    match cdp::find() {
        None => println!("save -> browser reload: skipped (no Chromium; apt-get install chromium)"),
        Some(chromium) => {
            let (server, rx) = start(&work, &["serve", "--port", "0"]);
            let line = wait_line(&rx, "serving ");
            let url = line.split(" at ").nth(1).expect("url").trim().to_string();
            wait_line(&rx, "watching ");
            let mut browser = cdp::Browser::start(&chromium);
            browser.navigate(&format!("{url}lecture/"));
            browser.wait_for("the page", "document.readyState === 'complete'", 30);
            let mut times = Vec::new();
            for round in 0..BROWSER_ROUNDS {
                let marker = format!("edit number {}", 500 + round);
                browser.eval("window.beforeEdit = true").expect("eval");
                // Let the page's websocket connect after the last reload.
                std::thread::sleep(Duration::from_millis(300));
                let started = Instant::now();
                std::fs::write(work.join("content/lecture.md"), notes(500 + round, EDITED))
                    .expect("edit");
                browser.wait_for(
                    "the reload",
                    &format!("window.beforeEdit === undefined && document.body.innerText.includes('{marker}') && document.readyState === 'complete'"),
                    30,
                );
                times.push(started.elapsed().as_secs_f64() * 1000.0);
            }
            drop(browser);
            drop(server);
            println!(
                "save -> browser page reloaded with the edit (serve + headless Chromium): median {:.0} ms of {BROWSER_ROUNDS}",
                median(times)
            );
        }
    }

    // No-op rebuild of the sample course.
    let sample = work.join("sample");
    let _ = std::fs::remove_dir_all(&sample);
    std::fs::create_dir_all(&sample).expect("sample");
    let repo = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    copy(&repo.join("content"), &sample.join("content"));
    std::fs::copy(repo.join("lecturegen.toml"), sample.join("lecturegen.toml")).expect("config");
    let build = || build_ms(&sample, &[]);
    let cold = build();
    let noop = median((0..5).map(|_| build()).collect());
    println!("sample course: cold build {cold:.0} ms, no-op rebuild {noop:.0} ms (process start included, median of 5) -> {:.0}x", cold / noop);
    let _ = std::fs::remove_dir_all(&work);
}
