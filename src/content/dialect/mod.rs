//! Decks written for other slide tools, read as their authors meant them. Each dialect turns
//! its tool's syntax into the notes the plain reader understands (slide breaks, `???` notes,
//! `<!-- step -->` step boundaries, `![bg right:40%](...)` side pictures, figures), line for
//! line, before the markdown is read; what it cannot show keeps its text, drops its markup and
//! is named in one warning per kind of construct.
//!
//! - `remark.rs`: remark and the Galaxy Training Network's decks (`.class[...]`, `--`, slide
//!   properties);
//! - `marp.rs`: Marp (image keywords anywhere in the alt text);
//! - `slidev.rs`: Slidev (per-slide front matter, slots, `v-click`, code ranges, magic-move,
//!   snippet and slide imports);
//! - `quarto.rs`: Quarto and pandoc (`. . .`, fenced divs, attributes, cell options,
//!   shortcodes);
//! - `reveal.rs`: reveal.js (`<!-- .slide: -->`, `<!-- .element: -->`, vertical slides);
//! - `html.rs`: what the HTML-speaking dialects share (wrapper tags, components);
//! - `doc.rs`: the line editor they share.

mod doc;
mod html;
mod marp;
mod quarto;
pub(super) mod remark;
mod reveal;
mod slidev;

pub use crate::config::NotesDialect as Dialect;
use doc::Doc;

/// How a dialect reads a file another file of the course names (Slidev's `src:` and `<<<`):
/// a path relative to the note, or to the course root with a leading `@/`.
pub(super) type Include<'a> = dyn Fn(&str) -> Result<String, String> + 'a;

/// The notes rewritten for the plain reader, and the warnings met:
/// `(byte offset in the original body, message)`.
pub(super) struct Rewritten {
    pub body: String,
    pub warnings: Vec<(usize, String)>,
}

/// Rewrites `body` (the notes after their front matter) from `dialect` to plain notes.
pub(super) fn rewrite(dialect: Dialect, body: &str, include: &Include<'_>) -> Rewritten {
    let mut doc = Doc::new(body);
    match dialect {
        Dialect::Plain => {}
        Dialect::Remark => remark::rewrite(&mut doc),
        Dialect::Marp => marp::rewrite(&mut doc),
        Dialect::Slidev => slidev::rewrite(&mut doc, include),
        Dialect::Quarto => quarto::rewrite(&mut doc),
        Dialect::Reveal => reveal::rewrite(&mut doc),
    }
    let (body, warnings) = doc.finish();
    Rewritten { body, warnings }
}

/// What the front matter says about the tool a deck was written for.
#[derive(Debug, Default)]
pub(super) struct Clues {
    /// `dialect:` in the front matter.
    pub explicit: Option<Dialect>,
    /// `marp: true`.
    pub marp: bool,
    /// `format: revealjs` (or a `revealjs` format table).
    pub revealjs: bool,
    /// `layout:` ends in `_slides` (the Galaxy Training Network's remark layouts).
    pub remark_layout: bool,
    /// Keys only Slidev's headmatter has.
    pub slidev_keys: bool,
    /// Quarto's `slide-level: N` (in its format's options).
    pub slide_level: Option<u8>,
}

/// Keys of Slidev's headmatter that no other tool's front matter has.
const SLIDEV_KEYS: &[&str] = &[
    "mdc",
    "highlighter",
    "drawings",
    "transition",
    "colorSchema",
    "canvasWidth",
    "aspectRatio",
    "lineNumbers",
    "routerMode",
    "exportFilename",
    "selectable",
    "monaco",
    "themeConfig",
    "addons",
    "htmlAttrs",
    "info",
    "download",
    "fonts",
    "seoMeta",
    "hideInToc",
];

