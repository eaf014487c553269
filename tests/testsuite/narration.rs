//! Narration: speech track, captions, lexicon, per-sentence cache, voices missing or failing.

use std::io::Cursor;
use std::path::Path;

use crate::support::{Course, TEST_CONFIG};

/// `TEST_CONFIG` with the voice and more of `[narration]`.
pub fn config(narration: &str) -> String {
    TEST_CONFIG.replace(
        "[narration]\nvoice = \"none\"",
        &format!("[narration]\n{narration}"),
    )
}

/// A course whose voice is the tone script, logging what it is asked to say to `said.log`.
pub fn tone_course() -> Course {
    let course = Course::new();
    let script = crate::support::scripts().join("tone_voice.py");
    let log = course.path("said.log");
    course.file(
        "lecturegen.toml",
        &config(&format!(
            "voice = \"command\"\ntimeout_seconds = 2\ncommand = [\"python3\", {:?}, \"{{text}}\", \"{{wav}}\", \"{{lang}}\", {:?}]\n",
            script.to_string_lossy(),
            log.to_string_lossy()
        )),
    );
    course
}

/// Whether espeak-ng can be run; in CI its absence is a failure, elsewhere a loud skip.
fn espeak() -> bool {
    crate::support::tool("espeak-ng", "--version", "espeak-ng")
}

/// (start, end, text) of each cue of a WebVTT file.
pub fn cues(vtt: &str) -> Vec<(f64, f64, String)> {
    let time = |t: &str| {
        let parts: Vec<f64> = t.trim().split(':').map(|p| p.parse().unwrap()).collect();
        parts[0] * 3600.0 + parts[1] * 60.0 + parts[2]
    };
    vtt.split("\n\n")
        .filter_map(|block| {
            let mut lines = block.lines().skip_while(|l| !l.contains("-->"));
            let (a, b) = lines.next()?.split_once("-->")?;
            Some((time(a), time(b), lines.collect::<Vec<_>>().join("\n")))
        })
        .collect()
}

/// Track count, and (video seconds, audio seconds) as a player presents them: the audio's
/// media minus the encoder delay that its edit list skips (the `mp4` crate does not read edit
/// lists, so the edit is read here).
pub fn tracks(mp4: &[u8]) -> (usize, f64, f64) {
    let reader = mp4::Mp4Reader::read_header(Cursor::new(mp4), mp4.len() as u64).unwrap();
    let mut video = 0.0;
    let mut audio = 0.0;
    for track in reader.tracks().values() {
        let seconds = track.duration().as_secs_f64();
        match track.media_type().unwrap() {
            mp4::MediaType::H264 => video = seconds,
            mp4::MediaType::AAC => {
                let (presented, skipped) = edit_list(mp4);
                // The edit stays inside the media: the delay, then what is presented.
                assert!(
                    skipped + presented <= seconds + 1e-6,
                    "{skipped} + {presented} > {seconds}"
                );
                assert!(
                    seconds - presented - skipped < 0.05,
                    "padding {seconds} - {presented}"
                );
                audio = presented;
            }
            other => panic!("unexpected track {other:?}"),
        }
    }
    (reader.tracks().len(), video, audio)
}

/// (presented seconds, skipped seconds) of the one edit of the audio track's `elst` (version
/// 1: segment duration in the movie timescale, media time in the track's 22,050 Hz).
fn edit_list(mp4: &[u8]) -> (f64, f64) {
    let at = mp4
        .windows(4)
        .position(|w| w == b"elst")
        .expect("an edit list");
    let u64_at = |p: usize| u64::from_be_bytes(mp4[p..p + 8].try_into().unwrap());
    assert_eq!(mp4[at + 4], 1, "elst version");
    let segment = u64_at(at + 12);
    let media_time = u64_at(at + 20);
    (
        segment as f64 / f64::from(lecturegen::video::NARRATED_TIMESCALE),
        media_time as f64 / 22_050.0,
    )
}

/// Decodes the AAC track of an MP4 (syom reads MP4 too); returns the samples.
pub fn decoded_audio(mp4: &[u8]) -> Vec<f32> {
    let decoded = syom::decode_with(mp4, &syom::DecodeOptions::unbounded()).unwrap();
    decoded.channels.into_iter().next().unwrap()
}

const LECTURE: &str = "---\ntitle: Spoken\n---\n\nWelcome to the lecture.\n\n# First\n\n\
- a visible point\n\nNote: This is the first sentence. And nginx is the second one.\n\n\
# Second\n\nText on the second slide is read when there are no notes.\n\n\
```rust\nfn main() {}\n```\n";

