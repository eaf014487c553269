//! A lecture's video from its slides: how long each page is on screen (the timeline), the
//! speech placed at its pages' times with the caption cues that go with it, the AAC track,
//! and the MP4 muxed from the encoded pictures.

use std::time::Instant;

use anyhow::Result;

use super::slides::SlideOut;
use super::Run;
use crate::content::Lecture;
use crate::site::Cue;
use crate::timeline;
use crate::video::{self, Still, AUDIO_RATE};

/// A lecture's video and what was planned for it.
pub(super) struct Assembled {
    /// Slide and page times.
    pub(super) timeline: timeline::Timeline,
    /// The MP4's bytes.
    pub(super) mp4: Vec<u8>,
    /// Caption cues of the speech (none when silent).
    pub(super) cues: Vec<Cue>,
    /// Pictures in the video (slides plus follow-on pages).
    pub(super) pages: usize,
    /// It has a speech track.
    pub(super) narrated: bool,
}

impl Run<'_> {
    /// Plans the lecture's times, mixes its speech and muxes its MP4.
    pub(super) fn assemble(&self, lecture: &Lecture, slides: &[SlideOut]) -> Result<Assembled> {
        let config = &self.ws.project.config;
        let page_words: Vec<Vec<usize>> = slides
            .iter()
            .map(|s| s.pages.iter().map(|p| p.record.words).collect())
            .collect();
        let speech_lengths: Vec<Vec<usize>> = slides
            .iter()
            .map(|s| s.speech.pages.iter().map(|p| p.length).collect())
            .collect();
        let inputs: Vec<timeline::SlideInput<'_>> = lecture
            .slides
            .iter()
            .zip(&page_words)
            .zip(&speech_lengths)
            .map(|((slide, words), speech)| timeline::SlideInput {
                slide,
                page_words: words,
                speech: (!speech.is_empty()).then_some(speech.as_slice()),
            })
            .collect();
        let (timeline, timing_warnings) = timeline::plan(&inputs, &config.timing, AUDIO_RATE);
        for (i, warning) in timing_warnings {
            let line = lecture.slides.get(i).map_or(1, |s| s.line);
            self.warn(&format!("{}:{line}: {warning}", lecture.source.display));
        }
        let stills: Vec<Still<'_>> = slides
            .iter()
            .zip(&timeline.slides)
            .flat_map(|(out, span)| {
                out.pages
                    .iter()
                    .zip(&span.pages_ms)
                    .map(|(page, &ms)| Still {
                        slide: &page.encoded,
                        duration_ms: ms,
                    })
            })
            .collect();
        let narrated = slides.iter().any(|s| !s.speech.is_silent());
        let muxing = Instant::now();
        let (audio, cues) = if narrated {
            let (pcm, cues) = soundtrack(slides, &timeline);
            let track = video::encode_aac(&pcm, config.narration.bitrate_kbps)?;
            (Some(track), cues)
        } else {
            (None, Vec::new())
        };
        let mp4 = video::write(&stills, &self.ws.encoder, audio.as_ref())?;
        tracing::debug!(
            "{}: muxed in {:.1} ms",
            lecture.source.slug,
            muxing.elapsed().as_secs_f64() * 1000.0
        );
        Ok(Assembled {
            pages: stills.len(),
            timeline,
            mp4,
            cues,
            narrated,
        })
    }
}

/// The lecture's speech track (mono at [`AUDIO_RATE`], as long as the video) and its caption
/// cues, from each slide's speech placed at its pages' times.
fn soundtrack(slides: &[SlideOut], timeline: &timeline::Timeline) -> (Vec<f32>, Vec<Cue>) {
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
