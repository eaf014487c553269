//! Hand-written candle operations for the denoiser's hot paths, each with its backward pass.
//!
//! Measured on this project's 2-core machine: a 3x3 convolution written as nine shifted views
//! concatenated (pad, narrow, cat) spent most of a training step copying strided memory, and
//! candle's own `conv2d` trains through `conv_transpose2d`, a naive loop. [`conv3x3`] is one
//! node: a gather of neighbourhoods into a reused buffer and one gemm forward; a gather, two
//! gemms and a scatter backward. [`rms_norm`] normalises over the last dimension
//! in one pass instead of five broadcast operations, each allocating a full tensor, and
//! [`norm_film_silu`] fuses a residual block's normalisation, FiLM and activation (forward and
//! backward each one pass: they were a third of a training step as separate operations).

use candle_core::{CpuStorage, CustomOp1, CustomOp2, CustomOp3, Layout, Result, Shape, Tensor};
use rayon::prelude::*;

use crate::background::kernels::matmul;

fn contiguous<'a>(storage: &'a CpuStorage, layout: &Layout, op: &str) -> Result<&'a [f32]> {
    let data = storage.as_slice::<f32>()?;
    match layout.contiguous_offsets() {
        Some((start, end)) => Ok(&data[start..end]),
        None => candle_core::bail!("{op}: input must be contiguous"),
    }
}

/// `x / sqrt(mean(x^2) + 1e-6)` over the last dimension.
pub fn rms_norm(x: &Tensor) -> Result<Tensor> {
    x.contiguous()?.apply_op1(RmsNorm)
}

/// A 3x3 convolution, stride 1, zero padding 1: `x` [b, h, w, c], `weight` [out, 9 * c]
/// (neighbours in row-major order, channels innermost) -> [b, h, w, out]. One node in the
/// graph: the gather and the matrix products of both passes run inside it.
pub fn conv3x3(x: &Tensor, weight: &Tensor) -> Result<Tensor> {
    x.contiguous()?.apply_op2(&weight.contiguous()?, Conv3x3)
}

/// `silu(rms_norm(x) * (1 + scale) + shift)` over the last dimension of `x` ([b, h, w, c]),
/// where `film` ([b, 2c]) holds each batch item's scale then shift.
pub fn norm_film_silu(x: &Tensor, film: &Tensor) -> Result<Tensor> {
    x.contiguous()?.apply_op2(&film.contiguous()?, NormFilmSilu)
}

/// `silu(rms_norm(x))` over the last dimension.
pub fn norm_silu(x: &Tensor) -> Result<Tensor> {
    let (b, c) = (x.dim(0)?, *x.dims().last().unwrap_or(&1));
    norm_film_silu(x, &Tensor::zeros((b, 2 * c), x.dtype(), x.device())?)
}

/// The shape of a convolution's input.
#[derive(Clone, Copy)]
struct Grid {
    b: usize,
    h: usize,
    w: usize,
    c: usize,
}

impl Grid {
    /// Rows of the column matrix: one per position.
    fn positions(&self) -> usize {
        self.b * self.h * self.w
    }

    /// The 3x3 neighbourhood of every position (zero outside), neighbours in row-major order,
    /// channels innermost: [positions, 9c]. Writes every element of `cols`.
    fn gather(&self, src: &[f32], cols: &mut [f32]) {
        let Self { h, w, c, .. } = *self;
        cols.par_chunks_mut(w * 9 * c)
            .enumerate()
            .for_each(|(row, dst)| {
                let (n, y) = (row / h, row % h);
                for x in 0..w {
                    for k in 0..9 {
                        let to = (x * 9 + k) * c;
                        match self.neighbour(n, y, x, k) {
                            Some(from) => dst[to..to + c].copy_from_slice(&src[from..from + c]),
                            None => dst[to..to + c].fill(0.0),
                        }
                    }
                }
            });
    }

    /// The adjoint of [`gather`](Self::gather): sums what each position gave its neighbours.
    /// Writes every element of `dst`.
    fn scatter(&self, cols: &[f32], dst: &mut [f32]) {
        let Self { h, w, c, .. } = *self;
        // Each task owns one row of `dst` and reads the columns of the rows around it.
        dst.par_chunks_mut(w * c)
            .enumerate()
            .for_each(|(row, out)| {
                out.fill(0.0);
                let (n, y) = (row / h, row % h);
                for x in 0..w {
                    let acc = &mut out[x * c..(x + 1) * c];
                    for k in 0..9 {
                        // (y, x) is neighbour k of the position 8 - k steps the other way.
                        let Some(from) = self.neighbour(n, y, x, 8 - k) else {
                            continue;
                        };
                        let from = (from / c * 9 + k) * c;
                        for (a, v) in acc.iter_mut().zip(&cols[from..from + c]) {
                            *a += v;
                        }
                    }
                }
            });
    }

