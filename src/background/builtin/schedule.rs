//! The noise schedule the built-in model is trained and sampled on.

/// The noise schedule's shift ([`alpha_sigma`]). Scaled per channel (v3-v5), most of the
/// latent's variance is the picture's overall colour, shared by all 960 grid points: under
/// the plain cosine schedule it is settled by about t = 0.97 (its signal-to-noise ratio,
/// summed over the grid, passes 1 there), in the first of 30 steps. The v3 weights, trained
/// without a shift, drew every "gradient" seed the same flat colour (seed diversity 0.30 of
/// the training pictures'; v4 0.60 and v5 0.66, with their other changes). A shift of 1/2
/// lowers the log signal-to-noise ratio by 1.4 everywhere.
pub const SHIFT: f32 = 0.5;

/// The cosine schedule with its signal-to-noise ratio scaled by `shift`²: signal and noise
/// weights at level `t` in [0, 1]. A shift below 1 spends more of training and sampling at
/// high noise, where a picture's overall colour and layout are decided (see [`SHIFT`]).
pub fn alpha_sigma(t: f32, shift: f32) -> (f32, f32) {
    let (sin, cos) = (t * std::f32::consts::FRAC_PI_2).sin_cos();
    let norm = (shift * shift * cos * cos + sin * sin).sqrt();
    (shift * cos / norm, sin / norm)
}
