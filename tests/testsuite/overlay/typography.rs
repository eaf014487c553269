//! Themes, code highlighting and math, below the slide level.

use lecturegen::color::{contrast, luminance, Rgb};
use lecturegen::config::{Config, ThemeConfig, THEMES};
use lecturegen::{highlight, math};

use crate::support::Course;

fn ratio(a: Rgb, b: Rgb) -> f32 {
    contrast(luminance(a.0), luminance(b.0))
}

#[test]
fn every_theme_preset_meets_its_own_contrast() {
    for name in THEMES {
        let t = ThemeConfig::preset(name).unwrap();
        assert!(
            ratio(t.text, t.panel) >= t.min_contrast,
            "{name}: text on panel"
        );
        for (what, c) in [
            ("text", t.code_text),
            ("keyword", t.code_keyword),
            ("string", t.code_string),
            ("comment", t.code_comment),
            ("number", t.code_number),
            ("function", t.code_function),
            ("type", t.code_type),
        ] {
            let r = ratio(c, t.code_background);
            assert!(r >= t.min_contrast, "{name}: code {what} {r:.2}");
        }
    }
}

#[test]
fn a_theme_is_picked_by_name_and_overridden_by_colour() {
    let course = Course::new();
    course.file(
        "lecturegen.toml",
        "[theme]\nname = \"light\"\naccent = \"#ff0000\"\n",
    );
    let config = Config::load(&course.root).unwrap();
    assert_eq!(config.theme.name, "light");
    assert_eq!(config.theme.accent, Rgb([255, 0, 0]));
    assert_eq!(
        config.theme.text,
        ThemeConfig::preset("light").unwrap().text
    );
    course.file("lecturegen.toml", "[theme]\nname = \"neon\"\n");
    let err = format!("{:#}", Config::load(&course.root).unwrap_err());
    assert!(err.contains("unknown theme `neon`"), "{err}");
    assert!(err.contains("high-contrast"), "{err}");
}

#[test]
fn code_is_coloured_by_the_theme_palette() {
    let theme = ThemeConfig::default();
    let runs = highlight::highlight(
        "fn main() {\n    // hi\n    let s = \"x\";\n}",
        Some("rust"),
        &theme,
    );
    let text: String = runs.iter().map(|(t, _)| t.as_str()).collect();
    assert_eq!(text, "fn main() {\n    // hi\n    let s = \"x\";\n}");
    let colour_of = |needle: &str| {
        runs.iter()
            .find(|(t, _)| t.contains(needle))
            .map(|(_, c)| *c)
            .unwrap()
    };
    assert_eq!(colour_of("fn"), theme.code_keyword);
    assert_eq!(colour_of("// hi"), theme.code_comment);
    assert_eq!(colour_of("\"x\""), theme.code_string);
    // Unknown or missing language: plain text colour, text intact.
    for lang in [None, Some("no-such-language")] {
        let plain = highlight::highlight("a < b", lang, &theme);
        assert_eq!(plain, vec![("a < b".to_string(), theme.code_text)]);
    }
    assert!(highlight::known("py") && highlight::known("rust"));
}

#[test]
fn the_languages_of_real_decks_are_highlighted() {
    let theme = ThemeConfig::default();
    let samples = [
        ("ts", "const n: number = 1 // one"),
        ("tsx", "const a = <b>x</b> // tag"),
        ("jsx", "const a = <b>x</b> // tag"),
        ("js", "const n = 1 // one"),
        (
            "vue",
            "<template><p>{{ n }}</p></template>\n<script>\nconst n = 1 // one\n</script>",
        ),
        ("php", "$n = 1; // one"),
        ("kotlin", "val n = 1 // one"),
        ("swift", "let n = 1 // one"),
        ("go", "n := 1 // one"),
        ("rust", "let n = 1; // one"),
        ("python", "n = 1  # one"),
        ("bash", "n=1  # one"),
        ("sql", "SELECT 1; -- one"),
        ("yaml", "n: 1 # one"),
        ("json", "{\"n\": 1}"),
        ("toml", "n = 1 # one"),
        ("html", "<p>one</p> <!-- one -->"),
        ("css", "p { color: red } /* one */"),
        ("c", "int n = 1; // one"),
        ("cpp", "int n = 1; // one"),
        ("java", "int n = 1; // one"),
    ];
    for (lang, code) in samples {
        assert!(highlight::known(lang), "{lang} unknown");
        let runs = highlight::highlight(code, Some(lang), &theme);
        let colours: std::collections::HashSet<_> = runs.iter().map(|(_, c)| *c).collect();
        assert!(colours.len() >= 2, "{lang} not highlighted: {runs:?}");
        let text: String = runs.iter().map(|(t, _)| t.as_str()).collect();
        assert_eq!(text, code);
    }
}

