//! Items: a slide's block tree flattened into the units the layout places one under another
//! (a paragraph, a list item with its marker, a code block, an image, a table).

use crate::content::{Block, Span, Step};
use crate::reading::Reading;

/// A laid-out unit of the body: a paragraph, a code block, an image.
#[derive(Debug, Clone)]
pub(super) struct Item {
    pub(super) kind: ItemKind,
    /// List/quote nesting: indent steps from the start side.
    pub(super) depth: u32,
    /// Bullet or number drawn in the margin before the first line.
    pub(super) marker: Option<String>,
    /// Inside a block quote: draw the bar.
    pub(super) quote: bool,
    /// The step of the slide it appears at (0: with the slide).
    pub(super) step: usize,
}

#[derive(Debug, Clone)]
pub(super) enum ItemKind {
    Text {
        spans: Vec<Span>,
        scale: f32,
        /// A point of prose: its number among the slide's points (the voice reads the
        /// paragraph it stands for, not what it shows).
        said: Option<usize>,
    },
    Code {
        text: String,
        lang: Option<String>,
    },
    Image {
        path: std::path::PathBuf,
        alt: String,
        /// Percent of the body's width asked for.
        width: Option<u16>,
    },
    Math {
        tex: String,
        line: usize,
    },
    Table {
        head: Vec<Vec<Span>>,
        rows: Vec<Vec<Vec<Span>>>,
        align: Vec<crate::content::ColumnAlign>,
    },
    Diagram {
        kind: crate::diagram::Kind,
        source: String,
    },
    /// Columns side by side: each its share of the body's width (the shares sum to 1) and its
    /// items.
    Columns(Vec<(f32, Vec<Item>)>),
}

impl Item {
    /// What a reader reads of this item.
    pub(super) fn reading(&self) -> Reading {
        match &self.kind {
            ItemKind::Text { said: Some(n), .. } => Reading::Point(*n),
            ItemKind::Text { spans, .. } => {
                Reading::Text(spans.iter().map(|s| s.text.as_str()).collect())
            }
            ItemKind::Code { .. } => Reading::Code,
            ItemKind::Image { alt, .. } => Reading::Image(alt.clone()),
            ItemKind::Diagram { .. } => Reading::Image(String::new()),
            ItemKind::Table { .. } => Reading::Table,
            ItemKind::Math { tex, .. } => Reading::Text(crate::math::to_unicode(tex)),
            ItemKind::Columns(columns) => {
                let text: Vec<String> = columns
                    .iter()
                    .flat_map(|(_, items)| items)
                    .filter_map(|i| match i.reading() {
                        Reading::Text(t) => Some(t),
                        _ => None,
                    })
                    .collect();
                Reading::Text(text.join(" "))
            }
        }
    }

    pub(super) fn words(&self) -> usize {
        match &self.kind {
            ItemKind::Text { spans, .. } => spans
                .iter()
                .map(|s| s.text.split_whitespace().count())
                .sum(),
            ItemKind::Code { text, .. } => 2 * text.lines().count(),
            ItemKind::Image { .. } | ItemKind::Diagram { .. } => 10,
            ItemKind::Math { tex, .. } => 5 + tex.len() / 20,
            ItemKind::Table { head, rows, .. } => std::iter::once(head)
                .chain(rows)
                .flatten()
                .flatten()
                .map(|s| s.text.split_whitespace().count())
                .sum(),
            ItemKind::Columns(columns) => columns
                .iter()
                .flat_map(|(_, items)| items)
                .map(Item::words)
                .sum(),
        }
    }
}

