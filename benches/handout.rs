//! Handouts: time and size of a lecture's PDF for a 10-slide and a 200-slide lecture, against
//! the lecture's cold build with the default backend and voice (the anchor, same run).
//!
//! Each lecture is built cold twice, with `[site] handouts = false` and `true`; the handout's
//! cost is the difference, and its own time is measured again in process on the built
//! pictures and captions (`lecturegen::handout::pdf`).

#[allow(dead_code)]
mod common;

use std::path::Path;
use std::time::Instant;

use common::{build_ms, median};
use lecturegen::config::{FontConfig, Paper};
use lecturegen::fonts::Fonts;
use lecturegen::handout::{Handout, HandoutPage};

fn main() {
    let work =
        std::env::temp_dir().join(format!("lecturegen-handout-bench-{}", std::process::id()));
    for slides in [10, 200] {
        let root = work.join(format!("s{slides}"));
        let _ = std::fs::remove_dir_all(&root);
        std::fs::create_dir_all(root.join("content")).expect("course");
        let mut notes = String::from("---\ntitle: A lecture\n---\n\n");
        for n in 1..=slides {
            notes.push_str(&format!(
                "# Slide {n}\n\n- The point of slide {n}, with a little more text\n- A second \
                 point\n\nNote: Slide {n} says two sentences aloud. The second one is a little \
                 longer, as teachers' sentences are.\n\n"
            ));
        }
        std::fs::write(root.join("content/lecture.md"), notes).expect("notes");
        let cold = |handouts: bool| {
            std::fs::write(
                root.join("lecturegen.toml"),
                format!("[course]\ntitle = \"Bench\"\n\n[site]\nhandouts = {handouts}\n"),
            )
            .expect("config");
            let _ = std::fs::remove_dir_all(root.join(".lecturegen"));
            let _ = std::fs::remove_dir_all(root.join("output"));
            build_ms(&root, &[])
        };
        let without = cold(false);
        let with = cold(true);
        let pdf = root.join("output/lecture/handout.pdf");
        let size = std::fs::metadata(&pdf).map_or(0, |m| m.len()) as f64;
        let pictures =
            std::fs::read_dir(root.join("output/lecture/slides")).map_or(0, |d| d.count());

        // The handout alone, in process, on what the build made.
        let fonts = Fonts::load(&FontConfig::default(), &root);
        let handout = handout_of(&root.join("output/lecture"));
        let times: Vec<f64> = (0..3)
            .map(|_| {
                let started = Instant::now();
                lecturegen::handout::pdf(&handout, Paper::A4, &fonts).expect("pdf");
                started.elapsed().as_secs_f64() * 1000.0
            })
            .collect();
        let alone = median(times);
        println!(
            "{slides} slides ({pictures} pictures): cold build {without:.0} ms without handout, \
             {with:.0} ms with ({:+.1}%); handout alone {alone:.0} ms = {:.1}% of the cold \
             build; {:.0} KiB, {:.1} KiB per picture",
            (with / without - 1.0) * 100.0,
            alone / without * 100.0,
            size / 1024.0,
            size / 1024.0 / pictures.max(1) as f64
        );
    }
    let _ = std::fs::remove_dir_all(&work);
}

/// A handout of the lecture built in `dir`: its pictures, with its captions shared out.
fn handout_of(dir: &Path) -> Handout {
    let mut pictures: Vec<_> = std::fs::read_dir(dir.join("slides"))
        .expect("slides")
        .flatten()
        .map(|e| e.path())
        .collect();
    pictures.sort();
    let captions = std::fs::read_to_string(dir.join("captions.vtt")).unwrap_or_default();
    let cues: Vec<String> = captions
        .split("\n\n")
        .filter(|b| b.contains("-->"))
        .map(|b| {
            b.lines()
                .skip_while(|l| !l.contains("-->"))
                .skip(1)
                .collect::<Vec<_>>()
                .join(" ")
        })
        .collect();
    let per = cues.len().div_ceil(pictures.len().max(1)).max(1);
    let pages = pictures
        .iter()
        .enumerate()
        .map(|(n, picture)| HandoutPage {
            title: format!("Slide {n}"),
            picture: picture.clone(),
            frame: String::new(),
            alt: format!("The text of slide {n}"),
            start: n as f64 * 10.0,
            link: format!("index.html#t={}", n * 10),
            said: cues.iter().skip(n * per).take(per).cloned().collect(),
            opens_slide: true,
        })
        .collect();
    Handout {
        // The pictures' paths are whole.
        folder: std::path::PathBuf::new(),
        title: "A lecture".into(),
        lang: "en".into(),
        rtl: false,
        pages,
    }
}
