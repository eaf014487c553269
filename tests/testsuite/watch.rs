//! `lecturegen watch`: event classification, and a real watcher on a temporary course.

use std::path::{Path, PathBuf};

use lecturegen::pipeline::Scope;
use lecturegen::project::Paths;
use lecturegen::watch::{classify, is_scratch, Batch, Change};

use crate::support::{Course, Running};

fn layout() -> Paths {
    let root = PathBuf::from("/c");
    Paths {
        config: root.join("lecturegen.toml"),
        lexicon: root.join("lexicon.toml"),
        content: root.join("content"),
        templates: root.join("templates"),
        fonts: vec![root.join("fonts")],
        output: root.join("output"),
        cache: root.join(".lecturegen"),
        ignored: vec![root.join("public")],
        pages_only: false,
        reads: Default::default(),
        root,
    }
}

#[test]
fn classifies_each_kind_of_path() {
    let l = layout();
    let c = |p: &str| classify(Path::new(p), &l);
    assert_eq!(c("/c/lecturegen.toml"), Some(Change::Config));
    assert_eq!(c("/c/lexicon.toml"), Some(Change::Config));
    // A host site whose pages are at its root (Jekyll, Quarto): its build folder is not read.
    let host = Paths {
        content: PathBuf::from("/c"),
        pages_only: true,
        ..layout()
    };
    assert_eq!(classify(Path::new("/c/public/index.html"), &host), None);
    assert!(classify(Path::new("/c/about.md"), &host).is_some());
    // Only pages and what lectures read: the host's own files are not sources.
    assert_eq!(classify(Path::new("/c/_config.yml"), &host), None);
    assert_eq!(classify(Path::new("/c/assets/site.css"), &host), None);
    assert!(classify(Path::new("/c/notes/x.qmd"), &host).is_some());
    assert_eq!(
        c("/c/templates/slide.toml"),
        Some(Change::Template("slide.toml".into()))
    );
    assert_eq!(c("/c/fonts/Noto.ttf"), Some(Change::Font));
    assert_eq!(
        c("/c/content/01-a.md"),
        Some(Change::Content("/c/content/01-a.md".into()))
    );
    assert_eq!(
        c("/c/content/02-deck/figure.png"),
        Some(Change::Content("/c/content/02-deck/figure.png".into()))
    );
    // The build's own writes, hidden folders and anything outside the course.
    for ignored in [
        "/c/output/01-a/lecture.mp4",
        "/c/output/index.html",
        "/c/.lecturegen/cache/slides/ab/abcd",
        "/c/.git/index",
        "/c/content/.hidden/a.md",
        "/elsewhere/a.md",
        "/c/templates/.slide.toml.swp",
    ] {
        assert_eq!(c(ignored), None, "{ignored}");
    }
}

#[test]
fn editor_scratch_files_are_ignored() {
    for name in [
        ".01-a.md.swp",
        "01-a.md.swp",
        "01-a.md.swx",
        "01-a.md~",
        "#01-a.md#",
        ".#01-a.md",
        "4913",
        "01-a.md.tmp",
        ".lecturegen-tmp-12-0-lecture.mp4",
    ] {
        assert!(is_scratch(name), "{name}");
        let path = format!("/c/content/{name}");
        assert_eq!(classify(Path::new(&path), &layout()), None, "{name}");
    }
    for name in ["01-a.md", "figure.png", "2024-notes.md", "index.md"] {
        assert!(!is_scratch(name), "{name}");
    }
}

#[test]
fn a_batch_scopes_the_rebuild() {
    let l = layout();
    let batch = |paths: &[&str]| Batch::of(paths.iter().map(Path::new), &l);
    // A burst of saves of one file (write, rename, chmod) is one change.
    let notes = batch(&[
        "/c/content/01-a.md",
        "/c/content/.01-a.md.swp",
        "/c/content/01-a.md~",
        "/c/content/01-a.md",
    ]);
    assert_eq!(notes.changes.len(), 1);
    assert_eq!(
        notes.scope(),
        Scope::Touching([PathBuf::from("/c/content/01-a.md")].into())
    );
    assert!(!notes.config() && !notes.templates() && !notes.fonts());
    // Config, templates and fonts re-plan every lecture (unchanged slides are still reused).
    assert_eq!(batch(&["/c/lecturegen.toml"]).scope(), Scope::All);
    assert_eq!(batch(&["/c/templates/lecture.html"]).scope(), Scope::All);
    assert_eq!(batch(&["/c/fonts/a.otf"]).scope(), Scope::All);
    // Only ignored paths: nothing to do.
    assert!(batch(&["/c/output/x", "/c/content/4913"]).is_empty());
    assert_eq!(
        batch(&["/c/content/01-a.md", "/c/templates/slide.toml"]).describe(&l),
        "template slide.toml, content/01-a.md"
    );
}

const LECTURE: &str = "---\ntitle: Watched\n---\n\n# One\n\nfirst text\n\n# Two\n\nsecond text\n";

fn wait_for_text(running: &Running, course: &Course, rel: &str, text: &str) {
    running.wait(&format!("{rel} to contain {text:?}"), || {
        std::fs::read_to_string(course.path(rel))
            .ok()
            .filter(|t| t.contains(text))
    });
}

