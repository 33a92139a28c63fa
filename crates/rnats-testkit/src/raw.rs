//! [`RawConn`]: a byte-level client connection for protocol tests.

use std::io;
use std::net::SocketAddr;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::time::Instant;

use crate::normalize::{OpKind, escape, next_op};

/// Bound used by the panicking helpers ([`RawConn::read_info`], [`RawConn::sync`]) for an
/// answer that a working server gives in well under a millisecond.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(5);

/// Why a bounded read stopped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stop {
    /// The awaited thing arrived (the INFO line, the `PONG`, or end of stream for reads that
    /// wait for it).
    Matched,
    /// The server closed the connection (EOF or reset) before the awaited thing arrived.
    Closed,
    /// The time limit passed first.
    TimedOut,
}

/// Bytes from a bounded read and why the read stopped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Received {
    /// The bytes received (see each method for exactly which).
    pub bytes: Vec<u8>,
    /// Why reading stopped.
    pub stop: Stop,
}

/// A raw TCP connection to a NATS server.
///
/// Received bytes are buffered, so every method works no matter how the server's output is cut
/// into TCP segments: a method returns exactly the bytes it is documented to, and leaves any bytes
/// after them for the next call. `Nagle` is off, so each [`send`](Self::send) leaves at once.
#[derive(Debug)]
pub struct RawConn {
    stream: TcpStream,
    peer: SocketAddr,
    /// Received and not yet returned.
    buf: Vec<u8>,
    /// `buf[..scanned]` is known to hold only complete ops that are not `PONG`.
    scanned: usize,
    /// The server closed the connection (EOF, or a reset, which Linux reports after a server
    /// closes with our bytes still unread).
    closed: bool,
}

impl RawConn {
    /// Connects to `addr`. Panics if the connection is refused.
    pub async fn connect(addr: SocketAddr) -> RawConn {
        let stream = TcpStream::connect(addr)
            .await
            .unwrap_or_else(|e| panic!("RawConn: connecting to {addr} failed: {e}"));
        stream
            .set_nodelay(true)
            .unwrap_or_else(|e| panic!("RawConn: setting TCP_NODELAY on {addr} failed: {e}"));
        RawConn {
            stream,
            peer: addr,
            buf: Vec::new(),
            scanned: 0,
            closed: false,
        }
    }

    /// The server address this connection was made to.
    pub fn peer_addr(&self) -> SocketAddr {
        self.peer
    }

    /// Whether the server has closed the connection, as far as reads so far have seen.
    pub fn is_closed(&self) -> bool {
        self.closed
    }

    /// Reads the first line the server sends and returns it, `\r\n` included (so
    /// `INFO {...} \r\n`). Panics if it does not arrive within [`DEFAULT_TIMEOUT`] or does not
    /// start with `INFO `.
    pub async fn read_info(&mut self) -> String {
        let got = self.read_line_within(DEFAULT_TIMEOUT).await;
        let line = String::from_utf8(got.bytes)
            .unwrap_or_else(|e| panic!("RawConn: INFO from {} is not UTF-8: {e}", self.peer));
        assert!(
            got.stop == Stop::Matched && line.starts_with("INFO "),
            "RawConn: expected an INFO line from {}, got {:?} ({:?})",
            self.peer,
            line,
            got.stop
        );
        line
    }

