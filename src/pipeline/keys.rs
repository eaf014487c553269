//! Stable keys: what decides whether a slide is drawn again and whether an encoded picture
//! can be taken from the cache.
//!
//! Every key is the digest of a serialised, versioned structure (see [`crate::cache::key_of`])
//! in which paths are relative to the course root and files are named by the digest of their
//! contents (memoised by size and modification time in [`crate::media::digest`]). The same
//! course gives the same keys on any machine and in any folder: moving a built course draws and
//! encodes nothing.

use std::path::Path;

use anyhow::Result;
use serde::Serialize;

use crate::cache::key_of;
use crate::config::{Config, ThemeConfig};
use crate::content::{Block, Lecture, Meta, Slide};
use crate::fonts::{FontSource, Fonts};
use crate::project::relative;
use crate::video::EncoderSettings;

/// Bump when a change to the code changes what a slide looks like, so old keys stop matching
/// (9: a slide's steps are pictures of their own).
const RENDER_VERSION: u32 = 9;

/// Everything besides the slide itself that shapes a slide's picture, as one digest.
pub(super) fn frame_inputs(
    slide_templates: &str,
    fonts: &Fonts,
    theme: &ThemeConfig,
    (width, height): (u32, u32),
    max_words: usize,
    spotlight: bool,
    backend: &str,
) -> Result<String> {
    #[derive(Serialize)]
    struct FrameInputs<'a> {
        program: &'a str,
        templates: &'a str,
        /// `[layout] max_words_per_page`: where a slide's pages are cut.
        max_words: usize,
        /// `[layout] spotlight`: how the pictures of steps look.
        spotlight: bool,
        fonts: Vec<String>,
        theme: &'a ThemeConfig,
        width: u32,
        height: u32,
        backend: &'a str,
    }
    let mut faces = fonts
        .faces()
        .into_iter()
        .map(|(source, index)| {
            Ok(match source {
                FontSource::Bundled(len) => format!("bundled:{len}:{index}"),
                FontSource::System(name) => format!("system:{name}:{index}"),
                FontSource::File(path) => format!("{}:{index}", crate::media::digest(&path)?),
            })
        })
        .collect::<Result<Vec<_>>>()?;
    // The order fonts are found in depends on the file system, not on the fonts.
    faces.sort();
    Ok(key_of(
        "frame-inputs",
        RENDER_VERSION,
        &FrameInputs {
            program: env!("CARGO_PKG_VERSION"),
            templates: slide_templates,
            max_words,
            spotlight,
            fonts: faces,
            theme,
            width,
            height,
            backend,
        },
    ))
}

/// The key of a slide's pictures: the frame inputs, the lecture's front matter and what the
/// slide draws, with every file it shows by path from the course root and content digest.
/// Speaker notes, the page HTML and timing are not part of it: they never change a picture.
pub(super) fn slide(frame_inputs: &str, root: &Path, meta: &Meta, slide: &Slide) -> String {
    #[derive(Serialize)]
    struct SlideKey<'a> {
        frame_inputs: &'a str,
        meta: &'a Meta,
        slide: Slide,
    }
    let file = |path: &Path| {
        let digest = crate::media::digest(path).unwrap_or_else(|_| "missing".into());
        format!("{}#{digest}", relative(path, root)).into()
    };
    let drawn = Slide {
        blocks: portable_blocks(&slide.blocks, &file),
        backdrop: slide.backdrop.as_ref().map(|b| portable_backdrop(b, &file)),
        split: slide.split.as_ref().map(|s| crate::content::Split {
            backdrop: portable_backdrop(&s.backdrop, &file),
            ..s.clone()
        }),
        notes: Vec::new(),
        html: String::new(),
        line: 0,
        duration: None,
        silent: false,
        words: 0,
        ..slide.clone()
    };
    key_of(
        "slide",
        RENDER_VERSION,
        &SlideKey {
            frame_inputs,
            meta,
            slide: drawn,
        },
    )
}

/// `backdrop` with each picture's path replaced by `file(path)`.
fn portable_backdrop(
    backdrop: &crate::content::Backdrop,
    file: &dyn Fn(&Path) -> std::path::PathBuf,
) -> crate::content::Backdrop {
    crate::content::Backdrop {
        images: backdrop.images.iter().map(|p| file(p)).collect(),
        vertical: backdrop.vertical,
    }
}

