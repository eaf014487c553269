//! What layout hands to painting: items laid out at one size ([`Placed`]), with their text
//! buffers, pictures, tables and inline formulas. Data only: layout makes them, pagination cuts
//! them, paint draws them.

use cosmic_text::Buffer;
use image::RgbaImage;

use super::items::Item;

/// An item laid out at one size.
pub(super) struct Placed {
    pub(super) item: Item,
    /// Offset from the top of the body box.
    pub(super) height: f32,
    pub(super) buffer: Option<Buffer>,
    pub(super) marker: Option<Buffer>,
    pub(super) image: Option<RgbaImage>,
    /// Widest line, for the panel.
    pub(super) line_width: f32,
    pub(super) pad: f32,
    /// Code: the source line each displayed line belongs to (long lines wrap into several).
    pub(super) code_lines: Vec<usize>,
    /// Table: its laid-out cells.
    pub(super) table: Option<TableLayout>,
    /// Inline formulas typeset into the text's placeholders.
    pub(super) formulas: Vec<InlineFormula>,
    /// Columns: each column's offset from the start side, its width and its items.
    pub(super) columns: Vec<(f32, f32, Vec<Placed>)>,
}

/// A formula inside a line of text: drawn over a transparent placeholder glyph that makes
/// room for it.
pub(super) struct InlineFormula {
    /// Buffer line (hard line) of the placeholder.
    pub(super) line: usize,
    /// Byte offset of the placeholder in that line.
    pub(super) start: usize,
    /// The formula.
    pub(super) formula: crate::math::Formula,
}

/// A title-like box's text at the largest size that fits (see [`Draw::fit_box`]).
pub(super) struct FittedBox {
    pub(super) buffer: Buffer,
    pub(super) height: f32,
    pub(super) width: f32,
}

/// A table laid out at one size: column offsets from the start side, rows with their cells.
pub(super) struct TableLayout {
    /// (offset, width) of each column, from the start side.
    pub(super) columns: Vec<(f32, f32)>,
    /// (top, height, cells) of each row; the header row first when there is one.
    pub(super) rows: Vec<(f32, f32, Vec<Buffer>)>,
    pub(super) header: bool,
    pub(super) pad: f32,
}

/// Height of `placed` stacked with `gap` between items.
pub(super) fn stack_height(placed: &[Placed], gap: f32) -> f32 {
    let sum: f32 = placed.iter().map(|p| p.height).sum();
    sum + gap * placed.len().saturating_sub(1) as f32
}
