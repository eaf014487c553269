//! Math: `$...$` and `$$...$$` from the notes.
//!
//! On the site, [`to_mathml`] turns the TeX into MathML Core (math-core), which browsers render
//! natively. On slides, formulas are typeset ([`typeset`]: latex-rust's TeX layout in STIX Two
//! Math, pure Rust, drawn through resvg): stacked fractions, limits, roots, matrices, accents;
//! display formulas as blocks, inline ones on their line's baseline. A formula latex-rust cannot
//! typeset (and math in titles and table cells) is [`to_unicode`]: a readable one-line
//! rendering with Unicode symbols, superscripts and subscripts (`\frac{a}{b}` -> `a/b`,
//! `x^2` -> `x²`, `\alpha` -> `α`), drawn with the bundled fonts.

use std::sync::OnceLock;

/// MathML for the site; on a TeX error, the source in a `<code>` with the error as its title.
pub fn to_mathml(tex: &str, display: bool) -> String {
    static CONVERTER: OnceLock<Option<math_core::LatexToMathML>> = OnceLock::new();
    let converter = CONVERTER
        .get_or_init(|| math_core::LatexToMathML::new(math_core::MathCoreConfig::default()).ok());
    let mode = if display {
        math_core::MathDisplay::Block
    } else {
        math_core::MathDisplay::Inline
    };
    match converter
        .as_ref()
        .map(|c| c.convert_with_local_counter(tex, mode))
    {
        Some(Ok(mathml)) => mathml,
        Some(Err(e)) => format!(
            "<code class=\"math-error\" title=\"{}\">{}</code>",
            escape(&e.to_string()),
            escape(tex)
        ),
        None => format!("<code class=\"math\">{}</code>", escape(tex)),
    }
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// A formula drawn for a slide.
#[derive(Debug, Clone)]
pub struct Formula {
    /// The formula, straight-alpha RGBA.
    pub image: image::RgbaImage,
    /// Pixels from its top to its baseline.
    pub ascent: f32,
}

/// A formula typeset at `px` pixels per em in `color` (display style: limits above and
/// below, or text style for math inside a line), at most `max_width` wide (a wider one is
/// scaled down to fit).
pub fn typeset(
    tex: &str,
    px: f32,
    color: crate::color::Rgb,
    max_width: f32,
    display: bool,
) -> anyhow::Result<Formula> {
    use resvg::{tiny_skia, usvg};
    static FONT: OnceLock<Option<latex_rust::MathFont>> = OnceLock::new();
    let font = FONT
        .get_or_init(|| latex_rust::MathFont::stix_two_math().ok())
        .as_ref()
        .ok_or_else(|| anyhow::anyhow!("the math font cannot be loaded"))?;
    let [r, g, b] = color.0;
    // SVG points: 0.75 of a CSS pixel.
    let em_pt = latex_rust::Dim::from_i64(((px * 0.75).round() as i64).max(1));
    let options = latex_rust::SvgOptions {
        font_size_pt: em_pt.clone(),
        color: latex_rust::Color::rgb(r, g, b),
        display,
    };
    let style = if display {
        latex_rust::MathStyle::Display
    } else {
        latex_rust::MathStyle::Text
    };
    let err = |e: latex_rust::Error| anyhow::anyhow!("{e}");
    let ast = latex_rust::parse(tex).map_err(|e| anyhow::anyhow!("{e}"))?;
    let tree = latex_rust::layout_with_em_size_pt(&ast, font, style, &em_pt).map_err(err)?;
    let svg = latex_rust::render_svg(&tree, font, &options).map_err(err)?;
    let em = |d: &latex_rust::Dim| d.as_ratio().map_or(0.0, |(n, d)| n as f64 / d as f64) as f32;
    let svg_tree = usvg::Tree::from_str(&svg, &usvg::Options::default())?;
    let size = svg_tree.size();
    let scale = (max_width / size.width()).min(1.0);
    if !scale.is_finite() || scale <= 0.0 || size.height() <= 0.0 {
        anyhow::bail!("the formula is empty");
    }
    let (w, h) = (
        (size.width() * scale).ceil().clamp(1.0, 16_384.0) as u32,
        (size.height() * scale).ceil().clamp(1.0, 16_384.0) as u32,
    );
    let mut pixmap = tiny_skia::Pixmap::new(w, h)
        .ok_or_else(|| anyhow::anyhow!("cannot draw a formula of {w}x{h}"))?;
    resvg::render(
        &svg_tree,
        tiny_skia::Transform::from_scale(scale, scale),
        &mut pixmap.as_mut(),
    );
    let mut out = image::RgbaImage::new(w, h);
    for (dst, src) in out.pixels_mut().zip(pixmap.pixels()) {
        let c = src.demultiply();
        *dst = image::Rgba([c.red(), c.green(), c.blue(), c.alpha()]);
    }
    // The SVG's height is the box's height plus depth: the baseline sits at its height.
    let total = em(&tree.height) + em(&tree.depth);
    let ascent = if total > 0.0 {
        h as f32 * em(&tree.height) / total
    } else {
        h as f32
    };
    Ok(Formula { image: out, ascent })
}

/// A plain-text rendering of TeX math with Unicode symbols, for slides.
pub fn to_unicode(tex: &str) -> String {
    let chars: Vec<char> = tex.chars().collect();
    let mut parser = Parser { chars, at: 0 };
    let out = parser.sequence(None);
    out.split_whitespace().collect::<Vec<_>>().join(" ")
}

struct Parser {
    chars: Vec<char>,
    at: usize,
}

impl Parser {
    fn peek(&self) -> Option<char> {
        self.chars.get(self.at).copied()
    }

    /// Everything up to `close` (or the end).
    fn sequence(&mut self, close: Option<char>) -> String {
        let mut out = String::new();
        while let Some(c) = self.peek() {
            if Some(c) == close {
                self.at += 1;
                return out;
            }
            match c {
                '^' | '_' => {
                    self.at += 1;
                    let arg = self.argument();
                    out.push_str(&script(&arg, c == '^'));
                }
                _ => out.push_str(&self.atom()),
            }
        }
        out
    }

    /// One unit: a group, a command with its arguments, or a character.
    fn atom(&mut self) -> String {
        let Some(c) = self.peek() else {
            return String::new();
        };
        self.at += 1;
        match c {
            '{' => self.sequence(Some('}')),
            '\\' => self.command(),
            '~' => " ".into(),
            '&' => "  ".into(),
            '*' => "∗".into(),
            '-' => "−".into(),
            '\'' => "′".into(),
            c => c.to_string(),
        }
    }

    /// A command's argument: a group or a single atom.
    fn argument(&mut self) -> String {
        while self.peek() == Some(' ') {
            self.at += 1;
        }
        self.atom()
    }

    fn command(&mut self) -> String {
        let start = self.at;
        while self.peek().is_some_and(|c| c.is_ascii_alphabetic()) {
            self.at += 1;
        }
        if self.at == start {
            // A one-character command: \, \; \! \{ \} \\ ...
            let Some(c) = self.peek() else {
                return String::new();
            };
            self.at += 1;
            return match c {
                ',' | ':' | ';' | ' ' => " ".into(),
                '!' => String::new(),
                '\\' => "; ".into(),
                c => c.to_string(),
            };
        }
        let name: String = self.chars[start..self.at].iter().collect();
        match name.as_str() {
            "frac" | "dfrac" | "tfrac" => {
                let (a, b) = (self.argument(), self.argument());
                format!("{}/{}", wrap(&a), wrap(&b))
            }
            "sqrt" => {
                let root = if self.peek() == Some('[') {
                    self.at += 1;
                    script(&self.sequence(Some(']')), true)
                } else {
                    String::new()
                };
                let arg = self.argument();
                format!("{root}√{}", wrap(&arg))
            }
            "text" | "mathrm" | "mathit" | "mathbf" | "mathsf" | "mathtt" | "operatorname"
            | "textbf" | "textit" | "boldsymbol" | "bm" => self.argument(),
            "mathbb" => self.argument().chars().map(double_struck).collect(),
            "mathcal" => self.argument(),
            "overline" | "bar" => format!("{}\u{305}", self.argument()),
            "hat" => format!("{}\u{302}", self.argument()),
            "vec" => format!("{}\u{20d7}", self.argument()),
            "dot" => format!("{}\u{307}", self.argument()),
            "tilde" => format!("{}\u{303}", self.argument()),
            "left" | "right" | "big" | "Big" | "bigg" | "Bigg" | "displaystyle" | "limits" => {
                String::new()
            }
            "begin" | "end" => {
                self.argument();
                String::new()
            }
            "quad" | "qquad" => "  ".into(),
            other => symbol(other).map_or_else(|| other.to_string(), str::to_string),
        }
    }
}

/// Parenthesises a fraction part or root argument longer than one symbol.
fn wrap(text: &str) -> String {
    if text.chars().count() <= 1 || text.chars().all(|c| c.is_alphanumeric()) {
        text.to_string()
    } else {
        format!("({text})")
    }
}

/// Superscript or subscript: Unicode script characters when every character has one, else
/// `^(...)` / `_(...)`.
fn script(text: &str, up: bool) -> String {
    let mapped: Option<String> = text
        .chars()
        .map(|c| if up { superscript(c) } else { subscript(c) })
        .collect();
    match mapped {
        Some(s) if !s.is_empty() => s,
        _ if text.chars().count() == 1 && up => format!("^{text}"),
        _ if text.chars().count() == 1 => format!("_{text}"),
        _ => format!("{}({text})", if up { '^' } else { '_' }),
    }
}

fn superscript(c: char) -> Option<char> {
    Some(match c {
        '0' => '⁰',
        '1' => '¹',
        '2' => '²',
        '3' => '³',
        '4' => '⁴',
        '5' => '⁵',
        '6' => '⁶',
        '7' => '⁷',
        '8' => '⁸',
        '9' => '⁹',
        '+' => '⁺',
        '-' | '−' => '⁻',
        '=' => '⁼',
        '(' => '⁽',
        ')' => '⁾',
        'n' => 'ⁿ',
        'i' => 'ⁱ',
        'a' => 'ᵃ',
        'b' => 'ᵇ',
        'c' => 'ᶜ',
        'd' => 'ᵈ',
        'e' => 'ᵉ',
        'k' => 'ᵏ',
        'm' => 'ᵐ',
        'T' => 'ᵀ',
        'x' => 'ˣ',
        'y' => 'ʸ',
        '′' => '′',
        '∗' => '*',
        _ => return None,
    })
}

fn subscript(c: char) -> Option<char> {
    Some(match c {
        '0' => '₀',
        '1' => '₁',
        '2' => '₂',
        '3' => '₃',
        '4' => '₄',
        '5' => '₅',
        '6' => '₆',
        '7' => '₇',
        '8' => '₈',
        '9' => '₉',
        '+' => '₊',
        '-' | '−' => '₋',
        '=' => '₌',
        '(' => '₍',
        ')' => '₎',
        'a' => 'ₐ',
        'e' => 'ₑ',
        'h' => 'ₕ',
        'i' => 'ᵢ',
        'j' => 'ⱼ',
        'k' => 'ₖ',
        'l' => 'ₗ',
        'm' => 'ₘ',
        'n' => 'ₙ',
        'o' => 'ₒ',
        'p' => 'ₚ',
        'r' => 'ᵣ',
        's' => 'ₛ',
        't' => 'ₜ',
        'u' => 'ᵤ',
        'v' => 'ᵥ',
        'x' => 'ₓ',
        _ => return None,
    })
}

fn double_struck(c: char) -> char {
    match c {
        'R' => 'ℝ',
        'N' => 'ℕ',
        'Z' => 'ℤ',
        'Q' => 'ℚ',
        'C' => 'ℂ',
        'P' => 'ℙ',
        'E' => '𝔼',
        c => c,
    }
}

/// Symbols by command name.
fn symbol(name: &str) -> Option<&'static str> {
    #[rustfmt::skip]
    const TABLE: &[(&str, &str)] = &[
        ("alpha", "α"), ("beta", "β"), ("gamma", "γ"), ("delta", "δ"), ("epsilon", "ϵ"),
        ("varepsilon", "ε"), ("zeta", "ζ"), ("eta", "η"), ("theta", "θ"), ("vartheta", "ϑ"),
        ("iota", "ι"), ("kappa", "κ"), ("lambda", "λ"), ("mu", "μ"), ("nu", "ν"), ("xi", "ξ"),
        ("pi", "π"), ("varpi", "ϖ"), ("rho", "ρ"), ("sigma", "σ"), ("tau", "τ"),
        ("upsilon", "υ"), ("phi", "ϕ"), ("varphi", "φ"), ("chi", "χ"), ("psi", "ψ"),
        ("omega", "ω"), ("Gamma", "Γ"), ("Delta", "Δ"), ("Theta", "Θ"), ("Lambda", "Λ"),
        ("Xi", "Ξ"), ("Pi", "Π"), ("Sigma", "Σ"), ("Upsilon", "Υ"), ("Phi", "Φ"),
        ("Psi", "Ψ"), ("Omega", "Ω"), ("cdot", "·"), ("times", "×"), ("div", "÷"),
        ("pm", "±"), ("mp", "∓"), ("le", "≤"), ("leq", "≤"), ("ge", "≥"), ("geq", "≥"),
        ("ne", "≠"), ("neq", "≠"), ("approx", "≈"), ("equiv", "≡"), ("sim", "∼"),
        ("simeq", "≃"), ("propto", "∝"), ("infty", "∞"), ("partial", "∂"), ("nabla", "∇"),
        ("sum", "∑"), ("prod", "∏"), ("int", "∫"), ("iint", "∬"), ("oint", "∮"),
        ("in", "∈"), ("notin", "∉"), ("ni", "∋"), ("subset", "⊂"), ("subseteq", "⊆"),
        ("supset", "⊃"), ("supseteq", "⊇"), ("cup", "∪"), ("cap", "∩"), ("setminus", "∖"),
        ("emptyset", "∅"), ("varnothing", "∅"), ("forall", "∀"), ("exists", "∃"),
        ("neg", "¬"), ("lnot", "¬"), ("land", "∧"), ("wedge", "∧"), ("lor", "∨"),
        ("vee", "∨"), ("oplus", "⊕"), ("otimes", "⊗"), ("to", "→"), ("rightarrow", "→"),
        ("leftarrow", "←"), ("gets", "←"), ("leftrightarrow", "↔"), ("Rightarrow", "⇒"),
        ("implies", "⇒"), ("Leftarrow", "⇐"), ("Leftrightarrow", "⇔"), ("iff", "⇔"),
        ("mapsto", "↦"), ("uparrow", "↑"), ("downarrow", "↓"), ("ldots", "…"),
        ("dots", "…"), ("cdots", "⋯"), ("vdots", "⋮"), ("ddots", "⋱"), ("langle", "⟨"),
        ("rangle", "⟩"), ("lfloor", "⌊"), ("rfloor", "⌋"), ("lceil", "⌈"), ("rceil", "⌉"),
        ("ell", "ℓ"), ("hbar", "ℏ"), ("circ", "∘"), ("degree", "°"), ("prime", "′"),
        ("perp", "⊥"), ("parallel", "∥"), ("angle", "∠"), ("star", "⋆"), ("ast", "∗"),
        ("bullet", "•"), ("mid", "∣"), ("vert", "|"), ("Vert", "‖"), ("lVert", "‖"),
        ("rVert", "‖"), ("log", "log"), ("ln", "ln"), ("exp", "exp"), ("sin", "sin"),
        ("cos", "cos"), ("tan", "tan"), ("lim", "lim"), ("max", "max"), ("min", "min"),
        ("det", "det"), ("arg", "arg"), ("sup", "sup"), ("inf", "inf"), ("ll", "≪"),
        ("gg", "≫"), ("aleph", "ℵ"), ("Re", "ℜ"), ("Im", "ℑ"), ("top", "⊤"), ("bot", "⊥"),
        ("{", "{"), ("}", "}"),
    ];
    TABLE.iter().find(|(n, _)| *n == name).map(|(_, s)| *s)
}
