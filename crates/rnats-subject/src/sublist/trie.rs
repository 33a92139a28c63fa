//! The token trie behind [`super::Sublist`], without locking or caching.
//!
//! Every walk is iterative so that subjects with thousands of tokens (they
//! arrive from the network) cannot overflow the stack.

use memchr::memrchr;

use super::SublistResult;
use super::literals::Literals;
use super::node::Node;
use crate::token::Tokens;

/// One token position: the literal children plus the two wildcard children.
pub(super) struct Level<T> {
    literal: Literals<T>,
    star: Option<Box<Node<T>>>,
    full: Option<Box<Node<T>>>,
}

impl<T> Default for Level<T> {
    fn default() -> Self {
        Level {
            literal: Literals::default(),
            star: None,
            full: None,
        }
    }
}

/// Splits a non-empty subject into everything before its last token and the
/// last token, so walks can stop one level early without peeking.
fn split_last(subject: &[u8]) -> (Option<&[u8]>, &[u8]) {
    match memrchr(b'.', subject) {
        Some(i) => {
            let (prefix, last) = subject.split_at(i);
            (Some(prefix), last.get(1..).unwrap_or_default())
        }
        None => (None, subject),
    }
}

impl<T> Level<T> {
    fn children(&self) -> impl Iterator<Item = &Node<T>> {
        let wildcards = self.star.as_deref().into_iter().chain(self.full.as_deref());
        self.literal.values().chain(wildcards)
    }

    fn child_count(&self) -> usize {
        self.literal.len() + usize::from(self.star.is_some()) + usize::from(self.full.is_some())
    }

    fn child(&self, tok: &[u8]) -> Option<&Node<T>> {
        match tok {
            b"*" => self.star.as_deref(),
            b">" => self.full.as_deref(),
            _ => self.literal.get(tok),
        }
    }

    fn child_mut(&mut self, tok: &[u8]) -> Option<&mut Node<T>> {
        match tok {
            b"*" => self.star.as_deref_mut(),
            b">" => self.full.as_deref_mut(),
            _ => self.literal.get_mut(tok),
        }
    }

    /// The child for `tok`, created if missing; see [`Literals::get_or_insert`]
    /// for why this is an `Option`.
    fn child_or_insert(&mut self, tok: &[u8]) -> Option<&mut Node<T>> {
        match tok {
            b"*" => Some(self.star.get_or_insert_with(Box::default)),
            b">" => Some(self.full.get_or_insert_with(Box::default)),
            _ => self.literal.get_or_insert(tok),
        }
    }

    fn remove_child(&mut self, tok: &[u8]) {
        match tok {
            b"*" => self.star = None,
            b">" => self.full = None,
            _ => self.literal.remove(tok),
        }
    }

    /// Inserts under a subject that has already been validated; `false` only
    /// if [`Level::child_or_insert`] ever broke its promise.
    #[must_use]
    pub(super) fn insert(&mut self, subject: &[u8], queue: Option<&[u8]>, item: T) -> bool {
        let (prefix, last) = split_last(subject);
        let mut level = self;
        for tok in prefix.into_iter().flat_map(Tokens::new) {
            let Some(next) = level.child_or_insert(tok).and_then(Node::next_or_insert) else {
                return false;
            };
            level = next;
        }
        let Some(node) = level.child_or_insert(last) else {
            return false;
        };
        node.add(queue, item);
        true
    }

    /// Walks to the node for `subject`, if every level on the way exists.
    fn node_mut(&mut self, subject: &[u8]) -> Option<&mut Node<T>> {
        let (prefix, last) = split_last(subject);
        let mut level = self;
        for tok in prefix.into_iter().flat_map(Tokens::new) {
            level = level.child_mut(tok)?.next_mut()?;
        }
        level.child_mut(last)
    }

    /// Removes one occurrence of `item` and prunes what became empty.
    pub(super) fn remove(&mut self, subject: &[u8], queue: Option<&[u8]>, item: &T) -> bool
    where
        T: Eq,
    {
        let removed = self
            .node_mut(subject)
            .is_some_and(|node| node.remove(queue, item));
        if removed {
            self.prune(subject);
        }
        removed
    }

