//! Background: one picture per slide, from a pluggable [`Backend`], cached by a stable key.
//!
//! In: a [`BackgroundRequest`] (prompt, seed, size, or a picture named by Marp's `![bg](...)`).
//! Out: an RGB image of exactly the requested size. Backends see only the request, so a remote
//! backend (an inference server) fits behind the same trait.

use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use image::RgbImage;
use serde::Serialize;

use crate::cache::{key_of, Cache};
use crate::config::{BackendName, Config, DeviceName};
use crate::content::{Backdrop, Meta, Slide};

pub mod builtin;
mod gradient;
pub mod kernels;
pub mod remote;
pub mod rng;
pub mod sd;

pub use gradient::Gradient;

/// What a slide asks of the background stage.
#[derive(Debug, Clone, PartialEq, Serialize)]
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
    /// Pictures to use instead of generating one (Marp `![bg](...)`).
    pub backdrop: Option<Backdrop>,
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

    /// Files whose contents determine the pictures (model weights); their digests join the
    /// backend's [`id`](Self::id) in cache keys.
    fn files(&self) -> Vec<PathBuf> {
        Vec::new()
    }

    /// Pictures worth asking for at once (a remote pool's capacity); 1 for backends that use
    /// this machine's cores themselves.
    fn parallelism(&self) -> usize {
        1
    }

    /// Whether its pictures are kept in the cache. False for a backend that draws a picture
    /// in less time than the cache takes to write and read one back (6 MB at 1080p, digested
    /// both ways: ~30 ms here, against ~3 ms for the `none` gradient).
    fn worth_caching(&self) -> bool {
        true
    }
}

/// A backend whose id also names the digests of its files, computed once.
struct Keyed {
    inner: Box<dyn Backend>,
    id: String,
}

impl Backend for Keyed {
    fn id(&self) -> String {
        self.id.clone()
    }

    fn generate_steps(
        &self,
        request: &BackgroundRequest,
        steps: &dyn Fn(usize, usize),
    ) -> Result<RgbImage> {
        self.inner.generate_steps(request, steps)
    }

    fn files(&self) -> Vec<PathBuf> {
        self.inner.files()
    }

    fn parallelism(&self) -> usize {
        self.inner.parallelism()
    }

    fn worth_caching(&self) -> bool {
        self.inner.worth_caching()
    }
}

/// The backend called `name`, set up from the configuration (the diffusion backends check
/// their weights here, before any slide is made). Its id names the contents of its weights
/// (by digest, memoised by size and modification time), not where they are.
pub fn backend(name: BackendName, config: &Config, root: &Path) -> Result<Box<dyn Backend>> {
    let inner: Box<dyn Backend> = match name {
        BackendName::None => Box::new(Gradient::of_theme(&config.theme)),
        BackendName::Builtin => Box::new(builtin::Builtin::shipped()?),
        BackendName::Remote => Box::new(remote::RemoteImages::new(config)?),
        _ => {
            let variant =
                sd::variant_of(name).with_context(|| format!("no model for backend `{name}`"))?;
            let d = &config.diffusion;
            let options = sd::Options {
                steps: d.steps.unwrap_or(variant.steps),
                guidance: d.guidance.unwrap_or(variant.guidance),
                size: d.size.unwrap_or(variant.size),
                tile: d.tile,
            };
            let device = match d.device {
                DeviceName::Cpu => candle_core::Device::Cpu,
                DeviceName::Cuda => candle_core::Device::new_cuda(0).context(
                    "diffusion.device = \"cuda\" needs a build with `--features cuda` and an \
                     NVIDIA GPU",
                )?,
            };
            let weights = d.weights.as_ref().map(|w| root.join(w));
            Box::new(sd::StableDiffusion::new(
                variant,
                weights.as_deref(),
                options,
                device,
            )?)
        }
    };
    let files = inner.files();
    if files.is_empty() {
        return Ok(inner);
    }
    let digests = files
        .iter()
        .map(|f| crate::media::digest(f))
        .collect::<Result<Vec<_>>>()?;
    let id = format!("{}/{}", inner.id(), &key_of("weights", 1, &digests)[..16]);
    Ok(Box::new(Keyed { inner, id }))
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
        backdrop: slide.backdrop.clone(),
    }
}

