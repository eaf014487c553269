//! A course on disk: its root folder, its configuration, and where everything is.
//!
//! In: the course root and the resolved [`Config`] (file + command line). Out: the folders the
//! build reads and writes, and paths as the user sees them (relative to the root). `build` and
//! `watch` both take their paths from here, so they always agree on what belongs to the course.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use crate::config::Config;

/// A course root and its resolved configuration.
#[derive(Debug, Clone)]
pub struct Project {
    /// The course folder.
    pub root: PathBuf,
    /// Configuration with command-line overrides applied.
    pub config: Config,
}

impl Project {
    /// `path` resolved against the course root (absolute paths stay as they are).
    pub fn resolve(&self, path: &Path) -> PathBuf {
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

    /// The folder the site is written to: lecturegen's own site, or a host site's media.
    pub fn output_dir(&self) -> PathBuf {
        match self.config.site.media_dir() {
            Some(media) => self.resolve(&media),
            None => self.resolve(&self.config.build.output_dir),
        }
    }

    /// Where `lectures.json` goes: a host site's data folder (own site: none).
    pub fn data_dir(&self) -> Option<PathBuf> {
        self.config.site.data_dir().map(|d| self.resolve(&d))
    }

    /// The cache folder.
    pub fn cache_dir(&self) -> PathBuf {
        self.resolve(&self.config.build.cache_dir)
    }

    /// The folder of template overrides.
    pub fn templates_dir(&self) -> PathBuf {
        self.resolve(&self.config.build.templates_dir)
    }

    /// Folders of a host site that lecturegen never reads: the generator's own output and
    /// caches. (Its data and media folders may hold pages too: only what lecturegen writes
    /// there is left alone.)
    pub fn ignored(&self) -> Vec<PathBuf> {
        self.config
            .site
            .generator
            .build_dirs()
            .iter()
            .map(PathBuf::from)
            .collect()
    }

    /// The course's paths, with symlinks resolved where the folders exist (for `watch`);
    /// `pages_only`: in the notes folder only pages are sources (see [`Paths::pages_only`]).
    pub fn paths(&self, pages_only: bool) -> Paths {
        let root = canonical(&self.root);
        let rooted = |p: &Path| canonical(&root.join(p));
        Paths {
            config: root.join(crate::config::FILE_NAME),
            lexicon: root.join(crate::narration::lexicon::FILE_NAME),
            content: rooted(&self.config.build.content_dir),
            templates: rooted(&self.config.build.templates_dir),
            fonts: self.config.fonts.dirs.iter().map(|d| rooted(d)).collect(),
            output: canonical(&self.output_dir()),
            cache: rooted(&self.config.build.cache_dir),
            ignored: self.ignored().iter().map(|d| rooted(d)).collect(),
            pages_only,
            reads: BTreeSet::new(),
            root,
        }
    }
}

/// Where things are in a course, as absolute paths, and which other files its lectures read.
#[derive(Debug, Clone, PartialEq)]
pub struct Paths {
    /// The course folder.
    pub root: PathBuf,
    /// `lecturegen.toml`.
    pub config: PathBuf,
    /// `lexicon.toml`, the narration's pronunciations.
    pub lexicon: PathBuf,
    /// The lecture notes.
    pub content: PathBuf,
    /// Template overrides.
    pub templates: PathBuf,
    /// Extra font folders.
    pub fonts: Vec<PathBuf>,
    /// Where the site is written: never a source of changes.
    pub output: PathBuf,
    /// The cache: never a source of changes.
    pub cache: PathBuf,
    /// A host site's build output, caches and data folder: never a source of changes.
    pub ignored: Vec<PathBuf>,
    /// In the notes folder only pages (`.md`, `.markdown`, `.qmd`) and the files lectures read
    /// are sources; the rest (stylesheets, the host's config, its scratch files) belongs to the
    /// site's generator (a host site's publisher says so).
    pub pages_only: bool,
    /// Files outside the content folder that the last build read (pictures the notes show
    /// from elsewhere in the course). Every other file outside the folders above is not read.
    pub reads: BTreeSet<PathBuf>,
}

/// `path` with symlinks resolved, or as it is when it does not exist.
pub fn canonical(path: &Path) -> PathBuf {
    path.canonicalize().unwrap_or_else(|_| path.to_path_buf())
}

/// `path` relative to `root` with `/` separators, as stable keys and messages show it; a path
/// outside `root` stays absolute.
pub fn relative(path: &Path, root: &Path) -> String {
    match path.strip_prefix(root) {
        Ok(rel) => rel
            .components()
            .map(|c| c.as_os_str().to_string_lossy())
            .collect::<Vec<_>>()
            .join("/"),
        Err(_) => path.display().to_string(),
    }
}