    /// Drops the longest tail of `subject`'s path that now holds nothing.
    ///
    /// Without parent links the path cannot be unwound from the bottom, so a
    /// shared walk finds the shallowest depth where only this path's empty
    /// chain hangs, and a second walk cuts it there.
    fn prune(&mut self, subject: &[u8]) {
        let mut cut = None;
        let mut level = &*self;
        let mut toks = Tokens::new(subject).enumerate().peekable();
        while let Some((depth, tok)) = toks.next() {
            let Some(node) = level.child(tok) else { return };
            let is_last = toks.peek().is_none();
            let empty_chain = !node.has_subs()
                && match node.next() {
                    None => is_last,
                    Some(next) => !is_last && next.child_count() == 1,
                };
            if !empty_chain {
                cut = None;
            } else if cut.is_none() {
                cut = Some(depth);
            }
            match node.next() {
                Some(next) => level = next,
                None => break,
            }
        }
        let Some(cut) = cut else { return };
        let mut level = self;
        for (depth, tok) in Tokens::new(subject).enumerate() {
            if depth == cut {
                level.remove_child(tok);
                return;
            }
            let Some(node) = level.child_mut(tok) else {
                return;
            };
            // A level left without children goes too: its node still holds
            // subscriptions (else the cut would be higher) and keeps no `next`.
            if depth + 1 == cut && node.next().is_some_and(|n| n.child_count() == 1) {
                drop(node.take_next());
                return;
            }
            match node.next_mut() {
                Some(next) => level = next,
                None => return,
            }
        }
    }

    /// Collects every subscription matching the published `toks`.
    ///
    /// At each level the `>` child matches the rest and the `*` child consumes
    /// one token; `*` branches are deferred on an explicit stack so only the
    /// literal path is followed in the inner loop.
    pub(super) fn collect(&self, toks: &[&[u8]], out: &mut SublistResult<T>)
    where
        T: Clone,
    {
        let mut pending: Vec<(&Level<T>, usize)> = Vec::new();
        let mut cursor = Some((self, 0));
        while let Some((mut level, mut i)) = cursor.take().or_else(|| pending.pop()) {
            while let Some(&tok) = toks.get(i) {
                let is_last = i + 1 == toks.len();
                if let Some(full) = &level.full {
                    full.add_to(out);
                }
                if let Some(star) = &level.star {
                    if is_last {
                        star.add_to(out);
                    } else if let Some(next) = star.next() {
                        pending.push((next, i + 1));
                    }
                }
                // Published `*`/`>` tokens never hit: wildcards are not stored
                // in the literal map.
                let Some(node) = level.literal.get(tok) else {
                    break;
                };
                if is_last {
                    node.add_to(out);
                    break;
                }
                match node.next() {
                    Some(next) => {
                        level = next;
                        i += 1;
                    }
                    None => break,
                }
            }
        }
    }

    /// Visits every stored subscription.
    pub(super) fn for_each(&self, mut f: impl FnMut(&T)) {
        let mut stack = vec![self];
        while let Some(level) = stack.pop() {
            for node in level.children() {
                node.items().for_each(&mut f);
                if let Some(next) = node.next() {
                    stack.push(next);
                }
            }
        }
    }

    /// Number of levels and nodes, to check that removals prune.
    #[cfg(test)]
    pub(super) fn shape(&self) -> (usize, usize) {
        let (mut levels, mut nodes) = (0, 0);
        let mut stack = vec![self];
        while let Some(level) = stack.pop() {
            levels += 1;
            for node in level.children() {
                nodes += 1;
                if let Some(next) = node.next() {
                    stack.push(next);
                }
            }
        }
        (levels, nodes)
    }
}

/// Frees deep tries level by level: the default recursive drop would
/// overflow the stack on subjects with many thousands of tokens.
impl<T> Drop for Level<T> {
    fn drop(&mut self) {
        let mut detached = Vec::new();
        self.detach_children(&mut detached);
        while let Some(mut level) = detached.pop() {
            // `level` is dropped at the end of this iteration with no
            // children left, so its own drop does not recurse.
            level.detach_children(&mut detached);
        }
    }
}

impl<T> Level<T> {
    /// Moves the levels below this one into `into`, leaving only nodes.
    fn detach_children(&mut self, into: &mut Vec<Level<T>>) {
        let nodes = self
            .literal
            .values_mut()
            .chain(self.star.as_deref_mut())
            .chain(self.full.as_deref_mut());
        into.extend(nodes.filter_map(|node| node.take_next().map(|next| *next)));
    }
}
