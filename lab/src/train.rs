//! Training of the built-in model: `lecturegen-lab train-builtin` reproduces the shipped
//! weights.
//!
//! The program draws its own data set (see [`crate::data`]), encodes it into the latent grid,
//! centres and scales each of its cosine frequencies ([`Spectrum::fit`], `--whiten`), and
//! trains the denoiser with v-prediction on a shifted cosine schedule ([`SHIFT`]), input
//! perturbation (`--perturb`), AdamW, word dropout (`partial_prompt`), and an exponential
//! moving average of the weights, which is what is saved (as f16) with the frequencies'
//! statistics, the schedule's shift and the range of the data (the sampler clamps its
//! estimate of the clean latent to it).

use std::collections::HashMap;
use std::path::Path;
use std::time::Instant;

use anyhow::{Context, Result};
use candle_core::{DType, Device, Tensor, Var};
use candle_nn::{AdamW, Optimizer, ParamsAdamW, VarBuilder, VarMap};
use rayon::prelude::*;

use lecturegen::background::builtin::codec::{self, CHANNELS, GRID, LATENT};
use lecturegen::background::builtin::net::Denoiser;
use lecturegen::background::builtin::schedule::{alpha_sigma, SHIFT};
use lecturegen::background::builtin::spectrum::{self, Spectrum};
use lecturegen::background::builtin::words;
use lecturegen::background::rng::Rng;

use crate::data;

/// How to train.
#[derive(Debug, Clone)]
pub struct TrainOptions {
    /// Optimiser steps. A step budget rather than a time budget: the same command gives the
    /// same weights on any machine, only slower or faster.
    pub steps: usize,
    /// Pictures drawn for the data set.
    pub dataset: usize,
    /// Batch size.
    pub batch: usize,
    /// Seed of data, initialisation and noise.
    pub seed: u64,
    /// Also write the averaged weights every this many steps, beside `out` (0: never).
    pub checkpoint: usize,
    /// Peak learning rate (after a 300-step warm-up; cosine decay to 2% of it).
    pub lr: f64,
    /// Weights to start from instead of a random initialisation (fine-tuning), with the
    /// latent statistics they were trained with.
    pub from: Option<std::path::PathBuf>,
    /// How far each cosine frequency is scaled toward unit variance ([`Spectrum::fit`]). 0.5
    /// (v6): trained 1,200 steps beside a run at 0 (v5's scaling), the same recipe drew clean
    /// pictures where the other drew speckled noise (watercolour sharpness 2.4 against 4.6 of
    /// the training pictures'); at 9,000 steps every row's seed diversity reached 0.95 or more
    /// of its training pictures' on 30 seeds (v5: 0.79 lowest).
    pub whiten: f32,
    /// Extra noise in the network's input, as a fraction of the schedule's, that the target
    /// does not count (input perturbation, Ning et al. 2023): the sampler feeds the network
    /// its own slightly wrong estimates, and a network trained only on exact noise reads
    /// their errors as picture. 0 draws the same random numbers as before it existed. 0.1
    /// (v8), against v6 (the same recipe at 0), 30 seeds, sampled without the exposure
    /// correction: edge sharpness of the training pictures' geometric 0.69 -> 0.77, waves
    /// 0.77 -> 0.85, bokeh 0.94 -> 0.99, and the soft watercolours softer (1.39 -> 1.22).
    pub perturb: f32,
}

impl Default for TrainOptions {
    fn default() -> Self {
        Self {
            steps: 9_000,
            dataset: 60_000,
            batch: 64,
            seed: 1,
            checkpoint: 0,
            lr: 1e-3,
            from: None,
            whiten: 0.5,
            perturb: 0.1,
        }
    }
}

/// What training did.
#[derive(Debug, Clone)]
pub struct TrainReport {
    /// Mean loss of the last 200 steps.
    pub final_loss: f64,
    /// Seconds spent drawing the data set.
    pub data_seconds: f64,
    /// Seconds spent optimising.
    pub train_seconds: f64,
}

