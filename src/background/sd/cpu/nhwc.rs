//! Channels-last building blocks for running Stable Diffusion's UNet and VAE on the CPU fast.
//!
//! candle's CPU convolution copies its whole input nine times over (im2col) before one matrix
//! product, and its group norm, SiLU and attention are chains of single-threaded passes. Here a
//! feature map keeps its channels together per pixel, so a pixel's channels are a row of a
//! matrix: a 1x1 convolution or a linear layer is one matrix product, and a 3x3 convolution is
//! three, one per row of taps, each over a zero-padded copy of the input (read with a stride of
//! one pixel and a width of three, which lines up a row's three taps without copying them),
//! adding into a block of output rows small enough to stay in cache; threads take blocks of
//! rows. Norms, SiLU and GELU are one pass each, split across threads. Weights are read from
//! the same safetensors files as candle-transformers' models, whose outputs the models built
//! from these blocks match (tested).

use anyhow::{bail, Result};
use candle_core::{DType, Device, Tensor};
use candle_nn::VarBuilder;
use rayon::prelude::*;

use crate::background::kernels::matmul;

/// A feature map: `h` rows of `w` pixels of `c` channels, channels fastest. A sequence of
/// tokens is a map one row high.
#[derive(Debug, Clone)]
pub struct Map {
    pub h: usize,
    pub w: usize,
    pub c: usize,
    pub data: Vec<f32>,
}

impl Map {
    pub fn pixels(&self) -> usize {
        self.h * self.w
    }

    /// `self += other`, element by element.
    pub fn add(&mut self, other: &Map) {
        self.data
            .par_chunks_mut(BLOCK_FLOATS)
            .zip(other.data.par_chunks(BLOCK_FLOATS))
            .for_each(|(a, b)| a.iter_mut().zip(b).for_each(|(a, b)| *a += b));
    }

    /// The channels of `self` then those of `other`, pixel by pixel.
    pub fn concat(&self, other: &Map) -> Map {
        let (c1, c2) = (self.c, other.c);
        let mut data = vec![0f32; self.pixels() * (c1 + c2)];
        data.par_chunks_mut((c1 + c2) * 256)
            .enumerate()
            .for_each(|(b, dst)| {
                for (i, px) in dst.chunks_mut(c1 + c2).enumerate() {
                    let p = b * 256 + i;
                    px[..c1].copy_from_slice(&self.data[p * c1..(p + 1) * c1]);
                    px[c1..].copy_from_slice(&other.data[p * c2..(p + 1) * c2]);
                }
            });
        Map {
            c: c1 + c2,
            data,
            ..*self
        }
    }

    /// Applies `f` to every value, on all threads.
    pub fn map_in_place(&mut self, f: impl Fn(f32) -> f32 + Sync) {
        self.data
            .par_chunks_mut(BLOCK_FLOATS)
            .for_each(|a| a.iter_mut().for_each(|v| *v = f(*v)));
    }
}

/// e^x to about 1e-7 relative, without branches or calls, so that loops over it vectorise
/// (libm's `expf` is a scalar call: it was the largest cost after the matrix products).
#[inline(always)]
pub fn exp(x: f32) -> f32 {
    const LN2_HI: f32 = 0.693_145_75;
    const LN2_LO: f32 = 1.428_606_8e-6;
    let x = x.clamp(-87.0, 88.0);
    // Rounded to the nearest integer by the 1.5 * 2^23 trick (`round` and `floor` are libm
    // calls on baseline x86-64, which would stop the vectorisation).
    const ROUND: f32 = 12_582_912.0;
    let n = (x * std::f32::consts::LOG2_E + ROUND) - ROUND;
    let r = x - n * LN2_HI - n * LN2_LO;
    // Taylor series of e^r for |r| <= ln 2 / 2: the seventh term is below 1.3e-7.
    let p = 1.0
        + r * (1.0
            + r * (0.5
                + r * (1.0 / 6.0 + r * (1.0 / 24.0 + r * (1.0 / 120.0 + r * (1.0 / 720.0))))));
    p * f32::from_bits(((n as i32 + 127) as u32) << 23)
}

pub fn silu(v: f32) -> f32 {
    v / (1.0 + exp(-v))
}

/// GELU, tanh approximation (what candle's `gelu` computes); tanh(u) = 1 - 2 / (e^2u + 1).
pub fn gelu(v: f32) -> f32 {
    const SQRT_2_OVER_PI: f32 = 0.797_884_6;
    let u = SQRT_2_OVER_PI * (v + 0.044_715 * v * v * v);
    v * (1.0 - 1.0 / (exp(2.0 * u) + 1.0))
}

