//! The MP4 read back with the `mp4` crate's reader, and decoded with openh264.

use std::io::Cursor;

use lecturegen::config::ThemeConfig;
use lecturegen::video::{self, EncoderSettings, Still};

use crate::support::Course;

fn top_level_boxes(bytes: &[u8]) -> Vec<String> {
    let mut kinds = Vec::new();
    let mut pos = 0;
    while pos + 8 <= bytes.len() {
        let size = u32::from_be_bytes(bytes[pos..pos + 4].try_into().unwrap()) as usize;
        kinds.push(String::from_utf8_lossy(&bytes[pos + 4..pos + 8]).into_owned());
        assert!(size >= 8, "box size {size} at {pos}");
        pos += size;
    }
    assert_eq!(pos, bytes.len());
    kinds
}

#[test]
fn lecture_mp4_has_one_sync_sample_per_slide_and_the_planned_length() {
    let course = Course::new();
    course.file(
        "content/a.md",
        "# Lecture\n<!-- duration: 2s -->\n\n## One\n<!-- duration: 3s -->\ntext\n\n## Two\n<!-- duration: 1.5s -->\nmore\n",
    );
    let (summary, report) = course.build();
    assert_eq!(summary.failed, 0, "{:?}", report.errors());
    let bytes = std::fs::read(course.path("output/a/lecture.mp4")).unwrap();

    // Fast start: the index comes before the media data.
    let boxes = top_level_boxes(&bytes);
    let moov = boxes.iter().position(|b| b == "moov").unwrap();
    let mdat = boxes.iter().position(|b| b == "mdat").unwrap();
    assert!(moov < mdat, "{boxes:?}");

    let size = bytes.len() as u64;
    let mut reader = mp4::Mp4Reader::read_header(Cursor::new(bytes), size).unwrap();
    assert_eq!(reader.tracks().len(), 1);
    let track = reader.tracks().values().next().unwrap();
    let track_id = track.track_id();
    assert_eq!(track.media_type().unwrap(), mp4::MediaType::H264);
    assert_eq!((track.width(), track.height()), (320, 180));
    let count = reader.sample_count(track_id).unwrap();
    // Three slides, plus the short closing sample that makes the last one hold.
    assert_eq!(count, 4);
    let mut total = 0u64;
    let mut sync = 0;
    let mut durations = Vec::new();
    for i in 1..=count {
        let sample = reader.read_sample(track_id, i).unwrap().unwrap();
        total += u64::from(sample.duration);
        durations.push(sample.duration);
        sync += usize::from(sample.is_sync);
    }
    assert_eq!(sync, 3);
    assert_eq!(total, 6500, "{durations:?}");
    assert_eq!(durations[0], 2000);
    assert_eq!(durations[1], 3000);
    assert_eq!(reader.duration().as_millis(), 6500);

    let vtt = course.read("output/a/chapters.vtt");
    assert!(vtt.starts_with("WEBVTT\n"));
    assert!(
        vtt.contains("00:00:02.000 --> 00:00:05.000\nOne\n"),
        "{vtt}"
    );
    assert!(
        vtt.contains("00:00:05.000 --> 00:00:06.500\nTwo\n"),
        "{vtt}"
    );
}

#[test]
fn encoded_slides_decode_close_to_their_frames() {
    let settings = EncoderSettings {
        width: 640,
        height: 360,
        qp: 20,
    };
    let frames = striped(3, 640, 360);
    let encoded: Vec<_> = frames
        .iter()
        .map(|f| video::encode(f, &settings).unwrap())
        .collect();
    let samples: Vec<Vec<u8>> = encoded.iter().map(|e| e.picture.clone()).collect();
    let decoded = video::decode(&encoded[0].sps, &encoded[0].pps, &samples).unwrap();
    assert_eq!(decoded.len(), 3);
    for (a, b) in frames.iter().zip(&decoded) {
        let psnr = video::psnr(a, b);
        assert!(psnr >= 38.0, "PSNR {psnr:.1} dB");
    }
    // And the muxed file parses.
    let mp4 = seconds_each(&encoded, &settings);
    let size = mp4.len() as u64;
    let reader = mp4::Mp4Reader::read_header(Cursor::new(mp4), size).unwrap();
    assert_eq!(reader.duration().as_millis(), 3000);
}

