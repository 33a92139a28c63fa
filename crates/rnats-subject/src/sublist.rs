//! The subscription list: a token trie with a bounded result cache.

use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use parking_lot::RwLock;

use crate::token::with_tokens;
use crate::validate::is_valid_subject;

mod cache;
mod key;
mod literals;
mod node;
mod trie;

use cache::ResultCache;
use trie::Level;

/// Subscriptions matching one published subject.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SublistResult<T> {
    /// Subscriptions without a queue group: each gets the message.
    pub plain: Vec<T>,
    /// Queue groups, one entry per distinct name: one member of each gets it.
    pub queues: Vec<QueueGroup<T>>,
}

/// The members of one queue group.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueueGroup<T> {
    /// The queue group name (opaque bytes).
    pub name: Box<[u8]>,
    /// Subscriptions in this group.
    pub members: Vec<T>,
}

impl<T> SublistResult<T> {
    /// Whether nothing matched.
    pub fn is_empty(&self) -> bool {
        self.plain.is_empty() && self.queues.is_empty()
    }

    /// Number of subscriptions: plain ones plus every queue member.
    pub fn len(&self) -> usize {
        self.plain.len() + self.queues.iter().map(|g| g.members.len()).sum::<usize>()
    }
}

impl<T> Default for SublistResult<T> {
    fn default() -> Self {
        SublistResult {
            plain: Vec::new(),
            queues: Vec::new(),
        }
    }
}

/// Returned by [`Sublist::insert`] for a subject that cannot be subscribed to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct InvalidSubject;

impl fmt::Display for InvalidSubject {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("invalid subject")
    }
}

impl std::error::Error for InvalidSubject {}

/// Counters in the shape of nats-server's `/subsz` report.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SublistStats {
    /// Subscriptions stored (`num_subscriptions`).
    pub subscriptions: u64,
    /// Results currently cached (`num_cache`).
    pub cache_entries: u64,
    /// Successful inserts so far (`num_inserts`).
    pub inserts: u64,
    /// Successful removes so far (`num_removes`).
    pub removes: u64,
    /// Match calls so far (`num_matches`).
    pub matches: u64,
    /// Match calls answered from the cache.
    pub cache_hits: u64,
    /// Largest fanout among cached results (`max_fanout`).
    pub max_fanout: u64,
    /// Mean fanout over cached results (`avg_fanout`).
    pub avg_fanout: f64,
}

impl SublistStats {
    /// Adds `other`'s counters to these (several accounts' Sublists reported as one): counts
    /// add up, the largest fanout wins, and the mean fanout is over both caches' entries.
    pub fn add(&mut self, other: &SublistStats) {
        let fanout_total = self.avg_fanout * self.cache_entries as f64
            + other.avg_fanout * other.cache_entries as f64;
        self.subscriptions += other.subscriptions;
        self.cache_entries += other.cache_entries;
        self.inserts += other.inserts;
        self.removes += other.removes;
        self.matches += other.matches;
        self.cache_hits += other.cache_hits;
        self.max_fanout = self.max_fanout.max(other.max_fanout);
        self.avg_fanout = if self.cache_entries == 0 {
            0.0
        } else {
            fanout_total / self.cache_entries as f64
        };
    }

    /// Share of matches answered from the cache (`cache_hit_rate`).
    pub fn cache_hit_rate(&self) -> f64 {
        if self.matches == 0 {
            0.0
        } else {
            self.cache_hits as f64 / self.matches as f64
        }
    }
}

/// Subscriptions indexed by subject, matched against published subjects.
///
/// Lock order is always trie then cache. Cache hits take only the cache's
/// read lock; misses compute under the trie read lock and cache the result
/// before releasing it, and writers invalidate the cache under the trie write
/// lock, so a cached result can never be stale.
pub struct Sublist<T> {
    trie: RwLock<Level<T>>,
    cache: Option<ResultCache<T>>,
    empty: Arc<SublistResult<T>>,
    generation: AtomicU64,
    count: AtomicU64,
    inserts: AtomicU64,
    removes: AtomicU64,
    // Hits and computed results are counted apart so that each match pays
    // for one shared counter, not two; their sum is the match count.
    computed: AtomicU64,
    cache_hits: AtomicU64,
}

impl<T> Sublist<T> {
    /// An empty list with a result cache.
    pub fn new() -> Self {
        Self::build(Some(ResultCache::new()))
    }

    /// An empty list that recomputes every match (`no_sublist_cache`).
    pub fn without_cache() -> Self {
        Self::build(None)
    }

    fn build(cache: Option<ResultCache<T>>) -> Self {
        Sublist {
            trie: RwLock::new(Level::default()),
            cache,
            empty: Arc::new(SublistResult::default()),
            generation: AtomicU64::new(0),
            count: AtomicU64::new(0),
            inserts: AtomicU64::new(0),
            removes: AtomicU64::new(0),
            computed: AtomicU64::new(0),
            cache_hits: AtomicU64::new(0),
        }
    }

