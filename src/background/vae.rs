//! Stable Diffusion's VAE decoder on the CPU, written for speed.
//!
//! candle's CPU convolution copies its whole input nine times over (im2col) before one matrix
//! product, which made the decode of one 512x512 picture take 65 s and 17 GiB here. This decoder
//! keeps feature maps channels-last and computes each 3x3 convolution as nine matrix products
//! over a zero-padded copy of its input, each shifted by one tap, accumulating into a block of
//! output rows that stays in cache; threads take blocks of rows. Group norm and SiLU are one pass.
//! It reads the same `vae/` weights as candle-transformers' `AutoEncoderKL` and matches its
//! decode (tested); candle's decoder stays in use on a GPU.

use anyhow::{bail, Result};
use candle_core::{Device, Tensor};
use candle_nn::VarBuilder;
use candle_transformers::models::stable_diffusion::vae::AutoEncoderKLConfig;
use rayon::prelude::*;

use super::builtin::ops::matmul;

/// A feature map: `h` rows of `w` pixels of `c` channels, channels fastest.
#[derive(Debug, Clone)]
struct Map {
    h: usize,
    w: usize,
    c: usize,
    data: Vec<f32>,
}

/// A convolution (`k` = 1 or 3, stride 1, "same" padding) with its weights laid out as
/// `[tap][in][out]`, so each tap is the right-hand side of one matrix product.
struct Conv {
    k: usize,
    cin: usize,
    cout: usize,
    taps: Vec<f32>,
    bias: Vec<f32>,
}

/// Output rows per block of a convolution: about 1 MiB of output, so it stays in cache while
/// the nine taps add into it.
const BLOCK_FLOATS: usize = 1 << 18;

impl Conv {
    fn load(vb: VarBuilder, cin: usize, cout: usize, k: usize) -> Result<Self> {
        let weight = vb.get((cout, cin, k, k), "weight")?;
        let taps = weight
            .permute((2, 3, 1, 0))?
            .flatten_all()?
            .to_vec1::<f32>()?;
        let bias = vb.get(cout, "bias")?.to_vec1::<f32>()?;
        Ok(Self {
            k,
            cin,
            cout,
            taps,
            bias,
        })
    }

    /// A linear layer (attention's projections): a 1x1 convolution over tokens. diffusers
    /// stores them as `(out, in)` or, in older files, `(out, in, 1, 1)`.
    fn linear(vb: VarBuilder, c: usize) -> Result<Self> {
        let weight = match vb.get((c, c), "weight") {
            Ok(w) => w,
            Err(_) => vb.get((c, c, 1, 1), "weight")?.reshape((c, c))?,
        };
        let taps = weight.t()?.flatten_all()?.to_vec1::<f32>()?;
        let bias = vb.get(c, "bias")?.to_vec1::<f32>()?;
        Ok(Self {
            k: 1,
            cin: c,
            cout: c,
            taps,
            bias,
        })
    }

    /// Convolves `x`, first doubling its size (nearest neighbour) when `upsample`.
    fn forward(&self, x: &Map, upsample: bool) -> Map {
        let (cin, cout) = (self.cin, self.cout);
        debug_assert_eq!(x.c, cin);
        let (h, w) = if upsample {
            (2 * x.h, 2 * x.w)
        } else {
            (x.h, x.w)
        };
        if self.k == 1 && !upsample {
            let mut out = vec![0f32; h * w * cout];
            let rows = (BLOCK_FLOATS / cout).max(16);
            out.par_chunks_mut(rows * cout)
                .enumerate()
                .for_each(|(b, dst)| {
                    let start = b * rows;
                    let len = dst.len() / cout;
                    for px in dst.chunks_mut(cout) {
                        px.copy_from_slice(&self.bias);
                    }
                    let src = &x.data[start * cin..(start + len) * cin];
                    matmul(
                        (len, cout, cin),
                        dst,
                        src,
                        (cin, 1),
                        &self.taps,
                        (cout, 1),
                        true,
                        false,
                    );
                });
            return Map {
                h,
                w,
                c: cout,
                data: out,
            };
        }
        // Output pixel (y, x) is wide row y * pw + x: each tap reads the padded input at that
        // row shifted by (dy * pw + dx). The two extra columns per row are dropped at the end.
        let pw = w + 2;
        let padded = pad(x, upsample);
        let wide_rows = h * pw - 2;
        let mut wide = vec![0f32; h * pw * cout];
        let rows = (BLOCK_FLOATS / cout).max(16);
        wide.par_chunks_mut(rows * cout)
            .enumerate()
            .for_each(|(b, dst)| {
                let start = b * rows;
                let len = (dst.len() / cout).min(wide_rows.saturating_sub(start));
                for tap in 0..9 {
                    let shift = (tap / 3) * pw + tap % 3;
                    matmul(
                        (len, cout, cin),
                        &mut dst[..len * cout],
                        &padded[(start + shift) * cin..],
                        (cin, 1),
                        &self.taps[tap * cin * cout..(tap + 1) * cin * cout],
                        (cout, 1),
                        tap > 0,
                        false,
                    );
                }
            });
        let mut out = vec![0f32; h * w * cout];
        out.par_chunks_mut(w * cout)
            .enumerate()
            .for_each(|(y, row)| {
                let src = &wide[y * pw * cout..(y * pw + w) * cout];
                for (o, s) in row.chunks_mut(cout).zip(src.chunks(cout)) {
                    for ((o, s), b) in o.iter_mut().zip(s).zip(&self.bias) {
                        *o = s + b;
                    }
                }
            });
        Map {
            h,
            w,
            c: cout,
            data: out,
        }
    }
}

