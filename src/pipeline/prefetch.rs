//! Asking a backend that takes many requests at once (a pool of inference servers) for every
//! picture a build needs before the slides are drawn, and the bulk path: the list of what a
//! build would generate (`lecturegen prompts`) and pictures made elsewhere put in the cache
//! (`lecturegen cache import`).

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

use image::RgbImage;

use super::{keys, Scope, Workspace};
use crate::background;
use crate::content::LectureSource;
use crate::report::Reporter;

/// A background a build would generate: its cache key, the slide that asks, and every
/// parameter (what `lecturegen prompts` lists and `lecturegen cache import` fills).
#[derive(Debug, Clone, serde::Serialize)]
pub struct PendingBackground {
    /// Cache key: name the picture `KEY.png` for `lecturegen cache import`.
    pub key: String,
    /// `file:line` of the slide.
    pub slide: String,
    /// The backend's id (part of the key).
    pub backend: String,
    /// Prompt, negative prompt, seed and frame size.
    #[serde(flatten)]
    pub request: background::BackgroundRequest,
}

impl Workspace {
    /// The pictures a build of `sources` within `scope` would ask the backend for: not in the
    /// cache, of slides that changed, each once. Lectures that do not load are left to the
    /// build, which reports them.
    pub fn pending_backgrounds(
        &self,
        sources: &[LectureSource],
        scope: &Scope,
    ) -> Vec<PendingBackground> {
        if !self.backend.worth_caching() {
            // It draws its own pictures at every build: there is nothing to ask or import.
            return Vec::new();
        }
        let (width, height) = (self.encoder.width, self.encoder.height);
        let mut seen = std::collections::HashSet::new();
        let mut pending = Vec::new();
        for source in sources {
            let previous = self.records.load(&source.slug);
            let in_place = self.in_place(&source.slug);
            if in_place && !scope.includes(source, &previous) {
                continue;
            }
            let Ok(lecture) = self.read(source) else {
                continue;
            };
            for slide in &lecture.slides {
                let slide_key =
                    keys::slide(&self.frame_inputs, &self.project.root, &lecture.meta, slide);
                if in_place
                    && previous
                        .slides
                        .get(slide.index)
                        .is_some_and(|p| p.key == slide_key)
                {
                    continue;
                }
                let request = background::request(&lecture.meta, slide, width, height);
                if request.backdrop.is_some() {
                    continue;
                }
                let Ok(key) = background::key(self.backend.as_ref(), &request) else {
                    continue;
                };
                if background::cached(&self.cache, &key, &request).is_some()
                    || !seen.insert(key.clone())
                {
                    continue;
                }
                pending.push(PendingBackground {
                    key,
                    slide: format!("{}:{}", source.display, slide.line),
                    backend: self.backend.id(),
                    request,
                });
            }
        }
        pending
    }

    /// Puts a picture made elsewhere in the cache as the background of `pending`, scaled to
    /// cover the frame.
    pub fn import_background(&self, pending: &PendingBackground, image: &RgbImage) {
        let image = crate::media::cover_image(image, pending.request.width, pending.request.height);
        background::store(&self.cache, &pending.key, &image);
    }

    /// With a backend of [`parallelism`](background::Backend::parallelism) above 1, makes
    /// every picture the build of `sources` needs, that many at once, into the cache. Returns
    /// the keys that failed (with why: their slides fail without asking again) and the keys
    /// made now.
    pub(super) fn prefetch(
        &self,
        sources: &[LectureSource],
        scope: &Scope,
        reporter: &dyn Reporter,
    ) -> (HashMap<String, String>, HashSet<String>) {
        let mut failed = HashMap::new();
        let prefetched = Mutex::new(HashSet::new());
        if self.backend.parallelism() > 1 {
            let pending = self.pending_backgrounds(sources, scope);
            if !pending.is_empty() {
                tracing::info!(
                    "asking for {} backgrounds, {} at a time",
                    pending.len(),
                    self.backend.parallelism()
                );
                let requests: Vec<_> = pending.into_iter().map(|p| (p.key, p.request)).collect();
                let arrived = AtomicUsize::new(0);
                reporter.backgrounds_arrived(0, requests.len());
                failed = background::generate_many(
                    self.backend.as_ref(),
                    &requests,
                    &self.cache,
                    &|key| {
                        if let Ok(mut made) = prefetched.lock() {
                            made.insert(key.to_string());
                        }
                        let done = arrived.fetch_add(1, Ordering::Relaxed) + 1;
                        reporter.backgrounds_arrived(done, requests.len());
                    },
                );
            }
        }
        (failed, prefetched.into_inner().unwrap_or_default())
    }
}
