//! remark (and the Galaxy Training Network's decks, which are remark with a Jekyll front
//! matter): slides break at `---`, `--` adds a step, `???` starts the notes; property lines at
//! the top of a slide (`class:`, `name:`, `layout: true`, `template:`, `background-image:`,
//! `count:`, `exclude:`) are not drawn; `.name[...]` gives its content a class: the content
//! is kept, the class dropped (`.image-NN[...]` sizes the pictures in it to NN%, `.pull-left`
//! and its kin are columns, a `.footnote[...]` of a line or a few short ones is the slide's
//! footer line).

use super::doc::{code_spans, map_pictures, sized_picture};
use super::{html, Doc};

/// Property keys remark reads at the top of a slide.
const PROPERTIES: &[&str] = &[
    "class",
    "name",
    "layout",
    "template",
    "background-image",
    "background-size",
    "background-position",
    "background-repeat",
    "background-color",
    "count",
    "exclude",
    "seq",
];

pub(super) fn rewrite(doc: &mut Doc) {
    join_footnotes(doc);
    templates(doc);
    slides(doc);
    classes(doc);
    html::unwrap(doc, &[]);
    doc.breaks_under_text();
}

/// remark's own way to ship a deck: an HTML page whose `<textarea id="source">` holds the
/// markdown. The page as notes, line for line (warnings name the page's lines): the lines
/// before the textarea's text hold front matter naming the remark dialect (the title is the
/// deck's first heading, as on its cover), those after it are left out; the text's entities
/// decoded, as a browser reads it.
pub(in crate::content) fn from_textarea(page: &str) -> Option<String> {
    let lower = page.to_ascii_lowercase();
    let open = lower.match_indices("<textarea").find_map(|(at, _)| {
        let end = at + lower[at..].find('>')?;
        let tag = lower[at..end].replace('\'', "\"");
        tag.contains("id=\"source\"").then_some(end + 1)
    })?;
    // A browser drops the newline right after the opening tag.
    let start = open + usize::from(page[open..].starts_with('\n'));
    let end = start + lower[start..].find("</textarea")?;
    let before = page[..start].matches('\n').count();
    let mut front: Vec<String> = vec!["---".into(), "dialect: remark".into(), "---".into()];
    if front.len() > before {
        front.clear();
    }
    front.resize(before, String::new());
    let mut notes = front.join("\n");
    if before > 0 {
        notes.push('\n');
    }
    notes.push_str(&super::super::markdown::html::decode_entities(
        &page[start..end],
    ));
    Some(notes)
}

/// Whether a line (trimmed) opens a `.name[` block that continues on later lines.
pub(super) fn opens_block(line: &str) -> bool {
    let Some(rest) = line.strip_prefix('.') else {
        return false;
    };
    let Some(name) = rest.strip_suffix('[') else {
        return false;
    };
    !name.is_empty()
        && name.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_')
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
}

/// A slide of the deck as lines: where it starts (after its `---`), where its content starts
/// (after its property lines), where its notes start (`???`) and where it ends.
struct SlideLines {
    content: usize,
    notes: usize,
    name: Option<String>,
    template: Option<(usize, String)>,
}

/// The slides of the deck, in order.
fn slide_lines(doc: &Doc) -> Vec<SlideLines> {
    let mut out = Vec::new();
    let mut start = 0;
    for i in 0..=doc.len() {
        let end = i == doc.len() || (!doc.in_code(i) && doc.line(i).trim() == "---");
        if !end {
            continue;
        }
        let mut slide = SlideLines {
            content: start,
            notes: i,
            name: None,
            template: None,
        };
        for j in start..i {
            let t = doc.line(j).trim();
            let property = t
                .split_once(':')
                .filter(|(k, _)| PROPERTIES.contains(&k.trim()) && !doc.in_code(j));
            match property {
                Some((key, value)) => {
                    let value = value.trim().to_string();
                    match key.trim() {
                        "name" => slide.name = Some(value),
                        "template" => slide.template = Some((j, value)),
                        _ => {}
                    }
                    slide.content = j + 1;
                }
                None if t.is_empty() => slide.content = j + 1,
                None => break,
            }
        }
        slide.notes = (slide.content..i)
            .find(|&j| !doc.in_code(j) && doc.line(j).trim() == "???")
            .unwrap_or(i);
        out.push(slide);
        start = i + 1;
    }
    out
}