/// `x` with a border of one zero pixel, after doubling its size when `upsample`.
fn pad(x: &Map, upsample: bool) -> Vec<f32> {
    let c = x.c;
    let (h, w) = if upsample {
        (2 * x.h, 2 * x.w)
    } else {
        (x.h, x.w)
    };
    let pw = w + 2;
    let mut padded = vec![0f32; (h + 2) * pw * c];
    padded
        .par_chunks_mut(pw * c)
        .enumerate()
        .for_each(|(py, row)| {
            if py == 0 || py > h {
                return;
            }
            let sy = if upsample { (py - 1) / 2 } else { py - 1 };
            let src = &x.data[sy * x.w * c..(sy + 1) * x.w * c];
            for px in 0..w {
                let sx = if upsample { px / 2 } else { px };
                row[(px + 1) * c..(px + 2) * c].copy_from_slice(&src[sx * c..(sx + 1) * c]);
            }
        });
    padded
}

/// Group normalisation with its affine parameters, optionally followed by SiLU.
struct GroupNorm {
    groups: usize,
    eps: f64,
    gamma: Vec<f32>,
    beta: Vec<f32>,
}

impl GroupNorm {
    fn load(vb: VarBuilder, groups: usize, c: usize, eps: f64) -> Result<Self> {
        if groups == 0 || !c.is_multiple_of(groups) {
            bail!("{c} channels do not split into {groups} groups");
        }
        Ok(Self {
            groups,
            eps,
            gamma: vb.get(c, "weight")?.to_vec1::<f32>()?,
            beta: vb.get(c, "bias")?.to_vec1::<f32>()?,
        })
    }

    fn forward(&self, x: &Map, silu: bool) -> Map {
        let c = x.c;
        let pixels = (BLOCK_FLOATS / c).max(1);
        // Per-channel sums in f32 over blocks of pixels, added up across blocks in f64.
        let (sum, squares) = x
            .data
            .par_chunks(pixels * c)
            .map(|block| {
                let mut s = vec![0f32; c];
                let mut q = vec![0f32; c];
                for px in block.chunks(c) {
                    for ((s, q), v) in s.iter_mut().zip(q.iter_mut()).zip(px) {
                        *s += v;
                        *q += v * v;
                    }
                }
                let widen = |v: Vec<f32>| v.into_iter().map(f64::from).collect::<Vec<f64>>();
                (widen(s), widen(q))
            })
            .reduce(
                || (vec![0f64; c], vec![0f64; c]),
                |(mut s, mut q), (s2, q2)| {
                    s.iter_mut().zip(s2).for_each(|(a, b)| *a += b);
                    q.iter_mut().zip(q2).for_each(|(a, b)| *a += b);
                    (s, q)
                },
            );
        let per = c / self.groups;
        let count = (x.h * x.w * per) as f64;
        let mut scale = vec![0f32; c];
        let mut shift = vec![0f32; c];
        for g in 0..self.groups {
            let channels = g * per..(g + 1) * per;
            let mean = sum[channels.clone()].iter().sum::<f64>() / count;
            let var =
                (squares[channels.clone()].iter().sum::<f64>() / count - mean * mean).max(0.0);
            let rstd = 1.0 / (var + self.eps).sqrt();
            for ch in channels {
                scale[ch] = (f64::from(self.gamma[ch]) * rstd) as f32;
                shift[ch] =
                    (f64::from(self.beta[ch]) - mean * f64::from(self.gamma[ch]) * rstd) as f32;
            }
        }
        let mut out = vec![0f32; x.data.len()];
        out.par_chunks_mut(pixels * c)
            .zip(x.data.par_chunks(pixels * c))
            .for_each(|(dst, src)| {
                for (d, s) in dst.chunks_mut(c).zip(src.chunks(c)) {
                    for (((d, s), a), b) in d.iter_mut().zip(s).zip(&scale).zip(&shift) {
                        let y = s * a + b;
                        *d = if silu { y / (1.0 + (-y).exp()) } else { y };
                    }
                }
            });
        Map { data: out, ..*x }
    }
}