impl Clues {
    /// The clues in a front matter's `(key, scalar value)` pairs and its raw text.
    pub(super) fn read(keys: &[(String, String)], raw: &str) -> Self {
        let get = |name: &str| {
            keys.iter()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.trim().to_ascii_lowercase())
        };
        let has = |name: &str| keys.iter().any(|(k, _)| k == name);
        Self {
            explicit: get("dialect").and_then(|v| v.parse().ok()),
            marp: get("marp").is_some_and(|v| v == "true"),
            revealjs: get("format").is_some_and(|v| v.starts_with("revealjs"))
                || (has("format") && raw.contains("revealjs")),
            remark_layout: get("layout").is_some_and(|v| v.ends_with("_slides")),
            slidev_keys: SLIDEV_KEYS.iter().any(|k| has(k)) || (has("theme") && has("layout")),
            slide_level: raw.lines().find_map(|line| {
                let value = line.trim().strip_prefix("slide-level:")?;
                value
                    .trim()
                    .parse::<u8>()
                    .ok()
                    .filter(|l| (1..=6).contains(l))
            }),
        }
    }
}

/// The dialect of a file: set in its front matter, else in the configuration, else told by
/// its front matter or its extension, else by syntax in it that only one tool reads. Syntax the
/// plain reader already reads (`???`, `Note:`, comments) does not switch.
pub(super) fn detect(
    clues: &Clues,
    configured: Option<Dialect>,
    extension: &str,
    body: &str,
) -> Dialect {
    if let Some(d) = clues.explicit.or(configured) {
        return d;
    }
    if clues.marp {
        return Dialect::Marp;
    }
    if clues.revealjs || extension == "qmd" {
        return Dialect::Quarto;
    }
    if clues.remark_layout || extension == "html" {
        return Dialect::Remark;
    }
    if clues.slidev_keys {
        return Dialect::Slidev;
    }
    by_use(body).unwrap_or(Dialect::Plain)
}

/// Whether notes read as `dialect` are a deck of slides (their author chose what each slide
/// shows) rather than a document (course pages, book chapters: Quarto's too, when their format
/// is not reveal.js and they have no pauses).
pub(super) fn is_deck(dialect: Dialect, clues: &Clues, body: &str) -> bool {
    match dialect {
        Dialect::Plain => false,
        Dialect::Quarto => clues.revealjs || by_use(body) == Some(Dialect::Quarto),
        _ => true,
    }
}

/// Whether the break at line `at` opens a Slidev slide's front matter: `key: value` lines
/// naming one of its slide keys (`layout`, `class`, `transition`...), then `---`.
fn slide_front_matter(doc: &Doc, at: usize) -> bool {
    const KEYS: &[&str] = &[
        "layout",
        "class",
        "transition",
        "clicks",
        "background",
        "src",
    ];
    let mut keyed = false;
    for j in at + 1..doc.len().min(at + 12) {
        let t = doc.line(j).trim();
        if t == "---" {
            return keyed;
        }
        let Some((key, _)) = t.split_once(':') else {
            return false;
        };
        let key = key.trim();
        if key.is_empty() || key.contains(' ') {
            return false;
        }
        keyed |= KEYS.contains(&key);
    }
    false
}

/// The dialect whose syntax `body` uses, outside code blocks.
fn by_use(body: &str) -> Option<Dialect> {
    let doc = Doc::new(body);
    let mut previous_blank = true;
    for i in 0..doc.len() {
        let line = doc.line(i);
        let blank = line.trim().is_empty();
        if doc.in_code(i) {
            previous_blank = false;
            continue;
        }
        let t = line.trim();
        if t.starts_with("::") && t.ends_with("::") && t.len() > 4 && !t.contains(' ') {
            return Some(Dialect::Slidev);
        }
        if t.starts_with("<v-click") || t.starts_with("<v-clicks") {
            return Some(Dialect::Slidev);
        }
        if t == "---" && slide_front_matter(&doc, i) {
            return Some(Dialect::Slidev);
        }
        if t.starts_with("<!-- .slide:") || t.starts_with("<!-- .element:") {
            return Some(Dialect::Reveal);
        }
        if t == ". . ." {
            return Some(Dialect::Quarto);
        }
        if (t == "--" && previous_blank) || remark::opens_block(t) {
            return Some(Dialect::Remark);
        }
        previous_blank = blank;
    }
    None
}
