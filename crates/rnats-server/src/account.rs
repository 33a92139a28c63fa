//! Accounts: isolated subject spaces, each with its own Sublist.

use rnats_subject::Sublist;

use crate::subscription::{Subscription, SubscriptionRef};

/// The name of the default (global) account.
pub(crate) const GLOBAL_ACCOUNT: &str = "$G";

/// A subject space; clients bound to it see only its subscriptions.
pub(crate) struct Account {
    /// The account name (`$G` for the global account).
    pub(crate) name: String,
    /// Every subscription in the account, by subject.
    pub(crate) sublist: Sublist<SubscriptionRef>,
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
        }
    }

    /// Removes a subscription from the account's Sublist.
    pub(crate) fn remove_subscription(&self, subscription: &std::sync::Arc<Subscription>) {
        let shared = SubscriptionRef(subscription.clone());
        self.sublist
            .remove(subscription.subject(), subscription.queue(), &shared);
    }
}
