//! Notes as static sites write them: the template syntax of Jekyll (Liquid), Hugo, Zola, mdBook
//! and Quarto/pandoc is taken out before the markdown is read, so it is never drawn on a slide.
//!
//! In: the body of a note. Out: the same text with each piece of template syntax removed (its
//! line breaks kept, so every later line number is still the file's), and a warning for each
//! piece that is not one of the known forms. Code blocks, inline code and math are left alone:
//! a slide about templates shows them.
//!
//! - Liquid: `{% comment %}...{% endcomment %}` goes with its content; `{% raw %}` and
//!   `{% endraw %}` go and what is between them is kept as written; other tags (`{% include %}`,
//!   `{% if %}`, ...) and output (`{{ site.title }}`) go.
//! - Hugo: shortcode tags `{{< name >}}`, `{{< /name >}}`, `{{% name %}}`, `{{% /name %}}` go,
//!   the markdown between a pair stays; comments `{{/* ... */}}` go.
//! - Zola: `{{ name(args) }}` goes; `{% name(args) %}` and `{% end %}` go, the body stays.
//! - mdBook: `{{#include ...}}`, `{{#rustdoc_include ...}}` and the other `{{#...}}` go.
//! - Quarto/pandoc: fenced div lines (`::: {.callout-note}`, `:::`) go, the content stays;
//!   attribute blocks (`{.class}`, `{#id}`) after headings and spans go.

use std::ops::Range;

use pulldown_cmark::{Event, Options, Parser, Tag};

/// Liquid tags that are known and silently taken out.
const LIQUID_TAGS: &[&str] = &[
    "include",
    "include_relative",
    "if",
    "elsif",
    "else",
    "endif",
    "unless",
    "endunless",
    "for",
    "endfor",
    "break",
    "continue",
    "assign",
    "capture",
    "endcapture",
    "case",
    "when",
    "endcase",
    "highlight",
    "endhighlight",
    "link",
    "post_url",
    "cycle",
    "increment",
    "decrement",
    "seo",
    "end",
    "endraw",
];

/// The body with template syntax removed, and `(byte offset, message)` warnings.
pub(super) fn strip(body: &str) -> (String, Vec<(usize, String)>) {
    let protected = protected(body);
    let mut cuts: Vec<Range<usize>> = Vec::new();
    let mut warnings = Vec::new();
    let mut next_protected = 0;
    let mut at = 0;
    while at < body.len() {
        while protected.get(next_protected).is_some_and(|r| r.end <= at) {
            next_protected += 1;
        }
        if let Some(r) = protected.get(next_protected).filter(|r| r.contains(&at)) {
            at = r.end;
            continue;
        }
        let rest = &body[at..];
        if let Some(len) = line_start(body, at).then(|| fenced_div(rest)).flatten() {
            cuts.push(at..at + len);
            at += len;
            continue;
        }
        if rest.starts_with("{%") {
            let Some(end) = rest.find("%}") else {
                warnings.push((at, "a template tag `{%` is never closed".into()));
                cuts.push(at..at + 2);
                at += 2;
                continue;
            };
            let tag = rest[2..end].trim().trim_matches('-').trim();
            let name = tag
                .split(|c: char| c.is_whitespace() || c == '(')
                .next()
                .unwrap_or("");
            let tag_end = at + end + 2;
            match name {
                "comment" => {
                    // The comment goes with everything up to its end tag.
                    let close = body[tag_end..]
                        .find("endcomment")
                        .and_then(|i| body[tag_end + i..].find("%}").map(|j| tag_end + i + j + 2));
                    let until = close.unwrap_or(body.len());
                    cuts.push(at..until);
                    at = until;
                    continue;
                }
                "raw" => {
                    // Kept as written up to `{% endraw %}`.
                    cuts.push(at..tag_end);
                    let close = body[tag_end..].find("{% endraw").map(|i| tag_end + i);
                    let until = close.unwrap_or(body.len());
                    at = until;
                    continue;
                }
                n if LIQUID_TAGS.contains(&n) || tag.contains('(') => {}
                _ => warnings.push((
                    at,
                    format!("template tag `{{% {tag} %}}` is not shown on the slide"),
                )),
            }
            cuts.push(at..tag_end);
            at = tag_end;
            continue;
        }
        if rest.starts_with("{{") {
            let (close, known) = if rest.starts_with("{{/*") {
                ("*/}}", true)
            } else if rest.starts_with("{{<") {
                (">}}", true)
            } else if rest.starts_with("{{%") {
                ("%}}", true)
            } else {
                ("}}", false)
            };
            let Some(end) = rest.find(close) else {
                warnings.push((at, "template output `{{` is never closed".into()));
                cuts.push(at..at + 2);
                at += 2;
                continue;
            };
            let inner = rest[2..end].trim();
            let known = known
                || inner.starts_with('#')
                || inner.contains('(')
                || [
                    "site",
                    "page",
                    "include",
                    "layout",
                    "content",
                    "paginator",
                    "config",
                    "section",
                ]
                .iter()
                .any(|k| inner == *k || inner.starts_with(&format!("{k}.")));
            if !known {
                warnings.push((
                    at,
                    format!("template output `{{{{ {inner} }}}}` is not shown on the slide"),
                ));
            }
            let tag_end = at + end + close.len();
            cuts.push(at..tag_end);
            at = tag_end;
            continue;
        }
        if rest.starts_with('{') {
            if let Some(len) = attributes(rest) {
                cuts.push(at..at + len);
                at += len;
                continue;
            }
        }
        at += next_char(rest);
    }
    let mut out = String::with_capacity(body.len());
    let mut from = 0;
    for cut in &cuts {
        out.push_str(&body[from..cut.start]);
        // Line breaks stay, so line numbers after the cut are still the file's.
        out.extend(body[cut.clone()].chars().filter(|&c| c == '\n'));
        from = cut.end;
    }
    out.push_str(&body[from..]);
    (out, warnings)
}

