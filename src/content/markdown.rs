//! Markdown to slides: splits the notes at slide headings and `---` breaks, pulls out speaker
//! notes and directives, resolves images, and builds each slide's block tree and HTML.
//!
//! One cohesive thing over 800 lines: a single walk over pulldown-cmark's events that builds
//! the block tree, the page HTML and the notes of each slide at once; split apart, every piece
//! would need the walker's whole state.

use std::ops::Range;
use std::path::{Component, Path, PathBuf};

use pulldown_cmark::{CodeBlockKind, Event, HeadingLevel, Options, Parser, Tag, TagEnd};
use sha2::{Digest, Sha256};

use crate::diag::{line_col, Diagnostic};
use crate::fsutil::percent_decode;

use super::{Asset, Block, LectureSource, LoadOptions, Meta, Slide, SlideKind, Span};

type Located<'a> = (Event<'a>, Range<usize>);

/// What the markdown stage hands back to [`super::parse`].
pub(super) struct Parsed {
    pub slides: Vec<Slide>,
    pub assets: Vec<Asset>,
    pub warnings: Vec<String>,
}

/// Marp directives: understood by Marp, meaningless to us, never speaker notes.
const MARP_DIRECTIVES: &[&str] = &[
    "theme",
    "paginate",
    "header",
    "footer",
    "class",
    "backgroundColor",
    "backgroundImage",
    "backgroundPosition",
    "backgroundRepeat",
    "backgroundSize",
    "color",
    "size",
    "headingDivider",
    "style",
    "marp",
    "math",
    "title",
    "description",
    "author",
    "image",
    "url",
    "lang",
    "transition",
];

/// A top-level markdown block with its events.
struct Top<'a> {
    events: Vec<Located<'a>>,
    heading: Option<(u8, String)>,
    rule: bool,
}

impl Top<'_> {
    fn start(&self) -> usize {
        self.events.first().map_or(0, |(_, r)| r.start)
    }
}

/// A slide before its blocks are built.
struct Raw<'a> {
    kind: SlideKind,
    title: String,
    start: usize,
    from_break: bool,
    tops: Vec<Top<'a>>,
}

pub(super) fn slides(
    text: &str,
    body_start: usize,
    meta: &mut Meta,
    source: &LectureSource,
    options: &LoadOptions,
) -> Result<Parsed, Diagnostic> {
    let mut tops = top_blocks(text, body_start);

    // Title: the front matter's, else a leading `#` heading, else the file name. A leading `#`
    // heading that repeats the front matter title is dropped too.
    if let Some(Top {
        heading: Some((1, heading)),
        ..
    }) = tops.first()
    {
        if meta.title.is_empty() || *heading == meta.title {
            meta.title = heading.clone();
            tops.remove(0);
        }
    }
    if meta.title.is_empty() {
        meta.title = source
            .file
            .file_stem()
            .map(|s| s.to_string_lossy().replace(['-', '_'], " "))
            .unwrap_or_default();
    }

    let level = meta.slide_level.unwrap_or_else(|| slide_level(&tops));
    let mut raws = vec![Raw {
        kind: SlideKind::Title,
        title: meta.title.clone(),
        start: body_start,
        from_break: false,
        tops: Vec::new(),
    }];
    let tops = if tops.iter().any(|t| t.heading.is_some() || t.rule) {
        tops
    } else {
        // Notes without headings or breaks: their own section markers make the slides.
        prose_sections(tops, options.max_words_per_page)
    };
    for top in tops {
        let Some(current) = raws.last_mut() else {
            continue;
        };
        if top.rule {
            raws.push(Raw {
                kind: SlideKind::Content,
                title: String::new(),
                start: top.start(),
                from_break: true,
                tops: Vec::new(),
            });
            continue;
        }
        if let Some((l, heading)) = &top.heading {
            if current.from_break && current.tops.is_empty() && current.title.is_empty() {
                current.title = heading.clone();
                continue;
            }
            if *l <= level {
                raws.push(Raw {
                    kind: SlideKind::Content,
                    title: heading.clone(),
                    start: top.start(),
                    from_break: false,
                    tops: Vec::new(),
                });
                continue;
            }
        }
        current.tops.push(top);
    }

    let course_root = options
        .course_root
        .canonicalize()
        .unwrap_or_else(|_| options.course_root.clone());
    let lecture_dir = source
        .file
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_default();
    let mut builder = Builder {
        text,
        source,
        options,
        course_root,
        lecture_dir,
        assets: Vec::new(),
        warnings: Vec::new(),
    };
    introduction(&mut raws, &meta.lang);
    let mut slides = Vec::new();
    for raw in raws {
        let keep = raw.kind == SlideKind::Title || !raw.title.is_empty() || !raw.tops.is_empty();
        if !keep {
            continue;
        }
        let mut slide = builder.slide(raw)?;
        slide.index = slides.len();
        slides.push(slide);
    }
    Ok(Parsed {
        slides,
        assets: builder.assets,
        warnings: builder.warnings,
    })
}

