//! Any bytes as a lecture's notes: the markdown-to-slides parser must return slides or a
//! positioned error, never panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use lecturegen::content::{self, LectureSource, LoadOptions};

fuzz_target!(|data: &[u8]| {
    let root = std::env::temp_dir();
    let source = LectureSource {
        slug: "fuzz".into(),
        file: root.join("content/fuzz.md"),
        display: "content/fuzz.md".into(),
    };
    let options = LoadOptions {
        course_root: root,
        allow_html: data.first().is_some_and(|b| b & 1 == 1),
        default_seed: 0,
        default_lang: "en".into(),
        default_author: String::new(),
        max_words_per_page: 70,
        shared_front_matter: false,
        dialect: None,
    };
    if let Err(e) = content::parse(&source, data, &options) {
        assert!(e.line >= 1 && e.column >= 1);
    }
});
