//! `lecturegen.toml`: the course configuration.
//!
//! In: the TOML file at the course root (optional: every field has a default). Out: a validated
//! [`Config`]. The CLI applies its flags on top through [`Config::apply`] and nothing reads the
//! file again after that.

use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use serde::{Deserialize, Serialize};

use crate::color::Rgb;

/// The name of the course configuration file.
pub const FILE_NAME: &str = "lecturegen.toml";

/// The whole configuration file.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// The course: title and description shown on the index page.
    pub course: CourseConfig,
    /// Where things are read and written.
    pub build: BuildConfig,
    /// Video size and encoder quality.
    pub video: VideoConfig,
    /// How long each slide stays on screen.
    pub timing: TimingConfig,
    /// Colours of slides and site.
    pub theme: ThemeConfig,
    /// Where fonts come from.
    pub fonts: FontConfig,
    /// Settings of the Stable Diffusion backends.
    pub diffusion: DiffusionConfig,
}

/// `[diffusion]`
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct DiffusionConfig {
    /// Folder of weights in the diffusers layout (`unet/`, `vae/`, `text_encoder/`,
    /// `tokenizer/`), relative to the course root. Default: search the Hugging Face cache.
    pub weights: Option<PathBuf>,
    /// Denoising steps. Default: the model's (SD-Turbo 1, others 30).
    pub steps: Option<usize>,
    /// Classifier-free guidance. Default: the model's (SD-Turbo 0, others 7.5).
    pub guidance: Option<f64>,
    /// Generation size before scaling to the frame, rounded down to multiples of 64.
    /// Default: the model's, near 16:9 (SD-Turbo and SD 1.5 896x512, SD 2.1 1344x768).
    pub size: Option<(usize, usize)>,
    /// Edge of the VAE decoding tiles, in latents (8 pixels each). Default: 16, measured
    /// fastest and smallest on CPU (512x512: 60 s and 1.4 GiB, against 84 s and 16.9 GiB
    /// untiled).
    pub tile: usize,
    /// "cpu" or "cuda" (needs `--features cuda`). Default: "cpu".
    pub device: String,
}

impl Default for DiffusionConfig {
    fn default() -> Self {
        Self {
            weights: None,
            steps: None,
            guidance: None,
            size: None,
            tile: 16,
            device: "cpu".into(),
        }
    }
}

/// `[course]`
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct CourseConfig {
    /// Course title on the index page. Default: "Lectures".
    pub title: String,
    /// One line under the title. Default: empty.
    pub description: String,
    /// Default author for lectures that name none. Default: empty.
    pub author: String,
    /// Default language of lectures (BCP 47 tag, e.g. "en", "ar"). Default: "en".
    pub lang: String,
}

impl Default for CourseConfig {
    fn default() -> Self {
        Self {
            title: "Lectures".into(),
            description: String::new(),
            author: String::new(),
            lang: "en".into(),
        }
    }
}

/// `[build]`
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct BuildConfig {
    /// Lecture notes, relative to the course root. Default: "content".
    pub content_dir: PathBuf,
    /// Where the site is written, relative to the course root. Default: "output".
    pub output_dir: PathBuf,
    /// Template overrides, relative to the course root. Default: "templates".
    pub templates_dir: PathBuf,
    /// Content-addressed cache of backgrounds and encoded slides; never inside the output.
    /// Default: ".lecturegen/cache".
    pub cache_dir: PathBuf,
    /// Background backend: "none" (theme gradients), "builtin" (the model that ships in the
    /// binary), or "sd-turbo", "sd21", "sd15" (Stable Diffusion weights). Default: "none".
    pub backend: String,
    /// Pass raw HTML in notes through to the site. Default: false (it is shown as text).
    pub allow_html: bool,
    /// Default seed of lectures that set none. Default: 0.
    pub seed: u64,
}

impl Default for BuildConfig {
    fn default() -> Self {
        Self {
            content_dir: "content".into(),
            output_dir: "output".into(),
            templates_dir: "templates".into(),
            cache_dir: ".lecturegen/cache".into(),
            backend: "none".into(),
            allow_html: false,
            seed: 0,
        }
    }
}

/// `[video]`
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct VideoConfig {
    /// Frame width in pixels (even). Default: 1920.
    pub width: u32,
    /// Frame height in pixels (even). Default: 1080.
    pub height: u32,
    /// H.264 quantiser of every picture (0-51, lower is sharper and larger). Default: 20.
    pub qp: u8,
}

impl Default for VideoConfig {
    fn default() -> Self {
        Self {
            width: 1920,
            height: 1080,
            qp: 20,
        }
    }
}

