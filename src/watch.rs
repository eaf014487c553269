//! Watch: turns file-system events into the smallest rebuild.
//!
//! In: changed paths (from notify, native or polling). Out: a [`Batch`] of classified
//! [`Change`]s that says what to reload (config, templates, fonts) and which lectures to build
//! ([`Batch::scope`]). Classification is pure so it is tested without a file system; [`Watcher`]
//! is the thin part that talks to notify and waits out bursts of saves.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::mpsc::{channel, Receiver, RecvTimeoutError};
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use notify::{RecursiveMode, Watcher as _};

use crate::pipeline::Scope;
use crate::project::{canonical, Paths};

/// What one changed path means for the build.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum Change {
    /// `lecturegen.toml` or `lexicon.toml`: re-read the configuration and re-plan everything
    /// (only what the change touches is made again).
    Config,
    /// A template, by file name: recompile templates; slides redraw only if `slide.toml` changed.
    Template(String),
    /// A font file: reload fonts; slides redraw.
    Font,
    /// Notes, pictures and folders under the content folder, or a file elsewhere in the course
    /// that a lecture read in the last build: the lectures it touches.
    Content(PathBuf),
}

/// Editor scratch files and hidden files: swap files, backups, autosaves, our own temp files.
fn is_scratch(name: &str) -> bool {
    name.starts_with('.')
        || name.ends_with('~')
        || (name.starts_with('#') && name.ends_with('#'))
        || [".swp", ".swo", ".swx", ".tmp", ".bak", ".part", ".crdownload"]
            .iter()
            .any(|ext| name.ends_with(ext))
        // vim probes a folder by creating "4913" (and 5036, ...) before it saves.
        || (!name.is_empty() && name.len() <= 5 && name.bytes().all(|b| b.is_ascii_digit()))
}

/// What `path` means, or `None` when the build does not read it (output, cache, scratch files,
/// hidden folders, anything outside the course, and any file in the course that no lecture
/// reads: a log file written beside the notes must not trigger a rebuild that writes the log).
fn classify(path: &Path, layout: &Paths) -> Option<Change> {
    if path == layout.config || path == layout.lexicon {
        return Some(Change::Config);
    }
    let rel = path.strip_prefix(&layout.root).ok()?;
    // The output is written by the build, but a host site's media folder may hold its pages
    // too (Jekyll's `lectures/`): a page there is a source, anything else is the build's own.
    let page_in_output = layout.pages_only && crate::content::is_page(path);
    if (path.starts_with(&layout.output) && !page_in_output)
        || path.starts_with(&layout.cache)
        || layout.ignored.iter().any(|d| path.starts_with(d))
    {
        return None;
    }
    let hidden = rel.components().any(|c| {
        let name = c.as_os_str().to_string_lossy();
        name.starts_with('.') && name != "."
    });
    let name = path.file_name()?.to_string_lossy();
    if hidden || is_scratch(&name) {
        return None;
    }
    if path.starts_with(&layout.templates) {
        return Some(Change::Template(
            path.strip_prefix(&layout.templates)
                .unwrap_or(path)
                .to_string_lossy()
                .into_owned(),
        ));
    }
    if layout.fonts.iter().any(|f| path.starts_with(f)) {
        return Some(Change::Font);
    }
    let page = !layout.pages_only || crate::content::is_page(path);
    ((page && path.starts_with(&layout.content)) || layout.reads.contains(path))
        .then(|| Change::Content(path.to_path_buf()))
}

/// The classified changes of one burst of events.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Batch {
    /// Each change once.
    pub changes: BTreeSet<Change>,
}

