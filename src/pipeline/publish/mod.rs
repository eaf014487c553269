//! Publishing: a built lecture's files in the site it belongs to, and the course's own files.
//!
//! In: a lecture with its video, chapters and captions. Out: files in the lecture's output
//! folder and at the top of the output, and the lecture's record for the next build
//! (`Run::publish`). What every kind of site gets is written here, in one place
//! (`lecture_files`: the pictures the notes show, the video, the chapters and captions
//! tracks; any other per-lecture file, a handout, joins them there). What differs between
//! lecturegen's own course site ([`OwnSite`]) and a site another generator builds
//! ([`HostSite`]) is a [`Publisher`], picked once by [`for_site`] (mdBook's `Renderer` is the
//! model): nothing else asks which kind of site it is.

mod host;
mod own;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use anyhow::Result;

pub use host::HostSite;
pub use own::OwnSite;

use super::assemble::Assembled;
use super::files::remove_unlisted;
use super::records::{LectureRecord, Made};
use super::slides::SlideOut;
use super::Run;
use crate::config::{Config, Generator};
use crate::content::{Asset, Lecture, Selection, Slide};
use crate::fsutil::{commit, write_if_changed};
use crate::project::Project;
use crate::site::{self, Chapter, Cue, IndexEntry, Media, SlideImage};
use crate::templates::Templates;