/// Trains and writes the weights to `out`. `log` receives a line now and then.
pub fn train(options: &TrainOptions, out: &Path, log: &dyn Fn(&str)) -> Result<TrainReport> {
    anyhow::ensure!(
        options.dataset > 0 && options.batch > 0,
        "training needs at least one picture in the data set and in a batch"
    );
    anyhow::ensure!(
        options.perturb >= 0.0 && options.perturb.is_finite(),
        "--perturb must be 0 or above, not {}",
        options.perturb
    );
    // Kept for the whole run: the step's blocks come back every step (measured 15% of a step).
    std::mem::forget(lecturegen::background::kernels::keep_freed_memory());
    // Read before the data set is drawn, so a bad file fails at once.
    let start = options.from.as_deref().map(Start::read).transpose()?;
    let started = Instant::now();
    let samples = draw_data_set(options);
    let data_seconds = started.elapsed().as_secs_f64();
    log(&format!(
        "drew {} pictures in {data_seconds:.1} s",
        samples.len()
    ));

    let fitted;
    let spectrum = match &start {
        Some(start) => &start.spectrum,
        None => {
            fitted = Spectrum::fit(samples.iter().map(|(z, _)| z.as_slice()), options.whiten);
            &fitted
        }
    };
    let set = DataSet::new(samples, spectrum);
    let mut stats = spectrum.stored();
    stats.push(("schedule.shift", vec![SHIFT]));
    let mut model = Model::new(options.lr, start.as_ref())?;

    let train_start = Instant::now();
    let mut rng = Rng(options.seed ^ 0xA5A5_5A5A);
    let mut recent = std::collections::VecDeque::new();
    for step in 0..options.steps {
        let progress = step as f64 / options.steps as f64;
        let warmup = (step as f64 / 300.0).min(1.0);
        let lr = options.lr
            * warmup
            * (0.02 + 0.98 * 0.5 * (1.0 + (std::f64::consts::PI * progress).cos()));
        let loss = model.step(
            &set.batch(options.batch, options.perturb, &mut rng)?,
            lr,
            step,
        )?;
        recent.push_back(loss);
        if recent.len() > 200 {
            recent.pop_front();
        }
        if options.checkpoint > 0
            && (step + 1).is_multiple_of(options.checkpoint)
            && step + 1 < options.steps
        {
            let path = out.with_extension(format!("step-{}.safetensors", step + 1));
            model.save(&stats, &path)?;
            log(&format!("wrote {}", path.display()));
        }
        if (step + 1).is_multiple_of(200) {
            let avg = recent.iter().sum::<f64>() / recent.len() as f64;
            log(&format!(
                "step {}: loss {avg:.4}, lr {lr:.2e}, {:.0} s",
                step + 1,
                train_start.elapsed().as_secs_f64()
            ));
        }
    }
    let final_loss = recent.iter().sum::<f64>() / recent.len().max(1) as f64;
    model.save(&stats, out)?;
    Ok(TrainReport {
        final_loss,
        data_seconds,
        train_seconds: train_start.elapsed().as_secs_f64(),
    })
}

/// Weights to fine-tune, read before anything else: the tensors, and the normalisation they
/// were trained with, which a fine-tune keeps (the network expects latents scaled that way,
/// whatever data set `--seed` and `--dataset` now draw).
struct Start<'a> {
    from: &'a Path,
    tensors: HashMap<String, Tensor>,
    spectrum: Spectrum,
}

impl<'a> Start<'a> {
    fn read(from: &'a Path) -> Result<Self> {
        let bytes = std::fs::read(from).with_context(|| format!("reading {}", from.display()))?;
        let tensors = candle_core::safetensors::load_buffer(&bytes, &Device::Cpu)
            .with_context(|| format!("reading weights from {}", from.display()))?;
        let spectrum = spectrum::read(&|name, len| {
            let t = tensors.get(name).ok_or_else(|| {
                candle_core::Error::Msg(format!("{} has no `{name}`", from.display()))
            })?;
            let v = t.to_dtype(DType::F32)?.to_vec1::<f32>()?;
            if v.len() != len {
                candle_core::bail!("`{name}` in {} is not {len} values", from.display());
            }
            Ok(v)
        })
        .with_context(|| format!("reading the statistics of {}", from.display()))?;
        Ok(Self {
            from,
            tensors,
            spectrum,
        })
    }
}

/// The data set's pictures, drawn in parallel (each from a seed of its own), as latents with
/// their labels.
fn draw_data_set(options: &TrainOptions) -> Vec<(Vec<f32>, Vec<usize>)> {
    let tables = codec::Tables::new(data::WIDTH, data::HEIGHT);
    (0..options.dataset)
        .into_par_iter()
        .map(|i| {
            let mut rng = Rng(options.seed.wrapping_mul(0x2545_F491_4F6C_DD1D) ^ i as u64);
            let s = data::sample(&mut rng);
            (codec::encode(&s.lab, &tables), s.words)
        })
        .collect()
}

/// The data set as the network sees it: latents scaled by the spectrum, their labels, and what
/// [`draw_picture`] needs to weigh them.
struct DataSet {
    latents: Vec<f32>,
    prompts: Vec<Vec<usize>>,
    optional: Vec<usize>,
    most: usize,
}