/// remark's `template: name`: the named slide's content (without its properties and notes)
/// goes before the slide's own, as remark shows it. Later line numbers move.
fn templates(doc: &mut Doc) {
    let slides = slide_lines(doc);
    // From the last slide back, so that what is inserted moves no slide still to do.
    for slide in slides.iter().rev() {
        let Some((line, name)) = &slide.template else {
            continue;
        };
        let Some(named) = slides.iter().find(|s| s.name.as_ref() == Some(name)) else {
            doc.warn(
                *line,
                "template",
                format!(
                    "remark `template: {name}` names no slide: the slide shows its own content"
                ),
            );
            continue;
        };
        let mut text: Vec<String> = doc.lines[named.content..named.notes].to_vec();
        if slide.content >= doc.len() {
            continue;
        }
        text.push(doc.lines[slide.content].clone());
        doc.splice(slide.content, &text.join("\n"));
    }
}

/// Slide separators, `--` steps and the property lines at the top of each slide.
fn slides(doc: &mut Doc) {
    let mut top = true;
    let mut skip = false;
    for i in 0..doc.len() {
        if doc.in_code(i) {
            top = false;
            if skip {
                doc.set(i, "");
            }
            continue;
        }
        let line = doc.line(i).to_string();
        let t = line.trim();
        if t == "---" {
            top = true;
            skip = false;
            continue;
        }
        if t == "--" {
            doc.set(i, if skip { "" } else { "<!-- step -->" });
            continue;
        }
        if skip {
            doc.set(i, "");
            continue;
        }
        // remark's markdown makes `#Title` a heading, as `# Title`.
        let hashes = t.bytes().take_while(|&b| b == b'#').count();
        if (1..=6).contains(&hashes)
            && !t[hashes..].starts_with(char::is_whitespace)
            && t.len() > hashes
        {
            let at = line.len() - line.trim_start().len() + hashes;
            let mut spaced = line.clone();
            spaced.insert(at, ' ');
            doc.set(i, spaced);
        }
        if !top {
            continue;
        }
        let Some((key, value)) = t.split_once(':') else {
            top = t.is_empty();
            continue;
        };
        let key = key.trim();
        if !PROPERTIES.contains(&key) {
            top = false;
            continue;
        }
        let value = value.trim();
        match key {
            "exclude" if value == "true" => {
                // The slide is not shown: none of it is read.
                skip = true;
                doc.set(i, "");
            }
            "layout" if value == "true" => {
                doc.set(i, "");
                if !footer_layout(doc, i) {
                    doc.warn(
                        i,
                        "layout",
                        "remark layout slides (`layout: true`) are templates: only a footnote in \
                         one is drawn (as every later slide's footer), the rest is not",
                    );
                    skip = true;
                }
            }
            "layout" if value == "false" => doc.set(i, "<!-- footer: \"\" -->"),
            // Applied by `templates`.
            "template" => doc.set(i, ""),
            "background-image" => {
                let url = value
                    .trim_start_matches("url(")
                    .trim_end_matches(')')
                    .trim_matches(|c| c == '"' || c == '\'');
                doc.set(i, format!("![bg]({url})"));
            }
            "class" if value.split([',', ' ']).any(|c| c == "center") => {
                doc.set(i, "<!-- layout: center -->")
            }
            _ => doc.set(i, ""),
        }
    }
}

/// A layout slide (its `layout: true` at `at`) that holds only one-line footnotes: they
/// become the footer of every slide after it; the slide, left with only that directive, is
/// not shown.
fn footer_layout(doc: &mut Doc, at: usize) -> bool {
    let end = (at + 1..doc.len())
        .find(|&j| !doc.in_code(j) && doc.line(j).trim() == "---")
        .unwrap_or(doc.len());
    let mut notes = Vec::new();
    for j in at + 1..end {
        let t = doc.line(j).trim();
        if t.is_empty() || PROPERTIES.iter().any(|p| t.starts_with(&format!("{p}:"))) {
            continue;
        }
        match t
            .strip_prefix(".footnote[")
            .and_then(|r| r.strip_suffix(']'))
        {
            Some(text) if !text.contains('[') || text.contains("](") => {
                notes.push(text.to_string())
            }
            _ => return false,
        }
    }
    if notes.is_empty() {
        return false;
    }
    let text = notes.join(" ").replace('"', "'");
    doc.blank(at + 1..end);
    doc.set(at, format!("<!-- footer: \"{}\" -->", text.trim()));
    true
}

/// The longest footnote (in characters) drawn as a footer line; a longer one stays a paragraph.
const FOOTER_CHARS: usize = 240;

