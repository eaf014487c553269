//! A real browser on `lecturegen serve`: the video plays, chapters seek to their slide, an edit
//! reloads the page by itself, and a broken build shows its error over the page.

use crate::serve::server::serve;
use crate::support::Course;
use lecturegen_testkit::cdp::{self, Browser};

const NOTES: &str =
    "---\ntitle: Browser test\n---\n\n# Red\n\nfirst slide\n\n# Green\n\nsecond slide\n\n\
# Blue\n\nthird slide\n\n# Last\n\nfourth slide\n";

/// Mean difference (0-255) between the video's current frame and each slide picture, drawn
/// small on canvases.
const FRAME_VS_SLIDES: &str = r#"
(async () => {
  const v = document.getElementById("video");
  const size = [160, 90];
  const pixels = (source) => {
    const c = document.createElement("canvas");
    c.width = size[0]; c.height = size[1];
    const g = c.getContext("2d");
    g.drawImage(source, 0, 0, size[0], size[1]);
    return g.getImageData(0, 0, size[0], size[1]).data;
  };
  const frame = pixels(v);
  const out = [];
  for (const a of document.querySelectorAll("a[href^='slides/']")) {
    const img = new Image();
    img.src = a.getAttribute("href");
    await img.decode();
    const p = pixels(img);
    let sum = 0;
    for (let i = 0; i < p.length; i += 4) {
      sum += Math.abs(p[i] - frame[i]) + Math.abs(p[i + 1] - frame[i + 1]) + Math.abs(p[i + 2] - frame[i + 2]);
    }
    out.push(sum / (p.length / 4 * 3));
  }
  return out;
})()
"#;

#[test]
fn browser_plays_seeks_and_reloads_by_itself() {
    let Some(chromium) = cdp::find() else {
        eprintln!(
            "\n!!!!!!!!\nSKIPPED browser test: no Chromium found (apt-get install chromium, or set \
             LECTUREGEN_CHROMIUM). .ci/run installs it.\n!!!!!!!!\n"
        );
        return;
    };
    let course = Course::new();
    course.file(
        "lecturegen.toml",
        &crate::support::TEST_CONFIG
            .replace("width = 320\nheight = 180", "width = 640\nheight = 360"),
    );
    course.file("content/a.md", NOTES);
    let (server, url) = serve(&course);
    let mut browser = Browser::start(&chromium);
    browser.navigate(&format!("{url}a/"));

    // The video loads and knows its length (the chapters' end).
    let duration = browser.wait_for(
        "the video's duration",
        "(() => { const v = document.getElementById('video'); return v && v.readyState >= 1 && isFinite(v.duration) ? v.duration : null })()",
        30,
    );
    let end: f64 = browser
        .eval("parseFloat([...document.querySelectorAll('#chapters li')].pop().dataset.end)")
        .unwrap()
        .as_f64()
        .unwrap();
    let duration = duration.as_f64().unwrap();
    assert!(
        (duration - end).abs() < 0.15,
        "video {duration} s, chapters end at {end} s"
    );

    // The third chapter seeks to the third slide, and the picture shown is that slide's.
    let seeked = browser
        .eval(
            "new Promise(done => { const v = document.getElementById('video'); v.muted = true; \
             v.addEventListener('seeked', () => { v.pause(); done(v.currentTime); }, { once: true }); \
             document.querySelectorAll('#chapters a')[2].click(); })",
        )
        .unwrap()
        .as_f64()
        .unwrap();
    let start: f64 = browser
        .eval("parseFloat(document.querySelectorAll('#chapters li')[2].dataset.start)")
        .unwrap()
        .as_f64()
        .unwrap();
    assert!(
        seeked >= start && seeked < start + 1.0,
        "seeked to {seeked}, chapter starts {start}"
    );
    // Give the decoder a frame's time after the seek before reading pixels.
    browser
        .eval("new Promise(r => { const v = document.getElementById('video'); v.requestVideoFrameCallback ? v.requestVideoFrameCallback(() => r(1)) : setTimeout(() => r(1), 200); setTimeout(() => r(0), 1000); })")
        .unwrap();
    let diffs: Vec<f64> = browser
        .eval(FRAME_VS_SLIDES)
        .unwrap()
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d.as_f64().unwrap())
        .collect();
    // The title slide from the front matter, then the four headings.
    assert_eq!(diffs.len(), 5, "{diffs:?}");
    let best = (0..diffs.len())
        .min_by(|&a, &b| diffs[a].total_cmp(&diffs[b]))
        .unwrap();
    assert_eq!(
        best, 2,
        "the frame should match slide 3: differences {diffs:?}"
    );
    assert!(diffs[2] < 12.0, "{diffs:?}");

    // An edit to the notes: the page reloads by itself and shows it.
    browser.eval("window.beforeEdit = true").unwrap();
    course.file(
        "content/a.md",
        &NOTES.replace("second slide", "edited while watching"),
    );
    browser.wait_for(
        "the page to reload with the edit",
        "window.beforeEdit === undefined && document.body.innerText.includes('edited while watching')",
        30,
    );

    // A broken build shows its error over the page, which keeps the last good version.
    course.file("content/a.md", "---\ntitle: [broken\n---\n\n# Red\n");
    let overlay = browser.wait_for(
        "the error overlay",
        "(() => { const e = document.getElementById('lecturegen-errors'); return e && e.textContent })()",
        30,
    );
    assert!(
        overlay.as_str().unwrap().contains("content/a.md:2"),
        "{overlay}"
    );
    assert!(browser
        .eval("document.body.innerText.includes('edited while watching')")
        .unwrap()
        .as_bool()
        .unwrap());
    // Fixing it clears the overlay.
    course.file(
        "content/a.md",
        &NOTES.replace("second slide", "fixed again"),
    );
    browser.wait_for(
        "the fixed page",
        "!document.getElementById('lecturegen-errors') && document.body.innerText.includes('fixed again')",
        30,
    );
    drop(browser);
    drop(server);
}

