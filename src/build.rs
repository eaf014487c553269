//! Build: runs every stage over a course and writes `output/`.
//!
//! In: [`Settings`] (course root + resolved config). Out: the site, one folder per lecture, and a
//! [`Summary`]. A lecture that fails is reported with its file and line and skipped; its last
//! good output stays in place and the other lectures still build. Slides of a lecture are made
//! in parallel; backgrounds and encoded slides come from the cache when their inputs are
//! unchanged, and unchanged slide pictures are not written again.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

use anyhow::{bail, Context, Result};
use image::RgbImage;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::background::{self, Backend, Source};
use crate::cache::{digest, Cache, Key};
use crate::config::Config;
use crate::content::{self, Lecture, LectureSource, LoadOptions, Slide};
use crate::fonts::Fonts;
use crate::frame;
use crate::fsutil::{remove_stale_temps, write_atomic};
use crate::overlay::{self, Renderer};
use crate::report::Reporter;
use crate::site::{self, Chapter, IndexEntry, Media};
use crate::templates::Templates;
use crate::video::{self, Clip, EncodedSlide, EncoderSettings};

/// A course root and its resolved configuration (file + command line).
#[derive(Debug, Clone)]
pub struct Settings {
    /// The course folder.
    pub root: PathBuf,
    /// Configuration with command-line overrides applied.
    pub config: Config,
}

impl Settings {
    fn resolve(&self, path: &Path) -> PathBuf {
        if path.is_absolute() {
            path.to_path_buf()
        } else {
            self.root.join(path)
        }
    }

    /// The folder of lecture notes.
    pub fn content_dir(&self) -> PathBuf {
        self.resolve(&self.config.build.content_dir)
    }

    /// The folder the site is written to.
    pub fn output_dir(&self) -> PathBuf {
        self.resolve(&self.config.build.output_dir)
    }

    /// The cache folder.
    pub fn cache_dir(&self) -> PathBuf {
        self.resolve(&self.config.build.cache_dir)
    }

    /// The folder of template overrides.
    pub fn templates_dir(&self) -> PathBuf {
        self.resolve(&self.config.build.templates_dir)
    }

    /// Encoder settings from the video config.
    pub fn encoder(&self) -> EncoderSettings {
        let v = &self.config.video;
        EncoderSettings {
            width: v.width,
            height: v.height,
            qp: v.qp,
        }
    }
}

/// What a build did.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Summary {
    /// Lectures found.
    pub lectures: usize,
    /// Lectures built.
    pub built: usize,
    /// Lectures that failed.
    pub failed: usize,
    /// Slides of the built lectures.
    pub slides: usize,
    /// Video pictures (slides plus follow-on pages).
    pub pages: usize,
    /// Backgrounds made now.
    pub backgrounds_generated: usize,
    /// Backgrounds read from the cache.
    pub backgrounds_cached: usize,
    /// Pictures encoded now.
    pub encoded: usize,
    /// Encoded pictures read from the cache.
    pub encoded_cached: usize,
    /// Warnings reported.
    pub warnings: usize,
    /// Wall time, seconds.
    pub seconds: f64,
}

/// What is remembered of a built lecture between builds (in the cache folder, not in output).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
struct LectureState {
    entry: Option<IndexEntry>,
    /// Slide picture file name -> digest of the frame it shows.
    images: BTreeMap<String, String>,
}

struct Run<'a> {
    settings: &'a Settings,
    templates: &'a Templates,
    fonts: &'a Fonts,
    backend: &'a dyn Backend,
    cache: &'a Cache,
    encoder: EncoderSettings,
    reporter: &'a dyn Reporter,
    backgrounds_generated: AtomicUsize,
    backgrounds_cached: AtomicUsize,
    encoded: AtomicUsize,
    encoded_cached: AtomicUsize,
    warnings: AtomicUsize,
}

