//! The `lecturegen` command: parses the command line and hands over to a subcommand module.

mod cmd;

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let filter = tracing_subscriber::EnvFilter::try_from_env("LECTUREGEN_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn"));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_target(false)
        .without_time()
        .init();
    // Keep freed memory for reuse: a build frees and allocates frame-sized buffers (6 MB at
    // 1080p) for every slide, and glibc would otherwise map each one afresh and fault every
    // page in again (measured: ~2.5 ms per 1080p buffer here).
    let _memory = lecturegen::background::kernels::keep_freed_memory();
    let cli = cmd::Cli::parse();
    match cmd::run(cli) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(2)
        }
    }
}
