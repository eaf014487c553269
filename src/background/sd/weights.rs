//! Where a model's weights are: a folder in the diffusers layout, or the Hugging Face cache.

use std::path::{Path, PathBuf};

use super::variants::Variant;

/// The weight files of a model.
#[derive(Debug, Clone)]
pub struct Weights {
    /// The folder they were found in.
    pub root: PathBuf,
    /// `text_encoder/model.safetensors`
    pub text_encoder: PathBuf,
    /// `unet/diffusion_pytorch_model.safetensors`
    pub unet: PathBuf,
    /// `vae/diffusion_pytorch_model.safetensors`
    pub vae: PathBuf,
    /// `tokenizer/tokenizer.json`, or the folder with `vocab.json` and `merges.txt`.
    pub tokenizer: PathBuf,
    /// SDXL: `text_encoder_2/model.safetensors` and `tokenizer_2/`.
    pub second: Option<(PathBuf, PathBuf)>,
}

/// Weights that could not be found: which files were expected and where.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{backend}: no complete set of weights found.\nexpected, in the diffusers layout:\n{expected}\nlooked in:\n{looked}")]
pub struct MissingWeights {
    /// The backend.
    pub backend: String,
    /// One line per expected file, marked missing or found.
    pub expected: String,
    /// One line per folder searched.
    pub looked: String,
}

const ENCODER_FILES: &[&str] = &["model.safetensors", "model.fp16.safetensors"];

const MODEL_FILES: &[&str] = &[
    "diffusion_pytorch_model.safetensors",
    "diffusion_pytorch_model.fp16.safetensors",
];

const TOKENIZER_FILES: &[&str] = &["tokenizer.json", "vocab.json"];

/// The folders of a variant's weights and the file names accepted in each.
fn parts(variant: &Variant) -> Vec<(&'static str, &'static [&'static str])> {
    let mut parts = vec![
        ("text_encoder", ENCODER_FILES),
        ("unet", MODEL_FILES),
        ("vae", MODEL_FILES),
        ("tokenizer", TOKENIZER_FILES),
    ];
    if variant.clip2.is_some() {
        parts.push(("text_encoder_2", ENCODER_FILES));
        parts.push(("tokenizer_2", TOKENIZER_FILES));
    }
    parts
}

/// Finds the weights of `variant` in `dir` (when given) or in the Hugging Face cache.
pub fn locate(variant: &Variant, dir: Option<&Path>) -> Result<Weights, MissingWeights> {
    let mut candidates = Vec::new();
    match dir {
        Some(dir) => candidates.push(dir.to_path_buf()),
        None => candidates.extend(hf_snapshots(variant.repo)),
    }
    let parts = parts(variant);
    let mut best: Option<(usize, PathBuf)> = None;
    for root in &candidates {
        let found = parts
            .iter()
            .filter(|(part, names)| names.iter().any(|n| root.join(part).join(n).is_file()))
            .count();
        if found == parts.len() {
            let pick = |part: &str, names: &[&str]| {
                names
                    .iter()
                    .map(|n| root.join(part).join(n))
                    .find(|p| p.is_file())
                    .unwrap_or_default()
            };
            let tokenizer = |part: &str| {
                let file = pick(part, TOKENIZER_FILES);
                if file.ends_with("vocab.json") {
                    root.join(part)
                } else {
                    file
                }
            };
            return Ok(Weights {
                root: root.clone(),
                text_encoder: pick("text_encoder", ENCODER_FILES),
                unet: pick("unet", MODEL_FILES),
                vae: pick("vae", MODEL_FILES),
                tokenizer: tokenizer("tokenizer"),
                second: variant.clip2.as_ref().map(|_| {
                    (
                        pick("text_encoder_2", ENCODER_FILES),
                        tokenizer("tokenizer_2"),
                    )
                }),
            });
        }
        if best.as_ref().is_none_or(|(n, _)| found > *n) {
            best = Some((found, root.clone()));
        }
    }
    let reference = best.map(|(_, r)| r);
    let expected = parts
        .iter()
        .map(|(part, names)| {
            let status = match &reference {
                Some(r) if names.iter().any(|n| r.join(part).join(n).is_file()) => "found",
                _ => "missing",
            };
            let extra = if part.starts_with("tokenizer") {
                " (or vocab.json + merges.txt)"
            } else {
                ""
            };
            format!("  {part}/{}{extra}: {status}", names[0])
        })
        .collect::<Vec<_>>()
        .join("\n");
    let looked = if candidates.is_empty() {
        format!(
            "  {} (no snapshot of {}; give the folder with `diffusion.weights` in lecturegen.toml)",
            hf_hub_dir().display(),
            variant.repo
        )
    } else {
        candidates
            .iter()
            .map(|c| format!("  {}", c.display()))
            .collect::<Vec<_>>()
            .join("\n")
    };
    Err(MissingWeights {
        backend: variant.name.to_string(),
        expected,
        looked,
    })
}

fn hf_hub_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("HF_HUB_CACHE") {
        return dir.into();
    }
    if let Some(home) = std::env::var_os("HF_HOME") {
        return PathBuf::from(home).join("hub");
    }
    let home = std::env::var_os("HOME")
        .map(PathBuf::from)
        .unwrap_or_default();
    home.join(".cache/huggingface/hub")
}

/// Snapshot folders of a repository in the Hugging Face cache, newest first.
fn hf_snapshots(repo: &str) -> Vec<PathBuf> {
    let dir = hf_hub_dir()
        .join(format!("models--{}", repo.replace('/', "--")))
        .join("snapshots");
    let Ok(entries) = std::fs::read_dir(&dir) else {
        return Vec::new();
    };
    let mut snapshots: Vec<(std::time::SystemTime, PathBuf)> = entries
        .flatten()
        .filter(|e| e.path().is_dir())
        .map(|e| {
            let modified = e
                .metadata()
                .and_then(|m| m.modified())
                .unwrap_or(std::time::UNIX_EPOCH);
            (modified, e.path())
        })
        .collect();
    snapshots.sort_by_key(|s| std::cmp::Reverse(s.0));
    snapshots.into_iter().map(|(_, p)| p).collect()
}
