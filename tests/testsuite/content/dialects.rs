//! Decks written for other slide tools: each dialect's syntax is read, never drawn.

use lecturegen::config::NotesDialect as Dialect;
use lecturegen::content::{Block, Lecture, Step};

use crate::support::{drawn_text, parse, parse_file, png, Course};

/// The text drawn on the slides outside code blocks.
fn shown(lecture: &Lecture) -> String {
    drawn_text(lecture, false)
}

/// No tool's syntax on any slide.
fn assert_no_tool_syntax(lecture: &Lecture) {
    let text = shown(lecture);
    for syntax in [
        ".pull-left[",
        ".pull-right[",
        ".footnote[",
        "::right::",
        "layout:",
        "class:",
        ". . .",
        "{.",
        ":::",
        "<!--",
        "{{<",
        "#|",
        "<v-click",
        "</",
        "image:",
    ] {
        assert!(!text.contains(syntax), "`{syntax}` drawn:\n{text}");
    }
    assert!(
        !text.lines().any(|l| l.trim() == "--" || l.trim() == "]"),
        "a step or bracket line drawn:\n{text}"
    );
}

#[test]
fn a_remark_deck_of_the_galaxy_training_network_is_read_as_remark() {
    let course = Course::new();
    course.bytes("content/images/fig.png", &png(8, 8, [10, 20, 30]));
    course.bytes("content/images/bg.png", &png(8, 8, [30, 20, 10]));
    let lecture = parse_file(
        &course,
        "slides.html",
        "---\nlayout: tutorial_slides\nlogo: GTN\ntitle: Quality control\nquestions:\n  - Why?\n\
         objectives:\n  - Trim reads\nkey_points:\n  - Check first\ncontributors:\n  - someone\n---\n\n\
         layout: true\n.footnote[Shown on every slide by remark's template]\n\n---\n\
         class: center, middle\nname: intro\n\n# Why quality control?\n\n\
         .pull-left[\n- Sequencers make errors\n- <span style=\"color: red\">Important</span> reads\n]\n\
         .pull-right[\n.image-50[![a figure](images/fig.png)]\n]\n\n--\n\nThen we trim.\n\n\
         .footnote[Ewels et al., 2016]\n\n???\n\nAsk who has sequenced anything.\n\n---\n\
         exclude: true\n\n# Hidden slide\n\nNot shown.\n\n---\n\
         background-image: url(images/bg.png)\ncount: false\n\n# The .red[end]\n",
    );
    assert_eq!(lecture.dialect, Dialect::Remark);
    assert_no_tool_syntax(&lecture);
    let text = shown(&lecture);
    for kept in [
        "Sequencers make errors",
        "Important reads",
        "Then we trim.",
        "The end",
    ] {
        assert!(text.contains(kept), "{kept} lost:\n{text}");
    }
    assert!(
        !text.contains("Hidden slide") && !text.contains("Not shown"),
        "{text}"
    );
    assert!(
        !text.contains("every slide"),
        "a layout slide was drawn as content:\n{text}"
    );
    let titles: Vec<&str> = lecture.slides.iter().map(|s| s.title.as_str()).collect();
    // GTN's layout shows the questions and objectives after the title, the key points last.
    assert_eq!(
        titles,
        [
            "Quality control",
            "Questions",
            "Objectives",
            "Why quality control?",
            "The end",
            "Key points"
        ]
    );
    assert!(text.contains("Why?") && text.contains("Trim reads") && text.contains("Check first"));
    let indices: Vec<usize> = lecture.slides.iter().map(|s| s.index).collect();
    assert_eq!(indices, [0, 1, 2, 3, 4, 5]);
    // `class: center, middle` centres the slide.
    assert_eq!(lecture.slides[3].layout.as_deref(), Some("center"));
    let intro = &lecture.slides[3];
    assert_eq!(intro.notes, ["Ask who has sequenced anything."]);
    // A one-line footnote is the slide's footer line.
    assert_eq!(intro.chrome.footer.as_deref(), Some("Ewels et al., 2016"));
    // The layout slide's footnote is every later slide's footer.
    let template = Some("Shown on every slide by remark's template");
    assert_eq!(lecture.slides[4].chrome.footer.as_deref(), template);
    assert_eq!(intro.steps.len(), 1, "{:?}", intro.steps);
    // `.pull-left[` and `.pull-right[` are two columns; the picture in the right one is
    // sized by `.image-50[`.
    let Some(Block::Columns(columns)) = intro.blocks.first() else {
        panic!("no columns: {:?}", intro.blocks)
    };
    assert_eq!(columns.len(), 2);
    let figure = columns[1].blocks.iter().find_map(|b| match b {
        Block::Image { width, .. } => Some(*width),
        _ => None,
    });
    assert_eq!(figure, Some(Some(50)));
    assert!(lecture.slides[4].backdrop.is_some());
    // Keys of the Galaxy front matter are theirs, not reported.
    assert!(
        lecture.warnings.iter().all(|w| !w.contains("unknown key")),
        "{:?}",
        lecture.warnings
    );
}

