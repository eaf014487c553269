//! The latent space of the built-in model: low-frequency cosine coefficients of a picture in
//! OKLab, more of them for lightness (where shapes live) than for colour.
//!
//! Coefficients describe a continuous picture on the unit square, so a latent encoded from a
//! small training picture decodes at any size (1920x1080 included) with no upsampling. A
//! raised-cosine taper on the coefficients at decode time keeps edges free of ringing.

/// Lightness coefficients, across x down y.
pub const L_GRID: (usize, usize) = (40, 22);
/// Coefficients of each colour channel (a, b).
pub const C_GRID: (usize, usize) = (12, 7);
/// Numbers in a latent.
pub const LATENT: usize = L_GRID.0 * L_GRID.1 + 2 * C_GRID.0 * C_GRID.1;

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

fn grid(channel: usize) -> (usize, usize) {
    if channel == 0 {
        L_GRID
    } else {
        C_GRID
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
    x: [Vec<Vec<f32>>; 2],
    y: [Vec<Vec<f32>>; 2],
}

impl Tables {
    /// Tables for `width` x `height` pictures.
    pub fn new(width: usize, height: usize) -> Self {
        Self {
            width,
            height,
            x: [cosines(L_GRID.0, width), cosines(C_GRID.0, width)],
            y: [cosines(L_GRID.1, height), cosines(C_GRID.1, height)],
        }
    }
}

/// Projects a picture onto the cosine basis (orthogonal: the continuous coefficients).
pub fn encode(lab: &Lab, tables: &Tables) -> Vec<f32> {
    assert_eq!((lab.width, lab.height), (tables.width, tables.height));
    let (w, h) = (lab.width, lab.height);
    let mut out = Vec::with_capacity(LATENT);
    for (c, plane) in lab.planes.iter().enumerate() {
        let (kx, ky) = grid(c);
        let t = usize::from(c > 0);
        // Along x for every row, then along y.
        let mut rows = vec![0f32; h * kx];
        for y in 0..h {
            let row = &plane[y * w..(y + 1) * w];
            for k in 0..kx {
                let cos = &tables.x[t][k];
                rows[y * kx + k] = row.iter().zip(cos).map(|(a, b)| a * b).sum();
            }
        }
        for j in 0..ky {
            let cos = &tables.y[t][j];
            for k in 0..kx {
                let mut s = 0f32;
                for y in 0..h {
                    s += rows[y * kx + k] * cos[y];
                }
                let norm = (if k == 0 { 1.0 } else { 2.0 }) / w as f32
                    * (if j == 0 { 1.0 } else { 2.0 })
                    / h as f32;
                out.push(s * norm);
            }
        }
    }
    out
}

/// Evaluates a latent at `width` x `height`, with the anti-ringing taper.
pub fn decode(latent: &[f32], width: usize, height: usize) -> Lab {
    let tables = Tables::new(width, height);
    let mut planes: [Vec<f32>; 3] = Default::default();
    let mut offset = 0;
    for (c, plane) in planes.iter_mut().enumerate() {
        let (kx, ky) = grid(c);
        let t = usize::from(c > 0);
        let taper = |k: usize, n: usize| {
            let hann = 0.5 * (1.0 + (std::f32::consts::PI * k as f32 / n as f32).cos());
            hann * hann
        };
        let coeffs = &latent[offset..offset + kx * ky];
        offset += kx * ky;
        // For each x frequency, the profile down y; then sum across x.
        let mut columns = vec![0f32; kx * height];
        for k in 0..kx {
            for j in 0..ky {
                let v = coeffs[j * kx + k] * taper(k, kx) * taper(j, ky);
                if v == 0.0 {
                    continue;
                }
                let cos = &tables.y[t][j];
                for y in 0..height {
                    columns[k * height + y] += v * cos[y];
                }
            }
        }
        *plane = vec![0f32; width * height];
        for y in 0..height {
            let row = &mut plane[y * width..(y + 1) * width];
            for k in 0..kx {
                let v = columns[k * height + y];
                let cos = &tables.x[t][k];
                for (p, c) in row.iter_mut().zip(cos) {
                    *p += v * c;
                }
            }
        }
    }
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
