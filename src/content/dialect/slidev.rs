//! Slidev: a `---` break may carry the next slide's front matter (`layout`, `image`,
//! `background`, `class`, `src`) up to a second `---`; it is read, never drawn. `image-left`,
//! `image-right` and `image` layouts (and `background`) give the slide its side or background
//! picture; `src:` imports another file's slides. Slot markers (`::right::`) go; `<v-click>`
//! and its kin mark steps; `{1|3|all}` line ranges and `[file]` titles leave code fences;
//! a `magic-move` block shows its last code; `<<< @/file#region` imports a snippet; only a
//! slide's last comment is its notes; MDC attributes (`{.class}`) go; `/x.png` is `public/x.png`.

use super::doc::{fence_close, fence_open};
use super::{html, Doc, Include};

/// Slidev's layouts that centre their content (`fact` and `quote` enlarge it too).
const CENTRED: &[&str] = &[
    "cover",
    "center",
    "intro",
    "section",
    "end",
    "statement",
    "fact",
    "quote",
];

/// Components that reveal their content one step at a time.
const STEPS: &[&str] = &["v-click", "v-clicks", "v-after", "v-switch", "v-click-hide"];

pub(super) fn rewrite(doc: &mut Doc, include: &Include<'_>) {
    front_matters(doc, include, 0);
    public_paths(doc);
    mdc_attributes(doc);
    magic_move(doc);
    fences(doc, include);
    slots_and_math(doc);
    last_comment_is_the_note(doc);
    html::unwrap(doc, STEPS);
    doc.breaks_under_text();
}

/// The front matter blocks after slide breaks; `depth` counts nested imports.
fn front_matters(doc: &mut Doc, include: &Include<'_>, depth: usize) {
    let mut i = 0;
    while i < doc.len() {
        if doc.in_code(i) || doc.line(i).trim() != "---" {
            i += 1;
            continue;
        }
        let Some(end) = front_matter_end(doc, i) else {
            i += 1;
            continue;
        };
        let yaml = doc.lines[i + 1..end].join("\n");
        let Ok(serde_yaml::Value::Mapping(map)) = serde_yaml::from_str::<serde_yaml::Value>(&yaml)
        else {
            i += 1;
            continue;
        };
        let get = |key: &str| {
            map.get(key).and_then(|v| match v {
                serde_yaml::Value::String(s) => Some(s.clone()),
                serde_yaml::Value::Number(n) => Some(n.to_string()),
                serde_yaml::Value::Bool(b) => Some(b.to_string()),
                _ => None,
            })
        };
        let layout = get("layout").unwrap_or_default();
        let image = get("image")
            .or_else(|| get("background"))
            .map(|i| match i.strip_prefix('/') {
                Some(rest) if !rest.starts_with('/') => format!("public/{rest}"),
                _ => i,
            });
        doc.blank(i + 1..end + 1);
        if let Some(image) = image.filter(|s| !s.trim().is_empty()) {
            let side = match layout.as_str() {
                "image-left" => "bg left",
                "image-right" => "bg right",
                _ => "bg",
            };
            doc.set(end, format!("![{side}]({})", image.trim()));
        }
        // `fact` and `quote` keep their names: the slide template enlarges them.
        if matches!(layout.as_str(), "fact" | "quote") {
            doc.set(i + 1, format!("<!-- layout: {layout} -->"));
        } else if CENTRED.contains(&layout.as_str()) {
            doc.set(i + 1, "<!-- layout: center -->");
        }
        if layout == "two-cols" && doc.line(end).is_empty() {
            // The default slot is the left column.
            doc.set(end, "<!-- column -->");
        }
        if layout.starts_with("iframe") {
            doc.warn(
                i,
                "iframe",
                "Slidev iframe layouts are not drawn (their `url` is a web page)",
            );
        }
        if let Some(src) = get("src") {
            if depth > 8 {
                doc.warn(
                    i,
                    "src",
                    "Slidev `src:` imports nested too deep; not followed",
                );
            } else {
                match include(&src) {
                    Ok(text) => {
                        // The imported slides replace this one; its own front matter (if
                        // any) is read as a break's.
                        let text = if text.starts_with("---") {
                            text
                        } else {
                            format!("---\n{text}")
                        };
                        let mut imported = Doc::new(&text);
                        front_matters(&mut imported, include, depth + 1);
                        let (body, _) = imported.finish();
                        doc.splice(end, &body);
                    }
                    Err(e) => doc.warn(i, "src", format!("Slidev `src: {src}`: {e}")),
                }
            }
        }
        i = end + 1;
    }
}