#[test]
fn a_remark_page_is_read_from_its_textarea_line_for_line() {
    let course = Course::new();
    let page = "<!DOCTYPE html>\n<html>\n  <head>\n    <title>Sorting &amp; searching</title>\n\
                <style>\n      h1 { color: red; }\n    </style>\n  </head>\n  <body>\n\
                <textarea id=\"source\">\nclass: center, middle\n\n#Sorting\n\n---\n\n\
                # Comparisons\n\n- a &lt; b for every pair\n- then next.red[*] pass\n\n\
                .footnote[.red[*] Knuth, vol. 3]\n\n```html\n<textarea id=\"source\">\n\
                &lt;/textarea&gt;\n```\n\n<v-click>\n\n---\n\n# Done\n    </textarea>\n\
                <script src=\"remark.js\"></script>\n  </body>\n</html>\n";
    course.file("content/sorting/index.html", page);
    // A folder whose `index.html` is such a page is a lecture.
    let found = lecturegen::content::discover(
        &course.root.join("content"),
        &course.root,
        &lecturegen::content::Selection::All,
    )
    .unwrap_or_else(|e| panic!("{e:#}"));
    let slugs: Vec<&str> = found.lectures.iter().map(|l| l.slug.as_str()).collect();
    assert_eq!(slugs, ["sorting"]);
    let lecture = parse_file(&course, "sorting/index.html", page);
    assert_eq!(lecture.dialect, Dialect::Remark);
    // The title is the cover's heading (the page's `<title>` names the browser's tab).
    assert_eq!(lecture.meta.title, "Sorting");
    let titles: Vec<&str> = lecture.slides.iter().map(|s| s.title.as_str()).collect();
    // `#Sorting` is a heading to remark.
    assert_eq!(titles, ["Sorting", "Comparisons", "Done"]);
    let comparisons = &lecture.slides[1];
    let text = comparisons.text();
    assert!(text.contains("a < b for every pair"), "{text}");
    assert!(text.contains("then next* pass"), "{text}");
    assert_eq!(
        comparisons.chrome.footer.as_deref(),
        Some("* Knuth, vol. 3")
    );
    // The page's lines: the comparisons slide starts at its break, line 15 of the page.
    assert_eq!(comparisons.line, 15);
    let code = comparisons.blocks.iter().find_map(|b| match b {
        Block::Code { text, .. } => Some(text.clone()),
        _ => None,
    });
    assert_eq!(
        code.as_deref(),
        Some("<textarea id=\"source\">\n</textarea>")
    );
    // A warning names the page's line.
    assert!(
        lecture
            .warnings
            .iter()
            .any(|w| w.contains("index.html:29:")),
        "{:?}",
        lecture.warnings
    );
}

#[test]
fn slidev_fact_and_quote_layouts_are_drawn_large_and_centred() {
    let lecture = parse(
        "---\ntheme: default\n---\n\n# Deck\n\n---\nlayout: fact\n---\n\n# 100%\n\nof the slides \
         are drawn\n\n---\nlayout: quote\n---\n\n\"Notes are the script.\"\n\n---\n\n# Plain\n\n\
         \"Notes are the script.\"\n",
    );
    let layouts: Vec<Option<&str>> = lecture.slides.iter().map(|s| s.layout.as_deref()).collect();
    assert_eq!(layouts, [None, Some("fact"), Some("quote"), None]);
    let kit = crate::overlay::golden::Kit::new();
    let renderer = kit.renderer(960, 540);
    let page = |n: usize| {
        let rendered = lecturegen::overlay::render(&renderer, &lecture.meta, &lecture.slides[n])
            .unwrap_or_else(|e| panic!("{e:#}"));
        rendered.pages.into_iter().next().expect("a page")
    };
    // The fact's figure is its title, drawn larger than a title, in the middle.
    let (fact, plain) = (page(1), page(3));
    let (figure, title) = (fact.boxes[0], plain.boxes[0]);
    assert!(figure.height > title.height * 3 / 2, "{figure:?} {title:?}");
    assert!(
        (figure.x + figure.width / 2).abs_diff(480) < 10,
        "{figure:?}"
    );
    // The quote's text is larger than the same text on a plain slide.
    let (quote, same) = (page(2), page(3));
    let body = |p: &lecturegen::overlay::Page| p.body_size;
    assert!(
        body(&quote) > body(&same) * 1.3,
        "{} {}",
        body(&quote),
        body(&same)
    );
}

