//! Trie nodes and the subscriptions stored on them.
//!
//! With a one-word item (an `Arc`, a `u64`) a node is two words. Nearly
//! every node either ends exactly one plain subscription (the unique last
//! token of a subject) or only leads to the next level (the tokens before
//! it), so those two shapes are stored without a box of their own; anything
//! else spills into a boxed [`Full`] node, and removals fold it back as soon
//! as it fits a small shape again, so memory returns after removes.

use std::mem;

use super::trie::Level;
use super::{QueueGroup, SublistResult};

/// A token in the trie: the level for further tokens and the subscriptions
/// ending here.
#[derive(Default)]
pub(super) enum Node<T> {
    /// Holds nothing: only while an insert is under way, since emptied
    /// nodes are pruned.
    #[default]
    Empty,
    /// One plain subscription and no level below.
    Leaf(T),
    /// Only the level below.
    Path(Box<Level<T>>),
    /// Anything else. Between operations never in a shape that one of the
    /// variants above can hold, so it is never empty either.
    Full(Box<Full<T>>),
}

/// A node with several subscriptions, a queue group, or subscriptions
/// besides a level below.
pub(super) struct Full<T> {
    next: Option<Box<Level<T>>>,
    plain: Vec<T>,
    queues: Vec<QueueGroup<T>>,
}

/// Pushes without the default growth to four slots: most vectors here hold
/// a single element, and per-subscription memory is a target.
fn push_compact<V>(v: &mut Vec<V>, x: V) {
    if v.capacity() == 0 {
        v.reserve_exact(1);
    }
    v.push(x);
}

/// Gives memory back once a vector has mostly drained, so that a burst of
/// subscriptions on one subject does not pin its peak capacity forever.
pub(super) fn shrink_after_remove<V>(v: &mut Vec<V>) {
    if v.is_empty() {
        *v = Vec::new();
    } else if v.capacity() > 8 && v.len() <= v.capacity() / 4 {
        v.shrink_to(v.len() * 2);
    }
}

impl<T> Node<T> {
    /// The level below, if any.
    #[inline]
    pub(super) fn next(&self) -> Option<&Level<T>> {
        match self {
            Node::Path(next) => Some(next),
            Node::Full(full) => full.next.as_deref(),
            Node::Empty | Node::Leaf(_) => None,
        }
    }

    /// The level below, if any, for changes.
    pub(super) fn next_mut(&mut self) -> Option<&mut Level<T>> {
        match self {
            Node::Path(next) => Some(next),
            Node::Full(full) => full.next.as_deref_mut(),
            Node::Empty | Node::Leaf(_) => None,
        }
    }

    /// The level below, created if missing. `None` cannot happen (the node
    /// has just been given a level) but is surfaced rather than panicking:
    /// the borrow checker cannot follow the conversion.
    pub(super) fn next_or_insert(&mut self) -> Option<&mut Level<T>> {
        match self {
            Node::Empty => *self = Node::Path(Box::default()),
            Node::Leaf(_) => {
                let mut full = mem::take(self).into_full();
                full.next = Some(Box::default());
                *self = Node::Full(full);
            }
            Node::Path(_) | Node::Full(_) => {}
        }
        match self {
            Node::Path(next) => Some(next),
            Node::Full(full) => Some(full.next.get_or_insert_with(Box::default)),
            Node::Empty | Node::Leaf(_) => None,
        }
    }

    /// Detaches the level below, folding what is left back to a small shape.
    pub(super) fn take_next(&mut self) -> Option<Box<Level<T>>> {
        match self {
            Node::Path(_) => match mem::take(self) {
                Node::Path(next) => Some(next),
                other => {
                    *self = other;
                    None
                }
            },
            Node::Full(full) => {
                let next = full.next.take();
                self.fold();
                next
            }
            Node::Empty | Node::Leaf(_) => None,
        }
    }

    pub(super) fn has_subs(&self) -> bool {
        matches!(self, Node::Leaf(_) | Node::Full(_))
    }

    /// This node's contents in the boxed form, which can hold anything.
    fn into_full(self) -> Box<Full<T>> {
        match self {
            Node::Empty => Box::default(),
            Node::Leaf(item) => {
                // Room for a second subscription: with an 8-byte item, two
                // slots take the same 32-byte malloc chunk as one.
                let mut plain = Vec::with_capacity(2);
                plain.push(item);
                Box::new(Full {
                    plain,
                    ..Full::default()
                })
            }
            Node::Path(next) => Box::new(Full {
                next: Some(next),
                ..Full::default()
            }),
            Node::Full(full) => full,
        }
    }

    /// Returns a boxed node to the smallest shape that holds its contents.
    fn fold(&mut self) {
        let Node::Full(full) = self else { return };
        if full.plain.is_empty() && full.queues.is_empty() {
            *self = match full.next.take() {
                Some(next) => Node::Path(next),
                None => Node::Empty,
            };
        } else if full.next.is_none()
            && full.queues.is_empty()
            && full.plain.len() == 1
            && let Some(item) = full.plain.pop()
        {
            *self = Node::Leaf(item);
        }
    }

