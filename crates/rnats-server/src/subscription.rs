//! A client's interest in a subject, shared by its owner and the account's Sublist.

use std::ops::Deref;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use crate::client::ClientHandle;

/// One SUB of one client.
pub(crate) struct Subscription {
    /// The subscriber.
    pub(crate) client: Arc<ClientHandle>,
    /// The subscriber's id for this subscription, echoed in every MSG.
    pub(crate) sid: Box<[u8]>,
    /// The subject or wildcard filter.
    pub(crate) subject: Box<[u8]>,
    /// The queue group, if any.
    pub(crate) queue: Option<Box<[u8]>>,
    /// Messages delivered so far (also claimed-but-refused ones past `max`).
    delivered: AtomicU64,
    /// Total messages to deliver before the subscription removes itself; 0 is unlimited.
    max: AtomicU64,
}

/// The outcome of claiming the next delivery of a subscription.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Claim {
    /// Deliver; more may follow.
    Deliver,
    /// Deliver, then remove the subscription: this is message number `max`.
    DeliverLast,
    /// Do not deliver: `max` messages went out already.
    Exhausted,
}

impl Subscription {
    /// A subscription with no delivery limit.
    pub(crate) fn new(
        client: Arc<ClientHandle>,
        sid: &[u8],
        subject: &[u8],
        queue: Option<&[u8]>,
    ) -> Self {
        Subscription {
            client,
            sid: sid.into(),
            subject: subject.into(),
            queue: queue.map(Into::into),
            delivered: AtomicU64::new(0),
            max: AtomicU64::new(0),
        }
    }

    /// Reserves one delivery against `max`; concurrent publishers never exceed it together.
    pub(crate) fn claim(&self) -> Claim {
        let max = self.max.load(Ordering::Relaxed);
        let number = self.delivered.fetch_add(1, Ordering::Relaxed) + 1;
        match max {
            0 => Claim::Deliver,
            max if number < max => Claim::Deliver,
            max if number == max => Claim::DeliverLast,
            _ => Claim::Exhausted,
        }
    }

    /// Messages delivered so far.
    pub(crate) fn delivered(&self) -> u64 {
        self.delivered.load(Ordering::Relaxed)
    }

    /// Sets the total number of messages after which the subscription ends (UNSUB with max).
    pub(crate) fn set_max(&self, max: u64) {
        self.max.store(max, Ordering::Relaxed);
    }
}

/// A shared subscription, equal only to itself: what the Sublist stores.
#[derive(Clone)]
pub(crate) struct SubscriptionRef(pub(crate) Arc<Subscription>);

impl PartialEq for SubscriptionRef {
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.0, &other.0)
    }
}

impl Eq for SubscriptionRef {}

impl Deref for SubscriptionRef {
    type Target = Subscription;

    fn deref(&self) -> &Subscription {
        &self.0
    }
}
