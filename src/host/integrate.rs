//! `lecturegen integrate GENERATOR`: sets a host site up to publish lectures.
//!
//! Idempotent: each step checks whether its change is already there, so a second run changes
//! nothing and says so. Files are edited by appending or inserting lines, never rewritten from
//! a parsed copy, so the site's own comments and layout stay as they were.

use std::path::Path;

use anyhow::{bail, Context, Result};

use crate::config::{Config, Generator, FILE_NAME};
use crate::fsutil::write_atomic;

/// Sets up the site at `root` for `generator`; returns one line per change made.
pub fn integrate(generator: Generator, root: &Path) -> Result<Vec<String>> {
    if !generator.is_host() {
        bail!("`integrate` sets up another generator's site; lecturegen's own site needs `lecturegen new`");
    }
    if !root.is_dir() {
        bail!("no folder at {}", root.display());
    }
    let mut changes = Vec::new();
    match generator {
        Generator::Mdbook => mdbook(root, &mut changes)?,
        Generator::Quarto => quarto(root, &mut changes)?,
        _ => {}
    }
    for (file, text) in snippets(generator) {
        snippet(root, file, &text, &mut changes)?;
    }
    config(generator, root, &mut changes)?;
    let mut ignored = vec!["/.lecturegen/".to_string()];
    if generator == Generator::Mdbook {
        // `mdbook serve` does not watch what .gitignore lists: the media it is handed never
        // trigger another rebuild.
        ignored.push(format!("/{}/", generator.media_dir()));
    }
    gitignore(root, &ignored, &mut changes)?;
    Ok(changes)
}

/// The files that put the player in a page, per generator: (path, contents).
fn snippets(generator: Generator) -> Vec<(&'static str, String)> {
    match generator {
        Generator::Lecturegen | Generator::Mdbook => Vec::new(),
        Generator::Hugo => vec![(
            "layouts/shortcodes/lecture.html",
            include_str!("snippets/hugo.html").into(),
        )],
        Generator::Jekyll => vec![(
            "_includes/lecture.html",
            include_str!("snippets/jekyll.html").into(),
        )],
        Generator::Zola => vec![(
            "templates/shortcodes/lecture.html",
            include_str!("snippets/zola.html")
                .replace("data/", &format!("{}/", generator.data_dir())),
        )],
        Generator::Quarto => vec![
            (
                "_extensions/lecturegen/_extension.yml",
                include_str!("snippets/quarto-extension.yml").into(),
            ),
            (
                "_extensions/lecturegen/lecture.lua",
                include_str!("snippets/quarto-lecture.lua").replace("@DATA@", generator.data_dir()),
            ),
        ],
    }
}

/// Writes a snippet that is missing; one the site already has is kept (it may be edited).
fn snippet(root: &Path, rel: &str, text: &str, changes: &mut Vec<String>) -> Result<()> {
    let path = root.join(rel);
    if path.exists() {
        if std::fs::read_to_string(&path).ok().as_deref() != Some(text) {
            eprintln!(
                "note: {rel} differs from lecturegen's: kept (delete it to get the current one)"
            );
        }
        return Ok(());
    }
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent)
            .with_context(|| format!("creating {}", parent.display()))?;
    }
    write_atomic(&path, text.as_bytes())?;
    changes.push(format!("{rel}: written"));
    Ok(())
}

/// Quarto: `lecturegen build` as the project's pre-render step, and the media folder as a
/// resource so Quarto copies it into `_site` (a shortcode's raw HTML does not make Quarto copy
/// the files it names).
fn quarto(root: &Path, changes: &mut Vec<String>) -> Result<()> {
    let path = root.join("_quarto.yml");
    let text = std::fs::read_to_string(&path).with_context(|| {
        format!(
            "reading {}: `integrate quarto` runs in a Quarto project's folder (use --root)",
            path.display()
        )
    })?;
    let media = Generator::Quarto.media_dir();
    let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
    let project = match lines.iter().position(|l| l.trim_end() == "project:") {
        Some(at) => at,
        None => {
            lines.insert(0, "project:".into());
            0
        }
    };
    // The keys directly under `project:` (indented, up to the next top-level key).
    let end = lines[project + 1..]
        .iter()
        .position(|l| !l.is_empty() && !l.starts_with([' ', '\t', '#']))
        .map_or(lines.len(), |i| project + 1 + i);
    let has = |key: &str| {
        lines[project + 1..end]
            .iter()
            .any(|l| l.trim_start().starts_with(key))
    };
    let mut added = Vec::new();
    if !text.contains("lecturegen build") {
        if has("pre-render:") {
            bail!(
                "{}: project already has a pre-render step; add `lecturegen build --quiet` to it",
                path.display()
            );
        }
        added.push("  pre-render: lecturegen build --quiet".to_string());
    }
    if !lines[project + 1..end]
        .iter()
        .any(|l| l.contains(&format!("{media}/")))
    {
        if has("resources:") {
            bail!(
                "{}: project already lists resources; add \"{media}/\" to them",
                path.display()
            );
        }
        added.push(format!("  resources:\n    - \"{media}/\""));
    }
    if added.is_empty() {
        return Ok(());
    }
    for line in added.iter().rev() {
        lines.insert(project + 1, line.clone());
    }
    let mut out = lines.join("\n");
    out.push('\n');
    write_atomic(&path, out.as_bytes())?;
    for line in added {
        changes.push(format!(
            "_quarto.yml: project: {}",
            line.trim().replace("\n   ", "")
        ));
    }
    Ok(())
}

