//! The content model: what the content stage hands to every later stage.
//!
//! A [`Lecture`] is fully resolved: images are canonical paths checked to lie inside the course,
//! speaker notes and directives are pulled out, each slide carries a block tree for the overlay
//! and HTML for the site. Nothing here refers back to markdown.

use std::path::PathBuf;

use serde::Serialize;

pub use super::frontmatter::Meta;

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
    /// Files the notes include (mdBook's `{{#include}}`), canonical paths: an edit to one
    /// rebuilds the lecture.
    pub includes: Vec<PathBuf>,
    /// Problems that did not stop the lecture, each naming file and line.
    pub warnings: Vec<String>,
    /// The slide tool the notes were written for, as read.
    pub dialect: crate::config::NotesDialect,
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
#[derive(Debug, Clone, PartialEq, Serialize)]
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
    /// Every note came from an HTML comment (not `Note:` or `???`): in a page of prose, a
    /// remark the author hid rather than a script.
    #[serde(skip)]
    pub notes_in_comments: bool,
    /// The slide's body as HTML for the site transcript (escaped unless raw HTML is allowed).
    pub html: String,
    /// `<!-- background: "..." -->`: the slide's own background prompt.
    pub background: Option<String>,
    /// Marp `![bg](image.png)`: the pictures to use as the background (several side by side).
    pub backdrop: Option<Backdrop>,
    /// Marp `![bg left](image.png)` / `![bg right:40%](...)`: pictures filling one side of
    /// the slide, the text on the other.
    pub split: Option<Split>,
    /// `<!-- duration: 8s -->`, in seconds.
    pub duration: Option<f32>,
    /// `<!-- seed: 3 -->`.
    pub seed: Option<u64>,
    /// `<!-- narration: off -->`: nothing on this slide is spoken.
    pub silent: bool,
    /// Words a viewer reads or hears on this slide, notes included (for timing).
    pub words: usize,
    /// Where each step after the first begins (remark's `--`, Quarto's `. . .` and
    /// incremental lists, Slidev's `<v-click>` and `<v-clicks>`, Marp's `*` lists,
    /// `<!-- step -->`). The picture shows the last step.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub steps: Vec<Step>,
    /// Marp's `header` and `footer` directives: a line drawn small at the top and bottom.
    #[serde(skip_serializing_if = "Chrome::is_empty")]
    pub chrome: Chrome,
    /// `<!-- layout: center -->` (Slidev's `cover`, `center`, `fact`... layouts, remark's
    /// `class: center`, Marp's `lead` class): the slide template's layout hint.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub layout: Option<String>,
}

/// A step boundary: what a slide shows grows here.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub struct Step {
    /// The block of [`Slide::blocks`] the step starts at.
    pub block: usize,
    /// In a list, the item it starts at (0: the block's start); in columns, the unit: the
    /// columns' blocks in order, each list item a unit of its own.
    pub item: usize,
}

impl Step {
    /// Adds the step to `steps` unless it is the last one already.
    pub(crate) fn push_onto(self, steps: &mut Vec<Step>) {
        if steps.last() != Some(&self) {
            steps.push(self);
        }
    }
}

/// What a slide shows around its content (Marp's `header`, `footer` and `paginate`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, Serialize)]
pub struct Chrome {
    /// Text at the top of the slide.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub header: Option<String>,
    /// Text at the bottom.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub footer: Option<String>,
    /// The slide's number, shown in a corner.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub page: Option<usize>,
}

impl Chrome {
    /// Nothing drawn.
    pub fn is_empty(&self) -> bool {
        self.header.is_none() && self.footer.is_none() && self.page.is_none()
    }
}

/// A slide's background pictures (Marp's `![bg](a.png) ![bg](b.png)`): one, or several side by
/// side (one above the other with `vertical`), each covering its equal share.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, Serialize)]
pub struct Backdrop {
    /// The pictures, in the order written.
    pub images: Vec<PathBuf>,
    /// Stacked top to bottom rather than left to right.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub vertical: bool,
}

/// Pictures on one side of a slide (Marp's split backgrounds).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Split {
    /// The pictures.
    pub backdrop: Backdrop,
    /// It fills the left side (else the right).
    pub left: bool,
    /// Share of the slide width it takes, 0.1 to 0.9 (Marp's default: half).
    pub fraction: f32,
}

impl Slide {
    /// Every file the slide shows: its pictures, its background picture, its side picture.
    pub fn files(&self) -> Vec<PathBuf> {
        fn images(blocks: &[Block], out: &mut Vec<PathBuf>) {
            for block in blocks {
                match block {
                    Block::Image { path, .. } => out.push(path.clone()),
                    Block::Quote(inner) => images(inner, out),
                    Block::Columns(columns) => columns.iter().for_each(|c| images(&c.blocks, out)),
                    Block::List { items, .. } => items.iter().for_each(|i| images(i, out)),
                    _ => {}
                }
            }
        }
        let mut out = Vec::new();
        images(&self.blocks, &mut out);
        let backdrops = self
            .backdrop
            .iter()
            .chain(self.split.iter().map(|s| &s.backdrop));
        out.extend(backdrops.flat_map(|b| b.images.iter().cloned()));
        out
    }

    /// The title, or "Slide N" for an untitled slide.
    pub fn display_title(&self) -> String {
        if self.title.trim().is_empty() {
            format!("Slide {}", self.index + 1)
        } else {
            self.title.clone()
        }
    }

