//! Narration: what each slide says, spoken by a pluggable [`Voice`], cached per caption chunk.
//!
//! In: a slide, the text on each of its pages (from the overlay) and the lecture's language.
//! Out: [`SlideSpeech`]: per page, the chunks spoken (caption text, audio, and where each starts
//! inside the page). Each chunk is a sentence, or a clause of a long one, at most two caption
//! lines; it is synthesized by one call of the voice and cached by voice, settings and spoken
//! text (after the [`Lexicon`]), so every time comes from sample counts and editing one
//! sentence speaks that sentence again, nothing else.
//!
//! What is said: the slide's speaker notes; without notes, its visible text as a teacher reads
//! it (title, paragraphs and list items in order; code, tables and pictures as a short cue or
//! nothing). With notes on a slide continued over several pages, the sentences are shared out
//! over the pages in proportion to each page's words, never splitting a sentence.

mod command;
mod espeak;
mod festival;
mod kokoro;
pub mod lexicon;
pub mod onnx;
pub mod phonemes;
mod piper;
pub mod remote;
mod run;
pub mod steps;
pub mod wav;

use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{Context, Result};
use serde::Serialize;

pub use command::CommandVoice;
pub use espeak::Espeak;
pub use festival::Festival;
pub use kokoro::Kokoro;
pub use lexicon::Lexicon;
pub use piper::Piper;
pub use remote::RemoteVoice;
pub use wav::{Pcm, RATE};

use crate::cache::{key_of, Cache};
use crate::config::{NarrationConfig, VoiceName};
use crate::reading::{chunks, Reading};

/// Speaks text. Implementations run an engine (a program, a server) and return its audio.
pub trait Voice: Send + Sync {
    /// Engine, version and settings: part of every spoken chunk's cache key.
    fn id(&self) -> String;
    /// The engine's name, for messages.
    fn engine(&self) -> &str;
    /// The engine and voice, for the build's summary ("festival cmu_us_slt_arctic_hts").
    fn name(&self) -> String {
        self.engine().to_string()
    }
    /// Whether it speaks `lang` (a BCP 47 tag). Default: any language.
    fn speaks(&self, _lang: &str) -> bool {
        true
    }
    /// `text` spoken in `lang` (a BCP 47 tag).
    fn speak(&self, text: &str, lang: &str) -> Result<Pcm>;
}

/// The voice of a course, or why there is none.
pub enum Speaker {
    /// Narration is off (`voice = "none"`).
    Off,
    /// The configured engine is not installed: one warning, silent videos.
    Missing(String),
    /// A voice ready to speak.
    Ready(Box<dyn Voice>),
}

/// Whether a voice for `languages` speaks `lang`: the same primary language ("en" speaks
/// "en-GB"; "en-US" speaks "en").
pub fn speaks_one_of(languages: &[String], lang: &str) -> bool {
    let primary = |tag: &str| {
        tag.split(['-', '_'])
            .next()
            .unwrap_or(tag)
            .to_ascii_lowercase()
    };
    let lang = primary(lang);
    languages.iter().any(|l| primary(l) == lang)
}

