//! A site another generator builds (mdBook, Hugo, Jekyll, Zola, Quarto): its pages marked as
//! lectures are the notes, lecturegen writes their media to the host's static files, the
//! player's style and script beside them, and `lectures.json` to the host's data folder; the
//! pages get the player from the host's snippet or preprocessor ([`crate::host`]).

use std::path::PathBuf;

use anyhow::{Context, Result};

use super::{write_all, Publisher};
use crate::content::Selection;
use crate::fsutil::write_if_changed;
use crate::project::Project;
use crate::site::{self, IndexEntry};
use crate::templates::Templates;

/// A host site: where its manifest goes and the URL its media are served at.
pub struct HostSite {
    /// The folder of `lectures.json`.
    data_dir: PathBuf,
    /// The media folder's URL from the site's root, ending in `/`.
    media_url: String,
}

impl HostSite {
    /// The host site of `project`.
    pub fn of(project: &Project) -> Self {
        Self {
            // Every host generator has a data folder; the output is a fallback never taken.
            data_dir: project.data_dir().unwrap_or_else(|| project.output_dir()),
            media_url: project.config.site.media_url(),
        }
    }
}

impl Publisher for HostSite {
    /// The pages marked as lectures, wherever they are but in the host's own output and
    /// caches, the cache, and the folders lecturegen made for its lectures: the media folder
    /// itself is also where teachers keep lecture pages (Jekyll's and Quarto's `lectures/`,
    /// mdBook's `src/lectures/`).
    fn selection(&self, project: &Project, made: &[PathBuf]) -> Selection {
        let mut skip: Vec<PathBuf> = project
            .ignored()
            .iter()
            .map(|d| project.resolve(d))
            .collect();
        skip.push(project.cache_dir());
        skip.extend(made.iter().cloned());
        Selection::Marked { skip }
    }

    fn shares_front_matter(&self) -> bool {
        true
    }

    fn output_among_pages(&self) -> bool {
        true
    }

    fn only_pages_are_sources(&self) -> bool {
        true
    }

    /// The chapters track: the host's page links nothing else lecturegen writes.
    fn last_file(&self) -> &'static str {
        "chapters.vtt"
    }

    /// The player's style and script in the media folder, and `lectures.json`.
    fn course(
        &self,
        templates: &Templates,
        project: &Project,
        entries: &[IndexEntry],
        handout: Option<&str>,
    ) -> Result<()> {
        let mut player = Vec::new();
        for (template, name) in site::PLAYER_FILES {
            let text = templates.render(template, &tera::Context::new())?;
            player.push((name, text.into_bytes()));
        }
        write_all(&project.output_dir(), player)?;
        let manifest = site::manifest(templates, entries, &self.media_url, handout)?;
        std::fs::create_dir_all(&self.data_dir)
            .with_context(|| format!("creating {}", self.data_dir.display()))?;
        write_if_changed(&self.data_dir.join(site::MANIFEST), &manifest)?;
        Ok(())
    }
}
