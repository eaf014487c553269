//! Handouts: a lecture as a PDF to print, annotate and read, one page per slide picture with
//! the words spoken while it is on screen.
//!
//! In: a [`Handout`] (the lecture's title and language, and per picture its JPEG, its text as
//! alternative text, when it starts and the sentences said over it) and the course's
//! [`Fonts`]. Out: the PDF's bytes. The text is real text, laid out by cosmic-text in the
//! course's fonts (right to left, CJK, fallback as on the slides) and drawn as glyphs, so it
//! can be selected, searched and read aloud; the pictures are the slides' own JPEGs, embedded
//! as they are. The document is tagged (PDF/UA-1, checked by krilla as it writes): its
//! language, a heading per page, each picture a figure with the slide's text as its
//! alternative, each start time a link to that moment of the video.

use std::collections::HashMap;
use std::num::NonZeroU16;
use std::path::PathBuf;

use anyhow::{anyhow, Context, Result};
use cosmic_text::{Attrs, Buffer, Family, Metrics, Shaping, Weight};
use krilla::action::{Action, LinkAction};
use krilla::annotation::{Annotation, LinkAnnotation, Target};
use krilla::color::rgb;
use krilla::configure::{Accessibility, Configuration, ConfigurationBuilder, Validator};
use krilla::destination::XyzDestination;
use krilla::geom::{Point, Rect, Size, Transform};
use krilla::image::Image;
use krilla::metadata::Metadata;
use krilla::outline::{Outline, OutlineNode};
use krilla::page::PageSettings;
use krilla::paint::Fill;
use krilla::surface::Surface;
use krilla::tagging::{ContentTag, Identifier, Node, SpanTag, Tag, TagGroup, TagTree};
use krilla::text::{Font, GlyphId, KrillaGlyph};
use krilla::{Data, Document, SerializeSettings};

use crate::config::Paper;
use crate::fonts::{Fonts, MONO, SANS};

/// A lecture's handout, as the publishing stage gives it.
#[derive(Debug, Clone, Default, serde::Serialize, serde::Deserialize)]
pub struct Handout {
    /// The folder its pictures' paths are relative to (the lecture's output folder).
    #[serde(skip)]
    pub folder: PathBuf,
    /// The lecture's title.
    pub title: String,
    /// Its language (BCP 47), empty when unknown.
    pub lang: String,
    /// Right to left.
    pub rtl: bool,
    /// One per slide picture, in order.
    pub pages: Vec<HandoutPage>,
}

/// One slide picture of a handout.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct HandoutPage {
    /// The slide's title ("(continued)" pages carry it too).
    pub title: String,
    /// The picture (a JPEG), all its steps shown, relative to the handout's `folder`.
    pub picture: PathBuf,
    /// A digest of the picture's frame: a new picture under the same name changes the
    /// handout's content.
    #[serde(default)]
    pub frame: String,
    /// The picture's text, for readers who cannot see it.
    pub alt: String,
    /// When it appears in the video, seconds.
    pub start: f64,
    /// Where that moment plays (the lecture's page with `#t=SECONDS`).
    pub link: String,
    /// The sentences said while it is on screen.
    pub said: Vec<String>,
    /// It is a slide's first picture (an entry of the document's outline).
    pub opens_slide: bool,
}

/// Margin around a page, points.
const MARGIN: f32 = 36.0;
/// The smallest picture height before the words' type gets smaller, points.
const MIN_PICTURE: f32 = 190.0;
/// Sizes the words are tried at, largest first, points.
const SIZES: [f32; 5] = [11.0, 10.0, 9.0, 8.0, 7.0];

/// A lecture's handout as a PDF.
pub fn pdf(handout: &Handout, paper: Paper, fonts: &Fonts) -> Result<Vec<u8>> {
    course_pdf(
        &handout.title,
        &handout.lang,
        std::slice::from_ref(handout),
        paper,
        fonts,
    )
}

