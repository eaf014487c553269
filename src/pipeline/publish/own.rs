//! lecturegen's own course site: every note in the content folder is a lecture, each gets a
//! page, and the course an index.

use anyhow::Result;

use super::{write_all, Published, Publisher};
use crate::config::Config;
use crate::project::Project;
use crate::site::{self, IndexEntry};
use crate::templates::Templates;

/// lecturegen's own site in the output folder.
pub struct OwnSite;

/// Every note is a lecture and the notes folder is lecturegen's: the trait's provided
/// methods.
impl Publisher for OwnSite {
    /// The page, written after the media and tracks it links.
    fn last_file(&self) -> &'static str {
        "index.html"
    }

    /// The lecture's page plays from `#t=` on load.
    fn moment_url(&self, slug: &str, base_url: Option<&str>) -> String {
        match base_url {
            Some(base) => format!("{}/{slug}/", base.trim_end_matches('/')),
            None => "index.html".into(),
        }
    }

    fn lecture_page(
        &self,
        templates: &Templates,
        config: &Config,
        lecture: &Published<'_>,
    ) -> Result<Option<(&'static str, Vec<u8>)>> {
        let page = site::lecture_page(
            templates,
            config,
            lecture.lecture,
            lecture.chapters,
            lecture.media,
            lecture.cues,
        )?;
        Ok(Some(("index.html", page)))
    }

    /// The course's `index.html` and `style.css`.
    fn course(
        &self,
        templates: &Templates,
        project: &Project,
        entries: &[IndexEntry],
        handout: Option<&str>,
    ) -> Result<()> {
        let files = site::render_index(templates, &project.config, entries, handout)?;
        write_all(&project.output_dir(), files)
    }
}
