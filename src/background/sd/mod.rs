//! The Stable Diffusion family: SD 1.5, SD 2.1, SD-Turbo, SDXL and SDXL-Turbo.
//!
//! Weights are read from a folder in the diffusers layout (`unet/`, `vae/`, `text_encoder/`,
//! `tokenizer/`) or found in the Hugging Face cache. A picture is made in three phases, each
//! model loaded only for its phase and dropped after it, so the UNet and the VAE are never in
//! memory together: CLIP encodes the prompt, the UNet denoises the latents (Euler ancestral,
//! seeded noise, so the same request gives the same picture), and the VAE decodes the latents,
//! in overlapping tiles blended together when asked (memory follows the tile, not the picture).
//! The picture is made at the frame's aspect ratio and then scaled to the frame.
//!
//! On the CPU in f32 the three models are this project's channels-last implementations
//! ([`cpu::clip`], [`cpu::unet`], [`cpu::vae`]), which read the same weights and compute
//! what candle-transformers' models do (tested) several times faster; on a GPU, candle's.

pub mod cpu;
mod scheduler;
mod tiling;
mod tokenizer;
mod variants;
mod weights;

use std::path::Path;

use anyhow::{bail, Context, Result};
use candle_core::{DType, Device, Tensor};
use candle_nn::VarBuilder;
use candle_transformers::models::clip::text_model::ClipTextTransformer;
use candle_transformers::models::stable_diffusion::clip as sd_clip;
use candle_transformers::models::stable_diffusion::unet_2d::UNet2DConditionModel;
use candle_transformers::models::stable_diffusion::vae::AutoEncoderKL;
use image::RgbImage;
use tokenizers::Tokenizer;

use super::{Backend, BackgroundRequest};
use crate::cache::Key;
use scheduler::{Normal, Schedule};
pub use tiling::{decode_tiled, vae_factor};
pub use tokenizer::clip_tokenizer;
pub use variants::{variant, variant_of, Prediction, TextEncoder, Variant};
pub use weights::{locate, MissingWeights, Weights};

enum LoadedText {
    Clip(ClipTextTransformer),
    OpenClip(sd_clip::ClipTextTransformer),
    Ours(cpu::clip::TextEncoder),
}

impl LoadedText {
    fn forward(&self, ids: &[u32], device: &Device) -> Result<Tensor> {
        let tensor = || Tensor::new(ids, device)?.unsqueeze(0);
        Ok(match self {
            Self::Clip(m) => m.forward_with_mask(&tensor()?, usize::MAX)?,
            Self::OpenClip(m) => m.forward_with_mask(&tensor()?, usize::MAX)?,
            Self::Ours(m) => m.forward(ids)?,
        })
    }
}

/// Generation settings, from the variant's defaults and the configuration.
#[derive(Debug, Clone)]
pub struct Options {
    /// Denoising steps.
    pub steps: usize,
    /// Classifier-free guidance scale.
    pub guidance: f64,
    /// Generation size (multiples of the VAE factor times 8).
    pub size: (usize, usize),
    /// Latent tile edge for the VAE decode; `None`: the default of the decoder in use (see
    /// `DiffusionConfig::tile`).
    pub tile: Option<usize>,
}

/// A Stable Diffusion backend.
pub struct StableDiffusion {
    variant: Variant,
    weights: Weights,
    options: Options,
    device: Device,
    dtype: DType,
    id: String,
    /// One picture at a time: slides are made in parallel, and two UNets side by side would
    /// double the memory for no gain on the same cores.
    busy: std::sync::Mutex<()>,
}

impl StableDiffusion {
    /// Locates the weights and checks them; the models are loaded when a picture is made.
    pub fn new(
        variant: Variant,
        weights_dir: Option<&Path>,
        mut options: Options,
        device: Device,
    ) -> Result<Self> {
        let weights = locate(&variant, weights_dir)?;
        // The UNet halves the latents once per block after the first: the picture must divide
        // evenly all the way down.
        let multiple = vae_factor(&variant.vae) << variant.unet.blocks.len().saturating_sub(1);
        options.size = (
            (options.size.0 / multiple).max(1) * multiple,
            (options.size.1 / multiple).max(1) * multiple,
        );
        // f16 halves memory and time on a GPU; on a CPU it is no faster (measured), so f32.
        let dtype = if device.is_cuda() {
            DType::F16
        } else {
            DType::F32
        };
        let mut key = Key::new("stable-diffusion");
        key.add_str(variant.name)
            .add(&options.steps.to_le_bytes())
            .add(&options.guidance.to_le_bytes())
            .add(&options.size.0.to_le_bytes())
            .add(&options.size.1.to_le_bytes());
        let id = format!("{}/{}", variant.name, &key.hex()[..16]);
        Ok(Self {
            variant,
            weights,
            options,
            device,
            dtype,
            id,
            busy: std::sync::Mutex::new(()),
        })
    }

