//! The writer task of a client connection: sends what producers queued.
//!
//! Producers append to the outbound blocks and wake the writer once per read batch. The writer
//! takes every queued block and sends them with `writev`, many blocks per system call and no
//! lock held during I/O, while producers start new blocks. Each block is freed once it is on
//! the wire, so memory follows the backlog; an idle connection holds no block.

use std::collections::VecDeque;
use std::io::IoSlice;
use std::sync::Arc;
use std::time::Duration;

use bytes::{Buf, BytesMut};
use tokio::net::TcpStream;

use super::{ClientHandle, CloseReason};

/// Blocks handed to one `writev`: with 64 KiB blocks, up to 4 MiB per system call.
const MAX_IOVECS: usize = 64;

/// What the writer found when it looked at the outbound queue.
enum Take {
    Write,
    Idle,
    Stop,
}

/// Sends queued bytes until the client is closed; a failed or stalled write closes it.
///
/// The socket closes when the reader and the writer have both dropped it, after the last
/// bytes were sent.
pub(crate) async fn run(handle: Arc<ClientHandle>, socket: Arc<TcpStream>, deadline: Duration) {
    let mut blocks = VecDeque::new();
    loop {
        match handle.take_pending(&mut blocks) {
            Take::Write => {
                if let Err(reason) = write_blocks(&handle, &socket, &mut blocks, deadline).await {
                    handle.close(reason);
                    return;
                }
            }
            Take::Idle => handle.writer_wake.notified().await,
            Take::Stop => return,
        }
    }
}

/// Sends every block; each write call must make progress within `deadline`.
async fn write_blocks(
    handle: &ClientHandle,
    socket: &TcpStream,
    blocks: &mut VecDeque<BytesMut>,
    deadline: Duration,
) -> Result<(), CloseReason> {
    while !blocks.is_empty() {
        let mut slices = [IoSlice::new(&[]); MAX_IOVECS];
        let mut count = 0;
        for (slice, block) in slices.iter_mut().zip(blocks.iter()) {
            *slice = IoSlice::new(block);
            count += 1;
        }
        let written = match write_some(socket, &slices[..count], deadline).await {
            Ok(0) | Err(WriteFailure::Io) => return Err(CloseReason::WriteError),
            Ok(n) => n,
            Err(WriteFailure::Deadline) => return Err(CloseReason::SlowConsumerWriteDeadline),
        };
        consume(blocks, written);
        handle.sent(written);
    }
    Ok(())
}

/// Why a write did not happen.
enum WriteFailure {
    Io,
    Deadline,
}

/// Writes as much of `slices` as the socket takes.
///
/// The write is tried at once; only a socket that takes nothing is waited for, and only that
/// wait is bounded by `deadline`. A timer per write would cost a timer registration, and
/// often a wakeup of the runtime thread sleeping in epoll to re-arm its timeout.
async fn write_some(
    socket: &TcpStream,
    slices: &[IoSlice<'_>],
    deadline: Duration,
) -> Result<usize, WriteFailure> {
    loop {
        match socket.try_write_vectored(slices) {
            Ok(n) => return Ok(n),
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {
                match tokio::time::timeout(deadline, socket.writable()).await {
                    Ok(Ok(())) => {}
                    Ok(Err(_)) => return Err(WriteFailure::Io),
                    Err(_) => return Err(WriteFailure::Deadline),
                }
            }
            Err(_) => return Err(WriteFailure::Io),
        }
    }
}

/// Drops the blocks `written` bytes covered and advances into the first one left.
fn consume(blocks: &mut VecDeque<BytesMut>, mut written: usize) {
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
    fn sent(&self, n: usize) {
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
