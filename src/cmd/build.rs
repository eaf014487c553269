//! `lecturegen build`

use std::process::ExitCode;

use anyhow::Result;

use super::progress::Progress;
use super::BuildArgs;

pub fn run(args: &BuildArgs) -> Result<ExitCode> {
    let settings = args.settings()?;
    let progress = Progress::new(args.quiet);
    let summary = lecturegen::build::build(&settings, &progress)?;
    progress.finish();
    if !args.quiet {
        eprintln!(
            "built {} of {} lectures ({} slides, {} pictures) into {} in {:.1} s; backgrounds: {} made, {} cached; pictures: {} encoded, {} cached",
            summary.built,
            summary.lectures,
            summary.slides,
            summary.pages,
            settings.output_dir().display(),
            summary.seconds,
            summary.backgrounds_generated,
            summary.backgrounds_cached,
            summary.encoded,
            summary.encoded_cached,
        );
    }
    Ok(if summary.failed > 0 {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}