/// A kind of site the lectures are published in. The provided methods describe a site whose
/// notes folder is lecturegen's alone.
pub trait Publisher: Send + Sync {
    /// Which files of the notes folder are lectures (`made`: the folders lecturegen made for
    /// its lectures); by default every note.
    fn selection(&self, _project: &Project, _made: &[PathBuf]) -> Selection {
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
    /// The address a handout links a moment of the lecture at (`#t=SECONDS` is appended):
    /// by default the video itself (browsers play an MP4 from `#t=`), beside the handout or
    /// under `base_url` and the media folder's URL.
    fn moment_url(&self, slug: &str, base_url: Option<&str>) -> String {
        match base_url {
            Some(base) => format!("{}/{slug}/lecture.mp4", base.trim_end_matches('/')),
            None => "lecture.mp4".into(),
        }
    }
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
    /// player's files) from what each lecture published; `handout` is the course handout's
    /// versioned name in the output folder, when there is one.
    fn course(
        &self,
        templates: &Templates,
        project: &Project,
        entries: &[IndexEntry],
        handout: Option<&str>,
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

/// What building a lecture gave.
pub(super) struct Built {
    pub(super) entry: IndexEntry,
    pub(super) pages: usize,
    /// 1-based numbers of the slides drawn now.
    pub(super) rendered: Vec<usize>,
    /// Files other than the notes that the lecture read.
    pub(super) deps: Vec<PathBuf>,
    /// It has a speech track.
    pub(super) narrated: bool,
}

impl Run<'_> {
    /// Writes the lecture's files and remembers what it made for the next build.
    pub(super) fn publish(
        &self,
        lecture: &Lecture,
        slides: &[SlideOut],
        assembled: Assembled,
        out_dir: &Path,
        key: String,
    ) -> Result<Built> {
        let ws = self.ws;
        let source = &lecture.source;
        let mut record = LectureRecord {
            slides: slides.iter().map(|s| s.record.clone()).collect(),
            ..LectureRecord::default()
        };
        let keep: BTreeSet<&str> = record
            .slides
            .iter()
            .flat_map(|s| &s.pages)
            .map(|p| p.image.as_str())
            .collect();
        remove_unlisted(&out_dir.join("slides"), &keep);
        let first_pages: Vec<Option<SlideImage>> = slides
            .iter()
            .map(|s| {
                s.pages.first().map(|p| SlideImage {
                    file: p.record.image.clone(),
                    digest: p.record.frame.clone(),
                })
            })
            .collect();
        // The poster is the title slide's picture: one file, written once.
        let poster = first_pages
            .first()
            .and_then(|p| p.as_ref())
            .map(|p| site::versioned(&p.file, &p.digest))
            .unwrap_or_default();
        let seconds = assembled.timeline.seconds();
        let cues = &assembled.cues;
        let config = &ws.project.config;
        // The handout before the page that links it.
        let (handout, handout_record) = if config.site.handouts {
            self.handout(lecture, slides, &assembled, out_dir).unzip()
        } else {
            let _ = std::fs::remove_file(out_dir.join(HANDOUT));
            (None, None)
        };
        let media = Media {
            video: site::versioned("lecture.mp4", &assembled.digest),
            poster,
            width: ws.encoder.width,
            height: ws.encoder.height,
            duration: seconds,
            handout,
        };
        let chapters = site::chapters(lecture, &assembled.timeline, &first_pages, cues);
        let published = Published {
            lecture,
            chapters: &chapters,
            media: &media,
            cues,
        };
        lecture_files(
            ws.publisher.as_ref(),
            &ws.templates,
            config,
            &published,
            &assembled.video,
            out_dir,
        )?;
        let in_folder = |file: &str| format!("{}/{file}", source.slug);
        let files = site::MediaFiles {
            video: in_folder(&media.video),
            poster: in_folder(&media.poster),
            chapters_vtt: in_folder("chapters.vtt"),
            captions_vtt: (!cues.is_empty()).then(|| in_folder(site::CAPTIONS)),
            width: media.width,
            height: media.height,
            handout: media.handout.as_deref().map(in_folder),
        };
        let page = crate::project::relative(&source.file, &ws.project.content_dir());
        let entry = IndexEntry::of(lecture, page, &chapters, files, seconds);
        record.entry = Some(entry.clone());
        let mut deps: Vec<PathBuf> = lecture.slides.iter().flat_map(Slide::files).collect();
        deps.extend(lecture.assets.iter().map(|a| a.source.clone()));
        deps.extend(lecture.includes.iter().cloned());
        deps.sort();
        deps.dedup();
        record.deps = deps.clone();
        record.handout = handout_record;
        record.made = Some(Made {
            key,
            pages: assembled.pages,
            narrated: assembled.narrated,
            warnings: assembled.warnings,
        });
        ws.records.save(&source.slug, &record)?;
        let rendered = slides
            .iter()
            .zip(&lecture.slides)
            .filter(|(out, _)| out.rendered)
            .map(|(_, slide)| slide.index + 1)
            .collect();
        Ok(Built {
            entry,
            pages: assembled.pages,
            rendered,
            deps,
            narrated: assembled.narrated,
        })
    }
}

/// The handout's file name in a lecture's folder.
pub const HANDOUT: &str = "handout.pdf";

impl Run<'_> {
    /// Writes the lecture's handout (one page per picture, what is said over it) into
    /// `out_dir`; its versioned name, or `None` (said as a warning) when it cannot be made:
    /// a handout never costs a lecture its video.
    fn handout(
        &self,
        lecture: &Lecture,
        slides: &[SlideOut],
        assembled: &Assembled,
        out_dir: &Path,
    ) -> Option<(String, crate::handout::Handout)> {
        let ws = self.ws;
        let site = &ws.project.config.site;
        let url = ws
            .publisher
            .moment_url(&lecture.source.slug, site.base_url.as_deref());
        let mut pages = Vec::new();
        for ((slide, out), span) in lecture
            .slides
            .iter()
            .zip(slides)
            .zip(&assembled.timeline.slides)
        {
            let mut start_ms = span.start_ms;
            let alt = slide.written_text();
            for (n, page) in out.record.pages.iter().enumerate() {
                let length = span.pages_ms.get(n).copied().unwrap_or(0);
                let (from, to) = (
                    start_ms as f64 / 1000.0,
                    (start_ms + u64::from(length)) as f64 / 1000.0,
                );
                let said = assembled
                    .cues
                    .iter()
                    .filter(|c| c.start >= from - 1e-6 && c.start < to - 1e-6)
                    .map(|c| c.text.clone())
                    .collect();
                let title = match (slide.title.trim(), n) {
                    ("", _) => lecture.meta.title.clone(),
                    (t, 0) => t.to_string(),
                    (t, _) => format!(
                        "{t} {}",
                        crate::labels::for_lang(&lecture.meta.lang).continued
                    ),
                };
                pages.push(crate::handout::HandoutPage {
                    title,
                    picture: PathBuf::from(&page.image),
                    frame: page.frame.clone(),
                    alt: alt.clone(),
                    start: from,
                    link: format!("{url}#t={}", trim_seconds(from)),
                    said,
                    opens_slide: n == 0,
                });
                start_ms += u64::from(length);
            }
        }
        let handout = crate::handout::Handout {
            folder: out_dir.to_path_buf(),
            title: lecture.meta.title.clone(),
            lang: lecture.meta.lang.clone(),
            rtl: lecture.meta.dir == crate::content::Direction::Rtl,
            pages,
        };
        let made = crate::handout::pdf(&handout, site.paper, &ws.fonts).and_then(|bytes| {
            write_if_changed(&out_dir.join(HANDOUT), &bytes)?;
            Ok(site::versioned(HANDOUT, &crate::cache::digest(&bytes)))
        });
        match made {
            Ok(name) => Some((name, handout)),
            Err(e) => {
                self.warn(&format!("{}: no handout: {e:#}", lecture.source.display));
                None
            }
        }
    }
}

/// The course handout's file name in the output folder.
pub const COURSE_HANDOUT: &str = "course.pdf";

impl Run<'_> {
    /// The course handout: every lecture's handout in the course's order, one document with
    /// an outline of lectures and their slides. Made again only when a lecture's handout, a
    /// picture, the paper or the course's title changed (a key beside the cache); its
    /// versioned name, or `None` (said as a warning) when it cannot be made.
    pub(super) fn course_handout(&self, entries: &[IndexEntry]) -> Option<String> {
        let ws = self.ws;
        let project = &ws.project;
        let site = &project.config.site;
        let output = project.output_dir();
        let path = output.join(COURSE_HANDOUT);
        let lectures: Vec<crate::handout::Handout> = if site.handouts {
            entries
                .iter()
                .filter_map(|entry| {
                    let mut handout = ws.records.load(&entry.slug).handout?;
                    handout.folder = output.join(&entry.slug);
                    Some(handout)
                })
                .collect()
        } else {
            Vec::new()
        };
        if lectures.is_empty() {
            let _ = std::fs::remove_file(&path);
            return None;
        }
        let pictures: Vec<String> = lectures
            .iter()
            .flat_map(|h| {
                h.pages
                    .iter()
                    .map(|p| crate::media::digest(&h.folder.join(&p.picture)).unwrap_or_default())
            })
            .collect();
        let course = &project.config.course;
        let key = crate::cache::key_of(
            "course-handout",
            1,
            &(
                &lectures,
                &pictures,
                site.paper,
                &course.title,
                &course.lang,
            ),
        );
        let key_file = ws.cache.dir().join("course-handout.key");
        let made = std::fs::read_to_string(&key_file).unwrap_or_default();
        if let Some((old_key, version)) = made.split_once('\n') {
            if old_key == key && path.is_file() {
                return Some(site::versioned(COURSE_HANDOUT, version.trim()));
            }
        }
        let written = crate::handout::course_pdf(
            &course.title,
            &course.lang,
            &lectures,
            site.paper,
            &ws.fonts,
        )
        .and_then(|bytes| {
            write_if_changed(&path, &bytes)?;
            let version = crate::cache::digest(&bytes);
            crate::fsutil::write_if_changed(&key_file, format!("{key}\n{version}").as_bytes())?;
            Ok(site::versioned(COURSE_HANDOUT, &version))
        });
        match written {
            Ok(name) => Some(name),
            Err(e) => {
                self.warn(&format!("no course handout: {e:#}"));
                None
            }
        }
    }
}

/// Seconds as a media fragment writes them: `12.5`, `42`.
fn trim_seconds(seconds: f64) -> String {
    let text = format!("{seconds:.1}");
    text.strip_suffix(".0").map_or(text.clone(), str::to_string)
}

/// Writes a lecture's files into `out_dir`: its media first (the pictures the notes show, the
/// video from its temporary file `video`), then its tracks, then the page where the site has one, so the page never links a
/// missing file. A silent lecture loses the captions of an earlier narrated build.
fn lecture_files(
    publisher: &dyn Publisher,
    templates: &Templates,
    config: &Config,
    published: &Published<'_>,
    video: &Path,
    out_dir: &Path,
) -> Result<()> {
    if let Err(e) = write_assets(&published.lecture.assets, out_dir) {
        let _ = std::fs::remove_file(video);
        return Err(e);
    }
    commit(video, &out_dir.join("lecture.mp4"))?;
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
