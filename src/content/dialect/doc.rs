//! The notes as lines a dialect rewrites in place: each line is replaced by one line (or, for
//! an import, by the lines it brings), so every line number a later stage reports is still the
//! file's up to the first import.

use std::collections::BTreeSet;

/// The body of a note, line by line, with where its code blocks are.
pub(super) struct Doc {
    /// The lines, without their `\n`.
    pub lines: Vec<String>,
    /// Offset of each original line in the body (warnings are placed by it).
    starts: Vec<usize>,
    /// Per line: inside a fenced code block (its fence lines included) or an indented one.
    code: Vec<bool>,
    /// Warnings: `(offset in the body, message)`, one per kind of construct.
    warnings: Vec<(usize, String)>,
    warned: BTreeSet<String>,
}

impl Doc {
    pub(super) fn new(body: &str) -> Self {
        let mut lines = Vec::new();
        let mut starts = Vec::new();
        let mut at = 0;
        for line in body.split('\n') {
            starts.push(at);
            at += line.len() + 1;
            lines.push(line.to_string());
        }
        let mut doc = Self {
            code: Vec::new(),
            lines,
            starts,
            warnings: Vec::new(),
            warned: BTreeSet::new(),
        };
        doc.code = code_lines(&doc.lines);
        doc
    }

    pub(super) fn len(&self) -> usize {
        self.lines.len()
    }

    /// Whether line `i` is inside a code block (a fenced one's fences included).
    pub(super) fn in_code(&self, i: usize) -> bool {
        self.code.get(i).copied().unwrap_or(false)
    }

    /// Line `i`, trimmed of its line ending's `\r` and of trailing blanks.
    pub(super) fn line(&self, i: usize) -> &str {
        self.lines.get(i).map_or("", |l| l.trim_end())
    }

    /// Replaces line `i`.
    pub(super) fn set(&mut self, i: usize, text: impl Into<String>) {
        if let Some(line) = self.lines.get_mut(i) {
            *line = text.into();
        }
    }

    /// Empties lines `from..to`.
    pub(super) fn blank(&mut self, range: std::ops::Range<usize>) {
        for i in range {
            self.set(i, "");
        }
    }

    /// A warning at line `i` for a construct of `kind`, said once per note.
    pub(super) fn warn(&mut self, i: usize, kind: &str, message: impl Into<String>) {
        if self.warned.insert(kind.to_string()) {
            let offset = self.starts.get(i).copied().unwrap_or(0);
            self.warnings.push((offset, message.into()));
        }
    }

    /// Inserts `text` (several lines) in place of line `i`. Later line numbers move.
    pub(super) fn splice(&mut self, i: usize, text: &str) {
        if i >= self.lines.len() {
            return;
        }
        let new: Vec<String> = text.split('\n').map(str::to_string).collect();
        let count = new.len();
        let start = self.starts[i];
        self.lines.splice(i..=i, new);
        self.starts.splice(i..=i, std::iter::repeat_n(start, count));
        self.code = code_lines(&self.lines);
    }

    /// Tools that cut slides at `---` before they read markdown (remark, Slidev, reveal.js):
    /// right under a line of text, the break must not underline it as a heading (`***` is a
    /// break that cannot).
    pub(super) fn breaks_under_text(&mut self) {
        for i in 1..self.len() {
            let under_text = !self.line(i - 1).trim().is_empty() && !self.in_code(i - 1);
            if under_text && !self.in_code(i) && self.line(i).trim() == "---" {
                self.set(i, "***");
            }
        }
    }

    /// Recomputes where code blocks are (after a dialect rewrote fences).
    pub(super) fn refresh(&mut self) {
        self.code = code_lines(&self.lines);
    }

    /// The fenced code blocks, in order (blocks inside a block are its text): where each
    /// opens and closes, its fence (`c` times `n`) and its info string.
    pub(super) fn fences(&self) -> Vec<Fence> {
        let mut out = Vec::new();
        let mut i = 0;
        while i < self.len() {
            let Some((c, n, info)) = fence_open(self.line(i)) else {
                i += 1;
                continue;
            };
            let close = fence_end(self, i, c, n);
            out.push(Fence {
                open: i,
                close,
                c,
                n,
                info: info.to_string(),
            });
            i = close + 1;
        }
        out
    }

