//! The denoiser of the built-in model: a small convolutional UNet over the latent grid,
//! conditioned by FiLM on the noise level and the prompt (the mean embedding of its known words).
//!
//! Why a UNet and not an MLP: an MLP over cosine coefficients learned colour and mood but drew
//! no bokeh discs and no shapes (see `benches/sheets/builtin-v1.jpg`): it has to learn every
//! shape at every position. Convolutions share what they learn across positions.
//!
//! Layout is NHWC throughout. A 3x3 convolution is [`ops::conv3x3`] (a gather and one matrix
//! product), and normalisation is [`ops::rms_norm`] over channels (see [`ops`] for why). The
//! prompt enters through three slots, style, colours and mood, each the mean embedding of its
//! words (or a learned "none"), so a style word is never diluted by the colours named beside
//! it.

use candle_core::{DType, Device, Result, Tensor, D};
use candle_nn::{Init, Linear, Module, VarBuilder};

use super::codec::{CHANNELS, GRID};
use super::ops;
use super::words;

/// Side of the square patches the grid is cut into on the way in (space to depth).
const PATCH: usize = 2;
/// Channels at the three resolutions (20x12, 10x6, 5x3 for the 40x24 grid).
pub const WIDTHS: [usize; 3] = [64, 128, 128];
/// Width of the conditioning vector.
pub const COND: usize = 256;
/// Sinusoidal features of the noise level.
const TIME_FEATURES: usize = 64;
/// Attention heads at the lowest resolution.
const HEADS: usize = 4;

/// Initial weights of a layer with `fan_in` inputs: normal with variance 1 / (3 fan_in), as
/// PyTorch's default. Kaiming's 2 / fan_in (candle_nn's default) trained this network to a
/// plateau twice as high in the same steps.
fn init(fan_in: usize) -> Init {
    Init::Randn {
        mean: 0.0,
        stdev: (1.0 / (3.0 * fan_in as f64)).sqrt(),
    }
}

/// A linear layer with [`init`] weights and zero bias.
fn linear(cin: usize, cout: usize, vb: VarBuilder) -> Result<Linear> {
    let weight = vb.get_with_hints((cout, cin), "weight", init(cin))?;
    let bias = vb.get_with_hints(cout, "bias", Init::Const(0.0))?;
    Ok(Linear::new(weight, Some(bias)))
}

/// Width of each prompt slot's embedding.
const SLOT: usize = 128;

/// A 3x3 convolution, stride 1, zero padding 1, on NHWC tensors, without bias (what follows
/// it is normalised, or shifted by FiLM).
struct Conv {
    weight: Tensor,
}

impl Conv {
    fn new(cin: usize, cout: usize, vb: VarBuilder) -> Result<Self> {
        Ok(Self {
            weight: vb.get_with_hints((cout, 9 * cin), "weight", init(9 * cin))?,
        })
    }

    /// A convolution whose weights start at zero, so a residual branch starts as identity.
    fn zeroed(cin: usize, cout: usize, vb: VarBuilder) -> Result<Self> {
        Ok(Self {
            weight: vb.get_with_hints((cout, 9 * cin), "weight", Init::Const(0.0))?,
        })
    }

    fn forward(&self, x: &Tensor) -> Result<Tensor> {
        ops::conv3x3(x, &self.weight)
    }
}

/// Norm, SiLU, conv; norm, FiLM by the conditioning, SiLU, conv; plus the input.
struct Block {
    conv1: Conv,
    film: Linear,
    conv2: Conv,
    skip: Option<Linear>,
}

impl Block {
    fn new(cin: usize, cout: usize, vb: VarBuilder) -> Result<Self> {
        Ok(Self {
            conv1: Conv::new(cin, cout, vb.pp("conv1"))?,
            film: linear(COND, 2 * cout, vb.pp("film"))?,
            conv2: Conv::zeroed(cout, cout, vb.pp("conv2"))?,
            skip: if cin == cout {
                None
            } else {
                Some(linear(cin, cout, vb.pp("skip"))?)
            },
        })
    }

    fn forward(&self, x: &Tensor, cond: &Tensor) -> Result<Tensor> {
        let h = self.conv1.forward(&ops::norm_silu(x)?)?;
        let h = ops::norm_film_silu(&h, &self.film.forward(cond)?)?;
        let h = self.conv2.forward(&h)?;
        let x = match &self.skip {
            Some(skip) => dense(skip, x)?,
            None => x.clone(),
        };
        x + h
    }
}

/// Self-attention over the positions of the lowest resolution.
struct Attention {
    qkv: Linear,
    out: Linear,
    width: usize,
}

