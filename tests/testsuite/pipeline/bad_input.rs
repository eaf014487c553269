//! Bad input: every case ends in a clear error or warning naming the file (and line where
//! there is one), or in correct output; nothing panics, and good lectures beside bad ones
//! still build.

use crate::support::Course;

/// A PNG header claiming a picture of 100,000 x 100,000 pixels, and nothing else.
fn enormous_png() -> Vec<u8> {
    let mut png = b"\x89PNG\r\n\x1a\n".to_vec();
    let mut ihdr = Vec::new();
    ihdr.extend_from_slice(&100_000u32.to_be_bytes());
    ihdr.extend_from_slice(&100_000u32.to_be_bytes());
    ihdr.extend_from_slice(&[8, 2, 0, 0, 0]);
    png.extend_from_slice(&(ihdr.len() as u32).to_be_bytes());
    png.extend_from_slice(b"IHDR");
    png.extend_from_slice(&ihdr);
    png.extend_from_slice(&[0, 0, 0, 0]);
    png
}

#[test]
fn a_corpus_of_bad_lectures_never_stops_the_good_one() {
    let course = Course::new();
    course.file("content/00-good.md", "# Good\n\n## Fine\n\nAll is well.\n");
    let cases: Vec<(&str, Vec<u8>)> = vec![
        ("broken-yaml.md", b"---\ntitle: [unclosed\n---\n# x\n".to_vec()),
        ("broken-toml.md", b"+++\ntitle = \n+++\n# x\n".to_vec()),
        ("unclosed-front.md", b"---\ntitle: never closed\n# x\n".to_vec()),
        ("unclosed-fence.md", b"# T\n\n## Code\n\n```rust\nfn main() {\n".to_vec()),
        ("not-utf8.md", b"# T\n\n\xff\xfe caf\xe9\n".to_vec()),
        ("empty.md", Vec::new()),
        ("binary.md", (0..4096u32).map(|i| (i * 7919 % 251) as u8).collect()),
        ("long-word.md", format!("# T\n\n## W\n\n{}\n", "x".repeat(50_000)).into_bytes()),
        (
            "deep-list.md",
            (0..300)
                .map(|d| format!("{}- level {d}\n", "  ".repeat(d)))
                .collect::<String>()
                .into_bytes(),
        ),
        (
            "directives.md",
            b"# T\n\n## D\n\n<!-- duration: banana -->\n<!-- seed: -4 -->\n<!-- nonsense: 1 -->\n<!-- background: -->\ntext\n"
                .to_vec(),
        ),
        ("missing-image.md", b"# T\n\n## I\n\n![gone](nowhere.png)\n".to_vec()),
        ("corrupt-image.md", b"# T\n\n## I\n\n![bad](corrupt.png)\n".to_vec()),
        ("enormous-image.md", b"# T\n\n## I\n\n![huge](huge.png)\n".to_vec()),
        ("outside-image.md", b"# T\n\n## I\n\n![out](../../secret.png)\n".to_vec()),
        ("bad-side.md", b"# T\n\n## I\n\n![bg left:999%](corrupt.png)\n\ntext\n".to_vec()),
    ];
    for (name, bytes) in &cases {
        course.bytes(&format!("content/{name}"), bytes);
    }
    course.bytes(
        "content/corrupt.png",
        b"\x89PNG\r\n\x1a\nthis is not a picture",
    );
    course.bytes("content/huge.png", &enormous_png());
    course.bytes("secret.png", b"not yours");
    // A symlink loop inside the content folder.
    std::os::unix::fs::symlink(course.path("content/loop"), course.path("content/loop")).unwrap();
    std::fs::create_dir_all(course.path("content/dir")).unwrap();
    std::os::unix::fs::symlink(course.path("content/dir"), course.path("content/dir/again"))
        .unwrap();

    let (summary, report) = course.build();
    assert!(course.path("output/00-good/lecture.mp4").is_file());
    assert_eq!(
        summary.built + summary.failed,
        summary.lectures,
        "{summary:?}"
    );
    let errors = report.errors();
    let warnings = report.warnings();
    let said = |name: &str| {
        errors
            .iter()
            .chain(&warnings)
            .any(|m| m.starts_with(&format!("content/{name}:")))
    };
    // Each of these must be named in an error or a warning, with a line.
    for name in [
        "broken-yaml.md",
        "broken-toml.md",
        "unclosed-front.md",
        "not-utf8.md",
        "binary.md",
        "missing-image.md",
        "corrupt-image.md",
        "enormous-image.md",
        "outside-image.md",
        "directives.md",
        "bad-side.md",
    ] {
        assert!(
            said(name),
            "{name} said nothing:\n{errors:#?}\n{warnings:#?}"
        );
    }
    // These build: an empty lecture, an unclosed fence (code to the end), a long word (broken
    // across lines), a 300-deep list.
    for slug in ["empty", "unclosed-fence", "long-word", "deep-list"] {
        assert!(
            course.path(&format!("output/{slug}/index.html")).is_file(),
            "{slug}: {errors:#?}"
        );
    }
    for message in errors.iter().chain(&warnings) {
        assert!(
            message.starts_with("content/") || message.contains("content"),
            "{message}"
        );
    }
}

#[test]
fn two_thousand_slides_in_one_lecture_build() {
    let course = Course::new();
    let notes: String = (0..2000)
        .map(|i| format!("# Slide {i}\n\nline {i}\n\n"))
        .collect();
    course.file("content/big.md", &notes);
    let (summary, report) = course.build();
    assert_eq!(summary.failed, 0, "{:?}", report.errors());
    assert_eq!(summary.slides, 2000);
    let page = course.read("output/big/index.html");
    assert!(page.contains("Slide 1999"));
}

#[test]
fn a_template_with_a_syntax_error_is_named_and_nothing_is_lost() {
    let course = Course::new();
    course.file("content/a.md", "# A\n\n## One\n\ntext\n");
    course.build();
    let page = course.read("output/a/index.html");
    course.file("templates/lecture.html", "<html>{% if %}</html>\n");
    let settings = course.settings();
    let err = lecturegen::pipeline::build(&settings, &lecturegen::report::Silent).unwrap_err();
    let message = format!("{err:#}");
    assert!(message.contains("lecture.html"), "{message}");
    assert!(message.contains("1:"), "names the line: {message}");
    assert_eq!(course.read("output/a/index.html"), page);
}
