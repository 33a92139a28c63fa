//! Accounts: isolated subject spaces, each with its own Sublist, and what they share.

pub(crate) mod config;
pub(crate) mod forward;
pub(crate) mod registry;
pub(crate) mod transform;
pub(crate) mod wiring;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use rnats_subject::Sublist;

use crate::subscription::{Subscription, SubscriptionRef};
use forward::{ForwardRef, ResponseRoutes};

/// The name of the default (global) account.
pub(crate) const GLOBAL_ACCOUNT: &str = "$G";

/// A subject space; clients bound to it see only its subscriptions.
pub(crate) struct Account {
    /// The account name (`$G` for the global account).
    pub(crate) name: String,
    /// Every subscription in the account, by subject.
    pub(crate) sublist: Sublist<SubscriptionRef>,
    /// Imports that carry messages published here to other accounts.
    pub(crate) forwards: Sublist<ForwardRef>,
    /// Set once a forward is added: publishers look at `forwards` only then.
    has_forwards: AtomicBool,
    /// The prefix of the replies this account's requests get through service imports.
    pub(crate) reply_prefix: Box<str>,
    /// Where responses to requests imported into this account go.
    pub(crate) responses: ResponseRoutes,
}

impl Account {
    /// An empty account.
    pub(crate) fn new(name: &str, sublist_cache: bool) -> Self {
        let sublist = if sublist_cache {
            Sublist::new()
        } else {
            Sublist::without_cache()
        };
        Account {
            name: name.to_owned(),
            sublist,
            forwards: Sublist::new(),
            has_forwards: AtomicBool::new(false),
            reply_prefix: forward::new_reply_prefix(),
            responses: ResponseRoutes::default(),
        }
    }

    /// Whether messages published here may cross to other accounts.
    #[inline]
    pub(crate) fn has_forwards(&self) -> bool {
        self.has_forwards.load(Ordering::Relaxed)
    }

    /// Adds a forward under its filter; `None` if the filter is not a valid subject.
    pub(crate) fn add_forward(&self, forward: forward::Forward) -> Option<ForwardRef> {
        let shared = ForwardRef(Arc::new(forward));
        self.forwards
            .insert(&shared.0.filter, None, shared.clone())
            .ok()?;
        self.has_forwards.store(true, Ordering::Relaxed);
        Some(shared)
    }

    /// Removes a forward `add_forward` returned. `has_forwards` stays set: publishers then
    /// look at an empty `forwards`, which is correct, and a race with a concurrent add could
    /// not clear it wrongly.
    pub(crate) fn remove_forward(&self, forward: &ForwardRef) {
        self.forwards.remove(&forward.0.filter, None, forward);
    }

    /// Removes a subscription from the account's Sublist.
    pub(crate) fn remove_subscription(&self, subscription: &Arc<Subscription>) {
        let shared = SubscriptionRef(subscription.clone());
        self.sublist
            .remove(subscription.subject(), subscription.queue(), &shared);
    }
}
