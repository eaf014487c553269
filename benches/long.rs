//! Long narrated lectures: peak memory of a cold build as the speech grows, and builds where
//! nothing changed.
//!
//! Lectures of 10, 62 and 180 minutes of espeak-ng speech (slides of six 12-word sentences of
//! notes, `--backend none`, 1920x1080), each built cold in a process of its own: its peak
//! resident memory (the anchor: the 10-minute lecture's, measured in the same run; flat in the
//! length is within 1.3x) and time; then the same build again, where nothing changed (median
//! of 5, process start included), and the narrated sample course's. Targets: peak under 250
//! MB at 62 minutes, 180 minutes within 1.3x of 10; no-op builds under 60 ms (sample course)
//! and 300 ms (180 minutes).
//!
//! `cargo bench --bench long`; espeak-ng from Debian. `LECTUREGEN_BENCH_EXE=path/to/lecturegen`
//! measures another build of the program (an older one, as the anchor of a change).

#[allow(dead_code)]
mod common;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use common::{copy, exe, median};

/// Sentences of notes per slide.
const SENTENCES: usize = 6;
/// Words per sentence.
const WORDS: usize = 12;
/// Seconds of espeak-ng speech per 12-word sentence, with the pauses (measured: 62 minutes
/// for 900 sentences).
const SECONDS_PER_SENTENCE: f64 = 4.13;

fn main() {
    if Command::new("espeak-ng").arg("--version").output().is_err() {
        println!("espeak-ng is not installed: apt-get install espeak-ng");
        return;
    }
    let work = std::env::temp_dir().join(format!("lecturegen-long-bench-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&work);
    println!("binary: {}", exe());
    println!(
        "{:>8} {:>7} {:>10} {:>12} {:>12} {:>14}",
        "minutes", "slides", "cold s", "peak MB", "x 10 min", "no-op ms"
    );
    let mut anchor = None;
    for minutes in [10, 62, 180] {
        let slides = (minutes as f64 * 60.0 / SECONDS_PER_SENTENCE / SENTENCES as f64).round();
        let course = work.join(format!("{minutes}-minutes"));
        write_course(&course, slides as usize);
        let (seconds, peak_kb) = cold_build(&course);
        let peak_mb = peak_kb as f64 / 1024.0;
        let base = *anchor.get_or_insert(peak_mb);
        let noop = noop_ms(&course);
        println!(
            "{minutes:>8} {slides:>7} {seconds:>10.1} {peak_mb:>12.0} {:>12.2} {noop:>14.0}",
            peak_mb / base
        );
    }
    let sample = work.join("sample");
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    copy(&root.join("content"), &sample.join("content"));
    std::fs::copy(root.join("lecturegen.toml"), sample.join("lecturegen.toml")).expect("config");
    cold_build(&sample);
    println!(
        "sample course, narrated, nothing changed: {:.0} ms (median of 5, process start included)",
        noop_ms(&sample)
    );
    let _ = std::fs::remove_dir_all(&work);
}

/// A course of one lecture: `slides` slides, each a title, a point and six 12-word sentences
/// of notes (no two alike, so each is spoken).
fn write_course(dir: &Path, slides: usize) {
    let words = [
        "diffusion",
        "models",
        "learn",
        "to",
        "remove",
        "noise",
        "from",
        "pictures",
        "step",
        "by",
        "every",
        "sample",
        "starts",
        "as",
        "random",
        "values",
        "and",
        "ends",
        "clear",
    ];
    let mut notes = String::from("---\ntitle: A long lecture\n---\n");
    let mut n = 0usize;
    for i in 0..slides {
        notes.push_str(&format!(
            "\n## Part {i}\n\nA point about part {i}.\n\nNote:"
        ));
        for _ in 0..SENTENCES {
            let sentence: Vec<&str> = (0..WORDS)
                .map(|w| {
                    n += 1;
                    words[(n * 7 + w * 3 + i) % words.len()]
                })
                .collect();
            notes.push_str(&format!(" Sentence {n}: {}.", sentence.join(" ")));
        }
        notes.push('\n');
    }
    std::fs::create_dir_all(dir.join("content")).expect("course");
    std::fs::write(dir.join("content/long.md"), notes).expect("notes");
    std::fs::write(
        dir.join("lecturegen.toml"),
        "[course]\ntitle = \"Long\"\n\n[build]\nbackend = \"none\"\n\n[narration]\nvoice = \"espeak\"\n",
    )
    .expect("config");
}

/// `lecturegen build -q` on `dir` in a process of its own: seconds and peak resident memory
/// (KiB).
fn cold_build(dir: &Path) -> (f64, u64) {
    let started = Instant::now();
    let child = Command::new(exe())
        .args(["build", "-q", "--root"])
        .arg(dir)
        .spawn()
        .expect("lecturegen");
    let (ok, peak) = wait_with_peak(child);
    assert!(ok, "the build of {} failed", dir.display());
    (started.elapsed().as_secs_f64(), peak)
}

/// The median of 5 builds of `dir` where nothing changed, milliseconds.
fn noop_ms(dir: &Path) -> f64 {
    median((0..5).map(|_| common::build_ms(dir, &[])).collect())
}

/// Waits for `child`: whether it succeeded, and its peak resident memory in KiB (0 where the
/// system cannot say).
#[cfg(all(target_os = "linux", target_env = "gnu"))]
fn wait_with_peak(child: std::process::Child) -> (bool, u64) {
    let pid = child.id() as libc::pid_t;
    let mut status = 0;
    // SAFETY: an all-zero rusage is a valid value to be written into.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: `pid` is our own child, not yet waited for (std's handle is never waited).
    let waited = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
    std::mem::forget(child);
    let ok = waited == pid && libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0;
    (ok, u64::try_from(usage.ru_maxrss).unwrap_or(0))
}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
fn wait_with_peak(mut child: std::process::Child) -> (bool, u64) {
    (child.wait().is_ok_and(|s| s.success()), 0)
}
