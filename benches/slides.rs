//! Slide rendering: overlay (layout + text) and compose (panel + blend) per slide at 1920x1080,
//! for the sample course in each theme, against the 40 ms target and, as the anchor measured in
//! the same run, the H.264 encode of the same frames. Writes a contact sheet of the sample
//! course's slides (dark theme) to `output/contact-sheet.png`.

#[allow(dead_code)]
mod common;

use std::path::{Path, PathBuf};
use std::time::Instant;

use common::{median, Stages};
use image::RgbImage;
use lecturegen::background::{self, Gradient};
use lecturegen::cache::Cache;
use lecturegen::config::{ThemeConfig, THEMES};
use lecturegen::frame;
use lecturegen::overlay;
use lecturegen::video::{self, EncoderSettings};

const RUNS: usize = 5;

fn main() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let stages = Stages::load(&root);
    let work = std::env::temp_dir().join(format!("lecturegen-slides-bench-{}", std::process::id()));
    let cache = Cache::new(work.join("cache"));
    let lectures = stages.lectures();
    let encoder = EncoderSettings {
        width: 1920,
        height: 1080,
        qp: stages.config.video.qp,
    };
    println!(
        "per slide at 1920x1080, median of {RUNS} runs, sample course ({} lectures)",
        lectures.len()
    );
    println!(
        "{:<14} {:>7} {:>12} {:>12} {:>14} {:>10}",
        "theme", "slides", "overlay ms", "compose ms", "overlay+compose", "encode ms"
    );
    let mut sheet_frames = Vec::new();
    for name in THEMES {
        let theme = ThemeConfig::preset(name).expect("theme");
        let renderer = stages.renderer(&theme);
        let backend = Gradient::of_theme(&theme);
        let (mut overlay_ms, mut compose_ms, mut total_ms, mut encode_ms) =
            (Vec::new(), Vec::new(), Vec::new(), Vec::new());
        let mut slides = 0;
        for lecture in &lectures {
            for slide in &lecture.slides {
                slides += 1;
                let request = background::request(&lecture.meta, slide, 1920, 1080);
                let (bg, _) = background::generate(&backend, &request, &cache, &|_, _| {})
                    .expect("background");
                let (mut o, mut c) = (Vec::new(), Vec::new());
                let mut frames = Vec::new();
                for _ in 0..RUNS {
                    let started = Instant::now();
                    let rendered =
                        overlay::render(&renderer, &lecture.meta, slide).expect("overlay");
                    let mid = Instant::now();
                    frames = rendered
                        .pages
                        .iter()
                        .map(|p| frame::compose(&bg, p).frame)
                        .collect::<Vec<RgbImage>>();
                    o.push((mid - started).as_secs_f64() * 1000.0);
                    c.push(mid.elapsed().as_secs_f64() * 1000.0);
                }
                let started = Instant::now();
                for f in &frames {
                    video::encode(f, &encoder).expect("encode");
                }
                encode_ms.push(started.elapsed().as_secs_f64() * 1000.0);
                let (o, c) = (median(o), median(c));
                overlay_ms.push(o);
                compose_ms.push(c);
                total_ms.push(o + c);
                if *name == "dark" {
                    sheet_frames.extend(frames);
                }
            }
        }
        let total = median(total_ms);
        let encode = median(encode_ms);
        println!(
            "{name:<14} {slides:>7} {:>12.1} {:>12.1} {:>9.1} ({:.2}x of 40 ms) {:>7.1} ({:.2}x of encode)",
            median(overlay_ms),
            median(compose_ms),
            total,
            total / 40.0,
            encode,
            total / encode
        );
    }
    let out = root.join("output/contact-sheet.png");
    contact_sheet(&sheet_frames, &out);
    println!(
        "contact sheet of {} slide pictures: {}",
        sheet_frames.len(),
        out.display()
    );
    let _ = std::fs::remove_dir_all(&work);
}

/// Thumbnails 480x270, four across, 8 px apart on white.
fn contact_sheet(frames: &[RgbImage], path: &Path) {
    let (w, h, gap, across) = (480u32, 270u32, 8u32, 4u32);
    let rows = (frames.len() as u32).div_ceil(across).max(1);
    let mut sheet = RgbImage::from_pixel(
        across * (w + gap) + gap,
        rows * (h + gap) + gap,
        image::Rgb([255, 255, 255]),
    );
    for (i, f) in frames.iter().enumerate() {
        let thumb = image::imageops::resize(f, w, h, image::imageops::FilterType::Triangle);
        let (col, row) = (i as u32 % across, i as u32 / across);
        image::imageops::replace(
            &mut sheet,
            &thumb,
            i64::from(gap + col * (w + gap)),
            i64::from(gap + row * (h + gap)),
        );
    }
    std::fs::create_dir_all(path.parent().expect("output folder")).expect("output folder");
    sheet.save(path).expect("contact sheet");
}
