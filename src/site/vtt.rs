//! WebVTT files: chapters (one cue per slide) and the time labels shown beside them.

use super::Chapter;

/// Formats seconds as `m:ss` or `h:mm:ss`.
pub fn clock(seconds: f64) -> String {
    let total = seconds.max(0.0).round() as u64;
    let (h, m, s) = (total / 3600, (total / 60) % 60, total % 60);
    if h > 0 {
        format!("{h}:{m:02}:{s:02}")
    } else {
        format!("{m}:{s:02}")
    }
}

/// WebVTT chapters: one cue per slide, the slide title as text.
pub fn chapters_vtt(chapters: &[Chapter]) -> String {
    let mut out = String::from("WEBVTT\n");
    for c in chapters {
        let title = c
            .title
            .replace('&', "&amp;")
            .replace('<', "&lt;")
            .replace('>', "&gt;")
            .replace("-->", "→")
            .replace('\n', " ");
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