    /// Reads up to and including the next `\n`. On [`Stop::Matched`] the bytes are that line;
    /// otherwise they are whatever arrived before the connection closed or time ran out.
    pub async fn read_line_within(&mut self, timeout: Duration) -> Received {
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(nl) = self.buf.iter().position(|&b| b == b'\n') {
                return Received {
                    bytes: self.take(nl + 1),
                    stop: Stop::Matched,
                };
            }
            if let Some(stop) = self.fill_until(deadline).await {
                return self.take_all(stop);
            }
        }
    }

    /// Writes all of `bytes`. Panics if the write fails (for example because the server has
    /// closed the connection); use [`try_send`](Self::try_send) where that is expected.
    pub async fn send(&mut self, bytes: &[u8]) {
        self.try_send(bytes).await.unwrap_or_else(|e| {
            panic!(
                "RawConn: sending {} to {} failed: {e}",
                escape(bytes),
                self.peer
            )
        });
    }

    /// Writes all of `bytes`, returning the write error if there is one.
    pub async fn try_send(&mut self, bytes: &[u8]) -> io::Result<()> {
        self.stream.write_all(bytes).await?;
        self.stream.flush().await
    }

    /// Sends `PING\r\n` and reads until a `PONG\r\n` arrives; returns everything received before
    /// that `PONG` (the `PONG` itself is consumed). Panics if the server closes the connection or
    /// does not answer within [`DEFAULT_TIMEOUT`].
    ///
    /// Because the server answers a connection's ops in order, everything it sent in reply to
    /// earlier bytes on this connection, and every message it routed here before it read the
    /// `PING`, precedes that `PONG`. `MSG`/`HMSG` payloads are skipped by size, so a payload
    /// containing `PONG\r\n` does not end the read early. If earlier bytes contained their own
    /// `PING`s, the first `PONG` that arrives is the one taken; later ones stay buffered for the
    /// next read.
    pub async fn sync(&mut self) -> Vec<u8> {
        let got = self.sync_within(DEFAULT_TIMEOUT).await;
        assert!(
            got.stop == Stop::Matched,
            "RawConn: no PONG from {} ({:?}); received {}",
            self.peer,
            got.stop,
            escape(&got.bytes)
        );
        got.bytes
    }

    /// Like [`sync`](Self::sync) but bounded by `timeout` and not panicking: on
    /// [`Stop::Matched`] the bytes are those before the `PONG`; otherwise they are everything
    /// received. A failed `PING` write counts as the connection being closed.
    pub async fn sync_within(&mut self, timeout: Duration) -> Received {
        let deadline = Instant::now() + timeout;
        if self.try_send(b"PING\r\n").await.is_err() {
            self.closed = true;
        }
        self.read_pong_until(deadline).await
    }

    /// Reads until the next `PONG\r\n` (see [`sync`](Self::sync)) without sending anything.
    pub async fn read_pong_within(&mut self, timeout: Duration) -> Received {
        self.read_pong_until(Instant::now() + timeout).await
    }

    async fn read_pong_until(&mut self, deadline: Instant) -> Received {
        loop {
            while let Some((len, kind)) = next_op(&self.buf[self.scanned..]) {
                if kind == OpKind::Pong {
                    let bytes = self.take(self.scanned);
                    self.take(len);
                    return Received {
                        bytes,
                        stop: Stop::Matched,
                    };
                }
                self.scanned += len;
            }
            if let Some(stop) = self.fill_until(deadline).await {
                return self.take_all(stop);
            }
        }
    }

    /// Reads until the server closes the connection or `timeout` passes. Returns everything
    /// received and whether the close was seen.
    pub async fn read_until_closed(&mut self, timeout: Duration) -> (Vec<u8>, bool) {
        let deadline = Instant::now() + timeout;
        while !self.closed {
            if self.fill_until(deadline).await == Some(Stop::TimedOut) {
                break;
            }
        }
        (self.take_all(Stop::Matched).bytes, self.closed)
    }

    /// Reads for `duration` (stopping early only if the server closes the connection) and
    /// returns everything received. Meant for checking that the server stays silent where there
    /// is no reply to wait for, such as after half a payload; prefer [`sync`](Self::sync)
    /// everywhere else.
    pub async fn read_for(&mut self, duration: Duration) -> Vec<u8> {
        let deadline = Instant::now() + duration;
        while !self.closed {
            if self.fill_until(deadline).await == Some(Stop::TimedOut) {
                break;
            }
        }
        self.take_all(Stop::Matched).bytes
    }

    /// Ends the connection from the client side and collects the rest of the server's output:
    /// sends `PING\r\n`, shuts down the write half, and reads until the server closes. The
    /// server flushes what it has queued for this connection, answers the `PING` and closes,
    /// so the returned bytes end in `PONG\r\n` when the connection was healthy. Write errors
    /// are ignored (the server may have closed already). The flag says whether the close was
    /// seen within `timeout`.
    pub async fn finish(&mut self, timeout: Duration) -> (Vec<u8>, bool) {
        if !self.closed {
            let _ = self.try_send(b"PING\r\n").await;
            let _ = self.stream.shutdown().await;
        }
        self.read_until_closed(timeout).await
    }

    /// Reads once into the buffer unless the deadline passes first. Returns `None` when bytes
    /// arrived, otherwise why nothing more will come.
    async fn fill_until(&mut self, deadline: Instant) -> Option<Stop> {
        if self.closed {
            return Some(Stop::Closed);
        }
        self.buf.reserve(64 * 1024);
        match tokio::time::timeout_at(deadline, self.stream.read_buf(&mut self.buf)).await {
            Err(_) => Some(Stop::TimedOut),
            Ok(Ok(0)) => {
                self.closed = true;
                Some(Stop::Closed)
            }
            Ok(Ok(_)) => None,
            Ok(Err(e)) => match e.kind() {
                io::ErrorKind::ConnectionReset
                | io::ErrorKind::ConnectionAborted
                | io::ErrorKind::BrokenPipe => {
                    self.closed = true;
                    Some(Stop::Closed)
                }
                _ => panic!("RawConn: reading from {} failed: {e}", self.peer),
            },
        }
    }

    fn take(&mut self, n: usize) -> Vec<u8> {
        self.scanned = 0;
        self.buf.drain(..n).collect()
    }

    fn take_all(&mut self, stop: Stop) -> Received {
        self.scanned = 0;
        Received {
            bytes: std::mem::take(&mut self.buf),
            stop,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::net::TcpListener;

    /// A fake server: sends `greeting`, then answers the first `PING` it reads with `reply`,
    /// each one byte per write, then closes.
    async fn fake_server(greeting: &'static [u8], reply: &'static [u8]) -> SocketAddr {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("local addr");
        tokio::spawn(async move {
            let (mut sock, _) = listener.accept().await.expect("accept");
            sock.set_nodelay(true).expect("nodelay");
            for b in greeting {
                sock.write_all(std::slice::from_ref(b))
                    .await
                    .expect("write");
            }
            let mut seen = Vec::new();
            while !seen.ends_with(b"PING\r\n") {
                let mut byte = [0u8; 1];
                if sock.read(&mut byte).await.expect("read") == 0 {
                    return;
                }
                seen.push(byte[0]);
            }
            for b in reply {
                sock.write_all(std::slice::from_ref(b))
                    .await
                    .expect("write");
            }
        });
        addr
    }

    #[tokio::test]
    async fn info_and_sync_survive_one_byte_chunks() {
        let addr = fake_server(
            b"INFO {\"a\":1} \r\n",
            b"MSG x 1 6\r\nPONG\r\n\r\n+OK\r\nPONG\r\nMSG y 1 1\r\nz\r\n",
        )
        .await;
        let mut conn = RawConn::connect(addr).await;
        assert_eq!(conn.read_info().await, "INFO {\"a\":1} \r\n");
        // The PONG inside the payload does not end the sync; bytes after the PONG stay buffered.
        assert_eq!(conn.sync().await, b"MSG x 1 6\r\nPONG\r\n\r\n+OK\r\n");
        let (rest, closed) = conn.read_until_closed(DEFAULT_TIMEOUT).await;
        assert_eq!(rest, b"MSG y 1 1\r\nz\r\n");
        assert!(closed && conn.is_closed());
    }

    #[tokio::test]
    async fn sync_reports_close_and_read_for_sees_silence() {
        let addr = fake_server(b"INFO {} \r\n", b"-ERR 'x'\r\n").await;
        let mut conn = RawConn::connect(addr).await;
        conn.read_info().await;
        let got = conn.sync_within(DEFAULT_TIMEOUT).await;
        assert_eq!(got.bytes, b"-ERR 'x'\r\n");
        assert_eq!(got.stop, Stop::Closed);

        let addr = fake_server(b"INFO {} \r\n", b"").await;
        let mut conn = RawConn::connect(addr).await;
        conn.read_info().await;
        assert_eq!(conn.read_for(Duration::from_millis(20)).await, b"");
        assert!(!conn.is_closed());
    }
}
