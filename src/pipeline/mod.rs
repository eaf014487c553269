//! The pipeline: runs every stage over a course and writes its site.
//!
//! In: a [`Project`] (course root + resolved config) and the lectures to build. Out: the site,
//! one folder per lecture, and a [`Summary`]. A lecture that fails is reported with its file and
//! line and skipped; its last good output stays in place and the other lectures still build.
//!
//! A lecture goes through four steps (`Run::lecture`): **load** (the content stage), **slides**
//! (`slides.rs`: each slide's overlay, speech, background, frame and H.264 picture, the slides
//! in parallel), **assemble** (`assemble.rs`: the timeline, the speech track, AAC and the MP4)
//! and **publish** ([`publish`]: the media, tracks and pages of the lecture in lecturegen's own
//! site or in a site another generator builds, through a [`Publisher`]).
//!
//! Incremental work: every slide has a key (its content, the lecture's front matter, the images
//! it shows, the slide template, the fonts, the theme, the frame size and the backend). A slide
//! whose key matches the last build's and whose encoded pictures are in the cache is not laid
//! out, drawn or encoded again: the MP4 is muxed from the cached pictures. Backgrounds and
//! encoded slides come from the cache when their inputs are unchanged; files whose bytes did not
//! change are not rewritten. A [`Workspace`] keeps templates, fonts, the backend and the voices
//! loaded between builds (for `watch`), and a [`Scope`] limits a build to the lectures an edit
//! touched.

mod assemble;
mod files;
mod keys;
mod prefetch;
pub mod publish;
mod records;
mod slides;
mod voices;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

use anyhow::{bail, Context, Result};

use crate::background::{self, Backend};
use crate::cache::Cache;
use crate::content::{self, LectureSource, LoadOptions};
use crate::fonts::Fonts;
use crate::fsutil::remove_stale_temps;
use crate::narration::Narrator;
use crate::project::{Paths, Project};
use crate::report::Reporter;
use crate::site::IndexEntry;
use crate::templates::{self, Templates};
use crate::video::EncoderSettings;
pub use prefetch::PendingBackground;
use publish::Built;
pub use publish::Publisher;
use records::{LectureRecord, Records};
use voices::Voices;

/// Encoder settings from the video configuration.
pub fn encoder_settings(project: &Project) -> EncoderSettings {
    let v = &project.config.video;
    EncoderSettings {
        width: v.width,
        height: v.height,
        qp: v.qp,
    }
}

/// The course's paths as `watch` sees them, its site's publisher saying which files of the
/// notes folder are sources.
pub fn paths(project: &Project) -> Paths {
    project.paths(publish::for_site(project).only_pages_are_sources())
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
    /// Videos muxed now (their AAC encoded and their MP4 written).
    pub muxed: usize,
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
    /// The voice that speaks each language of the lectures, by language tag ("en" ->
    /// "festival cmu_us_slt_arctic_hts").
    pub voices: BTreeMap<String, String>,
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

/// What stays loaded between builds of one course: templates, fonts, the background backend,
/// the voices and the site's publisher.
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
    /// Digest of everything besides the lecture itself that shapes what a lecture publishes.
    lecture_inputs: String,
    voices: Voices,
    publisher: Box<dyn Publisher>,
    /// The text model that writes points (`[points.remote]`), when one is set.
    points: Option<crate::points::Writer>,
}

impl Workspace {
    /// Loads templates, fonts, the backend and the lexicon of `project`.
    pub fn load(project: Project) -> Result<Self> {
        let cache_dir = project.cache_dir();
        crate::media::load_digests(&cache_dir);
        let templates = Templates::load(&project.templates_dir())?;
        let fonts = Fonts::load(&project.config.fonts, &project.root);
        let backend =
            background::backend(project.config.build.backend, &project.config, &project.root)?;
        let cache = Cache::new(&cache_dir);
        let voices = Voices::load(&project.root, cache.dir().join("tmp"))?;
        let points = crate::points::Writer::new(&project.config.points.remote)?;
        let mut workspace = Self {
            points,
            encoder: encoder_settings(&project),
            records: Records::new(&cache_dir),
            publisher: publish::for_site(&project),
            cache,
            project,
            templates,
            fonts,
            backend,
            frame_inputs: String::new(),
            lecture_inputs: String::new(),
            voices,
        };
        workspace.frame_inputs = workspace.frame_inputs()?;
        workspace.lecture_inputs = workspace.lecture_inputs();
        Ok(workspace)
    }

    /// The project this workspace was loaded with.
    pub fn project(&self) -> &Project {
        &self.project
    }

    /// The course's paths as `watch` sees them (see [`paths`]).
    pub fn paths(&self) -> Paths {
        self.project.paths(self.publisher.only_pages_are_sources())
    }

