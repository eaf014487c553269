//! Columns and the steps inside them: a run of columns ends as one block, the steps met in it
//! placed by unit (see [`crate::content::Step`]).

use crate::content::{Block, Column, Step};

/// How many step units `blocks` hold: a list one per item, any other block one.
pub(super) fn units<'a>(blocks: impl IntoIterator<Item = &'a Block>) -> usize {
    blocks
        .into_iter()
        .map(|b| match b {
            Block::List { items, .. } => items.len().max(1),
            _ => 1,
        })
        .sum()
}

/// Ends a run of columns: the columns that show something become one block. The steps
/// inside them (their `item` counting units) move to where those units end up: in the block,
/// or, when one column is left, in its blocks spliced into the slide; one after the last
/// unit starts whatever follows.
pub(super) fn close_columns(
    blocks: &mut Vec<Block>,
    columns: &mut Vec<Column>,
    steps: &mut Vec<Step>,
) {
    let at = blocks.len();
    let shown: Vec<Column> = std::mem::take(columns)
        .into_iter()
        .filter(|c| !c.blocks.is_empty())
        .collect();
    let inside: Vec<&Block> = shown.iter().flat_map(|c| &c.blocks).collect();
    let total = units(inside.iter().copied());
    let spliced = shown.len() == 1;
    for step in steps.iter_mut().filter(|s| s.block == at && s.item > 0) {
        *step = if step.item >= total {
            let after = if shown.len() > 1 { 1 } else { inside.len() };
            Step {
                block: at + after,
                item: 0,
            }
        } else if spliced {
            // The unit's block and, in a list, its item.
            let mut first = 0;
            let mut place = (inside.len(), 0);
            for (i, block) in inside.iter().enumerate() {
                let n = units([*block]);
                if step.item < first + n {
                    place = (i, step.item - first);
                    break;
                }
                first += n;
            }
            Step {
                block: at + place.0,
                item: place.1,
            }
        } else {
            *step
        };
    }
    steps.dedup();
    match shown.len() {
        0 => {}
        1 => blocks.extend(shown.into_iter().flat_map(|c| c.blocks)),
        _ => blocks.push(Block::Columns(shown)),
    }
}
