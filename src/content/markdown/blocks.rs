//! A slide's blocks: one walk over its events builds the block tree the overlay draws, the
//! HTML the page shows and the speaker notes the voice reads, at once (each event feeds all
//! three); pictures are resolved through [`Assets`], comments read as directives or notes.

use pulldown_cmark::{CodeBlockKind, Event, LinkType, Tag, TagEnd};

use super::assets::{Assets, Resolved};
use super::columns;
use super::directives::{self, Comment};
use super::html;
use super::walk::{image_alt, is_inline, Walker};
use super::{count_words, heading_number, note_start, plain_text, Raw};
use crate::content::{
    Asset, Backdrop, Block, Chrome, Column, ColumnAlign, LectureSource, LoadOptions, Slide, Span,
    Split, Step,
};
use crate::diag::{line_col, Diagnostic};

/// Builds the slides of one lecture's notes, gathering the files they show and the warnings.
pub(super) struct Builder<'t> {
    text: &'t str,
    source: &'t LectureSource,
    options: &'t LoadOptions,
    assets: Assets,
    warnings: Vec<String>,
}

/// Code languages of diagrams lecturegen does not draw.
const UNDRAWN_DIAGRAMS: &[&str] = &["plantuml", "puml", "d2", "tikz"];

/// What one slide accumulates while its events are walked.
#[derive(Default)]
struct SlideParts {
    notes: Vec<String>,
    html: Vec<Event<'static>>,
    background: Option<String>,
    backdrop: Option<Backdrop>,
    split: Option<Split>,
    duration: Option<f32>,
    seed: Option<u64>,
    silent: bool,
    /// A step boundary was met since the last block.
    step: bool,
    /// The items of the next list are steps.
    step_items: bool,
    /// `<!-- layout: ... -->`.
    layout: Option<String>,
    /// A column starts (with its width, if given) after the current block.
    column: Option<Option<u8>>,
    /// The columns end after the current block.
    columns_end: bool,
    /// Marp's header, footer and paginate directives met on the slide.
    chrome: Vec<directives::ChromeDirective>,
    /// `<!-- points: ... -->`: the author's points for the paragraph before, and where.
    points: Option<(Vec<Vec<Span>>, usize)>,
    /// Notes that came from HTML comments.
    comment_notes: usize,
}

impl<'t> Builder<'t> {
    /// A builder for the notes `text` of `source`.
    pub(super) fn new(text: &'t str, source: &'t LectureSource, options: &'t LoadOptions) -> Self {
        Self {
            text,
            source,
            options,
            assets: Assets::new(source, options),
            warnings: Vec::new(),
        }
    }

    /// The files the slides show and the warnings met.
    pub(super) fn finish(self) -> (Vec<Asset>, Vec<String>) {
        (self.assets.into_files(), self.warnings)
    }

    fn error(&self, offset: usize, message: String) -> Diagnostic {
        Diagnostic::error_at(&self.source.display, self.text, offset, message)
    }

    fn warn(&mut self, offset: usize, message: String) {
        let (line, column) = line_col(self.text, offset);
        self.warnings.push(format!(
            "{}:{line}:{column}: {message}",
            self.source.display
        ));
    }

