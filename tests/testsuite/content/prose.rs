//! Real notes make real slides: sections found in prose, a title slide that holds the title,
//! pages of readable size, no lost headings, figures that fill their slide.

use lecturegen::content::SlideKind;
use lecturegen::overlay;

use crate::overlay::golden::Kit;
use crate::support::{parse, parse_full, titles, Course};

fn seed() -> lecturegen::content::Lecture {
    let text = std::fs::read(crate::support::fixtures().join("seed-note.md")).unwrap();
    let course = Course::new();
    crate::support::parse_in(&course.root, "seed.md", &text).unwrap()
}

#[test]
fn the_seed_note_becomes_an_introduction_and_one_slide_per_bold_section() {
    let lecture = seed();
    let titles = titles(&lecture);
    assert_eq!(lecture.slides[0].kind, SlideKind::Title);
    assert!(
        lecture.slides[0].blocks.is_empty(),
        "the title slide holds the title only"
    );
    assert_eq!(
        titles[1..],
        [
            "مقدمة",
            "1. نماذج الانتشار (Diffusion Models) للتوليد المستقل للإطارات",
            "2. مسارات العمل من صورة إلى فيديو (Image-to-Video Workflows)",
            "3. نماذج متخصصة للمحتوى التعليمي وذو الطابع التقديمي (PPT-Style)",
            "4. النهج الانحدارية الذاتية (Autoregressive) والقائمة على المحولات (Transformer)",
            "الخلاصة الرئيسية",
        ],
        "{titles:#?}"
    );
    // The introduction is the opening paragraph; the summary keeps its closing paragraphs.
    assert_eq!(lecture.slides[1].blocks.len(), 1);
    let summary = &lecture.slides[6];
    assert_eq!(summary.blocks.len(), 2, "{:#?}", summary.blocks);
    for section in &lecture.slides[2..6] {
        assert!(!section.blocks.is_empty(), "{}", section.title);
    }
}

#[test]
fn prose_before_the_first_heading_is_an_introduction_slide() {
    let lecture = parse(
        "---\ntitle: Notes\n---\n\nThis course is about things. It has two parts, and this \
         paragraph says so at length before any heading.\n\n# Part one\n\ntext\n",
    );
    assert_eq!(titles(&lecture), ["Notes", "Introduction", "Part one"]);
    assert!(lecture.slides[0].blocks.is_empty());
    // A short lead sentence stays on the title slide.
    let lecture = parse("---\ntitle: Notes\n---\n\nA short lead.\n\n# Part one\n\ntext\n");
    assert_eq!(titles(&lecture), ["Notes", "Part one"]);
    assert_eq!(lecture.slides[0].blocks.len(), 1);
    // A first bold line titles the introduction.
    let lecture = parse(
        "---\ntitle: Notes\n---\n\n**Why this matters**\n\nBecause it does. And more so every \
         year, as everyone knows.\n\n# Part one\n\ntext\n",
    );
    assert_eq!(titles(&lecture), ["Notes", "Why this matters", "Part one"]);
}

#[test]
fn consecutive_empty_headings_are_each_a_slide() {
    let lecture =
        parse_full("---\ntitle: Outline\n---\n\n# Lecture\n## A\n## B\n## C\n## D\n## E\n");
    assert_eq!(
        titles(&lecture),
        ["Outline", "Lecture", "A", "B", "C", "D", "E"]
    );
}

#[test]
fn notes_without_any_marker_are_grouped_into_slides_of_a_page() {
    let paragraph = "This sentence has exactly ten words in it, no more. ";
    let text = format!(
        "---\ntitle: Wall\n---\n\n{}",
        vec![paragraph.repeat(3); 8].join("\n\n")
    );
    let lecture = parse(&text);
    // 240 words in paragraphs of 30: groups of at most 70 words, two paragraphs each.
    assert_eq!(lecture.slides.len(), 1 + 4, "{:#?}", titles(&lecture));
}

