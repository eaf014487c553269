//! Prose shown as points: a short point per paragraph on the slide, the paragraph spoken.

use lecturegen::content::points::{point, MAX_UNITS};
use lecturegen::content::{Block, Lecture, Span, Step};

use crate::support::{parse, parse_full, titles};

fn plain(text: &str) -> Vec<Span> {
    vec![Span {
        text: text.into(),
        ..Span::default()
    }]
}

fn joined(spans: &[Span]) -> String {
    lecturegen::content::spans_text(spans)
}

fn words(text: &str) -> usize {
    text.split_whitespace().count()
}

/// The points of a lecture's slides, as shown.
fn points(lecture: &Lecture) -> Vec<Vec<String>> {
    fn gather(blocks: &[Block], out: &mut Vec<String>) {
        for block in blocks {
            match block {
                Block::Point { shown, .. } => out.push(joined(shown)),
                Block::List { items, .. } => items.iter().for_each(|i| gather(i, out)),
                _ => {}
            }
        }
    }
    lecture
        .slides
        .iter()
        .map(|s| {
            let mut out = Vec::new();
            gather(&s.blocks, &mut out);
            out
        })
        .collect()
}

#[test]
fn a_short_paragraph_is_its_own_point() {
    assert_eq!(
        joined(&point(&plain("Why is version control useful?"), false)),
        "Why is version control useful?"
    );
    // A single sentence loses its full stop.
    assert_eq!(
        joined(&point(&plain("Commits in Git are immutable."), false)),
        "Commits in Git are immutable"
    );
}

#[test]
fn the_lead_sentence_is_cut_at_a_clause() {
    let text = "Version control systems (VCSs) are tools used to track changes to source code \
                (or other collections of files and folders). As the name implies, these tools \
                help maintain a history of changes.";
    // Asides in brackets go first; the lead sentence then fits.
    assert_eq!(
        joined(&point(&plain(text), false)),
        "Version control systems are tools used to track changes to source code"
    );
    // A sentence that opens with a subordinate clause is pointed at its main clause.
    let text = "While Git admittedly has an ugly interface, its underlying design and ideas are \
                beautiful. While an ugly interface has to be memorized, a design can be understood.";
    assert_eq!(
        joined(&point(&plain(text), false)),
        "Its underlying design and ideas are beautiful"
    );
    // No clause mark within reach: cut before a word that starts a phrase.
    let text = "Git models the history of a collection of files and folders within some \
                top-level directory as a series of snapshots.";
    let shown = joined(&point(&plain(text), false));
    assert_eq!(
        shown,
        "Git models the history of a collection of files and folders"
    );
}

#[test]
fn the_authors_emphasis_comes_first() {
    // A bold lead-in names the paragraph.
    let spans = vec![
        Span {
            text: "Snapshots.".into(),
            bold: true,
            ..Span::default()
        },
        Span {
            text: " Git models the history of a folder as a series of snapshots taken over time."
                .into(),
            ..Span::default()
        },
    ];
    assert_eq!(joined(&point(&spans, false)), "Snapshots");
    // A bold phrase: the clause around it, in a later sentence, the bold kept.
    let spans = vec![
        Span {
            text: "Many tools exist for this job. While other systems exist, ".into(),
            ..Span::default()
        },
        Span {
            text: "Git".into(),
            bold: true,
            ..Span::default()
        },
        Span {
            text: " is the de facto standard for version control in industry and research today."
                .into(),
            ..Span::default()
        },
    ];
    let shown = point(&spans, false);
    assert!(
        joined(&shown).starts_with("Git is the de facto standard"),
        "{shown:?}"
    );
    assert!(
        shown.iter().any(|s| s.bold && s.text.trim() == "Git"),
        "{shown:?}"
    );
    assert!(words(&joined(&shown)) as f32 <= MAX_UNITS);
    // A defined term.
    let spans = vec![
        Span {
            text: "Every store holds objects of three kinds. A ".into(),
            ..Span::default()
        },
        Span {
            text: "blob".into(),
            italic: true,
            ..Span::default()
        },
        Span {
            text: " is a bunch of bytes.".into(),
            ..Span::default()
        },
    ];
    assert_eq!(joined(&point(&spans, false)), "A blob is a bunch of bytes");
    // A sentence ending with a colon before a list announces it.
    let text =
        "Git keeps every version of every file you commit. Modern tools answer questions like:";
    assert_eq!(
        joined(&point(&plain(text), true)),
        "Modern tools answer questions like:"
    );
}