/// One batch: noisy latents, their targets, noise levels and prompts.
struct Batch {
    z_t: Tensor,
    target: Tensor,
    ts: Vec<f32>,
    prompts: Vec<Vec<usize>>,
}

impl DataSet {
    fn new(samples: Vec<(Vec<f32>, Vec<usize>)>, spectrum: &Spectrum) -> Self {
        let latents: Vec<f32> = samples
            .par_iter()
            .flat_map_iter(|(z, _)| spectrum.to_model(z))
            .collect();
        let prompts: Vec<Vec<usize>> = samples.into_iter().map(|(_, w)| w).collect();
        let optional: Vec<usize> = prompts.iter().map(|w| optional_words(w)).collect();
        let most = optional.iter().copied().max().unwrap_or(0);
        Self {
            latents,
            prompts,
            optional,
            most,
        }
    }

    /// `b` pictures noised at random levels (v-prediction targets), with `perturb` of extra
    /// noise in the input that the target does not count.
    fn batch(&self, b: usize, perturb: f32, rng: &mut Rng) -> Result<Batch> {
        let mut z_t = Vec::with_capacity(b * LATENT);
        let mut target = Vec::with_capacity(b * LATENT);
        let mut ts = Vec::with_capacity(b);
        let mut prompts = Vec::with_capacity(b);
        for _ in 0..b {
            let i = draw_picture(&self.optional, self.most, rng);
            let t = noise_level(rng);
            let (alpha, sigma) = alpha_sigma(t, SHIFT);
            for &x0 in &self.latents[i * LATENT..(i + 1) * LATENT] {
                let eps = rng.normal();
                let off = if perturb > 0.0 {
                    perturb * rng.normal()
                } else {
                    0.0
                };
                z_t.push(alpha * x0 + sigma * (eps + off));
                target.push(alpha * eps - sigma * x0);
            }
            ts.push(t);
            prompts.push(partial_prompt(&self.prompts[i], rng));
        }
        let shape = (b, GRID.1, GRID.0, CHANNELS);
        Ok(Batch {
            z_t: Tensor::from_vec(z_t, shape, &Device::Cpu)?,
            target: Tensor::from_vec(target, shape, &Device::Cpu)?,
            ts,
            prompts,
        })
    }
}

/// The network being trained, its optimiser and the moving average of its weights.
struct Model {
    net: Denoiser,
    named: Vec<(String, Var)>,
    ema: Vec<Tensor>,
    opt: AdamW,
}

impl Model {
    /// A fresh network, or the weights of `start`.
    fn new(lr: f64, start: Option<&Start<'_>>) -> Result<Self> {
        let varmap = VarMap::new();
        let net = Denoiser::new(VarBuilder::from_varmap(&varmap, DType::F32, &Device::Cpu))?;
        let named: Vec<(String, Var)> = {
            let data = varmap
                .data()
                .lock()
                .map_err(|_| anyhow::anyhow!("weights lock poisoned"))?;
            let mut v: Vec<(String, Var)> =
                data.iter().map(|(k, v)| (k.clone(), v.clone())).collect();
            v.sort_by(|a, b| a.0.cmp(&b.0));
            v
        };
        if let Some(start) = start {
            for (name, var) in &named {
                let value = start
                    .tensors
                    .get(name)
                    .with_context(|| format!("{} has no `{name}`", start.from.display()))?;
                var.set(&value.to_dtype(DType::F32)?)
                    .with_context(|| format!("`{name}` in {}", start.from.display()))?;
            }
        }
        let ema: Vec<Tensor> = named
            .iter()
            .map(|(_, v)| v.as_tensor().detach().copy())
            .collect::<candle_core::Result<_>>()?;
        let opt = AdamW::new(
            varmap.all_vars(),
            ParamsAdamW {
                lr,
                weight_decay: 0.0,
                ..ParamsAdamW::default()
            },
        )?;
        Ok(Self {
            net,
            named,
            ema,
            opt,
        })
    }

    /// One optimiser step at learning rate `lr`, and the moving average updated; the loss.
    fn step(&mut self, batch: &Batch, lr: f64, step: usize) -> Result<f64> {
        self.opt.set_learning_rate(lr);
        let pred = self.net.forward(&batch.z_t, &batch.ts, &batch.prompts)?;
        let loss = candle_nn::loss::mse(&pred, &batch.target)?;
        self.opt.backward_step(&loss)?;
        let decay = if step < 1000 { 0.99 } else { 0.999 };
        for (e, (_, v)) in self.ema.iter_mut().zip(&self.named) {
            *e = ((&*e * decay)? + (v.as_tensor().detach() * (1.0 - decay))?)?;
        }
        Ok(f64::from(loss.to_scalar::<f32>()?))
    }

