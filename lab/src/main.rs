//! `lecturegen-lab`: the model lab's command line. `backgrounds` draws contact sheets and
//! measures them; `train-builtin` reproduces the built-in model's shipped weights.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Result;
use clap::{Parser, Subcommand};
use lecturegen_lab::{sheet, train};

/// The built-in background model's lab: contact sheets, their figures, and training.
#[derive(Debug, Parser)]
#[command(name = "lecturegen-lab", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Draw backgrounds for prompts into a contact sheet (prompts down, seeds across).
    Backgrounds(sheet::Args),
    /// Train the built-in background model and write its weights.
    TrainBuiltin(TrainArgs),
}

fn main() -> ExitCode {
    let result = match Cli::parse().command {
        Command::Backgrounds(args) => sheet::run(&args),
        Command::TrainBuiltin(args) => train_builtin(&args),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(2)
        }
    }
}

#[derive(Debug, clap::Args)]
struct TrainArgs {
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
    /// Also write the weights every this many steps, beside --out (0: never).
    #[arg(long, default_value_t = 0)]
    checkpoint: usize,
    /// Peak learning rate.
    #[arg(long, default_value_t = train::TrainOptions::default().lr)]
    lr: f64,
    /// Start from these weights instead of a random initialisation (fine-tuning).
    #[arg(long)]
    from: Option<PathBuf>,
    /// How far each cosine frequency of the latent is scaled toward unit variance (0: one
    /// scale per channel, 1: every frequency alike).
    #[arg(long, default_value_t = train::TrainOptions::default().whiten)]
    whiten: f32,
    /// Extra noise in the network's input that its target does not count, as a fraction of
    /// the schedule's (input perturbation; 0: none).
    #[arg(long, default_value_t = train::TrainOptions::default().perturb)]
    perturb: f32,
}

fn train_builtin(args: &TrainArgs) -> Result<()> {
    let options = train::TrainOptions {
        steps: args.steps,
        dataset: args.dataset,
        seed: args.seed,
        checkpoint: args.checkpoint,
        lr: args.lr,
        from: args.from.clone(),
        whiten: args.whiten,
        perturb: args.perturb,
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
    Ok(())
}
