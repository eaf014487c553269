//! What steps cost: a 40-slide deck whose slides reveal four points each (three more pictures
//! per slide) against the same deck without steps, both built cold and silent at 1920x1080 on
//! the `none` background (median of 3); the cost of one step's picture follows. Then the same
//! deck narrated by espeak-ng under `lecturegen watch`: save -> new MP4 after a one-sentence
//! edit of one slide's notes (median of 10), which speaks that sentence again and draws
//! nothing; anchor, in the same run: the same edit on the deck without steps.
//!
//! `cargo bench --bench steps`; the narrated half needs espeak-ng (left out, said so, without).

#[allow(dead_code)]
mod common;

use std::path::Path;
use std::process::Command;

use common::{build_ms, median, start, timed_saves, wait_line};

const SLIDES: usize = 40;
const ROUNDS: usize = 10;
/// The slide whose notes every round rewrites.
const EDITED: usize = 11;

fn deck(steps: bool, round: usize) -> String {
    let mut text = String::from("---\ntitle: Forty slides\n---\n");
    for i in 0..SLIDES {
        let marker = if steps { "<!-- step items -->\n\n" } else { "" };
        let edit = if i == EDITED {
            format!(" This is edit number {round}.")
        } else {
            String::new()
        };
        text.push_str(&format!(
            "\n# Slide {i}\n\n{marker}- storage keeps data {i}\n- memory is fast {i}\n\
             - caches sit between {i}\n- networks carry it {i}\n\nNote: First, storage keeps the \
             data of slide {i}. Then memory is fast, but it forgets. Caches sit between the two. \
             Networks carry it all.{edit}\n"
        ));
    }
    text
}

fn course(dir: &Path, steps: bool, voice: &str) {
    let _ = std::fs::remove_dir_all(dir);
    std::fs::create_dir_all(dir.join("content")).expect("course folder");
    std::fs::write(
        dir.join("lecturegen.toml"),
        format!("[build]\nbackend = \"none\"\n[narration]\nvoice = \"{voice}\"\n"),
    )
    .expect("config");
    std::fs::write(dir.join("content/deck.md"), deck(steps, 0)).expect("notes");
}

fn cold(dir: &Path) -> f64 {
    let _ = std::fs::remove_dir_all(dir.join(".lecturegen"));
    let _ = std::fs::remove_dir_all(dir.join("output"));
    build_ms(dir, &[])
}

/// Save -> new MP4 under `watch`, median of [`ROUNDS`] one-sentence edits of the notes.
fn watch_edits(dir: &Path, steps: bool) -> f64 {
    let out = dir.join("output/deck");
    let (watcher, rx) = start(dir, &["watch"]);
    wait_line(&rx, "watching ");
    let times = timed_saves(
        &rx,
        &out.join("lecture.mp4"),
        1..ROUNDS + 1,
        |round| std::fs::write(dir.join("content/deck.md"), deck(steps, round)).expect("edit"),
        |round| {
            let captions = std::fs::read_to_string(out.join("captions.vtt")).unwrap_or_default();
            captions.contains(&format!("edit number {round}."))
        },
    );
    drop(watcher);
    median(times)
}

fn main() {
    let work = std::env::temp_dir().join(format!("lecturegen-steps-bench-{}", std::process::id()));
    let (plain, stepped) = (work.join("plain"), work.join("steps"));
    course(&plain, false, "none");
    course(&stepped, true, "none");
    let (mut a, mut b) = (Vec::new(), Vec::new());
    for _ in 0..3 {
        a.push(cold(&plain));
        b.push(cold(&stepped));
    }
    let (a, b) = (median(a), median(b));
    let extra = SLIDES * 3;
    println!("{SLIDES}-slide deck at 1920x1080, `none` background, silent, cold (median of 3):");
    println!("  without steps                  {:>8.0} ms", a);
    println!(
        "  four steps a slide             {:>8.0} ms  ({:.2}x)",
        b,
        b / a
    );
    println!(
        "  per step picture ({extra} more)   {:>8.1} ms",
        (b - a) / extra as f64
    );

    let espeak = Command::new("espeak-ng").arg("--version").output().is_ok();
    if !espeak {
        println!("\nespeak-ng not found (apt-get install espeak-ng): no watch figures");
        let _ = std::fs::remove_dir_all(&work);
        return;
    }
    for steps in [false, true] {
        let narrated = work.join(if steps { "narrated-steps" } else { "narrated" });
        course(&narrated, steps, "espeak");
        let cold = build_ms(&narrated, &[]) / 1000.0;
        let edit = watch_edits(&narrated, steps);
        println!(
            "\nnarrated (espeak-ng), {}: cold build {cold:.2} s; save -> new MP4 after a \
             one-sentence edit of the notes (watch): median {edit:.0} ms of {ROUNDS}",
            if steps {
                "four steps a slide"
            } else {
                "without steps (anchor)"
            }
        );
    }
    let _ = std::fs::remove_dir_all(&work);
}
