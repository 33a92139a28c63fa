//! Server-wide counters, updated once per read batch rather than per message.

use std::sync::atomic::{AtomicU64, Ordering};

/// Message, byte and event counters of the whole server.
#[derive(Debug, Default)]
pub(crate) struct ServerStats {
    in_msgs: AtomicU64,
    in_bytes: AtomicU64,
    out_msgs: AtomicU64,
    out_bytes: AtomicU64,
    slow_consumers: AtomicU64,
    stale_connections: AtomicU64,
    stalled_clients: AtomicU64,
    total_connections: AtomicU64,
}

/// A copy of the counters at one moment.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct StatsSnapshot {
    /// Messages received from clients.
    pub in_msgs: u64,
    /// Payload bytes received from clients.
    pub in_bytes: u64,
    /// Messages sent to clients.
    pub out_msgs: u64,
    /// Payload bytes sent to clients.
    pub out_bytes: u64,
    /// Clients cut off as slow consumers.
    pub slow_consumers: u64,
    /// Clients cut off for not answering PINGs.
    pub stale_connections: u64,
    /// Times a publisher paused for a consumer that fell behind.
    pub stalled_clients: u64,
    /// Client connections accepted since start.
    pub total_connections: u64,
}

impl ServerStats {
    /// Adds one batch's traffic.
    pub(crate) fn add_messages(&self, in_msgs: u64, in_bytes: u64, out_msgs: u64, out_bytes: u64) {
        self.in_msgs.fetch_add(in_msgs, Ordering::Relaxed);
        self.in_bytes.fetch_add(in_bytes, Ordering::Relaxed);
        self.out_msgs.fetch_add(out_msgs, Ordering::Relaxed);
        self.out_bytes.fetch_add(out_bytes, Ordering::Relaxed);
    }

    /// Counts a slow consumer.
    pub(crate) fn add_slow_consumer(&self) {
        self.slow_consumers.fetch_add(1, Ordering::Relaxed);
    }

    /// Counts a stale connection.
    pub(crate) fn add_stale_connection(&self) {
        self.stale_connections.fetch_add(1, Ordering::Relaxed);
    }

    /// Counts a publisher pausing for slow consumers.
    pub(crate) fn add_stalled_client(&self) {
        self.stalled_clients.fetch_add(1, Ordering::Relaxed);
    }

    /// Counts an accepted connection.
    pub(crate) fn add_connection(&self) {
        self.total_connections.fetch_add(1, Ordering::Relaxed);
    }

    /// The counters now.
    pub(crate) fn snapshot(&self) -> StatsSnapshot {
        StatsSnapshot {
            in_msgs: self.in_msgs.load(Ordering::Relaxed),
            in_bytes: self.in_bytes.load(Ordering::Relaxed),
            out_msgs: self.out_msgs.load(Ordering::Relaxed),
            out_bytes: self.out_bytes.load(Ordering::Relaxed),
            slow_consumers: self.slow_consumers.load(Ordering::Relaxed),
            stale_connections: self.stale_connections.load(Ordering::Relaxed),
            stalled_clients: self.stalled_clients.load(Ordering::Relaxed),
            total_connections: self.total_connections.load(Ordering::Relaxed),
        }
    }
}