    /// The slide of `raw`: its blocks, HTML, notes and directives, and the Marp header,
    /// footer and paginate directives on it (they run on to later slides).
    pub(super) fn slide(
        &mut self,
        raw: Raw<'_>,
    ) -> Result<(Slide, Vec<directives::ChromeDirective>), Diagnostic> {
        let mut state = SlideParts::default();
        let mut blocks = Vec::new();
        let mut steps = Vec::new();
        let mut columns: Vec<Column> = Vec::new();
        let mut in_notes = false;
        for top in &raw.tops {
            if !in_notes {
                if let Some(first) = note_start(&top.events) {
                    in_notes = true;
                    if !first.is_empty() {
                        state.notes.push(first);
                    }
                    continue;
                }
            }
            if in_notes {
                let text = plain_text(&top.events);
                if !text.is_empty() {
                    state.notes.push(text);
                }
                continue;
            }
            let mut walker = Walker::new(&top.events);
            let made = self.blocks(&mut walker, &mut state, None)?;
            // Inside columns, a step's `item` counts the columns' units so far (see `Step`).
            let first = columns::units(columns.iter().flat_map(|c| &c.blocks));
            if state.step_items {
                if let Some(Block::List { items, .. }) = made.first() {
                    state.step_items = false;
                    let block = blocks.len();
                    for item in 0..items.len() {
                        Step {
                            block,
                            item: first + item,
                        }
                        .push_onto(&mut steps);
                    }
                }
            }
            let target = match columns.last_mut() {
                Some(column) => &mut column.blocks,
                None => &mut blocks,
            };
            target.extend(made);
            if let Some((points, offset)) = state.points.take() {
                if !authored_points(target, points) {
                    self.warn(
                        offset,
                        "`points` directive follows no paragraph: ignored".into(),
                    );
                }
            }
            if std::mem::take(&mut state.step) {
                let block = blocks.len();
                let item = columns::units(columns.iter().flat_map(|c| &c.blocks));
                Step { block, item }.push_onto(&mut steps);
            }
            if let Some(width) = state.column.take() {
                columns.push(Column {
                    width,
                    blocks: Vec::new(),
                });
            }
            if std::mem::take(&mut state.columns_end) {
                columns::close_columns(&mut blocks, &mut columns, &mut steps);
            }
        }
        columns::close_columns(&mut blocks, &mut columns, &mut steps);
        // A boundary after the last block starts no step.
        steps.retain(|s| s.block < blocks.len());
        let mut html = String::new();
        // Math becomes MathML on the page.
        let events = state.html.into_iter().map(|event| match event {
            Event::InlineMath(tex) => Event::InlineHtml(crate::math::to_mathml(&tex, false).into()),
            Event::DisplayMath(tex) => Event::InlineHtml(crate::math::to_mathml(&tex, true).into()),
            other => other,
        });
        pulldown_cmark::html::push_html(&mut html, events);
        let words = count_words(&raw.title)
            + blocks.iter().map(Block::words).sum::<usize>()
            + state.notes.iter().map(|n| count_words(n)).sum::<usize>();
        let chrome = std::mem::take(&mut state.chrome);
        let slide = Slide {
            index: 0,
            kind: raw.kind,
            title: raw.title,
            line: line_col(self.text, raw.start).0,
            blocks,
            notes_in_comments: !state.notes.is_empty() && state.comment_notes == state.notes.len(),
            notes: state.notes,
            html,
            background: state.background,
            backdrop: state.backdrop,
            split: state.split,
            duration: state.duration,
            seed: state.seed,
            silent: state.silent,
            words,
            steps,
            chrome: Chrome::default(),
            layout: state.layout.take(),
        };
        Ok((slide, chrome))
    }

    /// Blocks until `end` (or the end of the events), gathering loose inline events (tight
    /// list items have no paragraph) into paragraphs.
    fn blocks(
        &mut self,
        w: &mut Walker<'_, '_>,
        state: &mut SlideParts,
        end: Option<TagEnd>,
    ) -> Result<Vec<Block>, Diagnostic> {
        let mut out = Vec::new();
        while let Some((event, range)) = w.peek() {
            let offset = range.start;
            match event {
                Event::End(e) if Some(*e) == end => break,
                e if is_inline(e) => {
                    let (spans, images) = self.inlines(w, state)?;
                    if !spans.is_empty() {
                        out.push(Block::Paragraph(spans));
                    }
                    out.extend(images);
                }
                Event::Start(tag) => {
                    let tag = tag.clone();
                    w.next_event();
                    self.emit(state, Event::Start(tag.clone()));
                    out.extend(self.block(w, state, tag, offset)?);
                }
                Event::Html(_) => {
                    let Some((Event::Html(html), _)) = w.next_event() else {
                        continue;
                    };
                    let html = html.clone();
                    out.extend(self.raw_html(state, &html, offset, false)?);
                }
                Event::Rule => {
                    w.next_event();
                    self.emit(state, Event::Rule);
                }
                _ => {
                    if let Some((event, _)) = w.next_event() {
                        let event = event.clone();
                        self.emit(state, event);
                    }
                }
            }
        }
        Ok(out)
    }

