//! Handouts: a tagged PDF per lecture, one page per slide picture, with the words spoken over
//! it, read back with poppler's pdftotext/pdfinfo and checked by qpdf.

use std::path::Path;
use std::process::Command;

use crate::narration::{config, cues, tone_course};
use crate::support::{fixtures, tool, Course};

/// Whether poppler-utils and qpdf are there; in CI their absence is a failure.
fn readers() -> bool {
    tool("pdfinfo", "-v", "poppler-utils") && tool("qpdf", "--version", "qpdf")
}

fn run(program: &str, args: &[&str], file: &Path) -> String {
    let out = Command::new(program)
        .args(args)
        .arg(file)
        .output()
        .unwrap_or_else(|e| panic!("{program}: {e}"));
    assert!(out.status.success(), "{program} {args:?}: {out:?}");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn text_of(file: &Path) -> String {
    let out = Command::new("pdftotext")
        .arg(file)
        .arg("-")
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// `needles` appear in `text` in this order.
fn assert_in_order(text: &str, needles: &[String]) {
    let flat = text.split_whitespace().collect::<Vec<_>>().join(" ");
    let mut at = 0;
    for needle in needles {
        let needle = needle.split_whitespace().collect::<Vec<_>>().join(" ");
        match flat[at..].find(&needle) {
            Some(i) => at += i + needle.len(),
            None => panic!("{needle:?} is not in the handout after byte {at}:\n{flat}"),
        }
    }
}

const LECTURE: &str = "---\ntitle: Handed out\n---\n\n# First slide\n\n- a point\n\n\
Note: This is the first sentence. And here is the second one.\n\n# Second slide\n\n\
Text on the second slide is read when there are no notes.\n";

#[test]
fn a_lecture_gets_a_tagged_handout_with_every_sentence_in_order() {
    if !readers() {
        return;
    }
    let course = tone_course();
    course.file("content/a.md", LECTURE);
    let (summary, report) = course.build();
    assert_eq!(summary.failed, 0, "{:?}", report.errors());
    assert!(report.warnings().is_empty(), "{:?}", report.warnings());
    let pdf = course.path("output/a/handout.pdf");
    let info = run("pdfinfo", &[], &pdf);
    assert!(info.contains("Tagged:          yes"), "{info}");
    assert!(
        info.contains(&format!("Pages:           {}\n", summary.pages)),
        "{} pictures: {info}",
        summary.pages
    );
    assert!(info.contains("Title:           Handed out"), "{info}");
    let check = run("qpdf", &["--check"], &pdf);
    assert!(
        check.contains("No syntax or stream encoding errors"),
        "{check}"
    );
    let json = run("qpdf", &["--json"], &pdf);
    assert!(json.contains(r#""/Lang": "u:en""#), "no /Lang");
    // Every caption, in order, and every slide's title.
    let text = text_of(&pdf);
    let captions: Vec<String> = cues(&course.read("output/a/captions.vtt"))
        .into_iter()
        .map(|(_, _, t)| t.replace('\n', " "))
        .collect();
    assert!(captions.len() >= 3, "{captions:?}");
    assert_in_order(&text, &captions);
    assert_in_order(&text, &["First slide".into(), "Second slide".into()]);
    // Each picture's time links to that moment of the lecture's page, which seeks to it.
    assert!(
        json.contains(r#""/URI": "u:index.html#t=0""#),
        "no link to the first moment"
    );
    let page = course.read("output/a/index.html");
    assert!(
        page.contains(r#"<a href="handout.pdf?v="#),
        "no link on the page"
    );
    assert!(
        page.contains("location.hash"),
        "the page does not seek to #t="
    );
}

#[test]
fn an_arabic_handout_reads_right_to_left_in_logical_order() {
    if !readers() {
        return;
    }
    let course = tone_course();
    let seed = std::fs::read_to_string(fixtures().join("seed-note.md")).unwrap();
    course.file("content/ar.md", &seed);
    let (summary, report) = course.build();
    assert_eq!(summary.failed, 0, "{:?}", report.errors());
    let pdf = course.path("output/ar/handout.pdf");
    let json = run("qpdf", &["--json"], &pdf);
    assert!(json.contains(r#""/Lang": "u:ar""#), "no /Lang ar");
    let text = text_of(&pdf);
    // Each caption as written (logical order, ligatures as their letters).
    let captions: Vec<String> = cues(&course.read("output/ar/captions.vtt"))
        .into_iter()
        .map(|(_, _, t)| t.replace('\n', " "))
        .filter(|t| t.chars().any(|c| ('\u{0600}'..='\u{06FF}').contains(&c)))
        .collect();
    assert!(!captions.is_empty());
    // Word by word: where the marks between right-to-left and left-to-right words go is
    // pdftotext's guess, not the document's.
    let words = |s: &str| -> Vec<String> {
        s.split(|c: char| !c.is_alphanumeric() && !is_mark(c))
            .filter(|w| w.chars().any(|c| ('\u{0600}'..='\u{06FF}').contains(&c)))
            .map(String::from)
            .collect()
    };
    let heard: Vec<String> = captions.iter().take(6).flat_map(|c| words(c)).collect();
    assert!(heard.len() > 10, "{heard:?}");
    assert_in_order(&words(&text).join(" "), &heard);
}

/// Arabic's combining marks (harakat), part of a word.
fn is_mark(c: char) -> bool {
    ('\u{064B}'..='\u{065F}').contains(&c) || c == '\u{0670}'
}

#[test]
fn handouts_can_be_turned_off() {
    let course = Course::new();
    course.file(
        "lecturegen.toml",
        &config("voice = \"none\"").replace("[course]", "[site]\nhandouts = false\n\n[course]"),
    );
    course.file("content/a.md", LECTURE);
    let (summary, report) = course.build();
    assert_eq!(summary.failed, 0, "{:?}", report.errors());
    assert!(!course.path("output/a/handout.pdf").exists());
    assert!(!course.read("output/a/index.html").contains("handout.pdf"));
}

#[test]
fn the_course_handout_holds_every_lecture_and_is_made_again_only_when_one_changes() {
    if !readers() {
        return;
    }
    let course = tone_course();
    course.file("content/a.md", LECTURE);
    course.file(
        "content/b.md",
        "---\ntitle: Second lecture\n---\n\n# Only slide\n\nNote: The second lecture speaks.\n",
    );
    let (summary, report) = course.build();
    assert_eq!(summary.failed, 0, "{:?}", report.errors());
    let pdf = course.path("output/course.pdf");
    let info = run("pdfinfo", &[], &pdf);
    assert!(
        info.contains(&format!("Pages:           {}\n", summary.pages)),
        "{info}"
    );
    assert!(info.contains("Tagged:          yes"), "{info}");
    // The outline: each lecture, its slides under it.
    let json = run("qpdf", &["--json"], &pdf);
    for title in [
        "Handed out",
        "First slide",
        "Second slide",
        "Second lecture",
        "Only slide",
    ] {
        assert!(
            json.contains(&format!(r#""/Title": "u:{title}""#)),
            "{title}"
        );
    }
    assert_in_order(
        &text_of(&pdf),
        &[
            "This is the first sentence.".into(),
            "The second lecture speaks.".into(),
        ],
    );
    assert!(course
        .read("output/index.html")
        .contains(r#"<a href="course.pdf?v="#));
    // Nothing changed: not written again. One lecture changed: written again.
    let modified = || std::fs::metadata(&pdf).unwrap().modified().unwrap();
    let first = modified();
    std::thread::sleep(std::time::Duration::from_millis(20));
    course.build();
    assert_eq!(modified(), first);
    course.file(
        "content/b.md",
        "---\ntitle: Second lecture\n---\n\n# Only slide\n\nNote: The second lecture says more.\n",
    );
    course.build();
    assert_ne!(modified(), first);
    assert!(text_of(&pdf).contains("The second lecture says more."));
}

#[test]
fn the_fixture_course_gets_a_handout_per_lecture_and_a_course_handout() {
    let course = Course::fixture("site");
    let (summary, report) = course.build();
    assert_eq!(summary.failed, 0, "{:?}", report.errors());
    assert!(report.warnings().iter().all(|w| !w.contains("handout")));
    for entry in &summary.entries {
        let pdf = course.path(&format!("output/{}/handout.pdf", entry.slug));
        assert!(pdf.is_file(), "{}", pdf.display());
    }
    assert!(course.path("output/course.pdf").is_file());
}
