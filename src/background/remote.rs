//! The `remote` background backend: pictures from an inference server.
//!
//! `sdapi`: AUTOMATIC1111/Forge's `POST /sdapi/v1/txt2img` (also stable-diffusion.cpp's
//! sd-server and Xinference); `openai`: `POST /v1/images/generations`, with the seed, negative
//! prompt, steps and guidance where the server's [`Dialect`] takes them. Every answer is decoded
//! and checked (a real picture of a sane size) and scaled to cover the frame.

use std::sync::Once;

use anyhow::{bail, Context, Result};
use base64::Engine;
use image::RgbImage;
use serde_json::{json, Value};

use super::{Backend, BackgroundRequest};
use crate::config::{Config, Dialect, ImageApi};
use crate::remote::{Client, Settings};

/// Smallest and largest edge accepted from a server.
const EDGES: std::ops::RangeInclusive<u32> = 16..=8192;

/// A remote image server.
pub struct RemoteImages {
    client: Client,
    api: ImageApi,
    dialect: Dialect,
    model: String,
    size: Option<(usize, usize)>,
    steps: Option<usize>,
    guidance: Option<f64>,
    sampler: String,
    unseeded: Once,
}

impl RemoteImages {
    /// The backend of `config`'s `[remote]` and `[diffusion]` settings.
    pub fn new(config: &Config) -> Result<Self> {
        let r = &config.remote;
        let settings = Settings::new(
            "[remote]",
            r.url.list(),
            r.concurrency,
            r.timeout_s,
            r.connect_timeout_s,
            r.retries,
            &r.api_key_env,
        )?;
        if r.api == ImageApi::Openai && r.model.trim().is_empty() {
            bail!("[remote] api = \"openai\" needs a `model` (the server's model id)");
        }
        let d = &config.diffusion;
        Ok(Self {
            client: Client::new(settings),
            api: r.api,
            dialect: r.dialect,
            model: r.model.trim().to_string(),
            size: d.size,
            steps: d.steps,
            guidance: d.guidance,
            sampler: r.sampler.clone(),
            unseeded: Once::new(),
        })
    }

    /// The size asked of the server: `[diffusion] size`, else the frame's shape with its long
    /// side at 1024, in multiples of 64.
    fn size_for(&self, width: u32, height: u32) -> (u32, u32) {
        if let Some((w, h)) = self.size {
            return (w as u32, h as u32);
        }
        let scale = 1024.0 / width.max(height).max(1) as f64;
        let round = |v: u32| (((v as f64 * scale) / 64.0).round() as u32).max(1) * 64;
        (round(width), round(height))
    }

    fn body(&self, request: &BackgroundRequest) -> (&'static str, Value) {
        let (w, h) = self.size_for(request.width, request.height);
        match self.api {
            ImageApi::Sdapi => {
                let mut body = json!({
                    "prompt": request.prompt,
                    "negative_prompt": request.negative_prompt,
                    "seed": request.seed % (1 << 32),
                    "steps": self.steps.unwrap_or(20),
                    "cfg_scale": self.guidance.unwrap_or(7.0),
                    "width": w,
                    "height": h,
                    "sampler_name": self.sampler,
                    "batch_size": 1,
                    "n_iter": 1,
                });
                if !self.model.is_empty() {
                    body["override_settings"] = json!({ "sd_model_checkpoint": self.model });
                }
                ("/sdapi/v1/txt2img", body)
            }
            ImageApi::Openai => {
                let mut body = json!({
                    "model": self.model,
                    "prompt": request.prompt,
                    "size": format!("{w}x{h}"),
                    "n": 1,
                });
                // gpt-image models always answer base64 and reject the field.
                if !self.model.starts_with("gpt-image") {
                    body["response_format"] = json!("b64_json");
                }
                let mut extra = json!({
                    "seed": request.seed % (1 << 32),
                    "negative_prompt": request.negative_prompt,
                });
                if let Some(steps) = self.steps {
                    extra["num_inference_steps"] = json!(steps);
                }
                if let Some(guidance) = self.guidance {
                    extra["guidance_scale"] = json!(guidance);
                }
                match self.dialect {
                    Dialect::Fields => {
                        if let (Some(body), Some(extra)) = (body.as_object_mut(), extra.as_object())
                        {
                            body.extend(extra.clone());
                        }
                    }
                    Dialect::Kwargs => body["kwargs"] = json!(extra.to_string()),
                    Dialect::None => self.unseeded.call_once(|| {
                        tracing::warn!(
                            "[remote] dialect = \"none\": the server gets no seed, so pictures \
                             are not reproducible (a cached picture is reused, a new one differs)"
                        );
                    }),
                }
                ("/v1/images/generations", body)
            }
        }
    }
}

impl Backend for RemoteImages {
    fn id(&self) -> String {
        // The URLs are not part of it: the same model on another replica makes the same picture.
        let api = match self.api {
            ImageApi::Sdapi => "sdapi".to_string(),
            ImageApi::Openai => format!("openai-{:?}", self.dialect).to_lowercase(),
        };
        format!(
            "remote/{api}/{}/steps{:?}/cfg{:?}/size{:?}/{}",
            self.model, self.steps, self.guidance, self.size, self.sampler
        )
    }

    fn generate_steps(
        &self,
        request: &BackgroundRequest,
        steps: &dyn Fn(usize, usize),
    ) -> Result<RgbImage> {
        let (path, body) = self.body(request);
        let answer = self.client.post_json(path, &body)?;
        let image = picture(self.api, &answer)?;
        steps(1, 1);
        Ok(crate::media::cover_image(
            &image,
            request.width,
            request.height,
        ))
    }

    fn parallelism(&self) -> usize {
        self.client.capacity()
    }
}

/// The first picture of a server's answer, decoded and checked.
fn picture(api: ImageApi, answer: &[u8]) -> Result<RgbImage> {
    let json: Value = serde_json::from_slice(answer).with_context(|| {
        format!(
            "the server's answer is not JSON: {}",
            crate::remote::server_message(answer)
        )
    })?;
    let encoded = match api {
        ImageApi::Sdapi => json["images"][0].as_str(),
        ImageApi::Openai => {
            if json["data"][0]["url"].is_string() && json["data"][0]["b64_json"].is_null() {
                bail!("the server answered with a URL, not the picture (b64_json)");
            }
            json["data"][0]["b64_json"].as_str()
        }
    }
    .context("the server's answer holds no picture")?;
    // A1111 may prefix a data URL.
    let encoded = encoded.rsplit_once("base64,").map_or(encoded, |(_, b)| b);
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(encoded.trim())
        .context("the server's picture is not valid base64")?;
    let image = crate::media::decode(&bytes)
        .context("the server's picture cannot be decoded")?
        .to_rgb8();
    let (w, h) = image.dimensions();
    if !EDGES.contains(&w) || !EDGES.contains(&h) {
        bail!("the server's picture is {w}x{h}: not a sane size");
    }
    Ok(image)
}
