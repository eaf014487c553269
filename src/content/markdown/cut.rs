//! Where slides start: a title slide from the front matter (or a leading `#` heading), then
//! each heading at the slide level and each `---` break; notes without either are cut at
//! their own section markers (bold lines, a line ending with a colon before a list), and
//! what comes before the first slide heading stays on the title slide only when it is a short
//! lead sentence.

use pulldown_cmark::{Event, Tag, TagEnd};

use super::{count_words, note_start, plain_text, Raw, Top};
use crate::content::{LectureSource, LoadOptions, Meta, SlideKind};

/// The slides of `tops` before their blocks are built (the title slide first); `meta` gets
/// the title when the front matter has none. What the `deck` says: whether what precedes the
/// first slide break is the deck's cover, all of it on the title slide; whether every heading
/// makes a slide (prose shown as points, see [`nest`]); whether only breaks make slides.
pub(super) fn cut<'a>(
    mut tops: Vec<Top<'a>>,
    body_start: usize,
    meta: &mut Meta,
    source: &LectureSource,
    options: &LoadOptions,
    deck: &super::Deck,
) -> Vec<Raw<'a>> {
    let (cover, sections) = (deck.cover, deck.points);
    take_title(&mut tops, meta, cover);
    let untitled = meta.title.is_empty();
    if untitled {
        meta.title = source
            .file
            .file_stem()
            .map(|s| s.to_string_lossy().replace(['-', '_'], " "))
            .unwrap_or_default();
    }

    let level = match meta.slide_level {
        Some(level) => level,
        None if sections => 6,
        // A heading inside a slide of a deck cut at breaks is the slide's content.
        None if deck.breaks_only && tops.iter().any(|t| t.rule) => 0,
        None => slide_level(&tops),
    };
    let mut raws = vec![Raw {
        kind: SlideKind::Title,
        title: meta.title.clone(),
        start: body_start,
        from_break: false,
        level: 0,
        parent: None,
        tops: Vec::new(),
    }];
    // A deck cut at breaks whose title slide is not its first (a GTN deck's layout makes the
    // title slide): what precedes the first break is a slide like the others.
    if deck.breaks_only && !cover && level == 0 {
        raws.push(Raw {
            kind: SlideKind::Content,
            title: String::new(),
            start: body_start,
            from_break: true,
            level: 0,
            parent: None,
            tops: Vec::new(),
        });
    }
    let tops = if tops.iter().any(|t| t.heading.is_some() || t.rule) {
        tops
    } else {
        // Notes without headings or breaks: their own section markers make the slides.
        prose_sections(tops, options.max_words_per_page)
    };
    for top in tops {
        let Some(current) = raws.last_mut() else {
            continue;
        };
        if top.rule {
            raws.push(Raw {
                kind: SlideKind::Content,
                title: String::new(),
                start: top.start(),
                from_break: true,
                level: 0,
                parent: None,
                tops: Vec::new(),
            });
            continue;
        }
        if let Some((l, heading)) = &top.heading {
            // A break's first heading titles its slide, after any comments (Marp's spot
            // directives, notes) and background pictures that stand before it.
            if current.from_break && current.tops.iter().all(is_setting) && current.title.is_empty()
            {
                current.title = heading.clone();
                continue;
            }
            if *l <= level {
                raws.push(Raw {
                    kind: SlideKind::Content,
                    title: heading.clone(),
                    start: top.start(),
                    from_break: false,
                    level: *l,
                    parent: None,
                    tops: Vec::new(),
                });
                continue;
            }
        }
        current.tops.push(top);
    }

    if cover && untitled && deck.settings_make_no_slide {
        skip_blank_cover(&mut raws, meta);
    }
    // A deck whose first slide is its cover (Marp, Slidev) keeps that slide's content on the
    // title slide.
    if !cover {
        introduction(&mut raws, &meta.lang);
    }
    if sections {
        nest(&mut raws);
    }
    raws
}

