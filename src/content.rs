//! Content: finds lectures under `content/` and turns each markdown file into a [`Lecture`].
//!
//! In: a lecture's file on disk. Out: its metadata and slides, fully resolved: images are
//! canonical paths checked to lie inside the course, speaker notes and directives are pulled
//! out, and each slide carries both a block tree for the overlay and HTML for the site. No later
//! stage reads markdown or looks for files.

mod frontmatter;
mod markdown;

use std::fmt;
use std::path::{Path, PathBuf};

use serde::Serialize;

pub use frontmatter::Meta;

/// One lecture found on disk, before it is read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LectureSource {
    /// Output folder name: the file stem, or the folder of an `index.md`.
    pub slug: String,
    /// The markdown file.
    pub file: PathBuf,
    /// The file as shown in messages: relative to the course root.
    pub display: String,
}

/// Text direction of a lecture.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Hash)]
#[serde(rename_all = "lowercase")]
pub enum Direction {
    /// Left to right.
    Ltr,
    /// Right to left (Arabic, Hebrew, Persian, Urdu...).
    Rtl,
}

impl Direction {
    /// `ltr` or `rtl`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Ltr => "ltr",
            Self::Rtl => "rtl",
        }
    }
}

/// A loaded lecture.
#[derive(Debug, Clone)]
pub struct Lecture {
    /// Where it came from.
    pub source: LectureSource,
    /// Front matter, resolved with defaults.
    pub meta: Meta,
    /// Slide 0 is the title slide.
    pub slides: Vec<Slide>,
    /// Files the site must copy next to the lecture page.
    pub assets: Vec<Asset>,
    /// Problems that did not stop the lecture, each naming file and line.
    pub warnings: Vec<String>,
}

/// A file referenced by the notes (an image), copied to the lecture's output folder.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Asset {
    /// Canonical path of the file, inside the course.
    pub source: PathBuf,
    /// Path relative to the lecture's output folder, e.g. `assets/figure-1a2b3c4d.png`.
    pub output: String,
}

/// Whether a slide is the lecture's title slide.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Hash)]
#[serde(rename_all = "lowercase")]
pub enum SlideKind {
    /// The first slide: lecture title, subtitle, author, date.
    Title,
    /// Every other slide.
    Content,
}

/// One slide of a lecture.
#[derive(Debug, Clone, PartialEq)]
pub struct Slide {
    /// Position in the lecture, 0 for the title slide.
    pub index: usize,
    /// Title slide or content slide.
    pub kind: SlideKind,
    /// The heading that opened the slide (may be empty for a `---` slide without one).
    pub title: String,
    /// Line in the source file where the slide starts (1-based).
    pub line: usize,
    /// What is drawn on the slide.
    pub blocks: Vec<Block>,
    /// Speaker notes, one string per paragraph. Never drawn.
    pub notes: Vec<String>,
    /// The slide's body as HTML for the site transcript (escaped unless raw HTML is allowed).
    pub html: String,
    /// `<!-- background: "..." -->`: the slide's own background prompt.
    pub background: Option<String>,
    /// Marp `![bg](image.png)`: a picture to use as the background.
    pub background_image: Option<PathBuf>,
    /// Marp `![bg left](image.png)` / `![bg right:40%](...)`: a picture filling one side of
    /// the slide, the text on the other.
    pub split: Option<Split>,
    /// `<!-- duration: 8s -->`, in seconds.
    pub duration: Option<f32>,
    /// `<!-- seed: 3 -->`.
    pub seed: Option<u64>,
    /// Words a viewer reads or hears on this slide, notes included (for timing).
    pub words: usize,
}

/// A picture on one side of a slide (Marp's split backgrounds).
#[derive(Debug, Clone, PartialEq)]
pub struct Split {
    /// The picture.
    pub image: PathBuf,
    /// It fills the left side (else the right).
    pub left: bool,
    /// Share of the slide width it takes, 0.1 to 0.9 (Marp's default: half).
    pub fraction: f32,
}

impl Slide {
    /// The title, or "Slide N" for an untitled slide.
    pub fn display_title(&self) -> String {
        if self.title.trim().is_empty() {
            format!("Slide {}", self.index + 1)
        } else {
            self.title.clone()
        }
    }
}

/// A block of slide content.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Block {
    /// A paragraph of styled text.
    Paragraph(Vec<Span>),
    /// A heading below the slide level, kept inside the slide.
    Heading(u8, Vec<Span>),
    /// A list; `start` is the first number of an ordered list.
    List {
        /// First number of an ordered list, `None` for bullets.
        start: Option<u64>,
        /// Each item's blocks.
        items: Vec<Vec<Block>>,
    },
    /// A fenced or indented code block.
    Code {
        /// The fence's language, if any.
        lang: Option<String>,
        /// The code, without the final newline.
        text: String,
    },
    /// A block quote.
    Quote(Vec<Block>),
    /// An image shown on the slide.
    Image {
        /// Canonical path of the file.
        path: PathBuf,
        /// Alt text.
        alt: String,
    },
    /// A table: header row, then body rows; each cell a run of spans.
    Table {
        /// Header cells.
        head: Vec<Vec<Span>>,
        /// Body rows.
        rows: Vec<Vec<Vec<Span>>>,
        /// Each column's alignment from the delimiter row (`:--`, `:-:`, `--:`).
        align: Vec<ColumnAlign>,
    },
}

/// How a table column's cells are aligned.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum ColumnAlign {
    /// Unmarked: the start side of the lecture's direction.
    #[default]
    Start,
    /// `:--`
    Left,
    /// `:-:`
    Center,
    /// `--:`
    Right,
}

