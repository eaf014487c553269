//! Walking a slide's events: a cursor over them, which events are inline, a picture's alt
//! text.

use pulldown_cmark::{Event, Tag, TagEnd};

use super::Located;

/// Whether an event belongs inside a paragraph (text, emphasis, links, pictures...).
pub(super) fn is_inline(event: &Event<'_>) -> bool {
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
pub(super) fn image_alt(w: &mut Walker<'_, '_>) -> String {
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

pub(super) struct Walker<'e, 'a> {
    events: &'e [Located<'a>],
    pos: usize,
}

impl<'e, 'a> Walker<'e, 'a> {
    pub(super) fn new(events: &'e [Located<'a>]) -> Self {
        Self { events, pos: 0 }
    }

    pub(super) fn peek(&self) -> Option<&'e Located<'a>> {
        self.events.get(self.pos)
    }

    pub(super) fn next_event(&mut self) -> Option<&'e Located<'a>> {
        let e = self.events.get(self.pos);
        self.pos += 1;
        e
    }

    /// Consumes `end` if it is next (the builders stop just before it).
    pub(super) fn expect_end(&mut self, end: TagEnd) {
        if matches!(self.peek(), Some((Event::End(e), _)) if *e == end) {
            self.pos += 1;
        }
    }
}