/// The share of the width each column takes: the declared percentages (scaled down when
/// they sum to more than the whole), the rest split equally among the columns without one.
fn shares(columns: &[crate::content::Column]) -> Vec<f32> {
    let declared: f32 = columns
        .iter()
        .filter_map(|c| c.width)
        .map(|w| f32::from(w) / 100.0)
        .sum();
    let open = columns.iter().filter(|c| c.width.is_none()).count();
    let rest = if open > 0 {
        (1.0 - declared).max(0.1 * open as f32) / open as f32
    } else {
        0.0
    };
    let raw: Vec<f32> = columns
        .iter()
        .map(|c| c.width.map_or(rest, |w| f32::from(w) / 100.0).max(0.05))
        .collect();
    let total: f32 = raw.iter().sum();
    raw.iter().map(|r| r / total.max(1.0)).collect()
}

/// The items of a slide's blocks, each with the step it appears at: the number of the
/// slide's step boundaries (`steps`) at or before its block and list item.
pub(super) fn flatten_slide(blocks: &[Block], steps: &[Step]) -> Vec<Item> {
    let mut out = Vec::new();
    for (b, block) in blocks.iter().enumerate() {
        let after_point = b > 0 && matches!(blocks[b - 1], Block::Point { .. });
        match block {
            Block::Columns(columns) => out.push(columns_item(columns, b, steps, 0, false)),
            _ => {
                flatten_stepped(block, after_point, (b, 0), steps, &mut out);
            }
        }
    }
    let mut points = 0;
    for item in &mut out {
        if let ItemKind::Text { said: Some(n), .. } = &mut item.kind {
            *n = points;
            points += 1;
        }
    }
    out
}

/// How many of `steps` start at or before `(block, unit)`: the step shown there.
fn step_at(steps: &[Step], at: (usize, usize)) -> usize {
    steps.iter().filter(|s| (s.block, s.item) <= at).count()
}

/// Flattens `block`, whose first unit is `(b, unit)`, into `out`, each item with its step (a
/// list's items one unit each); the number of units it holds.
fn flatten_stepped(
    block: &Block,
    after_point: bool,
    (b, unit): (usize, usize),
    steps: &[Step],
    out: &mut Vec<Item>,
) -> usize {
    let start = out.len();
    flatten_block(block, after_point, 0, false, out);
    let list_depth = out.get(start).map(|i| i.depth);
    let mut list_item = 0;
    for (n, item) in out[start..].iter_mut().enumerate() {
        // A list's items start where an item at the list's own depth has a marker.
        let next_item = matches!(block, Block::List { .. })
            && n > 0
            && item.marker.is_some()
            && Some(item.depth) == list_depth;
        if next_item {
            list_item += 1;
        }
        item.step = step_at(steps, (b, unit + list_item));
    }
    match block {
        Block::List { items, .. } => items.len().max(1),
        _ => 1,
    }
}

pub(super) fn flatten(blocks: &[Block], depth: u32, quote: bool, out: &mut Vec<Item>) {
    for (i, block) in blocks.iter().enumerate() {
        // A list after a point of prose is its detail: one step further in than the point.
        let after_point = i > 0 && matches!(blocks[i - 1], Block::Point { .. });
        flatten_block(block, after_point, depth, quote, out);
    }
}

