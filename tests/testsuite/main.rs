//! The one integration test binary: fixture courses in, slides, videos and pages out. Grouped
//! as the pipeline is (`src/lib.rs`): each folder tests one stage, the last ones whole builds
//! and what runs around them.

mod support;

mod background;
mod content;
mod narration;
mod overlay;
mod pipeline;
mod remote;
mod serve;
mod site;
mod steps;
mod video;
mod voices;
mod watch;