/// `[timing]`
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct TimingConfig {
    /// Reading speed used to time slides from their words (notes included). Default: 150.
    pub words_per_minute: f32,
    /// Shortest time a slide without a `duration` directive is shown, in seconds. Default: 4.
    pub min_seconds: f32,
    /// Longest time a slide without a `duration` directive is shown, in seconds. Default: 60.
    pub max_seconds: f32,
}

impl Default for TimingConfig {
    fn default() -> Self {
        Self {
            words_per_minute: 150.0,
            min_seconds: 4.0,
            max_seconds: 60.0,
        }
    }
}

/// `[theme]`
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct ThemeConfig {
    /// Gradient start (top left) of the `none` background. Default: "#0f172a".
    pub background_start: Rgb,
    /// Gradient end (bottom right) of the `none` background. Default: "#1e3a5f".
    pub background_end: Rgb,
    /// Body and title text. Default: "#f8fafc".
    pub text: Rgb,
    /// Accent (bullets, rules, links). Default: "#38bdf8".
    pub accent: Rgb,
    /// Panel drawn under text when the background is too busy. Default: "#0b1120".
    pub panel: Rgb,
    /// Background of code blocks. Default: "#020617".
    pub code_background: Rgb,
}

impl Default for ThemeConfig {
    fn default() -> Self {
        Self {
            background_start: Rgb([0x0f, 0x17, 0x2a]),
            background_end: Rgb([0x1e, 0x3a, 0x5f]),
            text: Rgb([0xf8, 0xfa, 0xfc]),
            accent: Rgb([0x38, 0xbd, 0xf8]),
            panel: Rgb([0x0b, 0x11, 0x20]),
            code_background: Rgb([0x02, 0x06, 0x17]),
        }
    }
}

/// `[fonts]`
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct FontConfig {
    /// Also use the fonts installed on this machine. Default: true.
    pub system: bool,
    /// Extra font directories, relative to the course root. Default: ["fonts"] (if present).
    pub dirs: Vec<PathBuf>,
}

impl Default for FontConfig {
    fn default() -> Self {
        Self {
            system: true,
            dirs: vec!["fonts".into()],
        }
    }
}

/// Command-line values that override the file.
#[derive(Debug, Clone, Default)]
pub struct Overrides {
    /// `--out`
    pub output_dir: Option<PathBuf>,
    /// `--backend`
    pub backend: Option<String>,
}

impl Config {
    /// Reads `lecturegen.toml` under `root`, or the defaults when there is none.
    pub fn load(root: &Path) -> Result<Self> {
        let path = root.join(FILE_NAME);
        let text = match std::fs::read_to_string(&path) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Self::default()),
            Err(e) => return Err(e).with_context(|| format!("reading {}", path.display())),
        };
        Self::parse(&text).with_context(|| format!("in {}", path.display()))
    }

    /// Parses and validates the text of a configuration file.
    pub fn parse(text: &str) -> Result<Self> {
        let config: Self = toml::from_str(text).map_err(|e| {
            let (line, col) = e
                .span()
                .map(|s| crate::content::line_col(text, s.start))
                .unwrap_or((1, 1));
            anyhow::anyhow!("{line}:{col}: {}", e.message())
        })?;
        config.validate()?;
        Ok(config)
    }

    /// Applies the command-line overrides, then validates again.
    pub fn apply(&mut self, overrides: &Overrides) -> Result<()> {
        if let Some(out) = &overrides.output_dir {
            self.build.output_dir = out.clone();
        }
        if let Some(backend) = &overrides.backend {
            self.build.backend = backend.clone();
        }
        self.validate()
    }

    fn validate(&self) -> Result<()> {
        let v = &self.video;
        if v.width < 64
            || v.height < 64
            || !v.width.is_multiple_of(2)
            || !v.height.is_multiple_of(2)
        {
            bail!(
                "video size {}x{}: width and height must be even and at least 64",
                v.width,
                v.height
            );
        }
        if v.width > 3840 || v.height > 2160 {
            bail!(
                "video size {}x{}: the H.264 encoder supports at most 3840x2160",
                v.width,
                v.height
            );
        }
        if v.qp > 51 {
            bail!("video qp {}: must be 0 to 51", v.qp);
        }
        let t = &self.timing;
        let positive = |x: f32| x.is_finite() && x > 0.0;
        if !positive(t.words_per_minute)
            || !positive(t.min_seconds)
            || t.max_seconds < t.min_seconds
        {
            bail!("timing: words_per_minute and min_seconds must be positive and max_seconds >= min_seconds");
        }
        crate::background::check_backend_name(&self.build.backend)?;
        Ok(())
    }
}
