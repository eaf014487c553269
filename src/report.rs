//! Progress and messages from a build. The library only calls this trait; the CLI draws it with
//! indicatif on a terminal, tests collect it, and [`Silent`] drops it.

/// What a build tells its caller while it runs.
pub trait Reporter: Sync {
    /// The build found `count` lectures.
    fn lectures(&self, _count: usize) {}
    /// A lecture with `slides` slides starts.
    fn lecture_started(&self, _name: &str, _slides: usize) {}
    /// The background of slide `slide` (0-based) has made `done` of its `total` steps.
    fn background_step(&self, _slide: usize, _done: usize, _total: usize) {}
    /// `done` of the `total` backgrounds asked of a remote pool before the slides are drawn
    /// have arrived.
    fn backgrounds_arrived(&self, _done: usize, _total: usize) {}
    /// The voice has just spoken `caption` (not from the cache) on slide `slide` (0-based).
    fn sentence_spoken(&self, _slide: usize, _caption: &str) {}
    /// One slide of the current lecture is done.
    fn slide_done(&self) {}
    /// A lecture is done (built or failed).
    fn lecture_finished(&self, _name: &str) {}
    /// Something worth knowing that did not stop anything, naming file and line.
    fn warning(&self, _message: &str) {}
    /// A lecture failed: `file:line:col: what`.
    fn error(&self, _message: &str) {}
}

/// Reports nothing.
pub struct Silent;

impl Reporter for Silent {}