    /// Compiles the templates again (after an edit); on error the old ones stay.
    pub fn reload_templates(&mut self) -> Result<()> {
        let templates = Templates::load(&self.project.templates_dir())?;
        self.templates = templates;
        self.frame_inputs = self.frame_inputs()?;
        self.lecture_inputs = self.lecture_inputs();
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
            self.project.config.layout.max_words_per_page,
            self.project.config.layout.spotlight,
            &self.backend.id(),
        )
    }

    fn lecture_inputs(&self) -> String {
        keys::lecture_inputs(
            &self.templates.digest(|_| true),
            &self.project.config,
            &self.encoder,
            &self.voices.lexicon_digest,
        )
    }

    /// Reads one lecture as a build would (its slides, points and warnings).
    pub fn read(
        &self,
        source: &LectureSource,
    ) -> Result<content::Lecture, crate::diag::Diagnostic> {
        let mut lecture = content::load(source, &self.load_options())?;
        if let Some(writer) = &self.points {
            writer.rewrite(&mut lecture, &self.cache);
        }
        Ok(lecture)
    }

    /// Whether the lecture `slug`'s last build is complete in the output.
    fn in_place(&self, slug: &str) -> bool {
        self.publisher
            .is_built(&self.project.output_dir().join(slug))
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
            shared_front_matter: self.publisher.shares_front_matter(),
            dialect: config.build.dialect,
            prose: config.layout.prose,
        }
    }

    /// The lectures of the course's content folder; what is worth telling about the rest goes
    /// to `reporter` (notes in a format not read, a host site with no lecture marked).
    pub fn discover(&self, reporter: &dyn Reporter) -> Result<Vec<LectureSource>> {
        let project = &self.project;
        let output = project.output_dir();
        let made: Vec<PathBuf> = self
            .records
            .slugs()
            .iter()
            .map(|s| output.join(s))
            .collect();
        let selection = self.publisher.selection(project, &made);
        let found = content::discover(&project.content_dir(), &project.root, &selection)?;
        for notice in &found.notices {
            reporter.warning(notice);
        }
        Ok(found.lectures)
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
        check_output_location(
            &project.root,
            &project.content_dir(),
            &output,
            self.publisher.output_among_pages(),
        )?;
        reporter.lectures(sources.len());
        std::fs::create_dir_all(&output)
            .with_context(|| format!("creating {}", output.display()))?;
        remove_stale_temps(&output);

        let (prefetch_failed, prefetched) = self.prefetch(sources, scope, reporter);
        let run = Run {
            ws: self,
            reporter,
            prefetch_failed,
            prefetched,
            counts: Counts::default(),
            said: Default::default(),
            voices: Default::default(),
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
            match run.lecture(source, &previous) {
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
        let handout = run.course_handout(&entries);
        self.publisher
            .course(&self.templates, project, &entries, handout.as_deref())?;
        crate::media::save_digests(self.cache.dir());
        summary.entries = entries;
        run.counts.add_to(&mut summary);
        summary.voices = run.voices.into_inner().unwrap_or_default();
        summary.seconds = started.elapsed().as_secs_f64();
        Ok(summary)
    }
}

/// Builds every lecture of the course. Fails only when nothing can be built (bad templates, no
/// content folder, unwritable output); a failing lecture is reported and counted in
/// [`Summary::failed`].
pub fn build(project: &Project, reporter: &dyn Reporter) -> Result<Summary> {
    let workspace = Workspace::load(project.clone())?;
    let sources = workspace.discover(reporter)?;
    workspace.build(&sources, &Scope::All, reporter)
}

/// Refuses an output folder that would overwrite the notes or the course itself; only a
/// publisher whose media lie among the pages may put it inside the content folder.
fn check_output_location(
    root: &Path,
    content: &Path,
    output: &Path,
    among_pages: bool,
) -> Result<()> {
    let canon = |p: &Path| p.canonicalize().unwrap_or_else(|_| p.to_path_buf());
    let (root, content, output) = (canon(root), canon(content), canon(output));
    if output == root
        || content.starts_with(&output)
        || (!among_pages && output.starts_with(&content))
    {
        bail!(
            "output folder {} overlaps the course or its content folder: choose another --out",
            output.display()
        );
    }
    Ok(())
}

/// What one build counts as it goes, from every slide thread.
#[derive(Default)]
struct Counts {
    backgrounds_generated: AtomicUsize,
    backgrounds_cached: AtomicUsize,
    encoded: AtomicUsize,
    encoded_cached: AtomicUsize,
    muxed: AtomicUsize,
    rendered: AtomicUsize,
    reused: AtomicUsize,
    spoken: AtomicUsize,
    warnings: AtomicUsize,
}

impl Counts {
    fn add_to(self, summary: &mut Summary) {
        summary.backgrounds_generated = self.backgrounds_generated.into_inner();
        summary.backgrounds_cached = self.backgrounds_cached.into_inner();
        summary.encoded = self.encoded.into_inner();
        summary.encoded_cached = self.encoded_cached.into_inner();
        summary.muxed = self.muxed.into_inner();
        summary.rendered = self.rendered.into_inner();
        summary.reused = self.reused.into_inner();
        summary.spoken = self.spoken.into_inner();
        summary.warnings = self.warnings.into_inner();
    }
}

/// One build of a workspace: what its lectures share (the reporter, the counters and the
/// backgrounds asked for up front).
struct Run<'a> {
    ws: &'a Workspace,
    reporter: &'a dyn Reporter,
    /// Backgrounds asked for up front that failed, by key, with why: their slides fail
    /// without asking again.
    prefetch_failed: std::collections::HashMap<String, String>,
    /// Backgrounds made up front (counted as made, not as cached, when their slide takes them).
    prefetched: std::collections::HashSet<String>,
    counts: Counts,
    /// Warnings said in this build.
    said: std::sync::Mutex<std::collections::HashSet<String>>,
    /// The voice of each language spoken in this build.
    voices: std::sync::Mutex<BTreeMap<String, String>>,
}