#[test]
fn long_prose_is_paged_at_reading_size_cut_at_sentences() {
    let kit = Kit::new();
    let renderer = kit.renderer(1920, 1080);
    let sentence = "Every sentence of this long section has exactly twelve words in it, no more.";
    let section = (0..50).map(|_| sentence).collect::<Vec<_>>().join(" ");
    let lecture = parse_full(&format!("# Long\n\n## A long section\n\n{section}\n"));
    let slide = &lecture.slides[1];
    let rendered = overlay::render(&renderer, &lecture.meta, slide).unwrap();
    assert!(
        rendered.pages.len() >= 600 / 70,
        "{} pages",
        rendered.pages.len()
    );
    for page in &rendered.pages {
        assert!(page.words <= 70 + 6, "{} words", page.words);
        assert!(page.body_size >= 36.0, "body at {} px", page.body_size);
        // Pages break between sentences.
        let text: Vec<String> = page
            .readings
            .iter()
            .filter_map(|r| match r {
                lecturegen::reading::Reading::Text(t) => Some(t.clone()),
                _ => None,
            })
            .collect();
        let joined = text.join(" ");
        assert!(joined.ends_with("no more."), "{joined}");
        assert!(joined.starts_with("Every sentence"), "{joined}");
    }
    // A list keeps today's floor and is not cut by words alone.
    let list = (0..12)
        .map(|i| format!("- point {i} of a list"))
        .collect::<Vec<_>>()
        .join("\n");
    let lecture = parse(&format!("# L\n\n## A list\n\n{list}\n"));
    let rendered = overlay::render(&renderer, &lecture.meta, &lecture.slides[1]).unwrap();
    assert_eq!(rendered.pages.len(), 1);
}

#[test]
fn title_slide_follow_on_pages_use_the_content_title_size() {
    let kit = Kit::new();
    let renderer = kit.renderer(1920, 1080);
    // A single long lead paragraph with many sentences stays on the title slide only if it is
    // short, so build the title slide's body directly from a list (not moved away).
    let list = (0..30)
        .map(|i| format!("- item {i}"))
        .collect::<Vec<_>>()
        .join("\n");
    let mut lecture = parse(&format!("---\ntitle: T\n---\n\n{list}\n\n# Next\n\ntext\n"));
    // The list became the introduction; put it back on the title slide to overflow it.
    let blocks = lecture.slides[1].blocks.clone();
    lecture.slides[0].blocks = blocks;
    let rendered = overlay::render(&renderer, &lecture.meta, &lecture.slides[0]).unwrap();
    assert!(rendered.pages.len() > 1);
    // Follow-on pages draw their title in the content layout's box at the top, not in the
    // title slide's (which starts 280 px down).
    for page in &rendered.pages[1..] {
        let title_box = page.boxes.first().unwrap();
        assert!(title_box.y < 200, "{title_box:?}");
        assert!(title_box.height < 200, "{title_box:?}");
    }
}

#[test]
fn a_figure_alone_fills_its_slide_and_beside_text_takes_half() {
    let course = Course::new();
    course.bytes(
        "content/fig.png",
        &crate::support::png(320, 180, [250, 0, 0]),
    );
    let kit = Kit::new();
    let renderer = kit.renderer(1920, 1080);
    let red = |img: &image::RgbaImage| {
        img.pixels()
            .filter(|p| p[0] > 200 && p[1] < 50 && p[3] > 200)
            .count()
    };
    let alone = crate::support::parse_in(
        &course.root,
        "a.md",
        b"# T\n\n## Figure\n\n![a figure](fig.png)\n",
    )
    .unwrap();
    let page = &overlay::render(&renderer, &alone.meta, &alone.slides[1])
        .unwrap()
        .pages[0];
    // The body box is about 1500 x 740 at 1080p: a 16:9 figure filling its height.
    let area = red(&page.image);
    assert!(area > 1_100 * 620, "figure covers {area} px");
    let beside = crate::support::parse_in(
        &course.root,
        "b.md",
        b"# T\n\n## Figure\n\n![a figure](fig.png)\n\nA caption under it.\n",
    )
    .unwrap();
    let page = &overlay::render(&renderer, &beside.meta, &beside.slides[1])
        .unwrap()
        .pages[0];
    let area = red(&page.image);
    // At least half the body's height: 370 px tall, 16:9.
    assert!(area >= 640 * 360, "figure covers {area} px");
}