impl Attention {
    fn new(width: usize, vb: VarBuilder) -> Result<Self> {
        let weight = vb.get_with_hints((width, width), "out.weight", Init::Const(0.0))?;
        let bias = vb.get_with_hints(width, "out.bias", Init::Const(0.0))?;
        Ok(Self {
            qkv: linear(width, 3 * width, vb.pp("qkv"))?,
            out: Linear::new(weight, Some(bias)),
            width,
        })
    }

    fn forward(&self, x: &Tensor) -> Result<Tensor> {
        let (b, h, w, c) = x.dims4()?;
        let n = h * w;
        let head = c / HEADS;
        let qkv = self
            .qkv
            .forward(&ops::rms_norm(&x.reshape((b * n, c))?)?)?
            .reshape((b, n, 3, HEADS, head))?
            .permute((2, 0, 3, 1, 4))?; // [3, b, heads, n, head]
        let q = qkv.get(0)?.contiguous()?;
        let k = qkv.get(1)?.contiguous()?;
        let v = qkv.get(2)?.contiguous()?;
        let scores = (q.matmul(&k.t()?)? / (head as f64).sqrt())?;
        // The composed softmax: `softmax_last_dim` passes no gradient back.
        let attn = candle_nn::ops::softmax(&scores, D::Minus1)?.matmul(&v)?; // [b, heads, n, head]
        let attn = attn.permute((0, 2, 1, 3))?.reshape((b * n, self.width))?;
        x + self.out.forward(&attn)?.reshape((b, h, w, c))?
    }
}

/// [b, h, w, c] -> [b, h/2, w/2, 4c].
fn space_to_depth(x: &Tensor) -> Result<Tensor> {
    let (b, h, w, c) = x.dims4()?;
    x.reshape((b, h / 2, 2, w / 2, 2, c))?
        .permute((0, 1, 3, 2, 4, 5))?
        .reshape((b, h / 2, w / 2, 4 * c))
}

/// [b, h, w, 4c] -> [b, 2h, 2w, c].
fn depth_to_space(x: &Tensor) -> Result<Tensor> {
    let (b, h, w, c4) = x.dims4()?;
    let c = c4 / 4;
    x.reshape((b, h, w, 2, 2, c))?
        .permute((0, 1, 3, 2, 4, 5))?
        .reshape((b, 2 * h, 2 * w, c))
}

/// A linear layer over the last dimension of a tensor of any rank, as one matrix product
/// (candle's `Linear` on rank 3 and 4 runs a batched product per leading index).
fn dense(layer: &Linear, x: &Tensor) -> Result<Tensor> {
    let mut dims = x.dims().to_vec();
    let last = dims.pop().unwrap_or(1);
    let rows = dims.iter().product::<usize>();
    let y = layer.forward(&x.reshape((rows, last))?)?;
    dims.push(y.dim(1)?);
    y.reshape(dims)
}

/// Nearest-neighbour doubling of an NHWC tensor.
fn upsample(x: &Tensor) -> Result<Tensor> {
    let (b, h, w, c) = x.dims4()?;
    x.reshape((b, h, 1, w, 1, c))?
        .broadcast_as((b, h, 2, w, 2, c))?
        .contiguous()?
        .reshape((b, 2 * h, 2 * w, c))
}

/// The denoiser: predicts v from a noisy latent grid, its noise level and the prompt.
pub struct Denoiser {
    coords: Tensor,
    input: Conv,
    down0: Block,
    to1: Linear,
    down1: Block,
    to2: Linear,
    mid1: Block,
    attention: Attention,
    mid2: Block,
    from2: Conv,
    up1: Block,
    from1: Conv,
    up0: Block,
    output: Conv,
    time: Linear,
    words: Tensor,
    cond: Linear,
}

impl Denoiser {
    /// Builds the network from `vb` (random weights from a `VarMap`, or loaded ones).
    pub fn new(vb: VarBuilder) -> Result<Self> {
        let vocab = words::vocabulary().len();
        let [w0, w1, w2] = WIDTHS;
        let patch_in = PATCH * PATCH * CHANNELS;
        Ok(Self {
            coords: coordinates(vb.device())?,
            input: Conv::new(patch_in + 2, w0, vb.pp("input"))?,
            down0: Block::new(w0, w0, vb.pp("down0"))?,
            to1: linear(4 * w0, w1, vb.pp("to1"))?,
            down1: Block::new(w1, w1, vb.pp("down1"))?,
            to2: linear(4 * w1, w2, vb.pp("to2"))?,
            mid1: Block::new(w2, w2, vb.pp("mid1"))?,
            attention: Attention::new(w2, vb.pp("attention"))?,
            mid2: Block::new(w2, w2, vb.pp("mid2"))?,
            from2: Conv::new(w2, w1, vb.pp("from2"))?,
            up1: Block::new(2 * w1, w1, vb.pp("up1"))?,
            from1: Conv::new(w1, w0, vb.pp("from1"))?,
            up0: Block::new(2 * w0, w0, vb.pp("up0"))?,
            output: Conv::new(w0, patch_in, vb.pp("output"))?,
            time: linear(TIME_FEATURES, COND, vb.pp("time"))?,
            // One row per vocabulary word, then one "none" row per slot.
            words: vb.get_with_hints(
                (vocab + SLOTS, SLOT),
                "words",
                Init::Randn {
                    mean: 0.0,
                    stdev: 0.5,
                },
            )?,
            cond: linear(COND + SLOTS * SLOT, COND, vb.pp("cond"))?,
        })
    }

