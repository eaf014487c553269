//! The overlay and frame stages: slides drawn, compared with golden pictures; themes, code and
//! math below the slide level.

pub mod golden;
mod typography;