/// A run of text with one style.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct Span {
    /// The text; `\n` is a hard line break.
    pub text: String,
    /// Strong emphasis.
    pub bold: bool,
    /// Emphasis.
    pub italic: bool,
    /// Inline code or math.
    pub code: bool,
}

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
}

/// A lecture that cannot be built, with the place in its file.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct LoadError {
    /// The file, relative to the course root.
    pub file: String,
    /// 1-based line.
    pub line: usize,
    /// 1-based column, in characters.
    pub column: usize,
    /// What is wrong.
    pub message: String,
}

impl fmt::Display for LoadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}:{}:{}: {}",
            self.file, self.line, self.column, self.message
        )
    }
}

/// Finds the lectures under `content_dir`: every `*.md` file, or `dir/index.md` for a lecture
/// with its own folder of assets (other markdown inside such a folder is not a lecture).
/// Hidden entries and names starting with `_` are skipped. Sorted by path.
pub fn discover(content_dir: &Path, course_root: &Path) -> anyhow::Result<Vec<LectureSource>> {
    use anyhow::Context;
    let mut found = Vec::new();
    let mut walker = walkdir::WalkDir::new(content_dir)
        .min_depth(1)
        .sort_by_file_name()
        .into_iter();
    while let Some(entry) = walker.next() {
        let entry = match entry {
            Ok(entry) => entry,
            Err(e) => {
                tracing::warn!("skipping unreadable entry: {e}");
                continue;
            }
        };
        let name = entry.file_name().to_string_lossy();
        if name.starts_with('.') || name.starts_with('_') {
            if entry.file_type().is_dir() {
                walker.skip_current_dir();
            }
            continue;
        }
        let path = entry.path();
        if entry.file_type().is_dir() {
            let index = path.join("index.md");
            if index.is_file() {
                let rel = path.strip_prefix(content_dir).unwrap_or(path);
                found.push(source(slug_of(rel), &index, course_root));
                walker.skip_current_dir();
            }
            continue;
        }
        if path.extension().is_some_and(|e| e == "md") && name != "index.md" {
            let rel = path.strip_prefix(content_dir).unwrap_or(path);
            found.push(source(slug_of(&rel.with_extension("")), path, course_root));
        }
    }
    if !content_dir.is_dir() {
        anyhow::bail!("no content folder at {}", content_dir.display());
    }
    let mut seen = std::collections::HashSet::new();
    for lecture in &found {
        if !seen.insert(lecture.slug.clone()) {
            return Err(anyhow::anyhow!(
                "two lectures would be written to output/{}: rename one",
                lecture.slug
            ))
            .context(lecture.display.clone());
        }
    }
    Ok(found)
}

fn source(slug: String, file: &Path, course_root: &Path) -> LectureSource {
    let display = file
        .strip_prefix(course_root)
        .unwrap_or(file)
        .display()
        .to_string();
    LectureSource {
        slug,
        file: file.to_path_buf(),
        display,
    }
}

/// Output folder name for a lecture path relative to `content/`: path components joined by
/// `-`, keeping letters and digits of any script, `-`, `_` and `.`.
fn slug_of(rel: &Path) -> String {
    let joined = rel
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect::<Vec<_>>()
        .join("-");
    let slug: String = joined
        .chars()
        .map(|c| {
            if c.is_alphanumeric() || matches!(c, '-' | '_' | '.') {
                c
            } else {
                '-'
            }
        })
        .collect();
    let slug = slug.trim_matches('.').to_string();
    if slug.is_empty() {
        "lecture".into()
    } else {
        slug
    }
}

/// Reads and parses one lecture.
pub fn load(source: &LectureSource, options: &LoadOptions) -> Result<Lecture, LoadError> {
    let bytes = std::fs::read(&source.file).map_err(|e| LoadError {
        file: source.display.clone(),
        line: 1,
        column: 1,
        message: format!("cannot read: {e}"),
    })?;
    parse(source, &bytes, options)
}

/// Parses the bytes of a lecture file (what [`load`] does after reading it).
pub fn parse(
    source: &LectureSource,
    bytes: &[u8],
    options: &LoadOptions,
) -> Result<Lecture, LoadError> {
    let error_at = |text: &str, offset: usize, message: String| {
        let (line, column) = line_col(text, offset);
        LoadError {
            file: source.display.clone(),
            line,
            column,
            message,
        }
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
    let body_start = usize::from(text.starts_with('\u{feff}')) * 3;
    let mut warnings = Vec::new();
    let front = frontmatter::split(text, body_start)
        .map_err(|(offset, message)| error_at(text, offset, message))?;
    let (mut meta, unknown) = frontmatter::parse(&front, text, options)
        .map_err(|(offset, message)| error_at(text, offset, message))?;
    for key in &unknown {
        warnings.push(format!(
            "{}:{}:1: front matter: unknown key `{key}` ignored",
            source.display,
            line_col(text, front.start).0
        ));
    }
    let parsed = markdown::slides(text, front.body_start, &mut meta, source, options)?;
    warnings.extend(parsed.warnings);
    Ok(Lecture {
        source: source.clone(),
        meta,
        slides: parsed.slides,
        assets: parsed.assets,
        warnings,
    })
}

/// 1-based line and column (in characters) of a byte offset.
pub fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let mut offset = offset.min(text.len());
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    let before = &text[..offset];
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let column = before[line_start..].chars().count() + 1;
    (line, column)
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
