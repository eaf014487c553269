//! Pictures in raw HTML: `<img src=... alt=... width=...>`, as Jekyll pages and remark decks
//! (the Galaxy Training Network's) write them. They are figures like markdown's `![alt](src)`;
//! the rest of the HTML is left to the page.

use std::ops::Range;

/// An `<img>` tag: where it stands in its HTML, and what it says.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct HtmlImage {
    /// The tag's bytes in the HTML.
    pub(super) range: Range<usize>,
    /// `src`.
    pub(super) src: String,
    /// `alt` (empty without one).
    pub(super) alt: String,
    /// `width` as a share of the text's width, in percent (a page's text is taken as 800
    /// pixels wide: `width="400"` is half of it, `width="50%"` too).
    pub(super) width: Option<u16>,
}

/// A page's text width in CSS pixels, for `width` given in pixels.
const PAGE_TEXT_PX: f32 = 800.0;

/// The `<img>` tags of `html` that have a `src`, in order.
pub(super) fn images(html: &str) -> Vec<HtmlImage> {
    let lower = html.to_ascii_lowercase();
    let mut out = Vec::new();
    let mut from = 0;
    while let Some(found) = lower[from..].find("<img") {
        let start = from + found;
        let after = start + 4;
        from = after;
        let named = html[after..].starts_with(|c: char| c.is_whitespace() || c == '/' || c == '>');
        if !named {
            continue;
        }
        let Some((attributes, len)) = attributes(&html[after..]) else {
            break;
        };
        from = after + len;
        let get = |name: &str| {
            attributes
                .iter()
                .find(|(n, _)| n.eq_ignore_ascii_case(name))
                .map(|(_, v)| v.clone())
        };
        let Some(src) = get("src").filter(|s| !s.trim().is_empty()) else {
            continue;
        };
        out.push(HtmlImage {
            range: start..from,
            src,
            alt: get("alt").unwrap_or_default(),
            width: get("width").and_then(|w| share(&w)),
        });
    }
    out
}

/// A `width` attribute as a percentage of the text's width: `50%`, `400`, `400px`.
fn share(width: &str) -> Option<u16> {
    let width = width.trim();
    let percent = match width.strip_suffix('%') {
        Some(p) => p.trim().parse::<f32>().ok()?,
        None => width.trim_end_matches("px").trim().parse::<f32>().ok()? / PAGE_TEXT_PX * 100.0,
    };
    (percent.is_finite() && percent > 0.0).then(|| percent.round().clamp(1.0, 100.0) as u16)
}

/// The attributes of a tag from just after its name, and the bytes up to and including its
/// `>`; `None` when the tag never closes.
fn attributes(tag: &str) -> Option<(Vec<(String, String)>, usize)> {
    let bytes = tag.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    loop {
        while i < bytes.len() && (bytes[i].is_ascii_whitespace() || bytes[i] == b'/') {
            i += 1;
        }
        if *bytes.get(i)? == b'>' {
            return Some((out, i + 1));
        }
        let name_start = i;
        while i < bytes.len()
            && !matches!(bytes[i], b'=' | b'>' | b'/')
            && !bytes[i].is_ascii_whitespace()
        {
            i += 1;
        }
        let name = tag[name_start..i].to_string();
        while i < bytes.len() && bytes[i].is_ascii_whitespace() {
            i += 1;
        }
        let mut value = String::new();
        if bytes.get(i) == Some(&b'=') {
            i += 1;
            while i < bytes.len() && bytes[i].is_ascii_whitespace() {
                i += 1;
            }
            match bytes.get(i) {
                Some(&quote @ (b'"' | b'\'')) => {
                    let end = i + 1 + tag[i + 1..].find(quote as char)?;
                    value = tag[i + 1..end].to_string();
                    i = end + 1;
                }
                _ => {
                    let start = i;
                    while i < bytes.len() && bytes[i] != b'>' && !bytes[i].is_ascii_whitespace() {
                        i += 1;
                    }
                    value = tag[start..i].to_string();
                }
            }
        }
        out.push((name, value.replace("&amp;", "&")));
    }
}

