//! Slide splitting, notes, directives, front matter and images.

use lecturegen::content::{Block, Direction, SlideKind, Span};

use crate::support::{parse, parse_full, parse_in, titles, Course};

#[test]
fn deck_with_title_heading_uses_level_two_slides() {
    // Pandoc's slide level holds where prose is shown in full; points make every heading a
    // slide (content::prose).
    let lecture = parse_full(
        "# Deck title\n\nIntro line.\n\n## First\n\nBody one.\n\n### Detail\n\nStays inside.\n\n## Second\n\n- a\n- b\n",
    );
    assert_eq!(lecture.meta.title, "Deck title");
    assert_eq!(titles(&lecture), ["Deck title", "First", "Second"]);
    assert_eq!(lecture.slides[0].kind, SlideKind::Title);
    // Content before the first slide heading belongs to the title slide.
    assert_eq!(
        lecture.slides[0].blocks,
        [Block::Paragraph(vec![Span {
            text: "Intro line.".into(),
            ..Span::default()
        }])]
    );
    // The level-3 heading stays inside "First".
    assert!(matches!(lecture.slides[1].blocks[1], Block::Heading(3, _)));
    assert_eq!(lecture.slides[1].blocks.len(), 3);
}

#[test]
fn notes_with_front_matter_title_use_level_one_sections() {
    let lecture = parse_full(
        "---\ntitle: From front matter\n---\n\n# Section A\n\ntext\n\n## Sub\n\nmore\n\n# Section B\n\ntext\n",
    );
    assert_eq!(
        titles(&lecture),
        ["From front matter", "Section A", "Section B"]
    );
    assert!(matches!(lecture.slides[1].blocks[1], Block::Heading(2, _)));
}

#[test]
fn thematic_breaks_split_marp_decks_and_comments_become_notes() {
    let lecture = parse(concat!(
        "---\nmarp: true\n---\n\n# Deck\n\nOpening\n\n<!-- say hello first -->\n\n---\n\n",
        "## Two\n\n<!-- background: \"teal waves\" -->\n<!-- seed: 3 -->\n<!-- duration: 8s -->\n<!-- _class: lead -->\n\nBody\n\n---\n\nUntitled slide text\n",
    ));
    assert_eq!(titles(&lecture), ["Deck", "Two", ""]);
    assert_eq!(lecture.slides[0].notes, ["say hello first"]);
    let two = &lecture.slides[1];
    assert_eq!(two.background.as_deref(), Some("teal waves"));
    assert_eq!(two.seed, Some(3));
    assert_eq!(two.duration, Some(8.0));
    assert!(
        two.notes.is_empty(),
        "directives are not notes: {:?}",
        two.notes
    );
    assert_eq!(lecture.slides[2].display_title(), "Slide 3");
    for slide in &lecture.slides {
        assert!(
            !slide.html.contains("<!--"),
            "comments never reach the page"
        );
    }
}

#[test]
fn reveal_and_remark_notes_are_never_on_the_slide() {
    let lecture = parse(
        "# T\n\n## A\n\nShown.\n\nNote: Hidden one.\n\nAlso hidden.\n\n## B\n\nShown too.\n\n???\nRemark note.\n",
    );
    let a = &lecture.slides[1];
    assert_eq!(a.blocks.len(), 1);
    assert_eq!(a.notes, ["Hidden one.", "Also hidden."]);
    assert!(!a.html.contains("Hidden"));
    let b = &lecture.slides[2];
    assert_eq!(b.blocks.len(), 1);
    assert_eq!(b.notes, ["Remark note."]);
}

#[test]
fn heading_after_a_break_titles_the_slide() {
    let lecture = parse("# Deck\n\n---\n\n# One\n\ntext\n\n---\n\n## Two\n\ntext\n");
    assert_eq!(titles(&lecture), ["Deck", "One", "Two"]);
}