    /// What the slide shows, as plain text: one line per paragraph, list item, code line or
    /// table row (cells separated by ` | `); pictures by their alt text, formulas by their
    /// readable form.
    pub fn text(&self) -> String {
        let mut lines = Vec::new();
        for block in &self.blocks {
            block_text(block, &mut lines, false);
        }
        lines.join("\n")
    }

    /// Like [`Slide::text`], with the paragraphs that points stand for in their stead: the
    /// slide's text as written (what a search or a transcript wants).
    pub fn written_text(&self) -> String {
        let mut lines = Vec::new();
        for block in &self.blocks {
            block_text(block, &mut lines, true);
        }
        lines.join("\n")
    }
}

/// The text of a run of spans.
pub fn spans_text(spans: &[Span]) -> String {
    spans.iter().map(|s| s.text.as_str()).collect()
}

fn block_text(block: &Block, lines: &mut Vec<String>, written: bool) {
    match block {
        Block::Paragraph(spans) | Block::Heading(_, spans) => lines.push(spans_text(spans)),
        Block::Point { said, .. } if written => {
            if !said.is_empty() {
                lines.push(spans_text(said))
            }
        }
        Block::Point { shown, .. } => lines.push(spans_text(shown)),
        Block::List { items, .. } => {
            for item in items {
                for b in item {
                    block_text(b, lines, written);
                }
            }
        }
        Block::Quote(blocks) => {
            for b in blocks {
                block_text(b, lines, written);
            }
        }
        Block::Columns(columns) => {
            for b in columns.iter().flat_map(|c| &c.blocks) {
                block_text(b, lines, written);
            }
        }
        Block::Code { text, .. } => lines.extend(text.lines().map(str::to_string)),
        Block::Image { alt, .. } => {
            if !alt.trim().is_empty() {
                lines.push(alt.clone());
            }
        }
        Block::Diagram { source, .. } => lines.extend(source.lines().map(str::to_string)),
        Block::Math { tex, .. } => lines.push(crate::math::to_unicode(tex)),
        Block::Table { head, rows, .. } => {
            for row in std::iter::once(head).chain(rows) {
                let cells: Vec<String> = row.iter().map(|c| spans_text(c)).collect();
                lines.push(cells.join(" | "));
            }
        }
    }
}

/// A block of slide content.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
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
        /// The width the notes asked for (an HTML `width`), in percent of the text's width.
        width: Option<u16>,
    },
    /// A display formula (`$$...$$`), typeset on the slide.
    Math {
        /// The TeX source.
        tex: String,
        /// Its line in the notes, for messages.
        line: usize,
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
    /// A diagram written as code (```` ```mermaid ````, ```` ```dot ````) that parses: drawn
    /// as a figure.
    Diagram {
        /// Its language.
        kind: crate::diagram::Kind,
        /// Its source.
        source: String,
    },
    /// Columns side by side (remark's `.pull-left[`, Slidev's `::right::`, Quarto's
    /// `::: {.column}`, `<!-- column -->`).
    Columns(Vec<Column>),
    /// A paragraph of prose shown as a short point (`[layout] prose = "points"`): the slide
    /// shows `shown` as a bullet while the voice reads `said`, the paragraph in full.
    Point {
        /// The point drawn on the slide.
        shown: Vec<Span>,
        /// The paragraph it stands for, read aloud (empty for the second and later points an
        /// author wrote for one paragraph).
        said: Vec<Span>,
        /// Written by the author (`<!-- points: ... -->`), not made from the paragraph.
        authored: bool,
    },
}

/// One column of a [`Block::Columns`].
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
pub struct Column {
    /// Its share of the slide's text width, in percent, when the notes give one (else the
    /// columns share what is left equally).
    pub width: Option<u8>,
    /// What it shows.
    pub blocks: Vec<Block>,
}

impl Block {
    /// Words a viewer reads or hears in the block (for timing): code and pictures count a
    /// few words' time.
    pub fn words(&self) -> usize {
        let spans = |s: &[Span]| s.iter().map(|s| word_count(&s.text)).sum::<usize>();
        match self {
            Block::Paragraph(s) | Block::Heading(_, s) => spans(s),
            // Timed by what is said; the point is read while it is heard.
            Block::Point { said, .. } => spans(said),
            Block::List { items, .. } => items.iter().flatten().map(Block::words).sum(),
            // Code is looked at, not read aloud: a couple of words' time per line.
            Block::Code { text, .. } => 2 * text.lines().count(),
            Block::Quote(inner) => inner.iter().map(Block::words).sum(),
            Block::Columns(columns) => columns
                .iter()
                .flat_map(|c| &c.blocks)
                .map(Block::words)
                .sum(),
            Block::Image { alt, .. } => 10 + word_count(alt),
            // A diagram is looked at like a figure, its labels read.
            Block::Diagram { source, .. } => 10 + word_count(source) / 4,
            // A formula takes a few words' time to take in.
            Block::Math { tex, .. } => 5 + tex.len() / 20,
            Block::Table { head, rows, .. } => {
                head.iter().map(|c| spans(c)).sum::<usize>()
                    + rows.iter().flatten().map(|c| spans(c)).sum::<usize>()
            }
        }
    }
}

fn word_count(text: &str) -> usize {
    text.split_whitespace().count()
}

/// How a table column's cells are aligned.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize)]
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
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default, Serialize)]
pub struct Span {
    /// The text; `\n` is a hard line break.
    pub text: String,
    /// Strong emphasis.
    pub bold: bool,
    /// Emphasis.
    pub italic: bool,
    /// Inline code.
    pub code: bool,
    /// Inline math: its TeX (`text` is then its readable Unicode form, what is read aloud and
    /// shown where it cannot be typeset).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tex: Option<String>,
}