/// What [`generate`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    /// Made now.
    Generated,
    /// Read from the cache.
    Cached,
    /// Drawn now by a backend not [worth caching](Backend::worth_caching), as a slide's
    /// text is: not counted as a background made.
    Drawn,
}

/// The cache key of the picture for `request` from `backend`: its parameters and the
/// backend's id, or the digest of the picture named instead.
pub fn key(backend: &dyn Backend, request: &BackgroundRequest) -> Result<String> {
    /// What a background's cache key is made of.
    #[derive(Serialize)]
    struct BackgroundKey<'a> {
        prompt: &'a str,
        negative_prompt: &'a str,
        seed: u64,
        width: u32,
        height: u32,
        /// The backend's id, or the digest of the picture used instead.
        backend: Option<String>,
        image: Option<String>,
    }
    // One picture: its digest; several: theirs joined, and how they are stacked.
    let image_digest = match &request.backdrop {
        Some(backdrop) => {
            let digests: Vec<String> = backdrop
                .images
                .iter()
                .map(|p| crate::media::digest(p))
                .collect::<Result<_>>()?;
            let stacked = if backdrop.vertical { " vertical" } else { "" };
            Some(format!("{}{stacked}", digests.join("+")))
        }
        None => None,
    };
    Ok(key_of(
        "background",
        1,
        &BackgroundKey {
            prompt: &request.prompt,
            negative_prompt: &request.negative_prompt,
            seed: request.seed,
            width: request.width,
            height: request.height,
            backend: image_digest.is_none().then(|| backend.id()),
            image: image_digest,
        },
    ))
}

/// The cached picture of `key`, if it is there and has the size `request` asks.
pub fn cached(cache: &Cache, key: &str, request: &BackgroundRequest) -> Option<RgbImage> {
    cache
        .get("backgrounds", key)
        .and_then(|b| decode_raw(&b))
        .filter(|image| image.dimensions() == (request.width, request.height))
}

/// Puts a picture made elsewhere (`lecturegen cache import`) in the cache under `key`.
pub fn store(cache: &Cache, key: &str, image: &RgbImage) {
    cache.put("backgrounds", key, &encode_raw(image));
}

/// The picture for `request`: from the cache when its key is there, else from the backend (or
/// the named image file), then cached. `steps(done, total)` reports denoising progress.
pub fn generate(
    backend: &dyn Backend,
    request: &BackgroundRequest,
    cache: &Cache,
    steps: &dyn Fn(usize, usize),
) -> Result<(RgbImage, Source)> {
    let kept = request.backdrop.is_some() || backend.worth_caching();
    let key = key(backend, request)?;
    if let Some(image) = kept.then(|| cached(cache, &key, request)).flatten() {
        return Ok((image, Source::Cached));
    }
    let image = match &request.backdrop {
        Some(backdrop) => crate::media::cover_files(
            &backdrop.images,
            backdrop.vertical,
            request.width,
            request.height,
        )?,
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
    if !kept {
        return Ok((image, Source::Drawn));
    }
    store(cache, &key, &image);
    Ok((image, Source::Generated))
}

/// Makes the pictures of `requests` (each with its key) with up to
/// [`Backend::parallelism`] requests at once, caching each as it arrives. Returns the keys
/// that failed, with why; `done(key)` is called after each success.
pub fn generate_many(
    backend: &dyn Backend,
    requests: &[(String, BackgroundRequest)],
    cache: &Cache,
    done: &(dyn Fn(&str) + Sync),
) -> std::collections::HashMap<String, String> {
    let next = std::sync::atomic::AtomicUsize::new(0);
    let failed = std::sync::Mutex::new(std::collections::HashMap::new());
    let workers = backend.parallelism().clamp(1, requests.len().max(1));
    std::thread::scope(|scope| {
        for _ in 0..workers {
            scope.spawn(|| loop {
                let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                let Some((key, request)) = requests.get(i) else {
                    break;
                };
                match generate(backend, request, cache, &|_, _| {}) {
                    Ok(_) => done(key),
                    Err(e) => {
                        if let Ok(mut failed) = failed.lock() {
                            failed.insert(key.clone(), format!("{e:#}"));
                        }
                    }
                }
            });
        }
    });
    failed.into_inner().unwrap_or_default()
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
