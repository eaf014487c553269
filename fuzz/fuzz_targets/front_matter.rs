//! Any text as YAML or TOML front matter, followed by a small body.
#![no_main]

use libfuzzer_sys::fuzz_target;
use lecturegen::content::{self, LectureSource, LoadOptions};

fuzz_target!(|data: &[u8]| {
    let (fence, rest) = match data.split_first() {
        Some((b, rest)) if b & 1 == 1 => ("+++", rest),
        Some((_, rest)) => ("---", rest),
        None => return,
    };
    let mut text = format!("{fence}\n").into_bytes();
    text.extend_from_slice(rest);
    text.extend_from_slice(format!("\n{fence}\n\n# Slide\n\ntext\n").as_bytes());
    let root = std::env::temp_dir();
    let source = LectureSource {
        slug: "fuzz".into(),
        file: root.join("content/fuzz.md"),
        display: "content/fuzz.md".into(),
    };
    let options = LoadOptions {
        course_root: root,
        allow_html: false,
        default_seed: 0,
        default_lang: "en".into(),
        default_author: String::new(),
        max_words_per_page: 70,
        shared_front_matter: false,
        dialect: None,
    };
    let _ = content::parse(&source, &text, &options);
});