/// `blocks` with each image path replaced by `file(path)`.
fn portable_blocks(blocks: &[Block], file: &dyn Fn(&Path) -> std::path::PathBuf) -> Vec<Block> {
    blocks
        .iter()
        .map(|block| match block {
            Block::Image { path, alt, width } => Block::Image {
                path: file(path),
                alt: alt.clone(),
                width: *width,
            },
            Block::Quote(inner) => Block::Quote(portable_blocks(inner, file)),
            // What a point stands for is read, never drawn.
            Block::Point {
                shown, authored, ..
            } => Block::Point {
                shown: shown.clone(),
                said: Vec::new(),
                authored: *authored,
            },
            Block::Columns(columns) => Block::Columns(
                columns
                    .iter()
                    .map(|c| crate::content::Column {
                        width: c.width,
                        blocks: portable_blocks(&c.blocks, file),
                    })
                    .collect(),
            ),
            Block::List { start, items } => Block::List {
                start: *start,
                items: items.iter().map(|i| portable_blocks(i, file)).collect(),
            },
            other => other.clone(),
        })
        .collect()
}

/// The key of an encoded picture: the frame's digest and the encoder's settings.
pub(super) fn encoding(frame_digest: &str, encoder: &EncoderSettings) -> String {
    #[derive(Serialize)]
    struct EncodingKey<'a> {
        frame: &'a str,
        encoder: String,
    }
    key_of(
        "encoded-slide",
        1,
        &EncodingKey {
            frame: frame_digest,
            encoder: encoder.key(),
        },
    )
}

/// Digest of everything besides the lecture itself that shapes what a lecture publishes: the
/// program, every template, the configuration (course, site, narration, timing...), the
/// encoder settings and the lexicon.
pub(super) fn lecture_inputs(
    templates: &str,
    config: &Config,
    encoder: &EncoderSettings,
    lexicon: &str,
) -> String {
    #[derive(Serialize)]
    struct LectureInputs<'a> {
        program: &'a str,
        templates: &'a str,
        config: &'a Config,
        encoder: String,
        lexicon: &'a str,
    }
    key_of(
        "lecture-inputs",
        1,
        &LectureInputs {
            program: env!("CARGO_PKG_VERSION"),
            templates,
            config,
            encoder: encoder.key(),
            lexicon,
        },
    )
}

/// A lecture's key: when it matches the last build's and that build's files are in place, the
/// lecture's video, tracks and page would come out the same, and nothing is spoken, muxed or
/// written. It covers the lecture's inputs ([`lecture_inputs`]), its front matter, each
/// slide's key and what it says and shows on the page, the files it copies (by digest) and
/// the voice that speaks it.
pub(super) fn lecture(
    inputs: &str,
    root: &Path,
    lecture: &Lecture,
    slide_keys: &[String],
    voice: Option<&str>,
) -> String {
    #[derive(Serialize)]
    struct SlideText<'a> {
        key: &'a str,
        title: &'a str,
        notes: &'a [String],
        html: &'a str,
        duration: Option<f32>,
        silent: bool,
        words: usize,
    }
    #[derive(Serialize)]
    struct LectureKey<'a> {
        inputs: &'a str,
        slug: &'a str,
        source: &'a str,
        page: String,
        meta: &'a Meta,
        slides: Vec<SlideText<'a>>,
        assets: Vec<(&'a str, String)>,
        voice: Option<&'a str>,
    }
    let slides = lecture
        .slides
        .iter()
        .zip(slide_keys)
        .map(|(slide, key)| SlideText {
            key,
            title: &slide.title,
            notes: &slide.notes,
            html: &slide.html,
            duration: slide.duration,
            silent: slide.silent,
            words: slide.words,
        })
        .collect();
    let assets = lecture
        .assets
        .iter()
        .map(|a| {
            let digest = crate::media::digest(&a.source).unwrap_or_else(|_| "missing".into());
            (a.output.as_str(), digest)
        })
        .collect();
    key_of(
        "lecture",
        1,
        &LectureKey {
            inputs,
            slug: &lecture.source.slug,
            source: &lecture.source.display,
            page: relative(&lecture.source.file, root),
            meta: &lecture.meta,
            slides,
            assets,
            voice,
        },
    )
}