/// Builds the course. Fails only when nothing can be built (bad templates, no content folder,
/// unwritable output); a failing lecture is reported and counted in [`Summary::failed`].
pub fn build(settings: &Settings, reporter: &dyn Reporter) -> Result<Summary> {
    let started = Instant::now();
    let output = settings.output_dir();
    let content_dir = settings.content_dir();
    check_output_location(&settings.root, &content_dir, &output)?;
    let templates = Templates::load(&settings.templates_dir())?;
    let fonts = Fonts::load(&settings.config.fonts, &settings.root);
    let backend = background::backend(
        &settings.config.build.backend,
        &settings.config,
        &settings.root,
    )?;
    let cache = Cache::new(settings.cache_dir());
    let sources = content::discover(&content_dir, &settings.root)?;
    reporter.lectures(sources.len());
    std::fs::create_dir_all(&output).with_context(|| format!("creating {}", output.display()))?;
    remove_stale_temps(&output);

    let ctx = Run {
        settings,
        templates: &templates,
        fonts: &fonts,
        backend: backend.as_ref(),
        cache: &cache,
        encoder: settings.encoder(),
        reporter,
        backgrounds_generated: AtomicUsize::new(0),
        backgrounds_cached: AtomicUsize::new(0),
        encoded: AtomicUsize::new(0),
        encoded_cached: AtomicUsize::new(0),
        warnings: AtomicUsize::new(0),
    };
    let mut summary = Summary {
        lectures: sources.len(),
        ..Summary::default()
    };
    let mut entries = Vec::new();
    for source in &sources {
        match ctx.lecture(source) {
            Ok((entry, pages)) => {
                summary.built += 1;
                summary.slides += entry.slides;
                summary.pages += pages;
                entries.push(entry);
            }
            Err(e) => {
                summary.failed += 1;
                reporter.error(&format!("{e:#}"));
                // Keep listing the last good version, whose files are still in place.
                if let Some(entry) = ctx.load_state(&source.slug).entry {
                    entries.push(entry);
                }
            }
        }
        reporter.lecture_finished(&source.slug);
    }
    ctx.remove_deleted(&sources)?;
    for (name, bytes) in site::render_index(&templates, &settings.config, &entries)? {
        write_atomic(&output.join(name), &bytes)?;
    }
    summary.backgrounds_generated = ctx.backgrounds_generated.into_inner();
    summary.backgrounds_cached = ctx.backgrounds_cached.into_inner();
    summary.encoded = ctx.encoded.into_inner();
    summary.encoded_cached = ctx.encoded_cached.into_inner();
    summary.warnings = ctx.warnings.into_inner();
    summary.seconds = started.elapsed().as_secs_f64();
    Ok(summary)
}

/// Refuses an output folder that would overwrite the notes or the course itself.
fn check_output_location(root: &Path, content: &Path, output: &Path) -> Result<()> {
    let canon = |p: &Path| p.canonicalize().unwrap_or_else(|_| p.to_path_buf());
    let (root, content, output) = (canon(root), canon(content), canon(output));
    if output == root || content.starts_with(&output) || output.starts_with(&content) {
        bail!(
            "output folder {} overlaps the course or its content folder: choose another --out",
            output.display()
        );
    }
    Ok(())
}

/// One page of a slide after encoding.
struct PageOut {
    encoded: EncodedSlide,
    words: usize,
    image: String,
    frame: String,
}

struct SlideOut {
    pages: Vec<PageOut>,
    /// JPEG of the first page of the title slide (the poster).
    poster: Option<Vec<u8>>,
}

