//! `lecturegen watch` and `lecturegen serve`: build, then rebuild the smallest thing after each
//! change; `serve` also serves the output with live reload.

use std::net::TcpListener;
use std::process::ExitCode;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use clap::Args;
use lecturegen::pipeline::{self, Scope, Summary, Workspace};
use lecturegen::report::Reporter;
use lecturegen::serve::Live;
use lecturegen::watch::{Batch, WatchOptions, Watcher};

use super::progress::Progress;
use super::BuildArgs;

#[derive(Debug, Args)]
pub struct WatchArgs {
    #[command(flatten)]
    build: BuildArgs,
    /// Poll the file system every 250 ms instead of using native events (for network, VM and
    /// container file systems where events are unreliable).
    #[arg(long)]
    poll: bool,
}

#[derive(Debug, Args)]
pub struct ServeArgs {
    #[command(flatten)]
    watch: WatchArgs,
    /// Port to listen on (0: any free port).
    #[arg(long, short, default_value_t = 8000)]
    port: u16,
    /// Address to listen on. The default serves this machine only; anything else lets other
    /// machines read the course.
    #[arg(long, default_value = "127.0.0.1")]
    bind: String,
    /// Open the site in the default browser once it is served.
    #[arg(long)]
    open: bool,
}

pub fn watch(args: &WatchArgs) -> Result<ExitCode> {
    run(args, None)
}

pub fn serve(args: &ServeArgs) -> Result<ExitCode> {
    let listener = TcpListener::bind((args.bind.as_str(), args.port))
        .with_context(|| format!("listening on {}:{}", args.bind, args.port))?;
    let address = listener
        .local_addr()
        .context("reading the server address")?;
    run(&args.watch, Some((listener, args.open, address)))
}

/// Collects the errors of a build for the page overlay while printing everything.
struct Collect<'a> {
    inner: &'a dyn Reporter,
    errors: Mutex<Vec<String>>,
}

impl Reporter for Collect<'_> {
    fn warning(&self, message: &str) {
        self.inner.warning(message);
    }

    fn error(&self, message: &str) {
        if let Ok(mut errors) = self.errors.lock() {
            errors.push(message.to_string());
        }
        self.inner.error(message);
    }
}

fn run(
    args: &WatchArgs,
    serve: Option<(TcpListener, bool, std::net::SocketAddr)>,
) -> Result<ExitCode> {
    let project = args.build.project()?;
    let output = project.output_dir();
    let progress = Progress::new(true);
    let live = Live::default();

    let started = Instant::now();
    let mut workspace = None;
    let (errors, summary) = rebuild(args, &mut workspace, None, &progress);
    eprintln!(
        "{}",
        status_line("first build", started, summary.as_ref(), &errors)
    );
    live.publish(changed(summary.as_ref()), errors);

    if let Some((listener, open, address)) = serve {
        std::fs::create_dir_all(&output)
            .with_context(|| format!("creating {}", output.display()))?;
        lecturegen::serve::spawn(listener, &output, live.clone())?;
        let url = format!("http://{address}/");
        eprintln!("serving {} at {url}", output.display());
        if open {
            open_browser(&url);
        }
    }

    let options = WatchOptions {
        poll: args.poll,
        ..WatchOptions::default()
    };
    // After the first build, so the output folder exists and is recognised as such.
    let mut paths = pipeline::paths(&project);
    if let Some(summary) = &summary {
        paths.reads = summary.reads.clone();
    }
    let mut watcher = Watcher::start(paths, options)?;
    eprintln!(
        "watching {} for changes{} (Ctrl-C to stop)",
        watcher.layout().root.display(),
        if args.poll { ", polling" } else { "" }
    );
    loop {
        let batch = watcher.next_batch()?;
        let started = Instant::now();
        let (errors, summary) = rebuild(args, &mut workspace, Some(&batch), &progress);
        let what = batch.describe(watcher.layout());
        // Where only some pages are lectures (a host site), an edit to another is not news.
        let quiet = watcher.layout().pages_only
            && errors.is_empty()
            && summary.as_ref().is_some_and(|s| s.changed.is_empty());
        if !quiet {
            eprintln!("{}", status_line(&what, started, summary.as_ref(), &errors));
        }
        live.publish(changed(summary.as_ref()), errors);
        // The output or cache folder moved (lecturegen.toml edited): watch the new layout.
        if let Some(ws) = &workspace {
            let mut paths = ws.paths();
            paths.reads = watcher.layout().reads.clone();
            if paths != *watcher.layout() {
                watcher = Watcher::start(paths, options)?;
            }
        }
        if let Some(summary) = &summary {
            watcher.set_reads(summary.reads.clone());
        }
    }
}

