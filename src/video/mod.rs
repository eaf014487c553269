//! Video: frames to an H.264 MP4 with one picture per slide.
//!
//! In: composed frames and how long each stays on screen. Out: the bytes of an MP4 with the
//! `moov` box before `mdat` (fast start: a browser can start playing and seek before the whole
//! file arrives).
//!
//! Each slide is one IDR picture, encoded at a fixed quantiser, in one MP4 sample that lasts the slide's time; a last short
//! sample repeats the final slide as a tiny P picture, because Chromium ends playback early
//! when it seeks into a last sample that is a sync sample on its own. Slides are encoded
//! independently (each with a fresh encoder), so encoded slides can be cached and reused and
//! a lecture is re-muxed, not re-encoded, when one slide changes.
//!
//! Colours: RGB is converted here to BT.709 limited-range YUV 4:2:0 with rounding, and the
//! stream says so in its VUI; openh264's own converter is BT.601, truncating and untagged,
//! which browsers then show with shifted colours.

use std::io::Cursor;

use anyhow::{bail, Context, Result};
use image::RgbImage;

mod encoder;

use encoder::RawEncoder;

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
            "openh264-2.6/bt709-limited/idr/{}x{}/qp{}/hold{}",
            self.width, self.height, self.qp, HOLD_MS
        )
    }
}

/// One slide, encoded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EncodedSlide {
    /// Sequence parameter set (no start code).
    pub sps: Vec<u8>,
    /// Picture parameter set (no start code).
    pub pps: Vec<u8>,
    /// The IDR picture as an MP4 sample: NAL units, each behind a 4-byte length.
    pub picture: Vec<u8>,
    /// A P picture repeating it, for the closing sample of a lecture.
    pub hold: Vec<u8>,
}

impl EncodedSlide {
    /// Serialises for the cache.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::new();
        for part in [&self.sps, &self.pps, &self.picture, &self.hold] {
            out.extend_from_slice(&(part.len() as u32).to_le_bytes());
            out.extend_from_slice(part);
        }
        out
    }

    /// Reads what [`to_bytes`](Self::to_bytes) wrote.
    pub fn from_bytes(mut bytes: &[u8]) -> Option<Self> {
        let mut parts = Vec::with_capacity(4);
        for _ in 0..4 {
            let len = u32::from_le_bytes(bytes.get(..4)?.try_into().ok()?) as usize;
            parts.push(bytes.get(4..4 + len)?.to_vec());
            bytes = &bytes[4 + len..];
        }
        let hold = parts.pop()?;
        let picture = parts.pop()?;
        let pps = parts.pop()?;
        let sps = parts.pop()?;
        Some(Self {
            sps,
            pps,
            picture,
            hold,
        })
    }
}

/// Encodes one frame as an IDR picture, plus the P picture that repeats it.
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
    let (mut unused_sps, mut unused_pps, mut hold) = (Vec::new(), Vec::new(), Vec::new());
    collect_nals(
        &encoder.encode(&yuv, false)?,
        &mut unused_sps,
        &mut unused_pps,
        &mut hold,
    );
    if sps.is_empty() || pps.is_empty() || picture.is_empty() || hold.is_empty() {
        bail!("the H.264 encoder returned an empty picture");
    }
    Ok(EncodedSlide {
        sps,
        pps,
        picture,
        hold,
    })
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

/// A picture in BT.709 limited-range YUV 4:2:0.
pub struct Yuv420 {
    /// Width (even).
    pub width: usize,
    /// Height (even).
    pub height: usize,
    /// Luma plane.
    pub y: Vec<u8>,
    /// Cb plane, half size each way.
    pub u: Vec<u8>,
    /// Cr plane, half size each way.
    pub v: Vec<u8>,
}

