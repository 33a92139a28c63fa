//! A client's interest in a subject, shared by its owner and the account's Sublist.

use std::borrow::Borrow;
use std::hash::{Hash, Hasher};
use std::ops::Deref;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use crate::client::ClientHandle;

/// One SUB of one client.
pub(crate) struct Subscription {
    /// The subscriber.
    pub(crate) client: Arc<ClientHandle>,
    /// The subject, the queue group and the sid, back to back: one allocation instead of three.
    text: Box<[u8]>,
    subject_len: u32,
    queue_len: u32,
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
    ///
    /// The subject and queue come from one control line, so they are far below 4 GiB.
    pub(crate) fn new(
        client: Arc<ClientHandle>,
        sid: &[u8],
        subject: &[u8],
        queue: Option<&[u8]>,
    ) -> Self {
        let queue = queue.unwrap_or_default();
        let text = [subject, queue, sid].concat().into_boxed_slice();
        Subscription {
            client,
            text,
            subject_len: u32::try_from(subject.len()).unwrap_or(u32::MAX),
            queue_len: u32::try_from(queue.len()).unwrap_or(u32::MAX),
            delivered: AtomicU64::new(0),
            max: AtomicU64::new(0),
        }
    }

    /// The subject or wildcard filter.
    pub(crate) fn subject(&self) -> &[u8] {
        self.text
            .get(..self.subject_len as usize)
            .unwrap_or_default()
    }

    /// The queue group, if any (queue names are never empty).
    pub(crate) fn queue(&self) -> Option<&[u8]> {
        let start = self.subject_len as usize;
        let queue = self
            .text
            .get(start..start + self.queue_len as usize)
            .unwrap_or_default();
        (!queue.is_empty()).then_some(queue)
    }

    /// The subscriber's id for this subscription, echoed in every MSG.
    pub(crate) fn sid(&self) -> &[u8] {
        let start = self.subject_len as usize + self.queue_len as usize;
        self.text.get(start..).unwrap_or_default()
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

    /// The subscription as monitoring reports it.
    pub(crate) fn snapshot(
        &self,
        cid: u64,
        account: &str,
    ) -> crate::client::info::SubscriptionSnapshot {
        let text = |bytes: &[u8]| String::from_utf8_lossy(bytes).into_owned();
        crate::client::info::SubscriptionSnapshot {
            subject: text(self.subject()),
            queue: self.queue().map(text),
            sid: text(self.sid()),
            msgs: self.delivered(),
            max: self.max.load(Ordering::Relaxed),
            cid,
            account: account.to_owned(),
        }
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

/// A subscription in its client's index, found by sid without storing the sid twice.
///
/// Hashes and compares as its sid, so a set of them can be searched with a `&[u8]`.
pub(crate) struct BySid(pub(crate) Arc<Subscription>);

impl Borrow<[u8]> for BySid {
    fn borrow(&self) -> &[u8] {
        self.0.sid()
    }
}

impl Hash for BySid {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.0.sid().hash(state);
    }
}

impl PartialEq for BySid {
    fn eq(&self, other: &Self) -> bool {
        self.0.sid() == other.0.sid()
    }
}

impl Eq for BySid {}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use super::*;

    #[test]
    fn text_parts_come_back_out() {
        let client = Arc::new(ClientHandle::for_tests());
        let plain = Subscription::new(client.clone(), b"7", b"orders.>", None);
        assert_eq!(
            (plain.subject(), plain.queue(), plain.sid()),
            (&b"orders.>"[..], None, &b"7"[..])
        );
        let queued = Subscription::new(client, b"12", b"jobs", Some(b"workers"));
        assert_eq!(queued.subject(), b"jobs");
        assert_eq!(queued.queue(), Some(&b"workers"[..]));
        assert_eq!(queued.sid(), b"12");
        let mut index = HashSet::new();
        index.insert(BySid(Arc::new(queued)));
        assert!(index.contains(&b"12"[..]));
        assert!(!index.contains(&b"1"[..]));
    }
}