/// Words of a lead sentence that may stay on the title slide.
const LEAD_WORDS: usize = 20;

/// Content before the first slide heading: a short lead sentence stays on the title slide;
/// anything more becomes the first content slide, titled by its first bold line or
/// "Introduction" in the lecture's language.
fn introduction(raws: &mut Vec<Raw<'_>>, lang: &str) {
    let Some(title) = raws.first_mut() else {
        return;
    };
    let shown: Vec<&Top<'_>> = title
        .tops
        .iter()
        .take_while(|t| note_start(&t.events).is_none())
        .filter(|t| !is_comment(t))
        .collect();
    let lead = match shown.as_slice() {
        [] => true,
        [only] => {
            let text = plain_text(&only.events);
            matches!(only.events.first(), Some((Event::Start(Tag::Paragraph), _)))
                && count_words(&text) <= LEAD_WORDS
                && crate::reading::chunks(&text).len() <= 1
        }
        _ => false,
    };
    if lead {
        return;
    }
    // Directives before any content stay with the title slide.
    let keep = title.tops.iter().take_while(|t| is_comment(t)).count();
    let mut tops = title.tops.split_off(keep);
    let start = tops.first().map_or(title.start, Top::start);
    let intro_title = match tops.first().and_then(section_title) {
        Some((heading, rest)) => {
            tops.remove(0);
            if let Some(rest) = rest {
                tops.insert(0, rest);
            }
            heading
        }
        None => crate::labels::for_lang(lang).introduction.to_string(),
    };
    raws.insert(
        1,
        Raw {
            kind: SlideKind::Content,
            title: intro_title,
            start,
            from_break: false,
            tops,
        },
    );
}

/// An HTML comment on its own (a directive or a note), not content.
fn is_comment(top: &Top<'_>) -> bool {
    let html = top.events.iter().find_map(|(e, _)| match e {
        Event::Html(h) | Event::InlineHtml(h) => Some(h),
        _ => None,
    });
    let only_html = top.events.iter().all(|(e, _)| {
        matches!(
            e,
            Event::Html(_)
                | Event::InlineHtml(_)
                | Event::Start(Tag::HtmlBlock | Tag::Paragraph)
                | Event::End(TagEnd::HtmlBlock | TagEnd::Paragraph)
                | Event::SoftBreak
        )
    });
    only_html && html.is_some_and(|h| h.trim_start().starts_with("<!--"))
}

