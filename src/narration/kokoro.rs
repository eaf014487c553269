//! The `kokoro` voice: Kokoro-82M (an ONNX export, such as kokoro-onnx's `kokoro-v1.0.onnx` or
//! its int8 form) and a file of voice vectors (`.npz`, or kokoro-onnx's `voices-v1.0.bin`,
//! which is one), run in process by ONNX Runtime ([`super::onnx`]).
//!
//! The model reads phoneme symbols of its vocabulary (a `vocab.json` or `config.json` with a
//! `vocab` table, beside the model or named): espeak-ng's IPA of each clause with its mark
//! ([`super::phonemes`]), symbols outside the vocabulary dropped, `0` before and after. The
//! style is the voice's row for that many symbols; speed follows `words_per_minute`.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::Duration;

use anyhow::{bail, Context, Result};
use ort::session::Session;
use ort::value::Tensor;

use super::phonemes;
use super::wav::{self, Pcm};
use super::Voice;
use crate::config::KokoroConfig;

/// Kokoro's output rate.
const SAMPLE_RATE: u32 = 24_000;
/// Most symbols one call takes (the voices have a style row per length up to it).
const MAX_SYMBOLS: usize = 510;

/// Kokoro with one voice, loaded.
pub struct Kokoro {
    model: PathBuf,
    digest: String,
    espeak: String,
    language: String,
    voice: String,
    vocab: HashMap<char, i64>,
    /// One style vector (256 values) per symbol count.
    styles: Vec<Vec<f32>>,
    speed: f32,
    timeout: Duration,
    session: Mutex<Session>,
}

impl Kokoro {
    /// Loads the model and voice of `config`; the error says what is missing.
    pub fn load(
        config: &KokoroConfig,
        runtime: Option<&Path>,
        espeak: &str,
        words_per_minute: u32,
        timeout: Duration,
    ) -> Result<Self> {
        let model = config
            .model
            .clone()
            .context("[narration.kokoro] model is not set (Kokoro-82M's .onnx file)")?;
        if !model.is_file() {
            bail!("the Kokoro model {} is not there", model.display());
        }
        let voices = config
            .voices
            .clone()
            .context("[narration.kokoro] voices is not set (a file of voice vectors, .npz)")?;
        if !voices.is_file() {
            bail!("the Kokoro voices {} are not there", voices.display());
        }
        let folder = model.parent().unwrap_or(Path::new("."));
        let vocab_path = match &config.vocab {
            Some(path) => path.clone(),
            None => ["vocab.json", "config.json"]
                .map(|n| folder.join(n))
                .into_iter()
                .find(|p| p.is_file())
                .with_context(|| {
                    format!(
                        "Kokoro's vocabulary is missing: no vocab.json or config.json beside {} \
                         (set [narration.kokoro] vocab)",
                        model.display()
                    )
                })?,
        };
        let vocab_text = std::fs::read_to_string(&vocab_path)
            .with_context(|| format!("reading {}", vocab_path.display()))?;
        let vocab = read_vocab(&vocab_text)
            .with_context(|| format!("{}: no `vocab` table of symbols", vocab_path.display()))?;
        let styles = read_voice(&voices, &config.voice)?;
        let session = super::onnx::session(&super::onnx::find(runtime)?, &model)?;
        let digest = [&model, &voices]
            .iter()
            .map(|p| crate::media::digest(p).unwrap_or_default())
            .collect::<Vec<_>>()
            .join("-");
        Ok(Self {
            model,
            digest,
            espeak: espeak.to_string(),
            language: config.language.clone(),
            voice: config.voice.clone(),
            vocab,
            styles,
            speed: (words_per_minute as f32 / 165.0).clamp(0.5, 2.0) * config.speed,
            timeout,
            session: Mutex::new(session),
        })
    }

