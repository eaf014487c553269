//! Discovery: which files under `content/` are lectures, and their output names.

use std::path::Path;

use super::LectureSource;

/// Finds the lectures under `content_dir`: every `*.md` file, or `dir/index.md` for a lecture
/// with its own folder of assets (other markdown inside such a folder is not a lecture).
/// Hidden entries and names starting with `_` are skipped. Sorted by path.
pub fn discover(content_dir: &Path, course_root: &Path) -> anyhow::Result<Vec<LectureSource>> {
    use anyhow::Context;
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
    if !content_dir.is_dir() {
        anyhow::bail!("no content folder at {}", content_dir.display());
    }
    let mut seen = std::collections::HashSet::new();
    for lecture in &found {
        if !seen.insert(lecture.slug.clone()) {
            return Err(anyhow::anyhow!(
                "two lectures would be written to output/{}: rename one",
                lecture.slug
            ))
            .context(lecture.display.clone());
        }
    }
    Ok(found)
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
