//! MP4: encoded slides muxed into one video track with the `mp4` crate, then the index moved
//! to the front (fast start).

use std::io::Cursor;

use anyhow::{bail, Context, Result};

use super::{EncodedSlide, EncoderSettings, HOLD_MS, TIMESCALE};

/// One entry of the video: an encoded slide and how long it shows.
#[derive(Debug, Clone, Copy)]
pub struct Still<'a> {
    /// The picture.
    pub slide: &'a EncodedSlide,
    /// Time on screen, milliseconds.
    pub duration_ms: u32,
}

/// Muxes encoded slides into an MP4 and moves its index to the front. The video lasts exactly
/// the sum of the durations: the closing hold sample is taken out of the last slide's time.
pub fn write(stills: &[Still<'_>], settings: &EncoderSettings) -> Result<Vec<u8>> {
    let Some(first) = stills.first() else {
        bail!("a video needs at least one slide");
    };
    if stills
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
    let last = stills.len() - 1;
    for (i, still) in stills.iter().enumerate() {
        let duration = still.duration_ms.max(1);
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
                bytes: mp4::Bytes::copy_from_slice(&still.slide.picture),
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
                    bytes: mp4::Bytes::copy_from_slice(&still.slide.hold),
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