#[test]
fn browser_plays_the_narration_and_shows_its_captions() {
    let Some(chromium) = cdp::find() else {
        eprintln!("\n!!!!!!!!\nSKIPPED browser narration test: no Chromium found.\n!!!!!!!!\n");
        return;
    };
    let course = crate::narration::tone_course();
    course.file(
        "content/a.md",
        "# Spoken\n\n## One\n\nNote: First sentence here. Second sentence there.\n\n## Two\n\nNote: The end.\n",
    );
    let (server, url) = serve(&course);
    let mut browser = Browser::start(&chromium);
    browser.navigate(&format!("{url}a/"));
    browser.wait_for(
        "the video's metadata",
        "(() => { const v = document.getElementById('video'); return v && v.readyState >= 1 })()",
        30,
    );
    // Playing decodes the speech track.
    let decoded = browser
        .eval(
            "(async () => { const v = document.getElementById('video'); v.muted = true; \
             await v.play(); await new Promise(r => setTimeout(r, 1500)); v.pause(); \
             return v.webkitAudioDecodedByteCount; })()",
        )
        .unwrap();
    assert!(
        decoded.as_f64().unwrap() > 0.0,
        "audio bytes decoded: {decoded}"
    );
    // Seeking into the second spoken sentence shows its caption.
    let caption = browser
        .eval(
            "(async () => { const v = document.getElementById('video'); \
             const t = [...v.textTracks].find(t => t.kind === 'captions'); \
             if (!t) return 'no captions track'; t.mode = 'showing'; \
             const link = [...document.querySelectorAll('p.spoken a')].find(a => a.textContent.includes('Second sentence')); \
             v.currentTime = parseFloat(link.dataset.start) + 0.1; \
             for (let i = 0; i < 100 && !(t.activeCues && t.activeCues.length); i++) await new Promise(r => setTimeout(r, 50)); \
             return t.activeCues && t.activeCues.length ? t.activeCues[0].text : 'no active cue'; })()",
        )
        .unwrap();
    assert_eq!(caption.as_str().unwrap(), "Second sentence there.");
    drop(browser);
    drop(server);
}

#[test]
fn an_arabic_card_keeps_numbers_and_latin_words_in_order() {
    let Some(chromium) = cdp::find() else {
        eprintln!("\n!!!!!!!!\nSKIPPED browser bidi test: no Chromium found.\n!!!!!!!!\n");
        return;
    };
    let course = Course::new();
    course.file(
        "content/ar.md",
        "---\ntitle: محاضرة\nlang: ar\nauthor: فريق lecturegen 2\n---\n\n# أولا\n\nنص\n\n# ثانيا\n\nنص\n",
    );
    let (server, url) = serve(&course);
    let mut browser = Browser::start(&chromium);
    browser.navigate(&url);
    browser.wait_for("the index", "document.readyState === 'complete'", 30);
    // Each part of the meta line is isolated, and in a right-to-left card the parts run from
    // right to left: count, length, author.
    let parts = browser
        .eval(
            "[...document.querySelectorAll('li[dir=rtl] .meta bdi')].map(b => \
             { const r = b.getBoundingClientRect(); return [b.textContent, r.left, r.right]; })",
        )
        .unwrap();
    let parts = parts.as_array().unwrap();
    assert_eq!(parts.len(), 3, "{parts:?}");
    let text = |i: usize| parts[i][0].as_str().unwrap().to_string();
    let left = |i: usize| parts[i][1].as_f64().unwrap();
    let right = |i: usize| parts[i][2].as_f64().unwrap();
    assert_eq!(text(0), "3 slides");
    assert!(text(1).ends_with(" s"), "{parts:?}");
    assert_eq!(text(2), "فريق lecturegen 2");
    assert!(left(0) > right(1) && left(1) > right(2), "{parts:?}");
    drop(browser);
    drop(server);
}