impl Batch {
    /// Classifies `paths`, dropping the ones the build does not read.
    pub fn of<'a>(paths: impl IntoIterator<Item = &'a Path>, layout: &Paths) -> Self {
        Self {
            changes: paths
                .into_iter()
                .filter_map(|p| classify(p, layout))
                .collect(),
        }
    }

    /// Nothing the build reads changed.
    pub fn is_empty(&self) -> bool {
        self.changes.is_empty()
    }

    /// The configuration changed.
    pub fn config(&self) -> bool {
        self.changes.contains(&Change::Config)
    }

    /// Some template changed.
    pub fn templates(&self) -> bool {
        self.changes
            .iter()
            .any(|c| matches!(c, Change::Template(_)))
    }

    /// Some font changed.
    pub fn fonts(&self) -> bool {
        self.changes.contains(&Change::Font)
    }

    /// Which lectures to build: all after a config, template or font change (unchanged slides
    /// are still reused by key), else those the changed files touch.
    pub fn scope(&self) -> Scope {
        if self.config() || self.templates() || self.fonts() {
            return Scope::All;
        }
        Scope::Touching(
            self.changes
                .iter()
                .filter_map(|c| match c {
                    Change::Content(p) => Some(p.clone()),
                    _ => None,
                })
                .collect(),
        )
    }

    /// A short account for the status line: `content/01-intro.md, templates/slide.toml`.
    pub fn describe(&self, layout: &Paths) -> String {
        let names: Vec<String> = self
            .changes
            .iter()
            // Editors' and tools' short-lived files with no extension (sed -i's `sedXXXXXX`).
            .filter(|c| match c {
                Change::Content(p) => p.exists() || p.extension().is_some(),
                _ => true,
            })
            .map(|c| match c {
                Change::Config => crate::config::FILE_NAME.to_string(),
                Change::Template(name) if name.is_empty() => "templates/".to_string(),
                Change::Template(name) => format!("template {name}"),
                Change::Font => "fonts".to_string(),
                Change::Content(p) => p
                    .strip_prefix(&layout.root)
                    .unwrap_or(p)
                    .display()
                    .to_string(),
            })
            .collect();
        match names.len() {
            0..=3 => names.join(", "),
            n => format!("{} and {} more", names[..2].join(", "), n - 2),
        }
    }
}

/// How to wait for changes.
#[derive(Debug, Clone, Copy)]
pub struct WatchOptions {
    /// Poll the file system instead of native events (network and container file systems).
    pub poll: bool,
    /// Polling interval.
    pub interval: Duration,
    /// A burst of events ends after this long without one.
    pub quiet: Duration,
    /// A burst never delays a rebuild longer than this.
    pub max_wait: Duration,
}

impl Default for WatchOptions {
    fn default() -> Self {
        Self {
            poll: false,
            interval: Duration::from_millis(250),
            quiet: Duration::from_millis(30),
            max_wait: Duration::from_millis(500),
        }
    }
}

/// Watches a course and hands out bursts of changed paths.
pub struct Watcher {
    // Kept alive: dropping it stops the events.
    inner: Box<dyn notify::Watcher + Send>,
    events: Receiver<notify::Result<notify::Event>>,
    layout: Paths,
    options: WatchOptions,
    watched: BTreeSet<PathBuf>,
}

impl Watcher {
    /// Starts watching the course of `layout`: its folder itself, and each folder in it
    /// (recursively) except the output, the cache and hidden folders, so the build's own writes
    /// cost nothing.
    pub fn start(layout: Paths, options: WatchOptions) -> Result<Self> {
        let (tx, events) = channel();
        let inner: Box<dyn notify::Watcher + Send> = if options.poll {
            // Compare contents too: notify's poller keeps whole-second modification times, so
            // an edit in the same second as the last scan would otherwise go unseen.
            let config = notify::Config::default()
                .with_poll_interval(options.interval)
                .with_compare_contents(true);
            Box::new(notify::PollWatcher::new(tx, config).context("starting the poll watcher")?)
        } else {
            Box::new(
                notify::RecommendedWatcher::new(tx, notify::Config::default())
                    .context("starting the file watcher (try --poll)")?,
            )
        };
        let mut watcher = Self {
            inner,
            events,
            layout,
            options,
            watched: BTreeSet::new(),
        };
        let root = watcher.layout.root.clone();
        watcher
            .inner
            .watch(&root, RecursiveMode::NonRecursive)
            .with_context(|| format!("watching {}", root.display()))?;
        watcher.watch_children()?;
        Ok(watcher)
    }

    /// The paths being watched.
    pub fn layout(&self) -> &Paths {
        &self.layout
    }

    /// Replaces the files outside the content folder that the lectures read (after a build).
    pub fn set_reads(&mut self, reads: BTreeSet<PathBuf>) {
        self.layout.reads = reads;
    }