    /// One block whose `Start(tag)` was just consumed and emitted; consumes its `End`.
    fn block(
        &mut self,
        w: &mut Walker<'_, '_>,
        state: &mut SlideParts,
        tag: Tag<'_>,
        offset: usize,
    ) -> Result<Vec<Block>, Diagnostic> {
        let end = tag.to_end();
        let mut out = Vec::new();
        match tag {
            Tag::Paragraph => {
                let mark = state.html.len();
                let (spans, images) = self.inlines(w, state)?;
                if spans.is_empty() && images.is_empty() {
                    // Only directives, notes or background images: nothing to show.
                    state.html.truncate(mark.saturating_sub(1));
                    w.expect_end(end);
                    return Ok(out);
                }
                if !spans.is_empty() {
                    out.push(Block::Paragraph(spans));
                }
                out.extend(images);
            }
            Tag::Heading { level, .. } => {
                let (spans, images) = self.inlines(w, state)?;
                out.push(Block::Heading(heading_number(level), spans));
                out.extend(images);
            }
            Tag::List(start) => out.push(self.list(w, state, start)?),
            Tag::CodeBlock(kind) => {
                let code = self.code(w, state, kind);
                out.push(self.diagram(code, offset));
            }
            Tag::BlockQuote(_) => {
                let inner = self.blocks(w, state, Some(TagEnd::BlockQuote(None)))?;
                out.push(Block::Quote(inner));
            }
            Tag::HtmlBlock => {
                let mut html = String::new();
                while let Some((event, _)) = w.peek() {
                    match event {
                        Event::End(TagEnd::HtmlBlock) => break,
                        Event::Html(t) | Event::Text(t) => {
                            html.push_str(t);
                            w.next_event();
                        }
                        _ => {
                            w.next_event();
                        }
                    }
                }
                match html::preformatted(&html) {
                    // A `<pre>` block is code as it is drawn (an ASCII diagram, a listing).
                    Some(text) => {
                        // The page shows it as it was written.
                        state.html.pop();
                        self.emit(state, Event::Start(Tag::CodeBlock(CodeBlockKind::Indented)));
                        self.emit(state, Event::Text(format!("{text}\n").into()));
                        self.emit(state, Event::End(TagEnd::CodeBlock));
                        w.expect_end(end);
                        return Ok(vec![Block::Code { lang: None, text }]);
                    }
                    None => out.extend(self.raw_html(state, &html, offset, true)?),
                }
            }
            Tag::Table(alignments) => out.push(self.table(w, state, &alignments)?),
            _ => {
                // Footnote definitions, definition lists and the like: their content, flat.
                out.extend(self.blocks(w, state, Some(end))?);
            }
        }
        w.expect_end(end);
        self.emit(state, Event::End(end));
        Ok(out)
    }

    /// A list whose `Start` was consumed: its items' blocks.
    fn list(
        &mut self,
        w: &mut Walker<'_, '_>,
        state: &mut SlideParts,
        start: Option<u64>,
    ) -> Result<Block, Diagnostic> {
        let mut items = Vec::new();
        while let Some((event, _)) = w.peek() {
            match event {
                Event::End(TagEnd::List(_)) => break,
                Event::Start(Tag::Item) => {
                    w.next_event();
                    self.emit(state, Event::Start(Tag::Item));
                    let item = self.blocks(w, state, Some(TagEnd::Item))?;
                    w.expect_end(TagEnd::Item);
                    self.emit(state, Event::End(TagEnd::Item));
                    items.push(item);
                }
                _ => {
                    w.next_event();
                }
            }
        }
        Ok(Block::List { start, items })
    }

    /// A code block whose `Start` was consumed: its text and language.
    fn code(
        &mut self,
        w: &mut Walker<'_, '_>,
        state: &mut SlideParts,
        kind: CodeBlockKind<'_>,
    ) -> Block {
        let mut code = String::new();
        while let Some((event, _)) = w.peek() {
            match event {
                Event::End(TagEnd::CodeBlock) => break,
                Event::Text(t) => {
                    code.push_str(t);
                    let t = t.clone();
                    w.next_event();
                    self.emit(state, Event::Text(t));
                }
                _ => {
                    w.next_event();
                }
            }
        }
        let lang = match kind {
            CodeBlockKind::Fenced(info) => info
                .split_whitespace()
                .next()
                .map(str::to_string)
                .filter(|s| !s.is_empty()),
            CodeBlockKind::Indented => None,
        };
        let text = code.strip_suffix('\n').unwrap_or(&code).to_string();
        Block::Code { lang, text }
    }

