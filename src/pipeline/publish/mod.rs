//! Publishing: a built lecture's files in the site it belongs to, and the course's own files.
//!
//! In: a lecture with its video, chapters and captions. Out: files in the lecture's output
//! folder and at the top of the output. What every kind of site gets is written here, in one
//! place (`lecture`: the pictures the notes show, the video, the chapters and captions
//! tracks; any other per-lecture file, a handout, joins them here). What differs between
//! lecturegen's own course site ([`OwnSite`]) and a site another generator builds
//! ([`HostSite`]) is a [`Publisher`], picked once by [`for_site`] (mdBook's `Renderer` is the
//! model): nothing else asks which kind of site it is.

mod host;
mod own;

use std::path::Path;

use anyhow::Result;

pub use host::HostSite;
pub use own::OwnSite;

use crate::config::{Config, Generator};
use crate::content::{Asset, Lecture, Selection};
use crate::fsutil::write_if_changed;
use crate::project::Project;
use crate::site::{self, Chapter, Cue, IndexEntry, Media};
use crate::templates::Templates;

/// A kind of site the lectures are published in. The provided methods describe a site whose
/// notes folder is lecturegen's alone.
pub trait Publisher: Send + Sync {
    /// Which files of the notes folder are lectures; by default every note.
    fn selection(&self, _project: &Project) -> Selection {
        Selection::All
    }
    /// Whether the notes' front matter is shared with another generator, whose keys
    /// lecturegen does not know and does not report.
    fn shares_front_matter(&self) -> bool {
        false
    }
    /// Whether the output may lie inside the notes folder (a host's static files among its
    /// pages, like `src/lectures` of an mdBook; discovery skips it).
    fn output_among_pages(&self) -> bool {
        false
    }
    /// Whether, in the notes folder, only pages (and the files lectures read) are sources of
    /// changes: the rest belongs to the site's generator.
    fn only_pages_are_sources(&self) -> bool {
        false
    }
    /// The lecture file written last: once it is there, so is everything before it.
    fn last_file(&self) -> &'static str;
    /// Whether the lecture folder `dir` holds a complete build: its video and
    /// [`last_file`](Self::last_file).
    fn is_built(&self, dir: &Path) -> bool {
        dir.join("lecture.mp4").is_file() && dir.join(self.last_file()).is_file()
    }
    /// The lecture's page, if this site has lecturegen write one (name and bytes); by
    /// default none: the site's generator makes the pages.
    fn lecture_page(
        &self,
        _templates: &Templates,
        _config: &Config,
        _lecture: &Published<'_>,
    ) -> Result<Option<(&'static str, Vec<u8>)>> {
        Ok(None)
    }
    /// Writes what the course has besides its lectures (an index, or a manifest and the
    /// player's files) from what each lecture published.
    fn course(
        &self,
        templates: &Templates,
        project: &Project,
        entries: &[IndexEntry],
    ) -> Result<()>;
}

/// The publisher of `project`'s site: the one place that tells lecturegen's own site from a
/// site another generator builds.
pub fn for_site(project: &Project) -> Box<dyn Publisher> {
    match project.config.site.generator {
        Generator::Lecturegen => Box::new(OwnSite),
        Generator::Mdbook
        | Generator::Hugo
        | Generator::Jekyll
        | Generator::Zola
        | Generator::Quarto => Box::new(HostSite::of(project)),
    }
}

/// What a lecture publishes, as its page and tracks show it.
pub struct Published<'a> {
    /// The lecture.
    pub lecture: &'a Lecture,
    /// One chapter per slide.
    pub chapters: &'a [Chapter],
    /// The video and poster as linked.
    pub media: &'a Media,
    /// The narration's captions (none when silent).
    pub cues: &'a [Cue],
}

/// Writes a lecture's files into `out_dir`: its media first (the pictures the notes show, the
/// video), then its tracks, then the page where the site has one, so the page never links a
/// missing file. A silent lecture loses the captions of an earlier narrated build.
pub(super) fn lecture(
    publisher: &dyn Publisher,
    templates: &Templates,
    config: &Config,
    published: &Published<'_>,
    video: &[u8],
    out_dir: &Path,
) -> Result<()> {
    write_assets(&published.lecture.assets, out_dir)?;
    write_if_changed(&out_dir.join("lecture.mp4"), video)?;
    let mut files = site::tracks(published.chapters, published.cues);
    files.extend(publisher.lecture_page(templates, config, published)?);
    write_all(out_dir, files)?;
    if published.cues.is_empty() {
        let _ = std::fs::remove_file(out_dir.join(site::CAPTIONS));
    }
    Ok(())
}

/// Copies the pictures and files the notes show next to the lecture's page.
fn write_assets(assets: &[Asset], out_dir: &Path) -> Result<()> {
    for asset in assets {
        let bytes = crate::media::read(&asset.source)?;
        write_if_changed(&out_dir.join(&asset.output), &bytes)?;
    }
    Ok(())
}

/// Writes each named file into `dir` (unless its bytes are already there).
fn write_all(dir: &Path, files: Vec<(&'static str, Vec<u8>)>) -> Result<()> {
    for (name, bytes) in files {
        write_if_changed(&dir.join(name), &bytes)?;
    }
    Ok(())
}