#[test]
fn lists_code_and_quotes_become_blocks() {
    let lecture = parse(
        "# T\n\n## S\n\n1. first **bold**\n   - nested *it*\n2. second `code`\n\n```rust\nfn main() {}\n```\n\n> quoted\n",
    );
    let blocks = &lecture.slides[1].blocks;
    let Block::List { start, items } = &blocks[0] else {
        panic!("{blocks:?}")
    };
    assert_eq!(*start, Some(1));
    assert_eq!(items.len(), 2);
    assert!(matches!(&items[0][1], Block::List { start: None, .. }));
    let Block::Paragraph(spans) = &items[0][0] else {
        panic!()
    };
    assert!(spans.iter().any(|s| s.bold && s.text == "bold"));
    assert_eq!(
        blocks[1],
        Block::Code {
            lang: Some("rust".into()),
            text: "fn main() {}".into()
        }
    );
    assert!(matches!(&blocks[2], Block::Quote(_)));
}

#[test]
fn words_count_notes_for_timing() {
    let lecture = parse("# T\n\n## S\n\none two three\n\nNote: four five\n");
    assert_eq!(lecture.slides[1].words, 1 + 3 + 2);
}

#[test]
fn yaml_front_matter_error_has_line_and_column() {
    let course = Course::new();
    let err = parse_in(
        &course.root,
        "bad.md",
        b"---\ntitle: ok\nauthor: [unclosed\n---\n\n# A\n",
    )
    .unwrap_err();
    let text = err.to_string();
    assert!(text.starts_with("content/bad.md:"), "{text}");
    assert!(err.line >= 3 && err.line <= 4, "{text}");
    assert!(text.contains("front matter"), "{text}");
}

#[test]
fn toml_front_matter_error_has_line_and_column() {
    let course = Course::new();
    let err = parse_in(
        &course.root,
        "bad.md",
        b"+++\ntitle = \"ok\"\nseed = = 3\n+++\n\n# A\n",
    )
    .unwrap_err();
    assert_eq!((err.line, err.column), (3, 8), "{err}");
    assert!(err.to_string().contains("front matter"));
}

#[test]
fn unclosed_front_matter_and_bad_values_are_errors() {
    let course = Course::new();
    let err = parse_in(&course.root, "a.md", b"---\ntitle: x\n\n# A\n").unwrap_err();
    assert_eq!((err.line, err.column), (1, 1));
    assert!(err.message.contains("never closed"));
    let err = parse_in(&course.root, "a.md", b"---\ntitle: x\nseed: soon\n---\n").unwrap_err();
    assert_eq!(err.line, 3, "{err}");
}

#[test]
fn unknown_front_matter_keys_warn_and_toml_works() {
    let lecture =
        parse("+++\ntitle = \"T\"\nlayout = \"post\"\nmood = \"calm\"\nseed = 4\n+++\n\ntext\n");
    assert_eq!(lecture.meta.title, "T");
    assert_eq!(lecture.meta.seed, 4);
    // `layout` is a site generator's key: it passes silently; `mood` is nobody's.
    assert_eq!(lecture.warnings.len(), 1, "{:?}", lecture.warnings);
    assert!(lecture.warnings[0].contains("unknown key `mood`"));
}

#[test]
fn invalid_utf8_is_an_error_with_position() {
    let course = Course::new();
    let err = parse_in(&course.root, "bin.md", b"# Title\n\nabc\xff\xfe").unwrap_err();
    assert_eq!((err.line, err.column), (3, 4), "{err}");
    assert!(err.message.contains("UTF-8"));
}

#[test]
fn image_outside_the_course_is_refused() {
    let course = Course::new();
    course.file("../outside-lecturegen.png", "x");
    let err = parse_in(
        &course.root,
        "a.md",
        b"# T\n\n## S\n\n![secret](../../outside-lecturegen.png)\n",
    )
    .unwrap_err();
    assert_eq!((err.line, err.column), (5, 1), "{err}");
    assert!(err.message.contains("outside the course"), "{err}");
    let _ = std::fs::remove_file(course.root.join("../outside-lecturegen.png"));
}

#[test]
fn missing_image_is_an_error_and_present_images_are_assets() {
    let course = Course::new();
    let err = parse_in(&course.root, "a.md", b"# T\n\ntext ![x](nope.png)\n").unwrap_err();
    assert_eq!((err.line, err.column), (3, 6), "{err}");
    assert!(err.message.contains("not found"));

    course.bytes("content/pic.png", b"not really a png");
    let lecture = parse_in(
        &course.root,
        "a.md",
        b"# T\n\n## S\n\n![a picture](pic.png)\n\n## B\n\n![bg](pic.png)\n",
    )
    .unwrap();
    assert_eq!(lecture.assets.len(), 1);
    assert!(lecture.assets[0].output.starts_with("assets/pic-"));
    assert!(matches!(lecture.slides[1].blocks[0], Block::Image { .. }));
    assert!(lecture.slides[1].html.contains(&lecture.assets[0].output));
    assert!(lecture.slides[2].blocks.is_empty());
    assert!(lecture.slides[2].backdrop.is_some());
}

