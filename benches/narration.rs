//! Narration: synthesis speed, AAC encoding speed and quality, audio size, the sample course's
//! cold build with and without narration, and save -> new MP4 for a one-sentence notes edit
//! under `watch`. Needs espeak-ng (`apt-get install espeak-ng`).

#[allow(dead_code)]
mod common;

use std::path::PathBuf;
use std::time::{Duration, Instant};

use common::{build_ms, copy, median, poll_until, start, wait_line};

use lecturegen::narration::{Espeak, Voice};
use lecturegen::reading::chunks;
use lecturegen::video::{encode_aac, AUDIO_RATE};

const SENTENCES: &str = "A lecture goes through five stages. The notes become slides. Each \
slide's text is laid out, a background is drawn behind it, and the pictures are encoded into a \
video. Finally, a web page shows the video with its chapters and a transcript. Data only ever \
flows forward. Headings decide where a slide starts, and so does a line of three dashes. What \
you write after the word Note is never drawn: it is what this voice reads. Code is drawn in the \
colours of its language. Tables keep their columns, and formulas are set on the slide.";

fn main() {
    let Some(espeak) = Espeak::find("espeak-ng", 165, 50, "", Duration::from_secs(30)) else {
        println!("espeak-ng is not installed: apt-get install espeak-ng");
        return;
    };
    println!("voice: {}", espeak.id());

    // Synthesis: one call per caption chunk, as a build does, on one core.
    let parts = chunks(SENTENCES);
    let mut speech = Vec::new();
    let started = Instant::now();
    for round in 0..3 {
        for part in &parts {
            let pcm = espeak.speak(part, "en").expect("espeak");
            if round == 0 {
                speech.extend(pcm.samples);
                speech.extend(std::iter::repeat_n(0.0, 7000));
            }
        }
    }
    let wall = started.elapsed().as_secs_f64() / 3.0;
    let seconds = speech.len() as f64 / f64::from(AUDIO_RATE);
    println!(
        "synthesis: {} chunks, {seconds:.1} s of speech in {:.0} ms -> {:.1} s of speech per second ({:.0} ms per chunk)",
        parts.len(),
        wall * 1000.0,
        seconds / wall,
        wall * 1000.0 / parts.len() as f64
    );
    // A minute of speech for the encoder.
    let mut minute = Vec::new();
    while minute.len() < 60 * AUDIO_RATE as usize {
        minute.extend_from_slice(&speech);
    }
    minute.truncate(60 * AUDIO_RATE as usize);
    for kbps in [48, 64, 96] {
        let mut times = Vec::new();
        let mut track = None;
        for _ in 0..5 {
            let t = Instant::now();
            track = Some(encode_aac(&minute, kbps).expect("aac"));
            times.push(t.elapsed().as_secs_f64());
        }
        let track = track.expect("track");
        let bytes: usize = track.frames.iter().map(Vec::len).sum();
        // Decode the raw frames back (as ADTS) and compare with what was encoded.
        let mut adts = Vec::new();
        for f in &track.frames {
            adts.extend(syom::wrap_adts_au(f, AUDIO_RATE, 1).expect("adts"));
        }
        let decoded = syom::decode_with(&adts, &syom::DecodeOptions::unbounded()).expect("decode");
        let out = &decoded.channels[0];
        let delay = track.priming as usize;
        let (mut signal, mut noise) = (0f64, 0f64);
        for (i, &s) in minute.iter().enumerate() {
            let Some(&d) = out.get(i + delay) else { break };
            signal += f64::from(s) * f64::from(s);
            noise += f64::from(d - s) * f64::from(d - s);
        }
        let encode = median(times);
        println!(
            "AAC-LC {kbps} kbit/s: 60 s of speech encoded in {:.0} ms ({:.0}x real time), {:.0} KiB per minute, SNR {:.1} dB{}",
            encode * 1000.0,
            60.0 / encode,
            bytes as f64 / 1024.0,
            10.0 * (signal / noise).log10(),
            if kbps == 64 { " (shipped default)" } else { "" }
        );
    }

    // The sample course, cold, with and without narration (default backend), same run.
    let work =
        std::env::temp_dir().join(format!("lecturegen-narration-bench-{}", std::process::id()));
    let repo = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let sample = work.join("sample");
    let _ = std::fs::remove_dir_all(&work);
    copy(&repo.join("content"), &sample.join("content"));
    std::fs::copy(repo.join("lecturegen.toml"), sample.join("lecturegen.toml")).expect("config");
    let cold = |voice: &str| {
        let _ = std::fs::remove_dir_all(sample.join(".lecturegen"));
        let _ = std::fs::remove_dir_all(sample.join("output"));
        build_ms(&sample, &["--voice", voice])
    };
    let silent = cold("none");
    let narrated = cold("espeak");
    let festival = cold("auto");
    let silent2 = cold("none");
    let narrated2 = cold("espeak");
    let festival2 = cold("auto");
    println!(
        "sample course cold build: silent {:.0} / {:.0} ms, espeak {:.0} / {:.0} ms -> narration adds {:.0}%; auto (Festival for English) {:.0} / {:.0} ms -> adds {:.0}%",
        silent,
        silent2,
        narrated,
        narrated2,
        ((narrated + narrated2) / (silent + silent2) - 1.0) * 100.0,
        festival,
        festival2,
        ((festival + festival2) / (silent + silent2) - 1.0) * 100.0
    );
    let audio_minute: Vec<(String, f64)> = std::fs::read_dir(sample.join("output"))
        .expect("output")
        .flatten()
        .filter(|e| e.path().join("lecture.mp4").is_file())
        .map(|e| {
            let mp4 = std::fs::read(e.path().join("lecture.mp4")).expect("mp4");
            (
                e.file_name().to_string_lossy().into_owned(),
                mp4.len() as f64 / 1024.0,
            )
        })
        .collect();
    println!("narrated MP4 sizes (KiB): {audio_minute:?}");

    // Save -> new MP4 for a one-sentence notes edit under `watch`, espeak-ng (the anchor) and
    // `auto` (Festival's long-lived processes for this English lecture), same run.
    for voice in ["espeak", "auto"] {
        watch_edit(&sample, voice);
    }
    let _ = std::fs::remove_dir_all(&work);
}