/// Softmax of `row` scaled by `scale`, in place.
fn softmax(row: &mut [f32], scale: f32) {
    // Sixteen partial results, so that the reductions vectorise too.
    let reduce = |row: &[f32], init: f32, f: fn(f32, f32) -> f32| {
        let mut partial = [init; 16];
        let mut chunks = row.chunks_exact(16);
        for chunk in &mut chunks {
            for (p, &v) in partial.iter_mut().zip(chunk) {
                *p = f(*p, v);
            }
        }
        chunks
            .remainder()
            .iter()
            .chain(&partial)
            .fold(init, |a, &b| f(a, b))
    };
    let max = reduce(row, f32::NEG_INFINITY, f32::max) * scale;
    for v in row.iter_mut() {
        *v = exp(*v * scale - max);
    }
    let inverse = 1.0 / reduce(row, 0.0, |a, b| a + b);
    row.iter_mut().for_each(|v| *v *= inverse);
}

/// The values of an NCHW tensor (any float type) in NHWC order, as f32.
pub fn channels_last(t: &Tensor) -> Result<Vec<f32>> {
    Ok(t.to_dtype(DType::F32)?
        .permute((0, 2, 3, 1))?
        .flatten_all()?
        .to_vec1::<f32>()?)
}

/// An NCHW tensor from `n` maps of the same size, one after another.
pub fn channels_first(
    data: Vec<f32>,
    (n, h, w, c): (usize, usize, usize, usize),
) -> Result<Tensor> {
    Ok(Tensor::from_vec(data, (n, h, w, c), &Device::Cpu)?.permute((0, 3, 1, 2))?)
}

/// Floats per block of work: about 1 MiB, so a block of output rows stays in cache while the
/// three tap rows of a convolution add into it.
const BLOCK_FLOATS: usize = 1 << 18;

/// Below this many rows, a product is split across threads by its columns, not its rows.
const FEW_ROWS: usize = 512;

/// Rows per block for `rows` rows of `width` floats: at most a cache block, and enough blocks
/// for every thread.
fn block_rows(rows: usize, width: usize) -> usize {
    let threads = rayon::current_num_threads().max(1);
    (BLOCK_FLOATS / width.max(1))
        .min(rows.div_ceil(threads))
        .max(1)
}

/// A convolution (`k` = 1 or 3, "same" padding) or a linear layer, with its weights laid out
/// as `[tap][in][out]`, so each tap is the right-hand side of one matrix product.
pub struct Conv {
    k: usize,
    cin: usize,
    cout: usize,
    taps: Vec<f32>,
    bias: Vec<f32>,
}

