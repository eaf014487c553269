//! Stable Diffusion's three models on the CPU, channels-last: this project's own
//! implementations over [`nhwc`] building blocks, reading the same weights as
//! candle-transformers' models and computing the same result (tested) several times faster.

pub mod clip;
pub mod nhwc;
pub mod unet;
pub mod vae;
