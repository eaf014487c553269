//! Paint: a page's laid-out items drawn onto a transparent picture, each clipped to its box,
//! and the text boxes reported for the frame stage's legibility panels.

use cosmic_text::{Align, Buffer};
use image::RgbaImage;

use super::items::{Item, ItemKind};
use super::layout::{byline, page_title};
use super::placed::{FittedBox, InlineFormula, Placed, TableLayout};
use super::spec::{BodySpec, BoxSpec, PanelSpec, Spec, VAlignSpec};
use super::{color, Draw, Page, PageStep, TextBox};

/// How much of its opacity a step already shown keeps under the spotlight.
const DIMMED: f32 = 0.4;

/// The pixels of `band` made [`DIMMED`] (straight alpha: only the alpha changes).
fn dim(picture: &mut RgbaImage, band: ClipRect) {
    let (w, h) = picture.dimensions();
    let (x0, x1) = (band.x0.max(0.0) as u32, (band.x1.max(0.0) as u32).min(w));
    let (y0, y1) = (band.y0.max(0.0) as u32, (band.y1.max(0.0) as u32).min(h));
    for y in y0..y1 {
        for x in x0..x1 {
            let p = picture.get_pixel_mut(x, y);
            p[3] = (f32::from(p[3]) * DIMMED).round() as u8;
        }
    }
}

/// Columns whose items appear at different steps: drawn item by item.
fn stepped_columns(p: &Placed) -> bool {
    p.columns
        .iter()
        .flat_map(|(_, _, items)| items)
        .any(|c| c.item.step != p.item.step)
}

/// What a page's body covers, `(x0, y0, x1, y1)`, when it shows anything.
type Extent = Option<(f32, f32, f32, f32)>;
use crate::color::Rgb;
use crate::content::{Direction, Meta, Slide, SlideKind, Span};

