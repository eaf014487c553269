//! Layout: items sized at a type size. Text is shaped and wrapped by cosmic-text; the largest
//! size at which everything fits is searched down to the legible floor, and what still does not
//! fit continues on follow-on pages (`pages.rs`, broken between blocks). Text helpers that need
//! none of the pass's state are in `text.rs`; the laid-out items themselves in `placed.rs`.

use cosmic_text::{Align, Attrs, Buffer, Family, Metrics, Shaping, Wrap};
use image::RgbaImage;

use super::items::{flatten_slide, Item, ItemKind};
use super::placed::{stack_height, FittedBox, InlineFormula, Placed, TableLayout};
use super::spec::{AlignSpec, BodySpec, BoxSpec, Spec};
use super::text::{measure, split_long};
use super::{attrs_for, color, Draw, Page};
use crate::color::Rgb;
use crate::content::{Direction, Meta, Slide, Span};
use crate::fonts::{MONO, SANS};

/// The title drawn on a page: the slide's, marked as continued on follow-on pages.
pub(super) fn page_title(meta: &Meta, slide: &Slide, continued: bool) -> String {
    let mut title = slide.title.clone();
    if continued {
        title.push(' ');
        title.push_str(crate::labels::for_lang(&meta.lang).continued);
    }
    title
}

/// The title slide's subtitle box: the subtitle, then author and date on a line of their own.
pub(super) fn byline(meta: &Meta) -> String {
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
    text
}

impl Placed {
    /// An item drawn as one text buffer.
    pub(super) fn text(item: Item, buffer: Buffer, marker: Option<Buffer>) -> Self {
        let (height, line_width) = measure(&buffer);
        Self {
            item,
            height,
            buffer: Some(buffer),
            marker,
            image: None,
            line_width,
            pad: 0.0,
            code_lines: Vec::new(),
            table: None,
            formulas: Vec::new(),
            columns: Vec::new(),
        }
    }

    /// An item drawn as a picture (a figure, a typeset formula).
    pub(super) fn picture(item: Item, image: RgbaImage, marker: Option<Buffer>) -> Self {
        Self {
            item,
            height: image.height() as f32,
            line_width: image.width() as f32,
            buffer: None,
            marker,
            image: Some(image),
            pad: 0.0,
            code_lines: Vec::new(),
            table: None,
            formulas: Vec::new(),
            columns: Vec::new(),
        }
    }
}

/// The smallest share of the body's height a picture beside text is drawn at to keep a slide
/// on one page.
const MIN_SHARE: f32 = 1.0 / 6.0;

/// Marks the continuation of a code line too long for the slide.
pub(super) const CODE_WRAP_MARK: &str = "↪ ";