    /// `z`: [batch, GRID.1, GRID.0, CHANNELS] noisy latents; `t`: noise levels in [0, 1];
    /// `prompts`: word indices per row (empty: unconditional).
    pub fn forward(&self, z: &Tensor, t: &[f32], prompts: &[Vec<usize>]) -> Result<Tensor> {
        let device = z.device();
        let b = z.dim(0)?;
        let time = self.time.forward(&time_features(t, device)?)?.silu()?;
        let slots = slot_matrix(prompts, device)?
            .matmul(&self.words)?
            .reshape((b, SLOTS * SLOT))?;
        let cond = self
            .cond
            .forward(&Tensor::cat(&[&time, &slots], 1)?)?
            .silu()?;

        let patches = space_to_depth(z)?;
        let (_, h, w, _) = patches.dims4()?;
        let coords = self.coords.broadcast_as((b, h, w, 2))?;
        let x = self.input.forward(&Tensor::cat(&[&patches, &coords], 3)?)?;
        let h0 = self.down0.forward(&x, &cond)?;
        let h1 = self
            .down1
            .forward(&dense(&self.to1, &space_to_depth(&h0)?)?, &cond)?;
        let m = self
            .mid1
            .forward(&dense(&self.to2, &space_to_depth(&h1)?)?, &cond)?;
        let m = self.mid2.forward(&self.attention.forward(&m)?, &cond)?;
        let u1 = self.from2.forward(&upsample(&m)?)?;
        let u1 = self.up1.forward(&Tensor::cat(&[&u1, &h1], 3)?, &cond)?;
        let u0 = self.from1.forward(&upsample(&u1)?)?;
        let u0 = self.up0.forward(&Tensor::cat(&[&u0, &h0], 3)?, &cond)?;
        let out = self.output.forward(&ops::norm_silu(&u0)?)?;
        depth_to_space(&out)
    }
}

/// x and y in [-1, 1] at every patch position: [1, h, w, 2].
fn coordinates(device: &Device) -> Result<Tensor> {
    let (w, h) = (GRID.0 / PATCH, GRID.1 / PATCH);
    let mut v = Vec::with_capacity(w * h * 2);
    for y in 0..h {
        for x in 0..w {
            v.push(-1.0 + 2.0 * x as f32 / (w - 1) as f32);
            v.push(-1.0 + 2.0 * y as f32 / (h - 1) as f32);
        }
    }
    Tensor::from_vec(v, (1, h, w, 2), device)
}

/// Sinusoidal features of noise levels.
fn time_features(t: &[f32], device: &Device) -> Result<Tensor> {
    let half = TIME_FEATURES / 2;
    let mut v = Vec::with_capacity(t.len() * TIME_FEATURES);
    for &t in t {
        for i in 0..half {
            let freq = (-(i as f32) / half as f32 * 9.0).exp() * 1000.0;
            v.push((t * freq).sin());
        }
        for i in 0..half {
            let freq = (-(i as f32) / half as f32 * 9.0).exp() * 1000.0;
            v.push((t * freq).cos());
        }
    }
    Tensor::from_vec(v, (t.len(), TIME_FEATURES), device)
}

/// Prompt slots: style, colours, mood.
const SLOTS: usize = 3;

/// For each prompt and slot, a row that averages the embeddings of the prompt's words in that
/// slot, or picks the slot's "none" row: [batch * SLOTS, vocab + SLOTS].
fn slot_matrix(prompts: &[Vec<usize>], device: &Device) -> Result<Tensor> {
    let vocab = words::vocabulary().len();
    let cols = vocab + SLOTS;
    let mut m = vec![0f32; prompts.len() * SLOTS * cols];
    for (r, words) in prompts.iter().enumerate() {
        for slot in 0..SLOTS {
            let row = &mut m[(r * SLOTS + slot) * cols..(r * SLOTS + slot + 1) * cols];
            let mine: Vec<usize> = words
                .iter()
                .copied()
                .filter(|&w| words::slot(w) == Some(slot))
                .collect();
            if mine.is_empty() {
                row[vocab + slot] = 1.0;
            }
            for &w in &mine {
                row[w] += 1.0 / mine.len() as f32;
            }
        }
    }
    Tensor::from_vec(m, (prompts.len() * SLOTS, cols), device)?.to_dtype(DType::F32)
}
