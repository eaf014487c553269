//! Background backends: the built-in model and Stable Diffusion with tiny weights.

mod builtin;
mod diffusion;
