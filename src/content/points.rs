//! Prose shown as points (`[layout] prose = "points"`, the default for notes): each paragraph
//! of a slide the voice reads becomes one short point on the slide, while the voice reads the
//! paragraph in full. Lists, code, tables, formulas and pictures stay as the author wrote them;
//! a list item long enough to be prose gets a point too.
//!
//! A point is the author's own emphasis where there is one (a bold lead-in, the clause around
//! a bold phrase or a defined term, a sentence ending with a colon before a list), else the
//! lead sentence; either cut at a clause boundary to at most [`MAX_UNITS`] words (a character
//! of a script written without spaces counts half a word), never inside a word or a code span.
//! Each point is a step of its slide.

use super::{spans_text, Block, Slide, SlideKind, Span, Step};

/// Words a point holds at most.
pub const MAX_UNITS: f32 = 12.0;

/// Words that make a list item prose rather than a point of its own.
const PROSE_ITEM_UNITS: f32 = 2.0 * MAX_UNITS;

/// Gives each paragraph of prose on the slides whose text is read aloud (no speaker notes,
/// not silent) a point; on the others, the author's points give way to their paragraphs. In
/// prose, a comment is a remark the author hid from the page, not a script: a slide of prose
/// whose only notes are comments is read aloud.
pub(super) fn make(slides: &mut [Slide]) {
    for slide in slides.iter_mut() {
        let prose = slide
            .blocks
            .iter()
            .any(|b| matches!(b, Block::Paragraph(_)));
        if slide.notes_in_comments && prose {
            slide.notes.clear();
        }
        if slide.kind == SlideKind::Title || slide.silent || !slide.notes.is_empty() {
            unmake(std::slice::from_mut(slide));
            continue;
        }
        let mut steps = std::mem::take(&mut slide.steps);
        let count = slide.blocks.len();
        for i in 0..count {
            let before_list = matches!(slide.blocks.get(i + 1), Some(Block::List { .. }));
            match &mut slide.blocks[i] {
                block @ Block::Paragraph(_) => {
                    let Block::Paragraph(said) = std::mem::replace(block, Block::Quote(Vec::new()))
                    else {
                        continue;
                    };
                    *block = Block::Point {
                        shown: point(&said, before_list),
                        said,
                        authored: false,
                    };
                    steps.push(Step { block: i, item: 0 });
                }
                Block::Point { .. } => steps.push(Step { block: i, item: 0 }),
                Block::List { items, .. } => {
                    for (k, item) in items.iter_mut().enumerate() {
                        if prose_item(item) {
                            steps.push(Step { block: i, item: k });
                        }
                    }
                }
                _ => {}
            }
        }
        // The first block is shown with the slide: it starts no step.
        steps.retain(|s| *s != Step { block: 0, item: 0 });
        steps.sort_by_key(|s| (s.block, s.item));
        steps.dedup();
        slide.steps = steps;
    }
}

/// The paragraphs of a list item that reads as prose made points; whether it does.
fn prose_item(item: &mut [Block]) -> bool {
    let mut made = false;
    for block in item.iter_mut() {
        let long = match block {
            Block::Paragraph(spans) => units(&tokens(spans)) > PROSE_ITEM_UNITS,
            Block::Point { .. } => {
                made = true;
                false
            }
            _ => false,
        };
        if long {
            if let Block::Paragraph(said) = std::mem::replace(block, Block::Quote(Vec::new())) {
                *block = Block::Point {
                    shown: point(&said, false),
                    said,
                    authored: false,
                };
                made = true;
            }
        }
    }
    made
}

/// Points back into their paragraphs (the text shown as written): an author's points on a
/// slide that shows its text, or in a lecture read in full.
pub(super) fn unmake(slides: &mut [Slide]) {
    fn blocks(list: &mut Vec<Block>) {
        let old = std::mem::take(list);
        for block in old {
            match block {
                Block::Point { said, .. } if said.is_empty() => {}
                Block::Point { said, .. } => list.push(Block::Paragraph(said)),
                Block::List { start, mut items } => {
                    items.iter_mut().for_each(blocks);
                    list.push(Block::List { start, items });
                }
                Block::Quote(mut inner) => {
                    blocks(&mut inner);
                    list.push(Block::Quote(inner));
                }
                Block::Columns(mut columns) => {
                    columns.iter_mut().for_each(|c| blocks(&mut c.blocks));
                    list.push(Block::Columns(columns));
                }
                other => list.push(other),
            }
        }
    }
    for slide in slides {
        blocks(&mut slide.blocks);
    }
}