#[test]
fn a_narrated_lecture_has_an_aac_track_as_long_as_its_video() {
    let course = tone_course();
    course.file("content/a.md", LECTURE);
    let (summary, report) = course.build();
    assert_eq!(summary.failed, 0, "{:?}", report.errors());
    assert_eq!(summary.narrated, 1);
    assert!(summary.spoken >= 5, "{summary:?}");
    let mp4 = std::fs::read(course.path("output/a/lecture.mp4")).unwrap();
    let (count, video, audio) = tracks(&mp4);
    assert_eq!(count, 2);
    assert!(
        (video - audio).abs() < 0.05,
        "video {video} s, audio {audio} s"
    );
    // The speech decodes to its end, as long as the video, and is not silence.
    let samples = decoded_audio(&mp4);
    let seconds = samples.len() as f64 / 22_050.0;
    assert!(
        (seconds - video).abs() < 0.1,
        "decoded {seconds} s of {video} s"
    );
    let loud = samples.iter().filter(|s| s.abs() > 0.1).count();
    assert!(loud > 22_050, "only {loud} loud samples");
    // ffprobe (where installed) sees one video and one AAC stream and decodes both.
    let file = course.path("output/a/lecture.mp4");
    if let Ok(out) = std::process::Command::new("ffprobe")
        .args([
            "-v",
            "error",
            "-show_entries",
            "stream=codec_name",
            "-of",
            "csv=p=0",
        ])
        .arg(&file)
        .output()
    {
        assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), "h264\naac");
        let decode = std::process::Command::new("ffmpeg")
            .args(["-v", "error", "-i"])
            .arg(&file)
            .args(["-f", "null", "-"])
            .output()
            .unwrap();
        assert!(
            decode.status.success() && decode.stderr.is_empty(),
            "{decode:?}"
        );
    }
}

