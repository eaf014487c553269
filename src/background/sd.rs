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
//! ([`super::clip`], [`super::unet`], [`super::vae`]), which read the same weights and compute
//! what candle-transformers' models do (tested) several times faster; on a GPU, candle's.

use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use candle_core::{DType, Device, Tensor};
use candle_nn::VarBuilder;
use candle_transformers::models::clip::text_model::{
    Activation, ClipTextConfig, ClipTextTransformer,
};
use candle_transformers::models::stable_diffusion::clip as sd_clip;
use candle_transformers::models::stable_diffusion::unet_2d::{
    BlockConfig, UNet2DConditionModel, UNet2DConditionModelConfig,
};
use candle_transformers::models::stable_diffusion::vae::{AutoEncoderKL, AutoEncoderKLConfig};
use image::RgbImage;
use tokenizers::Tokenizer;

use super::{Backend, BackgroundRequest};
use crate::cache::Key;

/// What the model predicts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Prediction {
    /// The noise (SD 1.5, SD-Turbo).
    Epsilon,
    /// The velocity (SD 2.1 at 768 px).
    Velocity,
}

/// A model of the family: its architecture and its defaults.
#[derive(Debug, Clone)]
pub struct Variant {
    /// Backend name in `lecturegen.toml`.
    pub name: &'static str,
    /// Hugging Face repository whose cache folder is searched.
    pub repo: &'static str,
    /// Default generation size, at 16:9, before scaling to the frame.
    pub size: (usize, usize),
    /// Default number of denoising steps.
    pub steps: usize,
    /// Default classifier-free guidance (1 or less: none, and no negative prompt).
    pub guidance: f64,
    /// What the UNet predicts.
    pub prediction: Prediction,
    /// Text encoder.
    pub clip: TextEncoder,
    /// SDXL's second text encoder (`text_encoder_2/`, `tokenizer_2/`); its hidden states are
    /// concatenated to the first's.
    pub clip2: Option<TextEncoder>,
    /// Denoiser.
    pub unet: UNet2DConditionModelConfig,
    /// Latent decoder.
    pub vae: AutoEncoderKLConfig,
    /// Latents are divided by this before decoding.
    pub vae_scale: f64,
    /// Pad prompts with this token (else with the end token).
    pub pad_with: Option<&'static str>,
}

fn unet_config(
    blocks: &[(usize, Option<usize>, usize)],
    cross: usize,
    linear: bool,
) -> UNet2DConditionModelConfig {
    UNet2DConditionModelConfig {
        blocks: blocks
            .iter()
            .map(
                |&(out_channels, use_cross_attn, attention_head_dim)| BlockConfig {
                    out_channels,
                    use_cross_attn,
                    attention_head_dim,
                },
            )
            .collect(),
        center_input_sample: false,
        cross_attention_dim: cross,
        downsample_padding: 1,
        flip_sin_to_cos: true,
        freq_shift: 0.,
        layers_per_block: 2,
        mid_block_scale_factor: 1.,
        norm_eps: 1e-5,
        norm_num_groups: 32,
        sliced_attention_size: None,
        use_linear_projection: linear,
    }
}

fn sd_vae() -> AutoEncoderKLConfig {
    AutoEncoderKLConfig {
        block_out_channels: vec![128, 256, 512, 512],
        layers_per_block: 2,
        latent_channels: 4,
        norm_num_groups: 32,
        use_quant_conv: true,
        use_post_quant_conv: true,
    }
}

fn clip_l() -> ClipTextConfig {
    ClipTextConfig {
        vocab_size: 49408,
        embed_dim: 768,
        activation: Activation::QuickGelu,
        intermediate_size: 3072,
        max_position_embeddings: 77,
        pad_with: None,
        num_hidden_layers: 12,
        num_attention_heads: 12,
        projection_dim: 768,
    }
}

