//! Pages: laid-out items cut into pages of at most the body's height, between blocks; an item
//! taller than a page is split between lines, table rows (the header repeated) or lines of
//! code, never inside a line.

use super::items::{Item, ItemKind};
use super::placed::Placed;
use super::spec::BodySpec;
use super::text::{line_bottoms, run_start_offset, split_spans};
use super::Draw;
use crate::content::Span;

impl Draw<'_> {
    /// Splits placed items into pages of at most the body height, at block boundaries: an item
    /// that does not fit in what is left of a page starts the next page. Only an item taller
    /// than a whole page is split, between lines (text), rows (tables, header repeated) or
    /// lines of code; never mid-line.
    pub(super) fn paginate(
        &mut self,
        placed: Vec<Placed>,
        body: &BodySpec,
        size: f32,
    ) -> Vec<Vec<Placed>> {
        let gap = body.gap * size;
        let mut pages: Vec<Vec<Placed>> = vec![Vec::new()];
        let mut queue: std::collections::VecDeque<Placed> = placed.into();
        let mut used = 0.0f32;
        while let Some(p) = queue.pop_front() {
            let Some(page) = pages.last_mut() else { break };
            let words: usize = page.iter().map(|q| q.item.words()).sum();
            let over_words = !page.is_empty() && words + p.item.words() > self.max_words;
            let need = if page.is_empty() {
                p.height
            } else {
                used + gap + p.height
            };
            if need <= body.height + 0.5 && !over_words {
                used = need;
                page.push(p);
                continue;
            }
            // A full page (by words, or by height for an item that fits a page of its own):
            // the item starts the next one.
            if !page.is_empty() && (over_words || p.height <= body.height + 0.5) {
                pages.push(Vec::new());
                used = 0.0;
                queue.push_front(p);
                continue;
            }
            // Columns taller than a page are read one after the other instead, each at the
            // body's width, paged like any text.
            if let ItemKind::Columns(columns) = &p.item.kind {
                let items: Vec<Item> = columns.iter().flat_map(|(_, i)| i.clone()).collect();
                for unfolded in self.place_all(&items, body, size).into_iter().rev() {
                    queue.push_front(unfolded);
                }
                continue;
            }
            let room = if page.is_empty() {
                body.height
            } else {
                body.height - used - gap
            };
            match self.split(p, room, body, size) {
                Cut::Both(head, tail) => {
                    page.push(head);
                    queue.push_front(tail);
                    pages.push(Vec::new());
                    used = 0.0;
                }
                Cut::None(p) => {
                    if page.is_empty() {
                        // Cannot be split and taller than a page (a huge image is scaled to
                        // fit, so this is a single line taller than the box): drawn clipped.
                        used = p.height;
                        page.push(p);
                    } else {
                        pages.push(vec![]);
                        used = 0.0;
                        queue.push_front(p);
                    }
                }
            }
        }
        pages.retain(|p| !p.is_empty());
        if pages.is_empty() {
            pages.push(Vec::new());
        }
        pages
    }

    pub(super) fn split(&mut self, p: Placed, room: f32, body: &BodySpec, size: f32) -> Cut {
        if let (ItemKind::Table { head, rows, align }, Some(table)) = (&p.item.kind, &p.table) {
            // Split between body rows; the follow-on part repeats the header.
            let skip = usize::from(table.header);
            let fit = table
                .rows
                .iter()
                .skip(skip)
                .take_while(|(top, h, _)| top + h <= room)
                .count();
            if fit == 0 || fit >= rows.len() {
                return Cut::None(p);
            }
            let mk = |part: &[Vec<Vec<Span>>], marker: Option<String>| Item {
                kind: ItemKind::Table {
                    head: head.clone(),
                    rows: part.to_vec(),
                    align: align.clone(),
                },
                marker,
                ..p.item.clone()
            };
            let head_part = self.place(mk(&rows[..fit], p.item.marker.clone()), body, size);
            let tail = self.place(mk(&rows[fit..], None), body, size);
            return Cut::Both(head_part, tail);
        }
        let Some(buffer) = &p.buffer else {
            return Cut::None(p);
        };
        let lines = line_bottoms(buffer);
        let pad = p.pad;
        let fit = lines
            .iter()
            .take_while(|(_, bottom)| bottom + 2.0 * pad <= room)
            .count();
        if fit == 0 || fit >= lines.len() {
            return Cut::None(p);
        }
        match &p.item.kind {
            ItemKind::Code { text, lang } => {
                // Split before the source line of the first displayed line that does not fit, so
                // a wrapped line never straddles two pages.
                let cut_line = p.code_lines.get(lines[fit].0).copied().unwrap_or(0);
                let source_lines: Vec<&str> = text.split('\n').collect();
                if cut_line == 0 || cut_line >= source_lines.len() {
                    return Cut::None(p);
                }
                let head = source_lines[..cut_line].join("\n");
                let tail = source_lines[cut_line..].join("\n");
                let mk = |t: String, marker: Option<String>| Item {
                    kind: ItemKind::Code {
                        text: t,
                        lang: lang.clone(),
                    },
                    marker,
                    ..p.item.clone()
                };
                let head = self.place(mk(head, p.item.marker.clone()), body, size);
                let tail = self.place(mk(tail, None), body, size);
                Cut::Both(head, tail)
            }
            // A point is never cut: what it stands for is read whole.
            ItemKind::Text { said: Some(_), .. } => Cut::None(p),
            ItemKind::Text {
                spans,
                scale,
                said: None,
            } => {
                let Some(offset) = run_start_offset(buffer, fit) else {
                    return Cut::None(p);
                };
                let (head, tail) = split_spans(spans, offset);
                let mk = |s: Vec<Span>, marker: Option<String>| Item {
                    kind: ItemKind::Text {
                        spans: s,
                        scale: *scale,
                        said: None,
                    },
                    marker,
                    ..p.item.clone()
                };
                let head = self.place(mk(head, p.item.marker.clone()), body, size);
                let tail = self.place(mk(tail, None), body, size);
                Cut::Both(head, tail)
            }
            ItemKind::Image { .. }
            | ItemKind::Math { .. }
            | ItemKind::Table { .. }
            | ItemKind::Diagram { .. }
            | ItemKind::Columns(_) => Cut::None(p),
        }
    }
}

// Short-lived: one per split item, so the size difference does not matter.
#[allow(clippy::large_enum_variant)]
pub(super) enum Cut {
    Both(Placed, Placed),
    None(Placed),
}
