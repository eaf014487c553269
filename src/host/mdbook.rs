//! The mdBook preprocessor, `lecturegen mdbook`.
//!
//! mdBook first asks `lecturegen mdbook supports RENDERER` (exit 0 only for `html`: the player
//! is HTML), then writes `[context, book]` as JSON to stdin and reads the book back from stdout.
//! A chapter with a `{{#lecture}}` line is a lecture: it is built from its file under `src/`
//! like any note, its media go to `src/lectures/` (copied into `book/` by the HTML renderer,
//! ignored by `mdbook serve`'s watcher through `.gitignore`), and the line becomes the player.
//!
//! mdBook 0.5 renamed the book's `sections` to `items`, which broke preprocessors that parse the
//! book into the `mdbook` crate's types. This one edits the JSON as it is: it reads either shape,
//! changes only the `content` of chapters with a marker line (in `sub_items` too), and writes
//! back everything else as it read it.
//!
//! `mdbook serve` runs preprocessors on every rebuild, so a call that finds nothing changed (the
//! notes, configuration, templates, fonts and every file the lectures read have the digests of
//! the last build, and its media are in place) answers from `<cache>/mdbook.json` without
//! loading the workspace.

use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::config::{Config, Generator};
use crate::content::{self, is_marker_line, LectureSource};
use crate::fsutil::write_if_changed;
use crate::pipeline::publish::{self, Publisher};
use crate::pipeline::{Scope, Workspace};
use crate::project::Project;
use crate::report::Reporter;
use crate::site::{self, IndexEntry};
use crate::templates::Templates;

/// Whether the preprocessor runs for `renderer`.
pub fn supports(renderer: &str) -> bool {
    renderer == "html"
}

/// mdBook versions whose JSON this was tested with (`major.minor.`).
const TESTED: [&str; 2] = ["0.4.", "0.5."];

/// What a call did.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Outcome {
    /// The book, as JSON, for stdout.
    pub book: Vec<u8>,
    /// Chapters whose marker became a player.
    pub players: usize,
    /// Nothing changed since the last call: nothing was loaded or built.
    pub unchanged: bool,
    /// Lectures that failed to build (reported through the reporter).
    pub failed: usize,
}

/// What the last call built, to answer the next one without building.
#[derive(Debug, Default, Serialize, Deserialize)]
struct Stamp {
    /// Digest of everything the build read (see [`inputs_key`]).
    key: String,
    /// Files outside the notes that the lectures read.
    reads: Vec<PathBuf>,
    /// What each lecture published.
    entries: Vec<IndexEntry>,
}

