//! The built-in backend: a small diffusion model trained by this project, whose weights ship
//! inside the binary.
//!
//! A picture is a latent grid of band-limited OKLab samples ([`codec`]); a small UNet ([`net`])
//! predicts v from a noisy latent, the noise level and the prompt's known words; DDIM sampling
//! with classifier-free guidance runs from seeded Gaussian noise; the latent decodes at the
//! frame's full size, then is dithered to 8 bits. [`train`] reproduces the weights from
//! pictures that [`data`] draws.

pub mod codec;
pub mod data;
pub mod net;
pub mod ops;
pub mod train;

use anyhow::{bail, Context, Result};
use candle_core::{DType, Device, Tensor};
use candle_nn::VarBuilder;
use image::RgbImage;

use super::{Backend, BackgroundRequest};
use codec::{CHANNELS, GRID, LATENT};
use net::Denoiser;

/// The shipped weights (trained by `lecturegen train-builtin`).
static WEIGHTS: &[u8] = include_bytes!("weights.safetensors");

/// Sampling steps.
pub const STEPS: usize = 30;
/// Guidance scale.
pub const GUIDANCE: f32 = 1.5;

/// The built-in diffusion model.
pub struct Builtin {
    net: Denoiser,
    mean: Vec<f32>,
    scale: Vec<f32>,
    low: Vec<f32>,
    high: Vec<f32>,
    id: String,
}

impl Builtin {
    /// The model whose weights ship in the binary.
    pub fn shipped() -> Result<Self> {
        Self::from_bytes(WEIGHTS).context("loading the built-in model's weights")
    }

    /// A model from safetensors bytes as [`train::train`] writes them.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self> {
        if bytes.is_empty() {
            bail!("no weights: run `lecturegen train-builtin` to make them");
        }
        let device = Device::Cpu;
        let vb = VarBuilder::from_buffered_safetensors(bytes.to_vec(), DType::F32, &device)?;
        let net = Denoiser::new(vb.clone())?;
        let stat = |name: &str| vb.get(CHANNELS, name)?.to_vec1::<f32>();
        let (mean, scale) = (stat("latent.mean")?, stat("latent.scale")?);
        let (low, high) = (stat("latent.low")?, stat("latent.high")?);
        let id = format!("builtin/{}", &crate::cache::digest(bytes)[..16]);
        Ok(Self {
            net,
            mean,
            scale,
            low,
            high,
            id,
        })
    }

    /// Samples a latent for a prompt and seed (DDIM, v-prediction, guidance), reporting each
    /// step to `steps(done, total)`. The estimate of the clean latent is clamped to the range
    /// of the training data at every step, which keeps colours in gamut under guidance.
    pub fn latent(
        &self,
        prompt: &str,
        seed: u64,
        steps: &dyn Fn(usize, usize),
    ) -> Result<Vec<f32>> {
        let device = Device::Cpu;
        let words = data::words(prompt);
        let mut rng = data::Rng(seed ^ 0x0BAD_5EED_1234_5678);
        let mut z: Vec<f32> = (0..LATENT).map(|_| rng.normal()).collect();
        let guided = !words.is_empty();
        let prompts = if guided {
            vec![words, Vec::new()]
        } else {
            vec![Vec::new()]
        };
        for i in 0..STEPS {
            let t = 1.0 - i as f32 / STEPS as f32;
            let next = 1.0 - (i + 1) as f32 / STEPS as f32;
            let rows = prompts.len();
            let input =
                Tensor::from_vec(z.repeat(rows), (rows, GRID.1, GRID.0, CHANNELS), &device)?;
            let v = self
                .net
                .forward(&input, &vec![t; rows], &prompts)?
                .flatten_all()?
                .to_vec1::<f32>()?;
            let (cond, uncond) = v.split_at(LATENT);
            let (a, s) = train::alpha_sigma(t);
            let (a2, s2) = train::alpha_sigma(next);
            for (i, zi) in z.iter_mut().enumerate() {
                let vi = if guided {
                    uncond[i] + GUIDANCE * (cond[i] - uncond[i])
                } else {
                    cond[i]
                };
                let c = i % CHANNELS;
                let x0 = (a * *zi - s * vi).clamp(self.low[c], self.high[c]);
                // The noise that, with the clamped x0, gives back z_t.
                let eps = (*zi - a * x0) / s.max(1e-4);
                *zi = a2 * x0 + s2 * eps;
            }
            steps(i + 1, STEPS);
        }
        Ok(z.iter()
            .enumerate()
            .map(|(i, z)| z * self.scale[i % CHANNELS] + self.mean[i % CHANNELS])
            .collect())
    }
}

impl Backend for Builtin {
    fn id(&self) -> String {
        self.id.clone()
    }

    fn generate_steps(
        &self,
        request: &BackgroundRequest,
        steps: &dyn Fn(usize, usize),
    ) -> Result<RgbImage> {
        let latent = self.latent(&request.prompt, request.seed, steps)?;
        Ok(to_rgb(&codec::decode(
            &latent,
            request.width as usize,
            request.height as usize,
        )))
    }
}

/// OKLab picture to 8-bit sRGB, with a fixed dither of half a level against banding.
pub fn to_rgb(lab: &codec::Lab) -> RgbImage {
    let mut out = RgbImage::new(lab.width as u32, lab.height as u32);
    for (i, px) in out.pixels_mut().enumerate() {
        let x = (i % lab.width) as u32;
        let y = (i / lab.width) as u32;
        let dither = (super::kernels::hash2(x, y) as f32 / u32::MAX as f32) - 0.5;
        let l = lab.planes[0][i].clamp(0.0, 1.0);
        let rgb = codec::oklab_to_srgb([l, lab.planes[1][i], lab.planes[2][i]]);
        px.0 = rgb.map(|c| (c * 255.0 + dither).round().clamp(0.0, 255.0) as u8);
    }
    out
}
