//! Stable Diffusion's CLIP text encoders on the CPU, from the blocks of [`super::nhwc`] (a
//! sequence of tokens is a map one row high): the same weights and result as
//! candle-transformers' two CLIP implementations (tested), at a third of their time here
//! (their matrix products on 77 tokens run on one thread). candle's stay in use on a GPU.

use anyhow::{bail, Result};
use candle_core::{Device, Tensor};
use candle_nn::VarBuilder;
use candle_transformers::models::clip::text_model::ClipTextConfig;

use super::nhwc::{attention, gelu, Conv, LayerNorm, Map};

/// The sizes of a CLIP text encoder.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shape {
    pub vocab: usize,
    pub dim: usize,
    pub hidden: usize,
    pub positions: usize,
    pub layers: usize,
    pub heads: usize,
    /// OpenAI CLIP's x * sigmoid(1.702 x); otherwise GELU (tanh form), as OpenCLIP.
    pub quick_gelu: bool,
}

impl Shape {
    /// OpenCLIP ViT-H/14 (SD 2.x, SD-Turbo).
    pub fn open_clip_h() -> Self {
        Self {
            vocab: 49408,
            dim: 1024,
            hidden: 4096,
            positions: 77,
            layers: 23,
            heads: 16,
            quick_gelu: false,
        }
    }

    /// OpenCLIP ViT-bigG/14 (SDXL's second encoder).
    pub fn open_clip_big_g() -> Self {
        Self {
            vocab: 49408,
            dim: 1280,
            hidden: 5120,
            positions: 77,
            layers: 32,
            heads: 20,
            quick_gelu: false,
        }
    }

    /// OpenAI CLIP as candle configures it (its only activation is quick GELU).
    pub fn of(config: &ClipTextConfig) -> Self {
        Self {
            vocab: config.vocab_size,
            dim: config.embed_dim,
            hidden: config.intermediate_size,
            positions: config.max_position_embeddings,
            layers: config.num_hidden_layers,
            heads: config.num_attention_heads,
            quick_gelu: true,
        }
    }
}

struct Layer {
    norm1: LayerNorm,
    q: Conv,
    k: Conv,
    v: Conv,
    out: Conv,
    norm2: LayerNorm,
    fc1: Conv,
    fc2: Conv,
}

/// A CLIP text transformer: its last hidden states after the final layer norm, every token
/// seeing only those before it (candle's `forward_with_mask(ids, usize::MAX)`).
pub struct TextEncoder {
    shape: Shape,
    tokens: Tensor,
    positions: Tensor,
    layers: Vec<Layer>,
    final_norm: LayerNorm,
}

impl TextEncoder {
    /// Loads the weights under `vb` (the `text_model` prefix).
    pub fn load(vb: VarBuilder, shape: Shape) -> Result<Self> {
        let d = shape.dim;
        let e = vb.pp("embeddings");
        let layers = (0..shape.layers)
            .map(|i| -> Result<Layer> {
                let l = vb.pp("encoder.layers").pp(i);
                let a = l.pp("self_attn");
                Ok(Layer {
                    norm1: LayerNorm::load(l.pp("layer_norm1"), d, 1e-5)?,
                    q: Conv::linear(a.pp("q_proj"), d, d, true)?,
                    k: Conv::linear(a.pp("k_proj"), d, d, true)?,
                    v: Conv::linear(a.pp("v_proj"), d, d, true)?,
                    out: Conv::linear(a.pp("out_proj"), d, d, true)?,
                    norm2: LayerNorm::load(l.pp("layer_norm2"), d, 1e-5)?,
                    fc1: Conv::linear(l.pp("mlp.fc1"), d, shape.hidden, true)?,
                    fc2: Conv::linear(l.pp("mlp.fc2"), shape.hidden, d, true)?,
                })
            })
            .collect::<Result<_>>()?;
        Ok(Self {
            shape,
            tokens: e.get((shape.vocab, d), "token_embedding.weight")?,
            positions: e.get((shape.positions, d), "position_embedding.weight")?,
            layers,
            final_norm: LayerNorm::load(vb.pp("final_layer_norm"), d, 1e-5)?,
        })
    }

    /// Hidden states `(1, ids, dim)` of one prompt's token ids.
    pub fn forward(&self, ids: &[u32]) -> Result<Tensor> {
        let n = ids.len();
        if n == 0 || n > self.shape.positions {
            bail!(
                "{n} tokens for a text encoder of {} positions",
                self.shape.positions
            );
        }
        let ids_t = Tensor::new(ids, &Device::Cpu)?;
        let embedded = self
            .tokens
            .index_select(&ids_t, 0)?
            .add(&self.positions.narrow(0, 0, n)?)?;
        let mut x = Map {
            h: 1,
            w: n,
            c: self.shape.dim,
            data: embedded.flatten_all()?.to_vec1::<f32>()?,
        };
        for layer in &self.layers {
            let normed = layer.norm1.forward(&x);
            let (q, k, v) = (
                layer.q.forward(&normed),
                layer.k.forward(&normed),
                layer.v.forward(&normed),
            );
            x.add(
                &layer
                    .out
                    .forward(&attention(&q, &k, &v, self.shape.heads, true)),
            );
            let mut hidden = layer.fc1.forward(&layer.norm2.forward(&x));
            if self.shape.quick_gelu {
                hidden.map_in_place(|v| v / (1.0 + super::nhwc::exp(-1.702 * v)));
            } else {
                hidden.map_in_place(gelu);
            }
            x.add(&layer.fc2.forward(&hidden));
        }
        let x = self.final_norm.forward(&x);
        Ok(Tensor::from_vec(x.data, (1, n, x.c), &Device::Cpu)?)
    }
}
