//! What is remembered of a built lecture between builds: its index entry, each slide's key and
//! pictures, and the files it read. Kept in the cache folder, never in the output.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use serde::{Deserialize, Serialize};

use crate::fsutil::write_if_changed;
use crate::site::IndexEntry;

/// A built lecture, as the next build finds it.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub(super) struct LectureRecord {
    /// What the course index showed of it (kept so a lecture that fails now is still listed).
    pub(super) entry: Option<IndexEntry>,
    /// Per slide: its key and what it made.
    #[serde(default)]
    pub(super) slides: Vec<SlideRecord>,
    /// Files other than the notes that the lecture reads (images, assets).
    #[serde(default)]
    pub(super) deps: Vec<PathBuf>,
    /// What its video, tracks and page were made from (see `keys::lecture`), and what the
    /// build that made them said: kept so a build where nothing changed makes nothing.
    #[serde(default)]
    pub(super) made: Option<Made>,
    /// Its handout's content (pictures relative to the lecture's folder), for the course's.
    #[serde(default)]
    pub(super) handout: Option<crate::handout::Handout>,
}

/// A lecture's published files, as the next build needs to know them without reading them.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub(super) struct Made {
    /// The lecture's key when they were made.
    pub(super) key: String,
    /// Pictures in the video.
    pub(super) pages: usize,
    /// The video has a speech track.
    pub(super) narrated: bool,
    /// Warnings of the timeline (a `duration` shorter than its narration), said again.
    pub(super) warnings: Vec<String>,
}

/// One slide of a built lecture.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub(super) struct SlideRecord {
    /// The slide's key (see `keys::slide`).
    pub(super) key: String,
    /// Its pictures.
    pub(super) pages: Vec<PageRecord>,
    /// Layout warnings, repeated when the slide is reused.
    pub(super) warnings: Vec<String>,
}

/// One picture of a slide.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub(super) struct PageRecord {
    /// Picture file name in the lecture folder.
    pub(super) image: String,
    /// Digest of the frame.
    pub(super) frame: String,
    /// Words on the page.
    pub(super) words: usize,
    /// What a reader reads on it (narration of slides without notes).
    #[serde(default)]
    pub(super) readings: Vec<crate::reading::Reading>,
    /// The slide's steps that appear while it is on screen.
    #[serde(default)]
    pub(super) steps: Vec<StepRecord>,
    /// Digest of the frame the video shows last under the spotlight, when it differs.
    #[serde(default)]
    pub(super) spotlight: Option<String>,
}

/// A step of a slide that appears while one of its pages is on screen.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub(super) struct StepRecord {
    /// Digest of the frame shown just before it appears (its encoding is cached by it).
    pub(super) frame: String,
    /// The first of the page's readings that belongs to it.
    pub(super) reading: usize,
    /// Its text, as read.
    pub(super) text: String,
}

/// The records of a course's lectures, in `<cache>/state/<slug>.json`.
pub(super) struct Records {
    dir: PathBuf,
}

impl Records {
    pub(super) fn new(cache_dir: &Path) -> Self {
        Self {
            dir: cache_dir.join("state"),
        }
    }

    fn path(&self, slug: &str) -> PathBuf {
        self.dir.join(format!("{slug}.json"))
    }

    /// The record of `slug`, or an empty one (never built, or unreadable: built afresh).
    pub(super) fn load(&self, slug: &str) -> LectureRecord {
        std::fs::read(self.path(slug))
            .ok()
            .and_then(|b| serde_json::from_slice(&b).ok())
            .unwrap_or_default()
    }

    pub(super) fn save(&self, slug: &str, record: &LectureRecord) -> Result<()> {
        write_if_changed(&self.path(slug), &serde_json::to_vec_pretty(record)?)?;
        Ok(())
    }

    /// Slugs of every recorded lecture.
    pub(super) fn slugs(&self) -> Vec<String> {
        let Ok(entries) = std::fs::read_dir(&self.dir) else {
            return Vec::new();
        };
        entries
            .flatten()
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|e| e == "json"))
            .filter_map(|p| p.file_stem().map(|s| s.to_string_lossy().into_owned()))
            .collect()
    }

    /// Forgets `slug` and removes its output folder (only folders this tool made).
    pub(super) fn remove(&self, slug: &str, output: &Path) -> Result<()> {
        let out = output.join(slug);
        if out.is_dir() {
            std::fs::remove_dir_all(&out).with_context(|| format!("removing {}", out.display()))?;
        }
        let _ = std::fs::remove_file(self.path(slug));
        Ok(())
    }
}