/// A `.footnote[` whose text runs over a few lines (`.footnote[` / a source or two / `]`, as
/// decks often write it) becomes a one-line footnote, read as the footer line, when its lines
/// are short text: not headings, pictures, tables or code, and no more than [`FOOTER_CHARS`]
/// together. List markers go; blank lines and indentation do not count.
fn join_footnotes(doc: &mut Doc) {
    let mut i = 0;
    while i < doc.len() {
        let line = doc.line(i).to_string();
        let indent = &line[..line.len() - line.trim_start().len()];
        let Some(first) = line.trim().strip_prefix(".footnote[") else {
            i += 1;
            continue;
        };
        if doc.in_code(i) || depth(first) < 0 {
            i += 1;
            continue;
        }
        let mut balance = 1 + depth(first);
        let mut parts = vec![first.trim().to_string()];
        let mut end = None;
        for j in i + 1..doc.len().min(i + 12) {
            let t = doc.line(j).trim();
            let stops = doc.in_code(j)
                || matches!(t, "---" | "--" | "???")
                || t.starts_with(['#', '|', '!'])
                || t.starts_with("```");
            if stops {
                break;
            }
            balance += depth(t);
            if balance <= 0 {
                // The footnote's own `]` ends this line (anything after it is not its text).
                if balance == 0 && t.ends_with(']') {
                    parts.push(t[..t.len() - 1].to_string());
                    end = Some(j);
                }
                break;
            }
            parts.push(t.to_string());
        }
        let Some(end) = end else {
            i += 1;
            continue;
        };
        let text: Vec<String> = parts
            .iter()
            .map(|p| p.trim())
            .map(|p| p.strip_prefix("* ").or(p.strip_prefix("- ")).unwrap_or(p))
            .filter(|p| !p.is_empty())
            .map(str::to_string)
            .collect();
        let text = text.join(" ");
        if text.chars().count() <= FOOTER_CHARS {
            doc.set(i, format!("{indent}.footnote[{text}]"));
            doc.blank(i + 1..end + 1);
        }
        i = end + 1;
    }
}

/// What `[`s minus `]`s a line adds, outside code spans and escapes.
fn depth(line: &str) -> i32 {
    let spans = code_spans(line);
    let bytes = line.as_bytes();
    let mut depth = 0;
    for (at, &b) in bytes.iter().enumerate() {
        let escaped = at > 0 && bytes[at - 1] == b'\\';
        if escaped || spans.iter().any(|r| r.contains(&at)) {
            continue;
        }
        match b {
            b'[' => depth += 1,
            b']' => depth -= 1,
            _ => {}
        }
    }
    depth
}

/// `.name[` ... `]`: the markup goes, the content stays; nesting and links inside are kept.
fn classes(doc: &mut Doc) {
    // Open classes: (line, start, end of the opener, name).
    let mut stack: Vec<(usize, usize, usize, String)> = Vec::new();
    // Column markers for the lines a column class opens and closes on: (line, marker).
    let mut markers: Vec<(usize, String)> = Vec::new();
    // Footnotes that become footer lines: (line, directive).
    let mut footers: Vec<(usize, String)> = Vec::new();
    // Markup to take out: (line, start, end).
    let mut edits: Vec<(usize, usize, usize)> = Vec::new();
    let mut scales: Vec<(usize, usize, u8)> = Vec::new();
    for i in 0..doc.len() {
        if doc.in_code(i) {
            continue;
        }
        let line = doc.lines[i].clone();
        let bytes = line.as_bytes();
        let mut j = 0;
        // Inline brackets opened on this line that are not classes: `[text](url)`.
        let mut plain_depth: Vec<usize> = Vec::new();
        while j < bytes.len() {
            match bytes[j] {
                b'\\' => j += 2,
                b'`' => {
                    let run = bytes[j..].iter().take_while(|&&b| b == b'`').count();
                    let ticks = &line[j..j + run];
                    match line[j + run..].find(ticks) {
                        Some(end) => j += run + end + run,
                        None => j += run,
                    }
                }
                b'.' => match class_at(&line, j) {
                    Some((end, name)) => {
                        stack.push((i, j, end, name));
                        j = end;
                    }
                    None => j += 1,
                },
                b'[' => {
                    plain_depth.push(j);
                    j += 1;
                }
                b']' => {
                    if plain_depth.pop().is_none() {
                        if let Some((li, start, end, name)) = stack.pop() {
                            edits.push((li, start, end));
                            edits.push((i, j, j + 1));
                            let scale = name
                                .strip_prefix("image-")
                                .and_then(|n| n.parse::<u8>().ok());
                            if let Some(scale) = scale {
                                scales.push((li, i, scale));
                            }
                            // A footnote on a line of its own is the slide's footer line.
                            let whole =
                                line[..start].trim().is_empty() && line[j + 1..].trim().is_empty();
                            if name == "footnote" && li == i && whole {
                                let text = literal(&without_classes(&line[end..j]));
                                let text = text.replace('"', "'");
                                footers.push((i, format!("<!-- _footer: \"{}\" -->", text.trim())));
                            }
                            if let Some((width, last)) = column(&name) {
                                let width = width.map_or(String::new(), |w| format!(" {w}%"));
                                markers.push((li, format!("<!-- column{width} -->")));
                                if last {
                                    markers.push((i, "<!-- columns end -->".into()));
                                }
                            }
                        }
                    }
                    j += 1;
                }
                _ => j += 1,
            }
        }
    }
    // Apply from the end so earlier offsets stay valid.
    edits.sort_by_key(|e| std::cmp::Reverse((e.0, e.1)));
    for (i, start, end) in edits {
        if let Some(line) = doc.lines.get_mut(i) {
            if end <= line.len() && line.is_char_boundary(start) && line.is_char_boundary(end) {
                line.replace_range(start..end, "");
            }
        }
    }
    for (from, to, percent) in scales {
        scale_images(doc, from, to, percent);
    }
    for (i, footer) in footers {
        doc.set(i, footer);
    }
    // A column class opened or closed on a line of its own marks the columns; one that opens
    // (closes) on a line of content, on the blank line above (below) it.
    for (i, marker) in markers {
        let opens = !marker.contains("end");
        let beside = if opens { i.checked_sub(1) } else { Some(i + 1) };
        let blank = |j: usize| j < doc.len() && !doc.in_code(j) && doc.line(j).trim().is_empty();
        match beside {
            _ if blank(i) => doc.set(i, marker),
            Some(j) if blank(j) => doc.set(j, marker),
            _ => {}
        }
    }
    for i in 0..doc.len() {
        if !doc.in_code(i) && doc.line(i).trim().is_empty() {
            doc.set(i, "");
        }
    }
}

