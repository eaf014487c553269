//! Test helpers: temporary courses built from inline files or fixture folders.

pub mod testfont;

use std::path::{Path, PathBuf};
use std::sync::Mutex;

use lecturegen::config::Config;
use lecturegen::content::{LectureSource, LoadOptions};
use lecturegen::pipeline::Summary;
use lecturegen::project::Project;
use lecturegen::report::Reporter;
pub use lecturegen_testkit::assert_success;
use lecturegen_testkit::Scratch;

/// Settings every test course starts from: small frames, bundled fonts only, fast timing.
pub const TEST_CONFIG: &str = r#"
[course]
title = "Test course"

# Tests of the pipeline draw theme gradients (milliseconds); the built-in model has its own
# tests and one end-to-end build.
[build]
backend = "none"

[video]
width = 320
height = 180

[fonts]
system = false
dirs = []

# Pipeline tests are silent; the narration tests turn the voice on.
[narration]
voice = "none"
"#;

/// A course in a fresh temporary folder, removed when dropped.
pub struct Course {
    pub root: PathBuf,
    _folder: Scratch,
}

impl Course {
    /// An empty course with [`TEST_CONFIG`].
    pub fn new() -> Self {
        let folder = Scratch::new();
        std::fs::create_dir_all(folder.root.join("content")).unwrap();
        let course = Self {
            root: folder.root.clone(),
            _folder: folder,
        };
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

    pub fn settings(&self) -> Project {
        Project {
            root: self.root.clone(),
            config: Config::load(&self.root).unwrap(),
        }
    }

    /// Builds with a collecting reporter.
    pub fn build(&self) -> (Summary, Collect) {
        let collect = Collect::default();
        let summary = lecturegen::pipeline::build(&self.settings(), &collect).unwrap();
        (summary, collect)
    }
}

pub fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")
}

/// The project's scripts (`scripts/`): the tests run some of them (a command voice).
pub fn scripts() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts")
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
    /// Remote backgrounds arrived: (done, total) as reported.
    pub arrived: Mutex<Vec<(usize, usize)>>,
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
    fn backgrounds_arrived(&self, done: usize, total: usize) {
        self.arrived.lock().unwrap().push((done, total));
    }
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
) -> Result<lecturegen::content::Lecture, lecturegen::diag::Diagnostic> {
    let source = LectureSource {
        slug: name.trim_end_matches(".md").replace('/', "-"),
        file: root.join("content").join(name),
        display: format!("content/{name}"),
    };
    lecturegen::content::parse(&source, text, &options(root))
}

/// Writes `text` as `content/{name}` of `course` and parses it.
pub fn parse_file(course: &Course, name: &str, text: &str) -> lecturegen::content::Lecture {
    course.file(&format!("content/{name}"), text);
    parse_in(&course.root, name, text.as_bytes()).unwrap_or_else(|e| panic!("{e}"))
}

/// Every piece of text drawn on a lecture's slides: titles, paragraphs, lists, quotes, tables
/// and columns, and code blocks when `code`.
pub fn drawn_text(lecture: &lecturegen::content::Lecture, code: bool) -> String {
    use lecturegen::content::Block;
    fn blocks(out: &mut String, list: &[Block], code: bool) {
        for block in list {
            match block {
                Block::Paragraph(spans) | Block::Heading(_, spans) => {
                    out.extend(spans.iter().map(|s| s.text.as_str()));
                    out.push('\n');
                }
                Block::List { items, .. } => items.iter().for_each(|i| blocks(out, i, code)),
                Block::Quote(inner) => blocks(out, inner, code),
                Block::Columns(columns) => {
                    columns.iter().for_each(|c| blocks(out, &c.blocks, code))
                }
                Block::Table { head, rows, .. } => {
                    for row in std::iter::once(head).chain(rows) {
                        for cell in row {
                            out.extend(cell.iter().map(|s| s.text.as_str()));
                            out.push('|');
                        }
                        out.push('\n');
                    }
                }
                Block::Code { text, .. } if code => out.push_str(text),
                _ => {}
            }
        }
    }
    let mut out = String::new();
    for slide in &lecture.slides {
        out.push_str(&slide.title);
        out.push('\n');
        blocks(&mut out, &slide.blocks, code);
    }
    out
}

/// Parses markdown text in a throwaway course folder.
pub fn parse(text: &str) -> lecturegen::content::Lecture {
    let course = Course::new();
    parse_in(&course.root, "notes.md", text.as_bytes()).unwrap_or_else(|e| panic!("{e}"))
}

/// Parses notes as `[layout] prose = "full"` reads them: paragraphs on the slide as written.
pub fn parse_full(text: &str) -> lecturegen::content::Lecture {
    let course = Course::new();
    let source = LectureSource {
        slug: "notes".into(),
        file: course.root.join("content/notes.md"),
        display: "content/notes.md".into(),
    };
    let options = LoadOptions {
        prose: lecturegen::config::Prose::Full,
        ..options(&course.root)
    };
    lecturegen::content::parse(&source, text.as_bytes(), &options).unwrap_or_else(|e| panic!("{e}"))
}

pub fn options(root: &Path) -> LoadOptions {
    LoadOptions {
        course_root: root.to_path_buf(),
        allow_html: false,
        default_seed: 0,
        default_lang: "en".into(),
        default_author: String::new(),
        max_words_per_page: 70,
        shared_front_matter: false,
        dialect: None,
        prose: lecturegen::config::Prose::Points,
    }
}

