//! Media: the one place where pictures and other files the notes name are read.
//!
//! In: paths the content stage resolved (canonical, inside the course). Out: bytes, digests and
//! decoded pictures: [`decode`] with limits (a picture of many megapixels is a mistake or an
//! attack), [`cover`] (a background or a split side), [`fit`] (a figure in a box, SVG drawn at
//! its target size). Stages after `content` read files only through here.
//!
//! File digests are memoised by path, size and modification time ([`digest`]), in memory and,
//! between runs, in the cache folder ([`load_digests`], [`save_digests`]), so large weights and
//! fonts are hashed once, not on every build.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, OnceLock};

use anyhow::{Context, Result};
use image::{DynamicImage, RgbImage, RgbaImage};
use serde::{Deserialize, Serialize};

/// Largest picture edge accepted, in pixels.
pub const MAX_EDGE: u32 = 16_384;
/// Largest decoded picture, in bytes.
pub const MAX_ALLOC: u64 = 512 * 1024 * 1024;

/// The bytes of a file the notes name.
pub fn read(path: &Path) -> Result<Vec<u8>> {
    std::fs::read(path).with_context(|| format!("reading {}", path.display()))
}

/// Decodes a raster picture (PNG, JPEG, WebP), refusing sizes past [`MAX_EDGE`] and
/// [`MAX_ALLOC`].
pub fn decode(bytes: &[u8]) -> Result<DynamicImage> {
    let mut reader = image::ImageReader::new(std::io::Cursor::new(bytes)).with_guessed_format()?;
    let mut limits = image::Limits::default();
    limits.max_image_width = Some(MAX_EDGE);
    limits.max_image_height = Some(MAX_EDGE);
    limits.max_alloc = Some(MAX_ALLOC);
    reader.limits(limits);
    Ok(reader.decode()?)
}

/// Scales and crops a picture to cover `width` x `height` (CSS `background-size: cover`).
pub fn cover(bytes: &[u8], width: u32, height: u32) -> Result<RgbImage> {
    Ok(cover_image(&decode(bytes)?.to_rgb8(), width, height))
}

/// A decoded picture scaled and cropped to cover `width` x `height`.
pub fn cover_image(img: &RgbImage, width: u32, height: u32) -> RgbImage {
    if img.dimensions() == (width, height) {
        return img.clone();
    }
    let scale =
        (width as f32 / img.width().max(1) as f32).max(height as f32 / img.height().max(1) as f32);
    let sw = ((img.width() as f32 * scale).ceil() as u32).max(width);
    let sh = ((img.height() as f32 * scale).ceil() as u32).max(height);
    let scaled = image::imageops::resize(img, sw, sh, image::imageops::FilterType::CatmullRom);
    let x = (sw - width) / 2;
    let y = (sh - height) / 2;
    image::imageops::crop_imm(&scaled, x, y, width, height).to_image()
}

/// The picture at `path` covering `width` x `height`.
pub fn cover_file(path: &Path, width: u32, height: u32) -> Result<RgbImage> {
    cover(&read(path)?, width, height)
}

/// The pictures at `paths` side by side (one above another when `vertical`), each covering
/// its equal share of `width` x `height`, as Marp lays out several backgrounds.
pub fn cover_files(paths: &[PathBuf], vertical: bool, width: u32, height: u32) -> Result<RgbImage> {
    let n = u32::try_from(paths.len().max(1)).unwrap_or(u32::MAX);
    let mut out = RgbImage::new(width, height);
    let length = if vertical { height } else { width };
    for (i, path) in (0..n).zip(paths) {
        // Tile i spans [length * i / n, length * (i + 1) / n): the shares fill the frame.
        let (start, end) = (length * i / n, length * (i + 1) / n);
        let (w, h, x, y) = if vertical {
            (width, end - start, 0, start)
        } else {
            (end - start, height, start, 0)
        };
        let tile = cover_file(path, w.max(1), h.max(1))
            .with_context(|| format!("background picture {}", path.display()))?;
        image::imageops::replace(&mut out, &tile, i64::from(x), i64::from(y));
    }
    Ok(out)
}

