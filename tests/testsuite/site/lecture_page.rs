//! The lecture page: an HTML snapshot, relative links, escaping.

use std::path::Path;

use crate::support::Course;

#[test]
fn lecture_page_matches_snapshot() {
    let course = Course::fixture("site");
    let (summary, report) = course.build();
    assert_eq!(summary.failed, 0, "{:?}", report.errors());
    // Versions are digests of the video and poster: checked elsewhere, masked here.
    let html = mask_versions(&course.read("output/intro/index.html"));
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/snapshots/intro.html");
    if std::env::var_os("LECTUREGEN_BLESS").is_some() {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, &html).unwrap();
        return;
    }
    let expected = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("{}: {e} (LECTUREGEN_BLESS=1 creates it)", path.display()));
    if html != expected {
        let out = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/intro.actual.html");
        std::fs::write(&out, &html).unwrap();
        panic!(
            "lecture page differs from {}; actual page in {}",
            path.display(),
            out.display()
        );
    }
}

fn mask_versions(html: &str) -> String {
    let mut out = String::new();
    let mut rest = html;
    while let Some(i) = rest.find("?v=") {
        out.push_str(&rest[..i + 3]);
        rest = &rest[i + 3..];
        let hex = rest.chars().take_while(|c| c.is_ascii_hexdigit()).count();
        assert_eq!(hex, 12, "version is 12 hex digits");
        out.push_str("VERSION");
        rest = &rest[hex..];
    }
    out.push_str(rest);
    out
}

#[test]
fn pages_link_relatively_and_escape_notes() {
    let course = Course::fixture("site");
    course.build();
    let html = course.read("output/intro/index.html");
    assert!(html.contains(r#"preload="metadata""#));
    assert!(html.contains(r#"<track kind="chapters" src="chapters.vtt""#));
    assert!(html.contains(r#"href="../style.css""#));
    // The poster is the title slide's picture, not a second copy of it.
    assert!(html
        .replace("&#x2F;", "/")
        .contains(r#"poster="slides/001.jpg?v="#));
    assert!(html.contains(r#"src="lecture.mp4?v="#));
    // A note with markup is text on the page.
    assert!(
        html.contains("&lt;b&gt;not bold&lt;&#x2F;b&gt;")
            || html.contains("&lt;b&gt;not bold&lt;/b&gt;"),
        "{html}"
    );
    assert!(!html.contains("<b>not bold</b>"));
    for link in html.split("href=\"").skip(1) {
        let target = link.split('"').next().unwrap();
        assert!(!target.starts_with('/'), "absolute link {target}");
        assert!(!target.contains("://"), "external link {target}");
    }
    let index = course.read("output/index.html");
    assert!(index.contains(r#"href="intro/index.html""#));
    assert!(
        index.contains(r#"src="intro/slides/001.jpg?v="#)
            || index.contains(r#"src="intro&#x2F;slides&#x2F;001.jpg?v="#),
        "{index}"
    );
    assert!(!course.path("output/intro/poster.jpg").exists());
    assert!(course.path("output/intro/slides/001.jpg").is_file());
    assert!(course.path("output/intro/assets").is_dir());
}

#[test]
fn an_arabic_lecture_is_labelled_in_arabic_and_right_to_left() {
    let course = Course::new();
    let seed = std::fs::read_to_string(crate::support::fixtures().join("seed-note.md")).unwrap();
    course.file("content/seed.md", &seed);
    course.file(
        "content/long.md",
        &format!(
            "---\nlang: ar\n---\n\n# طويل\n\n## قائمة\n\n{}",
            "- نقطة طويلة بما يكفي لتلتف على سطرين في الشريحة\n".repeat(40)
        ),
    );
    let (summary, collect) = course.build();
    assert_eq!(summary.failed, 0, "{:?}", collect.errors());
    let html = course.read("output/seed/index.html");
    assert!(html.contains(r#"dir="rtl""#), "{html}");
    assert!(html.contains("<h2>النص الكامل</h2>"), "{html}");
    assert!(html.contains(r#"label="الفصول""#));
    assert!(!html.contains("Transcript"));
    // A slide too long for one page continues (its follow-on pages are titled "(تابع)").
    assert!(summary.pages > summary.slides, "{summary:?}");
    assert!(collect
        .warnings()
        .iter()
        .any(|w| w.starts_with("content/long.md:")));
}
