//! The literal children of a trie level.
//!
//! Most levels have a single child (the unique token of an inbox or id
//! subject and the fixed tokens after it), and a hash map costs several
//! hundred bytes even for one entry, so small levels are a short vector
//! scanned linearly, which is also faster than hashing at that size.

use rustc_hash::FxHashMap;

use super::node::{Node, shrink_after_remove};

/// Above this many children a level switches to a hash map.
const SMALL_MAX: usize = 4;

pub(super) enum Literals<T> {
    Small(Vec<(Box<[u8]>, Node<T>)>),
    Map(FxHashMap<Box<[u8]>, Node<T>>),
}

impl<T> Default for Literals<T> {
    fn default() -> Self {
        Literals::Small(Vec::new())
    }
}

impl<T> Literals<T> {
    pub(super) fn len(&self) -> usize {
        match self {
            Literals::Small(v) => v.len(),
            Literals::Map(m) => m.len(),
        }
    }

    #[inline]
    pub(super) fn get(&self, tok: &[u8]) -> Option<&Node<T>> {
        match self {
            Literals::Small(v) => v.iter().find(|(k, _)| **k == *tok).map(|(_, n)| n),
            Literals::Map(m) => m.get(tok),
        }
    }

    pub(super) fn get_mut(&mut self, tok: &[u8]) -> Option<&mut Node<T>> {
        match self {
            Literals::Small(v) => v.iter_mut().find(|(k, _)| **k == *tok).map(|(_, n)| n),
            Literals::Map(m) => m.get_mut(tok),
        }
    }

    /// The child for `tok`, created if missing. `None` cannot happen (the
    /// key was just looked up or added) but is surfaced rather than
    /// panicking: the borrow checker cannot follow a conditional early return.
    pub(super) fn get_or_insert(&mut self, tok: &[u8]) -> Option<&mut Node<T>> {
        if let Literals::Small(v) = self
            && v.len() >= SMALL_MAX
            && !v.iter().any(|(k, _)| **k == *tok)
        {
            *self = Literals::Map(std::mem::take(v).into_iter().collect());
        }
        match self {
            Literals::Small(v) => {
                let i = match v.iter().position(|(k, _)| **k == *tok) {
                    Some(i) => i,
                    None => {
                        if v.capacity() == 0 {
                            v.reserve_exact(1);
                        }
                        v.push((tok.into(), Node::default()));
                        v.len() - 1
                    }
                };
                v.get_mut(i).map(|(_, n)| n)
            }
            Literals::Map(m) => {
                // Probe first so an existing child costs no key allocation.
                if !m.contains_key(tok) {
                    m.insert(tok.into(), Node::default());
                }
                m.get_mut(tok)
            }
        }
    }

    pub(super) fn remove(&mut self, tok: &[u8]) {
        match self {
            Literals::Small(v) => {
                if let Some(i) = v.iter().position(|(k, _)| **k == *tok) {
                    v.swap_remove(i);
                    shrink_after_remove(v);
                }
            }
            Literals::Map(m) => {
                m.remove(tok);
                // Half the switch-over size, so a level hovering around it
                // does not convert back and forth.
                if m.len() <= SMALL_MAX / 2 {
                    let mut small = Vec::with_capacity(m.len());
                    small.extend(m.drain());
                    *self = Literals::Small(small);
                }
            }
        }
    }

    pub(super) fn values(&self) -> impl Iterator<Item = &Node<T>> {
        let (small, map) = match self {
            Literals::Small(v) => (Some(v), None),
            Literals::Map(m) => (None, Some(m)),
        };
        let small = small.into_iter().flatten().map(|(_, n)| n);
        small.chain(map.into_iter().flat_map(|m| m.values()))
    }

    pub(super) fn values_mut(&mut self) -> impl Iterator<Item = &mut Node<T>> {
        let (small, map) = match self {
            Literals::Small(v) => (Some(v), None),
            Literals::Map(m) => (None, Some(m)),
        };
        let small = small.into_iter().flatten().map(|(_, n)| n);
        small.chain(map.into_iter().flat_map(|m| m.values_mut()))
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
            let is_map = matches!(lits, Literals::Map(_));
            assert_eq!(is_map, n >= SMALL_MAX, "after {} keys", n + 1);
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
}
