//! Build: runs every stage over a course and writes `output/`.
//!
//! In: [`Settings`] (course root + resolved config). Out: the site, one folder per lecture, and a
//! [`Summary`]. A lecture that fails is reported with its file and line and skipped; its last
//! good output stays in place and the other lectures still build. Slides of a lecture are made
//! in parallel; backgrounds and encoded slides come from the cache when their inputs are
//! unchanged, and unchanged slide pictures are not written again.
//!
//! Incremental work: every slide has a key (its content, the lecture's front matter, the images
//! it shows, the slide template, the fonts, the theme, the frame size and the backend). A slide
//! whose key matches the last build's and whose encoded pictures are in the cache is not laid out,
//! drawn or encoded again: the MP4 is muxed from the cached pictures. Files whose bytes did not
//! change are not rewritten. A [`Workspace`] keeps templates, fonts and the backend loaded
//! between builds (for `watch`), and a [`Scope`] limits a build to the lectures an edit touched.

use std::collections::{BTreeMap, BTreeSet};
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
use crate::fsutil::{remove_stale_temps, write_atomic, write_if_changed};
use crate::overlay::{self, Renderer};
use crate::report::Reporter;
use crate::site::{self, Chapter, IndexEntry, Media};
use crate::templates::{self, Templates};
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
    /// Slides laid out and drawn now.
    pub rendered: usize,
    /// Slides whose pictures came unchanged from the last build.
    pub reused: usize,
    /// Lectures left as they were because the build's scope did not include them.
    pub skipped: usize,
    /// Per lecture built, the 1-based numbers of the slides drawn now.
    pub changed: Vec<(String, Vec<usize>)>,
    /// Warnings reported.
    pub warnings: usize,
    /// Wall time, seconds.
    pub seconds: f64,
}

impl Summary {
    /// True when the build drew, generated and encoded nothing.
    pub fn nothing_rendered(&self) -> bool {
        self.rendered == 0 && self.encoded == 0 && self.backgrounds_generated == 0
    }
}

/// Which lectures a build looks at.
#[derive(Debug, Clone, Default, PartialEq)]
pub enum Scope {
    /// Every lecture.
    #[default]
    All,
    /// Lectures whose notes are one of these files, that live in a folder holding one of them,
    /// or that showed one of them (images) in their last build; plus lectures never built.
    /// The other lectures keep their last output and are listed as they were.
    Touching(BTreeSet<PathBuf>),
}

impl Scope {
    fn includes(&self, source: &LectureSource, state: &LectureState) -> bool {
        let Scope::Touching(paths) = self else {
            return true;
        };
        let file = source
            .file
            .canonicalize()
            .unwrap_or_else(|_| source.file.clone());
        let folder = (file.file_name().is_some_and(|n| n == "index.md"))
            .then(|| file.parent())
            .flatten();
        state.entry.is_none()
            || paths.iter().any(|p| {
                *p == file
                    || folder.is_some_and(|f| p.starts_with(f))
                    || state.deps.iter().any(|d| d == p)
            })
    }
}

/// Bump when a change to the code changes what a slide looks like, so old keys stop matching.
const RENDER_VERSION: &str = concat!(env!("CARGO_PKG_VERSION"), "/render-4");

