//! Subject and queue-name validation, and single-filter wildcard matching.

use memchr::memchr2_iter;

use crate::token::Tokens;

/// The bytes nats-server rejects inside subjects and queue names.
#[inline]
fn is_whitespace(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | b'\r' | 0x0c)
}

#[inline]
fn has_whitespace(bytes: &[u8]) -> bool {
    bytes.iter().copied().any(is_whitespace)
}

/// Whether `subject` is acceptable in a SUB: non-empty tokens, no whitespace,
/// and `>` only as the last token (`*` and `>` may appear as wildcards).
pub fn is_valid_subject(subject: &[u8]) -> bool {
    if subject.is_empty() || has_whitespace(subject) {
        return false;
    }
    let mut toks = Tokens::new(subject);
    while let Some(tok) = toks.next() {
        if tok.is_empty() {
            return false;
        }
        if tok == b">" {
            return toks.next().is_none();
        }
    }
    true
}

/// Whether `subject` is valid and contains no wildcard token (pedantic PUB).
pub fn is_valid_literal_subject(subject: &[u8]) -> bool {
    is_valid_subject(subject) && is_literal(subject)
}

/// Whether `subject` has no `*` or `>` token; it is not validated otherwise.
pub fn is_literal(subject: &[u8]) -> bool {
    // Only whole tokens are wildcards, so a candidate byte counts when both of
    // its neighbours are separators or the subject's ends.
    for i in memchr2_iter(b'*', b'>', subject) {
        let starts = matches!(subject.get(i.wrapping_sub(1)), None | Some(b'.'));
        let ends = matches!(subject.get(i + 1), None | Some(b'.'));
        if starts && ends {
            return false;
        }
    }
    true
}

/// Whether `queue` is an acceptable queue group name: non-empty, no whitespace.
pub fn is_valid_queue_name(queue: &[u8]) -> bool {
    !queue.is_empty() && !has_whitespace(queue)
}

/// Whether the wildcard `filter` matches the published `subject`, with the
/// same semantics as [`crate::Sublist::matches`]; an invalid filter matches
/// nothing.
pub fn subject_matches(filter: &[u8], subject: &[u8]) -> bool {
    is_valid_subject(filter) && matches_unchecked(filter, subject)
}

/// Whether some subject could match both filters (`a.*` and `*.b` collide on `a.b`;
/// `a.>` and `a` do not, as `>` stands for at least one token).
pub fn subjects_collide(a: &[u8], b: &[u8]) -> bool {
    let (mut a, mut b) = (Tokens::new(a), Tokens::new(b));
    loop {
        match (a.next(), b.next()) {
            (None, None) => return true,
            (Some(b">"), Some(_)) | (Some(_), Some(b">")) => return true,
            (Some(x), Some(y)) => {
                if x != y && x != b"*" && y != b"*" {
                    return false;
                }
            }
            _ => return false,
        }
    }
}

/// [`subject_matches`] for a filter already known to be valid, so the cache
/// can be swept without re-validating the same filter for every entry.
pub(crate) fn matches_unchecked(filter: &[u8], subject: &[u8]) -> bool {
    let mut f = Tokens::new(filter);
    let mut s = Tokens::new(subject);
    loop {
        match (f.next(), s.next()) {
            (None, None) => return true,
            (Some(b">"), Some(tok)) => {
                // Published subjects with an empty token match nothing, even
                // when that token would fall under `>`.
                return !tok.is_empty() && s.all(|t| !t.is_empty());
            }
            (Some(ft), Some(st)) => {
                if st.is_empty() || (ft != b"*" && ft != st) {
                    return false;
                }
            }
            _ => return false,
        }
    }
}

#[cfg(test)]
mod tests;