#[test]
fn direction_from_lang_dir_or_text() {
    assert_eq!(parse("---\nlang: ar\n---\n\ntext").meta.dir, Direction::Rtl);
    assert_eq!(parse("---\ndir: rtl\n---\n\ntext").meta.dir, Direction::Rtl);
    assert_eq!(parse("# مرحبا بكم\n\nهذا نص عربي").meta.dir, Direction::Rtl);
    assert_eq!(parse("# Hello\n\nplain text").meta.dir, Direction::Ltr);
}

#[test]
fn seed_note_is_a_right_to_left_lecture() {
    let text = std::fs::read(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/seed-note.md"),
    )
    .unwrap();
    let course = Course::new();
    let lecture = parse_in(&course.root, "seed.md", &text).unwrap();
    assert_eq!(lecture.meta.dir, Direction::Rtl);
    assert_eq!(lecture.meta.lang, "ar");
    assert!(lecture.meta.title.starts_with("الذكاء"));
    // Its Jekyll keys (layout, type) belong to the site generator: no warning. Its site's own
    // keys (audio, model...) are reported in lecturegen's own site, not fatal; a host site
    // (`[site] generator = "jekyll"`) takes them silently.
    assert!(
        !lecture
            .warnings
            .iter()
            .any(|w| w.contains("`layout`") || w.contains("`type`")),
        "{:?}",
        lecture.warnings
    );
    assert!(lecture.warnings.iter().any(|w| w.contains("`model`")));
    assert!(!lecture.slides.is_empty());
}

#[test]
fn raw_html_is_escaped_unless_allowed() {
    let course = Course::new();
    let text = b"# T\n\n## S\n\n<script>alert(1)</script>\n\nhi <b>there</b>\n";
    let lecture = parse_in(&course.root, "a.md", text).unwrap();
    let html = &lecture.slides[1].html;
    assert!(!html.contains("<script>"), "{html}");
    assert!(html.contains("&lt;script&gt;"), "{html}");
    let mut options = crate::support::options(&course.root);
    options.allow_html = true;
    let source = lecturegen::content::LectureSource {
        slug: "a".into(),
        file: course.root.join("content/a.md"),
        display: "content/a.md".into(),
    };
    let lecture = lecturegen::content::parse(&source, text, &options).unwrap();
    assert!(lecture.slides[1].html.contains("<b>there</b>"));
}

#[test]
fn odd_inputs_never_panic() {
    let nested = "- a\n".to_string()
        + &(1..60)
            .map(|i| format!("{}- a\n", "  ".repeat(i)))
            .collect::<String>();
    let long_word = "x".repeat(50_000);
    let inputs: Vec<String> = vec![
        String::new(),
        "---\n---\n".into(),
        "---".into(),
        "+++\n+++".into(),
        "---\n---\n---\n---\n".into(),
        "```\nunclosed fence\n".into(),
        "# \n\n## \n\n---\n\n---\n".into(),
        "<!-- unclosed comment\n\n# A".into(),
        "<!-- duration: forever -->\n<!-- seed: -1 -->\n<!---->".into(),
        nested,
        long_word,
        "| a | b |\n|---|---|\n| 1 | 2 |\n".into(),
        "$$x^2$$ and $y$ [^1]\n\n[^1]: foot".into(),
        "\u{feff}# BOM title\n\ntext".into(),
        "\r\n---\r\ntitle: crlf\r\n---\r\n# A\r\n".into(),
    ];
    let course = Course::new();
    for input in inputs {
        let _ = parse_in(&course.root, "odd.md", input.as_bytes());
    }
}

#[test]
fn durations_parse() {
    let lecture = parse(concat!(
        "# T\n\n## A\n<!-- duration: 1.5m -->\n\n## B\n<!-- duration: 500ms -->\n\n",
        "## C\n<!-- duration: 1m30s -->\n\n## D\n<!-- duration: 12 -->\n",
    ));
    let d: Vec<Option<f32>> = lecture.slides.iter().map(|s| s.duration).collect();
    assert_eq!(d, [None, Some(90.0), Some(0.5), Some(90.0), Some(12.0)]);
}

