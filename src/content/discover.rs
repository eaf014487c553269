//! Discovery: which files under `content/` are lectures, and their output names.

use std::path::{Path, PathBuf};

use super::LectureSource;

/// What discovery found: the lectures, and what is worth telling about the rest (notes in a
/// format lecturegen does not read; a host site where no page is marked as a lecture).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Found {
    /// The lectures, sorted by path.
    pub lectures: Vec<LectureSource>,
    /// Messages for the user, each naming the files it is about.
    pub notices: Vec<String>,
}

/// Extensions of notes lecturegen does not read, though a teacher may expect it to (R
/// Markdown, Jupyter, reStructuredText, AsciiDoc).
const UNREAD_NOTES: [&str; 5] = ["rmd", "ipynb", "rst", "adoc", "asciidoc"];

/// Which markdown files under the content folder are lectures.
#[derive(Debug, Clone, Default, PartialEq)]
pub enum Selection {
    /// Every markdown file: lecturegen's own course.
    #[default]
    All,
    /// The pages of a host site that are marked as lectures: `lecture: true` in the front
    /// matter, or (mdBook) a `{{#lecture}}` line, wherever they are. Folders in `skip` (the
    /// host's output and caches, the folders lecturegen made for its lectures) and hidden
    /// folders are not looked into.
    Marked {
        /// Absolute folders never looked into.
        skip: Vec<PathBuf>,
    },
}

/// Whether `path` names a page a host site's generator renders (`.md`, `.markdown`, `.qmd`),
/// or a remark deck in a Jekyll site (the Galaxy Training Network's `slides.html`).
pub fn is_page(path: &Path) -> bool {
    match path.extension().and_then(|e| e.to_str()) {
        Some("md" | "markdown" | "qmd") => true,
        Some("html") => is_remark_deck(path),
        _ => false,
    }
}

/// Whether an HTML file is a remark deck: one Jekyll renders (front matter whose `layout` is
/// one of the slide layouts: `tutorial_slides`, `base_slides`, `introduction_slides`, ...), or
/// remark's own page, the deck in its `<textarea id="source">` (looked for in the first 64 KiB).
fn is_remark_deck(path: &Path) -> bool {
    use std::io::Read;
    let mut head = Vec::new();
    let read = std::fs::File::open(path).and_then(|f| f.take(64 * 1024).read_to_end(&mut head));
    if read.is_err() {
        return false;
    }
    let text = String::from_utf8_lossy(&head);
    let lower = text.to_ascii_lowercase();
    if lower.contains("<textarea id=\"source\"") {
        return true;
    }
    let mut lines = text.lines();
    if lines.next().map(str::trim_end) != Some("---") {
        return false;
    }
    lines
        .take_while(|l| l.trim_end() != "---")
        .filter_map(|l| l.strip_prefix("layout:"))
        .any(|v| v.trim().trim_matches(['"', '\'']).ends_with("_slides"))
}

/// Whether a line of notes is mdBook's lecture marker, `{{#lecture}}`.
pub fn is_marker_line(line: &str) -> bool {
    let t = line.trim();
    t.strip_prefix("{{")
        .and_then(|t| t.strip_suffix("}}"))
        .is_some_and(|inner| inner.trim() == "#lecture")
}

/// Finds the lectures under `content_dir`. Sorted by path.
///
/// - [`Selection::All`]: every page (`*.md`, `*.markdown`, `*.qmd`), or `dir/index.md` (or
///   `.qmd`, `.markdown`) for a lecture with its own folder of assets (other pages inside such
///   a folder are not lectures). Hidden entries and names starting with `_` are skipped.
/// - [`Selection::Marked`]: every marked page, wherever it is (Jekyll keeps pages in
///   `_posts/`; `dir/index.md` is named after `dir`).
///
/// Either way, notes in a format it does not read are named in one notice.
pub fn discover(
    content_dir: &Path,
    course_root: &Path,
    selection: &Selection,
) -> anyhow::Result<Found> {
    use anyhow::Context;
    if !content_dir.is_dir() {
        anyhow::bail!("no content folder at {}", content_dir.display());
    }
    let mut walk = Walk::default();
    match selection {
        Selection::All => every_note(content_dir, course_root, &mut walk),
        Selection::Marked { skip } => marked_pages(content_dir, course_root, skip, &mut walk),
    };
    let mut seen = std::collections::HashSet::new();
    for lecture in &walk.found {
        if !seen.insert(lecture.slug.clone()) {
            return Err(anyhow::anyhow!(
                "two lectures would be written to {}: rename one",
                lecture.slug
            ))
            .context(lecture.display.clone());
        }
    }
    let mut notices = Vec::new();
    if !walk.unread.is_empty() {
        let names: Vec<String> = walk
            .unread
            .iter()
            .map(|p| {
                p.strip_prefix(course_root)
                    .unwrap_or(p)
                    .display()
                    .to_string()
            })
            .collect();
        notices.push(format!(
            "{} not read: lecturegen reads markdown notes (.md, .markdown, .qmd); convert {} \
             (or export it to markdown) to make a lecture of it",
            names.join(", "),
            if names.len() == 1 { "it" } else { "them" }
        ));
    }
    if matches!(selection, Selection::Marked { .. }) && walk.found.is_empty() {
        notices.push(format!(
            "no lecture in {}: {} page{} read, none marked as a lecture; add `lecture: true` to \
             the front matter of a page (mdBook: a `{{{{#lecture}}}}` line)",
            content_dir.display(),
            walk.pages,
            if walk.pages == 1 { "" } else { "s" }
        ));
    }
    Ok(Found {
        lectures: walk.found,
        notices,
    })
}