/// The title from a leading `#` heading when the front matter has none (one that repeats the
/// front matter's title is dropped too). On a cover, its first `#` heading, wherever it stands
/// (after a remark cover's `class: center`, a logo).
fn take_title(tops: &mut Vec<Top<'_>>, meta: &mut Meta, cover: bool) {
    let at = if cover {
        let mut cover_tops = tops.iter().take_while(|t| !t.rule);
        cover_tops
            .position(|t| matches!(t.heading, Some((1, _))))
            .unwrap_or(0)
    } else {
        0
    };
    if let Some(Top {
        heading: Some((1, heading)),
        ..
    }) = tops.get(at)
    {
        if meta.title.is_empty() || *heading == meta.title {
            meta.title = heading.clone();
            tops.remove(at);
        }
    }
}

/// A remark cover of settings only (a layout slide, an excluded one) is none: the slide after
/// it is the cover, its title the break's or else its first `#` heading (after a logo, say).
fn skip_blank_cover(raws: &mut Vec<Raw<'_>>, meta: &mut Meta) {
    let blank = raws.len() > 1 && raws[0].tops.iter().all(is_setting) && raws[1].from_break;
    if !blank {
        return;
    }
    let next = raws.remove(1);
    let first = &mut raws[0];
    first.tops.extend(next.tops);
    let h1 = first
        .tops
        .iter()
        .position(|t| matches!(t.heading, Some((1, _))));
    let title = match (next.title.is_empty(), h1) {
        (false, _) => Some(next.title),
        (true, Some(k)) => first.tops.remove(k).heading.map(|(_, h)| h),
        (true, None) => None,
    };
    if let Some(title) = title {
        first.title = title;
        meta.title = first.title.clone();
    }
}

/// Sections under sections: a slide opened by a heading names the heading it sits under
/// (drawn above its title), and a heading with nothing under it before a deeper one makes no
/// slide of its own (no page holds only a heading): the slides under it name it.
fn nest(raws: &mut Vec<Raw<'_>>) {
    let mut open: Vec<(u8, String)> = Vec::new();
    for raw in raws.iter_mut() {
        if raw.level == 0 {
            if raw.from_break {
                open.clear();
            }
            continue;
        }
        while open.last().is_some_and(|(l, _)| *l >= raw.level) {
            open.pop();
        }
        raw.parent = open.last().map(|(_, title)| title.clone());
        open.push((raw.level, raw.title.clone()));
    }
    let empty: Vec<bool> = (0..raws.len())
        .map(|i| {
            let raw = &raws[i];
            let deeper_next = raws
                .get(i + 1)
                .is_some_and(|next| raw.level > 0 && next.level > raw.level);
            raw.kind == SlideKind::Content && deeper_next && raw.tops.iter().all(is_setting)
        })
        .collect();
    let mut i = 0;
    raws.retain(|_| {
        i += 1;
        !empty[i - 1]
    });
}

/// Words of a lead sentence that may stay on the title slide.
const LEAD_WORDS: usize = 20;

/// Content before the first slide heading: a short lead sentence stays on the title slide;
/// anything more becomes the first content slide, titled by its first bold line or
/// "Introduction" in the lecture's language.
fn introduction(raws: &mut Vec<Raw<'_>>, lang: &str) {
    let Some(title) = raws.first_mut() else {
        return;
    };
    let shown: Vec<&Top<'_>> = title
        .tops
        .iter()
        .take_while(|t| note_start(&t.events).is_none())
        .filter(|t| !is_comment(t))
        .collect();
    let lead = match shown.as_slice() {
        [] => true,
        [only] => {
            let text = plain_text(&only.events);
            matches!(only.events.first(), Some((Event::Start(Tag::Paragraph), _)))
                && count_words(&text) <= LEAD_WORDS
                && crate::reading::chunks(&text).len() <= 1
        }
        _ => false,
    };
    if lead {
        return;
    }
    // Directives before any content stay with the title slide.
    let keep = title.tops.iter().take_while(|t| is_comment(t)).count();
    let mut tops = title.tops.split_off(keep);
    let start = tops.first().map_or(title.start, Top::start);
    let intro_title = match tops.first().and_then(section_title) {
        Some((heading, rest)) => {
            tops.remove(0);
            if let Some(rest) = rest {
                tops.insert(0, rest);
            }
            heading
        }
        None => crate::labels::for_lang(lang).introduction.to_string(),
    };
    raws.insert(
        1,
        Raw {
            kind: SlideKind::Content,
            title: intro_title,
            start,
            from_break: false,
            level: 0,
            parent: None,
            tops,
        },
    );
}

