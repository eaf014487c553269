//! Whole builds: broken lectures beside good ones, the cache, the command line.

use std::process::Command;

use crate::support::Course;

const GOOD: &str = "---\ntitle: Good\n---\n\n# One\n<!-- duration: 1s -->\ntext\n";

#[test]
fn a_broken_lecture_is_skipped_and_keeps_its_last_good_output() {
    let course = Course::new();
    course.file("content/a-good.md", GOOD).file(
        "content/b-later.md",
        "# Later\n\n## Slide\n<!-- duration: 1s -->\nfine\n",
    );
    let (summary, report) = course.build();
    assert_eq!(
        (summary.built, summary.failed),
        (2, 0),
        "{:?}",
        report.errors()
    );
    let old_video = std::fs::read(course.path("output/b-later/lecture.mp4")).unwrap();

    // Break it: bad front matter.
    course.file("content/b-later.md", "---\ntitle: [oops\n---\n\n# Later\n");
    course.bytes("content/c-binary.md", b"\x00\x01\x02\xff");
    let (summary, report) = course.build();
    assert_eq!((summary.built, summary.failed), (1, 2));
    let errors = report.errors();
    assert!(
        errors
            .iter()
            .any(|e| e.starts_with("content/b-later.md:2:")),
        "{errors:?}"
    );
    assert!(
        errors.iter().any(|e| e.starts_with("content/c-binary.md:")),
        "{errors:?}"
    );
    // The earlier good output is untouched and still listed.
    assert_eq!(
        std::fs::read(course.path("output/b-later/lecture.mp4")).unwrap(),
        old_video
    );
    let index = course.read("output/index.html");
    assert!(index.contains("b-later/index.html"));
    assert!(index.contains("a-good/index.html"));
    assert!(!index.contains("c-binary"));
}

#[test]
fn second_build_renders_nothing_and_an_edit_redraws_only_its_slide() {
    let course = Course::new();
    course.file("content/a.md", "# A\n\n## One\ntext\n\n## Two\nmore\n");
    let (first, _) = course.build();
    assert_eq!(
        first.backgrounds_generated, 0,
        "the gradient is drawn, not made"
    );
    assert_eq!(first.encoded, 3);
    assert_eq!(first.rendered, 3);
    let video = course.path("output/a/lecture.mp4");
    let written = std::fs::metadata(&video).unwrap().modified().unwrap();

    let (second, _) = course.build();
    assert!(second.nothing_rendered(), "{second:?}");
    assert_eq!(second.reused, 3);
    assert_eq!(second.backgrounds_cached, 0, "backgrounds not even read");
    assert_eq!(second.changed, vec![("a".to_string(), vec![])]);
    // Unchanged output is not rewritten.
    assert_eq!(
        std::fs::metadata(&video).unwrap().modified().unwrap(),
        written
    );

    // Editing one slide draws and encodes that slide only. The `none` backend draws its
    // background again (faster than reading it back), as it draws the text: no background
    // is made or read, and nothing of it is cached.
    course.file(
        "content/a.md",
        "# A\n\n## One\nchanged text\n\nNote: say it\n\n## Two\nmore\n",
    );
    let (third, _) = course.build();
    assert_eq!(third.changed, vec![("a".to_string(), vec![2])]);
    assert_eq!(third.encoded, 1);
    assert_eq!(third.backgrounds_generated, 0);
    assert_eq!(third.backgrounds_cached, 0);
    assert_eq!(third.reused, 2);
    assert!(!course.path(".lecturegen/cache/backgrounds").exists());

    // Speaker notes are not on the picture: editing them draws nothing, but the page changes.
    course.file(
        "content/a.md",
        "# A\n\n## One\nchanged text\n\nNote: say it slowly\n\n## Two\nmore\n",
    );
    let (fourth, _) = course.build();
    assert!(fourth.nothing_rendered(), "{fourth:?}");
    assert!(course.read("output/a/index.html").contains("say it slowly"));
}

#[test]
fn template_edit_redraws_slides_but_makes_no_background() {
    let course = Course::new();
    // Pictures as backgrounds: kept in the cache like a model's (the `none` gradient is not).
    course.bytes("content/bg.png", &crate::support::png(16, 9, [20, 40, 80]));
    course.file(
        "content/a.md",
        "# A\n\n![bg](bg.png)\n\n## One\n![bg](bg.png)\ntext\n",
    );
    course.build();
    let slide = crate::support::builtin_template("slide.toml");
    course.file("templates/slide.toml", &format!("{slide}\n# edited\n"));
    let (after, _) = course.build();
    assert_eq!(after.rendered, 2);
    assert_eq!(after.backgrounds_generated, 0);
    assert_eq!(after.backgrounds_cached, 2);
    // A site template edit redraws no slide.
    let page = crate::support::builtin_template("lecture.html");
    course.file(
        "templates/lecture.html",
        &format!("{page}\n<!-- edited -->\n"),
    );
    let (site_only, _) = course.build();
    assert!(site_only.nothing_rendered(), "{site_only:?}");
    assert!(course
        .read("output/a/index.html")
        .contains("<!-- edited -->"));
}

