//! Figures of a set of backgrounds, to compare a model with its training pictures: how much
//! the seeds of one prompt differ (diversity) and how sharp their edges are (sharpness).
//!
//! In: pictures (a contact sheet's cells, or full frames). Out: numbers. `lecturegen-lab
//! backgrounds --stats REFERENCE` prints them per prompt row against a committed sheet.

use image::RgbImage;

/// Prompts of the default contact sheet (one row each): every style of the built-in model,
/// colours and moods, and a colour alone.
pub const PROMPTS: &[&str] = &[
    "bokeh teal dark",
    "watercolour pink pastel",
    "waves blue calm",
    "aurora green",
    "geometric orange vivid",
    "paper warm",
    "gradient purple dark",
    "red",
];

/// Seeds of one prompt closer than this (RMS levels between [`THUMB`]s) count as the same
/// picture: a model that collapsed. The closest training pictures of the default sheet are
/// 6.8 apart (two pale watercolour washes).
pub const COLLAPSED: f64 = 4.0;

/// Size every picture is box-averaged to before distances are taken.
pub const THUMB: (u32, u32) = (64, 36);

/// Size a full frame is box-averaged to before its gradients are taken.
pub const SHARPNESS_SIZE: (u32, u32) = (480, 270);

/// A picture box-averaged to `size` (each output pixel the mean of the input pixels whose
/// centres fall in it), as RGB values 0-255.
pub fn box_average(img: &RgbImage, size: (u32, u32)) -> Vec<f32> {
    let (w, h) = (size.0 as usize, size.1 as usize);
    let (iw, ih) = (img.width() as usize, img.height() as usize);
    let mut sum = vec![0f64; w * h * 3];
    let mut count = vec![0u32; w * h];
    for (x, y, p) in img.enumerate_pixels() {
        let (ox, oy) = (x as usize * w / iw, y as usize * h / ih);
        let o = oy * w + ox;
        count[o] += 1;
        for c in 0..3 {
            sum[o * 3 + c] += f64::from(p[c]);
        }
    }
    sum.iter()
        .enumerate()
        .map(|(i, s)| (s / f64::from(count[i / 3].max(1))) as f32)
        .collect()
}

/// RMS difference of two thumbnails (0-255 scale).
pub fn distance(a: &[f32], b: &[f32]) -> f64 {
    let sum: f64 = a.iter().zip(b).map(|(x, y)| f64::from(x - y).powi(2)).sum();
    (sum / a.len().max(1) as f64).sqrt()
}

/// How varied a set of pictures is: the mean and the smallest of the RMS distances between
/// every pair of their [`THUMB`] thumbnails.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Diversity {
    /// Mean pairwise distance.
    pub mean: f64,
    /// Distance of the closest pair.
    pub closest: f64,
}

/// [`Diversity`] of pictures.
pub fn diversity(pictures: &[RgbImage]) -> Diversity {
    let thumbs: Vec<Vec<f32>> = pictures.iter().map(|p| box_average(p, THUMB)).collect();
    let (mut sum, mut pairs, mut closest) = (0.0, 0usize, f64::INFINITY);
    for i in 0..thumbs.len() {
        for j in i + 1..thumbs.len() {
            let d = distance(&thumbs[i], &thumbs[j]);
            sum += d;
            pairs += 1;
            closest = closest.min(d);
        }
    }
    Diversity {
        mean: sum / pairs.max(1) as f64,
        closest: if pairs == 0 { 0.0 } else { closest },
    }
}

/// Edge sharpness of a picture: the 90th percentile of the magnitude of its luma gradient
/// (central differences, 0-255 per pixel) once box-averaged to [`SHARPNESS_SIZE`]. Soft washes
/// score low; crisp edges between flat areas score high, whatever the picture's size.
pub fn sharpness(img: &RgbImage) -> f64 {
    let (w, h) = (SHARPNESS_SIZE.0 as usize, SHARPNESS_SIZE.1 as usize);
    let rgb = box_average(img, SHARPNESS_SIZE);
    let luma: Vec<f32> = rgb
        .chunks_exact(3)
        .map(|p| 0.2126 * p[0] + 0.7152 * p[1] + 0.0722 * p[2])
        .collect();
    let mut magnitudes = Vec::with_capacity(w * h);
    for y in 1..h - 1 {
        for x in 1..w - 1 {
            let gx = (luma[y * w + x + 1] - luma[y * w + x - 1]) / 2.0;
            let gy = (luma[(y + 1) * w + x] - luma[(y - 1) * w + x]) / 2.0;
            magnitudes.push(gx.hypot(gy));
        }
    }
    magnitudes.sort_by(f32::total_cmp);
    magnitudes
        .get(magnitudes.len() * 9 / 10)
        .map_or(0.0, |m| f64::from(*m))
}

/// How `lecturegen-lab backgrounds --sheet` lays out a contact sheet: `rows` x `cols` cells of
/// `cell` pixels with `gap` pixels around each.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Layout {
    /// Prompts.
    pub rows: u32,
    /// Seeds.
    pub cols: u32,
    /// Size of a cell.
    pub cell: (u32, u32),
    /// Pixels between cells and around them.
    pub gap: u32,
}

impl Layout {
    /// Size of the whole sheet.
    pub fn size(&self) -> (u32, u32) {
        (
            self.cols * (self.cell.0 + self.gap) + self.gap,
            self.rows * (self.cell.1 + self.gap) + self.gap,
        )
    }

    /// Top-left corner of the cell at `row`, `col`.
    pub fn origin(&self, row: u32, col: u32) -> (u32, u32) {
        (
            self.gap + col * (self.cell.0 + self.gap),
            self.gap + row * (self.cell.1 + self.gap),
        )
    }
}

/// The cells of a contact sheet, row by row.
pub fn cells(sheet: &RgbImage, layout: &Layout) -> Vec<Vec<RgbImage>> {
    (0..layout.rows)
        .map(|r| {
            (0..layout.cols)
                .map(|c| {
                    let (x, y) = layout.origin(r, c);
                    image::imageops::crop_imm(sheet, x, y, layout.cell.0, layout.cell.1).to_image()
                })
                .collect()
        })
        .collect()
}
