//! The sampler's schedule and its seeded noise.

use anyhow::Result;
use candle_core::{Device, Tensor};

use crate::background::rng::Rng;

/// Noise levels of the scaled-linear schedule shared by SD 1.x/2.x, at "trailing" timesteps
/// (what the Turbo models were distilled with: one step starts at t = 999).
pub(super) struct Schedule {
    pub(super) timesteps: Vec<usize>,
    /// One more than timesteps: the last is 0.
    pub(super) sigmas: Vec<f64>,
}

impl Schedule {
    pub(super) fn new(steps: usize) -> Self {
        let steps = steps.clamp(1, 1000);
        let n = 1000;
        let (b0, b1) = (0.00085f64.sqrt(), 0.012f64.sqrt());
        let mut alpha_bar = Vec::with_capacity(n);
        let mut acc = 1.0;
        for i in 0..n {
            let beta = (b0 + (b1 - b0) * i as f64 / (n - 1) as f64).powi(2);
            acc *= 1.0 - beta;
            alpha_bar.push(acc);
        }
        let timesteps: Vec<usize> = (0..steps)
            .map(|i| {
                ((n as f64 - i as f64 * n as f64 / steps as f64).round() as usize).saturating_sub(1)
            })
            .collect();
        let mut sigmas: Vec<f64> = timesteps
            .iter()
            .map(|&t| ((1.0 - alpha_bar[t]) / alpha_bar[t]).sqrt())
            .collect();
        sigmas.push(0.0);
        Self { timesteps, sigmas }
    }
}

/// Seeded standard normal noise: the same on every machine, and independent of candle's
/// device RNG, which cannot be seeded on every device.
pub(super) struct Normal(Rng);

impl Normal {
    pub(super) fn new(seed: u64) -> Self {
        Self(Rng(seed ^ 0x5DEE_CE66_D1CE_5EED))
    }

    pub(super) fn tensor(
        &mut self,
        shape: (usize, usize, usize, usize),
        device: &Device,
    ) -> Result<Tensor> {
        let n = shape.0 * shape.1 * shape.2 * shape.3;
        let v: Vec<f32> = (0..n).map(|_| self.0.normal()).collect();
        Ok(Tensor::from_vec(v, shape, device)?)
    }
}
