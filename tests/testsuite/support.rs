//! Test helpers: temporary courses built from inline files or fixture folders.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

use lecturegen::build::{Settings, Summary};
use lecturegen::config::Config;
use lecturegen::content::{LectureSource, LoadOptions};
use lecturegen::report::Reporter;

/// Settings every test course starts from: small frames, bundled fonts only, fast timing.
pub const TEST_CONFIG: &str = r#"
[course]
title = "Test course"

[video]
width = 320
height = 180

[fonts]
system = false
dirs = []
"#;

/// A course in a fresh temporary folder, removed when dropped.
pub struct Course {
    pub root: PathBuf,
}

impl Course {
    /// An empty course with [`TEST_CONFIG`].
    pub fn new() -> Self {
        static COUNTER: AtomicUsize = AtomicUsize::new(0);
        let root = std::env::temp_dir().join(format!(
            "lecturegen-test-{}-{}",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::Relaxed)
        ));
        let _ = std::fs::remove_dir_all(&root);
        std::fs::create_dir_all(root.join("content")).unwrap();
        let course = Self { root };
        course.file("lecturegen.toml", TEST_CONFIG);
        course
    }

    /// A copy of `tests/fixtures/<name>` (its lecturegen.toml, if any, replaces the default).
    pub fn fixture(name: &str) -> Self {
        let course = Self::new();
        copy_dir(&fixtures().join(name), &course.root);
        course
    }

    /// Writes a file (creating folders) and returns the course for chaining.
    pub fn file(&self, rel: &str, text: &str) -> &Self {
        self.bytes(rel, text.as_bytes())
    }

    /// Writes raw bytes.
    pub fn bytes(&self, rel: &str, bytes: &[u8]) -> &Self {
        let path = self.root.join(rel);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, bytes).unwrap();
        self
    }

    pub fn path(&self, rel: &str) -> PathBuf {
        self.root.join(rel)
    }

    pub fn read(&self, rel: &str) -> String {
        std::fs::read_to_string(self.path(rel)).unwrap_or_else(|e| panic!("reading {rel}: {e}"))
    }

    pub fn settings(&self) -> Settings {
        Settings {
            root: self.root.clone(),
            config: Config::load(&self.root).unwrap(),
        }
    }

    /// Builds with a collecting reporter.
    pub fn build(&self) -> (Summary, Collect) {
        let collect = Collect::default();
        let summary = lecturegen::build::build(&self.settings(), &collect).unwrap();
        (summary, collect)
    }
}

impl Drop for Course {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.root);
    }
}

pub fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")
}

fn copy_dir(from: &Path, to: &Path) {
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            std::fs::create_dir_all(&target).unwrap();
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

/// Collects what a build reports.
#[derive(Default)]
pub struct Collect {
    pub warnings: Mutex<Vec<String>>,
    pub errors: Mutex<Vec<String>>,
}

impl Collect {
    pub fn warnings(&self) -> Vec<String> {
        self.warnings.lock().unwrap().clone()
    }
    pub fn errors(&self) -> Vec<String> {
        self.errors.lock().unwrap().clone()
    }
}

impl Reporter for Collect {
    fn warning(&self, message: &str) {
        self.warnings.lock().unwrap().push(message.to_string());
    }
    fn error(&self, message: &str) {
        self.errors.lock().unwrap().push(message.to_string());
    }
}

/// Parses markdown text as lecture `name` of a course rooted at `root`.
pub fn parse_in(
    root: &Path,
    name: &str,
    text: &[u8],
) -> Result<lecturegen::content::Lecture, lecturegen::content::LoadError> {
    let source = LectureSource {
        slug: name.trim_end_matches(".md").replace('/', "-"),
        file: root.join("content").join(name),
        display: format!("content/{name}"),
    };
    lecturegen::content::parse(&source, text, &options(root))
}

/// Parses markdown text in a throwaway course folder.
pub fn parse(text: &str) -> lecturegen::content::Lecture {
    let course = Course::new();
    parse_in(&course.root, "notes.md", text.as_bytes()).unwrap_or_else(|e| panic!("{e}"))
}

pub fn options(root: &Path) -> LoadOptions {
    LoadOptions {
        course_root: root.to_path_buf(),
        allow_html: false,
        default_seed: 0,
        default_lang: "en".into(),
        default_author: String::new(),
    }
}

/// Slide titles of a lecture.
pub fn titles(lecture: &lecturegen::content::Lecture) -> Vec<String> {
    lecture.slides.iter().map(|s| s.title.clone()).collect()
}