    /// Bumped by every successful insert and remove.
    ///
    /// To cache results outside the list, read this *before* calling
    /// [`Sublist::matches`]; while it still reads the same, the result is
    /// current. The bump happens after the internal cache is invalidated, so
    /// a caller that sees the new value can no longer be handed the old result.
    pub fn generation(&self) -> u64 {
        self.generation.load(Ordering::Acquire)
    }

    /// Number of subscriptions stored.
    pub fn count(&self) -> usize {
        usize::try_from(self.count.load(Ordering::Relaxed)).unwrap_or(usize::MAX)
    }

    /// A snapshot of the counters; fanout figures cover cached results only.
    pub fn stats(&self) -> SublistStats {
        let (entries, max, total) = self.cache.as_ref().map_or((0, 0, 0), ResultCache::fanout);
        let cache_hits = self.cache_hits.load(Ordering::Relaxed);
        SublistStats {
            subscriptions: self.count.load(Ordering::Relaxed),
            cache_entries: entries as u64,
            inserts: self.inserts.load(Ordering::Relaxed),
            removes: self.removes.load(Ordering::Relaxed),
            matches: self.computed.load(Ordering::Relaxed) + cache_hits,
            cache_hits,
            max_fanout: max as u64,
            avg_fanout: if entries == 0 {
                0.0
            } else {
                total as f64 / entries as f64
            },
        }
    }

    /// Visits every stored subscription, in no particular order.
    ///
    /// `f` runs under the read lock: it must not insert into or remove from
    /// this list, or it deadlocks.
    pub fn for_each(&self, f: impl FnMut(&T)) {
        self.trie.read().for_each(f);
    }

    /// Records a successful change. Runs under the trie write lock, and bumps
    /// the generation last so it is never ahead of the cache.
    fn changed(&self, subject: &[u8], counter: &AtomicU64) {
        counter.fetch_add(1, Ordering::Relaxed);
        if let Some(cache) = &self.cache {
            cache.invalidate(subject);
        }
        self.generation.fetch_add(1, Ordering::Release);
    }
}

impl<T: Clone + Eq> Sublist<T> {
    /// Adds `item` under `subject`, in queue group `queue` if given.
    ///
    /// Items are not deduplicated: the caller keeps them unique.
    pub fn insert(
        &self,
        subject: &[u8],
        queue: Option<&[u8]>,
        item: T,
    ) -> Result<(), InvalidSubject> {
        if !is_valid_subject(subject) {
            return Err(InvalidSubject);
        }
        let mut trie = self.trie.write();
        if !trie.insert(subject, queue, item) {
            return Err(InvalidSubject);
        }
        self.count.fetch_add(1, Ordering::Relaxed);
        self.changed(subject, &self.inserts);
        drop(trie);
        Ok(())
    }

    /// Removes one `item` stored under `subject` and `queue`; `false` if there
    /// was none. Emptied trie nodes are freed.
    pub fn remove(&self, subject: &[u8], queue: Option<&[u8]>, item: &T) -> bool {
        let mut trie = self.trie.write();
        if !trie.remove(subject, queue, item) {
            return false;
        }
        self.count.fetch_sub(1, Ordering::Relaxed);
        self.changed(subject, &self.removes);
        drop(trie);
        true
    }

    /// Subscriptions matching the published `subject`; a subject with an
    /// empty token matches nothing.
    pub fn matches(&self, subject: &[u8]) -> Arc<SublistResult<T>> {
        if let Some(hit) = self.cache.as_ref().and_then(|c| c.get(subject)) {
            self.cache_hits.fetch_add(1, Ordering::Relaxed);
            return hit;
        }
        self.computed.fetch_add(1, Ordering::Relaxed);
        let computed = with_tokens(subject, |toks| {
            let trie = self.trie.read();
            let mut out = SublistResult::default();
            trie.collect(toks, &mut out);
            let result = if out.is_empty() {
                Arc::clone(&self.empty)
            } else {
                Arc::new(out)
            };
            if let Some(cache) = &self.cache {
                // Still under the trie read lock: no writer can have changed
                // the answer since it was computed.
                cache.insert(subject, Arc::clone(&result));
            }
            drop(trie);
            result
        });
        // Subjects with an empty token are not cached: they are malformed and
        // would only push useful entries out.
        computed.unwrap_or_else(|| Arc::clone(&self.empty))
    }
}

impl<T> Default for Sublist<T> {
    fn default() -> Self {
        Self::new()
    }
}

impl<T> fmt::Debug for Sublist<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Sublist")
            .field("count", &self.count())
            .field("generation", &self.generation())
            .field("cached", &self.cache.is_some())
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests;
