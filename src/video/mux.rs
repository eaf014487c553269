//! MP4: encoded slides muxed into one video track with the `mp4` crate, then the index moved
//! to the front (fast start).

use std::fs::File;
use std::io::{BufReader, BufWriter, Cursor, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};

use super::aac::{AudioFrames, AudioTrack, TrackFrames, AUDIO_RATE, FRAME};
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
    let mut frames = audio.map(TrackFrames::new);
    let audio = frames.as_mut().map(|f| f as &mut dyn AudioFrames);
    let (raw, layout) = mux(stills, settings, audio, Cursor::new(Vec::new()))?;
    let mut out = Vec::new();
    finish(&mut Cursor::new(raw.into_inner()), &layout, &mut out)?;
    Ok(out)
}

/// [`write()`] to the file `path`, the speech pulled from `audio` as the muxer goes, so neither
/// the speech nor the video is ever held whole: the samples are muxed into a file beside
/// `path`, whose index is then put in front as `path` is written from it. Returns the
/// XXH3-128 digest of what `path` holds ([`crate::cache::fast_digest`] of its bytes).
pub fn write_file(
    stills: &[Still<'_>],
    settings: &EncoderSettings,
    audio: Option<&mut dyn AudioFrames>,
    path: &Path,
) -> Result<String> {
    let mut raw_path = path.as_os_str().to_owned();
    raw_path.push(".mux");
    let raw_path = PathBuf::from(raw_path);
    let result = (|| {
        let raw =
            File::create(&raw_path).with_context(|| format!("creating {}", raw_path.display()))?;
        let (raw, layout) = mux(stills, settings, audio, BufWriter::new(raw))?;
        raw.into_inner()
            .map_err(|e| e.into_error())
            .with_context(|| format!("writing {}", raw_path.display()))?;
        let mut source = BufReader::new(
            File::open(&raw_path).with_context(|| format!("reading {}", raw_path.display()))?,
        );
        let file = File::create(path).with_context(|| format!("creating {}", path.display()))?;
        let mut out = Digesting::new(BufWriter::new(file));
        finish(&mut source, &layout, &mut out)?;
        let digest = out.digest();
        let file = out
            .into_inner()
            .into_inner()
            .map_err(|e| e.into_error())
            .with_context(|| format!("writing {}", path.display()))?;
        file.sync_all()
            .with_context(|| format!("flushing {}", path.display()))?;
        Ok(digest)
    })();
    let _ = std::fs::remove_file(&raw_path);
    result
}

/// What [`finish`] needs to know of a muxed file.
struct Layout {
    /// The video's length in the movie timescale.
    video_duration: u64,
    /// The audio's encoder delay and presented length in the movie timescale, when it has
    /// speech.
    audio: Option<(u64, u64)>,
}

/// Writes the samples of an MP4 (index last, as the `mp4` crate writes it) into `out`.
fn mux<W: Write + Seek>(
    stills: &[Still<'_>],
    settings: &EncoderSettings,
    mut audio: Option<&mut dyn AudioFrames>,
    out: W,
) -> Result<(W, Layout)> {
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
    let bitrate = audio.as_ref().map(|a| a.bitrate());
    let mut writer = start(settings, first.slide, bitrate, timescale, out)?;
    let hold_picture = super::skip::hold_picture(&first.slide.sps, &first.slide.pps)?;
    let video = video_samples(stills, u64::from(timescale / 1000), &hold_picture);
    let video_duration = video
        .last()
        .map_or(0, |(start, duration, ..)| start + duration);
    // Interleave the two tracks by time, so a player reading the file in order has both.
    let mut next_audio = match audio.as_mut() {
        Some(a) => a.next_frame()?,
        None => None,
    };
    let (mut v, mut a) = (0, 0u64);
    while v < video.len() || next_audio.is_some() {
        let audio_time = a * u64::from(FRAME) * u64::from(timescale / AUDIO_RATE);
        let take_video = v < video.len() && (next_audio.is_none() || video[v].0 <= audio_time);
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
        } else if let (Some(frame), Some(source)) = (next_audio.take(), audio.as_mut()) {
            writer.write_sample(
                2,
                &mp4::Mp4Sample {
                    start_time: a * u64::from(FRAME),
                    duration: FRAME,
                    rendering_offset: 0,
                    is_sync: true,
                    bytes: mp4::Bytes::from(frame),
                },
            )?;
            a += 1;
            next_audio = source.next_frame()?;
        }
    }
    writer.write_end()?;
    let audio = audio.map(|a| {
        let (priming, samples) = a.lengths();
        (priming, samples * u64::from(timescale / AUDIO_RATE))
    });
    Ok((
        writer.into_writer(),
        Layout {
            video_duration,
            audio,
        },
    ))
}

/// Writes a muxed file read from `source` to `out` with its index in front (fast start: a
/// browser can start playing and seek before the whole file arrives), the audio given its
/// edit list. Only the index is held in memory; the samples are copied through.
fn finish<R: Read + Seek>(source: &mut R, layout: &Layout, out: &mut dyn Write) -> Result<()> {
    let boxes = read_top_boxes(source)?;
    let find = |k: &[u8; 4]| boxes.iter().position(|b| &b.kind == k);
    let (Some(moov), Some(mdat)) = (find(b"moov"), find(b"mdat")) else {
        bail!("MP4 without moov or mdat");
    };
    let mut moov_bytes = vec![0u8; boxes[moov].end - boxes[moov].start];
    source.seek(SeekFrom::Start(boxes[moov].start as u64))?;
    source.read_exact(&mut moov_bytes)?;
    let written = moov_bytes.len() as u64;
    if let Some((priming, presented)) = layout.audio {
        moov_bytes = edit_audio(&moov_bytes, priming, presented, layout.video_duration)?;
    }
    // The samples move by the index's size when it goes in front of them, by its growth when
    // it already was.
    let shift = if moov > mdat {
        moov_bytes.len() as u64
    } else {
        (moov_bytes.len() as u64)
            .checked_sub(written)
            .context("an edited index in front of its samples cannot shrink")?
    };
    shift_chunk_offsets(&mut moov_bytes, shift)?;
    for (i, b) in boxes.iter().enumerate() {
        if i == moov {
            if moov < mdat {
                out.write_all(&moov_bytes)?;
            }
            continue;
        }
        if i == mdat && moov > mdat {
            out.write_all(&moov_bytes)?;
        }
        source.seek(SeekFrom::Start(b.start as u64))?;
        let len = (b.end - b.start) as u64;
        let copied = std::io::copy(&mut (&mut *source).take(len), out)?;
        if copied != len {
            bail!("the muxed file ended early");
        }
    }
    Ok(())
}

/// An MP4 writer with its video track (and the speech track at `bitrate`, when there is one).
fn start<W: Write + Seek>(
    settings: &EncoderSettings,
    first: &EncodedSlide,
    bitrate: Option<u32>,
    timescale: u32,
    out: W,
) -> Result<mp4::Mp4Writer<W>> {
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
    let mut writer = mp4::Mp4Writer::write_start(out, &config)?;
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
    if let Some(bitrate) = bitrate {
        // Not `TrackConfig::from(AacConfig)`: it forces a timescale of 1000.
        writer.add_track(&mp4::TrackConfig {
            track_type: mp4::TrackType::Audio,
            timescale: AUDIO_RATE,
            language: "und".into(),
            media_conf: mp4::MediaConfig::AacConfig(mp4::AacConfig {
                bitrate,
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

/// The `moov` box with the audio track (the second `trak`) given an edit list that skips the
/// encoder's priming samples and presents `presented` movie-timescale units, its `tkhd`
/// duration set to that, and the movie's `mvhd` duration to the longer of it and `video`.
fn edit_audio(moov: &[u8], priming: u64, presented: u64, video: u64) -> Result<Vec<u8>> {
    let (_, header) = box_size(moov, 0)?;
    let body = moov.get(header..).context("short moov box")?;
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
    let mut out = Vec::with_capacity(out_body.len() + 8);
    out.extend_from_slice(&(u32::try_from(out_body.len() + 8)?).to_be_bytes());
    out.extend_from_slice(b"moov");
    out.extend_from_slice(&out_body);
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

/// The top-level boxes of the file `source`, from their headers.
fn read_top_boxes<R: Read + Seek>(source: &mut R) -> Result<Vec<TopBox>> {
    let len = source.seek(SeekFrom::End(0))?;
    let mut out = Vec::new();
    let mut pos = 0u64;
    while pos + 8 <= len {
        let mut header = [0u8; 16];
        source.seek(SeekFrom::Start(pos))?;
        let have = usize::try_from((len - pos).min(16))?;
        source.read_exact(&mut header[..have])?;
        let (size, header_len) = box_size(&header[..have], 0)?;
        let kind: [u8; 4] = header[4..8].try_into()?;
        let end = if size == 0 { len } else { pos + size as u64 };
        if end > len || size != 0 && size < header_len {
            bail!("malformed MP4 box at byte {pos}");
        }
        out.push(TopBox {
            kind,
            start: usize::try_from(pos)?,
            end: usize::try_from(end)?,
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

/// A writer that digests what passes through it (XXH3-128).
struct Digesting<W> {
    inner: W,
    hasher: twox_hash::XxHash3_128,
}

impl<W: Write> Digesting<W> {
    fn new(inner: W) -> Self {
        Self {
            inner,
            hasher: twox_hash::XxHash3_128::new(),
        }
    }

    fn digest(&self) -> String {
        crate::cache::fast_hex(self.hasher.finish_128())
    }

    fn into_inner(self) -> W {
        self.inner
    }
}

impl<W: Write> Write for Digesting<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.hasher.write(&buf[..n]);
        Ok(n)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::video::{encode, encode_aac};

    /// The file written piece by piece, with the speech pulled as it is muxed, holds exactly
    /// the bytes of the video muxed in memory, and its digest is theirs.
    #[test]
    fn a_file_written_in_pieces_is_the_video_muxed_in_memory() {
        let settings = EncoderSettings {
            width: 64,
            height: 48,
            qp: 24,
        };
        let frames: Vec<_> = [40u8, 200]
            .iter()
            .map(|&v| image::RgbImage::from_pixel(64, 48, image::Rgb([v, 90, 255 - v])))
            .map(|f| encode(&f, &settings).unwrap())
            .collect();
        let stills: Vec<Still<'_>> = frames
            .iter()
            .map(|slide| Still {
                slide,
                duration_ms: 1480,
            })
            .collect();
        let pcm: Vec<f32> = (0..60_000).map(|i| (i as f32 * 0.05).sin() * 0.3).collect();
        let track = encode_aac(&pcm, 48).unwrap();
        let in_memory = write(&stills, &settings, Some(&track)).unwrap();
        let folder = lecturegen_testkit::Scratch::new();
        let path = folder.path("lecture.mp4");
        let mut pulled = TrackFrames::new(&track);
        let digest = write_file(&stills, &settings, Some(&mut pulled), &path).unwrap();
        let on_disk = std::fs::read(&path).unwrap();
        assert!(
            on_disk == in_memory,
            "the file differs from the video in memory"
        );
        assert_eq!(digest, crate::cache::fast_digest(&on_disk));
        assert_eq!(
            std::fs::read_dir(&folder.root).unwrap().count(),
            1,
            "no file left"
        );
    }
}