#[test]
fn a_point_never_ends_inside_a_word_or_a_code_span() {
    let spans = vec![
        Span {
            text: "Run ".into(),
            ..Span::default()
        },
        Span {
            text: "git log --all --graph --decorate --oneline".into(),
            code: true,
            ..Span::default()
        },
        Span {
            text: " to see the history drawn as a graph of commits that point to their parents \
                   all the way down to the root commit"
                .into(),
            ..Span::default()
        },
    ];
    let shown = point(&spans, false);
    assert!(
        shown
            .iter()
            .any(|s| s.code && s.text == "git log --all --graph --decorate --oneline"),
        "{shown:?}"
    );
    let text = joined(&shown);
    assert!(words(&text) <= 14, "{text}");
    // Every word of the point is a whole word of the paragraph.
    let source = joined(&spans);
    for word in text.split_whitespace() {
        let word = word.trim_end_matches('…');
        assert!(
            source.split_whitespace().any(|w| w == word),
            "{word} in {text}"
        );
    }
}

#[test]
fn points_in_arabic_and_in_scripts_without_spaces() {
    // Arabic: words and the Arabic comma mark the clauses.
    let text = "يتم استخدام العديد من النماذج المتطورة، خاصة القائمة على الانتشار، لتوليد إطارات \
                الفيديو بشكل مستقل مع التركيز على صور عالية الجودة ومتوافقة مع المطالبة النصية.";
    let shown = joined(&point(&plain(text), false));
    assert_eq!(
        shown,
        "يتم استخدام العديد من النماذج المتطورة، خاصة القائمة على الانتشار"
    );
    // Chinese: about 24 characters at most, cut after a clause mark.
    let text = "版本控制系统是用来跟踪源代码变化的工具，它们帮助维护变化的历史，并且促进了协作，\
                让许多人可以同时在同一个项目上工作。";
    let shown = joined(&point(&plain(text), false));
    assert!(shown.chars().count() <= 24, "{shown}");
    assert!(text.starts_with(&shown), "{shown}");
    assert!(!shown.ends_with('，'), "{shown}");
}

#[test]
fn every_heading_is_a_slide_and_the_paragraphs_are_said() {
    let lecture = parse(
        "---\ntitle: Git\n---\n\n# Data model\n\n## Snapshots\n\nGit models the history of a \
         collection of files and folders within some top-level directory as a series of \
         snapshots. A file is called a blob.\n\n### Trees\n\nA directory is called a tree, and \
         it maps names to blobs or trees.\n\nSee below:\n\n- one\n- two\n\n# Commands\n\nLet us \
         look at the commands.\n",
    );
    assert_eq!(
        titles(&lecture),
        ["Git", "Snapshots", "Trees", "Commands"],
        "an empty section makes no slide"
    );
    // The section a slide sits in is drawn above its title.
    assert_eq!(
        lecture.slides[1].chrome.header.as_deref(),
        Some("Data model")
    );
    assert_eq!(
        lecture.slides[2].chrome.header.as_deref(),
        Some("Snapshots")
    );
    assert_eq!(lecture.slides[3].chrome.header, None);
    for slide in &lecture.slides {
        assert!(
            !slide.blocks.iter().any(|b| matches!(b, Block::Heading(..))),
            "{slide:?}"
        );
    }
    let slide = &lecture.slides[1];
    let Block::Point { shown, said, .. } = &slide.blocks[0] else {
        panic!("{:?}", slide.blocks);
    };
    assert_eq!(
        joined(shown),
        "Git models the history of a collection of files and folders"
    );
    assert!(joined(said).ends_with("A file is called a blob."));
    // The written text keeps the paragraphs for the page and the search.
    assert!(slide.written_text().contains("series of snapshots. A file"));
    // Points are steps; the list after "See below:" is shown as written.
    let trees = &lecture.slides[2];
    assert!(
        matches!(trees.blocks[2], Block::List { .. }),
        "{:?}",
        trees.blocks
    );
    assert_eq!(trees.steps, [Step { block: 1, item: 0 }]);
    assert_eq!(
        points(&lecture)[2],
        ["A directory is called a tree", "See below:"]
    );
}

