//! Trie nodes and the subscriptions stored on them.

use super::trie::Level;
use super::{QueueGroup, SublistResult};

/// A token in the trie: the level for further tokens and the subscriptions
/// ending here. Both are boxed and optional so that a node is two pointers:
/// most nodes are on the way to a subscription, not the end of one.
pub(super) struct Node<T> {
    pub(super) next: Option<Box<Level<T>>>,
    subs: Option<Box<Subs<T>>>,
}

/// Never empty: a node drops its `Subs` with the last subscription.
struct Subs<T> {
    plain: Vec<T>,
    queues: Vec<QueueGroup<T>>,
}

impl<T> Default for Node<T> {
    fn default() -> Self {
        Node {
            next: None,
            subs: None,
        }
    }
}

/// Pushes without the default growth to four slots: most nodes hold a single
/// subscription, and per-subscription memory is a target.
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
    pub(super) fn has_subs(&self) -> bool {
        self.subs.is_some()
    }

    pub(super) fn add(&mut self, queue: Option<&[u8]>, item: T) {
        let subs = self.subs.get_or_insert_with(|| {
            Box::new(Subs {
                plain: Vec::new(),
                queues: Vec::new(),
            })
        });
        let Some(queue) = queue else {
            push_compact(&mut subs.plain, item);
            return;
        };
        match subs.queues.iter_mut().find(|g| *g.name == *queue) {
            Some(group) => group.members.push(item),
            None => push_compact(
                &mut subs.queues,
                QueueGroup {
                    name: queue.into(),
                    members: vec![item],
                },
            ),
        }
    }

    /// Removes one occurrence of `item`; `false` if it is not here.
    pub(super) fn remove(&mut self, queue: Option<&[u8]>, item: &T) -> bool
    where
        T: Eq,
    {
        let Some(subs) = self.subs.as_deref_mut() else {
            return false;
        };
        if !subs.remove(queue, item) {
            return false;
        }
        if subs.plain.is_empty() && subs.queues.is_empty() {
            self.subs = None;
        }
        true
    }

    /// Appends this node's subscriptions, merging queue groups by name across
    /// nodes so a message is delivered once per group, not once per subject.
    #[inline]
    pub(super) fn add_to(&self, out: &mut SublistResult<T>)
    where
        T: Clone,
    {
        let Some(subs) = &self.subs else { return };
        out.plain.extend_from_slice(&subs.plain);
        for group in &subs.queues {
            match out.queues.iter_mut().find(|g| g.name == group.name) {
                Some(existing) => existing.members.extend_from_slice(&group.members),
                None => out.queues.push(group.clone()),
            }
        }
    }

    /// Every subscription on this node.
    pub(super) fn items(&self) -> impl Iterator<Item = &T> {
        self.subs.iter().flat_map(|subs| {
            let queued = subs.queues.iter().flat_map(|g| g.members.iter());
            subs.plain.iter().chain(queued)
        })
    }
}

impl<T> Subs<T> {
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
}
