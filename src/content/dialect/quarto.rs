//! Quarto's reveal.js format and pandoc: `. . .` pauses mark steps; fenced divs
//! (`::: {.notes}`, `:::: {.columns}`, callouts, tabsets) are read for what they hold; attribute
//! blocks leave headings, pictures and spans (`{background-image=...}` gives the slide its
//! background, `{width=40%}` sizes a figure); code cells show their code (never run) without
//! their `#|` options, and none of it with `echo: false`; `{{< kbd >}}` keeps its keys.

use std::sync::LazyLock;

use regex::Regex;

use super::doc::{attribute, code_spans, outside_code};
use super::{html, Doc};

static SPAN: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"\[([^\[\]]*)\]\{[^{}]*\}").unwrap_or_else(|e| panic!("span pattern: {e}"))
});
static LINK_ATTRS: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(\]\([^()]*\))\{[^{}]*\}").unwrap_or_else(|e| panic!("link pattern: {e}"))
});
static IMAGE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"!\[([^\[\]]*)\]\(([^()\s]*)[^()]*\)\{([^{}]*)\}")
        .unwrap_or_else(|e| panic!("image pattern: {e}"))
});
/// knitr's inline code, `` `r expr` ``: the value of an R expression when the page is made.
static INLINE_R: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"`r [^`]+`").unwrap_or_else(|e| panic!("inline R pattern: {e}")));
static SHORTCODE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"\{\{<\s*([\w-]+)([^>]*)>\}\}").unwrap_or_else(|e| panic!("shortcode pattern: {e}"))
});

pub(super) fn rewrite(doc: &mut Doc) {
    cells(doc);
    divs(doc);
    for i in 0..doc.len() {
        if doc.in_code(i) {
            continue;
        }
        let line = doc.line(i).to_string();
        if line.trim() == ". . ." {
            doc.set(i, "<!-- step -->");
            continue;
        }
        let mut out = line.clone();
        if INLINE_R.is_match(&out) {
            doc.warn(
                i,
                "inline-r",
                "inline R code (`` `r ...` ``) is not run: it is left out",
            );
            out = INLINE_R.replace_all(&out, "").into_owned();
        }
        let mut video = false;
        out = outside_code(&out, |stretch| shortcodes(stretch, &mut video));
        if video {
            doc.warn(
                i,
                "video",
                "videos (`{{< video >}}`) are not drawn on slides",
            );
        }
        if out.trim_start().starts_with('#') {
            out = heading(doc, i, &out);
        }
        out = outside_code(&out, attributes);
        if out != line {
            doc.set(i, out);
        }
    }
    html::unwrap(doc, &[]);
}

/// A heading's attribute block goes; its `background-image` becomes the slide's background
/// picture on the (blank) line after it.
fn heading(doc: &mut Doc, i: usize, line: &str) -> String {
    let t = line.trim_end();
    let in_code = |at: usize| code_spans(t).iter().any(|r| r.contains(&at));
    let Some(open) = t.rfind('{').filter(|&at| t.ends_with('}') && !in_code(at)) else {
        return line.to_string();
    };
    let attrs = &t[open..];
    if let Some(image) = attribute(attrs, "background-image") {
        if doc.line(i + 1).trim().is_empty() && i + 1 < doc.len() {
            doc.set(i + 1, format!("![bg]({image})"));
        } else {
            doc.warn(
                i,
                "background",
                "a slide background needs a blank line after its heading; not drawn",
            );
        }
    }
    t[..open].trim_end().to_string()
}

/// `{{< kbd ... >}}` keeps its keys; `{{< video >}}` goes (`video` is set); other shortcodes
/// are left to the template stripper.
fn shortcodes(text: &str, video: &mut bool) -> String {
    SHORTCODE
        .replace_all(text, |c: &regex::Captures<'_>| match &c[1] {
            "kbd" => {
                let args = c[2].trim();
                let plain = args.split_whitespace().find(|a| !a.contains('='));
                match plain {
                    Some(key) => key.to_string(),
                    None => attribute(args, "win")
                        .or_else(|| attribute(args, "linux"))
                        .or_else(|| attribute(args, "mac"))
                        .unwrap_or_default(),
                }
            }
            "video" => {
                *video = true;
                String::new()
            }
            _ => c[0].to_string(),
        })
        .into_owned()
}

/// Attribute blocks leave pictures (a `width` sizes the figure), links and spans.
fn attributes(text: &str) -> String {
    let out = IMAGE.replace_all(text, |c: &regex::Captures<'_>| {
        let (alt, src, attrs) = (&c[1], &c[2], &c[3]);
        match attribute(attrs, "width").filter(|w| !w.is_empty()) {
            Some(width) => format!(
                "<img src=\"{src}\" alt=\"{}\" width=\"{width}\">",
                alt.replace('"', "&quot;")
            ),
            None => format!("![{alt}]({src})"),
        }
    });
    let out = LINK_ATTRS.replace_all(&out, "$1");
    SPAN.replace_all(&out, "$1").into_owned()
}