    /// Where the weights were found.
    pub fn weights(&self) -> &Weights {
        &self.weights
    }

    fn tokenizer(t: &Path) -> Result<Tokenizer> {
        if t.is_file() {
            return Tokenizer::from_file(t).map_err(|e| anyhow::anyhow!("{}: {e}", t.display()));
        }
        clip_tokenizer(&t.join("vocab.json"), &t.join("merges.txt"))
    }

    /// Token ids of a prompt, with start and end tokens, padded to the encoder's length.
    fn tokens(&self, tokenizer: &Tokenizer, max: usize, prompt: &str) -> Result<Vec<u32>> {
        let id = |t: &str| tokenizer.token_to_id(t);
        let (Some(bos), Some(eos)) = (id("<|startoftext|>"), id("<|endoftext|>")) else {
            bail!("the tokenizer has no <|startoftext|> / <|endoftext|> tokens");
        };
        let pad = self.variant.pad_with.and_then(id).unwrap_or(eos);
        let encoding = tokenizer
            .encode(prompt, false)
            .map_err(|e| anyhow::anyhow!("tokenizing the prompt: {e}"))?;
        let mut ids = vec![bos];
        ids.extend(
            encoding
                .get_ids()
                .iter()
                .copied()
                .take(max.saturating_sub(2)),
        );
        ids.push(eos);
        ids.resize(max, pad);
        Ok(ids)
    }

    fn text_embeddings(&self, request: &BackgroundRequest, guided: bool) -> Result<Tensor> {
        let mut prompts = vec![request.prompt.as_str()];
        if guided {
            prompts.insert(0, request.negative_prompt.as_str());
        }
        let mut states = self.encode(
            &self.variant.clip,
            &self.weights.text_encoder,
            &self.weights.tokenizer,
            &prompts,
        )?;
        if let (Some(clip2), Some((encoder, tokenizer))) =
            (&self.variant.clip2, &self.weights.second)
        {
            let second = self.encode(clip2, encoder, tokenizer, &prompts)?;
            states = Tensor::cat(&[states, second], candle_core::D::Minus1)?;
        }
        Ok(states.to_dtype(self.dtype)?)
    }

