//! Build: runs every stage over a course and writes `output/`.
//!
//! In: a [`Project`] (course root + resolved config) and the lectures to build. Out: the site, one folder per lecture, and a
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
//!
//! Over 800 lines as one thing: the orchestration of a lecture's stages (`Run::lecture`,
//! `Run::slide` and what they share: the counters, the reporter, the records); what needs
//! none of that is in `files.rs`, `keys.rs`, `speech.rs` and `state.rs`.

mod files;
mod keys;
mod prefetch;
mod speech;
mod state;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::OnceLock;
use std::time::Instant;

use anyhow::{bail, Context, Result};
use image::RgbImage;
use rayon::prelude::*;

use crate::background::{self, Backend, Source};
use crate::cache::{digest, Cache};
use crate::config::VoiceName;
use crate::content::{self, Lecture, LectureSource, LoadOptions, Slide};
use crate::fonts::Fonts;
use crate::frame;
use crate::fsutil::{remove_stale_temps, write_atomic, write_if_changed};
use crate::narration::{self, Lexicon, Narrator, SlideSpeech, Speaker};
use crate::overlay::{self, Renderer};
use crate::project::Project;
use crate::report::Reporter;
use crate::site::{self, IndexEntry, Media, SlideImage};
use crate::templates::{self, Templates};
use crate::timeline;
use crate::video::{self, EncodedSlide, EncoderSettings, Still, AUDIO_RATE};
use files::{page_image, remove_unlisted, StageClock};
pub use prefetch::PendingBackground;
use speech::{load_lexicon, soundtrack};
use state::{LectureRecord, PageRecord, Records, SlideRecord};

