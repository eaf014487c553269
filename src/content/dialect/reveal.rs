//! reveal.js's markdown: `Note:` starts the notes (the plain reader's), `<!-- .slide: -->`
//! sets the slide's attributes (a `data-background` picture becomes its background) and
//! `<!-- .element: -->` an element's (a `fragment` class marks a step); neither is a note.
//! Vertical slides (`--` between `---` breaks) are slides of their own.

use super::doc::attribute;
use super::{html, Doc};

pub(super) fn rewrite(doc: &mut Doc) {
    for i in 0..doc.len() {
        if doc.in_code(i) {
            continue;
        }
        let line = doc.line(i).to_string();
        let t = line.trim();
        if t == "--" {
            doc.set(i, "---");
            continue;
        }
        let Some(start) = line.find("<!-- .") else {
            continue;
        };
        let Some(len) = line[start..].find("-->") else {
            continue;
        };
        let comment = &line[start..start + len + 3];
        let inner = comment
            .trim_start_matches("<!--")
            .trim_end_matches("-->")
            .trim();
        let mut replacement = String::new();
        if inner.starts_with(".slide:") {
            let image = attribute(inner, "data-background-image")
                .or_else(|| attribute(inner, "data-background"))
                .filter(|v| looks_like_picture(v));
            if let Some(image) = image {
                replacement = format!("![bg]({image})");
            }
        } else if inner.starts_with(".element:") && inner.contains("fragment") {
            replacement = if line[..start].trim().is_empty() {
                "<!-- step -->".into()
            } else {
                String::new()
            };
        }
        let out = format!(
            "{}{replacement}{}",
            &line[..start],
            &line[start + len + 3..]
        );
        doc.set(i, out.trim_end().to_string());
    }
    html::unwrap(doc, &[]);
    doc.breaks_under_text();
}

/// Whether a `data-background` value names a picture rather than a colour.
fn looks_like_picture(value: &str) -> bool {
    let lower = value.to_ascii_lowercase();
    [".png", ".jpg", ".jpeg", ".gif", ".webp", ".svg"]
        .iter()
        .any(|ext| lower.split(['?', '#']).next().unwrap_or("").ends_with(ext))
}
