//! The `piper` voice: a Piper (VITS) voice model run in process by ONNX Runtime, loaded at run
//! time ([`super::onnx`]); its phonemes come from the espeak-ng program ([`super::phonemes`]).
//!
//! As Piper's own runtime does: each clause's punctuation follows its phonemes (the model was
//! trained with it and phrases by it), each sentence is one call of the model (`^` first, `$`
//! last, `_` after every phoneme), and the audio is scaled to full range.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::Duration;

use anyhow::{bail, Context, Result};
use ort::session::Session;
use ort::value::Tensor;
use serde::Deserialize;

use super::phonemes;
use super::wav::{self, Pcm};
use super::Voice;
use crate::config::PiperConfig;

/// What the voice's `.onnx.json` says (the parts used).
#[derive(Debug, Deserialize)]
struct VoiceFile {
    audio: Audio,
    espeak: EspeakVoice,
    #[serde(default)]
    inference: Inference,
    #[serde(default)]
    num_speakers: u32,
    #[serde(default)]
    speaker_id_map: HashMap<String, i64>,
    phoneme_id_map: HashMap<String, Vec<i64>>,
    #[serde(default)]
    phoneme_type: Option<String>,
    #[serde(default)]
    language: Option<Language>,
}

#[derive(Debug, Deserialize)]
struct Audio {
    sample_rate: u32,
}

#[derive(Debug, Deserialize)]
struct EspeakVoice {
    voice: String,
}

#[derive(Debug, Deserialize)]
#[serde(default)]
struct Inference {
    noise_scale: f32,
    length_scale: f32,
    noise_w: f32,
}

impl Default for Inference {
    fn default() -> Self {
        Self {
            noise_scale: 0.667,
            length_scale: 1.0,
            noise_w: 0.8,
        }
    }
}

#[derive(Debug, Deserialize)]
struct Language {
    code: String,
}

/// A Piper voice, loaded.
pub struct Piper {
    model: PathBuf,
    /// Digest of the model file and its `.onnx.json`: part of the voice's id.
    digest: String,
    espeak: String,
    espeak_voice: String,
    language: String,
    ids: HashMap<String, Vec<i64>>,
    sample_rate: u32,
    speaker: Option<i64>,
    scales: [f32; 3],
    timeout: Duration,
    session: Mutex<Session>,
    /// English phonemes from an espeak-ng older than 1.52, the one Piper's voices learnt from:
    /// rewritten as 1.52 writes them ([`phonemes::english_as_1_52`]).
    english_1_51: bool,
}

impl Piper {
    /// Loads the voice of `config` with ONNX Runtime (the library `runtime` names, else where
    /// [`super::onnx::find`] looks); the error says what is missing.
    pub fn load(
        config: &PiperConfig,
        runtime: Option<&Path>,
        (espeak, espeak_version): (&str, &str),
        words_per_minute: u32,
        timeout: Duration,
    ) -> Result<Self> {
        let model = config
            .model
            .clone()
            .context("[narration.piper] model is not set (a Piper voice's .onnx file)")?;
        if !model.is_file() {
            bail!("the Piper voice {} is not there", model.display());
        }
        let json_path = PathBuf::from(format!("{}.json", model.display()));
        let json = std::fs::read_to_string(&json_path).with_context(|| {
            format!(
                "the Piper voice's {} is missing (it comes with the .onnx file)",
                json_path.display()
            )
        })?;
        let file: VoiceFile = serde_json::from_str(&json)
            .with_context(|| format!("reading {}", json_path.display()))?;
        if let Some(kind) = file.phoneme_type.as_deref().filter(|k| *k != "espeak") {
            bail!(
                "{}: phoneme_type `{kind}`: only espeak phonemes are read (Piper's Chinese, \
                 Hebrew, Japanese and Thai voices need Piper's own runtime)",
                json_path.display()
            );
        }
        let speaker = match &config.speaker {
            None if file.num_speakers > 1 => Some(0),
            None => None,
            Some(name) => Some(match name.parse::<i64>() {
                Ok(n) => n,
                Err(_) => *file
                    .speaker_id_map
                    .get(name)
                    .with_context(|| format!("{}: no speaker `{name}`", json_path.display()))?,
            }),
        };
        let pace = OWN_PACE_WPM / words_per_minute.max(1) as f32;
        let scales = [
            config.noise_scale.unwrap_or(file.inference.noise_scale),
            config
                .length_scale
                .unwrap_or(file.inference.length_scale * pace),
            config.noise_w.unwrap_or(file.inference.noise_w),
        ];
        let session = super::onnx::session(&super::onnx::find(runtime)?, &model)?;
        let digest = crate::media::digest(&model)
            .map(|d| format!("{d}-{}", crate::cache::digest(json.as_bytes())))
            .unwrap_or_default();
        let language = file
            .language
            .map(|l| l.code.replace('_', "-"))
            .unwrap_or_else(|| file.espeak.voice.clone());
        let english_1_51 = file.espeak.voice.starts_with("en")
            && phonemes::release(espeak_version).is_some_and(|v| v < (1, 52));
        Ok(Self {
            english_1_51,
            model,
            digest,
            espeak: espeak.to_string(),
            espeak_voice: file.espeak.voice,
            language,
            ids: file.phoneme_id_map,
            sample_rate: file.audio.sample_rate,
            speaker,
            scales,
            timeout,
            session: Mutex::new(session),
        })
    }

