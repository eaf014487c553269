//! `[remote]`, `[narration.remote]` and `[points.remote]`: the inference servers of the `remote`
//! backend and voice, and the text model that writes points.

use serde::{Deserialize, Serialize};

/// One URL, or a list the client spreads requests over.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(untagged)]
pub enum Urls {
    /// One server (or a load balancer).
    One(String),
    /// Several servers (none: not configured).
    Many(Vec<String>),
}

impl Default for Urls {
    fn default() -> Self {
        Self::Many(Vec::new())
    }
}

impl Urls {
    /// The URLs, without trailing `/`.
    pub fn list(&self) -> Vec<String> {
        let all = match self {
            Self::One(u) => vec![u.clone()],
            Self::Many(us) => us.clone(),
        };
        all.into_iter()
            .map(|u| u.trim().trim_end_matches('/').to_string())
            .filter(|u| !u.is_empty())
            .collect()
    }
}

/// The wire protocol of an image server.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ImageApi {
    /// AUTOMATIC1111/Forge `POST /sdapi/v1/txt2img` (also sd-server, Xinference).
    #[default]
    Sdapi,
    /// OpenAI-style `POST /v1/images/generations`.
    Openai,
}

/// Where an OpenAI-style image server takes what the official API has no field for (seed,
/// negative prompt, steps, guidance).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Dialect {
    /// As top-level fields (vLLM-Omni, SGLang).
    #[default]
    Fields,
    /// In a JSON string `kwargs` (Xinference, which ignores a top-level seed).
    Kwargs,
    /// Nowhere: the official API (pictures are then not reproducible from the seed).
    None,
}

/// `[remote]`: the image server of the `remote` backend.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct RemoteConfig {
    /// "sdapi" (default) or "openai".
    pub api: ImageApi,
    /// openai only: "fields" (default), "kwargs" or "none".
    pub dialect: Dialect,
    /// The server's base URL (`http://host:7860`), or a list of them.
    pub url: Urls,
    /// Model id (openai: required; sdapi: sent as the checkpoint override when set).
    pub model: String,
    /// The name of an environment variable holding the API key (never the key itself).
    pub api_key_env: String,
    /// Requests in flight per URL. Default: 2.
    pub concurrency: usize,
    /// Longest one request may take, queueing included, seconds. Default: 600.
    pub timeout_s: f32,
    /// Longest to wait for a connection, seconds. Default: 5.
    pub connect_timeout_s: f32,
    /// Retries of a request that failed in a way worth retrying. Default: 4.
    pub retries: u32,
    /// sdapi sampler. Default: "Euler a".
    pub sampler: String,
}

impl Default for RemoteConfig {
    fn default() -> Self {
        Self {
            api: ImageApi::Sdapi,
            dialect: Dialect::Fields,
            url: Urls::default(),
            model: String::new(),
            api_key_env: String::new(),
            concurrency: 2,
            timeout_s: 600.0,
            connect_timeout_s: 5.0,
            retries: 4,
            sampler: "Euler a".into(),
        }
    }
}

/// `[narration.remote]`: an OpenAI-style speech server (`POST /v1/audio/speech`).
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct RemoteVoiceConfig {
    /// The server's base URL, or a list of them.
    pub url: Urls,
    /// Model id. Default: "tts-1".
    pub model: String,
    /// Voice. Default: "alloy".
    pub voice: String,
    /// "wav" (default) or "pcm" (raw 16-bit mono at 24 kHz, as OpenAI sends it).
    pub response_format: String,
    /// Speaking speed, 0.25 to 4. Default: 1.
    pub speed: f32,
    /// The name of an environment variable holding the API key.
    pub api_key_env: String,
    /// Requests in flight per URL. Default: 2.
    pub concurrency: usize,
    /// Longest one request may take, seconds. Default: 120.
    pub timeout_s: f32,
    /// Longest to wait for a connection, seconds. Default: 5.
    pub connect_timeout_s: f32,
    /// Retries. Default: 4.
    pub retries: u32,
}

impl Default for RemoteVoiceConfig {
    fn default() -> Self {
        Self {
            url: Urls::default(),
            model: "tts-1".into(),
            voice: "alloy".into(),
            response_format: "wav".into(),
            speed: 1.0,
            api_key_env: String::new(),
            concurrency: 2,
            timeout_s: 120.0,
            connect_timeout_s: 5.0,
            retries: 4,
        }
    }
}

/// `[points.remote]`: an OpenAI-compatible chat server (`POST /v1/chat/completions`: vLLM,
/// Ollama, llama.cpp's server, Xinference) that writes the point of each paragraph of prose.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct RemotePointsConfig {
    /// The server's base URL, or a list of them (none: points are made from the text).
    pub url: Urls,
    /// Model id, as the server names it.
    pub model: String,
    /// What the model is told before each paragraph (default: see `points::PROMPT`).
    pub prompt: String,
    /// Longest answer, in tokens. Default: 40.
    pub max_tokens: u32,
    /// The name of an environment variable holding the API key.
    pub api_key_env: String,
    /// Requests in flight per URL. Default: 4.
    pub concurrency: usize,
    /// Longest one request may take, seconds. Default: 60.
    pub timeout_s: f32,
    /// Longest to wait for a connection, seconds. Default: 5.
    pub connect_timeout_s: f32,
    /// Retries. Default: 2.
    pub retries: u32,
}

impl Default for RemotePointsConfig {
    fn default() -> Self {
        Self {
            url: Urls::default(),
            model: "default".into(),
            prompt: String::new(),
            max_tokens: 40,
            api_key_env: String::new(),
            concurrency: 4,
            timeout_s: 60.0,
            connect_timeout_s: 5.0,
            retries: 2,
        }
    }
}