/// `lecturegen.toml` naming the generator.
fn config(generator: Generator, root: &Path, changes: &mut Vec<String>) -> Result<()> {
    let path = root.join(FILE_NAME);
    let name = generator.as_str();
    let line = format!("generator = \"{name}\"");
    if !path.exists() {
        let text = format!(
            "# lecturegen: lecture videos for this {name} site (`lecturegen integrate {name}`).\n\
             # Pages with `lecture: true` in their front matter{} are lectures.\n\n\
             [site]\n{line}\n# media_dir = \"{}\"   # where the videos go\n\
             # data_dir = \"{}\"    # where lectures.json goes\n",
            if generator == Generator::Mdbook {
                ", or a `{{#lecture}}` line,"
            } else {
                ""
            },
            generator.media_dir(),
            generator.data_dir(),
        );
        write_atomic(&path, text.as_bytes())?;
        changes.push(format!("{FILE_NAME}: created for {name}"));
        return Ok(());
    }
    let current = Config::load(root)?;
    if current.site.generator == generator {
        return Ok(());
    }
    if current.site.generator.is_host() {
        bail!(
            "{} says generator = \"{}\", not \"{name}\": edit it by hand if the site changed generator",
            path.display(),
            current.site.generator
        );
    }
    let text =
        std::fs::read_to_string(&path).with_context(|| format!("reading {}", path.display()))?;
    let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
    match lines.iter().position(|l| l.trim() == "[site]") {
        Some(at) => lines.insert(at + 1, line),
        None => lines.extend(["".into(), "[site]".into(), line]),
    }
    let mut out = lines.join("\n");
    out.push('\n');
    // Check the result before writing it.
    Config::parse(&out).with_context(|| format!("setting the generator in {}", path.display()))?;
    write_atomic(&path, out.as_bytes())?;
    changes.push(format!("{FILE_NAME}: [site] generator = \"{name}\""));
    Ok(())
}

/// Lines in `.gitignore`.
fn gitignore(root: &Path, wanted: &[String], changes: &mut Vec<String>) -> Result<()> {
    let path = root.join(".gitignore");
    let text = std::fs::read_to_string(&path).unwrap_or_default();
    let missing: Vec<&String> = wanted
        .iter()
        .filter(|w| {
            let bare = w.trim_matches('/');
            !text.lines().any(|l| l.trim().trim_matches('/') == bare)
        })
        .collect();
    if missing.is_empty() {
        return Ok(());
    }
    let mut out = text.clone();
    if !out.is_empty() && !out.ends_with('\n') {
        out.push('\n');
    }
    out.push_str("# lecturegen's cache and generated media\n");
    for line in &missing {
        out.push_str(line);
        out.push('\n');
    }
    write_atomic(&path, out.as_bytes())?;
    for line in missing {
        changes.push(format!(".gitignore: {line}"));
    }
    Ok(())
}

/// book.toml runs `lecturegen mdbook` as a preprocessor.
fn mdbook(root: &Path, changes: &mut Vec<String>) -> Result<()> {
    let path = root.join("book.toml");
    let text = std::fs::read_to_string(&path).with_context(|| {
        format!(
            "reading {}: `integrate mdbook` runs in an mdBook's folder (use --root)",
            path.display()
        )
    })?;
    let table: toml::Table = toml::from_str(&text)
        .map_err(|e| anyhow::anyhow!("{}: {}", path.display(), e.message()))?;
    let present = table
        .get("preprocessor")
        .and_then(|p| p.get("lecturegen"))
        .is_some();
    if present {
        return Ok(());
    }
    let mut out = text.clone();
    if !out.ends_with('\n') {
        out.push('\n');
    }
    out.push_str(
        "\n# Lecture videos: a chapter with a {{#lecture}} line gets a narrated video of itself.\n\
         [preprocessor.lecturegen]\ncommand = \"lecturegen mdbook\"\n",
    );
    write_atomic(&path, out.as_bytes())?;
    changes.push("book.toml: [preprocessor.lecturegen] command = \"lecturegen mdbook\"".into());
    Ok(())
}
