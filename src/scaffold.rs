//! `lecturegen new`: a course folder that builds as it is.

use std::path::Path;

use anyhow::{bail, Context, Result};

const CONFIG: &str = r#"# lecturegen course configuration. Every key is optional; the values shown are the defaults
# unless marked otherwise. See the README for the full list.

[course]
title = "My course"          # default: "Lectures"
description = ""
author = ""
lang = "en"

[build]
backend = "builtin"          # background pictures: "builtin" (the model that ships in the
                             # binary), "none" (theme gradient), or Stable Diffusion

[video]
width = 1920
height = 1080

[timing]
words_per_minute = 150
min_seconds = 4
max_seconds = 60
"#;

const LECTURE: &str = r#"---
title: Welcome
subtitle: What this course is about
author: Your name
---

# Why this course

- Each `#` heading starts a slide
- Lists, **bold**, *italic* and `code` work as in any markdown

Note: Speaker notes like this one are never drawn on the slide; they appear in the transcript.

# How it is built

Write notes in `content/`, run `lecturegen build`, open `output/index.html`.

<!-- duration: 6s -->
"#;

/// Creates `dir` with a configuration, one lecture and a `.gitignore`. Refuses a folder that
/// already has files in it.
pub fn new(dir: &Path) -> Result<()> {
    if dir.exists() {
        let mut entries =
            std::fs::read_dir(dir).with_context(|| format!("reading {}", dir.display()))?;
        if entries.next().is_some() {
            bail!("{} already exists and is not empty", dir.display());
        }
    }
    let files = [
        ("lecturegen.toml", CONFIG),
        ("content/01-welcome.md", LECTURE),
        (".gitignore", "/output/\n/.lecturegen/\n"),
    ];
    for (name, text) in files {
        let path = dir.join(name);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)
                .with_context(|| format!("creating {}", parent.display()))?;
        }
        std::fs::write(&path, text).with_context(|| format!("writing {}", path.display()))?;
    }
    Ok(())
}
