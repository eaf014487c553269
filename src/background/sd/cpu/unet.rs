//! Stable Diffusion's conditional UNet on the CPU, from the channels-last blocks of
//! [`super::nhwc`]: the same architecture and weights as candle-transformers'
//! `UNet2DConditionModel` (SD 1.x, 2.x, XL layouts), matching its output (tested), at about a
//! third of its time here. candle's UNet stays in use on a GPU.

use anyhow::{bail, Result};
use candle_core::Tensor;
use candle_nn::VarBuilder;
use candle_transformers::models::stable_diffusion::unet_2d::{
    BlockConfig, UNet2DConditionModelConfig,
};

use super::nhwc::{
    attention, channels_first, channels_last, gelu, silu, Conv, GroupNorm, LayerNorm, Map, Resnet,
    ResnetShape,
};

/// Attention with its projections (no bias on q, k, v).
struct Attention {
    heads: usize,
    q: Conv,
    k: Conv,
    v: Conv,
    out: Conv,
}

impl Attention {
    fn load(vb: VarBuilder, dim: usize, context: usize, heads: usize) -> Result<Self> {
        Ok(Self {
            heads,
            q: Conv::linear(vb.pp("to_q"), dim, dim, false)?,
            k: Conv::linear(vb.pp("to_k"), context, dim, false)?,
            v: Conv::linear(vb.pp("to_v"), context, dim, false)?,
            out: Conv::linear(vb.pp("to_out.0"), dim, dim, true)?,
        })
    }

    fn forward(&self, x: &Map, context: &Map) -> Map {
        let q = self.q.forward(x);
        let k = self.k.forward(context);
        let v = self.v.forward(context);
        self.out.forward(&attention(&q, &k, &v, self.heads, false))
    }
}

/// diffusers' `BasicTransformerBlock`: self-attention, cross-attention, GEGLU feed-forward.
struct Block {
    norm1: LayerNorm,
    attn1: Attention,
    norm2: LayerNorm,
    attn2: Attention,
    norm3: LayerNorm,
    ff_in: Conv,
    ff_out: Conv,
}

impl Block {
    fn load(vb: VarBuilder, dim: usize, context: usize, heads: usize) -> Result<Self> {
        Ok(Self {
            norm1: LayerNorm::load(vb.pp("norm1"), dim, 1e-5)?,
            attn1: Attention::load(vb.pp("attn1"), dim, dim, heads)?,
            norm2: LayerNorm::load(vb.pp("norm2"), dim, 1e-5)?,
            attn2: Attention::load(vb.pp("attn2"), dim, context, heads)?,
            norm3: LayerNorm::load(vb.pp("norm3"), dim, 1e-5)?,
            ff_in: Conv::linear(vb.pp("ff.net.0.proj"), dim, dim * 8, true)?,
            ff_out: Conv::linear(vb.pp("ff.net.2"), dim * 4, dim, true)?,
        })
    }

    fn forward(&self, mut x: Map, context: &Map) -> Map {
        let n = self.norm1.forward(&x);
        x.add(&self.attn1.forward(&n, &n));
        let n = self.norm2.forward(&x);
        x.add(&self.attn2.forward(&n, context));
        let projected = self.ff_in.forward(&self.norm3.forward(&x));
        // GEGLU: the first half of the channels times GELU of the second half.
        let half = projected.c / 2;
        let mut gated = Map {
            c: half,
            data: vec![0f32; projected.pixels() * half],
            ..projected
        };
        for (g, p) in gated
            .data
            .chunks_mut(half)
            .zip(projected.data.chunks(2 * half))
        {
            for ((g, a), b) in g.iter_mut().zip(&p[..half]).zip(&p[half..]) {
                *g = a * gelu(*b);
            }
        }
        drop(projected);
        x.add(&self.ff_out.forward(&gated));
        x
    }
}

/// diffusers' `Transformer2DModel` (candle's `SpatialTransformer`).
struct Transformer {
    norm: GroupNorm,
    proj_in: Conv,
    blocks: Vec<Block>,
    proj_out: Conv,
}

impl Transformer {
    fn load(
        vb: VarBuilder,
        c: usize,
        heads: usize,
        depth: usize,
        config: &UNet2DConditionModelConfig,
    ) -> Result<Self> {
        // A 1x1 convolution and a linear layer are the same product; only the stored shape
        // differs, which `Conv::linear` reads either way.
        Ok(Self {
            norm: GroupNorm::load(vb.pp("norm"), config.norm_num_groups, c, 1e-6)?,
            proj_in: Conv::linear(vb.pp("proj_in"), c, c, true)?,
            blocks: (0..depth)
                .map(|i| {
                    Block::load(
                        vb.pp("transformer_blocks").pp(i),
                        c,
                        config.cross_attention_dim,
                        heads,
                    )
                })
                .collect::<Result<_>>()?,
            proj_out: Conv::linear(vb.pp("proj_out"), c, c, true)?,
        })
    }

    fn forward(&self, x: Map, context: &Map) -> Map {
        let mut h = self.proj_in.forward(&self.norm.forward(&x, false));
        for block in &self.blocks {
            h = block.forward(h, context);
        }
        let mut out = self.proj_out.forward(&h);
        out.add(&x);
        out
    }
}