/// A word (or a character of a script written without spaces, or a code span) of a paragraph,
/// with its style.
#[derive(Debug, Clone)]
struct Token {
    text: String,
    bold: bool,
    italic: bool,
    code: bool,
    tex: Option<String>,
    /// A space stands before it.
    space: bool,
    /// A point may end before it (not inside a word or a code span).
    cut: bool,
    /// Words it counts for.
    units: f32,
}

/// Scripts written without spaces between words: a point may end between any two characters.
fn unspaced(c: char) -> bool {
    matches!(c as u32,
        0x3040..=0x30FF | 0x3400..=0x4DBF | 0x4E00..=0x9FFF | 0xF900..=0xFAFF | 0xAC00..=0xD7AF
        | 0x0E00..=0x0E7F | 0x20000..=0x2FFFF)
}

/// Punctuation of those scripts that closes what precedes it.
fn closing_mark(c: char) -> bool {
    matches!(
        c,
        '，' | '、' | '。' | '；' | '：' | '！' | '？' | '）' | '」' | '』' | '”'
    )
}

fn tokens(spans: &[Span]) -> Vec<Token> {
    let mut out: Vec<Token> = Vec::new();
    let mut space = false;
    for span in spans {
        let make = |text: String, space: bool, cut: bool, units: f32| Token {
            text,
            bold: span.bold,
            italic: span.italic,
            code: span.code,
            tex: span.tex.clone(),
            space,
            cut,
            units,
        };
        if span.code || span.tex.is_some() {
            // A code span is never cut, and counts the words it shows.
            let glued = !space && !out.is_empty();
            let shown = span.text.split_whitespace().count().max(1) as f32;
            out.push(make(span.text.clone(), space, !glued, shown));
            space = false;
            continue;
        }
        let mut word = String::new();
        let flush = |word: &mut String, out: &mut Vec<Token>, space: &mut bool| {
            if word.is_empty() {
                return;
            }
            let glued = !*space && !out.is_empty();
            out.push(make(std::mem::take(word), *space, !glued, 1.0));
            *space = false;
        };
        for c in span.text.chars() {
            if c.is_whitespace() {
                flush(&mut word, &mut out, &mut space);
                space = true;
            } else if unspaced(c) || closing_mark(c) {
                flush(&mut word, &mut out, &mut space);
                out.push(make(c.to_string(), space, !closing_mark(c), 0.5));
                space = false;
            } else {
                word.push(c);
            }
        }
        flush(&mut word, &mut out, &mut space);
    }
    // A glued run (`o`s, **bold**ed) counts as one word.
    for i in 1..out.len() {
        if !out[i].cut && out[i].units >= 1.0 && out[i - 1].units >= 1.0 {
            out[i].units = 0.0;
        }
    }
    out
}

fn units(tokens: &[Token]) -> f32 {
    tokens.iter().map(|t| t.units).sum()
}

/// Marks that end a sentence.
const SENTENCE_END: &[char] = &['.', '!', '?', '؟', '。', '！', '？', '…'];
/// Marks after which a clause ends.
const CLAUSE_END: &[char] = &[',', ';', ':', '،', '؛', '，', '、', '；', '：', '—', '–'];
/// Abbreviations whose full stop ends no sentence.
const ABBREVIATIONS: &[&str] = &[
    "e.g.", "i.e.", "etc.", "vs.", "cf.", "mr.", "mrs.", "dr.", "fig.", "eq.", "no.", "approx.",
];
/// Words a clause starts with: a point may end before them.
const CLAUSE_WORDS: &[&str] = &[
    "which",
    "that",
    "where",
    "when",
    "while",
    "because",
    "since",
    "although",
    "though",
    "but",
    "whereas",
    "so",
    "unless",
    "if",
    "and",
    "or",
    "as",
    "in",
    "within",
    "for",
    "by",
    "with",
    "from",
    "without",
    "using",
    "via",
    "into",
    "through",
    "حيث",
    "مما",
    "التي",
    "الذي",
    "الذين",
    "لكن",
    "بينما",
    "لأن",
    "عندما",
    "إذا",
    "ثم",
    "أو",
    "مثل",
    "مع",
];
/// Words a sentence starts with when its first clause leans on the next (the point is the
/// main clause after the comma).
const SUBORDINATE: &[&str] = &[
    "while", "although", "though", "because", "since", "if", "when", "whenever", "whereas",
    "unless", "whether", "despite", "given", "once", "after", "before", "as", "even", "in", "for",
    "by", "to", "with",
];
/// Words a cut point does not end on.
const DANGLING: &[&str] = &[
    "the", "a", "an", "of", "to", "and", "or", "in", "on", "for", "with", "by", "as", "at", "from",
    "that", "is", "are", "its", "their", "this", "some", "which", "be", "into", "than", "what",
    "how", "who", "why", "but", "so", "not", "also", "if", "when", "where", "while", "و", "في",
    "من", "على", "إلى", "أن",
];