/// The course's handout: every lecture's pages in order, each lecture a level-1 heading and
/// an outline entry whose children are its slides (a table of contents in any reader). The
/// document's title is `title` and its language `lang`: a lecture of another language says so
/// on its headings and paragraphs.
pub fn course_pdf(
    title: &str,
    lang: &str,
    lectures: &[Handout],
    paper: Paper,
    fonts: &Fonts,
) -> Result<Vec<u8>> {
    let configuration: Configuration = ConfigurationBuilder::new()
        .set_validator(Validator::Ua(Accessibility::UA1))
        .finish()
        .map_err(|e| anyhow!("PDF configuration: {e:?}"))?;
    let settings = SerializeSettings {
        configuration,
        enable_tagging: true,
        ..SerializeSettings::default()
    };
    let mut document = Document::new_with(settings);
    let mut tree = TagTree::new().with_lang((!lang.is_empty()).then(|| lang.to_string()));
    let mut outline = Outline::new();
    let mut writer = Writer {
        paper,
        fonts,
        faces: FaceCache::default(),
        pages: 0,
    };
    let single = lectures.len() == 1;
    for handout in lectures {
        let own_lang =
            (handout.lang != lang && !handout.lang.is_empty()).then(|| handout.lang.clone());
        let first_page = writer.pages;
        let mut slides = Vec::new();
        writer.lecture(&mut document, handout, own_lang, &mut tree, &mut slides)?;
        if single {
            for node in slides {
                outline.push_child(node);
            }
        } else {
            let mut node = OutlineNode::new(
                handout.title.clone(),
                XyzDestination::new(first_page, Point::from_xy(0.0, 0.0)),
            );
            for child in slides {
                node.push_child(child);
            }
            outline.push_child(node);
        }
    }
    let mut metadata = Metadata::new().title(title.to_string());
    if !lang.is_empty() {
        metadata = metadata.language(lang.to_string());
    }
    document.set_metadata(metadata);
    document.set_outline(outline);
    document.set_tag_tree(tree);
    document
        .finish()
        .map_err(|e| anyhow!("writing the handout \"{title}\": {e:?}"))
}

/// Writes lectures' pages into a document.
struct Writer<'a> {
    paper: Paper,
    fonts: &'a Fonts,
    faces: FaceCache,
    /// Pages written so far.
    pages: usize,
}

impl Writer<'_> {
    /// Writes `handout`'s pages, tagging them in `tree` (in `lang` when it differs from the
    /// document's) and listing its slides' outline entries in `slides`.
    fn lecture(
        &mut self,
        document: &mut Document,
        handout: &Handout,
        lang: Option<String>,
        tree: &mut TagTree,
        slides: &mut Vec<OutlineNode>,
    ) -> Result<()> {
        let fonts = self.fonts;
        let faces = &mut self.faces;
        let (width, height) = self.paper.landscape_points();
        let tagged = |tag: krilla::tagging::TagKind| -> krilla::tagging::TagKind {
            let mut tag = tag;
            tag.as_any_mut().set_lang(lang.clone());
            tag
        };
        let mut first = true;
        for (index, page) in handout.pages.iter().enumerate() {
            if page.opens_slide || index == 0 {
                slides.push(OutlineNode::new(
                    page.title.clone(),
                    XyzDestination::new(self.pages, Point::from_xy(0.0, 0.0)),
                ));
            }
            self.pages += 1;
            let path = handout.folder.join(&page.picture);
            let bytes =
                std::fs::read(&path).with_context(|| format!("reading {}", path.display()))?;
            let image = Image::from_jpeg(Data::from(bytes), true)
                .map_err(|e| anyhow!("{}: {e}", path.display()))?;
            let (pw, ph) = image.size();
            let aspect = ph.max(1) as f32 / pw.max(1) as f32;
            let text_width = width - 2.0 * MARGIN;
            let said = page.said.join(" ");
            let time = clock(page.start);
            let top = if first {
                fonts.with(|system, _| lines(system, &handout.title, 9.0, text_width, false))
            } else {
                Lines::default()
            };
            let space = height - 2.0 * MARGIN - top.height;
            let (size, heading, words, room) = fit(fonts, &page.title, &said, text_width, space);
            let picture_width = text_width.min(room / aspect);
            let picture_height = picture_width * aspect;

            let mut pdf_page = document.start_page_with(
                PageSettings::from_wh(width, height).ok_or_else(|| anyhow!("bad paper size"))?,
            );
            let mut surface = pdf_page.surface();
            let mut y = MARGIN;
            // The lecture's title heads the first page (a level-1 heading); each page's slide
            // title is a level-2 heading.
            if first {
                first = false;
                let ids = draw(&mut surface, &top, MARGIN, y, faces, fonts, gray(110));
                tree.push(group(tagged(heading_tag(1, &handout.title)), ids));
                y += top.height + 4.0;
            }
            let ids = draw(&mut surface, &heading, MARGIN, y, faces, fonts, gray(20));
            tree.push(group(tagged(heading_tag(2, &page.title)), ids));
            y += heading.height + 10.0;

            // The picture, centred, its text as the figure's alternative.
            let x = MARGIN + (text_width - picture_width) / 2.0;
            let id = surface.start_tagged(ContentTag::Other);
            surface.push_transform(&Transform::from_translate(x, y));
            if let Some(size) = Size::from_wh(picture_width, picture_height) {
                surface.draw_image(image, size);
            }
            surface.pop();
            surface.end_tagged();
            let alt = if page.alt.trim().is_empty() {
                page.title.clone()
            } else {
                page.alt.clone()
            };
            tree.push(group(tagged(Tag::Figure(Some(alt)).into()), vec![id]));
            y += picture_height + 10.0;

            // When it starts, linked to that moment; then what is said.
            let stamp = fonts.with(|system, _| lines(system, &time, size, text_width, true));
            // On the side the lecture's lines start.
            let stamp_x = if handout.rtl {
                MARGIN + text_width - stamp.width
            } else {
                MARGIN
            };
            let blue = rgb::Color::new(30, 90, 170);
            let stamp_ids = draw(&mut surface, &stamp, stamp_x, y, faces, fonts, blue);
            let link_rect =
                Rect::from_xywh(stamp_x, y, stamp.width.max(1.0), stamp.height.max(1.0));
            y += size * 1.6;
            let said_ids = draw(&mut surface, &words, MARGIN, y, faces, fonts, gray(20));
            surface.finish();
            if let Some(rect) = link_rect {
                let annotation = Annotation::new_link(
                    LinkAnnotation::new(
                        rect,
                        Target::Action(Action::Link(LinkAction::new(page.link.clone()))),
                    ),
                    Some(format!("Play from {time}")),
                );
                let annotation_id = pdf_page.add_tagged_annotation(annotation);
                let mut link = TagGroup::new(Tag::Link);
                for id in stamp_ids {
                    link.push(id);
                }
                link.push(annotation_id);
                tree.push(link);
            }
            if !said_ids.is_empty() {
                tree.push(group(tagged(Tag::P.into()), said_ids));
            }
            pdf_page.finish();
        }
        Ok(())
    }
}