/// Encoder settings from the video configuration.
pub fn encoder_settings(project: &Project) -> EncoderSettings {
    let v = &project.config.video;
    EncoderSettings {
        width: v.width,
        height: v.height,
        qp: v.qp,
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
    /// Files outside the notes that the course's lectures read (pictures, assets), for the
    /// watcher: an edit to one of them rebuilds the lectures that show it.
    pub reads: BTreeSet<PathBuf>,
    /// Caption chunks (sentences or clauses) spoken now, not taken from the cache.
    pub spoken: usize,
    /// Lectures built with a speech track.
    pub narrated: usize,
    /// Warnings reported.
    pub warnings: usize,
    /// What each lecture published (its last good build for one that failed now).
    pub entries: Vec<IndexEntry>,
    /// Wall time, seconds.
    pub seconds: f64,
}

impl Summary {
    /// True when the build drew, generated and encoded nothing.
    pub fn nothing_rendered(&self) -> bool {
        self.rendered == 0
            && self.encoded == 0
            && self.backgrounds_generated == 0
            && self.spoken == 0
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
    fn includes(&self, source: &LectureSource, state: &LectureRecord) -> bool {
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

/// What stays loaded between builds of one course: templates, fonts, the background backend
/// and the voice's threads.
pub struct Workspace {
    project: Project,
    templates: Templates,
    fonts: Fonts,
    backend: Box<dyn Backend>,
    cache: Cache,
    records: Records,
    encoder: EncoderSettings,
    /// Digest of everything besides the slide itself that shapes a slide's picture.
    frame_inputs: String,
    /// The voices, each set up when a lecture first asks for it (finding espeak-ng runs it).
    speakers: [(VoiceName, std::sync::OnceLock<Speaker>); 4],
    lexicon: Lexicon,
    /// Threads that run the voice, beside the global pool's drawing threads.
    voices: OnceLock<rayon::ThreadPool>,
}

impl Workspace {
    /// Loads templates, fonts and the backend of `project`.
    pub fn load(project: Project) -> Result<Self> {
        let cache_dir = project.cache_dir();
        crate::media::load_digests(&cache_dir);
        let templates = Templates::load(&project.templates_dir())?;
        let fonts = Fonts::load(&project.config.fonts, &project.root);
        let backend =
            background::backend(project.config.build.backend, &project.config, &project.root)?;
        let lexicon = load_lexicon(&project.root)?;
        let speakers = [
            VoiceName::Espeak,
            VoiceName::Command,
            VoiceName::Remote,
            VoiceName::None,
        ]
        .map(|name| (name, std::sync::OnceLock::new()));
        let mut workspace = Self {
            encoder: encoder_settings(&project),
            cache: Cache::new(&cache_dir),
            records: Records::new(&cache_dir),
            project,
            templates,
            fonts,
            backend,
            frame_inputs: String::new(),
            speakers,
            lexicon,
            voices: OnceLock::new(),
        };
        workspace.frame_inputs = workspace.frame_inputs()?;
        Ok(workspace)
    }

    /// The project this workspace was loaded with.
    pub fn project(&self) -> &Project {
        &self.project
    }

    /// Compiles the templates again (after an edit); on error the old ones stay.
    pub fn reload_templates(&mut self) -> Result<()> {
        let templates = Templates::load(&self.project.templates_dir())?;
        self.templates = templates;
        self.frame_inputs = self.frame_inputs()?;
        Ok(())
    }

    /// Loads the fonts again (after a font file changed).
    pub fn reload_fonts(&mut self) -> Result<()> {
        self.fonts = Fonts::load(&self.project.config.fonts, &self.project.root);
        self.frame_inputs = self.frame_inputs()?;
        Ok(())
    }

    fn frame_inputs(&self) -> Result<String> {
        keys::frame_inputs(
            &self.templates.digest(|n| !templates::SITE.contains(&n)),
            &self.fonts,
            &self.project.config.theme,
            (self.encoder.width, self.encoder.height),
            &self.backend.id(),
        )
    }

    /// The voice a lecture speaks with (`None`: silent, already warned about if missing).
    fn voice(&self, lecture: &Lecture, warn: &dyn Fn(&str)) -> Option<&dyn narration::Voice> {
        if !lecture.meta.narration {
            return None;
        }
        let name = lecture
            .meta
            .voice
            .unwrap_or(self.project.config.narration.voice);
        let speaker = self
            .speakers
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, s)| {
                s.get_or_init(|| {
                    let scratch = self.cache.dir().join("tmp");
                    narration::speaker(name, &self.project.config.narration, scratch)
                })
            });
        match speaker {
            Some(Speaker::Ready(voice)) => Some(voice.as_ref()),
            Some(Speaker::Missing(message)) => {
                warn(message);
                None
            }
            _ => None,
        }
    }

    /// The threads that speak: one per core (each speech engine is a single-threaded process
    /// that the operating system runs beside the drawing), made when first needed.
    fn voices(&self) -> &rayon::ThreadPool {
        self.voices.get_or_init(|| {
            let threads = std::thread::available_parallelism().map_or(2, |n| n.get());
            rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .thread_name(|i| format!("voice-{i}"))
                .build()
                // As rayon's own global pool does when the system has no threads to give.
                .unwrap_or_else(|e| panic!("cannot start the voice's threads: {e}"))
        })
    }

    /// Whether the lecture `slug`'s last build is complete in the output.
    fn in_place(&self, slug: &str) -> bool {
        let host = self.project.config.site.generator.is_host();
        site::is_built(&self.project.output_dir().join(slug), host)
    }

    fn load_options(&self) -> LoadOptions {
        let config = &self.project.config;
        LoadOptions {
            course_root: self.project.root.clone(),
            allow_html: config.build.allow_html,
            default_seed: config.build.seed,
            default_lang: config.course.lang.clone(),
            default_author: config.course.author.clone(),
            max_words_per_page: config.layout.max_words_per_page,
            host: config.site.generator.is_host(),
        }
    }

    /// The lectures of the course's content folder.
    pub fn discover(&self) -> Result<Vec<LectureSource>> {
        let project = &self.project;
        let selection = if project.config.site.generator.is_host() {
            let mut skip: Vec<PathBuf> = project
                .ignored()
                .iter()
                .map(|d| project.resolve(d))
                .collect();
            skip.extend([project.output_dir(), project.cache_dir()]);
            content::Selection::Marked { skip }
        } else {
            content::Selection::All
        };
        content::discover(&project.content_dir(), &project.root, &selection)
    }

    /// Builds `sources` (the course's lectures, from [`discover`](Self::discover) or from
    /// another front end) within `scope`. A lecture that fails is reported and skipped, its
    /// last good output kept; recorded lectures that are not in `sources` are removed.
    pub fn build(
        &self,
        sources: &[LectureSource],
        scope: &Scope,
        reporter: &dyn Reporter,
    ) -> Result<Summary> {
        let started = Instant::now();
        let project = &self.project;
        let output = project.output_dir();
        let host = project.config.site.generator.is_host();
        check_output_location(&project.root, &project.content_dir(), &output, host)?;
        reporter.lectures(sources.len());
        std::fs::create_dir_all(&output)
            .with_context(|| format!("creating {}", output.display()))?;
        remove_stale_temps(&output);

        let (prefetch_failed, prefetched) = self.prefetch(sources, scope, reporter);
        let ctx = Run {
            ws: self,
            reporter,
            prefetch_failed,
            prefetched,
            backgrounds_generated: AtomicUsize::new(0),
            backgrounds_cached: AtomicUsize::new(0),
            encoded: AtomicUsize::new(0),
            encoded_cached: AtomicUsize::new(0),
            rendered: AtomicUsize::new(0),
            reused: AtomicUsize::new(0),
            spoken: AtomicUsize::new(0),
            warnings: AtomicUsize::new(0),
            missing_voice: std::sync::Once::new(),
        };
        let mut summary = Summary {
            lectures: sources.len(),
            ..Summary::default()
        };
        let mut entries = Vec::new();
        for source in sources {
            let previous = self.records.load(&source.slug);
            if self.in_place(&source.slug) && !scope.includes(source, &previous) {
                if let Some(entry) = previous.entry {
                    summary.skipped += 1;
                    summary.slides += entry.slides;
                    summary.reads.extend(previous.deps);
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
                    summary.reads.extend(built.deps);
                    summary.narrated += usize::from(built.narrated);
                    entries.push(built.entry);
                }
                Err(e) => {
                    summary.failed += 1;
                    reporter.error(&format!("{e:#}"));
                    // Keep listing the last good version, whose files are still in place.
                    summary.reads.extend(previous.deps);
                    if let Some(entry) = previous.entry {
                        entries.push(entry);
                    }
                }
            }
            reporter.lecture_finished(&source.slug);
        }
        for slug in self.records.slugs() {
            if !sources.iter().any(|s| s.slug == slug) {
                self.records.remove(&slug, &output)?;
            }
        }
        if let Some(data_dir) = project.data_dir() {
            for (template, name) in site::PLAYER_FILES {
                let text = self.templates.render(template, &tera::Context::new())?;
                write_if_changed(&output.join(name), text.as_bytes())?;
            }
            let manifest =
                site::manifest(&self.templates, &entries, &project.config.site.media_url())?;
            std::fs::create_dir_all(&data_dir)
                .with_context(|| format!("creating {}", data_dir.display()))?;
            write_if_changed(&data_dir.join(site::MANIFEST), &manifest)?;
        } else {
            for (name, bytes) in site::render_index(&self.templates, &project.config, &entries)? {
                write_if_changed(&output.join(name), &bytes)?;
            }
        }
        crate::media::save_digests(self.cache.dir());
        summary.entries = entries;
        summary.backgrounds_generated = ctx.backgrounds_generated.into_inner();
        summary.backgrounds_cached = ctx.backgrounds_cached.into_inner();
        summary.encoded = ctx.encoded.into_inner();
        summary.encoded_cached = ctx.encoded_cached.into_inner();
        summary.rendered = ctx.rendered.into_inner();
        summary.reused = ctx.reused.into_inner();
        summary.spoken = ctx.spoken.into_inner();
        summary.warnings = ctx.warnings.into_inner();
        summary.seconds = started.elapsed().as_secs_f64();
        Ok(summary)
    }
}

struct Run<'a> {
    ws: &'a Workspace,
    reporter: &'a dyn Reporter,
    /// Backgrounds asked for up front that failed, by key, with why: their slides fail
    /// without asking again.
    prefetch_failed: std::collections::HashMap<String, String>,
    /// Backgrounds made up front (counted as made, not as cached, when their slide takes them).
    prefetched: std::collections::HashSet<String>,
    backgrounds_generated: AtomicUsize,
    backgrounds_cached: AtomicUsize,
    encoded: AtomicUsize,
    encoded_cached: AtomicUsize,
    rendered: AtomicUsize,
    reused: AtomicUsize,
    spoken: AtomicUsize,
    warnings: AtomicUsize,
    /// A missing speech engine is said once per build, not once per lecture.
    missing_voice: std::sync::Once,
}

/// Builds every lecture of the course. Fails only when nothing can be built (bad templates, no
/// content folder, unwritable output); a failing lecture is reported and counted in
/// [`Summary::failed`].
pub fn build(project: &Project, reporter: &dyn Reporter) -> Result<Summary> {
    let workspace = Workspace::load(project.clone())?;
    let sources = workspace.discover()?;
    workspace.build(&sources, &Scope::All, reporter)
}

/// Refuses an output folder that would overwrite the notes or the course itself. A host site's
/// media folder may lie among its pages (`src/lectures` of an mdBook): discovery skips it.
fn check_output_location(root: &Path, content: &Path, output: &Path, host: bool) -> Result<()> {
    let canon = |p: &Path| p.canonicalize().unwrap_or_else(|_| p.to_path_buf());
    let (root, content, output) = (canon(root), canon(content), canon(output));
    if output == root || content.starts_with(&output) || (!host && output.starts_with(&content)) {
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
    record: PageRecord,
}

struct SlideOut {
    pages: Vec<PageOut>,
    record: SlideRecord,
    /// Drawn now rather than reused.
    rendered: bool,
    /// What it says (empty when the lecture is silent).
    speech: SlideSpeech,
}

/// Where a narrated lecture's slides hand their speech: the voice's threads and a slot per
/// slide for what each says.
struct Speech<'a, 's> {
    voices: &'a rayon::Scope<'s>,
    narrator: &'s Narrator<'s>,
    slots: &'s [OnceLock<Result<SlideSpeech>>],
}

impl<'s> Speech<'_, 's> {
    /// Speaks `slide` on the voice's threads; its slot holds the result when the scope ends.
    fn start(
        &self,
        run: &'s Run<'s>,
        lecture: &'s Lecture,
        slide: &'s Slide,
        readings: Vec<Vec<narration::Reading>>,
        words: Vec<usize>,
    ) {
        let (narrator, slot) = (self.narrator, &self.slots[slide.index]);
        self.voices.spawn(move |_| {
            let _ = slot.set(run.speak(lecture, slide, &readings, &words, narrator));
        });
    }
}

struct Built {
    entry: IndexEntry,
    pages: usize,
    /// 1-based numbers of the slides drawn now.
    rendered: Vec<usize>,
    /// Files other than the notes that the lecture read.
    deps: Vec<PathBuf>,
    /// It has a speech track.
    narrated: bool,
}

impl Run<'_> {
    fn warn(&self, message: &str) {
        self.warnings.fetch_add(1, Ordering::Relaxed);
        self.reporter.warning(message);
    }

    fn lecture(&self, source: &LectureSource, previous: &LectureRecord) -> Result<Built> {
        let project = &self.ws.project;
        let config = &project.config;
        let lecture = content::load(source, &self.ws.load_options())?;
        for w in &lecture.warnings {
            self.warn(w);
        }
        self.reporter
            .lecture_started(&lecture.meta.title, lecture.slides.len());
        let out_dir = project.output_dir().join(&source.slug);
        std::fs::create_dir_all(out_dir.join("slides"))
            .with_context(|| format!("creating {}", out_dir.display()))?;
        remove_stale_temps(&out_dir);
        remove_stale_temps(&out_dir.join("slides"));

        let keys: Vec<String> = lecture
            .slides
            .iter()
            .map(|slide| keys::slide(&self.ws.frame_inputs, &project.root, &lecture.meta, slide))
            .collect();
        let voice = self.ws.voice(&lecture, &|message| {
            self.missing_voice.call_once(|| self.warn(message));
        });
        let narrator = voice.map(|voice| Narrator {
            voice,
            lexicon: &self.ws.lexicon,
            cache: &self.ws.cache,
            config: &config.narration,
        });
        let context = |slide: &Slide| {
            format!(
                "{}:{}: slide {} \"{}\"",
                source.display,
                slide.line,
                slide.index + 1,
                slide.display_title()
            )
        };
        // Slides are drawn on the global pool; what each says is spoken on the voice's own
        // threads as soon as its text is laid out, so a drawing thread never waits for the
        // speech engine and the engine's processes run beside the drawing.
        let speeches: Vec<OnceLock<Result<SlideSpeech>>> =
            lecture.slides.iter().map(|_| OnceLock::new()).collect();
        let drawn: Result<Vec<SlideOut>> = self.ws.voices().in_place_scope(|voices| {
            let speech = narrator.as_ref().map(|narrator| Speech {
                voices,
                narrator,
                slots: &speeches,
            });
            lecture
                .slides
                .par_iter()
                .zip(&keys)
                .map(|(slide, key)| {
                    let out = self.slide(&lecture, slide, key, &out_dir, previous, speech.as_ref());
                    self.reporter.slide_done();
                    out.with_context(|| context(slide))
                })
                .collect()
        });
        let mut slides = drawn?;
        for ((out, speech), slide) in slides.iter_mut().zip(speeches).zip(&lecture.slides) {
            if let Some(speech) = speech.into_inner() {
                out.speech = speech.with_context(|| context(slide))?;
            }
        }

        let page_words: Vec<Vec<usize>> = slides
            .iter()
            .map(|s| s.pages.iter().map(|p| p.record.words).collect())
            .collect();
        let speech_lengths: Vec<Vec<usize>> = slides
            .iter()
            .map(|s| s.speech.pages.iter().map(|p| p.length).collect())
            .collect();
        let inputs: Vec<timeline::SlideInput<'_>> = lecture
            .slides
            .iter()
            .zip(&page_words)
            .zip(&speech_lengths)
            .map(|((slide, words), speech)| timeline::SlideInput {
                slide,
                page_words: words,
                speech: (!speech.is_empty()).then_some(speech.as_slice()),
            })
            .collect();
        let (timeline, timing_warnings) = timeline::plan(&inputs, &config.timing, AUDIO_RATE);
        for (i, warning) in timing_warnings {
            let line = lecture.slides.get(i).map_or(1, |s| s.line);
            self.warn(&format!("{}:{line}: {warning}", source.display));
        }
        let stills: Vec<Still<'_>> = slides
            .iter()
            .zip(&timeline.slides)
            .flat_map(|(out, span)| {
                out.pages
                    .iter()
                    .zip(&span.pages_ms)
                    .map(|(page, &ms)| Still {
                        slide: &page.encoded,
                        duration_ms: ms,
                    })
            })
            .collect();
        let narrated = slides.iter().any(|s| !s.speech.is_silent());
        let muxing = Instant::now();
        let (audio, cues) = if narrated {
            let (pcm, cues) = soundtrack(&slides, &timeline);
            let track = video::encode_aac(&pcm, config.narration.bitrate_kbps)?;
            (Some(track), cues)
        } else {
            (None, Vec::new())
        };
        let mp4 = video::write(&stills, &self.ws.encoder, audio.as_ref())?;
        tracing::debug!(
            "{}: muxed in {:.1} ms",
            source.slug,
            muxing.elapsed().as_secs_f64() * 1000.0
        );

        // Write media first and the page last: the page never links a missing file.
        let mut record = LectureRecord {
            slides: slides.iter().map(|s| s.record.clone()).collect(),
            ..LectureRecord::default()
        };
        let keep: BTreeSet<&str> = record
            .slides
            .iter()
            .flat_map(|s| &s.pages)
            .map(|p| p.image.as_str())
            .collect();
        remove_unlisted(&out_dir.join("slides"), &keep);
        for asset in &lecture.assets {
            let bytes = crate::media::read(&asset.source)?;
            write_if_changed(&out_dir.join(&asset.output), &bytes)?;
        }
        write_if_changed(&out_dir.join("lecture.mp4"), &mp4)?;
        let first_pages: Vec<Option<SlideImage>> = slides
            .iter()
            .map(|s| {
                s.pages.first().map(|p| SlideImage {
                    file: p.record.image.clone(),
                    digest: p.record.frame.clone(),
                })
            })
            .collect();
        // The poster is the title slide's picture: one file, written once.
        let poster = first_pages
            .first()
            .and_then(|p| p.as_ref())
            .map(|p| site::versioned(&p.file, &p.digest))
            .unwrap_or_default();
        let media = Media {
            video: site::versioned("lecture.mp4", &digest(&mp4)),
            poster,
            width: self.ws.encoder.width,
            height: self.ws.encoder.height,
            duration: timeline.seconds(),
        };
        let chapters = site::chapters(&lecture, &timeline, &first_pages, &cues);
        let host = config.site.generator.is_host();
        for (name, bytes) in site::render_lecture(
            &self.ws.templates,
            config,
            &lecture,
            &chapters,
            &media,
            &cues,
            !host,
        )? {
            write_if_changed(&out_dir.join(name), &bytes)?;
        }
        if cues.is_empty() {
            let _ = std::fs::remove_file(out_dir.join(site::CAPTIONS));
        }
        let in_folder = |file: &str| format!("{}/{file}", source.slug);
        let files = site::MediaFiles {
            video: in_folder(&media.video),
            poster: in_folder(&media.poster),
            chapters_vtt: in_folder("chapters.vtt"),
            captions_vtt: (!cues.is_empty()).then(|| in_folder(site::CAPTIONS)),
            width: media.width,
            height: media.height,
        };
        let page = crate::project::relative(&source.file, &project.content_dir());
        let entry = IndexEntry::of(&lecture, page, &chapters, files, timeline.seconds());
        record.entry = Some(entry.clone());
        let mut deps: Vec<PathBuf> = lecture.slides.iter().flat_map(Slide::files).collect();
        deps.extend(lecture.assets.iter().map(|a| a.source.clone()));
        deps.extend(lecture.includes.iter().cloned());
        deps.sort();
        deps.dedup();
        record.deps = deps.clone();
        self.ws.records.save(&source.slug, &record)?;
        let rendered = slides
            .iter()
            .zip(&lecture.slides)
            .filter(|(out, _)| out.rendered)
            .map(|(_, slide)| slide.index + 1)
            .collect();
        Ok(Built {
            entry,
            pages: stills.len(),
            rendered,
            deps,
            narrated,
        })
    }

    fn slide<'s>(
        &'s self,
        lecture: &'s Lecture,
        slide: &'s Slide,
        key: &str,
        out_dir: &Path,
        previous: &LectureRecord,
        speech: Option<&Speech<'_, 's>>,
    ) -> Result<SlideOut> {
        let reusable = previous.slides.get(slide.index).filter(|p| p.key == key);
        if let Some(out) = reusable.and_then(|p| self.reuse(p, out_dir)) {
            for w in &out.record.warnings {
                self.warn(w);
            }
            self.reused.fetch_add(1, Ordering::Relaxed);
            let readings: Vec<_> = out
                .record
                .pages
                .iter()
                .map(|p| p.readings.clone())
                .collect();
            let words: Vec<usize> = out.record.pages.iter().map(|p| p.words).collect();
            if let Some(speech) = speech {
                speech.start(self, lecture, slide, readings, words);
            }
            return Ok(out);
        }
        let (width, height) = (self.ws.encoder.width, self.ws.encoder.height);
        let renderer = Renderer {
            fonts: &self.ws.fonts,
            templates: &self.ws.templates,
            theme: &self.ws.project.config.theme,
            width,
            height,
            max_words: self.ws.project.config.layout.max_words_per_page,
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
        let (readings, words) = rendered
            .pages
            .iter()
            .map(|p| (p.readings.clone(), p.words))
            .unzip::<_, _, Vec<_>, Vec<_>>();
        if let Some(speech) = speech {
            speech.start(self, lecture, slide, readings, words);
        }
        self.pictures(
            lecture, slide, key, out_dir, previous, rendered, warnings, clock,
        )
    }

    /// What a slide says, or nothing when the slide is silent.
    fn speak(
        &self,
        lecture: &Lecture,
        slide: &Slide,
        readings: &[Vec<narration::Reading>],
        words: &[usize],
        narrator: &Narrator<'_>,
    ) -> Result<SlideSpeech> {
        if slide.silent {
            return Ok(SlideSpeech::default());
        }
        let lang = &lecture.meta.lang;
        let lang = if lang.is_empty() { "en" } else { lang.as_str() };
        let pages = narration::script(
            &slide.title,
            &slide.notes,
            readings,
            words,
            narrator.config,
            lang,
        );
        let speech = narrator.slide(&pages, lang, &|caption| {
            self.reporter.sentence_spoken(slide.index, caption)
        })?;
        self.spoken.fetch_add(speech.spoken, Ordering::Relaxed);
        Ok(speech)
    }

    /// Draws and encodes a slide's pages over its background.
    #[allow(clippy::too_many_arguments)]
    fn pictures(
        &self,
        lecture: &Lecture,
        slide: &Slide,
        key: &str,
        out_dir: &Path,
        previous: &LectureRecord,
        rendered: overlay::Rendered,
        warnings: Vec<String>,
        mut clock: StageClock,
    ) -> Result<SlideOut> {
        let (width, height) = (self.ws.encoder.width, self.ws.encoder.height);
        let request = background::request(&lecture.meta, slide, width, height);
        let background_key = background::key(self.ws.backend.as_ref(), &request)?;
        if let Some(why) = self.prefetch_failed.get(&background_key) {
            bail!("background: {why}");
        }
        let (background, source) = background::generate(
            self.ws.backend.as_ref(),
            &request,
            &self.ws.cache,
            &|done, total| self.reporter.background_step(slide.index, done, total),
        )?;
        clock.lap("background");
        let made_now = source == Source::Generated || self.prefetched.contains(&background_key);
        if made_now {
            self.backgrounds_generated.fetch_add(1, Ordering::Relaxed);
        } else if source == Source::Cached {
            self.backgrounds_cached.fetch_add(1, Ordering::Relaxed);
        }

        let mut pages = Vec::new();
        for (p, page) in rendered.pages.iter().enumerate() {
            let composed = frame::compose(&background, page);
            // The legibility report: what each text box had behind it and the panel it got.
            for (b, (text_box, panel)) in page.boxes.iter().zip(&composed.panels).enumerate() {
                tracing::info!(
                    "{}:{}: slide {} page {} box {}: contrast {:.1} on the bare background (needs {:.1}): panel {:.0}% opaque",
                    lecture.source.display,
                    slide.line,
                    slide.index + 1,
                    p + 1,
                    b + 1,
                    panel.bare_contrast,
                    text_box.min_contrast,
                    panel.alpha * 100.0,
                );
            }
            let frame = composed.frame;
            let frame_digest = crate::cache::fast_digest(frame.as_raw());
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
            let encoded = match self.cached_encoding(&frame_digest) {
                Some(encoded) => encoded,
                None => self.encode(&frame, &frame_digest)?,
            };
            clock.lap("encode");
            if !unchanged {
                write_atomic(&out_dir.join(&image), &site::slide_picture(&frame)?)?;
                clock.lap("picture");
            }
            pages.push(PageOut {
                encoded,
                record: PageRecord {
                    image,
                    frame: frame_digest,
                    words: page.words,
                    readings: page.readings.clone(),
                },
            });
        }
        tracing::debug!("slide {} drawn: {}", slide.index + 1, clock.laps());
        self.rendered.fetch_add(1, Ordering::Relaxed);
        let record = SlideRecord {
            key: key.to_string(),
            pages: pages.iter().map(|p| p.record.clone()).collect(),
            warnings,
        };
        Ok(SlideOut {
            pages,
            record,
            rendered: true,
            speech: SlideSpeech::default(),
        })
    }

    /// The last build's pictures of a slide, if all are still on disk and in the cache.
    fn reuse(&self, previous: &SlideRecord, out_dir: &Path) -> Option<SlideOut> {
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
                    record: page.clone(),
                })
            })
            .collect::<Option<Vec<_>>>()?;
        (!pages.is_empty()).then(|| SlideOut {
            pages,
            record: previous.clone(),
            rendered: false,
            speech: SlideSpeech::default(),
        })
    }

    fn cached_encoding(&self, frame_digest: &str) -> Option<EncodedSlide> {
        let slide = self
            .ws
            .cache
            .get("slides", &keys::encoding(frame_digest, &self.ws.encoder))
            .and_then(|b| EncodedSlide::from_bytes(&b))?;
        self.encoded_cached.fetch_add(1, Ordering::Relaxed);
        Some(slide)
    }

    fn encode(&self, frame: &RgbImage, frame_digest: &str) -> Result<EncodedSlide> {
        let slide = video::encode(frame, &self.ws.encoder)?;
        self.ws.cache.put(
            "slides",
            &keys::encoding(frame_digest, &self.ws.encoder),
            &slide.to_bytes(),
        );
        self.encoded.fetch_add(1, Ordering::Relaxed);
        Ok(slide)
    }
}