/// Whether `path` names an SVG picture.
pub fn is_svg(path: &Path) -> bool {
    path.extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("svg") || e.eq_ignore_ascii_case("svgz"))
}

/// The picture at `path` scaled to the largest size that fits `max_w` x `max_h`, keeping its
/// aspect ratio: SVG drawn at that size (text in the slide fonts), raster pictures resampled
/// with a Catmull-Rom filter (a small diagram is enlarged to fill its box: a 320 px figure is
/// unreadable on a 1920 px slide). `warn` hears of what the picture asked for and did not get
/// (an SVG's font family that is not installed).
pub fn fit(
    path: &Path,
    max_w: f32,
    max_h: f32,
    fonts: &cosmic_text::fontdb::Database,
    warn: &mut dyn FnMut(String),
) -> Result<RgbaImage> {
    let data = read(path)?;
    if is_svg(path) {
        let name = path.display().to_string();
        return draw_svg(&name, &data, max_w, max_h, fonts, warn);
    }
    let img = decode(&data)?.to_rgba8();
    let (w, h) = (img.width().max(1) as f32, img.height().max(1) as f32);
    let scale = (max_w / w).min(max_h / h);
    let (nw, nh) = (
        (w * scale).round().max(1.0) as u32,
        (h * scale).round().max(1.0) as u32,
    );
    if (nw, nh) == (img.width(), img.height()) {
        return Ok(img);
    }
    Ok(image::imageops::resize(
        &img,
        nw,
        nh,
        image::imageops::FilterType::CatmullRom,
    ))
}

/// Draws an SVG to fit `max_w` x `max_h` (vector art scales freely), text in the slide fonts:
/// text that names no family in the bundled sans, a family that is missing (draw.io writes
/// Helvetica) in the generic family most like it, with one warning naming the families. Files it links
/// to are not read: only pictures embedded as data URLs are drawn.
pub fn draw_svg(
    name: &str,
    data: &[u8],
    max_w: f32,
    max_h: f32,
    fonts: &cosmic_text::fontdb::Database,
    warn: &mut dyn FnMut(String),
) -> Result<RgbaImage> {
    use resvg::{tiny_skia, usvg};
    use usvg::fontdb::{self, Family};
    let missing = std::sync::Arc::new(Mutex::new(std::collections::BTreeSet::new()));
    let select = usvg::FontResolver::default_font_selector();
    let noted = missing.clone();
    let options = usvg::Options {
        fontdb: std::sync::Arc::new(fonts.clone()),
        font_family: crate::fonts::SANS.into(),
        font_resolver: usvg::FontResolver {
            select_font: Box::new(move |font, db| {
                let mut names = Vec::new();
                let found = font.families().iter().any(|family| match family {
                    usvg::FontFamily::Named(name) => {
                        names.push(name.clone());
                        crate::fonts::has_family(db, name)
                    }
                    _ => true,
                });
                if found {
                    return select(font, db);
                }
                if let Ok(mut missing) = noted.lock() {
                    missing.insert(names.join(", "));
                }
                // usvg would fall back to serif; the family most like the missing one is
                // closer (a browser's font configuration maps Helvetica to a sans).
                let family = names.first().map_or(Family::SansSerif, |n| like(n));
                db.query(&fontdb::Query {
                    families: &[family, Family::SansSerif],
                    weight: fontdb::Weight(font.weight()),
                    stretch: stretch(font.stretch()),
                    style: match font.style() {
                        usvg::FontStyle::Normal => fontdb::Style::Normal,
                        usvg::FontStyle::Italic => fontdb::Style::Italic,
                        usvg::FontStyle::Oblique => fontdb::Style::Oblique,
                    },
                })
            }),
            ..usvg::FontResolver::default()
        },
        image_href_resolver: usvg::ImageHrefResolver {
            resolve_data: usvg::ImageHrefResolver::default_data_resolver(),
            resolve_string: Box::new(|_, _| None),
        },
        ..usvg::Options::default()
    };
    let data = without_drawio_notice(data);
    let tree = usvg::Tree::from_data(&data, &options)
        .map_err(|e| anyhow::anyhow!("{name}: not a valid SVG: {e}"))?;
    let missing = missing.lock().map(|m| m.clone()).unwrap_or_default();
    if !missing.is_empty() {
        let families: Vec<String> = missing.iter().map(|f| format!("\"{f}\"")).collect();
        let file = Path::new(name)
            .file_name()
            .map(|f| f.to_string_lossy().into_owned());
        warn(format!(
            "{}: font family {} not installed: its text is drawn in {} (install the font, or \
             put it in the course's fonts folder)",
            file.unwrap_or_else(|| name.to_string()),
            families.join(" and "),
            fonts.family_name(&like(missing.iter().next().map_or("", String::as_str)))
        ));
    }
    let size = tree.size();
    let scale = (max_w / size.width()).min(max_h / size.height());
    if !scale.is_finite() || scale <= 0.0 {
        anyhow::bail!("{name}: the SVG has no size");
    }
    let edge = MAX_EDGE as f32;
    let (w, h) = (
        (size.width() * scale).round().clamp(1.0, edge) as u32,
        (size.height() * scale).round().clamp(1.0, edge) as u32,
    );
    let mut pixmap =
        tiny_skia::Pixmap::new(w, h).with_context(|| format!("{name}: cannot draw at {w}x{h}"))?;
    resvg::render(
        &tree,
        tiny_skia::Transform::from_scale(scale, scale),
        &mut pixmap.as_mut(),
    );
    let mut out = RgbaImage::new(w, h);
    for (dst, src) in out.pixels_mut().zip(pixmap.pixels()) {
        let c = src.demultiply();
        *dst = image::Rgba([c.red(), c.green(), c.blue(), c.alpha()]);
    }
    Ok(out)
}

