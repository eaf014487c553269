//! The pronunciation lexicon: `lexicon.toml` in the course folder, per language, word or
//! pattern -> what the voice should say. Applied to what is spoken, never to captions or
//! slides (the Galaxy Training Network keeps one: "nginx" -> "engine X").
//!
//! ```toml
//! [en]
//! nginx = "engine X"
//! "/\\bk8s\\b/" = "kubernetes"   # a regular expression between slashes
//!
//! ["*"]                          # every language
//! lecturegen = "lecture gen"
//! ```
//!
//! Plain words match whole words, ignoring case.

use std::collections::BTreeMap;

use regex::Regex;

use crate::diag::Diagnostic;

/// The file name, in the course folder.
pub const FILE_NAME: &str = "lexicon.toml";

/// Replacements by language (`*` for all), in file order.
#[derive(Debug, Clone, Default)]
pub struct Lexicon {
    entries: Vec<(String, Regex, String)>,
    /// A digest of the entries: part of every spoken sentence's cache key.
    digest: String,
}

impl Lexicon {
    /// Parses the text of `lexicon.toml`; `file` names it in errors.
    pub fn parse(file: &str, text: &str) -> Result<Self, Diagnostic> {
        let table: toml::Table = toml::from_str(text).map_err(|e| {
            Diagnostic::error_at(
                file,
                text,
                e.span().map_or(0, |s| s.start),
                e.message().to_string(),
            )
        })?;
        let at = |needle: &str| text.find(needle).unwrap_or(0);
        let mut entries = Vec::new();
        for (lang, words) in &table {
            let toml::Value::Table(words) = words else {
                return Err(Diagnostic::error_at(
                    file,
                    text,
                    at(lang),
                    format!("`{lang}` must be a table of words: [{lang}] then word = \"spoken\""),
                ));
            };
            let mut ordered: BTreeMap<usize, (String, String)> = BTreeMap::new();
            for (word, spoken) in words {
                let toml::Value::String(spoken) = spoken else {
                    return Err(Diagnostic::error_at(
                        file,
                        text,
                        at(word),
                        format!("`{word}`: the spoken form must be a string"),
                    ));
                };
                ordered.insert(at(word), (word.clone(), spoken.clone()));
            }
            for (offset, (word, spoken)) in ordered {
                let pattern = match word.strip_prefix('/').and_then(|w| w.strip_suffix('/')) {
                    Some(re) if !re.is_empty() => re.to_string(),
                    _ => format!(r"(?i)\b{}\b", regex::escape(&word)),
                };
                let re = Regex::new(&pattern).map_err(|e| {
                    Diagnostic::error_at(file, text, offset, format!("`{word}`: {e}"))
                })?;
                entries.push((lang.to_ascii_lowercase(), re, spoken));
            }
        }
        let digest = crate::cache::digest(text.as_bytes());
        Ok(Self { entries, digest })
    }

    /// Identifies the lexicon's contents.
    pub fn digest(&self) -> &str {
        &self.digest
    }

    /// `text` as it should be spoken in `lang`.
    pub fn apply(&self, text: &str, lang: &str) -> String {
        let lang = lang.to_ascii_lowercase();
        let primary = lang.split(['-', '_']).next().unwrap_or("");
        let mut out = text.to_string();
        for (entry_lang, re, spoken) in &self.entries {
            if entry_lang == "*" || *entry_lang == lang || entry_lang == primary {
                out = re.replace_all(&out, spoken.as_str()).into_owned();
            }
        }
        out
    }
}
