//! Front matter: YAML between `---` lines or TOML between `+++` lines, as Jekyll, Hugo and Zola
//! write it. Errors are `(byte offset in the file, message)`; the caller turns the offset into a
//! line and column.

use std::collections::BTreeMap;

use serde::Serialize;

use super::{detect_direction, lang_direction, Direction, LoadOptions};

type Failure = (usize, String);

/// Keys lecturegen understands. Everything else is reported once and ignored.
const KNOWN: &[&str] = &[
    "title",
    "subtitle",
    "author",
    "date",
    "background",
    "seed",
    "lang",
    "dir",
    "slide_level",
    "narration",
    "voice",
    "lecture",
    "dialect",
    "prose",
];

/// Marp's global directives and common deck keys: understood as belonging to other tools, so
/// they are ignored without a warning (a Marp deck builds as it is).
const FOREIGN: &[&str] = &[
    "marp",
    "theme",
    "paginate",
    "header",
    "footer",
    "size",
    "math",
    "style",
    "headingDivider",
    "class",
    "color",
    "backgroundColor",
    "backgroundImage",
    "description",
    "keywords",
    "image",
    "tags",
    "transition",
    // Keys of the site generators' own front matter (Jekyll, Hugo, Zola, Quarto, mdBook
    // themes): real notes carry them, and they say nothing about slides.
    "layout",
    "permalink",
    "categories",
    "draft",
    "weight",
    "slug",
    "aliases",
    "summary",
    "excerpt",
    "toc",
    "nav_order",
    "parent",
    "grand_parent",
    "has_children",
    "published",
    "lastmod",
    "publishDate",
    "expiryDate",
    "linkTitle",
    "menu",
    "type",
    "url",
    "series",
    "sidebar",
    "format",
    "execute",
    "jupyter",
    "bibliography",
    "template",
    "extra",
    "taxonomies",
    "in_search_index",
    "sort_by",
    "order",
    "redirect_to",
    "redirect_from",
];

/// The lecture's metadata, with defaults filled in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Hash)]
pub struct Meta {
    /// Lecture title (front matter, else the first `#` heading, else the file name).
    pub title: String,
    /// Subtitle, may be empty.
    pub subtitle: String,
    /// Author, may be empty.
    pub author: String,
    /// Date as written, may be empty.
    pub date: String,
    /// Style prompt for the backgrounds of the whole lecture, may be empty.
    pub background: String,
    /// Seed of the lecture's backgrounds.
    pub seed: u64,
    /// Language tag.
    pub lang: String,
    /// Text direction.
    pub dir: Direction,
    /// Heading level that starts slides, when set in the front matter.
    pub slide_level: Option<u8>,
    /// `narration: false` turns the voice off for this lecture. Not part of any picture.
    #[serde(skip)]
    pub narration: bool,
    /// `voice:` this lecture's voice, instead of the course's.
    #[serde(skip)]
    pub voice: Option<crate::config::VoiceName>,
    /// The line of `voice:` in the file (0 without one), for messages.
    #[serde(skip)]
    pub voice_line: usize,
    /// `prose:` how this lecture's paragraphs are shown (else `[layout] prose`).
    pub prose: crate::config::Prose,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Kind {
    None,
    Yaml,
    Toml,
}

/// Where the front matter sits in the file.
#[derive(Debug, Clone)]
pub(super) struct Front {
    pub kind: Kind,
    /// Offset of the first byte inside the fences.
    pub start: usize,
    /// Offset just past the last byte inside the fences.
    pub end: usize,
    /// Offset where the markdown starts.
    pub body_start: usize,
}

impl Front {
    fn table(&self, text: &str) -> Result<Vec<(String, Value)>, Failure> {
        let body = &text[self.start..self.end];
        match self.kind {
            Kind::None => Ok(Vec::new()),
            Kind::Yaml => {
                let value: serde_yaml::Value = serde_yaml::from_str(body).map_err(|e| {
                    // An error found at the very end (an unclosed bracket or quote) is shown
                    // on the last line of the front matter, not on the closing fence.
                    let content = body.trim_end();
                    let mut at = e.location().map_or(0, |l| l.index());
                    if at >= content.len() {
                        at = content.rfind('\n').map_or(0, |i| i + 1);
                    }
                    (
                        self.start + at,
                        format!("front matter: {}", yaml_message(&e)),
                    )
                })?;
                match value {
                    serde_yaml::Value::Null => Ok(Vec::new()),
                    serde_yaml::Value::Mapping(map) => Ok(map
                        .into_iter()
                        .map(|(k, v)| (scalar_text(&k).unwrap_or_default(), Value::from_yaml(v)))
                        .collect()),
                    _ => Err((
                        self.start,
                        "front matter: expected `key: value` lines".into(),
                    )),
                }
            }
            Kind::Toml => {
                let table: toml::Table = toml::from_str(body).map_err(|e| {
                    let at = e.span().map_or(0, |s| s.start);
                    (self.start + at, format!("front matter: {}", e.message()))
                })?;
                Ok(table
                    .into_iter()
                    .map(|(k, v)| (k, Value::from_toml(v)))
                    .collect())
            }
        }
    }
}

/// The front matter's keys with their values as text (empty for lists and tables), for
/// telling which tool the notes were written for; empty when it does not parse.
pub(super) fn scalars(front: &Front, text: &str) -> Vec<(String, String)> {
    front
        .table(text)
        .unwrap_or_default()
        .into_iter()
        .map(|(k, v)| {
            let v = match v {
                Value::Text(t) => t,
                Value::Integer(i) => i.to_string(),
                Value::Other(_) => String::new(),
            };
            (k, v)
        })
        .collect()
}

/// A key's value read as a `T` (none when empty); what `T` cannot read is an error at `offset`.
fn parsed<T: std::str::FromStr<Err = String>>(
    value: &str,
    offset: usize,
) -> Result<Option<T>, Failure> {
    match value {
        "" => Ok(None),
        value => value
            .parse()
            .map(Some)
            .map_err(|e| (offset, format!("front matter: {e}"))),
    }
}

/// serde_yaml appends "at line X column Y" to its messages; we print our own position.
fn yaml_message(e: &serde_yaml::Error) -> String {
    let text = e.to_string();
    match text.find(" at line ") {
        Some(i) => text[..i].to_string(),
        None => text,
    }
}

#[derive(Debug)]
enum Value {
    Text(String),
    Integer(i64),
    Other(&'static str),
}

impl Value {
    fn from_yaml(v: serde_yaml::Value) -> Self {
        match &v {
            serde_yaml::Value::Number(n) if n.as_i64().is_some() => {
                Self::Integer(n.as_i64().unwrap_or_default())
            }
            serde_yaml::Value::Sequence(_) => Self::Other("a list"),
            serde_yaml::Value::Mapping(_) => Self::Other("a table"),
            serde_yaml::Value::Null => Self::Text(String::new()),
            _ => scalar_text(&v).map_or(Self::Other("a tagged value"), Self::Text),
        }
    }

