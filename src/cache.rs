//! A content-addressed cache of expensive results: backgrounds and encoded slides.
//!
//! Keys are SHA-256 digests of everything that determines a result (never absolute paths, never
//! `DefaultHasher`), so the cache survives restarts and moves of the course folder. Each entry
//! carries a digest of its own bytes: a truncated or corrupt entry is detected, dropped and
//! made again.

use std::path::{Path, PathBuf};

use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::fsutil::write_atomic;

const MAGIC: &[u8; 8] = b"LGCACHE1";

/// A stable key built from the parts that determine a result.
#[derive(Debug, Clone, Default)]
pub struct Key(Sha256);

impl Key {
    /// A key for results of `kind` (the kind is part of the digest).
    pub fn new(kind: &str) -> Self {
        let mut key = Self(Sha256::new());
        key.add(kind.as_bytes());
        key
    }

    /// Adds a part; each part is length-prefixed so ("ab","c") and ("a","bc") differ.
    pub fn add(&mut self, part: &[u8]) -> &mut Self {
        self.0.update((part.len() as u64).to_le_bytes());
        self.0.update(part);
        self
    }

    /// Adds a string part.
    pub fn add_str(&mut self, part: &str) -> &mut Self {
        self.add(part.as_bytes())
    }

    /// The key as 64 hex digits.
    pub fn hex(&self) -> String {
        hex(&self.0.clone().finalize())
    }
}

/// A stable key: the SHA-256 of `kind`, `version` and the JSON of `parts`. Keys are built
/// from serialised structures (never `Debug` output, which is not a stable format), with paths
/// relative to the course root and files by the digest of their contents, so the same inputs
/// give the same key on any machine and in any folder. Bump `version` when the code that
/// makes the result changes what it makes.
pub fn key_of<T: Serialize + ?Sized>(kind: &str, version: u32, parts: &T) -> String {
    // Only maps with non-string keys and paths that are not UTF-8 fail to serialise; key
    // structures hold neither (paths in keys are relative strings).
    let json = serde_json::to_vec(parts).unwrap_or_else(|e| {
        tracing::error!("a {kind} key cannot be serialised: {e}");
        e.to_string().into_bytes()
    });
    Key::new(kind).add(&version.to_le_bytes()).add(&json).hex()
}

/// Lower-case hex of bytes.
pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// SHA-256 of bytes, as hex.
pub fn digest(bytes: &[u8]) -> String {
    hex(&Sha256::digest(bytes))
}

/// A 128-bit XXH3 digest, in hex, for large inputs: composed frames (their encoding's cache
/// key, the version in their picture's URL) and files read by a build (course fonts,
/// pictures, weights). Stable on every machine like [`digest`], at a twentieth of its cost
/// (6 MB: 0.35 ms against 7.5 ms here); the inputs are not chosen by an adversary, and 128
/// bits keep accidental collisions out of reach.
pub fn fast_digest(bytes: &[u8]) -> String {
    fast_hex(twox_hash::XxHash3_128::oneshot(bytes))
}

/// An XXH3-128 value as [`fast_digest`] writes it (for a hasher fed piece by piece).
pub fn fast_hex(value: u128) -> String {
    format!("{value:032x}")
}

/// The cache folder.
#[derive(Debug, Clone)]
pub struct Cache {
    dir: PathBuf,
}

impl Cache {
    /// A cache rooted at `dir` (created on first write).
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        Self { dir: dir.into() }
    }

    /// The cache folder.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    fn path(&self, kind: &str, key: &str) -> PathBuf {
        let shard = key.get(..2).unwrap_or("00");
        self.dir.join(kind).join(shard).join(key)
    }

    /// The bytes stored under `key`, if present and intact.
    pub fn get(&self, kind: &str, key: &str) -> Option<Vec<u8>> {
        let path = self.path(kind, key);
        let data = std::fs::read(&path).ok()?;
        let intact = data.len() >= 40
            && &data[..8] == MAGIC
            && Sha256::digest(&data[40..]).as_slice() == &data[8..40];
        if !intact {
            tracing::warn!("cache entry {} is corrupt: making it again", path.display());
            let _ = std::fs::remove_file(&path);
            return None;
        }
        Some(data[40..].to_vec())
    }

    /// Stores `bytes` under `key`. A failure to write the cache is logged, not fatal.
    pub fn put(&self, kind: &str, key: &str, bytes: &[u8]) {
        let mut data = Vec::with_capacity(bytes.len() + 40);
        data.extend_from_slice(MAGIC);
        data.extend_from_slice(&Sha256::digest(bytes));
        data.extend_from_slice(bytes);
        if let Err(e) = write_atomic(&self.path(kind, key), &data) {
            tracing::warn!("cannot write the cache: {e:#}");
        }
    }
}