/// What a walk over the notes folder met.
#[derive(Default)]
struct Walk {
    found: Vec<LectureSource>,
    /// Pages read (host sites).
    pages: usize,
    /// Notes in a format lecturegen does not read.
    unread: Vec<PathBuf>,
}

impl Walk {
    /// Notes a teacher may expect read, in a format that is not.
    fn note_unread(&mut self, path: &Path) {
        let unread = path.extension().is_some_and(|e| {
            UNREAD_NOTES
                .iter()
                .any(|u| e.to_string_lossy().eq_ignore_ascii_case(u))
        });
        if unread {
            self.unread.push(path.to_path_buf());
        }
    }
}

/// The page that makes `dir` a lecture folder: `index.md`, `index.qmd` or `index.markdown`,
/// or an `index.html` remark deck.
fn index_page(dir: &Path) -> Option<PathBuf> {
    ["index.md", "index.qmd", "index.markdown"]
        .iter()
        .map(|name| dir.join(name))
        .find(|p| p.is_file())
        .or_else(|| Some(dir.join("index.html")).filter(|p| p.is_file() && is_page(p)))
}

fn every_note(content_dir: &Path, course_root: &Path, walk: &mut Walk) {
    let mut walker = walkdir::WalkDir::new(content_dir)
        .min_depth(1)
        .sort_by_file_name()
        .into_iter();
    while let Some(entry) = walker.next() {
        let entry = match entry {
            Ok(entry) => entry,
            Err(e) => {
                tracing::warn!("skipping unreadable entry: {e}");
                continue;
            }
        };
        let name = entry.file_name().to_string_lossy();
        if name.starts_with('.') || name.starts_with('_') {
            if entry.file_type().is_dir() {
                walker.skip_current_dir();
            }
            continue;
        }
        let path = entry.path();
        if entry.file_type().is_dir() {
            if let Some(index) = index_page(path) {
                let rel = path.strip_prefix(content_dir).unwrap_or(path);
                walk.found.push(source(slug_of(rel), &index, course_root));
                walker.skip_current_dir();
            }
            continue;
        }
        let index = path.file_stem().is_some_and(|s| s == "index");
        if is_page(path) && !index {
            let rel = path.strip_prefix(content_dir).unwrap_or(path);
            walk.found
                .push(source(slug_of(&rel.with_extension("")), path, course_root));
        } else {
            walk.note_unread(path);
        }
    }
}

fn marked_pages(content_dir: &Path, course_root: &Path, skip: &[PathBuf], walk: &mut Walk) {
    let walker = walkdir::WalkDir::new(content_dir)
        .min_depth(1)
        .sort_by_file_name()
        .into_iter()
        .filter_entry(|e| {
            let hidden = e.file_name().to_string_lossy().starts_with('.');
            let skipped = e.file_type().is_dir()
                && (["node_modules", "target"].contains(&&*e.file_name().to_string_lossy())
                    || skip.iter().any(|s| e.path() == s));
            !hidden && !skipped
        });
    for entry in walker {
        let entry = match entry {
            Ok(entry) => entry,
            Err(e) => {
                tracing::warn!("skipping unreadable entry: {e}");
                continue;
            }
        };
        let path = entry.path();
        if !entry.file_type().is_file() {
            continue;
        }
        if !is_page(path) {
            walk.note_unread(path);
            continue;
        }
        walk.pages += 1;
        let Ok(text) = std::fs::read_to_string(path) else {
            continue;
        };
        let deck = path.extension().is_some_and(|e| e == "html");
        if !deck && !super::frontmatter::marked(&text) && !text.lines().any(is_marker_line) {
            continue;
        }
        walk.found
            .push(marked_source(content_dir, course_root, path));
    }
}

/// The lecture whose notes are `file` (an absolute path inside `content_dir`), named as
/// [`Selection::Marked`] names it.
pub fn marked_source(content_dir: &Path, course_root: &Path, file: &Path) -> LectureSource {
    let rel = file.strip_prefix(content_dir).unwrap_or(file);
    let stem = rel.with_extension("");
    let named = match stem.file_name().and_then(|n| n.to_str()) {
        Some("index" | "_index" | "README") => stem.parent().unwrap_or(&stem),
        _ => &stem,
    };
    let slug = slug_of(named);
    source(
        slug.trim_start_matches(['_', '-']).to_string(),
        file,
        course_root,
    )
}

fn source(slug: String, file: &Path, course_root: &Path) -> LectureSource {
    let display = file
        .strip_prefix(course_root)
        .unwrap_or(file)
        .display()
        .to_string();
    LectureSource {
        slug,
        file: file.to_path_buf(),
        display,
    }
}

/// Output folder name for a lecture path relative to `content/`: path components joined by
/// `-`, keeping letters and digits of any script, `-`, `_` and `.`.
fn slug_of(rel: &Path) -> String {
    let joined = rel
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect::<Vec<_>>()
        .join("-");
    let slug: String = joined
        .chars()
        .map(|c| {
            if c.is_alphanumeric() || matches!(c, '-' | '_' | '.') {
                c
            } else {
                '-'
            }
        })
        .collect();
    let slug = slug.trim_matches('.').to_string();
    if slug.is_empty() {
        "lecture".into()
    } else {
        slug
    }
}
