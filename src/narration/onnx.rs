//! ONNX Runtime for the neural voices, loaded at run time: lecturegen links none, downloads
//! none, and runs without one until a voice asks for it.
//!
//! Where it is looked for, first found wins: `[narration] onnxruntime` (a library file, or a
//! folder holding one), `ORT_DYLIB_PATH`, then the `onnxruntime` Python package (PyPI's wheel
//! carries the library in `onnxruntime/capi/`), asked of `python3`.

use std::path::{Path, PathBuf};
use std::sync::{Mutex, OnceLock};

use anyhow::{anyhow, Context, Result};
use ort::environment::Environment;
use ort::session::Session;

/// The library's file name on this system.
const LIBRARY: &str = if cfg!(target_os = "windows") {
    "onnxruntime.dll"
} else if cfg!(target_os = "macos") {
    "libonnxruntime.dylib"
} else {
    "libonnxruntime.so"
};

/// Where ONNX Runtime is, or what was tried.
pub fn find(configured: Option<&Path>) -> Result<PathBuf> {
    let mut tried = Vec::new();
    if let Some(path) = configured {
        // A library named in the course's configuration is the one meant: no other is taken.
        return library_at(path).ok_or_else(|| {
            anyhow!(
                "[narration] onnxruntime = {}: no ONNX Runtime library ({LIBRARY}) there",
                path.display()
            )
        });
    }
    if let Some(path) = std::env::var_os("ORT_DYLIB_PATH").map(PathBuf::from) {
        if let Some(found) = library_at(&path) {
            return Ok(found);
        }
        tried.push(format!("ORT_DYLIB_PATH={}", path.display()));
    }
    match python_package() {
        Some(folder) => match library_at(&folder.join("capi")) {
            Some(found) => return Ok(found),
            None => tried.push(format!("{} (no {LIBRARY})", folder.display())),
        },
        None => tried.push("python3's onnxruntime package (not installed)".into()),
    }
    Err(anyhow!(
        "ONNX Runtime was not found (tried {}): `pip install onnxruntime`, or set \
         [narration] onnxruntime to the library",
        tried.join(", ")
    ))
}

/// The library at `path`: the file itself, or the newest `libonnxruntime.so*` in the folder.
fn library_at(path: &Path) -> Option<PathBuf> {
    if path.is_file() {
        return Some(path.to_path_buf());
    }
    let mut found: Vec<PathBuf> = std::fs::read_dir(path)
        .ok()?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with(LIBRARY))
        })
        .collect();
    found.sort();
    // The shortest name is the plain one (a symbolic link) when there is one.
    found.sort_by_key(|p| p.as_os_str().len());
    found.into_iter().next()
}

/// The folder of the `onnxruntime` Python package, if `python3` has one.
fn python_package() -> Option<PathBuf> {
    static FOUND: OnceLock<Option<PathBuf>> = OnceLock::new();
    FOUND
        .get_or_init(|| {
            let program = std::env::var("LECTUREGEN_PYTHON").unwrap_or_else(|_| "python3".into());
            let out = std::process::Command::new(program)
                .args([
                    "-c",
                    "import importlib.util as u, os; s = u.find_spec('onnxruntime'); \
                     print(os.path.dirname(s.origin) if s and s.origin else '')",
                ])
                .stdin(std::process::Stdio::null())
                .stderr(std::process::Stdio::null())
                .output()
                .ok()?;
            let text = String::from_utf8_lossy(&out.stdout).trim().to_string();
            (!text.is_empty()).then(|| PathBuf::from(text))
        })
        .clone()
}

/// A session of `model` on the runtime at `library`, using the machine's cores. A process
/// loads one ONNX Runtime: the first library that loads (a failed one can be fixed and tried
/// again under `watch`).
pub fn session(library: &Path, model: &Path) -> Result<Session> {
    static ENVIRONMENT: Mutex<Option<(PathBuf, Environment)>> = Mutex::new(None);
    let mut loaded = ENVIRONMENT
        .lock()
        .map_err(|_| anyhow!("ONNX Runtime failed to load earlier"))?;
    let environment = match &*loaded {
        Some((path, environment)) if path == library => environment.clone(),
        Some((path, _)) => {
            return Err(anyhow!(
                "ONNX Runtime is already loaded from {} in this process; {} cannot be loaded \
                 beside it",
                path.display(),
                library.display()
            ))
        }
        None => {
            let environment = ort::init_from(library)
                .map_err(|e| anyhow!("{e}"))
                .and_then(|builder| {
                    builder
                        .with_name("lecturegen")
                        .build()
                        .map_err(|e| anyhow!("{e}"))
                })
                .with_context(|| format!("ONNX Runtime ({}) cannot be used", library.display()))?;
            *loaded = Some((library.to_path_buf(), environment.clone()));
            environment
        }
    };
    drop(loaded);
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    Session::builder(&environment)
        .and_then(|b| b.with_intra_threads(threads).map_err(Into::into))
        .and_then(|mut b| b.commit_from_file(model))
        .map_err(|e| anyhow!("{e}"))
        .with_context(|| format!("loading {} with ONNX Runtime", model.display()))
}
