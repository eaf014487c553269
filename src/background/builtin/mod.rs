//! The built-in backend: a small diffusion model trained by this project, whose weights ship
//! inside the binary.
//!
//! A picture is a latent grid of band-limited OKLab samples ([`codec`]); a small UNet ([`net`])
//! predicts v from a noisy latent, the noise level and the prompt's known words; a
//! DPM-Solver++(2M) sampler (DDIM and classifier-free guidance on request) runs from seeded
//! Gaussian noise; the latent decodes at the frame's size ([`decode_rgb`]), dithered to 8 bits.
//! The model lab (`lab/`, the `lecturegen-lab` crate) reproduces the weights from pictures it
//! draws, with this network, codec, schedule and vocabulary.

pub mod codec;
pub mod net;
pub mod ops;
pub mod schedule;
pub mod spectrum;
pub mod words;

use anyhow::{bail, Context, Result};
use candle_core::{DType, Device, Tensor};
use candle_nn::VarBuilder;
use image::RgbImage;

use super::{Backend, BackgroundRequest};
use codec::{CHANNELS, GRID, LATENT};
use net::Denoiser;
use spectrum::Spectrum;

/// The shipped weights (trained by `lecturegen-lab train-builtin`).
static WEIGHTS: &[u8] = include_bytes!("weights.safetensors");

/// How latents are sampled.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Sampler {
    /// Denoising steps.
    pub steps: usize,
    /// Classifier-free guidance scale (1: none, one network evaluation per step).
    pub guidance: f32,
    /// Fresh noise per step, as DDIM's eta: 0 deterministic, 1 as DDPM (first order only).
    pub eta: f32,
    /// 1: DDIM; 2: DPM-Solver++(2M), which reuses the previous step's estimate.
    pub order: usize,
    /// Step times are `(1 - i / steps)^spacing`: 1 spaces them evenly; above 1 spends more
    /// of them at low noise, where edges are drawn.
    pub spacing: f32,
    /// Each step's noise estimate is divided by this before the clean estimate is taken from
    /// it (`clean_estimate`; 1: none).
    pub exposure: f32,
}

impl Default for Sampler {
    /// 20 second-order steps without guidance. Guidance (1.5 before) pulls every seed toward
    /// the prompt's mean picture and costs a second network evaluation per step: at 5,000
    /// training steps, guidance 1.3 gave 0.76 of the training pictures' seed diversity, none
    /// 0.91 (at 24 steps). The second-order sampler at 16 steps matched DDIM at 30 on the
    /// earlier weights; 14 steps lose 0.01 of diversity against 16 for 18 ms less (all
    /// measured with `lecturegen-lab backgrounds --stats`). An exposure of 1.03: on the v6 weights, 30 seeds,
    /// edge sharpness against the training pictures' went from 0.69 to 0.91 (geometric), 0.77
    /// to 0.82 (waves) and 0.94 to 1.04 (bokeh), for no time (1.01: 0.77, 0.79; 1.08: 1.27,
    /// 0.91, with the pale watercolours mottled). On the v8 weights, trained with input
    /// perturbation, 1.03 takes geometric from 0.77 to 1.00 and waves from 0.85 to 0.90.
    /// 20 steps and 1.04 (v9, once a network evaluation ran on its own thread and took half
    /// the time): on the six seeds geometric 0.70 -> 0.81 and "red" diversity 0.86 ->
    /// 0.87 (14 steps at 1.04: 0.75 and 0.85; 24 at 1.04: 0.85 and 0.88, for 20% more time).
    fn default() -> Self {
        Self {
            steps: 20,
            guidance: 1.0,
            eta: 0.0,
            order: 2,
            spacing: 1.0,
            exposure: 1.04,
        }
    }
}

