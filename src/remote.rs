//! Remote engines' HTTP client: inference servers make the pictures
//! ([`crate::background::remote`]) or speak the notes ([`crate::narration::remote`]) instead of
//! this machine, and every one of them is reached through this: a bounded pool of requests over
//! one or more servers, retries with jittered exponential backoff, and plain messages.
//! Everything else (cache keys, incremental builds, atomic output) stays as it is for local
//! engines; a request that fails is never cached.
//!
//! - Requests go to the server with the fewest in flight, at most `concurrency` per server; a
//!   caller waits for a free slot (the pool is the only back-pressure: nothing is queued in
//!   memory beyond the callers themselves).
//! - Connection errors, timeouts, 408, 409, 429 and 5xx are retried (up to `retries` times),
//!   after `Retry-After` / `retry-after-ms` when the server says, else after 0.5 s, 1 s, 2 s...
//!   (at most 8 s) with jitter; `x-should-retry` overrides the status. Other 4xx fail at once
//!   with the server's own message.
//! - A server that fails to connect three times in a row is left out for the rest of the run,
//!   so a server that went away costs seconds, not a timeout per slide; when every server is
//!   out, requests fail at once.

use std::sync::{Condvar, Mutex};
use std::time::Duration;

use anyhow::{bail, Result};

/// How to reach a set of servers.
#[derive(Debug, Clone)]
pub struct Settings {
    /// Base URLs, without a trailing `/`.
    pub urls: Vec<String>,
    /// Requests in flight per URL.
    pub concurrency: usize,
    /// Longest one attempt may take, queueing on the server included.
    pub timeout: Duration,
    /// Longest to wait for a connection.
    pub connect_timeout: Duration,
    /// Retries after the first attempt.
    pub retries: u32,
    /// Bearer token, if the server wants one.
    pub api_key: Option<String>,
    /// Largest answer accepted, bytes.
    pub max_body: u64,
}

impl Settings {
    /// Settings from a config's fields; `api_key_env` names the environment variable holding
    /// the key (empty: none).
    pub fn new(
        what: &str,
        urls: Vec<String>,
        concurrency: usize,
        timeout_s: f32,
        connect_timeout_s: f32,
        retries: u32,
        api_key_env: &str,
    ) -> Result<Self> {
        if urls.is_empty() {
            bail!("{what}: no `url` set: give the server's base URL (or a list of them)");
        }
        for url in &urls {
            if !url.starts_with("http://") && !url.starts_with("https://") {
                bail!("{what}: `{url}` is not an http:// or https:// URL");
            }
            if url.starts_with("https://") && !cfg!(feature = "tls") {
                bail!(
                    "{what}: `{url}` needs HTTPS, which this build leaves out: build with \
                     `cargo install lecturegen --features tls` (or use an http:// server)"
                );
            }
        }
        let api_key = if api_key_env.is_empty() {
            None
        } else {
            match std::env::var(api_key_env) {
                Ok(key) if !key.trim().is_empty() => Some(key.trim().to_string()),
                _ => bail!(
                    "{what}: api_key_env = \"{api_key_env}\", but the environment variable \
                     {api_key_env} is not set"
                ),
            }
        };
        Ok(Self {
            urls,
            concurrency: concurrency.max(1),
            timeout: Duration::from_secs_f32(timeout_s.max(1.0)),
            connect_timeout: Duration::from_secs_f32(connect_timeout_s.max(0.1)),
            retries,
            api_key,
            max_body: 256 * 1024 * 1024,
        })
    }
}

/// Connection failures in a row after which a server is left out.
const DOWN_AFTER: u32 = 3;

#[derive(Debug, Default)]
struct Slot {
    in_flight: usize,
    /// Connection failures in a row.
    failures: u32,
    last_error: String,
}

/// A pool of requests over the servers of [`Settings`].
pub struct Client {
    agent: ureq::Agent,
    settings: Settings,
    slots: Mutex<Vec<Slot>>,
    freed: Condvar,
}

/// How one attempt ended, when it did not succeed.
enum Failed {
    /// Worth another attempt, after `after` when the server said.
    Retry {
        message: String,
        after: Option<Duration>,
        connection: bool,
    },
    /// Not worth another attempt.
    Fatal(String),
}