/// The variants that can be loaded, by backend name.
pub fn variant(name: &str) -> Option<Variant> {
    let sd2_unet = || {
        unet_config(
            &[
                (320, Some(1), 5),
                (640, Some(1), 10),
                (1280, Some(1), 20),
                (1280, None, 20),
            ],
            1024,
            true,
        )
    };
    match name {
        "sd-turbo" => Some(Variant {
            name: "sd-turbo",
            repo: "stabilityai/sd-turbo",
            size: (896, 512),
            steps: 1,
            guidance: 0.0,
            prediction: Prediction::Epsilon,
            clip: TextEncoder::OpenClipH,
            clip2: None,
            unet: sd2_unet(),
            vae: sd_vae(),
            vae_scale: 0.18215,
            pad_with: Some("!"),
        }),
        "sd21" => Some(Variant {
            name: "sd21",
            repo: "stabilityai/stable-diffusion-2-1",
            size: (1344, 768),
            steps: 30,
            guidance: 7.5,
            prediction: Prediction::Velocity,
            clip: TextEncoder::OpenClipH,
            clip2: None,
            unet: sd2_unet(),
            vae: sd_vae(),
            vae_scale: 0.18215,
            pad_with: Some("!"),
        }),
        "sd15" => Some(Variant {
            name: "sd15",
            repo: "stable-diffusion-v1-5/stable-diffusion-v1-5",
            size: (896, 512),
            steps: 30,
            guidance: 7.5,
            prediction: Prediction::Epsilon,
            clip: TextEncoder::Clip(clip_l()),
            clip2: None,
            unet: unet_config(
                &[
                    (320, Some(1), 8),
                    (640, Some(1), 8),
                    (1280, Some(1), 8),
                    (1280, None, 8),
                ],
                768,
                false,
            ),
            vae: sd_vae(),
            vae_scale: 0.18215,
            pad_with: None,
        }),
        "sdxl-turbo" => Some(Variant {
            name: "sdxl-turbo",
            repo: "stabilityai/sdxl-turbo",
            size: (896, 512),
            steps: 1,
            guidance: 0.0,
            ..sdxl()
        }),
        "sdxl" => Some(sdxl()),
        _ => None,
    }
}

/// SDXL base 1.0. candle's UNet has no "text_time" added conditioning (pooled text + size
/// ids), so it runs without it, as candle's own example does.
fn sdxl() -> Variant {
    Variant {
        name: "sdxl",
        repo: "stabilityai/stable-diffusion-xl-base-1.0",
        size: (1344, 768),
        steps: 30,
        guidance: 5.0,
        prediction: Prediction::Epsilon,
        clip: TextEncoder::Clip(clip_l()),
        clip2: Some(TextEncoder::OpenClipBigG),
        unet: unet_config(
            &[(320, None, 5), (640, Some(2), 10), (1280, Some(10), 20)],
            2048,
            true,
        ),
        vae: sd_vae(),
        vae_scale: 0.13025,
        pad_with: Some("!"),
    }
}

/// The text encoder of a variant.
#[derive(Debug, Clone)]
pub enum TextEncoder {
    /// OpenAI CLIP with quick-GELU (SD 1.x), any size.
    Clip(ClipTextConfig),
    /// OpenCLIP ViT-H with GELU (SD 2.x); candle only has this one at its real size.
    OpenClipH,
    /// OpenCLIP ViT-bigG with GELU (SDXL's second encoder), at its real size.
    OpenClipBigG,
}

impl TextEncoder {
    fn max_tokens(&self) -> usize {
        match self {
            Self::Clip(c) => c.max_position_embeddings,
            Self::OpenClipH => sd_clip::Config::v2_1().max_position_embeddings,
            Self::OpenClipBigG => sd_clip::Config::sdxl2().max_position_embeddings,
        }
    }
}

