//! Content: finds lectures under `content/` and turns each markdown file into a [`Lecture`].
//!
//! In: a lecture's file on disk. Out: its metadata and slides, fully resolved: images are
//! canonical paths checked to lie inside the course, speaker notes and directives are pulled
//! out, and each slide carries both a block tree for the overlay and HTML for the site. No later
//! stage reads markdown or looks for files.

mod dialect;
mod discover;
mod frontmatter;
mod markdown;
mod model;
pub mod points;
mod syntax;

use std::path::PathBuf;

pub use crate::diag::line_col;
use crate::diag::Diagnostic;
pub use discover::{discover, is_marker_line, is_page, marked_source, Found, Selection};
pub use model::*;

/// How to read the notes.
#[derive(Debug, Clone)]
pub struct LoadOptions {
    /// The course root: images must resolve inside it.
    pub course_root: PathBuf,
    /// Pass raw HTML through to the site instead of escaping it.
    pub allow_html: bool,
    /// Seed of lectures that set none.
    pub default_seed: u64,
    /// Language of lectures that set none.
    pub default_lang: String,
    /// Author of lectures that name none.
    pub default_author: String,
    /// Words of prose on one slide picture (notes without headings are grouped by it).
    pub max_words_per_page: usize,
    /// The notes' front matter is shared with another generator (the pages of a host site):
    /// keys lecturegen does not know are that generator's, not reported.
    pub shared_front_matter: bool,
    /// The slide tool of notes that do not say (`[build] dialect`); `None`: told per file.
    pub dialect: Option<crate::config::NotesDialect>,
    /// How prose is shown in lectures that do not say (`[layout] prose`).
    pub prose: crate::config::Prose,
}

/// Reads and parses one lecture.
pub fn load(source: &LectureSource, options: &LoadOptions) -> Result<Lecture, Diagnostic> {
    let bytes = std::fs::read(&source.file).map_err(|e| Diagnostic {
        file: source.display.clone(),
        line: 1,
        column: 1,
        severity: crate::diag::Severity::Error,
        message: format!("cannot read: {e}"),
    })?;
    parse(source, &bytes, options)
}

