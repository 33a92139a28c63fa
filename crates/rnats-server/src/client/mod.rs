//! Client connections.
//!
//! A connection is two tasks around one socket. The reader ([`connection::ClientConnection`])
//! parses what the client sends and routes its messages; the writer ([`writer`]) sends what
//! is queued for the client. [`ClientHandle`] is the part other tasks reach: publishers queue
//! messages into its outbound buffer, and anyone may close it.

/// Logs an event about one client, with the `addr - cid:N - "label" -` prefix fields.
macro_rules! client_log {
    ($level:ident, $client:expr, $($message:tt)+) => {
        tracing::$level!(
            cid = $client.id,
            addr = %$client.addr,
            client = %$client.label(),
            user = %$client.auth_label(),
            $($message)+
        )
    };
}

mod authorize;
pub(crate) mod close;
pub(crate) mod connection;
mod delivery;
mod forward;
pub(crate) mod info;
mod internal;
mod limits;
mod match_cache;
mod operator;
mod outbound;
mod read_buffer;
mod redact;
mod trace;
pub(crate) mod transport;
pub(crate) mod writer;

use std::net::SocketAddr;
use std::sync::{Arc, OnceLock};

use bytes::BytesMut;
use parking_lot::Mutex;
use rnats_proto::Delivery;
use rustc_hash::FxHashSet;
use tokio::sync::Notify;

use crate::auth::CompiledPermissions;
use crate::auth::DeliveryRules;

pub(crate) use close::CloseReason;
use info::{Activity, ClientIdentity};
pub(crate) use internal::publish_internal;
pub(crate) use operator::{expire_account, refuse_over_account_limit, revoke as revoke_jwt_user};
use outbound::Outbound;
pub(crate) use read_buffer::ReadBuffer;
pub(crate) use writer::consume as consume_blocks;

use crate::account::Account;

/// Unsent bytes past which producers pause for a consumer, when 3/4 of max_pending is more.
///
/// The reference pauses only at 3/4 of max_pending (48 MiB by default), so a consumer that
/// is merely slower makes the server hold tens of MiB per consumer. A couple of MiB keeps
/// the writer busy for many system calls, so pausing earlier costs no throughput and keeps
/// memory near what is really in flight.
const STALL_SOFT_LIMIT: u64 = 2 * 1024 * 1024;

/// Room to make for a protocol line whose length is not known up front.
const PROTOCOL_LINE_ESTIMATE: usize = 64;
use crate::subscription::{BySid, SubscriptionRef};
use crate::tls::TlsSession;

/// The shared half of a client connection.
pub(crate) struct ClientHandle {
    /// The connection id (`cid`), unique for the life of the server.
    pub(crate) id: u64,
    /// The client's address.
    pub(crate) addr: SocketAddr,
    /// The account the client was bound to at CONNECT; its subscriptions live there.
    bound: OnceLock<Arc<Account>>,
    /// The account before CONNECT binds one (`$G`).
    default_account: Arc<Account>,
    outbound: Mutex<Outbound>,
    /// Wakes the writer when bytes were queued or the client was closed.
    writer_wake: Notify,
    /// Wakes the reader when another task closed the client.
    reader_wake: Notify,
    /// The client's subscriptions by sid. Locked by the reader for SUB/UNSUB and by a
    /// publisher that delivers the last message of an auto-unsubscribing subscription.
    pub(crate) subscriptions: Mutex<FxHashSet<BySid>>,
    /// Unsent bytes beyond which the client is a slow consumer.
    pub(crate) max_pending: u64,
    /// Unsent bytes beyond which producers pause briefly after their batch.
    stall_threshold: u64,
    /// Wakes producers waiting for this client's pending bytes to fall below the threshold.
    drained: Notify,
    /// Who the client said it is in CONNECT; boxed, as most of the time nobody asks.
    identity: Mutex<Option<Box<ClientIdentity>>>,
    /// Counters and times monitoring reads.
    pub(crate) activity: Activity,
    /// Permissions publishers check when they deliver to this client.
    pub(crate) delivery_rules: DeliveryRules,
    /// The nonce of the first INFO, which NKey users sign.
    pub(crate) nonce: Option<String>,
    /// The TLS session, on TLS connections; set once its handshake is done.
    tls_session: OnceLock<Box<TlsSession>>,
    /// The permissions the client's user was granted, as `$SYS.REQ.USER.INFO` reports them.
    granted: Mutex<Option<Arc<CompiledPermissions>>>,
}

/// Why a client could not be bound to an account.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum BindRefused {
    /// It is bound to another account already.
    OtherAccount,
    /// The account has all the connections it allows.
    AccountFull,
}

/// What happened to a message offered to a client.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Enqueued {
    /// Queued. If `schedule_flush`, the caller must wake the writer at the end of its batch.
    Queued {
        /// Whether the caller is the one to wake the writer.
        schedule_flush: bool,
        /// The client is falling behind: the producer should pause after its batch.
        stalled: bool,
    },
    /// Dropped: the client exceeded `max_pending` and is now closed as a slow consumer.
    SlowConsumer,
    /// Dropped: the client is closed.
    Closed,
}

