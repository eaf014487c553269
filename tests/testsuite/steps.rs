//! Steps that appear when the voice reaches them: each step is a picture of its own in the
//! video, switched to when the narration reaches the sentence that brings it.

use std::io::Cursor;

use image::RgbImage;
use lecturegen::video;

use crate::narration::{cues, tone_course};

/// The video's pictures: (start, end) in seconds and the decoded picture.
fn pictures(mp4: &[u8]) -> Vec<(f64, f64, RgbImage)> {
    let size = mp4.len() as u64;
    let mut reader = mp4::Mp4Reader::read_header(Cursor::new(mp4.to_vec()), size).unwrap();
    let track = reader
        .tracks()
        .values()
        .find(|t| t.media_type().ok() == Some(mp4::MediaType::H264))
        .unwrap();
    let (id, scale) = (track.track_id(), f64::from(track.timescale()));
    let sps = track.sequence_parameter_set().unwrap().to_vec();
    let pps = track.picture_parameter_set().unwrap().to_vec();
    let count = reader.sample_count(id).unwrap();
    let mut spans = Vec::new();
    let mut samples = Vec::new();
    let mut syncs = Vec::new();
    for i in 1..=count {
        let s = reader.read_sample(id, i).unwrap().unwrap();
        let start = s.start_time as f64 / scale;
        spans.push((start, start + f64::from(s.duration) / scale));
        syncs.push(s.is_sync);
        samples.push(s.bytes.to_vec());
    }
    let decoded = video::decode(&sps, &pps, &samples).unwrap();
    // The closing sample repeats the last picture (it makes it hold): one picture.
    let mut out: Vec<(f64, f64, RgbImage)> = Vec::new();
    for (((a, b), image), sync) in spans.into_iter().zip(decoded).zip(syncs) {
        match out.last_mut() {
            Some(last) if !sync => last.1 = b,
            _ => out.push((a, b, image)),
        }
    }
    out
}

/// The picture on screen at `t` seconds.
fn at(pictures: &[(f64, f64, RgbImage)], t: f64) -> &RgbImage {
    &pictures
        .iter()
        .find(|(a, b, _)| *a <= t && t < *b)
        .unwrap_or_else(|| panic!("no picture at {t}"))
        .2
}

/// The index among `candidates` that `frame` is closest to (PSNR).
fn closest(frame: &RgbImage, candidates: &[&RgbImage]) -> usize {
    let scores: Vec<f64> = candidates.iter().map(|c| video::psnr(frame, c)).collect();
    (0..scores.len())
        .max_by(|&a, &b| scores[a].total_cmp(&scores[b]))
        .unwrap()
}

/// The start of the caption cue that begins with `text`.
fn cue_start(cues: &[(f64, f64, String)], text: &str) -> f64 {
    cues.iter()
        .find(|(_, _, t)| t.replace('\n', " ").starts_with(text))
        .unwrap_or_else(|| panic!("no cue {text:?} in {cues:?}"))
        .0
}

/// The distinct pictures of the slide on screen from `from` to `to` seconds, in order.
fn slide_pictures(pictures: &[(f64, f64, RgbImage)], from: f64, to: f64) -> Vec<&RgbImage> {
    pictures
        .iter()
        .filter(|(a, _, _)| *a >= from - 1e-6 && *a < to - 1e-6)
        .map(|(_, _, p)| p)
        .collect()
}

