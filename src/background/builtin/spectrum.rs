//! How the denoiser sees a latent: every cosine frequency of the grid centred and scaled.
//!
//! The latent's variance is almost all in its lowest frequencies: over the training pictures
//! the mean colour (one coefficient per channel) has about 850 times the variance of the
//! average grid point, the 570 finest frequencies, where edges live, 0.003 to 0.007 of it.
//! Scaled by one number per channel, as v3 to v5 did, a frequency becomes legible to the
//! denoiser when the noise falls below its own spread: the mean colour in the first of 14
//! steps, edges only after the last one, so the sampler drew every edge as one blurred guess
//! and training spent under a tenth of its steps at noise levels where edges show. Dividing
//! each frequency by its spread to the power [`Spectrum::fit`]'s `whiten` narrows that range:
//! at 1 every frequency emerges at the same noise level, at 0 this is the per-channel scaling.
//!
//! The transform is an orthonormal 2-D cosine transform per channel, so white noise stays
//! white and the denoiser still works on a grid where shapes are local.

use super::codec::{CHANNELS, GRID, LATENT};

/// Orthonormal DCT-II matrix of size `n`: `m[k * n + i]`.
fn dct_matrix(n: usize) -> Vec<f32> {
    let mut m = vec![0f32; n * n];
    for k in 0..n {
        let norm = if k == 0 {
            (1.0 / n as f64).sqrt()
        } else {
            (2.0 / n as f64).sqrt()
        };
        for i in 0..n {
            m[k * n + i] = (norm
                * (std::f64::consts::PI * k as f64 * (i as f64 + 0.5) / n as f64).cos())
                as f32;
        }
    }
    m
}

/// The 2-D transform of a latent (layout `[y][x][c]`) into cosine coefficients (layout
/// `[ky][kx][c]`), or back when `inverse`.
struct Transform {
    x: Vec<f32>,
    y: Vec<f32>,
}

impl Transform {
    fn new() -> Self {
        Self {
            x: dct_matrix(GRID.0),
            y: dct_matrix(GRID.1),
        }
    }

    fn apply(&self, src: &[f32], inverse: bool) -> Vec<f32> {
        let (w, h) = GRID;
        // m[k][i] forward, its transpose backward.
        let at = |m: &[f32], n: usize, out: usize, inp: usize| {
            if inverse {
                m[inp * n + out]
            } else {
                m[out * n + inp]
            }
        };
        let mut rows = vec![0f32; LATENT];
        for y in 0..h {
            for k in 0..w {
                let mut acc = [0f32; CHANNELS];
                for x in 0..w {
                    let m = at(&self.x, w, k, x);
                    let p = &src[(y * w + x) * CHANNELS..][..CHANNELS];
                    for c in 0..CHANNELS {
                        acc[c] += m * p[c];
                    }
                }
                rows[(y * w + k) * CHANNELS..][..CHANNELS].copy_from_slice(&acc);
            }
        }
        let mut out = vec![0f32; LATENT];
        for j in 0..h {
            for y in 0..h {
                let m = at(&self.y, h, j, y);
                if m == 0.0 {
                    continue;
                }
                let (dst, row) = (
                    &mut out[j * w * CHANNELS..][..w * CHANNELS],
                    &rows[y * w * CHANNELS..][..w * CHANNELS],
                );
                for (d, r) in dst.iter_mut().zip(row) {
                    *d += m * r;
                }
            }
        }
        out
    }
}

/// The orthonormal cosine coefficients of a latent (`[ky][kx][c]`).
pub fn coefficients(latent: &[f32]) -> Vec<f32> {
    Transform::new().apply(latent, false)
}

/// The centring and scaling of every cosine coefficient, and the range of the data.
pub struct Spectrum {
    /// Mean of each coefficient (`[ky][kx][c]`).
    pub mean: Vec<f32>,
    /// Divisor of each coefficient.
    pub scale: Vec<f32>,
    /// Lowest value of each channel over the training latents (OKLab).
    pub low: [f32; CHANNELS],
    /// Highest value of each channel.
    pub high: [f32; CHANNELS],
    transform: Transform,
}

impl Spectrum {
    /// From stored statistics: per-coefficient `mean` and `scale` and the data's range.
    pub fn new(
        mean: Vec<f32>,
        scale: Vec<f32>,
        low: [f32; CHANNELS],
        high: [f32; CHANNELS],
    ) -> Self {
        Self {
            mean,
            scale,
            low,
            high,
            transform: Transform::new(),
        }
    }

    /// The scaling of the v3-v5 weights: one mean and one divisor per channel over all grid
    /// points, with the range in those units. The same map, written per coefficient: the
    /// mean moves the constant coefficient alone.
    pub fn per_channel(
        mean: [f32; CHANNELS],
        scale: [f32; CHANNELS],
        low: [f32; CHANNELS],
        high: [f32; CHANNELS],
    ) -> Self {
        let root = ((GRID.0 * GRID.1) as f32).sqrt();
        let mut m = vec![0f32; LATENT];
        for c in 0..CHANNELS {
            m[c] = mean[c] * root;
        }
        let s = (0..LATENT).map(|i| scale[i % CHANNELS]).collect();
        Self::new(
            m,
            s,
            std::array::from_fn(|c| low[c] * scale[c] + mean[c]),
            std::array::from_fn(|c| high[c] * scale[c] + mean[c]),
        )
    }