/// Splits notes that have no headings into sections at their visible markers: a paragraph
/// that is only bold text (optionally numbered), or whose first line is, and a line ending
/// with a colon followed by a list. Without any marker, paragraphs are grouped into slides of
/// about `max_words` words. Each section starts with a synthetic heading top.
fn prose_sections(tops: Vec<Top<'_>>, max_words: usize) -> Vec<Top<'_>> {
    let marked = |i: usize, tops: &[Top<'_>]| {
        section_title(&tops[i]).is_some() || colon_before_list(tops, i).is_some()
    };
    let notes_from = tops
        .iter()
        .position(|t| note_start(&t.events).is_some())
        .unwrap_or(tops.len());
    let colon_lines: Vec<bool> = (0..tops.len())
        .map(|i| i < notes_from && colon_before_list(&tops, i).is_some())
        .collect();
    let any_marker = (0..notes_from).any(|i| marked(i, &tops));
    let mut out = Vec::new();
    if any_marker {
        for (i, top) in tops.into_iter().enumerate() {
            if i >= notes_from {
                out.push(top);
                continue;
            }
            if let Some((heading, rest)) = section_title(&top) {
                out.push(heading_top(&top, heading));
                out.extend(rest);
            } else if colon_lines[i] {
                let text = plain_text(&top.events);
                let heading = text.trim_end_matches([':', '：']).trim().to_string();
                out.push(heading_top(&top, heading));
            } else {
                out.push(top);
            }
        }
        return out;
    }
    // No markers: groups of paragraphs that fit a page, each an untitled slide.
    let mut words = 0;
    for (i, top) in tops.into_iter().enumerate() {
        let w = count_words(&plain_text(&top.events));
        if i < notes_from && words > 0 && words + w > max_words {
            let range = top.events.first().map_or(0..0, |(_, r)| r.clone());
            out.push(Top {
                events: vec![(Event::Rule, range)],
                heading: None,
                rule: true,
            });
            words = 0;
        }
        words += w;
        out.push(top);
    }
    out
}

/// A heading top at `at`'s place, titled `title` (a section found in prose).
fn heading_top<'a>(at: &Top<'a>, title: String) -> Top<'a> {
    let range = at.events.first().map_or(0..0, |(_, r)| r.clone());
    Top {
        events: vec![(Event::Rule, range)],
        heading: Some((0, title)),
        rule: false,
    }
}

/// The title of a section marker paragraph: a paragraph that is only bold text, or whose
/// first line is bold text followed by a line break. Returns the title (without a trailing
/// colon) and, for the second kind, the rest of the paragraph as a paragraph of its own.
fn section_title<'a>(top: &Top<'a>) -> Option<(String, Option<Top<'a>>)> {
    let events = &top.events;
    if !matches!(events.first(), Some((Event::Start(Tag::Paragraph), _))) {
        return None;
    }
    if !matches!(events.get(1), Some((Event::Start(Tag::Strong), _))) {
        return None;
    }
    let mut depth = 0;
    let mut end = None;
    for (i, (event, _)) in events.iter().enumerate().skip(1) {
        match event {
            Event::Start(_) => depth += 1,
            Event::End(_) => {
                depth -= 1;
                if depth == 0 {
                    end = Some(i);
                    break;
                }
            }
            _ => {}
        }
    }
    let end = end?;
    let title = plain_text(&events[2..end]);
    let title = title
        .trim()
        .trim_end_matches([':', '：'])
        .trim()
        .to_string();
    if title.is_empty() || count_words(&title) > 20 {
        return None;
    }
    // What follows the bold run: nothing (then the paragraph's end), or a line break.
    let mut i = end + 1;
    while matches!(events.get(i), Some((Event::Text(t), _)) if t.trim().is_empty()) {
        i += 1;
    }
    match events.get(i) {
        Some((Event::End(TagEnd::Paragraph), _)) => Some((title, None)),
        Some((Event::SoftBreak | Event::HardBreak, _)) => {
            let rest_events = &events[i + 1..];
            let mut rest = vec![events[0].clone()];
            rest.extend(rest_events.iter().cloned());
            let rest = Top {
                events: rest,
                heading: None,
                rule: false,
            };
            let empty = plain_text(&rest.events).is_empty();
            Some((title, (!empty).then_some(rest)))
        }
        _ => None,
    }
}

/// Whether top `i` is a paragraph ending with a colon that a list follows.
fn colon_before_list(tops: &[Top<'_>], i: usize) -> Option<()> {
    let top = tops.get(i)?;
    let next = tops.get(i + 1)?;
    let is_para = matches!(top.events.first(), Some((Event::Start(Tag::Paragraph), _)));
    let is_list = matches!(next.events.first(), Some((Event::Start(Tag::List(_)), _)));
    let text = plain_text(&top.events);
    (is_para && is_list && text.ends_with([':', '：']) && count_words(&text) <= 20).then_some(())
}

fn top_blocks(text: &str, body_start: usize) -> Vec<Top<'_>> {
    let options = Options::ENABLE_TABLES
        | Options::ENABLE_STRIKETHROUGH
        | Options::ENABLE_TASKLISTS
        | Options::ENABLE_MATH
        | Options::ENABLE_FOOTNOTES;
    let mut tops = Vec::new();
    let mut current: Vec<Located<'_>> = Vec::new();
    let mut depth = 0usize;
    for (event, range) in Parser::new_ext(&text[body_start..], options).into_offset_iter() {
        let range = range.start + body_start..range.end + body_start;
        match &event {
            Event::Start(_) => depth += 1,
            Event::End(_) => depth = depth.saturating_sub(1),
            _ => {}
        }
        current.push((event, range));
        if depth == 0 {
            let events = std::mem::take(&mut current);
            let heading = match events.first() {
                Some((Event::Start(Tag::Heading { level, .. }), _)) => {
                    Some((heading_number(*level), plain_text(&events)))
                }
                _ => None,
            };
            let rule = matches!(events.first(), Some((Event::Rule, _)));
            tops.push(Top {
                events,
                heading,
                rule,
            });
        }
    }
    tops
}

