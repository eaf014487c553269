//! The `festival` voice: Festival with an HTS voice (CMU's `cmu_us_slt_arctic_hts` from Debian's
//! `festvox-us-slt-hts`), run as separate programs that live as long as the voice does.
//!
//! Starting Festival and loading a voice costs about 0.3 s, more than most sentences take to
//! say, so each process is kept: `festival --pipe` reads Scheme from stdin, and every sentence
//! is one `utt.synth` whose wave goes to a file of the process's own, followed by a marker line
//! on stdout that says it is written. Processes are made as threads ask for them (one per
//! thread speaking at once) and reused by later sentences and, under `watch`, by later builds.

use std::io::{BufRead, BufReader, Write};
use std::path::PathBuf;
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use anyhow::{bail, Context, Result};

use super::wav::{self, Pcm};
use super::Voice;
use crate::config::FestivalConfig;

/// The words per minute at which Festival's voices speak at their own pace: the default
/// `words_per_minute`, so the default keeps the voice as it was recorded (slt speaks about 158
/// words a minute, measured on prose).
const OWN_PACE_WPM: f32 = 165.0;

/// Words of technical lectures that Festival's English lexicon (CMU's) or its letter-to-sound
/// rules get wrong ("git" is `jh ih t` there, "JSON" `jh s ax n`, "stdin" `s t d ih n`),
/// in its phone set: added to every English voice's lexicon when a process starts. A course's
/// `lexicon.toml` still applies before them.
const TECH_WORDS: &[(&str, &str)] = &[
    ("git", "((g ih t) 1)"),
    ("github", "((g ih t) 1) ((hh ah b) 0)"),
    ("gitlab", "((g ih t) 1) ((l ae b) 0)"),
    ("json", "((jh ey) 1) ((s ax n) 0)"),
    ("nginx", "((eh n) 1) ((jh ih n) 0) ((eh k s) 1)"),
    ("pytorch", "((p ay) 1) ((t ao r ch) 1)"),
    ("numpy", "((n ah m) 1) ((p ay) 0)"),
    ("scipy", "((s ay) 1) ((p ay) 0)"),
    ("jupyter", "((jh uw) 1) ((p ih) 0) ((t er) 0)"),
    (
        "kubernetes",
        "((k uw) 0) ((b er) 0) ((n eh) 1) ((t iy z) 0)",
    ),
    ("csv", "((s iy) 1) ((eh s) 1) ((v iy) 1)"),
    ("stdin", "((s t ae n) 1) ((d er d) 0) ((ih n) 1)"),
    ("stdout", "((s t ae n) 1) ((d er d) 0) ((aw t) 1)"),
    ("stderr", "((s t ae n) 1) ((d er d) 0) ((eh) 1) ((r er) 0)"),
    ("enum", "((iy) 1) ((n ah m) 0)"),
    ("typescript", "((t ay p) 1) ((s k r ih p t) 0)"),
    ("javascript", "((jh aa) 1) ((v ax) 0) ((s k r ih p t) 0)"),
    ("ubuntu", "((uw) 0) ((b uh n) 1) ((t uw) 0)"),
    ("debian", "((d eh) 1) ((b iy) 0) ((ax n) 0)"),
    ("nvidia", "((eh n) 0) ((v ih) 1) ((d iy) 0) ((ax) 0)"),
    ("sql", "((eh s) 0) ((k y uw) 0) ((eh l) 1)"),
    ("mysql", "((m ay) 1) ((eh s) 0) ((k y uw) 0) ((eh l) 1)"),
    ("sqlite", "((eh s) 0) ((k y uw) 0) ((eh l) 0) ((ay t) 1)"),
    ("postgres", "((p ow s t) 1) ((g r eh s) 0)"),
    ("regex", "((r eh) 1) ((jh eh k s) 0)"),
    ("yaml", "((y ae) 1) ((m ax l) 0)"),
    ("tuple", "((t uw) 1) ((p ax l) 0)"),
    ("epoch", "((iy) 1) ((p aa k) 0)"),
    ("gradient", "((g r ey) 1) ((d iy) 0) ((ax n t) 0)"),
];