#[test]
fn a_remark_column_on_one_line_is_a_column_and_hides_nothing_under_it() {
    let course = Course::new();
    course.bytes("content/images/tool.png", &png(8, 8, [10, 20, 30]));
    // As the Galaxy Training Network's introduction deck writes its "Tool interface" slide.
    let lecture = parse_file(
        &course,
        "slides.html",
        "---\nlayout: tutorial_slides\ntitle: T\n---\n\n### Tool interface\n\n\
         .pull-left[.image-50[![The tool form.](images/tool.png)]]\n.pull-right[\n\
         - A tool form contains:\n  - input datasets\n- New tool versions\n\
         - <i class=\"fa fa-home\"></i><span class=\"visually-hidden\">galaxy-home</span> Home\n]\n\n\
         ???\n\nNotes.\n",
    );
    let slide = &lecture.slides[1];
    let Some(Block::Columns(columns)) = slide.blocks.first() else {
        panic!("no columns: {:?}", slide.blocks)
    };
    assert!(matches!(
        columns[0].blocks[..],
        [Block::Image {
            width: Some(50),
            ..
        }]
    ));
    let right = slide.text();
    assert!(right.contains("A tool form contains:") && right.contains("New tool versions"));
    // Text for screen readers only is not drawn.
    assert!(
        right.contains("Home") && !right.contains("galaxy-home"),
        "{right}"
    );
}

#[test]
fn a_break_right_under_text_is_a_break_in_decks_cut_before_markdown() {
    // remark, Slidev and reveal.js cut at `---` before markdown reads a setext heading.
    for (front, steps) in [
        ("---\nlayout: tutorial_slides\ntitle: T\n---\n", "--"),
        ("---\ntheme: default\nlayout: cover\n---\n", "<v-click>"),
        (
            "---\ndialect: reveal\n---\n",
            "<!-- .element: class=\"fragment\" -->",
        ),
    ] {
        let lecture = parse(&format!(
            "{front}\n# First\n\nThanks for coming\n---\n\n# Second\n\nThe end\n{steps}\n"
        ));
        let titles: Vec<&str> = lecture.slides.iter().map(|s| s.title.as_str()).collect();
        assert!(
            titles.ends_with(&["First", "Second"]),
            "{:?}: {titles:?}",
            lecture.dialect
        );
        assert!(
            shown(&lecture).contains("Thanks for coming"),
            "{:?}",
            lecture.dialect
        );
    }
}

#[test]
fn remark_footnotes_of_several_lines_are_footer_lines() {
    let lecture = parse(
        "---\nlayout: tutorial_slides\ntitle: T\n---\n\nlayout: true\n\n.footnote[\n\
         Someone (www.example.org)\n]\n\n---\n\n# Logic\n\n* Aristotle\n\n.footnote[\n    \
         I'm leaving out a *lot* of details. Read the [pages](https://example.org)!\n]\n\n---\n\n\
         # Gadgets\n\nPointers<sup>1</sup> are there.\n\n.footnote[\n1. The term **gadget** is loose. Typically in *ROP* a gadget is a\n   small instruction sequence ending with a `ret` instruction. Here we use\n   it to denote whatever sequence of bytes is useful.\n]\n\n\
         ---\n\n# Sources\n\n.right-column[\nText\n\n.footnote[\n* https://a.example\n\
         * https://b.example\n]\n]\n\n---\n\n# Plain\n\nNothing else.\n",
    );
    assert_no_tool_syntax(&lecture);
    let footer = |title: &str| {
        let slide = lecture
            .slides
            .iter()
            .find(|s| s.title == title)
            .unwrap_or_else(|| panic!("no slide {title}"));
        slide.chrome.footer.clone()
    };
    assert_eq!(
        footer("Logic").as_deref(),
        Some("I'm leaving out a lot of details. Read the pages!")
    );
    assert_eq!(
        footer("Gadgets").as_deref(),
        Some(
            "1. The term gadget is loose. Typically in ROP a gadget is a small instruction \
             sequence ending with a ret instruction. Here we use it to denote whatever \
             sequence of bytes is useful."
        )
    );
    assert_eq!(
        footer("Sources").as_deref(),
        Some("https://a.example https://b.example")
    );
    // The layout slide's footnote of three lines is every later slide's footer.
    assert_eq!(
        footer("Plain").as_deref(),
        Some("Someone (www.example.org)")
    );
    let text = shown(&lecture);
    assert!(
        !text.contains("leaving out") && !text.contains("gadget"),
        "{text}"
    );
    // A footer of three lines takes room from the body: nothing of it is cut.
    let kit = crate::overlay::golden::Kit::new();
    let renderer = kit.renderer(960, 540);
    let gadgets = lecture.slides.iter().find(|s| s.title == "Gadgets");
    let rendered = lecturegen::overlay::render(&renderer, &lecture.meta, gadgets.expect("Gadgets"))
        .unwrap_or_else(|e| panic!("{e:#}"));
    assert!(rendered.warnings.is_empty(), "{:?}", rendered.warnings);
    let lowest = rendered.pages[0].boxes.iter().map(|b| b.y).max();
    assert!(
        lowest.is_some_and(|y| y < 500),
        "{:?}",
        rendered.pages[0].boxes
    );
    // `<sup>` digits are raised.
    assert!(
        text.contains("Pointers¹ are there.") && text.contains("Text"),
        "{text}"
    );
}

