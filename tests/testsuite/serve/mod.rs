//! `lecturegen serve`: the server itself, and a real browser on it.

mod browser;
pub mod server;