fn watch_course(poll: bool) {
    let course = Course::new();
    course.file("content/a.md", LECTURE);
    course.file("content/b.md", "# B\n\n## Only\n\nbee\n");
    let root = course.root.to_string_lossy().into_owned();
    let mut args = vec!["watch", "--root", root.as_str()];
    if poll {
        args.push("--poll");
    }
    let mut watcher = Running::start(&course.root, &args);
    watcher.wait_line("the watcher to start", |l| l.starts_with("watching "));
    assert!(course.path("output/a/index.html").is_file());

    // An edit rebuilds that lecture, drawing only the edited slide.
    course.file(
        "content/a.md",
        &LECTURE.replace("second text", "second, edited"),
    );
    let status = watcher.wait_builds(2);
    assert!(status.contains("content/a.md"), "{status}");
    assert!(status.contains("a (slide 3 drawn)"), "{status}");
    assert!(!status.contains(" b "), "{status}");
    wait_for_text(&watcher, &course, "output/a/index.html", "second, edited");

    // An editor that saves by writing a temp file and renaming it over the notes.
    course.file(
        "content/.a.md.tmp-save",
        &LECTURE.replace("first text", "renamed in"),
    );
    std::fs::rename(
        course.path("content/.a.md.tmp-save"),
        course.path("content/a.md"),
    )
    .unwrap();
    wait_for_text(&watcher, &course, "output/a/index.html", "renamed in");

    // Broken front matter: the error names file and line, the last good output stays, and the
    // watcher lives on.
    let good = course.read("output/a/index.html");
    let builds = watcher.builds().len();
    course.file("content/a.md", "---\ntitle: [unclosed\n---\n\n# One\n");
    watcher.wait_line("the error", |l| l.starts_with("error: content/a.md:2"));
    watcher.wait_builds(builds + 1);
    assert!(watcher.alive());
    assert_eq!(course.read("output/a/index.html"), good);
    // Fixing it recovers.
    course.file("content/a.md", &LECTURE.replace("first text", "fixed"));
    wait_for_text(&watcher, &course, "output/a/index.html", "fixed");

    // A renamed lecture moves; a deleted one disappears from the site.
    std::fs::rename(course.path("content/b.md"), course.path("content/c.md")).unwrap();
    watcher.wait("c to be built and b removed", || {
        (course.path("output/c/index.html").is_file() && !course.path("output/b").exists())
            .then_some(())
    });
    wait_for_text(&watcher, &course, "output/index.html", "c/index.html");
    assert!(!course.read("output/index.html").contains("b/index.html"));
    assert!(watcher.alive());
}

#[test]
fn watcher_rebuilds_edits_survives_errors_and_follows_renames() {
    watch_course(false);
}

#[test]
fn polling_watcher_does_the_same() {
    watch_course(true);
}

#[test]
fn a_burst_of_saves_is_one_rebuild_and_output_writes_trigger_none() {
    let course = Course::new();
    course.file("content/a.md", LECTURE);
    let root = course.root.to_string_lossy().into_owned();
    let watcher = Running::start(&course.root, &["watch", "--root", &root]);
    watcher.wait_line("the watcher to start", |l| l.starts_with("watching "));
    for i in 0..5 {
        course.file(
            "content/a.md",
            &LECTURE.replace("first text", &format!("save {i}")),
        );
    }
    wait_for_text(&watcher, &course, "output/a/index.html", "save 4");
    std::thread::sleep(std::time::Duration::from_millis(600));
    let builds = watcher.builds();
    assert_eq!(builds.len(), 2, "the first build, then one: {builds:#?}");
    // Nothing the build writes makes it build again.
    let settled = builds.len();
    std::thread::sleep(std::time::Duration::from_millis(800));
    assert_eq!(watcher.builds().len(), settled, "{:#?}", watcher.builds());
    // A template edit redraws slides but makes no background.
    let slide = crate::support::builtin_template("slide.toml");
    course.file("templates/slide.toml", &format!("{slide}\n# edited\n"));
    let status = watcher.wait_builds(settled + 1);
    assert!(status.contains("template"), "{status}");
    assert!(status.contains("slides 1, 2, 3 drawn"), "{status}");
    assert!(!status.contains("background"), "{status}");
    // A config edit re-plans everything but makes only what it touches: slower speech changes
    // the timeline, not one picture.
    let config = course.read("lecturegen.toml");
    course.file(
        "lecturegen.toml",
        &format!("{config}\n[timing]\nwords_per_minute = 60.0\n"),
    );
    let status = watcher.wait_builds(settled + 2);
    assert!(status.contains("lecturegen.toml"), "{status}");
    assert!(status.contains("a (nothing to draw)"), "{status}");
}

#[test]
fn files_the_build_does_not_read_are_ignored() {
    // `lecturegen watch > watch.log` in the course folder: the log grows with every status
    // line, and must never cause one.
    let l = layout();
    for unread in ["/c/watch.log", "/c/notes/todo.txt", "/c/images/unused.png"] {
        assert_eq!(classify(Path::new(unread), &l), None, "{unread}");
    }
    let mut reading = layout();
    reading.reads.insert("/c/images/figure.png".into());
    assert_eq!(
        classify(Path::new("/c/images/figure.png"), &reading),
        Some(Change::Content("/c/images/figure.png".into()))
    );

    let course = Course::new();
    course.file("content/a.md", LECTURE);
    let root = course.root.to_string_lossy().into_owned();
    let watcher = Running::start(&course.root, &["watch", "--root", &root]);
    watcher.wait_line("the watcher to start", |l| l.starts_with("watching "));
    let lines = watcher.lines().len();
    for i in 0..10 {
        course.file("watch.log", &format!("line {i}\n").repeat(i + 1));
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    std::thread::sleep(std::time::Duration::from_millis(800));
    assert_eq!(watcher.builds().len(), 1, "{:#?}", watcher.lines());
    assert_eq!(watcher.lines().len(), lines, "{:#?}", watcher.lines());
    // An edit to the notes is still seen.
    course.file(
        "content/a.md",
        &LECTURE.replace("first text", "after the log"),
    );
    wait_for_text(&watcher, &course, "output/a/index.html", "after the log");
}