    /// Hidden states of one text encoder for each prompt, stacked; the encoder is dropped
    /// before this returns.
    fn encode(
        &self,
        kind: &TextEncoder,
        weights: &Path,
        tokenizer: &Path,
        prompts: &[&str],
    ) -> Result<Tensor> {
        let tokenizer = Self::tokenizer(tokenizer)?;
        // SAFETY (mmap): the weights file is not modified while it is mapped; it belongs to
        // the user's model folder and is only read.
        let vb =
            unsafe { VarBuilder::from_mmaped_safetensors(&[weights], DType::F32, &self.device)? };
        let clip = match kind {
            _ if self.ours() => {
                let shape = match kind {
                    TextEncoder::Clip(config) => cpu::clip::Shape::of(config),
                    TextEncoder::OpenClipH => cpu::clip::Shape::open_clip_h(),
                    TextEncoder::OpenClipBigG => cpu::clip::Shape::open_clip_big_g(),
                };
                LoadedText::Ours(cpu::clip::TextEncoder::load(vb.pp("text_model"), shape)?)
            }
            TextEncoder::Clip(config) => {
                LoadedText::Clip(ClipTextTransformer::new(vb.pp("text_model"), config)?)
            }
            TextEncoder::OpenClipH => LoadedText::OpenClip(sd_clip::ClipTextTransformer::new(
                vb,
                &sd_clip::Config::v2_1(),
            )?),
            TextEncoder::OpenClipBigG => LoadedText::OpenClip(sd_clip::ClipTextTransformer::new(
                vb,
                &sd_clip::Config::sdxl2(),
            )?),
        };
        let states = prompts
            .iter()
            .map(|prompt| -> Result<Tensor> {
                let ids = self.tokens(&tokenizer, kind.max_tokens(), prompt)?;
                clip.forward(&ids, &self.device)
                    .with_context(|| format!("running the text encoder {}", weights.display()))
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(Tensor::cat(&states, 0)?)
    }

    fn denoise(
        &self,
        emb: &Tensor,
        seed: u64,
        guided: bool,
        steps: &dyn Fn(usize, usize),
    ) -> Result<Tensor> {
        // SAFETY (mmap): as for the text encoder.
        let vb = unsafe {
            VarBuilder::from_mmaped_safetensors(&[&self.weights.unet], self.dtype, &self.device)?
        };
        let config = &self.variant.unet;
        type Forward<'a> = Box<dyn Fn(&Tensor, f64, &Tensor) -> Result<Tensor> + 'a>;
        let unet: Forward = if self.ours() && cpu::unet::UNet::supports(config) {
            let unet = cpu::unet::UNet::load(vb, 4, config).context("loading the UNet")?;
            Box::new(move |x, t, e| unet.forward(x, t, e))
        } else {
            let unet = UNet2DConditionModel::new(vb, 4, 4, false, config.clone())
                .context("loading the UNet")?;
            Box::new(move |x, t, e| Ok(unet.forward(x, t, e)?))
        };
        let factor = vae_factor(&self.variant.vae);
        let (w, h) = self.options.size;
        let shape = (1, self.variant.vae.latent_channels, h / factor, w / factor);
        let mut rng = Normal::new(seed);
        let schedule = Schedule::new(self.options.steps);
        let noise = rng.tensor(shape, &self.device)?;
        let mut x = (noise * schedule.sigmas[0])?;
        for (i, &t) in schedule.timesteps.iter().enumerate() {
            let (sigma, next) = (schedule.sigmas[i], schedule.sigmas[i + 1]);
            let input = (&x / (sigma * sigma + 1.0).sqrt())?;
            let input = if guided {
                Tensor::cat(&[&input, &input], 0)?
            } else {
                input
            };
            let out = unet(&input.to_dtype(self.dtype)?, t as f64, emb)?.to_dtype(DType::F32)?;
            let out = if guided {
                let parts = out.chunk(2, 0)?;
                let (u, c) = (&parts[0], &parts[1]);
                (u + ((c - u)? * self.options.guidance)?)?
            } else {
                out
            };
            let denoised = match self.variant.prediction {
                Prediction::Epsilon => (&x - (out * sigma)?)?,
                Prediction::Velocity => {
                    ((&x / (sigma * sigma + 1.0))?
                        - (out * (sigma / (sigma * sigma + 1.0).sqrt()))?)?
                }
            };
            // Euler ancestral step from sigma to next.
            let up = if next > 0.0 {
                (next * next * (sigma * sigma - next * next) / (sigma * sigma))
                    .max(0.0)
                    .sqrt()
            } else {
                0.0
            };
            let down = (next * next - up * up).max(0.0).sqrt();
            let d = ((&x - &denoised)? / sigma)?;
            x = (&x + (d * (down - sigma))?)?;
            if up > 0.0 {
                x = (&x + (rng.tensor(shape, &self.device)? * up)?)?;
            }
            steps(i + 1, schedule.timesteps.len());
        }
        Ok(x)
    }

    /// Whether the text encoder, UNet and VAE run on this project's channels-last CPU code
    /// (`nhwc.rs`; measured 2-5x faster than candle's on the CPU) rather than
    /// candle-transformers' models.
    fn ours(&self) -> bool {
        self.device.is_cpu() && self.dtype == DType::F32
    }

    fn decode(&self, latents: &Tensor) -> Result<RgbImage> {
        // SAFETY (mmap): as for the text encoder.
        let vb = unsafe {
            VarBuilder::from_mmaped_safetensors(&[&self.weights.vae], self.dtype, &self.device)?
        };
        let latents = (latents / self.variant.vae_scale)?.to_dtype(self.dtype)?;
        let factor = vae_factor(&self.variant.vae);
        let ours = self.ours();
        let tile = self
            .options
            .tile
            .unwrap_or(if ours { usize::MAX } else { 16 });
        if ours {
            let vae = cpu::vae::Decoder::load(vb, &self.variant.vae).context("loading the VAE")?;
            decode_tiled(&|part| vae.decode(part), &latents, factor, tile)
        } else {
            let vae = AutoEncoderKL::new(vb, 3, 3, self.variant.vae.clone())
                .context("loading the VAE")?;
            decode_tiled(&|part| Ok(vae.decode(part)?), &latents, factor, tile)
        }
    }
}

impl Backend for StableDiffusion {
    fn id(&self) -> String {
        self.id.clone()
    }

    fn files(&self) -> Vec<std::path::PathBuf> {
        let w = &self.weights;
        let second = w.second.as_ref().map(|(encoder, _)| encoder.clone());
        [w.text_encoder.clone(), w.unet.clone(), w.vae.clone()]
            .into_iter()
            .chain(second)
            .collect()
    }

    fn generate_steps(
        &self,
        request: &BackgroundRequest,
        steps: &dyn Fn(usize, usize),
    ) -> Result<RgbImage> {
        let _one_at_a_time = self.busy.lock().unwrap_or_else(|e| e.into_inner());
        let _kept = self
            .ours()
            .then(crate::background::kernels::keep_freed_memory);
        let guided = self.options.guidance > 1.0;
        // Each phase loads its model and drops it before the next phase starts.
        let emb = self.text_embeddings(request, guided)?;
        let latents = self.denoise(&emb, request.seed, guided, steps)?;
        drop(emb);
        let picture = self.decode(&latents)?;
        Ok(image::imageops::resize(
            &picture,
            request.width,
            request.height,
            image::imageops::FilterType::CatmullRom,
        ))
    }
}
