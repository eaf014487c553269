//! Diagrams written as code and drawn: ```` ```mermaid ```` (flowchart, sequence, class, state,
//! pie, gantt and the other kinds mermaid-svg lays out) and ```` ```dot ```` /
//! ```` ```graphviz ```` (laid out by layout-rs). Both are pure Rust: no browser, no Node.
//!
//! The content stage [`check`]s that a diagram parses (one that does not stays code, with a
//! warning at its line); the overlay stage draws it with [`svg`] in the theme's colours, on a
//! panel of the theme's code background, and fits the picture like a figure.

use crate::color::Rgb;

/// A diagram language.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    /// Mermaid.
    Mermaid,
    /// Graphviz's DOT.
    Dot,
}

impl Kind {
    /// The kind a code fence's language names (`mermaid`, `dot`, `graphviz`, `gv`).
    pub fn of_fence(lang: &str) -> Option<Self> {
        match lang.trim().to_ascii_lowercase().as_str() {
            "mermaid" => Some(Self::Mermaid),
            "dot" | "graphviz" | "gv" => Some(Self::Dot),
            _ => None,
        }
    }

    /// The name a fence uses.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Mermaid => "mermaid",
            Self::Dot => "dot",
        }
    }
}

/// The theme's colours and font for a diagram.
#[derive(Debug, Clone)]
pub struct Colours {
    /// Lines and text.
    pub text: Rgb,
    /// The panel behind the diagram.
    pub panel: Rgb,
    /// Font family of the labels.
    pub font: String,
}

fn hex(c: Rgb) -> String {
    let [r, g, b] = c.0;
    format!("#{r:02x}{g:02x}{b:02x}")
}

/// Whether `source` parses as a diagram of `kind`; why not otherwise.
pub fn check(kind: Kind, source: &str) -> Result<(), String> {
    guarded(|| match kind {
        Kind::Mermaid => mermaid_svg::parse(source)
            .map(|_| ())
            .map_err(|e| e.to_string()),
        Kind::Dot => layout::gv::DotParser::new(source).process().map(|_| ()),
    })
}

/// The diagram drawn as SVG in `colours`.
pub fn svg(kind: Kind, source: &str, colours: &Colours) -> Result<String, String> {
    let drawn = guarded(|| match kind {
        Kind::Mermaid => mermaid(source, colours),
        Kind::Dot => dot(source, colours),
    })?;
    Ok(on_panel(&drawn, colours.panel))
}

/// Runs a layout library's code, its panics turned into errors: a diagram that trips one
/// is shown as its code, never a crash.
fn guarded<T>(f: impl FnOnce() -> Result<T, String> + std::panic::UnwindSafe) -> Result<T, String> {
    std::panic::catch_unwind(f).unwrap_or_else(|_| Err("the diagram's layout failed".into()))
}

fn mermaid(source: &str, colours: &Colours) -> Result<String, String> {
    let dark = luminance(colours.panel) < 0.4;
    let base = if dark {
        mermaid_svg::Theme::dark()
    } else {
        mermaid_svg::Theme::default()
    };
    let text = hex(colours.text);
    let theme = mermaid_svg::Theme {
        fg: text.clone().into(),
        font_family: colours.font.clone().into(),
        font_size: 16.0,
        responsive: false,
        ..base
    };
    mermaid_svg::render_with(source, &theme).map_err(|e| e.to_string())
}

fn dot(source: &str, colours: &Colours) -> Result<String, String> {
    let graph = layout::gv::DotParser::new(source).process()?;
    let mut builder = layout::gv::GraphBuilder::new();
    builder.visit_graph(&graph);
    let mut visual = builder.get();
    let mut writer = layout::backends::svg::SVGWriter::new();
    visual.do_it(false, false, false, &mut writer);
    let svg = writer.finalize();
    // layout-rs draws black lines and labels on white boxes, its labels in Times: the theme's
    // text colour and font on its panel (boxes given a colour of their own keep it).
    let text = hex(colours.text);
    Ok(svg
        .replace("#000000ff", &text)
        .replace(
            "fill=\"#ffffffff\"",
            &format!("fill=\"{}\"", hex(colours.panel)),
        )
        .replace(
            "font-family: Times, serif;",
            &format!("font-family: {}; fill: {text};", colours.font),
        )
        .replace("context-stroke", &text))
}

/// The SVG with a panel of `panel` behind everything it draws.
fn on_panel(svg: &str, panel: Rgb) -> String {
    let Some(open) = svg.find("<svg") else {
        return svg.to_string();
    };
    let Some(end) = svg[open..].find('>').map(|e| open + e + 1) else {
        return svg.to_string();
    };
    format!(
        "{}<rect x=\"-10000\" y=\"-10000\" width=\"20000\" height=\"20000\" fill=\"{}\"/>{}",
        &svg[..end],
        hex(panel),
        &svg[end..]
    )
}

/// Relative luminance, 0 (black) to 1 (white).
fn luminance(c: Rgb) -> f32 {
    let [r, g, b] = c.0.map(|v| f32::from(v) / 255.0);
    0.2126 * r + 0.7152 * g + 0.0722 * b
}
