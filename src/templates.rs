//! Templates: the built-in tera templates compiled into the binary, overridden by file name from
//! a course's `templates/` folder.
//!
//! - `slide.toml` lays out a slide: where the title, subtitle and body boxes go, type sizes,
//!   colours and panels. Rust shapes and draws the text inside those boxes.
//! - `lecture.html`, `index.html` and `style.css` make the site.
//! - `embed.html`, `player.css` and `player.js` make the player a host site's page embeds.

use std::path::Path;

use anyhow::{Context, Result};
use tera::Tera;

/// The built-in templates, by name.
pub const BUILTIN: &[(&str, &str)] = &[
    ("slide.toml", include_str!("../templates/slide.toml")),
    ("lecture.html", include_str!("../templates/lecture.html")),
    ("index.html", include_str!("../templates/index.html")),
    ("style.css", include_str!("../templates/style.css")),
    ("embed.html", include_str!("../templates/embed.html")),
    ("player.css", include_str!("../templates/player.css")),
    ("player.js", include_str!("../templates/player.js")),
];

/// Templates that make the site, not slides: editing them never re-renders a slide.
pub const SITE: &[&str] = &[
    "lecture.html",
    "index.html",
    "style.css",
    "embed.html",
    "player.css",
    "player.js",
];

/// The compiled templates of a course.
pub struct Templates {
    tera: Tera,
    /// Name and source of every template, built-in or overridden.
    sources: Vec<(String, String)>,
    /// Names overridden by the course, for messages.
    pub overridden: Vec<String>,
}

impl Templates {
    /// The built-in templates, then every file in `dir` (if it exists) by its file name.
    pub fn load(dir: &Path) -> Result<Self> {
        let mut sources: Vec<(String, String)> = BUILTIN
            .iter()
            .map(|(n, t)| (n.to_string(), t.to_string()))
            .collect();
        let mut overridden = Vec::new();
        if dir.is_dir() {
            let entries =
                std::fs::read_dir(dir).with_context(|| format!("reading {}", dir.display()))?;
            let mut paths: Vec<_> = entries.filter_map(|e| e.ok()).map(|e| e.path()).collect();
            paths.sort();
            for path in paths {
                let Some(name) = path.file_name().map(|n| n.to_string_lossy().into_owned()) else {
                    continue;
                };
                if name.starts_with('.') || !path.is_file() {
                    continue;
                }
                let text = std::fs::read_to_string(&path)
                    .with_context(|| format!("reading template {}", path.display()))?;
                match sources.iter_mut().find(|(n, _)| *n == name) {
                    Some(entry) => entry.1 = text,
                    None => sources.push((name.clone(), text)),
                }
                overridden.push(name);
            }
        }
        let mut tera = Tera::default();
        for (name, text) in &sources {
            tera.add_raw_template(name, text).map_err(|e| {
                let origin = if overridden.contains(name) {
                    dir.join(name).display().to_string()
                } else {
                    format!("built-in template {name}")
                };
                anyhow::anyhow!("{origin}: {}", error_chain(&e))
            })?;
        }
        Ok(Self {
            tera,
            sources,
            overridden,
        })
    }

    /// A digest of the sources of the templates whose names `select` accepts: part of the cache
    /// key of whatever those templates shape.
    pub fn digest(&self, select: impl Fn(&str) -> bool) -> String {
        let mut key = crate::cache::Key::new("templates");
        for (name, text) in self.sources.iter().filter(|(n, _)| select(n)) {
            key.add_str(name).add_str(text);
        }
        key.hex()
    }

    /// Renders template `name` with `context`.
    pub fn render(&self, name: &str, context: &tera::Context) -> Result<String> {
        self.tera
            .render(name, context)
            .map_err(|e| anyhow::anyhow!("template {name}: {}", error_chain(&e)))
    }
}

/// Tera puts the useful part (line, column, what was expected) in the error's sources.
fn error_chain(e: &tera::Error) -> String {
    let mut parts = vec![e.to_string()];
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        parts.push(s.to_string());
        source = s.source();
    }
    parts.join(": ")
}