/// Festival and a voice, with the processes that speak it.
pub struct Festival {
    program: String,
    version: String,
    voice: String,
    languages: Vec<String>,
    /// hts_engine's speed: 1 is the voice's own pace.
    rate: f32,
    timeout: Duration,
    scratch: PathBuf,
    idle: Mutex<Vec<Process>>,
}

/// One Festival process with the voice loaded.
struct Process {
    child: Child,
    stdin: ChildStdin,
    /// Lines it writes to stdout.
    lines: Receiver<String>,
    /// The end of what it wrote to stderr, for messages.
    errors: Arc<Mutex<String>>,
    /// The wave file it writes.
    wave: PathBuf,
    /// Sentences said, for markers that cannot be mistaken for an earlier one's.
    said: u64,
}

impl Drop for Process {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_file(&self.wave);
    }
}

impl Festival {
    /// Festival with the configured voice, its first process started; the error says what is
    /// missing (the program, or the voice) and how to install it.
    pub fn find(
        config: &FestivalConfig,
        words_per_minute: u32,
        timeout: Duration,
        scratch: PathBuf,
    ) -> Result<Self> {
        let out = Command::new(&config.program)
            .arg("--version")
            .stdin(Stdio::null())
            .output()
            .map_err(|_| {
                anyhow::anyhow!(
                    "Festival ({}) is not installed (Debian/Ubuntu: `apt-get install festival \
                     festvox-us-slt-hts`)",
                    config.program
                )
            })?;
        let text = String::from_utf8_lossy(&out.stdout);
        let version = text
            .split([':', ' '])
            .find(|w| w.starts_with(|c: char| c.is_ascii_digit()) && w.contains('.'))
            .unwrap_or("unknown")
            .to_string();
        let voice = Self {
            program: config.program.clone(),
            version,
            voice: config.voice.clone(),
            languages: config.languages.clone(),
            rate: (words_per_minute as f32 / OWN_PACE_WPM).clamp(0.5, 2.0),
            timeout,
            scratch,
            idle: Mutex::new(Vec::new()),
        };
        let first = voice.start()?;
        voice.give_back(first);
        Ok(voice)
    }

    /// Starts a process and loads the voice, checking that Festival has it.
    fn start(&self) -> Result<Process> {
        static COUNTER: AtomicU64 = AtomicU64::new(0);
        std::fs::create_dir_all(&self.scratch)
            .with_context(|| format!("creating {}", self.scratch.display()))?;
        let mut child = Command::new(&self.program)
            .arg("--pipe")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .with_context(|| format!("starting {}", self.program))?;
        let stdin = child.stdin.take().context("no stdin")?;
        let stdout = child.stdout.take().context("no stdout")?;
        let stderr = child.stderr.take().context("no stderr")?;
        let (send, lines) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if send.send(line).is_err() {
                    break;
                }
            }
        });
        let errors = Arc::new(Mutex::new(String::new()));
        let sink = Arc::clone(&errors);
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines() {
                let Ok(line) = line else { break };
                if let Ok(mut text) = sink.lock() {
                    // The last lines are the ones that explain.
                    if text.len() > 2000 {
                        text.clear();
                    }
                    text.push_str(&line);
                    text.push('\n');
                }
            }
        });
        let n = COUNTER.fetch_add(1, Ordering::Relaxed);
        let mut process = Process {
            child,
            stdin,
            lines,
            errors,
            wave: self
                .scratch
                .join(format!("festival-{}-{n}.wav", std::process::id())),
            said: 0,
        };
        // The voice list first: a voice that is not installed is named, not guessed at.
        let voices = self.ask(
            &mut process,
            "(format t \"%l\\n\" (voice.list))",
            Duration::from_secs(20).max(self.timeout),
        )?;
        let listed = voices
            .iter()
            .flat_map(|l| l.split(['(', ')', ' ']))
            .any(|v| v == self.voice);
        if !listed {
            bail!(
                "Festival has no voice `{}` (it has: {}); Debian/Ubuntu: `apt-get install \
                 festvox-us-slt-hts`, or set [narration.festival] voice",
                self.voice,
                voices.join(" ").trim_matches(['(', ')'])
            );
        }
        let mut setup = format!(
            "(voice_{})\n(set! hts_engine_params (append hts_engine_params (list (list \"-r\" {:.3}))))",
            self.voice, self.rate
        );
        if self.english() {
            for (word, syllables) in TECH_WORDS {
                setup.push_str(&format!(
                    "\n(lex.add.entry '(\"{word}\" nil ({syllables})))"
                ));
            }
        }
        self.ask(
            &mut process,
            &setup,
            Duration::from_secs(20).max(self.timeout),
        )?;
        Ok(process)
    }

    /// Sends `scheme` and a marker; returns the lines written before the marker.
    fn ask(&self, process: &mut Process, scheme: &str, timeout: Duration) -> Result<Vec<String>> {
        process.said += 1;
        let marker = format!("@@lecturegen {}", process.said);
        writeln!(
            process.stdin,
            "{scheme}\n(format t \"{marker}\\n\")\n(fflush nil)"
        )
        .and_then(|()| process.stdin.flush())
        .with_context(|| format!("{} stopped", self.program))?;
        let deadline = std::time::Instant::now() + timeout;
        let mut lines = Vec::new();
        loop {
            let left = deadline.saturating_duration_since(std::time::Instant::now());
            match process.lines.recv_timeout(left) {
                Ok(line) if line == marker => return Ok(lines),
                Ok(line) => lines.push(line),
                Err(RecvTimeoutError::Timeout) => bail!(
                    "{} did not answer within {:.0} s: stopped",
                    self.program,
                    timeout.as_secs_f64()
                ),
                Err(RecvTimeoutError::Disconnected) => {
                    let errors = process.errors.lock().map(|e| e.clone()).unwrap_or_default();
                    bail!("{} stopped: {}", self.program, errors.trim())
                }
            }
        }
    }

    fn take(&self) -> Result<Process> {
        let idle = self.idle.lock().ok().and_then(|mut idle| idle.pop());
        match idle {
            Some(process) => Ok(process),
            None => self.start(),
        }
    }

    fn give_back(&self, process: Process) {
        if let Ok(mut idle) = self.idle.lock() {
            idle.push(process);
        }
    }

    /// Whether the voice speaks English (and so takes [`TECH_WORDS`]).
    fn english(&self) -> bool {
        super::speaks_one_of(&self.languages, "en")
    }
}

