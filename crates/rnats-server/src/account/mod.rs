//! Accounts: isolated subject spaces, each with its own Sublist, and what they share.

pub(crate) mod config;
mod cycles;
pub(crate) mod forward;
pub(crate) mod registry;
pub(crate) mod transform;
pub(crate) mod wiring;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};

use rnats_subject::Sublist;

use crate::client::ClientHandle;
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
    /// The traffic of the account's connections that closed: its statistics cover the
    /// account's lifetime, as the reference's do.
    closed_traffic: [AtomicU64; 4],
    /// Client connections bound to the account now (the server's internal client is not
    /// one): what an account's connection limit counts.
    clients: AtomicUsize,
    /// Set once the system account's imports are wired here, so a reload or new claims
    /// never wire them twice.
    system_imported: AtomicBool,
    /// Subscriptions in `sublist` that stand for service imports rather than clients.
    import_subscriptions: AtomicUsize,
    /// The inert client those subscriptions belong to. It holds the account, so the two
    /// keep each other alive until the account is removed and lets it go.
    import_client: parking_lot::Mutex<Option<Arc<ClientHandle>>>,
    /// The last sid given to an import subscription.
    import_sids: AtomicU64,
}

/// Messages and bytes the server received from an account's clients, then sent to them.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Traffic {
    /// Messages received from the clients.
    pub(crate) in_msgs: u64,
    /// Bytes received from the clients.
    pub(crate) in_bytes: u64,
    /// Messages sent to the clients.
    pub(crate) out_msgs: u64,
    /// Bytes sent to the clients.
    pub(crate) out_bytes: u64,
}

impl Traffic {
    fn as_array(self) -> [u64; 4] {
        [self.in_msgs, self.in_bytes, self.out_msgs, self.out_bytes]
    }

    /// Both counts added up.
    pub(crate) fn plus(self, other: Traffic) -> Traffic {
        Traffic {
            in_msgs: self.in_msgs.saturating_add(other.in_msgs),
            in_bytes: self.in_bytes.saturating_add(other.in_bytes),
            out_msgs: self.out_msgs.saturating_add(other.out_msgs),
            out_bytes: self.out_bytes.saturating_add(other.out_bytes),
        }
    }
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
            closed_traffic: Default::default(),
            clients: AtomicUsize::new(0),
            system_imported: AtomicBool::new(false),
            import_subscriptions: AtomicUsize::new(0),
            import_client: parking_lot::Mutex::new(None),
            import_sids: AtomicU64::new(0),
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

    /// Whether the system account's imports are wired here.
    pub(crate) fn has_system_imports(&self) -> bool {
        self.system_imported.load(Ordering::Acquire)
    }

    /// Claims the wiring of the system account's imports: true the first time only.
    pub(crate) fn claim_system_imports(&self) -> bool {
        !self.system_imported.swap(true, Ordering::AcqRel)
    }

    /// Adds a subscription on `subject` that stands for a service import (the reference
    /// counts one per service import), held by the account's inert import client, made on
    /// first use; `None` if the subject is not valid.
    pub(crate) fn add_import_subscription(
        self: &Arc<Self>,
        subject: &str,
    ) -> Option<SubscriptionRef> {
        let client = (self.import_client.lock())
            .get_or_insert_with(|| ClientHandle::inert(self.clone()))
            .clone();
        let sid = self.import_sids.fetch_add(1, Ordering::Relaxed) + 1;
        let subscription =
            client.subscribe_internal(sid.to_string().as_bytes(), subject.as_bytes())?;
        self.import_subscriptions.fetch_add(1, Ordering::Relaxed);
        Some(subscription)
    }

    /// Removes a subscription [`Account::add_import_subscription`] returned: its import
    /// went.
    pub(crate) fn remove_import_subscription(&self, subscription: &SubscriptionRef) {
        let client = self.import_client.lock().clone();
        if let Some(client) = client {
            client.remove_subscription(subscription);
            self.import_subscriptions.fetch_sub(1, Ordering::Relaxed);
        }
    }

    /// The account is gone (a reload or a deletion removed it): the subscriptions that
    /// stood for its imports go, and with them the cycle that kept it in memory.
    pub(crate) fn release_import_client(&self) {
        if let Some(client) = self.import_client.lock().take() {
            client.remove_all_subscriptions();
            self.import_subscriptions.store(0, Ordering::Relaxed);
        }
    }

    /// The subscriptions of the account's clients: `sublist` without those of imports.
    pub(crate) fn client_subscriptions(&self) -> usize {
        let imports = self.import_subscriptions.load(Ordering::Relaxed);
        self.sublist.count().saturating_sub(imports)
    }

    /// Takes a place for one more client connection, unless `max` are there already. The
    /// place is taken before it is checked, so concurrent connections never get past the
    /// limit together.
    pub(crate) fn take_client_place(&self, max: Option<usize>) -> bool {
        let before = self.clients.fetch_add(1, Ordering::AcqRel);
        if max.is_some_and(|max| before >= max) {
            self.clients.fetch_sub(1, Ordering::AcqRel);
            return false;
        }
        true
    }

    /// Gives back the place of a client connection that closed.
    pub(crate) fn release_client_place(&self) {
        self.clients.fetch_sub(1, Ordering::AcqRel);
    }

    /// Adds the traffic of a connection that closed to the account's.
    pub(crate) fn record_closed(&self, traffic: Traffic) {
        for (total, value) in self.closed_traffic.iter().zip(traffic.as_array()) {
            total.fetch_add(value, Ordering::Relaxed);
        }
    }

    /// The traffic of the account's connections that closed.
    pub(crate) fn closed_traffic(&self) -> Traffic {
        let [in_msgs, in_bytes, out_msgs, out_bytes] = self
            .closed_traffic
            .each_ref()
            .map(|c| c.load(Ordering::Relaxed));
        Traffic {
            in_msgs,
            in_bytes,
            out_msgs,
            out_bytes,
        }
    }

    /// Removes a subscription from the account's Sublist.
    pub(crate) fn remove_subscription(&self, subscription: &Arc<Subscription>) {
        let shared = SubscriptionRef(subscription.clone());
        self.sublist
            .remove(subscription.subject(), subscription.queue(), &shared);
    }
}
