//! Golden slide pictures: fixture slides rendered with the bundled fonts on the `none`
//! background, compared with `tests/golden/*.png` within a tolerance. On a mismatch a diff
//! picture is written to `target/golden-diff/`; `LECTUREGEN_BLESS=1` rewrites the goldens.

use std::path::{Path, PathBuf};

use image::RgbImage;
use lecturegen::background::{self, Gradient};
use lecturegen::cache::Cache;
use lecturegen::config::{FontConfig, ThemeConfig};
use lecturegen::fonts::Fonts;
use lecturegen::frame;
use lecturegen::overlay::{self, Renderer};
use lecturegen::templates::Templates;

use crate::support::{parse, Course};

const WIDTH: u32 = 640;
const HEIGHT: u32 = 360;

/// Bundled fonts only, built-in templates, default theme.
pub struct Kit {
    fonts: Fonts,
    templates: Templates,
    theme: ThemeConfig,
}

impl Kit {
    pub fn new() -> Self {
        Self::themed("dark")
    }

    fn themed(theme: &str) -> Self {
        Self::with_fonts(theme, Path::new("."), vec![])
    }

    /// Bundled fonts plus the fonts in `dirs` (relative to `root`), never the system's.
    fn with_fonts(theme: &str, root: &Path, dirs: Vec<PathBuf>) -> Self {
        let fonts = Fonts::load(
            &FontConfig {
                system: false,
                dirs,
            },
            root,
        );
        Self {
            fonts,
            templates: Templates::load(Path::new("/nonexistent")).unwrap(),
            theme: ThemeConfig::preset(theme).unwrap(),
        }
    }

    pub fn renderer(&self, width: u32, height: u32) -> Renderer<'_> {
        Renderer {
            fonts: &self.fonts,
            templates: &self.templates,
            theme: &self.theme,
            width,
            height,
            max_words: 70,
            spotlight: false,
        }
    }
}

/// Renders every page of every slide of a lecture.
fn render(markdown: &str) -> Vec<RgbImage> {
    render_themed(markdown, "dark")
}

fn render_themed(markdown: &str, theme: &str) -> Vec<RgbImage> {
    render_with(&Kit::themed(theme), markdown)
}

fn render_with(kit: &Kit, markdown: &str) -> Vec<RgbImage> {
    // The goldens made before points hold `prose = "full"` to what it drew then.
    render_lecture(kit, &crate::support::parse_full(markdown))
}

fn render_lecture(kit: &Kit, lecture: &lecturegen::content::Lecture) -> Vec<RgbImage> {
    let theme = &kit.theme;
    let renderer = kit.renderer(WIDTH, HEIGHT);
    let backend = Gradient::of_theme(theme);
    let course = Course::new();
    let cache = Cache::new(course.path("cache"));
    let mut frames = Vec::new();
    for slide in &lecture.slides {
        let rendered = overlay::render(&renderer, &lecture.meta, slide).unwrap();
        let request = background::request(&lecture.meta, slide, WIDTH, HEIGHT);
        let (bg, _) = background::generate(&backend, &request, &cache, &|_, _| {}).unwrap();
        for page in &rendered.pages {
            frames.push(frame::compose(&bg, page).frame);
        }
    }
    frames
}

pub fn golden_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden")
}

