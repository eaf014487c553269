//! Overlay: a slide's text, laid out and drawn on a transparent picture.
//!
//! In: a [`Slide`] and its lecture's [`Meta`]. Out: one or more [`Page`]s (more when the text does
//! not fit at the smallest legible size: it continues on follow-on pages with the same title).
//! The `slide.toml` template decides the boxes, sizes and colours; cosmic-text shapes the text
//! (bidi, Arabic joining, kerning) and wraps it inside them. Nothing is drawn outside its box.

use std::path::Path;

use anyhow::{Context, Result};
use cosmic_text::{
    Align, Attrs, Buffer, Color, Family, FontSystem, Metrics, Shaping, Style, SwashCache, Weight,
    Wrap,
};
use image::RgbaImage;
use serde::Deserialize;

use crate::color::Rgb;
use crate::config::ThemeConfig;
use crate::content::{Block, Direction, Meta, Slide, SlideKind, Span};
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
}

/// `slide.toml` rendered: the layout of one slide.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct Spec {
    title: BoxSpec,
    subtitle: Option<BoxSpec>,
    body: BodySpec,
    panel: PanelSpec,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct BoxSpec {
    x: f32,
    y: f32,
    width: f32,
    height: f32,
    size: f32,
    min_size: f32,
    #[serde(default = "default_line_height")]
    line_height: f32,
    #[serde(default)]
    bold: bool,
    #[serde(default)]
    align: AlignSpec,
    #[serde(default)]
    valign: VAlignSpec,
    color: Rgb,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct BodySpec {
    x: f32,
    y: f32,
    width: f32,
    height: f32,
    size: f32,
    min_size: f32,
    code_min_size: f32,
    #[serde(default = "default_line_height")]
    line_height: f32,
    /// Space between blocks, in ems.
    gap: f32,
    /// Indent per list or quote level, in ems.
    indent: f32,
    color: Rgb,
    accent: Rgb,
    code_scale: f32,
    code_background: Rgb,
    /// Largest share of the body height one image may take.
    image_max_height: f32,
    #[serde(default)]
    align: AlignSpec,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct PanelSpec {
    color: Rgb,
    padding: f32,
    min_contrast: f32,
}

#[derive(Debug, Clone, Copy, Default, Deserialize, PartialEq)]
#[serde(rename_all = "lowercase")]
enum AlignSpec {
    #[default]
    Start,
    Center,
    End,
}

#[derive(Debug, Clone, Copy, Default, Deserialize, PartialEq)]
#[serde(rename_all = "lowercase")]
enum VAlignSpec {
    #[default]
    Top,
    Center,
    Bottom,
}

fn default_line_height() -> f32 {
    1.25
}

/// Lays out and draws one slide.
pub fn render(renderer: &Renderer<'_>, meta: &Meta, slide: &Slide) -> Result<Rendered> {
    let mut spec = layout_spec(renderer, meta, slide)?;
    let mut split_warning = None;
    let side = slide.split.as_ref().and_then(|split| {
        let (picture, warning) = side_picture(split, renderer.width, renderer.height, &mut spec);
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
        };
        ctx.warnings.extend(split_warning);
        let pages = ctx.slide(&spec, meta, slide);
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
        Ok(Rendered {
            pages,
            warnings: ctx.warnings,
        })
    })
}

fn layout_spec(renderer: &Renderer<'_>, meta: &Meta, slide: &Slide) -> Result<Spec> {
    let mut context = tera::Context::new();
    context.insert(
        "frame",
        &serde_json::json!({ "width": renderer.width, "height": renderer.height }),
    );
    context.insert(
        "slide",
        &serde_json::json!({
            "kind": slide.kind,
            "index": slide.index,
            "title": slide.title,
            "has_title": !slide.title.trim().is_empty(),
            "has_body": !slide.blocks.is_empty(),
        }),
    );
    context.insert("lecture", meta);
    context.insert("dir", meta.dir.as_str());
    context.insert("theme", renderer.theme);
    let text = renderer.templates.render("slide.toml", &context)?;
    toml::from_str(&text).map_err(|e| {
        let (line, col) = e
            .span()
            .map(|s| crate::content::line_col(&text, s.start))
            .unwrap_or((1, 1));
        anyhow::anyhow!(
            "template slide.toml produced invalid layout at output line {line}:{col}: {}",
            e.message()
        )
    })
}

/// A laid-out unit of the body: a paragraph, a code block, an image.
#[derive(Debug, Clone)]
struct Item {
    kind: ItemKind,
    /// List/quote nesting: indent steps from the start side.
    depth: u32,
    /// Bullet or number drawn in the margin before the first line.
    marker: Option<String>,
    /// Inside a block quote: draw the bar.
    quote: bool,
}

#[derive(Debug, Clone)]
enum ItemKind {
    Text {
        spans: Vec<Span>,
        scale: f32,
    },
    Code {
        text: String,
        lang: Option<String>,
    },
    Image {
        path: std::path::PathBuf,
        alt: String,
    },
    Table {
        head: Vec<Vec<Span>>,
        rows: Vec<Vec<Vec<Span>>>,
        align: Vec<crate::content::ColumnAlign>,
    },
}

impl Item {
    fn words(&self) -> usize {
        match &self.kind {
            ItemKind::Text { spans, .. } => spans
                .iter()
                .map(|s| s.text.split_whitespace().count())
                .sum(),
            ItemKind::Code { text, .. } => 2 * text.lines().count(),
            ItemKind::Image { .. } => 10,
            ItemKind::Table { head, rows, .. } => std::iter::once(head)
                .chain(rows)
                .flatten()
                .flatten()
                .map(|s| s.text.split_whitespace().count())
                .sum(),
        }
    }
}

fn flatten(blocks: &[Block], depth: u32, quote: bool, out: &mut Vec<Item>) {
    for block in blocks {
        match block {
            Block::Paragraph(spans) => out.push(Item {
                kind: ItemKind::Text {
                    spans: spans.clone(),
                    scale: 1.0,
                },
                depth,
                marker: None,
                quote,
            }),
            Block::Heading(level, spans) => out.push(Item {
                kind: ItemKind::Text {
                    spans: spans
                        .iter()
                        .map(|s| Span {
                            bold: true,
                            ..s.clone()
                        })
                        .collect(),
                    scale: if *level <= 3 { 1.15 } else { 1.0 },
                },
                depth,
                marker: None,
                quote,
            }),
            Block::List { start, items } => {
                for (i, item) in items.iter().enumerate() {
                    let marker = match start {
                        Some(n) => format!("{}.", n.saturating_add(i as u64)),
                        None => ["•", "◦", "▪"][(depth as usize) % 3].to_string(),
                    };
                    let first = out.len();
                    flatten(item, depth + 1, quote, out);
                    if let Some(first) = out.get_mut(first) {
                        // A task list item shows its box where the bullet would be.
                        let task = match &mut first.kind {
                            ItemKind::Text { spans, .. } => spans.first_mut().and_then(|span| {
                                let rest = span
                                    .text
                                    .strip_prefix("☑ ")
                                    .or_else(|| span.text.strip_prefix("☐ "))?
                                    .to_string();
                                let mark = span.text.chars().next()?;
                                span.text = rest;
                                Some(mark.to_string())
                            }),
                            _ => None,
                        };
                        first.marker = Some(task.unwrap_or(marker));
                    } else {
                        out.push(Item {
                            kind: ItemKind::Text {
                                spans: Vec::new(),
                                scale: 1.0,
                            },
                            depth: depth + 1,
                            marker: Some(marker),
                            quote,
                        });
                    }
                }
            }
            Block::Code { text, lang } => out.push(Item {
                kind: ItemKind::Code {
                    text: text.replace('\t', "    "),
                    lang: lang.clone(),
                },
                depth,
                marker: None,
                quote,
            }),
            Block::Quote(inner) => flatten(inner, depth + 1, true, out),
            Block::Image { path, alt } => out.push(Item {
                kind: ItemKind::Image {
                    path: path.clone(),
                    alt: alt.clone(),
                },
                depth,
                marker: None,
                quote,
            }),
            Block::Table { head, rows, align } => out.push(Item {
                kind: ItemKind::Table {
                    head: head.clone(),
                    rows: rows.clone(),
                    align: align.clone(),
                },
                depth,
                marker: None,
                quote,
            }),
        }
    }
}

/// An item laid out at one size.
struct Placed {
    item: Item,
    /// Offset from the top of the body box.
    height: f32,
    buffer: Option<Buffer>,
    marker: Option<Buffer>,
    image: Option<RgbaImage>,
    /// Widest line, for the panel.
    line_width: f32,
    pad: f32,
    /// Code: the source line each displayed line belongs to (long lines wrap into several).
    code_lines: Vec<usize>,
    /// Table: its laid-out cells.
    table: Option<TableLayout>,
}

/// A table laid out at one size: column offsets from the start side, rows with their cells.
struct TableLayout {
    /// (offset, width) of each column, from the start side.
    columns: Vec<(f32, f32)>,
    /// (top, height, cells) of each row; the header row first when there is one.
    rows: Vec<(f32, f32, Vec<Buffer>)>,
    header: bool,
    pad: f32,
}

/// For `![bg left](...)` / `![bg right:40%](...)`: moves the text boxes into the other side
/// (keeping their proportions) and returns the picture covering its side with its left edge,
/// or a warning when the picture cannot be read (the text still keeps to its side).
fn side_picture(
    split: &crate::content::Split,
    width: u32,
    height: u32,
    spec: &mut Spec,
) -> (Option<(RgbaImage, f32)>, Option<String>) {
    let side_w = (width as f32 * split.fraction)
        .round()
        .clamp(1.0, width as f32 - 1.0);
    let (free_x, side_x) = if split.left {
        (side_w, 0.0)
    } else {
        (0.0, width as f32 - side_w)
    };
    let k = (width as f32 - side_w) / width as f32;
    let squeeze = |x: &mut f32, w: &mut f32| {
        *x = free_x + *x * k;
        *w *= k;
    };
    squeeze(&mut spec.title.x, &mut spec.title.width);
    if let Some(sub) = spec.subtitle.as_mut() {
        squeeze(&mut sub.x, &mut sub.width);
    }
    squeeze(&mut spec.body.x, &mut spec.body.width);
    let picture = std::fs::read(&split.image)
        .map_err(anyhow::Error::from)
        .and_then(|bytes| crate::background::cover(&bytes, side_w as u32, height));
    match picture {
        Ok(rgb) => (
            Some((image::DynamicImage::ImageRgb8(rgb).to_rgba8(), side_x)),
            None,
        ),
        Err(e) => (
            None,
            Some(format!(
                "side picture {} cannot be drawn: {e:#}",
                split.image.display()
            )),
        ),
    }
}

/// Draws an SVG to fit `max_w` x `max_h` (vector art scales freely), text in the slide fonts.
/// Files it links to are not read: only pictures embedded as data URLs are drawn.
fn load_svg(
    path: &Path,
    max_w: f32,
    max_h: f32,
    fonts: &cosmic_text::fontdb::Database,
) -> Result<RgbaImage> {
    use resvg::{tiny_skia, usvg};
    let data = std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
    let options = usvg::Options {
        fontdb: std::sync::Arc::new(fonts.clone()),
        image_href_resolver: usvg::ImageHrefResolver {
            resolve_data: usvg::ImageHrefResolver::default_data_resolver(),
            resolve_string: Box::new(|_, _| None),
        },
        ..usvg::Options::default()
    };
    let tree = usvg::Tree::from_data(&data, &options)
        .map_err(|e| anyhow::anyhow!("{}: not a valid SVG: {e}", path.display()))?;
    let size = tree.size();
    let scale = (max_w / size.width()).min(max_h / size.height());
    if !scale.is_finite() || scale <= 0.0 {
        anyhow::bail!("{}: the SVG has no size", path.display());
    }
    let (w, h) = (
        (size.width() * scale).round().clamp(1.0, 16_384.0) as u32,
        (size.height() * scale).round().clamp(1.0, 16_384.0) as u32,
    );
    let mut pixmap = tiny_skia::Pixmap::new(w, h)
        .with_context(|| format!("{}: cannot draw at {w}x{h}", path.display()))?;
    resvg::render(
        &tree,
        tiny_skia::Transform::from_scale(scale, scale),
        &mut pixmap.as_mut(),
    );
    let mut out = RgbaImage::new(w, h);
    for (dst, src) in out.pixels_mut().zip(pixmap.pixels()) {
        let c = src.demultiply();
        *dst = image::Rgba([c.red(), c.green(), c.blue(), c.alpha()]);
    }
    Ok(out)
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

/// Marks the continuation of a code line too long for the slide.
const CODE_WRAP_MARK: &str = "↪ ";

struct Draw<'a> {
    fs: &'a mut FontSystem,
    cache: &'a mut SwashCache,
    theme: &'a ThemeConfig,
    dir: Direction,
    width: u32,
    height: u32,
    warnings: Vec<String>,
    /// Characters drawn with no font covering them.
    missing: std::collections::BTreeSet<char>,
    /// A split slide's picture and its left edge, drawn under everything on every page.
    side: Option<(RgbaImage, f32)>,
}

fn color(c: Rgb) -> Color {
    let [r, g, b] = c.0;
    Color::rgb(r, g, b)
}

fn attrs_for(span: &Span, base: Rgb, accent: Rgb) -> Attrs<'static> {
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

impl Draw<'_> {
    fn align(&self, spec: AlignSpec) -> Align {
        match (spec, self.dir) {
            (AlignSpec::Center, _) => Align::Center,
            (AlignSpec::Start, Direction::Ltr) | (AlignSpec::End, Direction::Rtl) => Align::Left,
            _ => Align::Right,
        }
    }

    fn text_buffer(
        &mut self,
        spans: &[Span],
        size: f32,
        line_height: f32,
        width: f32,
        align: Align,
        (base, accent): (Rgb, Rgb),
    ) -> Buffer {
        let mut buffer = Buffer::new(self.fs, Metrics::new(size, size * line_height));
        buffer.set_wrap(Wrap::WordOrGlyph);
        buffer.set_size(Some(width.max(1.0)), None);
        let default = Attrs::new().family(Family::Name(SANS)).color(color(base));
        buffer.set_rich_text(
            spans
                .iter()
                .map(|s| (s.text.as_str(), attrs_for(s, base, accent))),
            &default,
            Shaping::Advanced,
            Some(align),
        );
        buffer.shape_until_scroll(self.fs, false);
        buffer
    }

    fn slide(&mut self, spec: &Spec, meta: &Meta, slide: &Slide) -> Vec<Page> {
        let mut items = Vec::new();
        flatten(&slide.blocks, 0, false, &mut items);
        let body = &spec.body;
        // Largest size at which everything fits on one page, else the floor and pages.
        let fits = |this: &mut Self, size: f32| {
            let placed = this.place_all(&items, body, size);
            let total = stack_height(&placed, body.gap * size);
            (total <= body.height, placed)
        };
        let (mut lo, mut hi) = (body.min_size.min(body.size), body.size);
        let (ok, mut placed) = fits(self, hi);
        let mut size = hi;
        if !ok {
            let (ok_lo, placed_lo) = fits(self, lo);
            placed = placed_lo;
            size = lo;
            if ok_lo {
                for _ in 0..6 {
                    let mid = (lo + hi) / 2.0;
                    let (ok_mid, placed_mid) = fits(self, mid);
                    if ok_mid {
                        lo = mid;
                        placed = placed_mid;
                        size = mid;
                    } else {
                        hi = mid;
                    }
                }
            }
        }
        let pages = self.paginate(placed, body, size);
        if pages.len() > 1 {
            self.warnings.push(format!(
                "slide {} \"{}\" is too long for one slide at the smallest legible size: continued on {} more",
                slide.index + 1,
                slide.display_title(),
                pages.len() - 1
            ));
        }
        pages
            .into_iter()
            .enumerate()
            .map(|(i, page_items)| self.draw_page(spec, meta, slide, page_items, size, i > 0))
            .collect()
    }

    fn place_all(&mut self, items: &[Item], body: &BodySpec, size: f32) -> Vec<Placed> {
        items
            .iter()
            .map(|item| self.place(item.clone(), body, size))
            .collect()
    }

    fn indent(&self, body: &BodySpec, size: f32, depth: u32) -> f32 {
        body.indent * size * depth as f32
    }

    fn place(&mut self, item: Item, body: &BodySpec, size: f32) -> Placed {
        let indent = self.indent(body, size, item.depth);
        let width = (body.width - indent).max(size);
        let align = self.align(body.align);
        let marker = item.marker.as_ref().map(|m| {
            let spans = [Span {
                text: m.clone(),
                ..Span::default()
            }];
            let w = body.indent * size;
            let align = match self.dir {
                Direction::Ltr => Align::Left,
                Direction::Rtl => Align::Right,
            };
            self.text_buffer(
                &spans,
                size,
                body.line_height,
                w,
                align,
                (body.accent, body.accent),
            )
        });
        match &item.kind {
            ItemKind::Text { spans, scale } => {
                let s = size * scale;
                let buffer = self.text_buffer(
                    spans,
                    s,
                    body.line_height,
                    width,
                    align,
                    (body.color, body.accent),
                );
                let (height, line_width) = measure(&buffer);
                Placed {
                    item,
                    height,
                    buffer: Some(buffer),
                    marker,
                    image: None,
                    line_width,
                    pad: 0.0,
                    code_lines: Vec::new(),
                    table: None,
                }
            }
            ItemKind::Code { text, lang } => {
                let (buffer, pad, code_lines) =
                    self.code_buffer(text, lang.as_deref(), width, body, size);
                let (height, _) = measure(&buffer);
                Placed {
                    item,
                    height: height + 2.0 * pad,
                    buffer: Some(buffer),
                    marker,
                    image: None,
                    line_width: width,
                    pad,
                    code_lines,
                    table: None,
                }
            }
            ItemKind::Table { head, rows, align } => {
                let table = self.table_layout(head, rows, align, width, body, size);
                let height = table.rows.last().map(|(top, h, _)| top + h).unwrap_or(0.0);
                let line_width = table.columns.last().map(|(x, w)| x + w).unwrap_or(0.0);
                Placed {
                    item,
                    height,
                    buffer: None,
                    marker,
                    image: None,
                    line_width,
                    pad: 0.0,
                    code_lines: Vec::new(),
                    table: Some(table),
                }
            }
            ItemKind::Image { path, alt } => {
                let max_h = body.height * body.image_max_height;
                match load_image(path, width, max_h, self.fs.db()) {
                    Ok(img) => Placed {
                        item,
                        height: img.height() as f32,
                        line_width: img.width() as f32,
                        buffer: None,
                        marker,
                        image: Some(img),
                        pad: 0.0,
                        code_lines: Vec::new(),
                        table: None,
                    },
                    Err(e) => {
                        self.warnings.push(format!(
                            "image {} cannot be drawn ({e:#}); its alt text is shown instead",
                            path.display()
                        ));
                        let spans = [Span {
                            text: format!("[{alt}]"),
                            italic: true,
                            ..Span::default()
                        }];
                        let buffer = self.text_buffer(
                            &spans,
                            size,
                            body.line_height,
                            width,
                            align,
                            (body.color, body.accent),
                        );
                        let (height, line_width) = measure(&buffer);
                        Placed {
                            item,
                            height,
                            buffer: Some(buffer),
                            marker,
                            image: None,
                            line_width,
                            pad: 0.0,
                            code_lines: Vec::new(),
                            table: None,
                        }
                    }
                }
            }
        }
    }

    /// Lays out a table: columns as wide as their widest cell when the table fits, else shared
    /// in proportion to it (cells then wrap); the header bold.
    fn table_layout(
        &mut self,
        head: &[Vec<Span>],
        rows: &[Vec<Vec<Span>>],
        align: &[crate::content::ColumnAlign],
        width: f32,
        body: &BodySpec,
        size: f32,
    ) -> TableLayout {
        let s = (size * 0.9).max(body.min_size.min(size));
        let pad = s * 0.45;
        let header = !head.is_empty();
        let mut table_rows: Vec<(bool, &[Vec<Span>])> = Vec::new();
        if header {
            table_rows.push((true, head));
        }
        table_rows.extend(rows.iter().map(|r| (false, r.as_slice())));
        let columns = table_rows
            .iter()
            .map(|(_, r)| r.len())
            .max()
            .unwrap_or(0)
            .max(1);
        let start = self.align(AlignSpec::Start);
        let column_align = |c: usize| match align.get(c).copied().unwrap_or_default() {
            crate::content::ColumnAlign::Start => start,
            crate::content::ColumnAlign::Left => Align::Left,
            crate::content::ColumnAlign::Center => Align::Center,
            crate::content::ColumnAlign::Right => Align::Right,
        };
        let colours = (body.color, body.accent);
        let bold = |cell: &[Span], on: bool| -> Vec<Span> {
            cell.iter()
                .map(|sp| Span {
                    bold: sp.bold || on,
                    ..sp.clone()
                })
                .collect()
        };
        // Natural widths: each cell on one line.
        let mut natural = vec![s; columns];
        for (is_head, row) in &table_rows {
            for (c, cell) in row.iter().enumerate() {
                let buffer = self.text_buffer(
                    &bold(cell, *is_head),
                    s,
                    body.line_height,
                    1.0e6,
                    start,
                    colours,
                );
                natural[c] = natural[c].max(measure(&buffer).1);
            }
        }
        let room = (width - 2.0 * pad * columns as f32).max(s * columns as f32);
        let total: f32 = natural.iter().sum();
        let widths: Vec<f32> = if total <= room {
            natural
        } else {
            natural
                .iter()
                .map(|n| (room * n / total).max(s * 2.0))
                .collect()
        };
        let mut x = 0.0;
        let mut column_boxes = Vec::new();
        for w in &widths {
            column_boxes.push((x, w + 2.0 * pad));
            x += w + 2.0 * pad;
        }
        let mut laid = Vec::new();
        let mut top = 0.0;
        for (is_head, row) in &table_rows {
            let mut cells = Vec::new();
            let mut height = s * body.line_height;
            for (c, w) in widths.iter().enumerate() {
                let cell = row
                    .get(c)
                    .map(|cell| bold(cell, *is_head))
                    .unwrap_or_default();
                let buffer = self.text_buffer(
                    &cell,
                    s,
                    body.line_height,
                    *w + 0.5,
                    column_align(c),
                    colours,
                );
                height = height.max(measure(&buffer).0);
                cells.push(buffer);
            }
            laid.push((top, height + 2.0 * pad, cells));
            top += height + 2.0 * pad;
        }
        TableLayout {
            columns: column_boxes,
            rows: laid,
            header,
            pad,
        }
    }

    /// Lays out a code block: highlighted with the theme's code palette, shrunk (down to the
    /// code floor) until its longest line fits, and past the floor wrapped with a visible mark.
    /// Returns the buffer, its padding and the source line of each displayed line.
    fn code_buffer(
        &mut self,
        text: &str,
        lang: Option<&str>,
        width: f32,
        body: &BodySpec,
        size: f32,
    ) -> (Buffer, f32, Vec<usize>) {
        let floor = body.code_min_size.min(size);
        let mut s = (size * body.code_scale).max(floor);
        let inner = |s: f32| (width - s).max(s);
        let longest = text.lines().map(|l| l.chars().count()).max().unwrap_or(0) as f32;
        let needed = longest * self.mono_advance(s);
        if needed > inner(s) {
            s = (s * inner(s) / needed).max(floor);
        }
        let pad = s * 0.5;
        let max_chars = ((inner(s) / self.mono_advance(s)).floor() as usize).max(8);

        let theme = self.theme;
        let mut runs: Vec<(String, Rgb)> = Vec::new();
        let push = |runs: &mut Vec<(String, Rgb)>, text: &str, colour: Rgb| match runs.last_mut() {
            Some((last, c)) if *c == colour => last.push_str(text),
            _ => runs.push((text.to_string(), colour)),
        };
        let mut code_lines = vec![0];
        let (mut column, mut line) = (0, 0);
        for (part, colour) in crate::highlight::highlight(text, lang, theme) {
            for ch in part.chars() {
                if ch == '\n' {
                    push(&mut runs, "\n", colour);
                    (column, line) = (0, line + 1);
                    code_lines.push(line);
                    continue;
                }
                if column >= max_chars {
                    push(&mut runs, "\n", theme.code_text);
                    push(&mut runs, CODE_WRAP_MARK, theme.code_comment);
                    column = CODE_WRAP_MARK.chars().count();
                    code_lines.push(line);
                }
                let mut utf8 = [0u8; 4];
                push(&mut runs, ch.encode_utf8(&mut utf8), colour);
                column += 1;
            }
        }
        // Code reads left to right even in right-to-left lectures.
        let mut buffer = Buffer::new(self.fs, Metrics::new(s, s * 1.3));
        buffer.set_wrap(Wrap::Glyph);
        buffer.set_size(Some(inner(s)), None);
        let base = Attrs::new().family(Family::Name(MONO));
        buffer.set_rich_text(
            runs.iter()
                .map(|(t, c)| (t.as_str(), base.clone().color(color(*c)))),
            &base,
            Shaping::Advanced,
            Some(Align::Left),
        );
        buffer.shape_until_scroll(self.fs, false);
        (buffer, pad, code_lines)
    }

    /// Advance of one monospace character at `size`.
    fn mono_advance(&mut self, size: f32) -> f32 {
        let sample = "0123456789";
        let mut buffer = Buffer::new(self.fs, Metrics::new(size, size));
        buffer.set_size(None, None);
        buffer.set_text(
            sample,
            &Attrs::new().family(Family::Name(MONO)),
            Shaping::Basic,
            None,
        );
        buffer.shape_until_scroll(self.fs, false);
        let (_, width) = measure(&buffer);
        (width / sample.len() as f32).max(size * 0.3)
    }

    /// Splits placed items into pages of at most the body height, at block boundaries: an item
    /// that does not fit in what is left of a page starts the next page. Only an item taller
    /// than a whole page is split, between lines (text), rows (tables, header repeated) or
    /// lines of code; never mid-line.
    fn paginate(&mut self, placed: Vec<Placed>, body: &BodySpec, size: f32) -> Vec<Vec<Placed>> {
        let gap = body.gap * size;
        let mut pages: Vec<Vec<Placed>> = vec![Vec::new()];
        let mut queue: std::collections::VecDeque<Placed> = placed.into();
        let mut used = 0.0f32;
        while let Some(p) = queue.pop_front() {
            let Some(page) = pages.last_mut() else { break };
            let need = if page.is_empty() {
                p.height
            } else {
                used + gap + p.height
            };
            if need <= body.height + 0.5 {
                used = need;
                page.push(p);
                continue;
            }
            if !page.is_empty() && p.height <= body.height + 0.5 {
                pages.push(Vec::new());
                used = 0.0;
                queue.push_front(p);
                continue;
            }
            let room = if page.is_empty() {
                body.height
            } else {
                body.height - used - gap
            };
            match self.split(p, room, body, size) {
                Split::Both(head, tail) => {
                    page.push(head);
                    queue.push_front(tail);
                    pages.push(Vec::new());
                    used = 0.0;
                }
                Split::None(p) => {
                    if page.is_empty() {
                        // Cannot be split and taller than a page (a huge image is scaled to
                        // fit, so this is a single line taller than the box): drawn clipped.
                        used = p.height;
                        page.push(p);
                    } else {
                        pages.push(vec![]);
                        used = 0.0;
                        queue.push_front(p);
                    }
                }
            }
        }
        pages.retain(|p| !p.is_empty());
        if pages.is_empty() {
            pages.push(Vec::new());
        }
        pages
    }

    fn split(&mut self, p: Placed, room: f32, body: &BodySpec, size: f32) -> Split {
        if let (ItemKind::Table { head, rows, align }, Some(table)) = (&p.item.kind, &p.table) {
            // Split between body rows; the follow-on part repeats the header.
            let skip = usize::from(table.header);
            let fit = table
                .rows
                .iter()
                .skip(skip)
                .take_while(|(top, h, _)| top + h <= room)
                .count();
            if fit == 0 || fit >= rows.len() {
                return Split::None(p);
            }
            let mk = |part: &[Vec<Vec<Span>>], marker: Option<String>| Item {
                kind: ItemKind::Table {
                    head: head.clone(),
                    rows: part.to_vec(),
                    align: align.clone(),
                },
                marker,
                ..p.item.clone()
            };
            let head_part = self.place(mk(&rows[..fit], p.item.marker.clone()), body, size);
            let tail = self.place(mk(&rows[fit..], None), body, size);
            return Split::Both(head_part, tail);
        }
        let Some(buffer) = &p.buffer else {
            return Split::None(p);
        };
        let lines = line_bottoms(buffer);
        let pad = p.pad;
        let fit = lines
            .iter()
            .take_while(|(_, bottom)| bottom + 2.0 * pad <= room)
            .count();
        if fit == 0 || fit >= lines.len() {
            return Split::None(p);
        }
        match &p.item.kind {
            ItemKind::Code { text, lang } => {
                // Split before the source line of the first displayed line that does not fit, so
                // a wrapped line never straddles two pages.
                let cut_line = p.code_lines.get(lines[fit].0).copied().unwrap_or(0);
                let source_lines: Vec<&str> = text.split('\n').collect();
                if cut_line == 0 || cut_line >= source_lines.len() {
                    return Split::None(p);
                }
                let head = source_lines[..cut_line].join("\n");
                let tail = source_lines[cut_line..].join("\n");
                let mk = |t: String, marker: Option<String>| Item {
                    kind: ItemKind::Code {
                        text: t,
                        lang: lang.clone(),
                    },
                    marker,
                    ..p.item.clone()
                };
                let head = self.place(mk(head, p.item.marker.clone()), body, size);
                let tail = self.place(mk(tail, None), body, size);
                Split::Both(head, tail)
            }
            ItemKind::Text { spans, scale } => {
                let Some(offset) = run_start_offset(buffer, fit) else {
                    return Split::None(p);
                };
                let (head, tail) = split_spans(spans, offset);
                let mk = |s: Vec<Span>, marker: Option<String>| Item {
                    kind: ItemKind::Text {
                        spans: s,
                        scale: *scale,
                    },
                    marker,
                    ..p.item.clone()
                };
                let head = self.place(mk(head, p.item.marker.clone()), body, size);
                let tail = self.place(mk(tail, None), body, size);
                Split::Both(head, tail)
            }
            ItemKind::Image { .. } | ItemKind::Table { .. } => Split::None(p),
        }
    }

    fn draw_page(
        &mut self,
        spec: &Spec,
        meta: &Meta,
        slide: &Slide,
        placed: Vec<Placed>,
        size: f32,
        continued: bool,
    ) -> Page {
        let mut image = RgbaImage::new(self.width, self.height);
        if let Some((picture, x)) = &self.side {
            image::imageops::replace(&mut image, picture, *x as i64, 0);
        }
        let mut boxes = Vec::new();
        let panel = &spec.panel;
        let words = placed.iter().map(|p| p.item.words()).sum::<usize>()
            + if continued {
                0
            } else {
                slide.title.split_whitespace().count()
            };

        let mut title = slide.title.clone();
        if continued {
            title.push(' ');
            title.push_str(crate::labels::for_lang(&meta.lang).continued);
        }
        if !title.trim().is_empty() {
            let spans = [Span {
                text: title,
                bold: spec.title.bold,
                ..Span::default()
            }];
            if let Some(b) = self.draw_box(&mut image, &spec.title, &spans) {
                boxes.push(self.text_box(b, spec.title.color, panel));
            }
        }
        if slide.kind == SlideKind::Title && !continued {
            if let Some(sub) = &spec.subtitle {
                let byline: Vec<&str> = [meta.author.as_str(), meta.date.as_str()]
                    .into_iter()
                    .filter(|s| !s.is_empty())
                    .collect();
                let mut text = meta.subtitle.clone();
                if !byline.is_empty() {
                    if !text.is_empty() {
                        text.push('\n');
                    }
                    text.push_str(&byline.join(" · "));
                }
                if !text.is_empty() {
                    let spans = [Span {
                        text,
                        bold: sub.bold,
                        ..Span::default()
                    }];
                    if let Some(b) = self.draw_box(&mut image, sub, &spans) {
                        boxes.push(self.text_box(b, sub.color, panel));
                    }
                }
            }
        }

        let body = &spec.body;
        let gap = body.gap * size;
        let mut y = body.y;
        let mut extent: Option<(f32, f32, f32, f32)> = None;
        let clip = Clip {
            x0: body.x.max(0.0),
            y0: body.y.max(0.0),
            x1: (body.x + body.width).min(self.width as f32),
            y1: (body.y + body.height).min(self.height as f32),
        };
        for (i, p) in placed.into_iter().enumerate() {
            if i > 0 {
                y += gap;
            }
            let indent = self.indent(body, size, p.item.depth);
            let (x0, x1) = match self.dir {
                Direction::Ltr => (body.x + indent, body.x + body.width),
                Direction::Rtl => (body.x, body.x + body.width - indent),
            };
            // Text extent, for the panel.
            let (tx0, tx1) = match (self.align(body.align), &p.item.kind) {
                (_, ItemKind::Code { .. }) => (x0, x1),
                (Align::Center, _) => {
                    let pad = ((x1 - x0 - p.line_width) / 2.0).max(0.0);
                    (x0 + pad, x1 - pad)
                }
                (Align::Left, _) => (x0, (x0 + p.line_width).min(x1)),
                _ => ((x1 - p.line_width).max(x0), x1),
            };
            let mx = if p.marker.is_some() {
                body.indent * size
            } else {
                0.0
            };
            let (ex0, ex1) = match self.dir {
                Direction::Ltr => (tx0 - mx, tx1),
                Direction::Rtl => (tx0, tx1 + mx),
            };
            let bottom = (y + p.height).min(clip.y1);
            extent = Some(match extent {
                None => (ex0, y, ex1, bottom),
                Some((a, b, c, _)) => (a.min(ex0), b, c.max(ex1), bottom),
            });
            if p.item.quote {
                let bar = (size * 0.12).max(3.0);
                let bx = match self.dir {
                    Direction::Ltr => x0 - body.indent * size * 0.6,
                    Direction::Rtl => x1 + body.indent * size * 0.6 - bar,
                };
                fill_rect(&mut image, bx, y, bar, p.height, body.accent, 1.0, &clip);
            }
            if let Some(marker) = &p.marker {
                let mw = body.indent * size;
                let mx = match self.dir {
                    Direction::Ltr => x0 - mw,
                    Direction::Rtl => x1 + mw * 0.15,
                };
                let mut m = marker.clone();
                self.draw_buffer(&mut image, &mut m, mx, y + p.pad, body.accent, &clip);
            }
            if let Some(table) = p.table {
                self.draw_table(&mut image, table, (x0, x1), y, body, &clip);
                y += p.height;
                continue;
            }
            match (&p.item.kind, p.buffer, p.image) {
                (ItemKind::Code { .. }, Some(mut buffer), _) => {
                    fill_rect(
                        &mut image,
                        x0,
                        y,
                        x1 - x0,
                        p.height,
                        body.code_background,
                        0.9,
                        &clip,
                    );
                    self.draw_buffer(
                        &mut image,
                        &mut buffer,
                        x0 + p.pad,
                        y + p.pad,
                        body.color,
                        &clip,
                    );
                }
                (_, Some(mut buffer), _) => {
                    self.draw_buffer(&mut image, &mut buffer, x0, y, body.color, &clip);
                }
                (_, None, Some(img)) => {
                    let ix = match self.dir {
                        Direction::Ltr => x0,
                        Direction::Rtl => x1 - img.width() as f32,
                    };
                    blit(&mut image, &img, ix, y, &clip);
                }
                _ => {}
            }
            y += p.height;
        }
        if let Some((x0, y0, x1, y1)) = extent {
            boxes.push(self.text_box((x0, y0, x1, y1), body.color, panel));
        }
        Page {
            image,
            boxes,
            continued,
            words,
        }
    }

    /// Draws a laid-out table from the start side of `x0..x1`: a rule under the header and
    /// faint rules between rows.
    fn draw_table(
        &mut self,
        image: &mut RgbaImage,
        table: TableLayout,
        (x0, x1): (f32, f32),
        y: f32,
        body: &BodySpec,
        clip: &Clip,
    ) {
        let total = table.columns.last().map(|(x, w)| x + w).unwrap_or(0.0);
        let left = match self.dir {
            Direction::Ltr => x0,
            Direction::Rtl => x1 - total,
        };
        let rule = (body.size * 0.05).max(1.0);
        let rows = table.rows.len();
        for (r, (top, height, cells)) in table.rows.into_iter().enumerate() {
            for (c, mut cell) in cells.into_iter().enumerate() {
                let (cx, cw) = table.columns[c];
                let x = match self.dir {
                    Direction::Ltr => left + cx,
                    Direction::Rtl => left + total - cx - cw,
                };
                self.draw_buffer(
                    image,
                    &mut cell,
                    x + table.pad,
                    y + top + table.pad,
                    body.color,
                    clip,
                );
            }
            if r + 1 < rows {
                let (colour, alpha, thick) = if r == 0 && table.header {
                    (body.accent, 1.0, rule * 2.0)
                } else {
                    (body.color, 0.3, rule)
                };
                fill_rect(
                    image,
                    left,
                    y + top + height - thick / 2.0,
                    total,
                    thick,
                    colour,
                    alpha,
                    clip,
                );
            }
        }
    }

    /// Draws a title-like box: one buffer shrunk from `size` toward `min_size` until it fits.
    /// Returns the drawn extent.
    fn draw_box(
        &mut self,
        image: &mut RgbaImage,
        spec: &BoxSpec,
        spans: &[Span],
    ) -> Option<(f32, f32, f32, f32)> {
        let align = self.align(spec.align);
        let mut size = spec.size;
        let mut buffer;
        loop {
            buffer = self.text_buffer(
                spans,
                size,
                spec.line_height,
                spec.width,
                align,
                (spec.color, spec.color),
            );
            let (h, _) = measure(&buffer);
            if h <= spec.height || size <= spec.min_size {
                break;
            }
            size = (size * 0.92).max(spec.min_size);
        }
        let (h, w) = measure(&buffer);
        if h > spec.height + 0.5 {
            self.warnings.push(
                "a title is too long for its box at the smallest size: its end is cut".into(),
            );
        }
        let clip = Clip {
            x0: spec.x.max(0.0),
            y0: spec.y.max(0.0),
            x1: (spec.x + spec.width).min(self.width as f32),
            y1: (spec.y + spec.height).min(self.height as f32),
        };
        let free = (spec.height - h).max(0.0);
        let y = spec.y
            + match spec.valign {
                VAlignSpec::Top => 0.0,
                VAlignSpec::Center => free / 2.0,
                VAlignSpec::Bottom => free,
            };
        self.draw_buffer(image, &mut buffer, spec.x, y, spec.color, &clip);
        let x0 = match align {
            Align::Center => spec.x + (spec.width - w) / 2.0,
            Align::Right | Align::End => spec.x + spec.width - w,
            _ => spec.x,
        };
        Some((x0, y, x0 + w, (y + h).min(spec.y + spec.height)))
    }

    fn draw_buffer(
        &mut self,
        image: &mut RgbaImage,
        buffer: &mut Buffer,
        ox: f32,
        oy: f32,
        base: Rgb,
        clip: &Clip,
    ) {
        for run in buffer.layout_runs() {
            for glyph in run.glyphs.iter().filter(|g| g.glyph_id == 0) {
                let missing = run.text.get(glyph.start..glyph.end).unwrap_or("");
                self.missing.extend(
                    missing
                        .chars()
                        .filter(|c| !c.is_whitespace() && !c.is_control()),
                );
            }
        }
        let (ox, oy) = (ox.round() as i32, oy.round() as i32);
        buffer.draw(self.fs, self.cache, color(base), |x, y, w, h, c| {
            let a = c.a() as f32 / 255.0;
            if a <= 0.0 {
                return;
            }
            let rgb = Rgb([c.r(), c.g(), c.b()]);
            fill_rect(
                image,
                (x + ox) as f32,
                (y + oy) as f32,
                w as f32,
                h as f32,
                rgb,
                a,
                clip,
            );
        });
    }

    fn text_box(
        &self,
        (x0, y0, x1, y1): (f32, f32, f32, f32),
        text: Rgb,
        panel: &PanelSpec,
    ) -> TextBox {
        let pad = panel.padding;
        let x = (x0 - pad).max(0.0);
        let y = (y0 - pad).max(0.0);
        let r = (x1 + pad).min(self.width as f32);
        let b = (y1 + pad).min(self.height as f32);
        TextBox {
            x: x as u32,
            y: y as u32,
            width: (r - x).max(0.0) as u32,
            height: (b - y).max(0.0) as u32,
            text,
            panel: panel.color,
            min_contrast: panel.min_contrast,
        }
    }
}