impl Conv {
    /// A `k`x`k` convolution stored as diffusers does: `weight` `(out, in, k, k)` and `bias`.
    pub fn load(vb: VarBuilder, cin: usize, cout: usize, k: usize) -> Result<Self> {
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

    /// A linear layer: `weight` `(out, in)` (or, in older files, `(out, in, 1, 1)`), with or
    /// without a `bias`.
    pub fn linear(vb: VarBuilder, cin: usize, cout: usize, bias: bool) -> Result<Self> {
        let weight = match vb.get((cout, cin), "weight") {
            Ok(w) => w,
            Err(_) => vb.get((cout, cin, 1, 1), "weight")?.reshape((cout, cin))?,
        };
        let taps = weight.t()?.flatten_all()?.to_vec1::<f32>()?;
        let bias = if bias {
            vb.get(cout, "bias")?.to_vec1::<f32>()?
        } else {
            vec![0.0; cout]
        };
        Ok(Self {
            k: 1,
            cin,
            cout,
            taps,
            bias,
        })
    }

    pub fn forward(&self, x: &Map) -> Map {
        self.run(x, (x.h, x.w), &self.bias, None)
    }

    /// The convolution of `x` normalised by `norm` (applied as the input is padded, so the
    /// normalised map is never stored), with `shift` added to the bias when given (a
    /// resnet's time embedding).
    pub fn forward_normed(&self, x: &Map, norm: &Affine, shift: Option<&[f32]>) -> Map {
        match shift {
            Some(shift) => {
                let bias: Vec<f32> = self.bias.iter().zip(shift).map(|(a, b)| a + b).collect();
                self.run(x, (x.h, x.w), &bias, Some(norm))
            }
            None => self.run(x, (x.h, x.w), &self.bias, Some(norm)),
        }
    }

    /// The convolution of `x` resized to `size` (nearest neighbour, as `upsample_nearest2d`).
    pub fn upsampled(&self, x: &Map, size: (usize, usize)) -> Map {
        self.run(x, size, &self.bias, None)
    }

    fn run(&self, x: &Map, (h, w): (usize, usize), bias: &[f32], norm: Option<&Affine>) -> Map {
        let (cin, cout) = (self.cin, self.cout);
        assert_eq!(x.c, cin, "channels into a convolution");
        if self.k == 1 {
            assert_eq!((h, w), (x.h, x.w), "a 1x1 convolution does not resize");
            if let Some(norm) = norm {
                let mut normed = x.clone();
                normed
                    .data
                    .par_chunks_mut(cin)
                    .zip(x.data.par_chunks(cin))
                    .for_each(|(d, s)| norm.apply(s, d));
                return self.run(&normed, (h, w), bias, None);
            }
            let mut out = vec![0f32; h * w * cout];
            // Few rows (a text encoder's 77 tokens): one block, threads split the product.
            let few = h * w < FEW_ROWS;
            let rows = if few { h * w } else { block_rows(h * w, cout) };
            out.par_chunks_mut(rows * cout)
                .enumerate()
                .for_each(|(b, dst)| {
                    let start = b * rows;
                    let len = dst.len() / cout;
                    for px in dst.chunks_mut(cout) {
                        px.copy_from_slice(bias);
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
                        few,
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
        let padded = pad(x, (h, w), norm);
        let wide_rows = h * pw - 2;
        let mut wide = vec![0f32; h * pw * cout];
        // Few rows (a UNet's 8x8 and 16x16 maps): one block, threads split each product.
        let few = wide_rows < FEW_ROWS;
        let rows = if few {
            wide_rows
        } else {
            block_rows(wide_rows, cout)
        };
        wide.par_chunks_mut(rows * cout)
            .enumerate()
            .for_each(|(b, dst)| {
                let start = b * rows;
                let len = (dst.len() / cout).min(wide_rows.saturating_sub(start));
                if len == 0 {
                    return;
                }
                // A row of the input with its stride left at one pixel and three pixels' width
                // holds the three horizontal taps side by side: one product per tap row.
                let k = 3 * cin;
                for dy in 0..3 {
                    matmul(
                        (len, cout, k),
                        &mut dst[..len * cout],
                        &padded[(start + dy * pw) * cin..],
                        (cin, 1),
                        &self.taps[dy * k * cout..(dy + 1) * k * cout],
                        (cout, 1),
                        dy > 0,
                        few,
                    );
                }
            });
        let mut out = vec![0f32; h * w * cout];
        out.par_chunks_mut(w * cout)
            .enumerate()
            .for_each(|(y, row)| {
                let src = &wide[y * pw * cout..(y * pw + w) * cout];
                for (o, s) in row.chunks_mut(cout).zip(src.chunks(cout)) {
                    for ((o, s), b) in o.iter_mut().zip(s).zip(bias) {
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

    /// The 3x3 convolution with stride 2 and padding 1 (a UNet's downsampler): the taps of
    /// every output pixel gathered into a row, then one matrix product.
    pub fn downsampled(&self, x: &Map) -> Map {
        let (cin, cout) = (self.cin, self.cout);
        assert_eq!((self.k, x.c), (3, cin), "a strided 3x3 convolution");
        let (h, w) = (x.h.div_ceil(2), x.w.div_ceil(2));
        let k = 9 * cin;
        let mut cols = vec![0f32; h * w * k];
        cols.par_chunks_mut(k).enumerate().for_each(|(p, row)| {
            let (oy, ox) = (p / w, p % w);
            for tap in 0..9 {
                let (sy, sx) = (2 * oy + tap / 3, 2 * ox + tap % 3);
                if (1..=x.h).contains(&sy) && (1..=x.w).contains(&sx) {
                    let src = ((sy - 1) * x.w + sx - 1) * cin;
                    row[tap * cin..(tap + 1) * cin].copy_from_slice(&x.data[src..src + cin]);
                }
            }
        });
        let mut out = vec![0f32; h * w * cout];
        for px in out.chunks_mut(cout) {
            px.copy_from_slice(&self.bias);
        }
        matmul(
            (h * w, cout, k),
            &mut out,
            &cols,
            (k, 1),
            &self.taps,
            (cout, 1),
            true,
            true,
        );
        Map {
            h,
            w,
            c: cout,
            data: out,
        }
    }
}

/// `x` resized to `(h, w)` (nearest neighbour) and normalised by `norm` when given, with a
/// border of one zero pixel.
fn pad(x: &Map, (h, w): (usize, usize), norm: Option<&Affine>) -> Vec<f32> {
    let c = x.c;
    let pw = w + 2;
    // The source of output row/column i: floor(i * in / out), as candle's upsample_nearest2d.
    let source = |i: usize, out: usize, inp: usize| -> usize {
        if out == inp {
            i
        } else {
            ((i as f64 * inp as f64 / out as f64) as usize).min(inp - 1)
        }
    };
    let mut padded = vec![0f32; (h + 2) * pw * c];
    padded
        .par_chunks_mut(pw * c)
        .enumerate()
        .for_each(|(py, row)| {
            if py == 0 || py > h {
                return;
            }
            let sy = source(py - 1, h, x.h);
            let src = &x.data[sy * x.w * c..(sy + 1) * x.w * c];
            for px in 0..w {
                let sx = source(px, w, x.w);
                let (dst, src) = (
                    &mut row[(px + 1) * c..(px + 2) * c],
                    &src[sx * c..(sx + 1) * c],
                );
                match norm {
                    Some(norm) => norm.apply(src, dst),
                    None => dst.copy_from_slice(src),
                }
            }
        });
    padded
}

/// Group normalisation with its affine parameters, optionally followed by SiLU.
pub struct GroupNorm {
    groups: usize,
    eps: f64,
    gamma: Vec<f32>,
    beta: Vec<f32>,
}

impl GroupNorm {
    pub fn load(vb: VarBuilder, groups: usize, c: usize, eps: f64) -> Result<Self> {
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

    pub fn forward(&self, x: &Map, then_silu: bool) -> Map {
        let affine = self.affine(x, then_silu);
        let mut out = vec![0f32; x.data.len()];
        let block = (BLOCK_FLOATS / x.c).max(1) * x.c;
        out.par_chunks_mut(block)
            .zip(x.data.par_chunks(block))
            .for_each(|(dst, src)| {
                for (d, s) in dst.chunks_mut(x.c).zip(src.chunks(x.c)) {
                    affine.apply(s, d);
                }
            });
        Map { data: out, ..*x }
    }

    /// This norm of `x` as a per-channel scale and shift (then SiLU when `then_silu`), for a
    /// convolution to apply while it copies its input ([`Conv::forward_normed`]).
    pub fn affine(&self, x: &Map, then_silu: bool) -> Affine {
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
        let count = (x.pixels() * per) as f64;
        let mut scale = vec![0f32; c];
        let mut shift = vec![0f32; c];
        for g in 0..self.groups {
            let channels = g * per..(g + 1) * per;
            let mean = sum[channels.clone()].iter().sum::<f64>() / count;
            let var =
                (squares[channels.clone()].iter().sum::<f64>() / count - mean * mean).max(0.0);
            let rstd = 1.0 / (var + self.eps).sqrt();
            for ch in channels {
                let a = f64::from(self.gamma[ch]) * rstd;
                scale[ch] = a as f32;
                shift[ch] = (f64::from(self.beta[ch]) - mean * a) as f32;
            }
        }
        Affine {
            scale,
            shift,
            silu: then_silu,
        }
    }
}

/// A per-channel scale and shift, then optionally SiLU: a group norm with its statistics.
pub struct Affine {
    scale: Vec<f32>,
    shift: Vec<f32>,
    silu: bool,
}

impl Affine {
    /// One pixel's channels from `src` into `dst`.
    fn apply(&self, src: &[f32], dst: &mut [f32]) {
        let pairs = self.scale.iter().zip(&self.shift);
        if self.silu {
            for ((d, s), (a, b)) in dst.iter_mut().zip(src).zip(pairs) {
                *d = silu(s * a + b);
            }
        } else {
            for ((d, s), (a, b)) in dst.iter_mut().zip(src).zip(pairs) {
                *d = s * a + b;
            }
        }
    }
}

/// Layer normalisation over each pixel's channels.
pub struct LayerNorm {
    eps: f32,
    gamma: Vec<f32>,
    beta: Vec<f32>,
}

impl LayerNorm {
    pub fn load(vb: VarBuilder, c: usize, eps: f32) -> Result<Self> {
        Ok(Self {
            eps,
            gamma: vb.get(c, "weight")?.to_vec1::<f32>()?,
            beta: vb.get(c, "bias")?.to_vec1::<f32>()?,
        })
    }

    pub fn forward(&self, x: &Map) -> Map {
        let c = x.c;
        let mut out = x.data.clone();
        out.par_chunks_mut(c).for_each(|px| {
            let mean = px.iter().sum::<f32>() / c as f32;
            let var = px.iter().map(|v| (v - mean) * (v - mean)).sum::<f32>() / c as f32;
            let rstd = 1.0 / (var + self.eps).sqrt();
            for ((v, g), b) in px.iter_mut().zip(&self.gamma).zip(&self.beta) {
                *v = (*v - mean) * rstd * g + b;
            }
        });
        Map { data: out, ..*x }
    }
}

/// Multi-head attention of `q` (tokens x heads*d) over `k` and `v` (keys x heads*d): softmax of
/// q k^T / sqrt(d), times v, head by head. `causal`: token i sees keys 0..=i only. Threads
/// take blocks of queries, so a block's scores stay in cache instead of a whole head's
/// (64 MiB for a 64x64 map) going through memory three times.
pub fn attention(q: &Map, k: &Map, v: &Map, heads: usize, causal: bool) -> Map {
    const QUERIES: usize = 128;
    let (t, s, inner) = (q.pixels(), k.pixels(), q.c);
    let d = inner / heads.max(1);
    let scale = 1.0 / (d as f32).sqrt();
    let mut out = vec![0f32; t * inner];
    out.par_chunks_mut(QUERIES * inner)
        .enumerate()
        .for_each(|(b, out)| {
            let first = b * QUERIES;
            let rows = out.len() / inner;
            let mut scores = vec![0f32; rows * s];
            let mut head_out = vec![0f32; rows * d];
            for head in 0..heads {
                let at = head * d;
                matmul(
                    (rows, s, d),
                    &mut scores,
                    &q.data[first * inner + at..],
                    (inner, 1),
                    &k.data[at..],
                    (1, inner),
                    false,
                    false,
                );
                for (i, row) in scores.chunks_mut(s).enumerate() {
                    let seen = if causal { (first + i + 1).min(s) } else { s };
                    let (row, hidden) = row.split_at_mut(seen);
                    softmax(row, scale);
                    hidden.fill(0.0);
                }
                matmul(
                    (rows, d, s),
                    &mut head_out,
                    &scores,
                    (s, 1),
                    &v.data[at..],
                    (inner, 1),
                    false,
                    false,
                );
                for (o, h) in out.chunks_mut(inner).zip(head_out.chunks(d)) {
                    o[at..at + d].copy_from_slice(h);
                }
            }
        });
    Map {
        h: q.h,
        w: q.w,
        c: inner,
        data: out,
    }
}

/// diffusers' `ResnetBlock2D`, with a time embedding (a UNet's) or without (a VAE's).
pub struct Resnet {
    norm1: GroupNorm,
    conv1: Conv,
    time: Option<Conv>,
    norm2: GroupNorm,
    conv2: Conv,
    shortcut: Option<Conv>,
    scale: f32,
}

/// The sizes of a [`Resnet`].
pub struct ResnetShape {
    pub cin: usize,
    pub cout: usize,
    pub groups: usize,
    pub eps: f64,
    /// Channels of the time embedding, if it takes one.
    pub temb: Option<usize>,
    /// What the output is divided by.
    pub scale: f64,
}

impl Resnet {
    pub fn load(vb: VarBuilder, s: &ResnetShape) -> Result<Self> {
        Ok(Self {
            norm1: GroupNorm::load(vb.pp("norm1"), s.groups, s.cin, s.eps)?,
            conv1: Conv::load(vb.pp("conv1"), s.cin, s.cout, 3)?,
            time: match s.temb {
                Some(temb) => Some(Conv::linear(vb.pp("time_emb_proj"), temb, s.cout, true)?),
                None => None,
            },
            norm2: GroupNorm::load(vb.pp("norm2"), s.groups, s.cout, s.eps)?,
            conv2: Conv::load(vb.pp("conv2"), s.cout, s.cout, 3)?,
            shortcut: if s.cin == s.cout {
                None
            } else {
                Some(Conv::load(vb.pp("conv_shortcut"), s.cin, s.cout, 1)?)
            },
            scale: s.scale as f32,
        })
    }

    /// `temb`: the time embedding after SiLU (one token), for a resnet that takes one.
    pub fn forward(&self, x: Map, temb: Option<&Map>) -> Map {
        let shift = match (&self.time, temb) {
            (Some(time), Some(temb)) => Some(time.forward(temb).data),
            _ => None,
        };
        let h = self
            .conv1
            .forward_normed(&x, &self.norm1.affine(&x, true), shift.as_deref());
        let mut h = self
            .conv2
            .forward_normed(&h, &self.norm2.affine(&h, true), None);
        let skip = match &self.shortcut {
            Some(conv) => conv.forward(&x),
            None => x,
        };
        h.add(&skip);
        if self.scale != 1.0 {
            let scale = self.scale;
            h.map_in_place(|v| v / scale);
        }
        h
    }
}
