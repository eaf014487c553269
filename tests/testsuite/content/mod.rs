//! The content stage: notes to slides.

mod generator_syntax;
mod notes;
mod prose;