/// Runs the preprocessor on mdBook's `[context, book]` JSON.
pub fn preprocess(input: &[u8], reporter: &dyn Reporter) -> Result<Outcome> {
    let value: Value =
        serde_json::from_slice(input).context("reading mdBook's [context, book] JSON")?;
    let Value::Array(mut pair) = value else {
        bail!("mdBook's input is not a [context, book] array");
    };
    if pair.len() != 2 {
        bail!(
            "mdBook's input has {} elements, not [context, book]",
            pair.len()
        );
    }
    let mut book = pair.pop().unwrap_or_default();
    let context = pair.pop().unwrap_or_default();
    let version = context["mdbook_version"].as_str().unwrap_or("unknown");
    if !TESTED.iter().any(|t| version.starts_with(t)) {
        reporter.warning(&format!(
            "lecturegen was tested with mdBook 0.4 and 0.5, not {version}; if the book comes \
             out wrong, please say so"
        ));
    }
    let root = context["root"]
        .as_str()
        .map(PathBuf::from)
        .context("mdBook's context has no `root`")?;
    let project = project(&root, context["config"]["book"]["src"].as_str())?;
    let content_dir = project.content_dir();

    let mut sources = Vec::new();
    for_each_chapter(&mut book, &mut |chapter| {
        let content = chapter["content"].as_str().unwrap_or_default();
        if !content.lines().any(is_marker_line) {
            return;
        }
        if let Some(path) = chapter["source_path"].as_str() {
            let file = content_dir.join(path);
            sources.push(content::marked_source(&content_dir, &project.root, &file));
        }
    });
    let (entries, failed, unchanged) = build(&project, &sources, reporter)?;
    let templates = Templates::load(&project.templates_dir())?;
    let media_url = project.config.site.media_url();
    let mut players = 0;
    let mut failure = None;
    for_each_chapter(&mut book, &mut |chapter| {
        let Some(content) = chapter["content"].as_str() else {
            return;
        };
        if !content.lines().any(is_marker_line) {
            return;
        }
        let slug = chapter["source_path"].as_str().map(|p| {
            content::marked_source(&content_dir, &project.root, &content_dir.join(p)).slug
        });
        let entry = slug.and_then(|slug| entries.iter().find(|e| e.slug == slug));
        // The chapter's page is `path` with `.html`: one `../` per folder above it.
        let depth = chapter["path"]
            .as_str()
            .map_or(0, |p| Path::new(p).components().count().saturating_sub(1));
        let html = match entry {
            Some(entry) => match site::player(
                &templates,
                entry,
                &format!("{}{media_url}", "../".repeat(depth)),
            ) {
                Ok(html) => html,
                Err(e) => {
                    failure.get_or_insert(e);
                    return;
                }
            },
            None => "<p class=\"lecturegen-missing\"><em>This page's lecture video could not be \
                     built: see lecturegen's messages in the build log.</em></p>\n"
                .into(),
        };
        let replaced = replace_markers(content, &html);
        chapter["content"] = Value::String(replaced);
        players += usize::from(entry.is_some());
    });
    if let Some(e) = failure {
        return Err(e);
    }
    Ok(Outcome {
        book: serde_json::to_vec(&book)?,
        players,
        unchanged,
        failed,
    })
}

/// What each lecture of `sources` published, how many failed, and whether nothing changed
/// since the last call (then nothing is loaded or built: the last call's entries answer).
fn build(
    project: &Project,
    sources: &[LectureSource],
    reporter: &dyn Reporter,
) -> Result<(Vec<IndexEntry>, usize, bool)> {
    let cache_dir = project.cache_dir();
    crate::media::load_digests(&cache_dir);
    let stamp_file = cache_dir.join("mdbook.json");
    let last: Stamp = std::fs::read(&stamp_file)
        .ok()
        .and_then(|b| serde_json::from_slice(&b).ok())
        .unwrap_or_default();
    let publisher = publish::HostSite::of(project);
    let in_place = |entries: &[IndexEntry]| {
        sources.iter().all(|s| {
            entries.iter().any(|e| e.slug == s.slug)
                && publisher.is_built(&project.output_dir().join(&s.slug))
        })
    };
    let unchanged = !last.key.is_empty()
        && inputs_key(project, sources, &last.reads) == last.key
        && in_place(&last.entries);
    if unchanged {
        return Ok((last.entries, 0, true));
    }
    let workspace = Workspace::load(project.clone())?;
    let summary = workspace.build(sources, &Scope::All, reporter)?;
    let reads: Vec<PathBuf> = summary.reads.iter().cloned().collect();
    let stamp = Stamp {
        key: inputs_key(project, sources, &reads),
        reads,
        entries: summary.entries,
    };
    std::fs::create_dir_all(&cache_dir)
        .with_context(|| format!("creating {}", cache_dir.display()))?;
    if summary.failed == 0 {
        write_if_changed(&stamp_file, &serde_json::to_vec(&stamp)?)?;
    } else {
        // A lecture that failed is built (and its error shown) again on the next call.
        let _ = std::fs::remove_file(&stamp_file);
    }
    crate::media::save_digests(&cache_dir);
    Ok((stamp.entries, summary.failed, false))
}