/// Sets up the voice `name` from the configuration of a course at `root`; `scratch` is a
/// folder for the engines' temporary files. `Auto` is not a voice: it picks one of these per
/// language (see the pipeline's voices).
pub fn speaker(
    name: VoiceName,
    config: &NarrationConfig,
    root: &Path,
    scratch: PathBuf,
) -> Speaker {
    let timeout = Duration::from_secs_f32(config.timeout_seconds.max(1.0));
    let ready = |voice: Box<dyn Voice>| Speaker::Ready(voice);
    match name {
        VoiceName::None | VoiceName::Auto => Speaker::Off,
        VoiceName::Espeak => match Espeak::find(
            &config.espeak.program,
            config.words_per_minute,
            config.espeak.pitch,
            &config.espeak.variant,
            timeout,
        ) {
            Some(voice) => ready(Box::new(voice)),
            None => Speaker::Missing(format!(
                "the espeak voice needs espeak-ng ({}), which is not installed: videos are \
                 silent. Install it (Debian/Ubuntu: `apt-get install espeak-ng`, macOS: `brew \
                 install espeak-ng`, Windows: the espeak-ng installer), or set [narration] \
                 voice = \"none\"",
                config.espeak.program
            )),
        },
        VoiceName::Festival => {
            match Festival::find(&config.festival, config.words_per_minute, timeout, scratch) {
                Ok(voice) => ready(Box::new(voice)),
                Err(e) => Speaker::Missing(format!("the festival voice cannot be used: {e:#}")),
            }
        }
        VoiceName::Piper | VoiceName::Kokoro => {
            let runtime = config.onnxruntime.as_ref().map(|p| root.join(p));
            let espeak = &config.espeak.program;
            let (wpm, runtime) = (config.words_per_minute, runtime.as_deref());
            let loaded = phonemizer(espeak).and_then(|version| -> Result<Box<dyn Voice>> {
                if name == VoiceName::Piper {
                    let mut piper = config.piper.clone();
                    piper.model = piper.model.map(|m| root.join(m));
                    let espeak = (espeak.as_str(), version.as_str());
                    Ok(Box::new(Piper::load(
                        &piper, runtime, espeak, wpm, timeout,
                    )?))
                } else {
                    let mut kokoro = config.kokoro.clone();
                    kokoro.model = kokoro.model.map(|m| root.join(m));
                    kokoro.voices = kokoro.voices.map(|m| root.join(m));
                    kokoro.vocab = kokoro.vocab.map(|m| root.join(m));
                    Ok(Box::new(Kokoro::load(
                        &kokoro, runtime, espeak, wpm, timeout,
                    )?))
                }
            });
            match loaded {
                Ok(voice) => Speaker::Ready(voice),
                Err(e) => {
                    Speaker::Missing(format!("the {} voice cannot be used: {e:#}", name.as_str()))
                }
            }
        }
        VoiceName::Remote => match RemoteVoice::new(&config.remote) {
            Ok(voice) => ready(Box::new(voice)),
            Err(e) => Speaker::Missing(format!("the remote voice cannot be used: {e:#}")),
        },
        VoiceName::Command => match CommandVoice::find(&config.command, timeout, scratch) {
            Some(voice) => ready(Box::new(voice)),
            None => Speaker::Missing(format!(
                "the command voice `{}` cannot be run (not found): videos are silent; set \
                 [narration] command = [\"program\", \"{{text}}\", \"{{wav}}\"]",
                config.command.first().map_or("", String::as_str)
            )),
        },
    }
}

/// The version of espeak-ng, which makes the neural voices' phonemes, when it can be run.
fn phonemizer(program: &str) -> Result<String> {
    espeak::version(program).ok_or_else(|| {
        anyhow::anyhow!(
            "its phonemes come from espeak-ng ({program}), which is not installed \
                 (Debian/Ubuntu: `apt-get install espeak-ng`)"
        )
    })
}

/// One chunk of speech: a caption, where it starts and how long it lasts. Its audio stays in
/// the cache until the track is encoded ([`Narrator::audio`]): a lecture of hours is never
/// held whole.
#[derive(Debug, Clone)]
pub struct Chunk {
    /// The caption (the text as written, before the lexicon).
    pub caption: String,
    /// Start inside its page, in samples at [`RATE`].
    pub offset: usize,
    /// Length, in samples at [`RATE`].
    pub samples: usize,
}

/// What one page of a slide says.
#[derive(Debug, Clone, Default)]
pub struct PageSpeech {
    /// Chunks in order.
    pub chunks: Vec<Chunk>,
    /// When each step of the page appears, in samples from the page's start.
    pub steps: Vec<usize>,
    /// Samples from the page's start to the end of its last chunk plus its share of pauses.
    pub length: usize,
}

/// What one slide says, page by page.
#[derive(Debug, Clone, Default)]
pub struct SlideSpeech {
    /// One per page of the slide.
    pub pages: Vec<PageSpeech>,
    /// Chunks synthesized now (not from the cache).
    pub spoken: usize,
}

impl SlideSpeech {
    /// Whether anything is said.
    pub fn is_silent(&self) -> bool {
        self.pages.iter().all(|p| p.chunks.is_empty())
    }

    /// Samples of the whole slide's speech, pauses included.
    pub fn length(&self) -> usize {
        self.pages.iter().map(|p| p.length).sum()
    }
}

/// What one page of a slide says, and when its steps appear.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PageScript {
    /// Its caption chunks, in order.
    pub captions: Vec<String>,
    /// For each step that appears on the page after it is first shown, the caption it appears
    /// with (`captions.len()`: after the last).
    pub steps: Vec<usize>,
}

/// A step of a page as the script needs it: the first of the page's readings it holds, and
/// its text.
#[derive(Debug, Clone, PartialEq)]
pub struct StepText {
    /// The reading (see [`Reading`]) it starts at.
    pub reading: usize,
    /// What it says.
    pub text: String,
}

