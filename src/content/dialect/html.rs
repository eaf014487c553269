//! HTML in decks of the tools that render it (remark, Slidev, reveal.js, Quarto): wrapper tags
//! are layout, their text is content. A line that starts with a tag would open an HTML block
//! in markdown and hide its text from the slide; here such tags go and the text stays.
//! `<style>` and `<script>` blocks go whole; components and embeds that draw something of
//! their own (a tweet, a video, an iframe) go with a warning.

use std::sync::LazyLock;

use regex::Regex;

use super::doc::code_spans;
use super::Doc;

static TAG: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r#"</?([A-Za-z][A-Za-z0-9.:_-]*)((?:\s+[^\s<>="']+(?:\s*=\s*(?:"[^"]*"|'[^']*'|[^\s<>"']+))?)*)\s*(/?)>"#)
        .unwrap_or_else(|e| panic!("tag pattern: {e}"))
});

/// Tags that only arrange or style text.
const WRAPPERS: &[&str] = &[
    "div",
    "span",
    "section",
    "p",
    "center",
    "small",
    "big",
    "font",
    "aside",
    "article",
    "template",
    "header",
    "footer",
    "main",
    "nav",
    "b",
    "i",
    "em",
    "strong",
    "u",
    "mark",
    "sup",
    "sub",
    "br",
    "hr",
    "figure",
    "figcaption",
    "details",
    "summary",
    "kbd",
    "blockquote",
    "a",
    "button",
    "label",
    "ul",
    "ol",
    "li",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
];

/// Embeds that draw something of their own.
const EMBEDS: &[&str] = &[
    "iframe", "video", "audio", "object", "embed", "canvas", "svg",
];

/// Whether `name` is a component of a framework (`<v-click>`, `<Tweet>`, `<carbon-logo>`).
fn is_component(name: &str) -> bool {
    name.contains(['-', ':']) || name.starts_with(|c: char| c.is_ascii_uppercase())
}

/// Takes wrapper tags, components, `<style>` and `<script>` out of lines that start with a
/// tag, and components out of every line; `steps` names components that mark a step
/// (`v-click`): a line holding only one of them becomes a step boundary.
pub(super) fn unwrap(doc: &mut Doc, steps: &[&str]) {
    let mut i = 0;
    let mut depth = 0i32;
    while i < doc.len() {
        if doc.in_code(i) {
            i += 1;
            continue;
        }
        let t = doc.line(i).trim_start().to_string();
        let lower = t.to_ascii_lowercase();
        if let Some(block) = ["<style", "<script"]
            .into_iter()
            .find(|b| lower.starts_with(b))
        {
            let close = format!("</{}>", &block[1..]);
            let end = (i..doc.len())
                .find(|&j| doc.line(j).to_ascii_lowercase().contains(&close))
                .unwrap_or(i);
            doc.blank(i..end + 1);
            i = end + 1;
            continue;
        }
        join_open_tag(doc, i);
        if let Some(shown) = without_hidden(doc.line(i)) {
            doc.set(i, shown);
        }
        // After a blank line or a line of HTML, an indented line would open a code block.
        let was_blank = i > 0 && {
            let previous = doc.line(i - 1).trim();
            previous.is_empty() || previous.starts_with('<')
        };
        let inside = depth > 0;
        depth += clean_line(doc, i, steps);
        // Inside a wrapper, indentation is HTML's nesting, not markdown's: a block that
        // would read as indented code is taken to the margin.
        let line = doc.line(i);
        let indent = line.len() - line.trim_start().len();
        if inside && was_blank && indent >= 4 {
            let trimmed = line.trim_start().to_string();
            doc.set(i, trimmed);
        }
        picture_line(doc, i);
        i += 1;
    }
}

/// Text for screen readers only (`<span class="visually-hidden">galaxy-home</span>` beside an
/// icon, Bootstrap's `sr-only`) is not on the slide: `line` without it, when it has some.
fn without_hidden(line: &str) -> Option<String> {
    static HIDDEN: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(r#"(?i)<span\b[^>]*\bclass\s*=\s*["'][^"']*\b(?:visually-hidden|sr-only)\b[^"']*["'][^>]*>[^<]*</span>"#)
            .unwrap_or_else(|e| panic!("hidden pattern: {e}"))
    });
    // Inside a code span it is what the slide teaches: left as written.
    (HIDDEN.is_match(line) && !line.contains('`'))
        .then(|| HIDDEN.replace_all(line, "").into_owned())
}

