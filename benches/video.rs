//! Video stage against ffmpeg, on the same frames, in one run.
//!
//! Frames: the slides of the sample course (`content/`), rendered at 1920x1080 and cycled to
//! 10 slides of 5 s each. Compared:
//! - lecturegen: encode each slide once (IDR, fixed QP) + mux + fast start;
//! - ffmpeg per slide: `-loop 1 -framerate 30 -t 5 -i slide.png -c:v libx264 -tune stillimage
//!   -pix_fmt yuv420p` for each slide, then the concat demuxer;
//! - ffmpeg VFR: one concat list of the PNGs with durations, `-fps_mode vfr`.
//!
//! Prints wall time (median of runs), ratios against each ffmpeg recipe, file sizes and the PSNR
//! of every decoded slide against its source frame. Also times a cold build of the sample
//! course. ffmpeg comes from Debian (`apt-get install ffmpeg`); without it only our figures are
//! printed.

#[allow(dead_code)]
mod common;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use common::Stages;
use image::RgbImage;
use lecturegen::background::{self, Gradient};
use lecturegen::cache::Cache;
use lecturegen::config::Config;
use lecturegen::frame;
use lecturegen::overlay;
use lecturegen::pipeline::build;
use lecturegen::project::Project;
use lecturegen::report::Silent;
use lecturegen::video::{self, EncoderSettings, Still};
use rayon::prelude::*;

const SLIDES: usize = 10;
const SECONDS: u32 = 5;
const RUNS: usize = 3;

