//! The lecture's speech track: the pronunciation lexicon and each slide's speech placed at
//! its pages' times, with the caption cues that go with it.

use std::path::Path;

use anyhow::{Context, Result};

use super::SlideOut;
use crate::narration::{self, Lexicon};
use crate::site::Cue;
use crate::timeline;
use crate::video::AUDIO_RATE;

/// Reads `lexicon.toml` of the course, if there is one.
pub(super) fn load_lexicon(root: &Path) -> Result<Lexicon> {
    let path = root.join(narration::lexicon::FILE_NAME);
    match std::fs::read_to_string(&path) {
        Ok(text) => Ok(Lexicon::parse(narration::lexicon::FILE_NAME, &text)?),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Lexicon::default()),
        Err(e) => Err(e).with_context(|| format!("reading {}", path.display())),
    }
}

/// The lecture's speech track (mono at [`AUDIO_RATE`], as long as the video) and its caption
/// cues, from each slide's speech placed at its pages' times.
pub(super) fn soundtrack(
    slides: &[SlideOut],
    timeline: &timeline::Timeline,
) -> (Vec<f32>, Vec<Cue>) {
    let rate = u64::from(AUDIO_RATE);
    let at = |ms: u64| (ms * rate / 1000) as usize;
    let mut pcm = vec![0f32; at(timeline.total_ms)];
    let mut cues = Vec::new();
    for (index, (out, span)) in slides.iter().zip(&timeline.slides).enumerate() {
        let mut page_start = span.start_ms;
        for (page, &ms) in out.speech.pages.iter().zip(&span.pages_ms) {
            let base = at(page_start);
            for chunk in &page.chunks {
                let start = base + chunk.offset;
                let end = (start + chunk.audio.samples.len()).min(pcm.len());
                if start >= end {
                    continue;
                }
                pcm[start..end].copy_from_slice(&chunk.audio.samples[..end - start]);
                cues.push(Cue {
                    slide: index,
                    // Whole milliseconds: what WebVTT and the page can say.
                    start: (start as f64 * 1000.0 / rate as f64).round() / 1000.0,
                    end: (end as f64 * 1000.0 / rate as f64).round() / 1000.0,
                    text: chunk.caption.clone(),
                });
            }
            page_start += u64::from(ms);
        }
    }
    (pcm, cues)
}
