//! `[build] dialect` and a note's `dialect:`: the slide tool a deck was written for.

use serde::{Deserialize, Serialize};

/// The slide tool a deck was written for: how its notes are read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize, Serialize)]
#[serde(try_from = "String", into = "String")]
pub enum NotesDialect {
    /// Markdown as lecturegen reads it (headings and `---` make slides).
    Plain,
    /// remark, and the Galaxy Training Network's decks.
    Remark,
    /// Marp.
    Marp,
    /// Slidev.
    Slidev,
    /// Quarto (reveal.js format) and pandoc.
    Quarto,
    /// reveal.js's markdown.
    Reveal,
}

impl NotesDialect {
    /// Every dialect.
    pub const ALL: [Self; 6] = [
        Self::Plain,
        Self::Remark,
        Self::Marp,
        Self::Slidev,
        Self::Quarto,
        Self::Reveal,
    ];

    /// The name written in front matter and configuration.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Plain => "plain",
            Self::Remark => "remark",
            Self::Marp => "marp",
            Self::Slidev => "slidev",
            Self::Quarto => "quarto",
            Self::Reveal => "reveal",
        }
    }
}

impl std::str::FromStr for NotesDialect {
    type Err = String;

    fn from_str(name: &str) -> Result<Self, String> {
        let name = name.trim().to_ascii_lowercase();
        let name = match name.as_str() {
            "markdown" => "plain",
            "gtn" => "remark",
            "pandoc" | "revealjs" | "qmd" => "quarto",
            "reveal.js" => "reveal",
            other => other,
        };
        Self::ALL
            .into_iter()
            .find(|d| d.as_str() == name)
            .ok_or_else(|| {
                let names: Vec<&str> = Self::ALL.iter().map(|d| d.as_str()).collect();
                format!("unknown dialect `{name}`; available: {}", names.join(", "))
            })
    }
}

impl TryFrom<String> for NotesDialect {
    type Error = String;

    fn try_from(name: String) -> Result<Self, String> {
        name.parse()
    }
}

impl From<NotesDialect> for String {
    fn from(dialect: NotesDialect) -> String {
        dialect.as_str().to_string()
    }
}