/// diffusers' `ResnetBlock2D` without a time embedding.
struct Resnet {
    norm1: GroupNorm,
    conv1: Conv,
    norm2: GroupNorm,
    conv2: Conv,
    shortcut: Option<Conv>,
}

impl Resnet {
    fn load(vb: VarBuilder, cin: usize, cout: usize, groups: usize) -> Result<Self> {
        Ok(Self {
            norm1: GroupNorm::load(vb.pp("norm1"), groups, cin, 1e-6)?,
            conv1: Conv::load(vb.pp("conv1"), cin, cout, 3)?,
            norm2: GroupNorm::load(vb.pp("norm2"), groups, cout, 1e-6)?,
            conv2: Conv::load(vb.pp("conv2"), cout, cout, 3)?,
            shortcut: if cin == cout {
                None
            } else {
                Some(Conv::load(vb.pp("conv_shortcut"), cin, cout, 1)?)
            },
        })
    }

    fn forward(&self, x: Map) -> Map {
        let h = self.conv1.forward(&self.norm1.forward(&x, true), false);
        let mut h = self.conv2.forward(&self.norm2.forward(&h, true), false);
        let skip = match &self.shortcut {
            Some(conv) => conv.forward(&x, false),
            None => x,
        };
        add(&mut h, &skip);
        h
    }
}

fn add(into: &mut Map, other: &Map) {
    into.data
        .par_chunks_mut(BLOCK_FLOATS)
        .zip(other.data.par_chunks(BLOCK_FLOATS))
        .for_each(|(a, b)| a.iter_mut().zip(b).for_each(|(a, b)| *a += b));
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
            query: Conv::linear(vb.pp(names[0]), c)?,
            key: Conv::linear(vb.pp(names[1]), c)?,
            value: Conv::linear(vb.pp(names[2]), c)?,
            out: Conv::linear(vb.pp(names[3]), c)?,
        })
    }

    fn forward(&self, x: Map) -> Map {
        let (t, c) = (x.h * x.w, x.c);
        let normed = self.norm.forward(&x, false);
        let q = self.query.forward(&normed, false);
        let k = self.key.forward(&normed, false);
        let v = self.value.forward(&normed, false);
        drop(normed);
        let mut scores = vec![0f32; t * t];
        matmul(
            (t, t, c),
            &mut scores,
            &q.data,
            (c, 1),
            &k.data,
            (1, c),
            false,
            true,
        );
        let scale = 1.0 / (c as f32).sqrt();
        scores.par_chunks_mut(t).for_each(|row| {
            let max = row.iter().fold(f32::NEG_INFINITY, |m, &v| m.max(v)) * scale;
            let mut total = 0.0;
            for v in row.iter_mut() {
                *v = (*v * scale - max).exp();
                total += *v;
            }
            row.iter_mut().for_each(|v| *v /= total);
        });
        let mut mixed = Map {
            data: vec![0f32; t * c],
            ..x
        };
        matmul(
            (t, c, t),
            &mut mixed.data,
            &scores,
            (t, 1),
            &v.data,
            (c, 1),
            false,
            true,
        );
        drop(scores);
        let mut out = self.out.forward(&mixed, false);
        add(&mut out, &x);
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
                    Resnet::load(b.pp("resnets").pp(j), from, cout, groups)
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
                Resnet::load(mid.pp("resnets.0"), last, last, groups)?,
                Attention::load(mid.pp("attentions.0"), last, groups)?,
                Resnet::load(mid.pp("resnets.1"), last, last, groups)?,
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
        let data = latents
            .to_dtype(candle_core::DType::F32)?
            .permute((0, 2, 3, 1))?
            .flatten_all()?
            .to_vec1::<f32>()?;
        let mut x = Map { h, w, c, data };
        if let Some(conv) = &self.post_quant {
            x = conv.forward(&x, false);
        }
        x = self.conv_in.forward(&x, false);
        x = self.mid.0.forward(x);
        x = self.mid.1.forward(x);
        x = self.mid.2.forward(x);
        for up in &self.ups {
            for resnet in &up.resnets {
                x = resnet.forward(x);
            }
            if let Some(conv) = &up.upsample {
                x = conv.forward(&x, true);
            }
        }
        let x = self
            .conv_out
            .forward(&self.norm_out.forward(&x, true), false);
        Ok(Tensor::from_vec(x.data, (1, x.h, x.w, x.c), &Device::Cpu)?.permute((0, 3, 1, 2))?)
    }
}
