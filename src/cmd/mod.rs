//! Subcommands, one module each.

mod build;
mod bulk;
mod host;
mod models;
mod new;
mod progress;
mod voices;
mod watch;

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result};
use clap::{Args, Parser, Subcommand};
use lecturegen::config::{BackendName, Config, Generator, Overrides, VoiceName};
use lecturegen::project::Project;

/// Turn a folder of markdown lecture notes into lecture videos and a static course site.
#[derive(Debug, Parser)]
#[command(name = "lecturegen", version, about)]
pub struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Create a new course folder that builds as it is.
    New {
        /// The folder to create.
        dir: PathBuf,
    },
    /// Build the course: content/ -> output/ (site + one MP4 per lecture).
    Build(BuildArgs),
    /// Build, then rebuild what each edit changes until stopped.
    Watch(watch::WatchArgs),
    /// Watch, and serve the site on http://127.0.0.1:8000/ with live reload.
    Serve(watch::ServeArgs),
    /// Set up a site built by mdbook, hugo, jekyll, zola or quarto to publish lectures.
    ///
    /// Writes lecturegen.toml and the generator's snippet and prints what it changed; a second
    /// run changes nothing.
    Integrate {
        /// The site's generator.
        #[arg(value_parser = generator_name)]
        generator: Generator,
        /// The site's folder.
        #[arg(long, default_value = ".")]
        root: PathBuf,
    },
    /// The mdBook preprocessor: chapters with a `{{#lecture}}` line get their lecture video.
    ///
    /// book.toml: `[preprocessor.lecturegen] command = "lecturegen mdbook"` (`lecturegen
    /// integrate mdbook` adds it).
    Mdbook {
        #[command(subcommand)]
        supports: Option<MdbookCommand>,
    },
    /// List the backgrounds a build would generate that are not in the cache.
    ///
    /// Each with its cache key and every parameter, for another engine to make in bulk; name
    /// each picture KEY.png for `lecturegen cache import`.
    Prompts {
        #[command(flatten)]
        build: BuildArgs,
        /// As JSON (an array of objects), for scripts.
        #[arg(long)]
        json: bool,
    },
    /// Print the points a build shows for each paragraph of prose, slide by slide.
    ///
    /// Review them, and paste the ones to keep after their paragraph as
    /// `<!-- points: first | second -->`.
    Points {
        #[command(flatten)]
        build: BuildArgs,
        /// As JSON (an array of lectures), for scripts.
        #[arg(long)]
        json: bool,
    },
    /// The cache of backgrounds.
    Cache {
        #[command(subcommand)]
        command: CacheCommand,
    },
    /// List the voices found, which one `auto` picks per language, and how to get more.
    Voices {
        /// Course folder (its lecturegen.toml may name a Piper voice).
        #[arg(long, default_value = ".")]
        root: PathBuf,
    },
    /// List the background backends, what each needs and whether its weights are found.
    Models {
        /// Course folder (its lecturegen.toml may name a weights folder).
        #[arg(long, default_value = ".")]
        root: PathBuf,
    },
}

/// What `lecturegen cache` does.
#[derive(Debug, Subcommand)]
enum CacheCommand {
    /// Check and import pictures named KEY.png (.jpg, .webp) that `lecturegen prompts` listed.
    Import {
        /// The folder of pictures.
        dir: PathBuf,
        #[command(flatten)]
        build: BuildArgs,
    },
}

/// What mdBook asks a preprocessor besides running it.
#[derive(Debug, Subcommand)]
enum MdbookCommand {
    /// Exit 0 when the preprocessor runs for RENDERER (only `html`), 1 otherwise.
    Supports {
        /// mdBook's renderer.
        renderer: String,
    },
}

/// Flags shared by the commands that build.
#[derive(Debug, Args)]
pub struct BuildArgs {
    /// Course folder (holds lecturegen.toml and content/). Default: the current folder.
    #[arg(long, default_value = ".")]
    root: PathBuf,
    /// Output folder. Default: <root>/output, or `build.output_dir` of lecturegen.toml.
    #[arg(long)]
    out: Option<PathBuf>,
    /// Background backend (overrides `build.backend`).
    #[arg(long, value_parser = backend_name)]
    backend: Option<BackendName>,
    /// Voice that reads the notes (overrides `narration.voice`): auto, festival, piper, kokoro,
    /// espeak, command, remote, none.
    #[arg(long, value_parser = voice_name)]
    voice: Option<VoiceName>,
    /// Another folder of fonts (TTF, OTF, TTC) for scripts the bundled fonts lack; repeatable.
    #[arg(long = "fonts", value_name = "DIR")]
    fonts: Vec<PathBuf>,
    /// No progress bars and no summary; warnings and errors are still printed.
    #[arg(long, short)]
    quiet: bool,
}

impl BuildArgs {
    /// Reads lecturegen.toml and applies the flags on top.
    fn project(&self) -> Result<Project> {
        let mut config = Config::load(&self.root)?;
        let cwd = std::env::current_dir().context("reading the current folder")?;
        config.apply(&Overrides {
            // `--out` is relative to where the command runs, like any path argument.
            output_dir: self.out.as_ref().map(|o| clean(&cwd.join(o))),
            backend: self.backend,
            voice: self.voice,
            font_dirs: self.fonts.iter().map(|f| clean(&cwd.join(f))).collect(),
        })?;
        Ok(Project {
            root: clean(&cwd.join(&self.root)),
            config,
        })
    }
}

/// `--backend NAME`, with the list of names in its help and its error.
fn backend_name(name: &str) -> Result<BackendName, String> {
    name.parse()
}

/// A generator's name, with the list in its error.
fn generator_name(name: &str) -> Result<Generator, String> {
    name.parse()
}

/// `--voice NAME`.
fn voice_name(name: &str) -> Result<VoiceName, String> {
    name.parse()
}

/// "1 sentence", "3 sentences" (caption chunks spoken).
fn sentences(n: usize) -> String {
    if n == 1 {
        "1 sentence".into()
    } else {
        format!("{n} sentences")
    }
}

/// `a/./b` -> `a/b`, for paths shown in messages.
fn clean(path: &std::path::Path) -> PathBuf {
    path.components()
        .filter(|c| !matches!(c, std::path::Component::CurDir))
        .collect()
}

/// Runs the command; the exit code is 1 when some lecture failed.
pub fn run(cli: Cli) -> Result<ExitCode> {
    match cli.command {
        Command::New { dir } => new::run(&dir),
        Command::Build(args) => build::run(&args),
        Command::Watch(args) => watch::watch(&args),
        Command::Serve(args) => watch::serve(&args),
        Command::Models { root } => models::run(&root),
        Command::Voices { root } => voices::run(&root),
        Command::Prompts { build, json } => bulk::prompts(&build, json),
        Command::Points { build, json } => bulk::points(&build, json),
        Command::Cache {
            command: CacheCommand::Import { dir, build },
        } => bulk::import(&build, &dir),
        Command::Integrate { generator, root } => host::integrate(generator, &root),
        Command::Mdbook { supports } => host::mdbook(match &supports {
            Some(MdbookCommand::Supports { renderer }) => Some(renderer),
            None => None,
        }),
    }
}
