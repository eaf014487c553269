//! Background: one picture per slide, from a pluggable [`Backend`], cached by a stable key.
//!
//! In: a [`BackgroundRequest`] (prompt, seed, size, or a picture named by Marp's `![bg](...)`).
//! Out: an RGB image of exactly the requested size. Backends see only the request, so a remote
//! backend (an inference server) fits behind the same trait.

use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use image::RgbImage;

use crate::cache::{Cache, Key};
use crate::color::Rgb;
use crate::config::Config;
use crate::content::{Meta, Slide};

pub mod builtin;
pub mod clip;
pub mod nhwc;
pub mod rng;
pub mod sd;
pub mod unet;
pub mod vae;

/// Backends this build knows, with what each needs.
pub const BACKENDS: &[(&str, &str)] = &[
    (
        "none",
        "theme-coloured gradients; needs nothing, draws in milliseconds",
    ),
    (
        "builtin",
        "a small diffusion model trained by this project; ships in the binary, needs nothing \
         (the default)",
    ),
    (
        "sd-turbo",
        "Stable Diffusion Turbo (stabilityai/sd-turbo): 1 step, no guidance; diffusers weights",
    ),
    (
        "sd21",
        "Stable Diffusion 2.1 (stabilityai/stable-diffusion-2-1): 30 steps, guidance 7.5",
    ),
    (
        "sdxl-turbo",
        "SDXL Turbo (stabilityai/sdxl-turbo): 1 step, no guidance; diffusers weights incl. \
         text_encoder_2/ and tokenizer_2/",
    ),
    (
        "sdxl",
        "SDXL base 1.0 (stabilityai/stable-diffusion-xl-base-1.0): 30 steps, guidance 5",
    ),
    (
        "sd15",
        "Stable Diffusion 1.5 (stable-diffusion-v1-5/stable-diffusion-v1-5): 30 steps, guidance 7.5",
    ),
];

/// What a slide asks of the background stage.
#[derive(Debug, Clone, PartialEq)]
pub struct BackgroundRequest {
    /// Positive prompt: lecture style + the slide's own prompt or title.
    pub prompt: String,
    /// What the picture must not show (text, letters), for models that take one.
    pub negative_prompt: String,
    /// Seed: from the slide directive, else the lecture seed and the slide index.
    pub seed: u64,
    /// Output width in pixels.
    pub width: u32,
    /// Output height in pixels.
    pub height: u32,
    /// A picture to use instead of generating one (Marp `![bg](...)`).
    pub image: Option<PathBuf>,
}

/// Makes pictures from requests.
pub trait Backend: Send + Sync {
    /// Identifies the backend and its weights: part of every cache key.
    fn id(&self) -> String;
    /// Makes one picture of exactly `request.width` x `request.height`, calling
    /// `steps(done, total)` as it advances (once, for backends without steps).
    fn generate_steps(
        &self,
        request: &BackgroundRequest,
        steps: &dyn Fn(usize, usize),
    ) -> Result<RgbImage>;

    /// [`generate_steps`](Self::generate_steps) without progress.
    fn generate(&self, request: &BackgroundRequest) -> Result<RgbImage> {
        self.generate_steps(request, &|_, _| {})
    }
}

/// Fails with the list of backends when `name` is not one.
pub fn check_backend_name(name: &str) -> Result<()> {
    if BACKENDS.iter().any(|(n, _)| *n == name) {
        return Ok(());
    }
    let names: Vec<&str> = BACKENDS.iter().map(|(n, _)| *n).collect();
    bail!("unknown backend `{name}`; available: {}", names.join(", "))
}

/// The backend called `name`, set up from the configuration (the diffusion backends check
/// their weights here, before any slide is made).
pub fn backend(name: &str, config: &Config, root: &Path) -> Result<Box<dyn Backend>> {
    check_backend_name(name)?;
    if name == "none" {
        let theme = &config.theme;
        return Ok(Box::new(Gradient {
            start: theme.background_start,
            end: theme.background_end,
            accent: theme.accent,
        }));
    }
    if name == "builtin" {
        return Ok(Box::new(builtin::Builtin::shipped()?));
    }
    let variant = sd::variant(name).with_context(|| format!("no model for backend `{name}`"))?;
    let d = &config.diffusion;
    let size = d.size.unwrap_or(variant.size);
    let options = sd::Options {
        steps: d.steps.unwrap_or(variant.steps),
        guidance: d.guidance.unwrap_or(variant.guidance),
        size,
        tile: d.tile,
    };
    let device = match d.device.as_str() {
        "cpu" => candle_core::Device::Cpu,
        "cuda" => candle_core::Device::new_cuda(0).context(
            "diffusion.device = \"cuda\" needs a build with `--features cuda` and an NVIDIA GPU",
        )?,
        other => bail!("diffusion.device `{other}`: expected cpu or cuda"),
    };
    let weights = d.weights.as_ref().map(|w| root.join(w));
    Ok(Box::new(sd::StableDiffusion::new(
        variant,
        weights.as_deref(),
        options,
        device,
    )?))
}

