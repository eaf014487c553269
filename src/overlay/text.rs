//! Text helpers of the layout: measuring shaped buffers, cutting runs of spans at byte
//! offsets and long paragraphs at sentence ends.

use cosmic_text::Buffer;

use super::items::{Item, ItemKind};
use crate::content::Span;

/// Text items of more than `max_words` words cut at sentence ends into items of at most that
/// many words (a sentence longer than that stays whole), so a page break falls between
/// sentences.
pub(super) fn split_long(items: Vec<Item>, max_words: usize) -> Vec<Item> {
    let mut out = Vec::with_capacity(items.len());
    for item in items {
        let ItemKind::Text {
            spans,
            scale,
            said: None,
        } = &item.kind
        else {
            out.push(item);
            continue;
        };
        if item.words() <= max_words {
            out.push(item);
            continue;
        }
        let text: String = spans.iter().map(|s| s.text.as_str()).collect();
        let words_before = |offset: usize| text[..offset].split_whitespace().count();
        // Byte offsets just after each sentence's closing mark.
        let ends: Vec<usize> = text
            .char_indices()
            .zip(text.chars().skip(1))
            .filter(|((_, c), next)| {
                matches!(c, '.' | '!' | '?' | '؟' | '。' | '…') && next.is_whitespace()
            })
            .map(|((at, c), _)| at + c.len_utf8())
            .collect();
        // Cut at the last sentence end that keeps each piece within the budget.
        let mut cuts = Vec::new();
        let (mut piece_start, mut last_end) = (0usize, None);
        for &end in &ends {
            if words_before(end) - words_before(piece_start) > max_words {
                if let Some(cut) = last_end.filter(|&c| c > piece_start) {
                    cuts.push(cut);
                    piece_start = cut;
                }
            }
            last_end = Some(end);
        }
        if let Some(cut) = last_end.filter(|&c| c > piece_start) {
            if words_before(text.len()) - words_before(piece_start) > max_words {
                cuts.push(cut);
            }
        }
        for (n, piece) in cut_spans(spans, &cuts).into_iter().enumerate() {
            out.push(Item {
                kind: ItemKind::Text {
                    spans: piece,
                    scale: *scale,
                    said: None,
                },
                marker: if n == 0 { item.marker.clone() } else { None },
                ..item.clone()
            });
        }
    }
    out
}

/// Spans cut at byte offsets of their joined text, whitespace at the cuts dropped.
fn cut_spans(spans: &[Span], cuts: &[usize]) -> Vec<Vec<Span>> {
    let mut pieces: Vec<Vec<Span>> = vec![Vec::new(); cuts.len() + 1];
    let mut pos = 0;
    for span in spans {
        let end = pos + span.text.len();
        let mut from = pos;
        for (n, piece) in pieces.iter_mut().enumerate() {
            let lo = if n == 0 { 0 } else { cuts[n - 1] };
            let hi = cuts.get(n).copied().unwrap_or(usize::MAX);
            let (a, b) = (from.max(lo), end.min(hi));
            if a < b && text_boundary(&span.text, a - pos) && text_boundary(&span.text, b - pos) {
                piece.push(Span {
                    text: span.text[a - pos..b - pos].to_string(),
                    ..span.clone()
                });
                from = b;
            }
        }
        pos = end;
    }
    for piece in &mut pieces {
        if let Some(first) = piece.first_mut() {
            first.text = first.text.trim_start().to_string();
        }
        if let Some(last) = piece.last_mut() {
            last.text = last.text.trim_end().to_string();
        }
        piece.retain(|s| !s.text.is_empty());
    }
    pieces.retain(|p| !p.is_empty());
    pieces
}

fn text_boundary(text: &str, at: usize) -> bool {
    text.is_char_boundary(at)
}

/// Height of all lines and width of the widest.
pub(super) fn measure(buffer: &Buffer) -> (f32, f32) {
    let mut height = 0.0f32;
    let mut width = 0.0f32;
    for run in buffer.layout_runs() {
        height = height.max(run.line_top + run.line_height);
        width = width.max(run.line_w);
    }
    (height, width)
}

/// For each laid-out line: its source line index and its bottom.
pub(super) fn line_bottoms(buffer: &Buffer) -> Vec<(usize, f32)> {
    buffer
        .layout_runs()
        .map(|run| (run.line_i, run.line_top + run.line_height))
        .collect()
}

/// Byte offset, in the concatenated span text, where laid-out line `n` starts.
pub(super) fn run_start_offset(buffer: &Buffer, n: usize) -> Option<usize> {
    let run = buffer.layout_runs().nth(n)?;
    let in_line = run.glyphs.iter().map(|g| g.start).min()?;
    let before: usize = buffer
        .lines
        .iter()
        .take(run.line_i)
        .map(|l| l.text().len() + 1)
        .sum();
    Some(before + in_line)
}

/// Splits spans at a byte offset of their concatenated text.
pub(super) fn split_spans(spans: &[Span], offset: usize) -> (Vec<Span>, Vec<Span>) {
    let mut head = Vec::new();
    let mut tail = Vec::new();
    let mut pos = 0;
    for span in spans {
        let end = pos + span.text.len();
        if end <= offset {
            head.push(span.clone());
        } else if pos >= offset {
            tail.push(span.clone());
        } else {
            let mut cut = offset - pos;
            while !span.text.is_char_boundary(cut) {
                cut -= 1;
            }
            head.push(Span {
                text: span.text[..cut].trim_end().to_string(),
                ..span.clone()
            });
            tail.push(Span {
                text: span.text[cut..].trim_start().to_string(),
                ..span.clone()
            });
        }
        pos = end;
    }
    head.retain(|s| !s.text.is_empty());
    tail.retain(|s| !s.text.is_empty());
    (head, tail)
}
