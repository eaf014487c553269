//! Per-slide directives in HTML comments: `<!-- background: "prompt" -->`,
//! `<!-- duration: 8s -->`, `<!-- narration: off -->`, `<!-- seed: 3 -->`, `<!-- step -->` (a
//! step boundary, what the dialects make of `--`, `. . .` and `<v-click>`), `<!-- column 40% -->`
//! and `<!-- columns end -->` (columns side by side) (Marp's spot
//! directives with a leading `_` too). Marp's own directives are left alone; any other comment
//! is a speaker note.

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
fn parse_duration(value: &str) -> Option<f32> {
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

/// What an HTML comment in the notes says.
pub(super) enum Comment {
    /// `background: "prompt"`: the slide's background prompt.
    Background(String),
    /// `duration: 8s`: the slide's time on screen, in seconds.
    Duration(f32),
    /// `narration: off` (`true`) or `on` (`false`).
    Silent(bool),
    /// `seed: 3`: the slide's background seed.
    Seed(u64),
    /// `step`: a step boundary (what follows shows one step later).
    Step,
    /// `step items`: each item of the list that follows is a step.
    StepItems,
    /// `layout: name`: the slide template's layout hint.
    Layout(String),
    /// `column` (or `column 40%`): what follows is the next column, beside the one before.
    Column(Option<u8>),
    /// `columns end`: the columns are over; what follows is below them.
    ColumnsEnd,
    /// `points: first | second`: the points shown for the paragraph before, in its stead.
    Points(Vec<Vec<crate::content::Span>>),
    /// Marp's `header`, `footer` or `paginate` (`_header`...: this slide only).
    Chrome(ChromeDirective),
    /// A directive whose value is wrong: why it is ignored.
    Ignored(String),
    /// A speaker note: the comment's text, whitespace folded.
    Note(String),
    /// A Marp directive, or nothing: no effect here.
    Nothing,
}

/// A Marp directive about what is drawn around a slide's content.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct ChromeDirective {
    /// `header`, `footer` or `paginate`.
    pub key: &'static str,
    /// The value, unquoted.
    pub value: String,
    /// A spot directive (`_header`): this slide only.
    pub spot: bool,
}

impl ChromeDirective {
    /// `key: value` when `key` is one of them.
    pub(super) fn read(key: &str, value: &str) -> Option<Self> {
        let spot = key.starts_with('_');
        let key = match key.trim_start_matches('_') {
            "header" => "header",
            "footer" => "footer",
            "paginate" => "paginate",
            _ => return None,
        };
        Some(Self {
            key,
            value: inline_text(&unquote(value)),
            spot,
        })
    }
}

/// The text a line of inline markdown shows (Marp's headers may have emphasis, links and
/// images: their text is kept).
fn inline_text(markdown: &str) -> String {
    use pulldown_cmark::{Event, Parser};
    let mut out = String::new();
    for event in Parser::new(markdown) {
        match event {
            Event::Text(t) | Event::Code(t) => out.push_str(&t),
            Event::SoftBreak | Event::HardBreak => out.push(' '),
            _ => {}
        }
    }
    out.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Reads the text between `<!--` and `-->`.
pub(super) fn comment(body: &str) -> Comment {
    let inner = body.trim();
    if inner.is_empty() {
        return Comment::Nothing;
    }
    if inner == "step" {
        return Comment::Step;
    }
    if inner == "step items" {
        return Comment::StepItems;
    }
    if matches!(inner, "columns end" | "end columns" | "/columns") {
        return Comment::ColumnsEnd;
    }
    if let Some(rest) = inner.strip_prefix("column") {
        let rest = rest.trim_start_matches(':').trim();
        if rest.is_empty() {
            return Comment::Column(None);
        }
        if let Some(share) = rest
            .strip_suffix('%')
            .and_then(|p| p.trim().parse::<f32>().ok())
            .filter(|p| (1.0..=100.0).contains(p))
        {
            return Comment::Column(Some(share.round() as u8));
        }
    }
    if let Some((key, value)) = inner.split_once(':') {
        let key = key.trim();
        let value = value.trim();
        let is_word = !key.is_empty()
            && key
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
        if is_word {
            if let Some(chrome) = ChromeDirective::read(key, value) {
                return Comment::Chrome(chrome);
            }
            if let Some(directive) = directive(key.trim_start_matches('_'), value) {
                return directive;
            }
        }
    }
    Comment::Note(inner.split_whitespace().collect::<Vec<_>>().join(" "))
}

/// The directive `key: value`, or `None` when `key` is none of ours nor Marp's.
fn directive(key: &str, value: &str) -> Option<Comment> {
    Some(match key {
        "background" => {
            let prompt = unquote(value);
            if prompt.is_empty() {
                Comment::Ignored("`background` directive with no prompt ignored".into())
            } else {
                Comment::Background(prompt)
            }
        }
        "duration" => match parse_duration(value) {
            Some(d) => Comment::Duration(d),
            None => Comment::Ignored(format!(
                "`duration: {value}` is not a duration (e.g. 8s, 1.5m, 500ms); ignored"
            )),
        },
        "narration" => match unquote(value).to_ascii_lowercase().as_str() {
            "off" | "false" | "no" => Comment::Silent(true),
            "on" | "true" | "yes" => Comment::Silent(false),
            _ => Comment::Ignored(format!("`narration: {value}` is not on or off; ignored")),
        },
        "layout" => Comment::Layout(unquote(value).to_ascii_lowercase()),
        "points" => {
            let points: Vec<_> = value
                .split('|')
                .map(crate::content::points::inline_spans)
                .filter(|spans| !spans.is_empty())
                .collect();
            if points.is_empty() {
                Comment::Ignored("`points` directive with no point ignored".into())
            } else {
                Comment::Points(points)
            }
        }
        "seed" => match unquote(value).parse::<u64>() {
            Ok(seed) => Comment::Seed(seed),
            Err(_) => Comment::Ignored(format!("`seed: {value}` is not a whole number; ignored")),
        },
        k if MARP_DIRECTIVES.contains(&k) => Comment::Nothing,
        _ => return None,
    })
}
