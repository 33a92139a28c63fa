//! A connection's own cache of Sublist results, in front of the account's shared one.
//!
//! A publisher usually sends to a few subjects over and over. Looking them up here costs one
//! hash of the subject and touches nothing shared but the generation counters of the
//! account's subscriptions and forwards, which only change when those do; a change empties
//! this cache. An entry also holds the account's forwards (imports) that match the subject,
//! if any, so an account with imports (every account has the system account's) pays for
//! them only on the subjects they cover.
//!
//! For a connection with publish permissions, an entry also remembers whether the
//! connection may publish to the subject, so a repeated subject is checked for free.

use std::sync::Arc;

use hashbrown::HashMap;
use rnats_subject::{Sublist, SublistResult};
use rustc_hash::FxBuildHasher;

use crate::account::Account;
use crate::account::forward::ForwardRef;
use crate::subscription::SubscriptionRef;

/// Most subjects remembered per connection; past it the cache starts over.
const MAX_ENTRIES: usize = 512;

/// Results of `Sublist::matches` by subject, valid for one generation of the account's
/// subscriptions and forwards.
#[derive(Default)]
pub(super) struct MatchCache {
    generation: (u64, u64),
    entries: HashMap<Box<[u8]>, Cached, FxBuildHasher>,
}

/// What the connection knows about one subject.
pub(super) struct Cached {
    /// The subscriptions matching it.
    pub(super) result: Arc<SublistResult<SubscriptionRef>>,
    /// The forwards matching it; `None` when none does.
    pub(super) forwards: Option<Arc<SublistResult<ForwardRef>>>,
    /// Whether the connection's publish permissions allow it, once checked.
    pub(super) may_publish: Option<bool>,
}

impl MatchCache {
    /// What is known of `subject` in `account`, its matching subscriptions and forwards
    /// looked up if not cached.
    pub(super) fn lookup(&mut self, account: &Account, subject: &[u8]) -> &mut Cached {
        let generation = (account.sublist.generation(), account.forwards.generation());
        if generation != self.generation {
            self.entries.clear();
            self.generation = generation;
        } else if self.entries.len() >= MAX_ENTRIES && !self.entries.contains_key(subject) {
            self.entries.clear();
        }
        self.entries.entry_ref(subject).or_insert_with(|| Cached {
            result: account.sublist.matches(subject),
            forwards: matching_forwards(&account.forwards, account.has_forwards(), subject),
            may_publish: None,
        })
    }

    /// Forgets everything, publish decisions included (the permissions changed).
    pub(super) fn clear(&mut self) {
        self.entries.clear();
    }
}

/// The forwards matching `subject`, if the account has any and one matches.
fn matching_forwards(
    forwards: &Sublist<ForwardRef>,
    has_forwards: bool,
    subject: &[u8],
) -> Option<Arc<SublistResult<ForwardRef>>> {
    if !has_forwards {
        return None;
    }
    let matched = forwards.matches(subject);
    (!matched.plain.is_empty()).then_some(matched)
}
