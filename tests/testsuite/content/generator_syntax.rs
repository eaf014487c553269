//! Notes as static sites write them: generator syntax never reaches a slide.

use lecturegen::content::{Block, Lecture};

use crate::support::{drawn_text, parse_full as parse};

/// Every piece of text drawn on the lecture's slides, code included.
fn drawn(lecture: &Lecture) -> String {
    drawn_text(lecture, true)
}

#[test]
fn liquid_is_never_drawn() {
    let lecture = parse(
        "---\ntitle: Shell\n---\n\n# Tools\n\n{% comment %}\nThis whole part is hidden.\n\
         {% endcomment %}\n\nVisible text on {{ site.title }} pages.\n\n{% include note.html %}\n\n\
         {% raw %}Keep {{ this }} as written{% endraw %}\n",
    );
    let text = drawn(&lecture);
    assert!(!text.contains("{%") && !text.contains("{{ site"), "{text}");
    assert!(!text.contains("hidden"), "{text}");
    assert!(text.contains("Visible text on  pages."), "{text}");
    assert!(text.contains("Keep {{ this }} as written"), "{text}");
    assert!(lecture.warnings.is_empty(), "{:?}", lecture.warnings);
}

#[test]
fn hugo_and_zola_shortcodes_keep_their_markdown() {
    let lecture = parse(
        "# Deck\n\n## Hugo\n\n{{% note %}}\nA **note** body.\n{{% /note %}}\n\n\
         {{< youtube abc123 >}}\n\n{{/* a comment */}}\n\n## Zola\n\n{{ youtube(id=\"x\") }}\n\n\
         {% quote(author=\"A\") %}\nQuoted words.\n{% end %}\n",
    );
    let text = drawn(&lecture);
    assert!(text.contains("A note body."), "{text}");
    assert!(text.contains("Quoted words."), "{text}");
    for raw in ["{{", "}}", "{%", "%}", "youtube", "comment"] {
        assert!(!text.contains(raw), "{raw} in {text}");
    }
}

#[test]
fn mdbook_quarto_and_pandoc_syntax_is_taken_out_but_code_is_not() {
    let lecture = parse(
        "# Book\n\n## Chapter {#intro .unnumbered}\n\n{{#include ../listings/main.rs:2:5}}\n\n\
         ::: {.callout-note}\nInside the callout.\n:::\n\nA [styled]{.smallcaps} word.\n\n\
         ```html\n{{ page.title }} and {% if x %}\n```\n",
    );
    let text = drawn(&lecture);
    assert!(
        text.contains("Chapter\n") || text.contains("Chapter \n"),
        "{text}"
    );
    assert!(!text.contains("{#intro") && !text.contains(":::"), "{text}");
    assert!(!text.contains("{{#include"), "{text}");
    assert!(text.contains("Inside the callout."), "{text}");
    assert!(!text.contains(".smallcaps"), "{text}");
    // Code shows templates as written.
    assert!(text.contains("{{ page.title }} and {% if x %}"), "{text}");
}

#[test]
fn unknown_template_syntax_is_left_out_with_a_warning_naming_its_line() {
    let lecture = parse("# T\n\n## S\n\nBefore {{ mystery_value }} after.\n\n{% weirdtag %}\n");
    let text = drawn(&lecture);
    assert!(
        !text.contains("mystery") && !text.contains("weirdtag"),
        "{text}"
    );
    let warnings = lecture.warnings.join("\n");
    assert!(warnings.contains("content/notes.md:5:8"), "{warnings}");
    assert!(warnings.contains("content/notes.md:7:1"), "{warnings}");
}

#[test]
fn mdbook_includes_show_the_lines_they_name() {
    let course = crate::support::Course::new();
    course.file(
        "listings/main.rs",
        "// ANCHOR: all\nfn main() {\n    // ANCHOR: body\n    println!(\"hi\");\n    // ANCHOR_END: body\n}\n// ANCHOR_END: all\n",
    );
    let note = "# Book\n\n## Lines\n\n```rust\n{{#include ../listings/main.rs:2:3}}\n```\n\n\
                ## Anchor\n\n```rust\n{{#rustdoc_include ../listings/main.rs:body}}\n```\n\n\
                ## Missing\n\n```rust\n{{#include ../listings/none.rs}}\n```\n\n\
                ## Outside\n\n```rust\n{{#include ../../../../../../etc/hostname}}\n```\n";
    let lecture = crate::support::parse_in(&course.root, "book.md", note.as_bytes()).unwrap();
    let code = |i: usize| match &lecture.slides[i].blocks[0] {
        Block::Code { text, .. } => text.clone(),
        other => panic!("{other:?}"),
    };
    assert_eq!(code(1), "fn main() {");
    assert_eq!(code(2), "    println!(\"hi\");");
    let warnings = lecture.warnings.join("\n");
    assert!(warnings.contains("none.rs not found"), "{warnings}");
    assert!(
        warnings.contains("outside the course") || warnings.contains("not found"),
        "{warnings}"
    );
    assert!(!drawn(&lecture).contains("{{#"), "{}", drawn(&lecture));
}
