//! The `remote` voice: an OpenAI-style speech server, `POST /v1/audio/speech` (OpenAI,
//! Kokoro-FastAPI, LocalAI, openedai-speech). Each answer is checked to be real audio.

use anyhow::{bail, Context, Result};
use serde_json::json;

use super::{wav, Pcm, Voice};
use crate::config::RemoteVoiceConfig;
use crate::remote::{Client, Settings};

/// Rate of OpenAI's raw `pcm` answers.
const PCM_RATE: u32 = 24_000;

/// A remote speech server.
pub struct RemoteVoice {
    client: Client,
    model: String,
    voice: String,
    format: String,
    speed: f32,
}

impl RemoteVoice {
    /// The voice of `[narration.remote]`.
    pub fn new(config: &RemoteVoiceConfig) -> Result<Self> {
        let settings = Settings::new(
            "[narration.remote]",
            config.url.list(),
            config.concurrency,
            config.timeout_s,
            config.connect_timeout_s,
            config.retries,
            &config.api_key_env,
        )?;
        let format = config.response_format.trim().to_ascii_lowercase();
        if format != "wav" && format != "pcm" {
            bail!("[narration.remote] response_format = \"{format}\": use \"wav\" or \"pcm\"");
        }
        if !(0.25..=4.0).contains(&config.speed) {
            bail!("[narration.remote] speed = {}: use 0.25 to 4", config.speed);
        }
        Ok(Self {
            client: Client::new(settings),
            model: config.model.clone(),
            voice: config.voice.clone(),
            format,
            speed: config.speed,
        })
    }
}

impl Voice for RemoteVoice {
    fn id(&self) -> String {
        format!(
            "remote/{}/{}/{}/{}",
            self.model, self.voice, self.format, self.speed
        )
    }

    fn engine(&self) -> &str {
        "the remote voice"
    }

    fn speak(&self, text: &str, _lang: &str) -> Result<Pcm> {
        let body = json!({
            "model": self.model,
            "voice": self.voice,
            "input": text,
            "response_format": self.format,
            "speed": self.speed,
        });
        let bytes = self.client.post_json("/v1/audio/speech", &body)?;
        let pcm = if self.format == "wav" {
            wav::parse(&bytes).with_context(|| {
                format!(
                    "the speech server's answer is not a WAV file: {}",
                    crate::remote::server_message(&bytes)
                )
            })?
        } else {
            if bytes.len() < 2 || bytes.len() % 2 != 0 {
                bail!("the speech server's pcm answer has {} bytes", bytes.len());
            }
            wav::from_s16le(&bytes, PCM_RATE)
        };
        if pcm.samples.is_empty() || pcm.samples.iter().all(|s| s.abs() < 1e-4) {
            bail!("the speech server answered silence for \"{text}\"");
        }
        Ok(pcm)
    }
}
