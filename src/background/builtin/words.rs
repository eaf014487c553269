//! The words the built-in model knows: a prompt's known words fill three slots (style,
//! colours, mood), each the mean embedding of its words; anything else is ignored. The lab's
//! training pictures are labelled with the same words.

/// Styles, the first word of every label.
pub const STYLES: &[&str] = &[
    "gradient",
    "watercolour",
    "bokeh",
    "waves",
    "aurora",
    "paper",
    "geometric",
];

/// Colour words with their OKLab lightness, chroma and hue.
pub const COLOURS: &[(&str, f32, f32, f32)] = &[
    ("red", 0.60, 0.20, 28.0),
    ("orange", 0.72, 0.17, 55.0),
    ("yellow", 0.88, 0.16, 100.0),
    ("green", 0.66, 0.17, 142.0),
    ("teal", 0.66, 0.11, 190.0),
    ("blue", 0.55, 0.17, 258.0),
    ("navy", 0.36, 0.11, 265.0),
    ("purple", 0.50, 0.17, 305.0),
    ("pink", 0.76, 0.12, 350.0),
    ("magenta", 0.62, 0.24, 330.0),
    ("brown", 0.46, 0.08, 60.0),
    ("gold", 0.80, 0.14, 85.0),
    ("gray", 0.62, 0.0, 0.0),
];

/// Mood words.
pub const MOODS: &[&str] = &[
    "dark", "light", "warm", "cool", "calm", "vivid", "pastel", "muted",
];

/// Words that mean a vocabulary word.
pub const SYNONYMS: &[(&str, &str)] = &[
    ("watercolor", "watercolour"),
    ("wash", "watercolour"),
    ("washes", "watercolour"),
    ("wave", "waves"),
    ("shapes", "geometric"),
    ("triangles", "geometric"),
    ("geometry", "geometric"),
    ("grey", "gray"),
    ("cyan", "teal"),
    ("turquoise", "teal"),
    ("violet", "purple"),
    ("golden", "gold"),
    ("bright", "light"),
    ("soft", "calm"),
    ("gentle", "calm"),
    ("vibrant", "vivid"),
    ("bold", "vivid"),
    ("cold", "cool"),
    ("night", "dark"),
    ("gradients", "gradient"),
    ("lights", "bokeh"),
];

/// Every word the model knows, in index order: styles, colours, moods.
pub fn vocabulary() -> Vec<&'static str> {
    STYLES
        .iter()
        .copied()
        .chain(COLOURS.iter().map(|c| c.0))
        .chain(MOODS.iter().copied())
        .collect()
}

/// Which part of a prompt a vocabulary word fills: 0 style, 1 colour, 2 mood.
pub fn slot(word: usize) -> Option<usize> {
    if word < STYLES.len() {
        Some(0)
    } else if word < STYLES.len() + COLOURS.len() {
        Some(1)
    } else if word < STYLES.len() + COLOURS.len() + MOODS.len() {
        Some(2)
    } else {
        None
    }
}

/// Indices of the known words of a prompt; unknown words are ignored.
pub fn words(prompt: &str) -> Vec<usize> {
    let vocab = vocabulary();
    let mut out = Vec::new();
    for raw in prompt.split(|c: char| !c.is_alphanumeric()) {
        let word = raw.to_lowercase();
        let word = SYNONYMS
            .iter()
            .find(|(s, _)| *s == word)
            .map_or(word.as_str(), |(_, w)| *w)
            .to_string();
        if let Some(i) = vocab.iter().position(|v| *v == word) {
            if !out.contains(&i) {
                out.push(i);
            }
        }
    }
    out
}