#[test]
fn captions_stay_inside_their_slides_in_order() {
    let course = tone_course();
    course.file("content/a.md", LECTURE);
    let (summary, report) = course.build();
    assert_eq!(summary.failed, 0, "{:?}", report.errors());
    let chapters = cues(&course.read("output/a/chapters.vtt"));
    let captions = cues(&course.read("output/a/captions.vtt"));
    assert!(captions.len() >= 5, "{captions:?}");
    let mut last_end = 0.0;
    for (start, end, text) in &captions {
        assert!(start >= &last_end && end > start, "{captions:?}");
        last_end = *end;
        assert!(
            chapters.iter().any(|(a, b, _)| start >= a && end <= b),
            "cue {text:?} {start}-{end} spans a slide change: {chapters:?}"
        );
        assert!(text.lines().count() <= 2, "{text:?}");
        assert!(text.lines().all(|l| l.chars().count() <= 42), "{text:?}");
    }
    let texts: Vec<&str> = captions.iter().map(|(_, _, t)| t.as_str()).collect();
    assert!(texts.contains(&"This is the first sentence."), "{texts:?}");
    // Without notes the slide's own text is read, and code is a short cue, not read out.
    assert!(
        texts.iter().any(|t| t.contains("Text on the second")),
        "{texts:?}"
    );
    assert!(texts.contains(&"Here is some code."), "{texts:?}");
    assert!(!texts.iter().any(|t| t.contains("fn main")), "{texts:?}");
    // The page carries the captions track and each sentence with its time.
    let page = course.read("output/a/index.html");
    assert!(page.contains(r#"<track kind="captions" src="captions.vtt" srclang="en""#));
    assert!(page.contains("data-start=") && page.contains("This is the first sentence."));
}

#[test]
fn the_lexicon_changes_speech_not_captions() {
    let course = tone_course();
    course.file("content/a.md", LECTURE);
    course.file("lexicon.toml", "[en]\nnginx = \"engine X\"\n");
    let (summary, report) = course.build();
    assert_eq!(summary.failed, 0, "{:?}", report.errors());
    let said = course.read("said.log");
    assert!(said.contains("And engine X is the second one."), "{said}");
    assert!(!said.contains("nginx"), "{said}");
    let captions = course.read("output/a/captions.vtt");
    assert!(
        captions.contains("nginx") && !captions.contains("engine X"),
        "{captions}"
    );

    // A broken lexicon is named with its line and column.
    course.file("lexicon.toml", "[en]\nnginx = \"engine X\"\nbad = \n");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_lecturegen"))
        .args(["build", "--quiet", "--root"])
        .arg(&course.root)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("lexicon.toml:3:"), "{stderr}");
    assert!(!out.status.success());
}

#[test]
fn editing_one_sentence_speaks_one_sentence() {
    let course = tone_course();
    course.file("content/a.md", LECTURE);
    let (first, _) = course.build();
    assert!(first.spoken >= 5);
    let (again, _) = course.build();
    assert_eq!(again.spoken, 0, "{again:?}");
    assert!(again.nothing_rendered());
    course.file(
        "content/a.md",
        &LECTURE.replace("the second one.", "the second one, edited."),
    );
    let (edited, report) = course.build();
    assert_eq!(edited.failed, 0, "{:?}", report.errors());
    assert_eq!(edited.spoken, 1, "{edited:?}");
    // Notes are not on the slide: nothing is drawn or encoded again.
    assert_eq!(edited.rendered, 0, "{edited:?}");
    assert!(course
        .read("output/a/captions.vtt")
        .contains("second one, edited."));
}

#[test]
fn a_missing_engine_warns_once_and_the_video_is_silent() {
    let course = Course::new();
    course.file(
        "lecturegen.toml",
        &config("voice = \"espeak\"\n[narration.espeak]\nprogram = \"/nonexistent/espeak-ng\"\n"),
    );
    course.file("content/a.md", LECTURE);
    course.file("content/b.md", LECTURE);
    let (summary, report) = course.build();
    assert_eq!(summary.failed, 0, "{:?}", report.errors());
    let warnings: Vec<String> = report
        .warnings()
        .into_iter()
        .filter(|w| w.contains("espeak-ng"))
        .collect();
    assert_eq!(warnings.len(), 1, "{warnings:?}");
    assert!(
        warnings[0].contains("apt-get install espeak-ng"),
        "{warnings:?}"
    );
    let mp4 = std::fs::read(course.path("output/a/lecture.mp4")).unwrap();
    assert_eq!(tracks(&mp4).0, 1);
    assert!(!course.path("output/a/captions.vtt").exists());
}

#[test]
fn a_failing_or_hanging_engine_fails_only_its_lecture() {
    let course = tone_course();
    course.file("content/good.md", LECTURE);
    course.build();
    let good = course.read("output/good/index.html");
    course.file(
        "content/good.md",
        "# Good\n\n## Hanging\n\nNote: This one will HANG forever.\n",
    );
    course.file(
        "content/crash.md",
        "# Crash\n\n## Boom\n\nNote: Please CRASH now.\n",
    );
    course.file(
        "content/fine.md",
        "# Fine\n\n## Calm\n\nNote: All is well. Emoji 🎉 too.\n",
    );
    let (summary, report) = course.build();
    assert_eq!(summary.failed, 2, "{:?}", report.errors());
    let errors = report.errors().join("\n");
    assert!(errors.contains("content/good.md:3"), "{errors}");
    assert!(errors.contains("HANG forever"), "{errors}");
    assert!(errors.contains("did not finish"), "{errors}");
    assert!(errors.contains("content/crash.md:3"), "{errors}");
    assert!(errors.contains("Please CRASH now."), "{errors}");
    // The failing lecture keeps its last good output; the others are built.
    assert_eq!(course.read("output/good/index.html"), good);
    assert!(course.path("output/fine/lecture.mp4").is_file());
}

#[test]
fn switches_turn_narration_off_for_a_lecture_or_a_slide() {
    let course = tone_course();
    course.file(
        "content/quiet.md",
        "---\ntitle: Quiet\nnarration: false\n---\n\n# One\n\nNote: Not said.\n",
    );
    course.file(
        "content/part.md",
        "# Part\n\n## Said\n\nNote: Said aloud.\n\n## Unsaid\n<!-- narration: off -->\n\nNote: Kept quiet.\n",
    );
    let (summary, report) = course.build();
    assert_eq!(summary.failed, 0, "{:?}", report.errors());
    assert_eq!(summary.narrated, 1);
    assert!(!course.path("output/quiet/captions.vtt").exists());
    let captions = course.read("output/part/captions.vtt");
    assert!(captions.contains("Said aloud.") && !captions.contains("Kept quiet."));
    let said = course.read("said.log");
    assert!(
        !said.contains("Not said.") && !said.contains("Kept quiet."),
        "{said}"
    );
}

#[test]
fn espeak_reads_english_and_arabic_lectures() {
    if !espeak() {
        return;
    }
    let course = Course::new();
    course.file("lecturegen.toml", &config("voice = \"espeak\""));
    course.file("content/en.md", LECTURE);
    let seed = crate::support::fixtures().join("seed-note.md");
    course.file("content/ar.md", &std::fs::read_to_string(seed).unwrap());
    let (summary, report) = course.build();
    assert_eq!(summary.failed, 0, "{:?}", report.errors());
    assert_eq!(summary.narrated, 2);
    for slug in ["en", "ar"] {
        let mp4 = std::fs::read(course.path(&format!("output/{slug}/lecture.mp4"))).unwrap();
        let (count, video, audio) = tracks(&mp4);
        assert_eq!(count, 2, "{slug}");
        assert!((video - audio).abs() < 0.05, "{slug}: {video} vs {audio}");
        let samples = decoded_audio(&mp4);
        assert!(
            samples.iter().filter(|s| s.abs() > 0.05).count() > 22_050,
            "{slug}"
        );
    }
    // Arabic: an Arabic voice, Arabic captions on a right-to-left page.
    let page = course.read("output/ar/index.html");
    assert!(page.contains(r#"dir="rtl""#));
    assert!(page.contains(r#"<track kind="captions" src="captions.vtt" srclang="ar""#));
    let captions = cues(&course.read("output/ar/captions.vtt"));
    assert!(
        captions
            .iter()
            .any(|(_, _, t)| t.chars().any(|c| ('\u{0600}'..='\u{06FF}').contains(&c))),
        "{captions:?}"
    );
}

#[test]
fn the_wav_reader_takes_what_engines_write() {
    use lecturegen::narration::wav;
    let pcm = wav::Pcm {
        samples: (0..2205).map(|i| (i as f32 / 100.0).sin() * 0.5).collect(),
    };
    let bytes = wav::write(&pcm);
    let back = wav::parse(&bytes).unwrap();
    assert_eq!(back.samples.len(), 2205);
    assert!(back
        .samples
        .iter()
        .zip(&pcm.samples)
        .all(|(a, b)| (a - b).abs() < 1e-3));
    // espeak-ng writing to a pipe leaves the data size at its maximum.
    let mut streamed = bytes.clone();
    streamed[40..44].copy_from_slice(&u32::MAX.to_le_bytes());
    assert_eq!(wav::parse(&streamed).unwrap().samples.len(), 2205);
    assert!(wav::parse(b"not a wav").is_err());
    let _ = Path::new("");
}

#[test]
fn chunks_are_sentences_or_clauses_of_at_most_two_caption_lines() {
    use lecturegen::reading::chunks;
    assert_eq!(
        chunks("One sentence. Another one!  A third?"),
        vec!["One sentence.", "Another one!", "A third?"]
    );
    let long = "This sentence is long enough that it cannot fit in one caption cue, so it is \
                cut at its clauses, and each clause becomes a cue of its own.";
    let parts = chunks(long);
    assert!(parts.len() >= 2, "{parts:?}");
    assert!(parts.iter().all(|p| p.chars().count() <= 84), "{parts:?}");
    assert_eq!(parts.join(" "), long);
    assert_eq!(
        chunks("مرحبا. كيف حالك؟ بخير."),
        vec!["مرحبا.", "كيف حالك؟", "بخير."]
    );
    assert!(chunks("🎉 …").is_empty());
}

/// ffmpeg's tools read a long narrated lecture's timestamps cleanly. Speech gives slides
/// lengths of any millisecond; ffmpeg then could not guess the track's frame rate, took its
/// time scale (441,000/s), fell back to the average rate (a frame every few seconds) and gave
/// neighbouring slides the same timestamp: "non monotonically increasing dts" on decoding,
/// frames lost on re-encoding.
#[test]
fn ffmpeg_reads_a_long_narrated_lecture_without_timestamp_errors() {
    if !espeak() || !crate::support::tool("ffmpeg", "-version", "ffmpeg") {
        return;
    }
    let course = Course::new();
    course.file(
        "lecturegen.toml",
        &format!(
            "{}\n[timing]\nmin_seconds = 1\n",
            config("voice = \"espeak\"")
        ),
    );
    let mut notes = String::from("---\ntitle: Many slides\n---\n");
    for i in 0..120 {
        let said = if i % 2 == 1 {
            format!("Slide {i} is short.")
        } else {
            format!(
                "Slide {i} takes longer to explain, because it has a long sentence, then \
                 another one that goes on for a while before it ends."
            )
        };
        notes.push_str(&format!("\n## Slide {i}\n\nPoint {i}.\n\nNote: {said}\n"));
    }
    course.file("content/many.md", &notes);
    let (summary, report) = course.build();
    assert_eq!(summary.failed, 0, "{:?}", report.errors());
    let video = course.path("output/many/lecture.mp4");
    let decode = std::process::Command::new("ffmpeg")
        .args(["-v", "error", "-i"])
        .arg(&video)
        .args(["-f", "null", "-"])
        .output()
        .unwrap();
    let errors = String::from_utf8_lossy(&decode.stderr);
    assert!(
        decode.status.success() && errors.trim().is_empty(),
        "{errors}"
    );
    let probe = crate::support::run_ok(
        &course.root,
        "ffprobe",
        &[
            "-v",
            "error",
            "-select_streams",
            "v:0",
            "-show_entries",
            "stream=r_frame_rate",
            "-of",
            "csv=p=0",
            &video.to_string_lossy(),
        ],
    );
    let rate = String::from_utf8_lossy(&probe).trim().to_string();
    let (num, den) = rate.split_once('/').unwrap();
    let fps = num.parse::<f64>().unwrap() / den.parse::<f64>().unwrap();
    assert!(fps > 0.0 && fps <= 100.0, "r_frame_rate {rate}");
}
