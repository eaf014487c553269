//! A lecture's slides, in parallel: each slide's overlay (laid out through the slide
//! template), its speech (handed to the voice's threads as soon as its text is laid out), its
//! background, its composed frames and their H.264 pictures. A slide whose key matches the last
//! build's, with its pictures on disk and in the cache, is reused as it is.

use std::path::Path;
use std::sync::atomic::Ordering;
use std::sync::OnceLock;

use anyhow::{bail, Context, Result};
use image::RgbImage;
use rayon::prelude::*;

use super::files::{page_image, StageClock};
use super::keys;
use super::records::{LectureRecord, PageRecord, SlideRecord, StepRecord};
use super::Run;
use crate::background::{self, Source};
use crate::content::{Lecture, Slide};
use crate::frame;
use crate::fsutil::write_atomic;
use crate::narration::{self, Narrator, SlideSpeech, StepText};
use crate::overlay::{self, Renderer};
use crate::reading::Reading;
use crate::site;
use crate::video::{self, EncodedSlide};

/// One page of a slide after encoding.
pub(super) struct PageOut {
    pub(super) encoded: EncodedSlide,
    pub(super) record: PageRecord,
    /// The page just before each of its steps appears (see `record.steps`).
    pub(super) steps: Vec<EncodedSlide>,
    /// The page as the video shows it last, under the spotlight (see `record.spotlight`).
    pub(super) spotlight: Option<EncodedSlide>,
}

/// A slide's pictures and what it says.
pub(super) struct SlideOut {
    pub(super) pages: Vec<PageOut>,
    pub(super) record: SlideRecord,
    /// Drawn now rather than reused.
    pub(super) rendered: bool,
    /// What it says (empty when the lecture is silent).
    pub(super) speech: SlideSpeech,
}

/// One slide of a lecture being built: what decides whether it is drawn again, and where its
/// pictures go.
struct Job<'a> {
    lecture: &'a Lecture,
    slide: &'a Slide,
    key: &'a str,
    out_dir: &'a Path,
    previous: &'a LectureRecord,
}

/// Where a narrated lecture's slides hand their speech: the voice's threads and a slot per
/// slide for what each says.
struct Speech<'a, 's> {
    voices: &'a rayon::Scope<'s>,
    narrator: &'s Narrator<'s>,
    slots: &'s [OnceLock<Result<SlideSpeech>>],
}

impl<'s> Speech<'_, 's> {
    /// Speaks `slide` on the voice's threads; its slot holds the result when the scope ends.
    fn start(
        &self,
        run: &'s Run<'s>,
        lecture: &'s Lecture,
        slide: &'s Slide,
        readings: Vec<Vec<Reading>>,
        words: Vec<usize>,
        steps: Vec<Vec<StepText>>,
    ) {
        let (narrator, slot) = (self.narrator, &self.slots[slide.index]);
        self.voices.spawn(move |_| {
            let _ = slot.set(run.speak(lecture, slide, &readings, &words, &steps, narrator));
        });
    }
}

