//! The writer task of a client connection: sends what producers queued.
//!
//! Producers append to the outbound blocks and wake the writer once per read batch. The writer
//! takes every queued block and sends them (`transport.rs`: `writev` on a plain socket, one
//! vectored rustls write with TLS), many blocks per system call and no lock held during I/O,
//! while producers start new blocks. Each block is freed once it is on
//! the wire, so memory follows the backlog; an idle connection holds no block.

use std::collections::VecDeque;
use std::io::IoSlice;
use std::sync::Arc;
use std::time::Duration;

use bytes::{Buf, BytesMut};

use super::ClientHandle;
use super::transport::ClientWrite;

/// Blocks handed to one `writev`: with 64 KiB blocks, up to 4 MiB per system call.
pub(crate) const MAX_IOVECS: usize = 64;

/// What the writer found when it looked at the outbound queue.
enum Take {
    Write,
    Idle,
    Stop,
}

/// Sends queued bytes until the client is closed; a failed or stalled write closes it.
pub(crate) async fn run<W: ClientWrite>(
    handle: Arc<ClientHandle>,
    mut socket: W,
    deadline: Duration,
) {
    let mut blocks = VecDeque::new();
    loop {
        match handle.take_pending(&mut blocks) {
            Take::Write => {
                if let Err(reason) = socket.write_blocks(&handle, &mut blocks, deadline).await {
                    handle.close(reason);
                    return;
                }
            }
            Take::Idle => handle.writer_wake.notified().await,
            Take::Stop => return,
        }
    }
}

/// Points `slices` at the first blocks (one each) and says how many it filled.
pub(crate) fn gather<'a>(blocks: &'a VecDeque<BytesMut>, slices: &mut [IoSlice<'a>]) -> usize {
    let mut count = 0;
    for (slice, block) in slices.iter_mut().zip(blocks.iter()) {
        *slice = IoSlice::new(block);
        count += 1;
    }
    count
}

/// Drops the blocks `written` bytes covered and advances into the first one left.
pub(crate) fn consume(blocks: &mut VecDeque<BytesMut>, mut written: usize) {
    while written > 0 {
        let Some(front) = blocks.front_mut() else {
            return;
        };
        if front.len() <= written {
            written -= front.len();
            blocks.pop_front();
        } else {
            front.advance(written);
            written = 0;
        }
    }
}

impl ClientHandle {
    /// Moves everything queued to `blocks`, unless the client is closed and nothing more
    /// may be sent.
    fn take_pending(&self, blocks: &mut VecDeque<BytesMut>) -> Take {
        let mut out = self.outbound.lock();
        out.flush_scheduled = false;
        if out.closed.is_some_and(|reason| !reason.flushes_first()) {
            return Take::Stop;
        }
        if out.take_blocks(blocks) == 0 {
            return if out.closed.is_some() {
                Take::Stop
            } else {
                Take::Idle
            };
        }
        Take::Write
    }

    /// `n` more of the taken bytes are on the wire; producers waiting for the client to
    /// catch up are woken once it is below the stall threshold.
    pub(crate) fn sent(&self, n: usize) {
        let mut out = self.outbound.lock();
        out.sent(n);
        if out.producer_waiting && out.pending() <= self.stall_threshold {
            out.producer_waiting = false;
            drop(out);
            self.drained.notify_waiters();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn consume_drops_sent_blocks_and_advances_the_partial_one() {
        let mut blocks: VecDeque<BytesMut> = [&b"abc"[..], b"defg", b"hi"]
            .iter()
            .map(|b| BytesMut::from(*b))
            .collect();
        consume(&mut blocks, 5);
        assert_eq!(
            blocks.iter().map(|b| &b[..]).collect::<Vec<_>>(),
            vec![&b"fg"[..], b"hi"]
        );
        consume(&mut blocks, 4);
        assert!(blocks.is_empty());
    }
}