// Short-lived: one per split item, so the size difference does not matter.
#[allow(clippy::large_enum_variant)]
enum Split {
    Both(Placed, Placed),
    None(Placed),
}

struct Clip {
    x0: f32,
    y0: f32,
    x1: f32,
    y1: f32,
}

/// Height of all lines and width of the widest.
fn measure(buffer: &Buffer) -> (f32, f32) {
    let mut height = 0.0f32;
    let mut width = 0.0f32;
    for run in buffer.layout_runs() {
        height = height.max(run.line_top + run.line_height);
        width = width.max(run.line_w);
    }
    (height, width)
}

/// For each laid-out line: its source line index and its bottom.
fn line_bottoms(buffer: &Buffer) -> Vec<(usize, f32)> {
    buffer
        .layout_runs()
        .map(|run| (run.line_i, run.line_top + run.line_height))
        .collect()
}

/// Byte offset, in the concatenated span text, where laid-out line `n` starts.
fn run_start_offset(buffer: &Buffer, n: usize) -> Option<usize> {
    let run = buffer.layout_runs().nth(n)?;
    let in_line = run.glyphs.iter().map(|g| g.start).min()?;
    let before: usize = buffer
        .lines
        .iter()
        .take(run.line_i)
        .map(|l| l.text().len() + 1)
        .sum();
    Some(before + in_line)
}

