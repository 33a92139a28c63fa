//! Word-at-a-time searches over control lines.
//!
//! Control lines are short (tens of bytes), where `memchr`'s dispatch and vector setup cost more
//! than the search itself. These look at eight bytes per step with plain 64-bit arithmetic.

use memchr::memchr;

/// Eight copies of the byte 0x01.
const ONES: u64 = 0x0101_0101_0101_0101;
/// The high bit of each of eight bytes.
const HIGH_BITS: u64 = 0x8080_8080_8080_8080;

/// The eight bytes of `chunk` (which has exactly eight) as one little-endian word.
pub(super) fn word(chunk: &[u8]) -> u64 {
    let mut bytes = [0u8; 8];
    bytes.copy_from_slice(chunk);
    u64::from_le_bytes(bytes)
}

/// The high bit set in every byte of `word` below 0x21 (space, tab, CR, LF and other controls).
///
/// A borrow can also flag a byte right after a flagged one, but never hides one, so callers
/// check each flagged byte; the lowest flagged byte is always genuine.
pub(super) fn below_0x21(word: u64) -> u64 {
    word.wrapping_sub(ONES * 0x21) & !word & HIGH_BITS
}

/// The index of the byte a flag bit stands for.
pub(super) fn flag_index(flags: u64) -> usize {
    (flags.trailing_zeros() / 8) as usize
}

/// The position of the first LF in `bytes`.
///
/// Control lines are short, so the first 64 bytes are searched a word at a time, which costs
/// less than `memchr`'s dispatch and vector setup; longer lines fall back to `memchr`.
pub(super) fn find_newline(bytes: &[u8]) -> Option<usize> {
    const SHORT_LINE: usize = 64;
    let mut chunks = bytes.chunks_exact(8);
    for (i, chunk) in (&mut chunks).take(SHORT_LINE / 8).enumerate() {
        // Zero bytes where the LFs are; the lowest flagged byte is exactly the first zero.
        let x = word(chunk) ^ (ONES * u64::from(b'\n'));
        let flagged = x.wrapping_sub(ONES) & !x & HIGH_BITS;
        if flagged != 0 {
            return Some(i * 8 + flag_index(flagged));
        }
    }
    let searched = bytes.len().min(SHORT_LINE) - bytes.len().min(SHORT_LINE) % 8;
    memchr(b'\n', &bytes[searched..]).map(|i| searched + i)
}

/// The position of the first space, tab or CR in `bytes`, looking at eight bytes at a time.
pub(super) fn find_separator(bytes: &[u8]) -> Option<usize> {
    let mut chunks = bytes.chunks_exact(8);
    let mut offset = 0;
    for chunk in &mut chunks {
        let mut flagged = below_0x21(word(chunk));
        while flagged != 0 {
            let index = flag_index(flagged);
            if is_separator(chunk[index]) {
                return Some(offset + index);
            }
            flagged &= flagged - 1;
        }
        offset += 8;
    }
    let tail = chunks.remainder();
    tail.iter()
        .position(|&b| is_separator(b))
        .map(|index| offset + index)
}

pub(super) fn is_separator(b: u8) -> bool {
    // Every separator is a control or space byte, so most bytes are ruled out by one compare.
    b <= b' ' && matches!(b, b' ' | b'\t' | b'\r' | b'\n')
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::{find_newline, find_separator, is_separator};

    proptest! {
        /// The word-at-a-time LF search agrees with memchr, short lines and long.
        #[test]
        fn finds_the_same_newline_as_memchr(bytes in prop::collection::vec(prop_oneof![
            20 => any::<u8>(), 1 => Just(b'\n'),
        ], 0..160)) {
            prop_assert_eq!(find_newline(&bytes), memchr::memchr(b'\n', &bytes));
        }

        /// The word-at-a-time search agrees with a byte-by-byte one on any input.
        #[test]
        fn finds_the_same_separator_as_a_plain_scan(bytes in prop::collection::vec(any::<u8>(), 0..64)) {
            prop_assert_eq!(find_separator(&bytes), bytes.iter().position(|&b| is_separator(b)));
        }

        /// Mostly argument-like bytes, with separators and control bytes sprinkled in.
        #[test]
        fn agrees_on_argument_like_input(bytes in prop::collection::vec(prop_oneof![
            8 => b'!'..=b'~', 1 => Just(b' '), 1 => Just(b'\t'), 1 => Just(b'\r'), 1 => 0u8..0x21u8,
        ], 0..48)) {
            prop_assert_eq!(find_separator(&bytes), bytes.iter().position(|&b| is_separator(b)));
        }
    }
}
