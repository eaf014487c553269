//! WAV in and out: what speech engines write, read back as mono samples at the track's rate.

use anyhow::{bail, Context, Result};

/// Mono speech at [`RATE`] samples per second.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Pcm {
    /// Samples in [-1, 1].
    pub samples: Vec<f32>,
}

/// Sample rate of every narration track: espeak-ng's own, and plenty for speech.
pub const RATE: u32 = 22_050;

impl Pcm {
    /// Length in seconds.
    pub fn seconds(&self) -> f64 {
        self.samples.len() as f64 / f64::from(RATE)
    }

    /// Serialises for the cache: 16-bit little-endian samples.
    pub fn to_bytes(&self) -> Vec<u8> {
        self.samples
            .iter()
            .flat_map(|s| ((s.clamp(-1.0, 1.0) * 32767.0).round() as i16).to_le_bytes())
            .collect()
    }

    /// Reads what [`to_bytes`](Self::to_bytes) wrote.
    pub fn from_bytes(bytes: &[u8]) -> Self {
        Self {
            samples: bytes
                .chunks_exact(2)
                .map(|c| f32::from(i16::from_le_bytes([c[0], c[1]])) / 32768.0)
                .collect(),
        }
    }

    /// Removes leading and trailing silence (below -50 dBFS), keeping `keep` samples of it.
    pub fn trim(mut self, keep: usize) -> Self {
        let loud = |s: &f32| s.abs() > 0.003;
        let Some(first) = self.samples.iter().position(loud) else {
            self.samples.clear();
            return self;
        };
        let last = self.samples.iter().rposition(loud).unwrap_or(first);
        let start = first.saturating_sub(keep);
        let end = (last + 1 + keep).min(self.samples.len());
        self.samples = self.samples[start..end].to_vec();
        self
    }
}

/// Reads a PCM WAV file (8, 16, 24 or 32-bit integer or 32-bit float, any channel count and
/// rate) as mono at [`RATE`]. A `data` size larger than the file (espeak-ng writing to a pipe)
/// is taken as "to the end".
pub fn parse(bytes: &[u8]) -> Result<Pcm> {
    if bytes.len() < 12 || &bytes[..4] != b"RIFF" || &bytes[8..12] != b"WAVE" {
        bail!("not a WAV file");
    }
    let u16_at = |p: usize| u16::from_le_bytes([bytes[p], bytes[p + 1]]);
    let u32_at =
        |p: usize| u32::from_le_bytes([bytes[p], bytes[p + 1], bytes[p + 2], bytes[p + 3]]);
    let mut format = None;
    let mut pos = 12;
    while pos + 8 <= bytes.len() {
        let id = &bytes[pos..pos + 4];
        let size = (u32_at(pos + 4) as usize).min(bytes.len() - pos - 8);
        let body = pos + 8;
        if id == b"fmt " && size >= 16 {
            format = Some((
                u16_at(body),
                u16_at(body + 2),
                u32_at(body + 4),
                u16_at(body + 14),
            ));
        } else if id == b"data" {
            let (tag, channels, rate, bits) = format.context("WAV data before its format")?;
            let frames = decode_samples(&bytes[body..body + size], tag, channels, bits)?;
            return Ok(Pcm {
                samples: resample(&frames, rate),
            });
        }
        pos = body + size + (size & 1);
    }
    bail!("WAV file without audio data")
}

/// Mono samples of interleaved PCM.
fn decode_samples(data: &[u8], tag: u16, channels: u16, bits: u16) -> Result<Vec<f32>> {
    let channels = usize::from(channels.max(1));
    let width = usize::from(bits / 8);
    // WAVE_FORMAT_EXTENSIBLE (0xFFFE) is taken as integer PCM, what engines write with it.
    let float = tag == 3;
    if width == 0 || !(tag == 1 || tag == 3 || tag == 0xFFFE) {
        bail!("WAV format {tag} with {bits} bits is not PCM");
    }
    let sample = |c: &[u8]| -> f32 {
        match (width, float) {
            (1, _) => (f32::from(c[0]) - 128.0) / 128.0,
            (2, _) => f32::from(i16::from_le_bytes([c[0], c[1]])) / 32768.0,
            (3, _) => (i32::from_le_bytes([0, c[0], c[1], c[2]]) >> 8) as f32 / 8_388_608.0,
            (4, true) => f32::from_le_bytes([c[0], c[1], c[2], c[3]]),
            (4, false) => i32::from_le_bytes([c[0], c[1], c[2], c[3]]) as f32 / 2_147_483_648.0,
            _ => 0.0,
        }
    };
    if width > 4 {
        bail!("{bits}-bit WAV samples are not supported");
    }
    Ok(data
        .chunks_exact(width * channels)
        .map(|frame| frame.chunks_exact(width).map(sample).sum::<f32>() / channels as f32)
        .map(|s| {
            if s.is_finite() {
                s.clamp(-1.0, 1.0)
            } else {
                0.0
            }
        })
        .collect())
}

/// Raw 16-bit little-endian mono samples at `rate` (OpenAI's `pcm` speech), at [`RATE`].
pub fn from_s16le(bytes: &[u8], rate: u32) -> Pcm {
    let samples: Vec<f32> = bytes
        .chunks_exact(2)
        .map(|b| f32::from(i16::from_le_bytes([b[0], b[1]])) / 32768.0)
        .collect();
    Pcm {
        samples: resample(&samples, rate),
    }
}

/// Mono samples in [-1, 1] at `rate` (a neural voice's output), at [`RATE`].
pub fn from_f32(samples: &[f32], rate: u32) -> Pcm {
    Pcm {
        samples: resample(samples, rate),
    }
}

/// Linear-interpolation resampling to [`RATE`] (speech engines mostly write 16 to 48 kHz).
fn resample(samples: &[f32], rate: u32) -> Vec<f32> {
    if rate == RATE || rate == 0 || samples.is_empty() {
        return samples.to_vec();
    }
    let step = f64::from(rate) / f64::from(RATE);
    let n = (samples.len() as f64 / step).floor() as usize;
    (0..n)
        .map(|i| {
            let x = i as f64 * step;
            let j = x.floor() as usize;
            let t = (x - j as f64) as f32;
            let a = samples[j.min(samples.len() - 1)];
            let b = samples[(j + 1).min(samples.len() - 1)];
            a + (b - a) * t
        })
        .collect()
}

/// A 16-bit mono WAV of `pcm` (for tests and for looking at what was spoken).
pub fn write(pcm: &Pcm) -> Vec<u8> {
    write_s16(&pcm.to_bytes(), RATE)
}

/// A 16-bit mono WAV of little-endian `data` at `rate`.
pub fn write_s16(data: &[u8], rate: u32) -> Vec<u8> {
    let mut out = Vec::with_capacity(44 + data.len());
    out.extend_from_slice(b"RIFF");
    out.extend_from_slice(&(36 + data.len() as u32).to_le_bytes());
    out.extend_from_slice(b"WAVEfmt ");
    out.extend_from_slice(&16u32.to_le_bytes());
    out.extend_from_slice(&1u16.to_le_bytes());
    out.extend_from_slice(&1u16.to_le_bytes());
    out.extend_from_slice(&rate.to_le_bytes());
    out.extend_from_slice(&(rate * 2).to_le_bytes());
    out.extend_from_slice(&2u16.to_le_bytes());
    out.extend_from_slice(&16u16.to_le_bytes());
    out.extend_from_slice(b"data");
    out.extend_from_slice(&(data.len() as u32).to_le_bytes());
    out.extend_from_slice(data);
    out
}
