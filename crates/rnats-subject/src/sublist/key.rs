//! Literal tokens as trie keys, short ones stored inline.
//!
//! Almost every token is short, and a boxed slice costs a separate heap
//! allocation (a 32-byte malloc chunk at least) per distinct token. Storing
//! the bytes in the key itself saves that allocation and, on lookups, the
//! pointer chase to compare keys.

use std::borrow::Borrow;
use std::hash::{Hash, Hasher};

/// Longest token stored inline: 22 bytes is a NUID, the unique token of
/// `_INBOX.<nuid>` subjects, and keeps the key at three words, as long as the
/// boxed form it falls back to plus its tag.
pub(super) const INLINE_MAX: usize = 22;

/// A literal token. Equality and hashing are those of the byte slice (see
/// the `Borrow<[u8]>` impl), so maps keyed by `Token` are probed with `&[u8]`.
pub(super) enum Token {
    /// A token of at most [`INLINE_MAX`] bytes; `len` of `bytes` are used.
    Inline { len: u8, bytes: [u8; INLINE_MAX] },
    /// A longer token.
    Heap(Box<[u8]>),
}

impl Token {
    /// The token's bytes.
    #[inline]
    pub(super) fn as_bytes(&self) -> &[u8] {
        match self {
            Token::Inline { len, bytes } => bytes.get(..usize::from(*len)).unwrap_or_default(),
            Token::Heap(bytes) => bytes,
        }
    }
}

impl From<&[u8]> for Token {
    fn from(tok: &[u8]) -> Self {
        // Every token that fits is stored inline, so the representation is
        // a function of the bytes; equality does not rely on it anyway.
        let mut bytes = [0; INLINE_MAX];
        match (bytes.get_mut(..tok.len()), u8::try_from(tok.len())) {
            (Some(prefix), Ok(len)) => {
                prefix.copy_from_slice(tok);
                Token::Inline { len, bytes }
            }
            _ => Token::Heap(tok.into()),
        }
    }
}

impl Borrow<[u8]> for Token {
    fn borrow(&self) -> &[u8] {
        self.as_bytes()
    }
}

impl PartialEq for Token {
    fn eq(&self, other: &Self) -> bool {
        self.as_bytes() == other.as_bytes()
    }
}

impl Eq for Token {}

/// Hashes exactly as `[u8]` does, as `Borrow<[u8]>` requires: map lookups
/// hash the probe slice and must land on the bucket of the equal key.
impl Hash for Token {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.as_bytes().hash(state);
    }
}

#[cfg(test)]
mod tests {
    use std::hash::BuildHasher;

    use rustc_hash::FxBuildHasher;

    use super::*;

    #[test]
    fn round_trips_and_hashes_like_the_slice() {
        let long = [b'n'; 101];
        for len in [0, 1, 5, INLINE_MAX - 1, INLINE_MAX, INLINE_MAX + 1, 100] {
            let tok = long.get(..len).unwrap_or_default();
            let key = Token::from(tok);
            assert_eq!(key.as_bytes(), tok);
            assert_eq!(matches!(key, Token::Inline { .. }), len <= INLINE_MAX);
            assert_eq!(FxBuildHasher.hash_one(&key), FxBuildHasher.hash_one(tok));
            assert!(key == Token::from(tok));
            assert!(key != Token::from(&long[..len + 1]));
        }
    }

    #[test]
    fn is_three_words() {
        assert_eq!(size_of::<Token>(), 24);
    }
}