/// A down or up block: resnets, each followed by a transformer in a cross-attention block,
/// then a downsampler or an upsampler (all but the deepest down and the last up block).
struct Level {
    resnets: Vec<Resnet>,
    attentions: Vec<Transformer>,
    resample: Option<Conv>,
}

impl Level {
    /// `inputs`: each resnet's input channels; `resample`: the resampler's folder.
    fn load(
        vb: VarBuilder,
        block: &BlockConfig,
        inputs: &[usize],
        resample: Option<&str>,
        config: &UNet2DConditionModelConfig,
    ) -> Result<Self> {
        let c = block.out_channels;
        let resnets = inputs
            .iter()
            .enumerate()
            .map(|(j, &cin)| {
                // candle builds these with 32 groups whatever the config says (diffusers'
                // SD configs all say 32); the mid block's use the config's.
                let shape = ResnetShape {
                    cin,
                    cout: c,
                    groups: 32,
                    eps: config.norm_eps,
                    temb: Some(4 * config.blocks[0].out_channels),
                    scale: 1.0,
                };
                Resnet::load(vb.pp("resnets").pp(j), &shape)
            })
            .collect::<Result<_>>()?;
        let attentions = match block.use_cross_attn {
            Some(depth) => (0..inputs.len())
                .map(|j| {
                    let heads = block.attention_head_dim;
                    Transformer::load(vb.pp("attentions").pp(j), c, heads, depth, config)
                })
                .collect::<Result<_>>()?,
            None => Vec::new(),
        };
        let resample = match resample {
            Some(folder) => Some(Conv::load(vb.pp(folder), c, c, 3)?),
            None => None,
        };
        Ok(Self {
            resnets,
            attentions,
            resample,
        })
    }
}

/// The conditional UNet.
pub struct UNet {
    base: usize,
    flip_sin_to_cos: bool,
    freq_shift: f64,
    center_input: bool,
    time_1: Conv,
    time_2: Conv,
    conv_in: Conv,
    down: Vec<Level>,
    mid: (Resnet, Vec<(Transformer, Resnet)>),
    up: Vec<Level>,
    norm_out: GroupNorm,
    conv_out: Conv,
    in_channels: usize,
    context_dim: usize,
}

impl UNet {
    /// Whether this UNet can run `config` (otherwise use candle's).
    pub fn supports(config: &UNet2DConditionModelConfig) -> bool {
        config.downsample_padding == 1 && !config.blocks.is_empty()
    }

    /// Loads the weights in `vb` (the root of `unet/`'s file) for `config`, with
    /// `in_channels` latent channels in and out.
    pub fn load(
        vb: VarBuilder,
        in_channels: usize,
        config: &UNet2DConditionModelConfig,
    ) -> Result<Self> {
        if !Self::supports(config) {
            bail!("this UNet layout runs only on candle's implementation");
        }
        let blocks = &config.blocks;
        let n = blocks.len();
        let base = blocks[0].out_channels;
        let temb = base * 4;
        let eps = config.norm_eps;
        let mut down = Vec::new();
        for (i, block) in blocks.iter().enumerate() {
            let cin = if i > 0 {
                blocks[i - 1].out_channels
            } else {
                base
            };
            let mut inputs = vec![block.out_channels; config.layers_per_block];
            if let Some(first) = inputs.first_mut() {
                *first = cin;
            }
            let resample = (i + 1 < n).then_some("downsamplers.0.conv");
            down.push(Level::load(
                vb.pp("down_blocks").pp(i),
                block,
                &inputs,
                resample,
                config,
            )?);
        }
        let last = blocks[n - 1];
        let c = last.out_channels;
        let mid_vb = vb.pp("mid_block");
        let mid_shape = ResnetShape {
            cin: c,
            cout: c,
            groups: config.norm_num_groups,
            eps,
            temb: Some(temb),
            scale: config.mid_block_scale_factor,
        };
        let mid = (
            Resnet::load(mid_vb.pp("resnets.0"), &mid_shape)?,
            vec![(
                Transformer::load(
                    mid_vb.pp("attentions.0"),
                    c,
                    last.attention_head_dim,
                    last.use_cross_attn.unwrap_or(1),
                    config,
                )?,
                Resnet::load(mid_vb.pp("resnets.1"), &mid_shape)?,
            )],
        );
        let mut up = Vec::new();
        for i in 0..n {
            let block = blocks[n - 1 - i];
            let c = block.out_channels;
            let prev = if i > 0 { blocks[n - i].out_channels } else { c };
            let skip_in = blocks[if i == n - 1 { 0 } else { n - i - 2 }].out_channels;
            // Each resnet takes the previous output joined with one skip connection.
            let layers = config.layers_per_block + 1;
            let inputs: Vec<usize> = (0..layers)
                .map(|j| {
                    let skip = if j == layers - 1 { skip_in } else { c };
                    let from = if j == 0 { prev } else { c };
                    from + skip
                })
                .collect();
            let resample = (i + 1 < n).then_some("upsamplers.0.conv");
            up.push(Level::load(
                vb.pp("up_blocks").pp(i),
                &block,
                &inputs,
                resample,
                config,
            )?);
        }
        Ok(Self {
            base,
            flip_sin_to_cos: config.flip_sin_to_cos,
            freq_shift: config.freq_shift,
            center_input: config.center_input_sample,
            time_1: Conv::linear(vb.pp("time_embedding.linear_1"), base, temb, true)?,
            time_2: Conv::linear(vb.pp("time_embedding.linear_2"), temb, temb, true)?,
            conv_in: Conv::load(vb.pp("conv_in"), in_channels, base, 3)?,
            down,
            mid,
            up,
            norm_out: GroupNorm::load(vb.pp("conv_norm_out"), config.norm_num_groups, base, eps)?,
            conv_out: Conv::load(vb.pp("conv_out"), base, in_channels, 3)?,
            in_channels,
            context_dim: config.cross_attention_dim,
        })
    }