/// Reloads what `batch` needs and builds its scope. A workspace that failed to load (bad
/// config or template) is loaded again on the next change, so fixing the file recovers.
fn rebuild(
    args: &WatchArgs,
    workspace: &mut Option<Workspace>,
    batch: Option<&Batch>,
    progress: &Progress,
) -> (Vec<String>, Option<Summary>) {
    let full = workspace.is_none() || batch.is_none_or(|b| b.config());
    if full {
        *workspace = None;
        match args.build.project().and_then(Workspace::load) {
            Ok(ws) => *workspace = Some(ws),
            Err(e) => {
                let message = format!("{e:#}");
                progress.error(&message);
                return (vec![message], None);
            }
        }
    }
    let Some(ws) = workspace.as_mut() else {
        return (Vec::new(), None);
    };
    if let Some(batch) = batch.filter(|_| !full) {
        if batch.templates() {
            if let Err(e) = ws.reload_templates() {
                let message = format!("{e:#}");
                progress.error(&message);
                *workspace = None;
                return (vec![message], None);
            }
        }
        if batch.fonts() {
            if let Err(e) = ws.reload_fonts() {
                let message = format!("{e:#}");
                progress.error(&message);
                *workspace = None;
                return (vec![message], None);
            }
        }
    }
    let scope = match batch {
        Some(batch) if !full => batch.scope(),
        _ => Scope::All,
    };
    let collect = Collect {
        inner: progress,
        errors: Mutex::new(Vec::new()),
    };
    let result = ws
        .discover(&collect)
        .and_then(|sources| ws.build(&sources, &scope, &collect));
    let mut errors = collect.errors.into_inner().unwrap_or_default();
    match result {
        Ok(summary) => (errors, Some(summary)),
        Err(e) => {
            let message = format!("{e:#}");
            progress.error(&message);
            errors.push(message);
            (errors, None)
        }
    }
}

fn changed(summary: Option<&Summary>) -> Vec<String> {
    summary
        .map(|s| s.changed.iter().map(|(slug, _)| slug.clone()).collect())
        .unwrap_or_default()
}

/// `12:03:04 content/01-intro.md: 01-intro (slide 2 drawn), 1 picture encoded, 84 ms`
fn status_line(
    what: &str,
    started: Instant,
    summary: Option<&Summary>,
    errors: &[String],
) -> String {
    let ms = started.elapsed().as_secs_f64() * 1000.0;
    let mut parts = Vec::new();
    if let Some(s) = summary {
        for (slug, slides) in &s.changed {
            parts.push(match slides.len() {
                0 => format!("{slug} (nothing to draw)"),
                1 => format!("{slug} (slide {} drawn)", slides[0]),
                n if n <= 4 => format!(
                    "{slug} (slides {} drawn)",
                    slides
                        .iter()
                        .map(|n| n.to_string())
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
                n => format!("{slug} ({n} slides drawn)"),
            });
        }
        if s.changed.is_empty() {
            parts.push("no lecture affected".into());
        }
        if s.encoded > 0 || s.backgrounds_generated > 0 {
            parts.push(format!(
                "{} encoded, {} made",
                count(s.encoded, "picture"),
                count(s.backgrounds_generated, "background")
            ));
        }
        if s.spoken > 0 {
            parts.push(format!("{} spoken", super::sentences(s.spoken)));
        }
    }
    if !errors.is_empty() {
        parts.push(format!(
            "{} error{}, last good output kept",
            errors.len(),
            if errors.len() == 1 { "" } else { "s" }
        ));
    }
    format!("{} {what}: {}; {ms:.0} ms", clock(), parts.join(", "))
}

fn count(n: usize, what: &str) -> String {
    if n == 1 {
        format!("1 {what}")
    } else {
        format!("{n} {what}s")
    }
}

/// The time of day (UTC), for status lines.
fn clock() -> String {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or(Duration::ZERO)
        .as_secs()
        % 86_400;
    format!("{:02}:{:02}:{:02}", secs / 3600, secs / 60 % 60, secs % 60)
}

fn open_browser(url: &str) {
    let opener = if cfg!(target_os = "macos") {
        "open"
    } else if cfg!(windows) {
        "explorer"
    } else {
        "xdg-open"
    };
    if let Err(e) = std::process::Command::new(opener).arg(url).spawn() {
        eprintln!("warning: cannot open a browser ({opener}: {e}); open {url} yourself");
    }
}