/// Compares with the golden: at most 0.5% of pixels may differ by more than 24 levels in a
/// channel (font rasterisation may move by a fraction of a pixel between versions).
fn check(name: &str, actual: &RgbImage) {
    let path = golden_dir().join(format!("{name}.png"));
    if std::env::var_os("LECTUREGEN_BLESS").is_some() {
        std::fs::create_dir_all(golden_dir()).unwrap();
        actual.save(&path).unwrap();
        return;
    }
    let expected = image::open(&path)
        .unwrap_or_else(|e| {
            panic!(
                "{}: {e} (run with LECTUREGEN_BLESS=1 to create it)",
                path.display()
            )
        })
        .to_rgb8();
    assert_eq!(expected.dimensions(), actual.dimensions(), "{name}");
    let mut diff = RgbImage::new(actual.width(), actual.height());
    let mut bad = 0usize;
    for ((e, a), d) in expected
        .pixels()
        .zip(actual.pixels())
        .zip(diff.pixels_mut())
    {
        let delta = (0..3).map(|c| e[c].abs_diff(a[c])).max().unwrap_or(0);
        if delta > 24 {
            bad += 1;
            *d = image::Rgb([255, 0, 0]);
        } else {
            *d = image::Rgb([a[0] / 3, a[1] / 3, a[2] / 3]);
        }
    }
    let share = bad as f64 / (actual.width() * actual.height()) as f64;
    if share > 0.005 {
        let out = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/golden-diff");
        std::fs::create_dir_all(&out).unwrap();
        actual.save(out.join(format!("{name}.actual.png"))).unwrap();
        diff.save(out.join(format!("{name}.diff.png"))).unwrap();
        panic!(
            "{name}: {:.2}% of pixels differ from {} (see {})",
            share * 100.0,
            path.display(),
            out.display()
        );
    }
}

#[test]
fn golden_content_slide() {
    let frames = render(
        "# Golden\n\n## Lists, code and quotes\n\n- first point with **bold** and *italic*\n    - nested `code` item\n- second point\n\n```rust\nlet x = 42;\n```\n\n> A quotation\n",
    );
    check("content-slide", &frames[1]);
}

const COLUMNS: &str = "# Columns\n\n## Quality control\n\n.pull-left[\n- Sequencers make errors\n\
    - Each base has a quality\n- Adapters stay on reads\n]\n.pull-right[\nTrimming cuts the bad ends \
    of reads; filtering drops whole reads that are too short.\n]\n\nBoth run before assembly.\n";

#[test]
fn golden_two_columns() {
    let lecture = parse(COLUMNS);
    assert!(matches!(
        lecture.slides[1].blocks.first(),
        Some(lecturegen::content::Block::Columns(c)) if c.len() == 2
    ));
    check("two-columns", &render(COLUMNS)[1]);
}

/// A Marp side picture takes its share of the frame and leaves the text legible, on one page.
#[test]
fn golden_split_background() {
    let course = Course::new();
    course.bytes(
        "content/fig.png",
        &crate::support::png(64, 48, [40, 140, 200]),
    );
    let text = "---\nmarp: true\nfooter: Operating systems\npaginate: true\n---\n\n# Split\n\n---\n\n# Queues\n\n\
                ![diagram bg right:40% 90%](fig.png)\n\n- Highest priority runs first\n\
                - Equal priority shares the processor\n- A job that uses its allotment moves down\n";
    let lecture = crate::support::parse_file(&course, "split.md", text);
    let slide = &lecture.slides[1];
    assert!(
        slide.split.is_some()
            && slide
                .blocks
                .iter()
                .all(|b| !matches!(b, lecturegen::content::Block::Image { .. }))
    );
    let kit = Kit::new();
    let rendered = overlay::render(&kit.renderer(1920, 1080), &lecture.meta, slide).unwrap();
    assert_eq!(rendered.pages.len(), 1);
    assert!(
        rendered.pages[0].body_size >= 28.0,
        "{}",
        rendered.pages[0].body_size
    );
    for b in &rendered.pages[0].boxes {
        assert!(
            b.x + b.width <= 1920 * 60 / 100 + 2,
            "text in the picture's share: {b:?}"
        );
    }
    check("split-background", &render_lecture(&kit, &lecture)[1]);
}

/// Columns keep their text at or above the floors at 1080p, each in its declared width.
#[test]
fn columns_keep_the_floors_and_their_widths() {
    let text = "---\ntitle: Cols\nformat: revealjs\n---\n\n## Widths\n\n:::: {.columns}\n\
                ::: {.column width=\"30%\"}\n- narrow one\n- narrow two\n:::\n\
                ::: {.column width=\"70%\"}\nThe wide column holds a longer paragraph of text \
                that wraps over a few lines.\n:::\n::::\n";
    let course = Course::new();
    let lecture = crate::support::parse_file(&course, "cols.qmd", text);
    let slide = &lecture.slides[1];
    let Some(lecturegen::content::Block::Columns(columns)) = slide.blocks.first() else {
        panic!("{:?}", slide.blocks)
    };
    let widths: Vec<Option<u8>> = columns.iter().map(|c| c.width).collect();
    assert_eq!(widths, [Some(30), Some(70)]);
    let kit = Kit::new();
    let rendered = overlay::render(&kit.renderer(1920, 1080), &lecture.meta, slide).unwrap();
    assert_eq!(rendered.pages.len(), 1);
    assert!(
        rendered.pages[0].body_size >= 28.0,
        "{}",
        rendered.pages[0].body_size
    );
}

