//! A lecture's video from its slides: how long each page is on screen (the timeline), the
//! speech placed at its pages' times with the caption cues that go with it, and the MP4 muxed
//! from the encoded pictures with the speech encoded to AAC on the way.
//!
//! Memory stays flat in a lecture's length: each sentence's audio is read back from the cache
//! as the AAC encoder reaches it ([`Soundtrack`]) and the MP4 is written to a file beside the
//! lecture's, never held whole (a 62-minute lecture took 1.06 GB when the speech and the MP4
//! were built in memory).

use std::path::{Path, PathBuf};
use std::sync::atomic::Ordering;
use std::time::Instant;

use anyhow::Result;

use super::slides::SlideOut;
use super::Run;
use crate::content::Lecture;
use crate::fsutil::temp_path;
use crate::narration::Narrator;
use crate::site::Cue;
use crate::timeline;
use crate::video::{self, SpeechFrames, Still, AUDIO_RATE};

/// A lecture's video and what was planned for it.
pub(super) struct Assembled {
    /// Slide and page times.
    pub(super) timeline: timeline::Timeline,
    /// The MP4, in a temporary file beside the lecture's (publishing puts it in place).
    pub(super) video: PathBuf,
    /// Its digest (XXH3-128).
    pub(super) digest: String,
    /// Caption cues of the speech (none when silent).
    pub(super) cues: Vec<Cue>,
    /// Pictures in the video (slides plus follow-on pages).
    pub(super) pages: usize,
    /// It has a speech track.
    pub(super) narrated: bool,
    /// What the timeline warned of.
    pub(super) warnings: Vec<String>,
}

impl Run<'_> {
    /// Plans the lecture's times and muxes its MP4 (with its speech, spoken by `narrator`)
    /// into a temporary file in `out_dir`.
    pub(super) fn assemble(
        &self,
        lecture: &Lecture,
        slides: &[SlideOut],
        narrator: Option<&Narrator<'_>>,
        out_dir: &Path,
    ) -> Result<Assembled> {
        let config = &self.ws.project.config;
        let (timeline, warnings) = self.plan(lecture, slides);
        let stills: Vec<Still<'_>> = slides
            .iter()
            .zip(&timeline.slides)
            .flat_map(|(out, span)| {
                out.pages
                    .iter()
                    .zip(&span.pages_ms)
                    .enumerate()
                    .flat_map(|(p, (page, &ms))| page_stills(page, out.speech.pages.get(p), ms))
            })
            .collect();
        let narrator = narrator.filter(|_| slides.iter().any(|s| !s.speech.is_silent()));
        let muxing = Instant::now();
        let video = temp_path(&out_dir.join("lecture.mp4"));
        let (digest, cues) = match narrator {
            Some(narrator) => {
                let speech = Soundtrack::new(slides, &timeline, narrator, lecture);
                let cues = speech.cues();
                let mut frames = SpeechFrames::new(speech, config.narration.bitrate_kbps)?;
                let digest =
                    video::write_file(&stills, &self.ws.encoder, Some(&mut frames), &video);
                (digest, cues)
            }
            None => (
                video::write_file(&stills, &self.ws.encoder, None, &video),
                Vec::new(),
            ),
        };
        let digest = digest.inspect_err(|_| {
            let _ = std::fs::remove_file(&video);
        })?;
        self.counts.muxed.fetch_add(1, Ordering::Relaxed);
        tracing::debug!(
            "{}: muxed in {:.1} ms",
            lecture.source.slug,
            muxing.elapsed().as_secs_f64() * 1000.0
        );
        Ok(Assembled {
            pages: stills.len(),
            timeline,
            video,
            digest,
            cues,
            narrated: narrator.is_some(),
            warnings,
        })
    }

    /// The timeline of the lecture's slides and what it warned of (said now).
    fn plan(&self, lecture: &Lecture, slides: &[SlideOut]) -> (timeline::Timeline, Vec<String>) {
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
        let timing = &self.ws.project.config.timing;
        let (timeline, timing_warnings) = timeline::plan(&inputs, timing, AUDIO_RATE);
        let warnings: Vec<String> = timing_warnings
            .into_iter()
            .map(|(i, warning)| {
                let line = lecture.slides.get(i).map_or(1, |s| s.line);
                format!("{}:{line}: {warning}", lecture.source.display)
            })
            .collect();
        for warning in &warnings {
            self.warn(warning);
        }
        (timeline, warnings)
    }
}

