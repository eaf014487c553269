//! The denoiser of the built-in model: a residual MLP over the latent, conditioned by FiLM on
//! the noise level and the prompt (the mean of the embeddings of its known words).
//!
//! Normalisation is RMS norm written with tensor ops: candle's `LayerNorm` passes no gradient
//! back (measured here), which silently freezes a third of a network in training.

use candle_core::{DType, Device, Result, Tensor, D};
use candle_nn::{linear, Linear, Module, VarBuilder};

use super::codec::LATENT;

/// Width of the hidden layers.
pub const WIDTH: usize = 768;
/// Residual blocks.
pub const BLOCKS: usize = 4;
/// Width of the conditioning vector.
pub const COND: usize = 256;
/// Sinusoidal features of the noise level.
const TIME_FEATURES: usize = 64;

struct RmsNorm {
    weight: Tensor,
}

impl RmsNorm {
    fn new(dim: usize, vb: VarBuilder) -> Result<Self> {
        Ok(Self {
            weight: vb.get_with_hints(dim, "weight", candle_nn::Init::Const(1.0))?,
        })
    }

    fn forward(&self, x: &Tensor) -> Result<Tensor> {
        let rms = (x.sqr()?.mean_keepdim(D::Minus1)? + 1e-6)?.sqrt()?;
        x.broadcast_div(&rms)?.broadcast_mul(&self.weight)
    }
}

struct Block {
    norm: RmsNorm,
    fc1: Linear,
    film: Linear,
    fc2: Linear,
}

impl Block {
    fn forward(&self, x: &Tensor, cond: &Tensor) -> Result<Tensor> {
        let h = self.fc1.forward(&self.norm.forward(x)?)?;
        let film = self.film.forward(cond)?;
        let scale = film.narrow(1, 0, WIDTH)?;
        let shift = film.narrow(1, WIDTH, WIDTH)?;
        let h = ((h * (scale + 1.0)?)? + shift)?.silu()?;
        x + self.fc2.forward(&h)?
    }
}

/// The denoiser: predicts v from a noisy latent, its noise level and the prompt.
pub struct Denoiser {
    input: Linear,
    blocks: Vec<Block>,
    norm: RmsNorm,
    output: Linear,
    time: Linear,
    words: Tensor,
    cond: Linear,
    vocab: usize,
}

impl Denoiser {
    /// Builds the network from `vb` (random weights from a `VarMap`, or loaded ones).
    pub fn new(vocab: usize, vb: VarBuilder) -> Result<Self> {
        let blocks = (0..BLOCKS)
            .map(|i| {
                let b = vb.pp(format!("blocks.{i}"));
                Ok(Block {
                    norm: RmsNorm::new(WIDTH, b.pp("norm"))?,
                    fc1: linear(WIDTH, WIDTH, b.pp("fc1"))?,
                    film: linear(COND, 2 * WIDTH, b.pp("film"))?,
                    fc2: linear(WIDTH, WIDTH, b.pp("fc2"))?,
                })
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(Self {
            input: linear(LATENT, WIDTH, vb.pp("input"))?,
            blocks,
            norm: RmsNorm::new(WIDTH, vb.pp("norm"))?,
            output: linear(WIDTH, LATENT, vb.pp("output"))?,
            time: linear(TIME_FEATURES, COND, vb.pp("time"))?,
            // One row per vocabulary word, and a last row for "no words" (unconditional).
            words: vb.get_with_hints(
                (vocab + 1, COND),
                "words",
                candle_nn::Init::Randn {
                    mean: 0.0,
                    stdev: 0.5,
                },
            )?,
            cond: linear(COND, COND, vb.pp("cond"))?,
            vocab,
        })
    }

    /// `z`: [batch, LATENT] noisy latents; `t`: noise levels in [0, 1]; `prompts`: word
    /// indices per row (empty: unconditional).
    pub fn forward(&self, z: &Tensor, t: &[f32], prompts: &[Vec<usize>]) -> Result<Tensor> {
        let device = z.device();
        let time = self.time.forward(&time_features(t, device)?)?.silu()?;
        let prompt = word_matrix(prompts, self.vocab, device)?.matmul(&self.words)?;
        let cond = self.cond.forward(&(time + prompt)?)?.silu()?;
        let mut x = self.input.forward(z)?;
        for block in &self.blocks {
            x = block.forward(&x, &cond)?;
        }
        self.output.forward(&self.norm.forward(&x)?)
    }
}

/// Sinusoidal features of noise levels.
fn time_features(t: &[f32], device: &Device) -> Result<Tensor> {
    let half = TIME_FEATURES / 2;
    let mut v = Vec::with_capacity(t.len() * TIME_FEATURES);
    for &t in t {
        for i in 0..half {
            let freq = (-(i as f32) / half as f32 * 9.0).exp() * 1000.0;
            v.push((t * freq).sin());
        }
        for i in 0..half {
            let freq = (-(i as f32) / half as f32 * 9.0).exp() * 1000.0;
            v.push((t * freq).cos());
        }
    }
    Tensor::from_vec(v, (t.len(), TIME_FEATURES), device)
}

/// Rows that average the embeddings of each prompt's words ([batch, vocab + 1]).
fn word_matrix(prompts: &[Vec<usize>], vocab: usize, device: &Device) -> Result<Tensor> {
    let mut m = vec![0f32; prompts.len() * (vocab + 1)];
    for (r, words) in prompts.iter().enumerate() {
        let row = &mut m[r * (vocab + 1)..(r + 1) * (vocab + 1)];
        if words.is_empty() {
            row[vocab] = 1.0;
        }
        for &w in words {
            row[w.min(vocab)] += 1.0 / words.len() as f32;
        }
    }
    Tensor::from_vec(m, (prompts.len(), vocab + 1), device)?.to_dtype(DType::F32)
}