/// A comment or a paragraph of background pictures only (`![bg](...)`): the slide's settings,
/// not its content.
pub(super) fn is_setting(top: &Top<'_>) -> bool {
    if is_comment(top) {
        return true;
    }
    let mut images = 0;
    let mut in_image = false;
    for (event, _) in &top.events {
        match event {
            Event::Start(Tag::Image { .. }) => {
                images += 1;
                in_image = true;
            }
            Event::End(TagEnd::Image) => in_image = false,
            Event::Text(t) if in_image => {
                if t.split_whitespace().next() != Some("bg") {
                    return false;
                }
            }
            Event::Start(Tag::Paragraph) | Event::End(TagEnd::Paragraph) | Event::SoftBreak => {}
            Event::Text(t) if t.trim().is_empty() => {}
            _ if in_image => {}
            _ => return false,
        }
    }
    images > 0
}

/// An HTML comment on its own (a directive or a note), not content.
fn is_comment(top: &Top<'_>) -> bool {
    let html = top.events.iter().find_map(|(e, _)| match e {
        Event::Html(h) | Event::InlineHtml(h) => Some(h),
        _ => None,
    });
    let only_html = top.events.iter().all(|(e, _)| {
        matches!(
            e,
            Event::Html(_)
                | Event::InlineHtml(_)
                | Event::Start(Tag::HtmlBlock | Tag::Paragraph)
                | Event::End(TagEnd::HtmlBlock | TagEnd::Paragraph)
                | Event::SoftBreak
        )
    });
    only_html && html.is_some_and(|h| h.trim_start().starts_with("<!--"))
}

/// Splits notes that have no headings into sections at their visible markers: a paragraph
/// that is only bold text (optionally numbered), or whose first line is, and a line ending
/// with a colon followed by a list. Without any marker, paragraphs are grouped into slides of
/// about `max_words` words. Each section starts with a synthetic heading top.
fn prose_sections(tops: Vec<Top<'_>>, max_words: usize) -> Vec<Top<'_>> {
    let marked = |i: usize, tops: &[Top<'_>]| {
        section_title(&tops[i]).is_some() || colon_before_list(tops, i).is_some()
    };
    let notes_from = tops
        .iter()
        .position(|t| note_start(&t.events).is_some())
        .unwrap_or(tops.len());
    let colon_lines: Vec<bool> = (0..tops.len())
        .map(|i| i < notes_from && colon_before_list(&tops, i).is_some())
        .collect();
    let any_marker = (0..notes_from).any(|i| marked(i, &tops));
    let mut out = Vec::new();
    if any_marker {
        for (i, top) in tops.into_iter().enumerate() {
            if i >= notes_from {
                out.push(top);
                continue;
            }
            if let Some((heading, rest)) = section_title(&top) {
                out.push(heading_top(&top, heading));
                out.extend(rest);
            } else if colon_lines[i] {
                let text = plain_text(&top.events);
                let heading = text.trim_end_matches([':', '：']).trim().to_string();
                out.push(heading_top(&top, heading));
            } else {
                out.push(top);
            }
        }
        return out;
    }
    // No markers: groups of paragraphs that fit a page, each an untitled slide.
    let mut words = 0;
    for (i, top) in tops.into_iter().enumerate() {
        let w = count_words(&plain_text(&top.events));
        if i < notes_from && words > 0 && words + w > max_words {
            let range = top.events.first().map_or(0..0, |(_, r)| r.clone());
            out.push(Top {
                events: vec![(Event::Rule, range)],
                heading: None,
                rule: true,
            });
            words = 0;
        }
        words += w;
        out.push(top);
    }
    out
}

/// A heading top at `at`'s place, titled `title` (a section found in prose).
fn heading_top<'a>(at: &Top<'a>, title: String) -> Top<'a> {
    let range = at.events.first().map_or(0..0, |(_, r)| r.clone());
    Top {
        events: vec![(Event::Rule, range)],
        heading: Some((0, title)),
        rule: false,
    }
}

