//! The models of the Stable Diffusion family that can be loaded: architecture and defaults.

use candle_transformers::models::clip::text_model::{Activation, ClipTextConfig};
use candle_transformers::models::stable_diffusion::clip as sd_clip;
use candle_transformers::models::stable_diffusion::unet_2d::{
    BlockConfig, UNet2DConditionModelConfig,
};
use candle_transformers::models::stable_diffusion::vae::AutoEncoderKLConfig;

use crate::config::BackendName;

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

/// The variant of a backend name, if it is a Stable Diffusion one.
pub fn variant(name: &str) -> Option<Variant> {
    variant_of(name.parse().ok()?)
}

/// The variant of `backend`, if it is a Stable Diffusion one.
pub fn variant_of(backend: BackendName) -> Option<Variant> {
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
    match backend {
        BackendName::SdTurbo => Some(Variant {
            name: BackendName::SdTurbo.as_str(),
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
        BackendName::Sd21 => Some(Variant {
            name: BackendName::Sd21.as_str(),
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
        BackendName::Sd15 => Some(Variant {
            name: BackendName::Sd15.as_str(),
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
        BackendName::SdxlTurbo => Some(Variant {
            name: BackendName::SdxlTurbo.as_str(),
            repo: "stabilityai/sdxl-turbo",
            size: (896, 512),
            steps: 1,
            guidance: 0.0,
            ..sdxl()
        }),
        BackendName::Sdxl => Some(sdxl()),
        BackendName::None | BackendName::Builtin | BackendName::Remote => None,
    }
}

/// SDXL base 1.0. candle's UNet has no "text_time" added conditioning (pooled text + size
/// ids), so it runs without it, as candle's own example does.
fn sdxl() -> Variant {
    Variant {
        name: BackendName::Sdxl.as_str(),
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
    pub(super) fn max_tokens(&self) -> usize {
        match self {
            Self::Clip(c) => c.max_position_embeddings,
            Self::OpenClipH => sd_clip::Config::v2_1().max_position_embeddings,
            Self::OpenClipBigG => sd_clip::Config::sdxl2().max_position_embeddings,
        }
    }
}
