//! `lecturegen backgrounds --sheet FILE` and `lecturegen train-builtin`.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use anyhow::{Context, Result};
use image::RgbImage;
use lecturegen::background::builtin::{self, codec, data, train};
use lecturegen::background::{self, BackgroundRequest};
use lecturegen::config::Config;

/// Prompts of the default contact sheet: every style, colours and moods.
const DEFAULT_PROMPTS: &[&str] = &[
    "bokeh teal dark",
    "watercolour pink pastel",
    "waves blue calm",
    "aurora green",
    "geometric orange vivid",
    "paper warm",
    "gradient purple dark",
    "red",
];

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
    /// Backend to draw with.
    #[arg(long, default_value = "builtin", value_parser = super::backend_name)]
    backend: lecturegen::config::BackendName,
    /// Draw the built-in model's training pictures for the prompts instead (for comparison).
    #[arg(long)]
    training: bool,
    /// Course folder (its lecturegen.toml configures the backend).
    #[arg(long, default_value = ".")]
    root: PathBuf,
}

const CELL: (u32, u32) = (320, 180);

pub fn run(args: &Args) -> Result<ExitCode> {
    let prompts: Vec<String> = if args.prompts.is_empty() {
        DEFAULT_PROMPTS.iter().map(|p| p.to_string()).collect()
    } else {
        args.prompts.clone()
    };
    let config = Config::load(&args.root)?;
    let backend = if args.training {
        None
    } else {
        Some(background::backend(args.backend, &config, &args.root)?)
    };
    let (cols, rows) = (args.seeds.max(1) as u32, prompts.len() as u32);
    let gap = 4;
    let mut sheet = RgbImage::from_pixel(
        cols * (CELL.0 + gap) + gap,
        rows * (CELL.1 + gap) + gap,
        image::Rgb([255, 255, 255]),
    );
    let started = Instant::now();
    for (r, prompt) in prompts.iter().enumerate() {
        for seed in 0..args.seeds {
            let cell = match &backend {
                Some(b) => b.generate(&BackgroundRequest {
                    prompt: prompt.clone(),
                    negative_prompt: String::new(),
                    seed,
                    width: CELL.0,
                    height: CELL.1,
                    image: None,
                })?,
                None => training_picture(prompt, seed)?,
            };
            image::imageops::replace(
                &mut sheet,
                &cell,
                i64::from(gap + seed as u32 * (CELL.0 + gap)),
                i64::from(gap + r as u32 * (CELL.1 + gap)),
            );
        }
        eprintln!("{prompt}");
    }
    sheet
        .save(&args.sheet)
        .with_context(|| format!("writing {}", args.sheet.display()))?;
    eprintln!(
        "wrote {} ({} prompts x {} seeds) in {:.1} s",
        args.sheet.display(),
        rows,
        cols,
        started.elapsed().as_secs_f64()
    );
    Ok(ExitCode::SUCCESS)
}

/// A training picture whose label contains every known word of the prompt.
fn training_picture(prompt: &str, seed: u64) -> Result<RgbImage> {
    let wanted = data::words(prompt);
    let mut rng = data::Rng(seed.wrapping_mul(0x9E37_79B9) ^ 0x51);
    let tables = codec::Tables::new(data::WIDTH, data::HEIGHT);
    for _ in 0..200_000 {
        let s = data::sample(&mut rng);
        if wanted.iter().all(|w| s.words.contains(w)) {
            // Through the latent, as the model sees it.
            let latent = codec::encode(&s.lab, &tables);
            return Ok(builtin::to_rgb(&codec::decode(
                &latent,
                CELL.0 as usize,
                CELL.1 as usize,
            )));
        }
    }
    anyhow::bail!("no training picture matches `{prompt}`")
}

#[derive(Debug, clap::Args)]
pub struct TrainArgs {
    /// Optimiser steps (the shipped weights: the default).
    #[arg(long, default_value_t = train::TrainOptions::default().steps)]
    steps: usize,
    /// Pictures in the data set.
    #[arg(long, default_value_t = 60_000)]
    dataset: usize,
    /// Where to write the weights.
    #[arg(long, default_value = "src/background/builtin/weights.safetensors")]
    out: PathBuf,
    /// Seed of the data and the training.
    #[arg(long, default_value_t = 1)]
    seed: u64,
}

pub fn train(args: &TrainArgs) -> Result<ExitCode> {
    let options = train::TrainOptions {
        steps: args.steps,
        dataset: args.dataset,
        seed: args.seed,
        ..train::TrainOptions::default()
    };
    let report = train::train(&options, &args.out, &|line| eprintln!("{line}"))?;
    eprintln!(
        "trained {} steps in {:.0} s (+{:.0} s drawing data); final loss {:.4}; wrote {}",
        options.steps,
        report.train_seconds,
        report.data_seconds,
        report.final_loss,
        args.out.display()
    );
    Ok(ExitCode::SUCCESS)
}
