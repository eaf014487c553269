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
    fingerprint: String,
    pool: Mutex<Vec<(FontSystem, SwashCache)>>,
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
        let fingerprint = fingerprint(&db);
        Self {
            db,
            locale: "en-US".into(),
            fingerprint,
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

    /// Identifies the set of fonts (files, sizes and modification times): part of the key of
    /// every laid-out slide, so adding or changing a font re-renders slides.
    pub fn fingerprint(&self) -> &str {
        &self.fingerprint
    }

    /// Number of font faces known.
    pub fn face_count(&self) -> usize {
        self.db.len()
    }
}

fn fingerprint(db: &fontdb::Database) -> String {
    let mut key = crate::cache::Key::new("fonts");
    for face in db.faces() {
        match &face.source {
            fontdb::Source::Binary(data) => {
                let bytes: &[u8] = (**data).as_ref();
                key.add_str("binary")
                    .add(&(bytes.len() as u64).to_le_bytes());
            }
            fontdb::Source::File(path) | fontdb::Source::SharedFile(path, _) => {
                key.add_str(&path.to_string_lossy());
                if let Ok(meta) = std::fs::metadata(path) {
                    key.add(&meta.len().to_le_bytes());
                    if let Ok(Ok(age)) = meta
                        .modified()
                        .map(|m| m.duration_since(std::time::UNIX_EPOCH))
                    {
                        key.add(&age.as_nanos().to_le_bytes());
                    }
                }
            }
        }
        key.add(&face.index.to_le_bytes());
    }
    key.hex()
}