impl Run<'_> {
    /// Every slide of `lecture` (with its key in `keys`), drawn (or reused) and spoken by
    /// `narrator`.
    pub(super) fn slides(
        &self,
        lecture: &Lecture,
        keys: &[String],
        narrator: Option<&Narrator<'_>>,
        out_dir: &Path,
        previous: &LectureRecord,
    ) -> Result<Vec<SlideOut>> {
        let ws = self.ws;
        let context = |slide: &Slide| {
            format!(
                "{}:{}: slide {} \"{}\"",
                lecture.source.display,
                slide.line,
                slide.index + 1,
                slide.display_title()
            )
        };
        // Slides are drawn on the global pool; what each says is spoken on the voice's own
        // threads as soon as its text is laid out, so a drawing thread never waits for the
        // speech engine and the engine's processes run beside the drawing.
        let speeches: Vec<OnceLock<Result<SlideSpeech>>> =
            lecture.slides.iter().map(|_| OnceLock::new()).collect();
        let drawn: Result<Vec<SlideOut>> = ws.voices.pool().in_place_scope(|voices| {
            let speech = narrator.map(|narrator| Speech {
                voices,
                narrator,
                slots: &speeches,
            });
            lecture
                .slides
                .par_iter()
                .zip(keys)
                .map(|(slide, key)| {
                    let job = Job {
                        lecture,
                        slide,
                        key,
                        out_dir,
                        previous,
                    };
                    let out = self.slide(&job, speech.as_ref());
                    self.reporter.slide_done();
                    out.with_context(|| context(slide))
                })
                .collect()
        });
        let mut slides = drawn?;
        for ((out, speech), slide) in slides.iter_mut().zip(speeches).zip(&lecture.slides) {
            if let Some(speech) = speech.into_inner() {
                out.speech = speech.with_context(|| context(slide))?;
            }
        }
        Ok(slides)
    }

    fn slide<'s>(&'s self, job: &Job<'s>, speech: Option<&Speech<'_, 's>>) -> Result<SlideOut> {
        let (lecture, slide) = (job.lecture, job.slide);
        let reusable = job
            .previous
            .slides
            .get(slide.index)
            .filter(|p| p.key == job.key);
        if let Some(out) = reusable.and_then(|p| self.reuse(p, job.out_dir)) {
            for w in &out.record.warnings {
                self.warn(w);
            }
            self.counts.reused.fetch_add(1, Ordering::Relaxed);
            let readings: Vec<_> = out
                .record
                .pages
                .iter()
                .map(|p| p.readings.clone())
                .collect();
            let words: Vec<usize> = out.record.pages.iter().map(|p| p.words).collect();
            let steps = step_texts(out.record.pages.iter().map(|p| p.steps.as_slice()));
            if let Some(speech) = speech {
                speech.start(self, lecture, slide, readings, words, steps);
            }
            return Ok(out);
        }
        let config = &self.ws.project.config;
        let renderer = Renderer {
            fonts: &self.ws.fonts,
            templates: &self.ws.templates,
            theme: &config.theme,
            width: self.ws.encoder.width,
            height: self.ws.encoder.height,
            max_words: config.layout.max_words_per_page,
            spotlight: config.layout.spotlight,
        };
        let mut clock = StageClock::start();
        let rendered = overlay::render(&renderer, &lecture.meta, slide)?;
        clock.lap("overlay");
        let warnings: Vec<String> = rendered
            .warnings
            .iter()
            .map(|w| format!("{}:{}: {w}", lecture.source.display, slide.line))
            .collect();
        for w in &warnings {
            self.warn(w);
        }
        let (readings, words) = rendered
            .pages
            .iter()
            .map(|p| (p.readings.clone(), p.words))
            .unzip::<_, _, Vec<_>, Vec<_>>();
        let steps = step_texts(rendered.pages.iter().map(|p| p.steps.as_slice()));
        if let Some(speech) = speech {
            speech.start(self, lecture, slide, readings, words, steps);
        }
        self.pictures(job, rendered, warnings, clock)
    }

    /// What a slide says, or nothing when the slide is silent.
    fn speak(
        &self,
        lecture: &Lecture,
        slide: &Slide,
        readings: &[Vec<Reading>],
        words: &[usize],
        steps: &[Vec<StepText>],
        narrator: &Narrator<'_>,
    ) -> Result<SlideSpeech> {
        if slide.silent {
            return Ok(SlideSpeech::default());
        }
        let lang = speech_lang(lecture);
        let said = crate::content::points::said(&slide.blocks);
        let to_say = narration::ToSay {
            title: &slide.title,
            notes: &slide.notes,
            pages: readings,
            page_words: words,
            page_steps: steps,
            said: &said,
        };
        let pages = narration::script(&to_say, narrator.config, lang);
        let speech = narrator.slide(&pages, lang, &|caption| {
            self.reporter.sentence_spoken(slide.index, caption)
        })?;
        self.counts
            .spoken
            .fetch_add(speech.spoken, Ordering::Relaxed);
        Ok(speech)
    }

    /// Draws and encodes a slide's pages over its background.
    fn pictures(
        &self,
        job: &Job<'_>,
        rendered: overlay::Rendered,
        warnings: Vec<String>,
        mut clock: StageClock,
    ) -> Result<SlideOut> {
        let (lecture, slide) = (job.lecture, job.slide);
        let background = self.background(lecture, slide)?;
        clock.lap("background");
        let mut pages = Vec::new();
        for (p, page) in rendered.pages.iter().enumerate() {
            let composed = frame::compose(&background, page);
            // The legibility report: what each text box had behind it and the panel it got.
            for (b, (text_box, panel)) in page.boxes.iter().zip(&composed.panels).enumerate() {
                tracing::info!(
                    "{}:{}: slide {} page {} box {}: contrast {:.1} on the bare background (needs {:.1}): panel {:.0}% opaque",
                    lecture.source.display,
                    slide.line,
                    slide.index + 1,
                    p + 1,
                    b + 1,
                    panel.bare_contrast,
                    text_box.min_contrast,
                    panel.alpha * 100.0,
                );
            }
            let frame = composed.frame;
            let frame_digest = crate::cache::fast_digest(frame.as_raw());
            clock.lap("compose");
            let image = page_image(slide.index, p);
            // The picture of this page last time, if the slide had this page then.
            let previous_frame = job
                .previous
                .slides
                .get(slide.index)
                .and_then(|s| s.pages.get(p))
                .filter(|old| old.image == image)
                .map(|old| old.frame.as_str());
            let unchanged =
                previous_frame == Some(frame_digest.as_str()) && job.out_dir.join(&image).is_file();
            let encoded = match self.cached_encoding(&frame_digest) {
                Some(encoded) => encoded,
                None => self.encode(&frame, &frame_digest)?,
            };
            // The page before each of its steps, and under the spotlight once they are all
            // shown: composed and encoded like the page.
            let mut steps = Vec::new();
            let mut step_records = Vec::new();
            for step in &page.steps {
                let (encoded, digest) = self.picture_of(&background, &step.before)?;
                steps.push(encoded);
                step_records.push(StepRecord {
                    frame: digest,
                    reading: step.reading,
                    text: step.text.clone(),
                });
            }
            let spotlight = match &page.spotlight {
                Some(last) => Some(self.picture_of(&background, last)?),
                None => None,
            };
            clock.lap("encode");
            if !unchanged {
                write_atomic(&job.out_dir.join(&image), &site::slide_picture(&frame)?)?;
                clock.lap("picture");
            }
            pages.push(PageOut {
                encoded,
                record: PageRecord {
                    image,
                    frame: frame_digest,
                    words: page.words,
                    readings: page.readings.clone(),
                    steps: step_records,
                    spotlight: spotlight.as_ref().map(|(_, digest)| digest.clone()),
                },
                steps,
                spotlight: spotlight.map(|(encoded, _)| encoded),
            });
        }
        tracing::debug!("slide {} drawn: {}", slide.index + 1, clock.laps());
        self.counts.rendered.fetch_add(1, Ordering::Relaxed);
        let record = SlideRecord {
            key: job.key.to_string(),
            pages: pages.iter().map(|p| p.record.clone()).collect(),
            warnings,
        };
        Ok(SlideOut {
            pages,
            record,
            rendered: true,
            speech: SlideSpeech::default(),
        })
    }

    /// The slide's background: from the cache, made up front, or made now.
    fn background(&self, lecture: &Lecture, slide: &Slide) -> Result<RgbImage> {
        let ws = self.ws;
        let (width, height) = (ws.encoder.width, ws.encoder.height);
        let request = background::request(&lecture.meta, slide, width, height);
        let background_key = background::key(ws.backend.as_ref(), &request)?;
        if let Some(why) = self.prefetch_failed.get(&background_key) {
            bail!("background: {why}");
        }
        let (background, source) =
            background::generate(ws.backend.as_ref(), &request, &ws.cache, &|done, total| {
                self.reporter.background_step(slide.index, done, total)
            })?;
        let made_now = source == Source::Generated || self.prefetched.contains(&background_key);
        if made_now {
            self.counts
                .backgrounds_generated
                .fetch_add(1, Ordering::Relaxed);
        } else if source == Source::Cached {
            self.counts
                .backgrounds_cached
                .fetch_add(1, Ordering::Relaxed);
        }
        Ok(background)
    }

    /// The last build's pictures of a slide, if all are still on disk and in the cache.
    fn reuse(&self, previous: &SlideRecord, out_dir: &Path) -> Option<SlideOut> {
        let pages = previous
            .pages
            .iter()
            .map(|page| {
                if !out_dir.join(&page.image).is_file() {
                    return None;
                }
                let encoded = self.cached_encoding(&page.frame)?;
                let steps = page
                    .steps
                    .iter()
                    .map(|s| self.cached_encoding(&s.frame))
                    .collect::<Option<Vec<_>>>()?;
                let spotlight = match &page.spotlight {
                    Some(frame) => Some(self.cached_encoding(frame)?),
                    None => None,
                };
                Some(PageOut {
                    encoded,
                    record: page.clone(),
                    steps,
                    spotlight,
                })
            })
            .collect::<Option<Vec<_>>>()?;
        (!pages.is_empty()).then(|| SlideOut {
            pages,
            record: previous.clone(),
            rendered: false,
            speech: SlideSpeech::default(),
        })
    }

    /// A page composed over the background and encoded (from the cache when it has it), and
    /// its frame's digest.
    fn picture_of(
        &self,
        background: &RgbImage,
        page: &overlay::Page,
    ) -> Result<(EncodedSlide, String)> {
        let frame = frame::compose(background, page).frame;
        let digest = crate::cache::fast_digest(frame.as_raw());
        let encoded = match self.cached_encoding(&digest) {
            Some(encoded) => encoded,
            None => self.encode(&frame, &digest)?,
        };
        Ok((encoded, digest))
    }

    fn cached_encoding(&self, frame_digest: &str) -> Option<EncodedSlide> {
        let slide = self
            .ws
            .cache
            .get("slides", &keys::encoding(frame_digest, &self.ws.encoder))
            .and_then(|b| EncodedSlide::from_bytes(&b))?;
        self.counts.encoded_cached.fetch_add(1, Ordering::Relaxed);
        Some(slide)
    }

    fn encode(&self, frame: &RgbImage, frame_digest: &str) -> Result<EncodedSlide> {
        let slide = video::encode(frame, &self.ws.encoder)?;
        self.ws.cache.put(
            "slides",
            &keys::encoding(frame_digest, &self.ws.encoder),
            &slide.to_bytes(),
        );
        self.counts.encoded.fetch_add(1, Ordering::Relaxed);
        Ok(slide)
    }
}

/// What each page's steps tell the script: where each starts and what it says.
fn step_texts<'a, S: 'a>(pages: impl Iterator<Item = &'a [S]>) -> Vec<Vec<StepText>>
where
    &'a S: Into<StepText>,
{
    pages
        .map(|steps| steps.iter().map(Into::into).collect())
        .collect()
}

impl From<&StepRecord> for StepText {
    fn from(step: &StepRecord) -> Self {
        Self {
            reading: step.reading,
            text: step.text.clone(),
        }
    }
}

impl From<&overlay::PageStep> for StepText {
    fn from(step: &overlay::PageStep) -> Self {
        Self {
            reading: step.reading,
            text: step.text.clone(),
        }
    }
}

/// The language a lecture is spoken in (English when it names none).
pub(super) fn speech_lang(lecture: &Lecture) -> &str {
    match lecture.meta.lang.as_str() {
        "" => "en",
        lang => lang,
    }
}