/// Splits spans at a byte offset of their concatenated text.
fn split_spans(spans: &[Span], offset: usize) -> (Vec<Span>, Vec<Span>) {
    let mut head = Vec::new();
    let mut tail = Vec::new();
    let mut pos = 0;
    for span in spans {
        let end = pos + span.text.len();
        if end <= offset {
            head.push(span.clone());
        } else if pos >= offset {
            tail.push(span.clone());
        } else {
            let mut cut = offset - pos;
            while !span.text.is_char_boundary(cut) {
                cut -= 1;
            }
            head.push(Span {
                text: span.text[..cut].trim_end().to_string(),
                ..span.clone()
            });
            tail.push(Span {
                text: span.text[cut..].trim_start().to_string(),
                ..span.clone()
            });
        }
        pos = end;
    }
    head.retain(|s| !s.text.is_empty());
    tail.retain(|s| !s.text.is_empty());
    (head, tail)
}

fn stack_height(placed: &[Placed], gap: f32) -> f32 {
    let sum: f32 = placed.iter().map(|p| p.height).sum();
    sum + gap * placed.len().saturating_sub(1) as f32
}

/// Blends a rectangle of one colour at opacity `alpha` onto the straight-alpha picture.
#[allow(clippy::too_many_arguments)]
fn fill_rect(
    image: &mut RgbaImage,
    x: f32,
    y: f32,
    w: f32,
    h: f32,
    c: Rgb,
    alpha: f32,
    clip: &Clip,
) {
    let x0 = x.max(clip.x0).max(0.0) as u32;
    let y0 = y.max(clip.y0).max(0.0) as u32;
    let x1 = (x + w).min(clip.x1).min(image.width() as f32).max(0.0) as u32;
    let y1 = (y + h).min(clip.y1).min(image.height() as f32).max(0.0) as u32;
    for py in y0..y1 {
        for px in x0..x1 {
            blend(image.get_pixel_mut(px, py), c.0, alpha);
        }
    }
}