impl Run<'_> {
    fn warn(&self, message: &str) {
        self.warnings.fetch_add(1, Ordering::Relaxed);
        self.reporter.warning(message);
    }

    fn state_path(&self, slug: &str) -> PathBuf {
        self.cache.dir().join("state").join(format!("{slug}.json"))
    }

    fn load_state(&self, slug: &str) -> LectureState {
        std::fs::read(self.state_path(slug))
            .ok()
            .and_then(|b| serde_json::from_slice(&b).ok())
            .unwrap_or_default()
    }

    /// Removes the output of lectures that no longer exist (only folders this tool made).
    fn remove_deleted(&self, sources: &[LectureSource]) -> Result<()> {
        let dir = self.cache.dir().join("state");
        let Ok(entries) = std::fs::read_dir(&dir) else {
            return Ok(());
        };
        for entry in entries.flatten() {
            let path = entry.path();
            let Some(slug) = path.file_stem().map(|s| s.to_string_lossy().into_owned()) else {
                continue;
            };
            if path.extension().is_none_or(|e| e != "json")
                || sources.iter().any(|s| s.slug == slug)
            {
                continue;
            }
            let out = self.settings.output_dir().join(&slug);
            if out.is_dir() {
                std::fs::remove_dir_all(&out)
                    .with_context(|| format!("removing {}", out.display()))?;
            }
            let _ = std::fs::remove_file(&path);
        }
        Ok(())
    }

    fn lecture(&self, source: &LectureSource) -> Result<(IndexEntry, usize)> {
        let config = &self.settings.config;
        let options = LoadOptions {
            course_root: self.settings.root.clone(),
            allow_html: config.build.allow_html,
            default_seed: config.build.seed,
            default_lang: config.course.lang.clone(),
            default_author: config.course.author.clone(),
        };
        let lecture = content::load(source, &options)?;
        for w in &lecture.warnings {
            self.warn(w);
        }
        self.reporter
            .lecture_started(&lecture.meta.title, lecture.slides.len());
        let out_dir = self.settings.output_dir().join(&source.slug);
        std::fs::create_dir_all(out_dir.join("slides"))
            .with_context(|| format!("creating {}", out_dir.display()))?;
        remove_stale_temps(&out_dir);
        remove_stale_temps(&out_dir.join("slides"));
        let previous = self.load_state(&source.slug);

        let slides: Vec<SlideOut> = lecture
            .slides
            .par_iter()
            .map(|slide| {
                let out = self.slide(&lecture, slide, &out_dir, &previous);
                self.reporter.slide_done();
                out.with_context(|| {
                    format!(
                        "{}:{}: slide {} \"{}\"",
                        source.display,
                        slide.line,
                        slide.index + 1,
                        slide.display_title()
                    )
                })
            })
            .collect::<Result<_>>()?;

        // Timeline: each slide's time, split between its pages by their words.
        let timing = &config.timing;
        let mut clips = Vec::new();
        let mut chapters = Vec::new();
        let mut clock_ms = 0u64;
        for (slide, out) in lecture.slides.iter().zip(&slides) {
            let seconds = slide.duration.unwrap_or_else(|| {
                (slide.words as f32 / timing.words_per_minute * 60.0)
                    .clamp(timing.min_seconds, timing.max_seconds)
            });
            let total_ms = (seconds * 1000.0).round().max(1.0) as u32;
            let start = clock_ms;
            for (page, ms) in out.pages.iter().zip(split_time(total_ms, &out.pages)) {
                clips.push(Clip {
                    slide: &page.encoded,
                    duration_ms: ms,
                });
            }
            clock_ms += u64::from(total_ms);
            chapters.push(Chapter {
                number: slide.index + 1,
                title: slide.display_title(),
                start: start as f64 / 1000.0,
                end: clock_ms as f64 / 1000.0,
                start_label: site::clock(start as f64 / 1000.0),
                image: out
                    .pages
                    .first()
                    .map(|p| p.image.clone())
                    .unwrap_or_default(),
                html: slide.html.clone(),
                notes: slide.notes.clone(),
            });
        }
        let mp4 = video::write(&clips, &self.encoder)?;

        // Write media first and the page last: the page never links a missing file.
        let mut state = LectureState::default();
        for page in slides.iter().flat_map(|s| &s.pages) {
            state.images.insert(page.image.clone(), page.frame.clone());
        }
        remove_unlisted(&out_dir.join("slides"), &state.images);
        for asset in &lecture.assets {
            let bytes = std::fs::read(&asset.source)
                .with_context(|| format!("reading {}", asset.source.display()))?;
            write_atomic(&out_dir.join(&asset.output), &bytes)?;
        }
        write_atomic(&out_dir.join("lecture.mp4"), &mp4)?;
        let poster_version = slides
            .first()
            .and_then(|s| s.pages.first())
            .map(|p| p.frame[..12].to_string())
            .unwrap_or_default();
        if let Some(poster) = slides.first().and_then(|s| s.poster.as_ref()) {
            write_atomic(&out_dir.join("poster.jpg"), poster)?;
        }
        let media = Media {
            video: format!("lecture.mp4?v={}", &digest(&mp4)[..12]),
            poster: format!("poster.jpg?v={poster_version}"),
            width: self.encoder.width,
            height: self.encoder.height,
            duration: clock_ms as f64 / 1000.0,
        };
        for (name, bytes) in
            site::render_lecture(self.templates, config, &lecture, &chapters, &media)?
        {
            write_atomic(&out_dir.join(name), &bytes)?;
        }
        let entry = IndexEntry {
            slug: source.slug.clone(),
            title: lecture.meta.title.clone(),
            subtitle: lecture.meta.subtitle.clone(),
            author: lecture.meta.author.clone(),
            date: lecture.meta.date.clone(),
            duration: clock_ms as f64 / 1000.0,
            slides: lecture.slides.len(),
            dir: lecture.meta.dir.as_str().into(),
            lang: lecture.meta.lang.clone(),
        };
        state.entry = Some(entry.clone());
        write_atomic(
            &self.state_path(&source.slug),
            &serde_json::to_vec_pretty(&state)?,
        )?;
        Ok((entry, clips.len()))
    }

    fn slide(
        &self,
        lecture: &Lecture,
        slide: &Slide,
        out_dir: &Path,
        previous: &LectureState,
    ) -> Result<SlideOut> {
        let (width, height) = (self.encoder.width, self.encoder.height);
        let renderer = Renderer {
            fonts: self.fonts,
            templates: self.templates,
            theme: &self.settings.config.theme,
            width,
            height,
        };
        let rendered = overlay::render(&renderer, &lecture.meta, slide)?;
        for w in &rendered.warnings {
            self.warn(&format!("{}:{}: {w}", lecture.source.display, slide.line));
        }
        let request = background::request(&lecture.meta, slide, width, height);
        let (background, source) =
            background::generate(self.backend, &request, self.cache, &|done, total| {
                self.reporter.background_step(slide.index, done, total)
            })?;
        match source {
            Source::Generated => &self.backgrounds_generated,
            Source::Cached => &self.backgrounds_cached,
        }
        .fetch_add(1, Ordering::Relaxed);

        let mut pages = Vec::new();
        let mut poster = None;
        for (p, page) in rendered.pages.iter().enumerate() {
            let frame = frame::compose(&background, page);
            let frame_digest = digest(frame.as_raw());
            let encoded = self.encode(&frame, &frame_digest)?;
            let image = if p == 0 {
                format!("slides/{:03}.jpg", slide.index + 1)
            } else {
                format!("slides/{:03}-{}.jpg", slide.index + 1, p + 1)
            };
            let unchanged = previous.images.get(&image) == Some(&frame_digest)
                && out_dir.join(&image).is_file();
            let first = slide.index == 0 && p == 0;
            if !unchanged || first {
                let jpeg = jpeg(&frame)?;
                if !unchanged {
                    write_atomic(&out_dir.join(&image), &jpeg)?;
                }
                if first && (!unchanged || !out_dir.join("poster.jpg").is_file()) {
                    poster = Some(jpeg);
                }
            }
            pages.push(PageOut {
                encoded,
                words: page.words,
                image,
                frame: frame_digest,
            });
        }
        Ok(SlideOut { pages, poster })
    }

    fn encode(&self, frame: &RgbImage, frame_digest: &str) -> Result<EncodedSlide> {
        let key = Key::new("encoded-slide")
            .add_str(frame_digest)
            .add_str(&self.encoder.key())
            .hex();
        if let Some(slide) = self
            .cache
            .get("slides", &key)
            .and_then(|b| EncodedSlide::from_bytes(&b))
        {
            self.encoded_cached.fetch_add(1, Ordering::Relaxed);
            return Ok(slide);
        }
        let slide = video::encode(frame, &self.encoder)?;
        self.cache.put("slides", &key, &slide.to_bytes());
        self.encoded.fetch_add(1, Ordering::Relaxed);
        Ok(slide)
    }
}

/// Splits a slide's time between its pages in proportion to their words (plus one each, so
/// an empty page still shows). The parts add up to `total_ms` exactly.
fn split_time(total_ms: u32, pages: &[PageOut]) -> Vec<u32> {
    let weights: Vec<u64> = pages.iter().map(|p| p.words as u64 + 1).collect();
    let sum: u64 = weights.iter().sum::<u64>().max(1);
    let mut out: Vec<u32> = weights
        .iter()
        .map(|w| (u64::from(total_ms) * w / sum) as u32)
        .collect();
    let given: u32 = out.iter().sum();
    if let Some(last) = out.last_mut() {
        *last += total_ms - given;
    }
    out
}

fn jpeg(frame: &RgbImage) -> Result<Vec<u8>> {
    let mut out = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 90).encode_image(frame)?;
    Ok(out)
}

/// Removes slide pictures of an earlier build that this build did not make.
fn remove_unlisted(dir: &Path, keep: &BTreeMap<String, String>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let name = format!("slides/{}", entry.file_name().to_string_lossy());
        if !keep.contains_key(&name) {
            let _ = std::fs::remove_file(entry.path());
        }
    }
}
