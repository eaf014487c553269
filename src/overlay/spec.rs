//! The `slide.toml` template, rendered for one slide: the boxes, sizes and colours of its
//! layout. Rust measures and places the text inside them; the template decides the structure.

use anyhow::Result;
use serde::Deserialize;

use super::Renderer;
use crate::color::Rgb;
use crate::content::{Meta, Slide, SlideKind};

/// `slide.toml` rendered: the layout of one slide.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct Spec {
    pub(super) title: BoxSpec,
    pub(super) subtitle: Option<BoxSpec>,
    /// Where a slide's header line goes (Marp's `header`).
    #[serde(default)]
    pub(super) header: Option<BoxSpec>,
    /// Where its footer line goes (Marp's `footer`).
    #[serde(default)]
    pub(super) footer: Option<BoxSpec>,
    /// Where its page number goes (Marp's `paginate`).
    #[serde(default)]
    pub(super) page: Option<BoxSpec>,
    pub(super) body: BodySpec,
    pub(super) panel: PanelSpec,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct BoxSpec {
    pub(super) x: f32,
    pub(super) y: f32,
    pub(super) width: f32,
    pub(super) height: f32,
    pub(super) size: f32,
    pub(super) min_size: f32,
    #[serde(default = "default_line_height")]
    pub(super) line_height: f32,
    #[serde(default)]
    pub(super) bold: bool,
    #[serde(default)]
    pub(super) align: AlignSpec,
    #[serde(default)]
    pub(super) valign: VAlignSpec,
    pub(super) color: Rgb,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct BodySpec {
    pub(super) x: f32,
    pub(super) y: f32,
    pub(super) width: f32,
    pub(super) height: f32,
    pub(super) size: f32,
    pub(super) min_size: f32,
    pub(super) code_min_size: f32,
    #[serde(default = "default_line_height")]
    pub(super) line_height: f32,
    /// Space between blocks, in ems.
    pub(super) gap: f32,
    /// Indent per list or quote level, in ems.
    pub(super) indent: f32,
    pub(super) color: Rgb,
    pub(super) accent: Rgb,
    pub(super) code_scale: f32,
    pub(super) code_background: Rgb,
    /// Share of the body height an image takes beside text (an image alone fills the body).
    pub(super) image_max_height: f32,
    /// Smallest body text of a page of prose (paragraphs only), in pixels; lists, tables and
    /// code keep `min_size`. Default: `min_size`.
    #[serde(default)]
    pub(super) prose_min_size: Option<f32>,
    #[serde(default)]
    pub(super) align: AlignSpec,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct PanelSpec {
    pub(super) color: Rgb,
    pub(super) padding: f32,
    pub(super) min_contrast: f32,
}

#[derive(Debug, Clone, Copy, Default, Deserialize, PartialEq)]
#[serde(rename_all = "lowercase")]
pub(super) enum AlignSpec {
    #[default]
    Start,
    Center,
    End,
}

#[derive(Debug, Clone, Copy, Default, Deserialize, PartialEq)]
#[serde(rename_all = "lowercase")]
pub(super) enum VAlignSpec {
    #[default]
    Top,
    Center,
    Bottom,
}

pub(super) fn default_line_height() -> f32 {
    1.25
}

/// Renders `slide.toml` for `slide` laid out as a slide of `kind` (a title slide's follow-on
/// pages are laid out as content pages) and reads the layout it describes.
pub(super) fn render(
    renderer: &Renderer<'_>,
    meta: &Meta,
    slide: &Slide,
    kind: SlideKind,
) -> Result<Spec> {
    let mut context = tera::Context::new();
    context.insert(
        "frame",
        &serde_json::json!({ "width": renderer.width, "height": renderer.height }),
    );
    context.insert(
        "slide",
        &serde_json::json!({
            "kind": kind,
            "index": slide.index,
            "title": slide.title,
            "has_title": !slide.title.trim().is_empty(),
            "has_body": !slide.blocks.is_empty(),
            "layout": slide.layout.as_deref().unwrap_or(""),
        }),
    );
    context.insert("lecture", meta);
    context.insert("dir", meta.dir.as_str());
    context.insert("theme", renderer.theme);
    let text = renderer.templates.render("slide.toml", &context)?;
    toml::from_str(&text).map_err(|e| {
        let (line, col) = e
            .span()
            .map(|s| crate::diag::line_col(&text, s.start))
            .unwrap_or((1, 1));
        anyhow::anyhow!(
            "template slide.toml produced invalid layout at output line {line}:{col}: {}",
            e.message()
        )
    })
}