    /// A table whose `Start` was consumed: header cells, rows and column alignment.
    fn table(
        &mut self,
        w: &mut Walker<'_, '_>,
        state: &mut SlideParts,
        alignments: &[pulldown_cmark::Alignment],
    ) -> Result<Block, Diagnostic> {
        let align = alignments
            .iter()
            .map(|a| match a {
                pulldown_cmark::Alignment::None => ColumnAlign::Start,
                pulldown_cmark::Alignment::Left => ColumnAlign::Left,
                pulldown_cmark::Alignment::Center => ColumnAlign::Center,
                pulldown_cmark::Alignment::Right => ColumnAlign::Right,
            })
            .collect();
        let mut head = Vec::new();
        let mut rows: Vec<Vec<Vec<Span>>> = Vec::new();
        let mut in_head = false;
        while let Some((event, _)) = w.peek() {
            match event {
                Event::End(TagEnd::Table) => break,
                Event::Start(Tag::TableHead) => in_head = true,
                Event::End(TagEnd::TableHead) => in_head = false,
                Event::Start(Tag::TableRow) => rows.push(Vec::new()),
                Event::Start(Tag::TableCell) => {
                    w.next_event();
                    self.emit(state, Event::Start(Tag::TableCell));
                    let (spans, _) = self.inlines(w, state)?;
                    w.expect_end(TagEnd::TableCell);
                    self.emit(state, Event::End(TagEnd::TableCell));
                    match (in_head, rows.last_mut()) {
                        (true, _) => head.push(spans),
                        (false, Some(row)) => row.push(spans),
                        (false, None) => rows.push(vec![spans]),
                    }
                    continue;
                }
                _ => {}
            }
            if let Some((event, _)) = w.next_event() {
                let event = event.clone();
                self.emit(state, event);
            }
        }
        Ok(Block::Table { head, rows, align })
    }

    /// Inline events from the current position until the first non-inline event.
    fn inlines(
        &mut self,
        w: &mut Walker<'_, '_>,
        state: &mut SlideParts,
    ) -> Result<(Vec<Span>, Vec<Block>), Diagnostic> {
        let mut spans: Vec<Span> = Vec::new();
        let mut images = Vec::new();
        let (mut bold, mut italic) = (0u32, 0u32);
        // Inside `<sup>`: digits are drawn raised (a footnote's "¹", not "gadgets1").
        let mut raised = false;
        let push = |spans: &mut Vec<Span>, text: &str, bold: u32, italic: u32, code: bool| {
            if text.is_empty() {
                return;
            }
            let style = (bold > 0, italic > 0, code);
            match spans.last_mut() {
                Some(last)
                    if (last.bold, last.italic, last.code) == style && last.tex.is_none() =>
                {
                    last.text.push_str(text)
                }
                _ => spans.push(Span {
                    text: text.to_string(),
                    bold: style.0,
                    italic: style.1,
                    code,
                    tex: None,
                }),
            }
        };
        while let Some((event, range)) = w.peek() {
            if !is_inline(event) {
                break;
            }
            let offset = range.start;
            let Some((event, _)) = w.next_event() else {
                break;
            };
            let event = event.clone();
            match &event {
                Event::Text(t) if raised => {
                    push(&mut spans, &html::superscript(t), bold, italic, false)
                }
                Event::Text(t) => push(&mut spans, t, bold, italic, false),
                Event::Code(t) => push(&mut spans, t, bold, italic, true),
                // Math is typeset on slides (the page gets MathML): inline in its line,
                // display math as a block of its own.
                Event::InlineMath(t) => spans.push(Span {
                    text: crate::math::to_unicode(t),
                    bold: bold > 0,
                    italic: italic > 0,
                    code: false,
                    tex: Some(t.to_string()),
                }),
                Event::DisplayMath(t) => images.push(Block::Math {
                    tex: t.to_string(),
                    line: line_col(self.text, offset).0,
                }),
                Event::SoftBreak => push(&mut spans, " ", bold, italic, false),
                Event::HardBreak => push(&mut spans, "\n", bold, italic, false),
                Event::FootnoteReference(name) => {
                    push(&mut spans, &format!("[{name}]"), bold, italic, false)
                }
                Event::TaskListMarker(done) => push(
                    &mut spans,
                    if *done { "☑ " } else { "☐ " },
                    bold,
                    italic,
                    false,
                ),
                Event::InlineHtml(html) => {
                    match html.trim().to_ascii_lowercase().as_str() {
                        "<sup>" => raised = true,
                        "</sup>" => raised = false,
                        _ => {}
                    }
                    images.extend(self.raw_html(state, html, offset, false)?);
                    continue;
                }
                Event::Start(Tag::Strong) => bold += 1,
                Event::End(TagEnd::Strong) => bold = bold.saturating_sub(1),
                Event::Start(Tag::Emphasis) => italic += 1,
                Event::End(TagEnd::Emphasis) => italic = italic.saturating_sub(1),
                Event::Start(Tag::Image { dest_url, .. }) => {
                    let url = dest_url.to_string();
                    let alt = image_alt(w);
                    self.image(state, &url, alt, offset, &mut images, &event)?;
                    continue;
                }
                _ => {}
            }
            self.emit(state, event);
        }
        // Trim the edges of the run so layout does not draw leading or trailing blanks.
        if let Some(first) = spans.first_mut() {
            first.text = first.text.trim_start().to_string();
        }
        if let Some(last) = spans.last_mut() {
            last.text = last.text.trim_end().to_string();
        }
        spans.retain(|s| !s.text.is_empty());
        Ok((spans, images))
    }