    fn synthesize(&self, symbols: &[i64]) -> Result<Vec<f32>> {
        let Some(style) = self
            .styles
            .get(symbols.len().clamp(1, self.styles.len()) - 1)
        else {
            bail!("the Kokoro voice `{}` has no styles", self.voice);
        };
        let mut tokens = Vec::with_capacity(symbols.len() + 2);
        tokens.push(0);
        tokens.extend_from_slice(symbols);
        tokens.push(0);
        let n = tokens.len();
        let tokens = Tensor::from_array(([1usize, n], tokens))?;
        let style = Tensor::from_array(([1usize, style.len()], style.clone()))?;
        let speed = Tensor::from_array(([1usize], vec![self.speed]))?;
        let mut session = self
            .session
            .lock()
            .map_err(|_| anyhow::anyhow!("the Kokoro voice failed earlier"))?;
        let outputs =
            session.run(ort::inputs!["tokens" => tokens, "style" => style, "speed" => speed])?;
        let (_, audio) = outputs[0].try_extract_tensor::<f32>()?;
        Ok(audio.to_vec())
    }
}

/// The symbol table of a `vocab.json`/`config.json`: `{"vocab": {"a": 43, ...}}`.
fn read_vocab(text: &str) -> Option<HashMap<char, i64>> {
    let json: serde_json::Value = serde_json::from_str(text).ok()?;
    let table = json.get("vocab")?.as_object()?;
    let vocab: HashMap<char, i64> = table
        .iter()
        .filter_map(|(k, v)| {
            let mut chars = k.chars();
            match (chars.next(), chars.next(), v.as_i64()) {
                (Some(c), None, Some(id)) => Some((c, id)),
                _ => None,
            }
        })
        .collect();
    (!vocab.is_empty()).then_some(vocab)
}

/// The style rows of `voice` in a `.npz` of voices (arrays of shape [510, 1, 256]).
fn read_voice(file: &Path, voice: &str) -> Result<Vec<Vec<f32>>> {
    let arrays = candle_core::npy::NpzTensors::new(file)
        .with_context(|| format!("reading the Kokoro voices {}", file.display()))?;
    let names = arrays.names();
    let Some(array) = arrays
        .get(voice)
        .with_context(|| format!("reading `{voice}` in {}", file.display()))?
    else {
        let mut names = names;
        names.sort();
        bail!(
            "{} has no voice `{voice}` (it has: {})",
            file.display(),
            names
                .iter()
                .map(|n| n.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        );
    };
    let width = *array.dims().last().unwrap_or(&0);
    if width == 0 {
        bail!("{}: the voice `{voice}` is empty", file.display());
    }
    let values = array
        .to_dtype(candle_core::DType::F32)
        .and_then(|a| a.flatten_all())
        .and_then(|a| a.to_vec1::<f32>())
        .with_context(|| format!("{}: the voice `{voice}`", file.display()))?;
    Ok(values
        .chunks(width)
        .take(MAX_SYMBOLS)
        .map(<[f32]>::to_vec)
        .collect())
}

impl Voice for Kokoro {
    fn id(&self) -> String {
        format!(
            "kokoro/{}/{}/{}/speed{:.3}",
            self.digest, self.voice, self.language, self.speed
        )
    }

    fn engine(&self) -> &str {
        "kokoro"
    }

    fn name(&self) -> String {
        format!(
            "kokoro {} ({})",
            self.voice,
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
            bail!("the Kokoro voice speaks {}, not `{lang}`", self.language);
        }
        let mut ipa = String::new();
        for (clause, end) in phonemes::clauses(&self.espeak, &self.language, text, self.timeout)? {
            if !ipa.is_empty() {
                ipa.push(' ');
            }
            ipa.push_str(&clause);
            ipa.extend(end);
        }
        let symbols: Vec<i64> = ipa
            .chars()
            .filter_map(|c| self.vocab.get(&c))
            .copied()
            .collect();
        let mut audio = Vec::new();
        // A chunk is at most two caption lines: one call, unless a language's IPA runs long.
        for part in symbols.chunks(MAX_SYMBOLS) {
            audio.extend(self.synthesize(part)?);
        }
        Ok(wav::from_f32(&audio, SAMPLE_RATE))
    }
}
