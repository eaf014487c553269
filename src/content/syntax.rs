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
//! - mdBook: `{{#include file:lines}}` and `{{#rustdoc_include file:lines}}` are replaced by
//!   the lines they name (`:2:5`, `:2:`, `::5`, `:7`, `:anchor`), in code blocks too, as mdBook
//!   does; the other `{{#...}}` go. (An include of n lines moves the line numbers after it.)
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

/// The body with template syntax removed and mdBook includes resolved by `include` (which
/// reads a path relative to the note), and `(byte offset, message)` warnings.
pub(super) fn strip(
    body: &str,
    include: &dyn Fn(&str) -> Result<String, String>,
) -> (String, Vec<(usize, String)>) {
    let mut scan = Scan {
        body,
        cuts: Vec::new(),
        warnings: Vec::new(),
    };
    // Includes first: mdBook resolves them inside code blocks too, where they mostly are.
    let includes = scan.includes(include);
    let mut protected = protected(body);
    protected.extend(includes.iter().map(|(r, _)| r.clone()));
    protected.sort_by_key(|r| r.start);
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
        at = if let Some(len) = line_start(body, at).then(|| fenced_div(rest)).flatten() {
            scan.cut(at, len)
        } else if rest.starts_with("{%") {
            scan.tag(at)
        } else if rest.starts_with("{{") {
            scan.output(at)
        } else if let Some(len) = rest.starts_with('{').then(|| attributes(rest)).flatten() {
            scan.cut(at, len)
        } else {
            at + next_char(rest)
        };
    }
    let Scan { cuts, warnings, .. } = scan;
    (edit(body, cuts, includes), warnings)
}

/// What one pass over a note's body takes out, and why it warned.
struct Scan<'a> {
    body: &'a str,
    cuts: Vec<Range<usize>>,
    warnings: Vec<(usize, String)>,
}

impl Scan<'_> {
    /// Cuts `len` bytes at `at`; returns where the scan goes on.
    fn cut(&mut self, at: usize, len: usize) -> usize {
        self.cuts.push(at..at + len);
        at + len
    }

    /// mdBook's `{{#include ...}}` and `{{#rustdoc_include ...}}`: each range with the lines
    /// it names (nothing, with a warning, when they cannot be read).
    fn includes(
        &mut self,
        include: &dyn Fn(&str) -> Result<String, String>,
    ) -> Vec<(Range<usize>, String)> {
        let body = self.body;
        let mut includes = Vec::new();
        let mut from = 0;
        while let Some(i) = body[from..].find("{{") {
            let at = from + i;
            // mdBook's `{{#include f}}`, Quarto's `{{< include f >}}`.
            let (rest, close) = match &body[at + 2..] {
                r if r.starts_with('#') => (&r[1..], "}}"),
                r if r.starts_with('<') => (r[1..].trim_start(), ">}}"),
                _ => {
                    from = at + 2;
                    continue;
                }
            };
            let directive = ["include ", "rustdoc_include "]
                .into_iter()
                .find(|d| rest.starts_with(d) && (close == "}}" || *d == "include "));
            let (Some(directive), Some(end)) = (directive, rest.find(close)) else {
                from = at + 2;
                continue;
            };
            let spec = rest[directive.len()..end].trim();
            let until = body.len() - rest.len() + end + close.len();
            let text = match include_lines(spec, include) {
                Ok(text) => text,
                Err(e) => {
                    self.warnings
                        .push((at, format!("`{}`: {e}", &body[at..until])));
                    String::new()
                }
            };
            includes.push((at..until, text));
            from = until;
        }
        includes
    }

    /// A Liquid or Zola tag `{% ... %}` at `at`: a comment goes with its content, `raw` keeps
    /// what follows as written, known tags go, unknown ones go with a warning.
    fn tag(&mut self, at: usize) -> usize {
        let body = self.body;
        let rest = &body[at..];
        let Some(end) = rest.find("%}") else {
            self.warnings
                .push((at, "a template tag `{%` is never closed".into()));
            return self.cut(at, 2);
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
                self.cuts.push(at..until);
                return until;
            }
            "raw" => {
                // Kept as written up to `{% endraw %}`.
                self.cuts.push(at..tag_end);
                let close = body[tag_end..].find("{% endraw").map(|i| tag_end + i);
                return close.unwrap_or(body.len());
            }
            n if LIQUID_TAGS.contains(&n) || tag.contains('(') => {}
            _ => self.warnings.push((
                at,
                format!("template tag `{{% {tag} %}}` is not shown on the slide"),
            )),
        }
        self.cut(at, tag_end - at)
    }

    /// Template output at `at`: Hugo shortcodes and comments, Zola calls, mdBook's other
    /// `{{#...}}`, Liquid's `{{ site.x }}`; anything else goes with a warning.
    fn output(&mut self, at: usize) -> usize {
        let rest = &self.body[at..];
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
            self.warnings
                .push((at, "template output `{{` is never closed".into()));
            return self.cut(at, 2);
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
            self.warnings.push((
                at,
                format!("template output `{{{{ {inner} }}}}` is not shown on the slide"),
            ));
        }
        self.cut(at, end + close.len())
    }
}