    /// Offset of neighbour `k` (0..9, row-major) of position (n, y, x), if inside the grid.
    fn neighbour(&self, n: usize, y: usize, x: usize, k: usize) -> Option<usize> {
        let sy = (y + k / 3).checked_sub(1).filter(|&v| v < self.h)?;
        let sx = (x + k % 3).checked_sub(1).filter(|&v| v < self.w)?;
        Some(((n * self.h + sy) * self.w + sx) * self.c)
    }
}

thread_local! {
    /// Column matrices are large (nine times a layer's activations) and made twice per
    /// convolution per step: reusing one buffer per thread saves zeroing fresh memory.
    static SCRATCH: std::cell::RefCell<[Vec<f32>; 2]> = Default::default();
}

/// Runs `f` with two scratch buffers of `a` and `b` elements (contents unspecified).
fn with_scratch<R>(a: usize, b: usize, f: impl FnOnce(&mut [f32], &mut [f32]) -> R) -> R {
    let [mut x, mut y] = SCRATCH.with(|s| std::mem::take(&mut *s.borrow_mut()));
    x.resize(a, 0.0);
    y.resize(b, 0.0);
    let result = f(&mut x[..a], &mut y[..b]);
    SCRATCH.with(|s| *s.borrow_mut() = [x, y]);
    result
}

const EPS: f32 = 1e-6;

struct RmsNorm;

impl CustomOp1 for RmsNorm {
    fn name(&self) -> &'static str {
        "rms-norm"
    }

    fn cpu_fwd(&self, storage: &CpuStorage, layout: &Layout) -> Result<(CpuStorage, Shape)> {
        let src = contiguous(storage, layout, "rms-norm")?;
        let dim = *layout.dims().last().unwrap_or(&1);
        let mut out = vec![0f32; src.len()];
        out.par_chunks_mut(dim)
            .zip(src.par_chunks(dim))
            .for_each(|(y, x)| {
                let inv = 1.0 / (x.iter().map(|v| v * v).sum::<f32>() / dim as f32 + EPS).sqrt();
                for (y, x) in y.iter_mut().zip(x) {
                    *y = x * inv;
                }
            });
        Ok((CpuStorage::F32(out), layout.shape().clone()))
    }

    fn bwd(&self, arg: &Tensor, _res: &Tensor, grad: &Tensor) -> Result<Option<Tensor>> {
        Ok(Some(
            arg.contiguous()?
                .apply_op2_no_bwd(&grad.contiguous()?, &RmsNormBackward)?,
        ))
    }
}

/// Gradient of [`RmsNorm`]: with `y = x / r`, `dx = (g - y * mean(g * y)) / r`.
struct RmsNormBackward;

impl CustomOp2 for RmsNormBackward {
    fn name(&self) -> &'static str {
        "rms-norm-backward"
    }

    fn cpu_fwd(
        &self,
        s1: &CpuStorage,
        l1: &Layout,
        s2: &CpuStorage,
        l2: &Layout,
    ) -> Result<(CpuStorage, Shape)> {
        let x = contiguous(s1, l1, "rms-norm-backward")?;
        let g = contiguous(s2, l2, "rms-norm-backward")?;
        let dim = *l1.dims().last().unwrap_or(&1);
        let mut out = vec![0f32; x.len()];
        out.par_chunks_mut(dim)
            .zip(x.par_chunks(dim).zip(g.par_chunks(dim)))
            .for_each(|(dx, (x, g))| {
                let inv = 1.0 / (x.iter().map(|v| v * v).sum::<f32>() / dim as f32 + EPS).sqrt();
                let dot = x.iter().zip(g).map(|(x, g)| x * inv * g).sum::<f32>() / dim as f32;
                for ((d, x), g) in dx.iter_mut().zip(x).zip(g) {
                    *d = (g - x * inv * dot) * inv;
                }
            });
        Ok((CpuStorage::F32(out), l1.shape().clone()))
    }
}

