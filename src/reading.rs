//! Reading aloud: what a reader reads on a slide's page ([`Reading`]), and text cut into caption
//! chunks (sentences, or clauses of long ones) and caption lines.
//!
//! A leaf: the content stage asks how many sentences a lead paragraph has, the overlay reports
//! what each page shows, the narration speaks chunk by chunk and the captions track wraps them
//! into lines, all with the same rules.

use serde::{Deserialize, Serialize};

/// Characters per caption line, and lines per cue (WebVTT practice: two lines of ~42).
pub const LINE_CHARS: usize = 42;
/// Lines per caption cue.
pub const CUE_LINES: usize = 2;

/// What a reader reads on one page of a slide, in order (the overlay reports it).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Reading {
    /// A paragraph, heading or list item.
    Text(String),
    /// A code block.
    Code,
    /// A table.
    Table,
    /// A picture, with its alt text.
    Image(String),
    /// The n-th point of prose of the slide: the paragraph it stands for is read (see
    /// [`crate::content::points::said`]; the picture does not depend on that text).
    Point(usize),
}

/// Splits text into caption chunks: sentences, long sentences at clauses, and what is still
/// longer than a cue at word boundaries. Whitespace is normalised.
pub fn chunks(text: &str) -> Vec<String> {
    let max = LINE_CHARS * CUE_LINES;
    let text = text.split_whitespace().collect::<Vec<_>>().join(" ");
    let mut out = Vec::new();
    for sentence in split_after(&text, &['.', '!', '?', '؟', '。', '！', '？', '…']) {
        if sentence.chars().count() <= max {
            out.push(sentence);
            continue;
        }
        // Clauses, merged back while they fit.
        let mut current = String::new();
        for clause in split_after(&sentence, &[',', ';', ':', '،', '؛', '—']) {
            let joined = if current.is_empty() {
                clause.clone()
            } else {
                format!("{current} {clause}")
            };
            if joined.chars().count() <= max {
                current = joined;
                continue;
            }
            if !current.is_empty() {
                out.push(std::mem::take(&mut current));
            }
            if clause.chars().count() <= max {
                current = clause;
            } else {
                let mut words = by_words(&clause, max);
                current = words.pop().unwrap_or_default();
                out.extend(words);
            }
        }
        if !current.is_empty() {
            out.push(current);
        }
    }
    out.retain(|c| c.chars().any(char::is_alphanumeric));
    out
}

/// Splits after any of `marks` followed by a space (the mark stays with what precedes it).
fn split_after(text: &str, marks: &[char]) -> Vec<String> {
    let mut out = Vec::new();
    let mut start = 0;
    let chars: Vec<(usize, char)> = text.char_indices().collect();
    for (i, &(at, c)) in chars.iter().enumerate() {
        let next_space = chars.get(i + 1).is_some_and(|&(_, n)| n == ' ');
        if marks.contains(&c) && next_space {
            let end = at + c.len_utf8();
            let piece = text[start..end].trim();
            if !piece.is_empty() {
                out.push(piece.to_string());
            }
            start = end;
        }
    }
    let rest = text[start..].trim();
    if !rest.is_empty() {
        out.push(rest.to_string());
    }
    out
}

/// Splits at spaces into pieces of at most `max` characters (a longer word stands alone).
fn by_words(text: &str, max: usize) -> Vec<String> {
    let mut out = Vec::new();
    let mut current = String::new();
    for word in text.split(' ') {
        if !current.is_empty() && current.chars().count() + 1 + word.chars().count() > max {
            out.push(std::mem::take(&mut current));
        }
        if !current.is_empty() {
            current.push(' ');
        }
        current.push_str(word);
    }
    if !current.is_empty() {
        out.push(current);
    }
    out
}

/// Wraps a caption into lines of at most [`LINE_CHARS`] characters, at spaces.
pub fn caption_lines(caption: &str) -> Vec<String> {
    by_words(caption, LINE_CHARS)
}