impl Draw<'_> {
    pub(super) fn align(&self, spec: AlignSpec) -> Align {
        match (spec, self.dir) {
            (AlignSpec::Center, _) => Align::Center,
            (AlignSpec::Start, Direction::Ltr) | (AlignSpec::End, Direction::Rtl) => Align::Left,
            _ => Align::Right,
        }
    }

    pub(super) fn text_buffer(
        &mut self,
        spans: &[Span],
        size: f32,
        line_height: f32,
        width: f32,
        align: Align,
        (base, accent): (Rgb, Rgb),
    ) -> Buffer {
        let runs = spans
            .iter()
            .map(|s| (s.text.as_str(), attrs_for(s, base, accent)));
        self.shaped(
            runs,
            Metrics::new(size, size * line_height),
            width,
            align,
            base,
        )
    }

    /// Runs of text shaped and wrapped in a buffer `width` wide.
    fn shaped<'t>(
        &mut self,
        runs: impl Iterator<Item = (&'t str, Attrs<'t>)>,
        metrics: Metrics,
        width: f32,
        align: Align,
        base: Rgb,
    ) -> Buffer {
        let mut buffer = Buffer::new(self.fs, metrics);
        buffer.set_wrap(Wrap::WordOrGlyph);
        buffer.set_size(Some(width.max(1.0)), None);
        let default = Attrs::new().family(Family::Name(SANS)).color(color(base));
        buffer.set_rich_text(runs, &default, Shaping::Advanced, Some(align));
        buffer.shape_until_scroll(self.fs, false);
        buffer
    }

    /// [`text_buffer`](Self::text_buffer) with inline math typeset: each formula's span
    /// becomes one transparent placeholder glyph as wide as the formula (letter spacing), and
    /// lines are made tall enough for the tallest formula. Returns the formulas to draw.
    pub(super) fn math_buffer(
        &mut self,
        spans: &[Span],
        size: f32,
        line_height: f32,
        width: f32,
        align: Align,
        (base, accent): (Rgb, Rgb),
    ) -> (Buffer, Vec<InlineFormula>) {
        if spans.iter().all(|s| s.tex.is_none()) {
            let buffer = self.text_buffer(spans, size, line_height, width, align, (base, accent));
            return (buffer, Vec::new());
        }
        // No ink, and not a space: the line breaker keeps it like a letter, and it is never
        // trimmed at a line's end (DejaVu Sans has the braille block).
        const PLACEHOLDER: &str = "\u{2800}";
        let mut formulas = Vec::new();
        let mut texts: Vec<(String, Attrs<'static>)> = Vec::new();
        let (mut line, mut offset) = (0usize, 0usize);
        for span in spans {
            let typeset = span.tex.as_deref().and_then(|tex| {
                crate::math::typeset(tex, size, base, width, false)
                    .map_err(|e| {
                        self.warnings.push(format!(
                            "the formula `{tex}` cannot be typeset ({e}); it is shown as text"
                        ))
                    })
                    .ok()
            });
            match typeset {
                Some(formula) => {
                    let em = formula.image.width() as f32 / size.max(1.0);
                    let attrs = attrs_for(span, base, accent).letter_spacing(em);
                    formulas.push(InlineFormula {
                        line,
                        start: offset,
                        formula,
                    });
                    texts.push((PLACEHOLDER.to_string(), attrs));
                    offset += PLACEHOLDER.len();
                }
                None => {
                    for (i, part) in span.text.split('\n').enumerate() {
                        if i > 0 {
                            line += 1;
                            offset = 0;
                        }
                        offset += part.len();
                    }
                    texts.push((span.text.clone(), attrs_for(span, base, accent)));
                }
            }
        }
        let tallest = formulas
            .iter()
            .map(|f| f.formula.image.height() as f32)
            .fold(0.0f32, f32::max);
        let line_px = (size * line_height).max(tallest * 1.2);
        let runs = texts.iter().map(|(t, a)| (t.as_str(), a.clone()));
        let buffer = self.shaped(runs, Metrics::new(size, line_px), width, align, base);
        (buffer, formulas)
    }

    /// Lays out and draws a slide: the largest type size at which everything fits on one
    /// page, down to the legible floor (36 px at 1080p for prose), then pages of at most
    /// `max_words` words, long paragraphs cut at sentences. A title slide's follow-on pages
    /// are laid out with `continued`, the content slide layout.
    pub(super) fn slide(
        &mut self,
        spec: &Spec,
        continued: Option<&Spec>,
        meta: &Meta,
        slide: &Slide,
    ) -> Vec<Page> {
        let items = flatten_slide(&slide.blocks, &slide.steps);
        let items = split_long(items, self.max_words);
        let images = items
            .iter()
            .filter(|i| matches!(i.kind, ItemKind::Image { .. } | ItemKind::Diagram { .. }))
            .count();
        // A figure alone on its slide fills the body; beside text it takes its share.
        self.image_share = if images == 1 && items.len() == 1 {
            1.0
        } else {
            spec.body.image_max_height
        };
        let (mut size, mut pages) = self.fit(&items, &spec.body);
        // Pictures beside text share the page: when they push words that fit one page onto
        // more, they are drawn smaller (down to a sixth of the body's height each) before the
        // slide is continued.
        let words: usize = items.iter().map(Item::words).sum();
        while pages.len() > 1
            && images > 0
            && words <= self.max_words
            && self.image_share > MIN_SHARE
        {
            self.image_share = (self.image_share * 0.75).max(MIN_SHARE);
            (size, pages) = self.fit(&items, &spec.body);
        }
        let mut laid: Vec<(Vec<Placed>, f32, &Spec)> = Vec::new();
        match continued {
            Some(content) if pages.len() > 1 => {
                let first = pages.remove(0);
                laid.push((first, size, spec));
                let rest: Vec<Item> = pages.into_iter().flatten().map(|p| p.item).collect();
                let (size, pages) = self.fit(&rest, &content.body);
                laid.extend(pages.into_iter().map(|p| (p, size, content)));
            }
            _ => laid.extend(pages.into_iter().map(|p| (p, size, spec))),
        }
        if laid.len() > 1 {
            self.warnings.push(format!(
                "slide {} \"{}\" is too long for one page at a legible size: continued on {} more",
                slide.index + 1,
                slide.display_title(),
                laid.len() - 1
            ));
        }
        laid.into_iter()
            .enumerate()
            .map(|(i, (page_items, size, spec))| {
                self.draw_page(spec, meta, slide, page_items, size, i > 0)
            })
            .collect()
    }

    /// The size the items are set at and their pages in `body`.
    fn fit(&mut self, items: &[Item], body: &BodySpec) -> (f32, Vec<Vec<Placed>>) {
        let prose = !items.is_empty()
            && items.iter().all(|i| {
                matches!(i.kind, ItemKind::Text { .. })
                    && i.marker.is_none()
                    && i.depth == 0
                    && !i.quote
            });
        let floor = match (prose, body.prose_min_size) {
            (true, Some(prose_floor)) => prose_floor.max(body.min_size),
            _ => body.min_size,
        };
        let words: usize = items.iter().map(Item::words).sum();
        // Largest size at which everything fits on one page, else the floor and pages. More
        // words than a page holds go on pages at full size: shrinking would not save a page.
        let fits = |this: &mut Self, size: f32| {
            let placed = this.place_all(items, body, size);
            let total = stack_height(&placed, body.gap * size);
            (total <= body.height, placed)
        };
        let (mut lo, mut hi) = (floor.min(body.size), body.size);
        let (ok, mut placed) = fits(self, hi);
        let mut size = hi;
        if !ok && words <= self.max_words {
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
        (size, self.paginate(placed, body, size))
    }

    /// Lays out a title-like box: one buffer shrunk from `size` toward `min_size` until it
    /// fits its height (a warning when even the smallest size does not).
    /// A footer longer than its line (a remark footnote of a sentence or two) takes up to two
    /// more lines above it, out of the body's room.
    pub(super) fn grow_footer(&mut self, spec: &mut super::spec::Spec, text: &str) {
        let Some(footer) = spec.footer.as_mut() else {
            return;
        };
        let spans = [Span {
            text: text.to_string(),
            bold: footer.bold,
            ..Span::default()
        }];
        let align = self.align(footer.align);
        let buffer = self.text_buffer(
            &spans,
            footer.size,
            footer.line_height,
            footer.width,
            align,
            (footer.color, footer.color),
        );
        let extra = (measure(&buffer).0 - footer.height).clamp(0.0, 2.0 * footer.height);
        if extra > 0.0 {
            footer.y -= extra;
            footer.height += extra;
            spec.body.height = spec.body.height.min(footer.y - spec.body.y);
        }
    }

    pub(super) fn fit_box(&mut self, spec: &BoxSpec, spans: &[Span]) -> FittedBox {
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
        let (height, width) = measure(&buffer);
        if height > spec.height + 0.5 {
            self.warnings.push(
                "a title is too long for its box at the smallest size: its end is cut".into(),
            );
        }
        FittedBox {
            buffer,
            height,
            width,
        }
    }

    pub(super) fn place_all(&mut self, items: &[Item], body: &BodySpec, size: f32) -> Vec<Placed> {
        items
            .iter()
            .map(|item| self.place(item.clone(), body, size))
            .collect()
    }

    pub(super) fn indent(&self, body: &BodySpec, size: f32, depth: u32) -> f32 {
        body.indent * size * depth as f32
    }

    pub(super) fn place(&mut self, item: Item, body: &BodySpec, size: f32) -> Placed {
        let indent = self.indent(body, size, item.depth);
        let width = (body.width - indent).max(size);
        let align = self.align(body.align);
        let marker = item
            .marker
            .as_ref()
            .map(|m| self.marker_buffer(m, body, size));
        match &item.kind {
            ItemKind::Text { spans, scale, .. } => {
                let s = size * scale;
                let (buffer, formulas) = self.math_buffer(
                    spans,
                    s,
                    body.line_height,
                    width,
                    align,
                    (body.color, body.accent),
                );
                Placed {
                    formulas,
                    ..Placed::text(item, buffer, marker)
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
                    formulas: Vec::new(),
                    columns: Vec::new(),
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
                    formulas: Vec::new(),
                    columns: Vec::new(),
                }
            }
            ItemKind::Columns(columns) => self.columns(&item, columns, width, body, size),
            ItemKind::Diagram { kind, source } => {
                let picture = self.diagram(*kind, source, width, body);
                self.picture_or_text(item, marker, picture, width, body, size)
            }
            ItemKind::Math { tex, line } => {
                let picture = self.formula(tex, *line, width, body, size);
                self.picture_or_text(item, marker, picture, width, body, size)
            }
            ItemKind::Image {
                path,
                alt,
                width: asked,
            } => {
                let width = asked.map_or(width, |p| width * f32::from(p) / 100.0);
                let picture = self.figure(path, alt, width, body);
                self.picture_or_text(item, marker, picture, width, body, size)
            }
        }
    }

    /// Columns side by side across `width`, a gap of two type sizes between them; as tall as
    /// the tallest.
    fn columns(
        &mut self,
        item: &Item,
        columns: &[(f32, Vec<Item>)],
        width: f32,
        body: &BodySpec,
        size: f32,
    ) -> Placed {
        let gap = 2.0 * size;
        let free = (width - gap * columns.len().saturating_sub(1) as f32).max(size);
        let mut offset = 0.0;
        let mut laid = Vec::new();
        let mut height = 0.0f32;
        for (share, items) in columns {
            let column_width = free * share;
            let inner = BodySpec {
                width: column_width,
                ..body.clone()
            };
            let placed = self.place_all(items, &inner, size);
            height = height.max(stack_height(&placed, body.gap * size));
            laid.push((offset, column_width, placed));
            offset += column_width + gap;
        }
        Placed {
            item: item.clone(),
            height,
            buffer: None,
            marker: None,
            image: None,
            line_width: width,
            pad: 0.0,
            code_lines: Vec::new(),
            table: None,
            formulas: Vec::new(),
            columns: laid,
        }
    }

    /// A list item's marker, in the body's accent colour, at the start side of its indent.
    fn marker_buffer(&mut self, marker: &str, body: &BodySpec, size: f32) -> Buffer {
        let spans = [Span {
            text: marker.to_string(),
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
    }

    /// Lays out a table: columns as wide as their widest cell when the table fits, else shared
    /// in proportion to it (cells then wrap); the header bold.
    pub(super) fn table_layout(
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
    pub(super) fn code_buffer(
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
    pub(super) fn mono_advance(&mut self, size: f32) -> f32 {
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
}