/// The input grid of a 3x3 convolution (`l1`, NHWC) and its weight's `(out, k)` (`l2`), checked.
fn conv_dims(l1: &Layout, l2: &Layout) -> Result<(Grid, usize, usize)> {
    let (b, h, w, c) = l1.shape().dims4()?;
    let (out, k) = l2.shape().dims2()?;
    if k != 9 * c {
        candle_core::bail!("conv3x3: weight {:?} for {c} channels", l2.dims());
    }
    Ok((Grid { b, h, w, c }, out, k))
}

struct Conv3x3;

impl CustomOp2 for Conv3x3 {
    fn name(&self) -> &'static str {
        "conv3x3"
    }

    fn cpu_fwd(
        &self,
        s1: &CpuStorage,
        l1: &Layout,
        s2: &CpuStorage,
        l2: &Layout,
    ) -> Result<(CpuStorage, Shape)> {
        let (shape, out, k) = conv_dims(l1, l2)?;
        let x = contiguous(s1, l1, "conv3x3")?;
        let weight = contiguous(s2, l2, "conv3x3")?;
        let m = shape.positions();
        let mut y = vec![0f32; m * out];
        with_scratch(m * k, 0, |cols, _| {
            shape.gather(x, cols);
            matmul(
                (m, out, k),
                &mut y,
                cols,
                (k, 1),
                weight,
                (1, k),
                false,
                true,
            );
        });
        Ok((
            CpuStorage::F32(y),
            Shape::from((shape.b, shape.h, shape.w, out)),
        ))
    }

    fn bwd(
        &self,
        x: &Tensor,
        weight: &Tensor,
        _res: &Tensor,
        grad: &Tensor,
    ) -> Result<(Option<Tensor>, Option<Tensor>)> {
        let packed = x.apply_op3_no_bwd(weight, &grad.contiguous()?, &Conv3x3Backward)?;
        unpack(&packed, x, weight)
    }
}

/// Splits the flat output of a backward op into the gradients of its two inputs `a` and `b`
/// (packed one after the other, as the backward ops write them).
fn unpack(packed: &Tensor, a: &Tensor, b: &Tensor) -> Result<(Option<Tensor>, Option<Tensor>)> {
    let n = a.elem_count();
    let da = packed.narrow(0, 0, n)?.reshape(a.shape())?;
    let db = packed.narrow(0, n, b.elem_count())?.reshape(b.shape())?;
    Ok((Some(da), Some(db)))
}

/// Gradients of [`Conv3x3`], packed: `dx` then `dweight`.
struct Conv3x3Backward;

impl CustomOp3 for Conv3x3Backward {
    fn name(&self) -> &'static str {
        "conv3x3-backward"
    }

    fn cpu_fwd(
        &self,
        s1: &CpuStorage,
        l1: &Layout,
        s2: &CpuStorage,
        l2: &Layout,
        s3: &CpuStorage,
        l3: &Layout,
    ) -> Result<(CpuStorage, Shape)> {
        let (shape, out, k) = conv_dims(l1, l2)?;
        let x = contiguous(s1, l1, "conv3x3-backward")?;
        let weight = contiguous(s2, l2, "conv3x3-backward")?;
        let g = contiguous(s3, l3, "conv3x3-backward")?;
        let m = shape.positions();
        let n = x.len();
        let mut packed = vec![0f32; n + out * k];
        let (dx, dweight) = packed.split_at_mut(n);
        with_scratch(m * k, m * k, |cols, dcols| {
            shape.gather(x, cols);
            // dweight [out, k] = g^T [out, m] * cols [m, k].
            matmul((out, k, m), dweight, g, (1, out), cols, (k, 1), false, true);
            // dcols [m, k] = g [m, out] * weight [out, k]; dx sums them back.
            matmul((m, k, out), dcols, g, (out, 1), weight, (k, 1), false, true);
            shape.scatter(dcols, dx);
        });
        Ok((CpuStorage::F32(packed), Shape::from(n + out * k)))
    }
}

struct NormFilmSilu;

/// Rows of `x` per batch item, and the width of a row.
fn film_dims(l1: &Layout, l2: &Layout) -> Result<(usize, usize, usize)> {
    let dims = l1.dims();
    let (b, c) = (dims[0], *dims.last().unwrap_or(&1));
    if l2.dims() != [b, 2 * c] {
        candle_core::bail!("norm-film-silu: film {:?} for input {dims:?}", l2.dims());
    }
    Ok((b, l1.shape().elem_count() / (b * c), c))
}

