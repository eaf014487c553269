//! What the product's test suite, the lab's tests and the benches share: temporary folders,
//! program checks, a fault-injecting HTTP server ([`fakeserver`]) and a headless Chromium driven
//! over the DevTools protocol ([`cdp`]).

pub mod cdp;
pub mod fakeserver;

use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};

use lecturegen::background::BackgroundRequest;

/// Where a kit of test files `.ci/run` installs lives: `$env`, else
/// `~/.cache/lecturegen-test/<name>` (the Piper voice, the Kokoro model).
pub fn kit_dir(env: &str, name: &str) -> Option<PathBuf> {
    std::env::var_os(env).map(PathBuf::from).or_else(|| {
        std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache/lecturegen-test").join(name))
    })
}

/// A fresh temporary folder, removed when dropped.
pub struct Scratch {
    /// The folder.
    pub root: PathBuf,
}

impl Scratch {
    /// An empty folder of its own (per process and per call).
    pub fn new() -> Self {
        static COUNTER: AtomicUsize = AtomicUsize::new(0);
        let root = std::env::temp_dir().join(format!(
            "lecturegen-test-{}-{}",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::Relaxed)
        ));
        let _ = std::fs::remove_dir_all(&root);
        std::fs::create_dir_all(&root).unwrap();
        Self { root }
    }

    /// `rel` inside the folder.
    pub fn path(&self, rel: &str) -> PathBuf {
        self.root.join(rel)
    }

    /// Writes `text` to `rel` (creating folders); returns the folder for chaining.
    pub fn file(&self, rel: &str, text: &str) -> &Self {
        let path = self.path(rel);
        std::fs::create_dir_all(path.parent().unwrap_or(&self.root)).unwrap();
        std::fs::write(path, text).unwrap();
        self
    }
}

impl Default for Scratch {
    fn default() -> Self {
        Self::new()
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.root);
    }
}

/// Asserts that a finished program succeeded, showing its stderr if it did not.
pub fn assert_success(out: &std::process::Output) {
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A request for a background of `prompt` and `seed` at a size.
pub fn request(prompt: &str, seed: u64, width: u32, height: u32) -> BackgroundRequest {
    BackgroundRequest {
        prompt: prompt.into(),
        negative_prompt: String::new(),
        seed,
        width,
        height,
        backdrop: None,
    }
}