/// The generic family most like the font family `name`: serif for the usual serif faces,
/// monospace for the typewriter ones, else sans (Helvetica, Arial, Segoe UI...).
fn like(name: &str) -> resvg::usvg::fontdb::Family<'static> {
    use resvg::usvg::fontdb::Family;
    let name = name.to_ascii_lowercase();
    let any = |words: &[&str]| words.iter().any(|w| name.contains(w));
    if any(&["mono", "courier", "consol", "menlo", "code"]) {
        Family::Monospace
    } else if !name.contains("sans")
        && any(&[
            "serif", "times", "georgia", "garamond", "palatino", "cambria", "book",
        ])
    {
        Family::Serif
    } else {
        Family::SansSerif
    }
}

/// usvg's font stretch as fontdb names it.
fn stretch(stretch: resvg::usvg::FontStretch) -> resvg::usvg::fontdb::Stretch {
    use resvg::usvg::fontdb::Stretch;
    use resvg::usvg::FontStretch as S;
    match stretch {
        S::UltraCondensed => Stretch::UltraCondensed,
        S::ExtraCondensed => Stretch::ExtraCondensed,
        S::Condensed => Stretch::Condensed,
        S::SemiCondensed => Stretch::SemiCondensed,
        S::Normal => Stretch::Normal,
        S::SemiExpanded => Stretch::SemiExpanded,
        S::Expanded => Stretch::Expanded,
        S::ExtraExpanded => Stretch::ExtraExpanded,
        S::UltraExpanded => Stretch::UltraExpanded,
    }
}

/// `data` without the notice draw.io puts in every export whose labels are HTML: a `<switch>`
/// whose first choice an SVG renderer without HTML skips, so its fallback, a link "Text is not
/// SVG - cannot display" to draw.io's FAQ, was drawn across the slide (browsers show the first
/// choice, which is empty). The labels themselves come with plain-text fallbacks, drawn.
fn without_drawio_notice(data: &[u8]) -> std::borrow::Cow<'_, [u8]> {
    static NOTICE: OnceLock<regex::bytes::Regex> = OnceLock::new();
    const FAQ: &[u8] = b"svg-export-text-problems";
    if !data.windows(FAQ.len()).any(|w| w == FAQ) {
        return std::borrow::Cow::Borrowed(data);
    }
    let notice = NOTICE.get_or_init(|| {
        regex::bytes::Regex::new(r"(?s)<a\b[^>]*svg-export-text-problems[^>]*>.*?</a>")
            .unwrap_or_else(|e| panic!("a fixed pattern: {e}"))
    });
    notice.replace_all(data, &b""[..])
}