#[test]
fn slide_math_reads_as_unicode() {
    // Whatever the TeX, nothing of its syntax is left on the slide.
    for tex in [
        "\\sum_{n=1}^{N} n",
        "e^{-t}",
        "\\text{if } x",
        "\\unknown{",
        "x^{",
        "\\left( \\frac{1}{2} \\right)",
    ] {
        let got = math::to_unicode(tex);
        assert!(!got.is_empty() && !got.contains('\\'), "{tex} -> {got}");
    }
    assert_eq!(math::to_unicode("x^2 + y_i"), "x² + yᵢ");
    assert_eq!(math::to_unicode("\\frac{a+b}{2}"), "(a+b)/2");
    assert_eq!(math::to_unicode("\\alpha \\le \\beta"), "α ≤ β");
    assert_eq!(math::to_unicode("\\sqrt[3]{x+1}"), "³√(x+1)");
    assert_eq!(math::to_unicode("\\mathbb{R}^n"), "ℝⁿ");
    assert_eq!(math::to_unicode("e^{i\\pi}"), "e^(iπ)");
}

#[test]
fn page_math_is_mathml_and_bad_tex_stays_readable() {
    let inline = math::to_mathml("x^2", false);
    assert!(inline.starts_with("<math"), "{inline}");
    assert!(inline.contains("<msup>"), "{inline}");
    assert!(math::to_mathml("\\frac{1}{2}", true).contains("display=\"block\""));
    let bad = math::to_mathml("\\frac{1}{", false);
    assert!(bad.starts_with("<code"), "{bad}");
    assert!(bad.contains("\\frac{1}{"), "{bad}");
    // Through the notes: the page carries MathML, the slide the Unicode.
    let lecture = crate::support::parse("# T\n\n## M\n\nArea $\\pi r^2$.\n");
    assert!(lecture.slides[1].html.contains("<math"));
    let text = format!("{:?}", lecture.slides[1].blocks);
    assert!(text.contains("π r²"), "{text}");
}

#[test]
fn interface_words_follow_the_lecture_language() {
    use lecturegen::labels::for_lang;
    assert_eq!(for_lang("ar").transcript, "النص الكامل");
    assert_eq!(for_lang("he-IL").continued, "(המשך)");
    assert_eq!(for_lang("FR").chapters, "Chapitres");
    assert_eq!(for_lang("tlh"), for_lang("en"));
    assert_eq!(for_lang(""), for_lang("en"));
}

#[test]
fn table_columns_keep_their_alignment() {
    use lecturegen::content::{Block, ColumnAlign};
    let lecture = crate::support::parse(
        "# T\n\n## Table\n\n| a | b | c | d |\n|:--|:-:|--:|---|\n| 1 | 2 | 3 | 4 |\n",
    );
    let Some(Block::Table { align, head, rows }) = lecture.slides[1].blocks.first() else {
        panic!("{:?}", lecture.slides[1].blocks)
    };
    assert_eq!(
        align,
        &[
            ColumnAlign::Left,
            ColumnAlign::Center,
            ColumnAlign::Right,
            ColumnAlign::Start
        ]
    );
    assert_eq!((head.len(), rows.len()), (4, 1));
}
