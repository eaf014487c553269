//! `lecturegen.toml`: the course configuration.
//!
//! In: the TOML file at the course root (optional: every field has a default). Out: a validated
//! [`Config`]. The CLI applies its flags on top through [`Config::apply`] and nothing reads the
//! file again after that.

use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use serde::{Deserialize, Serialize};

use crate::color::Rgb;

mod dialect;
mod layout;
mod narration;
mod remote;
mod site;

pub use dialect::NotesDialect;
pub use layout::{LayoutConfig, PointsConfig, Prose};
pub use narration::{
    EspeakConfig, FestivalConfig, KokoroConfig, NarrationConfig, PiperConfig, VoiceName,
};
pub use remote::{Dialect, ImageApi, RemoteConfig, RemotePointsConfig, RemoteVoiceConfig, Urls};
pub use site::{Generator, Paper, SiteConfig};

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
    /// The voice that reads the notes.
    pub narration: NarrationConfig,
    /// How much goes on one slide picture.
    pub layout: LayoutConfig,
    /// Whose site the lectures are published in.
    pub site: SiteConfig,
    /// The image inference server of the `remote` backend.
    pub remote: RemoteConfig,
    /// Who writes the points of prose.
    pub points: PointsConfig,
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
    /// Edge of the VAE decoding tiles, in latents (8 pixels each); smaller uses less memory.
    /// Default: on the CPU the whole picture at once (lecturegen's own decoder needs 1.5 GiB
    /// for 512x512), on a GPU 16 (candle's decoder needs 17 GiB for 512x512 in one piece).
    pub tile: Option<usize>,
    /// "cpu" or "cuda" (needs `--features cuda`). Default: "cpu".
    pub device: DeviceName,
}

/// Where the Stable Diffusion backends run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum DeviceName {
    /// The CPU, with lecturegen's own channels-last models.
    #[default]
    Cpu,
    /// The first NVIDIA GPU (a build with `--features cuda`).
    Cuda,
}

/// A background backend, by the name `lecturegen.toml` and `--backend` use. The one list of
/// backends: everything else (the CLI, `lecturegen models`, the Stable Diffusion variants)
/// takes its names from here.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize, Serialize)]
#[serde(try_from = "String", into = "String")]
pub enum BackendName {
    /// Theme-coloured gradients.
    None,
    /// The model that ships in the binary.
    Builtin,
    /// Stable Diffusion Turbo.
    SdTurbo,
    /// Stable Diffusion 2.1.
    Sd21,
    /// SDXL Turbo.
    SdxlTurbo,
    /// SDXL base 1.0.
    Sdxl,
    /// Stable Diffusion 1.5.
    Sd15,
    /// An inference server (`[remote]`).
    Remote,
}

impl BackendName {
    /// Every backend, in the order `lecturegen models` lists them.
    pub const ALL: [Self; 8] = [
        Self::None,
        Self::Builtin,
        Self::SdTurbo,
        Self::Sd21,
        Self::SdxlTurbo,
        Self::Sdxl,
        Self::Sd15,
        Self::Remote,
    ];

    /// The name in `lecturegen.toml` and on the command line.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::None => "none",
            Self::Builtin => "builtin",
            Self::SdTurbo => "sd-turbo",
            Self::Sd21 => "sd21",
            Self::SdxlTurbo => "sdxl-turbo",
            Self::Sdxl => "sdxl",
            Self::Sd15 => "sd15",
            Self::Remote => "remote",
        }
    }

    /// What the backend is and needs, one line.
    pub fn describe(self) -> &'static str {
        match self {
            Self::None => "theme-coloured gradients; needs nothing, draws in milliseconds",
            Self::Builtin => {
                "a small diffusion model trained by this project; ships in the binary, needs \
                 nothing (the default)"
            }
            Self::SdTurbo => {
                "Stable Diffusion Turbo (stabilityai/sd-turbo): 1 step, no guidance; diffusers \
                 weights"
            }
            Self::Sd21 => {
                "Stable Diffusion 2.1 (stabilityai/stable-diffusion-2-1): 30 steps, guidance 7.5"
            }
            Self::SdxlTurbo => {
                "SDXL Turbo (stabilityai/sdxl-turbo): 1 step, no guidance; diffusers weights \
                 incl. text_encoder_2/ and tokenizer_2/"
            }
            Self::Sdxl => {
                "SDXL base 1.0 (stabilityai/stable-diffusion-xl-base-1.0): 30 steps, guidance 5"
            }
            Self::Sd15 => {
                "Stable Diffusion 1.5 (stable-diffusion-v1-5/stable-diffusion-v1-5): 30 steps, \
                 guidance 7.5"
            }
            Self::Remote => {
                "an inference server ([remote]: AUTOMATIC1111/Forge/sd-server/Xinference \
                 `sdapi`, or an OpenAI-style `openai` images API); many URLs at once"
            }
        }
    }
}

impl std::str::FromStr for BackendName {
    type Err = String;

