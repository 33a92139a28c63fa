//! Property tests: arbitrary input never panics and parsing is deterministic.

use proptest::prelude::*;
use rnats_conf::{parse_duration, parse_str};

/// Characters that drive the grammar, to reach deep states more often than random bytes.
const ALPHABET: &[u8] = b"{}[](),;:=#/$\"'\\ \t\n.-+0123456789kKmMbBiIeEtTxXZ:abc$_";

fn grammar_text() -> impl Strategy<Value = String> {
    prop::collection::vec(prop::sample::select(ALPHABET), 0..200)
        .prop_map(|bytes| String::from_utf8_lossy(&bytes).into_owned())
}

proptest! {
    #[test]
    fn random_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..512)) {
        let text = String::from_utf8_lossy(&bytes);
        let _ = parse_str(&text);
        let _ = parse_duration(&text);
    }

    #[test]
    fn grammar_soup_never_panics(text in grammar_text()) {
        let first = parse_str(&text);
        let second = parse_str(&text);
        prop_assert_eq!(first.is_ok(), second.is_ok());
        if let (Ok(a), Ok(b)) = (first, second) {
            prop_assert_eq!(a.digest, b.digest);
        }
    }
}