fn blend(dst: &mut image::Rgba<u8>, src: [u8; 3], a: f32) {
    let da = dst[3] as f32 / 255.0;
    let oa = a + da * (1.0 - a);
    if oa <= 0.0 {
        return;
    }
    for i in 0..3 {
        let v = (src[i] as f32 * a + dst[i] as f32 * da * (1.0 - a)) / oa;
        dst[i] = v.round().clamp(0.0, 255.0) as u8;
    }
    dst[3] = (oa * 255.0).round() as u8;
}

fn blit(image: &mut RgbaImage, src: &RgbaImage, x: f32, y: f32, clip: &Clip) {
    let (ox, oy) = (x.round() as i64, y.round() as i64);
    for (sx, sy, p) in src.enumerate_pixels() {
        let (px, py) = (ox + sx as i64, oy + sy as i64);
        if (px as f32) < clip.x0
            || (py as f32) < clip.y0
            || px as f32 >= clip.x1
            || py as f32 >= clip.y1
        {
            continue;
        }
        if px < 0 || py < 0 || px >= image.width() as i64 || py >= image.height() as i64 {
            continue;
        }
        blend(
            image.get_pixel_mut(px as u32, py as u32),
            [p[0], p[1], p[2]],
            p[3] as f32 / 255.0,
        );
    }
}

