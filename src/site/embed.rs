//! What a host site gets: the player its pages embed, and `lectures.json`.
//!
//! In: the [`IndexEntry`] of each built lecture (kept between builds, so a lecture that fails
//! now is still published with its last good media). Out: the manifest's bytes, and the
//! player's HTML for one page, every URL relative to that page (or, in the manifest, to a
//! [`BASE`] the host's snippet fills in) so the site works under any base path.

use std::collections::BTreeMap;

use anyhow::Result;
use serde::{Deserialize, Serialize};

use super::IndexEntry;
use crate::templates::Templates;

/// File name of the manifest.
pub const MANIFEST: &str = "lectures.json";

/// The player's style and script, written to the media folder.
pub const PLAYER_FILES: [(&str, &str); 2] = [
    ("player.css", "lecturegen.css"),
    ("player.js", "lecturegen.js"),
];

/// Where a built lecture's files are, relative to the media folder (`slug/lecture.mp4?v=...`).
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct MediaFiles {
    /// The MP4, versioned.
    pub video: String,
    /// The poster, versioned.
    pub poster: String,
    /// The chapters track.
    pub chapters_vtt: String,
    /// The captions track of a narrated lecture.
    pub captions_vtt: Option<String>,
    /// Frame width.
    pub width: u32,
    /// Frame height.
    pub height: u32,
    /// The PDF handout, versioned (none when handouts are off).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub handout: Option<String>,
}

/// One chapter's span, as the manifest and the player list it.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct ChapterSpan {
    /// Start, seconds.
    pub start: f64,
    /// End, seconds.
    pub end: f64,
    /// Title.
    pub title: String,
}

/// A slide's words, for search and for tools that read the manifest.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct SlideText {
    /// 1-based slide number.
    pub number: usize,
    /// Title.
    pub title: String,
    /// What the slide shows, as plain text.
    pub text: String,
}

/// A lecture in `lectures.json`: every URL relative to the site's root.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Published {
    /// The lecture's id (its folder in the media folder).
    pub id: String,
    /// Title.
    pub title: String,
    /// The page it is built from, relative to the site's root.
    pub source: String,
    /// The page, relative to the notes folder (how the host's templates know it).
    pub page: String,
    /// Language tag.
    pub lang: String,
    /// `ltr` or `rtl`.
    pub dir: String,
    /// Length, seconds.
    pub duration: f64,
    /// Length as `m:ss`.
    pub duration_label: String,
    /// The video, poster and tracks, with their URLs, and the frame size.
    #[serde(flatten)]
    pub media: MediaFiles,
    /// Chapters with their start as `m:ss`.
    pub chapters: Vec<PublishedChapter>,
    /// Each slide's text.
    pub slides: Vec<SlideText>,
    /// The player's HTML, its URLs starting with [`BASE`]: a host's snippet replaces that with
    /// the URL of the site's root (ending in `/`). Empty inside the player itself.
    pub player: String,
}

/// What the player's URLs in the manifest start with, for the host's snippet to replace.
pub const BASE: &str = "@BASE@";

/// A chapter in the manifest.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct PublishedChapter {
    /// Start, seconds.
    pub start: f64,
    /// End, seconds.
    pub end: f64,
    /// Title.
    pub title: String,
    /// Start as `m:ss`.
    pub start_label: String,
}

impl Published {
    /// `entry` with its media URLs under `prefix` (the media folder's URL, ending in `/`).
    pub fn of(entry: &IndexEntry, prefix: &str) -> Self {
        let url = |file: &str| format!("{prefix}{file}");
        Self {
            id: entry.slug.clone(),
            title: entry.title.clone(),
            source: entry.source.clone(),
            page: entry.page.clone(),
            lang: entry.lang.clone(),
            dir: entry.dir.clone(),
            duration: entry.duration,
            duration_label: super::clock(entry.duration),
            media: MediaFiles {
                video: url(&entry.media.video),
                poster: url(&entry.media.poster),
                chapters_vtt: url(&entry.media.chapters_vtt),
                captions_vtt: entry.media.captions_vtt.as_deref().map(url),
                handout: entry.media.handout.as_deref().map(url),
                ..entry.media
            },
            chapters: entry
                .chapters
                .iter()
                .map(|c| PublishedChapter {
                    start: c.start,
                    end: c.end,
                    title: c.title.clone(),
                    start_label: super::clock(c.start),
                })
                .collect(),
            slides: entry.text.clone(),
            player: String::new(),
        }
    }
}

/// The manifest: `{generator, media_url, lectures: {id: lecture}}`, each lecture with its
/// player.
pub fn manifest(
    templates: &Templates,
    entries: &[IndexEntry],
    media_url: &str,
    handout: Option<&str>,
) -> Result<Vec<u8>> {
    #[derive(Serialize)]
    struct Manifest<'a> {
        generator: &'a str,
        media_url: &'a str,
        /// The course handout's URL (relative to the site's root).
        #[serde(skip_serializing_if = "Option::is_none")]
        handout: Option<String>,
        lectures: BTreeMap<&'a str, Published>,
    }
    let mut lectures = BTreeMap::new();
    for entry in entries.iter().filter(|e| !e.media.video.is_empty()) {
        let mut published = Published::of(entry, media_url);
        published.player = player(templates, entry, &format!("{BASE}{media_url}"))?;
        lectures.insert(entry.slug.as_str(), published);
    }
    let manifest = Manifest {
        generator: concat!("lecturegen ", env!("CARGO_PKG_VERSION")),
        media_url,
        handout: handout.map(|h| format!("{media_url}{h}")),
        lectures,
    };
    let mut bytes = serde_json::to_vec_pretty(&manifest)?;
    bytes.push(b'\n');
    Ok(bytes)
}

/// The player of `entry`, its URLs starting with `to_media` (the media folder's URL from the
/// page: `../lectures/` for a page one folder down). Without blank lines, so it stays one HTML
/// block inside markdown.
pub fn player(templates: &Templates, entry: &IndexEntry, to_media: &str) -> Result<String> {
    let mut context = tera::Context::new();
    context.insert("lecture", &Published::of(entry, to_media));
    context.insert("assets", to_media);
    context.insert("labels", &crate::labels::for_lang(&entry.lang));
    let html = templates.render("embed.html", &context)?;
    let mut out: String = html
        .lines()
        .filter(|l| !l.trim().is_empty())
        .collect::<Vec<_>>()
        .join("\n");
    out.push('\n');
    Ok(out)
}