impl Yuv420 {
    /// Converts with BT.709 coefficients, rounding; chroma is the mean of each 2x2 block.
    pub fn from_rgb(rgb: &RgbImage) -> Self {
        // Coefficients x 2^16, limited range (Y 16-235, C 16-240), from Kr = 0.2126,
        // Kb = 0.0722.
        const YR: i32 = 11966;
        const YG: i32 = 40254;
        const YB: i32 = 4064;
        const UR: i32 = -6596;
        const UG: i32 = -22189;
        const UB: i32 = 28784;
        const VR: i32 = 28784;
        const VG: i32 = -26145;
        const VB: i32 = -2639;
        let (w, h) = (rgb.width() as usize & !1, rgb.height() as usize & !1);
        let raw = rgb.as_raw();
        let stride = rgb.width() as usize * 3;
        let mut y = vec![0u8; w * h];
        let mut u = vec![0u8; w * h / 4];
        let mut v = vec![0u8; w * h / 4];
        for row in 0..h {
            let line = &raw[row * stride..row * stride + w * 3];
            let out = &mut y[row * w..(row + 1) * w];
            for (px, o) in line.chunks_exact(3).zip(out.iter_mut()) {
                let (r, g, b) = (px[0] as i32, px[1] as i32, px[2] as i32);
                *o = (((YR * r + YG * g + YB * b + 32768) >> 16) + 16) as u8;
            }
        }
        for cy in 0..h / 2 {
            for cx in 0..w / 2 {
                let mut sum = [0i32; 3];
                for (dx, dy) in [(0, 0), (1, 0), (0, 1), (1, 1)] {
                    let i = (cy * 2 + dy) * stride + (cx * 2 + dx) * 3;
                    for c in 0..3 {
                        sum[c] += raw[i + c] as i32;
                    }
                }
                // Sums of four: scale by 2^18 instead of 2^16.
                let (r, g, b) = (sum[0], sum[1], sum[2]);
                let cb = ((UR * r + UG * g + UB * b + (1 << 17)) >> 18) + 128;
                let cr = ((VR * r + VG * g + VB * b + (1 << 17)) >> 18) + 128;
                u[cy * (w / 2) + cx] = cb.clamp(16, 240) as u8;
                v[cy * (w / 2) + cx] = cr.clamp(16, 240) as u8;
            }
        }
        Self {
            width: w,
            height: h,
            y,
            u,
            v,
        }
    }
}

/// One entry of the video: an encoded slide and how long it shows.
#[derive(Debug, Clone, Copy)]
pub struct Clip<'a> {
    /// The picture.
    pub slide: &'a EncodedSlide,
    /// Time on screen, milliseconds.
    pub duration_ms: u32,
}