/// The title of a section marker paragraph: a paragraph that is only bold text, or whose
/// first line is bold text followed by a line break. Returns the title (without a trailing
/// colon) and, for the second kind, the rest of the paragraph as a paragraph of its own.
fn section_title<'a>(top: &Top<'a>) -> Option<(String, Option<Top<'a>>)> {
    let events = &top.events;
    if !matches!(events.first(), Some((Event::Start(Tag::Paragraph), _))) {
        return None;
    }
    if !matches!(events.get(1), Some((Event::Start(Tag::Strong), _))) {
        return None;
    }
    let mut depth = 0;
    let mut end = None;
    for (i, (event, _)) in events.iter().enumerate().skip(1) {
        match event {
            Event::Start(_) => depth += 1,
            Event::End(_) => {
                depth -= 1;
                if depth == 0 {
                    end = Some(i);
                    break;
                }
            }
            _ => {}
        }
    }
    let end = end?;
    let title = plain_text(&events[2..end]);
    let title = title
        .trim()
        .trim_end_matches([':', '：'])
        .trim()
        .to_string();
    if title.is_empty() || count_words(&title) > 20 {
        return None;
    }
    // What follows the bold run: nothing (then the paragraph's end), or a line break.
    let mut i = end + 1;
    while matches!(events.get(i), Some((Event::Text(t), _)) if t.trim().is_empty()) {
        i += 1;
    }
    match events.get(i) {
        Some((Event::End(TagEnd::Paragraph), _)) => Some((title, None)),
        Some((Event::SoftBreak | Event::HardBreak, _)) => {
            let rest_events = &events[i + 1..];
            let mut rest = vec![events[0].clone()];
            rest.extend(rest_events.iter().cloned());
            let rest = Top {
                events: rest,
                heading: None,
                rule: false,
            };
            let empty = plain_text(&rest.events).is_empty();
            Some((title, (!empty).then_some(rest)))
        }
        _ => None,
    }
}

/// Whether top `i` is a paragraph ending with a colon that a list follows.
fn colon_before_list(tops: &[Top<'_>], i: usize) -> Option<()> {
    let top = tops.get(i)?;
    let next = tops.get(i + 1)?;
    let is_para = matches!(top.events.first(), Some((Event::Start(Tag::Paragraph), _)));
    let is_list = matches!(next.events.first(), Some((Event::Start(Tag::List(_)), _)));
    let text = plain_text(&top.events);
    (is_para && is_list && text.ends_with([':', '：']) && count_words(&text) <= 20).then_some(())
}

/// The highest heading level that is directly followed by content (pandoc's rule); with no
/// such heading, the deepest level present, else 1.
fn slide_level(tops: &[Top<'_>]) -> u8 {
    let followed = tops.windows(2).filter_map(|pair| {
        let (l, _) = pair[0].heading.as_ref()?;
        let next = &pair[1];
        (next.heading.is_none() && !next.rule).then_some(*l)
    });
    // With no heading followed by content (a run of section titles), every heading is a
    // slide: the deepest level present.
    followed
        .min()
        .or_else(|| {
            tops.iter()
                .filter_map(|t| t.heading.as_ref().map(|h| h.0))
                .max()
        })
        .unwrap_or(1)
}
