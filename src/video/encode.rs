//! H.264 pictures: RGB frames to BT.709 YUV 4:2:0 and one IDR picture per slide through
//! openh264, plus the decoder used to check them.

use anyhow::{bail, Context, Result};
use image::RgbImage;

use super::encoder::RawEncoder;
use super::yuv::{yuv_to_rgb, Yuv420};
use super::EncoderSettings;

/// One slide, encoded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EncodedSlide {
    /// Sequence parameter set (no start code).
    pub sps: Vec<u8>,
    /// Picture parameter set (no start code).
    pub pps: Vec<u8>,
    /// The IDR picture as an MP4 sample: NAL units, each behind a 4-byte length.
    pub picture: Vec<u8>,
}

impl EncodedSlide {
    /// Serialises for the cache.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::new();
        for part in [&self.sps, &self.pps, &self.picture] {
            out.extend_from_slice(&(part.len() as u32).to_le_bytes());
            out.extend_from_slice(part);
        }
        out
    }

    /// Reads what [`to_bytes`](Self::to_bytes) wrote.
    pub fn from_bytes(mut bytes: &[u8]) -> Option<Self> {
        let mut parts = Vec::with_capacity(3);
        for _ in 0..3 {
            let len = u32::from_le_bytes(bytes.get(..4)?.try_into().ok()?) as usize;
            parts.push(bytes.get(4..4 + len)?.to_vec());
            bytes = &bytes[4 + len..];
        }
        let picture = parts.pop()?;
        let pps = parts.pop()?;
        let sps = parts.pop()?;
        Some(Self { sps, pps, picture })
    }
}

/// Encodes one frame as an IDR picture.
pub fn encode(frame: &RgbImage, settings: &EncoderSettings) -> Result<EncodedSlide> {
    if frame.dimensions() != (settings.width, settings.height) {
        bail!(
            "frame is {}x{}, video is {}x{}",
            frame.width(),
            frame.height(),
            settings.width,
            settings.height
        );
    }
    let mut encoder = RawEncoder::new(settings.width, settings.height, settings.qp.min(51))
        .context("starting the H.264 encoder")?;
    let yuv = Yuv420::from_rgb(frame);
    let (mut sps, mut pps, mut picture) = (Vec::new(), Vec::new(), Vec::new());
    collect_nals(
        &encoder.encode(&yuv, true)?,
        &mut sps,
        &mut pps,
        &mut picture,
    );
    if sps.is_empty() || pps.is_empty() || picture.is_empty() {
        bail!("the H.264 encoder returned an empty picture");
    }
    Ok(EncodedSlide { sps, pps, picture })
}

/// Sorts the NAL units of an encoded picture: parameter sets apart, the rest length-prefixed.
fn collect_nals(nals: &[Vec<u8>], sps: &mut Vec<u8>, pps: &mut Vec<u8>, sample: &mut Vec<u8>) {
    for nal in nals {
        let nal = strip_start_code(nal);
        let Some(&header) = nal.first() else {
            continue;
        };
        match header & 0x1f {
            7 => *sps = nal.to_vec(),
            8 => *pps = nal.to_vec(),
            _ => {
                sample.extend_from_slice(&(nal.len() as u32).to_be_bytes());
                sample.extend_from_slice(nal);
            }
        }
    }
}

fn strip_start_code(nal: &[u8]) -> &[u8] {
    let zeros = nal.iter().take_while(|&&b| b == 0).count();
    if zeros >= 2 && nal.get(zeros) == Some(&1) {
        &nal[zeros + 1..]
    } else {
        nal
    }
}

/// Decodes an H.264 sample stream back to RGB (for tests and benchmarks): `samples` are MP4
/// samples (length-prefixed NAL units), `sps`/`pps` the parameter sets.
pub fn decode(sps: &[u8], pps: &[u8], samples: &[Vec<u8>]) -> Result<Vec<RgbImage>> {
    use openh264::formats::YUVSource;
    let mut decoder = openh264::decoder::Decoder::new()?;
    let mut annexb = Vec::new();
    for ps in [sps, pps] {
        annexb.extend_from_slice(&[0, 0, 0, 1]);
        annexb.extend_from_slice(ps);
    }
    let mut frames = Vec::new();
    for (i, sample) in samples.iter().enumerate() {
        let mut packet = if i == 0 { annexb.clone() } else { Vec::new() };
        let mut pos = 0;
        while pos + 4 <= sample.len() {
            let len = u32::from_be_bytes(sample[pos..pos + 4].try_into()?) as usize;
            let nal = sample
                .get(pos + 4..pos + 4 + len)
                .context("truncated NAL unit")?;
            packet.extend_from_slice(&[0, 0, 0, 1]);
            packet.extend_from_slice(nal);
            pos += 4 + len;
        }
        if let Some(yuv) = decoder.decode(&packet)? {
            let (w, h) = yuv.dimensions();
            frames.push(yuv_to_rgb(yuv.y(), yuv.u(), yuv.v(), yuv.strides(), w, h));
        }
    }
    Ok(frames)
}

/// Peak signal-to-noise ratio of `b` against `a`, in dB, over RGB.
pub fn psnr(a: &RgbImage, b: &RgbImage) -> f64 {
    let mut sum = 0f64;
    for (x, y) in a.as_raw().iter().zip(b.as_raw()) {
        let d = *x as f64 - *y as f64;
        sum += d * d;
    }
    let mse = sum / a.as_raw().len().max(1) as f64;
    if mse == 0.0 {
        return 99.0;
    }
    10.0 * (255.0f64 * 255.0 / mse).log10()
}
