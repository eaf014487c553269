//! `[layout]` (how much goes on a slide, how prose is shown) and `[points]` (who writes the
//! points of prose).

use serde::{Deserialize, Serialize};

use super::RemotePointsConfig;

/// `[layout]`
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct LayoutConfig {
    /// Words of prose on one slide picture: longer prose continues on the next picture, cut
    /// at a sentence, and notes without headings are grouped into slides of about this many
    /// words. Default: 70 (about six lines at reading size on a 1080p frame).
    pub max_words_per_page: usize,
    /// How paragraphs of prose are shown: `"points"` (a short point each while the voice
    /// reads the paragraph, the default) or `"full"` (the text itself on the slide). Notes
    /// written for a slide tool (Marp, remark...) always show what their author wrote.
    pub prose: Prose,
    /// In the video, the points already spoken are dimmed and the one being spoken keeps its
    /// full colour (the page's picture shows them all alike). Default: false.
    pub spotlight: bool,
}

impl Default for LayoutConfig {
    fn default() -> Self {
        Self {
            max_words_per_page: 70,
            prose: Prose::Points,
            spotlight: false,
        }
    }
}

/// `[points]`
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct PointsConfig {
    /// `[points.remote]`: a text model that writes the points (used when `url` is set).
    pub remote: RemotePointsConfig,
}

/// `[layout] prose` and a lecture's `prose:`: how paragraphs of prose are shown.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Prose {
    /// One short point per paragraph on the slide; the voice reads the paragraph.
    #[default]
    Points,
    /// The paragraphs themselves on the slide, read aloud as they are.
    Full,
}

impl std::str::FromStr for Prose {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        match s.trim().to_ascii_lowercase().as_str() {
            "points" => Ok(Self::Points),
            "full" => Ok(Self::Full),
            other => Err(format!("prose `{other}`: expected points or full")),
        }
    }
}
