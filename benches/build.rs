//! Whole builds as a user runs them, against ffmpeg merely encoding the same frames.
//!
//! The lecture: ten slides (a title slide and nine of three points and a line of notes) at
//! 1920x1080 on the `none` background. Printed, each measured in this run:
//! - per stage, ms per slide on one thread: background, overlay, compose, H.264 (BT.709
//!   conversion + openh264), the page's slide picture;
//! - `lecturegen build --voice none` cold (process start, empty cache and output; median of
//!   7), and ffmpeg's VFR concat encode of the same frames (PNG files, libx264, `-tune
//!   stillimage`; median of 5), as a ratio (target >= 3x with nasm, >= 2x without);
//! - narrated (espeak-ng): the cold narrated build against drawing alone (the silent cold
//!   build), speaking alone (the narrated build with every picture cached) and the total CPU
//!   time of the narrated build over the cores, plus its muxing (AAC + MP4, from the build's
//!   debug log). The target: narrated <= max(drawing, speaking, CPU / cores) + muxing.
//!
//! `cargo bench --bench build`; ffmpeg and espeak-ng from Debian (without them their rows are
//! left out, said so).

#[allow(dead_code)]
mod common;

use std::path::Path;
use std::process::Command;
use std::time::Instant;

use image::RgbImage;
use lecturegen::background::{self, Backend, Gradient};
use lecturegen::frame;
use lecturegen::overlay;
use lecturegen::site;
use lecturegen::video::{self, EncoderSettings};

use common::{exe, median, Stages};

const SLIDES: usize = 10;
const SECONDS: u32 = 5;

