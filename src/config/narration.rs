//! `[narration]`: the voice that reads the notes, and the settings of each engine.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use super::RemoteVoiceConfig;

/// `[narration]`
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct NarrationConfig {
    /// Voice: "auto" (the default: per lecture language, a configured Piper or Kokoro voice,
    /// else Festival for English, else espeak-ng), "festival", "piper", "kokoro", "espeak",
    /// "command" (any
    /// program that writes a WAV, see `command`), "remote" or "none" (silent videos).
    pub voice: VoiceName,
    /// ONNX Runtime's library (or a folder holding it) for the `piper` and `kokoro` voices.
    /// Default:
    /// `ORT_DYLIB_PATH`, else the `onnxruntime` Python package's.
    pub onnxruntime: Option<PathBuf>,
    /// Speaking rate in words per minute (separate from `[timing]`'s reading rate).
    /// Default: 165.
    pub words_per_minute: u32,
    /// Silence before a slide's first sentence, seconds. Default: 0.6.
    pub lead_in_seconds: f32,
    /// Silence between sentences, seconds. Default: 0.35.
    pub pause_seconds: f32,
    /// Silence after a slide's last sentence, seconds. Default: 0.9.
    pub tail_seconds: f32,
    /// On slides without notes, say a short cue for code blocks and tables and read pictures'
    /// alt text ("Here is some code."). Default: true; false says nothing for them.
    pub cues: bool,
    /// AAC bit rate of the speech track, kbit/s (32 to 128). Default: 64.
    pub bitrate_kbps: u32,
    /// Longest a voice may take to say one sentence before it is stopped, seconds.
    /// Default: 30.
    pub timeout_seconds: f32,
    /// The `espeak` voice.
    pub espeak: EspeakConfig,
    /// The `festival` voice.
    pub festival: FestivalConfig,
    /// The `piper` voice.
    pub piper: PiperConfig,
    /// The `kokoro` voice.
    pub kokoro: KokoroConfig,
    /// The `remote` voice.
    pub remote: RemoteVoiceConfig,
    /// The `command` voice: program and arguments; `{text}` is a file with the text (else it
    /// goes to stdin), `{wav}` the WAV to write (else it is read from stdout), `{lang}` the
    /// lecture's language. Example: ["piper", "--model", "voice.onnx", "--output_file",
    /// "{wav}"].
    pub command: Vec<String>,
}

impl Default for NarrationConfig {
    fn default() -> Self {
        Self {
            voice: VoiceName::Auto,
            onnxruntime: None,
            words_per_minute: 165,
            lead_in_seconds: 0.6,
            pause_seconds: 0.35,
            tail_seconds: 0.9,
            cues: true,
            bitrate_kbps: 64,
            timeout_seconds: 30.0,
            espeak: EspeakConfig::default(),
            festival: FestivalConfig::default(),
            piper: PiperConfig::default(),
            kokoro: KokoroConfig::default(),
            remote: RemoteVoiceConfig::default(),
            command: Vec::new(),
        }
    }
}

/// `[narration.espeak]`
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct EspeakConfig {
    /// The program. Default: "espeak-ng".
    pub program: String,
    /// Voice variant (`espeak-ng --voices=variant`), e.g. "f3", "m2". Default: none.
    pub variant: String,
    /// Pitch, 0 to 99. Default: 50.
    pub pitch: u8,
}

impl Default for EspeakConfig {
    fn default() -> Self {
        Self {
            program: "espeak-ng".into(),
            variant: String::new(),
            pitch: 50,
        }
    }
}

/// `[narration.festival]`
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct FestivalConfig {
    /// The program. Default: "festival".
    pub program: String,
    /// The voice (`voice_NAME` in Festival). Default: "cmu_us_slt_arctic_hts" (Debian's
    /// `festvox-us-slt-hts`).
    pub voice: String,
    /// Languages the voice speaks (BCP 47; "en" covers en-US, en-GB...). Default: ["en"].
    pub languages: Vec<String>,
}

impl Default for FestivalConfig {
    fn default() -> Self {
        Self {
            program: "festival".into(),
            voice: "cmu_us_slt_arctic_hts".into(),
            languages: vec!["en".into()],
        }
    }
}

/// `[narration.piper]`
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct PiperConfig {
    /// The voice's `.onnx` file (its `.onnx.json` beside it), relative to the course root.
    pub model: Option<PathBuf>,
    /// Speaker of a voice with several: a number or a name of its `speaker_id_map`.
    pub speaker: Option<String>,
    /// Speaking time stretch. Default: the voice's own, scaled by `words_per_minute`.
    pub length_scale: Option<f32>,
    /// Voice variation. Default: the voice's own.
    pub noise_scale: Option<f32>,
    /// Timing variation. Default: the voice's own.
    pub noise_w: Option<f32>,
}

/// `[narration.kokoro]`
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct KokoroConfig {
    /// Kokoro-82M's `.onnx` file, relative to the course root.
    pub model: Option<PathBuf>,
    /// The voice vectors (`.npz`, or kokoro-onnx's `voices-v1.0.bin`).
    pub voices: Option<PathBuf>,
    /// The voice in it. Default: "af_heart".
    pub voice: String,
    /// The language it speaks, and espeak-ng's language for its phonemes. Default: "en-us".
    pub language: String,
    /// The model's symbol table (`vocab.json` or a `config.json` with `vocab`). Default: one
    /// of those beside the model.
    pub vocab: Option<PathBuf>,
    /// Speed, on top of `words_per_minute`. Default: 1.
    pub speed: f32,
}

impl Default for KokoroConfig {
    fn default() -> Self {
        Self {
            model: None,
            voices: None,
            voice: "af_heart".into(),
            language: "en-us".into(),
            vocab: None,
            speed: 1.0,
        }
    }
}

/// A voice, by the name `lecturegen.toml`, front matter and `--voice` use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum VoiceName {
    /// The best voice installed for each lecture's language.
    #[default]
    Auto,
    /// Festival with an HTS voice, run as long-lived separate programs.
    Festival,
    /// A Piper voice model, run in process by ONNX Runtime.
    Piper,
    /// Kokoro-82M and a voice vector, run in process by ONNX Runtime.
    Kokoro,
    /// espeak-ng, run as a separate program.
    Espeak,
    /// Any program given in `[narration] command`.
    Command,
    /// No narration: silent videos.
    None,
    /// An OpenAI-style speech server (`[narration.remote]`).
    Remote,
}

impl VoiceName {
    /// The name as `lecturegen.toml` writes it.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Auto => "auto",
            Self::Festival => "festival",
            Self::Piper => "piper",
            Self::Kokoro => "kokoro",
            Self::Espeak => "espeak",
            Self::Command => "command",
            Self::None => "none",
            Self::Remote => "remote",
        }
    }
}

impl std::str::FromStr for VoiceName {
    type Err = String;

    fn from_str(name: &str) -> Result<Self, String> {
        match name {
            "auto" => Ok(Self::Auto),
            "festival" => Ok(Self::Festival),
            "piper" => Ok(Self::Piper),
            "kokoro" => Ok(Self::Kokoro),
            "espeak" => Ok(Self::Espeak),
            "command" => Ok(Self::Command),
            "none" => Ok(Self::None),
            "remote" => Ok(Self::Remote),
            _ => Err(format!(
                "unknown voice `{name}`; available: auto, festival, piper, kokoro, espeak, \
                 command, remote, none"
            )),
        }
    }
}
