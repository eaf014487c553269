//! The voices a workspace keeps between builds: each engine set up when a lecture first asks
//! for it (finding espeak-ng runs it), the course's pronunciation lexicon, and the threads that
//! speak beside the drawing.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use anyhow::{bail, Context, Result};

use crate::config::{NarrationConfig, VoiceName};
use crate::content::Lecture;
use crate::narration::{self, Lexicon, Speaker};

pub(super) struct Voices {
    /// The voices by name, each set up on first use.
    speakers: [(VoiceName, OnceLock<Speaker>); 7],
    pub(super) lexicon: Lexicon,
    /// Digest of the lexicon file's text (empty without one): part of every lecture's key.
    pub(super) lexicon_digest: String,
    /// Threads that run the voice, beside the global pool's drawing threads.
    pool: OnceLock<rayon::ThreadPool>,
    /// The course's root (voice models are found from it).
    root: PathBuf,
    /// Where command voices keep their temporary files.
    scratch: PathBuf,
}

/// The voices `auto` tries, best first: a configured neural voice, Festival's HTS voice,
/// espeak-ng.
const AUTO: [VoiceName; 4] = [
    VoiceName::Piper,
    VoiceName::Kokoro,
    VoiceName::Festival,
    VoiceName::Espeak,
];

impl Voices {
    /// The voices of a course at `root`, with `scratch` for command voices' files.
    pub(super) fn load(root: &Path, scratch: PathBuf) -> Result<Self> {
        let speakers = [
            VoiceName::Espeak,
            VoiceName::Festival,
            VoiceName::Piper,
            VoiceName::Kokoro,
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
            root: root.to_path_buf(),
            scratch,
        })
    }

    /// The voice `name`, set up on first use.
    fn speaker(&self, name: VoiceName, config: &NarrationConfig) -> &Speaker {
        static OFF: Speaker = Speaker::Off;
        self.speakers
            .iter()
            .find(|(n, _)| *n == name)
            .map_or(&OFF, |(_, s)| {
                s.get_or_init(|| narration::speaker(name, config, &self.root, self.scratch.clone()))
            })
    }

    /// The voice a lecture speaks with (`None`: silent, already warned about if missing).
    /// `auto` takes the first of [`AUTO`] that is set up and speaks the lecture's language
    /// (a neural voice only when one is configured); a voice asked for by name that cannot
    /// speak the lecture is an error naming where it was asked for (espeak-ng, the remote
    /// and command voices and `none` keep their warning and silent videos).
    pub(super) fn of(
        &self,
        lecture: &Lecture,
        config: &NarrationConfig,
        warn: &dyn Fn(&str),
    ) -> Result<Option<&dyn narration::Voice>> {
        if !lecture.meta.narration {
            return Ok(None);
        }
        let lang = &lecture.meta.lang;
        let name = lecture.meta.voice.unwrap_or(config.voice);
        if name == VoiceName::Auto {
            for candidate in AUTO {
                let configured = match candidate {
                    VoiceName::Piper => config.piper.model.is_some(),
                    VoiceName::Kokoro => config.kokoro.model.is_some(),
                    _ => true,
                };
                if !configured {
                    continue;
                }
                match self.speaker(candidate, config) {
                    Speaker::Ready(voice) if voice.speaks(lang) => return Ok(Some(voice.as_ref())),
                    // A neural voice the course configured but that cannot load is news;
                    // Festival not installed is not (`lecturegen voices` says how to add it).
                    Speaker::Missing(message) if candidate != VoiceName::Festival => warn(message),
                    _ => {}
                }
            }
            return Ok(None);
        }
        let asked = || match lecture.meta.voice {
            Some(_) => format!(
                "{}:{}: `voice: {}`",
                lecture.source.display,
                lecture.meta.voice_line,
                name.as_str()
            ),
            None => format!(
                "{}: [narration] voice = \"{}\"",
                crate::config::FILE_NAME,
                name.as_str()
            ),
        };
        match self.speaker(name, config) {
            Speaker::Ready(voice) if voice.speaks(lang) => Ok(Some(voice.as_ref())),
            Speaker::Ready(voice) => bail!(
                "{}: {} does not speak this lecture's language `{lang}` (`voice = \"auto\"` \
                 picks one that does)",
                asked(),
                voice.name()
            ),
            Speaker::Missing(message)
                if matches!(
                    name,
                    VoiceName::Festival | VoiceName::Piper | VoiceName::Kokoro
                ) =>
            {
                bail!("{}: {message}", asked())
            }
            Speaker::Missing(message) => {
                warn(message);
                Ok(None)
            }
            Speaker::Off => Ok(None),
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
