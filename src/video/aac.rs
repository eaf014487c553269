//! The speech track: mono PCM to AAC-LC access units (`mp4a.40.2`) with syom, a pure-Rust
//! encoder (MIT): nothing to install, nothing linked that is not MIT/Apache. The PCM can come
//! in pieces ([`SpeechFrames`]), so a lecture of hours is encoded as it is muxed, never held
//! whole.

use std::collections::VecDeque;

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

/// A speech track as the muxer takes it: access units in order, pulled as it needs them.
pub trait AudioFrames {
    /// The next access unit, or `None` after the last.
    fn next_frame(&mut self) -> Result<Option<Vec<u8>>>;
    /// Once the last unit was given: samples of encoder delay, and samples to present.
    fn lengths(&self) -> (u64, u64);
    /// Target bit rate, bits per second.
    fn bitrate(&self) -> u32;
}

/// Encodes `pcm` (samples in [-1, 1] at [`AUDIO_RATE`]) at `bitrate_kbps`.
pub fn encode_aac(pcm: &[f32], bitrate_kbps: u32) -> Result<AudioTrack> {
    let mut stream = SpeechFrames::new(pcm.chunks(1 << 16).map(|c| Ok(c.to_vec())), bitrate_kbps)?;
    let mut frames = Vec::with_capacity(pcm.len() / FRAME as usize + 3);
    while let Some(frame) = stream.next_frame()? {
        frames.push(frame);
    }
    let (priming, samples) = stream.lengths();
    Ok(AudioTrack {
        frames,
        priming,
        samples,
        bitrate: stream.bitrate(),
    })
}

/// An [`AudioTrack`]'s units, for the muxer.
pub struct TrackFrames<'a> {
    track: &'a AudioTrack,
    next: usize,
}

impl<'a> TrackFrames<'a> {
    /// The units of `track` from the first.
    pub fn new(track: &'a AudioTrack) -> Self {
        Self { track, next: 0 }
    }
}

impl AudioFrames for TrackFrames<'_> {
    fn next_frame(&mut self) -> Result<Option<Vec<u8>>> {
        let frame = self.track.frames.get(self.next).cloned();
        self.next += 1;
        Ok(frame)
    }

    fn lengths(&self) -> (u64, u64) {
        (self.track.priming, self.track.samples)
    }

    fn bitrate(&self) -> u32 {
        self.track.bitrate
    }
}

/// PCM pieces encoded as they are pulled: the encoder is fed a piece whenever the muxer wants
/// a unit the encoder has not made yet, so only a piece and a few units are held at a time.
/// The units are the ones [`encode_aac`] makes of the same samples in one piece.
pub struct SpeechFrames<I> {
    encoder: syom::Encoder,
    pieces: I,
    ready: VecDeque<Vec<u8>>,
    samples: u64,
    priming: Option<u64>,
    bitrate: u32,
}

impl<I: Iterator<Item = Result<Vec<f32>>>> SpeechFrames<I> {
    /// An encoder of `pieces` (samples in [-1, 1] at [`AUDIO_RATE`], in order) at
    /// `bitrate_kbps`.
    pub fn new(pieces: I, bitrate_kbps: u32) -> Result<Self> {
        let bitrate = bitrate_kbps * 1000;
        let options = syom::EncodeOptions::raw().with_bitrate_bps(bitrate);
        let encoder = syom::Encoder::new(AUDIO_RATE, 1, &options)
            .map_err(|e| anyhow!("starting the AAC encoder: {e}"))?;
        Ok(Self {
            encoder,
            pieces,
            ready: VecDeque::new(),
            samples: 0,
            priming: None,
            bitrate,
        })
    }
}

impl<I: Iterator<Item = Result<Vec<f32>>>> AudioFrames for SpeechFrames<I> {
    fn next_frame(&mut self) -> Result<Option<Vec<u8>>> {
        while self.ready.is_empty() && self.priming.is_none() {
            let ready = &mut self.ready;
            match self.pieces.next().transpose()? {
                Some(mut piece) => {
                    for s in &mut piece {
                        *s = if s.is_finite() {
                            s.clamp(-1.0, 1.0)
                        } else {
                            0.0
                        };
                    }
                    self.samples += piece.len() as u64;
                    self.encoder
                        .feed(&[&piece], |f| {
                            ready.push_back(f.payload.to_vec());
                            Ok(())
                        })
                        .map_err(|e| anyhow!("encoding AAC: {e}"))?;
                }
                None => {
                    let info = self
                        .encoder
                        .finish(|f| {
                            ready.push_back(f.payload.to_vec());
                            Ok(())
                        })
                        .map_err(|e| anyhow!("encoding AAC: {e}"))?;
                    self.priming = Some(info.priming);
                }
            }
        }
        Ok(self.ready.pop_front())
    }

    fn lengths(&self) -> (u64, u64) {
        (self.priming.unwrap_or(0), self.samples)
    }

    fn bitrate(&self) -> u32 {
        self.bitrate
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Speech in pieces of any size is encoded to the units of the same samples in one piece:
    /// the same priming, the same frame boundaries, the same bytes.
    #[test]
    fn pieces_of_any_size_encode_as_one() {
        let pcm: Vec<f32> = (0..50_000)
            .map(|i| (i as f32 * 0.031).sin() * 0.5 * ((i / 4000) % 2) as f32)
            .collect();
        let whole = encode_aac(&pcm, 64).unwrap();
        let sizes = [1, 700, 1024, 3000, 17, 65_536];
        let mut pieces = Vec::new();
        let mut at = 0;
        for size in sizes.iter().cycle() {
            if at >= pcm.len() {
                break;
            }
            let end = (at + size).min(pcm.len());
            pieces.push(Ok(pcm[at..end].to_vec()));
            at = end;
        }
        let mut stream = SpeechFrames::new(pieces.into_iter(), 64).unwrap();
        let mut frames = Vec::new();
        while let Some(frame) = stream.next_frame().unwrap() {
            frames.push(frame);
        }
        assert_eq!(frames, whole.frames);
        assert_eq!(stream.lengths(), (whole.priming, whole.samples));
    }
}
