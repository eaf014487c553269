//! Phonemes for the neural voices, from the espeak-ng program (GPL-3: run, never linked).
//!
//! Piper and Kokoro were trained on espeak-ng's IPA with the text's punctuation kept (their
//! runtimes read it from espeak-ng's library clause by clause), and they phrase by it: without
//! the commas and full stops a sentence comes out as one breathless run, measurably harder to
//! follow. The espeak-ng program prints one line of IPA per clause and drops the marks, so the
//! text is cut into clauses here the way espeak-ng cuts it and each line gets its mark back.

use std::time::Duration;

use anyhow::{bail, Context, Result};

use super::run::{run, Outcome};

/// The IPA of each clause of `text` in espeak-ng's `voice` (a language such as "en-us"), with
/// the mark that ends the clause (`None` for the last one without).
/// See [`english_as_1_52`] for the voices trained on a newer espeak-ng.
pub fn clauses(
    program: &str,
    voice: &str,
    text: &str,
    timeout: Duration,
) -> Result<Vec<(String, Option<char>)>> {
    let clauses = split(text);
    let joined: Vec<&str> = clauses.iter().map(|(c, _)| c.as_str()).collect();
    let mut lines = ipa(program, voice, &joined.join(" "), timeout)?;
    if lines.len() != clauses.len() {
        // espeak-ng cut the clauses otherwise (an abbreviation's full stop, a very long
        // clause): one call per clause keeps each mark with its clause.
        lines = joined
            .iter()
            .map(|c| Ok(ipa(program, voice, c, timeout)?.join(" ")))
            .collect::<Result<_>>()?;
    }
    Ok(lines
        .iter()
        .zip(&clauses)
        .map(|(line, (_, end))| (drop_language_flags(line), *end))
        .collect())
}

/// The release (major, minor) of an espeak-ng version (`1.51` of `1.51.1`).
pub fn release(version: &str) -> Option<(u32, u32)> {
    let mut parts = version.split('.').map(|p| p.parse::<u32>().ok());
    Some((parts.next()??, parts.next()??))
}

/// espeak-ng's IPA for `text`, a line per clause.
fn ipa(program: &str, voice: &str, text: &str, timeout: Duration) -> Result<Vec<String>> {
    let args = ["-q", "--ipa", "-v", voice, "--stdin"].map(String::from);
    match run(program, &args, Some(text.as_bytes()), timeout)
        .with_context(|| format!("running {program} for phonemes"))?
    {
        Outcome::Done(out) => Ok(String::from_utf8_lossy(&out)
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .map(String::from)
            .collect()),
        Outcome::Failed(message) => bail!("{program} failed: {message}"),
    }
}

/// English IPA of espeak-ng 1.51 (Debian 12's) written as espeak-ng 1.52 writes it, which
/// Piper's runtime bundles and its voices were trained on: "or" is `ɔːɹ` (1.51: `oːɹ`), and a
/// glide `ʲ` follows an i-vowel when a vowel follows (`vˈɪdɪʲoʊ`, `ðɪʲ ˈaʊtpʊt`). Heard with
/// 1.51's IPA, a 1.52-trained voice mumbles "four", "course" and "video".
pub fn english_as_1_52(ipa: &str) -> String {
    const VOWELS: &str = "aeiouæɐɑɒɔəɚɛɜɪʊʌᵻ";
    let ipa = ipa.replace("oːɹ", "ɔːɹ");
    let chars: Vec<char> = ipa.chars().collect();
    let mut out = String::with_capacity(ipa.len() + 8);
    for (i, &c) in chars.iter().enumerate() {
        out.push(c);
        // The end of an i-vowel: ɪ, i or iː; not the end of a diphthong (eɪ, aɪ, ɔɪ), nor the
        // start of one (`iə`: `ɹˈiəli`).
        let (vowel_end, start) = match c {
            'ɪ' => (true, i),
            'i' => (!matches!(chars.get(i + 1), Some('ː' | 'ə')), i),
            'ː' if i > 0 && chars[i - 1] == 'i' => (true, i - 1),
            _ => (false, i),
        };
        if !vowel_end
            || start
                .checked_sub(1)
                .is_some_and(|p| VOWELS.contains(chars[p]))
        {
            continue;
        }
        let next = chars[i + 1..]
            .iter()
            .find(|c| !matches!(c, ' ' | 'ˈ' | 'ˌ'));
        let gap = chars[i + 1..]
            .iter()
            .take_while(|c| matches!(c, ' ' | 'ˈ' | 'ˌ'))
            .count();
        // (A short i before `æ` keeps no glide: `fˈænsi ænd`, as 1.52 writes it.)
        let glide = next.is_some_and(|n| VOWELS.contains(*n) && !(c == 'i' && *n == 'æ'));
        if glide && gap <= 2 {
            out.push('ʲ');
        }
    }
    out
}

/// `text` cut into clauses at `, : ; . ! ?` followed by a space (or the end), each with the
/// mark that ends it.
pub fn split(text: &str) -> Vec<(String, Option<char>)> {
    let mut out = Vec::new();
    let mut clause = String::new();
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        let at_break = chars.peek().is_none_or(|n| n.is_whitespace());
        if matches!(c, ',' | ':' | ';' | '.' | '!' | '?') && at_break {
            if !clause.trim().is_empty() {
                out.push((clause.trim().to_string(), Some(c)));
            }
            clause.clear();
        } else {
            clause.push(c);
        }
    }
    if !clause.trim().is_empty() {
        out.push((clause.trim().to_string(), None));
    }
    out
}

/// IPA without espeak-ng's `(en)` language switches around foreign words.
pub fn drop_language_flags(ipa: &str) -> String {
    let mut out = String::with_capacity(ipa.len());
    let mut depth = 0;
    for c in ipa.chars() {
        match c {
            '(' => depth += 1,
            ')' if depth > 0 => depth -= 1,
            c if depth == 0 => out.push(c),
            _ => {}
        }
    }
    out
}
