//! `lecturegen mdbook` (the mdBook preprocessor) and `lecturegen integrate`.

use std::io::{Read, Write};
use std::path::Path;
use std::process::ExitCode;

use anyhow::{Context, Result};
use lecturegen::config::Generator;
use lecturegen::host;

use super::progress::Progress;

/// `lecturegen mdbook [supports RENDERER]`: stdin `[context, book]`, stdout the book.
pub fn mdbook(supports: Option<&str>) -> Result<ExitCode> {
    if let Some(renderer) = supports {
        return Ok(if host::mdbook::supports(renderer) {
            ExitCode::SUCCESS
        } else {
            ExitCode::from(1)
        });
    }
    let mut input = Vec::new();
    std::io::stdin()
        .read_to_end(&mut input)
        .context("reading mdBook's input from stdin")?;
    let progress = Progress::new(false);
    let outcome = host::mdbook::preprocess(&input, &progress)?;
    progress.finish();
    let mut stdout = std::io::stdout().lock();
    stdout
        .write_all(&outcome.book)
        .and_then(|()| stdout.flush())
        .context("writing the book to mdBook")?;
    // A lecture that failed was reported; the book still builds, with a note in its place.
    Ok(ExitCode::SUCCESS)
}

/// `lecturegen integrate GENERATOR --root DIR`.
pub fn integrate(generator: Generator, root: &Path) -> Result<ExitCode> {
    let changes = host::integrate::integrate(generator, root)?;
    if changes.is_empty() {
        println!(
            "{}: already set up for {generator}; nothing changed",
            root.display()
        );
    } else {
        for change in &changes {
            println!("{change}");
        }
    }
    Ok(ExitCode::SUCCESS)
}