    fn save(&self, stats: &[(&str, Vec<f32>)], out: &Path) -> Result<()> {
        save(&self.named, &self.ema, stats, out)
    }
}

/// How often a colour or mood word of a picture's label is kept in the prompt it is trained
/// with ([`partial_prompt`]); [`draw_picture`] makes up for the pictures with more such words.
const KEEP: f32 = 0.5;

/// How often the style word is kept: every label has exactly one, so any rate keeps the
/// balance; a prompt without it asks for any style.
const KEEP_STYLE: f32 = 0.85;

/// What a teacher might have written for a picture: each colour and mood word of its label
/// kept with probability [`KEEP`], the style with [`KEEP_STYLE`]. With [`draw_picture`] this
/// makes the model's picture for a prompt a draw from all the pictures whose labels contain
/// the prompt's words, as `backgrounds --training` shows them: "gradient purple dark" is any
/// dark gradient with purple in it, two-colour ones included, and "red" any picture with red.
/// v4 kept each word with probability 0.8, which weighted a picture by 0.2 for every word of
/// its label missing from the prompt: for "geometric orange vivid" a two-colour picture
/// counted a fifth of a one-colour one. With this balance (v5, same network, 9,000 steps)
/// that row's seed diversity went from 0.65 to 0.78 of the training pictures', bokeh 0.88 to
/// 0.95, gradient 0.60 to 0.66; "red" stayed at 0.71 (v4 0.73): the model draws its moods
/// but not yet the spread of styles and second colours. The prompt without any word, the
/// unconditional picture for guidance, is among these.
fn partial_prompt(words: &[usize], rng: &mut Rng) -> Vec<usize> {
    let keep = |w: usize| {
        if words::slot(w) == Some(0) {
            KEEP_STYLE
        } else {
            KEEP
        }
    };
    words
        .iter()
        .copied()
        .filter(|&w| rng.f() < keep(w))
        .collect()
}

/// A picture of the data set, drawn with weight `(1 / KEEP)^n` for `n` colour and mood words
/// in its label (`optional[i]` for picture `i`, at most `most`), by rejection, so that every
/// (picture, prompt) pair that [`partial_prompt`] can make is trained equally often.
fn draw_picture(optional: &[usize], most: usize, rng: &mut Rng) -> usize {
    loop {
        let i = rng.below(optional.len());
        if rng.f() < KEEP.powi((most - optional[i]) as i32) {
            return i;
        }
    }
}

/// Colour and mood words of a label.
fn optional_words(words: &[usize]) -> usize {
    words.iter().filter(|&&w| words::slot(w) != Some(0)).count()
}

/// A noise level to train at, in the shifted schedule's time: two in three uniform there,
/// one in three uniform in the unshifted cosine schedule's time, mapped to the same signal to
/// noise ratio. The shift spends training at high noise, where layout is decided; v4 trained
/// with it alone and drew geometric shapes with softer edges than v3 (sharpness 0.68 of the
/// training pictures' against 0.83), so a third of the steps go back to the low noise levels
/// where edges are drawn (v5: 0.70; the balance of [`partial_prompt`] changed in the same
/// run, so the two are not measured apart).
fn noise_level(rng: &mut Rng) -> f32 {
    let t = rng.f();
    if rng.f() < 1.0 / 3.0 {
        // alpha / sigma = cot(pi t / 2) unshifted = SHIFT cot(pi t' / 2) shifted.
        let half_pi = std::f32::consts::FRAC_PI_2;
        ((SHIFT * (t * half_pi).tan()).atan() / half_pi).min(1.0)
    } else {
        t
    }
}

/// Writes the averaged weights (f16) with the data's statistics (f32) as safetensors.
fn save(
    named: &[(String, Var)],
    ema: &[Tensor],
    stats: &[(&str, Vec<f32>)],
    out: &Path,
) -> Result<()> {
    let device = Device::Cpu;
    let mut tensors: HashMap<String, Tensor> = HashMap::new();
    for (e, (name, _)) in ema.iter().zip(named) {
        tensors.insert(name.clone(), e.to_dtype(DType::F16)?);
    }
    for (name, values) in stats {
        tensors.insert(
            name.to_string(),
            Tensor::from_vec(values.clone(), values.len(), &device)?,
        );
    }
    if let Some(dir) = out.parent() {
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    }
    candle_core::safetensors::save(&tensors, out)
        .with_context(|| format!("writing {}", out.display()))
}