/// The text of a `<pre>` block (a diagram drawn in characters, a listing): its tags dropped,
/// its character references decoded, the blank lines at its edges trimmed. `None` when `html`
/// is not a `<pre>` block.
pub(super) fn preformatted(html: &str) -> Option<String> {
    let trimmed = html.trim_start();
    let lower = trimmed.to_ascii_lowercase();
    let named = lower.starts_with("<pre")
        && lower[4..].starts_with(|c: char| c.is_whitespace() || c == '>');
    if !named {
        return None;
    }
    let open_end = trimmed.find('>')? + 1;
    let close = lower.rfind("</pre>").unwrap_or(trimmed.len());
    let inner = trimmed.get(open_end..close.max(open_end))?;
    // Tags go (`<strong>`, `</code>`); a `<` that opens none (`o <-- o`) is text.
    let mut text = String::new();
    let mut rest = inner;
    while let Some(at) = rest.find('<') {
        text.push_str(&rest[..at]);
        let after = &rest[at + 1..];
        let opens = after.starts_with(|c: char| c.is_ascii_alphabetic() || c == '/' || c == '!');
        match after.find('>').filter(|_| opens) {
            Some(close) => rest = &after[close + 1..],
            None => {
                text.push('<');
                rest = after;
            }
        }
    }
    text.push_str(rest);
    let text = decode_entities(&text);
    let lines: Vec<&str> = text.lines().collect();
    let first = lines.iter().position(|l| !l.trim().is_empty())?;
    let last = lines.iter().rposition(|l| !l.trim().is_empty())?;
    Some(lines[first..=last].join("\n"))
}

/// `&lt;`, `&gt;`, `&amp;`, `&quot;`, `&apos;`, `&nbsp;` and numeric references decoded;
/// anything else kept as written.
pub(in crate::content) fn decode_entities(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find('&') {
        out.push_str(&rest[..at]);
        rest = &rest[at..];
        let Some(end) = rest[1..].find(';').map(|e| e + 1).filter(|&e| e <= 10) else {
            out.push('&');
            rest = &rest[1..];
            continue;
        };
        let name = &rest[1..end];
        let decoded = match name {
            "lt" => Some('<'),
            "gt" => Some('>'),
            "amp" => Some('&'),
            "quot" => Some('"'),
            "apos" => Some('\''),
            "nbsp" => Some(' '),
            _ => name
                .strip_prefix("#x")
                .or_else(|| name.strip_prefix("#X"))
                .and_then(|hex| u32::from_str_radix(hex, 16).ok())
                .or_else(|| name.strip_prefix('#').and_then(|d| d.parse().ok()))
                .and_then(char::from_u32),
        };
        match decoded {
            Some(c) => {
                out.push(c);
                rest = &rest[end + 1..];
            }
            None => {
                out.push('&');
                rest = &rest[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

/// `text` in superscript characters when it has one for each of its characters (digits,
/// `+`, `-`, `n`, `i`), else as it is.
pub(super) fn superscript(text: &str) -> String {
    const FROM: &str = "0123456789+-ni()=";
    const TO: [char; 17] = [
        '⁰', '¹', '²', '³', '⁴', '⁵', '⁶', '⁷', '⁸', '⁹', '⁺', '⁻', 'ⁿ', 'ⁱ', '⁽', '⁾', '⁼',
    ];
    let raised: Option<String> = text
        .chars()
        .map(|c| FROM.find(c).map(|i| TO[FROM[..i].chars().count()]))
        .collect();
    raised.unwrap_or_else(|| text.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn img_tags_give_their_source_alt_and_width() {
        let html = "<p>A <IMG src=\"figures/a.png\" alt='The &amp; figure' width=\"50%\"/> and \
                    <img alt=x src=b.svg width=400px> <image src=\"no\"> <img alt=\"no source\"></p>";
        let found = images(html);
        assert_eq!(found.len(), 2, "{found:?}");
        assert_eq!(found[0].src, "figures/a.png");
        assert_eq!(found[0].alt, "The & figure");
        assert_eq!(found[0].width, Some(50));
        assert_eq!(
            &html[found[0].range.clone()],
            "<IMG src=\"figures/a.png\" alt='The &amp; figure' width=\"50%\"/>"
        );
        assert_eq!(
            (found[1].src.as_str(), found[1].alt.as_str(), found[1].width),
            ("b.svg", "x", Some(50))
        );
        assert_eq!(images("<img src=\"never closed"), Vec::new());
        assert_eq!(share("2000"), Some(100));
        assert_eq!(share("wide"), None);
    }
}