#[test]
fn golden_title_slide() {
    let frames = render(
        "---\ntitle: A title slide\nsubtitle: With a subtitle\nauthor: Someone\n---\n\ntext\n",
    );
    check("title-slide", &frames[0]);
}

#[test]
fn golden_arabic_slide_with_latin() {
    let frames = render(
        "---\nlang: ar\n---\n\n# عنوان\n\n## نماذج الانتشار\n\n- توليد إطارات باستخدام Stable Diffusion و candle\n- العدد 42 في النص\n",
    );
    check("arabic-slide", &frames[1]);
}

#[test]
fn overflowing_slide_continues_and_text_stays_in_frame() {
    let body: String = (0..40)
        .map(|i| format!("- point number {i} with enough words to wrap a little\n"))
        .collect();
    let markdown = format!("# Long\n\n## Many points\n\n{body}");
    let lecture = parse(&markdown);
    let kit = Kit::new();
    let renderer = kit.renderer(1280, 720);
    let rendered = overlay::render(&renderer, &lecture.meta, &lecture.slides[1]).unwrap();
    assert!(rendered.pages.len() >= 2, "{} pages", rendered.pages.len());
    assert!(rendered.pages[1].continued);
    assert!(rendered.warnings.iter().any(|w| w.contains("continued")));
    // Every word of the notes is on some page, once.
    let words: usize = rendered.pages.iter().map(|p| p.words).sum();
    assert_eq!(words, lecture.slides[1].words);
    for page in &rendered.pages {
        for b in &page.boxes {
            assert!(b.x + b.width <= 1280 && b.y + b.height <= 720, "{b:?}");
        }
    }
}

const ELEMENTS: &str = "# Elements\n\n## Table, math and code\n\n| Sort | Time | Stable |\n|---|---|---|\n| merge | $O(n \\log n)$ | yes |\n| heap | $O(n \\log n)$ | no |\n\nEuler: $e^{i\\pi} + 1 = 0$, and $\\sum_{k=1}^{n} k = \\frac{n(n+1)}{2}$\n\n```python\ndef area(r: float) -> float:\n    return 3.14159 * r ** 2  # circle\n```\n\n- [x] a done task\n";

#[test]
fn golden_table_math_and_code_slide() {
    check("elements-slide", &render(ELEMENTS)[1]);
}

#[test]
fn golden_themes() {
    for theme in ["light", "high-contrast"] {
        check(
            &format!("theme-{theme}"),
            &render_themed(ELEMENTS, theme)[1],
        );
    }
}

/// A tiny deterministic generator of messy markdown sections.
struct Gen(u64);