/// Parses the bytes of a lecture file (what [`load`] does after reading it).
pub fn parse(
    source: &LectureSource,
    bytes: &[u8],
    options: &LoadOptions,
) -> Result<Lecture, Diagnostic> {
    let error_at = |text: &str, offset: usize, message: String| {
        Diagnostic::error_at(&source.display, text, offset, message)
    };
    let text = match std::str::from_utf8(bytes) {
        Ok(text) => text,
        Err(e) => {
            let valid = String::from_utf8_lossy(&bytes[..e.valid_up_to()]).into_owned();
            return Err(error_at(
                &valid,
                valid.len(),
                "not valid UTF-8 text (save the file as UTF-8)".into(),
            ));
        }
    };
    if bytes.contains(&0) {
        let at = bytes.iter().position(|&b| b == 0).unwrap_or(0);
        return Err(error_at(
            text,
            at,
            "contains NUL bytes: this is not a text file".into(),
        ));
    }
    let extension = source
        .file
        .extension()
        .map(|e| e.to_string_lossy().to_ascii_lowercase())
        .unwrap_or_default();
    // remark's own pages keep the deck in a `<textarea>`.
    let page = (extension == "html")
        .then(|| dialect::remark::from_textarea(text))
        .flatten();
    let text = page.as_deref().unwrap_or(text);
    let body_start = usize::from(text.starts_with('\u{feff}')) * 3;
    let mut warnings = Vec::new();
    let front = frontmatter::split(text, body_start)
        .map_err(|(offset, message)| error_at(text, offset, message))?;
    let (mut meta, unknown) = frontmatter::parse(&front, text, options)
        .map_err(|(offset, message)| error_at(text, offset, message))?;
    let body = &text[front.body_start..];
    let scalars = frontmatter::scalars(&front, text);
    let clues = dialect::Clues::read(&scalars, &text[front.start..front.end]);
    let dialect = dialect::detect(&clues, options.dialect, &extension, body);
    // Keys other tools read are theirs in a deck written for them.
    let quiet = options.shared_front_matter || dialect != dialect::Dialect::Plain;
    for key in unknown.iter().filter(|_| !quiet) {
        warnings.push(format!(
            "{}:{}:1: front matter: unknown key `{key}` ignored",
            source.display,
            line_col(text, front.start).0
        ));
    }
    // Template syntax of the site generators is taken out before the markdown is read.
    let course_root = options
        .course_root
        .canonicalize()
        .unwrap_or_else(|_| options.course_root.clone());
    let note_dir = source.file.parent().map(PathBuf::from).unwrap_or_default();
    let includes = std::cell::RefCell::new(Vec::new());
    let include = |rel: &str| include_file(rel, &course_root, &note_dir, &includes);
    let rewritten = dialect::rewrite(dialect, body, &include);
    for (offset, message) in rewritten.warnings {
        let (line, column) = line_col(text, front.body_start + offset);
        warnings.push(format!("{}:{line}:{column}: {message}", source.display));
    }
    let (body, syntax_warnings) = syntax::strip(&rewritten.body, &include);
    // The dialect rewrote the body line for line: a line of it is a line of the file.
    let first_line = line_col(text, front.body_start).0;
    for (offset, message) in syntax_warnings {
        let (line, column) = line_col(&rewritten.body, offset);
        let line = line + first_line - 1;
        warnings.push(format!("{}:{line}:{column}: {message}", source.display));
    }
    let stripped = format!("{}{body}", &text[..front.body_start]);
    let deck = deck_of(
        dialect,
        &clues,
        &scalars,
        &text[front.body_start..],
        &mut meta,
    );
    let points = deck.points;
    let parsed = markdown::slides(
        &stripped,
        front.body_start,
        &mut meta,
        source,
        options,
        &deck,
    )?;
    warnings.extend(parsed.warnings);
    let mut slides = parsed.slides;
    if points {
        points::make(&mut slides);
    } else {
        points::unmake(&mut slides);
    }
    if dialect == dialect::Dialect::Remark {
        let lists = frontmatter::lists(&front, text);
        let line = line_col(text, front.start).0;
        galaxy_slides(&mut slides, &lists, line, &meta, source, options)?;
    }
    Ok(Lecture {
        source: source.clone(),
        meta,
        slides,
        assets: parsed.assets,
        includes: includes.into_inner(),
        warnings,
        dialect,
    })
}

/// The text of a file a note includes (mdBook's includes, Quarto's, Slidev's imports): `rel`
/// is relative to the note's folder, or from `/` to the course's root (Quarto's project root);
/// it must lie inside the course. Each file read is added to `includes`.
fn include_file(
    rel: &str,
    course_root: &std::path::Path,
    note_dir: &std::path::Path,
    includes: &std::cell::RefCell<Vec<PathBuf>>,
) -> Result<String, String> {
    let path = match rel.strip_prefix('/') {
        Some(from_root) => course_root.join(from_root),
        None => note_dir.join(rel),
    };
    let path = path
        .canonicalize()
        .map_err(|_| format!("{} not found", path.display()))?;
    if !path.starts_with(course_root) {
        return Err(format!("{} is outside the course folder", path.display()));
    }
    includes.borrow_mut().push(path.clone());
    std::fs::read_to_string(&path).map_err(|e| format!("cannot read {}: {e}", path.display()))
}