/// `.qmd` and `.markdown` notes are lectures in a course of lecturegen's own, `dir/index.qmd`
/// a lecture folder like `dir/index.md`; notes in formats it does not read are named once.
#[test]
fn qmd_and_markdown_notes_are_lectures_and_unread_formats_are_named() {
    let course = crate::support::Course::new();
    course.file(
        "content/deck/index.qmd",
        "---\ntitle: Deck\nformat: revealjs\n---\n\n## One\n\ntext\n",
    );
    course.file("content/deck/extra.qmd", "## Not a lecture of its own\n");
    course.file("content/intro.qmd", "# Intro\n\n## One\n\ntext\n");
    course.file("content/more.markdown", "# More\n\n## One\n\ntext\n");
    course.file("content/analysis.Rmd", "# Analysis\n");
    course.file("content/notebook.ipynb", "{}");
    let (summary, collect) = course.build();
    assert_eq!(
        (summary.lectures, summary.built),
        (3, 3),
        "{:?}",
        collect.errors()
    );
    for slug in ["deck", "intro", "more"] {
        assert!(
            course.path(&format!("output/{slug}/lecture.mp4")).is_file(),
            "{slug}"
        );
    }
    let warnings = collect.warnings();
    let unread: Vec<&String> = warnings.iter().filter(|w| w.contains("not read")).collect();
    assert_eq!(unread.len(), 1, "{warnings:?}");
    assert!(
        unread[0].contains("content/analysis.Rmd") && unread[0].contains("content/notebook.ipynb"),
        "{unread:?}"
    );
}

/// `<img>` in notes (Jekyll and Galaxy Training Network pages write them) is a figure like a
/// markdown image: a local one is drawn on the slide, copied beside the page and sized by its
/// `width`; a remote one is warned about as a markdown one is.
#[test]
fn html_images_are_figures_like_markdown_images() {
    let course = crate::support::Course::new();
    course.bytes(
        "content/figures/x.png",
        &crate::support::png(40, 20, [200, 30, 30]),
    );
    course.file(
        "content/a.md",
        "# A\n\n## Block\n\n<img src=\"figures/x.png\" alt=\"A red box\" width=\"50%\">\n\n## Inline\n\nSee <img src=\"figures/x.png\"> here.\n\n## Remote\n\n<img src=\"https://example.com/y.png\" alt=\"far\">\n",
    );
    let (summary, collect) = course.build();
    assert_eq!(summary.failed, 0, "{:?}", collect.errors());
    let lecture =
        crate::support::parse_in(&course.root, "a.md", course.read("content/a.md").as_bytes())
            .unwrap();
    let image = |slide: usize| {
        lecture.slides[slide].blocks.iter().find_map(|b| match b {
            Block::Image { alt, width, .. } => Some((alt.clone(), *width)),
            _ => None,
        })
    };
    assert_eq!(image(1), Some(("A red box".to_string(), Some(50))));
    assert_eq!(image(2), Some((String::new(), None)));
    assert_eq!(image(3), None);
    let warnings = collect.warnings();
    assert!(
        warnings
            .iter()
            .any(|w| w.contains("https://example.com/y.png") && w.contains("remote")),
        "{warnings:?}"
    );
    let page = course.read("output/a/index.html");
    assert!(
        page.contains("src=\"assets/x-"),
        "the page links the copied figure"
    );
    assert!(course.path("output/a/assets").is_dir());
}

/// A warning for one place is said once per build, however many pages of a slide reach it.
#[test]
fn a_warning_for_one_place_is_said_once() {
    let course = crate::support::Course::new();
    let title = ["Title"; 80].join(" ");
    let body: Vec<String> = (0..20)
        .map(|i| format!("Paragraph {i} has enough words to fill some of the page with text."))
        .collect();
    course.file(
        "content/a.md",
        &format!("# A\n\n## {title}\n\n{}\n", body.join("\n\n")),
    );
    let (summary, collect) = course.build();
    assert!(summary.pages > 3, "{summary:?}");
    let cut: Vec<String> = collect
        .warnings()
        .into_iter()
        .filter(|w| w.contains("title is too long"))
        .collect();
    assert_eq!(cut.len(), 1, "{cut:?}");
}