/// `body` with each cut replaced by its line breaks (so line numbers after a cut are still the
/// file's) and each include by its text.
fn edit(body: &str, cuts: Vec<Range<usize>>, includes: Vec<(Range<usize>, String)>) -> String {
    let mut edits: Vec<(Range<usize>, String)> = cuts
        .into_iter()
        .map(|cut| {
            let breaks = body[cut.clone()].chars().filter(|&c| c == '\n').collect();
            (cut, breaks)
        })
        .chain(includes)
        .collect();
    edits.sort_by_key(|(r, _)| r.start);
    let mut out = String::with_capacity(body.len());
    let mut from = 0;
    for (range, text) in &edits {
        if range.start < from {
            continue;
        }
        out.push_str(&body[from..range.start]);
        out.push_str(text);
        from = range.end;
    }
    out.push_str(&body[from..]);
    out
}

/// The lines of an mdBook include spec: `path`, `path:7`, `path:2:5`, `path:2:`, `path::5`
/// or `path:anchor` (the lines between `ANCHOR: anchor` and `ANCHOR_END: anchor`). Anchor
/// marker lines are never shown.
fn include_lines(
    spec: &str,
    include: &dyn Fn(&str) -> Result<String, String>,
) -> Result<String, String> {
    let mut parts = spec.split(':');
    let path = parts.next().unwrap_or("").trim();
    let range: Vec<&str> = parts.collect();
    let text = include(path)?;
    let lines: Vec<&str> = text.lines().collect();
    let number = |s: &str| s.trim().parse::<usize>().ok();
    let chosen: Vec<&str> = match range.as_slice() {
        [] => lines,
        [one] => match number(one) {
            Some(n) => lines.get(n.saturating_sub(1)..n).unwrap_or(&[]).to_vec(),
            None => {
                let name = one.trim();
                let start = lines
                    .iter()
                    .position(|l| anchor(l, "ANCHOR:") == Some(name))
                    .ok_or_else(|| format!("no anchor `{name}` in {path}"))?;
                let end = lines[start..]
                    .iter()
                    .position(|l| anchor(l, "ANCHOR_END:") == Some(name))
                    .map_or(lines.len(), |e| start + e);
                lines[start + 1..end].to_vec()
            }
        },
        [a, b, ..] => {
            let first = number(a).unwrap_or(1).max(1);
            let last = number(b).unwrap_or(lines.len()).min(lines.len());
            lines.get(first - 1..last).unwrap_or(&[]).to_vec()
        }
    };
    let kept: Vec<&str> = chosen
        .into_iter()
        .filter(|l| anchor(l, "ANCHOR:").is_none() && anchor(l, "ANCHOR_END:").is_none())
        .collect();
    Ok(kept.join("\n"))
}

/// The name of an anchor marker line (`// ANCHOR: name`), if `line` is one.
fn anchor<'l>(line: &'l str, marker: &str) -> Option<&'l str> {
    let at = line.find(marker)?;
    Some(line[at + marker.len()..].trim())
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
