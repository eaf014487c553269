//! lecturegen turns a folder of markdown lecture notes into lecture videos and a static course
//! site.
//!
//! # Steps
//!
//! A build runs each lecture through these stages; each is a module with one entry verb and each
//! passes owned, fully resolved values to the next.
//!
//! 1. [`content::load`]: markdown + front matter -> [`content::Lecture`] with its slides.
//! 2. [`overlay::render`]: a slide -> one or more transparent text pages ([`overlay::Page`]),
//!    laid out through the `slide.toml` tera template and shaped with cosmic-text.
//! 3. [`background::generate`]: a [`background::BackgroundRequest`] -> an RGB picture, from a
//!    pluggable [`background::Backend`], cached by a stable key.
//! 4. [`frame::compose`]: background + page -> the final frame, with a panel under text where
//!    the background would make it illegible.
//! 5. [`video::write`]: frames + durations -> an H.264 MP4 (one IDR picture per slide).
//! 6. [`site::render_lecture`] and [`site::render_index`]: the lecture pages, chapters and the
//!    course index.
//!
//! [`build::build`] orchestrates the stages over a course and reports progress through
//! [`report::Reporter`]. [`watch`] turns file events into the smallest rebuild and [`serve`]
//! serves `output/` to a browser that reloads itself after each rebuild.

pub mod background;
pub mod build;
pub mod cache;
pub mod color;
pub mod config;
pub mod content;
pub mod fonts;
pub mod frame;
pub mod fsutil;
pub mod highlight;
pub mod labels;
pub mod math;
pub mod overlay;
pub mod report;
pub mod scaffold;
pub mod serve;
pub mod site;
pub mod templates;
pub mod video;
pub mod watch;