/// The request for one slide.
pub fn request(meta: &Meta, slide: &Slide, width: u32, height: u32) -> BackgroundRequest {
    let subject = slide
        .background
        .clone()
        .unwrap_or_else(|| slide.title.clone());
    let prompt = [meta.background.as_str(), subject.as_str()]
        .into_iter()
        .filter(|s| !s.trim().is_empty())
        .collect::<Vec<_>>()
        .join(", ");
    let seed = slide.seed.unwrap_or_else(|| {
        meta.seed
            .wrapping_mul(0x9E37_79B9_7F4A_7C15)
            .wrapping_add(slide.index as u64)
    });
    BackgroundRequest {
        prompt,
        negative_prompt: "text, letters, words, watermark, signature, logo".into(),
        seed,
        width,
        height,
        image: slide.background_image.clone(),
    }
}

/// What [`generate`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    /// Made now.
    Generated,
    /// Read from the cache.
    Cached,
}

/// The picture for `request`: from the cache when its key is there, else from the backend (or
/// the named image file), then cached. `steps(done, total)` reports denoising progress.
pub fn generate(
    backend: &dyn Backend,
    request: &BackgroundRequest,
    cache: &Cache,
    steps: &dyn Fn(usize, usize),
) -> Result<(RgbImage, Source)> {
    let image_bytes = match &request.image {
        Some(path) => {
            Some(std::fs::read(path).with_context(|| format!("reading {}", path.display()))?)
        }
        None => None,
    };
    let mut key = Key::new("background");
    key.add_str(&request.prompt)
        .add_str(&request.negative_prompt)
        .add(&request.seed.to_le_bytes())
        .add(&request.width.to_le_bytes())
        .add(&request.height.to_le_bytes());
    match &image_bytes {
        Some(bytes) => key.add_str("image").add(bytes),
        None => key.add_str(&backend.id()),
    };
    let key = key.hex();
    if let Some(image) = cache.get("backgrounds", &key).and_then(|b| decode_raw(&b)) {
        if image.dimensions() == (request.width, request.height) {
            return Ok((image, Source::Cached));
        }
    }
    let image = match image_bytes {
        Some(bytes) => cover(&bytes, request.width, request.height).with_context(|| {
            format!(
                "background image {}",
                request
                    .image
                    .as_ref()
                    .map(|p| p.display().to_string())
                    .unwrap_or_default()
            )
        })?,
        None => backend.generate_steps(request, steps)?,
    };
    if image.dimensions() != (request.width, request.height) {
        bail!(
            "backend {} made a {}x{} picture for a {}x{} request",
            backend.id(),
            image.width(),
            image.height(),
            request.width,
            request.height
        );
    }
    cache.put("backgrounds", &key, &encode_raw(&image));
    Ok((image, Source::Generated))
}

fn encode_raw(image: &RgbImage) -> Vec<u8> {
    let mut out = Vec::with_capacity(8 + image.as_raw().len());
    out.extend_from_slice(&image.width().to_le_bytes());
    out.extend_from_slice(&image.height().to_le_bytes());
    out.extend_from_slice(image.as_raw());
    out
}

fn decode_raw(bytes: &[u8]) -> Option<RgbImage> {
    let w = u32::from_le_bytes(bytes.get(0..4)?.try_into().ok()?);
    let h = u32::from_le_bytes(bytes.get(4..8)?.try_into().ok()?);
    RgbImage::from_raw(w, h, bytes.get(8..)?.to_vec())
}

/// Scales and crops a picture to cover `width` x `height` (CSS `background-size: cover`).
pub fn cover(bytes: &[u8], width: u32, height: u32) -> Result<RgbImage> {
    let mut reader = image::ImageReader::new(std::io::Cursor::new(bytes)).with_guessed_format()?;
    let mut limits = image::Limits::default();
    limits.max_image_width = Some(16_384);
    limits.max_image_height = Some(16_384);
    limits.max_alloc = Some(512 * 1024 * 1024);
    reader.limits(limits);
    let img = reader.decode()?.to_rgb8();
    let scale =
        (width as f32 / img.width().max(1) as f32).max(height as f32 / img.height().max(1) as f32);
    let sw = ((img.width() as f32 * scale).ceil() as u32).max(width);
    let sh = ((img.height() as f32 * scale).ceil() as u32).max(height);
    let scaled = image::imageops::resize(&img, sw, sh, image::imageops::FilterType::CatmullRom);
    let x = (sw - width) / 2;
    let y = (sh - height) / 2;
    Ok(image::imageops::crop_imm(&scaled, x, y, width, height).to_image())
}

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

pub(crate) fn hash2(x: u32, y: u32) -> u32 {
    let mut h = x.wrapping_mul(0x8DA6_B343) ^ y.wrapping_mul(0xD816_3841);
    h ^= h >> 15;
    h = h.wrapping_mul(0x2C1B_3C6D);
    h ^= h >> 12;
    h
}