    pub(super) fn finish(self) -> (String, Vec<(usize, String)>) {
        (self.lines.join("\n"), self.warnings)
    }
}

/// `line` with each markdown picture `![alt](src)` replaced by what `replace(alt, src)` makes
/// of it.
/// Pictures inside code spans are code, left alone.
pub(super) fn map_pictures(line: &str, mut replace: impl FnMut(&str, &str) -> String) -> String {
    let spans = code_spans(line);
    let mut out = String::new();
    let mut from = 0;
    while let Some(found) = line[from..].find("![") {
        let at = from + found;
        if let Some(span) = spans.iter().find(|r| r.contains(&at)) {
            out.push_str(&line[from..span.end]);
            from = span.end;
            continue;
        }
        let after = &line[at + 2..];
        let Some((alt, tail)) = after.split_once("](") else {
            break;
        };
        let Some((src, tail)) = tail.split_once(')') else {
            break;
        };
        out.push_str(&line[from..at]);
        out.push_str(&replace(alt, src));
        from = line.len() - tail.len();
    }
    out.push_str(&line[from..]);
    out
}

/// `line` with `f` applied to each stretch outside its code spans (code shows syntax as
/// written).
pub(super) fn outside_code(line: &str, mut f: impl FnMut(&str) -> String) -> String {
    let mut out = String::new();
    let mut at = 0;
    for span in code_spans(line) {
        out.push_str(&f(&line[at..span.start]));
        out.push_str(&line[span.clone()]);
        at = span.end;
    }
    out.push_str(&f(&line[at..]));
    out
}

/// The byte ranges of a line's code spans (`` `code` ``).
pub(super) fn code_spans(line: &str) -> Vec<std::ops::Range<usize>> {
    let bytes = line.as_bytes();
    let mut out = Vec::new();
    let mut j = 0;
    while j < bytes.len() {
        if bytes[j] != b'`' {
            j += 1;
            continue;
        }
        let run = bytes[j..].iter().take_while(|&&b| b == b'`').count();
        let ticks = &line[j..j + run];
        match line[j + run..].find(ticks) {
            Some(end) => {
                out.push(j..j + run + end + run);
                j += run + end + run;
            }
            None => j += run,
        }
    }
    out
}

/// A sized figure as HTML (the plain reader takes `<img width>` as a share of the text's width).
/// The empty comment after it keeps a line of it alone from opening an HTML block, which would
/// swallow the lines under it up to a blank one (`.pull-left[.image-50[![](x.png)]]` right
/// above `.pull-right[`).
pub(super) fn sized_picture(src: &str, alt: &str, percent: impl std::fmt::Display) -> String {
    let alt = alt.replace('"', "&quot;");
    format!(
        "<img src=\"{}\" alt=\"{alt}\" width=\"{percent}%\"> <!-- -->",
        src.trim()
    )
}

/// The line where the fenced code block opened at `open` with `n` times `c` closes (the last
/// line when it never does).
pub(super) fn fence_end(doc: &Doc, open: usize, c: char, n: usize) -> usize {
    (open + 1..doc.len())
        .find(|&j| fence_close(doc.line(j), c, n))
        .unwrap_or(doc.len().saturating_sub(1))
}

/// A fenced code block of a [`Doc`].
pub(super) struct Fence {
    /// Line of the opening fence.
    pub open: usize,
    /// Line of the closing fence (the last line when it never closes).
    pub close: usize,
    /// The fence's character and length.
    pub c: char,
    pub n: usize,
    /// The info string after the opening fence.
    pub info: String,
}

/// The opening fence of a code block: its character, length and info string.
pub(super) fn fence_open(line: &str) -> Option<(char, usize, &str)> {
    let indent = line.len() - line.trim_start_matches(' ').len();
    let rest = &line[indent..];
    let c = rest.chars().next().filter(|c| *c == '`' || *c == '~')?;
    let n = rest.chars().take_while(|x| *x == c).count();
    if n < 3 || indent > 3 {
        return None;
    }
    let info = rest[n..].trim();
    if c == '`' && info.contains('`') {
        return None;
    }
    Some((c, n, info))
}

