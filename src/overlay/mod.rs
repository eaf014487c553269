//! Overlay: a slide's text, laid out and drawn on a transparent picture.
//!
//! In: a [`Slide`] and its lecture's [`Meta`]. Out: one or more [`Page`]s (more when the text does
//! not fit at the smallest legible size: it continues on follow-on pages with the same title).
//! The `slide.toml` template decides the boxes, sizes and colours (`spec.rs`); the slide's blocks
//! become a flat list of items (`items.rs`); cosmic-text shapes the text (bidi, Arabic joining,
//! kerning) and wraps it inside the boxes, and the items are sized and put on pages
//! (`layout.rs`); then each page is painted (`paint.rs`). Nothing is drawn outside its box.

mod items;
mod layout;
mod pages;
mod paint;
mod pictures;
mod placed;
mod spec;
mod text;

use anyhow::Result;
use cosmic_text::{Attrs, Color, Family, FontSystem, Style, SwashCache, Weight};
use image::RgbaImage;

use crate::color::Rgb;
use crate::config::ThemeConfig;
use crate::content::{Direction, Meta, Slide, SlideKind, Span};
use crate::fonts::{Fonts, MONO, SANS};
use crate::templates::Templates;

/// One transparent text picture, the size of the frame.
#[derive(Debug, Clone)]
pub struct Page {
    /// Straight-alpha RGBA.
    pub image: RgbaImage,
    /// Regions holding text, for the legibility panels of the frame stage.
    pub boxes: Vec<TextBox>,
    /// True on follow-on pages of an overflowing slide.
    pub continued: bool,
    /// Words on this page (for splitting the slide's time between its pages).
    pub words: usize,
    /// What a reader reads on this page, in order (the narration of a slide without notes).
    pub readings: Vec<crate::reading::Reading>,
    /// Size of the body text on this page, pixels.
    pub body_size: f32,
    /// The slide's steps that appear on this page after it is first shown, in order.
    pub steps: Vec<PageStep>,
    /// With the spotlight on a page of several steps: the page as the video shows it once its
    /// last step appeared (the steps before it dimmed); `image` stays the page's picture.
    pub spotlight: Option<Box<Page>>,
}

/// A step of a slide that appears while its page is on screen.
#[derive(Debug, Clone)]
pub struct PageStep {
    /// The page as it is just before the step appears.
    pub before: Page,
    /// The first of the page's readings that belongs to the step.
    pub reading: usize,
    /// The step's text, as read (to find the sentence of the notes that brings it).
    pub text: String,
}

/// A rectangle of text and what its panel must achieve.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TextBox {
    /// Left edge, pixels.
    pub x: u32,
    /// Top edge, pixels.
    pub y: u32,
    /// Width, pixels.
    pub width: u32,
    /// Height, pixels.
    pub height: u32,
    /// Colour of the text inside.
    pub text: Rgb,
    /// Colour of the panel to put behind it if needed.
    pub panel: Rgb,
    /// WCAG contrast the text must reach against what is behind it.
    pub min_contrast: f32,
}

/// A slide's pages and what the layout had to do to fit them.
#[derive(Debug, Clone)]
pub struct Rendered {
    /// At least one page.
    pub pages: Vec<Page>,
    /// Overflow and missing-image messages (without file name: the caller adds it).
    pub warnings: Vec<String>,
}

/// Everything the overlay stage needs besides the slide.
pub struct Renderer<'a> {
    /// Font pool.
    pub fonts: &'a Fonts,
    /// Templates (`slide.toml`).
    pub templates: &'a Templates,
    /// Theme colours, passed to the template.
    pub theme: &'a ThemeConfig,
    /// Frame width.
    pub width: u32,
    /// Frame height.
    pub height: u32,
    /// Words on one page at most: longer prose continues on the next page, cut at a sentence.
    pub max_words: usize,
    /// Steps already shown are dimmed in the pictures before the next step
    /// ([`Page::spotlight`]).
    pub spotlight: bool,
}