/// MDC attributes (`[text]{.red}`, `![](x.png){.w-25}`, `"word"{.absolute v-after}`): the
/// markup goes, what it is attached to stays.
static MDC: std::sync::LazyLock<regex::Regex> = std::sync::LazyLock::new(|| {
    regex::Regex::new(r#"([\]\)"*_`])\{[.#:]?[A-Za-z][^{}]*\}"#)
        .unwrap_or_else(|e| panic!("attribute pattern: {e}"))
});

static SPAN: std::sync::LazyLock<regex::Regex> = std::sync::LazyLock::new(|| {
    regex::Regex::new(r"(^|[^!\]])\[([^\[\]]*)\]\{[^{}]*\}")
        .unwrap_or_else(|e| panic!("span pattern: {e}"))
});

fn mdc_attributes(doc: &mut Doc) {
    for i in 0..doc.len() {
        if doc.in_code(i) || !doc.line(i).contains('{') {
            continue;
        }
        let line = doc.line(i).to_string();
        let spans = SPAN.replace_all(&line, "$1$2");
        let fixed = MDC.replace_all(&spans, "$1");
        if fixed != line {
            doc.set(i, fixed.into_owned());
        }
    }
}

/// Slidev serves its `public/` folder at the site's root: `/logo.png` is `public/logo.png`
/// beside the slides.
fn public_paths(doc: &mut Doc) {
    for i in 0..doc.len() {
        if doc.in_code(i) {
            continue;
        }
        let line = doc.line(i);
        if !(line.contains("](/") || line.contains("src=\"/")) {
            continue;
        }
        let fixed = line
            .replace("](//", "](\u{0}")
            .replace("](/", "](public/")
            .replace("](\u{0}", "](//")
            .replace("src=\"//", "src=\"\u{0}")
            .replace("src=\"/", "src=\"public/")
            .replace("src=\"\u{0}", "src=\"//");
        doc.set(i, fixed);
    }
}

/// The `---` line closing a front matter block opened by the break at `at`.
fn front_matter_end(doc: &Doc, at: usize) -> Option<usize> {
    let first = doc.line(at + 1);
    let is_key = |l: &str| {
        l.split_once(':').is_some_and(|(k, _)| {
            !k.is_empty()
                && k.chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
        })
    };
    if !is_key(first) {
        return None;
    }
    for j in at + 2..doc.len().min(at + 60) {
        let line = doc.line(j);
        if line.trim() == "---" {
            return Some(j);
        }
        let yaml_like = is_key(line)
            || line.starts_with(' ')
            || line.starts_with('\t')
            || line.starts_with("- ")
            || line.starts_with('#')
            || line.trim().is_empty();
        if !yaml_like {
            return None;
        }
    }
    None
}

/// ````` ````md magic-move ````` blocks: the last code block inside is what the slide ends on.
fn magic_move(doc: &mut Doc) {
    for fence in doc.fences() {
        let (i, end) = (fence.open, fence.close);
        if !fence.info.contains("magic-move") {
            continue;
        }
        let mut last: Option<(usize, usize)> = None;
        let mut j = i + 1;
        while j < end {
            if let Some((ic, inn, _)) = fence_open(doc.line(j)) {
                let close = (j + 1..end)
                    .find(|&k| fence_close(doc.line(k), ic, inn))
                    .unwrap_or(end);
                last = Some((j, close));
                j = close + 1;
            } else {
                j += 1;
            }
        }
        for k in i..=end {
            if last.is_none_or(|(a, b)| k < a || k > b) {
                doc.set(k, "");
            }
        }
    }
    doc.refresh();
}

/// Code fences: info strings lose Slidev's options; `<<<` lines import snippets.
fn fences(doc: &mut Doc, include: &Include<'_>) {
    let mut i = 0;
    while i < doc.len() {
        let line = doc.line(i).to_string();
        if doc.in_code(i) {
            if let Some((c, n, info)) = fence_open(&line) {
                let lang = language(info);
                let indent = &line[..line.len() - line.trim_start().len()];
                let fence: String = std::iter::repeat_n(c, n).collect();
                doc.set(i, format!("{indent}{fence}{lang}"));
                // Skip to the block's end.
                let mut j = i + 1;
                while j < doc.len() && !fence_close(doc.line(j), c, n) {
                    j += 1;
                }
                i = j + 1;
                continue;
            }
            i += 1;
            continue;
        }
        if let Some(rest) = line.trim_start().strip_prefix("<<<") {
            let mut words = rest.split_whitespace();
            let target = words.next().unwrap_or("");
            let lang = words.next().map(language).unwrap_or_default();
            let (path, region) = target.split_once('#').unwrap_or((target, ""));
            let rel = path.trim_start_matches("@/");
            match include(rel) {
                Ok(text) => {
                    let code = snippet(&text, region);
                    let lang = if lang.is_empty() {
                        rel.rsplit('.').next().unwrap_or("").to_string()
                    } else {
                        lang
                    };
                    doc.splice(i, &format!("```{lang}\n{code}\n```"));
                }
                Err(e) => {
                    doc.warn(
                        i,
                        "snippet",
                        format!("snippet `{target}` not imported: {e}"),
                    );
                    doc.set(i, "");
                }
            }
        }
        i += 1;
    }
}

/// A fence's language, without Slidev's `{1|3|all}`, `[title]`, `twoslash` and `{monaco}`.
fn language(info: &str) -> String {
    info.split_whitespace()
        .next()
        .unwrap_or("")
        .split(['{', '['])
        .next()
        .unwrap_or("")
        .to_string()
}

/// The lines of `text` between `#region name` and `#endregion name` (all of it without a
/// region or when the region is not found).
fn snippet(text: &str, region: &str) -> String {
    let text = text.trim_end();
    if region.is_empty() {
        return text.to_string();
    }
    let lines: Vec<&str> = text.lines().collect();
    let marks = |kind: &str, l: &str| {
        let t = l.trim();
        t.contains(&format!("#{kind} {region}")) || t.ends_with(&format!("#{kind}{region}"))
    };
    let start = lines.iter().position(|l| marks("region", l));
    let end = lines.iter().position(|l| marks("endregion", l));
    match (start, end) {
        (Some(s), Some(e)) if s < e => lines[s + 1..e].join("\n"),
        _ => text.to_string(),
    }
}

/// `::left::` and `::right::` start columns, other slot markers go; `$$ {1|3}` loses its
/// ranges.
fn slots_and_math(doc: &mut Doc) {
    for i in 0..doc.len() {
        if doc.in_code(i) {
            continue;
        }
        let t = doc.line(i).trim().to_string();
        if t.len() > 4 && t.starts_with("::") && t.ends_with("::") && !t.contains(' ') {
            let column = matches!(t.as_str(), "::left::" | "::right::");
            doc.set(i, if column { "<!-- column -->" } else { "" });
        } else if t.starts_with("$$") && t.contains('{') && t.ends_with('}') {
            doc.set(i, "$$");
        }
    }
}

/// Whether a comment line is one of the directives the dialect wrote.
fn is_ours(line: &str) -> bool {
    ["<!-- layout:", "<!-- step", "<!-- column"]
        .iter()
        .any(|p| line.starts_with(p))
}

/// Slidev reads only a slide's last comment as its notes; earlier comments are hidden.
fn last_comment_is_the_note(doc: &mut Doc) {
    let mut comments: Vec<(usize, usize)> = Vec::new();
    let mut i = 0;
    let flush = |doc: &mut Doc, comments: &mut Vec<(usize, usize)>| {
        if comments.len() > 1 {
            let keep = comments.len() - 1;
            for &(a, b) in &comments[..keep] {
                doc.blank(a..b + 1);
            }
        }
        comments.clear();
    };
    while i < doc.len() {
        if doc.in_code(i) {
            i += 1;
            continue;
        }
        let t = doc.line(i).trim().to_string();
        if t == "---" {
            flush(doc, &mut comments);
        } else if t.starts_with("<!--") && !is_ours(&t) {
            let end = (i..doc.len())
                .find(|&j| doc.line(j).contains("-->"))
                .unwrap_or(i);
            comments.push((i, end));
            i = end + 1;
            continue;
        }
        i += 1;
    }
    flush(doc, &mut comments);
}