#[test]
fn remark_steps_inside_and_between_columns_reveal_each_column_as_written() {
    let lecture = parse(
        "---\nlayout: tutorial_slides\ntitle: T\n---\n\n# Two sides\n\n\
         .pull-left[\n- Left first\n\n--\n\n- Left second\n]\n\n--\n\n\
         .pull-right[\nThe right side comes last.\n]\n",
    );
    assert_eq!(lecture.dialect, Dialect::Remark);
    let slide = lecture
        .slides
        .iter()
        .find(|s| s.title == "Two sides")
        .expect("the slide");
    let Some(Block::Columns(columns)) = slide.blocks.first() else {
        panic!("no columns: {:?}", slide.blocks)
    };
    assert_eq!(columns.len(), 2);
    // Units of the columns: the left list's two items, then the right paragraph.
    let at = |block, item| Step { block, item };
    assert_eq!(slide.steps, [at(0, 1), at(0, 2)]);
    let kit = crate::overlay::golden::Kit::new();
    let renderer = kit.renderer(960, 540);
    let rendered = lecturegen::overlay::render(&renderer, &lecture.meta, slide)
        .unwrap_or_else(|e| panic!("{e:#}"));
    let page = &rendered.pages[0];
    let readings: Vec<usize> = page.steps.iter().map(|s| s.reading).collect();
    assert_eq!(readings, [1, 2], "{:?}", page.readings);
    assert_eq!(page.steps[1].text, "The right side comes last.");
    // Each picture shows more than the one before: nothing of the right column at first.
    let ink = |image: &image::RgbaImage, right: bool| {
        image
            .enumerate_pixels()
            .filter(|(x, _, p)| (*x >= 480) == right && p[3] > 0)
            .count()
    };
    let first = &page.steps[0].before.image;
    let second = &page.steps[1].before.image;
    assert_eq!(ink(first, true), ink(second, true));
    assert!(ink(first, false) < ink(second, false));
    assert!(ink(second, true) < ink(&page.image, true));
    assert_eq!(ink(second, false), ink(&page.image, false));
}

#[test]
fn marp_backgrounds_side_by_side_share_the_frame_or_the_split_side() {
    let course = Course::new();
    course.bytes("content/red.png", &png(8, 8, [200, 0, 0]));
    course.bytes("content/blue.png", &png(8, 8, [0, 0, 200]));
    let lecture = parse_file(
        &course,
        "bgs.md",
        "---\nmarp: true\n---\n\n# Two\n\n![bg](red.png)\n![bg](blue.png)\n\n---\n\n\
         # Stacked\n\n![bg vertical](red.png)\n![bg](blue.png)\n\n---\n\n\
         # Beside\n\n![bg](red.png)\n![bg right:40%](blue.png)\n\n- a point\n",
    );
    assert!(lecture.warnings.is_empty(), "{:?}", lecture.warnings);
    let pixel = |slide: usize, x: u32, y: u32| {
        let backdrop = lecture.slides[slide]
            .backdrop
            .as_ref()
            .expect("backgrounds");
        let frame = lecturegen::media::cover_files(&backdrop.images, backdrop.vertical, 160, 90)
            .unwrap_or_else(|e| panic!("{e:#}"));
        frame.get_pixel(x, y).0
    };
    // Side by side: red on the left half, blue on the right.
    assert_eq!(pixel(0, 10, 45), [200, 0, 0]);
    assert_eq!(pixel(0, 150, 45), [0, 0, 200]);
    // `vertical`: red above blue.
    assert_eq!(pixel(1, 150, 10), [200, 0, 0]);
    assert_eq!(pixel(1, 10, 80), [0, 0, 200]);
    // A side keyword on any of them puts all of them on that side.
    let beside = &lecture.slides[2];
    assert!(beside.backdrop.is_none());
    let split = beside.split.as_ref().expect("a split");
    assert!(!split.left && (split.fraction - 0.4).abs() < 1e-6);
    assert_eq!(split.backdrop.images.len(), 2);
    assert!(shown(&lecture).contains("a point"));
}

