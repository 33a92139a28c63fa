//! Allocation-free tokenization shared by validation, matching and the trie.

use memchr::memchr;

/// Tokens kept on the stack by [`with_tokens`]; deeper subjects are rare
/// enough that a heap fallback costs nothing in practice.
const INLINE_TOKENS: usize = 32;

/// Iterator over the `.`-separated tokens of a subject, empty ones included
/// (so callers can reject them); an empty subject yields one empty token.
#[derive(Clone, Debug)]
pub(crate) struct Tokens<'a> {
    rest: Option<&'a [u8]>,
}

impl<'a> Tokens<'a> {
    pub(crate) fn new(subject: &'a [u8]) -> Self {
        Tokens {
            rest: Some(subject),
        }
    }
}

impl<'a> Iterator for Tokens<'a> {
    type Item = &'a [u8];

    #[inline]
    fn next(&mut self) -> Option<&'a [u8]> {
        let rest = self.rest?;
        match memchr(b'.', rest) {
            Some(i) => {
                let (tok, tail) = rest.split_at(i);
                self.rest = tail.get(1..);
                Some(tok)
            }
            None => {
                self.rest = None;
                Some(rest)
            }
        }
    }
}

/// Splits a published subject and hands its tokens to `f`, or returns `None`
/// when a token is empty: such a subject matches nothing, as in nats-server.
#[inline]
pub(crate) fn with_tokens<R>(subject: &[u8], f: impl FnOnce(&[&[u8]]) -> R) -> Option<R> {
    let mut inline: [&[u8]; INLINE_TOKENS] = [&[]; INLINE_TOKENS];
    let mut n = 0;
    for tok in Tokens::new(subject) {
        if tok.is_empty() {
            return None;
        }
        match inline.get_mut(n) {
            Some(slot) => *slot = tok,
            None => return with_heap_tokens(subject, f),
        }
        n += 1;
    }
    Some(f(inline.get(..n).unwrap_or_default()))
}

#[cold]
fn with_heap_tokens<R>(subject: &[u8], f: impl FnOnce(&[&[u8]]) -> R) -> Option<R> {
    let toks: Vec<&[u8]> = Tokens::new(subject).collect();
    if toks.iter().any(|t| t.is_empty()) {
        return None;
    }
    Some(f(&toks))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_including_empty_tokens() {
        let cases: &[(&[u8], &[&[u8]])] = &[
            (b"", &[b""]),
            (b"a", &[b"a"]),
            (b"a.b", &[b"a", b"b"]),
            (b".a", &[b"", b"a"]),
            (b"a.", &[b"a", b""]),
            (b"a..b", &[b"a", b"", b"b"]),
        ];
        for (subject, want) in cases {
            let got: Vec<&[u8]> = Tokens::new(subject).collect();
            assert_eq!(&got, want, "{:?}", String::from_utf8_lossy(subject));
        }
    }

    #[test]
    fn with_tokens_rejects_empty_and_handles_deep_subjects() {
        assert_eq!(with_tokens(b"a..b", |t| t.len()), None);
        assert_eq!(with_tokens(b"", |t| t.len()), None);
        assert_eq!(with_tokens(b"a.b.c", |t| t.len()), Some(3));
        for n in [31, 32, 33, 100] {
            let subject = vec!["x"; n].join(".");
            assert_eq!(with_tokens(subject.as_bytes(), |t| t.len()), Some(n));
            let bad = format!("{subject}.");
            assert_eq!(with_tokens(bad.as_bytes(), |t| t.len()), None);
        }
    }
}
