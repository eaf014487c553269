//! MP4: encoded slides muxed into one video track with the `mp4` crate, then the index moved
//! to the front (fast start).

use std::io::Cursor;

use anyhow::{bail, Context, Result};

use super::aac::{AudioTrack, AUDIO_RATE, FRAME};
use super::{EncodedSlide, EncoderSettings, FRAME_GRID_MS, HOLD_MS, TIMESCALE};

/// One entry of the video: an encoded slide and how long it shows.
#[derive(Debug, Clone, Copy)]
pub struct Still<'a> {
    /// The picture.
    pub slide: &'a EncodedSlide,
    /// Time on screen, milliseconds.
    pub duration_ms: u32,
}

/// Timescale of a video with a speech track: a whole number of units per millisecond (slide
/// times) and per audio sample (1000 and 22,050 both divide it), so no duration is rounded.
pub const NARRATED_TIMESCALE: u32 = 441_000;

/// Muxes encoded slides (and the speech track, when there is one) into an MP4 and moves its
/// index to the front. The video lasts exactly the sum of the durations: the closing hold
/// sample is taken out of the last slide's time. The audio's encoder delay is skipped by an
/// edit list, and its presented length is the PCM's.
pub fn write(
    stills: &[Still<'_>],
    settings: &EncoderSettings,
    audio: Option<&AudioTrack>,
) -> Result<Vec<u8>> {
    let Some(first) = stills.first() else {
        bail!("a video needs at least one slide");
    };
    if stills
        .iter()
        .any(|c| c.slide.sps != first.slide.sps || c.slide.pps != first.slide.pps)
    {
        bail!("slides were encoded with different settings");
    }
    let timescale = if audio.is_some() {
        NARRATED_TIMESCALE
    } else {
        TIMESCALE
    };
    let mut writer = start(settings, first.slide, audio, timescale)?;
    let hold_picture = super::skip::hold_picture(&first.slide.sps, &first.slide.pps)?;
    let video = video_samples(stills, u64::from(timescale / 1000), &hold_picture);
    let video_duration = video
        .last()
        .map_or(0, |(start, duration, ..)| start + duration);
    // Interleave the two tracks by time, so a player reading the file in order has both.
    let audio_frames = audio.map_or(&[][..], |a| &a.frames[..]);
    let (mut v, mut a) = (0, 0);
    while v < video.len() || a < audio_frames.len() {
        let audio_time = a as u64 * u64::from(FRAME) * u64::from(timescale / AUDIO_RATE);
        let take_video = v < video.len() && (a >= audio_frames.len() || video[v].0 <= audio_time);
        if take_video {
            let (start, duration, sync, bytes) = video[v];
            writer.write_sample(
                1,
                &mp4::Mp4Sample {
                    start_time: start,
                    duration: u32::try_from(duration).context("a slide longer than 2.7 hours")?,
                    rendering_offset: 0,
                    is_sync: sync,
                    bytes: mp4::Bytes::copy_from_slice(bytes),
                },
            )?;
            v += 1;
        } else {
            writer.write_sample(
                2,
                &mp4::Mp4Sample {
                    start_time: a as u64 * u64::from(FRAME),
                    duration: FRAME,
                    rendering_offset: 0,
                    is_sync: true,
                    bytes: mp4::Bytes::copy_from_slice(&audio_frames[a]),
                },
            )?;
            a += 1;
        }
    }
    writer.write_end()?;
    let mut bytes = writer.into_writer().into_inner();
    if let Some(audio) = audio {
        let presented = audio.samples * u64::from(timescale / AUDIO_RATE);
        bytes = edit_audio(&bytes, audio.priming, presented, video_duration)?;
    }
    fast_start(&bytes)
}

/// An MP4 writer in memory with its video track (and the speech track, when there is one).
fn start(
    settings: &EncoderSettings,
    first: &EncodedSlide,
    audio: Option<&AudioTrack>,
    timescale: u32,
) -> Result<mp4::Mp4Writer<Cursor<Vec<u8>>>> {
    let config = mp4::Mp4Config {
        major_brand: fourcc(b"isom"),
        minor_version: 512,
        compatible_brands: vec![
            fourcc(b"isom"),
            fourcc(b"iso2"),
            fourcc(b"avc1"),
            fourcc(b"mp41"),
        ],
        timescale,
    };
    let mut writer = mp4::Mp4Writer::write_start(Cursor::new(Vec::new()), &config)?;
    writer.add_track(&mp4::TrackConfig {
        track_type: mp4::TrackType::Video,
        timescale,
        language: "und".into(),
        media_conf: mp4::MediaConfig::AvcConfig(mp4::AvcConfig {
            width: u16::try_from(settings.width)?,
            height: u16::try_from(settings.height)?,
            seq_param_set: first.sps.clone(),
            pic_param_set: first.pps.clone(),
        }),
    })?;
    if let Some(audio) = audio {
        // Not `TrackConfig::from(AacConfig)`: it forces a timescale of 1000.
        writer.add_track(&mp4::TrackConfig {
            track_type: mp4::TrackType::Audio,
            timescale: AUDIO_RATE,
            language: "und".into(),
            media_conf: mp4::MediaConfig::AacConfig(mp4::AacConfig {
                bitrate: audio.bitrate,
                profile: mp4::AudioObjectType::AacLowComplexity,
                freq_index: mp4::SampleFreqIndex::Freq22050,
                chan_conf: mp4::ChannelConfig::Mono,
            }),
        })?;
    }
    Ok(writer)
}

/// The video samples, `(start, duration, sync, bytes)` in the movie timescale (`per_ms` units
/// a millisecond): one per still, the last one's time shared with a closing hold sample.
fn video_samples<'a>(
    stills: &[Still<'a>],
    per_ms: u64,
    hold_picture: &'a [u8],
) -> Vec<(u64, u64, bool, &'a [u8])> {
    let mut video = Vec::with_capacity(stills.len() + 1);
    let mut time = 0u64;
    let last = stills.len().saturating_sub(1);
    for (i, still) in stills.iter().enumerate() {
        let duration = still.duration_ms.max(1);
        // The hold keeps to the frame grid: a short last slide holds for its grid steps' half.
        let (shown, hold) = if i == last && duration > 2 * HOLD_MS {
            (duration - HOLD_MS, HOLD_MS)
        } else if i == last {
            let hold = duration / 2 / FRAME_GRID_MS * FRAME_GRID_MS;
            (duration - hold, hold)
        } else {
            (duration, 0)
        };
        let shown = u64::from(shown) * per_ms;
        video.push((time, shown, true, &still.slide.picture[..]));
        time += shown;
        if hold > 0 {
            let hold = u64::from(hold) * per_ms;
            video.push((time, hold, false, hold_picture));
            time += hold;
        }
    }
    video
}

/// Gives the audio track (the second `trak`) an edit list that skips the encoder's priming
/// samples and presents `presented` movie-timescale units, sets its `tkhd` duration to that,
/// and the movie's `mvhd` duration to the longer of it and `video`. Works on a file whose
/// `moov` comes after `mdat`, so no chunk offset moves.
fn edit_audio(bytes: &[u8], priming: u64, presented: u64, video: u64) -> Result<Vec<u8>> {
    let boxes = top_boxes(bytes)?;
    let moov = boxes
        .iter()
        .find(|b| &b.kind == b"moov")
        .context("the MP4 has no moov box")?;
    let body = &bytes[moov.start + 8..moov.end];
    let children = child_boxes(body)?;
    let mut out_body = Vec::with_capacity(body.len() + 64);
    let mut traks = 0;
    for (kind, range) in children {
        let mut child = body[range].to_vec();
        match &kind {
            b"mvhd" => set_duration(&mut child, 24, 32, presented.max(video))?,
            b"trak" => {
                traks += 1;
                if traks == 2 {
                    child = edit_trak(&child, priming, presented)?;
                }
            }
            _ => {}
        }
        out_body.extend_from_slice(&child);
    }
    if traks != 2 {
        bail!("expected a video and an audio track, found {traks}");
    }
    let mut out = Vec::with_capacity(bytes.len() + 64);
    out.extend_from_slice(&bytes[..moov.start]);
    out.extend_from_slice(&(u32::try_from(out_body.len() + 8)?).to_be_bytes());
    out.extend_from_slice(b"moov");
    out.extend_from_slice(&out_body);
    out.extend_from_slice(&bytes[moov.end..]);
    Ok(out)
}

/// The audio `trak` with `edts/elst` after its `tkhd` and the `tkhd` duration set.
fn edit_trak(trak: &[u8], priming: u64, presented: u64) -> Result<Vec<u8>> {
    let body = &trak[8..];
    let mut out = Vec::with_capacity(trak.len() + 48);
    for (kind, range) in child_boxes(body)? {
        if &kind == b"edts" {
            continue;
        }
        let mut child = body[range].to_vec();
        if &kind == b"tkhd" {
            set_duration(&mut child, 28, 36, presented)?;
        }
        out.extend_from_slice(&child);
        if &kind == b"tkhd" {
            // elst version 1: one entry, (segment duration u64, media time i64, rate 1.0).
            let mut elst = Vec::new();
            elst.extend_from_slice(&36u32.to_be_bytes());
            elst.extend_from_slice(b"elst");
            elst.extend_from_slice(&0x0100_0000u32.to_be_bytes());
            elst.extend_from_slice(&1u32.to_be_bytes());
            elst.extend_from_slice(&presented.to_be_bytes());
            elst.extend_from_slice(&(i64::try_from(priming)?).to_be_bytes());
            elst.extend_from_slice(&0x0001_0000u32.to_be_bytes());
            out.extend_from_slice(&(u32::try_from(elst.len() + 8)?).to_be_bytes());
            out.extend_from_slice(b"edts");
            out.extend_from_slice(&elst);
        }
    }
    let mut trak_out = Vec::with_capacity(out.len() + 8);
    trak_out.extend_from_slice(&(u32::try_from(out.len() + 8)?).to_be_bytes());
    trak_out.extend_from_slice(b"trak");
    trak_out.extend_from_slice(&out);
    Ok(trak_out)
}

/// Sets the duration of a full box (`mvhd`, `tkhd`) whose version-0 duration (u32) is at byte
/// `v0` and version-1 duration (u64) at byte `v1`, counting from the box's start.
fn set_duration(full_box: &mut [u8], v0: usize, v1: usize, duration: u64) -> Result<()> {
    match full_box.get(8) {
        Some(0) => {
            let d = u32::try_from(duration).context("a duration too long for a version-0 box")?;
            full_box
                .get_mut(v0..v0 + 4)
                .context("short box")?
                .copy_from_slice(&d.to_be_bytes());
        }
        Some(1) => full_box
            .get_mut(v1..v1 + 8)
            .context("short box")?
            .copy_from_slice(&duration.to_be_bytes()),
        _ => bail!("unknown box version"),
    }
    Ok(())
}

/// The boxes directly inside `body`: type and byte range.
fn child_boxes(body: &[u8]) -> Result<Vec<([u8; 4], std::ops::Range<usize>)>> {
    let mut out = Vec::new();
    let mut pos = 0;
    while pos + 8 <= body.len() {
        let (size, _) = box_size(body, pos)?;
        let end = pos + size;
        if end > body.len() || size < 8 {
            bail!("a box overruns its parent");
        }
        let mut kind = [0u8; 4];
        kind.copy_from_slice(&body[pos + 4..pos + 8]);
        out.push((kind, pos..end));
        pos = end;
    }
    Ok(out)
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