#[test]
fn prose_full_shows_the_paragraphs_and_the_authors_points_give_way() {
    let text = "# T\n\n## A\n\nA long paragraph that the author explains at length, with many \
                words in it, so that its point is short.\n<!-- points: Short **point** | Second -->\n";
    let full = parse_full(text);
    assert!(
        matches!(full.slides[1].blocks.as_slice(), [Block::Paragraph(_)]),
        "{full:?}"
    );
    assert!(full.warnings.is_empty(), "{:?}", full.warnings);
    // Front matter chooses per lecture too.
    let chosen = parse(&format!("---\nprose: full\n---\n{text}"));
    assert_eq!(chosen.slides[1].blocks, full.slides[1].blocks);

    // With points, the author's replace the one made from the paragraph.
    let lecture = parse(text);
    assert_eq!(points(&lecture)[1], ["Short point", "Second"]);
    let Block::Point {
        shown,
        said,
        authored,
    } = &lecture.slides[1].blocks[0]
    else {
        panic!("{lecture:?}");
    };
    assert!(*authored && shown.iter().any(|s| s.bold && s.text == "point"));
    assert!(joined(said).starts_with("A long paragraph"));
    // The directive is never spoken, nor shown as a note.
    assert!(lecture.slides[1].notes.is_empty());
    assert_eq!(lecture.slides[1].steps, [Step { block: 1, item: 0 }]);
}

#[test]
fn slides_with_speaker_notes_and_decks_keep_their_text() {
    let lecture = parse(
        "# T\n\n## Noted\n\nA long paragraph shown as it is written, because the notes say what \
         is heard.\n\nNote: The voice reads this.\n\n## Silent\n\n<!-- narration: off -->\n\nA \
         long paragraph shown as written, since nothing is read aloud on this slide at all.\n",
    );
    assert!(points(&lecture).iter().all(Vec::is_empty), "{lecture:?}");
    let deck = parse(
        "---\nmarp: true\n---\n\n# Cover\n\n---\n\n## A\n\nA long paragraph of a Marp deck is what \
         its author put on the slide, and it stays so.\n",
    );
    assert!(points(&deck).iter().all(Vec::is_empty), "{deck:?}");
}

#[test]
fn a_pre_block_is_drawn_as_code() {
    let lecture = parse(
        "# T\n\n## Graph\n\n<pre class=\"highlight\">\n<code>\no &lt;-- o <-- <strong>o</strong>\n\
         </code>\n</pre>\n",
    );
    assert_eq!(
        lecture.slides[1].blocks,
        [Block::Code {
            lang: None,
            text: "o <-- o <-- o".into()
        }]
    );
    assert!(lecture.slides[1]
        .html
        .contains("<pre><code>o &lt;-- o &lt;-- o"));
}

#[test]
fn long_list_items_are_prose_and_short_ones_stay() {
    let long = "This list item is a whole paragraph of prose, written in a list because the \
                author likes bullets, and it goes on well past what a slide can show in one point.";
    let lecture = parse(&format!("# T\n\n## L\n\n- short item\n- {long}\n"));
    let Block::List { items, .. } = &lecture.slides[1].blocks[0] else {
        panic!("{lecture:?}");
    };
    assert!(matches!(items[0][0], Block::Paragraph(_)));
    assert!(matches!(items[1][0], Block::Point { .. }));
    assert_eq!(lecture.slides[1].steps, [Step { block: 0, item: 1 }]);
}