impl Gen {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[(self.next() % items.len() as u64) as usize]
    }

    fn words(&mut self, n: usize) -> String {
        let pool = [
            "diffusion",
            "noise",
            "x²",
            "العربية",
            "שלום",
            "model",
            "`code`",
            "**bold**",
            "*it*",
            "$\\alpha_i$",
            "Überlänge",
            "a",
            "supercalifragilisticexpialidocious",
            "42",
            "→",
            "[link](https://example.com)",
            "こんにちは",
            "😀",
        ];
        (0..n)
            .map(|_| self.pick(&pool))
            .collect::<Vec<_>>()
            .join(" ")
    }

    fn section(&mut self) -> String {
        let title_words = 1 + (self.next() % 12) as usize;
        let mut out = format!("## {}\n\n", self.words(title_words));
        for _ in 0..(self.next() % 9) {
            let n = (self.next() % 40) as usize;
            let block = match self.next() % 9 {
                0 => format!("{}\n", self.words(n)),
                1 => {
                    let depth = (self.next() % 5) as usize;
                    (0..=depth)
                        .map(|d| format!("{}- {}\n", "    ".repeat(d), self.words(n / 3 + 1)))
                        .collect()
                }
                2 => format!("1. {}\n2. {}\n", self.words(n), self.words(3)),
                3 => format!(
                    "```{}\n{}\n{}\n```\n",
                    self.pick(&["rust", "python", "", "nonsense"]),
                    "x".repeat((self.next() % 400) as usize),
                    self.words(n)
                ),
                4 => format!(
                    "| {} | {} |\n|---|---|\n| {} | {} |\n",
                    self.words(2),
                    self.words(1),
                    self.words(n),
                    self.words(3)
                ),
                5 => format!("> {}\n", self.words(n)),
                6 => "w".repeat((self.next() % 3000) as usize) + "\n",
                7 => format!(
                    "$${}$$\n",
                    self.pick(&["\\frac{a}{b}", "\\sqrt{x^2+1}", "\\unknown{", "x^{"])
                ),
                _ => format!("- [ ] {}\n", self.words(n)),
            };
            out.push_str(&block);
            out.push('\n');
        }
        out
    }
}

#[test]
fn random_sections_never_panic_or_leave_the_frame() {
    let kits: Vec<Kit> = ["dark", "light", "high-contrast"]
        .iter()
        .map(|t| Kit::themed(t))
        .collect();
    let mut generator = Gen(7);
    for case in 0..60 {
        let markdown = format!("# Case {case}\n\n{}", generator.section());
        let lecture = parse(&markdown);
        let kit = &kits[case % kits.len()];
        let (w, h) = [(640, 360), (320, 180), (1280, 720)][case % 3];
        let renderer = kit.renderer(w, h);
        for slide in &lecture.slides {
            let rendered = overlay::render(&renderer, &lecture.meta, slide)
                .unwrap_or_else(|e| panic!("case {case}: {e:#}\n{markdown}"));
            assert!(!rendered.pages.is_empty());
            for page in &rendered.pages {
                assert_eq!(page.image.dimensions(), (w, h));
                for b in &page.boxes {
                    assert!(
                        b.x + b.width <= w && b.y + b.height <= h,
                        "case {case}: box {b:?} leaves the {w}x{h} frame\n{markdown}"
                    );
                }
            }
        }
    }
}

#[test]
fn every_theme_meets_its_contrast_on_busy_backgrounds() {
    for theme in ["dark", "light", "high-contrast"] {
        let kit = Kit::themed(theme);
        let renderer = kit.renderer(WIDTH, HEIGHT);
        let lecture = parse(ELEMENTS);
        let mut needed_a_panel = 0;
        for seed in 0..4u32 {
            let mut state = seed.wrapping_mul(2_654_435_761).wrapping_add(1);
            let busy = RgbImage::from_fn(WIDTH, HEIGHT, |x, y| {
                state = state.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
                let v = (state >> 24) as u8;
                let stripe = if (x / 7 + y / 5 + seed) % 2 == 0 {
                    255
                } else {
                    0
                };
                image::Rgb([v, stripe, ((x + y) % 256) as u8])
            });
            for slide in &lecture.slides {
                let rendered = overlay::render(&renderer, &lecture.meta, slide).unwrap();
                for page in &rendered.pages {
                    let blank = overlay::Page {
                        image: image::RgbaImage::new(WIDTH, HEIGHT),
                        ..page.clone()
                    };
                    let behind = frame::compose(&busy, &blank).frame;
                    for b in &page.boxes {
                        // The background alone would fail: the panel is what makes it pass.
                        if frame::worst_contrast(&busy, b) < kit.theme.min_contrast {
                            needed_a_panel += 1;
                        }
                        let c = frame::worst_contrast(&behind, b);
                        assert!(
                            c >= kit.theme.min_contrast - 0.01,
                            "{theme}, seed {seed}: contrast {c:.2} in {b:?}"
                        );
                    }
                }
            }
        }
        assert!(
            needed_a_panel > 0,
            "{theme}: the backgrounds were not busy enough"
        );
    }
}

