//! Frame: a background and a text page composed into the picture that is encoded.
//!
//! In: an RGB background and a [`crate::overlay::Page`]. Out: the RGB frame and, per text
//! box, the panel it got. Under each text box the background is measured and the least opaque panel
//! is added that lifts the WCAG contrast of the text to the box's minimum (4.5 by default); a calm
//! background gets no panel at all.

use image::RgbImage;

use crate::color::{contrast, luminance, Rgb};
use crate::overlay::{Page, TextBox};

/// Share of sampled pixels allowed below the contrast target (isolated specks under a glyph do
/// not need a darker panel for the whole box).
const OUTLIER_SHARE: f32 = 0.005;

/// A composed frame and what was drawn under its text.
#[derive(Debug, Clone)]
pub struct Composed {
    /// The picture to encode.
    pub frame: RgbImage,
    /// One per text box of the page, in the page's order.
    pub panels: Vec<Panel>,
}

/// The panel drawn under one text box (the legibility report prints these).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Panel {
    /// Lowest contrast of the text on what was behind the box before the panel.
    pub bare_contrast: f32,
    /// Opacity of the panel, 0 when none was needed.
    pub alpha: f32,
}

/// Composes `page` over `background` (same size).
pub fn compose(background: &RgbImage, page: &Page) -> Composed {
    let mut frame = background.clone();
    let mut panels = Vec::with_capacity(page.boxes.len());
    for b in &page.boxes {
        let samples = sample(&frame, b);
        let bare = bare_contrasts(&samples, b);
        let alpha = alpha_for(&samples, &bare, b);
        let bare_contrast = worst_of(bare);
        if alpha > 0.0 {
            fill(&mut frame, b, b.panel, alpha);
        }
        panels.push(Panel {
            bare_contrast,
            alpha,
        });
    }
    for (dst, src) in frame.pixels_mut().zip(page.image.pixels()) {
        let a = src[3] as u32;
        if a == 0 {
            continue;
        }
        for c in 0..3 {
            dst[c] = ((src[c] as u32 * a + dst[c] as u32 * (255 - a) + 127) / 255) as u8;
        }
    }
    Composed { frame, panels }
}

/// Opacity of the panel that `b` needs over `image`, in steps of 1/64; 0 when none is needed.
pub fn panel_alpha(image: &RgbImage, b: &TextBox) -> f32 {
    let samples = sample(image, b);
    alpha_for(&samples, &bare_contrasts(&samples, b), b)
}

/// The contrast of the text on each sample.
fn bare_contrasts(samples: &[[u8; 3]], b: &TextBox) -> Vec<f32> {
    let text = b.text.luminance();
    samples
        .iter()
        .map(|px| contrast(text, luminance(*px)))
        .collect()
}

fn alpha_for(samples: &[[u8; 3]], bare: &[f32], b: &TextBox) -> f32 {
    if samples.is_empty() {
        return 0.0;
    }
    let text = b.text.luminance();
    let allowed = (samples.len() as f32 * OUTLIER_SHARE) as usize;
    if bare.iter().filter(|&&c| c < b.min_contrast).count() <= allowed {
        return 0.0;
    }
    let passes = |alpha: f32| {
        let failing = samples
            .iter()
            .filter(|px| contrast(text, luminance(mix(**px, b.panel, alpha))) < b.min_contrast)
            .count();
        failing <= allowed
    };
    let (mut lo, mut hi) = (0u32, 64u32);
    if !passes(1.0) {
        return 1.0;
    }
    while hi - lo > 1 {
        let mid = (lo + hi) / 2;
        if passes(mid as f32 / 64.0) {
            hi = mid;
        } else {
            lo = mid;
        }
    }
    hi as f32 / 64.0
}

/// The lowest contrast of text against what is behind its box (for reports and tests).
pub fn worst_contrast(frame: &RgbImage, b: &TextBox) -> f32 {
    worst_of(bare_contrasts(&sample(frame, b), b))
}

fn worst_of(mut values: Vec<f32>) -> f32 {
    let skip = (values.len() as f32 * OUTLIER_SHARE) as usize;
    if skip >= values.len() {
        return 21.0;
    }
    *values.select_nth_unstable_by(skip, f32::total_cmp).1
}

/// Every third pixel of the box, each way.
fn sample(image: &RgbImage, b: &TextBox) -> Vec<[u8; 3]> {
    let x1 = (b.x + b.width).min(image.width());
    let y1 = (b.y + b.height).min(image.height());
    let mut out = Vec::new();
    for y in (b.y..y1).step_by(3) {
        for x in (b.x..x1).step_by(3) {
            out.push(image.get_pixel(x, y).0);
        }
    }
    out
}

fn mix(px: [u8; 3], panel: Rgb, alpha: f32) -> [u8; 3] {
    let mut out = [0u8; 3];
    for c in 0..3 {
        out[c] = (px[c] as f32 * (1.0 - alpha) + panel.0[c] as f32 * alpha).round() as u8;
    }
    out
}

fn fill(image: &mut RgbImage, b: &TextBox, panel: Rgb, alpha: f32) {
    let x1 = (b.x + b.width).min(image.width());
    let y1 = (b.y + b.height).min(image.height());
    for y in b.y..y1 {
        for x in b.x..x1 {
            let px = image.get_pixel_mut(x, y);
            px.0 = mix(px.0, panel, alpha);
        }
    }
}
