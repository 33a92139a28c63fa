//! A connection's own cache of Sublist results, in front of the account's shared one.
//!
//! A publisher usually sends to a few subjects over and over. Looking them up here costs one
//! hash of the subject and touches nothing shared but the Sublist's generation counter, which
//! only changes when subscriptions do; a change empties this cache.

use std::sync::Arc;

use hashbrown::HashMap;
use rnats_subject::{Sublist, SublistResult};
use rustc_hash::FxBuildHasher;

use crate::subscription::SubscriptionRef;

/// Most subjects remembered per connection; past it the cache starts over.
const MAX_ENTRIES: usize = 512;

/// Results of `Sublist::matches` by subject, valid for one Sublist generation.
#[derive(Default)]
pub(super) struct MatchCache {
    generation: u64,
    entries: HashMap<Box<[u8]>, Arc<SublistResult<SubscriptionRef>>, FxBuildHasher>,
}

impl MatchCache {
    /// The subscriptions matching `subject`, from this cache when still valid.
    pub(super) fn matches(
        &mut self,
        sublist: &Sublist<SubscriptionRef>,
        subject: &[u8],
    ) -> &Arc<SublistResult<SubscriptionRef>> {
        let generation = sublist.generation();
        if generation != self.generation {
            self.entries.clear();
            self.generation = generation;
        } else if self.entries.len() >= MAX_ENTRIES && !self.entries.contains_key(subject) {
            self.entries.clear();
        }
        self.entries
            .entry_ref(subject)
            .or_insert_with(|| sublist.matches(subject))
    }
}