/// The clean latent implied by a noisy one `z` and the denoiser's `v` at signal and noise
/// weights `a`, `s`, with the noise estimate divided by `exposure` first.
///
/// A denoiser is trained on noisy versions of real pictures, but while sampling it sees its
/// own earlier guesses, which are smoother than real pictures (exposure bias, Ning et al.
/// 2024): from pure noise it drew geometric shapes as soft blobs, while the same weights,
/// started from a real picture noised to t = 0.5 and denoised with the same sampler, kept 0.95
/// of its edge sharpness (0.72 from t = 0.9, 0.57 from noise; more steps, 40 or 100, changed
/// nothing). Taking a little less noise out than estimated leaves some of it in each clean
/// estimate, which at high noise gives back contrast that the averaged guesses took out. It
/// needs the signal: at `a` = 0 (pure noise) the estimate is `-v`.
fn clean_estimate(z: f32, v: f32, a: f32, s: f32, exposure: f32) -> f32 {
    let x0 = a * z - s * v;
    if exposure == 1.0 || a < 1e-3 {
        return x0;
    }
    // Noise estimate eps = s z + a v; z = a x0 + s eps. Solve z = a x0' + s (eps / exposure).
    let eps = s * z + a * v;
    x0 + (s / a) * (1.0 - 1.0 / exposure) * eps
}

/// The built-in diffusion model.
pub struct Builtin {
    net: Denoiser,
    sampler: Sampler,
    /// How the denoiser sees a latent.
    spectrum: Spectrum,
    /// The noise schedule's shift the weights were trained with ([`schedule::alpha_sigma`]).
    shift: f32,
    /// Digest of the weights (with the sampler, the backend's id).
    weights: String,
}

impl Builtin {
    /// The model whose weights ship in the binary.
    pub fn shipped() -> Result<Self> {
        Self::from_bytes(WEIGHTS).context("loading the built-in model's weights")
    }

    /// A model from safetensors bytes as the lab's training writes them.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self> {
        if bytes.is_empty() {
            bail!("no weights: run `cargo run --release -p lecturegen-lab -- train-builtin` to make them");
        }
        let device = Device::Cpu;
        let vb = VarBuilder::from_buffered_safetensors(bytes.to_vec(), DType::F32, &device)?;
        let net = Denoiser::new(vb.clone())?;
        let spectrum = spectrum::read(&|name, len| vb.get(len, name)?.to_vec1::<f32>())?;
        // Weights from before the schedule had a shift were trained without one.
        let shift = match vb.get(1, "schedule.shift") {
            Ok(t) => t.to_vec1::<f32>()?[0],
            Err(_) => 1.0,
        };
        let weights = crate::cache::digest(bytes)[..16].to_string();
        Ok(Self {
            net,
            sampler: Sampler::default(),
            spectrum,
            shift,
            weights,
        })
    }

    /// The same model with another sampler. The id, and so cache keys, name the weights
    /// and the sampler: pictures of another sampler are other pictures.
    pub fn with_sampler(mut self, sampler: Sampler) -> Self {
        self.sampler = sampler;
        self
    }

    /// Samples a latent for a prompt and seed with the model's [`Sampler`], reporting each
    /// step to `steps(done, total)`. The estimate of the clean latent is clamped to the range
    /// of the training data at every step, which keeps colours in gamut under guidance.
    pub fn latent(
        &self,
        prompt: &str,
        seed: u64,
        steps: &dyn Fn(usize, usize),
    ) -> Result<Vec<f32>> {
        let device = Device::Cpu;
        let words = words::words(prompt);
        let mut rng = super::rng::Rng(seed ^ 0x0BAD_5EED_1234_5678);
        let mut z: Vec<f32> = (0..LATENT).map(|_| rng.normal()).collect();
        let Sampler {
            steps: total,
            guidance,
            eta,
            order,
            spacing,
            exposure,
        } = self.sampler;
        let time = |i: usize| (1.0 - i as f32 / total as f32).max(0.0).powf(spacing);
        let guided = !words.is_empty() && guidance != 1.0;
        let prompts = if guided {
            vec![words, Vec::new()]
        } else {
            vec![words]
        };
        // Each network evaluation runs on a pool of one thread of its own. The evaluation's
        // many small parallel loops (every convolution's gather and product, candle's element
        // operations), handed from this thread to the shared pool and waited for, spent a
        // sixth of a picture in futex calls, and the second core gained nothing (14 steps at
        // 1080p: 134-145 ms; 125-127 with the shared pool cut to one thread). Inside a pool's
        // own thread they run inline: 78-82 ms. The cores go to drawing pictures side by
        // side ([`Backend::parallelism`]).
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(1)
            .build()
            .context("starting the built-in model's thread")?;
        let mut x0 = vec![0f32; LATENT];
        // The previous step's estimate and log signal-to-noise step, for the second order
        // (none yet: NaN).
        let (mut before, mut h_before) = (vec![0f32; LATENT], f32::NAN);
        for i in 0..total {
            let (t, next) = (time(i), time(i + 1));
            let rows = prompts.len();
            let input =
                Tensor::from_vec(z.repeat(rows), (rows, GRID.1, GRID.0, CHANNELS), &device)?;
            let v = pool.install(|| {
                self.net
                    .forward(&input, &vec![t; rows], &prompts)?
                    .flatten_all()?
                    .to_vec1::<f32>()
            })?;
            let (cond, uncond) = v.split_at(LATENT);
            let (a, s) = schedule::alpha_sigma(t, self.shift);
            let (a2, s2) = schedule::alpha_sigma(next, self.shift);
            for (j, x) in x0.iter_mut().enumerate() {
                let vj = if guided {
                    uncond[j] + guidance * (cond[j] - uncond[j])
                } else {
                    cond[j]
                };
                *x = clean_estimate(z[j], vj, a, s, exposure);
            }
            self.spectrum.clamp_model(&mut x0);
            // h: the step in log signal-to-noise ratio (infinite from pure noise or to none).
            let h = (a2 / s2).ln() - (a / s).ln();
            if next <= 0.0 {
                z.copy_from_slice(&x0);
            } else if order >= 2 && h.is_finite() && h_before.is_finite() {
                // DPM-Solver++(2M): the estimate extrapolated along the last two.
                let k = h / (2.0 * h_before);
                let (keep, pull) = (s2 / s, a2 * (1.0 - (-h).exp()));
                for ((zj, x), p) in z.iter_mut().zip(&x0).zip(&before) {
                    *zj = keep * *zj + pull * ((1.0 + k) * x - k * p);
                }
            } else {
                // DDIM, with eta's fresh noise: none at 0 (deterministic), DDPM's at 1.
                let fresh = if eta > 0.0 {
                    eta * (s2 / s) * (1.0 - (a / a2).powi(2)).max(0.0).sqrt()
                } else {
                    0.0
                };
                let kept = (s2 * s2 - fresh * fresh).max(0.0).sqrt();
                for (zj, x) in z.iter_mut().zip(&x0) {
                    // The noise that, with the clamped estimate, gives back z_t.
                    let eps = (*zj - a * x) / s.max(1e-4);
                    *zj = a2 * x + kept * eps;
                    if fresh > 0.0 {
                        *zj += fresh * rng.normal();
                    }
                }
            }
            // This step's estimate becomes the previous one; the next step overwrites x0.
            std::mem::swap(&mut x0, &mut before);
            h_before = h;
            steps(i + 1, total);
        }
        Ok(self.spectrum.from_model(&z))
    }
}

