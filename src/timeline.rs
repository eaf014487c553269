//! Timeline: how long each slide and each of its pages stays on screen, and where each
//! chapter starts and ends.
//!
//! In: the slides (their `duration` directives and words) and the words on each page the
//! overlay made. Out: a [`Timeline`] in whole milliseconds that adds up exactly, which the
//! video stage muxes and the site turns into chapters.

use crate::config::TimingConfig;
use crate::content::Slide;

/// Every slide's place in the video.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Timeline {
    /// One per slide, in order, end to end.
    pub slides: Vec<SlideSpan>,
    /// Length of the whole video, milliseconds.
    pub total_ms: u64,
}

/// One slide's place in the video.
#[derive(Debug, Clone, PartialEq)]
pub struct SlideSpan {
    /// Start, milliseconds from the beginning.
    pub start_ms: u64,
    /// End, milliseconds from the beginning.
    pub end_ms: u64,
    /// Time of each of its pages, milliseconds; they add up to `end_ms - start_ms`.
    pub pages_ms: Vec<u32>,
}

impl SlideSpan {
    /// Start in seconds.
    pub fn start(&self) -> f64 {
        self.start_ms as f64 / 1000.0
    }

    /// End in seconds.
    pub fn end(&self) -> f64 {
        self.end_ms as f64 / 1000.0
    }
}

impl Timeline {
    /// Length in seconds.
    pub fn seconds(&self) -> f64 {
        self.total_ms as f64 / 1000.0
    }
}

/// How long `slide` stays on screen: its `duration` directive, else the time it takes to read
/// its words at `words_per_minute`, between `min_seconds` and `max_seconds`.
pub fn slide_seconds(slide: &Slide, timing: &TimingConfig) -> f32 {
    slide.duration.unwrap_or_else(|| {
        (slide.words as f32 / timing.words_per_minute * 60.0)
            .clamp(timing.min_seconds, timing.max_seconds)
    })
}

/// Lays the slides end to end; `page_words[i]` holds the words on each page of slide `i`.
pub fn plan(slides: &[Slide], page_words: &[Vec<usize>], timing: &TimingConfig) -> Timeline {
    let mut clock = 0u64;
    let spans = slides
        .iter()
        .zip(page_words)
        .map(|(slide, words)| {
            let total_ms = (slide_seconds(slide, timing) * 1000.0).round().max(1.0) as u32;
            let start_ms = clock;
            clock += u64::from(total_ms);
            SlideSpan {
                start_ms,
                end_ms: clock,
                pages_ms: split_time(total_ms, words),
            }
        })
        .collect();
    Timeline {
        slides: spans,
        total_ms: clock,
    }
}

/// Splits a slide's time between its pages in proportion to their words (plus one each, so
/// an empty page still shows). The parts add up to `total_ms` exactly.
pub fn split_time(total_ms: u32, page_words: &[usize]) -> Vec<u32> {
    let weights: Vec<u64> = page_words.iter().map(|&w| w as u64 + 1).collect();
    let sum: u64 = weights.iter().sum::<u64>().max(1);
    let mut out: Vec<u32> = weights
        .iter()
        .map(|w| (u64::from(total_ms) * w / sum) as u32)
        .collect();
    let given: u32 = out.iter().sum();
    if let Some(last) = out.last_mut() {
        *last += total_ms - given;
    }
    out
}