impl Draw<'_> {
    pub(super) fn draw_page(
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
        let words = placed.iter().map(|p| p.item.words()).sum::<usize>()
            + if continued {
                0
            } else {
                slide.title.split_whitespace().count()
            };
        // What appears step by step: the items, and the items inside columns that hold steps.
        let units: Vec<&Item> = placed
            .iter()
            .flat_map(|p| match stepped_columns(p) {
                true => p
                    .columns
                    .iter()
                    .flat_map(|(_, _, c)| c)
                    .map(|c| &c.item)
                    .collect(),
                false => vec![&p.item],
            })
            .collect();
        let readings: Vec<crate::reading::Reading> = units.iter().map(|i| i.reading()).collect();
        // Where a later step of the slide starts on this page: the unit it starts at.
        let starts: Vec<usize> = (1..units.len())
            .filter(|&i| units[i].step > units[i - 1].step)
            .collect();
        let texts: Vec<String> = starts
            .iter()
            .enumerate()
            .map(|(n, &i)| {
                let end = starts.get(n + 1).copied().unwrap_or(units.len());
                units[i..end]
                    .iter()
                    .filter_map(|item| match &item.kind {
                        ItemKind::Text { spans, .. } => {
                            Some(spans.iter().map(|s| s.text.as_str()).collect::<String>())
                        }
                        _ => None,
                    })
                    .collect::<Vec<_>>()
                    .join(" ")
            })
            .collect();
        let item_steps: Vec<usize> = units.iter().map(|i| i.step).collect();
        let mut boxes = self.draw_titles(&mut image, spec, meta, slide, continued);
        boxes.extend(self.draw_chrome(&mut image, spec, slide));
        let (extent, mut earlier, bands) =
            self.draw_body(&mut image, &spec.body, placed, size, &starts);
        // The spotlight: in each picture, the steps before the one last shown are dimmed.
        let spot = |picture: &mut RgbaImage, shown: usize| {
            let current = item_steps[shown - 1];
            for (k, band) in bands.iter().enumerate().take(shown) {
                if item_steps[k] < current {
                    dim(picture, *band);
                }
            }
        };
        if self.spotlight {
            for ((picture, _), &shown) in earlier.iter_mut().zip(&starts) {
                spot(picture, shown);
            }
        }
        let body_box = |extent: Option<_>, draw: &Self| {
            extent.map(|e| draw.text_box(e, spec.body.color, &spec.panel))
        };
        // A picture of the page in one of its states (for the video only).
        let state = |image: RgbaImage, boxes: Vec<TextBox>| Page {
            image,
            boxes,
            continued,
            words,
            readings: Vec::new(),
            body_size: size,
            steps: Vec::new(),
            spotlight: None,
        };
        let steps = earlier
            .into_iter()
            .zip(starts.iter().zip(texts))
            .map(|((before, extent), (&reading, text))| {
                let with_body = boxes.iter().copied().chain(body_box(extent, self));
                PageStep {
                    before: state(before, with_body.collect()),
                    reading,
                    text,
                }
            })
            .collect();
        boxes.extend(body_box(extent, self));
        let spotlight = (self.spotlight && !starts.is_empty()).then(|| {
            let mut picture = image.clone();
            spot(&mut picture, item_steps.len());
            Box::new(state(picture, boxes.clone()))
        });
        Page {
            image,
            boxes,
            continued,
            words,
            readings,
            body_size: size,
            steps,
            spotlight,
        }
    }

    /// The slide's header, footer and page number, where the notes ask for them and the
    /// template has a box for them.
    fn draw_chrome(&mut self, image: &mut RgbaImage, spec: &Spec, slide: &Slide) -> Vec<TextBox> {
        let chrome = &slide.chrome;
        let lines = [
            (&spec.header, chrome.header.clone()),
            (&spec.footer, chrome.footer.clone()),
            (&spec.page, chrome.page.map(|p| p.to_string())),
        ];
        let mut boxes = Vec::new();
        for (spec_box, text) in lines {
            let (Some(spec_box), Some(text)) = (spec_box, text) else {
                continue;
            };
            let spans = [Span {
                text,
                bold: spec_box.bold,
                ..Span::default()
            }];
            if let Some(b) = self.draw_box(image, spec_box, &spans) {
                boxes.push(self.text_box(b, spec_box.color, &spec.panel));
            }
        }
        boxes
    }

    /// The page's title (marked as continued on follow-on pages) and, on the title slide, its
    /// subtitle box; the text boxes they fill.
    fn draw_titles(
        &mut self,
        image: &mut RgbaImage,
        spec: &Spec,
        meta: &Meta,
        slide: &Slide,
        continued: bool,
    ) -> Vec<TextBox> {
        let mut boxes = Vec::new();
        let panel = &spec.panel;
        let title = page_title(meta, slide, continued);
        if !title.trim().is_empty() {
            let spans = [Span {
                text: title,
                bold: spec.title.bold,
                ..Span::default()
            }];
            if let Some(b) = self.draw_box(image, &spec.title, &spans) {
                boxes.push(self.text_box(b, spec.title.color, panel));
            }
        }
        if slide.kind == SlideKind::Title && !continued {
            if let Some(sub) = &spec.subtitle {
                let text = byline(meta);
                if !text.is_empty() {
                    let spans = [Span {
                        text,
                        bold: sub.bold,
                        ..Span::default()
                    }];
                    if let Some(b) = self.draw_box(image, sub, &spans) {
                        boxes.push(self.text_box(b, sub.color, panel));
                    }
                }
            }
        }
        boxes
    }

    /// The body's items stacked from its top, each clipped to the body box; the extent of
    /// what was drawn (for the panel), if anything was.
    /// `snapshots`: items before which the picture so far is kept too (with its extent), the
    /// page as it is before each of its later steps appears.
    fn draw_body(
        &mut self,
        image: &mut RgbaImage,
        body: &BodySpec,
        placed: Vec<Placed>,
        size: f32,
        snapshots: &[usize],
    ) -> (Extent, Vec<(RgbaImage, Extent)>, Vec<ClipRect>) {
        let gap = body.gap * size;
        let mut y = body.y;
        let mut extent: Extent = None;
        let mut kept = Vec::new();
        let mut bands = Vec::new();
        let clip = self.body_clip(body);
        // The unit drawn next (see `draw_page`).
        let mut unit = 0;
        for (i, p) in placed.into_iter().enumerate() {
            let stepped = stepped_columns(&p);
            if !stepped && snapshots.contains(&unit) {
                kept.push((image.clone(), extent));
            }
            if i > 0 {
                y += gap;
            }
            let indent = self.indent(body, size, p.item.depth);
            let (x0, x1) = match self.dir {
                Direction::Ltr => (body.x + indent, body.x + body.width),
                Direction::Rtl => (body.x, body.x + body.width - indent),
            };
            let (ex0, ex1) = self.text_extent(&p, (x0, x1), body, size);
            let bottom = (y + p.height).min(clip.y1);
            let before = extent;
            extent = Some(match extent {
                None => (ex0, y, ex1, bottom),
                Some((a, b, c, _)) => (a.min(ex0), b, c.max(ex1), bottom),
            });
            let height = p.height;
            if stepped {
                // Column by column, a picture before each unit that starts a step.
                let first = unit;
                let mut each = |picture: &RgbaImage, band: ClipRect| {
                    if snapshots.contains(&unit) {
                        let shown = if unit == first { before } else { extent };
                        kept.push((picture.clone(), shown));
                    }
                    bands.push(band);
                    unit += 1;
                };
                self.draw_columns(image, p.columns, (x0, x1), y, body, size, &mut each);
            } else {
                bands.push(ClipRect {
                    y0: y.max(clip.y0),
                    y1: bottom,
                    ..clip
                });
                self.draw_item(image, p, (x0, x1), y, body, size);
                unit += 1;
            }
            y += height;
        }
        (extent, kept, bands)
    }

    /// Where an item's text runs across `x0..x1`, its marker included (for the panel).
    fn text_extent(
        &self,
        p: &Placed,
        (x0, x1): (f32, f32),
        body: &BodySpec,
        size: f32,
    ) -> (f32, f32) {
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
        match self.dir {
            Direction::Ltr => (tx0 - mx, tx1),
            Direction::Rtl => (tx0, tx1 + mx),
        }
    }

    /// The body box, within the frame: nothing of the body is drawn outside it.
    fn body_clip(&self, body: &BodySpec) -> ClipRect {
        ClipRect {
            x0: body.x.max(0.0),
            y0: body.y.max(0.0),
            x1: (body.x + body.width).min(self.width as f32),
            y1: (body.y + body.height).min(self.height as f32),
        }
    }

    /// One item at `y` across `x0..x1` (at type size `size`): its quote bar and marker, then
    /// its table, code (on its background), text (with inline formulas) or picture.
    fn draw_item(
        &mut self,
        image: &mut RgbaImage,
        p: Placed,
        (x0, x1): (f32, f32),
        y: f32,
        body: &BodySpec,
        size: f32,
    ) {
        let clip = self.body_clip(body);
        if p.item.quote {
            let bar = (size * 0.12).max(3.0);
            let bx = match self.dir {
                Direction::Ltr => x0 - body.indent * size * 0.6,
                Direction::Rtl => x1 + body.indent * size * 0.6 - bar,
            };
            fill_rect(image, bx, y, bar, p.height, body.accent, 1.0, &clip);
        }
        if let Some(marker) = &p.marker {
            let mw = body.indent * size;
            let mx = match self.dir {
                Direction::Ltr => x0 - mw,
                Direction::Rtl => x1 + mw * 0.15,
            };
            let mut m = marker.clone();
            self.draw_buffer(image, &mut m, mx, y + p.pad, body.accent, &clip);
        }
        if let Some(table) = p.table {
            self.draw_table(image, table, (x0, x1), y, body, &clip);
            return;
        }
        if !p.columns.is_empty() {
            self.draw_columns(image, p.columns, (x0, x1), y, body, size, &mut |_, _| {});
            return;
        }
        match (&p.item.kind, p.buffer, p.image) {
            (ItemKind::Code { .. }, Some(mut buffer), _) => {
                fill_rect(
                    image,
                    x0,
                    y,
                    x1 - x0,
                    p.height,
                    body.code_background,
                    0.9,
                    &clip,
                );
                self.draw_buffer(image, &mut buffer, x0 + p.pad, y + p.pad, body.color, &clip);
            }
            (_, Some(mut buffer), _) => {
                self.draw_buffer(image, &mut buffer, x0, y, body.color, &clip);
                draw_formulas(image, &buffer, &p.formulas, x0, y, &clip);
            }
            (_, None, Some(img)) => {
                // A figure stands in the middle of the body; inside a list, at its start.
                let ix = match (p.item.depth, self.dir) {
                    (0, _) => x0 + ((x1 - x0) - img.width() as f32).max(0.0) / 2.0,
                    (_, Direction::Ltr) => x0,
                    (_, Direction::Rtl) => x1 - img.width() as f32,
                };
                blit(image, &img, ix, y, &clip);
            }
            _ => {}
        }
    }

    /// Draws columns from the start side of `x0..x1`, each its items stacked from `y`;
    /// `each` sees the picture before each item is drawn, and the item's box.
    #[allow(clippy::too_many_arguments)]
    fn draw_columns(
        &mut self,
        image: &mut RgbaImage,
        columns: Vec<(f32, f32, Vec<Placed>)>,
        (x0, x1): (f32, f32),
        y: f32,
        body: &BodySpec,
        size: f32,
        each: &mut dyn FnMut(&RgbaImage, ClipRect),
    ) {
        let gap = body.gap * size;
        let clip = self.body_clip(body);
        for (offset, width, placed) in columns {
            let (cx0, cx1) = match self.dir {
                Direction::Ltr => (x0 + offset, x0 + offset + width),
                Direction::Rtl => (x1 - offset - width, x1 - offset),
            };
            let mut cy = y;
            for (i, p) in placed.into_iter().enumerate() {
                if i > 0 {
                    cy += gap;
                }
                let indent = self.indent(body, size, p.item.depth);
                let (ix0, ix1) = match self.dir {
                    Direction::Ltr => (cx0 + indent, cx1),
                    Direction::Rtl => (cx0, cx1 - indent),
                };
                let height = p.height;
                each(
                    image,
                    ClipRect {
                        x0: cx0.max(clip.x0),
                        y0: cy.max(clip.y0),
                        x1: cx1.min(clip.x1),
                        y1: (cy + height).min(clip.y1),
                    },
                );
                self.draw_item(image, p, (ix0, ix1), cy, body, size);
                cy += height;
            }
        }
    }

    /// Draws a laid-out table from the start side of `x0..x1`: a rule under the header and
    /// faint rules between rows.
    pub(super) fn draw_table(
        &mut self,
        image: &mut RgbaImage,
        table: TableLayout,
        (x0, x1): (f32, f32),
        y: f32,
        body: &BodySpec,
        clip: &ClipRect,
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

    /// Draws a title-like box (see [`Draw::fit_box`]). Returns the drawn extent.
    pub(super) fn draw_box(
        &mut self,
        image: &mut RgbaImage,
        spec: &BoxSpec,
        spans: &[Span],
    ) -> Option<(f32, f32, f32, f32)> {
        let FittedBox {
            mut buffer,
            height: h,
            width: w,
        } = self.fit_box(spec, spans);
        let clip = ClipRect {
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
        let x0 = match self.align(spec.align) {
            Align::Center => spec.x + (spec.width - w) / 2.0,
            Align::Right | Align::End => spec.x + spec.width - w,
            _ => spec.x,
        };
        Some((x0, y, x0 + w, (y + h).min(spec.y + spec.height)))
    }

    pub(super) fn draw_buffer(
        &mut self,
        image: &mut RgbaImage,
        buffer: &mut Buffer,
        ox: f32,
        oy: f32,
        base: Rgb,
        clip: &ClipRect,
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

    pub(super) fn text_box(
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

#[derive(Debug, Clone, Copy)]
pub(super) struct ClipRect {
    pub(super) x0: f32,
    pub(super) y0: f32,
    pub(super) x1: f32,
    pub(super) y1: f32,
}

/// Draws inline formulas over their placeholders in a buffer drawn at (`ox`, `oy`): centred
/// on the placeholder, baseline on the line's.
fn draw_formulas(
    image: &mut RgbaImage,
    buffer: &Buffer,
    formulas: &[InlineFormula],
    ox: f32,
    oy: f32,
    clip: &ClipRect,
) {
    for f in formulas {
        let place = buffer.layout_runs().find_map(|run| {
            (run.line_i == f.line)
                .then(|| run.glyphs.iter().find(|g| g.start == f.start))
                .flatten()
                .map(|g| (g.x, g.w, run.line_y))
        });
        if let Some((x, w, baseline)) = place {
            let img = &f.formula.image;
            let left = ox + x + (w - img.width() as f32) / 2.0;
            blit(image, img, left, oy + baseline - f.formula.ascent, clip);
        }
    }
}

/// Blends a rectangle of one colour at opacity `alpha` onto the straight-alpha picture.
#[allow(clippy::too_many_arguments)]
pub(super) fn fill_rect(
    image: &mut RgbaImage,
    x: f32,
    y: f32,
    w: f32,
    h: f32,
    c: Rgb,
    alpha: f32,
    clip: &ClipRect,
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

pub(super) fn blend(dst: &mut image::Rgba<u8>, src: [u8; 3], a: f32) {
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

pub(super) fn blit(image: &mut RgbaImage, src: &RgbaImage, x: f32, y: f32, clip: &ClipRect) {
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