#[test]
fn a_character_no_font_has_is_named_with_a_font_package() {
    let lecture = parse("# T\n\n## CJK\n\n漢字 and text\n");
    let kit = Kit::new();
    let rendered = overlay::render(
        &kit.renderer(WIDTH, HEIGHT),
        &lecture.meta,
        &lecture.slides[1],
    )
    .unwrap();
    let warning = rendered
        .warnings
        .iter()
        .find(|w| w.contains("no font has"))
        .unwrap_or_else(|| panic!("{:?}", rendered.warnings));
    assert!(warning.contains("'漢' (U+6F22)"), "{warning}");
    assert!(warning.contains("fonts-noto-cjk"), "{warning}");
}

/// Share of pixels differing by more than [`check`]'s 24 levels.
fn differing_share(a: &RgbImage, b: &RgbImage) -> f64 {
    let bad = a
        .pixels()
        .zip(b.pixels())
        .filter(|(x, y)| (0..3).any(|c| x[c].abs_diff(y[c]) > 24))
        .count();
    bad as f64 / (a.width() * a.height()) as f64
}

#[test]
fn golden_cjk_and_emoji_with_a_test_font() {
    // The font is written by the test into the course's fonts/ folder: no system fonts.
    let course = Course::new();
    course.bytes("fonts/test-cjk.ttf", &crate::support::testfont::cjk_font());
    let kit = Kit::with_fonts("dark", &course.root, vec![PathBuf::from("fonts")]);
    assert!(kit.fonts.with(|fs, _| fs
        .db()
        .faces()
        .any(|f| f.families[0].0 == crate::support::testfont::FAMILY)));
    let markdown = "# T\n\n## 漢字学習 🚀\n\n- 学習 and Latin text 🚀\n- 漢字学習 習学字漢\n- 字漢 習学 🚀 漢字\n";
    let lecture = parse(markdown);
    let rendered = overlay::render(
        &kit.renderer(WIDTH, HEIGHT),
        &lecture.meta,
        &lecture.slides[1],
    )
    .unwrap();
    // Every character has a glyph: no "no font has" warning, nor any other.
    assert!(rendered.warnings.is_empty(), "{:?}", rendered.warnings);
    let frame = &render_with(&kit, markdown)[1];
    check("cjk-emoji-slide", frame);
    // Without the font the same slide is boxes, far outside the golden's tolerance.
    let boxes = &render_with(&Kit::new(), markdown)[1];
    let share = differing_share(frame, boxes);
    assert!(share > 0.01, "{:.2}% differ from boxes", share * 100.0);
}

#[test]
fn svg_and_webp_pictures_are_drawn() {
    let course = Course::new();
    course.file(
        "content/fig.svg",
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"40\" height=\"20\"><rect width=\"40\" height=\"20\" fill=\"#ff8000\"/><image href=\"/etc/passwd\" width=\"4\" height=\"4\"/></svg>",
    );
    let mut webp = Vec::new();
    image::RgbaImage::from_pixel(30, 20, image::Rgba([0, 200, 0, 255]))
        .write_with_encoder(image::codecs::webp::WebPEncoder::new_lossless(&mut webp))
        .unwrap();
    course.bytes("content/fig.webp", &webp);
    let lecture = crate::support::parse_file(
        &course,
        "pics.md",
        "# P\n\n## Vector\n\n![vector](fig.svg)\n\n## Raster\n\n![raster](fig.webp)\n",
    );
    let kit = Kit::new();
    let renderer = kit.renderer(WIDTH, HEIGHT);
    for (slide, colour) in [(1, [255u8, 128, 0]), (2, [0, 200, 0])] {
        let rendered = overlay::render(&renderer, &lecture.meta, &lecture.slides[slide]).unwrap();
        assert!(rendered.warnings.is_empty(), "{:?}", rendered.warnings);
        let found = rendered.pages[0]
            .image
            .pixels()
            .filter(|p| p[3] == 255 && p.0[..3] == colour)
            .count();
        // Scaled up to the body (the SVG freely, the WebP up to twice its size).
        assert!(
            found > 40 * 20,
            "slide {slide}: {found} pixels of {colour:?}"
        );
    }
}