/// Slide titles of a lecture.
pub fn titles(lecture: &lecturegen::content::Lecture) -> Vec<String> {
    lecture.slides.iter().map(|s| s.title.clone()).collect()
}

/// A running `lecturegen` (watch or serve) whose stderr lines are collected; killed on drop.
pub struct Running {
    child: std::process::Child,
    lines: std::sync::Arc<Mutex<Vec<String>>>,
}

impl Running {
    /// Starts `lecturegen <args>` in `dir`.
    pub fn start(dir: &Path, args: &[&str]) -> Self {
        use std::io::BufRead;
        let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_lecturegen"))
            .args(args)
            .current_dir(dir)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        let stderr = child.stderr.take().unwrap();
        let lines = std::sync::Arc::new(Mutex::new(Vec::new()));
        let sink = lines.clone();
        std::thread::spawn(move || {
            for line in std::io::BufReader::new(stderr).lines() {
                let Ok(line) = line else { break };
                sink.lock().unwrap().push(line);
            }
        });
        Self { child, lines }
    }

    /// Everything printed so far.
    pub fn lines(&self) -> Vec<String> {
        self.lines.lock().unwrap().clone()
    }

    /// Waits (up to 60 s) for a printed line matching `pred`, and returns it.
    pub fn wait_line(&self, what: &str, pred: impl Fn(&str) -> bool) -> String {
        self.wait(what, || self.lines().into_iter().find(|l| pred(l)))
    }

    /// [`wait_until`], printing what the process said when it times out.
    pub fn wait<T>(&self, what: &str, probe: impl FnMut() -> Option<T>) -> T {
        let lines = self.lines.clone();
        let guard = PrintOnPanic(lines);
        let value = wait_until(what, probe);
        std::mem::forget(guard);
        value
    }

    /// Waits for the `n`th status line (one per build) and returns it.
    pub fn wait_builds(&self, n: usize) -> String {
        self.wait(&format!("build {n}"), || {
            self.lines()
                .into_iter()
                .filter(|l| is_status_line(l))
                .nth(n - 1)
        })
    }

    /// Status lines printed so far.
    pub fn builds(&self) -> Vec<String> {
        self.lines()
            .into_iter()
            .filter(|l| is_status_line(l))
            .collect()
    }

    /// True while the process runs.
    pub fn alive(&mut self) -> bool {
        self.child.try_wait().unwrap().is_none()
    }
}

struct PrintOnPanic(std::sync::Arc<Mutex<Vec<String>>>);

impl Drop for PrintOnPanic {
    fn drop(&mut self) {
        if let Ok(lines) = self.0.lock() {
            eprintln!("lecturegen said:\n{}", lines.join("\n"));
        }
    }
}

fn is_status_line(line: &str) -> bool {
    line.len() > 9
        && line.as_bytes()[2] == b':'
        && line.as_bytes()[5] == b':'
        && line.contains(" ms")
}

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Polls `probe` every 20 ms until it gives a value; panics after 60 s naming `what`.
pub fn wait_until<T>(what: &str, mut probe: impl FnMut() -> Option<T>) -> T {
    let started = std::time::Instant::now();
    loop {
        if let Some(value) = probe() {
            return value;
        }
        if started.elapsed() > std::time::Duration::from_secs(60) {
            panic!("timed out waiting for {what}");
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
}

/// The source of a built-in template, for tests that override it with an edit.
pub fn builtin_template(name: &str) -> &'static str {
    lecturegen::templates::BUILTIN
        .iter()
        .find(|(n, _)| *n == name)
        .map(|(_, text)| *text)
        .unwrap_or_else(|| panic!("no built-in template {name}"))
}

/// A PNG of one colour.
pub fn png(width: u32, height: u32, rgb: [u8; 3]) -> Vec<u8> {
    let mut bytes = Vec::new();
    image::RgbImage::from_pixel(width, height, image::Rgb(rgb))
        .write_to(
            &mut std::io::Cursor::new(&mut bytes),
            image::ImageFormat::Png,
        )
        .unwrap();
    bytes
}

/// Whether `program ARG` runs; in CI its absence is a failure (`.ci/run` installs it),
/// elsewhere a loud skip naming `package`.
pub fn tool(program: &str, arg: &str, package: &str) -> bool {
    let found = std::process::Command::new(program)
        .arg(arg)
        .output()
        .is_ok_and(|o| o.status.success());
    if !found {
        assert!(
            std::env::var_os("CI").is_none(),
            "{program} is missing in CI: .ci/run installs it"
        );
        eprintln!(
            "\n!!!!!!!!\nSKIPPED: {program} not installed (apt-get install {package})\n!!!!!!!!\n"
        );
    }
    found
}

/// Runs `program args` in `dir`, asserts it succeeded, and returns its stdout.
pub fn run_ok(dir: &Path, program: &str, args: &[&str]) -> Vec<u8> {
    let out = std::process::Command::new(program)
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap_or_else(|e| panic!("{program}: {e}"));
    assert!(
        out.status.success(),
        "{program} {args:?}: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

/// The `none` backend's picture for `seed` at `width` x `height` in `theme`.
pub fn gradient(
    theme: &lecturegen::config::ThemeConfig,
    seed: u64,
    width: u32,
    height: u32,
) -> image::RgbImage {
    use lecturegen::background::{Backend, BackgroundRequest, Gradient};
    Gradient::of_theme(theme)
        .generate(&BackgroundRequest {
            prompt: String::new(),
            negative_prompt: String::new(),
            seed,
            width,
            height,
            backdrop: None,
        })
        .unwrap()
}