#[test]
fn marp_image_keywords_anywhere_and_spot_directives_make_no_slide() {
    let course = Course::new();
    course.bytes("content/fig.png", &png(8, 8, [10, 20, 30]));
    let lecture = parse_file(
        &course,
        "marp.md",
        "---\nmarp: true\npaginate: true\n---\n\n# Scheduling\n\nA course by someone\n\n---\n\
         <!-- _class: lead -->\n\n# Queues\n\n![diagram bg right:45% 90%](fig.png)\n\n- one\n- two\n\n\
         ---\n\n# Sizes\n\n![a chart w:640px](fig.png)\n\n<!-- say this aloud -->\n\n\
         * one at a time\n* then this\n",
    );
    assert_eq!(lecture.dialect, Dialect::Marp);
    assert_no_tool_syntax(&lecture);
    let titles: Vec<&str> = lecture.slides.iter().map(|s| s.title.as_str()).collect();
    // `_class: lead` centres its slide.
    assert_eq!(lecture.slides[1].layout.as_deref(), Some("center"));
    assert_eq!(lecture.slides[2].layout, None);
    // The cover is the title slide; a directive after a break makes no blank slide.
    assert_eq!(titles, ["Scheduling", "Queues", "Sizes"]);
    assert!(shown(&lecture).contains("A course by someone"));
    let split = lecture.slides[1].split.as_ref().expect("a side picture");
    assert!(!split.left && (split.fraction - 0.45).abs() < 1e-6);
    let width = lecture.slides[2].blocks.iter().find_map(|b| match b {
        Block::Image { width, alt, .. } => Some((*width, alt.clone())),
        _ => None,
    });
    assert_eq!(width, Some((Some(50), "a chart".to_string())));
    assert_eq!(lecture.slides[2].notes, ["say this aloud"]);
    // A list bulleted with `*` is Marp's fragmented list: each item a step.
    let at = |block, item| Step { block, item };
    assert_eq!(lecture.slides[2].steps, [at(1, 0), at(1, 1)]);
}

#[test]
fn slidev_front_matter_slots_clicks_code_and_imports() {
    let course = Course::new();
    course.bytes("content/fig.png", &png(8, 8, [10, 20, 30]));
    course.bytes("content/public/fig.png", &png(8, 8, [10, 20, 30]));
    course.file(
        "content/snippets/util.ts",
        "import x from 'y'\n// #region part\nexport const answer = 42\n// #endregion part\n",
    );
    course.file(
        "content/pages/more.md",
        "---\nlayout: center\n---\n\n# Imported\n\nFrom another file.\n",
    );
    let lecture = parse_file(
        &course,
        "slides.md",
        "---\ntheme: seriph\ntransition: slide-left\nmdc: true\n---\n\n# Welcome\n\nA subtitle\n\n\
         ---\nlayout: image-right\nimage: ./fig.png\n---\n\n# Beside a picture\n\n- point\n\n\
         ---\nlayout: two-cols\n---\n\n# Two columns\n\nLeft side\n\n::right::\n\nRight side\n\n\
         ---\n\n# Clicks\n\n<v-click>\n\nFirst reveal\n\n</v-click>\n\n<div v-click>Second</div>\n\n\
         <v-clicks>\n\n- a\n- b\n\n</v-clicks>\n\n<!-- an ordinary comment -->\n\n<!-- The notes. -->\n\n\
         ---\n\n# Code\n\n```ts {1|3|all}\nconst a = 1\n```\n\n<<< @/snippets/util.ts#part\n\n\
         ````md magic-move\n```js\nlet v = 1\n```\n```js\nlet v = 2\n```\n````\n\n\
         ---\nsrc: ./pages/more.md\n---\n\n---\n\n# End <carbon:arrow-right />\n\n<Tweet id=\"1\" />\n\n\
         [Marked]{.text-red} \"Rewrite\"{.absolute v-after} ![](/fig.png){.w-25}\n",
    );
    assert_eq!(lecture.dialect, Dialect::Slidev);
    assert_no_tool_syntax(&lecture);
    let titles: Vec<&str> = lecture.slides.iter().map(|s| s.title.as_str()).collect();
    assert_eq!(
        titles,
        [
            "Welcome",
            "Beside a picture",
            "Two columns",
            "Clicks",
            "Code",
            "Imported",
            "End"
        ]
    );
    let text = shown(&lecture);
    for kept in [
        "A subtitle",
        "Left side",
        "Right side",
        "First reveal",
        "Second",
        "From another file.",
    ] {
        assert!(text.contains(kept), "{kept} lost:\n{text}");
    }
    let split = lecture.slides[1]
        .split
        .as_ref()
        .expect("image-right gives a side picture");
    assert!(!split.left);
    let clicks = &lecture.slides[3];
    // `<v-click>` before "First reveal" (block 0), `<v-clicks>` around the list (block 2):
    // each of its items a step.
    let at = |block, item| Step { block, item };
    assert_eq!(
        clicks.steps,
        [at(0, 0), at(2, 0), at(2, 1)],
        "{:?}",
        clicks.blocks
    );
    assert_eq!(clicks.notes, ["The notes."]);
    let code: Vec<(Option<String>, String)> = lecture.slides[4]
        .blocks
        .iter()
        .filter_map(|b| match b {
            Block::Code { lang, text } => Some((lang.clone(), text.clone())),
            _ => None,
        })
        .collect();
    assert_eq!(
        code,
        [
            (Some("ts".into()), "const a = 1".into()),
            (Some("ts".into()), "export const answer = 42".into()),
            (Some("js".into()), "let v = 2".into()),
        ]
    );
    // Imports are the lecture's includes: editing one rebuilds it.
    let names: Vec<String> = lecture
        .includes
        .iter()
        .filter_map(|p| p.file_name().map(|n| n.to_string_lossy().into_owned()))
        .collect();
    assert!(names.contains(&"more.md".to_string()) && names.contains(&"util.ts".to_string()));
    assert!(text.contains("Marked \"Rewrite\""), "{text}");
    // Slidev's `center` layout (the imported slide's) is the template's layout hint.
    assert_eq!(lecture.slides[5].layout.as_deref(), Some("center"));
    assert_eq!(lecture.slides[4].layout, None);
    // `/fig.png` is Slidev's `public/fig.png`.
    assert!(lecture.slides[6]
        .blocks
        .iter()
        .any(|b| matches!(b, Block::Image { path, .. } if path.ends_with("public/fig.png"))));
    assert!(
        lecture.warnings.iter().any(|w| w.contains("`<Tweet>`")),
        "{:?}",
        lecture.warnings
    );
}