enum LoadedText {
    Clip(ClipTextTransformer),
    OpenClip(sd_clip::ClipTextTransformer),
    Ours(super::clip::TextEncoder),
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

/// The weight files of a model.
#[derive(Debug, Clone)]
pub struct Weights {
    /// The folder they were found in.
    pub root: PathBuf,
    /// `text_encoder/model.safetensors`
    pub text_encoder: PathBuf,
    /// `unet/diffusion_pytorch_model.safetensors`
    pub unet: PathBuf,
    /// `vae/diffusion_pytorch_model.safetensors`
    pub vae: PathBuf,
    /// `tokenizer/tokenizer.json`, or the folder with `vocab.json` and `merges.txt`.
    pub tokenizer: PathBuf,
    /// SDXL: `text_encoder_2/model.safetensors` and `tokenizer_2/`.
    pub second: Option<(PathBuf, PathBuf)>,
}

/// Weights that could not be found: which files were expected and where.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{backend}: no complete set of weights found.\nexpected, in the diffusers layout:\n{expected}\nlooked in:\n{looked}")]
pub struct MissingWeights {
    /// The backend.
    pub backend: String,
    /// One line per expected file, marked missing or found.
    pub expected: String,
    /// One line per folder searched.
    pub looked: String,
}

const ENCODER_FILES: &[&str] = &["model.safetensors", "model.fp16.safetensors"];
const MODEL_FILES: &[&str] = &[
    "diffusion_pytorch_model.safetensors",
    "diffusion_pytorch_model.fp16.safetensors",
];
const TOKENIZER_FILES: &[&str] = &["tokenizer.json", "vocab.json"];

/// The folders of a variant's weights and the file names accepted in each.
fn parts(variant: &Variant) -> Vec<(&'static str, &'static [&'static str])> {
    let mut parts = vec![
        ("text_encoder", ENCODER_FILES),
        ("unet", MODEL_FILES),
        ("vae", MODEL_FILES),
        ("tokenizer", TOKENIZER_FILES),
    ];
    if variant.clip2.is_some() {
        parts.push(("text_encoder_2", ENCODER_FILES));
        parts.push(("tokenizer_2", TOKENIZER_FILES));
    }
    parts
}

/// Finds the weights of `variant` in `dir` (when given) or in the Hugging Face cache.
pub fn locate(variant: &Variant, dir: Option<&Path>) -> Result<Weights, MissingWeights> {
    let mut candidates = Vec::new();
    match dir {
        Some(dir) => candidates.push(dir.to_path_buf()),
        None => candidates.extend(hf_snapshots(variant.repo)),
    }
    let parts = parts(variant);
    let mut best: Option<(usize, PathBuf)> = None;
    for root in &candidates {
        let found = parts
            .iter()
            .filter(|(part, names)| names.iter().any(|n| root.join(part).join(n).is_file()))
            .count();
        if found == parts.len() {
            let pick = |part: &str, names: &[&str]| {
                names
                    .iter()
                    .map(|n| root.join(part).join(n))
                    .find(|p| p.is_file())
                    .unwrap_or_default()
            };
            let tokenizer = |part: &str| {
                let file = pick(part, TOKENIZER_FILES);
                if file.ends_with("vocab.json") {
                    root.join(part)
                } else {
                    file
                }
            };
            return Ok(Weights {
                root: root.clone(),
                text_encoder: pick("text_encoder", ENCODER_FILES),
                unet: pick("unet", MODEL_FILES),
                vae: pick("vae", MODEL_FILES),
                tokenizer: tokenizer("tokenizer"),
                second: variant.clip2.as_ref().map(|_| {
                    (
                        pick("text_encoder_2", ENCODER_FILES),
                        tokenizer("tokenizer_2"),
                    )
                }),
            });
        }
        if best.as_ref().is_none_or(|(n, _)| found > *n) {
            best = Some((found, root.clone()));
        }
    }
    let reference = best.map(|(_, r)| r);
    let expected = parts
        .iter()
        .map(|(part, names)| {
            let status = match &reference {
                Some(r) if names.iter().any(|n| r.join(part).join(n).is_file()) => "found",
                _ => "missing",
            };
            let extra = if part.starts_with("tokenizer") {
                " (or vocab.json + merges.txt)"
            } else {
                ""
            };
            format!("  {part}/{}{extra}: {status}", names[0])
        })
        .collect::<Vec<_>>()
        .join("\n");
    let looked = if candidates.is_empty() {
        format!(
            "  {} (no snapshot of {}; give the folder with `diffusion.weights` in lecturegen.toml)",
            hf_hub_dir().display(),
            variant.repo
        )
    } else {
        candidates
            .iter()
            .map(|c| format!("  {}", c.display()))
            .collect::<Vec<_>>()
            .join("\n")
    };
    Err(MissingWeights {
        backend: variant.name.to_string(),
        expected,
        looked,
    })
}

fn hf_hub_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("HF_HUB_CACHE") {
        return dir.into();
    }
    if let Some(home) = std::env::var_os("HF_HOME") {
        return PathBuf::from(home).join("hub");
    }
    let home = std::env::var_os("HOME")
        .map(PathBuf::from)
        .unwrap_or_default();
    home.join(".cache/huggingface/hub")
}

/// Snapshot folders of a repository in the Hugging Face cache, newest first.
fn hf_snapshots(repo: &str) -> Vec<PathBuf> {
    let dir = hf_hub_dir()
        .join(format!("models--{}", repo.replace('/', "--")))
        .join("snapshots");
    let Ok(entries) = std::fs::read_dir(&dir) else {
        return Vec::new();
    };
    let mut snapshots: Vec<(std::time::SystemTime, PathBuf)> = entries
        .flatten()
        .filter(|e| e.path().is_dir())
        .map(|e| {
            let modified = e
                .metadata()
                .and_then(|m| m.modified())
                .unwrap_or(std::time::UNIX_EPOCH);
            (modified, e.path())
        })
        .collect();
    snapshots.sort_by_key(|s| std::cmp::Reverse(s.0));
    snapshots.into_iter().map(|(_, p)| p).collect()
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
        let second = weights.second.as_ref().map(|(encoder, _)| encoder);
        for file in [&weights.text_encoder, &weights.unet, &weights.vae]
            .into_iter()
            .chain(second)
        {
            // Name and size identify a weights file well enough without reading gigabytes.
            let size = std::fs::metadata(file).map(|m| m.len()).unwrap_or(0);
            key.add_str(
                &file
                    .file_name()
                    .map(|n| n.to_string_lossy().into_owned())
                    .unwrap_or_default(),
            )
            .add(&size.to_le_bytes());
        }
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
                    TextEncoder::Clip(config) => super::clip::Shape::of(config),
                    TextEncoder::OpenClipH => super::clip::Shape::open_clip_h(),
                    TextEncoder::OpenClipBigG => super::clip::Shape::open_clip_big_g(),
                };
                LoadedText::Ours(super::clip::TextEncoder::load(vb.pp("text_model"), shape)?)
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
        let unet: Forward = if self.ours() && super::unet::UNet::supports(config) {
            let unet = super::unet::UNet::load(vb, 4, config).context("loading the UNet")?;
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
            let vae =
                super::vae::Decoder::load(vb, &self.variant.vae).context("loading the VAE")?;
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

    fn generate_steps(
        &self,
        request: &BackgroundRequest,
        steps: &dyn Fn(usize, usize),
    ) -> Result<RgbImage> {
        let _one_at_a_time = self.busy.lock().unwrap_or_else(|e| e.into_inner());
        let _kept = self.ours().then(super::nhwc::keep_freed_memory);
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

/// How many pixels one latent covers each way: 2 per down block after the first.
pub fn vae_factor(config: &AutoEncoderKLConfig) -> usize {
    1 << config.block_out_channels.len().saturating_sub(1)
}

/// Decodes latents in overlapping square tiles of `tile` latents, blending the overlaps with
/// linear ramps so no seam shows. Memory follows the tile size, not the picture size.
pub fn decode_tiled(
    decode: &dyn Fn(&Tensor) -> Result<Tensor>,
    latents: &Tensor,
    factor: usize,
    tile: usize,
) -> Result<RgbImage> {
    let (_, _, lh, lw) = latents.dims4()?;
    // A tile larger than the latents is the whole picture.
    let tile = tile.min(lh.max(lw)).max(4);
    let overlap = (tile / 4).max(1);
    let starts = |len: usize| -> Vec<usize> {
        if len <= tile {
            return vec![0];
        }
        let mut s: Vec<usize> = (0..)
            .map(|i| i * (tile - overlap))
            .take_while(|&x| x + tile < len)
            .collect();
        s.push(len - tile);
        s
    };
    let (w, h) = (lw * factor, lh * factor);
    let mut sum = vec![0f32; w * h * 3];
    let mut weight = vec![0f32; w * h];
    let ramp = (overlap * factor) as f32;
    for &y0 in &starts(lh) {
        for &x0 in &starts(lw) {
            let th = tile.min(lh);
            let tw = tile.min(lw);
            let part = latents.narrow(2, y0, th)?.narrow(3, x0, tw)?;
            let pixels = decode(&part)?;
            let pixels = ((pixels.to_dtype(DType::F32)? / 2.0)? + 0.5)?.clamp(0f32, 1f32)?;
            let data = pixels.squeeze(0)?.flatten_from(1)?.to_vec2::<f32>()?;
            let (ph, pw) = (th * factor, tw * factor);
            for py in 0..ph {
                for px in 0..pw {
                    // Weight falls to zero toward a tile edge that has a neighbour.
                    let edge = |pos: usize, len: usize, has_before: bool, has_after: bool| {
                        let mut v = 1f32;
                        if has_before {
                            v = v.min((pos as f32 + 0.5) / ramp);
                        }
                        if has_after {
                            v = v.min((len as f32 - pos as f32 - 0.5) / ramp);
                        }
                        v.clamp(0.0, 1.0)
                    };
                    let wgt = edge(px, pw, x0 > 0, x0 + tw < lw)
                        * edge(py, ph, y0 > 0, y0 + th < lh)
                        + 1e-6;
                    let (gx, gy) = (x0 * factor + px, y0 * factor + py);
                    let i = gy * w + gx;
                    weight[i] += wgt;
                    for c in 0..3 {
                        sum[i * 3 + c] += data[c][py * pw + px] * wgt;
                    }
                }
            }
        }
    }
    let mut out = RgbImage::new(w as u32, h as u32);
    for (i, px) in out.pixels_mut().enumerate() {
        let wgt = weight[i].max(1e-6);
        for c in 0..3 {
            px.0[c] = (sum[i * 3 + c] / wgt * 255.0).round().clamp(0.0, 255.0) as u8;
        }
    }
    Ok(out)
}

/// Noise levels of the scaled-linear schedule shared by SD 1.x/2.x, at "trailing" timesteps
/// (what the Turbo models were distilled with: one step starts at t = 999).
struct Schedule {
    timesteps: Vec<usize>,
    /// One more than timesteps: the last is 0.
    sigmas: Vec<f64>,
}

impl Schedule {
    fn new(steps: usize) -> Self {
        let steps = steps.clamp(1, 1000);
        let n = 1000;
        let (b0, b1) = (0.00085f64.sqrt(), 0.012f64.sqrt());
        let mut alpha_bar = Vec::with_capacity(n);
        let mut acc = 1.0;
        for i in 0..n {
            let beta = (b0 + (b1 - b0) * i as f64 / (n - 1) as f64).powi(2);
            acc *= 1.0 - beta;
            alpha_bar.push(acc);
        }
        let timesteps: Vec<usize> = (0..steps)
            .map(|i| {
                ((n as f64 - i as f64 * n as f64 / steps as f64).round() as usize).saturating_sub(1)
            })
            .collect();
        let mut sigmas: Vec<f64> = timesteps
            .iter()
            .map(|&t| ((1.0 - alpha_bar[t]) / alpha_bar[t]).sqrt())
            .collect();
        sigmas.push(0.0);
        Self { timesteps, sigmas }
    }
}

/// Seeded standard normal noise: the same on every machine, and independent of candle's
/// device RNG, which cannot be seeded on every device.
struct Normal(super::rng::Rng);

impl Normal {
    fn new(seed: u64) -> Self {
        Self(super::rng::Rng(seed ^ 0x5DEE_CE66_D1CE_5EED))
    }

    fn tensor(&mut self, shape: (usize, usize, usize, usize), device: &Device) -> Result<Tensor> {
        let n = shape.0 * shape.1 * shape.2 * shape.3;
        let v: Vec<f32> = (0..n).map(|_| self.0.normal()).collect();
        Ok(Tensor::from_vec(v, shape, device)?)
    }
}

/// The CLIP tokenizer, built in code from `vocab.json` and `merges.txt` (the files diffusers
/// repositories ship): lower-cased, split by CLIP's pattern, byte-level BPE with `</w>` ending
/// each word.
pub fn clip_tokenizer(vocab: &Path, merges: &Path) -> Result<Tokenizer> {
    use tokenizers::models::bpe::BPE;
    use tokenizers::normalizers::{Lowercase, Replace, Sequence as Normalizers, NFC};
    use tokenizers::pre_tokenizers::byte_level::ByteLevel;
    use tokenizers::pre_tokenizers::sequence::Sequence as PreTokenizers;
    use tokenizers::pre_tokenizers::split::{Split, SplitPattern};
    use tokenizers::SplitDelimiterBehavior;

    let err = |e: tokenizers::Error| anyhow::anyhow!("building the CLIP tokenizer: {e}");
    let bpe = BPE::from_file(&vocab.to_string_lossy(), &merges.to_string_lossy())
        .end_of_word_suffix("</w>".into())
        .unk_token("<|endoftext|>".into())
        .build()
        .map_err(err)?;
    let mut tokenizer = Tokenizer::new(bpe);
    tokenizer
        .with_normalizer(Some(Normalizers::new(vec![
            NFC.into(),
            Replace::new(
                tokenizers::normalizers::replace::ReplacePattern::Regex(r"\s+".into()),
                " ",
            )
            .map_err(err)?
            .into(),
            Lowercase.into(),
        ])))
        .map_err(err)?;
    let pattern = r"<\|startoftext\|>|<\|endoftext\|>|'s|'t|'re|'ve|'m|'ll|'d|[\p{L}]+|[\p{N}]|[^\s\p{L}\p{N}]+";
    tokenizer.with_pre_tokenizer(Some(PreTokenizers::new(vec![
        Split::new(
            SplitPattern::Regex(pattern.into()),
            SplitDelimiterBehavior::Removed,
            true,
        )
        .map_err(err)?
        .into(),
        ByteLevel::new(false, false, false).into(),
    ])));
    Ok(tokenizer)
}
