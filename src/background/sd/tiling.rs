//! VAE decoding in overlapping tiles, so memory follows the tile and not the picture.

use anyhow::Result;
use candle_core::{DType, Tensor};
use candle_transformers::models::stable_diffusion::vae::AutoEncoderKLConfig;
use image::RgbImage;

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
