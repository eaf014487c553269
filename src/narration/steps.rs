//! Which sentence brings each step of a slide: a `[click]` marker in the notes; else the
//! sentence of the notes that shares the most words with the step, in order, never going back;
//! else the rest of the sentences shared out. (Without notes, each step appears when its own
//! text is read: the script knows where that is.)

/// The marker that starts the next step where it stands in the notes (Slidev's).
pub const CLICK: &str = "[click]";

/// Notes cut at their `[click]` markers: the caption chunks, and before which chunk each
/// marker stood.
pub fn clicks(notes: &[String]) -> (Vec<String>, Vec<usize>) {
    let mut sentences = Vec::new();
    let mut marks = Vec::new();
    for note in notes {
        let lower = note.to_ascii_lowercase();
        let mut from = 0;
        let mut pieces = Vec::new();
        while let Some(at) = lower[from..].find(CLICK) {
            pieces.push((&note[from..from + at], from > 0));
            from += at + CLICK.len();
        }
        pieces.push((&note[from..], from > 0));
        for (piece, after_click) in pieces {
            if after_click {
                marks.push(sentences.len());
            }
            sentences.extend(crate::reading::chunks(piece));
        }
    }
    (sentences, marks)
}

/// Words that say little about which step a sentence is about.
const COMMON: &[&str] = &[
    "the", "and", "for", "are", "but", "not", "you", "your", "with", "this", "that", "from",
    "have", "has", "was", "were", "will", "can", "its", "their", "they", "them", "then", "than",
    "there", "here", "what", "which", "when", "where", "who", "how", "why", "all", "any", "one",
    "our", "out", "into", "also", "just", "more", "most", "some", "such", "very", "each", "other",
];

fn content_words(text: &str) -> Vec<String> {
    text.split(|c: char| !c.is_alphanumeric())
        .filter(|w| w.chars().count() >= 3)
        .map(str::to_lowercase)
        .filter(|w| !COMMON.contains(&w.as_str()))
        .collect()
}

/// For each step (its text), the sentence of `sentences` it appears at: the first sentence,
/// after the last step's, that shares enough words with it; the steps no sentence names are
/// shared out over the sentences after the last one found (`sentences.len()`: with the last).
pub fn align(sentences: &[String], steps: &[String]) -> Vec<usize> {
    let words: Vec<Vec<String>> = sentences.iter().map(|s| content_words(s)).collect();
    let mut out = Vec::with_capacity(steps.len());
    let mut from = 0;
    for step in steps {
        let wanted = content_words(step);
        let enough = wanted.len().div_ceil(2).clamp(1, 3);
        let shares = |i: usize| words[i].iter().filter(|w| wanted.contains(w)).count();
        let found = (from..sentences.len()).find(|&i| shares(i) >= enough);
        match found {
            Some(i) => {
                out.push(i);
                from = i + 1;
            }
            None => out.push(usize::MAX),
        }
    }
    // The steps no sentence named: spread evenly between their neighbours' sentences.
    let mut k = 0;
    while k < out.len() {
        if out[k] != usize::MAX {
            k += 1;
            continue;
        }
        let run_end = (k..out.len())
            .find(|&j| out[j] != usize::MAX)
            .unwrap_or(out.len());
        let low = if k == 0 { 0 } else { out[k - 1] + 1 };
        let high = out.get(run_end).copied().unwrap_or(sentences.len());
        let n = run_end - k;
        for (j, slot) in out[k..run_end].iter_mut().enumerate() {
            let span = high.saturating_sub(low);
            *slot = (low + span * (j + 1) / (n + 1)).min(sentences.len());
        }
        k = run_end;
    }
    out
}
