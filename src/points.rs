//! Points written by a text model (`[points.remote]`): an OpenAI-compatible chat server
//! (`POST /v1/chat/completions`) is asked, one request per paragraph, for the point of each
//! paragraph of prose; an answer that is not one short line is refused. Answers are cached by
//! paragraph, model and prompt. Any failure leaves the points made from the text, and the build
//! says so once.

use std::sync::atomic::{AtomicBool, Ordering};

use anyhow::{bail, Context, Result};
use rayon::prelude::*;
use serde::Serialize;
use serde_json::json;

use crate::cache::{key_of, Cache};
use crate::config::RemotePointsConfig;
use crate::content::points::{inline_spans, points_mut, MAX_UNITS};
use crate::content::{spans_text, Block, Lecture, Span};
use crate::remote::{Client, Settings};

/// What the model is told when `[points.remote] prompt` is empty.
pub const PROMPT: &str = "You write the text of one bullet point on a lecture slide. The \
narrator reads the paragraph below aloud while the slide shows your point. Answer with one line \
of at most 12 words, in the language of the paragraph, using only what the paragraph says: no \
quotes, no full stop, no introduction.";

/// Words an answer may have (a little over what the extracted points hold).
const MAX_WORDS: usize = MAX_UNITS as usize + 2;

/// A text model that writes points.
pub struct Writer {
    client: Client,
    url: String,
    model: String,
    prompt: String,
    max_tokens: u32,
    /// A failure was reported already in this build.
    told: AtomicBool,
}

impl Writer {
    /// The writer of `[points.remote]`, or `None` when no `url` is set.
    pub fn new(config: &RemotePointsConfig) -> Result<Option<Self>> {
        let urls = config.url.list();
        if urls.is_empty() {
            return Ok(None);
        }
        let settings = Settings::new(
            "[points.remote]",
            urls.clone(),
            config.concurrency,
            config.timeout_s,
            config.connect_timeout_s,
            config.retries,
            &config.api_key_env,
        )?;
        let prompt = match config.prompt.trim() {
            "" => PROMPT.to_string(),
            own => own.to_string(),
        };
        Ok(Some(Self {
            client: Client::new(settings),
            url: urls.join(", "),
            model: config.model.clone(),
            prompt,
            max_tokens: config.max_tokens.max(8),
            told: AtomicBool::new(false),
        }))
    }

    /// Lets the model write the points `lecture` made from its paragraphs (an author's points
    /// stay); a point whose request fails keeps the one made from the text. The first failure
    /// of the build becomes one of the lecture's warnings.
    pub fn rewrite(&self, lecture: &mut Lecture, cache: &Cache) {
        // The points made from the text, each with its paragraph (an author's stay).
        let mut made: Vec<(String, &mut Vec<Span>)> = lecture
            .slides
            .iter_mut()
            .flat_map(|slide| points_mut(&mut slide.blocks))
            .filter_map(|point| match point {
                Block::Point {
                    shown,
                    said,
                    authored: false,
                } => Some((spans_text(said), shown)),
                _ => None,
            })
            .collect();
        if made.is_empty() {
            return;
        }
        let answers: Vec<Result<String>> = made
            .par_iter()
            .map(|(paragraph, _)| self.point(paragraph, cache))
            .collect();
        let mut failed = Vec::new();
        for ((_, shown), answer) in made.iter_mut().zip(answers) {
            match answer {
                Ok(point) => **shown = inline_spans(&point),
                Err(e) => failed.push(e),
            }
        }
        if let Some(e) = failed.first() {
            if !self.told.swap(true, Ordering::Relaxed) {
                lecture.warnings.push(format!(
                    "{}: points: the text model at {} failed ({e:#}); {} point{} made from the \
                     text instead",
                    lecture.source.display,
                    self.url,
                    failed.len(),
                    if failed.len() == 1 { " is" } else { "s are" }
                ));
            }
        }
    }

    /// The point of one paragraph: from the cache, else from the model (and then cached).
    fn point(&self, paragraph: &str, cache: &Cache) -> Result<String> {
        #[derive(Serialize)]
        struct PointKey<'a> {
            model: &'a str,
            prompt: &'a str,
            max_tokens: u32,
            paragraph: &'a str,
        }
        let key = key_of(
            "point",
            1,
            &PointKey {
                model: &self.model,
                prompt: &self.prompt,
                max_tokens: self.max_tokens,
                paragraph,
            },
        );
        if let Some(bytes) = cache.get("points", &key) {
            if let Ok(point) = String::from_utf8(bytes) {
                return Ok(point);
            }
        }
        let body = json!({
            "model": self.model,
            "messages": [
                {"role": "system", "content": self.prompt},
                {"role": "user", "content": paragraph},
            ],
            "max_tokens": self.max_tokens,
            "temperature": 0,
            "stream": false,
        });
        let bytes = self.client.post_json("/v1/chat/completions", &body)?;
        let answer: serde_json::Value = serde_json::from_slice(&bytes).with_context(|| {
            format!(
                "the answer is not JSON: {}",
                crate::remote::server_message(&bytes)
            )
        })?;
        let content = answer["choices"][0]["message"]["content"]
            .as_str()
            .context("the answer has no choices[0].message.content")?;
        let point = checked(content)?;
        cache.put("points", &key, point.as_bytes());
        Ok(point)
    }
}

/// An answer as a point: one line of at most 14 words, without the quotes, bullet
/// or full stop a model adds.
pub fn checked(answer: &str) -> Result<String> {
    let lines: Vec<&str> = answer
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect();
    let line = match lines.as_slice() {
        [] => bail!("the model answered nothing"),
        [one] => *one,
        _ => bail!("the model answered {} lines, not one", lines.len()),
    };
    let line = line
        .trim_start_matches(['-', '*', '•'])
        .trim()
        .trim_matches(['"', '“', '”', '\''])
        .trim()
        .trim_end_matches(['.', '。'])
        .trim();
    let words = line.split_whitespace().count();
    if words == 0 || !line.chars().any(char::is_alphanumeric) {
        bail!("the model answered no words");
    }
    if words > MAX_WORDS || line.chars().count() > 12 * MAX_WORDS {
        bail!("the model's point has {words} words, more than {MAX_WORDS}");
    }
    Ok(line.to_string())
}