/// A page's heading and words at the largest size (of [`SIZES`]) that leaves the picture at
/// least [`MIN_PICTURE`] of `space`, with the picture's room: (size, heading, words, room).
fn fit(fonts: &Fonts, title: &str, said: &str, width: f32, space: f32) -> (f32, Lines, Lines, f32) {
    let heading = fonts.with(|system, _| lines(system, title, 15.0, width, true));
    let mut last = None;
    for size in SIZES {
        let words = fonts.with(|system, _| lines(system, said, size, width, false));
        let room = space - (heading.height + 10.0 + size * 1.6 + words.height + 10.0);
        if room >= MIN_PICTURE {
            return (size, heading, words, room);
        }
        last = Some((size, words, room));
    }
    // Even the smallest words leave less: the picture shrinks (never below 80 points).
    let (size, words, room) = last.unwrap_or((SIZES[0], Lines::default(), space));
    (size, heading, words, room.max(80.0))
}

fn heading_tag(level: u16, title: &str) -> krilla::tagging::TagKind {
    Tag::Hn(
        NonZeroU16::new(level).unwrap_or(NonZeroU16::MIN),
        Some(title.to_string()),
    )
    .into()
}

fn group(tag: krilla::tagging::TagKind, ids: Vec<Identifier>) -> TagGroup {
    TagGroup::with_children(tag, ids.into_iter().map(Node::Leaf).collect())
}

fn gray(level: u8) -> rgb::Color {
    rgb::Color::new(level, level, level)
}

/// `seconds` as the player shows it: `m:ss`, or `h:mm:ss`.
fn clock(seconds: f64) -> String {
    let s = seconds.max(0.0).floor() as u64;
    if s >= 3600 {
        format!("{}:{:02}:{:02}", s / 3600, s / 60 % 60, s % 60)
    } else {
        format!("{}:{:02}", s / 60, s % 60)
    }
}

/// Text laid out in lines: each line's glyph runs, by font.
#[derive(Default)]
struct Lines {
    runs: Vec<GlyphRun>,
    width: f32,
    height: f32,
}

/// Glyphs of one font on one line.
struct GlyphRun {
    font: cosmic_text::fontdb::ID,
    size: f32,
    /// The line's text (the glyphs' ranges point into it).
    text: String,
    /// Pen position of the first glyph.
    x: f32,
    baseline: f32,
    glyphs: Vec<KrillaGlyph>,
    /// The line's cluster of the last glyph, and where its text is in `text`.
    last_cluster: Option<((usize, usize), std::ops::Range<usize>)>,
}

