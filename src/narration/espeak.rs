//! The `espeak` voice: espeak-ng, run as a separate program (it is GPL-3: lecturegen never
//! links it). One call per caption chunk, text on stdin, a WAV on stdout.

use std::time::Duration;

use anyhow::{bail, Result};

use super::run::{run, Outcome};
use super::wav::{self, Pcm};
use super::Voice;

/// espeak-ng with its settings.
#[derive(Debug, Clone)]
pub struct Espeak {
    program: String,
    version: String,
    words_per_minute: u32,
    pitch: u8,
    variant: String,
    timeout: Duration,
}

/// The version `program` (espeak-ng) prints (`1.51`; `unknown` when it prints none), or `None`
/// when it cannot be run.
pub fn version(program: &str) -> Option<String> {
    let out = std::process::Command::new(program)
        .arg("--version")
        .stdin(std::process::Stdio::null())
        .output()
        .ok()?;
    let version = String::from_utf8_lossy(&out.stdout)
        .split_whitespace()
        .find(|w| w.chars().next().is_some_and(|c| c.is_ascii_digit()))
        .unwrap_or("unknown")
        .to_string();
    Some(version)
}

impl Espeak {
    /// Finds `program` and reads its version; `None` when it cannot be run.
    pub fn find(
        program: &str,
        words_per_minute: u32,
        pitch: u8,
        variant: &str,
        timeout: Duration,
    ) -> Option<Self> {
        Some(Self {
            program: program.to_string(),
            version: version(program)?,
            words_per_minute: words_per_minute.clamp(80, 450),
            pitch: pitch.min(99),
            variant: variant.to_string(),
            timeout,
        })
    }

    fn voice(&self, lang: &str) -> String {
        let lang = lang.to_ascii_lowercase().replace('_', "-");
        if self.variant.is_empty() {
            lang
        } else {
            format!("{lang}+{}", self.variant)
        }
    }

    fn say(&self, voice: &str, text: &str) -> Result<Outcome> {
        let args = [
            "-v".to_string(),
            voice.to_string(),
            "-s".to_string(),
            self.words_per_minute.to_string(),
            "-p".to_string(),
            self.pitch.to_string(),
            "-b".to_string(),
            "1".to_string(),
            "--stdin".to_string(),
            "--stdout".to_string(),
        ];
        run(&self.program, &args, Some(text.as_bytes()), self.timeout)
    }
}

impl Voice for Espeak {
    fn id(&self) -> String {
        format!(
            "espeak-ng/{}/wpm{}/pitch{}/{}",
            self.version, self.words_per_minute, self.pitch, self.variant
        )
    }

    fn engine(&self) -> &str {
        "espeak-ng"
    }

    fn speak(&self, text: &str, lang: &str) -> Result<Pcm> {
        // The full tag first (en-gb), then its language (en): espeak-ng names voices either way.
        let primary = lang.split(['-', '_']).next().unwrap_or(lang);
        let mut tried = Vec::new();
        for tag in [lang, primary] {
            if tried.contains(&tag) {
                continue;
            }
            tried.push(tag);
            match self.say(&self.voice(tag), text)? {
                Outcome::Done(stdout) if !stdout.is_empty() => return wav::parse(&stdout),
                Outcome::Done(_) | Outcome::Failed(_) => continue,
            }
        }
        bail!("espeak-ng has no voice for language `{lang}` (see `espeak-ng --voices`)")
    }
}
