//! Training of the built-in model: `lecturegen train-builtin` reproduces the shipped weights.
//!
//! The program draws its own data set (see [`super::data`]), encodes it into the latent space,
//! scales each latent dimension by `std^0.5 * median(std)^0.5` (unit variance would leave the
//! overall colour a fraction of a percent of the loss), and trains the denoiser with
//! v-prediction on a cosine schedule, AdamW, prompt dropout for guidance, and an exponential
//! moving average of the weights, which is what is saved (as f16).

use std::collections::HashMap;
use std::path::Path;
use std::time::Instant;

use anyhow::{Context, Result};
use candle_core::{DType, Device, Tensor, Var};
use candle_nn::{AdamW, Optimizer, ParamsAdamW, VarBuilder, VarMap};
use rayon::prelude::*;

use super::codec::{self, LATENT};
use super::data::{self, Rng};
use super::net::Denoiser;

/// How to train.
#[derive(Debug, Clone)]
pub struct TrainOptions {
    /// Wall-clock budget for the optimisation, minutes.
    pub minutes: f64,
    /// Pictures drawn for the data set.
    pub dataset: usize,
    /// Batch size.
    pub batch: usize,
    /// Seed of data, initialisation and noise.
    pub seed: u64,
}

impl Default for TrainOptions {
    fn default() -> Self {
        Self {
            minutes: 60.0,
            dataset: 60_000,
            batch: 256,
            seed: 1,
        }
    }
}

/// What training did.
#[derive(Debug, Clone)]
pub struct TrainReport {
    /// Optimiser steps.
    pub steps: usize,
    /// Mean loss of the last 200 steps.
    pub final_loss: f64,
    /// Seconds spent drawing the data set.
    pub data_seconds: f64,
    /// Seconds spent optimising.
    pub train_seconds: f64,
}