    fn watch_children(&mut self) -> Result<()> {
        let root = self.layout.root.clone();
        let entries =
            std::fs::read_dir(&root).with_context(|| format!("reading {}", root.display()))?;
        for entry in entries.flatten() {
            let path = entry.path();
            let name = entry.file_name().to_string_lossy().into_owned();
            let skip = !path.is_dir()
                || name.starts_with('.')
                // A host site's media folder may hold its pages too (see `classify`).
                || (canonical(&path) == self.layout.output && !self.layout.pages_only)
                || canonical(&path) == self.layout.cache
                || self.layout.ignored.contains(&canonical(&path))
                || self.watched.contains(&path);
            if skip {
                continue;
            }
            match self.inner.watch(&path, RecursiveMode::Recursive) {
                Ok(()) => {
                    self.watched.insert(path);
                }
                Err(e) => tracing::warn!("cannot watch {}: {e}", path.display()),
            }
        }
        Ok(())
    }

    /// Blocks until something the build reads changes, then waits out the burst (until
    /// `quiet` passes with no event, at most `max_wait`) and returns it as one batch.
    pub fn next_batch(&mut self) -> Result<Batch> {
        loop {
            let first = self.events.recv().context("the file watcher stopped")?;
            let mut paths = paths_of(first);
            let started = Instant::now();
            loop {
                let left = self.options.max_wait.saturating_sub(started.elapsed());
                match self.events.recv_timeout(self.options.quiet.min(left)) {
                    Ok(event) => paths.extend(paths_of(event)),
                    Err(RecvTimeoutError::Timeout) => break,
                    Err(RecvTimeoutError::Disconnected) => break,
                }
                if left.is_zero() {
                    break;
                }
            }
            // A new folder at the top of the course (a lecture folder, images) gets watched.
            if paths
                .iter()
                .any(|p| p.parent() == Some(self.layout.root.as_path()))
            {
                self.watch_children()?;
            }
            let batch = Batch::of(paths.iter().map(|p| p.as_path()), &self.layout);
            if !batch.is_empty() {
                return Ok(batch);
            }
        }
    }
}

fn paths_of(event: notify::Result<notify::Event>) -> Vec<PathBuf> {
    match event {
        Ok(event) if !matches!(event.kind, notify::EventKind::Access(_)) => event.paths,
        Ok(_) => Vec::new(),
        Err(e) => {
            tracing::warn!("file watcher: {e}");
            e.paths
        }
    }
}

#[cfg(test)]
mod tests {
    use std::path::{Path, PathBuf};

    use super::*;

    fn layout() -> Paths {
        let root = PathBuf::from("/c");
        Paths {
            config: root.join("lecturegen.toml"),
            lexicon: root.join("lexicon.toml"),
            content: root.join("content"),
            templates: root.join("templates"),
            fonts: vec![root.join("fonts")],
            output: root.join("output"),
            cache: root.join(".lecturegen"),
            ignored: vec![root.join("public")],
            pages_only: false,
            reads: Default::default(),
            root,
        }
    }

    #[test]
    fn classifies_each_kind_of_path() {
        let l = layout();
        let c = |p: &str| classify(Path::new(p), &l);
        assert_eq!(c("/c/lecturegen.toml"), Some(Change::Config));
        assert_eq!(c("/c/lexicon.toml"), Some(Change::Config));
        // A host site whose pages are at its root (Jekyll, Quarto): its build folder is not read.
        let host = Paths {
            content: PathBuf::from("/c"),
            pages_only: true,
            ..layout()
        };
        assert_eq!(classify(Path::new("/c/public/index.html"), &host), None);
        assert!(classify(Path::new("/c/about.md"), &host).is_some());
        // Only pages and what lectures read: the host's own files are not sources.
        assert_eq!(classify(Path::new("/c/_config.yml"), &host), None);
        assert_eq!(classify(Path::new("/c/assets/site.css"), &host), None);
        assert!(classify(Path::new("/c/notes/x.qmd"), &host).is_some());
        assert_eq!(
            c("/c/templates/slide.toml"),
            Some(Change::Template("slide.toml".into()))
        );
        assert_eq!(c("/c/fonts/Noto.ttf"), Some(Change::Font));
        assert_eq!(
            c("/c/content/01-a.md"),
            Some(Change::Content("/c/content/01-a.md".into()))
        );
        assert_eq!(
            c("/c/content/02-deck/figure.png"),
            Some(Change::Content("/c/content/02-deck/figure.png".into()))
        );
        // The build's own writes, hidden folders and anything outside the course.
        for ignored in [
            "/c/output/01-a/lecture.mp4",
            "/c/output/index.html",
            "/c/.lecturegen/cache/slides/ab/abcd",
            "/c/.git/index",
            "/c/content/.hidden/a.md",
            "/elsewhere/a.md",
            "/c/templates/.slide.toml.swp",
        ] {
            assert_eq!(c(ignored), None, "{ignored}");
        }
    }

