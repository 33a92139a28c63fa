//! The literal children of a trie level.
//!
//! Most levels have a single child (the unique token of an inbox or id
//! subject and the fixed tokens after it), so that child is stored in the
//! level itself. A hash map costs several hundred bytes even for a handful
//! of entries, so a few children are a short vector scanned linearly, which
//! is also faster than hashing at that size.

use std::mem;

use rustc_hash::FxHashMap;

use super::key::Token;
use super::node::{Node, shrink_after_remove};

/// Above this many children a level switches to a hash map.
const SMALL_MAX: usize = 4;

/// The literal children of a level, in the smallest form for their number.
pub(super) enum Literals<T> {
    /// Exactly one child, which then costs no allocation of its own.
    One(Token, Node<T>),
    /// No children (without an allocation), or two to [`SMALL_MAX`].
    Small(Vec<(Token, Node<T>)>),
    /// More than [`SMALL_MAX`] children, or fewer while draining.
    Map(FxHashMap<Token, Node<T>>),
}

impl<T> Default for Literals<T> {
    fn default() -> Self {
        Literals::Small(Vec::new())
    }
}

impl<T> Literals<T> {
    /// The smallest form for these children.
    fn from_vec(mut v: Vec<(Token, Node<T>)>) -> Self {
        if v.len() == 1
            && let Some((key, node)) = v.pop()
        {
            return Literals::One(key, node);
        }
        shrink_after_remove(&mut v);
        Literals::Small(v)
    }

    pub(super) fn len(&self) -> usize {
        match self {
            Literals::One(..) => 1,
            Literals::Small(v) => v.len(),
            Literals::Map(m) => m.len(),
        }
    }

    #[inline]
    pub(super) fn get(&self, tok: &[u8]) -> Option<&Node<T>> {
        match self {
            Literals::One(key, node) => (key.as_bytes() == tok).then_some(node),
            Literals::Small(v) => v.iter().find(|(k, _)| k.as_bytes() == tok).map(|(_, n)| n),
            Literals::Map(m) => m.get(tok),
        }
    }

    pub(super) fn get_mut(&mut self, tok: &[u8]) -> Option<&mut Node<T>> {
        match self {
            Literals::One(key, node) => (key.as_bytes() == tok).then_some(node),
            Literals::Small(v) => v
                .iter_mut()
                .find(|(k, _)| k.as_bytes() == tok)
                .map(|(_, n)| n),
            Literals::Map(m) => m.get_mut(tok),
        }
    }

    /// The child for `tok`, created if missing. `None` cannot happen (the
    /// key was just looked up or added) but is surfaced rather than
    /// panicking: the borrow checker cannot follow a conditional early return.
    pub(super) fn get_or_insert(&mut self, tok: &[u8]) -> Option<&mut Node<T>> {
        if self.get(tok).is_none() {
            self.add(Token::from(tok), Node::default());
        }
        self.get_mut(tok)
    }

    /// Adds a child whose key is not present yet, growing the form if needed.
    fn add(&mut self, key: Token, node: Node<T>) {
        *self = match mem::take(self) {
            Literals::Small(v) if v.is_empty() => Literals::One(key, node),
            // Two slots exactly; further growth doubles up to the switch.
            Literals::One(k, n) => Literals::Small(vec![(k, n), (key, node)]),
            Literals::Small(mut v) if v.len() < SMALL_MAX => {
                v.push((key, node));
                Literals::Small(v)
            }
            Literals::Small(v) => {
                let mut m: FxHashMap<_, _> = v.into_iter().collect();
                m.insert(key, node);
                Literals::Map(m)
            }
            Literals::Map(mut m) => {
                m.insert(key, node);
                Literals::Map(m)
            }
        };
    }

    pub(super) fn remove(&mut self, tok: &[u8]) {
        match self {
            Literals::One(key, _) => {
                if key.as_bytes() == tok {
                    *self = Literals::default();
                }
            }
            Literals::Small(v) => {
                if let Some(i) = v.iter().position(|(k, _)| k.as_bytes() == tok) {
                    v.swap_remove(i);
                    *self = Literals::from_vec(mem::take(v));
                }
            }
            Literals::Map(m) => {
                m.remove(tok);
                // Half the switch-over size, so a level hovering around it
                // does not convert back and forth.
                if m.len() <= SMALL_MAX / 2 {
                    let mut small = Vec::with_capacity(m.len());
                    small.extend(m.drain());
                    *self = Literals::from_vec(small);
                } else if m.len() * 4 <= m.capacity() {
                    // Hash maps never shrink by themselves: give back what a
                    // drained level no longer needs. Halving only after the
                    // load falls to a quarter keeps the rehashing amortized.
                    m.shrink_to(m.len() * 2);
                }
            }
        }
    }

    pub(super) fn values(&self) -> impl Iterator<Item = &Node<T>> {
        let (one, small, map) = match self {
            Literals::One(_, node) => (Some(node), None, None),
            Literals::Small(v) => (None, Some(v), None),
            Literals::Map(m) => (None, None, Some(m)),
        };
        let small = small.into_iter().flatten().map(|(_, n)| n);
        let map = map.into_iter().flat_map(|m| m.values());
        one.into_iter().chain(small).chain(map)
    }

    pub(super) fn values_mut(&mut self) -> impl Iterator<Item = &mut Node<T>> {
        let (one, small, map) = match self {
            Literals::One(_, node) => (Some(node), None, None),
            Literals::Small(v) => (None, Some(v), None),
            Literals::Map(m) => (None, None, Some(m)),
        };
        let small = small.into_iter().flatten().map(|(_, n)| n);
        let map = map.into_iter().flat_map(|m| m.values_mut());
        one.into_iter().chain(small).chain(map)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn switches_representation_both_ways() {
        let mut lits: Literals<u32> = Literals::default();
        let keys: Vec<String> = (0..10).map(|i| format!("k{i}")).collect();
        for (n, k) in keys.iter().enumerate() {
            assert!(lits.get_or_insert(k.as_bytes()).is_some());
            assert!(lits.get_or_insert(k.as_bytes()).is_some(), "existing key");
            assert_eq!(lits.len(), n + 1);
            let form = match &lits {
                Literals::One(..) => 1,
                Literals::Small(_) => 2,
                Literals::Map(_) => 3,
            };
            let want = match n + 1 {
                1 => 1,
                len if len <= SMALL_MAX => 2,
                _ => 3,
            };
            assert_eq!(form, want, "after {} keys", n + 1);
        }
        for k in &keys {
            assert!(lits.get(k.as_bytes()).is_some());
        }
        assert_eq!(lits.values().count(), 10);
        assert_eq!(lits.values_mut().count(), 10);
        for (n, k) in keys.iter().enumerate() {
            lits.remove(k.as_bytes());
            lits.remove(k.as_bytes());
            assert!(lits.get(k.as_bytes()).is_none());
            assert_eq!(lits.len(), 9 - n);
        }
        assert!(matches!(&lits, Literals::Small(v) if v.capacity() == 0));
    }

    #[test]
    fn a_level_fits_a_64_byte_malloc_chunk() {
        // The single inline child shares its tag with the other forms, and a
        // level (this plus the two wildcard pointers) stays at 56 bytes.
        assert_eq!(size_of::<Literals<u64>>(), 40);
        assert_eq!(size_of::<super::super::trie::Level<u64>>(), 56);
    }
}