/// A line of text that markdown would read as a list item (`* note`, `1. The term`) escaped
/// so that it reads as the text it is.
fn literal(text: &str) -> String {
    let t = text.trim();
    let digits = t.bytes().take_while(u8::is_ascii_digit).count();
    let marker = if t.starts_with(['*', '-', '+']) && t[1..].starts_with(' ') {
        Some(0)
    } else if digits > 0 && t[digits..].starts_with(['.', ')']) && t[digits + 1..].starts_with(' ')
    {
        Some(digits)
    } else {
        None
    };
    match marker {
        Some(at) => format!("{}\\{}", &t[..at], &t[at..]),
        None => t.to_string(),
    }
}

/// `text` without the markup of the classes in it (`.red[*] At least` -> `* At least`).
fn without_classes(text: &str) -> String {
    let mut out = String::new();
    let mut open = 0;
    let mut plain = 0;
    let mut j = 0;
    while j < text.len() {
        if text.as_bytes()[j] == b'.' {
            if let Some((end, _)) = class_at(text, j) {
                open += 1;
                j = end;
                continue;
            }
        }
        let Some(c) = text[j..].chars().next() else {
            break;
        };
        match c {
            '[' => plain += 1,
            ']' if plain > 0 => plain -= 1,
            ']' if open > 0 => {
                open -= 1;
                j += 1;
                continue;
            }
            _ => {}
        }
        out.push(c);
        j += c.len_utf8();
    }
    out
}

/// remark's column classes (as its example styles and the Galaxy Training Network's set
/// them): the width asked for, and whether the class is the last column of its pair.
fn column(name: &str) -> Option<(Option<u8>, bool)> {
    match name {
        "pull-left" => Some((None, false)),
        "pull-right" => Some((None, true)),
        "left-column" => Some((Some(25), false)),
        "right-column" => Some((Some(75), true)),
        _ => None,
    }
}

/// A `.name[` opener at `at`: the offset past its `[` and the name.
fn class_at(line: &str, at: usize) -> Option<(usize, String)> {
    let rest = &line[at + 1..];
    let name_len = rest
        .find(|c: char| !(c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.')))
        .unwrap_or(rest.len());
    let name = &rest[..name_len];
    let starts_well = name.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_');
    // As remark reads them: after anything (`next.red[*]`), not after a backslash.
    let escaped = line[..at].ends_with('\\');
    (starts_well && !escaped && rest[name_len..].starts_with('['))
        .then(|| (at + 1 + name_len + 1, name.to_string()))
}

/// Markdown pictures on lines `from..=to` become `<img>` figures sized to `percent`.
fn scale_images(doc: &mut Doc, from: usize, to: usize, percent: u8) {
    for i in from..=to {
        let line = doc.lines[i].clone();
        if line.trim_start().starts_with('#') {
            // A heading's picture is an icon beside its title: not a figure.
            continue;
        }
        let out = map_pictures(&line, |alt, src| sized_picture(src, alt, percent));
        doc.lines[i] = out;
    }
}
