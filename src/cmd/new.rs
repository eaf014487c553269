//! `lecturegen new DIR`

use std::path::Path;
use std::process::ExitCode;

use anyhow::Result;

pub fn run(dir: &Path) -> Result<ExitCode> {
    lecturegen::scaffold::new(dir)?;
    eprintln!(
        "created {}: build it with `lecturegen build --root {}`",
        dir.display(),
        dir.display()
    );
    Ok(ExitCode::SUCCESS)
}
