//! `lecturegen prompts` and `lecturegen cache import`: bulk generation by another engine.

use std::path::Path;
use std::process::ExitCode;

use anyhow::{Context, Result};
use lecturegen::pipeline::{Scope, Workspace};

use super::BuildArgs;

/// Lists what a build would generate and is not in the cache.
pub fn prompts(args: &BuildArgs, json: bool) -> Result<ExitCode> {
    let workspace = Workspace::load(args.project()?)?;
    let sources = workspace.discover(&lecturegen::report::Silent)?;
    let pending = workspace.pending_backgrounds(&sources, &Scope::All);
    if json {
        println!("{}", serde_json::to_string_pretty(&pending)?);
    } else {
        for p in &pending {
            println!(
                "{}  {}  seed {}  {}x{}  {}",
                p.key, p.slide, p.request.seed, p.request.width, p.request.height, p.request.prompt
            );
        }
        eprintln!(
            "{} background{} to generate (name each KEY.png for `lecturegen cache import`)",
            pending.len(),
            if pending.len() == 1 { "" } else { "s" }
        );
    }
    Ok(ExitCode::SUCCESS)
}

/// Imports pictures named `KEY.png` (or .jpg, .webp) that a build would generate.
pub fn import(args: &BuildArgs, dir: &Path) -> Result<ExitCode> {
    let workspace = Workspace::load(args.project()?)?;
    let sources = workspace.discover(&lecturegen::report::Silent)?;
    let pending = workspace.pending_backgrounds(&sources, &Scope::All);
    let entries = std::fs::read_dir(dir).with_context(|| format!("reading {}", dir.display()))?;
    let mut files: Vec<_> = entries.flatten().map(|e| e.path()).collect();
    files.sort();
    let by_key: std::collections::HashMap<&str, _> =
        pending.iter().map(|p| (p.key.as_str(), p)).collect();
    let mut work = Vec::new();
    for path in files {
        let Some(stem) = path.file_stem().and_then(|s| s.to_str()) else {
            continue;
        };
        match by_key.get(stem) {
            Some(wanted) => work.push((path.clone(), *wanted)),
            None => eprintln!(
                "skipped {}: no background still to generate has this key",
                path.display()
            ),
        }
    }
    // Decoding and scaling are the cost: one picture per core.
    use rayon::prelude::*;
    let results: Vec<bool> = work
        .par_iter()
        .map(|(path, wanted)| {
            let checked = lecturegen::media::read(path)
                .and_then(|bytes| lecturegen::media::decode(&bytes))
                .map(|image| image.to_rgb8())
                .and_then(|image| {
                    let (w, h) = image.dimensions();
                    if w < 16 || h < 16 {
                        anyhow::bail!("{w}x{h} is not a picture of a sane size");
                    }
                    Ok(image)
                });
            match checked {
                Ok(image) => {
                    workspace.import_background(wanted, &image);
                    true
                }
                Err(e) => {
                    eprintln!("error: {}: {e:#}", path.display());
                    false
                }
            }
        })
        .collect();
    let imported = results.iter().filter(|ok| **ok).count();
    let refused = results.len() - imported;
    eprintln!(
        "imported {imported} background{} into the cache{}",
        if imported == 1 { "" } else { "s" },
        if refused > 0 {
            format!("; {refused} refused")
        } else {
            String::new()
        }
    );
    Ok(if refused > 0 {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

/// Prints the points a build shows, lecture by lecture.
pub fn points(args: &BuildArgs, json: bool) -> Result<ExitCode> {
    #[derive(serde::Serialize)]
    struct LecturePoints {
        lecture: String,
        file: String,
        slides: Vec<lecturegen::content::points::SlidePoints>,
        #[serde(skip)]
        warnings: Vec<String>,
    }
    let workspace = Workspace::load(args.project()?)?;
    let sources = workspace.discover(&lecturegen::report::Silent)?;
    let mut out = Vec::new();
    let mut failed = false;
    for source in &sources {
        match workspace.read(source) {
            Ok(lecture) => out.push(LecturePoints {
                warnings: lecture.warnings.clone(),
                lecture: source.slug.clone(),
                file: source.display.clone(),
                slides: lecturegen::content::points::list(&lecture.slides),
            }),
            Err(e) => {
                eprintln!("{e}");
                failed = true;
            }
        }
    }
    for warning in out.iter().flat_map(|l| &l.warnings) {
        eprintln!("warning: {warning}");
    }
    if json {
        println!("{}", serde_json::to_string_pretty(&out)?);
    } else {
        for lecture in &out {
            println!("{} ({})", lecture.lecture, lecture.file);
            for slide in lecture.slides.iter().filter(|s| !s.points.is_empty()) {
                println!("  {}:{}  {}", lecture.file, slide.line, slide.title);
                for p in &slide.points {
                    let by = if p.authored { "  (yours)" } else { "" };
                    println!("    - {}{by}", p.point);
                }
            }
        }
    }
    Ok(if failed {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}
