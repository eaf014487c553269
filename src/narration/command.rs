//! The `command` voice: any program that speaks, given as an argument template in
//! `lecturegen.toml` (piper, festival's `text2wave`, macOS `say`...).
//!
//! Placeholders: `{text}` a file holding the text (else the text goes to stdin), `{wav}` the
//! WAV file to write (else the WAV is read from stdout), `{lang}` the lecture's language tag.

use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use anyhow::{bail, Context, Result};

use super::run::{run, Outcome};
use super::wav::{self, Pcm};
use super::Voice;

/// A speech program and its arguments.
#[derive(Debug, Clone)]
pub struct CommandVoice {
    argv: Vec<String>,
    timeout: Duration,
    scratch: PathBuf,
}

impl CommandVoice {
    /// The voice of `argv` (program first), or `None` when the program cannot be found.
    pub fn find(argv: &[String], timeout: Duration, scratch: PathBuf) -> Option<Self> {
        let program = argv.first()?;
        let found = if program.contains(std::path::MAIN_SEPARATOR) {
            std::path::Path::new(program).is_file()
        } else {
            std::env::var_os("PATH")
                .is_some_and(|path| std::env::split_paths(&path).any(|d| d.join(program).is_file()))
        };
        found.then(|| Self {
            argv: argv.to_vec(),
            timeout,
            scratch,
        })
    }
}

impl Voice for CommandVoice {
    fn id(&self) -> String {
        format!("command/{}", self.argv.join("\u{1f}"))
    }

    fn engine(&self) -> &str {
        self.argv.first().map_or("", String::as_str)
    }

    fn speak(&self, text: &str, lang: &str) -> Result<Pcm> {
        static COUNTER: AtomicU64 = AtomicU64::new(0);
        std::fs::create_dir_all(&self.scratch)
            .with_context(|| format!("creating {}", self.scratch.display()))?;
        let n = COUNTER.fetch_add(1, Ordering::Relaxed);
        let stem = self
            .scratch
            .join(format!("speech-{}-{n}", std::process::id()));
        let text_file = stem.with_extension("txt");
        let wav_file = stem.with_extension("wav");
        let uses = |p: &str| self.argv.iter().any(|a| a.contains(p));
        let (to_file, from_file) = (uses("{text}"), uses("{wav}"));
        if to_file {
            std::fs::write(&text_file, text)
                .with_context(|| format!("writing {}", text_file.display()))?;
        }
        let args: Vec<String> = self.argv[1..]
            .iter()
            .map(|a| {
                a.replace("{text}", &text_file.to_string_lossy())
                    .replace("{wav}", &wav_file.to_string_lossy())
                    .replace("{lang}", lang)
            })
            .collect();
        let outcome = run(
            &self.argv[0],
            &args,
            (!to_file).then_some(text.as_bytes()),
            self.timeout,
        );
        let result = (|| match outcome? {
            Outcome::Done(stdout) => {
                let bytes = if from_file {
                    std::fs::read(&wav_file).with_context(|| {
                        format!("{} wrote no {}", self.argv[0], wav_file.display())
                    })?
                } else {
                    stdout
                };
                wav::parse(&bytes).with_context(|| format!("reading what {} wrote", self.argv[0]))
            }
            Outcome::Failed(message) => bail!("{} failed: {message}", self.argv[0]),
        })();
        let _ = std::fs::remove_file(&text_file);
        let _ = std::fs::remove_file(&wav_file);
        result
    }
}
