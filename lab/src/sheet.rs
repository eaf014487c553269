//! Contact sheets: backgrounds for prompts down and seeds across (`lecturegen-lab
//! backgrounds`), from a backend or from the built-in model's training pictures, with their
//! figures against a reference sheet (`--stats`).

use std::path::PathBuf;
use std::time::Instant;

use anyhow::{Context, Result};
use image::RgbImage;
use lecturegen::background::builtin::{self, codec, words};
use lecturegen::background::rng::Rng;
use lecturegen::background::{self, BackgroundRequest};
use lecturegen::config::Config;
use rayon::prelude::*;

use crate::{data, stats};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Where to write the contact sheet (PNG).
    #[arg(long)]
    sheet: PathBuf,
    /// Prompts, one row each. Default: eight prompts covering every style.
    #[arg(long, num_args = 1..)]
    prompts: Vec<String>,
    /// Seeds per prompt (columns).
    #[arg(long, default_value_t = 6)]
    seeds: u64,
    /// First seed (columns draw this seed and the next ones). With --training and --stats
    /// against the committed training sheet, another first seed measures what a model that
    /// draws exactly its training pictures would score: the yardstick's own noise.
    #[arg(long, default_value_t = 0)]
    first_seed: u64,
    /// Backend to draw with.
    #[arg(long, default_value = "builtin", value_parser = backend_name)]
    backend: lecturegen::config::BackendName,
    /// Draw the built-in model's training pictures for the prompts instead (for comparison).
    #[arg(long)]
    training: bool,
    /// Course folder (its lecturegen.toml configures the backend).
    #[arg(long, default_value = ".")]
    root: PathBuf,
    /// Print per-row figures against a reference sheet of the same layout (e.g.
    /// benches/sheets/training-v3.jpg): seed diversity, closest pair, edge sharpness at 1080p
    /// against the training pictures', and the time per 1080p background.
    #[arg(long, value_name = "REFERENCE")]
    stats: Option<PathBuf>,
    /// Built-in model: weights to load instead of the shipped ones.
    #[arg(long)]
    weights: Option<PathBuf>,
    /// Built-in model: sampling steps.
    #[arg(long)]
    steps: Option<usize>,
    /// Built-in model: guidance scale.
    #[arg(long)]
    guidance: Option<f32>,
    /// Built-in model: fresh noise per step (DDIM eta).
    #[arg(long)]
    eta: Option<f32>,
    /// Built-in model: sampler order (1 DDIM, 2 DPM-Solver++(2M)).
    #[arg(long)]
    order: Option<usize>,
    /// Built-in model: step spacing (1 even; above 1 finer at low noise).
    #[arg(long)]
    spacing: Option<f32>,
    /// Built-in model: divide each step's noise estimate by this (1: none; above 1 against the
    /// smoothing of the model's own guesses).
    #[arg(long)]
    exposure: Option<f32>,
}

const CELL: (u32, u32) = (320, 180);

