//! File writes that never leave a half-written file in place of a good one.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use anyhow::{Context, Result};

/// Prefix of temporary files: hidden, so a half-written file is never linked or served.
pub const TEMP_PREFIX: &str = ".lecturegen-tmp-";

/// Writes `bytes` to a hidden temporary file beside `path`, flushes it to disk, then renames it
/// over `path`. Readers see the old file or the new one, never a mix, even if the process is
/// killed halfway.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    let dir = path
        .parent()
        .with_context(|| format!("{} has no parent folder", path.display()))?;
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    let temp = temp_path(path);
    let result = (|| -> Result<()> {
        let mut file =
            std::fs::File::create(&temp).with_context(|| format!("creating {}", temp.display()))?;
        file.write_all(bytes)
            .with_context(|| format!("writing {}", temp.display()))?;
        file.sync_all()
            .with_context(|| format!("flushing {}", temp.display()))?;
        std::fs::rename(&temp, path)
            .with_context(|| format!("renaming {} to {}", temp.display(), path.display()))
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&temp);
    }
    result
}

/// [`write_atomic`], skipped when `path` already holds exactly `bytes` (so unchanged files keep
/// their modification time and nothing watching them sees a change). Returns whether it wrote.
pub fn write_if_changed(path: &Path, bytes: &[u8]) -> Result<bool> {
    let same = std::fs::metadata(path).is_ok_and(|m| m.len() == bytes.len() as u64)
        && std::fs::read(path).is_ok_and(|old| old == bytes);
    if same {
        return Ok(false);
    }
    write_atomic(path, bytes)?;
    Ok(true)
}

/// A hidden temporary file beside `path`, unique to this process and call: write it, then
/// [`commit`] it (or let [`remove_stale_temps`] take it after a crash).
pub fn temp_path(path: &Path) -> PathBuf {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    path.with_file_name(format!(
        "{TEMP_PREFIX}{}-{}-{name}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    ))
}

/// Puts the finished file `temp` in place of `path`, unless `path` already holds the same
/// bytes (then `temp` is removed and `path` keeps its modification time). Compared piece by
/// piece: a video of hours is never read whole. Returns whether it wrote.
pub fn commit(temp: &Path, path: &Path) -> Result<bool> {
    let same = same_bytes(temp, path).unwrap_or(false);
    let result = if same {
        Ok(false)
    } else {
        std::fs::rename(temp, path)
            .map(|()| true)
            .with_context(|| format!("renaming {} to {}", temp.display(), path.display()))
    };
    if same || result.is_err() {
        let _ = std::fs::remove_file(temp);
    }
    result
}

/// Whether two files hold the same bytes.
fn same_bytes(a: &Path, b: &Path) -> std::io::Result<bool> {
    use std::io::Read;
    if std::fs::metadata(a)?.len() != std::fs::metadata(b)?.len() {
        return Ok(false);
    }
    let (mut a, mut b) = (std::fs::File::open(a)?, std::fs::File::open(b)?);
    let (mut x, mut y) = (vec![0u8; 1 << 16], vec![0u8; 1 << 16]);
    loop {
        let n = a.read(&mut x)?;
        if n == 0 {
            return Ok(true);
        }
        b.read_exact(&mut y[..n])?;
        if x[..n] != y[..n] {
            return Ok(false);
        }
    }
}

/// Removes temporary files left in `dir` (not recursive) by a build that was killed.
pub fn remove_stale_temps(dir: &Path) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        if entry.file_name().to_string_lossy().starts_with(TEMP_PREFIX) {
            let _ = std::fs::remove_file(entry.path());
        }
    }
}

/// Decodes the `%XX` escapes of a URL or link path. Returns the bytes and whether every `%`
/// began a valid escape; a `%` that does not is kept as it is (links in notes are decoded
/// leniently, requests to the preview server strictly).
pub fn percent_decode(text: &str) -> (Vec<u8>, bool) {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut valid = true;
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = |b: Option<&u8>| b.and_then(|&b| (b as char).to_digit(16));
            if let (Some(hi), Some(lo)) = (hex(bytes.get(i + 1)), hex(bytes.get(i + 2))) {
                out.push((hi * 16 + lo) as u8);
                i += 3;
                continue;
            }
            valid = false;
        }
        out.push(bytes[i]);
        i += 1;
    }
    (out, valid)
}