    /// An image whose `Start` event was consumed and whose alt text was read (with its `End`).
    fn image(
        &mut self,
        state: &mut SlideParts,
        url: &str,
        alt: String,
        offset: usize,
        images: &mut Vec<Block>,
        start: &Event<'_>,
    ) -> Result<(), Diagnostic> {
        let is_background = alt.split_whitespace().next() == Some("bg");
        let resolved = self
            .assets
            .resolve(url)
            .map_err(|message| self.error(offset, message))?;
        let Resolved::File(path) = resolved else {
            let url = url.trim();
            self.warn(
                offset,
                format!("image `{url}` is remote: it is linked from the page but not drawn on the slide"),
            );
            // Remote: keep it in the page as written, show nothing on the slide.
            if !is_background {
                self.emit(state, start.clone());
                self.emit(state, Event::Text(alt.into()));
                self.emit(state, Event::End(TagEnd::Image));
            }
            return Ok(());
        };
        if is_background {
            // `bg left`, `bg right:40%`: the slide's background pictures go to that side; else
            // they share the whole frame, side by side (`vertical`: one above another).
            let vertical = alt.split_whitespace().any(|w| w == "vertical");
            let side = alt.split_whitespace().skip(1).find_map(|word| {
                let (side, share) = word.split_once(':').unwrap_or((word, ""));
                let left = match side {
                    "left" => true,
                    "right" => false,
                    _ => return None,
                };
                let fraction = share
                    .strip_suffix('%')
                    .and_then(|p| p.trim().parse::<f32>().ok())
                    .map_or(0.5, |p| (p / 100.0).clamp(0.1, 0.9));
                Some((left, fraction))
            });
            let backdrop = match (&mut state.split, side) {
                (Some(split), _) => &mut split.backdrop,
                (None, Some((left, fraction))) => {
                    let backdrop = state.backdrop.take().unwrap_or_default();
                    &mut state
                        .split
                        .insert(Split {
                            backdrop,
                            left,
                            fraction,
                        })
                        .backdrop
                }
                (None, None) => state.backdrop.get_or_insert_default(),
            };
            backdrop.images.push(path.clone());
            backdrop.vertical |= vertical;
            self.assets.add(&path);
            return Ok(());
        }
        let output = self.assets.add(&path);
        if let Event::Start(Tag::Image {
            link_type,
            title,
            id,
            ..
        }) = start
        {
            self.emit(
                state,
                Event::Start(Tag::Image {
                    link_type: *link_type,
                    dest_url: output.into(),
                    title: title.clone(),
                    id: id.clone(),
                }),
            );
            self.emit(state, Event::Text(alt.clone().into()));
            self.emit(state, Event::End(TagEnd::Image));
        }
        images.push(Block::Image {
            path,
            alt,
            width: None,
        });
        Ok(())
    }

    /// A code block that is a diagram lecturegen draws, when it parses: a diagram block;
    /// else the code as it is, with a warning for a diagram that is not drawn.
    fn diagram(&mut self, code: Block, offset: usize) -> Block {
        let Block::Code {
            lang: Some(lang),
            text,
        } = &code
        else {
            return code;
        };
        if let Some(kind) = crate::diagram::Kind::of_fence(lang) {
            return match crate::diagram::check(kind, text) {
                Ok(()) => Block::Diagram {
                    kind,
                    source: text.clone(),
                },
                Err(e) => {
                    self.warn(
                        offset,
                        format!("`{lang}` diagram does not parse ({e}): shown as its code"),
                    );
                    code
                }
            };
        }
        if UNDRAWN_DIAGRAMS.contains(&lang.to_ascii_lowercase().as_str()) {
            self.warn(
                offset,
                format!("`{lang}` diagrams are not drawn: shown as their code"),
            );
        }
        code
    }