#[test]
fn display_math_is_typeset_and_bad_tex_falls_back_to_text_with_a_warning() {
    let kit = Kit::new();
    let renderer = kit.renderer(1920, 1080);
    let lecture = parse(
        "# M\n\n## Formula\n\n$$\n\\mathbb{E}_{t}\\left[\\sum_{i=1}^{n} \\frac{a_i}{\\sqrt{b_i}}\\right]\n$$\n",
    );
    let slide = &lecture.slides[1];
    assert!(
        slide
            .blocks
            .iter()
            .any(|b| matches!(b, lecturegen::content::Block::Math { .. })),
        "{:#?}",
        slide.blocks
    );
    let rendered = overlay::render(&renderer, &lecture.meta, slide).unwrap();
    assert!(rendered.warnings.is_empty(), "{:?}", rendered.warnings);
    // Typeset in 2D: a stacked fraction under a big operator with limits is far taller than a
    // line of 44 px text, and the text box under it holds no raw TeX.
    let page = &rendered.pages[0];
    let inked: Vec<u32> = (0..page.image.height())
        .filter(|&y| (0..page.image.width()).any(|x| page.image.get_pixel(x, y)[3] > 128))
        .collect();
    let body_rows = inked.iter().filter(|&&y| y > 240).count();
    assert!(body_rows > 100, "formula is {body_rows} px tall");
    let spoken = format!("{:?}", page.readings);
    assert!(
        !spoken.contains("\\frac") && !spoken.contains('{'),
        "{spoken}"
    );

    // LaTeX latex-rust cannot typeset: readable text, and a warning naming its line.
    let lecture = parse("# M\n\n## Bad\n\n$$\n\\undefinedmacro{x} + y\n$$\n");
    let rendered = overlay::render(&renderer, &lecture.meta, &lecture.slides[1]).unwrap();
    assert!(
        rendered
            .warnings
            .iter()
            .any(|w| w.contains("line 5") && w.contains("typeset")),
        "{:?}",
        rendered.warnings
    );
}

#[test]
fn inline_math_is_typeset_inside_its_line() {
    let kit = Kit::new();
    let renderer = kit.renderer(1920, 1080);
    let lecture = parse_full(
        "# M\n\n## Rate\n\nA slide lasts $\\frac{60\\,w}{r}$ seconds for $w$ words, and \
         $\\sum_{i=1}^{n} t_i$ in all.\n",
    );
    let slide = &lecture.slides[1];
    let rendered = overlay::render(&renderer, &lecture.meta, slide).unwrap();
    assert!(rendered.warnings.is_empty(), "{:?}", rendered.warnings);
    let page = &rendered.pages[0];
    if let Some(dir) = std::env::var_os("LECTUREGEN_DUMP") {
        page.image
            .save(std::path::Path::new(&dir).join("inline-math.png"))
            .unwrap();
    }
    // The readable text is what is read aloud; no TeX is left in it.
    let spoken = format!("{:?}", page.readings);
    assert!(
        spoken.contains("60 w") || spoken.contains("60w"),
        "{spoken}"
    );
    assert!(!spoken.contains("\\frac"), "{spoken}");
    // A stacked fraction and a sum with limits: the line's ink is much taller than the same
    // sentence's with the formulas written out as text.
    let ink = |page: &overlay::Page| {
        let rows: Vec<u32> = (250..page.image.height())
            .filter(|&y| (0..page.image.width()).any(|x| page.image.get_pixel(x, y)[3] > 128))
            .collect();
        rows.last().unwrap() - rows[0]
    };
    let plain =
        parse_full("# M\n\n## Rate\n\nA slide lasts 60w/r seconds for w words, and t in all.\n");
    let plain_page = &overlay::render(&renderer, &plain.meta, &plain.slides[1])
        .unwrap()
        .pages[0];
    let (typeset, text) = (ink(page), ink(plain_page));
    assert!(
        typeset as f32 > 1.3 * text as f32,
        "typeset {typeset} px, text {text} px"
    );
}

#[test]
fn a_line_ending_with_a_colon_before_a_list_starts_a_slide() {
    let lecture = parse(
        "---\ntitle: Parts\n---\n\nThe parts we need are these:\n\n- a\n- b\n\nSome words about \
         them.\n\nAnd the ones we do not:\n\n- c\n- d\n",
    );
    assert_eq!(
        titles(&lecture),
        [
            "Parts",
            "The parts we need are these",
            "And the ones we do not"
        ]
    );
    assert_eq!(
        lecture.slides[1].blocks.len(),
        2,
        "the list and the words after it"
    );
}