/// Fenced divs: notes become a comment (the plain reader's notes), tabsets keep their first
/// tab, every other div keeps its content; the fence lines go.
fn divs(doc: &mut Doc) {
    #[derive(PartialEq)]
    enum Div {
        Notes,
        Tabset { tabs: usize, level: usize },
        Columns,
        Other,
    }
    let mut stack: Vec<Div> = Vec::new();
    for i in 0..doc.len() {
        if doc.in_code(i) {
            continue;
        }
        let t = doc.line(i).trim().to_string();
        let colons = t.chars().take_while(|&c| c == ':').count();
        if colons >= 3 {
            let rest = t[colons..].trim();
            if rest.is_empty() {
                let closed = stack.pop();
                doc.set(
                    i,
                    match closed {
                        Some(Div::Notes) => "-->",
                        Some(Div::Columns) => "<!-- columns end -->",
                        _ => "",
                    },
                );
                continue;
            }
            let class = rest.trim_start_matches('{').trim_start_matches('.');
            let div = if class.starts_with("notes") {
                doc.set(i, "<!--");
                Div::Notes
            } else if class.starts_with("panel-tabset") {
                doc.set(i, "");
                Div::Tabset { tabs: 0, level: 0 }
            } else if class.starts_with("columns") {
                doc.set(i, "");
                Div::Columns
            } else if class.starts_with("column") {
                let width = attribute(rest, "width")
                    .and_then(|w| w.trim_end_matches('%').trim().parse::<f32>().ok())
                    .filter(|w| (1.0..=100.0).contains(w))
                    .map_or(String::new(), |w| format!(" {}%", w.round()));
                doc.set(i, format!("<!-- column{width} -->"));
                Div::Other
            } else {
                let title = attribute(rest, "title");
                if class.starts_with("incremental") {
                    doc.set(i, "<!-- step items -->");
                } else if class.starts_with("fragment") {
                    doc.set(i, "<!-- step -->");
                } else if let Some(title) = title.filter(|_| class.starts_with("callout")) {
                    doc.set(i, format!("**{title}**"));
                } else if class.starts_with("callout") {
                    // A callout's first heading is its title, not a section of the page.
                    doc.set(i, "");
                    let first = (i + 1..doc.len()).find(|&j| !doc.line(j).trim().is_empty());
                    if let Some(j) = first {
                        let line = doc.line(j).trim().to_string();
                        let hashes = line.chars().take_while(|&c| c == '#').count();
                        if hashes > 0 && line[hashes..].starts_with(' ') {
                            doc.set(j, format!("**{}**", line[hashes..].trim()));
                        }
                    }
                } else {
                    doc.set(i, "");
                }
                Div::Other
            };
            stack.push(div);
            continue;
        }
        // Inside a tabset: each heading of the first level met opens a tab; after the first,
        // nothing is drawn.
        let in_hidden_tab = stack.iter_mut().rev().find_map(|d| match d {
            Div::Tabset { tabs, level } => {
                let hashes = t.chars().take_while(|&c| c == '#').count();
                if hashes > 0 && t[hashes..].starts_with(' ') && (*level == 0 || hashes == *level) {
                    *level = hashes;
                    *tabs += 1;
                }
                Some(*tabs > 1)
            }
            _ => None,
        });
        if in_hidden_tab == Some(true) {
            doc.warn(
                i,
                "tabset",
                "tabsets show their first tab; the others are not drawn",
            );
            doc.set(i, "");
        }
    }
}

/// Code cells (```` ```{python} ````): the braces leave the language, the `#|` options leave
/// the code, and a cell with `echo: false` (or `include: false`) is not shown. Cells are
/// never run: their output is not drawn.
fn cells(doc: &mut Doc) {
    for fence in doc.fences() {
        let (i, end, info) = (fence.open, fence.close, fence.info.as_str());
        if !info.starts_with('{') {
            continue;
        }
        let lang = info
            .trim_start_matches('{')
            .split(|ch: char| ch == '}' || ch == ',' || ch.is_whitespace())
            .next()
            .unwrap_or("")
            .trim_start_matches('.')
            .to_string();
        if !info.starts_with("{.") {
            doc.warn(
                i,
                "cell",
                "code cells are not run: their code is shown, their output (plots, tables) is not drawn",
            );
        }
        let is_option = |l: &str| {
            let l = l.trim_start();
            l.starts_with("#|") || l.starts_with("//|") || l.starts_with("--|")
        };
        let options = (i + 1..end).take_while(|&j| is_option(doc.line(j))).count();
        let hidden = (i + 1..i + 1 + options).any(|j| {
            let option = doc.line(j).trim_start();
            let option = option.split_once('|').map_or(option, |(_, o)| o).trim();
            matches!(
                option.replace(' ', "").as_str(),
                "echo:false" | "include:false"
            )
        });
        if hidden {
            doc.blank(i..end + 1);
        } else {
            let line = doc.line(i).to_string();
            let indent = &line[..line.len() - line.trim_start().len()];
            let fence: String = std::iter::repeat_n(fence.c, fence.n).collect();
            doc.blank(i..i + options);
            doc.set(i + options, format!("{indent}{fence}{lang}"));
        }
    }
    doc.refresh();
}
