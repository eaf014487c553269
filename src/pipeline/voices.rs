//! The voices a workspace keeps between builds: each engine set up when a lecture first asks
//! for it (finding espeak-ng runs it), the course's pronunciation lexicon, and the threads that
//! speak beside the drawing.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use anyhow::{Context, Result};

use crate::config::{NarrationConfig, VoiceName};
use crate::content::Lecture;
use crate::narration::{self, Lexicon, Speaker};

pub(super) struct Voices {
    /// The voices by name, each set up on first use.
    speakers: [(VoiceName, OnceLock<Speaker>); 4],
    pub(super) lexicon: Lexicon,
    /// Digest of the lexicon file's text (empty without one): part of every lecture's key.
    pub(super) lexicon_digest: String,
    /// Threads that run the voice, beside the global pool's drawing threads.
    pool: OnceLock<rayon::ThreadPool>,
    /// Where command voices keep their temporary files.
    scratch: PathBuf,
}

impl Voices {
    /// The voices of a course at `root`, with `scratch` for command voices' files.
    pub(super) fn load(root: &Path, scratch: PathBuf) -> Result<Self> {
        let speakers = [
            VoiceName::Espeak,
            VoiceName::Command,
            VoiceName::Remote,
            VoiceName::None,
        ]
        .map(|name| (name, OnceLock::new()));
        let (lexicon, lexicon_digest) = load_lexicon(root)?;
        Ok(Self {
            speakers,
            lexicon,
            lexicon_digest,
            pool: OnceLock::new(),
            scratch,
        })
    }

    /// The voice a lecture speaks with (`None`: silent, already warned about if missing).
    pub(super) fn of(
        &self,
        lecture: &Lecture,
        config: &NarrationConfig,
        warn: &dyn Fn(&str),
    ) -> Option<&dyn narration::Voice> {
        if !lecture.meta.narration {
            return None;
        }
        let name = lecture.meta.voice.unwrap_or(config.voice);
        let speaker = self
            .speakers
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, s)| s.get_or_init(|| narration::speaker(name, config, self.scratch.clone())));
        match speaker {
            Some(Speaker::Ready(voice)) => Some(voice.as_ref()),
            Some(Speaker::Missing(message)) => {
                warn(message);
                None
            }
            _ => None,
        }
    }

    /// The threads that speak: one per core (each speech engine is a single-threaded process
    /// that the operating system runs beside the drawing), made when first needed.
    pub(super) fn pool(&self) -> &rayon::ThreadPool {
        self.pool.get_or_init(|| {
            let threads = std::thread::available_parallelism().map_or(2, |n| n.get());
            rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .thread_name(|i| format!("voice-{i}"))
                .build()
                // As rayon's own global pool does when the system has no threads to give.
                .unwrap_or_else(|e| panic!("cannot start the voice's threads: {e}"))
        })
    }
}

/// Reads `lexicon.toml` of the course, if there is one, with the digest of its text.
fn load_lexicon(root: &Path) -> Result<(Lexicon, String)> {
    let path = root.join(narration::lexicon::FILE_NAME);
    match std::fs::read_to_string(&path) {
        Ok(text) => Ok((
            Lexicon::parse(narration::lexicon::FILE_NAME, &text)?,
            crate::cache::digest(text.as_bytes()),
        )),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            Ok((Lexicon::default(), String::new()))
        }
        Err(e) => Err(e).with_context(|| format!("reading {}", path.display())),
    }
}