impl Run<'_> {
    /// Reports a warning, once per build: the same message for the same place (a title on
    /// every page of a slide that continues) is said once.
    fn warn(&self, message: &str) {
        let new = self
            .said
            .lock()
            .map_or(true, |mut said| said.insert(message.to_string()));
        if new {
            self.counts.warnings.fetch_add(1, Ordering::Relaxed);
            self.reporter.warning(message);
        }
    }

    /// Load -> slides -> assemble -> publish.
    fn lecture(&self, source: &LectureSource, previous: &LectureRecord) -> Result<Built> {
        let lecture = self.ws.read(source)?;
        for w in &lecture.warnings {
            self.warn(w);
        }
        self.reporter
            .lecture_started(&lecture.meta.title, lecture.slides.len());
        let out_dir = self.ws.project.output_dir().join(&source.slug);
        std::fs::create_dir_all(out_dir.join("slides"))
            .with_context(|| format!("creating {}", out_dir.display()))?;
        remove_stale_temps(&out_dir);
        remove_stale_temps(&out_dir.join("slides"));

        let ws = self.ws;
        let keys: Vec<String> = lecture
            .slides
            .iter()
            .map(|slide| keys::slide(&ws.frame_inputs, &ws.project.root, &lecture.meta, slide))
            .collect();
        let voice = ws
            .voices
            .of(&lecture, &ws.project.config.narration, &|message| {
                self.warn(message)
            })?;
        if let (Some(voice), Ok(mut voices)) = (voice, self.voices.lock()) {
            voices.insert(lecture.meta.lang.clone(), voice.name());
        }
        let key = keys::lecture(
            &ws.lecture_inputs,
            &ws.project.root,
            &lecture,
            &keys,
            voice.map(|v| v.id()).as_deref(),
        );
        if let Some(built) = self.unchanged(&key, previous, &out_dir) {
            return Ok(built);
        }
        let narrator = voice.map(|voice| Narrator {
            voice,
            lexicon: &ws.voices.lexicon,
            cache: &ws.cache,
            config: &ws.project.config.narration,
        });
        let slides = self.slides(&lecture, &keys, narrator.as_ref(), &out_dir, previous)?;
        let assembled = self.assemble(&lecture, &slides, narrator.as_ref(), &out_dir)?;
        self.publish(&lecture, &slides, assembled, &out_dir, key)
    }

    /// The last build of a lecture whose key is `key` again, when its files are all in place:
    /// nothing to speak, mux or write (its warnings are said again).
    fn unchanged(&self, key: &str, previous: &LectureRecord, out_dir: &Path) -> Option<Built> {
        let made = previous.made.as_ref().filter(|m| m.key == key)?;
        let entry = previous.entry.clone()?;
        let in_place = self.ws.publisher.is_built(out_dir)
            && (!made.narrated || out_dir.join(crate::site::CAPTIONS).is_file())
            && previous
                .slides
                .iter()
                .flat_map(|s| &s.pages)
                .all(|page| out_dir.join(&page.image).is_file());
        if !in_place {
            return None;
        }
        for warning in previous.slides.iter().flat_map(|s| &s.warnings) {
            self.warn(warning);
        }
        for warning in &made.warnings {
            self.warn(warning);
        }
        self.counts
            .reused
            .fetch_add(previous.slides.len(), Ordering::Relaxed);
        Some(Built {
            entry,
            pages: made.pages,
            rendered: Vec::new(),
            deps: previous.deps.clone(),
            narrated: made.narrated,
        })
    }
}