#[test]
fn a_narrated_lecture_says_every_sentence_and_lists_its_points() {
    let course = crate::narration::tone_course();
    let prose = "Version control systems are tools used to track changes to source code, or \
                 other collections of files and folders. As the name implies, these tools help \
                 maintain a history of changes. Furthermore, they facilitate collaboration.";
    course.file(
        "content/a.md",
        &format!(
            "---\ntitle: Git\n---\n\n# Why\n\n{prose}\n\n## How\n\nSnapshots are taken of the \
             whole folder, each one named by the hash of what it holds.\n<!-- points: Snapshots \
             named by hash -->\n"
        ),
    );
    let (summary, report) = course.build();
    assert_eq!(summary.failed, 0, "{:?}", report.errors());
    let captions = crate::narration::cues(&course.read("output/a/captions.vtt"));
    let said: String = captions
        .iter()
        .map(|(_, _, t)| t.replace('\n', " "))
        .collect::<Vec<_>>()
        .join(" ");
    // Every sentence, in order.
    let mut from = 0;
    for sentence in [
        "Version control systems are tools",
        "As the name implies, these tools help maintain a history of changes.",
        "Furthermore, they facilitate collaboration.",
        "Snapshots are taken of the whole folder",
    ] {
        let at = said[from..]
            .find(sentence)
            .unwrap_or_else(|| panic!("{sentence:?} not said in order: {said}"));
        from += at + sentence.len();
    }
    assert!(!said.contains("named by hash"), "{said}");

    let out = std::process::Command::new(env!("CARGO_BIN_EXE_lecturegen"))
        .args(["points", "--json", "--quiet"])
        .current_dir(&course.root)
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    let listed: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let slides = &listed[0]["slides"].as_array().unwrap()[1..];
    assert_eq!(listed[0]["lecture"], "a");
    assert_eq!(slides[0]["title"], "Why");
    assert_eq!(
        slides[0]["points"][0]["point"],
        "Version control systems are tools used to track changes to source code"
    );
    assert_eq!(slides[0]["points"][0]["said_words"], 35);
    assert_eq!(slides[1]["points"][0]["point"], "Snapshots named by hash");
    assert_eq!(slides[1]["points"][0]["authored"], true);
}

#[test]
fn a_quarto_page_is_a_document_its_callouts_titled_and_its_includes_read() {
    let course = crate::support::Course::new();
    course.file(
        "includes/objectives.qmd",
        "1. Describe the individual components of a function, as well as the reasons why \
         anyone would bother to write one in the first place for this course.\n",
    );
    let lecture = crate::support::parse_file(
        &course,
        "sessions/functions.qmd",
        "# Functions\n\n## Learning objectives\n\n{{< include /includes/objectives.qmd >}}\n\n\
         ## Reading task\n\n::: {.callout-note collapse=\"true\"}\n## Teacher note\n\nLet them \
         read it for a few minutes, then ask what each part of the function does and why.\n:::\n\n\
         A function bundles code so that it can be used again and again without copying, which \
         saves the author from mistakes.\n",
    );
    assert!(lecture.warnings.is_empty(), "{:?}", lecture.warnings);
    // A page, not a deck: every heading a slide, the prose as points.
    assert_eq!(
        titles(&lecture),
        ["Functions", "Learning objectives", "Reading task"]
    );
    let listed = points(&lecture);
    assert_eq!(
        listed[1],
        ["Describe the individual components of a function"]
    );
    // The callout's heading is its title, drawn bold in the slide.
    assert_eq!(listed[2][0], "Teacher note", "{listed:?}");
    assert_eq!(listed[2].len(), 3, "{listed:?}");
    // A reveal.js deck keeps its text.
    let deck = crate::support::parse_file(
        &course,
        "deck.qmd",
        "---\nformat: revealjs\n---\n\n## A\n\nA long paragraph of a deck is what its author put \
         on the slide, and it stays so.\n",
    );
    assert!(points(&deck).iter().all(Vec::is_empty), "{deck:?}");
}

#[test]
fn a_comment_in_prose_is_a_remark_not_the_script() {
    let text = "# T\n\n## Scripts\n\nShell scripts are the next step in complexity, with \
                variables, control flow and their own syntax, made for shell tasks.\n\n<!-- \
                Lastly, pipes are a core feature of scripting. -->\n\n## Listed\n\n- a point\n\n\
                <!-- This comment is what the voice reads here. -->\n";
    let lecture = parse(text);
    // The paragraph is read (as a point), the hidden remark is not.
    assert!(
        lecture.slides[1].notes.is_empty(),
        "{:?}",
        lecture.slides[1].notes
    );
    assert_eq!(points(&lecture)[1].len(), 1);
    // Without prose, a comment is still the slide's notes; and so it is in `prose: full`.
    assert_eq!(
        lecture.slides[2].notes,
        ["This comment is what the voice reads here."]
    );
    let full = parse_full(text);
    assert_eq!(
        full.slides[1].notes,
        ["Lastly, pipes are a core feature of scripting."]
    );
}
