//! `[site]`: whose site the lectures are published in, and where each generator keeps things.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

/// `[site]`: lecturegen's own course site, or a site another generator builds.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct SiteConfig {
    /// "lecturegen" (the default: its own course site in `output_dir`), or the generator of
    /// the site the lectures live in: "mdbook", "hugo", "jekyll", "zola", "quarto".
    pub generator: Generator,
    /// Host sites: where the media go, relative to the root. Default: the generator's static
    /// files (see [`Generator::media_dir`]).
    pub media_dir: Option<PathBuf>,
    /// Host sites: where `lectures.json` goes. Default: the generator's data folder.
    pub data_dir: Option<PathBuf>,
    /// A PDF handout beside each lecture's video. Default: true.
    pub handouts: bool,
    /// The handouts' paper: "a4" (the default) or "letter", landscape.
    pub paper: Paper,
    /// Where the site is served (`https://example.org/course/`): handouts link each slide's
    /// moment there. Default: none, links relative to the handout.
    pub base_url: Option<String>,
}

impl Default for SiteConfig {
    fn default() -> Self {
        Self {
            generator: Generator::default(),
            media_dir: None,
            data_dir: None,
            handouts: true,
            paper: Paper::default(),
            base_url: None,
        }
    }
}

/// The paper of handouts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Paper {
    /// ISO A4, 297 x 210 mm.
    #[default]
    A4,
    /// US Letter, 11 x 8.5 in.
    Letter,
}

impl Paper {
    /// Width and height in points, landscape.
    pub fn landscape_points(self) -> (f32, f32) {
        match self {
            Self::A4 => (841.89, 595.28),
            Self::Letter => (792.0, 612.0),
        }
    }
}

impl SiteConfig {
    /// Where the media of a host site go (for lecturegen's own site: `None`).
    pub fn media_dir(&self) -> Option<PathBuf> {
        self.generator.is_host().then(|| {
            self.media_dir
                .clone()
                .unwrap_or_else(|| self.generator.media_dir().into())
        })
    }

    /// Where the manifest of a host site goes.
    pub fn data_dir(&self) -> Option<PathBuf> {
        self.generator.is_host().then(|| {
            self.data_dir
                .clone()
                .unwrap_or_else(|| self.generator.data_dir().into())
        })
    }

    /// The URL path, relative to the site's root, at which the host serves the media folder
    /// (`static/lectures` -> `lectures/`); ends with `/`.
    pub fn media_url(&self) -> String {
        let dir = self.media_dir().unwrap_or_default();
        let public = Path::new(self.generator.public_dir());
        let served = dir.strip_prefix(public).unwrap_or(&dir);
        let mut url: String = served
            .components()
            .filter(|c| matches!(c, std::path::Component::Normal(_)))
            .map(|c| format!("{}/", c.as_os_str().to_string_lossy()))
            .collect();
        if url.is_empty() {
            url.push_str("./");
        }
        url
    }
}

/// The static site generator whose site the lectures are published in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Generator {
    /// lecturegen's own course site.
    #[default]
    Lecturegen,
    /// mdBook: a preprocessor (`lecturegen mdbook`) embeds the player.
    Mdbook,
    /// Hugo: a `lecture` shortcode.
    Hugo,
    /// Jekyll and GitHub Pages: `_includes/lecture.html`.
    Jekyll,
    /// Zola: a `lecture` shortcode.
    Zola,
    /// Quarto: a `lecture` shortcode extension.
    Quarto,
}

impl Generator {
    /// Every generator, in the order messages list them.
    pub const ALL: [Self; 6] = [
        Self::Lecturegen,
        Self::Mdbook,
        Self::Hugo,
        Self::Jekyll,
        Self::Zola,
        Self::Quarto,
    ];

    /// The name in `lecturegen.toml` and on the command line.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Lecturegen => "lecturegen",
            Self::Mdbook => "mdbook",
            Self::Hugo => "hugo",
            Self::Jekyll => "jekyll",
            Self::Zola => "zola",
            Self::Quarto => "quarto",
        }
    }

    /// Another generator builds the pages; lecturegen builds the media and the manifest.
    pub fn is_host(self) -> bool {
        self != Self::Lecturegen
    }

    /// Where that generator keeps its pages.
    pub fn content_dir(self) -> &'static str {
        match self {
            Self::Lecturegen | Self::Hugo | Self::Zola => "content",
            Self::Mdbook => "src",
            Self::Jekyll | Self::Quarto => ".",
        }
    }

    /// The folder whose files the generator copies to the root of the built site as they are.
    pub fn public_dir(self) -> &'static str {
        match self {
            Self::Lecturegen | Self::Jekyll | Self::Quarto => "",
            Self::Mdbook => "src",
            Self::Hugo | Self::Zola => "static",
        }
    }

    /// Default media folder: `lectures/` inside the public folder.
    pub fn media_dir(self) -> &'static str {
        match self {
            Self::Lecturegen => "output",
            Self::Mdbook => "src/lectures",
            Self::Hugo | Self::Zola => "static/lectures",
            Self::Jekyll | Self::Quarto => "lectures",
        }
    }

    /// Default folder of `lectures.json`: where the generator's templates read data from.
    pub fn data_dir(self) -> &'static str {
        match self {
            Self::Lecturegen => "output",
            Self::Mdbook => "src/lectures",
            Self::Hugo | Self::Zola => "data",
            Self::Jekyll => "_data",
            Self::Quarto => "lectures",
        }
    }

    /// The generator's own output and cache folders, relative to the root: never read.
    pub fn build_dirs(self) -> &'static [&'static str] {
        match self {
            Self::Lecturegen => &[],
            Self::Mdbook => &["book"],
            Self::Hugo => &["public", "resources"],
            Self::Jekyll => &["_site", ".jekyll-cache", ".sass-cache", "vendor"],
            Self::Zola => &["public"],
            Self::Quarto => &["_site", ".quarto", "_freeze"],
        }
    }
}

impl std::str::FromStr for Generator {
    type Err = String;

    fn from_str(name: &str) -> Result<Self, String> {
        Self::ALL
            .into_iter()
            .find(|g| g.as_str() == name)
            .ok_or_else(|| {
                let names: Vec<_> = Self::ALL.iter().map(|g| g.as_str()).collect();
                format!(
                    "unknown site generator `{name}`; available: {}",
                    names.join(", ")
                )
            })
    }
}

impl std::fmt::Display for Generator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}