fn bare(token: &Token) -> String {
    token
        .text
        .trim_matches(|c: char| !c.is_alphanumeric())
        .to_lowercase()
}

fn ends_with(token: &Token, marks: &[char]) -> bool {
    !token.code && token.text.ends_with(marks)
}

/// The token ranges of the paragraph's sentences.
fn sentences(tokens: &[Token]) -> Vec<std::ops::Range<usize>> {
    let mut out = Vec::new();
    let mut start = 0;
    for i in 0..tokens.len() {
        let next_cut = tokens.get(i + 1).is_none_or(|t| t.cut);
        let t = &tokens[i];
        let abbreviation = ABBREVIATIONS.contains(&t.text.to_lowercase().as_str())
            || (t.text.len() == 2 && t.text.ends_with('.'));
        if ends_with(t, SENTENCE_END) && next_cut && !abbreviation {
            out.push(start..i + 1);
            start = i + 1;
        }
    }
    if start < tokens.len() {
        out.push(start..tokens.len());
    }
    out
}

/// The point shown for a paragraph (`before_list`: a list follows it).
pub fn point(spans: &[Span], before_list: bool) -> Vec<Span> {
    let all = tokens(spans);
    if all.is_empty() {
        return Vec::new();
    }
    let sentences = sentences(&all);
    // A bold lead-in (`**Snapshots.** Git models...`) names the paragraph.
    let lead = all.iter().take_while(|t| t.bold).count();
    if lead > 0 && lead < all.len() && units(&all[..lead]) <= MAX_UNITS {
        return render(&all[..lead], false);
    }
    // Else the sentence holding the author's emphasis: a bold phrase, a defined term.
    let whole_bold = all.iter().all(|t| t.bold);
    let bold = (!whole_bold)
        .then(|| all.iter().position(|t| t.bold))
        .flatten();
    let defined = || {
        (0..all.len()).find(|&i| {
            all[i].italic
                && all
                    .get(i + 1)
                    .is_some_and(|n| matches!(bare(n).as_str(), "is" | "are" | "means" | "refers"))
        })
    };
    let colon = || {
        let last = sentences.last()?;
        (before_list && last.end > last.start && ends_with(&all[last.end - 1], &[':', '：']))
            .then_some(last.start)
    };
    let focus = bold.or_else(defined).or_else(colon).unwrap_or(0);
    let Some(sentence) = sentences.iter().find(|s| s.contains(&focus)).cloned() else {
        return render(&all, false);
    };
    shorten(&all[sentence.clone()], focus - sentence.start)
}

/// A sentence cut to a point around token `focus`.
fn shorten(sentence: &[Token], focus: usize) -> Vec<Span> {
    if units(sentence) <= MAX_UNITS {
        return render(sentence, false);
    }
    // Asides in brackets go first.
    let mut kept: Vec<Token> = Vec::new();
    let mut depth = 0usize;
    let mut focus_at = 0;
    for (i, t) in sentence.iter().enumerate() {
        let opens = !t.code && t.text.starts_with(['(', '（']);
        if opens {
            depth += 1;
        }
        if depth == 0 {
            if i == focus {
                focus_at = kept.len();
            }
            kept.push(t.clone());
        } else if i == focus {
            // The emphasis is inside the aside: keep it.
            return cut_at(sentence, focus);
        }
        if depth > 0 && !t.code && t.text.contains([')', '）']) {
            depth -= 1;
            // What is glued after the aside (its comma) stays.
            if let Some(rest) = t.text.rsplit([')', '）']).next().filter(|r| !r.is_empty()) {
                if let Some(last) = kept.last_mut() {
                    last.text.push_str(rest);
                }
            }
        }
    }
    if let Some(first) = kept.first_mut() {
        first.cut = true;
    }
    if units(&kept) <= MAX_UNITS {
        return render(&kept, false);
    }
    cut_at(&kept, focus_at)
}

