//! The server's own client: a handle on no socket, bound to the system account. The server
//! publishes through it (delivered exactly as a client's publish) and its subscriptions are
//! answered by server code: deliveries are queued in its outbound buffer like anyone's, and
//! the task that owns it reads them back instead of a writer sending them to a socket. The
//! message path does not know the difference.

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::sync::Arc;

use rnats_proto::Delivery;

use super::ClientHandle;
use super::delivery::{Batch, Router};
use crate::account::Account;
use crate::stats::ServerStats;
use crate::subscription::{BySid, Subscription, SubscriptionRef};

/// Unsent bytes the internal client may hold before it counts as a slow consumer.
const INTERNAL_MAX_PENDING: u64 = 64 * 1024 * 1024;

impl ClientHandle {
    /// A client on no socket, bound to `account`, that takes headers.
    pub(crate) fn internal(account: Arc<Account>) -> Arc<ClientHandle> {
        let handle = ClientHandle::new(
            0,
            SocketAddr::from(([0, 0, 0, 0], 0)),
            account.clone(),
            INTERNAL_MAX_PENDING,
        );
        handle.attach(account);
        handle.set_headers(true);
        Arc::new(handle)
    }

    /// A client on no socket, bound to `account`, closed from the start: its subscriptions
    /// are counted and listed like anyone's but take no message. The subscriptions a
    /// service import stands for belong to one (the import itself is a forward).
    pub(crate) fn inert(account: Arc<Account>) -> Arc<ClientHandle> {
        let handle = ClientHandle::internal(account);
        handle.close(super::CloseReason::ClientClosed);
        handle
    }

    /// Subscribes this internal client to `subject` under `sid`; `None` if the subject is
    /// not valid.
    pub(crate) fn subscribe_internal(
        self: &Arc<Self>,
        sid: &[u8],
        subject: &[u8],
    ) -> Option<SubscriptionRef> {
        let subscription = Arc::new(Subscription::new(self.clone(), sid, subject, None));
        self.account()
            .sublist
            .insert(subject, None, SubscriptionRef(subscription.clone()))
            .ok()?;
        self.subscriptions
            .lock()
            .insert(BySid(subscription.clone()));
        Some(SubscriptionRef(subscription))
    }

    /// Appends everything delivered to this internal client since the last call to `into`
    /// (`MSG`/`HMSG` protocol, as a socket would get it); false once it is closed.
    pub(crate) fn take_internal(&self, into: &mut Vec<u8>) -> bool {
        let mut blocks = VecDeque::new();
        let mut out = self.outbound.lock();
        out.flush_scheduled = false;
        if out.closed.is_some() {
            return false;
        }
        let taken = out.take_blocks(&mut blocks);
        out.sent(taken);
        drop(out);
        for block in blocks {
            into.extend_from_slice(&block);
        }
        true
    }

    /// Completes when something was delivered to this internal client (or it was closed).
    pub(crate) async fn delivered_internal(&self) {
        self.writer_wake.notified().await;
    }

    /// Whether the client authenticated and was bound to its account (at CONNECT).
    pub(crate) fn is_bound(&self) -> bool {
        self.bound.get().is_some()
    }
}

/// Publishes a message from the internal client `publisher` into its account: to the
/// account's subscriptions and across its imports, exactly as a client's publish goes.
pub(crate) fn publish_internal(
    stats: &ServerStats,
    publisher: &Arc<ClientHandle>,
    subject: &[u8],
    reply: Option<&[u8]>,
    payload: &[u8],
) {
    let account = publisher.account().clone();
    let message = Delivery::new(subject, reply, None, payload);
    let mut batch = Batch::default();
    let mut router = Router::internal(publisher, &mut batch);
    let result = account.sublist.matches(subject);
    router.deliver_all(&result, &message);
    if account.has_forwards() {
        router.forward(&account, &message, 0);
    }
    batch.finish(stats, &publisher.activity);
}