/// Whether `line` closes a fence of `c` repeated `n` times.
pub(super) fn fence_close(line: &str, c: char, n: usize) -> bool {
    let t = line.trim();
    t.chars().all(|x| x == c) && t.chars().count() >= n && line.len() - line.trim_start().len() <= 3
}

/// Per line: inside a fenced code block, fences included (a block left open runs to the end).
/// Per line: inside a fenced code block (its fences included) or an indented one (a deck
/// showing its own markup), as CommonMark reads them.
fn code_lines(lines: &[String]) -> Vec<bool> {
    use pulldown_cmark::{CodeBlockKind, Event, Parser, Tag, TagEnd};
    let mut code = fenced(lines);
    let body = lines.join("\n");
    let mut starts = Vec::with_capacity(lines.len());
    let mut at = 0;
    for line in lines {
        starts.push(at);
        at += line.len() + 1;
    }
    let line_of = |offset: usize| starts.partition_point(|&s| s <= offset).saturating_sub(1);
    let mut open = None;
    for (event, range) in Parser::new(&body).into_offset_iter() {
        match event {
            Event::Start(Tag::CodeBlock(CodeBlockKind::Indented)) => open = Some(range.start),
            Event::End(TagEnd::CodeBlock) => {
                if let Some(start) = open.take() {
                    let last = line_of(range.end.saturating_sub(1).max(start));
                    for flag in code.iter_mut().take(last + 1).skip(line_of(start)) {
                        *flag = true;
                    }
                }
            }
            _ => {}
        }
    }
    code
}

fn fenced(lines: &[String]) -> Vec<bool> {
    let mut out = vec![false; lines.len()];
    let mut open: Option<(char, usize, usize)> = None;
    // Inside an HTML `<pre>` block (to its `</pre>`) a fence is text (remark's own deck writes
    // "<pre><code>```js" ... "```</code></pre>").
    let mut in_pre = false;
    for (i, line) in lines.iter().enumerate() {
        // Fences inside list items and quotes are indented or marked: look past both.
        let line = line.trim_end().trim_start_matches(['>', ' ']);
        if open.is_none() && (in_pre || line.to_ascii_lowercase().starts_with("<pre")) {
            in_pre = !line.to_ascii_lowercase().contains("</pre>");
            continue;
        }
        match open {
            Some((c, n, _)) => {
                out[i] = true;
                if fence_close(line, c, n) {
                    open = None;
                }
            }
            None => {
                if let Some((c, n, _)) = fence_open(line) {
                    out[i] = true;
                    open = Some((c, n, i));
                }
            }
        }
    }
    out
}

/// The value of `attr="value"` (or `attr='value'`, `attr=value`) in an HTML tag or attribute
/// block.
pub(super) fn attribute(text: &str, attr: &str) -> Option<String> {
    let mut rest = text;
    while let Some(at) = rest.find(attr) {
        let before_ok = at == 0
            || rest[..at]
                .chars()
                .last()
                .is_some_and(|c| c.is_whitespace() || c == '{' || c == '<' || c == ',');
        let after = rest[at + attr.len()..].trim_start();
        if before_ok {
            if let Some(value) = after.strip_prefix('=').or_else(|| after.strip_prefix(':')) {
                let value = value.trim_start();
                let quoted = value
                    .strip_prefix('"')
                    .and_then(|v| v.split_once('"'))
                    .or_else(|| value.strip_prefix('\'').and_then(|v| v.split_once('\'')));
                return Some(match quoted {
                    Some((v, _)) => v.to_string(),
                    None => value
                        .split(|c: char| c.is_whitespace() || c == '}' || c == '>' || c == ',')
                        .next()
                        .unwrap_or("")
                        .to_string(),
                });
            }
        }
        rest = &rest[at + attr.len()..];
    }
    None
}