/// Whether token `i` stands inside brackets or quotes opened before it.
fn enclosed(tokens: &[Token], i: usize) -> bool {
    let mut depth = 0i32;
    let mut quoted = false;
    for t in tokens.iter().take(i).filter(|t| !t.code) {
        for c in t.text.chars() {
            match c {
                '(' | '[' | '（' => depth += 1,
                ')' | ']' | '）' => depth -= 1,
                '"' | '“' | '”' | '«' | '»' => quoted = !quoted,
                _ => {}
            }
        }
    }
    depth > 0 || quoted
}

/// Where a clause may end: before token `i`, outside brackets and quotes.
fn boundary(tokens: &[Token], i: usize) -> bool {
    i > 0
        && i < tokens.len()
        && tokens[i].cut
        && !enclosed(tokens, i)
        && (ends_with(&tokens[i - 1], CLAUSE_END)
            || tokens[i].text.starts_with(['(', '—', '–', '-'])
            || CLAUSE_WORDS.contains(&bare(&tokens[i]).as_str()))
}

/// The clause around `focus`, grown while it fits; cut between words when one clause is too
/// long.
fn cut_at(tokens: &[Token], focus: usize) -> Vec<Span> {
    // The clause the focus is in starts at the last boundary before it; a sentence that opens
    // with a subordinate clause ("While X, Y") is pointed at its main clause.
    let mut start = (0..=focus.min(tokens.len().saturating_sub(1)))
        .rev()
        .find(|&i| i == 0 || boundary(tokens, i) && ends_with(&tokens[i - 1], CLAUSE_END))
        .unwrap_or(0);
    // So does one that opens with a word or two before a comma ("Yes,", "Finally,").
    if start == 0 {
        if let Some(comma) = (1..tokens.len())
            .find(|&i| ends_with(&tokens[i - 1], &[',', '،', '，']) && tokens[i].cut)
        {
            let lead_in =
                units(&tokens[..comma]) <= 2.0 || SUBORDINATE.contains(&bare(&tokens[0]).as_str());
            // Unless the author's emphasis is in that first clause.
            let emphasis_before = focus > 0 && focus < comma;
            if lead_in && !emphasis_before && units(&tokens[comma..]) >= 4.0 {
                start = comma;
            }
        }
    }
    let rest = &tokens[start..];
    let capitalise = start > 0;
    if units(rest) <= MAX_UNITS {
        return render(rest, capitalise);
    }
    // The longest run from the start that ends at a clause mark and fits, when it holds half
    // a point; else the longest that ends before a word that opens a clause.
    let mut used = 0.0;
    let (mut marked, mut any) = (None, None);
    for i in 1..rest.len() {
        used += rest[i - 1].units;
        if used > MAX_UNITS {
            break;
        }
        if used >= 4.0 && boundary(rest, i) {
            any = Some(i);
            if ends_with(&rest[i - 1], CLAUSE_END) && used >= MAX_UNITS / 2.0 {
                marked = Some(i);
            }
        }
    }
    if let Some(end) = marked.or(any) {
        // Cut inside its sentence, a colon announces nothing.
        let mut kept = without_dangling(&rest[..end]).to_vec();
        if let Some(last) = kept.last_mut().filter(|t| !t.code) {
            last.text = last.text.trim_end_matches([':', '：']).to_string();
        }
        return render(&kept, capitalise);
    }
    // No boundary: between words, marked as cut.
    let (mut used, mut end, mut i) = (0.0, 0, 0);
    while i < rest.len() {
        // A word: the tokens glued to this one.
        let mut j = i + 1;
        while j < rest.len() && !rest[j].cut {
            j += 1;
        }
        let w = units(&rest[i..j]);
        if used + w > MAX_UNITS && end > 0 {
            break;
        }
        used += w;
        end = j;
        i = j;
    }
    let mut kept = without_dangling(&rest[..end.max(1)]).to_vec();
    if let Some(last) = kept.last_mut() {
        if last.code {
            kept.push(Token {
                text: "…".into(),
                bold: false,
                italic: false,
                code: false,
                tex: None,
                space: false,
                cut: false,
                units: 0.0,
            });
        } else {
            last.text.push('…');
        }
    }
    render(&kept, capitalise)
}