    /// The language the voice speaks (a BCP 47 tag).
    pub fn language(&self) -> &str {
        &self.language
    }

    /// The phonemes of each sentence of `text`, as Piper's runtime makes them: a clause's
    /// mark after its phonemes, a space after `,` `:` `;`, a sentence per model call.
    fn phonemes(&self, text: &str) -> Result<Vec<String>> {
        let mut sentences = Vec::new();
        let mut sentence = String::new();
        for (ipa, end) in phonemes::clauses(&self.espeak, &self.espeak_voice, text, self.timeout)? {
            if self.english_1_51 {
                sentence.push_str(&phonemes::english_as_1_52(&ipa));
            } else {
                sentence.push_str(&ipa);
            }
            match end {
                Some(end @ (',' | ':' | ';')) => {
                    sentence.push(end);
                    sentence.push(' ');
                }
                Some(end) => {
                    sentence.push(end);
                    sentences.push(std::mem::take(&mut sentence));
                }
                None => {}
            }
        }
        // As Piper's runtime: a text ending without a full stop keeps what follows its last mark.
        if !sentence.trim().is_empty() {
            sentences.push(sentence);
        }
        Ok(sentences)
    }

    /// The model's input for one sentence's phonemes.
    fn ids(&self, phonemes: &str) -> Vec<i64> {
        let id = |s: &str| self.ids.get(s).cloned().unwrap_or_default();
        let pad = id("_");
        let mut out = id("^");
        out.extend(&pad);
        for c in phonemes.chars() {
            let mut buf = [0; 4];
            if let Some(ids) = self.ids.get(&*c.encode_utf8(&mut buf)) {
                out.extend(ids);
                out.extend(&pad);
            }
        }
        out.extend(id("$"));
        out
    }

    fn synthesize(&self, ids: Vec<i64>) -> Result<Vec<f32>> {
        let n = ids.len();
        let input = Tensor::from_array(([1usize, n], ids))?;
        let lengths = Tensor::from_array(([1usize], vec![n as i64]))?;
        let scales = Tensor::from_array(([3usize], self.scales.to_vec()))?;
        let mut session = self
            .session
            .lock()
            .map_err(|_| anyhow::anyhow!("the Piper voice failed earlier"))?;
        let outputs = match self.speaker {
            Some(sid) => {
                let sid = Tensor::from_array(([1usize], vec![sid]))?;
                session.run(ort::inputs![
                    "input" => input, "input_lengths" => lengths, "scales" => scales, "sid" => sid
                ])?
            }
            None => session.run(ort::inputs![
                "input" => input, "input_lengths" => lengths, "scales" => scales
            ])?,
        };
        let (_, audio) = outputs[0].try_extract_tensor::<f32>()?;
        Ok(audio.to_vec())
    }
}

/// The pace, in words a minute, at which a Piper voice speaks as recorded.
const OWN_PACE_WPM: f32 = 165.0;

impl Voice for Piper {
    fn id(&self) -> String {
        format!(
            "piper/{}/{}/speaker{:?}/scales{:?}/as1.52-{}",
            self.model
                .file_name()
                .map_or_else(String::new, |n| n.to_string_lossy().into_owned()),
            self.digest,
            self.speaker,
            self.scales,
            self.english_1_51
        )
    }

    fn engine(&self) -> &str {
        "piper"
    }

    fn name(&self) -> String {
        format!(
            "piper {}",
            self.model
                .file_stem()
                .map_or_else(String::new, |n| n.to_string_lossy().into_owned())
        )
    }

    fn speaks(&self, lang: &str) -> bool {
        super::speaks_one_of(std::slice::from_ref(&self.language), lang)
    }

    fn speak(&self, text: &str, lang: &str) -> Result<Pcm> {
        if !self.speaks(lang) {
            bail!("the Piper voice speaks {}, not `{lang}`", self.language);
        }
        let mut audio = Vec::new();
        for sentence in self.phonemes(text)? {
            let mut samples = self.synthesize(self.ids(&sentence))?;
            let peak = samples.iter().fold(0f32, |m, s| m.max(s.abs()));
            if peak > 1e-6 {
                samples
                    .iter_mut()
                    .for_each(|s| *s = (*s / peak).clamp(-1.0, 1.0));
            }
            audio.extend(samples);
        }
        Ok(wav::from_f32(&audio, self.sample_rate))
    }
}
