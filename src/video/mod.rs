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

pub use aac::{encode_aac, AudioFrames, AudioTrack, SpeechFrames, TrackFrames, AUDIO_RATE, FRAME};
pub use encode::{decode, encode, psnr, EncodedSlide};
pub use mux::{write, write_file, Still, NARRATED_TIMESCALE};
pub use yuv::Yuv420;

/// Length of the closing sample that makes the last slide hold, in milliseconds.
pub const HOLD_MS: u32 = 100;

/// Every picture lasts a whole number of these milliseconds (the timeline plans on this grid):
/// 441 samples of the 22,050 Hz speech track, so speech placed at a picture's start begins
/// exactly on a sample, and a frame grid that ffmpeg's frame-rate guess reads as 50 frames a
/// second. With pictures of any millisecond (speech lasts what it lasts), ffmpeg found no rate
/// under its ceiling of 210, took the track's time scale, fell back to the average rate (a
/// frame every few seconds) and gave neighbouring slides one timestamp: decoding a 300-slide
/// narrated lecture printed "non monotonically increasing dts" 67 times, and re-encoding
/// dropped those slides.
pub const FRAME_GRID_MS: u32 = 20;
const _: () = assert!(
    (AUDIO_RATE * FRAME_GRID_MS).is_multiple_of(1000) && HOLD_MS.is_multiple_of(FRAME_GRID_MS)
);
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
