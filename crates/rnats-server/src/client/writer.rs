//! The writer task of a client connection: sends what producers queued, a whole batch per write.
//!
//! Producers append to the outbound buffer and wake the writer once per read batch. The writer
//! takes the whole buffer, leaving an empty one behind, and writes it while producers keep
//! appending to the new one: one write call per batch however many messages it holds, and no
//! lock held during I/O. An idle connection keeps no buffer at all.

use std::mem;
use std::sync::Arc;
use std::time::Duration;

use bytes::BytesMut;
use tokio::io::AsyncWriteExt;
use tokio::net::tcp::OwnedWriteHalf;

use super::{ClientHandle, CloseReason, MAX_OUTBOUND_CAPACITY, MIN_OUTBOUND_CAPACITY};

/// What the writer found when it looked at the outbound buffer.
enum Take {
    Write(BytesMut),
    Idle,
    Stop,
}

/// Sends queued bytes until the client is closed; a failed or stalled write closes it.
pub(crate) async fn run(handle: Arc<ClientHandle>, mut socket: OwnedWriteHalf, deadline: Duration) {
    loop {
        match handle.take_pending() {
            Take::Write(chunk) => {
                if let Err(reason) = write_chunk(&handle, &mut socket, &chunk, deadline).await {
                    handle.close(reason);
                    return;
                }
            }
            Take::Idle => handle.writer_wake.notified().await,
            Take::Stop => break,
        }
    }
    // Best effort: the peer learns the connection is over with a FIN after the last bytes.
    let _ = tokio::time::timeout(deadline, socket.shutdown()).await;
}

/// Writes one chunk; each write call must make progress within `deadline`.
async fn write_chunk(
    handle: &ClientHandle,
    socket: &mut OwnedWriteHalf,
    chunk: &[u8],
    deadline: Duration,
) -> Result<(), CloseReason> {
    let mut written = 0;
    while written < chunk.len() {
        match tokio::time::timeout(deadline, socket.write(&chunk[written..])).await {
            Ok(Ok(0)) | Ok(Err(_)) => return Err(CloseReason::WriteError),
            Ok(Ok(n)) => {
                written += n;
                handle.written(n);
            }
            Err(_) => return Err(CloseReason::SlowConsumerWriteDeadline),
        }
    }
    Ok(())
}

impl ClientHandle {
    /// Takes everything queued, unless the client is closed and nothing more may be sent.
    fn take_pending(&self) -> Take {
        let mut out = self.outbound.lock();
        out.flush_scheduled = false;
        if out.closed.is_some_and(|reason| !reason.flushes_first()) {
            return Take::Stop;
        }
        if out.buf.is_empty() {
            return if out.closed.is_some() {
                Take::Stop
            } else {
                Take::Idle
            };
        }
        let chunk = mem::take(&mut out.buf);
        out.in_flight = chunk.len();
        out.next_capacity = chunk
            .len()
            .clamp(MIN_OUTBOUND_CAPACITY, MAX_OUTBOUND_CAPACITY);
        Take::Write(chunk)
    }

    /// `n` more bytes of the chunk in flight are on the wire; producers waiting for the
    /// client to catch up are woken once it is below the stall threshold.
    fn written(&self, n: usize) {
        let mut out = self.outbound.lock();
        out.in_flight = out.in_flight.saturating_sub(n);
        if out.producer_waiting && out.pending() <= self.stall_threshold {
            out.producer_waiting = false;
            drop(out);
            self.drained.notify_waiters();
        }
    }
}