impl Backend for Builtin {
    fn id(&self) -> String {
        let Sampler {
            steps,
            guidance,
            eta,
            order,
            spacing,
            exposure,
        } = self.sampler;
        format!(
            "builtin/{}/{steps}-{order}-{guidance}-{eta}-{spacing}-{exposure}",
            self.weights
        )
    }

    /// One picture per core at once: each samples on one thread ([`Builtin::latent`]).
    fn parallelism(&self) -> usize {
        std::thread::available_parallelism().map_or(1, |n| n.get())
    }

    fn generate_steps(
        &self,
        request: &BackgroundRequest,
        steps: &dyn Fn(usize, usize),
    ) -> Result<RgbImage> {
        let latent = self.latent(&request.prompt, request.seed, steps)?;
        Ok(decode_rgb(
            &latent,
            request.width as usize,
            request.height as usize,
        ))
    }
}

/// Widest picture whose cosine series is evaluated pixel by pixel; larger ones are evaluated
/// at a whole fraction of their size and interpolated (see [`decode_rgb`]).
const EXACT_WIDTH: usize = 480;

/// A latent as an 8-bit sRGB picture of `width` x `height`.
///
/// The series holds under 20 cycles across the picture (and its taper leaves little near
/// that), a period of 98 pixels at 1920 wide: evaluating it at a quarter of 1080p (exact, with
/// the conversion to sRGB and its powers done there) and interpolating linearly to the full
/// size stays within two levels of evaluating every pixel, 0.6 on average (a test checks a
/// picture with hard edges). 1080p in 13 ms (`cargo bench --bench diffusion -- --builtin`),
/// where the series at every pixel took 64-192 ms. A fixed dither of half a level against
/// banding.
pub fn decode_rgb(latent: &[f32], width: usize, height: usize) -> RgbImage {
    if width == 0 || height == 0 {
        return RgbImage::new(width as u32, height as u32);
    }
    let factor = (width / EXACT_WIDTH).clamp(1, height);
    let (cw, ch) = (width.div_ceil(factor), height.div_ceil(factor));
    let lab = codec::decode(latent, cw, ch);
    let mut coarse = vec![0f32; cw * ch * 3];
    for (i, px) in coarse.chunks_exact_mut(3).enumerate() {
        let l = lab.planes[0][i].clamp(0.0, 1.0);
        let rgb = codec::oklab_to_srgb([l, lab.planes[1][i], lab.planes[2][i]]);
        for (o, c) in px.iter_mut().zip(rgb) {
            *o = c * 255.0;
        }
    }
    // For each output column (row): the coarse sample to its left (above) and the weight of
    // the next one. Pixel centres map onto coarse centres; the series is flat at its borders.
    let taps = |n: usize, coarse: usize| -> Vec<(usize, f32)> {
        (0..n)
            .map(|i| {
                let at = ((i as f32 + 0.5) * coarse as f32 / n as f32 - 0.5)
                    .clamp(0.0, (coarse - 1) as f32);
                let left = (at as usize).min(coarse.saturating_sub(2));
                (left, if coarse > 1 { at - left as f32 } else { 0.0 })
            })
            .collect()
    };
    let (xs, ys) = (taps(width, cw), taps(height, ch));
    let dither = super::kernels::dither_tile();
    let mut out = RgbImage::new(width as u32, height as u32);
    let mut row = vec![0f32; cw * 3];
    let stride = cw * 3;
    for (y, line) in out.chunks_exact_mut(width * 3).enumerate() {
        let (top, wy) = ys[y];
        let below = (top + 1).min(ch - 1);
        let (a, b) = (
            &coarse[top * stride..][..stride],
            &coarse[below * stride..][..stride],
        );
        for ((r, a), b) in row.iter_mut().zip(a).zip(b) {
            *r = a + (b - a) * wy;
        }
        let noise = &dither[y % super::kernels::DITHER_TILE];
        for (x, px) in line.chunks_exact_mut(3).enumerate() {
            let (left, wx) = xs[x];
            let right = (left + 1).min(cw - 1);
            let d = noise[x % super::kernels::DITHER_TILE];
            for c in 0..3 {
                let (p, q) = (row[left * 3 + c], row[right * 3 + c]);
                // Rounding as +0.5 and truncation: `round` is a library call per channel
                // without SSE4.1 (measured 20 ms of a 1080p picture).
                px[c] = ((p + (q - p) * wx + d).clamp(0.0, 255.0) + 0.5) as u8;
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The exposure correction takes out the noise estimate divided by the exposure: 1 leaves the
    /// plain estimate, more leaves some of the noise estimate in it, and pure noise (no signal)
    /// gives the plain estimate whatever the exposure.
    #[test]
    fn exposure_divides_the_noise_estimate() {
        for t in [0.2f32, 0.5, 0.9] {
            let (a, s) = schedule::alpha_sigma(t, schedule::SHIFT);
            let (x0, eps) = (0.7f32, -1.3f32);
            let (z, v) = (a * x0 + s * eps, a * eps - s * x0);
            let plain = clean_estimate(z, v, a, s, 1.0);
            assert!((plain - x0).abs() < 1e-5, "t {t}: {plain} against {x0}");
            let corrected = clean_estimate(z, v, a, s, 1.05);
            // What is left of z once the corrected estimate is taken out is the noise over 1.05.
            let left = (z - a * corrected) / s;
            assert!((left - eps / 1.05).abs() < 1e-4, "t {t}: {left}");
            // Less noise taken out: the estimate keeps some of it.
            assert!((corrected - x0) * eps > 0.0, "t {t}: {corrected}");
        }
        let (a, s) = schedule::alpha_sigma(1.0, schedule::SHIFT);
        assert_eq!(
            clean_estimate(0.4, -0.2, a, s, 1.05),
            clean_estimate(0.4, -0.2, a, s, 1.0)
        );
    }
}