#[test]
fn quarto_pauses_divs_attributes_cells_and_shortcodes() {
    let course = Course::new();
    course.bytes("content/fig.png", &png(8, 8, [10, 20, 30]));
    course.bytes("content/bg.png", &png(8, 8, [30, 20, 10]));
    let lecture = parse_file(
        &course,
        "talk.qmd",
        "---\ntitle: Talk\nformat:\n  revealjs:\n    incremental: true\n---\n\n\
         ## Pauses\n\nFirst\n\n. . .\n\nThen [this]{.fragment} and [that]{style=\"color: red\"}\n\n\
         ::: {.notes}\nSpeak about pauses.\n\nTwo paragraphs.\n:::\n\n\
         ## Columns {background-image=\"bg.png\"}\n\n:::: {.columns}\n::: {.column width=\"40%\"}\n\
         Left text\n:::\n::: {.column width=\"60%\"}\n![](fig.png){width=\"40%\" fig-align=\"center\"}\n\
         :::\n::::\n\n## Code\n\n```{python}\n#| echo: false\nhidden = 1\n```\n\n\
         ```{python}\n#| label: shown\nshown = 2\n```\n\nPress {{< kbd Ctrl-S >}} to save.\n\n\
         ::: {.panel-tabset}\n### First tab\n\nTab one text\n\n### Second tab\n\nTab two text\n:::\n\n\
         ## Lists\n\n::: {.incremental}\n- first\n- second\n:::\n",
    );
    assert_eq!(lecture.dialect, Dialect::Quarto);
    assert_no_tool_syntax(&lecture);
    let titles: Vec<&str> = lecture.slides.iter().map(|s| s.title.as_str()).collect();
    assert_eq!(titles, ["Talk", "Pauses", "Columns", "Code", "Lists"]);
    let at = |block, item| Step { block, item };
    assert_eq!(lecture.slides[4].steps, [at(0, 0), at(0, 1)]);
    let text = shown(&lecture);
    for kept in [
        "Then this and that",
        "Left text",
        "Press Ctrl-S to save.",
        "Tab one text",
    ] {
        assert!(text.contains(kept), "{kept} lost:\n{text}");
    }
    assert!(
        !text.contains("Tab two text") && !text.contains("Speak about"),
        "{text}"
    );
    let pauses = &lecture.slides[1];
    assert_eq!(pauses.steps, [Step { block: 1, item: 0 }]);
    assert_eq!(
        pauses.notes.join(" "),
        "Speak about pauses. Two paragraphs."
    );
    let slide = &lecture.slides[2];
    assert!(slide.backdrop.is_some());
    let Some(Block::Columns(columns)) = slide.blocks.first() else {
        panic!("no columns: {:?}", slide.blocks)
    };
    let widths: Vec<Option<u8>> = columns.iter().map(|c| c.width).collect();
    assert_eq!(widths, [Some(40), Some(60)]);
    assert!(columns[1].blocks.iter().any(|b| matches!(
        b,
        Block::Image {
            width: Some(40),
            ..
        }
    )));
    let code: Vec<String> = lecture.slides[3]
        .blocks
        .iter()
        .filter_map(|b| match b {
            Block::Code { lang, text } => {
                Some(format!("{}:{text}", lang.clone().unwrap_or_default()))
            }
            _ => None,
        })
        .collect();
    assert_eq!(code, ["python:shown = 2"]);
    for warned in ["not run", "first tab"] {
        assert!(
            lecture.warnings.iter().any(|w| w.contains(warned)),
            "{:?}",
            lecture.warnings
        );
    }
}