/// `text` as a Scheme string literal.
fn scheme_string(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    for c in text.chars() {
        match c {
            '"' | '\\' => {
                out.push('\\');
                out.push(c);
            }
            c if c.is_control() => out.push(' '),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

impl Voice for Festival {
    fn id(&self) -> String {
        format!(
            "festival/{}/{}/rate{:.3}",
            self.version, self.voice, self.rate
        )
    }

    fn engine(&self) -> &str {
        "festival"
    }

    fn name(&self) -> String {
        format!("festival {}", self.voice)
    }

    fn speaks(&self, lang: &str) -> bool {
        super::speaks_one_of(&self.languages, lang)
    }

    fn speak(&self, text: &str, lang: &str) -> Result<Pcm> {
        if !self.speaks(lang) {
            bail!(
                "Festival's voice `{}` speaks {}, not `{lang}`",
                self.voice,
                self.languages.join(", ")
            );
        }
        let mut process = self.take()?;
        let _ = std::fs::remove_file(&process.wave);
        let scheme = format!(
            "(utt.save.wave (utt.synth (Utterance Text {})) {} 'riff)",
            scheme_string(text),
            scheme_string(&process.wave.to_string_lossy())
        );
        // A process that failed is dropped (and killed), never reused.
        self.ask(&mut process, &scheme, self.timeout)?;
        let bytes = match std::fs::read(&process.wave) {
            Ok(bytes) => bytes,
            Err(_) => {
                let errors = process.errors.lock().map(|e| e.clone()).unwrap_or_default();
                bail!("Festival wrote no speech: {}", errors.trim());
            }
        };
        let pcm = wav::parse(&bytes)?;
        self.give_back(process);
        Ok(pcm)
    }
}

#[cfg(test)]
mod tests {
    use super::scheme_string;

    #[test]
    fn text_is_quoted_for_scheme() {
        assert_eq!(scheme_string(r#"a "b" \c"#), r#""a \"b\" \\c""#);
        assert_eq!(scheme_string("one\ntwo"), "\"one two\"");
    }
}