impl ClientHandle {
    /// A handle for a new connection.
    pub(crate) fn new(id: u64, addr: SocketAddr, account: Arc<Account>, max_pending: u64) -> Self {
        ClientHandle {
            id,
            addr,
            bound: OnceLock::new(),
            default_account: account,
            outbound: Mutex::new(Outbound::default()),
            writer_wake: Notify::new(),
            reader_wake: Notify::new(),
            subscriptions: Mutex::new(FxHashSet::default()),
            max_pending,
            stall_threshold: (max_pending / 4 * 3).min(STALL_SOFT_LIMIT),
            drained: Notify::new(),
            identity: Mutex::new(None),
            activity: Activity::new(),
            delivery_rules: DeliveryRules::default(),
            nonce: None,
            tls_session: OnceLock::new(),
            granted: Mutex::new(None),
        }
    }

    /// Records the connection's TLS session (once, after the handshake).
    pub(crate) fn set_tls_session(&self, session: Box<TlsSession>) {
        let _ = self.tls_session.set(session);
    }

    /// The connection's TLS session, on TLS connections.
    pub(crate) fn tls_session(&self) -> Option<&TlsSession> {
        self.tls_session.get().map(|session| &**session)
    }

    /// The same handle with the nonce its first INFO carries.
    pub(crate) fn with_nonce(mut self, nonce: Option<String>) -> Self {
        self.nonce = nonce;
        self
    }

    /// The account the client is bound to (`$G` until CONNECT binds another).
    #[inline]
    pub(crate) fn account(&self) -> &Arc<Account> {
        self.bound.get().unwrap_or(&self.default_account)
    }

    /// Binds the client to `account` (once, at CONNECT), taking one of its places when it
    /// allows at most `max_connections`; subscriptions made before move there.
    pub(crate) fn bind_account(
        &self,
        account: Arc<Account>,
        max_connections: Option<usize>,
    ) -> Result<(), BindRefused> {
        if let Some(bound) = self.bound.get() {
            return if Arc::ptr_eq(bound, &account) {
                Ok(())
            } else {
                Err(BindRefused::OtherAccount)
            };
        }
        if !account.take_client_place(max_connections) {
            return Err(BindRefused::AccountFull);
        }
        let place = account.clone();
        if self.attach(account) {
            Ok(())
        } else {
            place.release_client_place();
            Err(BindRefused::OtherAccount)
        }
    }

    /// Makes `account` the client's, moving its subscriptions there; false if it has
    /// another already. Takes no place: the internal client binds with this alone.
    fn attach(&self, account: Arc<Account>) -> bool {
        if let Some(bound) = self.bound.get() {
            return Arc::ptr_eq(bound, &account);
        }
        let subscriptions = self.subscriptions.lock();
        let moving = !Arc::ptr_eq(&account, &self.default_account);
        if self.bound.set(account).is_err() {
            return false;
        }
        if moving {
            for BySid(subscription) in subscriptions.iter() {
                self.default_account.remove_subscription(subscription);
                let shared = SubscriptionRef(subscription.clone());
                // Valid in one Sublist, valid in the other.
                let _ = self.account().sublist.insert(
                    subscription.subject(),
                    subscription.queue(),
                    shared,
                );
            }
        }
        true
    }

    /// Queues a message for one of this client's subscriptions.
    pub(crate) fn enqueue_message(&self, message: &Delivery<'_>, sid: &[u8]) -> Enqueued {
        let mut out = self.outbound.lock();
        if out.closed.is_some() {
            return Enqueued::Closed;
        }
        let headers = out.headers;
        let len = message.encoded_len(sid, headers);
        let pending = out.pending() + len as u64;
        if pending > self.max_pending {
            out.closed = Some(CloseReason::SlowConsumerPendingBytes);
            drop(out);
            self.wake_both();
            return Enqueued::SlowConsumer;
        }
        out.append(len, |block| message.encode(sid, headers, block));
        out.msgs += 1;
        out.bytes += (message.payload().len() + message.headers().map_or(0, <[u8]>::len)) as u64;
        let stalled = pending > self.stall_threshold;
        Enqueued::Queued {
            schedule_flush: out.schedule_flush(),
            stalled,
        }
    }

    /// Queues protocol bytes (INFO, PONG, +OK, -ERR) written by `encode`.
    ///
    /// Returns whether the caller must wake the writer at the end of its batch. They count
    /// against `max_pending` like messages, so a client that sends PINGs without reading its
    /// PONGs is a slow consumer too.
    pub(crate) fn enqueue_protocol(&self, encode: impl FnOnce(&mut BytesMut)) -> bool {
        let mut out = self.outbound.lock();
        if out.closed.is_some() {
            return false;
        }
        // Most protocol lines are short; INFO is longer and simply grows its block.
        out.append(PROTOCOL_LINE_ESTIMATE, encode);
        if out.pending() > self.max_pending {
            out.closed = Some(CloseReason::SlowConsumerPendingBytes);
            drop(out);
            self.wake_both();
            return false;
        }
        out.schedule_flush()
    }

