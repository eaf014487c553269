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

/// Serif families used for the generic `serif` when the machine has one; else [`SANS`].
const SERIFS: [&str; 4] = [
    "DejaVu Serif",
    "Liberation Serif",
    "Noto Serif",
    "FreeSerif",
];

/// Whether `db` has a face of the family `name` (as written in documents: any case).
pub fn has_family(db: &fontdb::Database, name: &str) -> bool {
    db.faces()
        .any(|f| f.families.iter().any(|(n, _)| n.eq_ignore_ascii_case(name)))
}

/// A shared font database and a pool of shaping contexts made from it.
pub struct Fonts {
    db: fontdb::Database,
    locale: String,
    pool: Mutex<Vec<(FontSystem, SwashCache)>>,
    /// Faces of the machine's fonts (the others are bundled or the course's).
    system: std::collections::HashSet<fontdb::ID>,
}

/// Where a font face came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FontSource {
    /// One of the fonts bundled in the binary, by its size in bytes.
    Bundled(usize),
    /// One of the machine's fonts, by what names it without reading it: its PostScript name
    /// and its file's name and size (a font package's update changes the size).
    System(String),
    /// A font file of the course.
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
        let mut system = std::collections::HashSet::new();
        if config.system {
            db.load_system_fonts();
            system = db.faces().map(|f| f.id).collect();
        }
        for dir in &config.dirs {
            let dir = course_root.join(dir);
            if dir.is_dir() {
                db.load_fonts_dir(&dir);
            }
        }
        // Every generic family names one that is there (fontdb's defaults are Times New
        // Roman, Arial and Courier New): SVG figures name them, and fall back to them when
        // the family they name is missing. Text with no face draws nothing.
        db.set_sans_serif_family(SANS);
        db.set_monospace_family(MONO);
        let serif = SERIFS
            .into_iter()
            .find(|name| has_family(&db, name))
            .unwrap_or(SANS);
        db.set_serif_family(serif);
        db.set_cursive_family(SANS);
        db.set_fantasy_family(SANS);
        // Every shaping context reads faces while matching fonts (cosmic-text opens each face
        // whose weight differs from the text's to look for a variable weight axis): mapped
        // once here, not mapped and unmapped by every context for every style (a 10-slide
        // build with this machine's 272 faces: 588 mmap and 563 munmap calls, now 226 and 198,
        // most of them the faces mapped once).
        let ids: Vec<fontdb::ID> = db.faces().map(|f| f.id).collect();
        for id in ids {
            // SAFETY: fontdb maps the file read-only; a font file rewritten while a build
            // reads it could show torn data, exactly as with fontdb's own per-call mapping.
            unsafe {
                db.make_shared_face_data(id);
            }
        }
        Self {
            db,
            locale: "en-US".into(),
            pool: Mutex::new(Vec::new()),
            system,
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
    /// by these (adding or changing a font redraws slides; moving the course folder does
    /// not). The machine's fonts are named without being read: hashing them took ~30 ms of
    /// every cold build here (45 MB), and hundreds of ms on a desktop with many fonts.
    pub fn faces(&self) -> Vec<(FontSource, u32)> {
        self.db
            .faces()
            .map(|face| {
                let source = match &face.source {
                    fontdb::Source::Binary(data) => {
                        let bytes: &[u8] = (**data).as_ref();
                        FontSource::Bundled(bytes.len())
                    }
                    fontdb::Source::File(path) | fontdb::Source::SharedFile(path, _)
                        if self.system.contains(&face.id) =>
                    {
                        let size = std::fs::metadata(path).map_or(0, |m| m.len());
                        let name = path.file_name().unwrap_or_default().to_string_lossy();
                        FontSource::System(format!("{}:{name}:{size}", face.post_script_name))
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