/// What is remembered of a built lecture between builds (in the cache folder, not in output).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
struct LectureState {
    entry: Option<IndexEntry>,
    /// Per slide: its key and what it made.
    #[serde(default)]
    slides: Vec<SlideState>,
    /// Files other than the notes that the lecture reads (images, assets).
    #[serde(default)]
    deps: Vec<PathBuf>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
struct SlideState {
    key: String,
    pages: Vec<PageState>,
    /// Layout warnings, repeated when the slide is reused.
    warnings: Vec<String>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
struct PageState {
    /// Picture file name in the lecture folder.
    image: String,
    /// Digest of the frame.
    frame: String,
    words: usize,
}

/// What stays loaded between builds of one course: templates, fonts and the background backend.
pub struct Workspace {
    settings: Settings,
    templates: Templates,
    fonts: Fonts,
    backend: Box<dyn Backend>,
    cache: Cache,
    /// Digest of everything besides the slide itself that shapes a slide's picture.
    frame_inputs: String,
}

impl Workspace {
    /// Loads templates, fonts and the backend of `settings`.
    pub fn load(settings: Settings) -> Result<Self> {
        let templates = Templates::load(&settings.templates_dir())?;
        let fonts = Fonts::load(&settings.config.fonts, &settings.root);
        let backend = background::backend(
            &settings.config.build.backend,
            &settings.config,
            &settings.root,
        )?;
        let cache = Cache::new(settings.cache_dir());
        let mut workspace = Self {
            settings,
            templates,
            fonts,
            backend,
            cache,
            frame_inputs: String::new(),
        };
        workspace.frame_inputs = workspace.frame_inputs();
        Ok(workspace)
    }

    /// The settings this workspace was loaded with.
    pub fn settings(&self) -> &Settings {
        &self.settings
    }

    /// Compiles the templates again (after an edit); on error the old ones stay.
    pub fn reload_templates(&mut self) -> Result<()> {
        self.templates = Templates::load(&self.settings.templates_dir())?;
        self.frame_inputs = self.frame_inputs();
        Ok(())
    }

    /// Loads the fonts again (after a font file changed).
    pub fn reload_fonts(&mut self) {
        self.fonts = Fonts::load(&self.settings.config.fonts, &self.settings.root);
        self.frame_inputs = self.frame_inputs();
    }

    fn frame_inputs(&self) -> String {
        let v = &self.settings.config.video;
        Key::new("frame-inputs")
            .add_str(RENDER_VERSION)
            .add_str(&self.templates.digest(|n| !templates::SITE.contains(&n)))
            .add_str(self.fonts.fingerprint())
            .add_str(&format!("{:?}", self.settings.config.theme))
            .add(&v.width.to_le_bytes())
            .add(&v.height.to_le_bytes())
            .add_str(&self.backend.id())
            .hex()
    }

