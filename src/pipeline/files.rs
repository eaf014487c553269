//! What a build writes besides the stages' results: slide picture names, stale pictures
//! removed, and the per-slide stage timings of the debug log.

use std::collections::BTreeSet;
use std::path::Path;
use std::time::Instant;

/// Times the stages of one slide, for `LECTUREGEN_LOG=debug`.
pub(super) struct StageClock {
    last: Instant,
    laps: Vec<(&'static str, f64)>,
}

impl StageClock {
    pub(super) fn start() -> Self {
        Self {
            last: Instant::now(),
            laps: Vec::new(),
        }
    }

    pub(super) fn lap(&mut self, stage: &'static str) {
        let now = Instant::now();
        self.laps
            .push((stage, (now - self.last).as_secs_f64() * 1000.0));
        self.last = now;
    }

    pub(super) fn laps(&self) -> String {
        let parts: Vec<String> = self
            .laps
            .iter()
            .map(|(stage, ms)| format!("{stage} {ms:.1} ms"))
            .collect();
        parts.join(", ")
    }
}

/// File name of page `page` (0-based) of slide `index` (0-based).
pub(super) fn page_image(index: usize, page: usize) -> String {
    if page == 0 {
        format!("slides/{:03}.jpg", index + 1)
    } else {
        format!("slides/{:03}-{}.jpg", index + 1, page + 1)
    }
}

/// Removes slide pictures of an earlier build that this build did not make.
pub(super) fn remove_unlisted(dir: &Path, keep: &BTreeSet<&str>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let name = format!("slides/{}", entry.file_name().to_string_lossy());
        if !keep.contains(name.as_str()) {
            let _ = std::fs::remove_file(entry.path());
        }
    }
}