fn flatten_block(block: &Block, after_point: bool, depth: u32, quote: bool, out: &mut Vec<Item>) {
    match block {
        Block::Paragraph(spans) => out.push(Item {
            kind: ItemKind::Text {
                spans: spans.clone(),
                scale: 1.0,
                said: None,
            },
            depth,
            marker: None,
            quote,
            step: 0,
        }),
        Block::Heading(level, spans) => out.push(Item {
            kind: ItemKind::Text {
                spans: spans
                    .iter()
                    .map(|s| Span {
                        bold: true,
                        ..s.clone()
                    })
                    .collect(),
                scale: if *level <= 3 { 1.15 } else { 1.0 },
                said: None,
            },
            depth,
            marker: None,
            quote,
            step: 0,
        }),
        Block::List { start, items } if after_point => list(*start, items, depth + 1, quote, out),
        Block::List { start, items } => list(*start, items, depth, quote, out),
        // A point reads like a list item: a bullet, one step in.
        Block::Point { shown, .. } => out.push(Item {
            kind: ItemKind::Text {
                spans: shown.clone(),
                scale: 1.0,
                // Numbered by `flatten_slide`.
                said: Some(0),
            },
            depth: depth + 1,
            marker: Some(["•", "◦", "▪"][(depth as usize) % 3].to_string()),
            quote,
            step: 0,
        }),
        Block::Code { text, lang } => out.push(Item {
            kind: ItemKind::Code {
                text: text.replace('\t', "    "),
                lang: lang.clone(),
            },
            depth,
            marker: None,
            quote,
            step: 0,
        }),
        Block::Quote(inner) => flatten(inner, depth + 1, true, out),
        Block::Image { path, alt, width } => out.push(Item {
            kind: ItemKind::Image {
                path: path.clone(),
                alt: alt.clone(),
                width: *width,
            },
            depth,
            marker: None,
            quote,
            step: 0,
        }),
        Block::Diagram { kind, source } => out.push(Item {
            kind: ItemKind::Diagram {
                kind: *kind,
                source: source.clone(),
            },
            depth,
            marker: None,
            quote,
            step: 0,
        }),
        Block::Math { tex, line } => out.push(Item {
            kind: ItemKind::Math {
                tex: tex.clone(),
                line: *line,
            },
            depth,
            marker: None,
            quote,
            step: 0,
        }),
        Block::Table { head, rows, align } => out.push(Item {
            kind: ItemKind::Table {
                head: head.clone(),
                rows: rows.clone(),
                align: align.clone(),
            },
            depth,
            marker: None,
            quote,
            step: 0,
        }),
        Block::Columns(columns) => out.push(columns_item(columns, 0, &[], depth, quote)),
    }
}

/// Columns (block `b` of the slide, whose `steps` reach into them) as one item: each column
/// its share of the width and its items, each at its own unit's step (see `Step::item`).
fn columns_item(
    columns: &[crate::content::Column],
    b: usize,
    steps: &[Step],
    depth: u32,
    quote: bool,
) -> Item {
    let mut unit = 0;
    let laid = shares(columns)
        .into_iter()
        .zip(columns)
        .map(|(share, column)| {
            let mut items = Vec::new();
            for (i, inner) in column.blocks.iter().enumerate() {
                let after_point = i > 0 && matches!(column.blocks[i - 1], Block::Point { .. });
                unit += flatten_stepped(inner, after_point, (b, unit), steps, &mut items);
            }
            (share, items)
        })
        .collect();
    Item {
        kind: ItemKind::Columns(laid),
        depth,
        marker: None,
        quote,
        step: step_at(steps, (b, 0)),
    }
}

/// A list's items, each with its bullet or number (a task list item its box).
fn list(start: Option<u64>, items: &[Vec<Block>], depth: u32, quote: bool, out: &mut Vec<Item>) {
    for (i, item) in items.iter().enumerate() {
        let marker = match start {
            Some(n) => format!("{}.", n.saturating_add(i as u64)),
            None => ["•", "◦", "▪"][(depth as usize) % 3].to_string(),
        };
        let first = out.len();
        flatten(item, depth + 1, quote, out);
        if let Some(first) = out.get_mut(first) {
            // A task list item shows its box where the bullet would be.
            let task = match &mut first.kind {
                ItemKind::Text { spans, .. } => spans.first_mut().and_then(|span| {
                    let rest = span
                        .text
                        .strip_prefix("☑ ")
                        .or_else(|| span.text.strip_prefix("☐ "))?
                        .to_string();
                    let mark = span.text.chars().next()?;
                    span.text = rest;
                    Some(mark.to_string())
                }),
                _ => None,
            };
            first.marker = Some(task.unwrap_or(marker));
        } else {
            out.push(Item {
                kind: ItemKind::Text {
                    spans: Vec::new(),
                    scale: 1.0,
                    said: None,
                },
                depth: depth + 1,
                marker: Some(marker),
                quote,
                step: 0,
            });
        }
    }
}