/// What a slide gives its script.
#[derive(Debug, Clone, Copy)]
pub struct ToSay<'a> {
    /// Its title (read first when there are no notes).
    pub title: &'a str,
    /// Its speaker notes.
    pub notes: &'a [String],
    /// What each of its pages shows to read.
    pub pages: &'a [Vec<Reading>],
    /// Words on each page (notes are shared out by them).
    pub page_words: &'a [usize],
    /// The steps that appear on each page.
    pub page_steps: &'a [Vec<StepText>],
    /// What the voice reads for each point of prose ([`Reading::Point`]).
    pub said: &'a [String],
}

/// The caption chunks of each page of a slide (see the module documentation), and where each
/// page's steps appear: without notes, with their own text; with notes, at their `[click]`
/// markers, else at the sentence that names them ([`steps::align`]).
pub fn script(slide: &ToSay<'_>, config: &NarrationConfig, lang: &str) -> Vec<PageScript> {
    let ToSay {
        title,
        notes,
        pages,
        page_words,
        page_steps,
        said,
    } = *slide;
    let cues = crate::labels::for_lang(lang);
    let no_steps = Vec::new();
    let steps_of = |p: usize| page_steps.get(p).unwrap_or(&no_steps);
    if !notes.is_empty() {
        let (sentences, clicks) = steps::clicks(notes);
        let shared = share(sentences, page_words, pages.len().max(1));
        // Where each page's sentences start in the notes.
        let firsts: Vec<usize> = shared
            .iter()
            .scan(0, |n, page| {
                let first = *n;
                *n += page.len();
                Some(first)
            })
            .collect();
        let mut step_number = 0;
        return shared
            .into_iter()
            .enumerate()
            .map(|(p, captions)| {
                let first = firsts[p];
                let texts: Vec<String> = steps_of(p).iter().map(|s| s.text.clone()).collect();
                let steps = if clicks.is_empty() {
                    steps::align(&captions, &texts)
                } else {
                    // The slide's n-th step comes with its n-th marker, on this page or
                    // (shared to another page) at this page's start or end.
                    texts
                        .iter()
                        .map(|_| {
                            let click = clicks.get(step_number).copied();
                            step_number += 1;
                            click.map_or(captions.len(), |c| {
                                c.saturating_sub(first).min(captions.len())
                            })
                        })
                        .collect()
                };
                PageScript { captions, steps }
            })
            .collect();
    }
    pages
        .iter()
        .enumerate()
        .map(|(i, readings)| {
            let mut out = Vec::new();
            if i == 0 && !title.trim().is_empty() {
                out.extend(chunks(title));
            }
            // The caption each reading starts at.
            let mut starts = Vec::with_capacity(readings.len());
            for reading in readings {
                starts.push(out.len());
                match reading {
                    Reading::Text(text) => out.extend(chunks(text)),
                    Reading::Point(n) => out.extend(chunks(said.get(*n).map_or("", |s| s))),
                    Reading::Code if config.cues => out.push(cues.code_cue.to_string()),
                    Reading::Table if config.cues => out.push(cues.table_cue.to_string()),
                    Reading::Image(alt) if config.cues && !alt.trim().is_empty() => {
                        out.extend(chunks(alt))
                    }
                    _ => {}
                }
            }
            let steps = steps_of(i)
                .iter()
                .map(|s| starts.get(s.reading).copied().unwrap_or(out.len()))
                .collect();
            PageScript {
                captions: out,
                steps,
            }
        })
        .collect()
}

/// Shares sentences out over `pages` pages in proportion to `page_words` (each page gets at
/// least one word's weight), never splitting a sentence.
fn share(sentences: Vec<String>, page_words: &[usize], pages: usize) -> Vec<Vec<String>> {
    let mut out = vec![Vec::new(); pages];
    if pages == 1 {
        out[0] = sentences;
        return out;
    }
    let weights: Vec<f64> = (0..pages)
        .map(|i| page_words.get(i).copied().unwrap_or(0) as f64 + 1.0)
        .collect();
    let total_weight: f64 = weights.iter().sum();
    let words = |s: &String| s.split_whitespace().count().max(1) as f64;
    let total_words: f64 = sentences.iter().map(words).sum();
    let mut page = 0;
    let mut bound = weights[0] / total_weight * total_words;
    let mut said = 0.0;
    for sentence in sentences {
        let w = words(&sentence);
        // Move on when this sentence's middle falls past the page's share.
        while page + 1 < pages && said + w / 2.0 > bound {
            page += 1;
            bound += weights[page] / total_weight * total_words;
        }
        said += w;
        out[page].push(sentence);
    }
    out
}