    /// Builds the lectures in `scope` (see [`build`]).
    pub fn build(&self, scope: &Scope, reporter: &dyn Reporter) -> Result<Summary> {
        let started = Instant::now();
        let settings = &self.settings;
        let output = settings.output_dir();
        let content_dir = settings.content_dir();
        check_output_location(&settings.root, &content_dir, &output)?;
        let sources = content::discover(&content_dir, &settings.root)?;
        reporter.lectures(sources.len());
        std::fs::create_dir_all(&output)
            .with_context(|| format!("creating {}", output.display()))?;
        remove_stale_temps(&output);

        let ctx = Run {
            ws: self,
            encoder: settings.encoder(),
            reporter,
            backgrounds_generated: AtomicUsize::new(0),
            backgrounds_cached: AtomicUsize::new(0),
            encoded: AtomicUsize::new(0),
            encoded_cached: AtomicUsize::new(0),
            rendered: AtomicUsize::new(0),
            reused: AtomicUsize::new(0),
            warnings: AtomicUsize::new(0),
        };
        let mut summary = Summary {
            lectures: sources.len(),
            ..Summary::default()
        };
        let mut entries = Vec::new();
        for source in &sources {
            let previous = ctx.load_state(&source.slug);
            let in_place = output.join(&source.slug).join("index.html").is_file();
            if in_place && !scope.includes(source, &previous) {
                if let Some(entry) = previous.entry {
                    summary.skipped += 1;
                    summary.slides += entry.slides;
                    entries.push(entry);
                    continue;
                }
            }
            match ctx.lecture(source, &previous) {
                Ok(built) => {
                    summary.built += 1;
                    summary.slides += built.entry.slides;
                    summary.pages += built.pages;
                    summary.changed.push((source.slug.clone(), built.rendered));
                    entries.push(built.entry);
                }
                Err(e) => {
                    summary.failed += 1;
                    reporter.error(&format!("{e:#}"));
                    // Keep listing the last good version, whose files are still in place.
                    if let Some(entry) = previous.entry {
                        entries.push(entry);
                    }
                }
            }
            reporter.lecture_finished(&source.slug);
        }
        ctx.remove_deleted(&sources)?;
        for (name, bytes) in site::render_index(&self.templates, &settings.config, &entries)? {
            write_if_changed(&output.join(name), &bytes)?;
        }
        summary.backgrounds_generated = ctx.backgrounds_generated.into_inner();
        summary.backgrounds_cached = ctx.backgrounds_cached.into_inner();
        summary.encoded = ctx.encoded.into_inner();
        summary.encoded_cached = ctx.encoded_cached.into_inner();
        summary.rendered = ctx.rendered.into_inner();
        summary.reused = ctx.reused.into_inner();
        summary.warnings = ctx.warnings.into_inner();
        summary.seconds = started.elapsed().as_secs_f64();
        Ok(summary)
    }
}

struct Run<'a> {
    ws: &'a Workspace,
    encoder: EncoderSettings,
    reporter: &'a dyn Reporter,
    backgrounds_generated: AtomicUsize,
    backgrounds_cached: AtomicUsize,
    encoded: AtomicUsize,
    encoded_cached: AtomicUsize,
    rendered: AtomicUsize,
    reused: AtomicUsize,
    warnings: AtomicUsize,
}

/// Builds the course. Fails only when nothing can be built (bad templates, no content folder,
/// unwritable output); a failing lecture is reported and counted in [`Summary::failed`].
pub fn build(settings: &Settings, reporter: &dyn Reporter) -> Result<Summary> {
    Workspace::load(settings.clone())?.build(&Scope::All, reporter)
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
    state: PageState,
}

struct SlideOut {
    pages: Vec<PageOut>,
    /// JPEG of the first page of the title slide (the poster), when it changed.
    poster: Option<Vec<u8>>,
    state: SlideState,
    /// Drawn now rather than reused.
    rendered: bool,
}

struct Built {
    entry: IndexEntry,
    pages: usize,
    /// 1-based numbers of the slides drawn now.
    rendered: Vec<usize>,
}

impl Run<'_> {
    fn warn(&self, message: &str) {
        self.warnings.fetch_add(1, Ordering::Relaxed);
        self.reporter.warning(message);
    }

    fn state_path(&self, slug: &str) -> PathBuf {
        self.ws
            .cache
            .dir()
            .join("state")
            .join(format!("{slug}.json"))
    }

    fn load_state(&self, slug: &str) -> LectureState {
        std::fs::read(self.state_path(slug))
            .ok()
            .and_then(|b| serde_json::from_slice(&b).ok())
            .unwrap_or_default()
    }