    fn from_str(name: &str) -> Result<Self, String> {
        Self::ALL
            .into_iter()
            .find(|b| b.as_str() == name)
            .ok_or_else(|| {
                let names: Vec<&str> = Self::ALL.iter().map(|b| b.as_str()).collect();
                format!("unknown backend `{name}`; available: {}", names.join(", "))
            })
    }
}

impl TryFrom<String> for BackendName {
    type Error = String;

    fn try_from(name: String) -> Result<Self, String> {
        name.parse()
    }
}

impl From<BackendName> for String {
    fn from(name: BackendName) -> String {
        name.as_str().to_string()
    }
}

impl std::fmt::Display for BackendName {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Default for DiffusionConfig {
    fn default() -> Self {
        Self {
            weights: None,
            steps: None,
            guidance: None,
            size: None,
            tile: None,
            device: DeviceName::Cpu,
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
    /// binary), or a Stable Diffusion model with local weights ("sd-turbo", "sd21", "sd15",
    /// "sdxl-turbo", "sdxl"; see [`BackendName`]). Default: "builtin".
    pub backend: BackendName,
    /// Pass raw HTML in notes through to the site. Default: false (it is shown as text).
    pub allow_html: bool,
    /// Default seed of lectures that set none. Default: 0.
    pub seed: u64,
    /// The slide tool the notes were written for ("plain", "remark", "marp", "slidev",
    /// "quarto", "reveal"), for files that do not say. Default: told per file by its front
    /// matter, extension and syntax.
    pub dialect: Option<NotesDialect>,
}

impl Default for BuildConfig {
    fn default() -> Self {
        Self {
            content_dir: "content".into(),
            output_dir: "output".into(),
            templates_dir: "templates".into(),
            cache_dir: ".lecturegen/cache".into(),
            backend: BackendName::Builtin,
            allow_html: false,
            seed: 0,
            dialect: None,
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

/// `[theme]`: a preset by `name`, with any colour overridden.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(try_from = "ThemeFile")]
pub struct ThemeConfig {
    /// Preset: "dark" (default), "light" or "high-contrast".
    pub name: String,
    /// Gradient start (top left) of the `none` background.
    pub background_start: Rgb,
    /// Gradient end (bottom right) of the `none` background.
    pub background_end: Rgb,
    /// Body and title text.
    pub text: Rgb,
    /// Accent (bullets, numbers, rules, inline code).
    pub accent: Rgb,
    /// Panel drawn under text when the background is too busy.
    pub panel: Rgb,
    /// Contrast every text box must reach against what is under it (WCAG: 4.5 AA, 7 AAA).
    pub min_contrast: f32,
    /// Background of code blocks.
    pub code_background: Rgb,
    /// Code: plain text, keywords, strings, comments, numbers and constants, function names,
    /// type names. Each meets `min_contrast` on `code_background` in the presets.
    pub code_text: Rgb,
    /// Code keywords.
    pub code_keyword: Rgb,
    /// Code strings.
    pub code_string: Rgb,
    /// Code comments.
    pub code_comment: Rgb,
    /// Code numbers and constants.
    pub code_number: Rgb,
    /// Code function names.
    pub code_function: Rgb,
    /// Code type names.
    pub code_type: Rgb,
}

/// The theme presets, by name.
pub const THEMES: &[&str] = &["dark", "light", "high-contrast"];

impl ThemeConfig {
    /// The preset called `name`.
    pub fn preset(name: &str) -> Option<Self> {
        let c = |hex: u32| Rgb([(hex >> 16) as u8, (hex >> 8) as u8, hex as u8]);
        let theme = match name {
            "dark" => Self {
                name: name.into(),
                background_start: c(0x0f172a),
                background_end: c(0x1e3a5f),
                text: c(0xf8fafc),
                accent: c(0x38bdf8),
                panel: c(0x0b1120),
                min_contrast: 4.5,
                code_background: c(0x020617),
                code_text: c(0xe2e8f0),
                code_keyword: c(0xc4a7ff),
                code_string: c(0xa7e3a1),
                code_comment: c(0x94a3b8),
                code_number: c(0xfbbf24),
                code_function: c(0x7dd3fc),
                code_type: c(0x5eead4),
            },
            "light" => Self {
                name: name.into(),
                background_start: c(0xf8fafc),
                background_end: c(0xdbeafe),
                text: c(0x0f172a),
                accent: c(0x1d4ed8),
                panel: c(0xffffff),
                min_contrast: 4.5,
                code_background: c(0xf1f5f9),
                code_text: c(0x0f172a),
                code_keyword: c(0x6d28d9),
                code_string: c(0x166534),
                code_comment: c(0x475569),
                code_number: c(0x9a3412),
                code_function: c(0x1d4ed8),
                code_type: c(0x0f766e),
            },
            "high-contrast" => Self {
                name: name.into(),
                background_start: c(0x000000),
                background_end: c(0x101010),
                text: c(0xffffff),
                accent: c(0xffe600),
                panel: c(0x000000),
                min_contrast: 7.0,
                code_background: c(0x000000),
                code_text: c(0xffffff),
                code_keyword: c(0xffe600),
                code_string: c(0x8cff8c),
                code_comment: c(0xd4d4d4),
                code_number: c(0xffb3ff),
                code_function: c(0x8fd3ff),
                code_type: c(0x7fffd4),
            },
            _ => return None,
        };
        Some(theme)
    }
}

impl Default for ThemeConfig {
    fn default() -> Self {
        Self::preset("dark").unwrap_or_else(|| unreachable!("the dark preset exists"))
    }
}

/// `[theme]` as written: a preset name and overrides.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
struct ThemeFile {
    name: Option<String>,
    background_start: Option<Rgb>,
    background_end: Option<Rgb>,
    text: Option<Rgb>,
    accent: Option<Rgb>,
    panel: Option<Rgb>,
    min_contrast: Option<f32>,
    code_background: Option<Rgb>,
    code_text: Option<Rgb>,
    code_keyword: Option<Rgb>,
    code_string: Option<Rgb>,
    code_comment: Option<Rgb>,
    code_number: Option<Rgb>,
    code_function: Option<Rgb>,
    code_type: Option<Rgb>,
}

impl TryFrom<ThemeFile> for ThemeConfig {
    type Error = String;

    fn try_from(file: ThemeFile) -> Result<Self, String> {
        let name = file.name.unwrap_or_else(|| "dark".into());
        let mut t = Self::preset(&name)
            .ok_or_else(|| format!("unknown theme `{name}`; available: {}", THEMES.join(", ")))?;
        macro_rules! over {
            ($($field:ident),*) => { $( if let Some(v) = file.$field { t.$field = v; } )* };
        }
        over!(
            background_start,
            background_end,
            text,
            accent,
            panel,
            min_contrast,
            code_background,
            code_text,
            code_keyword,
            code_string,
            code_comment,
            code_number,
            code_function,
            code_type
        );
        if !(1.0..=21.0).contains(&t.min_contrast) {
            return Err(format!(
                "theme.min_contrast is {}; it must be between 1 and 21",
                t.min_contrast
            ));
        }
        Ok(t)
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
    pub backend: Option<BackendName>,
    /// `--fonts DIR` (repeatable): more font folders, after the configured ones.
    pub font_dirs: Vec<PathBuf>,
    /// `--voice`
    pub voice: Option<VoiceName>,
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
        let mut config: Self = toml::from_str(text).map_err(|e| {
            let (line, col) = e
                .span()
                .map(|s| crate::diag::line_col(text, s.start))
                .unwrap_or((1, 1));
            anyhow::anyhow!("{line}:{col}: {}", e.message())
        })?;
        let generator = config.site.generator;
        if generator.is_host() {
            // A host site keeps its pages where its generator does, unless the file says.
            let build = toml::from_str::<toml::Table>(text)
                .ok()
                .and_then(|t| t.get("build").and_then(|b| b.as_table()).cloned())
                .unwrap_or_default();
            if !build.contains_key("content_dir") {
                config.build.content_dir = generator.content_dir().into();
            }
            if build.contains_key("output_dir") {
                bail!(
                    "[build] output_dir is for lecturegen's own site; a {generator} site \
                     takes its media in [site] media_dir"
                );
            }
        }
        config.validate()?;
        Ok(config)
    }

    /// Applies the command-line overrides, then validates again.
    pub fn apply(&mut self, overrides: &Overrides) -> Result<()> {
        if let Some(out) = &overrides.output_dir {
            if self.site.generator.is_host() {
                self.site.media_dir = Some(out.clone());
            } else {
                self.build.output_dir = out.clone();
            }
        }
        if let Some(backend) = overrides.backend {
            self.build.backend = backend;
        }
        self.fonts.dirs.extend(overrides.font_dirs.iter().cloned());
        if let Some(voice) = overrides.voice {
            self.narration.voice = voice;
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
        if !(15..=500).contains(&self.layout.max_words_per_page) {
            bail!(
                "layout.max_words_per_page {}: must be 15 to 500",
                self.layout.max_words_per_page
            );
        }
        let n = &self.narration;
        if !(32..=128).contains(&n.bitrate_kbps) {
            bail!(
                "narration.bitrate_kbps {}: must be 32 to 128",
                n.bitrate_kbps
            );
        }
        if !(80..=450).contains(&n.words_per_minute) {
            bail!(
                "narration.words_per_minute {}: must be 80 to 450",
                n.words_per_minute
            );
        }
        let seconds = [n.lead_in_seconds, n.pause_seconds, n.tail_seconds];
        if seconds
            .iter()
            .any(|s| !s.is_finite() || !(0.0..=10.0).contains(s))
            || !n.timeout_seconds.is_finite()
            || n.timeout_seconds <= 0.0
        {
            bail!("narration: lead_in, pause and tail seconds must be 0 to 10, timeout positive");
        }
        if n.voice == VoiceName::Command && n.command.is_empty() {
            bail!("narration.voice = \"command\" needs narration.command = [\"program\", ...]");
        }
        Ok(())
    }
}