    fn from_toml(v: toml::Value) -> Self {
        match v {
            toml::Value::String(s) => Self::Text(s),
            toml::Value::Integer(i) => Self::Integer(i),
            toml::Value::Float(f) => Self::Text(f.to_string()),
            toml::Value::Boolean(b) => Self::Text(b.to_string()),
            toml::Value::Datetime(d) => Self::Text(d.to_string()),
            toml::Value::Array(_) => Self::Other("a list"),
            toml::Value::Table(_) => Self::Other("a table"),
        }
    }
}

fn scalar_text(v: &serde_yaml::Value) -> Option<String> {
    match v {
        serde_yaml::Value::String(s) => Some(s.clone()),
        serde_yaml::Value::Number(n) => Some(n.to_string()),
        serde_yaml::Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

/// The front matter's lists of text (YAML sequences of scalars), by key: the Galaxy Training
/// Network's `questions`, `objectives` and `key_points`, for instance.
pub(super) fn lists(front: &Front, text: &str) -> Vec<(String, Vec<String>)> {
    if front.kind != Kind::Yaml {
        return Vec::new();
    }
    let Ok(serde_yaml::Value::Mapping(map)) =
        serde_yaml::from_str::<serde_yaml::Value>(&text[front.start..front.end])
    else {
        return Vec::new();
    };
    map.into_iter()
        .filter_map(|(k, v)| {
            let serde_yaml::Value::Sequence(items) = v else {
                return None;
            };
            let items: Vec<String> = items.iter().filter_map(scalar_text).collect();
            Some((scalar_text(&k)?, items))
        })
        .collect()
}

/// Whether a page of a host site is a lecture: `lecture: true` in its front matter, or under
/// its `extra` table (Zola accepts page keys of its own only there).
pub(super) fn marked(text: &str) -> bool {
    let from = usize::from(text.starts_with('\u{feff}')) * 3;
    let Ok(front) = split(text, from) else {
        return false;
    };
    let body = &text[front.start..front.end];
    let yes = |s: &str| matches!(s.trim(), "true" | "yes" | "on");
    match front.kind {
        Kind::None => false,
        Kind::Yaml => {
            let Ok(value) = serde_yaml::from_str::<serde_yaml::Value>(body) else {
                return false;
            };
            let flag =
                |v: Option<&serde_yaml::Value>| v.and_then(scalar_text).is_some_and(|s| yes(&s));
            flag(value.get("lecture")) || flag(value.get("extra").and_then(|e| e.get("lecture")))
        }
        Kind::Toml => {
            let Ok(table) = toml::from_str::<toml::Table>(body) else {
                return false;
            };
            let flag = |v: Option<&toml::Value>| match v {
                Some(toml::Value::Boolean(b)) => *b,
                Some(toml::Value::String(s)) => yes(s),
                _ => false,
            };
            flag(table.get("lecture")) || flag(table.get("extra").and_then(|e| e.get("lecture")))
        }
    }
}

/// Finds the front matter fences at `from` (after a byte-order mark).
pub(super) fn split(text: &str, from: usize) -> Result<Front, Failure> {
    let rest = &text[from..];
    let first_line_end = rest.find('\n').map_or(rest.len(), |i| i + 1);
    let first = rest[..first_line_end].trim_end();
    let kind = match first {
        "---" => Kind::Yaml,
        "+++" => Kind::Toml,
        _ => {
            return Ok(Front {
                kind: Kind::None,
                start: from,
                end: from,
                body_start: from,
            })
        }
    };
    let start = from + first_line_end;
    let mut offset = start;
    for line in text[start..].split_inclusive('\n') {
        let trimmed = line.trim_end();
        let closes = match kind {
            Kind::Yaml => trimmed == "---" || trimmed == "...",
            _ => trimmed == "+++",
        };
        if closes {
            return Ok(Front {
                kind,
                start,
                end: offset,
                body_start: offset + line.len(),
            });
        }
        offset += line.len();
    }
    Err((
        from,
        format!(
            "front matter opened with `{first}` is never closed (add a `{first}` line after it)"
        ),
    ))
}

/// Reads the known keys into a [`Meta`], and lists the unknown keys in file order. The title
/// may still be empty: the markdown stage fills it from the first heading or the file name.
pub(super) fn parse(
    front: &Front,
    text: &str,
    options: &LoadOptions,
) -> Result<(Meta, Vec<String>), Failure> {
    let entries = front.table(text)?;
    let unknown = entries
        .iter()
        .map(|(k, _)| k.clone())
        .filter(|k| !KNOWN.contains(&k.as_str()) && !FOREIGN.contains(&k.as_str()))
        .collect();
    let table: BTreeMap<String, Value> = entries.into_iter().collect();
    let key_offset = |key: &str| {
        let body = &text[front.start..front.end];
        let mut offset = front.start;
        for line in body.split_inclusive('\n') {
            if line.trim_start().starts_with(key) {
                return offset;
            }
            offset += line.len();
        }
        front.start
    };
    let text_of = |key: &str| -> Result<String, Failure> {
        match table.get(key) {
            None => Ok(String::new()),
            Some(Value::Text(s)) => Ok(s.trim().to_string()),
            Some(Value::Integer(i)) => Ok(i.to_string()),
            Some(Value::Other(what)) => Err((
                key_offset(key),
                format!("front matter: `{key}` should be text, not {what}"),
            )),
        }
    };
    let seed = match table.get("seed") {
        None => options.default_seed,
        Some(Value::Integer(i)) if *i >= 0 => *i as u64,
        Some(Value::Text(s)) if s.trim().parse::<u64>().is_ok() => {
            s.trim().parse::<u64>().unwrap_or_default()
        }
        Some(_) => {
            return Err((
                key_offset("seed"),
                "front matter: `seed` must be a whole number >= 0".into(),
            ))
        }
    };
    let slide_level = match table.get("slide_level") {
        None => None,
        Some(Value::Integer(i)) if (1..=6).contains(i) => Some(*i as u8),
        Some(_) => {
            return Err((
                key_offset("slide_level"),
                "front matter: `slide_level` must be a heading level from 1 to 6".into(),
            ))
        }
    };
    let lang = text_of("lang")?;
    let dir_text = text_of("dir")?.to_ascii_lowercase();
    let dir = match dir_text.as_str() {
        "rtl" => Some(Direction::Rtl),
        "ltr" => Some(Direction::Ltr),
        "" | "auto" => None,
        other => {
            return Err((
                key_offset("dir"),
                format!("front matter: `dir` is `{other}`; expected rtl, ltr or auto"),
            ))
        }
    };
    let dir = dir
        .or_else(|| lang_direction(&lang))
        .unwrap_or_else(|| detect_direction(&text[front.body_start..]));
    let lang = if !lang.is_empty() {
        lang
    } else if dir == Direction::Rtl && lang_direction(&options.default_lang) != Some(dir) {
        // The text says right to left but the course default is a left-to-right language: do
        // not claim a wrong language, leave it to the browser.
        String::new()
    } else {
        options.default_lang.clone()
    };
    let author = match text_of("author")? {
        a if a.is_empty() => options.default_author.clone(),
        a => a,
    };
    let narration = match text_of("narration")?.to_ascii_lowercase().as_str() {
        "" | "true" | "yes" | "on" => true,
        "false" | "no" | "off" => false,
        other => {
            return Err((
                key_offset("narration"),
                format!("front matter: `narration` is `{other}`; expected true or false"),
            ))
        }
    };
    let voice = parsed(&text_of("voice")?, key_offset("voice"))?;
    let voice_line = voice.map_or(0, |_| crate::diag::line_col(text, key_offset("voice")).0);
    let prose = parsed(&text_of("prose")?, key_offset("prose"))?.unwrap_or(options.prose);
    let meta = Meta {
        title: text_of("title")?,
        subtitle: text_of("subtitle")?,
        author,
        date: text_of("date")?,
        background: text_of("background")?,
        seed,
        lang,
        dir,
        slide_level,
        narration,
        voice,
        voice_line,
        prose,
    };
    Ok((meta, unknown))
}
