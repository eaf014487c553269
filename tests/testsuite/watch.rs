//! `lecturegen watch`: a real watcher on a temporary course (event classification is unit-tested
//! in `src/watch.rs`).

use crate::support::{Course, Running};

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
