//! A connection's own cache of Sublist results, in front of the account's shared one.
//!
//! A publisher usually sends to a few subjects over and over. Looking them up here costs one
//! hash of the subject and touches nothing shared but the Sublist's generation counter, which
//! only changes when subscriptions do; a change empties this cache.
//!
//! For a connection with publish permissions, an entry also remembers whether the
//! connection may publish to the subject, so a repeated subject is checked for free.

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
    entries: HashMap<Box<[u8]>, Cached, FxBuildHasher>,
}

/// What the connection knows about one subject.
pub(super) struct Cached {
    /// The subscriptions matching it.
    pub(super) result: Arc<SublistResult<SubscriptionRef>>,
    /// Whether the connection's publish permissions allow it, once checked.
    pub(super) may_publish: Option<bool>,
}

impl MatchCache {
    /// What is known of `subject`, its matching subscriptions looked up if not cached.
    pub(super) fn lookup(
        &mut self,
        sublist: &Sublist<SubscriptionRef>,
        subject: &[u8],
    ) -> &mut Cached {
        let generation = sublist.generation();
        if generation != self.generation {
            self.entries.clear();
            self.generation = generation;
        } else if self.entries.len() >= MAX_ENTRIES && !self.entries.contains_key(subject) {
            self.entries.clear();
        }
        self.entries.entry_ref(subject).or_insert_with(|| Cached {
            result: sublist.matches(subject),
            may_publish: None,
        })
    }

    /// Forgets everything, publish decisions included (the permissions changed).
    pub(super) fn clear(&mut self) {
        self.entries.clear();
    }
}