/// `tokens` without the words at their end that leave a phrase open ("a notion of").
fn without_dangling(tokens: &[Token]) -> &[Token] {
    let mut end = tokens.len();
    while end > 1 && DANGLING.contains(&bare(&tokens[end - 1]).as_str()) && tokens[end - 1].cut {
        end -= 1;
    }
    &tokens[..end]
}

/// The tokens as spans, their trailing clause mark or full stop dropped (a colon, question or
/// exclamation mark kept), the first letter capitalised when `capitalise`.
fn render(tokens: &[Token], capitalise: bool) -> Vec<Span> {
    // A point that is an aside whole, `(You may...)`, loses its brackets.
    let mut tokens = tokens.to_vec();
    let unbalanced = |tokens: &[Token]| {
        let text: String = tokens
            .iter()
            .filter(|t| !t.code)
            .map(|t| t.text.as_str())
            .collect();
        text.matches('(').count() > text.matches(')').count()
    };
    if unbalanced(&tokens) {
        if let Some(first) = tokens
            .first_mut()
            .filter(|t| !t.code && t.text.starts_with('('))
        {
            first.text.remove(0);
        }
    }
    let tokens = &tokens;
    let mut spans: Vec<Span> = Vec::new();
    let last = tokens.len().saturating_sub(1);
    for (i, t) in tokens.iter().enumerate() {
        let mut text = t.text.clone();
        if i == last && !t.code {
            let trimmed = text.trim_end_matches([
                ',', ';', '.', '،', '؛', '，', '、', '；', '。', '—', '–', '-',
            ]);
            text = trimmed.to_string();
        }
        if i == 0 && capitalise && !t.code {
            let mut chars = text.chars();
            if let Some(first) = chars.next() {
                text = first.to_uppercase().chain(chars).collect();
            }
        }
        if text.is_empty() {
            continue;
        }
        if t.space && !spans.is_empty() {
            match spans.last_mut() {
                Some(prev) if !prev.code && prev.tex.is_none() => prev.text.push(' '),
                _ => spans.push(Span {
                    text: " ".into(),
                    ..Span::default()
                }),
            }
        }
        let style = (t.bold, t.italic, t.code);
        match spans.last_mut() {
            Some(prev)
                if (prev.bold, prev.italic, prev.code) == style
                    && prev.tex.is_none()
                    && t.tex.is_none() =>
            {
                prev.text.push_str(&text)
            }
            _ => spans.push(Span {
                text,
                bold: t.bold,
                italic: t.italic,
                code: t.code,
                tex: t.tex.clone(),
            }),
        }
    }
    spans
}

/// The points of `blocks` in the order the overlay numbers them: at the top and in list items.
pub(crate) fn points_mut(blocks: &mut [Block]) -> Vec<&mut Block> {
    let mut out = Vec::new();
    for block in blocks {
        match block {
            Block::Point { .. } => out.push(block),
            Block::List { items, .. } => {
                for item in items {
                    out.extend(points_mut(item));
                }
            }
            _ => {}
        }
    }
    out
}

/// What the voice reads for each point of prose of `blocks`, in order ([`Reading::Point`]'s
/// numbers).
///
/// [`Reading::Point`]: crate::reading::Reading::Point
pub fn said(blocks: &[Block]) -> Vec<String> {
    fn gather(blocks: &[Block], out: &mut Vec<String>) {
        for block in blocks {
            match block {
                Block::Point { said, .. } => out.push(spans_text(said)),
                Block::List { items, .. } => items.iter().for_each(|i| gather(i, out)),
                _ => {}
            }
        }
    }
    let mut out = Vec::new();
    gather(blocks, &mut out);
    out
}

/// The points of one slide, as `lecturegen points` lists them.
#[derive(Debug, Clone, serde::Serialize)]
pub struct SlidePoints {
    /// The slide's position (0: the title slide).
    pub slide: usize,
    /// Its title.
    pub title: String,
    /// The section it sits in, drawn above its title.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub section: Option<String>,
    /// Its line in the notes.
    pub line: usize,
    /// Words it shows: title, points, lists, code, tables, alt texts.
    pub shown_words: usize,
    /// Blocks it shows below its title.
    pub blocks: usize,
    /// Its points in order.
    pub points: Vec<Listed>,
}

