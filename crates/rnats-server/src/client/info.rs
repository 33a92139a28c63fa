//! What the server knows about a connection beyond its traffic: who it says it is, how busy it
//! is, and a snapshot of both for monitoring (`/connz`, closed connections).

use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use super::{ClientHandle, CloseReason};
use crate::tls::TlsSession;

/// What a client said about itself in CONNECT.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct ClientIdentity {
    /// Client name.
    pub(crate) name: String,
    /// Client library language.
    pub(crate) lang: String,
    /// Client library version.
    pub(crate) version: String,
    /// The user it authenticated as, if any.
    pub(crate) user: Option<String>,
    /// How it authenticated for log lines: `user:<name>`, `nkey:<key>` or `token`.
    pub(crate) auth: Option<String>,
    /// Its protocol level: 1 and above accept INFO updates at any time.
    pub(crate) protocol: i64,
    /// When its user JWT was issued (Unix seconds), for revocations; 0 without one.
    pub(crate) jwt_issued_at: i64,
    /// The user JWT's name; empty without one.
    pub(crate) name_tag: String,
    /// When the connection's credentials expire (Unix seconds); 0 when they do not.
    pub(crate) expires: i64,
}

impl ClientIdentity {
    /// `v<version>:<lang>:<name>`, the label log lines show once a client introduced itself.
    pub(crate) fn label(&self) -> String {
        if self.version.is_empty() && self.lang.is_empty() && self.name.is_empty() {
            return String::new();
        }
        format!("v{}:{}:{}", self.version, self.lang, self.name)
    }
}

/// Counters and times of one connection, updated by its tasks and read by monitoring.
#[derive(Debug)]
pub(crate) struct Activity {
    /// When the connection was accepted.
    pub(crate) started: SystemTime,
    in_msgs: AtomicU64,
    in_bytes: AtomicU64,
    /// Nanoseconds since the Unix epoch of the last read.
    last_activity: AtomicU64,
    /// The last round-trip time measured with PING/PONG, in nanoseconds; 0 before one.
    rtt: AtomicU64,
}

impl Activity {
    /// Counters for a connection accepted now.
    pub(crate) fn new() -> Self {
        let started = SystemTime::now();
        Activity {
            started,
            in_msgs: AtomicU64::new(0),
            in_bytes: AtomicU64::new(0),
            last_activity: AtomicU64::new(unix_nanos(started)),
            rtt: AtomicU64::new(0),
        }
    }

    /// Adds one read batch's inbound messages; it counts as activity.
    pub(crate) fn record_in(&self, msgs: u64, bytes: u64) {
        if msgs > 0 {
            self.in_msgs.fetch_add(msgs, Ordering::Relaxed);
            self.in_bytes.fetch_add(bytes, Ordering::Relaxed);
        }
        self.last_activity
            .store(unix_nanos(SystemTime::now()), Ordering::Relaxed);
    }

    /// Messages and bytes received from the client so far.
    pub(crate) fn inbound(&self) -> (u64, u64) {
        (
            self.in_msgs.load(Ordering::Relaxed),
            self.in_bytes.load(Ordering::Relaxed),
        )
    }

    /// Records a measured round-trip time.
    pub(crate) fn record_rtt(&self, rtt: Duration) {
        let nanos = u64::try_from(rtt.as_nanos()).unwrap_or(u64::MAX).max(1);
        self.rtt.store(nanos, Ordering::Relaxed);
    }

    /// The last round-trip time measured, in nanoseconds; 0 before the first.
    pub(crate) fn rtt_nanos(&self) -> u64 {
        self.rtt.load(Ordering::Relaxed)
    }
}

fn unix_nanos(time: SystemTime) -> u64 {
    time.duration_since(UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_nanos()).unwrap_or(u64::MAX))
}

fn from_unix_nanos(nanos: u64) -> SystemTime {
    UNIX_EPOCH + Duration::from_nanos(nanos)
}

/// One connection as monitoring reports it, open or closed.
#[derive(Debug, Clone)]
pub(crate) struct ConnectionSnapshot {
    pub(crate) cid: u64,
    pub(crate) addr: SocketAddr,
    pub(crate) start: SystemTime,
    pub(crate) last_activity: SystemTime,
    pub(crate) rtt: Option<Duration>,
    pub(crate) pending_bytes: u64,
    pub(crate) in_msgs: u64,
    pub(crate) in_bytes: u64,
    pub(crate) out_msgs: u64,
    pub(crate) out_bytes: u64,
    pub(crate) subscriptions: usize,
    /// The subjects of the subscriptions, when asked for.
    pub(crate) subscriptions_list: Vec<SubscriptionSnapshot>,
    pub(crate) identity: ClientIdentity,
    pub(crate) account: String,
    /// When and why it closed, for closed connections.
    pub(crate) closed: Option<(SystemTime, CloseReason)>,
    /// The TLS session, on TLS connections.
    pub(crate) tls: Option<TlsSession>,
}

/// One subscription as monitoring reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct SubscriptionSnapshot {
    pub(crate) subject: String,
    pub(crate) queue: Option<String>,
    pub(crate) sid: String,
    pub(crate) msgs: u64,
    pub(crate) max: u64,
    pub(crate) cid: u64,
    pub(crate) account: String,
}

impl ClientHandle {
    /// The connection as monitoring reports it now; with its subscriptions when asked.
    pub(crate) fn snapshot(&self, with_subscriptions: bool) -> ConnectionSnapshot {
        let (out_msgs, out_bytes, pending_bytes) = self.outbound_counts();
        let subscriptions = self.subscriptions.lock();
        let subscriptions_list = if with_subscriptions {
            subscriptions
                .iter()
                .map(|s| s.0.snapshot(self.id, &self.account().name))
                .collect()
        } else {
            Vec::new()
        };
        let count = subscriptions.len();
        drop(subscriptions);
        let activity = &self.activity;
        let rtt = activity.rtt.load(Ordering::Relaxed);
        ConnectionSnapshot {
            cid: self.id,
            addr: self.addr,
            start: activity.started,
            last_activity: from_unix_nanos(activity.last_activity.load(Ordering::Relaxed)),
            rtt: (rtt > 0).then(|| Duration::from_nanos(rtt)),
            pending_bytes,
            in_msgs: activity.in_msgs.load(Ordering::Relaxed),
            in_bytes: activity.in_bytes.load(Ordering::Relaxed),
            out_msgs,
            out_bytes,
            subscriptions: count,
            subscriptions_list,
            identity: self.identity(),
            account: self.account().name.clone(),
            closed: self
                .close_reason()
                .map(|reason| (SystemTime::now(), reason)),
            tls: self.tls_session().cloned(),
        }
    }
}