/// What a file's digest was computed from: when these match, the file is taken as unchanged.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct Stamp {
    size: u64,
    modified_ns: u128,
    digest: String,
}

fn memo() -> &'static Mutex<HashMap<PathBuf, Stamp>> {
    static MEMO: OnceLock<Mutex<HashMap<PathBuf, Stamp>>> = OnceLock::new();
    MEMO.get_or_init(Default::default)
}

const DIGESTS_FILE: &str = "digests.json";

/// [`fast_digest`](crate::cache::fast_digest) of a file's contents; read again only when its
/// size or modification time changed since it was last hashed.
pub fn digest(path: &Path) -> Result<String> {
    let meta = std::fs::metadata(path).with_context(|| format!("reading {}", path.display()))?;
    let modified_ns = meta
        .modified()
        .ok()
        .and_then(|m| m.duration_since(std::time::UNIX_EPOCH).ok())
        .map_or(0, |d| d.as_nanos());
    let size = meta.len();
    if let Ok(memo) = memo().lock() {
        if let Some(stamp) = memo.get(path) {
            if stamp.size == size && stamp.modified_ns == modified_ns {
                return Ok(stamp.digest.clone());
            }
        }
    }
    let digest = digest_reader(path)?;
    // A file changed within the last moments may change again without its size or time
    // moving (timestamps are coarse): remember only files that have been still a while.
    let settled = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .is_ok_and(|now| now.as_nanos().saturating_sub(modified_ns) > 2_000_000_000);
    if !settled {
        return Ok(digest);
    }
    if let Ok(mut memo) = memo().lock() {
        memo.insert(
            path.to_path_buf(),
            Stamp {
                size,
                modified_ns,
                digest: digest.clone(),
            },
        );
    }
    Ok(digest)
}

fn digest_reader(path: &Path) -> Result<String> {
    use std::io::Read;
    let mut file =
        std::fs::File::open(path).with_context(|| format!("reading {}", path.display()))?;
    let mut hasher = twox_hash::XxHash3_128::new();
    let mut buffer = vec![0u8; 1 << 20];
    loop {
        let n = file
            .read(&mut buffer)
            .with_context(|| format!("reading {}", path.display()))?;
        if n == 0 {
            break;
        }
        hasher.write(&buffer[..n]);
    }
    Ok(crate::cache::fast_hex(hasher.finish_128()))
}

/// Loads the digests remembered in `cache_dir` by an earlier run (a missing or unreadable file
/// only means hashing again).
pub fn load_digests(cache_dir: &Path) {
    let Ok(bytes) = std::fs::read(cache_dir.join(DIGESTS_FILE)) else {
        return;
    };
    let Ok(saved) = serde_json::from_slice::<Vec<(PathBuf, Stamp)>>(&bytes) else {
        return;
    };
    if let Ok(mut memo) = memo().lock() {
        for (path, stamp) in saved {
            memo.entry(path).or_insert(stamp);
        }
    }
}

/// Remembers the digests hashed so far in `cache_dir`, for the next run.
pub fn save_digests(cache_dir: &Path) {
    let saved: Vec<(PathBuf, Stamp)> = match memo().lock() {
        Ok(memo) => {
            let mut v: Vec<_> = memo.iter().map(|(p, s)| (p.clone(), s.clone())).collect();
            v.sort_by(|a, b| a.0.cmp(&b.0));
            v
        }
        Err(_) => return,
    };
    if let Ok(bytes) = serde_json::to_vec(&saved) {
        if let Err(e) = crate::fsutil::write_if_changed(&cache_dir.join(DIGESTS_FILE), &bytes) {
            tracing::warn!("cannot write the cache: {e:#}");
        }
    }
}
