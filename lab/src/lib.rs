//! The model lab: what reproduces and measures the built-in background model's weights, kept
//! out of the product (`lecturegen` holds what users run: the network, its codec, schedule and
//! vocabulary, and the sampler, which this crate shares).
//!
//! - [`data`]: the training pictures, drawn by the program itself, with their labels.
//! - [`train`]: training, `lecturegen-lab train-builtin` (the shipped weights' one command).
//! - [`stats`]: figures of a set of pictures (seed diversity, edge sharpness).
//! - [`sheet`]: contact sheets, `lecturegen-lab backgrounds`, and their figures against a
//!   reference sheet.

pub mod data;
pub mod sheet;
pub mod stats;
pub mod train;
