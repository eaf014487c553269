//! Helpers shared by the benches: driving the `lecturegen` binary, and the stages of a slide
//! loaded as a build loads them.

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The release binary the bench was built with, or `$LECTUREGEN_BENCH_EXE` (another build of
/// lecturegen, to measure it in the same run as an anchor).
pub fn exe() -> String {
    std::env::var("LECTUREGEN_BENCH_EXE")
        .unwrap_or_else(|_| env!("CARGO_BIN_EXE_lecturegen").to_string())
}

pub fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

/// A child process killed when dropped.
pub struct Killed(Child);
impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Starts `lecturegen ARGS --root DIR`; its stderr lines arrive on the receiver.
pub fn start(dir: &Path, args: &[&str]) -> (Killed, std::sync::mpsc::Receiver<String>) {
    use std::io::BufRead;
    let mut child = Command::new(exe())
        .args(args)
        .arg("--root")
        .arg(dir)
        .stderr(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .expect("lecturegen");
    let stderr = child.stderr.take().expect("stderr");
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in std::io::BufReader::new(stderr)
            .lines()
            .map_while(Result::ok)
        {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    (Killed(child), rx)
}

/// Waits (up to 5 minutes) for a line starting with `prefix`.
pub fn wait_line(rx: &std::sync::mpsc::Receiver<String>, prefix: &str) -> String {
    loop {
        let line = rx
            .recv_timeout(Duration::from_secs(300))
            .expect("lecturegen stopped talking");
        if line.starts_with(prefix) {
            return line;
        }
    }
}

/// Polls `done` every half millisecond until it holds (a minute at most, counted from
/// `started`); the latency benches time the save-to-output path with it.
pub fn poll_until(started: Instant, mut done: impl FnMut() -> bool) {
    while !done() {
        assert!(started.elapsed() < Duration::from_secs(60), "no rebuild");
        std::thread::sleep(Duration::from_micros(500));
    }
}

/// Under a running `watch` (its stderr on `rx`), each round's save timed until the lecture's
/// `video` is rewritten and `changed(round)` holds (milliseconds); watch's first status line
/// is printed.
pub fn timed_saves(
    rx: &std::sync::mpsc::Receiver<String>,
    video: &Path,
    rounds: std::ops::Range<usize>,
    save: impl Fn(usize),
    changed: impl Fn(usize) -> bool,
) -> Vec<f64> {
    let modified = || std::fs::metadata(video).and_then(|m| m.modified()).ok();
    let mut times = Vec::new();
    for round in rounds.clone() {
        let before = modified();
        let started = Instant::now();
        save(round);
        poll_until(started, || changed(round) && modified() != before);
        times.push(started.elapsed().as_secs_f64() * 1000.0);
        let status = wait_line(rx, "");
        if round == rounds.start {
            println!("  watch's own status line: {status}");
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    times
}

/// Runs `lecturegen build -q --root ROOT EXTRA`; milliseconds, process start included.
pub fn build_ms(root: &Path, extra: &[&str]) -> f64 {
    let started = Instant::now();
    let status = Command::new(exe())
        .args(["build", "-q", "--root"])
        .arg(root)
        .args(extra)
        .status()
        .expect("build");
    assert!(status.success());
    started.elapsed().as_secs_f64() * 1000.0
}

/// Copies a folder tree.
pub fn copy(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("copy");
    for entry in std::fs::read_dir(from).expect("copy").flatten() {
        let target = to.join(entry.file_name());
        if entry.path().is_dir() {
            copy(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).expect("copy");
        }
    }
}

/// A course's slide stages loaded as a build loads them: its configuration, fonts and
/// templates, for the benches that time the stages alone.
pub struct Stages {
    pub root: std::path::PathBuf,
    pub config: lecturegen::config::Config,
    pub fonts: lecturegen::fonts::Fonts,
    pub templates: lecturegen::templates::Templates,
}

impl Stages {
    /// The stages of the course at `root`.
    pub fn load(root: &Path) -> Self {
        let config = lecturegen::config::Config::load(root).expect("config");
        Self {
            root: root.to_path_buf(),
            fonts: lecturegen::fonts::Fonts::load(&config.fonts, root),
            templates: lecturegen::templates::Templates::load(&root.join("templates"))
                .expect("templates"),
            config,
        }
    }

    /// The overlay renderer of 1920x1080 frames in `theme`.
    pub fn renderer<'a>(
        &'a self,
        theme: &'a lecturegen::config::ThemeConfig,
    ) -> lecturegen::overlay::Renderer<'a> {
        lecturegen::overlay::Renderer {
            fonts: &self.fonts,
            templates: &self.templates,
            theme,
            width: 1920,
            height: 1080,
            max_words: self.config.layout.max_words_per_page,
            spotlight: self.config.layout.spotlight,
        }
    }

    /// Every lecture of the course's content folder, read as its own site reads them.
    pub fn lectures(&self) -> Vec<lecturegen::content::Lecture> {
        use lecturegen::content;
        let config = &self.config;
        let options = content::LoadOptions {
            course_root: self.root.clone(),
            allow_html: config.build.allow_html,
            default_seed: config.build.seed,
            default_lang: config.course.lang.clone(),
            default_author: config.course.author.clone(),
            max_words_per_page: config.layout.max_words_per_page,
            shared_front_matter: false,
            dialect: None,
            prose: lecturegen::config::Prose::Points,
        };
        let selection = content::Selection::All;
        content::discover(&self.root.join("content"), &self.root, &selection)
            .expect("content")
            .lectures
            .iter()
            .map(|s| content::load(s, &options).expect("lecture"))
            .collect()
    }
}
