//! WebVTT files: chapters (one cue per slide) and the time labels shown beside them.

use super::{Chapter, Cue};

/// Formats seconds as `m:ss` or `h:mm:ss`.
pub fn clock(seconds: f64) -> String {
    // Floored, as players show time: a chapter at 3.6 s starts at "0:03" on their clock.
    let total = (seconds.max(0.0) + 1e-6).floor() as u64;
    let (h, m, s) = (total / 3600, (total / 60) % 60, total % 60);
    if h > 0 {
        format!("{h}:{m:02}:{s:02}")
    } else {
        format!("{m}:{s:02}")
    }
}

/// Text made safe for a cue: no markup, no arrow, no blank line.
fn cue_text(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace("-->", "→")
        .replace('\n', " ")
}

/// WebVTT captions of the narration: one cue per chunk, at most two lines of
/// [`crate::reading::LINE_CHARS`] characters, timed from the speech's samples.
pub fn captions_vtt(cues: &[Cue]) -> String {
    let mut out = String::from("WEBVTT\n");
    for (i, c) in cues.iter().enumerate() {
        let lines: Vec<String> = crate::reading::caption_lines(&c.text)
            .iter()
            .map(|l| cue_text(l))
            .collect();
        out.push_str(&format!(
            "\n{}\n{} --> {}\n{}\n",
            i + 1,
            vtt_time(c.start),
            vtt_time(c.end),
            lines.join("\n")
        ));
    }
    out
}

/// WebVTT chapters: one cue per slide, the slide title as text.
pub fn chapters_vtt(chapters: &[Chapter]) -> String {
    let mut out = String::from("WEBVTT\n");
    for c in chapters {
        let title = cue_text(&c.title);
        out.push_str(&format!(
            "\n{}\n{} --> {}\n{}\n",
            c.number,
            vtt_time(c.start),
            vtt_time(c.end),
            title
        ));
    }
    out
}

fn vtt_time(seconds: f64) -> String {
    let ms = (seconds.max(0.0) * 1000.0).round() as u64;
    format!(
        "{:02}:{:02}:{:02}.{:03}",
        ms / 3_600_000,
        (ms / 60_000) % 60,
        (ms / 1000) % 60,
        ms % 1000
    )
}
