//! Video: frames to an H.264 MP4 with one picture per slide.
//!
//! In: composed frames and how long each stays on screen. Out: the bytes of an MP4 with the
//! `moov` box before `mdat` (fast start: a browser can start playing and seek before the whole
//! file arrives).
//!
//! Each slide is one IDR picture, encoded at a fixed quantiser, in one MP4 sample that lasts the slide's time; a last short
//! sample repeats the final slide as a P picture of skipped macroblocks (written by hand,
//! `skip.rs`), because Chromium ends playback early when it seeks into a last sample that is a
//! sync sample on its own. Slides are encoded
//! independently (each with a fresh encoder), so encoded slides can be cached and reused and
//! a lecture is re-muxed, not re-encoded, when one slide changes.
//!
//! Colours: RGB is converted here to BT.709 limited-range YUV 4:2:0 with rounding, and the
//! stream says so in its VUI; openh264's own converter is BT.601, truncating and untagged,
//! which browsers then show with shifted colours.

mod aac;
mod encode;
mod encoder;
mod mux;
mod skip;
mod yuv;

pub use aac::{encode_aac, AudioTrack, AUDIO_RATE, FRAME};
pub use encode::{decode, encode, psnr, EncodedSlide};
pub use mux::{fast_start, write, Still, NARRATED_TIMESCALE};
pub use yuv::Yuv420;

/// Length of the closing sample that makes the last slide hold, in milliseconds.
pub const HOLD_MS: u32 = 100;
/// Media timescale: milliseconds (movie and track must agree, or the `mp4` crate truncates).
pub const TIMESCALE: u32 = 1000;

/// Encoder settings: part of the cache key of every encoded slide.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct EncoderSettings {
    /// Frame width.
    pub width: u32,
    /// Frame height.
    pub height: u32,
    /// Quantiser of every picture (0-51, lower is sharper).
    pub qp: u8,
}

impl EncoderSettings {
    /// A stable description for cache keys.
    pub fn key(&self) -> String {
        format!(
            "openh264-2.6/bt709-limited/idr/{}x{}/qp{}",
            self.width, self.height, self.qp
        )
    }
}