impl Client {
    /// A client for `settings`.
    pub fn new(settings: Settings) -> Self {
        let agent = ureq::Agent::config_builder()
            .timeout_connect(Some(settings.connect_timeout))
            .timeout_global(Some(settings.timeout))
            .http_status_as_error(false)
            .max_idle_connections_per_host(settings.concurrency.max(2))
            .user_agent(concat!("lecturegen/", env!("CARGO_PKG_VERSION")))
            .build()
            .into();
        let slots = settings.urls.iter().map(|_| Slot::default()).collect();
        Self {
            agent,
            settings,
            slots: Mutex::new(slots),
            freed: Condvar::new(),
        }
    }

    /// How many requests may be in flight at once over all servers.
    pub fn capacity(&self) -> usize {
        self.settings.urls.len() * self.settings.concurrency
    }

    /// POSTs `body` as JSON to `path` (e.g. `/sdapi/v1/txt2img`) and returns the answer's
    /// bytes, retrying as the module says.
    pub fn post_json(&self, path: &str, body: &serde_json::Value) -> Result<Vec<u8>> {
        let payload = serde_json::to_vec(body)?;
        let mut last = String::new();
        for attempt in 0..=self.settings.retries {
            let server = self.acquire()?;
            let url = format!("{}{path}", self.settings.urls[server]);
            let result = self.attempt(&url, &payload);
            let connection = matches!(
                &result,
                Err(Failed::Retry {
                    connection: true,
                    ..
                })
            );
            self.release(server, connection, &result);
            match result {
                Ok(bytes) => return Ok(bytes),
                Err(Failed::Fatal(message)) => bail!("{url}: {message}"),
                Err(Failed::Retry { message, after, .. }) => {
                    last = format!("{url}: {message}");
                    if attempt < self.settings.retries {
                        tracing::debug!("retrying after {last}");
                        std::thread::sleep(after.unwrap_or_else(|| backoff(attempt)));
                    }
                }
            }
        }
        bail!(
            "{last} (gave up after {} attempts)",
            self.settings.retries + 1
        )
    }

    /// The server with the fewest requests in flight among those up, waiting for a free slot.
    fn acquire(&self) -> Result<usize> {
        let mut slots = self.slots.lock().unwrap_or_else(|e| e.into_inner());
        loop {
            let up: Vec<usize> = (0..slots.len())
                .filter(|&i| slots[i].failures < DOWN_AFTER)
                .collect();
            if up.is_empty() {
                let reasons: Vec<String> = slots
                    .iter()
                    .zip(&self.settings.urls)
                    .map(|(s, u)| format!("{u}: {}", s.last_error))
                    .collect();
                bail!("no server can be reached ({})", reasons.join("; "));
            }
            let free = up
                .into_iter()
                .filter(|&i| slots[i].in_flight < self.settings.concurrency)
                .min_by_key(|&i| slots[i].in_flight);
            if let Some(i) = free {
                slots[i].in_flight += 1;
                return Ok(i);
            }
            slots = self.freed.wait(slots).unwrap_or_else(|e| e.into_inner());
        }
    }

    fn release(&self, server: usize, connection: bool, result: &Result<Vec<u8>, Failed>) {
        let mut slots = self.slots.lock().unwrap_or_else(|e| e.into_inner());
        let slot = &mut slots[server];
        slot.in_flight = slot.in_flight.saturating_sub(1);
        if connection {
            slot.failures += 1;
            if let Err(Failed::Retry { message, .. }) = result {
                slot.last_error = message.clone();
            }
        } else {
            slot.failures = 0;
        }
        drop(slots);
        self.freed.notify_all();
    }

