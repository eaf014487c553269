//! Site: the HTML course site, rendered through tera.
//!
//! In: a loaded [`Lecture`], its timeline and the names of its generated files. Out: the files
//! of `output/<lecture>/` that are text (the tracks, [`tracks`], and the page,
//! [`lecture_page`]) and of the course root (`index.html`, `style.css`), as bytes for the
//! caller to write; each slide's picture ([`slide_picture`]); and for a site another generator
//! builds, its manifest and player ([`manifest`], [`player`]). All links are relative, so the
//! site works from any sub-path and from `file://`.

mod embed;
mod vtt;

use anyhow::Result;
use image::RgbImage;
use serde::{Deserialize, Serialize};

use crate::config::Config;
use crate::content::Lecture;
use crate::templates::Templates;
use crate::timeline::Timeline;
pub use embed::{
    manifest, player, ChapterSpan, MediaFiles, Published, SlideText, BASE, MANIFEST, PLAYER_FILES,
};
pub use vtt::{captions_vtt, chapters_vtt, clock};

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
    /// What the narration says on this slide, each with its time (empty when silent).
    pub spoken: Vec<Spoken>,
}

/// A spoken caption on the page: its time, to seek to, and its text.
#[derive(Debug, Clone, Serialize)]
pub struct Spoken {
    /// Start, seconds.
    pub start: f64,
    /// Start as `m:ss`.
    pub label: String,
    /// The caption.
    pub text: String,
}

/// One caption cue of the narration.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Cue {
    /// Index of the slide it belongs to.
    pub slide: usize,
    /// Start, seconds.
    pub start: f64,
    /// End, seconds.
    pub end: f64,
    /// The caption (the text as written, not as the lexicon respells it).
    pub text: String,
}

/// File name of the captions of a narrated lecture.
pub const CAPTIONS: &str = "captions.vtt";

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
    /// The notes, relative to the course root.
    #[serde(default)]
    pub source: String,
    /// The notes, relative to the notes folder: the path a host generator knows the page by
    /// (Hugo's `.File.Path`, Zola's `page.relative_path`, Jekyll's `page.path`).
    #[serde(default)]
    pub page: String,
    /// The lecture's files, relative to the output (media) folder.
    #[serde(default)]
    pub media: MediaFiles,
    /// Chapter spans.
    #[serde(default)]
    pub chapters: Vec<ChapterSpan>,
    /// Each slide's text.
    #[serde(default)]
    pub text: Vec<SlideText>,
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
    /// The PDF handout, versioned (none when `[site] handouts = false`).
    pub handout: Option<String>,
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
    cues: &[Cue],
) -> Vec<Chapter> {
    lecture
        .slides
        .iter()
        .enumerate()
        .zip(&timeline.slides)
        .zip(images)
        .map(|(((index, slide), span), image)| Chapter {
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
            spoken: cues
                .iter()
                .filter(|c| c.slide == index)
                .map(|c| Spoken {
                    start: c.start,
                    label: clock(c.start),
                    text: c.text.clone(),
                })
                .collect(),
        })
        .collect()
}

impl IndexEntry {
    /// What the course index and a host site's manifest show of `lecture`: its chapters, and
    /// its media as written (relative to the output folder).
    pub fn of(
        lecture: &Lecture,
        page: String,
        chapters: &[Chapter],
        media: MediaFiles,
        duration: f64,
    ) -> Self {
        let slug = &lecture.source.slug;
        Self {
            slug: slug.clone(),
            title: lecture.meta.title.clone(),
            subtitle: lecture.meta.subtitle.clone(),
            author: lecture.meta.author.clone(),
            date: lecture.meta.date.clone(),
            duration,
            slides: lecture.slides.len(),
            dir: lecture.meta.dir.as_str().into(),
            lang: lecture.meta.lang.clone(),
            source: lecture.source.display.clone(),
            page,
            media,
            chapters: chapters
                .iter()
                .map(|c| ChapterSpan {
                    start: c.start,
                    end: c.end,
                    title: c.title.clone(),
                })
                .collect(),
            text: lecture
                .slides
                .iter()
                .map(|s| SlideText {
                    number: s.index + 1,
                    title: s.display_title(),
                    text: s.written_text(),
                })
                .collect(),
        }
    }
}