/// Text in an SVG figure whose font family is not installed (draw.io writes Helvetica) is
/// drawn in a font that is, with a warning naming the family; text that names no family is
/// drawn in the bundled sans. It used to vanish: the boxes drawn, no word. draw.io's notice
/// for renderers without HTML labels is not drawn.
#[test]
fn svg_labels_in_a_missing_font_family_are_drawn() {
    let course = Course::new();
    let svg = |label: &str| {
        format!(
            "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"200\" height=\"100\"><rect width=\"200\" height=\"100\" fill=\"#ffffff\"/>{label}</svg>"
        )
    };
    course.file(
        "content/helvetica.svg",
        &svg("<text x=\"10\" y=\"70\" font-family=\"Helvetica\" font-size=\"60\" fill=\"#000000\">Label</text>"),
    );
    course.file(
        "content/plain.svg",
        &svg("<text x=\"10\" y=\"70\" font-size=\"60\" fill=\"#000000\">Label</text>"),
    );
    course.file("content/blank.svg", &svg(""));
    // draw.io's notice for renderers without HTML labels, in every such export.
    course.file(
        "content/notice.svg",
        &svg("<switch><g requiredFeatures=\"http://www.w3.org/TR/SVG11/feature#Extensibility\"/><a transform=\"translate(0,-5)\" xlink:href=\"https://www.diagrams.net/doc/faq/svg-export-text-problems\" target=\"_blank\"><text text-anchor=\"middle\" font-size=\"30px\" x=\"50%\" y=\"100%\">Text is not SVG - cannot display</text></a></switch>").replace("<svg ", "<svg xmlns:xlink=\"http://www.w3.org/1999/xlink\" "),
    );
    let lecture = crate::support::parse_file(&course, "svg.md", "# S\n\n## One\n\n![](helvetica.svg)\n\n## Two\n\n![](plain.svg)\n\n## Three\n\n![](blank.svg)\n\n## Four\n\n![](notice.svg)\n");
    let kit = Kit::new();
    let renderer = kit.renderer(WIDTH, HEIGHT);
    let dark = |slide: usize| {
        let rendered = overlay::render(&renderer, &lecture.meta, &lecture.slides[slide]).unwrap();
        let dark = rendered.pages[0]
            .image
            .pixels()
            .filter(|p| p[3] == 255 && p.0[..3].iter().all(|&c| c < 60))
            .count();
        (dark, rendered.warnings)
    };
    let (blank, _) = dark(3);
    let (helvetica, warnings) = dark(1);
    let (plain, quiet) = dark(2);
    assert!(
        helvetica > blank + 200,
        "Helvetica label: {helvetica} dark pixels, blank {blank}"
    );
    assert!(
        plain > blank + 200,
        "unnamed label: {plain} dark pixels, blank {blank}"
    );
    assert_eq!(warnings.len(), 1, "{warnings:?}");
    assert!(warnings[0].contains("\"Helvetica\""), "{warnings:?}");
    assert!(quiet.is_empty(), "{quiet:?}");
    assert_eq!(dark(4).0, blank, "draw.io's notice is not drawn");
}

#[test]
fn marp_split_background_puts_the_picture_on_one_side_and_text_on_the_other() {
    let course = Course::new();
    course.bytes(
        "content/side.png",
        &crate::support::png(50, 50, [200, 30, 30]),
    );
    let lecture = crate::support::parse_file(&course, "split.md", "# S\n\n## Left picture\n\n![bg left:30%](side.png)\n\nText on the right side of the slide, long enough to wrap onto a second line.\n\n## Whole\n\n![bg](side.png)\n");
    let split = lecture.slides[1].split.as_ref().expect("a split");
    assert!(split.left);
    assert!((split.fraction - 0.3).abs() < 1e-6);
    assert!(lecture.slides[1].backdrop.is_none());
    assert!(lecture.slides[2].split.is_none());
    assert!(lecture.slides[2].backdrop.is_some());

    let kit = Kit::new();
    let rendered = overlay::render(
        &kit.renderer(WIDTH, HEIGHT),
        &lecture.meta,
        &lecture.slides[1],
    )
    .unwrap();
    let page = &rendered.pages[0];
    let side = (WIDTH as f32 * 0.3) as u32;
    assert_eq!(
        page.image.get_pixel(side / 2, HEIGHT / 2).0,
        [200, 30, 30, 255]
    );
    assert!(!page.boxes.is_empty());
    for b in &page.boxes {
        assert!(b.x >= side, "{b:?} overlaps the picture");
    }
}

