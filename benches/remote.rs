//! Remote backgrounds: how the client scales over servers, what it costs per picture, and the
//! bulk path (`prompts` + `cache import`).
//!
//! The servers are in-process test servers that answer after a fixed latency (500 ms, standing
//! in for a GPU's time per picture): this machine's 2 cores cannot run real engines that scale.
//! Anchors of each scaling figure, from the same run: the latency bound, pictures x latency /
//! (servers x concurrency) (the build's own work, measured against an instant server, adds to
//! it but partly overlaps the waiting), and the same build against one server (the speedup).
//! Run: `cargo bench --bench remote`.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use lecturegen::config::Config;
use lecturegen::pipeline::{Scope, Workspace};
use lecturegen::project::Project;
use lecturegen::report::Silent;
use lecturegen_testkit::fakeserver::{png_b64, FakeServer, Reply};

const LATENCY: Duration = Duration::from_millis(500);
const CONCURRENCY: usize = 2;

/// A course of `lectures` x `slides` slides (title slide included) in a fresh folder.
fn course(name: &str, lectures: usize, slides: usize, remote: &str) -> PathBuf {
    let root = std::env::temp_dir().join(format!(
        "lecturegen-bench-remote-{name}-{}",
        std::process::id()
    ));
    let _ = std::fs::remove_dir_all(&root);
    std::fs::create_dir_all(root.join("content")).expect("course folder");
    std::fs::write(
        root.join("lecturegen.toml"),
        format!(
            "[build]\nbackend = \"remote\"\n[video]\nwidth = 320\nheight = 180\n[fonts]\nsystem = false\n\
             [narration]\nvoice = \"none\"\n[remote]\n{remote}\n"
        ),
    )
    .expect("config");
    for l in 0..lectures {
        let mut notes = format!("---\ntitle: Lecture {l}\n---\n");
        for s in 1..slides {
            notes.push_str(&format!("\n# Topic {l}.{s}\n\nA point about topic {s}.\n"));
        }
        std::fs::write(root.join(format!("content/{l:03}.md")), notes).expect("notes");
    }
    root
}

fn workspace(root: &Path) -> Workspace {
    let config = Config::load(root).expect("config");
    Workspace::load(Project {
        root: root.to_path_buf(),
        config,
    })
    .expect("workspace")
}

/// Builds the course; returns (seconds, backgrounds made).
fn build(root: &Path) -> (f64, usize) {
    let ws = workspace(root);
    let sources = ws.discover(&Silent).expect("lectures");
    let started = Instant::now();
    let summary = ws.build(&sources, &Scope::All, &Silent).expect("build");
    assert_eq!(summary.failed, 0);
    (
        started.elapsed().as_secs_f64(),
        summary.backgrounds_generated,
    )
}

/// A server answering after `latency` with one picture encoded once (so the test server itself
/// costs nothing per request).
fn server(latency: Duration) -> FakeServer {
    let picture = png_b64(1024, 576, 7);
    FakeServer::start(move |_, _| {
        Reply::json(200, serde_json::json!({ "images": [picture.clone()] })).after(latency)
    })
}