    /// Raw HTML: comments become directives or notes, `<img>` tags figures (returned) as
    /// markdown images are; anything else reaches the page as escaped text unless the course
    /// allows raw HTML. It is never drawn on a slide.
    fn raw_html(
        &mut self,
        state: &mut SlideParts,
        html: &str,
        offset: usize,
        block: bool,
    ) -> Result<Vec<Block>, Diagnostic> {
        let mut rest = html;
        let mut consumed = 0;
        let mut other = String::new();
        while let Some(open) = rest.find("<!--") {
            other.push_str(&rest[..open]);
            let after = &rest[open + 4..];
            let (body, next) = match after.find("-->") {
                Some(close) => (&after[..close], &after[close + 3..]),
                None => (after, ""),
            };
            self.comment(state, body, offset + consumed + open);
            consumed += rest.len() - next.len();
            rest = next;
        }
        other.push_str(rest);
        let mut images = Vec::new();
        let mut last = 0;
        for tag in html::images(&other) {
            self.html_text(state, &other[last..tag.range.start], block);
            last = tag.range.end;
            let start = Event::Start(Tag::Image {
                link_type: LinkType::Inline,
                dest_url: tag.src.clone().into(),
                title: "".into(),
                id: "".into(),
            });
            let before = images.len();
            self.image(state, &tag.src, tag.alt, offset, &mut images, &start)?;
            if let Some(Block::Image { width, .. }) = images.get_mut(before) {
                *width = tag.width;
            }
        }
        self.html_text(state, &other[last..], block);
        Ok(images)
    }

    /// HTML that is neither a comment nor a picture: to the page, as it is where the course
    /// allows raw HTML, else as text.
    fn html_text(&mut self, state: &mut SlideParts, html: &str, block: bool) {
        if html.trim().is_empty() {
            return;
        }
        let event = if self.options.allow_html {
            if block {
                Event::Html(html.to_string().into())
            } else {
                Event::InlineHtml(html.to_string().into())
            }
        } else {
            Event::Text(html.to_string().into())
        };
        self.emit(state, event);
    }

    /// An HTML comment: a directive of the slide, or a speaker note.
    fn comment(&mut self, state: &mut SlideParts, body: &str, offset: usize) {
        match directives::comment(body) {
            Comment::Background(prompt) => state.background = Some(prompt),
            Comment::Duration(seconds) => state.duration = Some(seconds),
            Comment::Silent(silent) => state.silent = silent,
            Comment::Seed(seed) => state.seed = Some(seed),
            Comment::Step => state.step = true,
            Comment::StepItems => state.step_items = true,
            Comment::Layout(name) => state.layout = Some(name),
            Comment::Column(width) => state.column = Some(width),
            Comment::ColumnsEnd => state.columns_end = true,
            Comment::Points(points) => state.points = Some((points, offset)),
            Comment::Chrome(directive) => state.chrome.push(directive),
            Comment::Ignored(why) => self.warn(offset, why),
            Comment::Note(note) => {
                state.notes.push(note);
                state.comment_notes += 1;
            }
            Comment::Nothing => {}
        }
    }

    fn emit(&mut self, state: &mut SlideParts, event: Event<'_>) {
        state.html.push(event.into_static());
    }
}

/// The last paragraph of `blocks` (or of the last item of a list that ends them) replaced by
/// the author's `points`; false when there is none.
fn authored_points(blocks: &mut Vec<Block>, points: Vec<Vec<Span>>) -> bool {
    let blocks = match blocks.last_mut() {
        Some(Block::List { items, .. }) => match items.last_mut() {
            Some(item) => item,
            None => return false,
        },
        _ => blocks,
    };
    let Some(Block::Paragraph(said)) = blocks.last() else {
        return false;
    };
    let mut said = said.clone();
    blocks.pop();
    for shown in points {
        blocks.push(Block::Point {
            shown,
            said: std::mem::take(&mut said),
            authored: true,
        });
    }
    true
}