/// Decodes an image and scales it to fit `max_w` x `max_h` (at most 2x up), keeping its
/// aspect ratio.
fn load_image(
    path: &Path,
    max_w: f32,
    max_h: f32,
    fonts: &cosmic_text::fontdb::Database,
) -> Result<RgbaImage> {
    let svg = path
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("svg") || e.eq_ignore_ascii_case("svgz"));
    if svg {
        return load_svg(path, max_w, max_h, fonts);
    }
    let reader = image::ImageReader::open(path)
        .with_context(|| format!("opening {}", path.display()))?
        .with_guessed_format()?;
    let mut reader = reader;
    // A picture of many megapixels is a mistake or an attack: refuse rather than eat memory.
    let mut limits = image::Limits::default();
    limits.max_image_width = Some(16_384);
    limits.max_image_height = Some(16_384);
    limits.max_alloc = Some(512 * 1024 * 1024);
    reader.limits(limits);
    let img = reader.decode()?.to_rgba8();
    let (w, h) = (img.width().max(1) as f32, img.height().max(1) as f32);
    // Small figures are enlarged up to twice their size: a 400 px diagram is unreadable on a
    // 1920 px slide, and more than 2x only shows its pixels.
    let scale = (max_w / w).min(max_h / h).min(2.0);
    let (nw, nh) = (
        (w * scale).round().max(1.0) as u32,
        (h * scale).round().max(1.0) as u32,
    );
    if (nw, nh) == (img.width(), img.height()) {
        return Ok(img);
    }
    Ok(image::imageops::resize(
        &img,
        nw,
        nh,
        image::imageops::FilterType::Triangle,
    ))
}