#[test]
fn reveal_slide_and_element_comments_are_attributes_not_notes() {
    let course = Course::new();
    course.bytes("content/bg.png", &png(8, 8, [30, 20, 10]));
    let lecture = parse_file(
        &course,
        "reveal.md",
        "# Deck\n\n---\n\n<!-- .slide: data-background=\"bg.png\" -->\n## Pictures\n\n\
         - shown first\n- later <!-- .element: class=\"fragment\" -->\n\nNote: say this.\n\n\
         --\n\n## Below\n\nA vertical slide.\n",
    );
    assert_eq!(lecture.dialect, Dialect::Reveal);
    assert_no_tool_syntax(&lecture);
    let titles: Vec<&str> = lecture.slides.iter().map(|s| s.title.as_str()).collect();
    assert_eq!(titles, ["Deck", "Pictures", "Below"]);
    let pictures = &lecture.slides[1];
    assert!(pictures.backdrop.is_some());
    assert_eq!(pictures.notes, ["say this."]);
}

#[test]
fn the_dialect_is_told_by_front_matter_extension_use_or_said() {
    let dialect = |text: &str| parse(text).dialect;
    // What the plain reader reads does not switch.
    assert_eq!(
        dialect("# A\n\n## B\n\nText\n\n???\n\nNotes\n\nNote: more\n"),
        Dialect::Plain
    );
    assert_eq!(
        dialect("# A\n\nTitle\n--\n\nA setext heading.\n"),
        Dialect::Plain
    );
    assert_eq!(
        dialect("# A\n\n## B\n\nOne\n\n--\n\nTwo\n"),
        Dialect::Remark
    );
    assert_eq!(dialect("# A\n\n.left-column[\n- x\n]\n"), Dialect::Remark);
    assert_eq!(
        dialect("# A\n\n## B\n\nOne\n\n. . .\n\nTwo\n"),
        Dialect::Quarto
    );
    assert_eq!(
        dialect("# A\n\n## B\n\nLeft\n\n::right::\n\nRight\n"),
        Dialect::Slidev
    );
    assert_eq!(dialect("---\ndialect: marp\n---\n\n# A\n"), Dialect::Marp);
    assert_eq!(dialect("---\nmarp: true\n---\n\n# A\n"), Dialect::Marp);
    let course = Course::new();
    let mut options = crate::support::options(&course.root);
    options.dialect = Some(Dialect::Remark);
    let source = lecturegen::content::LectureSource {
        slug: "n".into(),
        file: course.root.join("content/n.md"),
        display: "content/n.md".into(),
    };
    let lecture = lecturegen::content::parse(&source, b"# A\n\n.red[Hot]\n", &options)
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(lecture.dialect, Dialect::Remark);
    assert!(shown(&lecture).contains("Hot") && !shown(&lecture).contains(".red["));
}

#[test]
fn marp_header_footer_and_page_numbers_run_from_slide_to_slide() {
    let lecture = parse(
        "---\nmarp: true\nfooter: \"**OS** course\"\npaginate: true\n---\n\n# Cover\n\n---\n\n\
         # One\n\n<!-- header: Part 1 -->\n\n---\n\n# Two\n\n<!-- _footer: \"\" -->\n<!-- _paginate: false -->\n\n\
         ---\n\n# Three\n",
    );
    let chrome: Vec<(Option<&str>, Option<&str>, Option<usize>)> = lecture
        .slides
        .iter()
        .map(|s| {
            (
                s.chrome.header.as_deref(),
                s.chrome.footer.as_deref(),
                s.chrome.page,
            )
        })
        .collect();
    assert_eq!(
        chrome,
        [
            (None, Some("OS course"), Some(1)),
            (Some("Part 1"), Some("OS course"), Some(2)),
            (Some("Part 1"), None, None),
            (Some("Part 1"), Some("OS course"), Some(4)),
        ]
    );
}

