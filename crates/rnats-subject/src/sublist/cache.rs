//! The bounded result cache in front of the trie.

use std::sync::Arc;

use parking_lot::RwLock;
use rustc_hash::FxHashMap;

use super::SublistResult;
use crate::validate::{is_literal, matches_unchecked};

/// Above this many entries the cache is swept (nats-server's `slCacheMax`).
pub(super) const CACHE_MAX: usize = 1024;
/// A sweep leaves this many entries (nats-server's `slCacheSweep`).
pub(super) const CACHE_SWEEP: usize = 256;

type Map<T> = FxHashMap<Box<[u8]>, Arc<SublistResult<T>>>;

/// Published subject to its result.
///
/// A read-write lock rather than a mutex because hits, the hot path, only
/// read: concurrent publishers never wait on each other here.
pub(super) struct ResultCache<T> {
    map: RwLock<Map<T>>,
}

impl<T> ResultCache<T> {
    pub(super) fn new() -> Self {
        ResultCache {
            map: RwLock::new(FxHashMap::default()),
        }
    }

    #[inline]
    pub(super) fn get(&self, subject: &[u8]) -> Option<Arc<SublistResult<T>>> {
        self.map.read().get(subject).cloned()
    }

    /// Caches a freshly computed result. The caller must still hold the trie
    /// read lock, so no insert or remove can have changed the answer since it
    /// was computed and the entry cannot be stale.
    pub(super) fn insert(&self, subject: &[u8], result: Arc<SublistResult<T>>) {
        let mut map = self.map.write();
        if map.len() >= CACHE_MAX && !map.contains_key(subject) {
            // The map iterates in hash order, which is unrelated to recency or
            // insertion order, so keeping the tail is a cheap pseudo-random
            // sweep like the reference server's.
            let mut excess = map.len() - CACHE_SWEEP;
            map.retain(|_, _| {
                if excess == 0 {
                    return true;
                }
                excess -= 1;
                false
            });
        }
        map.insert(subject.into(), result);
    }

    /// Drops every entry whose subject the (valid) `filter` matches. Called
    /// under the trie write lock, before the generation is bumped.
    pub(super) fn invalidate(&self, filter: &[u8]) {
        let mut map = self.map.write();
        if map.is_empty() {
            return;
        }
        if is_literal(filter) {
            // A literal filter matches only the identical published subject.
            map.remove(filter);
        } else {
            map.retain(|subject, _| !matches_unchecked(filter, subject));
        }
    }

    /// Entry count, and the maximum and total fanout (deliveries per message:
    /// one per plain subscription, one per queue group) over cached results.
    pub(super) fn fanout(&self) -> (usize, usize, usize) {
        let map = self.map.read();
        let (mut max, mut total) = (0, 0);
        for result in map.values() {
            let fanout = result.plain.len() + result.queues.len();
            max = max.max(fanout);
            total += fanout;
        }
        (map.len(), max, total)
    }
}