#[test]
fn the_gradient_is_smooth_within_its_colours_at_any_width() {
    let theme = ThemeConfig::preset("dark").unwrap();
    // Widths that leave 0-3 pixels after the four-at-a-time rows, and one that is all tail.
    for (width, height) in [(1, 1), (3, 5), (37, 21), (640, 360), (1921, 3)] {
        let draw = |seed| crate::support::gradient(&theme, seed, width, height);
        let picture = draw(3);
        assert_eq!(picture.dimensions(), (width, height));
        assert_eq!(picture, draw(3), "the same seed gives the same picture");
        let colours = [theme.background_start, theme.background_end, theme.accent];
        for px in picture.pixels() {
            for c in 0..3 {
                let lo = colours.iter().map(|k| i32::from(k.0[c])).min().unwrap();
                let hi = colours.iter().map(|k| i32::from(k.0[c])).max().unwrap();
                let v = i32::from(px[c]);
                assert!(
                    v + 1 >= lo && v <= hi + 1,
                    "{width}x{height}: {px:?} outside the theme's colours"
                );
            }
        }
        // Smooth: neighbours differ by the dither and the slope, a few levels at most (tiny
        // or thin pictures are steep: the whole ramp, or the glow, in a few pixels).
        for row in picture.rows().filter(|_| (width, height) == (640, 360)) {
            let row: Vec<_> = row.collect();
            for pair in row.windows(2) {
                for (a, b) in pair[0].0.iter().zip(&pair[1].0) {
                    let step = (*a as i32 - *b as i32).abs();
                    assert!(step <= 3, "{width}x{height}: a step of {step} levels");
                }
            }
        }
        if width >= 640 {
            assert_ne!(
                picture,
                draw(4),
                "the seed places the glow and the direction"
            );
        }
    }
}

const MERMAID: &str = "# Diagrams\n\n## Build flow\n\n```mermaid\nflowchart LR\n    A[Write notes] --> B{Build}\n    B -->|ok| C[Publish]\n    B -->|error| A\n```\n";

#[test]
fn golden_mermaid_flowchart() {
    let lecture = parse(MERMAID);
    assert!(matches!(
        lecture.slides[1].blocks.as_slice(),
        [lecturegen::content::Block::Diagram { .. }]
    ));
    check("mermaid-flowchart", &render(MERMAID)[1]);
}

#[test]
fn golden_dot_graph() {
    let text = "# Diagrams\n\n## A graph\n\n```dot\ndigraph {\n    rankdir=LR;\n    notes [shape=box];\n    slides [shape=box];\n    video [shape=box];\n    notes -> slides -> video;\n    notes -> video [label=\"voice\"];\n}\n```\n";
    check("dot-graph", &render(text)[1]);
}

/// The diagram kinds teachers draw most are laid out and drawn, no stand-in.
#[test]
fn mermaid_kinds_are_drawn() {
    let kinds = [
        "flowchart TD\n    A --> B\n    B --> C",
        "sequenceDiagram\n    Alice->>Bob: Hello\n    Bob-->>Alice: Hi",
        "classDiagram\n    Animal <|-- Duck\n    Animal : +int age",
        "stateDiagram-v2\n    [*] --> Still\n    Still --> Moving\n    Moving --> [*]",
        "pie title Pets\n    \"Dogs\" : 386\n    \"Cats\" : 85",
        "gantt\n    title Plan\n    dateFormat YYYY-MM-DD\n    section A\n    Task one :a1, 2024-01-01, 30d\n    Task two :after a1, 20d",
    ];
    let kit = Kit::new();
    for source in kinds {
        let lecture = parse(&format!("# D\n\n## Kind\n\n```mermaid\n{source}\n```\n"));
        let slide = &lecture.slides[1];
        assert!(
            matches!(
                slide.blocks.as_slice(),
                [lecturegen::content::Block::Diagram { .. }]
            ),
            "{source}: {:?} {:?}",
            slide.blocks,
            lecture.warnings
        );
        let rendered = overlay::render(&kit.renderer(WIDTH, HEIGHT), &lecture.meta, slide).unwrap();
        assert!(
            rendered
                .warnings
                .iter()
                .all(|w| !w.contains("cannot be drawn")),
            "{source}: {:?}",
            rendered.warnings
        );
        // Drawn: many distinct colours (lines, text, fills), not one flat box.
        let colours: std::collections::HashSet<[u8; 4]> =
            rendered.pages[0].image.pixels().map(|p| p.0).collect();
        assert!(colours.len() > 20, "{source}: {} colours", colours.len());
    }
}