    /// Predicts for `(batch, channels, h, w)` latents at `timestep` with `(batch, tokens,
    /// context)` text embeddings, like `UNet2DConditionModel::forward`.
    pub fn forward(&self, latents: &Tensor, timestep: f64, context: &Tensor) -> Result<Tensor> {
        let (batch, c, h, w) = latents.dims4()?;
        let (cb, tokens, cd) = context.dims3()?;
        if c != self.in_channels || cb != batch || cd != self.context_dim {
            bail!(
                "UNet input {batch}x{c}x{h}x{w} with context {cb}x{tokens}x{cd} does not fit \
                 {} channels and context {}",
                self.in_channels,
                self.context_dim
            );
        }
        let x = channels_last(latents)?;
        let ctx = context
            .to_dtype(candle_core::DType::F32)?
            .flatten_all()?
            .to_vec1::<f32>()?;
        let temb = self.time_embedding(timestep);
        let mut out = Vec::with_capacity(x.len());
        for b in 0..batch {
            let per = h * w * c;
            let map = Map {
                h,
                w,
                c,
                data: x[b * per..(b + 1) * per].to_vec(),
            };
            let per = tokens * cd;
            let context = Map {
                h: 1,
                w: tokens,
                c: cd,
                data: ctx[b * per..(b + 1) * per].to_vec(),
            };
            out.extend(self.forward_one(map, &temb, &context).data);
        }
        channels_first(out, (batch, h, w, c))
    }

    /// The sinusoidal embedding of the timestep through the two linear layers, then SiLU
    /// (which every resnet applies before its projection).
    fn time_embedding(&self, timestep: f64) -> Map {
        let half = self.base / 2;
        let mut sinusoid = vec![0f32; self.base];
        for i in 0..half {
            let exponent = (-(10000f64.ln()) * i as f64 / (half as f64 - self.freq_shift)) as f32;
            let angle = timestep as f32 * exponent.exp();
            let (sin, cos) = angle.sin_cos();
            let (first, second) = if self.flip_sin_to_cos {
                (cos, sin)
            } else {
                (sin, cos)
            };
            sinusoid[i] = first;
            sinusoid[half + i] = second;
        }
        let token = |c: usize, data: Vec<f32>| Map {
            h: 1,
            w: 1,
            c,
            data,
        };
        let mut t = self.time_1.forward(&token(self.base, sinusoid));
        t.map_in_place(silu);
        let mut t = self.time_2.forward(&t);
        t.map_in_place(silu);
        t
    }

    fn forward_one(&self, mut x: Map, temb: &Map, context: &Map) -> Map {
        if self.center_input {
            x.map_in_place(|v| v * 2.0 - 1.0);
        }
        let mut x = self.conv_in.forward(&x);
        let mut skips = vec![x.clone()];
        for block in &self.down {
            for (j, resnet) in block.resnets.iter().enumerate() {
                x = resnet.forward(x, Some(temb));
                if let Some(attention) = block.attentions.get(j) {
                    x = attention.forward(x, context);
                }
                skips.push(x.clone());
            }
            if let Some(conv) = &block.resample {
                x = conv.downsampled(&x);
                skips.push(x.clone());
            }
        }
        x = self.mid.0.forward(x, Some(temb));
        for (attention, resnet) in &self.mid.1 {
            x = resnet.forward(attention.forward(x, context), Some(temb));
        }
        for block in &self.up {
            let from = skips.len().saturating_sub(block.resnets.len());
            let mut mine = skips.split_off(from);
            for (j, resnet) in block.resnets.iter().enumerate() {
                let skip = mine.pop().unwrap_or_else(|| x.clone());
                x = resnet.forward(x.concat(&skip), Some(temb));
                if let Some(attention) = block.attentions.get(j) {
                    x = attention.forward(x, context);
                }
            }
            if let Some(conv) = &block.resample {
                // Back to the size of the skip this block's successor starts with (odd sizes
                // halve up, so doubling may overshoot by one).
                let size = skips.last().map_or((2 * x.h, 2 * x.w), |s| (s.h, s.w));
                x = conv.upsampled(&x, size);
            }
        }
        self.conv_out
            .forward_normed(&x, &self.norm_out.affine(&x, true), None)
    }
}
