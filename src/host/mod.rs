//! Publishing lectures in a site another generator builds (mdBook, Hugo, Jekyll, Zola, Quarto).
//!
//! The host site's pages are the notes. A build in host mode ([`crate::config::SiteConfig`])
//! writes each lecture's media to the host's static files and `lectures.json` to its data
//! folder; the page gets the player from a preprocessor ([`mdbook`]) or from a template snippet
//! that [`integrate`] installs.

pub mod integrate;
pub mod mdbook;