#[test]
fn image_edit_redraws_only_the_slides_that_show_it() {
    let course = Course::new();
    let png = |c: u8| crate::support::png(8, 8, [c, 0, 0]);
    course.bytes("content/fig.png", &png(10));
    course.file(
        "content/a.md",
        "# A\n\n## Figure\n![a figure](fig.png)\n\n## Text\nwords\n",
    );
    course.file("content/b.md", "# B\n\n## Other\nwords\n");
    course.build();
    course.bytes("content/fig.png", &png(200));
    let (after, _) = course.build();
    assert_eq!(
        after.changed,
        vec![("a".to_string(), vec![2]), ("b".to_string(), vec![])]
    );
    // The watcher's scope: only lectures touching the edited file are looked at.
    course.bytes("content/fig.png", &png(90));
    let settings = course.settings();
    let workspace = lecturegen::pipeline::Workspace::load(settings).unwrap();
    let scope = lecturegen::pipeline::Scope::Touching(
        [course.path("content/fig.png").canonicalize().unwrap()].into(),
    );
    let sources = workspace.discover(&lecturegen::report::Silent).unwrap();
    let scoped = workspace
        .build(&sources, &scope, &lecturegen::report::Silent)
        .unwrap();
    assert_eq!(scoped.changed, vec![("a".to_string(), vec![2])]);
    assert_eq!(scoped.skipped, 1);
    assert!(course.read("output/index.html").contains("b/index.html"));
}

#[test]
fn corrupt_cache_entries_are_made_again() {
    let course = Course::new();
    course.file("content/a.md", "# A\n\n## One\ntext\n");
    course.build();
    // Truncate every cache entry.
    for entry in walkdir(&course.path(".lecturegen/cache/slides")) {
        let bytes = std::fs::read(&entry).unwrap();
        std::fs::write(&entry, &bytes[..bytes.len() / 2]).unwrap();
    }
    // A lecture whose video is in place needs no cache entry; one whose notes changed is
    // muxed again from its slides' entries, and the broken ones are encoded again.
    course.file("content/a.md", "# A\n\n## One\ntext\n\nNote: said now\n");
    let (summary, _) = course.build();
    assert_eq!(summary.failed, 0);
    assert_eq!(summary.encoded, 2);
}

fn walkdir(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap().flatten() {
        if entry.file_type().unwrap().is_dir() {
            out.extend(walkdir(&entry.path()));
        } else {
            out.push(entry.path());
        }
    }
    out
}

#[test]
fn no_temporary_files_are_left_and_deleted_lectures_are_removed() {
    let course = Course::new();
    course.file("content/a.md", GOOD).file("content/b.md", GOOD);
    course.build();
    assert!(course.path("output/b/index.html").is_file());
    std::fs::remove_file(course.path("content/b.md")).unwrap();
    course.build();
    assert!(!course.path("output/b").exists());
    for path in walkdir(&course.path("output")) {
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        assert!(!name.starts_with(".lecturegen-tmp"), "{}", path.display());
    }
}

#[test]
fn cli_new_then_build_and_exit_status_on_failure() {
    let course = Course::new();
    let dir = course.path("fresh");
    let exe = env!("CARGO_BIN_EXE_lecturegen");
    let status = Command::new(exe).arg("new").arg(&dir).status().unwrap();
    assert!(status.success());
    // Small frames and no system fonts, with the default backend: the built-in model, end to
    // end.
    let config = crate::support::TEST_CONFIG.replace("backend = \"none\"", "");
    assert!(!config.contains("backend"), "the default backend is used");
    std::fs::write(dir.join("lecturegen.toml"), config).unwrap();
    let out = Command::new(exe)
        .args(["build", "--quiet", "--root"])
        .arg(&dir)
        .output()
        .unwrap();
    crate::support::assert_success(&out);
    assert!(dir.join("output/01-welcome/lecture.mp4").is_file());
    assert!(out.stdout.is_empty(), "stdout is for data only");

    std::fs::write(dir.join("content/02-bad.md"), "---\nseed: [1\n---\n").unwrap();
    let out = Command::new(exe)
        .args(["build", "--quiet", "--root"])
        .arg(&dir)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("error: content/02-bad.md:2:"), "{stderr}");

    // A typo in the config is an error, not silently ignored.
    std::fs::write(dir.join("lecturegen.toml"), "[video]\nwidht = 640\n").unwrap();
    let out = Command::new(exe)
        .args(["build", "--quiet", "--root"])
        .arg(&dir)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("widht"));
}

