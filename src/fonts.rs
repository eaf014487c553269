//! Fonts: the bundled DejaVu family first (Latin, Greek, Cyrillic, Arabic, Hebrew, symbols),
//! then the machine's fonts, then a course's `fonts/` folders.
//!
//! In: [`FontConfig`]. Out: a [`Fonts`] pool handing out one cosmic-text `FontSystem` per
//! worker thread, so slides can be laid out in parallel.

use std::path::Path;
use std::sync::{Arc, Mutex};

use cosmic_text::{fontdb, FontSystem, SwashCache};

use crate::config::FontConfig;

/// Family used for body text and titles.
pub const SANS: &str = "DejaVu Sans";
/// Family used for code.
pub const MONO: &str = "DejaVu Sans Mono";

/// A shared font database and a pool of shaping contexts made from it.
pub struct Fonts {
    db: fontdb::Database,
    locale: String,
    pool: Mutex<Vec<(FontSystem, SwashCache)>>,
}

/// Where a font face came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FontSource {
    /// One of the fonts bundled in the binary, by its size in bytes.
    Bundled(usize),
    /// A font file.
    File(std::path::PathBuf),
}

impl Fonts {
    /// Loads the bundled fonts, plus system fonts and extra folders as configured.
    pub fn load(config: &FontConfig, course_root: &Path) -> Self {
        let mut db = fontdb::Database::new();
        let bundled: [&'static [u8]; 6] = [
            dejavu::sans::regular(),
            dejavu::sans::bold(),
            dejavu::sans::oblique(),
            dejavu::sans::bold_oblique(),
            dejavu::sans_mono::regular(),
            dejavu::sans_mono::bold(),
        ];
        for data in bundled {
            db.load_font_source(fontdb::Source::Binary(Arc::new(data)));
        }
        if config.system {
            db.load_system_fonts();
        }
        for dir in &config.dirs {
            let dir = course_root.join(dir);
            if dir.is_dir() {
                db.load_fonts_dir(&dir);
            }
        }
        db.set_sans_serif_family(SANS);
        db.set_monospace_family(MONO);
        Self {
            db,
            locale: "en-US".into(),
            pool: Mutex::new(Vec::new()),
        }
    }

    /// Runs `f` with a shaping context of its own; contexts are reused across calls.
    pub fn with<R>(&self, f: impl FnOnce(&mut FontSystem, &mut SwashCache) -> R) -> R {
        let taken = self.pool.lock().map(|mut p| p.pop()).unwrap_or(None);
        let (mut system, mut cache) = taken.unwrap_or_else(|| {
            (
                FontSystem::new_with_locale_and_db(self.locale.clone(), self.db.clone()),
                SwashCache::new(),
            )
        });
        let result = f(&mut system, &mut cache);
        if let Ok(mut pool) = self.pool.lock() {
            pool.push((system, cache));
        }
        result
    }

    /// Where each loaded face came from, with its index in its file: the build keys slides
    /// by the contents of these (adding or changing a font redraws slides; moving the course
    /// folder does not).
    pub fn faces(&self) -> Vec<(FontSource, u32)> {
        self.db
            .faces()
            .map(|face| {
                let source = match &face.source {
                    fontdb::Source::Binary(data) => {
                        let bytes: &[u8] = (**data).as_ref();
                        FontSource::Bundled(bytes.len())
                    }
                    fontdb::Source::File(path) | fontdb::Source::SharedFile(path, _) => {
                        FontSource::File(path.clone())
                    }
                };
                (source, face.index)
            })
            .collect()
    }

    /// Number of font faces known.
    pub fn face_count(&self) -> usize {
        self.db.len()
    }
}
