//! Site: the HTML course site, rendered through tera.
//!
//! In: a loaded [`Lecture`], its timeline and the names of its generated files. Out: the files
//! of `output/<lecture>/` that are text (`index.html`, `chapters.vtt`) and of the course root
//! (`index.html`, `style.css`), as bytes for the caller to write. All links are relative, so the
//! site works from any sub-path and from `file://`.

mod vtt;

use anyhow::Result;
use serde::{Deserialize, Serialize};

use crate::config::Config;
use crate::content::Lecture;
use crate::templates::Templates;
use crate::timeline::Timeline;
pub use vtt::{chapters_vtt, clock};

/// One chapter of a lecture video: one slide (with its follow-on pages).
#[derive(Debug, Clone, Serialize)]
pub struct Chapter {
    /// 1-based slide number.
    pub number: usize,
    /// Slide title, or "Slide N".
    pub title: String,
    /// Start, seconds.
    pub start: f64,
    /// End, seconds.
    pub end: f64,
    /// Start as `m:ss` or `h:mm:ss`.
    pub start_label: String,
    /// Picture of the slide (its first page), relative to the lecture folder.
    pub image: String,
    /// The slide's content as HTML (escaped text unless raw HTML is allowed).
    pub html: String,
    /// Speaker notes, one per paragraph.
    pub notes: Vec<String>,
}

/// What the course index shows of a lecture; kept between builds so a lecture that fails now
/// still appears with its last good output.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct IndexEntry {
    /// Folder name under `output/`.
    pub slug: String,
    /// Title.
    pub title: String,
    /// Subtitle.
    pub subtitle: String,
    /// Author.
    pub author: String,
    /// Date as written.
    pub date: String,
    /// Length, seconds.
    pub duration: f64,
    /// Number of slides.
    pub slides: usize,
    /// `ltr` or `rtl`.
    pub dir: String,
    /// Language tag.
    pub lang: String,
}

/// Generated media of a lecture, as linked from its page.
#[derive(Debug, Clone, Serialize)]
pub struct Media {
    /// Video URL with a version query, so browsers fetch a changed video.
    pub video: String,
    /// Poster URL, versioned likewise.
    pub poster: String,
    /// Width of the video.
    pub width: u32,
    /// Height of the video.
    pub height: u32,
    /// Length, seconds.
    pub duration: f64,
}

/// A slide's first picture as the page links it: file name and a version from its digest, so
/// a browser fetches a changed picture.
#[derive(Debug, Clone)]
pub struct SlideImage {
    /// File name in the lecture folder, e.g. `slides/001.jpg`.
    pub file: String,
    /// Digest of the picture (any hex digest).
    pub digest: String,
}

/// `file?v=` the first 12 digits of `digest`.
pub fn versioned(file: &str, digest: &str) -> String {
    format!("{file}?v={}", digest.get(..12).unwrap_or(digest))
}

/// The chapters of a lecture: one per slide, timed by the timeline.
pub fn chapters(
    lecture: &Lecture,
    timeline: &Timeline,
    images: &[Option<SlideImage>],
) -> Vec<Chapter> {
    lecture
        .slides
        .iter()
        .zip(&timeline.slides)
        .zip(images)
        .map(|((slide, span), image)| Chapter {
            number: slide.index + 1,
            title: slide.display_title(),
            start: span.start(),
            end: span.end(),
            start_label: clock(span.start()),
            image: image
                .as_ref()
                .map(|i| versioned(&i.file, &i.digest))
                .unwrap_or_default(),
            html: slide.html.clone(),
            notes: slide.notes.clone(),
        })
        .collect()
}

impl IndexEntry {
    /// What the course index shows of `lecture`, which lasts `duration` seconds.
    pub fn of(slug: &str, lecture: &Lecture, duration: f64) -> Self {
        Self {
            slug: slug.to_string(),
            title: lecture.meta.title.clone(),
            subtitle: lecture.meta.subtitle.clone(),
            author: lecture.meta.author.clone(),
            date: lecture.meta.date.clone(),
            duration,
            slides: lecture.slides.len(),
            dir: lecture.meta.dir.as_str().into(),
            lang: lecture.meta.lang.clone(),
        }
    }
}

/// `index.html` and `chapters.vtt` of one lecture.
pub fn render_lecture(
    templates: &Templates,
    config: &Config,
    lecture: &Lecture,
    chapters: &[Chapter],
    media: &Media,
) -> Result<Vec<(&'static str, Vec<u8>)>> {
    let mut context = tera::Context::new();
    context.insert("course", &config.course);
    context.insert("lecture", &lecture.meta);
    context.insert("labels", &crate::labels::for_lang(&lecture.meta.lang));
    context.insert("chapters", chapters);
    context.insert("media", media);
    context.insert(
        "generator",
        concat!("lecturegen ", env!("CARGO_PKG_VERSION")),
    );
    let html = templates.render("lecture.html", &context)?;
    Ok(vec![
        ("index.html", html.into_bytes()),
        ("chapters.vtt", chapters_vtt(chapters).into_bytes()),
    ])
}

/// The course `index.html` and `style.css`.
pub fn render_index(
    templates: &Templates,
    config: &Config,
    lectures: &[IndexEntry],
) -> Result<Vec<(&'static str, Vec<u8>)>> {
    let mut context = tera::Context::new();
    context.insert("course", &config.course);
    context.insert("lectures", lectures);
    context.insert("labels", &crate::labels::for_lang(&config.course.lang));
    context.insert("theme", &config.theme);
    context.insert(
        "generator",
        concat!("lecturegen ", env!("CARGO_PKG_VERSION")),
    );
    let index = templates.render("index.html", &context)?;
    let css = templates.render("style.css", &context)?;
    Ok(vec![
        ("index.html", index.into_bytes()),
        ("style.css", css.into_bytes()),
    ])
}
