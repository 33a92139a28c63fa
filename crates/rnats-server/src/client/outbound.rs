//! The bytes queued for one client: a list of blocks that producers append to and the writer
//! drains.
//!
//! Blocks rather than one growing buffer: appending never reallocates and copies what is
//! already queued, the writer sends many blocks with one `writev`, and each block is freed
//! as soon as it is on the wire, so the memory a connection holds follows its backlog. An
//! idle connection holds no block at all.

use std::collections::VecDeque;

use bytes::BytesMut;

use super::CloseReason;

/// The first block of a quiet connection: room for a few protocol lines.
const MIN_BLOCK: usize = 512;
/// Blocks of a busy connection; larger messages get a block of their own size.
const MAX_BLOCK: usize = 64 * 1024;

/// Bytes queued for a client, and what producers and the writer need to know about them.
pub(super) struct Outbound {
    /// Filled blocks, oldest first.
    full: VecDeque<BytesMut>,
    /// The block producers append to; no allocation until the first append.
    current: BytesMut,
    /// Bytes in `blocks`.
    queued: usize,
    /// Bytes the writer took and has not sent yet; they still count against `max_pending`.
    in_flight: usize,
    /// The capacity of the next block: it doubles while a connection keeps filling blocks.
    next_block: usize,
    /// A producer has promised to wake the writer at the end of its read batch.
    pub(super) flush_scheduled: bool,
    /// The client negotiated headers; otherwise HMSG is delivered as MSG.
    pub(super) headers: bool,
    /// Set once; no bytes are queued after it.
    pub(super) closed: Option<CloseReason>,
    /// A producer waits for the pending bytes to fall below the stall threshold.
    pub(super) producer_waiting: bool,
    /// Messages queued for this client so far (for monitoring).
    pub(super) msgs: u64,
    /// Message bytes queued for this client so far (for monitoring).
    pub(super) bytes: u64,
}

impl Default for Outbound {
    fn default() -> Self {
        Outbound {
            full: VecDeque::new(),
            current: BytesMut::new(),
            queued: 0,
            in_flight: 0,
            next_block: MIN_BLOCK,
            flush_scheduled: false,
            headers: false,
            closed: None,
            producer_waiting: false,
            msgs: 0,
            bytes: 0,
        }
    }
}

impl Outbound {
    /// Bytes queued or being written.
    pub(super) fn pending(&self) -> u64 {
        (self.queued + self.in_flight) as u64
    }

    /// Appends what `encode` writes, which must be about `len` bytes (an estimate is fine:
    /// the block grows if it was short, it just costs a copy).
    pub(super) fn append(&mut self, len: usize, encode: impl FnOnce(&mut BytesMut)) {
        if self.current.capacity() - self.current.len() < len {
            if !self.current.is_empty() {
                self.next_block = (self.next_block * 2).min(MAX_BLOCK);
                self.full.push_back(std::mem::take(&mut self.current));
            }
            self.current = BytesMut::with_capacity(len.max(self.next_block));
        }
        let before = self.current.len();
        encode(&mut self.current);
        self.queued += self.current.len() - before;
    }

    /// Marks that a flush is scheduled; true if nobody had scheduled one yet.
    pub(super) fn schedule_flush(&mut self) -> bool {
        !std::mem::replace(&mut self.flush_scheduled, true)
    }

    /// Moves every queued block to the writer's list; they stay pending until written.
    pub(super) fn take_blocks(&mut self, into: &mut VecDeque<BytesMut>) -> usize {
        let taken = self.queued;
        self.in_flight += taken;
        self.queued = 0;
        into.extend(self.full.drain(..));
        if !self.current.is_empty() {
            into.push_back(std::mem::take(&mut self.current));
        }
        // A connection that went quiet starts small again; a busy one keeps its block size.
        if taken < self.next_block / 2 {
            self.next_block = (self.next_block / 2).max(MIN_BLOCK);
        }
        taken
    }

    /// `n` bytes of what the writer took are on the wire.
    pub(super) fn sent(&mut self, n: usize) {
        self.in_flight = self.in_flight.saturating_sub(n);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blocks_grow_with_traffic_and_shrink_when_quiet() {
        let mut out = Outbound::default();
        for _ in 0..100 {
            out.append(100, |b| b.extend_from_slice(&[b'x'; 100]));
        }
        assert_eq!(out.pending(), 10_000);
        let mut taken = VecDeque::new();
        assert_eq!(out.take_blocks(&mut taken), 10_000);
        // 512 + 1024 + 2048 + 4096 + 8192 bytes of blocks hold the 10,000 bytes.
        assert_eq!(taken.len(), 5);
        assert_eq!(taken.iter().map(BytesMut::len).sum::<usize>(), 10_000);
        assert_eq!(out.pending(), 10_000, "taken bytes stay pending until sent");
        out.sent(10_000);
        assert_eq!(out.pending(), 0);
        // A large message gets a block of its own size.
        out.append(100_000, |b| b.extend_from_slice(&vec![0; 100_000]));
        assert_eq!(out.current.len(), 100_000);
    }

    #[test]
    fn an_estimate_that_was_short_still_counts_every_byte() {
        let mut out = Outbound::default();
        out.append(4, |b| b.extend_from_slice(b"INFO {...} \r\n"));
        assert_eq!(out.pending(), 13);
    }
}
