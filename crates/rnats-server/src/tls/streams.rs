//! The reader and writer of a TLS client connection: the two halves of a rustls stream.
//!
//! The writer hands all queued blocks to rustls in one vectored write, which packs them
//! into as few records as the record size allows (not one record per block), and then
//! flushes the records to the socket with vectored writes.

use std::collections::VecDeque;
use std::io::{self, IoSlice};
use std::time::Duration;

use bytes::{BufMut, BytesMut};
use tokio::io::{AsyncReadExt, AsyncWriteExt, ReadHalf, WriteHalf};
use tokio::net::TcpStream;
use tokio_rustls::server::TlsStream;

use crate::client::transport::{ClientRead, ClientWrite, Read};
use crate::client::writer::gather;
use crate::client::{ClientHandle, CloseReason, ReadBuffer, consume_blocks};

/// Blocks handed to rustls per write: bounded by its 64 KiB send buffer anyway.
const MAX_SLICES: usize = 64;

/// Splits a TLS stream into the connection's reader and writer.
pub(crate) fn split(stream: TlsStream<TcpStream>) -> (TlsReader, TlsWriter) {
    let (read, write) = tokio::io::split(stream);
    (
        TlsReader {
            half: read,
            last: None,
        },
        TlsWriter { half: write },
    )
}

/// The reading half: `ready` reads (decrypts) into the buffer, `read` reports it.
pub(crate) struct TlsReader {
    half: ReadHalf<TlsStream<TcpStream>>,
    /// What the last `ready` read: (bytes, whether the read space was left unfilled).
    last: Option<(usize, bool)>,
}

impl ClientRead for TlsReader {
    async fn ready(&mut self, buffer: &mut ReadBuffer) -> io::Result<()> {
        let mut space = buffer.prepare();
        let room = space.remaining_mut();
        let read = match self.half.read_buf(&mut space).await {
            Ok(read) => read,
            // A client that closes the socket without a TLS close_notify has still closed.
            Err(error) if error.kind() == io::ErrorKind::UnexpectedEof => 0,
            Err(error) => return Err(error),
        };
        self.last = Some((read, read < room));
        Ok(())
    }

    fn read(&mut self, _buffer: &mut ReadBuffer) -> io::Result<Read> {
        Ok(match self.last.take() {
            None => Read::Nothing,
            Some((0, _)) => Read::Closed,
            Some((len, drained)) => Read::Data { len, drained },
        })
    }
}

/// The writing half.
pub(crate) struct TlsWriter {
    half: WriteHalf<TlsStream<TcpStream>>,
}

impl ClientWrite for TlsWriter {
    async fn write_blocks(
        &mut self,
        handle: &ClientHandle,
        blocks: &mut VecDeque<BytesMut>,
        deadline: Duration,
    ) -> Result<(), CloseReason> {
        while !blocks.is_empty() {
            let mut slices = [IoSlice::new(&[]); MAX_SLICES];
            let count = gather(blocks, &mut slices);
            let written = match timed(deadline, self.half.write_vectored(&slices[..count])).await {
                Ok(0) => return Err(CloseReason::WriteError),
                Ok(n) => n,
                Err(reason) => return Err(reason),
            };
            consume_blocks(blocks, written);
            handle.sent(written);
        }
        timed(deadline, self.half.flush()).await
    }
}

/// One write step, bounded by the write deadline.
async fn timed<T>(
    deadline: Duration,
    step: impl std::future::Future<Output = io::Result<T>>,
) -> Result<T, CloseReason> {
    match tokio::time::timeout(deadline, step).await {
        Ok(Ok(value)) => Ok(value),
        Ok(Err(_)) => Err(CloseReason::WriteError),
        Err(_) => Err(CloseReason::SlowConsumerWriteDeadline),
    }
}
