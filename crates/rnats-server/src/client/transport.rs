//! How a connection's reader and writer reach the socket.
//!
//! The reader and writer are generic over these traits, so each transport compiles to its
//! own code: a plain TCP connection runs the readiness-based reads (`try_io` +
//! `try_read_buf`) and the `writev` writes directly on the shared `TcpStream`, with nothing
//! in between; a TLS connection (`crate::tls`) reads and writes through rustls.

use std::collections::VecDeque;
use std::future::Future;
use std::io::{self, IoSlice};
use std::sync::Arc;
use std::time::Duration;

use bytes::{BufMut, BytesMut};
use tokio::io::Interest;
use tokio::net::TcpStream;

use super::read_buffer::ReadBuffer;
use super::writer::{MAX_IOVECS, consume, gather};
use super::{ClientHandle, CloseReason};

/// What one read found.
pub(crate) enum Read {
    /// `len` bytes were appended to the buffer; `drained` if the source has no more now.
    Data {
        /// Bytes read.
        len: usize,
        /// The read did not fill the space: the source is drained for now.
        drained: bool,
    },
    /// Nothing to read after all (a spurious wakeup).
    Nothing,
    /// The client closed its side.
    Closed,
}

/// The reading side of a client connection.
pub(crate) trait ClientRead: Send {
    /// Completes when there is input: for readiness-based sources when `read` will find
    /// some, for stream-based ones once it was read into `buffer`. Cancel-safe.
    fn ready(&mut self, buffer: &mut ReadBuffer) -> impl Future<Output = io::Result<()>> + Send;

    /// Takes what `ready` announced, without waiting.
    fn read(&mut self, buffer: &mut ReadBuffer) -> io::Result<Read>;
}

/// The writing side of a client connection.
pub(crate) trait ClientWrite: Send + 'static {
    /// Sends every block (freeing each once sent); each step must make progress within
    /// `deadline`.
    fn write_blocks(
        &mut self,
        handle: &ClientHandle,
        blocks: &mut VecDeque<BytesMut>,
        deadline: Duration,
    ) -> impl Future<Output = Result<(), CloseReason>> + Send;
}

/// A plain TCP connection's reader; it shares the socket with the writer.
pub(crate) struct PlainReader(pub(crate) Arc<TcpStream>);

impl ClientRead for PlainReader {
    async fn ready(&mut self, _buffer: &mut ReadBuffer) -> io::Result<()> {
        self.0.readable().await
    }

    fn read(&mut self, buffer: &mut ReadBuffer) -> io::Result<Read> {
        let reader = &*self.0;
        let mut read = 0;
        let mut drained = false;
        let result = reader.try_io(Interest::READABLE, || {
            let mut space = buffer.prepare();
            let room = space.remaining_mut();
            read = reader.try_read_buf(&mut space)?;
            // A read that did not fill the space drained the socket. Saying so (WouldBlock)
            // makes tokio clear the readiness, so the next wait blocks instead of returning
            // at once for a read that would only find nothing: one system call less per read.
            drained = read < room;
            if read > 0 && drained {
                return Err(io::ErrorKind::WouldBlock.into());
            }
            Ok(())
        });
        match result {
            _ if read > 0 => Ok(Read::Data { len: read, drained }),
            Ok(()) => Ok(Read::Closed),
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => Ok(Read::Nothing),
            Err(e) => Err(e),
        }
    }
}

/// A plain TCP connection's writer: `writev` on the socket the reader shares.
///
/// The socket closes when the reader and the writer have both dropped it, after the last
/// bytes were sent.
pub(crate) struct PlainWriter(pub(crate) Arc<TcpStream>);

impl ClientWrite for PlainWriter {
    async fn write_blocks(
        &mut self,
        handle: &ClientHandle,
        blocks: &mut VecDeque<BytesMut>,
        deadline: Duration,
    ) -> Result<(), CloseReason> {
        while !blocks.is_empty() {
            let mut slices = [IoSlice::new(&[]); MAX_IOVECS];
            let count = gather(blocks, &mut slices);
            let written = match write_some(&self.0, &slices[..count], deadline).await {
                Ok(0) | Err(WriteFailure::Io) => return Err(CloseReason::WriteError),
                Ok(n) => n,
                Err(WriteFailure::Deadline) => {
                    return Err(CloseReason::SlowConsumerWriteDeadline);
                }
            };
            consume(blocks, written);
            handle.sent(written);
        }
        Ok(())
    }
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
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
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