/// Draws the sheet of `args` and, with `--stats`, prints its figures.
pub fn run(args: &Args) -> Result<()> {
    let prompts: Vec<String> = if args.prompts.is_empty() {
        stats::PROMPTS.iter().map(|p| p.to_string()).collect()
    } else {
        args.prompts.clone()
    };
    let config = Config::load(&args.root)?;
    let backend = if args.training {
        None
    } else {
        Some(backend(args, &config)?)
    };
    let layout = stats::Layout {
        rows: prompts.len() as u32,
        cols: args.seeds.max(1) as u32,
        cell: CELL,
        gap: 4,
    };
    let (width, height) = layout.size();
    let mut sheet = RgbImage::from_pixel(width, height, image::Rgb([255, 255, 255]));
    let started = Instant::now();
    let draw = |prompt: &str, seed: u64, (width, height): (u32, u32)| match &backend {
        Some(b) => b.generate(&BackgroundRequest {
            prompt: prompt.to_string(),
            negative_prompt: String::new(),
            seed,
            width,
            height,
            backdrop: None,
        }),
        None => training_picture(prompt, seed, (width, height)),
    };
    // Every cell at once (each picture is one thread's work; the model's own products run
    // on the same pool): a 30-seed sheet of training pictures took 93 s on one core.
    let cells: Vec<(u32, u32)> = (0..layout.rows)
        .flat_map(|r| (0..layout.cols).map(move |c| (r, c)))
        .collect();
    let pictures = cells
        .par_iter()
        .map(|&(r, c)| {
            draw(
                &prompts[r as usize],
                args.first_seed.saturating_add(c.into()),
                CELL,
            )
        })
        .collect::<Result<Vec<_>>>()?;
    for (&(r, c), cell) in cells.iter().zip(&pictures) {
        let (x, y) = layout.origin(r, c);
        image::imageops::replace(&mut sheet, cell, i64::from(x), i64::from(y));
    }
    sheet
        .save(&args.sheet)
        .with_context(|| format!("writing {}", args.sheet.display()))?;
    eprintln!(
        "wrote {} ({} prompts x {} seeds) in {:.1} s",
        args.sheet.display(),
        layout.rows,
        layout.cols,
        started.elapsed().as_secs_f64()
    );
    if let Some(reference) = &args.stats {
        let reference = image::open(reference)
            .with_context(|| format!("reading {}", reference.display()))?
            .to_rgb8();
        if (reference.width(), reference.height()) != (sheet.width(), sheet.height()) {
            anyhow::bail!(
                "the reference sheet is {}x{}, this one {}x{}: same prompts and seeds needed",
                reference.width(),
                reference.height(),
                sheet.width(),
                sheet.height()
            );
        }
        print_stats(
            &prompts,
            &sheet,
            &reference,
            &layout,
            args.first_seed,
            &draw,
        )?;
    }
    Ok(())
}

/// `--backend NAME`, with the list of names in its help and its error.
fn backend_name(name: &str) -> Result<lecturegen::config::BackendName, String> {
    name.parse()
}

/// The backend to draw with, the built-in model with the sampler and weights asked for.
fn backend(args: &Args, config: &Config) -> Result<Box<dyn background::Backend>> {
    let default = builtin::Sampler::default();
    let sampler = builtin::Sampler {
        steps: args.steps.unwrap_or(default.steps).max(1),
        guidance: args.guidance.unwrap_or(default.guidance),
        eta: args.eta.unwrap_or(default.eta),
        order: args.order.unwrap_or(default.order),
        spacing: args.spacing.unwrap_or(default.spacing),
        exposure: args.exposure.unwrap_or(default.exposure),
    };
    if args.weights.is_none() && sampler == default {
        return background::backend(args.backend, config, &args.root);
    }
    if args.backend != lecturegen::config::BackendName::Builtin {
        anyhow::bail!("--weights and the sampler flags are for the builtin backend");
    }
    if sampler.spacing.is_nan() || sampler.spacing <= 0.0 {
        anyhow::bail!("--spacing must be above 0");
    }
    if sampler.exposure.is_nan() || sampler.exposure <= 0.0 {
        anyhow::bail!("--exposure must be above 0");
    }
    let model = match &args.weights {
        Some(path) => builtin::Builtin::from_bytes(
            &std::fs::read(path).with_context(|| format!("reading {}", path.display()))?,
        )?,
        None => builtin::Builtin::shipped()?,
    };
    Ok(Box::new(model.with_sampler(sampler)))
}

/// Draws a prompt's picture for a seed at a size.
type Draw<'a> = dyn Fn(&str, u64, (u32, u32)) -> Result<RgbImage> + Sync + 'a;