/// A line that is only an `<img>` would open an HTML block and hide the text after it: it
/// becomes a markdown picture (a sized one stays a tag when no text follows it).
fn picture_line(doc: &mut Doc, i: usize) {
    let t = doc.line(i).trim();
    if !t.to_ascii_lowercase().starts_with("<img")
        || !t.ends_with('>')
        || t.matches('<').count() > 1
    {
        return;
    }
    let sized = super::doc::attribute(t, "width").is_some();
    let next = doc.line(i + 1).trim();
    if sized && (next.is_empty() || next.starts_with('<')) {
        return;
    }
    let Some(src) = super::doc::attribute(t, "src") else {
        return;
    };
    let alt = super::doc::attribute(t, "alt").unwrap_or_default();
    doc.set(i, format!("![{}]({src})", alt.replace(['[', ']'], "")));
}

/// A tag opened on line `i` and closed on a later line (`<div\n  v-motion\n>`) is joined
/// onto line `i`; the lines it took are left empty.
fn join_open_tag(doc: &mut Doc, i: usize) {
    let line = doc.line(i).to_string();
    let Some(open) = line.rfind('<') else {
        return;
    };
    let tail = &line[open + 1..];
    let named = tail.starts_with(|c: char| c.is_ascii_alphabetic());
    if !named || closes_tag(tail) {
        return;
    }
    let mut joined = line.clone();
    for j in i + 1..doc.len().min(i + 40) {
        if doc.in_code(j) || doc.line(j).trim().is_empty() {
            return;
        }
        joined.push(' ');
        joined.push_str(doc.line(j).trim());
        if closes_tag(doc.line(j)) {
            doc.set(i, joined);
            doc.blank(i + 1..j + 1);
            return;
        }
    }
}

/// Whether a `>` outside quotes ends the tag text `tail`.
fn closes_tag(tail: &str) -> bool {
    let mut quote = None;
    for c in tail.chars() {
        match (quote, c) {
            (None, '"' | '\'') => quote = Some(c),
            (Some(q), c) if c == q => quote = None,
            (None, '>') => return true,
            _ => {}
        }
    }
    false
}

/// Cleans line `i`; returns how many wrappers it opened less how many it closed.
fn clean_line(doc: &mut Doc, i: usize, steps: &[&str]) -> i32 {
    let line = doc.line(i).to_string();
    let t = line.trim_start();
    let indent = &line[..line.len() - t.len()];
    let starts_with_tag = t.starts_with('<') && !t.starts_with("<!--");
    let spans = code_spans(t);
    let mut kept = String::new();
    let mut last = 0;
    let mut step = false;
    let mut items = false;
    let mut depth = 0;
    for m in TAG.captures_iter(t) {
        let (Some(whole), Some(name)) = (m.get(0), m.get(1)) else {
            continue;
        };
        if spans.iter().any(|r| r.contains(&whole.start())) {
            continue;
        }
        let name = name.as_str();
        let lower_name = name.to_ascii_lowercase();
        let attrs = m.get(2).map_or("", |a| a.as_str());
        let closing = whole.as_str().starts_with("</");
        let component = is_component(name);
        let wrapper = WRAPPERS.contains(&lower_name.as_str());
        let embed = EMBEDS.contains(&lower_name.as_str());
        // Components go anywhere; wrappers and embeds only from a line they open (inline
        // HTML elsewhere is the plain reader's: its text is drawn, its tags are not).
        if !(component || (starts_with_tag && (wrapper || embed))) {
            continue;
        }
        kept.push_str(&t[last..whole.start()]);
        last = whole.end();
        let self_closing = m.get(3).is_some_and(|c| !c.as_str().is_empty());
        if closing {
            depth -= 1;
        } else if !self_closing && !matches!(lower_name.as_str(), "br" | "hr") {
            depth += 1;
        }
        let is_step = steps.contains(&lower_name.as_str()) || attrs.contains("v-click");
        if !closing && is_step {
            step = true;
            // `<v-clicks>` reveals the items of the list inside one by one.
            items |= lower_name == "v-clicks";
        }
        if embed && !closing {
            doc.warn(
                i,
                "embed",
                format!("`<{name}>` embeds are not drawn on slides (their text is kept)"),
            );
        } else if component && !closing && !steps.contains(&lower_name.as_str()) {
            doc.warn(
                i,
                name,
                format!(
                    "components such as `<{name}>` are not drawn: their text is kept, their markup dropped"
                ),
            );
        }
    }
    if last == 0 {
        return 0;
    }
    kept.push_str(&t[last..]);
    if kept.trim().is_empty() {
        let marker = match (step && starts_with_tag, items) {
            (false, _) => "",
            (true, false) => "<!-- step -->",
            (true, true) => "<!-- step items -->",
        };
        doc.set(i, marker);
    } else {
        doc.set(i, format!("{indent}{}", kept.trim()));
    }
    depth
}
