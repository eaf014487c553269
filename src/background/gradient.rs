//! The `none` backend: theme colours only, drawn in milliseconds.

use anyhow::Result;
use image::RgbImage;

use super::kernels::hash2;
use super::{rng, Backend, BackgroundRequest};
use crate::color::Rgb;

/// The `none` backend: a diagonal gradient between two theme colours with a soft glow of the
/// accent colour, placed by the seed. Dithered, so no banding at 8 bits.
pub struct Gradient {
    /// Top-left colour.
    pub start: Rgb,
    /// Bottom-right colour.
    pub end: Rgb,
    /// Glow colour.
    pub accent: Rgb,
}

impl Backend for Gradient {
    fn id(&self) -> String {
        format!(
            "none/gradient-v1/{}/{}/{}",
            self.start, self.end, self.accent
        )
    }

    fn generate_steps(
        &self,
        request: &BackgroundRequest,
        steps: &dyn Fn(usize, usize),
    ) -> Result<RgbImage> {
        let picture = self.draw(request);
        steps(1, 1);
        Ok(picture)
    }
}

impl Gradient {
    fn draw(&self, request: &BackgroundRequest) -> RgbImage {
        let (w, h) = (request.width, request.height);
        let mut rng = rng::Rng(request.seed);
        let angle = rng.f() * std::f32::consts::TAU;
        let (dx, dy) = (angle.cos(), angle.sin());
        let (gx, gy) = (0.2 + 0.6 * rng.f(), 0.2 + 0.6 * rng.f());
        let glow_radius = 0.35 + 0.3 * rng.f();
        let glow_strength = 0.10 + 0.08 * rng.f();
        let s = self.start.0.map(f32::from);
        let e = self.end.0.map(f32::from);
        let a = self.accent.0.map(f32::from);
        let aspect = w as f32 / h.max(1) as f32;
        let mut image = RgbImage::new(w, h);
        for (x, y, px) in image.enumerate_pixels_mut() {
            let u = x as f32 / w.max(1) as f32;
            let v = y as f32 / h.max(1) as f32;
            let t = (((u - 0.5) * dx * aspect + (v - 0.5) * dy)
                / (0.5 * (aspect * dx.abs() + dy.abs()))
                * 0.5
                + 0.5)
                .clamp(0.0, 1.0);
            let t = t * t * (3.0 - 2.0 * t);
            let d = (((u - gx) * aspect).powi(2) + (v - gy).powi(2)).sqrt() / glow_radius;
            let glow = glow_strength * (-d * d).exp();
            // Ordered dither: a fixed hash of the position, +-0.5 of a level.
            let dither = (hash2(x, y) as f32 / u32::MAX as f32) - 0.5;
            for c in 0..3 {
                let base = s[c] + (e[c] - s[c]) * t;
                let v = base + (a[c] - base) * glow + dither;
                px.0[c] = v.round().clamp(0.0, 255.0) as u8;
            }
        }
        image
    }
}