/// What can be said aloud of `text`: emoji and symbols the engines would spell out or choke
/// on are dropped (captions keep them).
pub fn sayable(text: &str) -> String {
    text.chars()
        .map(|c| {
            let emoji = matches!(c as u32, 0x1F000..=0x1FAFF | 0x2600..=0x27BF | 0xFE0F | 0x200D);
            if emoji || c.is_control() {
                ' '
            } else {
                c
            }
        })
        .collect::<String>()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

/// Speaks the chunks of each page with `voice`, from the cache when it has them.
pub struct Narrator<'a> {
    /// The voice.
    pub voice: &'a dyn Voice,
    /// The course's lexicon.
    pub lexicon: &'a Lexicon,
    /// The cache.
    pub cache: &'a Cache,
    /// Pauses and cues.
    pub config: &'a NarrationConfig,
}

impl Narrator<'_> {
    /// The audio of one chunk, as the cache keeps it (synthesized again if the cache lost it).
    pub fn audio(&self, caption: &str, lang: &str) -> Result<Pcm> {
        Ok(self.chunk(caption, lang)?.0)
    }

    /// The audio of one chunk: cached by voice, lexicon, language and spoken text, and always
    /// as the cache keeps it (16-bit samples), so a build that speaks it now and one that
    /// finds it cached make the same track. Returns whether it was synthesized now.
    pub fn chunk(&self, caption: &str, lang: &str) -> Result<(Pcm, bool)> {
        let spoken = sayable(&self.lexicon.apply(caption, lang));
        if spoken.is_empty() {
            return Ok((Pcm::default(), false));
        }
        #[derive(Serialize)]
        struct SpeechKey<'a> {
            voice: &'a str,
            lang: &'a str,
            text: &'a str,
        }
        let id = self.voice.id();
        let key = key_of(
            "speech",
            1,
            &SpeechKey {
                voice: &id,
                lang,
                text: &spoken,
            },
        );
        if let Some(bytes) = self.cache.get("speech", &key) {
            return Ok((Pcm::from_bytes(&bytes), false));
        }
        // Keep a little of the engine's own silence: words do not start or end abruptly.
        let pcm = self
            .voice
            .speak(&spoken, lang)
            .with_context(|| format!("{} speaking \"{caption}\"", self.voice.engine()))?
            .trim(RATE as usize / 50);
        let bytes = pcm.to_bytes();
        self.cache.put("speech", &key, &bytes);
        Ok((Pcm::from_bytes(&bytes), true))
    }

    /// Speaks a slide's pages: lead-in before the first chunk, a pause between chunks, the
    /// tail after the last; each page's length covers its own chunks.
    /// `spoken(caption)` is called for each chunk synthesized now.
    pub fn slide(
        &self,
        pages: &[PageScript],
        lang: &str,
        spoken: &dyn Fn(&str),
    ) -> Result<SlideSpeech> {
        let samples = |s: f32| (s.max(0.0) * RATE as f32).round() as usize;
        let (lead, pause, tail) = (
            samples(self.config.lead_in_seconds),
            samples(self.config.pause_seconds),
            samples(self.config.tail_seconds),
        );
        let mut speech = SlideSpeech::default();
        let last_page_with_speech = pages.iter().rposition(|p| !p.captions.is_empty());
        let mut started = false;
        for (i, script) in pages.iter().enumerate() {
            let mut page = PageSpeech::default();
            let mut at = 0;
            // Where each caption starts (a silent one: where it would).
            let mut starts = Vec::with_capacity(script.captions.len());
            for caption in &script.captions {
                let (pcm, now) = self.chunk(caption, lang)?;
                if now {
                    speech.spoken += 1;
                    spoken(caption);
                }
                if pcm.samples.is_empty() {
                    starts.push(at);
                    continue;
                }
                at += if started { pause } else { lead };
                starts.push(at);
                started = true;
                let len = pcm.samples.len();
                page.chunks.push(Chunk {
                    caption: caption.clone(),
                    offset: at,
                    samples: len,
                });
                at += len;
            }
            // A step after the last caption appears when the speech has ended.
            page.steps = script
                .steps
                .iter()
                .map(|&c| starts.get(c).copied().unwrap_or(at))
                .collect();
            if Some(i) == last_page_with_speech {
                at += tail;
            }
            page.length = at;
            speech.pages.push(page);
        }
        Ok(speech)
    }
}
