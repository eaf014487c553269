//! The speech track: mono PCM to AAC-LC access units (`mp4a.40.2`) with syom, a pure-Rust
//! encoder (MIT): nothing to install, nothing linked that is not MIT/Apache.

use anyhow::{anyhow, Result};

/// Sample rate of the track (the narration's).
pub const AUDIO_RATE: u32 = 22_050;
/// Samples per AAC frame.
pub const FRAME: u32 = 1024;

/// An encoded speech track.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AudioTrack {
    /// Raw AAC access units, one per frame of [`FRAME`] samples.
    pub frames: Vec<Vec<u8>>,
    /// Samples of encoder delay at the start (skipped by the MP4's edit list).
    pub priming: u64,
    /// Samples to present after the priming: the length of the PCM given.
    pub samples: u64,
    /// Target bit rate, bits per second.
    pub bitrate: u32,
}

/// Encodes `pcm` (samples in [-1, 1] at [`AUDIO_RATE`]) at `bitrate_kbps`.
pub fn encode_aac(pcm: &[f32], bitrate_kbps: u32) -> Result<AudioTrack> {
    let bitrate = bitrate_kbps * 1000;
    let options = syom::EncodeOptions::raw().with_bitrate_bps(bitrate);
    let mut encoder = syom::Encoder::new(AUDIO_RATE, 1, &options)
        .map_err(|e| anyhow!("starting the AAC encoder: {e}"))?;
    let mut frames = Vec::with_capacity(pcm.len() / FRAME as usize + 3);
    let clean: Vec<f32> = pcm
        .iter()
        .map(|s| {
            if s.is_finite() {
                s.clamp(-1.0, 1.0)
            } else {
                0.0
            }
        })
        .collect();
    for chunk in clean.chunks(1 << 16) {
        encoder
            .feed(&[chunk], |f| {
                frames.push(f.payload.to_vec());
                Ok(())
            })
            .map_err(|e| anyhow!("encoding AAC: {e}"))?;
    }
    let info = encoder
        .finish(|f| {
            frames.push(f.payload.to_vec());
            Ok(())
        })
        .map_err(|e| anyhow!("encoding AAC: {e}"))?;
    Ok(AudioTrack {
        frames,
        priming: info.priming,
        samples: clean.len() as u64,
        bitrate,
    })
}