fn sigmoid(v: f32) -> f32 {
    1.0 / (1.0 + (-v).exp())
}

impl CustomOp2 for NormFilmSilu {
    fn name(&self) -> &'static str {
        "norm-film-silu"
    }

    fn cpu_fwd(
        &self,
        s1: &CpuStorage,
        l1: &Layout,
        s2: &CpuStorage,
        l2: &Layout,
    ) -> Result<(CpuStorage, Shape)> {
        let x = contiguous(s1, l1, "norm-film-silu")?;
        let film = contiguous(s2, l2, "norm-film-silu")?;
        let (_, rows, c) = film_dims(l1, l2)?;
        let mut out = vec![0f32; x.len()];
        out.par_chunks_mut(c)
            .zip(x.par_chunks(c))
            .enumerate()
            .for_each(|(r, (y, x))| {
                let f = &film[(r / rows) * 2 * c..(r / rows + 1) * 2 * c];
                let (scale, shift) = f.split_at(c);
                let inv = 1.0 / (x.iter().map(|v| v * v).sum::<f32>() / c as f32 + EPS).sqrt();
                for i in 0..c {
                    let u = x[i] * inv * (1.0 + scale[i]) + shift[i];
                    y[i] = u * sigmoid(u);
                }
            });
        Ok((CpuStorage::F32(out), l1.shape().clone()))
    }

    fn bwd(
        &self,
        x: &Tensor,
        film: &Tensor,
        _res: &Tensor,
        grad: &Tensor,
    ) -> Result<(Option<Tensor>, Option<Tensor>)> {
        let packed = x.apply_op3_no_bwd(film, &grad.contiguous()?, &NormFilmSiluBackward)?;
        unpack(&packed, x, film)
    }
}

/// Gradients of [`NormFilmSilu`], packed: `dx` then `dfilm`.
struct NormFilmSiluBackward;

impl CustomOp3 for NormFilmSiluBackward {
    fn name(&self) -> &'static str {
        "norm-film-silu-backward"
    }

    fn cpu_fwd(
        &self,
        s1: &CpuStorage,
        l1: &Layout,
        s2: &CpuStorage,
        l2: &Layout,
        s3: &CpuStorage,
        l3: &Layout,
    ) -> Result<(CpuStorage, Shape)> {
        let x = contiguous(s1, l1, "norm-film-silu-backward")?;
        let film = contiguous(s2, l2, "norm-film-silu-backward")?;
        let g = contiguous(s3, l3, "norm-film-silu-backward")?;
        let (b, rows, c) = film_dims(l1, l2)?;
        let mut out = vec![0f32; x.len() + film.len()];
        let (dx, dfilm) = out.split_at_mut(x.len());
        // One task per batch item: it owns its rows of dx and its row of dfilm.
        dx.par_chunks_mut(rows * c)
            .zip(dfilm.par_chunks_mut(2 * c))
            .enumerate()
            .for_each(|(n, (dx, df))| {
                let f = &film[n * 2 * c..(n + 1) * 2 * c];
                let (scale, shift) = f.split_at(c);
                let (dscale, dshift) = df.split_at_mut(c);
                let mut dn = vec![0f32; c];
                for r in 0..rows {
                    let at = (n * rows + r) * c;
                    let (x, g) = (&x[at..at + c], &g[at..at + c]);
                    let inv = 1.0 / (x.iter().map(|v| v * v).sum::<f32>() / c as f32 + EPS).sqrt();
                    let mut dot = 0f32;
                    for i in 0..c {
                        let norm = x[i] * inv;
                        let u = norm * (1.0 + scale[i]) + shift[i];
                        let sig = sigmoid(u);
                        let du = g[i] * sig * (1.0 + u * (1.0 - sig));
                        dscale[i] += du * norm;
                        dshift[i] += du;
                        dn[i] = du * (1.0 + scale[i]);
                        dot += dn[i] * norm;
                    }
                    let dot = dot / c as f32;
                    let row = &mut dx[r * c..(r + 1) * c];
                    for i in 0..c {
                        row[i] = (dn[i] - x[i] * inv * dot) * inv;
                    }
                }
            });
        let _ = b;
        Ok((CpuStorage::F32(out), Shape::from(x.len() + film.len())))
    }
}
