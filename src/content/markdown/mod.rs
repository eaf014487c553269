//! Markdown to slides: splits the notes at slide headings and `---` breaks, pulls out speaker
//! notes and directives, resolves images, and builds each slide's block tree and HTML.
//!
//! - `cut.rs`: where slides start (slide headings, breaks, the section markers of notes
//!   without headings) and what stays on the title slide;
//! - `blocks.rs`: one walk over a slide's events builds its block tree, its page HTML and its
//!   notes at once;
//! - `directives.rs`: per-slide directives in HTML comments (`background`, `duration`, ...);
//! - `html.rs`: pictures in raw HTML (`<img>`), figures like markdown's;
//! - `assets.rs`: the pictures and files the notes show, resolved inside the course;
//! - `walk.rs`: a cursor over a slide's events.

mod assets;
mod blocks;
mod columns;
mod cut;
mod directives;
pub(in crate::content) mod html;
mod walk;

use std::ops::Range;

use pulldown_cmark::{Event, HeadingLevel, Options, Parser, Tag, TagEnd};

use super::{Asset, Chrome, LectureSource, LoadOptions, Meta, Slide, SlideKind};
use crate::diag::Diagnostic;

type Located<'a> = (Event<'a>, Range<usize>);

/// What the markdown stage hands back to [`super::parse`].
pub(super) struct Parsed {
    pub slides: Vec<Slide>,
    pub assets: Vec<Asset>,
    pub warnings: Vec<String>,
}

/// What the dialect tells the markdown stage about the deck.
#[derive(Debug, Default)]
pub(super) struct Deck {
    /// The notes open with their cover slide (Marp, Slidev): what precedes the first break
    /// stays on the title slide.
    pub cover: bool,
    /// Marp's `header`, `footer` and `paginate` from the front matter: `(key, value)`.
    pub chrome: Vec<(String, String)>,
    /// Prose is shown as points (plain notes): every heading opens a slide.
    pub points: bool,
    /// Only breaks make slides (remark, Marp, Slidev, reveal.js decks): a slide's first
    /// heading is its title, later ones its content.
    pub breaks_only: bool,
    /// A slide of settings only is no slide, the first one included (remark's layout and
    /// excluded slides; in Marp a slide of directives is a blank slide).
    pub settings_make_no_slide: bool,
}

/// Marp's header, footer and page numbers as they run from slide to slide: a directive holds
/// from its slide on, a spot directive (`_footer`) on its slide only.
#[derive(Debug, Default, Clone)]
struct Running {
    header: Option<String>,
    footer: Option<String>,
    paginate: bool,
}

impl Running {
    fn apply(&mut self, d: &directives::ChromeDirective) {
        let text = (!d.value.is_empty()).then(|| d.value.clone());
        match d.key {
            "header" => self.header = text,
            "footer" => self.footer = text,
            _ => {
                self.paginate =
                    matches!(d.value.to_ascii_lowercase().as_str(), "true" | "yes" | "on")
            }
        }
    }

    /// The chrome of the slide at `index` whose own directives are `directives`.
    fn slide(&mut self, directives: &[directives::ChromeDirective], index: usize) -> Chrome {
        let mut here = self.clone();
        for d in directives {
            here.apply(d);
            if !d.spot {
                self.apply(d);
            }
        }
        Chrome {
            header: here.header,
            footer: here.footer,
            page: here.paginate.then_some(index + 1),
        }
    }
}

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
    /// The level of the heading that opened it (0: none).
    level: u8,
    /// The title of the section it sits in, when every heading opens a slide.
    parent: Option<String>,
    tops: Vec<Top<'a>>,
}

/// The slides of the notes `text` (its front matter ends at `body_start`), their assets and
/// the warnings met; `meta` gets the title when the front matter has none.
pub(super) fn slides(
    text: &str,
    body_start: usize,
    meta: &mut Meta,
    source: &LectureSource,
    options: &LoadOptions,
    deck: &Deck,
) -> Result<Parsed, Diagnostic> {
    let raws = cut::cut(
        top_blocks(text, body_start),
        body_start,
        meta,
        source,
        options,
        deck,
    );
    let mut chrome = Running::default();
    for (key, value) in &deck.chrome {
        if let Some(directive) = directives::ChromeDirective::read(key, value) {
            chrome.apply(&directive);
        }
    }
    let mut builder = blocks::Builder::new(text, source, options);
    let mut slides = Vec::new();
    for raw in raws {
        let keep = raw.kind == SlideKind::Title || !raw.title.is_empty() || !raw.tops.is_empty();
        if !keep {
            continue;
        }
        let settings = raw.kind != SlideKind::Title
            && raw.title.is_empty()
            && raw.tops.iter().all(cut::is_setting);
        let parent = raw.parent.clone();
        let (mut slide, directives) = builder.slide(raw)?;
        let shows = !slide.blocks.is_empty()
            || !slide.notes.is_empty()
            || slide.backdrop.is_some()
            || slide.split.is_some();
        if settings && !shows {
            // Only directives between two breaks (Marp's, a remark layout slide's footer):
            // they run on; there is no slide to show.
            chrome.slide(&directives, 0);
            continue;
        }
        slide.index = slides.len();
        slide.chrome = chrome.slide(&directives, slide.index);
        if slide.chrome.header.is_none() {
            slide.chrome.header = parent;
        }
        slides.push(slide);
    }
    let (assets, warnings) = builder.finish();
    Ok(Parsed {
        slides,
        assets,
        warnings,
    })
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