/// A page's pictures and how long each is on screen: the page before each of its steps
/// appears, then the page itself, switching when the speech reaches a step (a silent page
/// shares its time equally among its steps).
fn page_stills<'a>(
    page: &'a super::slides::PageOut,
    speech: Option<&crate::narration::PageSpeech>,
    ms: u32,
) -> Vec<Still<'a>> {
    let n = page.steps.len();
    let spoken = speech.filter(|s| !s.chunks.is_empty() && s.steps.len() == n);
    let starts: Vec<u32> = (0..n)
        .map(|j| match spoken {
            Some(speech) => {
                let samples = speech.steps[j] as u64;
                (samples * 1000 / u64::from(crate::narration::RATE)) as u32
            }
            None => (u64::from(ms) * (j as u64 + 1) / (n as u64 + 1)) as u32,
        })
        .scan(0u32, |last, t| {
            *last = t.clamp(*last, ms);
            Some(*last)
        })
        .collect();
    let last = page.spotlight.as_ref().unwrap_or(&page.encoded);
    let pictures = page.steps.iter().chain(std::iter::once(last));
    let bounds = std::iter::once(0).chain(starts.iter().copied());
    let ends = starts.iter().copied().chain(std::iter::once(ms));
    let stills: Vec<Still<'a>> = pictures
        .zip(bounds.zip(ends))
        .filter(|(_, (from, to))| to > from)
        .map(|(slide, (from, to))| Still {
            slide,
            duration_ms: to - from,
        })
        .collect();
    if stills.is_empty() {
        return vec![Still {
            slide: &page.encoded,
            duration_ms: ms,
        }];
    }
    stills
}

/// One chunk of speech in the lecture's track.
struct Placed<'a> {
    slide: usize,
    /// First sample.
    start: usize,
    samples: usize,
    caption: &'a str,
}

/// The lecture's speech track (mono at [`AUDIO_RATE`], as long as the video), piece by piece:
/// silence, then each chunk's audio read back from the cache at its page's time, in order.
struct Soundtrack<'a> {
    chunks: Vec<Placed<'a>>,
    narrator: &'a Narrator<'a>,
    lang: &'a str,
    /// Samples of the whole track.
    total: usize,
    /// Samples given so far.
    at: usize,
    next: usize,
}

/// Pieces of silence are at most this long.
const SILENCE: usize = 1 << 16;

impl<'a> Soundtrack<'a> {
    fn new(
        slides: &'a [SlideOut],
        timeline: &timeline::Timeline,
        narrator: &'a Narrator<'a>,
        lecture: &'a Lecture,
    ) -> Self {
        let at = |ms: u64| (ms * u64::from(AUDIO_RATE) / 1000) as usize;
        let mut chunks = Vec::new();
        for (index, (out, span)) in slides.iter().zip(&timeline.slides).enumerate() {
            let mut page_start = span.start_ms;
            for (page, &ms) in out.speech.pages.iter().zip(&span.pages_ms) {
                let base = at(page_start);
                chunks.extend(page.chunks.iter().map(|chunk| Placed {
                    slide: index,
                    start: base + chunk.offset,
                    samples: chunk.samples,
                    caption: &chunk.caption,
                }));
                page_start += u64::from(ms);
            }
        }
        Self {
            chunks,
            narrator,
            lang: super::slides::speech_lang(lecture),
            total: at(timeline.total_ms),
            at: 0,
            next: 0,
        }
    }

    /// The caption cues: each chunk from its first sample to its last (cut at the end of the
    /// video), in whole milliseconds, what WebVTT and the page can say.
    fn cues(&self) -> Vec<Cue> {
        let ms = |sample: usize| (sample as f64 * 1000.0 / f64::from(AUDIO_RATE)).round() / 1000.0;
        self.chunks
            .iter()
            .filter_map(|c| {
                let end = (c.start + c.samples).min(self.total);
                (c.start < end).then(|| Cue {
                    slide: c.slide,
                    start: ms(c.start),
                    end: ms(end),
                    text: c.caption.to_string(),
                })
            })
            .collect()
    }
}

impl Iterator for Soundtrack<'_> {
    type Item = Result<Vec<f32>>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.at >= self.total {
            return None;
        }
        let Some(chunk) = self.chunks.get(self.next) else {
            let n = (self.total - self.at).min(SILENCE);
            self.at += n;
            return Some(Ok(vec![0.0; n]));
        };
        if self.at < chunk.start {
            let n = (chunk.start.min(self.total) - self.at).min(SILENCE);
            self.at += n;
            return Some(Ok(vec![0.0; n]));
        }
        self.next += 1;
        let mut samples = match self.narrator.audio(chunk.caption, self.lang) {
            Ok(pcm) => pcm.samples,
            Err(e) => return Some(Err(e)),
        };
        // Exactly the chunk's planned length (the cache gives back what was measured), from
        // where the track is, never past its end.
        samples.resize(chunk.samples, 0.0);
        let from = (self.at - chunk.start).min(samples.len());
        let until = (chunk.start + chunk.samples).min(self.total);
        let piece = samples
            .get(from..from + until.saturating_sub(self.at))
            .unwrap_or_default()
            .to_vec();
        self.at += piece.len();
        Some(Ok(piece))
    }
}