/// Muxes encoded slides into an MP4 and moves its index to the front. The video lasts exactly
/// the sum of the durations: the closing hold sample is taken out of the last slide's time.
pub fn write(clips: &[Clip<'_>], settings: &EncoderSettings) -> Result<Vec<u8>> {
    let Some(first) = clips.first() else {
        bail!("a video needs at least one slide");
    };
    if clips
        .iter()
        .any(|c| c.slide.sps != first.slide.sps || c.slide.pps != first.slide.pps)
    {
        bail!("slides were encoded with different settings");
    }
    let config = mp4::Mp4Config {
        major_brand: fourcc(b"isom"),
        minor_version: 512,
        compatible_brands: vec![
            fourcc(b"isom"),
            fourcc(b"iso2"),
            fourcc(b"avc1"),
            fourcc(b"mp41"),
        ],
        timescale: TIMESCALE,
    };
    let mut writer = mp4::Mp4Writer::write_start(Cursor::new(Vec::new()), &config)?;
    writer.add_track(&mp4::TrackConfig {
        track_type: mp4::TrackType::Video,
        timescale: TIMESCALE,
        language: "und".into(),
        media_conf: mp4::MediaConfig::AvcConfig(mp4::AvcConfig {
            width: u16::try_from(settings.width)?,
            height: u16::try_from(settings.height)?,
            seq_param_set: first.slide.sps.clone(),
            pic_param_set: first.slide.pps.clone(),
        }),
    })?;
    let mut time = 0u64;
    let last = clips.len() - 1;
    for (i, clip) in clips.iter().enumerate() {
        let duration = clip.duration_ms.max(1);
        let (shown, hold) = if i == last && duration > 2 * HOLD_MS {
            (duration - HOLD_MS, HOLD_MS)
        } else if i == last {
            (duration.div_ceil(2), duration / 2)
        } else {
            (duration, 0)
        };
        writer.write_sample(
            1,
            &mp4::Mp4Sample {
                start_time: time,
                duration: shown,
                rendering_offset: 0,
                is_sync: true,
                bytes: mp4::Bytes::copy_from_slice(&clip.slide.picture),
            },
        )?;
        time += u64::from(shown);
        if hold > 0 {
            writer.write_sample(
                1,
                &mp4::Mp4Sample {
                    start_time: time,
                    duration: hold,
                    rendering_offset: 0,
                    is_sync: false,
                    bytes: mp4::Bytes::copy_from_slice(&clip.slide.hold),
                },
            )?;
            time += u64::from(hold);
        }
    }
    writer.write_end()?;
    let bytes = writer.into_writer().into_inner();
    fast_start(&bytes)
}

fn fourcc(code: &[u8; 4]) -> mp4::FourCC {
    mp4::FourCC { value: *code }
}

/// A top-level box: type and byte range (header included).
struct TopBox {
    kind: [u8; 4],
    start: usize,
    end: usize,
}

fn top_boxes(bytes: &[u8]) -> Result<Vec<TopBox>> {
    let mut out = Vec::new();
    let mut pos = 0;
    while pos + 8 <= bytes.len() {
        let (size, header) = box_size(bytes, pos)?;
        let kind: [u8; 4] = bytes[pos + 4..pos + 8].try_into()?;
        let end = if size == 0 { bytes.len() } else { pos + size };
        if end > bytes.len() || size != 0 && size < header {
            bail!("malformed MP4 box at byte {pos}");
        }
        out.push(TopBox {
            kind,
            start: pos,
            end,
        });
        pos = end;
    }
    Ok(out)
}

/// Box size and header length at `pos` (size 0 means "to the end").
fn box_size(bytes: &[u8], pos: usize) -> Result<(usize, usize)> {
    let small = u32::from_be_bytes(bytes[pos..pos + 4].try_into()?) as usize;
    if small == 1 {
        let large = bytes
            .get(pos + 8..pos + 16)
            .context("truncated MP4 box header")?;
        Ok((u64::from_be_bytes(large.try_into()?) as usize, 16))
    } else {
        Ok((small, 8))
    }
}

/// Moves `moov` in front of `mdat`, shifting every chunk offset by the size of `moov`.
pub fn fast_start(bytes: &[u8]) -> Result<Vec<u8>> {
    let boxes = top_boxes(bytes)?;
    let find = |k: &[u8; 4]| boxes.iter().position(|b| &b.kind == k);
    let (Some(moov), Some(mdat)) = (find(b"moov"), find(b"mdat")) else {
        bail!("MP4 without moov or mdat");
    };
    if moov < mdat {
        return Ok(bytes.to_vec());
    }
    let mut moov_bytes = bytes[boxes[moov].start..boxes[moov].end].to_vec();
    let shift = moov_bytes.len() as u64;
    shift_chunk_offsets(&mut moov_bytes, shift)?;
    let mut out = Vec::with_capacity(bytes.len());
    for (i, b) in boxes.iter().enumerate() {
        if i == moov {
            continue;
        }
        if i == mdat {
            out.extend_from_slice(&moov_bytes);
        }
        out.extend_from_slice(&bytes[b.start..b.end]);
    }
    Ok(out)
}

/// Adds `shift` to every entry of the `stco` and `co64` boxes inside a `moov` box.
fn shift_chunk_offsets(moov: &mut [u8], shift: u64) -> Result<()> {
    fn walk(data: &mut [u8], shift: u64) -> Result<()> {
        let mut pos = 0;
        while pos + 8 <= data.len() {
            let (size, header) = box_size(data, pos)?;
            let end = if size == 0 { data.len() } else { pos + size };
            if end > data.len() || end < pos + header {
                bail!("malformed MP4 box inside moov");
            }
            let kind: [u8; 4] = data[pos + 4..pos + 8].try_into()?;
            let body = &mut data[pos + header..end];
            match &kind {
                b"trak" | b"mdia" | b"minf" | b"stbl" => walk(body, shift)?,
                b"stco" | b"co64" => {
                    let wide = &kind == b"co64";
                    let count =
                        u32::from_be_bytes(body.get(4..8).context("short stco")?.try_into()?)
                            as usize;
                    let width = if wide { 8 } else { 4 };
                    for i in 0..count {
                        let at = 8 + i * width;
                        let slot = body.get_mut(at..at + width).context("short stco")?;
                        if wide {
                            let v = u64::from_be_bytes((&*slot).try_into()?) + shift;
                            slot.copy_from_slice(&v.to_be_bytes());
                        } else {
                            let v = u64::from(u32::from_be_bytes((&*slot).try_into()?)) + shift;
                            let v = u32::try_from(v).context("MP4 larger than 4 GB needs co64")?;
                            slot.copy_from_slice(&v.to_be_bytes());
                        }
                    }
                }
                _ => {}
            }
            pos = end;
        }
        Ok(())
    }
    let (_, header) = box_size(moov, 0)?;
    walk(&mut moov[header..], shift)
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

/// BT.709 limited-range YUV to RGB (the inverse of [`Yuv420::from_rgb`]).
fn yuv_to_rgb(
    y: &[u8],
    u: &[u8],
    v: &[u8],
    (sy, su, sv): (usize, usize, usize),
    w: usize,
    h: usize,
) -> RgbImage {
    let mut out = RgbImage::new(w as u32, h as u32);
    for row in 0..h {
        for col in 0..w {
            let yy = (y[row * sy + col] as f32 - 16.0) * 255.0 / 219.0;
            let cb = (u[(row / 2) * su + col / 2] as f32 - 128.0) * 255.0 / 224.0;
            let cr = (v[(row / 2) * sv + col / 2] as f32 - 128.0) * 255.0 / 224.0;
            let r = yy + 1.5748 * cr;
            let g = yy - 0.187_324 * cb - 0.468_124 * cr;
            let b = yy + 1.8556 * cb;
            out.put_pixel(
                col as u32,
                row as u32,
                image::Rgb([r, g, b].map(|c| c.round().clamp(0.0, 255.0) as u8)),
            );
        }
    }
    out
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