fn next_char(rest: &str) -> usize {
    rest.chars().next().map_or(1, char::len_utf8)
}

fn line_start(body: &str, at: usize) -> bool {
    at == 0 || body.as_bytes().get(at - 1) == Some(&b'\n')
}

/// A pandoc fenced div line (`:::`, `::: {.callout-note}`, `::: note`), its length without
/// the line break.
fn fenced_div(rest: &str) -> Option<usize> {
    let line = rest.split('\n').next().unwrap_or("");
    let colons = line.chars().take_while(|&c| c == ':').count();
    if colons < 3 {
        return None;
    }
    let tail = line[colons..].trim();
    let ok = tail.is_empty()
        || (tail.starts_with('{') && tail.ends_with('}'))
        || tail
            .chars()
            .all(|c| c.is_alphanumeric() || c == '-' || c == '_');
    ok.then_some(line.len())
}

/// A pandoc attribute block: `{.class}`, `{#id}`, `{.a #b key="v"}`.
fn attributes(rest: &str) -> Option<usize> {
    let end = rest.find('}')?;
    let inner = &rest[1..end];
    if inner.contains('\n') || inner.is_empty() {
        return None;
    }
    let word_ok =
        |w: &str| (w.starts_with('.') || w.starts_with('#')) && w.len() > 1 || w.contains('=');
    inner.split_whitespace().all(word_ok).then_some(end + 1)
}

/// Byte ranges of code blocks, inline code and math: never touched.
fn protected(body: &str) -> Vec<Range<usize>> {
    let mut out = Vec::new();
    let mut block: Option<usize> = None;
    for (event, range) in Parser::new_ext(body, Options::ENABLE_MATH).into_offset_iter() {
        match event {
            Event::Start(Tag::CodeBlock(_)) => block = Some(range.start),
            Event::End(pulldown_cmark::TagEnd::CodeBlock) => {
                if let Some(start) = block.take() {
                    out.push(start..range.end);
                }
            }
            Event::Code(_) | Event::InlineMath(_) | Event::DisplayMath(_) => out.push(range),
            _ => {}
        }
    }
    out
}
