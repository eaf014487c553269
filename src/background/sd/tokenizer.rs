//! The CLIP tokenizer, built from the files diffusers repositories ship.

use std::path::Path;

use anyhow::Result;
use tokenizers::Tokenizer;

/// The CLIP tokenizer, built in code from `vocab.json` and `merges.txt` (the files diffusers
/// repositories ship): lower-cased, split by CLIP's pattern, byte-level BPE with `</w>` ending
/// each word.
pub fn clip_tokenizer(vocab: &Path, merges: &Path) -> Result<Tokenizer> {
    use tokenizers::models::bpe::BPE;
    use tokenizers::normalizers::{Lowercase, Replace, Sequence as Normalizers, NFC};
    use tokenizers::pre_tokenizers::byte_level::ByteLevel;
    use tokenizers::pre_tokenizers::sequence::Sequence as PreTokenizers;
    use tokenizers::pre_tokenizers::split::{Split, SplitPattern};
    use tokenizers::SplitDelimiterBehavior;

    let err = |e: tokenizers::Error| anyhow::anyhow!("building the CLIP tokenizer: {e}");
    let bpe = BPE::from_file(&vocab.to_string_lossy(), &merges.to_string_lossy())
        .end_of_word_suffix("</w>".into())
        .unk_token("<|endoftext|>".into())
        .build()
        .map_err(err)?;
    let mut tokenizer = Tokenizer::new(bpe);
    tokenizer
        .with_normalizer(Some(Normalizers::new(vec![
            NFC.into(),
            Replace::new(
                tokenizers::normalizers::replace::ReplacePattern::Regex(r"\s+".into()),
                " ",
            )
            .map_err(err)?
            .into(),
            Lowercase.into(),
        ])))
        .map_err(err)?;
    let pattern = r"<\|startoftext\|>|<\|endoftext\|>|'s|'t|'re|'ve|'m|'ll|'d|[\p{L}]+|[\p{N}]|[^\s\p{L}\p{N}]+";
    tokenizer.with_pre_tokenizer(Some(PreTokenizers::new(vec![
        Split::new(
            SplitPattern::Regex(pattern.into()),
            SplitDelimiterBehavior::Removed,
            true,
        )
        .map_err(err)?
        .into(),
        ByteLevel::new(false, false, false).into(),
    ])));
    Ok(tokenizer)
}