    /// Adds `item`, in `queue` if given. Only a first, plain subscription
    /// stays inline; anything more spills to the boxed form.
    pub(super) fn add(&mut self, queue: Option<&[u8]>, item: T) {
        match self {
            Node::Empty if queue.is_none() => *self = Node::Leaf(item),
            Node::Full(full) => full.add(queue, item),
            _ => {
                let mut full = mem::take(self).into_full();
                full.add(queue, item);
                *self = Node::Full(full);
            }
        }
    }

    /// Removes one occurrence of `item`; `false` if it is not here.
    pub(super) fn remove(&mut self, queue: Option<&[u8]>, item: &T) -> bool
    where
        T: Eq,
    {
        match self {
            Node::Leaf(x) if queue.is_none() && x == item => {
                *self = Node::Empty;
                true
            }
            Node::Full(full) => {
                let removed = full.remove(queue, item);
                if removed {
                    self.fold();
                }
                removed
            }
            _ => false,
        }
    }

    /// Appends this node's subscriptions, merging queue groups by name across
    /// nodes so a message is delivered once per group, not once per subject.
    #[inline]
    pub(super) fn add_to(&self, out: &mut SublistResult<T>)
    where
        T: Clone,
    {
        match self {
            Node::Leaf(item) => out.plain.push(item.clone()),
            Node::Full(full) => full.add_to(out),
            Node::Empty | Node::Path(_) => {}
        }
    }

    /// Every subscription on this node.
    pub(super) fn items(&self) -> impl Iterator<Item = &T> {
        let (one, full) = match self {
            Node::Leaf(item) => (Some(item), None),
            Node::Full(full) => (None, Some(full)),
            Node::Empty | Node::Path(_) => (None, None),
        };
        let spilled = full.into_iter().flat_map(|full| {
            let queued = full.queues.iter().flat_map(|g| g.members.iter());
            full.plain.iter().chain(queued)
        });
        one.into_iter().chain(spilled)
    }
}

impl<T> Default for Full<T> {
    fn default() -> Self {
        Full {
            next: None,
            plain: Vec::new(),
            queues: Vec::new(),
        }
    }
}

impl<T> Full<T> {
    fn add(&mut self, queue: Option<&[u8]>, item: T) {
        let Some(queue) = queue else {
            push_compact(&mut self.plain, item);
            return;
        };
        match self.queues.iter_mut().find(|g| *g.name == *queue) {
            Some(group) => group.members.push(item),
            None => push_compact(
                &mut self.queues,
                QueueGroup {
                    name: queue.into(),
                    members: vec![item],
                },
            ),
        }
    }

    fn remove(&mut self, queue: Option<&[u8]>, item: &T) -> bool
    where
        T: Eq,
    {
        let Some(queue) = queue else {
            // Search from the end: short-lived subscriptions tend to be the
            // most recently added ones.
            let Some(i) = self.plain.iter().rposition(|x| x == item) else {
                return false;
            };
            self.plain.swap_remove(i);
            shrink_after_remove(&mut self.plain);
            return true;
        };
        let Some(gi) = self.queues.iter().position(|g| *g.name == *queue) else {
            return false;
        };
        let Some(group) = self.queues.get_mut(gi) else {
            return false;
        };
        let Some(i) = group.members.iter().rposition(|x| x == item) else {
            return false;
        };
        group.members.swap_remove(i);
        shrink_after_remove(&mut group.members);
        if group.members.is_empty() {
            self.queues.swap_remove(gi);
            shrink_after_remove(&mut self.queues);
        }
        true
    }

    #[inline]
    fn add_to(&self, out: &mut SublistResult<T>)
    where
        T: Clone,
    {
        out.plain.extend_from_slice(&self.plain);
        for group in &self.queues {
            match out.queues.iter_mut().find(|g| g.name == group.name) {
                Some(existing) => existing.members.extend_from_slice(&group.members),
                None => out.queues.push(group.clone()),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn is_two_words() {
        assert_eq!(size_of::<Node<u64>>(), 16);
        assert_eq!(size_of::<Node<std::sync::Arc<u8>>>(), 16);
    }

    #[test]
    fn spills_and_folds_back() {
        let mut node: Node<u32> = Node::default();
        node.add(None, 1);
        assert!(matches!(node, Node::Leaf(1)));
        node.add(Some(b"q"), 2);
        node.add(None, 3);
        assert!(matches!(node, Node::Full(_)));
        assert!(node.remove(Some(b"q"), &2));
        assert!(!node.remove(Some(b"q"), &2));
        assert!(node.remove(None, &1));
        assert!(matches!(node, Node::Leaf(3)));
        // A level below keeps the box while there are subscriptions too.
        assert!(node.next_or_insert().is_some());
        assert!(matches!(node, Node::Full(_)));
        assert!(node.remove(None, &3));
        assert!(matches!(node, Node::Path(_)));
        node.add(None, 4);
        assert!(node.take_next().is_some());
        assert!(matches!(node, Node::Leaf(4)));
        assert!(node.take_next().is_none());
        assert!(node.remove(None, &4));
        assert!(matches!(node, Node::Empty));
        assert!(!node.remove(None, &4));
    }
}
