//! The one integration test binary: fixture courses in, slides, videos and pages out.

mod support;
mod testfont;
mod typography;

mod browser;
mod build;
mod builtin;
mod content;
mod diffusion;
mod embed;
mod golden;
mod hardening;
mod hosts;
mod narration;
mod prose;
mod remote;
mod serve;
mod site;
mod sites;
mod video;
mod watch;