fn main() {
    // As the binary does (main.rs): freed frame buffers are reused, not mapped afresh.
    let _memory = lecturegen::background::kernels::keep_freed_memory();
    let work = std::env::temp_dir().join(format!("lecturegen-build-bench-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&work);
    let course = work.join("course");
    write_course(&course);
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    println!(
        "{SLIDES}-slide lecture at 1920x1080, `none` background, {cores} cores, h264 assembly: {}",
        if nasm_built() {
            "yes"
        } else {
            "no (built without nasm)"
        }
    );

    let frames = stages(&course);
    let silent = whole_build(&course, &work, &frames);
    narrated(&course, silent, cores);
    let _ = std::fs::remove_dir_all(&work);
}

/// A lecture as a teacher writes it: title in front matter, `#` slides, a line of notes each.
fn write_course(dir: &Path) {
    std::fs::create_dir_all(dir.join("content")).expect("course");
    std::fs::write(dir.join("lecturegen.toml"), "[course]\ntitle = \"Bench\"\n").expect("toml");
    let mut notes = String::from(
        "---\ntitle: A ten-slide lecture\nsubtitle: Timing a whole build\nauthor: Bench\n---\n\n\
         Welcome to a lecture of ten slides.\n\nNote: Welcome. This lecture has ten slides, \
         each with a few points and a sentence or two of notes.\n",
    );
    for topic in [
        "Why diffusion works",
        "Noise schedules",
        "The denoiser",
        "Sampling with DDIM",
        "Guidance",
        "Latent spaces",
        "Training data",
        "Evaluation",
        "Summary",
    ] {
        let lower = topic.to_lowercase();
        notes.push_str(&format!(
            "\n# {topic}\n\n- The first point about {lower}\n- A second point, with **bold** and \
             *italic* words\n- A third point: `code` and a [link](https://example.org)\n\nNote: \
             This slide is about {lower}. It has three points, and the voice reads these notes \
             aloud.\n"
        ));
    }
    std::fs::write(dir.join("content/01-lecture.md"), notes).expect("notes");
}

/// Whether the binary's openh264 has its assembly kernels (the name of one is in it).
fn nasm_built() -> bool {
    std::fs::read(exe()).is_ok_and(|bytes| {
        let needle = b"WelsSampleSatd4x4_sse41";
        bytes.windows(needle.len()).any(|w| w == needle)
    })
}

/// Each stage alone, one thread, ms per slide (median over the slides of the median of 3
/// runs); returns the composed frames.
fn stages(course: &Path) -> Vec<RgbImage> {
    let stages = Stages::load(course);
    let config = &stages.config;
    let renderer = stages.renderer(&config.theme);
    let backend = Gradient::of_theme(&config.theme);
    let settings = EncoderSettings {
        width: 1920,
        height: 1080,
        qp: config.video.qp,
    };
    let lecture = stages.lectures().swap_remove(0);
    let time = |f: &mut dyn FnMut()| {
        let mut runs = Vec::new();
        for _ in 0..3 {
            let t = Instant::now();
            f();
            runs.push(t.elapsed().as_secs_f64() * 1000.0);
        }
        median(runs)
    };
    let mut laps: [Vec<f64>; 6] = Default::default();
    let mut frames = Vec::new();
    let (mut psnr, mut bytes) = (f64::INFINITY, 0);
    for slide in &lecture.slides {
        let request = background::request(&lecture.meta, slide, 1920, 1080);
        let mut bg = RgbImage::new(1, 1);
        laps[0].push(time(&mut || {
            bg = backend.generate(&request).expect("background")
        }));
        let mut pages = None;
        laps[1].push(time(&mut || {
            pages = Some(overlay::render(&renderer, &lecture.meta, slide).expect("overlay"))
        }));
        let page = &pages.expect("rendered").pages[0];
        let mut composed = RgbImage::new(1, 1);
        laps[2].push(time(&mut || composed = frame::compose(&bg, page).frame));
        let mut encoded = None;
        laps[3].push(time(&mut || {
            encoded = Some(video::encode(&composed, &settings).expect("encode"));
        }));
        let encoded = encoded.expect("encoded");
        let decoded = video::decode(
            &encoded.sps,
            &encoded.pps,
            std::slice::from_ref(&encoded.picture),
        )
        .expect("decode");
        psnr = psnr.min(video::psnr(&composed, &decoded[0]));
        bytes += encoded.picture.len();
        laps[4].push(time(&mut || {
            site::slide_picture(&composed).expect("picture");
        }));
        laps[5].push(time(&mut || {
            video::Yuv420::from_rgb(&composed);
        }));
        frames.push(composed);
    }
    println!("\nper stage, one thread, ms per slide (median over the {SLIDES} slides):");
    let names = [
        "background (none)",
        "overlay",
        "compose",
        "h264 (yuv + openh264)",
        "slide picture",
        "  of h264: yuv alone",
    ];
    let mut total = 0.0;
    for (i, (name, lap)) in names.iter().zip(laps).enumerate() {
        let ms = median(lap);
        if i < 5 {
            total += ms;
        }
        println!("  {name:<24} {ms:>7.2}");
    }
    println!("  {:<24} {total:>7.2}", "sum of the stages");
    println!(
        "  video: min PSNR {psnr:.2} dB (floor 40), {:.0} KiB per slide",
        bytes as f64 / 1024.0 / SLIDES as f64
    );
    frames
}

/// Cold builds, process start included, against ffmpeg on the same frames; returns the
/// silent build's seconds.
fn whole_build(course: &Path, work: &Path, frames: &[RgbImage]) -> f64 {
    let mut times = Vec::new();
    for _ in 0..7 {
        clean(course);
        times.push(build(course, &["--voice", "none"]).0);
    }
    let ours = median(times);
    println!("\nwhole build, cold, process start included (median of 7):");
    println!("  lecturegen build --voice none  {ours:>7.3} s");

    if Command::new("ffmpeg").arg("-version").output().is_err() {
        println!("  ffmpeg not found (apt-get install ffmpeg): no ratio");
        return ours;
    }
    // The same frames as PNG (what people hand ffmpeg) and as PPM (no decoding to speak of:
    // the anchor at its fastest, so the ratio is the conservative one).
    let mut best = f64::INFINITY;
    for ext in ["png", "ppm"] {
        let mut list = String::new();
        for (i, frame) in frames.iter().enumerate() {
            let path = work.join(format!("frame{i:02}.{ext}"));
            if ext == "png" {
                frame.save(&path).expect("png");
            } else {
                let header = format!("P6\n{} {}\n255\n", frame.width(), frame.height());
                std::fs::write(&path, [header.as_bytes(), frame.as_raw()].concat()).expect("ppm");
            }
            list.push_str(&format!("file '{}'\nduration {SECONDS}\n", path.display()));
            // The concat demuxer ignores the last duration unless the last file comes again.
            if i + 1 == frames.len() {
                list.push_str(&format!("file '{}'\n", path.display()));
            }
        }
        std::fs::write(work.join("frames.txt"), list).expect("list");
        let mut times = Vec::new();
        for _ in 0..5 {
            let t = Instant::now();
            let status = Command::new("ffmpeg")
                .args(["-y", "-v", "error", "-f", "concat", "-safe", "0", "-i"])
                .arg(work.join("frames.txt"))
                .args(["-fps_mode", "vfr", "-c:v", "libx264", "-tune", "stillimage"])
                .args(["-pix_fmt", "yuv420p"])
                .arg(work.join("ffmpeg.mp4"))
                .status()
                .expect("ffmpeg");
            assert!(status.success());
            times.push(t.elapsed().as_secs_f64());
        }
        let ffmpeg = median(times);
        best = best.min(ffmpeg);
        println!("  ffmpeg VFR encode, {ext} frames   {ffmpeg:>7.3} s");
    }
    println!(
        "  ratio: the whole build is {:.2}x faster than ffmpeg's encode of PPM frames (target >= 3x, >= 2x without nasm)",
        best / ours
    );
    ours
}

/// The narrated cold build against its parts.
fn narrated(course: &Path, drawing: f64, cores: usize) {
    if Command::new("espeak-ng").arg("--version").output().is_err() {
        println!("\nespeak-ng not found (apt-get install espeak-ng): no narrated figures");
        return;
    }
    let (mut walls, mut cpus, mut muxes, mut speaking) = (vec![], vec![], vec![], vec![]);
    for _ in 0..3 {
        clean(course);
        let (wall, cpu, log) = build(course, &["--voice", "espeak"]);
        walls.push(wall);
        cpus.push(cpu);
        muxes.push(mux_seconds(&log));
        // Speaking alone: the pictures are in the cache now; only the speech is made again.
        let _ = std::fs::remove_dir_all(course.join(".lecturegen/cache/speech"));
        let _ = std::fs::remove_dir_all(course.join("output"));
        speaking.push(build(course, &["--voice", "espeak"]).0);
    }
    let (wall, cpu, mux, speaking) = (median(walls), median(cpus), median(muxes), median(speaking));
    let bound = drawing.max(speaking).max(cpu / cores as f64) + mux;
    println!("\nnarrated (espeak-ng), cold, median of 3:");
    println!("  narrated build                 {wall:>7.3} s");
    println!("  drawing alone (silent build)   {drawing:>7.3} s");
    println!("  speaking alone (pictures cached) {speaking:>5.3} s");
    println!(
        "  CPU time / {cores} cores            {:>7.3} s  ({cpu:.3} s of CPU)",
        cpu / cores as f64
    );
    println!("  muxing (AAC + MP4)             {mux:>7.3} s");
    println!(
        "  narrated / (max of the three + muxing) = {:.2} (target <= 1); / (sum of drawing and speaking) = {:.2}",
        wall / bound,
        wall / (drawing + speaking)
    );
}

fn clean(course: &Path) {
    let _ = std::fs::remove_dir_all(course.join("output"));
    let _ = std::fs::remove_dir_all(course.join(".lecturegen"));
}

/// Runs a build; its wall seconds, the CPU seconds of it and its children, its debug log.
fn build(course: &Path, args: &[&str]) -> (f64, f64, String) {
    let before = children_cpu();
    let t = Instant::now();
    let out = Command::new(exe())
        .args(["build", "-q", "--backend", "none", "--root"])
        .arg(course)
        .args(args)
        .env("LECTUREGEN_LOG", "lecturegen=debug")
        .env("NO_COLOR", "1")
        .output()
        .expect("lecturegen");
    let wall = t.elapsed().as_secs_f64();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    (
        wall,
        children_cpu() - before,
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// User + system seconds of the finished children of this process (and theirs).
fn children_cpu() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    // Fields after the command name: cutime and cstime are the 14th and 15th (1-based 16, 17).
    let fields: Vec<&str> = stat
        .rsplit_once(')')
        .map_or("", |(_, rest)| rest)
        .split_whitespace()
        .collect();
    let ticks = |i: usize| {
        fields
            .get(i)
            .and_then(|f| f.parse::<f64>().ok())
            .unwrap_or(0.0)
    };
    // Clock ticks are 100 per second on Linux.
    (ticks(13) + ticks(14)) / 100.0
}

/// Seconds of the "muxed" debug line of the build.
fn mux_seconds(log: &str) -> f64 {
    log.lines()
        .filter_map(|l| l.split_once("muxed in ").map(|(_, ms)| ms))
        .filter_map(|ms| ms.trim_end_matches(" ms").parse::<f64>().ok())
        .sum::<f64>()
        / 1000.0
}