/// One point, written as markdown (what `<!-- points: -->` takes).
#[derive(Debug, Clone, serde::Serialize)]
pub struct Listed {
    /// The point.
    pub point: String,
    /// Its words.
    pub words: usize,
    /// Words of the paragraph the voice reads with it.
    pub said_words: usize,
    /// That paragraph.
    pub paragraph: String,
    /// Written by the author.
    pub authored: bool,
}

/// The points of each slide.
pub fn list(slides: &[Slide]) -> Vec<SlidePoints> {
    fn gather(blocks: &[Block], out: &mut Vec<Listed>) {
        for block in blocks {
            match block {
                Block::Point {
                    shown,
                    said,
                    authored,
                } => out.push(Listed {
                    point: markdown(shown),
                    words: shown
                        .iter()
                        .map(|s| s.text.split_whitespace().count())
                        .sum(),
                    said_words: said.iter().map(|s| s.text.split_whitespace().count()).sum(),
                    paragraph: spans_text(said),
                    authored: *authored,
                }),
                Block::List { items, .. } => items.iter().for_each(|i| gather(i, out)),
                Block::Quote(inner) => gather(inner, out),
                Block::Columns(columns) => columns.iter().for_each(|c| gather(&c.blocks, out)),
                _ => {}
            }
        }
    }
    slides
        .iter()
        .map(|slide| {
            let mut points = Vec::new();
            gather(&slide.blocks, &mut points);
            let words = |text: &str| text.split_whitespace().count();
            SlidePoints {
                slide: slide.index,
                title: slide.title.clone(),
                section: slide.chrome.header.clone(),
                line: slide.line,
                shown_words: words(&slide.title) + words(&slide.text()),
                blocks: slide.blocks.len(),
                points,
            }
        })
        .collect()
}

/// Spans as inline markdown: `**bold**`, `_italic_`, `` `code` ``.
fn markdown(spans: &[Span]) -> String {
    spans
        .iter()
        .map(|s| {
            if s.code {
                return format!("`{}`", s.text);
            }
            let (lead, core, tail) = edges(&s.text);
            let core = match (s.bold, s.italic) {
                _ if core.is_empty() => core.to_string(),
                (true, true) => format!("***{core}***"),
                (true, false) => format!("**{core}**"),
                (false, true) => format!("_{core}_"),
                (false, false) => core.to_string(),
            };
            format!("{lead}{core}{tail}")
        })
        .collect()
}

/// Text split into its leading spaces, its core and its trailing spaces.
fn edges(text: &str) -> (&str, &str, &str) {
    let core = text.trim();
    let lead = &text[..text.len() - text.trim_start().len()];
    let tail = &text[text.trim_end().len()..];
    (lead, core, tail)
}

/// A line of inline markdown as styled spans (bold, italic, code kept; links as their text).
pub(crate) fn inline_spans(markdown: &str) -> Vec<crate::content::Span> {
    use pulldown_cmark::{Event, Parser, Tag, TagEnd};
    let mut spans: Vec<crate::content::Span> = Vec::new();
    let (mut bold, mut italic) = (0u32, 0u32);
    for event in Parser::new(markdown.trim()) {
        let (text, code) = match event {
            Event::Text(t) => (t.to_string(), false),
            Event::Code(t) => (t.to_string(), true),
            Event::SoftBreak | Event::HardBreak => (" ".to_string(), false),
            Event::Start(Tag::Strong) => {
                bold += 1;
                continue;
            }
            Event::End(TagEnd::Strong) => {
                bold = bold.saturating_sub(1);
                continue;
            }
            Event::Start(Tag::Emphasis) => {
                italic += 1;
                continue;
            }
            Event::End(TagEnd::Emphasis) => {
                italic = italic.saturating_sub(1);
                continue;
            }
            _ => continue,
        };
        spans.push(crate::content::Span {
            text,
            bold: bold > 0,
            italic: italic > 0,
            code,
            tex: None,
        });
    }
    spans.retain(|s| !s.text.is_empty());
    spans
}