#[test]
fn each_point_appears_when_its_paragraph_is_spoken() {
    let course = tone_course();
    course.file(
        "content/a.md",
        "---\ntitle: Steps\n---\n\n# Three paragraphs\n\nAlpha opens the section with a paragraph \
         long enough to be cut into a shorter point. It has a second sentence.\n\nBeta follows \
         with a paragraph that is also long enough to be cut into a point.\n\nGamma ends the \
         section with the last paragraph, long enough to be cut into a point as well.\n",
    );
    let (summary, report) = course.build();
    assert_eq!(summary.failed, 0, "{:?}", report.errors());
    let captions = cues(&course.read("output/a/captions.vtt"));
    let chapters = cues(&course.read("output/a/chapters.vtt"));
    let pictures = pictures(&std::fs::read(course.path("output/a/lecture.mp4")).unwrap());
    let (from, to) = (chapters[1].0, chapters[1].1);
    let states = slide_pictures(&pictures, from, to);
    assert_eq!(states.len(), 3, "the point of each paragraph is a step");
    for (k, text) in ["Alpha opens", "Beta follows", "Gamma ends"]
        .iter()
        .enumerate()
    {
        let t = cue_start(&captions, text) + 0.1;
        assert_eq!(
            closest(at(&pictures, t), &states),
            k,
            "{text}: at {t:.2} s the picture with {} points shows",
            k + 1
        );
    }
    // The second sentence of a paragraph brings no step.
    let t = cue_start(&captions, "It has a second sentence") + 0.1;
    assert_eq!(closest(at(&pictures, t), &states), 0);
    // Each picture differs from the next: a point was added.
    assert!(video::psnr(states[0], states[1]) < 40.0);
    // The slide's picture on the page is the final state.
    let page = image::open(course.path("output/a/slides/002.jpg"))
        .unwrap()
        .to_rgb8();
    assert_eq!(closest(&page, &states), 2);
}

#[test]
fn click_markers_lead_and_a_silent_slide_shares_its_time() {
    let course = tone_course();
    course.file(
        "content/a.md",
        "---\ntitle: Clicks\n---\n\n# Marked\n\n<!-- step items -->\n\n- first item\n- second \
         item\n- third item\n\nNote: We start with the first item. It is simple. [click] The \
         next one is harder. Take your time. [click] And the last one closes.\n\n# Quiet\n\n\
         <!-- narration: off -->\n<!-- duration: 8s -->\n<!-- step items -->\n\n- one\n- two\n\
         - three\n- four\n",
    );
    let (summary, report) = course.build();
    assert_eq!(summary.failed, 0, "{:?}", report.errors());
    let captions = cues(&course.read("output/a/captions.vtt"));
    let chapters = cues(&course.read("output/a/chapters.vtt"));
    let pictures = pictures(&std::fs::read(course.path("output/a/lecture.mp4")).unwrap());

    // The marked slide switches exactly where the markers stand.
    let marked: Vec<&(f64, f64, RgbImage)> = pictures
        .iter()
        .filter(|(a, _, _)| *a >= chapters[1].0 - 1e-6 && *a < chapters[1].1 - 1e-6)
        .collect();
    assert_eq!(marked.len(), 3, "three items, two markers");
    assert!((marked[1].0 - cue_start(&captions, "The next one is harder")).abs() < 0.002);
    assert!((marked[2].0 - cue_start(&captions, "And the last one closes")).abs() < 0.002);
    let said: String = captions.iter().map(|c| c.2.as_str()).collect();
    assert!(!said.contains("click"), "markers are never spoken: {said}");

    // The silent slide: four items, four equal shares of its eight seconds.
    let quiet: Vec<&(f64, f64, RgbImage)> = pictures
        .iter()
        .filter(|(a, _, _)| *a >= chapters[2].0 - 1e-6 && *a < chapters[2].1 - 1e-6)
        .collect();
    assert_eq!(quiet.len(), 4);
    for (a, b, _) in &quiet[..3] {
        assert!(((b - a) - 2.0).abs() < 0.002, "{a} to {b}");
    }
}

#[test]
fn notes_without_markers_bring_each_step_with_the_sentence_that_names_it() {
    use lecturegen::narration::steps::align;
    let sentences: Vec<String> = [
        "Welcome to the part about storage.",
        "Disks keep data when the power goes.",
        "That is why we use them.",
        "Memory is fast but forgets.",
        "Caches sit between the two.",
    ]
    .map(String::from)
    .to_vec();
    let steps: Vec<String> = ["Disks keep data", "Memory is fast", "Caches in between"]
        .map(String::from)
        .to_vec();
    assert_eq!(align(&sentences, &steps), [1, 3, 4]);
    // Never going back; a step no sentence names is placed between its neighbours.
    let steps: Vec<String> = ["Memory is fast", "Tapes are slow", "Caches in between"]
        .map(String::from)
        .to_vec();
    assert_eq!(align(&sentences, &steps), [3, 4, 4]);
}