fn main() {
    let pictures = 32;
    // The build's own work per picture (decode, scale, overlay, encode, mux), against a server
    // that answers at once: what the latency-bound time adds to.
    let instant = server(Duration::ZERO);
    let root = course(
        "local",
        1,
        pictures,
        &format!("url = {:?}\nconcurrency = 2", instant.url),
    );
    let (local, _) = build(&root);
    let _ = std::fs::remove_dir_all(&root);
    println!(
        "{pictures} pictures, each taking {} ms on its server, {CONCURRENCY} in flight per URL",
        LATENCY.as_millis()
    );
    println!(
        "the build's own work for them: {local:.2} s (measured against a server that answers at once)"
    );
    println!(
        "{:>8} {:>14} {:>10} {:>10} {:>12} {:>9}",
        "servers", "how", "time (s)", "bound (s)", "time/bound", "speedup"
    );
    let mut one_server = [0.0f64; 2];
    for servers in [1usize, 2, 4, 8] {
        let fleet: Vec<FakeServer> = (0..servers).map(|_| server(LATENCY)).collect();
        let bound = pictures as f64 * LATENCY.as_secs_f64() / (servers * CONCURRENCY) as f64;
        // A list of URLs (the client spreads the requests), then one URL in front of the same
        // capacity (a load balancer), its concurrency sized to it.
        let urls: Vec<String> = fleet.iter().map(|s| format!("{:?}", s.url)).collect();
        let single = server(LATENCY);
        for (mode, (how, remote)) in [
            (
                "list of URLs",
                format!("url = [{}]\nconcurrency = {CONCURRENCY}", urls.join(", ")),
            ),
            (
                "one URL",
                format!(
                    "url = {:?}\nconcurrency = {}",
                    single.url,
                    servers * CONCURRENCY
                ),
            ),
        ]
        .into_iter()
        .enumerate()
        {
            let root = course(&format!("scale{servers}"), 1, pictures, &remote);
            let (seconds, made) = build(&root);
            assert_eq!(made, pictures);
            if servers == 1 {
                one_server[mode] = seconds;
            }
            println!(
                "{servers:>8} {how:>14} {seconds:>10.2} {bound:>10.2} {:>12.2} {:>8.2}x",
                seconds / bound,
                one_server[mode] / seconds
            );
            let _ = std::fs::remove_dir_all(&root);
        }
    }

    // The client's cost per picture against the engine's own time, and against the builtin
    // model drawing the same pictures on this machine, in the same run.
    let root = course("builtin", 1, pictures, "");
    let config = std::fs::read_to_string(root.join("lecturegen.toml")).expect("config");
    std::fs::write(
        root.join("lecturegen.toml"),
        config.replace("backend = \"remote\"", "backend = \"builtin\""),
    )
    .expect("config");
    let (builtin, _) = build(&root);
    let _ = std::fs::remove_dir_all(&root);
    println!(
        "per picture, whole build: remote {:.1} ms with an instant server (request, PNG decode, \
         scaling, overlay, encode) = {:.1}% of {} ms of engine time; builtin model {:.1} ms ({:.1}x the remote path)",
        local * 1000.0 / pictures as f64,
        local / pictures as f64 / LATENCY.as_secs_f64() * 100.0,
        LATENCY.as_millis(),
        builtin * 1000.0 / pictures as f64,
        builtin / local
    );

    // The bulk path: 400 prompts listed, made elsewhere (here: written as PNGs), imported,
    // then a build that needs no server.
    let root = course("bulk", 20, 20, "url = \"http://127.0.0.1:9\"\nretries = 0");
    let ws = workspace(&root);
    let sources = ws.discover(&Silent).expect("lectures");
    let started = Instant::now();
    let pending = ws.pending_backgrounds(&sources, &Scope::All);
    let listed = started.elapsed().as_secs_f64();
    assert_eq!(pending.len(), 400);
    let png = {
        let mut bytes = Vec::new();
        image::RgbImage::from_pixel(1024, 576, image::Rgb([40, 90, 160]))
            .write_to(
                &mut std::io::Cursor::new(&mut bytes),
                image::ImageFormat::Png,
            )
            .expect("png");
        bytes
    };
    let dir = root.join("made");
    std::fs::create_dir_all(&dir).expect("dir");
    for p in &pending {
        std::fs::write(dir.join(format!("{}.png", p.key)), &png).expect("png");
    }
    let started = Instant::now();
    {
        use rayon::prelude::*;
        pending.par_iter().for_each(|p| {
            let bytes = std::fs::read(dir.join(format!("{}.png", p.key))).expect("read");
            let image = lecturegen::media::decode(&bytes).expect("decode").to_rgb8();
            ws.import_background(p, &image);
        });
    }
    let imported = started.elapsed().as_secs_f64();
    drop(ws);
    let (built, made) = build(&root);
    println!(
        "bulk: 400 prompts listed in {:.0} ms; 400 pictures (1024x576 PNG) imported in {:.2} s ({:.0}/s); then the course built in {built:.2} s with {made} requests",
        listed * 1000.0,
        imported,
        400.0 / imported
    );
    let _ = std::fs::remove_dir_all(&root);
}
