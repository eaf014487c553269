//! The content stage: notes to slides.

mod dialects;
mod generator_syntax;
mod notes;
mod points;
mod prose;