/// Lays out and draws one slide.
pub fn render(renderer: &Renderer<'_>, meta: &Meta, slide: &Slide) -> Result<Rendered> {
    let mut spec = spec::render(renderer, meta, slide, slide.kind)?;
    // Follow-on pages of the title slide are laid out as content pages, at content sizes.
    let mut continued_spec = match slide.kind {
        SlideKind::Title => Some(spec::render(renderer, meta, slide, SlideKind::Content)?),
        SlideKind::Content => None,
    };
    let mut split_warning = None;
    let side = slide.split.as_ref().and_then(|split| {
        let mut specs: Vec<&mut spec::Spec> = std::iter::once(&mut spec)
            .chain(continued_spec.as_mut())
            .collect();
        let (picture, warning) =
            pictures::side_picture(split, renderer.width, renderer.height, &mut specs);
        split_warning = warning;
        picture
    });
    renderer.fonts.with(|fs, cache| {
        let mut ctx = Draw {
            fs,
            cache,
            theme: renderer.theme,
            dir: meta.dir,
            width: renderer.width,
            height: renderer.height,
            warnings: Vec::new(),
            missing: Default::default(),
            side,
            max_words: renderer.max_words.max(1),
            image_share: spec.body.image_max_height,
            spotlight: renderer.spotlight,
        };
        ctx.warnings.extend(split_warning);
        if let Some(footer) = &slide.chrome.footer {
            ctx.grow_footer(&mut spec, footer);
            if let Some(continued) = continued_spec.as_mut() {
                ctx.grow_footer(continued, footer);
            }
        }
        let pages = ctx.slide(&spec, continued_spec.as_ref(), meta, slide);
        let mut by_package: std::collections::BTreeMap<&str, Vec<char>> = Default::default();
        for c in std::mem::take(&mut ctx.missing) {
            by_package.entry(font_package(c)).or_default().push(c);
        }
        for (package, chars) in by_package {
            let listed: Vec<String> = chars
                .iter()
                .take(8)
                .map(|c| format!("{c:?} (U+{:04X})", *c as u32))
                .collect();
            let more = chars.len().saturating_sub(8);
            ctx.warnings.push(format!(
                "no font has {}{}: drawn as boxes; install {package} (Debian) or put a font \
                 that has them in the course's fonts/ folder",
                listed.join(", "),
                if more > 0 {
                    format!(" and {more} more")
                } else {
                    String::new()
                }
            ));
        }
        // Layout tries several type sizes: what one try warned of, the next warns of again.
        let mut seen = std::collections::HashSet::new();
        let mut warnings = ctx.warnings;
        warnings.retain(|w| seen.insert(w.clone()));
        Ok(Rendered { pages, warnings })
    })
}

/// A Debian package with a font for `c`.
pub fn font_package(c: char) -> &'static str {
    match c as u32 {
        0x1100..=0x11FF
        | 0x2E80..=0x2FFF
        | 0x3000..=0x9FFF
        | 0xA960..=0xA97F
        | 0xAC00..=0xD7AF
        | 0xF900..=0xFAFF
        | 0xFE30..=0xFE4F
        | 0xFF00..=0xFFEF
        | 0x20000..=0x3FFFF => "fonts-noto-cjk",
        0x1F000..=0x1FAFF | 0x2600..=0x27BF | 0xFE0F => "fonts-noto-color-emoji",
        0x1D400..=0x1D7FF => "fonts-stix",
        _ => "fonts-noto-core",
    }
}

/// The state of one slide's layout and painting.
pub(super) struct Draw<'a> {
    pub(super) fs: &'a mut FontSystem,
    pub(super) cache: &'a mut SwashCache,
    pub(super) theme: &'a ThemeConfig,
    pub(super) dir: Direction,
    pub(super) width: u32,
    pub(super) height: u32,
    pub(super) warnings: Vec<String>,
    /// Characters drawn with no font covering them.
    pub(super) missing: std::collections::BTreeSet<char>,
    /// A split slide's picture and its left edge, drawn under everything on every page.
    pub(super) side: Option<(RgbaImage, f32)>,
    /// Words on one page at most.
    pub(super) max_words: usize,
    /// Share of the body height an image takes (all of it when the image is alone).
    pub(super) image_share: f32,
    /// Dim the steps already shown (see [`Renderer::spotlight`]).
    pub(super) spotlight: bool,
}

pub(super) fn color(c: Rgb) -> Color {
    let [r, g, b] = c.0;
    Color::rgb(r, g, b)
}

pub(super) fn attrs_for(span: &Span, base: Rgb, accent: Rgb) -> Attrs<'static> {
    let mut attrs = Attrs::new().family(Family::Name(if span.code { MONO } else { SANS }));
    attrs = attrs.color(color(if span.code { accent } else { base }));
    if span.bold {
        attrs = attrs.weight(Weight::BOLD);
    }
    if span.italic {
        attrs = attrs.style(Style::Italic);
    }
    attrs
}