/// The project of the book at `root`: its `lecturegen.toml` (which must say `generator =
/// "mdbook"`), or mdBook's defaults when there is none. `src` is `book.src` of book.toml.
fn project(root: &Path, src: Option<&str>) -> Result<Project> {
    let file = root.join(crate::config::FILE_NAME);
    let mut config = if file.is_file() {
        Config::load(root)?
    } else {
        Config::parse("[site]\ngenerator = \"mdbook\"\n")?
    };
    if config.site.generator != Generator::Mdbook {
        bail!(
            "{} says generator = \"{}\"; the mdBook preprocessor needs \"mdbook\" (run \
             `lecturegen integrate mdbook`)",
            file.display(),
            config.site.generator
        );
    }
    if let Some(src) = src.filter(|s| *s != "src") {
        // book.toml moved the sources: the notes and the media folder follow them.
        if config.build.content_dir == Path::new("src") {
            config.build.content_dir = src.into();
        }
        if config.site.media_dir.is_none() {
            config.site.media_dir = Some(Path::new(src).join("lectures"));
        }
        if config.site.data_dir.is_none() {
            config.site.data_dir = Some(Path::new(src).join("lectures"));
        }
    }
    Ok(Project {
        root: root.to_path_buf(),
        config,
    })
}

/// Calls `f` on every chapter object of the book, in `items` (0.5) or `sections` (0.4), and in
/// their `sub_items`.
fn for_each_chapter(book: &mut Value, f: &mut dyn FnMut(&mut Value)) {
    fn walk(items: &mut Value, f: &mut dyn FnMut(&mut Value)) {
        let Some(items) = items.as_array_mut() else {
            return;
        };
        for item in items {
            if let Some(chapter) = item.get_mut("Chapter") {
                f(chapter);
                if let Some(sub) = chapter.get_mut("sub_items") {
                    walk(sub, f);
                }
            }
        }
    }
    for key in ["items", "sections"] {
        if let Some(items) = book.get_mut(key) {
            walk(items, f);
        }
    }
}

/// `content` with each marker line replaced by `html`, set apart by blank lines so markdown
/// reads it as one HTML block.
fn replace_markers(content: &str, html: &str) -> String {
    content
        .split_inclusive('\n')
        .map(|line| {
            if is_marker_line(line) {
                format!("\n{html}\n")
            } else {
                line.to_string()
            }
        })
        .collect()
}

/// A digest of everything a build of `sources` reads: lecturegen's version, the configuration
/// and lexicon, the templates and fonts folders, each note and each file in `reads`.
fn inputs_key(project: &Project, sources: &[LectureSource], reads: &[PathBuf]) -> String {
    let mut key = crate::cache::Key::new("mdbook-inputs");
    key.add_str(env!("CARGO_PKG_VERSION"));
    let paths = project.paths(true);
    for file in [&paths.config, &paths.lexicon] {
        key.add_str(&std::fs::read_to_string(file).unwrap_or_default());
    }
    for dir in std::iter::once(&paths.templates).chain(&paths.fonts) {
        for entry in walkdir::WalkDir::new(dir)
            .sort_by_file_name()
            .into_iter()
            .flatten()
        {
            let stamp = entry
                .metadata()
                .ok()
                .map(|m| (m.len(), m.modified().ok()))
                .unwrap_or_default();
            key.add_str(&format!("{}:{stamp:?}", entry.path().display()));
        }
    }
    for source in sources {
        key.add_str(&source.slug);
        key.add_str(&std::fs::read(&source.file).map_or_else(
            |e| format!("unreadable: {e}"),
            |bytes| crate::cache::digest(&bytes),
        ));
    }
    for file in reads {
        key.add_str(&file.display().to_string());
        key.add_str(&crate::media::digest(file).unwrap_or_else(|e| format!("{e}")));
    }
    key.hex()
}