/// The tracks of one lecture: `chapters.vtt`, and `captions.vtt` when narrated.
pub fn tracks(chapters: &[Chapter], cues: &[Cue]) -> Vec<(&'static str, Vec<u8>)> {
    let mut files = vec![("chapters.vtt", chapters_vtt(chapters).into_bytes())];
    if !cues.is_empty() {
        files.push((CAPTIONS, captions_vtt(cues).into_bytes()));
    }
    files
}

/// The `index.html` of a lecture in lecturegen's own site.
pub fn lecture_page(
    templates: &Templates,
    config: &Config,
    lecture: &Lecture,
    chapters: &[Chapter],
    media: &Media,
    cues: &[Cue],
) -> Result<Vec<u8>> {
    let mut context = tera::Context::new();
    context.insert("course", &config.course);
    context.insert("lecture", &lecture.meta);
    context.insert("labels", &crate::labels::for_lang(&lecture.meta.lang));
    context.insert("chapters", chapters);
    context.insert("media", media);
    context.insert("captions", &(!cues.is_empty()).then_some(CAPTIONS));
    context.insert(
        "generator",
        concat!("lecturegen ", env!("CARGO_PKG_VERSION")),
    );
    Ok(templates.render("lecture.html", &context)?.into_bytes())
}

/// The course `index.html` and `style.css`.
pub fn render_index(
    templates: &Templates,
    config: &Config,
    lectures: &[IndexEntry],
    handout: Option<&str>,
) -> Result<Vec<(&'static str, Vec<u8>)>> {
    let mut context = tera::Context::new();
    context.insert("handout", &handout);
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

/// The page's picture of a frame (a slide's "slide picture" link, the poster of the player
/// and of the course index): half the frame's width and height, a JPEG.
///
/// The page never shows it wider than the player: 816x459 CSS pixels in Chromium at any
/// window from 1280 pixels wide (`style.css`: a 72rem body, 3/4 of it beside the chapter
/// list); the course card shows it at 358x201. So a 1080p lecture's 960x540 picture is sharp
/// on an ordinary screen, and a quarter of the frame's pixels to encode and to send. Each
/// pixel is the mean of a 2x2 block.
pub fn slide_picture(frame: &RgbImage) -> Result<Vec<u8>> {
    let small = half_size(frame);
    let (Ok(width), Ok(height)) = (u16::try_from(small.width()), u16::try_from(small.height()))
    else {
        anyhow::bail!(
            "a {}x{} frame is too large for a JPEG",
            frame.width(),
            frame.height()
        );
    };
    let mut out = Vec::new();
    jpeg_encoder::Encoder::new(&mut out, 90).encode(
        small.as_raw(),
        width,
        height,
        jpeg_encoder::ColorType::Rgb,
    )?;
    Ok(out)
}

/// `frame` at half its size (rounded up), each pixel the mean of its 2x2 block.
pub fn half_size(frame: &RgbImage) -> RgbImage {
    let (w, h) = (frame.width() as usize, frame.height() as usize);
    let (hw, hh) = (w.div_ceil(2), h.div_ceil(2));
    let raw = frame.as_raw();
    let mut out = vec![0u8; hw * hh * 3];
    for (y, row) in out.chunks_exact_mut((hw * 3).max(1)).enumerate() {
        let top = &raw[(2 * y) * w * 3..][..w * 3];
        let bottom = &raw[(2 * y + 1).min(h - 1) * w * 3..][..w * 3];
        for (x, px) in row.chunks_exact_mut(3).enumerate() {
            let (left, right) = (2 * x * 3, (2 * x + 1).min(w - 1) * 3);
            for c in 0..3 {
                let sum = u16::from(top[left + c])
                    + u16::from(top[right + c])
                    + u16::from(bottom[left + c])
                    + u16::from(bottom[right + c]);
                px[c] = ((sum + 2) / 4) as u8;
            }
        }
    }
    RgbImage::from_raw(hw as u32, hh as u32, out).unwrap_or_default()
}