#[test]
fn bt709_conversion_rounds_and_uses_limited_range() {
    let mut img = image::RgbImage::new(2, 2);
    for p in img.pixels_mut() {
        *p = image::Rgb([255, 255, 255]);
    }
    let yuv = video::Yuv420::from_rgb(&img);
    assert_eq!(yuv.y, [235; 4]);
    assert_eq!((yuv.u[0], yuv.v[0]), (128, 128));
    for p in img.pixels_mut() {
        *p = image::Rgb([0, 0, 0]);
    }
    assert_eq!(video::Yuv420::from_rgb(&img).y, [16; 4]);
    for p in img.pixels_mut() {
        *p = image::Rgb([255, 0, 0]);
    }
    // BT.709 red: Y = 16 + 219 * 0.2126 = 62.6 -> 63; Cr = 128 + 112 = 240.
    let red = video::Yuv420::from_rgb(&img);
    assert_eq!(red.y[0], 63);
    assert_eq!(red.v[0], 240);
}

#[test]
fn the_closing_hold_picture_repeats_the_last_slide() {
    // 320x180 is 20 x 11.25 macroblocks: the hand-written skip picture covers the padded 12
    // rows too.
    for (width, height) in [(320, 180), (640, 360)] {
        let settings = EncoderSettings {
            width,
            height,
            qp: 20,
        };
        let frames = striped(2, width, height);
        let encoded: Vec<_> = frames
            .iter()
            .map(|f| video::encode(f, &settings).unwrap())
            .collect();
        let mp4 = seconds_each(&encoded, &settings);
        let size = mp4.len() as u64;
        let mut reader = mp4::Mp4Reader::read_header(Cursor::new(mp4.clone()), size).unwrap();
        let track_id = reader.tracks().values().next().unwrap().track_id();
        assert_eq!(reader.sample_count(track_id).unwrap(), 3);
        let samples: Vec<Vec<u8>> = (1..=3)
            .map(|i| {
                let s = reader.read_sample(track_id, i).unwrap().unwrap();
                assert_eq!(s.is_sync, i < 3, "sample {i}");
                s.bytes.to_vec()
            })
            .collect();
        assert!(samples[2].len() < 16, "a few bytes: {:?}", samples[2]);
        let decoded = video::decode(&encoded[0].sps, &encoded[0].pps, &samples).unwrap();
        assert_eq!(decoded.len(), 3);
        assert!(video::psnr(&frames[1], &decoded[1]) > 38.0);
        assert!(
            decoded[2] == decoded[1],
            "the hold repeats the last slide exactly"
        );

        // ffmpeg's decoder agrees: three pictures, the last two the same.
        if crate::support::tool("ffmpeg", "-version", "ffmpeg") {
            let path = std::env::temp_dir().join(format!(
                "lecturegen-hold-{}-{width}.mp4",
                std::process::id()
            ));
            std::fs::write(&path, &mp4).unwrap();
            let out = std::process::Command::new("ffmpeg")
                .args(["-v", "error", "-i"])
                .arg(&path)
                .args([
                    "-fps_mode",
                    "passthrough",
                    "-f",
                    "rawvideo",
                    "-pix_fmt",
                    "rgb24",
                    "-",
                ])
                .output()
                .unwrap();
            let _ = std::fs::remove_file(&path);
            crate::support::assert_success(&out);
            let frame = (width * height * 3) as usize;
            assert_eq!(out.stdout.len(), 3 * frame);
            assert!(out.stdout[frame..2 * frame] == out.stdout[2 * frame..]);
        }
    }
}

/// `n` gradient pictures with hard edges, like text: stripes of white across a band, placed
/// differently in each.
fn striped(n: u64, width: u32, height: u32) -> Vec<image::RgbImage> {
    (0..n)
        .map(|seed| {
            let mut frame = crate::support::gradient(&ThemeConfig::default(), seed, width, height);
            for y in height / 9..height / 9 + 20 {
                for x in (10..width - 10).filter(|x| (x / 5 + seed as u32).is_multiple_of(2)) {
                    frame.put_pixel(x, y, image::Rgb([250, 250, 250]));
                }
            }
            frame
        })
        .collect()
}

/// The MP4 of `encoded`, a second each.
fn seconds_each(encoded: &[video::EncodedSlide], settings: &EncoderSettings) -> Vec<u8> {
    let clips: Vec<Still<'_>> = encoded
        .iter()
        .map(|slide| Still {
            slide,
            duration_ms: 1000,
        })
        .collect();
    video::write(&clips, settings, None).unwrap()
}
