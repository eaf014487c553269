//! Discovery: which files under `content/` are lectures, and their output names.

use std::path::Path;

use super::LectureSource;

/// Which markdown files under the content folder are lectures.
#[derive(Debug, Clone, Default, PartialEq)]
pub enum Selection {
    /// Every markdown file: lecturegen's own course.
    #[default]
    All,
    /// The pages of a host site that are marked as lectures: `lecture: true` in the front
    /// matter, or (mdBook) a `{{#lecture}}` line. Folders in `skip` (the host's output and
    /// caches, lecturegen's media) and hidden folders are not looked into.
    Marked {
        /// Absolute folders never looked into.
        skip: Vec<std::path::PathBuf>,
    },
}

/// Whether `path` names a page a host site's generator renders (`.md`, `.markdown`, `.qmd`).
pub fn is_page(path: &Path) -> bool {
    path.extension()
        .is_some_and(|e| e == "md" || e == "markdown" || e == "qmd")
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
/// - [`Selection::All`]: every `*.md` file, or `dir/index.md` for a lecture with its own folder
///   of assets (other markdown inside such a folder is not a lecture). Hidden entries and names
///   starting with `_` are skipped.
/// - [`Selection::Marked`]: every marked `*.md`, `*.markdown` or `*.qmd` page, wherever it is
///   (Jekyll keeps pages in `_posts/`; `dir/index.md` is named after `dir`).
pub fn discover(
    content_dir: &Path,
    course_root: &Path,
    selection: &Selection,
) -> anyhow::Result<Vec<LectureSource>> {
    use anyhow::Context;
    if !content_dir.is_dir() {
        anyhow::bail!("no content folder at {}", content_dir.display());
    }
    let found = match selection {
        Selection::All => every_note(content_dir, course_root),
        Selection::Marked { skip } => marked_pages(content_dir, course_root, skip),
    };
    let mut seen = std::collections::HashSet::new();
    for lecture in &found {
        if !seen.insert(lecture.slug.clone()) {
            return Err(anyhow::anyhow!(
                "two lectures would be written to {}: rename one",
                lecture.slug
            ))
            .context(lecture.display.clone());
        }
    }
    Ok(found)
}

fn every_note(content_dir: &Path, course_root: &Path) -> Vec<LectureSource> {
    let mut found = Vec::new();
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
            let index = path.join("index.md");
            if index.is_file() {
                let rel = path.strip_prefix(content_dir).unwrap_or(path);
                found.push(source(slug_of(rel), &index, course_root));
                walker.skip_current_dir();
            }
            continue;
        }
        if path.extension().is_some_and(|e| e == "md") && name != "index.md" {
            let rel = path.strip_prefix(content_dir).unwrap_or(path);
            found.push(source(slug_of(&rel.with_extension("")), path, course_root));
        }
    }
    found
}

fn marked_pages(
    content_dir: &Path,
    course_root: &Path,
    skip: &[std::path::PathBuf],
) -> Vec<LectureSource> {
    let mut found = Vec::new();
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
        if !entry.file_type().is_file() || !is_page(path) {
            continue;
        }
        let Ok(text) = std::fs::read_to_string(path) else {
            continue;
        };
        if !super::frontmatter::marked(&text) && !text.lines().any(is_marker_line) {
            continue;
        }
        found.push(marked_source(content_dir, course_root, path));
    }
    found
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
