//! Timeline: how long each slide and each of its pages stays on screen, and where each
//! chapter starts and ends.
//!
//! In: the slides (their `duration` directives and words), the words on each page the overlay
//! made and, for narrated slides, the length of each page's speech. Out: a [`Timeline`] in
//! whole milliseconds that adds up exactly, which the video stage muxes and the site turns into
//! chapters and captions.
//!
//! A silent slide lasts as long as reading its words takes (between `min_seconds` and
//! `max_seconds`), or its `duration` directive, split over its pages by their words. A
//! narrated slide lasts as long as its speech, pauses included, never less than `min_seconds`:
//! speech overrides `max_seconds`, and a `duration` shorter than the speech gives way to it
//! (with a warning). Each of its pages lasts as long as its own speech; a page with nothing to
//! say gets [`SILENT_PAGE_MS`]. Every page lasts a whole number of [`GRID_MS`], the video's
//! frame grid.

use crate::config::TimingConfig;
use crate::content::Slide;
pub use crate::video::FRAME_GRID_MS as GRID_MS;

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

/// Time on screen of a page of a narrated slide that says nothing itself.
pub const SILENT_PAGE_MS: u32 = 1500;

/// `ms` rounded up to the grid.
fn grid_up(ms: u32) -> u32 {
    ms.div_ceil(GRID_MS).max(1) * GRID_MS
}

/// `ms` rounded to the nearest grid step (at least one step).
fn grid_near(ms: f32) -> u32 {
    ((ms / GRID_MS as f32).round().max(1.0) as u32) * GRID_MS
}

/// What the timeline needs of one slide.
#[derive(Debug, Clone, Copy)]
pub struct SlideInput<'a> {
    /// The slide.
    pub slide: &'a Slide,
    /// Words on each of its pages.
    pub page_words: &'a [usize],
    /// For a narrated slide, the samples of each page's speech at `rate` per second.
    pub speech: Option<&'a [usize]>,
}

/// Lays the slides end to end. Returns the timeline and, per slide that needed one, a warning
/// (a `duration` shorter than the slide's narration).
pub fn plan(
    slides: &[SlideInput<'_>],
    timing: &TimingConfig,
    rate: u32,
) -> (Timeline, Vec<(usize, String)>) {
    let mut clock = 0u64;
    let mut warnings = Vec::new();
    let spans = slides
        .iter()
        .enumerate()
        .map(|(i, input)| {
            let pages_ms = match input.speech {
                Some(speech) if speech.iter().any(|&s| s > 0) => {
                    let (pages, warning) = narrated(input.slide, speech, timing, rate);
                    warnings.extend(warning.map(|w| (i, w)));
                    pages
                }
                _ => {
                    let total_ms = grid_near(slide_seconds(input.slide, timing) * 1000.0);
                    split_time(total_ms, input.page_words)
                }
            };
            let start_ms = clock;
            clock += pages_ms.iter().map(|&ms| u64::from(ms)).sum::<u64>();
            SlideSpan {
                start_ms,
                end_ms: clock,
                pages_ms,
            }
        })
        .collect();
    (
        Timeline {
            slides: spans,
            total_ms: clock,
        },
        warnings,
    )
}

/// Page times of a narrated slide: each page its speech (rounded up to the grid, so the speech
/// always fits), the slide at least `min_seconds` or its `duration`, the extra time on the last
/// page.
fn narrated(
    slide: &Slide,
    speech: &[usize],
    timing: &TimingConfig,
    rate: u32,
) -> (Vec<u32>, Option<String>) {
    let mut pages: Vec<u32> = speech
        .iter()
        .map(|&samples| match samples {
            0 => SILENT_PAGE_MS,
            n => grid_up((n as u64 * 1000).div_ceil(u64::from(rate.max(1))) as u32),
        })
        .collect();
    let spoken: u32 = pages.iter().sum();
    let mut floor = grid_near(timing.min_seconds * 1000.0);
    let mut warning = None;
    if let Some(d) = slide.duration {
        let asked = grid_near(d * 1000.0);
        if asked < spoken {
            warning = Some(format!(
                "`duration: {d}s` is shorter than the slide's narration ({:.1} s): the \
                 narration wins",
                f64::from(spoken) / 1000.0
            ));
        } else {
            floor = asked;
        }
    }
    if let Some(last) = pages.last_mut() {
        *last += floor.saturating_sub(spoken);
    }
    (pages, warning)
}

/// Splits a slide's time between its pages in proportion to their words (plus one each, so
/// an empty page still shows), in whole grid steps. The parts add up to `total_ms` exactly
/// when it is a whole number of steps (every caller's is).
pub fn split_time(total_ms: u32, page_words: &[usize]) -> Vec<u32> {
    let steps = u64::from(total_ms / GRID_MS);
    let weights: Vec<u64> = page_words.iter().map(|&w| w as u64 + 1).collect();
    let sum: u64 = weights.iter().sum::<u64>().max(1);
    let mut out: Vec<u32> = weights
        .iter()
        .map(|w| (steps * w / sum) as u32 * GRID_MS)
        .collect();
    let given: u32 = out.iter().sum();
    if let Some(last) = out.last_mut() {
        *last += total_ms - given;
    }
    out
}
