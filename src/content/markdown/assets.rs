//! The pictures and files a lecture's notes show: each reference resolved to a canonical path
//! inside the course (never outside it, never fetched from the network), and each file given
//! the name it is published under next to the lecture's page.

use std::path::{Component, Path, PathBuf};

use sha2::{Digest, Sha256};

use crate::content::{Asset, LectureSource, LoadOptions};
use crate::fsutil::percent_decode;

/// Where a picture's reference leads.
pub(super) enum Resolved {
    /// A file in the course.
    File(PathBuf),
    /// A URL: linked from the page as written, not drawn on the slide.
    Remote,
}

/// A lecture's files, as its notes name them.
pub(super) struct Assets {
    /// The course root with symlinks resolved.
    course_root: PathBuf,
    /// The course root as given.
    given_root: PathBuf,
    /// The folder of the notes: relative references start there.
    lecture_dir: PathBuf,
    /// Every file registered so far, in order.
    files: Vec<Asset>,
}

impl Assets {
    /// The files of the lecture `source` in the course of `options`.
    pub(super) fn new(source: &LectureSource, options: &LoadOptions) -> Self {
        let given_root = options.course_root.clone();
        Self {
            course_root: given_root
                .canonicalize()
                .unwrap_or_else(|_| given_root.clone()),
            given_root,
            lecture_dir: source
                .file
                .parent()
                .map(Path::to_path_buf)
                .unwrap_or_default(),
            files: Vec::new(),
        }
    }

    /// Resolves an image reference; an error says why the file cannot be shown.
    pub(super) fn resolve(&self, url: &str) -> Result<Resolved, String> {
        let url = url.trim();
        if url.contains("://") || url.starts_with("data:") || url.starts_with("mailto:") {
            return Ok(Resolved::Remote);
        }
        let path_part = url.split(['?', '#']).next().unwrap_or_default();
        let decoded = String::from_utf8_lossy(&percent_decode(path_part).0).into_owned();
        if decoded.is_empty() {
            return Err("image with an empty path".into());
        }
        let joined = if let Some(rooted) = decoded.strip_prefix('/') {
            self.course_root.join(rooted)
        } else {
            self.lecture_dir.join(&decoded)
        };
        let lexical = normalize(&joined);
        let outside =
            || format!("image `{url}` is outside the course folder; copy it into the course");
        if !lexical.starts_with(&self.course_root) && !lexical.starts_with(&self.given_root) {
            return Err(outside());
        }
        let canonical = joined
            .canonicalize()
            .map_err(|_| format!("image `{url}` not found (looked for {})", joined.display()))?;
        if !canonical.starts_with(&self.course_root) {
            return Err(outside());
        }
        if !canonical.is_file() {
            return Err(format!("image `{url}` is not a file"));
        }
        Ok(Resolved::File(canonical))
    }

    /// Registers a file to copy next to the lecture page; returns its path there.
    pub(super) fn add(&mut self, path: &Path) -> String {
        if let Some(a) = self.files.iter().find(|a| a.source == path) {
            return a.output.clone();
        }
        let rel = path.strip_prefix(&self.course_root).unwrap_or(path);
        let digest = Sha256::digest(rel.to_string_lossy().as_bytes());
        let hash: String = digest[..4].iter().map(|b| format!("{b:02x}")).collect();
        let stem: String = path
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default()
            .chars()
            .map(|c| {
                if c.is_alphanumeric() || c == '-' || c == '_' {
                    c
                } else {
                    '-'
                }
            })
            .collect();
        let ext = path
            .extension()
            .map(|e| format!(".{}", e.to_string_lossy().to_ascii_lowercase()))
            .unwrap_or_default();
        let output = format!("assets/{stem}-{hash}{ext}");
        self.files.push(Asset {
            source: path.to_path_buf(),
            output: output.clone(),
        });
        output
    }

    /// Every file registered, in order.
    pub(super) fn into_files(self) -> Vec<Asset> {
        self.files
    }
}

/// Removes `.` and resolves `..` without touching the file system.
fn normalize(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for c in path.components() {
        match c {
            Component::ParentDir => {
                out.pop();
            }
            Component::CurDir => {}
            other => out.push(other.as_os_str()),
        }
    }
    out
}