#[test]
fn a_diagram_that_does_not_parse_is_its_code_with_a_warning_at_its_line() {
    let lecture = parse("# D\n\n## Broken\n\n```mermaid\nflowchart LR\n    A -->\n```\n\n```dot\ndigraph { a -> }\n```\n");
    let slide = &lecture.slides[1];
    assert!(
        slide
            .blocks
            .iter()
            .all(|b| matches!(b, lecturegen::content::Block::Code { .. })),
        "{:?}",
        slide.blocks
    );
    let lines: Vec<&String> = lecture
        .warnings
        .iter()
        .filter(|w| w.contains("does not parse"))
        .collect();
    assert_eq!(lines.len(), 2, "{:?}", lecture.warnings);
    assert!(
        lines[0].contains(":5:") && lines[1].contains(":10:"),
        "{lines:?}"
    );
}

/// Pictures beside a few words are drawn smaller rather than pushing the slide onto a second
/// page.
#[test]
fn pictures_beside_few_words_shrink_before_the_slide_continues() {
    let course = Course::new();
    for name in ["a", "b", "c"] {
        course.bytes(
            &format!("content/{name}.png"),
            &crate::support::png(64, 48, [40, 140, 200]),
        );
    }
    let text = "# Logos\n\n## Three tools\n\n![](a.png)\n\nReact Query\n\n![](b.png)\n\nVue Query\n\n![](c.png)\n\nTanStack Query\n";
    let lecture = crate::support::parse_file(&course, "logos.md", text);
    let kit = Kit::new();
    let rendered =
        overlay::render(&kit.renderer(1920, 1080), &lecture.meta, &lecture.slides[1]).unwrap();
    assert_eq!(rendered.pages.len(), 1, "{:?}", rendered.warnings);
    assert!(rendered.pages[0].body_size >= 28.0);
}

/// A slide with the `center` layout hint has its title and body centred by the template.
#[test]
fn a_centred_layout_centres_title_and_body() {
    let lecture = parse("# Deck\n\n## Big idea\n\n<!-- layout: center -->\n\nOne short line.\n");
    let slide = &lecture.slides[1];
    assert_eq!(slide.layout.as_deref(), Some("center"));
    let kit = Kit::new();
    let rendered = overlay::render(&kit.renderer(1920, 1080), &lecture.meta, slide).unwrap();
    for b in &rendered.pages[0].boxes {
        let middle = b.x as i64 + b.width as i64 / 2;
        assert!((middle - 960).abs() < 40, "{b:?} not centred");
    }
}

/// A section of prose as points: a bullet per paragraph, the code as written, the section it
/// sits in above its title.
const PROSE: &str = "# Git\n\n# Data model\n\n## Snapshots\n\nGit models the history of a \
collection of files and folders within some top-level directory as a series of snapshots. In Git \
terminology, a file is called a blob.\n\nA directory is called a tree, and it maps names to blobs \
or trees, so directories can contain other directories.\n\n```\n<root> (tree)\n+- foo (tree)\n```\n\n\
While Git admittedly has an ugly interface, its underlying design and ideas are beautiful.\n";

#[test]
fn golden_prose_points() {
    let lecture = parse(PROSE);
    check("prose-points", &render_lecture(&Kit::new(), &lecture)[1]);
}
