//! lecturegen turns a folder of markdown lecture notes into lecture videos and a static course
//! site.
//!
//! # Steps
//!
//! A build runs each lecture through these stages; each is a module with one entry verb and each
//! passes owned, fully resolved values to the next. Only [`content`] reads the notes, and the
//! later stages read the files the notes name (pictures, weights) only through [`media`].
//!
//! 1. [`content::load`]: markdown + front matter -> [`content::Lecture`] with its slides
//!    ([`content::discover`] finds the lectures of a content folder; other front ends hand the
//!    build their own list).
//!    Paragraphs of prose become [`content::points`]: a short point shown while the
//!    paragraph is read ([`points`] lets a text model write them, before the overlay).
//! 2. [`overlay::render`]: a slide -> one or more transparent text pages ([`overlay::Page`]),
//!    laid out through the `slide.toml` tera template and shaped with cosmic-text.
//! 3. [`background::generate`]: a [`background::BackgroundRequest`] -> an RGB picture, from a
//!    pluggable [`background::Backend`] (the built-in model, Stable Diffusion, inference
//!    servers, gradients), cached by a stable key.
//! 4. [`narration`]: beside the pictures, each slide's notes (or visible text) spoken by a
//!    [`narration::Voice`], cached per caption chunk ([`reading`] cuts the chunks).
//! 5. [`frame::compose`]: background + page -> the final frame, with a panel under text where
//!    the background would make it illegible; it returns the panels it drew.
//! 6. [`timeline::plan`]: how long each slide and page is on screen (its speech, or the time
//!    to read it), and the chapter times.
//! 7. [`video::write`]: encoded pictures + times (+ the AAC speech track) -> an MP4 (one IDR
//!    picture per slide, [`video::encode`]; speech by [`video::encode_aac`]).
//! 8. [`site`]: the lecture's tracks and page ([`site::tracks`], [`site::lecture_page`]) and
//!    the course index ([`site::render_index`]); or, for a site another generator builds
//!    ([`host`]), the [`site::manifest`] and the [`site::player`] its pages embed.
//!
//! [`pipeline`] runs the stages: [`pipeline::Workspace`] builds each lecture as load -> slides
//! -> assemble -> publish over a [`project::Project`], publishing through a
//! [`pipeline::Publisher`] (lecturegen's own site or a host's, the one place that tells them
//! apart), and reports progress through [`report::Reporter`]; its keys ([`cache::key_of`])
//! make a rebuild redo only what changed. [`watch`] turns file events into the smallest
//! rebuild and [`serve`] serves `output/` to a browser that reloads itself after each rebuild.
//! [`config`] is the configuration file (a leaf: it depends on no stage), [`diag`] the
//! file:line:column messages every stage reports and [`remote`] the HTTP client of the engines
//! that run on other machines. The built-in model's training lives in the `lecturegen-lab`
//! crate (`lab/`), which shares this crate's network.

pub mod background;
pub mod cache;
pub mod color;
pub mod config;
pub mod content;
pub mod diag;
pub mod diagram;
pub mod fonts;
pub mod frame;
pub mod fsutil;
pub mod handout;
pub mod highlight;
pub mod host;
pub mod labels;
pub mod math;
pub mod media;
pub mod narration;
pub mod overlay;
pub mod pipeline;
pub mod points;
pub mod project;
pub mod reading;
pub mod remote;
pub mod report;
pub mod scaffold;
pub mod serve;
pub mod site;
pub mod templates;
pub mod timeline;
pub mod video;
pub mod watch;