impl GlyphRun {
    /// Where `glyph`'s text is in the run's `text`, appended when it starts a cluster. Text
    /// extractors read right-to-left glyphs and reverse them into reading order, characters
    /// and all: a cluster of several characters (Arabic's lam-alef ligature) is given
    /// reversed, so that it comes out as written.
    fn cluster(&mut self, line: &str, glyph: &cosmic_text::LayoutGlyph) -> std::ops::Range<usize> {
        let key = (glyph.start, glyph.end);
        if let Some((last, range)) = &self.last_cluster {
            if *last == key {
                return range.clone();
            }
        }
        let text = line.get(glyph.start..glyph.end).unwrap_or("");
        let from = self.text.len();
        if glyph.level.is_rtl() {
            self.text.extend(text.chars().rev());
        } else {
            self.text.push_str(text);
        }
        let range = from..self.text.len();
        self.last_cluster = Some((key, range.clone()));
        range
    }
}

/// `text` shaped and wrapped to `width` at `size` points (bold for headings).
fn lines(
    system: &mut cosmic_text::FontSystem,
    text: &str,
    size: f32,
    width: f32,
    bold: bool,
) -> Lines {
    let mut buffer = Buffer::new(system, Metrics::new(size, size * 1.35));
    buffer.set_size(Some(width), None);
    let attrs = Attrs::new()
        .family(Family::Name(if text.contains('\n') { MONO } else { SANS }))
        .weight(if bold { Weight::BOLD } else { Weight::NORMAL });
    buffer.set_text(text, &attrs, Shaping::Advanced, None);
    buffer.shape_until_scroll(system, false);
    let mut runs = Vec::new();
    let (mut widest, mut bottom) = (0f32, 0f32);
    for run in buffer.layout_runs() {
        widest = widest.max(run.line_w);
        bottom = bottom.max(run.line_top + run.line_height);
        // Glyphs in logical order, so that the document's text reads in the order it is
        // written, each one placed where the layout put it: in a right-to-left run the pen
        // moves left (negative advances). A run of one font is one call.
        let mut current: Option<GlyphRun> = None;
        let glyphs = run.glyphs;
        for (i, glyph) in glyphs.iter().enumerate() {
            let same = current.as_ref().is_some_and(|c| c.font == glyph.font_id);
            if !same {
                runs.extend(current.take());
                current = Some(GlyphRun {
                    font: glyph.font_id,
                    size: glyph.font_size,
                    text: String::new(),
                    x: glyph.x,
                    baseline: run.line_y,
                    glyphs: Vec::new(),
                    last_cluster: None,
                });
            }
            // The next glyph of the same font is drawn where the pen stops after this one.
            let advance = match glyphs.get(i + 1) {
                Some(next) if next.font_id == glyph.font_id => next.x - glyph.x,
                _ => glyph.w,
            };
            if let Some(current) = current.as_mut() {
                let range = current.cluster(run.text, glyph);
                current.glyphs.push(KrillaGlyph::new(
                    GlyphId::new(u32::from(glyph.glyph_id)),
                    advance / glyph.font_size,
                    glyph.x_offset,
                    glyph.y_offset,
                    0.0,
                    range,
                    None,
                ));
            }
        }
        runs.extend(current);
    }
    Lines {
        runs,
        width: widest,
        height: bottom,
    }
}

/// The krilla font of each cosmic-text face used, made once per document.
#[derive(Default)]
struct FaceCache(HashMap<cosmic_text::fontdb::ID, Option<Font>>);

impl FaceCache {
    fn get(&mut self, id: cosmic_text::fontdb::ID, fonts: &Fonts) -> Option<Font> {
        self.0
            .entry(id)
            .or_insert_with(|| {
                fonts.with(|system, _| {
                    let index = system.db().face(id).map_or(0, |f| f.index);
                    let font = system.get_font(id, Weight::NORMAL)?;
                    let data: Vec<u8> = font.data().to_vec();
                    Font::new(Data::from(data), index)
                })
            })
            .clone()
    }
}

/// Draws `lines` with their top left at (`x`, `y`), each run a tagged span; returns the
/// spans' identifiers in reading order.
fn draw(
    surface: &mut Surface<'_>,
    lines: &Lines,
    x: f32,
    y: f32,
    faces: &mut FaceCache,
    fonts: &Fonts,
    color: rgb::Color,
) -> Vec<Identifier> {
    surface.set_fill(Some(Fill {
        paint: color.into(),
        ..Fill::default()
    }));
    let mut ids = Vec::new();
    for run in &lines.runs {
        let Some(font) = faces.get(run.font, fonts) else {
            continue;
        };
        let id = surface.start_tagged(ContentTag::Span(SpanTag::empty()));
        surface.draw_glyphs(
            Point::from_xy(x + run.x, y + run.baseline),
            &run.glyphs,
            font,
            &run.text,
            run.size,
            false,
        );
        surface.end_tagged();
        ids.push(id);
    }
    ids
}