    /// Fits the statistics to training latents: each coefficient divided by its standard
    /// deviation to the power `whiten` (0 to 1), times one factor per channel that keeps the
    /// average variance of a grid point at 1.
    pub fn fit<'a>(latents: impl Iterator<Item = &'a [f32]>, whiten: f32) -> Self {
        let transform = Transform::new();
        let mut sum = vec![0f64; LATENT];
        let mut squares = vec![0f64; LATENT];
        let mut low = [f32::INFINITY; CHANNELS];
        let mut high = [f32::NEG_INFINITY; CHANNELS];
        let mut count = 0f64;
        for latent in latents {
            for (i, v) in latent.iter().enumerate() {
                low[i % CHANNELS] = low[i % CHANNELS].min(*v);
                high[i % CHANNELS] = high[i % CHANNELS].max(*v);
            }
            for (i, v) in transform.apply(latent, false).into_iter().enumerate() {
                sum[i] += f64::from(v);
                squares[i] += f64::from(v).powi(2);
            }
            count += 1.0;
        }
        let count = count.max(1.0);
        let mean: Vec<f64> = sum.iter().map(|s| s / count).collect();
        let std: Vec<f64> = squares
            .iter()
            .zip(&mean)
            .map(|(q, m)| (q / count - m * m).max(1e-12).sqrt())
            .collect();
        let whiten = f64::from(whiten);
        let mut factor = [0f64; CHANNELS];
        for (i, s) in std.iter().enumerate() {
            factor[i % CHANNELS] += s.powf(2.0 - 2.0 * whiten) / (LATENT / CHANNELS) as f64;
        }
        let scale = std
            .iter()
            .enumerate()
            .map(|(i, s)| (s.powf(whiten) * factor[i % CHANNELS].sqrt()) as f32)
            .collect();
        Self::new(mean.iter().map(|m| *m as f32).collect(), scale, low, high)
    }

    /// A latent as the denoiser sees it.
    pub fn to_model(&self, latent: &[f32]) -> Vec<f32> {
        let mut coeffs = self.transform.apply(latent, false);
        for ((v, m), s) in coeffs.iter_mut().zip(&self.mean).zip(&self.scale) {
            *v = (*v - m) / s;
        }
        self.transform.apply(&coeffs, true)
    }

    /// The latent of what the denoiser sees.
    pub fn from_model(&self, z: &[f32]) -> Vec<f32> {
        let mut coeffs = self.transform.apply(z, false);
        for ((v, m), s) in coeffs.iter_mut().zip(&self.mean).zip(&self.scale) {
            *v = *v * s + m;
        }
        self.transform.apply(&coeffs, true)
    }

    /// Clamps what the denoiser sees to the range of the training latents, channel by channel.
    pub fn clamp_model(&self, z: &mut [f32]) {
        let mut latent = self.from_model(z);
        for (i, v) in latent.iter_mut().enumerate() {
            *v = v.clamp(self.low[i % CHANNELS], self.high[i % CHANNELS]);
        }
        z.copy_from_slice(&self.to_model(&latent));
    }
}

/// Reads the statistics stored with weights through `get(name, length)`: per-coefficient
/// (`spectrum.mean`, `spectrum.scale`, `range.low`, `range.high`), or the per-channel ones of
/// the v3-v5 weights (`latent.mean`, `latent.scale`, `latent.low`, `latent.high`).
pub fn read(
    get: &dyn Fn(&str, usize) -> candle_core::Result<Vec<f32>>,
) -> candle_core::Result<Spectrum> {
    let channels = |name: &str| -> candle_core::Result<[f32; CHANNELS]> {
        let v = get(name, CHANNELS)?;
        Ok(std::array::from_fn(|c| v[c]))
    };
    match get("spectrum.scale", LATENT) {
        Ok(scale) => Ok(Spectrum::new(
            get("spectrum.mean", LATENT)?,
            scale,
            channels("range.low")?,
            channels("range.high")?,
        )),
        Err(_) => Ok(Spectrum::per_channel(
            channels("latent.mean")?,
            channels("latent.scale")?,
            channels("latent.low")?,
            channels("latent.high")?,
        )),
    }
}

impl Spectrum {
    /// The statistics to store with weights, as [`read`] reads them.
    pub fn stored(&self) -> Vec<(&'static str, Vec<f32>)> {
        vec![
            ("spectrum.mean", self.mean.clone()),
            ("spectrum.scale", self.scale.clone()),
            ("range.low", self.low.to_vec()),
            ("range.high", self.high.to_vec()),
        ]
    }
}