/// What the dialect tells the markdown stage about the notes (`body`, with front matter
/// `scalars`): whether they open with a cover, the chrome set for every slide, and whether their
/// prose becomes points (notes and documents; a deck shows what its author wrote). A Quarto
/// deck's slides are its `##` headings (its `#` ones title sections), unless its format says
/// otherwise: `meta` gets that slide level.
fn deck_of(
    dialect: dialect::Dialect,
    clues: &dialect::Clues,
    scalars: &[(String, String)],
    body: &str,
    meta: &mut Meta,
) -> markdown::Deck {
    let is_deck = dialect::is_deck(dialect, clues, body);
    if is_deck && dialect == dialect::Dialect::Quarto && meta.slide_level.is_none() {
        meta.slide_level = Some(clues.slide_level.unwrap_or(2));
    }
    markdown::Deck {
        // A remark or reveal.js deck without a title in its front matter (GTN's layouts make
        // the title slide of theirs) opens with its cover too.
        cover: match dialect {
            dialect::Dialect::Marp | dialect::Dialect::Slidev => true,
            dialect::Dialect::Remark | dialect::Dialect::Reveal => meta.title.is_empty(),
            _ => false,
        },
        // Marp's header, footer and page numbers, set for every slide in the front matter.
        chrome: match dialect {
            dialect::Dialect::Marp => scalars
                .iter()
                .filter(|(k, _)| matches!(k.as_str(), "header" | "footer" | "paginate"))
                .cloned()
                .collect(),
            _ => Vec::new(),
        },
        points: !is_deck && meta.prose == crate::config::Prose::Points,
        settings_make_no_slide: dialect == dialect::Dialect::Remark,
        breaks_only: is_deck
            && matches!(
                dialect,
                dialect::Dialect::Remark
                    | dialect::Dialect::Marp
                    | dialect::Dialect::Slidev
                    | dialect::Dialect::Reveal
            ),
    }
}

/// The slides the Galaxy Training Network's slide layouts make from the front matter: its
/// `questions` and `objectives` after the title slide, its `key_points` at the end (a list
/// each, under the layout's titles). `line` is the front matter's.
fn galaxy_slides(
    slides: &mut Vec<Slide>,
    lists: &[(String, Vec<String>)],
    line: usize,
    meta: &Meta,
    source: &LectureSource,
    options: &LoadOptions,
) -> Result<(), Diagnostic> {
    let made = |keys: &[(&str, &str)]| -> Result<Vec<Slide>, Diagnostic> {
        let mut notes = String::new();
        for (key, title) in keys {
            let Some((_, items)) = lists.iter().find(|(k, v)| k == key && !v.is_empty()) else {
                continue;
            };
            if !notes.is_empty() {
                notes.push_str("\n---\n\n");
            }
            notes.push_str(&format!("### {title}\n\n"));
            for item in items {
                notes.push_str(&format!("- {}\n", item.replace('\n', " ")));
            }
        }
        if notes.is_empty() {
            return Ok(Vec::new());
        }
        let mut meta = meta.clone();
        let parsed = markdown::slides(&notes, 0, &mut meta, source, options, &Default::default())?;
        Ok(parsed
            .slides
            .into_iter()
            .filter(|s| s.kind == SlideKind::Content)
            .map(|s| Slide { line, ..s })
            .collect())
    };
    let before = made(&[("questions", "Questions"), ("objectives", "Objectives")])?;
    let after = made(&[("key_points", "Key points")])?;
    let at = slides.len().min(1);
    slides.splice(at..at, before);
    slides.extend(after);
    for (i, slide) in slides.iter_mut().enumerate() {
        slide.index = i;
    }
    Ok(())
}

/// Whether text is mostly in a right-to-left script.
pub fn detect_direction(text: &str) -> Direction {
    let (mut rtl, mut ltr) = (0usize, 0usize);
    for c in text.chars() {
        if is_rtl_char(c) {
            rtl += 1;
        } else if c.is_alphabetic() {
            ltr += 1;
        }
    }
    if rtl > ltr {
        Direction::Rtl
    } else {
        Direction::Ltr
    }
}

fn is_rtl_char(c: char) -> bool {
    matches!(c as u32,
        0x0590..=0x08FF | 0xFB1D..=0xFDFF | 0xFE70..=0xFEFF | 0x10800..=0x10FFF | 0x1E800..=0x1EFFF)
}

/// Direction of a language tag: Arabic, Hebrew, Persian, Urdu and other RTL languages.
pub fn lang_direction(lang: &str) -> Option<Direction> {
    let primary = lang.split(['-', '_']).next()?.to_ascii_lowercase();
    match primary.as_str() {
        "ar" | "he" | "iw" | "fa" | "ur" | "ps" | "yi" | "dv" | "ckb" | "ug" | "sd" | "syr" => {
            Some(Direction::Rtl)
        }
        "" => None,
        _ => Some(Direction::Ltr),
    }
}