/// Prints, per prompt row: the mean pairwise distance of the seeds (this sheet, the
/// reference, their ratio), the closest pair, the edge sharpness of the same pictures drawn
/// at 1920x1080 against the training pictures' (of the reference's seeds, from 0), and the
/// mean time per 1080p picture. The sheet's seeds start at `first`.
fn print_stats(
    prompts: &[String],
    sheet: &RgbImage,
    reference: &RgbImage,
    layout: &stats::Layout,
    first: u64,
    draw: &Draw,
) -> Result<()> {
    let ours = stats::cells(sheet, layout);
    let theirs = stats::cells(reference, layout);
    let cols = layout.cols;
    println!(
        "{:<26} {:>9} {:>9} {:>6} {:>8} {:>9} {:>9} {:>6} {:>8}",
        "prompt",
        "diversity",
        "reference",
        "ratio",
        "closest",
        "sharpness",
        "training",
        "ratio",
        "ms/1080p"
    );
    let (mut ratios, mut sharp_ratios, mut millis) = (Vec::new(), Vec::new(), Vec::new());
    let mut closest = f64::INFINITY;
    for (r, prompt) in prompts.iter().enumerate() {
        let (a, b) = (stats::diversity(&ours[r]), stats::diversity(&theirs[r]));
        // Timed one after the other, as a build draws them.
        let (mut sharp, mut ms) = (0.0, 0.0);
        for seed in 0..u64::from(cols) {
            let started = Instant::now();
            let frame = draw(prompt, first.saturating_add(seed), (1920, 1080))?;
            ms += started.elapsed().as_secs_f64() * 1e3 / f64::from(cols);
            sharp += stats::sharpness(&frame) / f64::from(cols);
        }
        let train_sharp = (0..u64::from(cols))
            .into_par_iter()
            .map(|seed| {
                Ok(stats::sharpness(&training_picture(
                    prompt,
                    seed,
                    (1920, 1080),
                )?))
            })
            .collect::<Result<Vec<f64>>>()?
            .iter()
            .sum::<f64>()
            / f64::from(cols);
        let ratio = a.mean / b.mean.max(1e-9);
        let sharp_ratio = sharp / train_sharp.max(1e-9);
        println!(
            "{prompt:<26} {:>9.2} {:>9.2} {ratio:>6.2} {:>8.2} {sharp:>9.2} {train_sharp:>9.2} {sharp_ratio:>6.2} {ms:>8.0}",
            a.mean, b.mean, a.closest
        );
        closest = closest.min(a.closest);
        ratios.push(ratio);
        sharp_ratios.push(sharp_ratio);
        millis.push(ms);
    }
    let mean = |v: &[f64]| v.iter().sum::<f64>() / v.len().max(1) as f64;
    let min = |v: &[f64]| v.iter().copied().fold(f64::INFINITY, f64::min);
    println!(
        "diversity ratio: mean {:.2}, lowest {:.2}; closest pair {closest:.1} (collapsed below {}); sharpness ratio: mean {:.2}, lowest {:.2}; {:.0} ms per 1080p picture",
        mean(&ratios),
        min(&ratios),
        stats::COLLAPSED,
        mean(&sharp_ratios),
        min(&sharp_ratios),
        mean(&millis)
    );
    Ok(())
}

/// A training picture whose label contains every known word of the prompt, through the latent
/// as the model sees it, at `size`.
fn training_picture(prompt: &str, seed: u64, size: (u32, u32)) -> Result<RgbImage> {
    let wanted = words::words(prompt);
    let mut rng = Rng(seed.wrapping_mul(0x9E37_79B9) ^ 0x51);
    let tables = codec::Tables::new(data::WIDTH, data::HEIGHT);
    for _ in 0..200_000 {
        let s = data::sample(&mut rng);
        if wanted.iter().all(|w| s.words.contains(w)) {
            // Through the latent, as the model sees it.
            let latent = codec::encode(&s.lab, &tables);
            return Ok(builtin::decode_rgb(
                &latent,
                size.0 as usize,
                size.1 as usize,
            ));
        }
    }
    anyhow::bail!("no training picture matches `{prompt}`")
}