    #[test]
    fn editor_scratch_files_are_ignored() {
        for name in [
            ".01-a.md.swp",
            "01-a.md.swp",
            "01-a.md.swx",
            "01-a.md~",
            "#01-a.md#",
            ".#01-a.md",
            "4913",
            "01-a.md.tmp",
            ".lecturegen-tmp-12-0-lecture.mp4",
        ] {
            assert!(is_scratch(name), "{name}");
            let path = format!("/c/content/{name}");
            assert_eq!(classify(Path::new(&path), &layout()), None, "{name}");
        }
        for name in ["01-a.md", "figure.png", "2024-notes.md", "index.md"] {
            assert!(!is_scratch(name), "{name}");
        }
    }

    #[test]
    fn a_batch_scopes_the_rebuild() {
        let l = layout();
        let batch = |paths: &[&str]| Batch::of(paths.iter().map(Path::new), &l);
        // A burst of saves of one file (write, rename, chmod) is one change.
        let notes = batch(&[
            "/c/content/01-a.md",
            "/c/content/.01-a.md.swp",
            "/c/content/01-a.md~",
            "/c/content/01-a.md",
        ]);
        assert_eq!(notes.changes.len(), 1);
        assert_eq!(
            notes.scope(),
            Scope::Touching([PathBuf::from("/c/content/01-a.md")].into())
        );
        assert!(!notes.config() && !notes.templates() && !notes.fonts());
        // Config, templates and fonts re-plan every lecture (unchanged slides are still reused).
        assert_eq!(batch(&["/c/lecturegen.toml"]).scope(), Scope::All);
        assert_eq!(batch(&["/c/templates/lecture.html"]).scope(), Scope::All);
        assert_eq!(batch(&["/c/fonts/a.otf"]).scope(), Scope::All);
        // Only ignored paths: nothing to do.
        assert!(batch(&["/c/output/x", "/c/content/4913"]).is_empty());
        assert_eq!(
            batch(&["/c/content/01-a.md", "/c/templates/slide.toml"]).describe(&l),
            "template slide.toml, content/01-a.md"
        );
    }

    #[test]
    fn files_the_build_does_not_read_are_not_sources() {
        let l = layout();
        for unread in ["/c/watch.log", "/c/notes/todo.txt", "/c/images/unused.png"] {
            assert_eq!(classify(Path::new(unread), &l), None, "{unread}");
        }
        let mut reading = layout();
        reading.reads.insert("/c/images/figure.png".into());
        assert_eq!(
            classify(Path::new("/c/images/figure.png"), &reading),
            Some(Change::Content("/c/images/figure.png".into()))
        );
    }

    /// In a host site whose media folder holds pages (Jekyll's `lectures/`), a page there is a
    /// source and what the build writes there is not.
    #[test]
    fn pages_in_a_host_sites_media_folder_are_sources() {
        let host = Paths {
            content: PathBuf::from("/c"),
            output: PathBuf::from("/c/lectures"),
            pages_only: true,
            ..layout()
        };
        assert_eq!(
            classify(Path::new("/c/lectures/shell.md"), &host),
            Some(Change::Content("/c/lectures/shell.md".into()))
        );
        for written in [
            "/c/lectures/lectures-shell/lecture.mp4",
            "/c/lectures/lecturegen.js",
        ] {
            assert_eq!(classify(Path::new(written), &host), None, "{written}");
        }
        // Lecturegen's own site writes pages of its own in its output: none is a source.
        assert_eq!(classify(Path::new("/c/output/a/notes.md"), &layout()), None);
    }
}