    /// Removes the output of lectures that no longer exist (only folders this tool made).
    fn remove_deleted(&self, sources: &[LectureSource]) -> Result<()> {
        let dir = self.ws.cache.dir().join("state");
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
            let out = self.ws.settings.output_dir().join(&slug);
            if out.is_dir() {
                std::fs::remove_dir_all(&out)
                    .with_context(|| format!("removing {}", out.display()))?;
            }
            let _ = std::fs::remove_file(&path);
        }
        Ok(())
    }

    fn lecture(&self, source: &LectureSource, previous: &LectureState) -> Result<Built> {
        let config = &self.ws.settings.config;
        let options = LoadOptions {
            course_root: self.ws.settings.root.clone(),
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
        let out_dir = self.ws.settings.output_dir().join(&source.slug);
        std::fs::create_dir_all(out_dir.join("slides"))
            .with_context(|| format!("creating {}", out_dir.display()))?;
        remove_stale_temps(&out_dir);
        remove_stale_temps(&out_dir.join("slides"));

        let mut file_digests = FileDigests::default();
        let keys: Vec<String> = lecture
            .slides
            .iter()
            .map(|slide| self.slide_key(&lecture, slide, &mut file_digests))
            .collect();
        let slides: Vec<SlideOut> = lecture
            .slides
            .par_iter()
            .zip(&keys)
            .map(|(slide, key)| {
                let out = self.slide(&lecture, slide, key, &out_dir, previous);
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
            let first = out.pages.first().map(|p| &p.state);
            chapters.push(Chapter {
                number: slide.index + 1,
                title: slide.display_title(),
                start: start as f64 / 1000.0,
                end: clock_ms as f64 / 1000.0,
                start_label: site::clock(start as f64 / 1000.0),
                image: first
                    .map(|p| format!("{}?v={}", p.image, &p.frame[..12]))
                    .unwrap_or_default(),
                html: slide.html.clone(),
                notes: slide.notes.clone(),
            });
        }
        let mp4 = video::write(&clips, &self.encoder)?;

        // Write media first and the page last: the page never links a missing file.
        let mut state = LectureState {
            slides: slides.iter().map(|s| s.state.clone()).collect(),
            ..LectureState::default()
        };
        let keep: BTreeSet<&str> = state
            .slides
            .iter()
            .flat_map(|s| &s.pages)
            .map(|p| p.image.as_str())
            .collect();
        remove_unlisted(&out_dir.join("slides"), &keep);
        for asset in &lecture.assets {
            let bytes = std::fs::read(&asset.source)
                .with_context(|| format!("reading {}", asset.source.display()))?;
            write_if_changed(&out_dir.join(&asset.output), &bytes)?;
        }
        write_if_changed(&out_dir.join("lecture.mp4"), &mp4)?;
        let poster_version = slides
            .first()
            .and_then(|s| s.pages.first())
            .map(|p| p.state.frame[..12].to_string())
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
            site::render_lecture(&self.ws.templates, config, &lecture, &chapters, &media)?
        {
            write_if_changed(&out_dir.join(name), &bytes)?;
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
        state.deps = file_digests.paths();
        state
            .deps
            .extend(lecture.assets.iter().map(|a| a.source.clone()));
        state.deps.sort();
        state.deps.dedup();
        write_if_changed(
            &self.state_path(&source.slug),
            &serde_json::to_vec_pretty(&state)?,
        )?;
        let rendered = slides
            .iter()
            .zip(&lecture.slides)
            .filter(|(out, _)| out.rendered)
            .map(|(_, slide)| slide.index + 1)
            .collect();
        Ok(Built {
            entry,
            pages: clips.len(),
            rendered,
        })
    }

    /// Everything a slide's pictures depend on, as a digest.
    fn slide_key(&self, lecture: &Lecture, slide: &Slide, files: &mut FileDigests) -> String {
        let mut key = Key::new("slide");
        key.add_str(&self.ws.frame_inputs)
            .add_str(&format!("{:?}", lecture.meta))
            .add_str(&format!(
                "{:?}|{:?}|{:?}|{:?}|{:?}|{:?}|{:?}",
                slide.index,
                slide.kind,
                slide.title,
                slide.blocks,
                slide.background,
                slide.seed,
                slide.split
            ));
        let mut images = Vec::new();
        collect_images(&slide.blocks, &mut images);
        images.extend(slide.background_image.iter());
        images.extend(slide.split.iter().map(|s| &s.image));
        for path in images {
            key.add_str(&files.digest(path));
        }
        key.hex()
    }

    fn slide(
        &self,
        lecture: &Lecture,
        slide: &Slide,
        key: &str,
        out_dir: &Path,
        previous: &LectureState,
    ) -> Result<SlideOut> {
        let reusable = previous.slides.get(slide.index).filter(|p| p.key == key);
        if let Some(out) = reusable.and_then(|p| self.reuse(p, slide.index, out_dir)) {
            for w in &out.state.warnings {
                self.warn(w);
            }
            self.reused.fetch_add(1, Ordering::Relaxed);
            return Ok(out);
        }
        let (width, height) = (self.encoder.width, self.encoder.height);
        let renderer = Renderer {
            fonts: &self.ws.fonts,
            templates: &self.ws.templates,
            theme: &self.ws.settings.config.theme,
            width,
            height,
        };
        let mut clock = StageClock::start();
        let rendered = overlay::render(&renderer, &lecture.meta, slide)?;
        clock.lap("overlay");
        let warnings: Vec<String> = rendered
            .warnings
            .iter()
            .map(|w| format!("{}:{}: {w}", lecture.source.display, slide.line))
            .collect();
        for w in &warnings {
            self.warn(w);
        }
        let request = background::request(&lecture.meta, slide, width, height);
        let (background, source) = background::generate(
            self.ws.backend.as_ref(),
            &request,
            &self.ws.cache,
            &|done, total| self.reporter.background_step(slide.index, done, total),
        )?;
        clock.lap("background");
        match source {
            Source::Generated => &self.backgrounds_generated,
            Source::Cached => &self.backgrounds_cached,
        }
        .fetch_add(1, Ordering::Relaxed);

        let mut pages = Vec::new();
        let mut poster = None;
        for (p, page) in rendered.pages.iter().enumerate() {
            let frame = frame::compose(&background, page);
            if tracing::enabled!(tracing::Level::INFO) {
                // The legibility report: what each text box had behind it and what it got.
                for (b, text_box) in page.boxes.iter().enumerate() {
                    tracing::info!(
                        "{}:{}: slide {} page {} box {}: contrast {:.1} on the bare background (needs {:.1}): panel {:.0}% opaque",
                        lecture.source.display,
                        slide.line,
                        slide.index + 1,
                        p + 1,
                        b + 1,
                        frame::worst_contrast(&background, text_box),
                        text_box.min_contrast,
                        frame::panel_alpha(&background, text_box) * 100.0,
                    );
                }
            }
            let frame_digest = digest(frame.as_raw());
            clock.lap("compose");
            let image = page_image(slide.index, p);
            // The picture of this page last time, if the slide had this page then.
            let previous_frame = previous
                .slides
                .get(slide.index)
                .and_then(|s| s.pages.get(p))
                .filter(|old| old.image == image)
                .map(|old| old.frame.as_str());
            let unchanged =
                previous_frame == Some(frame_digest.as_str()) && out_dir.join(&image).is_file();
            let first = slide.index == 0 && p == 0;
            let poster_missing = !out_dir.join("poster.jpg").is_file();
            let needs_jpeg = !unchanged || (first && poster_missing);
            // The slide picture is written while the video picture encodes (a core each).
            let (encoded, jpeg) = rayon::join(
                || match self.cached_encoding(&frame_digest) {
                    Some(encoded) => Ok(encoded),
                    None => self.encode(&frame, &frame_digest),
                },
                || needs_jpeg.then(|| jpeg(&frame)).transpose(),
            );
            let (encoded, jpeg) = (encoded?, jpeg?);
            clock.lap("encode + jpeg");
            if let Some(jpeg) = jpeg {
                if !unchanged {
                    write_atomic(&out_dir.join(&image), &jpeg)?;
                }
                if first {
                    poster = Some(jpeg);
                }
            }
            pages.push(PageOut {
                encoded,
                state: PageState {
                    image,
                    frame: frame_digest,
                    words: page.words,
                },
            });
        }
        tracing::debug!("slide {} drawn: {}", slide.index + 1, clock.laps());
        self.rendered.fetch_add(1, Ordering::Relaxed);
        let state = SlideState {
            key: key.to_string(),
            pages: pages.iter().map(|p| p.state.clone()).collect(),
            warnings,
        };
        Ok(SlideOut {
            pages,
            poster,
            state,
            rendered: true,
        })
    }

    /// The last build's pictures of a slide, if all are still on disk and in the cache.
    fn reuse(&self, previous: &SlideState, index: usize, out_dir: &Path) -> Option<SlideOut> {
        if index == 0 && !out_dir.join("poster.jpg").is_file() {
            return None;
        }
        let pages = previous
            .pages
            .iter()
            .map(|page| {
                if !out_dir.join(&page.image).is_file() {
                    return None;
                }
                let encoded = self.cached_encoding(&page.frame)?;
                Some(PageOut {
                    encoded,
                    state: page.clone(),
                })
            })
            .collect::<Option<Vec<_>>>()?;
        (!pages.is_empty()).then(|| SlideOut {
            pages,
            poster: None,
            state: previous.clone(),
            rendered: false,
        })
    }

    fn encoding_key(&self, frame_digest: &str) -> String {
        Key::new("encoded-slide")
            .add_str(frame_digest)
            .add_str(&self.encoder.key())
            .hex()
    }

    fn cached_encoding(&self, frame_digest: &str) -> Option<EncodedSlide> {
        let slide = self
            .ws
            .cache
            .get("slides", &self.encoding_key(frame_digest))
            .and_then(|b| EncodedSlide::from_bytes(&b))?;
        self.encoded_cached.fetch_add(1, Ordering::Relaxed);
        Some(slide)
    }

    fn encode(&self, frame: &RgbImage, frame_digest: &str) -> Result<EncodedSlide> {
        let slide = video::encode(frame, &self.encoder)?;
        self.ws.cache.put(
            "slides",
            &self.encoding_key(frame_digest),
            &slide.to_bytes(),
        );
        self.encoded.fetch_add(1, Ordering::Relaxed);
        Ok(slide)
    }
}

/// Times the stages of one slide, for `LECTUREGEN_LOG=debug`.
struct StageClock {
    last: Instant,
    laps: Vec<(&'static str, f64)>,
}

impl StageClock {
    fn start() -> Self {
        Self {
            last: Instant::now(),
            laps: Vec::new(),
        }
    }

    fn lap(&mut self, stage: &'static str) {
        let now = Instant::now();
        self.laps
            .push((stage, (now - self.last).as_secs_f64() * 1000.0));
        self.last = now;
    }

    fn laps(&self) -> String {
        let parts: Vec<String> = self
            .laps
            .iter()
            .map(|(stage, ms)| format!("{stage} {ms:.1} ms"))
            .collect();
        parts.join(", ")
    }
}

/// File name of page `page` (0-based) of slide `index` (0-based).
fn page_image(index: usize, page: usize) -> String {
    if page == 0 {
        format!("slides/{:03}.jpg", index + 1)
    } else {
        format!("slides/{:03}-{}.jpg", index + 1, page + 1)
    }
}

fn collect_images<'a>(blocks: &'a [content::Block], out: &mut Vec<&'a PathBuf>) {
    for block in blocks {
        match block {
            content::Block::Image { path, .. } => out.push(path),
            content::Block::Quote(inner) => collect_images(inner, out),
            content::Block::List { items, .. } => {
                for item in items {
                    collect_images(item, out);
                }
            }
            _ => {}
        }
    }
}

/// Digests of the files slides show, each file read once per build.
#[derive(Default)]
struct FileDigests(BTreeMap<PathBuf, String>);

impl FileDigests {
    fn digest(&mut self, path: &Path) -> String {
        self.0
            .entry(path.to_path_buf())
            .or_insert_with(|| match std::fs::read(path) {
                Ok(bytes) => digest(&bytes),
                Err(_) => "missing".into(),
            })
            .clone()
    }

    fn paths(&self) -> Vec<PathBuf> {
        self.0.keys().cloned().collect()
    }
}

/// Splits a slide's time between its pages in proportion to their words (plus one each, so
/// an empty page still shows). The parts add up to `total_ms` exactly.
fn split_time(total_ms: u32, pages: &[PageOut]) -> Vec<u32> {
    let weights: Vec<u64> = pages.iter().map(|p| p.state.words as u64 + 1).collect();
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
fn remove_unlisted(dir: &Path, keep: &BTreeSet<&str>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let name = format!("slides/{}", entry.file_name().to_string_lossy());
        if !keep.contains(name.as_str()) {
            let _ = std::fs::remove_file(entry.path());
        }
    }
}