/// Syntax inside inline code is shown as written: a deck about a tool's syntax keeps it.
#[test]
fn inline_code_keeps_the_syntax_it_shows() {
    let course = Course::new();
    course.bytes("content/bg.png", &png(8, 8, [10, 20, 30]));
    let marp = parse_file(
        &course,
        "marp.md",
        "---\nmarp: true\n---\n\n# A\n\n---\n\n## Backgrounds\n\n![bg](bg.png)\n\n\
         Write `![bg](x.png)` for a background.\n",
    );
    assert!(drawn_text(&marp, false).contains("Write ![bg](x.png) for a background."));
    assert!(
        marp.warnings
            .iter()
            .all(|w| !w.contains("several background")),
        "{:?}",
        marp.warnings
    );
    let quarto = parse("---\nformat: revealjs\n---\n\n## Fit `{.r-fit-text}`\n\nUse `[word]{.fragment}` and `{{< kbd Ctrl >}}`; [this]{.fragment} goes.\n");
    let text = drawn_text(&quarto, false);
    assert!(
        text.contains("Fit {.r-fit-text}") || quarto.slides[1].title == "Fit {.r-fit-text}",
        "{text}"
    );
    assert!(
        text.contains("[word]{.fragment}") && text.contains("{{< kbd Ctrl >}}"),
        "{text}"
    );
    assert!(text.contains("; this goes."), "{text}");
}

#[test]
fn a_quarto_deck_makes_slides_of_its_second_level_and_shows_indented_markup_as_code() {
    let course = Course::new();
    let deck =
        "---\ntitle: Deck\nformat: revealjs\n---\n\n# Section one\n\nA word on the section.\n\n\
                ## First slide\n\n- a point\n\n## Tabsets\n\n    ::: {.panel-tabset}\n\n    \
                ## Element 1\n\n    ## Element 2\n\n    :::\n\n## Last slide\n\n. . .\n\nthe end\n";
    let lecture = parse_file(&course, "deck.qmd", deck);
    let titles: Vec<&str> = lecture.slides.iter().map(|s| s.title.as_str()).collect();
    // `#` titles a section (with what follows it), each `##` is a slide (Quarto's default
    // slide level for reveal.js is 2).
    assert_eq!(
        titles,
        [
            "Deck",
            "Section one",
            "First slide",
            "Tabsets",
            "Last slide"
        ]
    );
    // Markup shown in an indented code block is code, not a tabset to read.
    assert!(
        matches!(&lecture.slides[3].blocks[..], [Block::Code { text, .. }] if text.contains("## Element 2")),
        "{:?}",
        lecture.slides[3].blocks
    );
    assert!(lecture.warnings.is_empty(), "{:?}", lecture.warnings);
    // `slide-level` in the format's options is followed.
    let level_one = parse_file(
        &course,
        "one.qmd",
        &deck.replace(
            "format: revealjs",
            "format:\n  revealjs:\n    slide-level: 1",
        ),
    );
    assert_eq!(level_one.slides.len(), 2, "{:?}", level_one.slides);
}

#[test]
fn a_remark_template_puts_the_named_slides_content_first() {
    let course = Course::new();
    let deck = "---\ntitle: Deck\n---\n\nname: agenda\nclass: center\n\n# Agenda\n\n- the common \
                point\n\n???\n\nNotes of the template are its own.\n\n---\ntemplate: agenda\n\n- \
                this slide's own point\n\n--\n\n- and a step\n\n---\ntemplate: missing\n\n\
                # Alone\n\nits text\n";
    let lecture = parse_file(
        &course,
        "deck.html",
        &format!("---\nlayout: tutorial_slides{}", &deck[3..]),
    );
    let titles: Vec<&str> = lecture.slides.iter().map(|s| s.title.as_str()).collect();
    assert_eq!(
        titles,
        ["Deck", "Agenda", "Agenda", "Alone"],
        "{:?}",
        lecture.slides
    );
    let text = lecture.slides[2].text();
    assert!(
        text.contains("the common point") && text.contains("this slide's own point"),
        "{text}"
    );
    assert!(text.find("common").unwrap() < text.find("own point").unwrap());
    assert!(
        lecture.slides[2].notes.is_empty(),
        "the template's notes stay its own"
    );
    assert_eq!(lecture.slides[2].steps.len(), 1);
    assert!(
        lecture
            .warnings
            .iter()
            .any(|w| w.contains("`template: missing` names no slide")),
        "{:?}",
        lecture.warnings
    );
}
