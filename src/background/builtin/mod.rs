//! The built-in backend: a small diffusion model trained by this project, whose weights ship
//! inside the binary.
//!
//! A picture is a latent of low-frequency OKLab cosine coefficients ([`codec`]); a residual MLP
//! ([`net`]) predicts v from a noisy latent, the noise level and the prompt's known words; DDIM
//! sampling with classifier-free guidance runs from seeded Gaussian noise; the latent decodes
//! at the frame's full size, then is dithered to 8 bits. [`train`] reproduces the weights from
//! pictures that [`data`] draws.

pub mod codec;
pub mod data;
pub mod net;
pub mod train;

use anyhow::{bail, Context, Result};
use candle_core::{DType, Device, Tensor};
use candle_nn::VarBuilder;
use image::RgbImage;

use super::{Backend, BackgroundRequest};
use codec::LATENT;
use net::Denoiser;

/// The shipped weights (trained by `lecturegen train-builtin`).
static WEIGHTS: &[u8] = include_bytes!("weights.safetensors");

/// Sampling steps.
pub const STEPS: usize = 30;
/// Guidance scale (the probe measured 3 oversaturated; 1.75 still clipped reds here).
pub const GUIDANCE: f32 = 1.25;

/// The built-in diffusion model.
pub struct Builtin {
    net: Denoiser,
    mean: Vec<f32>,
    scale: Vec<f32>,
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
        let net = Denoiser::new(data::vocabulary().len(), vb.clone())?;
        let mean = vb.get(LATENT, "latent.mean")?.to_vec1::<f32>()?;
        let scale = vb.get(LATENT, "latent.scale")?.to_vec1::<f32>()?;
        let id = format!("builtin/{}", &crate::cache::digest(bytes)[..16]);
        Ok(Self {
            net,
            mean,
            scale,
            id,
        })
    }

    /// Samples a latent for a prompt and seed (DDIM, v-prediction, guidance), reporting each
    /// step to `steps(done, total)`.
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
            let input = Tensor::from_vec(z.repeat(rows), (rows, LATENT), &device)?;
            let v = self
                .net
                .forward(&input, &vec![t; rows], &prompts)?
                .to_vec2::<f32>()?;
            let v: Vec<f32> = if guided {
                v[0].iter()
                    .zip(&v[1])
                    .map(|(c, u)| u + GUIDANCE * (c - u))
                    .collect()
            } else {
                v[0].clone()
            };
            let (a, s) = train::alpha_sigma(t);
            let (a2, s2) = train::alpha_sigma(next);
            for (zi, vi) in z.iter_mut().zip(&v) {
                let x0 = a * *zi - s * vi;
                let eps = s * *zi + a * vi;
                *zi = a2 * x0 + s2 * eps;
            }
            steps(i + 1, STEPS);
        }
        Ok(z.iter()
            .zip(&self.mean)
            .zip(&self.scale)
            .map(|((z, m), s)| z * s + m)
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
        let dither = (super::hash2(x, y) as f32 / u32::MAX as f32) - 0.5;
        let l = lab.planes[0][i].clamp(0.0, 1.0);
        let rgb = codec::oklab_to_srgb([l, lab.planes[1][i], lab.planes[2][i]]);
        px.0 = rgb.map(|c| (c * 255.0 + dither).round().clamp(0.0, 255.0) as u8);
    }
    out
}
