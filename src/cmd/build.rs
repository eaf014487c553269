//! `lecturegen build`

use std::process::ExitCode;

use anyhow::Result;

use super::progress::Progress;
use super::BuildArgs;

pub fn run(args: &BuildArgs) -> Result<ExitCode> {
    let project = args.project()?;
    let progress = Progress::new(args.quiet);
    let summary = lecturegen::pipeline::build(&project, &progress)?;
    progress.finish();
    if !args.quiet {
        eprintln!("{}", describe(&summary, &project.output_dir()));
    }
    Ok(if summary.failed > 0 {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

/// The one-line account of a build: what was built, what was made now and what was reused.
pub fn describe(summary: &lecturegen::pipeline::Summary, output: &std::path::Path) -> String {
    let mut line = format!(
        "built {} of {} lectures ({} slides, {} pictures) into {} in {:.2} s",
        summary.built,
        summary.lectures,
        summary.slides,
        summary.pages,
        output.display(),
        summary.seconds,
    );
    if summary.nothing_rendered() {
        line.push_str("; nothing to render: every slide unchanged, nothing drawn or encoded");
    } else {
        line.push_str(&format!(
            "; slides: {} drawn, {} unchanged; backgrounds: {} made, {} cached; pictures: {} encoded",
            summary.rendered,
            summary.reused,
            summary.backgrounds_generated,
            summary.backgrounds_cached,
            summary.encoded,
        ));
    }
    line.push_str(&format!(
        "; videos: {} muxed, {} unchanged",
        summary.muxed,
        summary.built.saturating_sub(summary.muxed)
    ));
    if summary.narrated > 0 || summary.spoken > 0 {
        line.push_str(&format!(
            "; narration: {} spoken",
            super::sentences(summary.spoken)
        ));
        if !summary.voices.is_empty() {
            let voices: Vec<String> = summary
                .voices
                .iter()
                .map(|(lang, voice)| format!("{lang} by {voice}"))
                .collect();
            line.push_str(&format!(" ({})", voices.join(", ")));
        }
    }
    line
}
