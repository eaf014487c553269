//! Progress bars (lectures, slides) on a terminal; plain messages otherwise.

use std::io::IsTerminal;
use std::sync::Mutex;

use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};
use lecturegen::report::Reporter;

pub struct Progress {
    multi: MultiProgress,
    lectures: ProgressBar,
    slides: Mutex<Option<ProgressBar>>,
}

impl Progress {
    pub fn new(quiet: bool) -> Self {
        let target = if quiet || !std::io::stderr().is_terminal() {
            ProgressDrawTarget::hidden()
        } else {
            ProgressDrawTarget::stderr()
        };
        let multi = MultiProgress::with_draw_target(target);
        let lectures = multi.add(ProgressBar::new(0));
        if let Ok(style) = ProgressStyle::with_template("{prefix:>9} [{bar:30}] {pos}/{len} {msg}")
        {
            lectures.set_style(style.progress_chars("=> "));
        }
        lectures.set_prefix("lectures");
        Self {
            multi,
            lectures,
            slides: Mutex::new(None),
        }
    }

    pub fn finish(&self) {
        if let Ok(mut slides) = self.slides.lock() {
            if let Some(bar) = slides.take() {
                bar.finish_and_clear();
            }
        }
        self.lectures.finish_and_clear();
    }

    fn print(&self, line: String) {
        // Printed above the bars when they are drawn, plainly otherwise.
        if self.multi.is_hidden() {
            eprintln!("{line}");
        } else {
            let _ = self.multi.println(line);
        }
    }
}

impl Reporter for Progress {
    fn lectures(&self, count: usize) {
        self.lectures.set_length(count as u64);
    }

    fn lecture_started(&self, name: &str, slides: usize) {
        self.lectures.set_message(name.to_string());
        if let Ok(mut current) = self.slides.lock() {
            if let Some(old) = current.take() {
                old.finish_and_clear();
            }
            let bar = self.multi.add(ProgressBar::new(slides as u64));
            if let Ok(style) =
                ProgressStyle::with_template("{prefix:>9} [{bar:30}] {pos}/{len} {msg}")
            {
                bar.set_style(style.progress_chars("=> "));
            }
            bar.set_prefix("slides");
            *current = Some(bar);
        }
    }

    fn background_step(&self, slide: usize, done: usize, total: usize) {
        if let Ok(current) = self.slides.lock() {
            if let Some(bar) = current.as_ref() {
                if done >= total {
                    bar.set_message("");
                } else {
                    bar.set_message(format!(
                        "background of slide {}: step {done}/{total}",
                        slide + 1
                    ));
                }
            }
        }
    }

    fn backgrounds_arrived(&self, done: usize, total: usize) {
        self.lectures.set_message(if done < total {
            format!("backgrounds from the servers: {done}/{total}")
        } else {
            String::new()
        });
    }

    fn sentence_spoken(&self, slide: usize, caption: &str) {
        if let Ok(current) = self.slides.lock() {
            if let Some(bar) = current.as_ref() {
                let short: String = caption.chars().take(40).collect();
                bar.set_message(format!("speaking slide {}: {short}", slide + 1));
            }
        }
    }

    fn slide_done(&self) {
        if let Ok(current) = self.slides.lock() {
            if let Some(bar) = current.as_ref() {
                bar.inc(1);
            }
        }
    }

    fn lecture_finished(&self, _name: &str) {
        self.lectures.inc(1);
    }

    fn warning(&self, message: &str) {
        self.print(format!("warning: {message}"));
    }

    fn error(&self, message: &str) {
        self.print(format!("error: {message}"));
    }
}