    /// Wakes the writer: called once per read batch by whoever scheduled the flush.
    pub(crate) fn flush(&self) {
        self.writer_wake.notify_one();
    }

    /// Records whether the client negotiated headers.
    pub(crate) fn set_headers(&self, headers: bool) {
        self.outbound.lock().headers = headers;
    }

    /// Closes the client for `reason` unless it is closed already; returns whether it closed it.
    ///
    /// No bytes are queued afterwards. The writer sends what is queued when the reason calls
    /// for it (an `-ERR` before a close) and then ends; the reader stops reading.
    pub(crate) fn close(&self, reason: CloseReason) -> bool {
        let mut out = self.outbound.lock();
        if out.closed.is_some() {
            return false;
        }
        out.closed = Some(reason);
        drop(out);
        self.wake_both();
        true
    }

    /// Why the client was closed, if it was.
    pub(crate) fn close_reason(&self) -> Option<CloseReason> {
        self.outbound.lock().closed
    }

    /// Wakes the reader without closing the client: the options or its account's claims
    /// changed.
    pub(crate) fn wake_reader(&self) {
        self.reader_wake.notify_one();
    }

    /// Completes when another task closes the client or wakes its reader (the reader waits
    /// on it).
    pub(crate) async fn woken(&self) {
        self.reader_wake.notified().await;
    }

    /// A handle on no connection, for unit tests.
    #[cfg(test)]
    pub(crate) fn for_tests() -> Self {
        let account = Arc::new(Account::new(crate::account::GLOBAL_ACCOUNT, true));
        ClientHandle::new(0, SocketAddr::from(([127, 0, 0, 1], 0)), account, 1 << 20)
    }

    /// Records who the client said it is in CONNECT.
    pub(crate) fn set_identity(&self, identity: ClientIdentity) {
        *self.identity.lock() = Some(Box::new(identity));
    }

    /// Records the permissions the client's user was granted (at CONNECT, after a reload).
    pub(crate) fn set_granted(&self, permissions: Option<Arc<CompiledPermissions>>) {
        *self.granted.lock() = permissions;
    }

    /// The permissions the client's user was granted; none when unrestricted.
    pub(crate) fn granted(&self) -> Option<Arc<CompiledPermissions>> {
        self.granted.lock().clone()
    }

    /// Who the client said it is; empty before CONNECT.
    pub(crate) fn identity(&self) -> ClientIdentity {
        self.identity.lock().as_deref().cloned().unwrap_or_default()
    }

    /// The client's label for log lines; empty before CONNECT names it.
    pub(crate) fn label(&self) -> String {
        self.identity
            .lock()
            .as_deref()
            .map(ClientIdentity::label)
            .unwrap_or_default()
    }

    /// `<account>/<user>` for log lines once the client authenticated (`$G/user:alice`).
    pub(crate) fn auth_label(&self) -> String {
        let identity = self.identity.lock();
        match identity.as_deref().and_then(|i| i.auth.as_deref()) {
            Some(auth) => format!("{}/{auth}", self.account().name),
            None => String::new(),
        }
    }

    /// Messages and bytes queued for the client so far, and the bytes not yet sent.
    pub(crate) fn outbound_counts(&self) -> (u64, u64, u64) {
        let out = self.outbound.lock();
        (out.msgs, out.bytes, out.pending())
    }

    /// Removes one of this client's subscriptions, if it is still there.
    pub(crate) fn remove_subscription(&self, subscription: &SubscriptionRef) {
        let mut subscriptions = self.subscriptions.lock();
        let current = subscriptions.get(subscription.sid());
        if current.is_some_and(|current| Arc::ptr_eq(&current.0, &subscription.0)) {
            subscriptions.remove(subscription.sid());
        }
        drop(subscriptions);
        self.account().remove_subscription(&subscription.0);
    }

    /// Removes every subscription of the client: it is going away.
    pub(crate) fn remove_all_subscriptions(&self) {
        let subscriptions = std::mem::take(&mut *self.subscriptions.lock());
        for BySid(subscription) in &subscriptions {
            self.account().remove_subscription(subscription);
        }
    }

    /// Completes when the unsent bytes fall below the stall threshold, or the client closes.
    pub(crate) async fn drained(&self) {
        loop {
            let notified = self.drained.notified();
            tokio::pin!(notified);
            // Registered before checking, so a wakeup between the check and the wait counts.
            notified.as_mut().enable();
            {
                let mut out = self.outbound.lock();
                if out.closed.is_some() || out.pending() <= self.stall_threshold {
                    return;
                }
                out.producer_waiting = true;
            }
            notified.await;
        }
    }

    fn wake_both(&self) {
        self.writer_wake.notify_one();
        self.reader_wake.notify_one();
        self.drained.notify_waiters();
    }
}