#[test]
fn editing_a_sentence_respeaks_it_and_draws_nothing() {
    let course = tone_course();
    let note = |second: &str| {
        format!(
            "---\ntitle: Edit\n---\n\n# One\n\nAlpha opens the section with a paragraph long \
             enough to be cut into a shorter point. {second}\n\nBeta follows with a paragraph \
             that is also long enough to be cut into a point.\n"
        )
    };
    course.file("content/a.md", &note("It has a second sentence."));
    let (first, report) = course.build();
    assert_eq!(first.failed, 0, "{:?}", report.errors());
    course.file("content/a.md", &note("Its second sentence was edited."));
    let (second, _) = course.build();
    assert_eq!(second.rendered, 0, "the points did not change: {second:?}");
    assert_eq!(second.spoken, 1, "one sentence is spoken again: {second:?}");
    let captions = course.read("output/a/captions.vtt");
    assert!(
        captions.contains("Its second sentence was edited."),
        "{captions}"
    );
    // An edit to what a point shows redraws its slide.
    course.file(
        "content/a.md",
        &note("Its second sentence was edited.").replace("Beta follows", "Beta comes next"),
    );
    let (third, _) = course.build();
    assert_eq!(third.rendered, 1, "{third:?}");
}

#[test]
fn the_spotlight_dims_the_points_already_spoken() {
    let course = tone_course();
    let config = course.read("lecturegen.toml");
    course.file(
        "lecturegen.toml",
        &format!("{config}\n[layout]\nspotlight = true\n"),
    );
    course.file(
        "content/a.md",
        "---\ntitle: Spot\n---\n\n# Three points\n\nAlpha opens the section with a paragraph long \
         enough to be cut into a shorter point.\n\nBeta follows with a paragraph that is also \
         long enough to be cut into a point.\n\nGamma ends the section with the last \
         paragraph, long enough to be cut into a point as well.\n",
    );
    let (summary, report) = course.build();
    assert_eq!(summary.failed, 0, "{:?}", report.errors());
    let chapters = cues(&course.read("output/a/chapters.vtt"));
    let pictures = pictures(&std::fs::read(course.path("output/a/lecture.mp4")).unwrap());
    let states = slide_pictures(&pictures, chapters[1].0, chapters[1].1);
    assert_eq!(states.len(), 3);
    // The first point's rows: bright while it is spoken, dimmed once the second is.
    let page = image::open(course.path("output/a/slides/002.jpg"))
        .unwrap()
        .to_rgb8();
    let h = states[0].height();
    let brightest = |picture: &RgbImage, rows: &[u32]| -> u8 {
        let w = picture.width();
        rows.iter()
            .flat_map(|&y| (w / 10..w * 9 / 10).map(move |x| (x, y)))
            .map(|(x, y)| {
                let p = picture.get_pixel(x.min(w - 1), y);
                p[0].max(p[1]).max(p[2])
            })
            .max()
            .unwrap_or(0)
    };
    // Below the title, the rows the first state draws text on: the first point's.
    let rows: Vec<u32> = (h / 6..h / 2)
        .filter(|&y| brightest(states[0], &[y]) > 200)
        .collect();
    assert!(!rows.is_empty(), "the first point is drawn");
    let lit = brightest(states[0], &rows);
    let dimmed = brightest(states[1], &rows);
    assert!(
        u32::from(dimmed) + 40 < u32::from(lit),
        "first point: {lit} lit, {dimmed} after the second"
    );
    // The page's picture shows every point alike; the video's last picture keeps the first
    // point dim while the last is spoken.
    let page_rows: Vec<u32> = rows.iter().map(|&y| y * page.height() / h).collect();
    assert!(brightest(&page, &page_rows) > 200);
    let end = at(&pictures, chapters[1].1 - 0.1);
    assert!(u32::from(brightest(end, &rows)) + 40 < u32::from(lit));
}
