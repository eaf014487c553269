//! Code highlighting for slides: bat's grammar set (through two-face: TypeScript, TSX, Vue,
//! Kotlin, Swift, TOML and 200 more) on syntect, coloured from the theme's code palette (so
//! every colour is one the theme checked for contrast on its code panel).
//!
//! In: code text, the fence's language, the theme. Out: runs of text with a colour each.

use std::str::FromStr;
use std::sync::OnceLock;

use syntect::easy::HighlightLines;
use syntect::highlighting::{
    Color, ScopeSelectors, StyleModifier, Theme, ThemeItem, ThemeSettings,
};
use syntect::parsing::SyntaxSet;
use syntect::util::LinesWithEndings;

use crate::color::Rgb;
use crate::config::ThemeConfig;

fn syntaxes() -> &'static SyntaxSet {
    static SET: OnceLock<SyntaxSet> = OnceLock::new();
    SET.get_or_init(two_face::syntax::extra_newlines)
}

/// The grammar for a fence's language: by token (name or extension), with the names decks use
/// that the set spells otherwise; PHP as bare code (the `php` token is PHP inside HTML).
fn syntax_for<'s>(set: &'s SyntaxSet, lang: &str) -> Option<&'s syntect::parsing::SyntaxReference> {
    let lang = lang.trim().to_ascii_lowercase();
    let token = match lang.as_str() {
        "jsx" => "tsx",
        "mjs" | "cjs" | "javascript" => "js",
        "typescript" => "ts",
        "shell" | "console" | "zsh" | "shellscript" => "bash",
        "yml" => "yaml",
        "kt" | "kts" => "kotlin",
        "c++" | "cxx" => "cpp",
        "golang" => "go",
        "py3" | "python3" => "py",
        "php" => return set.find_syntax_by_scope(syntect::parsing::Scope::new("source.php").ok()?),
        other => other,
    };
    set.find_syntax_by_token(token)
}

fn syntect_color(c: Rgb) -> Color {
    let [r, g, b] = c.0;
    Color { r, g, b, a: 255 }
}

/// The theme's code palette as a syntect theme: which scopes get which colour.
fn palette(theme: &ThemeConfig) -> Theme {
    let rules: [(&str, Rgb); 7] = [
        ("comment, punctuation.definition.comment", theme.code_comment),
        ("string, punctuation.definition.string, constant.character.escape", theme.code_string),
        ("constant.numeric, constant.language, constant.character", theme.code_number),
        ("keyword, storage.modifier, storage.type.function, storage.type.struct, storage.type.enum, storage.type.impl, storage.type.trait, storage.type.class", theme.code_keyword),
        ("storage.type, entity.name.type, entity.name.class, support.type, support.class", theme.code_type),
        ("entity.name.function, support.function, variable.function, meta.function-call.generic", theme.code_function),
        ("keyword.operator, punctuation", theme.code_text),
    ];
    Theme {
        name: None,
        author: None,
        settings: ThemeSettings {
            foreground: Some(syntect_color(theme.code_text)),
            ..ThemeSettings::default()
        },
        scopes: rules
            .iter()
            .filter_map(|(scope, colour)| {
                Some(ThemeItem {
                    scope: ScopeSelectors::from_str(scope).ok()?,
                    style: StyleModifier {
                        foreground: Some(syntect_color(*colour)),
                        background: None,
                        font_style: None,
                    },
                })
            })
            .collect(),
    }
}

/// Whether syntect knows `lang` (a name like "Rust" or a token like "rs", "py", "sh").
pub fn known(lang: &str) -> bool {
    syntax_for(syntaxes(), lang).is_some()
}

/// Colours `code` as `lang` (plain text colour when the language is unknown or absent).
/// Runs keep their newlines; concatenated they give `code` back.
pub fn highlight(code: &str, lang: Option<&str>, theme: &ThemeConfig) -> Vec<(String, Rgb)> {
    let plain = || vec![(code.to_string(), theme.code_text)];
    let set = syntaxes();
    let Some(syntax) = lang.and_then(|l| syntax_for(set, l)) else {
        return plain();
    };
    let palette = palette(theme);
    let mut lines = HighlightLines::new(syntax, &palette);
    let mut runs: Vec<(String, Rgb)> = Vec::new();
    for line in LinesWithEndings::from(code) {
        let Ok(styled) = lines.highlight_line(line, set) else {
            return plain();
        };
        for (style, text) in styled {
            let c = style.foreground;
            let colour = Rgb([c.r, c.g, c.b]);
            match runs.last_mut() {
                Some((last, last_colour)) if *last_colour == colour => last.push_str(text),
                _ => runs.push((text.to_string(), colour)),
            }
        }
    }
    runs
}