/// Trains and writes the weights to `out`. `log` receives a line now and then.
pub fn train(options: &TrainOptions, out: &Path, log: &dyn Fn(&str)) -> Result<TrainReport> {
    let started = Instant::now();
    let tables = codec::Tables::new(data::WIDTH, data::HEIGHT);
    let samples: Vec<(Vec<f32>, Vec<usize>)> = (0..options.dataset)
        .into_par_iter()
        .map(|i| {
            let mut rng = Rng(options.seed.wrapping_mul(0x2545_F491_4F6C_DD1D) ^ i as u64);
            let s = data::sample(&mut rng);
            (codec::encode(&s.lab, &tables), s.words)
        })
        .collect();
    let data_seconds = started.elapsed().as_secs_f64();
    log(&format!(
        "drew {} pictures in {data_seconds:.1} s",
        samples.len()
    ));

    let (mean, scale) = latent_scaling(&samples);
    let n = samples.len();
    let mut latents = Vec::with_capacity(n * LATENT);
    for (z, _) in &samples {
        latents.extend(
            z.iter()
                .zip(&mean)
                .zip(&scale)
                .map(|((v, m), s)| (v - m) / s),
        );
    }
    let prompts: Vec<Vec<usize>> = samples.into_iter().map(|(_, w)| w).collect();

    let device = Device::Cpu;
    let vocab = data::vocabulary().len();
    let varmap = VarMap::new();
    let net = Denoiser::new(vocab, VarBuilder::from_varmap(&varmap, DType::F32, &device))?;
    let named: Vec<(String, Var)> = {
        let data = varmap
            .data()
            .lock()
            .map_err(|_| anyhow::anyhow!("weights lock poisoned"))?;
        let mut v: Vec<(String, Var)> = data.iter().map(|(k, v)| (k.clone(), v.clone())).collect();
        v.sort_by(|a, b| a.0.cmp(&b.0));
        v
    };
    let mut ema: Vec<Tensor> = named
        .iter()
        .map(|(_, v)| v.as_tensor().detach().copy())
        .collect::<candle_core::Result<_>>()?;
    let peak_lr = 1e-3;
    let mut opt = AdamW::new(
        varmap.all_vars(),
        ParamsAdamW {
            lr: peak_lr,
            weight_decay: 0.0,
            ..ParamsAdamW::default()
        },
    )?;
    let budget = options.minutes * 60.0;
    let train_start = Instant::now();
    let mut rng = Rng(options.seed ^ 0xA5A5_5A5A);
    let mut step = 0usize;
    let mut recent = std::collections::VecDeque::new();
    let b = options.batch;
    while train_start.elapsed().as_secs_f64() < budget {
        let progress = train_start.elapsed().as_secs_f64() / budget.max(1e-9);
        let warmup = (step as f64 / 300.0).min(1.0);
        let lr = peak_lr
            * warmup
            * (0.02 + 0.98 * 0.5 * (1.0 + (std::f64::consts::PI * progress).cos()));
        opt.set_learning_rate(lr);

        let mut z_t = Vec::with_capacity(b * LATENT);
        let mut target = Vec::with_capacity(b * LATENT);
        let mut ts = Vec::with_capacity(b);
        let mut batch_prompts = Vec::with_capacity(b);
        for _ in 0..b {
            let i = rng.below(n);
            let t = rng.f();
            let (alpha, sigma) = alpha_sigma(t);
            for &x0 in &latents[i * LATENT..(i + 1) * LATENT] {
                let eps = rng.normal();
                z_t.push(alpha * x0 + sigma * eps);
                target.push(alpha * eps - sigma * x0);
            }
            ts.push(t);
            // Prompt dropout: one in ten learns the unconditional picture, for guidance.
            batch_prompts.push(if rng.f() < 0.1 {
                Vec::new()
            } else {
                prompts[i].clone()
            });
        }
        let z_t = Tensor::from_vec(z_t, (b, LATENT), &device)?;
        let target = Tensor::from_vec(target, (b, LATENT), &device)?;
        let pred = net.forward(&z_t, &ts, &batch_prompts)?;
        let loss = candle_nn::loss::mse(&pred, &target)?;
        opt.backward_step(&loss)?;
        let decay = if step < 1000 { 0.99 } else { 0.999 };
        for (e, (_, v)) in ema.iter_mut().zip(&named) {
            *e = ((&*e * decay)? + (v.as_tensor().detach() * (1.0 - decay))?)?;
        }
        recent.push_back(f64::from(loss.to_scalar::<f32>()?));
        if recent.len() > 200 {
            recent.pop_front();
        }
        step += 1;
        if step.is_multiple_of(200) {
            let avg = recent.iter().sum::<f64>() / recent.len() as f64;
            log(&format!(
                "step {step}: loss {avg:.4}, lr {lr:.2e}, {:.0} s",
                train_start.elapsed().as_secs_f64()
            ));
        }
    }
    let final_loss = recent.iter().sum::<f64>() / recent.len().max(1) as f64;

    let mut tensors: HashMap<String, Tensor> = HashMap::new();
    for (e, (name, _)) in ema.iter().zip(&named) {
        tensors.insert(name.clone(), e.to_dtype(DType::F16)?);
    }
    tensors.insert(
        "latent.mean".into(),
        Tensor::from_vec(mean, LATENT, &device)?,
    );
    tensors.insert(
        "latent.scale".into(),
        Tensor::from_vec(scale, LATENT, &device)?,
    );
    if let Some(dir) = out.parent() {
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    }
    candle_core::safetensors::save(&tensors, out)
        .with_context(|| format!("writing {}", out.display()))?;
    Ok(TrainReport {
        steps: step,
        final_loss,
        data_seconds,
        train_seconds: train_start.elapsed().as_secs_f64(),
    })
}

/// The cosine schedule: signal and noise weights at level `t` in [0, 1].
pub fn alpha_sigma(t: f32) -> (f32, f32) {
    let a = t * std::f32::consts::FRAC_PI_2;
    (a.cos(), a.sin())
}

/// Per-dimension mean and scale of the latents: `std^0.5 * median(std)^0.5`.
fn latent_scaling(samples: &[(Vec<f32>, Vec<usize>)]) -> (Vec<f32>, Vec<f32>) {
    let n = samples.len().max(1) as f64;
    let mut mean = vec![0f64; LATENT];
    for (z, _) in samples {
        for (m, v) in mean.iter_mut().zip(z) {
            *m += f64::from(*v) / n;
        }
    }
    let mut var = vec![0f64; LATENT];
    for (z, _) in samples {
        for ((s, v), m) in var.iter_mut().zip(z).zip(&mean) {
            *s += (f64::from(*v) - m).powi(2) / n;
        }
    }
    let std: Vec<f64> = var.iter().map(|v| v.sqrt().max(1e-6)).collect();
    let mut sorted = std.clone();
    sorted.sort_by(f64::total_cmp);
    let median = sorted[sorted.len() / 2];
    (
        mean.iter().map(|m| *m as f32).collect(),
        std.iter()
            .map(|s| (s.sqrt() * median.sqrt()) as f32)
            .collect(),
    )
}
