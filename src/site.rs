//! Site: the HTML course site, rendered through tera.
//!
//! In: a loaded [`Lecture`], its timeline and the names of its generated files. Out: the files
//! of `output/<lecture>/` that are text (`index.html`, `chapters.vtt`) and of the course root
//! (`index.html`, `style.css`), as bytes for the caller to write. All links are relative, so the
//! site works from any sub-path and from `file://`.

use anyhow::Result;
use serde::{Deserialize, Serialize};

use crate::config::Config;
use crate::content::Lecture;
use crate::templates::Templates;

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

/// Formats seconds as `m:ss` or `h:mm:ss`.
pub fn clock(seconds: f64) -> String {
    let total = seconds.max(0.0).round() as u64;
    let (h, m, s) = (total / 3600, (total / 60) % 60, total % 60);
    if h > 0 {
        format!("{h}:{m:02}:{s:02}")
    } else {
        format!("{m}:{s:02}")
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

/// WebVTT chapters: one cue per slide, the slide title as text.
pub fn chapters_vtt(chapters: &[Chapter]) -> String {
    let mut out = String::from("WEBVTT\n");
    for c in chapters {
        let title = c
            .title
            .replace('&', "&amp;")
            .replace('<', "&lt;")
            .replace('>', "&gt;")
            .replace("-->", "→")
            .replace('\n', " ");
        out.push_str(&format!(
            "\n{}\n{} --> {}\n{}\n",
            c.number,
            vtt_time(c.start),
            vtt_time(c.end),
            title
        ));
    }
    out
}

fn vtt_time(seconds: f64) -> String {
    let ms = (seconds.max(0.0) * 1000.0).round() as u64;
    format!(
        "{:02}:{:02}:{:02}.{:03}",
        ms / 3_600_000,
        (ms / 60_000) % 60,
        (ms / 1000) % 60,
        ms % 1000
    )
}
