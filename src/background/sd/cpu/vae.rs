//! Stable Diffusion's VAE decoder on the CPU, from the channels-last blocks of [`super::nhwc`]
//! (candle's decode of one 512x512 picture took 65 s and 17 GiB here). It reads the same
//! `vae/` weights as candle-transformers' `AutoEncoderKL` and matches its decode (tested);
//! candle's decoder stays in use on a GPU.

use anyhow::{bail, Result};
use candle_core::Tensor;
use candle_nn::VarBuilder;
use candle_transformers::models::stable_diffusion::vae::AutoEncoderKLConfig;

use super::nhwc::{
    attention, channels_first, channels_last, Conv, GroupNorm, Map, Resnet, ResnetShape,
};

/// A VAE resnet: no time embedding, eps 1e-6.
fn resnet(vb: VarBuilder, cin: usize, cout: usize, groups: usize) -> Result<Resnet> {
    let shape = ResnetShape {
        cin,
        cout,
        groups,
        eps: 1e-6,
        temb: None,
        scale: 1.0,
    };
    Resnet::load(vb, &shape)
}

/// The mid block's single-head self-attention over all pixels.
struct Attention {
    norm: GroupNorm,
    query: Conv,
    key: Conv,
    value: Conv,
    out: Conv,
}

impl Attention {
    fn load(vb: VarBuilder, c: usize, groups: usize) -> Result<Self> {
        let names = if vb.contains_tensor("to_q.weight") {
            ["to_q", "to_k", "to_v", "to_out.0"]
        } else {
            ["query", "key", "value", "proj_attn"]
        };
        Ok(Self {
            norm: GroupNorm::load(vb.pp("group_norm"), groups, c, 1e-6)?,
            query: Conv::linear(vb.pp(names[0]), c, c, true)?,
            key: Conv::linear(vb.pp(names[1]), c, c, true)?,
            value: Conv::linear(vb.pp(names[2]), c, c, true)?,
            out: Conv::linear(vb.pp(names[3]), c, c, true)?,
        })
    }

    fn forward(&self, x: Map) -> Map {
        let normed = self.norm.forward(&x, false);
        let q = self.query.forward(&normed);
        let k = self.key.forward(&normed);
        let v = self.value.forward(&normed);
        drop(normed);
        let mut out = self.out.forward(&attention(&q, &k, &v, 1, false));
        out.add(&x);
        out
    }
}

/// An up block: resnets, then (all but the last block) a 2x nearest upsample and a convolution.
struct Up {
    resnets: Vec<Resnet>,
    upsample: Option<Conv>,
}

/// The decoder (with the post-quantisation convolution in front).
pub struct Decoder {
    post_quant: Option<Conv>,
    conv_in: Conv,
    mid: (Resnet, Attention, Resnet),
    ups: Vec<Up>,
    norm_out: GroupNorm,
    conv_out: Conv,
    latent_channels: usize,
}

impl Decoder {
    /// Loads the decoder's half of the weights in `vb` (the root of `vae/`'s file).
    pub fn load(vb: VarBuilder, config: &AutoEncoderKLConfig) -> Result<Self> {
        let groups = config.norm_num_groups;
        let channels = &config.block_out_channels;
        let (Some(&first), Some(&last)) = (channels.first(), channels.last()) else {
            bail!("the VAE config has no block channels");
        };
        let latent = config.latent_channels;
        let d = vb.pp("decoder");
        let mid = d.pp("mid_block");
        let mut ups = Vec::new();
        let mut cin = last;
        for (i, &cout) in channels.iter().rev().enumerate() {
            let b = d.pp("up_blocks").pp(i);
            let resnets = (0..=config.layers_per_block)
                .map(|j| {
                    let from = if j == 0 { cin } else { cout };
                    resnet(b.pp("resnets").pp(j), from, cout, groups)
                })
                .collect::<Result<Vec<_>>>()?;
            let upsample = if i + 1 < channels.len() {
                Some(Conv::load(b.pp("upsamplers.0.conv"), cout, cout, 3)?)
            } else {
                None
            };
            ups.push(Up { resnets, upsample });
            cin = cout;
        }
        Ok(Self {
            post_quant: if config.use_post_quant_conv {
                Some(Conv::load(vb.pp("post_quant_conv"), latent, latent, 1)?)
            } else {
                None
            },
            conv_in: Conv::load(d.pp("conv_in"), latent, last, 3)?,
            mid: (
                resnet(mid.pp("resnets.0"), last, last, groups)?,
                Attention::load(mid.pp("attentions.0"), last, groups)?,
                resnet(mid.pp("resnets.1"), last, last, groups)?,
            ),
            ups,
            norm_out: GroupNorm::load(d.pp("conv_norm_out"), groups, first, 1e-6)?,
            conv_out: Conv::load(d.pp("conv_out"), first, 3, 3)?,
            latent_channels: latent,
        })
    }

    /// Decodes `(1, latent channels, h, w)` latents (already divided by the VAE's scale) to a
    /// `(1, 3, 8h, 8w)` picture in [-1, 1] (not clamped), like `AutoEncoderKL::decode`.
    pub fn decode(&self, latents: &Tensor) -> Result<Tensor> {
        let (n, c, h, w) = latents.dims4()?;
        if n != 1 || c != self.latent_channels {
            bail!(
                "the VAE decodes one latent of {} channels at a time, got {n}x{c}",
                self.latent_channels
            );
        }
        let mut x = Map {
            h,
            w,
            c,
            data: channels_last(latents)?,
        };
        if let Some(conv) = &self.post_quant {
            x = conv.forward(&x);
        }
        x = self.conv_in.forward(&x);
        x = self.mid.0.forward(x, None);
        x = self.mid.1.forward(x);
        x = self.mid.2.forward(x, None);
        for up in &self.ups {
            for resnet in &up.resnets {
                x = resnet.forward(x, None);
            }
            if let Some(conv) = &up.upsample {
                x = conv.upsampled(&x, (2 * x.h, 2 * x.w));
            }
        }
        let x = self
            .conv_out
            .forward_normed(&x, &self.norm_out.affine(&x, true), None);
        channels_first(x.data, (1, x.h, x.w, x.c))
    }
}
