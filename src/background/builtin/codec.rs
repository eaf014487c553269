//! The latent space of the built-in model: a 40x24 grid of OKLab samples of the picture's
//! band-limited version (its lowest 40x24 cosine frequencies, evaluated at the grid's cell
//! centres).
//!
//! The grid and the cosine coefficients are the same information (the discrete cosine
//! transform between them is exact), so the denoiser works on a small picture where shapes are
//! local and convolutions apply, while decoding evaluates the cosine series at any size
//! (1920x1080 included) with no upsampling filter. A raised-cosine taper on the coefficients
//! at decode time keeps edges free of ringing.

/// Latent grid, across x down y (16:9 cells, as square as 40x24 allows).
pub const GRID: (usize, usize) = (40, 24);
/// Channels per grid point: OKLab L, a, b.
pub const CHANNELS: usize = 3;
/// Numbers in a latent, laid out row by row, channels interleaved (`[y][x][c]`).
pub const LATENT: usize = GRID.0 * GRID.1 * CHANNELS;

/// A picture in OKLab, three planes of `width * height`.
#[derive(Debug, Clone)]
pub struct Lab {
    /// Width in pixels.
    pub width: usize,
    /// Height in pixels.
    pub height: usize,
    /// L, a and b planes, row-major.
    pub planes: [Vec<f32>; 3],
}

impl Lab {
    /// A picture filled with one colour.
    pub fn filled(width: usize, height: usize, [l, a, b]: [f32; 3]) -> Self {
        let n = width * height;
        Self {
            width,
            height,
            planes: [vec![l; n], vec![a; n], vec![b; n]],
        }
    }
}

/// `table[k][i] = cos(pi * k * (i + 0.5) / n)`.
fn cosines(k: usize, n: usize) -> Vec<Vec<f32>> {
    (0..k)
        .map(|k| {
            (0..n)
                .map(|i| {
                    (std::f64::consts::PI * k as f64 * (i as f64 + 0.5) / n as f64).cos() as f32
                })
                .collect()
        })
        .collect()
}

/// Cosine tables for one picture size, reusable across many pictures.
pub struct Tables {
    width: usize,
    height: usize,
    x: Vec<Vec<f32>>,
    y: Vec<Vec<f32>>,
}

impl Tables {
    /// Tables for `width` x `height` pictures.
    pub fn new(width: usize, height: usize) -> Self {
        Self {
            width,
            height,
            x: cosines(GRID.0, width),
            y: cosines(GRID.1, height),
        }
    }
}

/// The lowest GRID cosine coefficients of one plane (orthogonal projection: the continuous
/// coefficients), row j = y frequency.
fn coefficients(plane: &[f32], tables: &Tables) -> Vec<f32> {
    let (w, h) = (tables.width, tables.height);
    let (kx, ky) = GRID;
    // Along x for every row, then along y.
    let mut rows = vec![0f32; h * kx];
    for y in 0..h {
        let row = &plane[y * w..(y + 1) * w];
        for k in 0..kx {
            rows[y * kx + k] = row.iter().zip(&tables.x[k]).map(|(a, b)| a * b).sum();
        }
    }
    let mut out = Vec::with_capacity(kx * ky);
    for j in 0..ky {
        let cos = &tables.y[j];
        for k in 0..kx {
            let s: f32 = (0..h).map(|y| rows[y * kx + k] * cos[y]).sum();
            let norm = (if k == 0 { 1.0 } else { 2.0 }) / w as f32
                * (if j == 0 { 1.0 } else { 2.0 })
                / h as f32;
            out.push(s * norm);
        }
    }
    out
}

/// Evaluates cosine coefficients at the pixels of `tables`' size, tapered or not.
fn evaluate(coeffs: &[f32], tables: &Tables, taper: bool) -> Vec<f32> {
    let (width, height) = (tables.width, tables.height);
    let (kx, ky) = GRID;
    let weight = |k: usize, n: usize| {
        if taper {
            let hann = 0.5 * (1.0 + (std::f32::consts::PI * k as f32 / n as f32).cos());
            hann * hann
        } else {
            1.0
        }
    };
    // For each x frequency, the profile down y; then sum across x.
    let mut columns = vec![0f32; kx * height];
    for k in 0..kx {
        for j in 0..ky {
            let v = coeffs[j * kx + k] * weight(k, kx) * weight(j, ky);
            if v == 0.0 {
                continue;
            }
            for (c, cos) in columns[k * height..(k + 1) * height]
                .iter_mut()
                .zip(&tables.y[j])
            {
                *c += v * cos;
            }
        }
    }
    let mut plane = vec![0f32; width * height];
    for y in 0..height {
        let row = &mut plane[y * width..(y + 1) * width];
        for k in 0..kx {
            let v = columns[k * height + y];
            for (p, c) in row.iter_mut().zip(&tables.x[k]) {
                *p += v * c;
            }
        }
    }
    plane
}

/// A picture's latent: its band-limited version sampled on the grid. `tables` must be made
/// for the picture's size.
pub fn encode(lab: &Lab, tables: &Tables) -> Vec<f32> {
    assert_eq!((lab.width, lab.height), (tables.width, tables.height));
    let grid = Tables::new(GRID.0, GRID.1);
    let mut out = vec![0f32; LATENT];
    for (c, plane) in lab.planes.iter().enumerate() {
        let samples = evaluate(&coefficients(plane, tables), &grid, false);
        for (i, v) in samples.into_iter().enumerate() {
            out[i * CHANNELS + c] = v;
        }
    }
    out
}

/// Evaluates a latent at `width` x `height`, with the anti-ringing taper.
pub fn decode(latent: &[f32], width: usize, height: usize) -> Lab {
    let grid = Tables::new(GRID.0, GRID.1);
    let tables = Tables::new(width, height);
    let planes = [0, 1, 2].map(|c| {
        let samples: Vec<f32> = latent.iter().skip(c).step_by(CHANNELS).copied().collect();
        evaluate(&coefficients(&samples, &grid), &tables, true)
    });
    Lab {
        width,
        height,
        planes,
    }
}

/// OKLab to sRGB (0-1, not clamped).
pub fn oklab_to_srgb([l, a, b]: [f32; 3]) -> [f32; 3] {
    let l_ = l + 0.396_337_78 * a + 0.215_803_76 * b;
    let m_ = l - 0.105_561_346 * a - 0.063_854_17 * b;
    let s_ = l - 0.089_484_18 * a - 1.291_485_5 * b;
    let (l3, m3, s3) = (l_ * l_ * l_, m_ * m_ * m_, s_ * s_ * s_);
    let r = 4.076_741_7 * l3 - 3.307_711_6 * m3 + 0.230_969_94 * s3;
    let g = -1.268_438 * l3 + 2.609_757_4 * m3 - 0.341_319_38 * s3;
    let bl = -0.004_196_086_3 * l3 - 0.703_418_6 * m3 + 1.707_614_7 * s3;
    [r, g, bl].map(|c| {
        let c = c.max(0.0);
        if c <= 0.003_130_8 {
            12.92 * c
        } else {
            1.055 * c.powf(1.0 / 2.4) - 0.055
        }
    })
}

/// OKLab from lightness, chroma and hue (degrees).
pub fn lch(l: f32, c: f32, h: f32) -> [f32; 3] {
    let r = h.to_radians();
    [l, c * r.cos(), c * r.sin()]
}