fn heading_number(level: HeadingLevel) -> u8 {
    level as u8
}

/// The highest heading level that is directly followed by content (pandoc's rule); with no
/// such heading, the deepest level present, else 1.
fn slide_level(tops: &[Top<'_>]) -> u8 {
    let followed = tops.windows(2).filter_map(|pair| {
        let (l, _) = pair[0].heading.as_ref()?;
        let next = &pair[1];
        (next.heading.is_none() && !next.rule).then_some(*l)
    });
    // With no heading followed by content (a run of section titles), every heading is a
    // slide: the deepest level present.
    followed
        .min()
        .or_else(|| {
            tops.iter()
                .filter_map(|t| t.heading.as_ref().map(|h| h.0))
                .max()
        })
        .unwrap_or(1)
}

/// The text of a run of events: text, code and math, with breaks as spaces.
fn plain_text(events: &[Located<'_>]) -> String {
    let mut out = String::new();
    for (event, _) in events {
        match event {
            Event::Text(t) | Event::Code(t) | Event::InlineMath(t) | Event::DisplayMath(t) => {
                out.push_str(t)
            }
            // Raw HTML in notes is kept as text (the page escapes it); comments are not.
            Event::Html(t) | Event::InlineHtml(t) if !t.trim_start().starts_with("<!--") => {
                out.push_str(t)
            }
            Event::SoftBreak | Event::HardBreak => out.push(' '),
            Event::End(TagEnd::Paragraph | TagEnd::Item | TagEnd::Heading(_)) => out.push(' '),
            _ => {}
        }
    }
    out.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn count_words(text: &str) -> usize {
    text.split_whitespace().count()
}

struct Builder<'t> {
    text: &'t str,
    source: &'t LectureSource,
    options: &'t LoadOptions,
    course_root: PathBuf,
    lecture_dir: PathBuf,
    assets: Vec<Asset>,
    warnings: Vec<String>,
}

/// What one slide accumulates while its events are walked.
#[derive(Default)]
struct SlideParts {
    notes: Vec<String>,
    html: Vec<Event<'static>>,
    background: Option<String>,
    background_image: Option<PathBuf>,
    split: Option<super::Split>,
    duration: Option<f32>,
    seed: Option<u64>,
    silent: bool,
}

impl<'t> Builder<'t> {
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

    fn slide(&mut self, raw: Raw<'_>) -> Result<Slide, Diagnostic> {
        let mut state = SlideParts::default();
        let mut blocks = Vec::new();
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
            let mut walker = Walker {
                events: &top.events,
                pos: 0,
            };
            blocks.extend(self.blocks(&mut walker, &mut state, None)?);
        }
        let mut html = String::new();
        // Math becomes MathML on the page.
        let events = state.html.into_iter().map(|event| match event {
            Event::InlineMath(tex) => Event::InlineHtml(crate::math::to_mathml(&tex, false).into()),
            Event::DisplayMath(tex) => Event::InlineHtml(crate::math::to_mathml(&tex, true).into()),
            other => other,
        });
        pulldown_cmark::html::push_html(&mut html, events);
        let words = count_words(&raw.title)
            + blocks.iter().map(block_words).sum::<usize>()
            + state.notes.iter().map(|n| count_words(n)).sum::<usize>();
        Ok(Slide {
            index: 0,
            kind: raw.kind,
            title: raw.title,
            line: line_col(self.text, raw.start).0,
            blocks,
            notes: state.notes,
            html,
            background: state.background,
            background_image: state.background_image,
            split: state.split,
            duration: state.duration,
            seed: state.seed,
            silent: state.silent,
            words,
        })
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
                    self.raw_html(state, &html, offset, false);
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
            Tag::List(start) => {
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
                out.push(Block::List { start, items });
            }
            Tag::CodeBlock(kind) => {
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
                out.push(Block::Code { lang, text });
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
                self.raw_html(state, &html, offset, true);
            }
            Tag::Table(alignments) => {
                let align = alignments
                    .iter()
                    .map(|a| match a {
                        pulldown_cmark::Alignment::None => super::ColumnAlign::Start,
                        pulldown_cmark::Alignment::Left => super::ColumnAlign::Left,
                        pulldown_cmark::Alignment::Center => super::ColumnAlign::Center,
                        pulldown_cmark::Alignment::Right => super::ColumnAlign::Right,
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
                out.push(Block::Table { head, rows, align });
            }
            _ => {
                // Footnote definitions, definition lists and the like: their content, flat.
                out.extend(self.blocks(w, state, Some(end))?);
            }
        }
        w.expect_end(end);
        self.emit(state, Event::End(end));
        Ok(out)
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
                    self.raw_html(state, html, offset, false);
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
        let Some(path) = self.resolve(url, offset)? else {
            // Remote: keep it in the page as written, show nothing on the slide.
            if !is_background {
                self.emit(state, start.clone());
                self.emit(state, Event::Text(alt.into()));
                self.emit(state, Event::End(TagEnd::Image));
            }
            return Ok(());
        };
        if is_background {
            // `bg left`, `bg right:40%`: a side picture; any other `bg`: the whole background.
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
            match side {
                Some((left, fraction)) if state.split.is_none() => {
                    state.split = Some(super::Split {
                        image: path.clone(),
                        left,
                        fraction,
                    });
                }
                None if state.background_image.is_none() => {
                    state.background_image = Some(path.clone());
                }
                _ => {}
            }
            self.asset(&path);
            return Ok(());
        }
        let output = self.asset(&path);
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
        images.push(Block::Image { path, alt });
        Ok(())
    }

    /// Resolves an image reference; `None` for remote URLs (never fetched).
    fn resolve(&mut self, url: &str, offset: usize) -> Result<Option<PathBuf>, Diagnostic> {
        let url = url.trim();
        if url.contains("://") || url.starts_with("data:") || url.starts_with("mailto:") {
            self.warn(
                offset,
                format!("image `{url}` is remote: it is linked from the page but not drawn on the slide"),
            );
            return Ok(None);
        }
        let path_part = url.split(['?', '#']).next().unwrap_or_default();
        let decoded = String::from_utf8_lossy(&percent_decode(path_part).0).into_owned();
        if decoded.is_empty() {
            return Err(self.error(offset, "image with an empty path".into()));
        }
        let joined = if let Some(rooted) = decoded.strip_prefix('/') {
            self.course_root.join(rooted)
        } else {
            self.lecture_dir.join(&decoded)
        };
        let lexical = normalize(&joined);
        let outside =
            || format!("image `{url}` is outside the course folder; copy it into the course");
        if !lexical.starts_with(&self.course_root)
            && !lexical.starts_with(&self.options.course_root)
        {
            return Err(self.error(offset, outside()));
        }
        let canonical = joined.canonicalize().map_err(|_| {
            self.error(
                offset,
                format!("image `{url}` not found (looked for {})", joined.display()),
            )
        })?;
        if !canonical.starts_with(&self.course_root) {
            return Err(self.error(offset, outside()));
        }
        if !canonical.is_file() {
            return Err(self.error(offset, format!("image `{url}` is not a file")));
        }
        Ok(Some(canonical))
    }

    /// Registers a file to copy next to the lecture page; returns its path there.
    fn asset(&mut self, path: &Path) -> String {
        if let Some(a) = self.assets.iter().find(|a| a.source == path) {
            return a.output.clone();
        }
        let rel = path.strip_prefix(&self.course_root).unwrap_or(path);
        let digest = Sha256::digest(rel.to_string_lossy().as_bytes());
        let hash: String = digest[..4].iter().map(|b| format!("{b:02x}")).collect();
        let stem: String = path
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default()
            .chars()
            .map(|c| {
                if c.is_alphanumeric() || c == '-' || c == '_' {
                    c
                } else {
                    '-'
                }
            })
            .collect();
        let ext = path
            .extension()
            .map(|e| format!(".{}", e.to_string_lossy().to_ascii_lowercase()))
            .unwrap_or_default();
        let output = format!("assets/{stem}-{hash}{ext}");
        self.assets.push(Asset {
            source: path.to_path_buf(),
            output: output.clone(),
        });
        output
    }

    /// Raw HTML: comments become directives or notes; anything else reaches the page as
    /// escaped text unless the course allows raw HTML. It is never drawn on a slide.
    fn raw_html(&mut self, state: &mut SlideParts, html: &str, offset: usize, block: bool) {
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
        if other.trim().is_empty() {
            return;
        }
        let event = if self.options.allow_html {
            if block {
                Event::Html(other.into())
            } else {
                Event::InlineHtml(other.into())
            }
        } else {
            Event::Text(other.into())
        };
        self.emit(state, event);
    }

    fn comment(&mut self, state: &mut SlideParts, body: &str, offset: usize) {
        let inner = body.trim();
        if inner.is_empty() {
            return;
        }
        if let Some((key, value)) = inner.split_once(':') {
            let key = key.trim();
            let value = value.trim();
            let is_word = !key.is_empty()
                && key
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
            if is_word {
                match key.trim_start_matches('_') {
                    "background" => {
                        let prompt = unquote(value);
                        if prompt.is_empty() {
                            self.warn(
                                offset,
                                "`background` directive with no prompt ignored".into(),
                            );
                        } else {
                            state.background = Some(prompt);
                        }
                        return;
                    }
                    "duration" => {
                        match parse_duration(value) {
                            Some(d) => state.duration = Some(d),
                            None => self.warn(
                                offset,
                                format!("`duration: {value}` is not a duration (e.g. 8s, 1.5m, 500ms); ignored"),
                            ),
                        }
                        return;
                    }
                    "narration" => {
                        match unquote(value).to_ascii_lowercase().as_str() {
                            "off" | "false" | "no" => state.silent = true,
                            "on" | "true" | "yes" => state.silent = false,
                            _ => self.warn(
                                offset,
                                format!("`narration: {value}` is not on or off; ignored"),
                            ),
                        }
                        return;
                    }
                    "seed" => {
                        match unquote(value).parse::<u64>() {
                            Ok(seed) => state.seed = Some(seed),
                            Err(_) => self.warn(
                                offset,
                                format!("`seed: {value}` is not a whole number; ignored"),
                            ),
                        }
                        return;
                    }
                    k if MARP_DIRECTIVES.contains(&k) => return,
                    _ => {}
                }
            }
        }
        state
            .notes
            .push(inner.split_whitespace().collect::<Vec<_>>().join(" "));
    }

    fn emit(&mut self, state: &mut SlideParts, event: Event<'_>) {
        state.html.push(event.into_static());
    }
}

/// A top-level block that opens the speaker notes: reveal.js `Note:` or remark `???`.
/// Returns the note text of that block itself (possibly empty).
fn note_start(events: &[Located<'_>]) -> Option<String> {
    if !matches!(events.first(), Some((Event::Start(Tag::Paragraph), _))) {
        return None;
    }
    let text = plain_text(events);
    if let Some(rest) = text.strip_prefix("???") {
        if rest.is_empty() || rest.starts_with(' ') {
            return Some(rest.trim().to_string());
        }
    }
    for prefix in ["Note:", "Notes:"] {
        if let Some(rest) = text.strip_prefix(prefix) {
            return Some(rest.trim().to_string());
        }
    }
    None
}

fn is_inline(event: &Event<'_>) -> bool {
    match event {
        Event::Text(_)
        | Event::Code(_)
        | Event::InlineMath(_)
        | Event::DisplayMath(_)
        | Event::InlineHtml(_)
        | Event::SoftBreak
        | Event::HardBreak
        | Event::FootnoteReference(_)
        | Event::TaskListMarker(_) => true,
        Event::Start(tag) => matches!(
            tag,
            Tag::Emphasis
                | Tag::Strong
                | Tag::Strikethrough
                | Tag::Link { .. }
                | Tag::Image { .. }
                | Tag::Superscript
                | Tag::Subscript
        ),
        Event::End(end) => matches!(
            end,
            TagEnd::Emphasis
                | TagEnd::Strong
                | TagEnd::Strikethrough
                | TagEnd::Link
                | TagEnd::Image
                | TagEnd::Superscript
                | TagEnd::Subscript
        ),
        _ => false,
    }
}

/// Reads an image's alt text up to and including its `End`.
fn image_alt(w: &mut Walker<'_, '_>) -> String {
    let mut alt = String::new();
    let mut depth = 1;
    while let Some((event, _)) = w.next_event() {
        match event {
            Event::Start(_) => depth += 1,
            Event::End(_) => {
                depth -= 1;
                if depth == 0 {
                    break;
                }
            }
            Event::Text(t) | Event::Code(t) => alt.push_str(t),
            _ => {}
        }
    }
    alt.trim().to_string()
}

struct Walker<'e, 'a> {
    events: &'e [Located<'a>],
    pos: usize,
}

impl<'e, 'a> Walker<'e, 'a> {
    fn peek(&self) -> Option<&'e Located<'a>> {
        self.events.get(self.pos)
    }

    fn next_event(&mut self) -> Option<&'e Located<'a>> {
        let e = self.events.get(self.pos);
        self.pos += 1;
        e
    }

    /// Consumes `end` if it is next (the builders stop just before it).
    fn expect_end(&mut self, end: TagEnd) {
        if matches!(self.peek(), Some((Event::End(e), _)) if *e == end) {
            self.pos += 1;
        }
    }
}

fn block_words(block: &Block) -> usize {
    let spans = |s: &[Span]| s.iter().map(|s| count_words(&s.text)).sum::<usize>();
    match block {
        Block::Paragraph(s) | Block::Heading(_, s) => spans(s),
        Block::List { items, .. } => items.iter().flatten().map(block_words).sum(),
        // Code is looked at, not read aloud: a couple of words' time per line.
        Block::Code { text, .. } => 2 * text.lines().count(),
        Block::Quote(inner) => inner.iter().map(block_words).sum(),
        Block::Image { alt, .. } => 10 + count_words(alt),
        // A formula takes a few words' time to take in.
        Block::Math { tex, .. } => 5 + tex.len() / 20,
        Block::Table { head, rows, .. } => {
            head.iter().map(|c| spans(c)).sum::<usize>()
                + rows.iter().flatten().map(|c| spans(c)).sum::<usize>()
        }
    }
}

fn unquote(value: &str) -> String {
    let v = value.trim();
    let stripped = v
        .strip_prefix('"')
        .and_then(|v| v.strip_suffix('"'))
        .or_else(|| v.strip_prefix('\'').and_then(|v| v.strip_suffix('\'')))
        .unwrap_or(v);
    stripped.trim().to_string()
}

/// `8s`, `8`, `1.5m`, `500ms`, `1m30s` -> seconds; `None` for anything else or for values
/// outside 0.1 s to 1 hour.
pub(crate) fn parse_duration(value: &str) -> Option<f32> {
    let value = unquote(value).to_ascii_lowercase();
    let mut total = 0.0f32;
    let mut number = String::new();
    let mut rest = value.as_str();
    let mut any = false;
    while !rest.is_empty() {
        let c = rest.chars().next()?;
        if c.is_ascii_digit() || c == '.' {
            number.push(c);
            rest = &rest[1..];
            continue;
        }
        if c.is_whitespace() {
            rest = &rest[1..];
            continue;
        }
        let (unit, len) = if rest.starts_with("ms") {
            (0.001, 2)
        } else if rest.starts_with("min") {
            (60.0, 3)
        } else if rest.starts_with('s') {
            (1.0, 1)
        } else if rest.starts_with('m') {
            (60.0, 1)
        } else if rest.starts_with('h') {
            (3600.0, 1)
        } else {
            return None;
        };
        total += number.parse::<f32>().ok()? * unit;
        number.clear();
        any = true;
        rest = &rest[len..];
    }
    if !number.is_empty() {
        total += number.parse::<f32>().ok()?;
        any = true;
    }
    (any && total.is_finite() && (0.1..=3600.0).contains(&total)).then_some(total)
}

/// Removes `.` and resolves `..` without touching the file system.
fn normalize(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for c in path.components() {
        match c {
            Component::ParentDir => {
                out.pop();
            }
            Component::CurDir => {}
            other => out.push(other.as_os_str()),
        }
    }
    out
}