fn main() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let work = std::env::temp_dir().join(format!("lecturegen-bench-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&work);
    std::fs::create_dir_all(&work).expect("temp dir");

    let frames = sample_frames(&root, &work);
    let settings = EncoderSettings {
        width: 1920,
        height: 1080,
        qp: Config::default().video.qp,
    };
    let mut paths = Vec::new();
    for (i, f) in frames.iter().enumerate() {
        let p = work.join(format!("slide{i:02}.png"));
        f.save(&p).expect("png");
        paths.push(p);
    }

    // lecturegen
    let mut times = Vec::new();
    let mut mp4 = Vec::new();
    let mut encoded = Vec::new();
    for _ in 0..RUNS {
        let t = Instant::now();
        // Slides are independent pictures: encoded in parallel, as a build does.
        encoded = frames
            .par_iter()
            .map(|f| video::encode(f, &settings).expect("encode"))
            .collect();
        let clips: Vec<Still<'_>> = encoded
            .iter()
            .map(|slide| Still {
                slide,
                duration_ms: SECONDS * 1000,
            })
            .collect();
        mp4 = video::write(&clips, &settings, None).expect("mux");
        times.push(t.elapsed().as_secs_f64());
    }
    let ours = median(&mut times);
    let samples: Vec<Vec<u8>> = encoded.iter().map(|e| e.picture.clone()).collect();
    let decoded = video::decode(&encoded[0].sps, &encoded[0].pps, &samples).expect("decode");
    let ours_psnr = min_psnr(&frames, &decoded);
    let ours_path = work.join("ours.mp4");
    std::fs::write(&ours_path, &mp4).expect("write");

    println!("video stage: {SLIDES} slides, 1920x1080, {SECONDS} s each, median of {RUNS} runs");
    println!(
        "{:<28} {:>9} {:>11} {:>10}",
        "recipe", "time (s)", "size (KiB)", "min PSNR"
    );
    println!(
        "{:<28} {:>9.3} {:>11.0} {:>10.2}",
        "lecturegen (openh264 IDR)",
        ours,
        mp4.len() as f64 / 1024.0,
        ours_psnr
    );

    if Command::new("ffmpeg").arg("-version").output().is_err() {
        println!("ffmpeg not found: skipping the ffmpeg comparison (apt-get install ffmpeg)");
    } else {
        let mut per_slide_times = Vec::new();
        let mut vfr_times = Vec::new();
        let per_slide_out = work.join("per-slide.mp4");
        let vfr_out = work.join("vfr.mp4");
        for _ in 0..RUNS {
            per_slide_times.push(ffmpeg_per_slide(&work, &paths, &per_slide_out));
            vfr_times.push(ffmpeg_vfr(&work, &paths, &vfr_out));
        }
        let per_slide = median(&mut per_slide_times);
        let vfr = median(&mut vfr_times);
        for (name, time, path) in [
            ("ffmpeg per slide + concat", per_slide, &per_slide_out),
            ("ffmpeg concat -fps_mode vfr", vfr, &vfr_out),
        ] {
            let size = std::fs::metadata(path).map(|m| m.len()).unwrap_or(0);
            let psnr = min_psnr(&frames, &ffmpeg_frames(path));
            println!(
                "{:<28} {:>9.3} {:>11.0} {:>10.2}",
                name,
                time,
                size as f64 / 1024.0,
                psnr
            );
        }
        println!(
            "speed-up vs ffmpeg per slide: {:.1}x (target >= 50x)",
            per_slide / ours
        );
        println!(
            "speed-up vs ffmpeg VFR:       {:.1}x (target >= 3x)",
            vfr / ours
        );
        println!(
            "our decoded frames as ffmpeg decodes them: min PSNR {:.2} dB",
            min_psnr(&frames, &ffmpeg_frames(&ours_path))
        );
    }

    cold_build(&root, &work);
    let _ = std::fs::remove_dir_all(&work);
}

/// Slides of the sample course as 1920x1080 frames on the `none` background.
fn sample_frames(root: &Path, work: &Path) -> Vec<RgbImage> {
    let stages = Stages::load(root);
    let renderer = stages.renderer(&stages.config.theme);
    let backend = Gradient::of_theme(&stages.config.theme);
    let cache = Cache::new(work.join("cache"));
    let mut frames = Vec::new();
    for lecture in stages.lectures() {
        for slide in &lecture.slides {
            let pages = overlay::render(&renderer, &lecture.meta, slide).expect("overlay");
            let request = background::request(&lecture.meta, slide, 1920, 1080);
            let (bg, _) =
                background::generate(&backend, &request, &cache, &|_, _| {}).expect("background");
            for page in &pages.pages {
                frames.push(frame::compose(&bg, page).frame);
            }
        }
    }
    frames.into_iter().cycle().take(SLIDES).collect()
}

fn ffmpeg(args: &[&str], cwd: &Path) {
    let out = Command::new("ffmpeg")
        .args(["-y", "-v", "error"])
        .args(args)
        .current_dir(cwd)
        .output()
        .expect("ffmpeg");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn ffmpeg_per_slide(work: &Path, paths: &[PathBuf], out: &Path) -> f64 {
    let t = Instant::now();
    let mut list = String::new();
    for (i, p) in paths.iter().enumerate() {
        let part = format!("part{i:02}.mp4");
        ffmpeg(
            &[
                "-loop",
                "1",
                "-framerate",
                "30",
                "-t",
                &SECONDS.to_string(),
                "-i",
                &p.to_string_lossy(),
                "-c:v",
                "libx264",
                "-tune",
                "stillimage",
                "-pix_fmt",
                "yuv420p",
                &part,
            ],
            work,
        );
        list.push_str(&format!("file '{part}'\n"));
    }
    std::fs::write(work.join("parts.txt"), list).expect("list");
    ffmpeg(
        &[
            "-f",
            "concat",
            "-safe",
            "0",
            "-i",
            "parts.txt",
            "-c",
            "copy",
            &out.to_string_lossy(),
        ],
        work,
    );
    t.elapsed().as_secs_f64()
}

fn ffmpeg_vfr(work: &Path, paths: &[PathBuf], out: &Path) -> f64 {
    let t = Instant::now();
    let mut list = String::new();
    for p in paths {
        list.push_str(&format!("file '{}'\nduration {SECONDS}\n", p.display()));
    }
    // The concat demuxer ignores the last duration unless the last file is listed again.
    if let Some(last) = paths.last() {
        list.push_str(&format!("file '{}'\n", last.display()));
    }
    std::fs::write(work.join("images.txt"), list).expect("list");
    ffmpeg(
        &[
            "-f",
            "concat",
            "-safe",
            "0",
            "-i",
            "images.txt",
            "-fps_mode",
            "vfr",
            "-c:v",
            "libx264",
            "-tune",
            "stillimage",
            "-pix_fmt",
            "yuv420p",
            &out.to_string_lossy(),
        ],
        work,
    );
    t.elapsed().as_secs_f64()
}

/// The frame shown in the middle of each slide, decoded by ffmpeg.
fn ffmpeg_frames(path: &Path) -> Vec<RgbImage> {
    (0..SLIDES)
        .map(|i| {
            // Input seeking drops frames before the target, and a VFR slide is one frame that
            // starts at its slide's start: seek to exactly that.
            let t = format!("{:.3}", i as f64 * SECONDS as f64);
            let out = Command::new("ffmpeg")
                .args(["-v", "error", "-ss", &t, "-i"])
                .arg(path)
                .args(["-frames:v", "1", "-f", "rawvideo", "-pix_fmt", "rgb24", "-"])
                .output()
                .expect("ffmpeg");
            RgbImage::from_raw(1920, 1080, out.stdout).unwrap_or_else(|| RgbImage::new(1920, 1080))
        })
        .collect()
}

fn min_psnr(a: &[RgbImage], b: &[RgbImage]) -> f64 {
    a.iter()
        .zip(b)
        .map(|(x, y)| video::psnr(x, y))
        .fold(f64::INFINITY, f64::min)
}

fn median(v: &mut [f64]) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

/// A cold build of the sample course (empty cache and output), with slides per second.
fn cold_build(root: &Path, work: &Path) {
    let mut config = Config::load(root).expect("config");
    config.build.output_dir = work.join("output");
    config.build.cache_dir = work.join("cold-cache");
    let settings = Project {
        root: root.to_path_buf(),
        config,
    };
    let t = Instant::now();
    let summary = build(&settings, &Silent).expect("build");
    let cold = t.elapsed().as_secs_f64();
    let t = Instant::now();
    build(&settings, &Silent).expect("build");
    let warm = t.elapsed().as_secs_f64();
    println!(
        "cold build of the sample course: {} lectures, {} slides in {:.2} s ({:.1} slides/s); unchanged rebuild {:.2} s",
        summary.built,
        summary.slides,
        cold,
        summary.slides as f64 / cold,
        warm
    );
}