/// Median time from saving a one-sentence edit of the notes to a new MP4 under `watch`.
fn watch_edit(sample: &std::path::Path, voice: &str) {
    let notes = sample.join("content/01-how-it-works.md");
    let original = std::fs::read_to_string(&notes).expect("notes");
    let (watcher, rx) = start(sample, &["watch", "--voice", voice]);
    wait_line(&rx, "watching ");
    let mp4 = sample.join("output/01-how-it-works/lecture.mp4");
    let mut times = Vec::new();
    for round in 0..12 {
        let before = std::fs::metadata(&mp4).and_then(|m| m.modified()).ok();
        let started = Instant::now();
        let edited = original.replace(
            "Data only ever",
            &format!("Data, {round} times over, only ever"),
        );
        std::fs::write(&notes, edited).expect("edit");
        poll_until(started, || {
            std::fs::metadata(&mp4).and_then(|m| m.modified()).ok() != before
        });
        times.push(started.elapsed().as_secs_f64() * 1000.0);
        let status = wait_line(&rx, "");
        if round == 0 {
            println!("  watch's status line ({voice}): {status}");
        }
        std::thread::sleep(Duration::from_millis(150));
    }
    drop(watcher);
    std::fs::write(&notes, original).expect("restore");
    println!(
        "save -> new MP4, one sentence of notes edited (watch, sample course, voice {voice}): median {:.0} ms of {} (min {:.0}, max {:.0})",
        median(times.clone()),
        times.len(),
        times.iter().cloned().fold(f64::MAX, f64::min),
        times.iter().cloned().fold(0.0, f64::max)
    );
}
