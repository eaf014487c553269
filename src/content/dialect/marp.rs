//! Marp: image keywords stand anywhere in the alt text (`![diagram bg right:45% 90%](x.svg)`).
//! A picture with `bg` becomes the plain reader's background (`![bg]`, several side by side,
//! `vertical` kept) or side picture (`![bg right:45%]`); `w:`/`width:` sizes a figure; the other keywords (`contain`, `fit`,
//! `90%`, filters) leave the alt text; lists bulleted with `*` reveal their items one step
//! at a time. Directives in comments are read by the plain reader.

use super::doc::{map_pictures, sized_picture};
use super::Doc;

/// Marp's image keywords that are not sizes or sides.
const KEYWORDS: &[&str] = &[
    "bg",
    "contain",
    "cover",
    "fit",
    "auto",
    "vertical",
    "sepia",
    "grayscale",
    "blur",
    "brightness",
    "contrast",
    "drop-shadow",
    "hue-rotate",
    "invert",
    "opacity",
    "saturate",
];

/// Marp's slide width in pixels (16:9): `w:640px` is half of it.
const SLIDE_PX: f32 = 1280.0;

pub(super) fn rewrite(doc: &mut Doc) {
    fragmented_lists(doc);
    for i in 0..doc.len() {
        if doc.in_code(i) || doc.line(i).trim() == "---" {
            continue;
        }
        // The `lead` class centres a slide (Marp's title-like slides).
        let t = doc.line(i).trim();
        if t.starts_with("<!--") && t.contains("_class:") && t.contains("lead") {
            doc.set(i, "<!-- layout: center -->");
            continue;
        }
        let line = doc.lines[i].clone();
        if !line.contains("![") {
            continue;
        }
        let out = map_pictures(&line, |alt, src| {
            let image = Image::read(alt);
            if image.background {
                format!("![{}]({src})", image.plain_alt())
            } else if let Some(width) = image.width {
                sized_picture(src, &image.alt, width)
            } else {
                format!("![{}]({src})", image.alt)
            }
        });
        doc.set(i, out);
    }
}

/// Marp's fragmented lists, bulleted with `*` (or numbered with `1)`): each item is a step. A
/// blank line before such a list marks it.
fn fragmented_lists(doc: &mut Doc) {
    let is_fragment_item = |line: &str| {
        line.starts_with("* ")
            || line
                .split_once(") ")
                .is_some_and(|(n, _)| !n.is_empty() && n.chars().all(|c| c.is_ascii_digit()))
    };
    for i in 1..doc.len() {
        if doc.in_code(i) || !is_fragment_item(doc.line(i)) || !doc.line(i - 1).trim().is_empty() {
            continue;
        }
        let before = if i >= 2 { doc.line(i - 2) } else { "" };
        if !is_fragment_item(before) && !before.starts_with(' ') {
            doc.set(i - 1, "<!-- step items -->");
        }
    }
}

/// What a Marp image's alt text says.
#[derive(Debug, Default, PartialEq)]
struct Image {
    /// The words that are not keywords.
    alt: String,
    background: bool,
    /// `left` or `right`, with the share as written (`right:45%`).
    side: Option<String>,
    /// Several backgrounds stacked top to bottom.
    vertical: bool,
    /// Width as a share of the slide, in percent.
    width: Option<u16>,
}

impl Image {
    fn read(alt: &str) -> Self {
        let mut image = Self::default();
        let mut words = Vec::new();
        let mut side_word = None;
        for word in alt.split_whitespace() {
            let lower = word.to_ascii_lowercase();
            let (key, value) = lower.split_once(':').unwrap_or((&lower, ""));
            match key {
                "left" | "right" => {
                    image.side = Some(lower.clone());
                    side_word = Some(word);
                }
                "w" | "width" => {
                    let px = value.trim_end_matches("px").parse::<f32>().ok();
                    image.width = px.map(|px| (px / SLIDE_PX * 100.0).clamp(5.0, 100.0) as u16);
                }
                "h" | "height" => {}
                k if KEYWORDS.contains(&k) => {
                    image.background |= k == "bg";
                    image.vertical |= k == "vertical";
                }
                _ if is_percent(&lower) => {}
                _ => words.push(word),
            }
        }
        if !image.background {
            // `left`/`right` without `bg` are alt words.
            image.side = None;
            words.extend(side_word);
        }
        image.alt = words.join(" ").trim().to_string();
        image
    }

    fn plain_alt(&self) -> String {
        let side = self.side.as_deref().map(|s| format!(" {s}"));
        let vertical = if self.vertical { " vertical" } else { "" };
        format!("bg{}{vertical}", side.unwrap_or_default())
    }
}

fn is_percent(word: &str) -> bool {
    word.strip_suffix('%')
        .is_some_and(|n| n.parse::<f32>().is_ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keywords_are_read_anywhere_in_the_alt_text() {
        let image = Image::read("diagram bg right:45% 90%");
        assert!(image.background);
        assert_eq!(image.side.as_deref(), Some("right:45%"));
        assert_eq!(image.alt, "diagram");
        assert_eq!(image.plain_alt(), "bg right:45%");
        let figure = Image::read("a chart w:640px");
        assert!(!figure.background);
        assert_eq!(figure.width, Some(50));
        assert_eq!(figure.alt, "a chart");
        let contain = Image::read("bg contain");
        assert_eq!(contain.plain_alt(), "bg");
        assert_eq!(Image::read("bg vertical 30%").plain_alt(), "bg vertical");
    }
}