    fn attempt(&self, url: &str, payload: &[u8]) -> Result<Vec<u8>, Failed> {
        let mut request = self
            .agent
            .post(url)
            .header("Content-Type", "application/json")
            .header("Accept", "application/json, audio/*, image/*");
        if let Some(key) = &self.settings.api_key {
            request = request.header("Authorization", &format!("Bearer {key}"));
        }
        let mut response = match request.send(payload) {
            Ok(response) => response,
            Err(e) => return Err(transport(e)),
        };
        let status = response.status().as_u16();
        let header = |name: &str| {
            response
                .headers()
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::to_string)
        };
        let after = retry_after(header("retry-after-ms"), header("retry-after"));
        let should_retry = header("x-should-retry");
        let body = response
            .body_mut()
            .with_config()
            .limit(self.settings.max_body)
            .read_to_vec();
        let body = match body {
            Ok(body) => body,
            Err(e) => return Err(transport(e)),
        };
        if (200..300).contains(&status) {
            return Ok(body);
        }
        let message = format!("HTTP {status}: {}", server_message(&body));
        let retry = match should_retry.as_deref() {
            Some("true") => true,
            Some("false") => false,
            _ => matches!(status, 408 | 409 | 429) || status >= 500,
        };
        if retry {
            Err(Failed::Retry {
                message,
                after,
                connection: false,
            })
        } else {
            Err(Failed::Fatal(message))
        }
    }
}

/// A transport error: retried; a refused or unreachable connection also counts towards
/// leaving the server out.
fn transport(e: ureq::Error) -> Failed {
    let connection = match &e {
        ureq::Error::ConnectionFailed | ureq::Error::HostNotFound => true,
        ureq::Error::Io(io) => matches!(
            io.kind(),
            std::io::ErrorKind::ConnectionRefused
                | std::io::ErrorKind::ConnectionReset
                | std::io::ErrorKind::ConnectionAborted
                | std::io::ErrorKind::NotConnected
                | std::io::ErrorKind::AddrNotAvailable
        ),
        ureq::Error::Timeout(_) => true,
        _ => false,
    };
    let message = match &e {
        ureq::Error::Timeout(t) => format!("timed out ({t})"),
        other => other.to_string(),
    };
    Failed::Retry {
        message,
        after: None,
        connection,
    }
}

/// The wait a server asked for: `retry-after-ms`, else `Retry-After` in seconds (an HTTP date
/// is not followed); at most a minute.
fn retry_after(ms: Option<String>, seconds: Option<String>) -> Option<Duration> {
    let wait = ms
        .and_then(|v| v.trim().parse::<f64>().ok())
        .map(|ms| ms / 1000.0)
        .or_else(|| seconds.and_then(|v| v.trim().parse::<f64>().ok()))?;
    (wait.is_finite() && wait >= 0.0).then(|| Duration::from_secs_f64(wait.min(60.0)))
}

/// 0.5 s doubling per attempt, at most 8 s, less up to a quarter at random.
fn backoff(attempt: u32) -> Duration {
    let base = (0.5 * 2f64.powi(attempt.min(5) as i32)).min(8.0);
    Duration::from_secs_f64(base * (1.0 - 0.25 * jitter()))
}

/// A number in [0, 1) that differs between calls and threads.
fn jitter() -> f64 {
    use std::hash::{BuildHasher, Hasher};
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u128(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos()),
    );
    (h.finish() >> 11) as f64 / (1u64 << 53) as f64
}

/// What the server said went wrong: `error.message`, `detail` or `error` of a JSON answer,
/// else the start of its text.
pub fn server_message(body: &[u8]) -> String {
    if let Ok(json) = serde_json::from_slice::<serde_json::Value>(body) {
        let found = [
            &json["error"]["message"],
            &json["detail"],
            &json["error"],
            &json["message"],
            &json["errors"],
        ]
        .into_iter()
        .find(|v| !v.is_null())
        .map(|v| match v {
            serde_json::Value::String(s) => s.clone(),
            other => other.to_string(),
        });
        if let Some(message) = found {
            return clip(&message);
        }
    }
    let text = String::from_utf8_lossy(body);
    if text.trim().is_empty() {
        "(no message)".into()
    } else {
        clip(text.trim())
    }
}

fn clip(text: &str) -> String {
    const MAX: usize = 300;
    match text.char_indices().nth(MAX) {
        Some((at, _)) => format!("{}...", &text[..at]),
        None => text.to_string(),
    }
}