#[test]
fn warnings_name_file_and_line() {
    let course = Course::new();
    course.file(
        "content/a.md",
        "---\ntitle: A\ncolour: blue\n---\n\n# One\n\n<!-- duration: soon -->\ntext\n",
    );
    let (summary, report) = course.build();
    assert_eq!(summary.failed, 0);
    let warnings = report.warnings();
    assert!(
        warnings
            .iter()
            .any(|w| w.starts_with("content/a.md:2:1:") && w.contains("`colour`")),
        "{warnings:?}"
    );
    assert!(
        warnings
            .iter()
            .any(|w| w.starts_with("content/a.md:8:1:") && w.contains("duration")),
        "{warnings:?}"
    );
}

#[test]
fn a_moved_course_draws_and_encodes_nothing() {
    let course = Course::new();
    course.bytes("content/fig.png", &crate::support::png(8, 8, [10, 200, 30]));
    course.bytes(
        "images/shared.png",
        &crate::support::png(8, 8, [200, 10, 30]),
    );
    course.file(
        "content/a.md",
        "# A\n\n## Figure\n![a figure](fig.png)\n\n## Shared\n![shared](/images/shared.png)\n\n\
         ## Side\n![bg left](fig.png)\ntext\n",
    );
    let (first, _) = course.build();
    assert_eq!(first.failed, 0);
    assert!(first.encoded > 0);
    let moved = Course::new();
    std::fs::remove_dir_all(&moved.root).unwrap();
    std::fs::rename(&course.root, &moved.root).unwrap();
    let (after, _) = moved.build();
    assert_eq!(after.failed, 0);
    assert_eq!(after.rendered, 0, "{after:?}");
    assert_eq!(after.encoded, 0, "{after:?}");
    assert_eq!(after.backgrounds_generated, 0, "{after:?}");
    assert!(after.nothing_rendered());
}

/// Every file of a course with its size and modification time.
fn stamps(root: &std::path::Path) -> Vec<(std::path::PathBuf, u64, std::time::SystemTime)> {
    walkdir(root)
        .into_iter()
        // The digest memo is the process's: the tests building beside this one add their
        // files to it, and a build saves it whole.
        .filter(|path| !path.ends_with(".lecturegen/cache/digests.json"))
        .filter_map(|path| {
            let meta = std::fs::metadata(&path).ok()?;
            meta.is_file()
                .then(|| (path, meta.len(), meta.modified().unwrap()))
        })
        .collect()
}

/// A build where nothing changed draws, speaks, encodes and muxes nothing and writes no file,
/// narrated or silent, in lecturegen's own site or in a host site; an edit to one lecture's
/// notes makes that lecture's video again, and only that one.
#[test]
fn a_build_where_nothing_changed_speaks_muxes_and_writes_nothing() {
    let narrated = crate::narration::tone_course();
    narrated.file(
        "content/a.md",
        "# A\n\n## One\ntext\n\nNote: One thing is said.\n",
    );
    narrated.file(
        "content/b.md",
        "# B\n\n## Two\nmore\n\nNote: Another is said.\n",
    );
    let host = Course::new();
    let config = host.read("lecturegen.toml");
    host.file(
        "lecturegen.toml",
        &format!("{config}\n[site]\ngenerator = \"hugo\"\n"),
    );
    host.file(
        "content/notes/c.md",
        "---\ntitle: C\nlecture: true\n---\n\n## Three\nshown\n",
    );
    for course in [&narrated, &host] {
        let (first, report) = course.build();
        assert_eq!(first.failed, 0, "{:?}", report.errors());
        assert_eq!(first.muxed, first.built);
        let before = stamps(&course.root);
        let (again, _) = course.build();
        assert_eq!(again.built, first.built);
        assert!(again.nothing_rendered(), "{again:?}");
        assert_eq!((again.muxed, again.spoken), (0, 0), "{again:?}");
        assert_eq!(stamps(&course.root), before, "a file was written");
    }
    narrated.file(
        "content/a.md",
        "# A\n\n## One\ntext\n\nNote: One thing is said again.\n",
    );
    let (edited, _) = narrated.build();
    assert_eq!((edited.muxed, edited.spoken, edited.rendered), (1, 1, 0));
}

/// `[layout] max_words_per_page` cuts a slide's pages: changing it redraws the slides it cuts
/// (it was missing from what decides whether a slide is drawn again).
#[test]
fn a_layout_change_redraws_the_slides_it_cuts() {
    let course = Course::new();
    let words: Vec<String> = (0..12)
        .map(|i| format!("- Point {i} with a few words more"))
        .collect();
    course.file(
        "content/a.md",
        &format!("# A\n\n## Many\n\n{}\n", words.join("\n")),
    );
    let (first, _) = course.build();
    let config = course.read("lecturegen.toml");
    course.file(
        "lecturegen.toml",
        &format!("{config}\n[layout]\nmax_words_per_page = 30\n"),
    );
    let (second, _) = course.build();
    assert!(second.rendered >= 1, "{second:?}");
    assert!(
        second.pages > first.pages,
        "{} then {}",
        first.pages,
        second.pages
    );
}
