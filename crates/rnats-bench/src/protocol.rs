//! The few pieces of the NATS client protocol the bench needs: the handshake, PING/PONG round
//! trips, and pre-built `PUB` frames.

use std::io::{self, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::{Duration, Instant};

use crate::bail;
use crate::error::{Context, Result};
use crate::msg_parser::{Event, MsgParser, printable};

/// What every bench connection sends first. No echo is needed but it is harmless: publishers
/// never subscribe. `verbose:false` so the server sends no `+OK` per operation.
pub const CONNECT: &[u8] = b"CONNECT {\"verbose\":false,\"pedantic\":false,\"echo\":true,\
\"headers\":true,\"protocol\":1,\"name\":\"rnats-bench\",\"lang\":\"rust\",\"version\":\"0.1.0\"}\r\n";

/// A connected, handshaken client connection and the parser holding anything read past the
/// handshake's `PONG`.
pub struct Conn {
    /// The socket (blocking, `TCP_NODELAY` set).
    pub stream: TcpStream,
    /// Bytes read and not yet consumed.
    pub parser: MsgParser,
}

impl Conn {
    /// Connects, sends `CONNECT`, then `setup` (say, `SUB` lines), then `PING`, and waits for
    /// the `PONG`: once it arrives the server has processed the setup.
    pub fn open(addr: SocketAddr, setup: &[u8], timeout: Duration) -> Result<Self> {
        let stream = TcpStream::connect_timeout(&addr, timeout)
            .context(format_args!("connecting to {addr}"))?;
        stream.set_nodelay(true).context("setting TCP_NODELAY")?;
        let mut conn = Self {
            stream,
            parser: MsgParser::new(),
        };
        let mut hello = Vec::with_capacity(CONNECT.len() + setup.len() + 6);
        hello.extend_from_slice(CONNECT);
        hello.extend_from_slice(setup);
        hello.extend_from_slice(b"PING\r\n");
        conn.stream
            .write_all(&hello)
            .context(format_args!("sending CONNECT to {addr}"))?;
        conn.wait_pong(timeout)
            .context(format_args!("handshake with {addr}"))?;
        Ok(conn)
    }

    /// Sends `PING` and waits for the `PONG`: everything sent before it has been processed.
    pub fn round_trip(&mut self, timeout: Duration) -> Result<()> {
        self.stream.write_all(b"PING\r\n").context("sending PING")?;
        self.wait_pong(timeout)
    }

    /// Reads until a `PONG`, answering server `PING`s; a `MSG` or `-ERR` here is an error.
    fn wait_pong(&mut self, timeout: Duration) -> Result<()> {
        let deadline = Instant::now() + timeout;
        loop {
            let mut done = false;
            let mut pings = 0;
            let mut problem = None;
            self.parser.parse(|ev| {
                match ev {
                    Event::Pong => done = true,
                    Event::Ping => pings += 1,
                    Event::Info | Event::Ok => {}
                    Event::Err(text) => {
                        problem = Some(format!("server sent -ERR {}", printable(text)))
                    }
                    Event::Msg(m) => {
                        problem = Some(format!(
                            "unexpected MSG on {} while waiting for PONG",
                            printable(m.subject)
                        ))
                    }
                }
                !done && problem.is_none()
            })?;
            if let Some(problem) = problem {
                bail!("{problem}");
            }
            for _ in 0..pings {
                self.stream
                    .write_all(b"PONG\r\n")
                    .context("answering PING")?;
            }
            if done {
                return Ok(());
            }
            read_before(&mut self.stream, &mut self.parser, deadline)
                .context("waiting for PONG")?;
        }
    }
}

/// One read into `parser`, giving up at `deadline`. End of stream is an error.
pub fn read_before(
    stream: &mut TcpStream,
    parser: &mut MsgParser,
    deadline: Instant,
) -> Result<()> {
    let left = deadline.saturating_duration_since(Instant::now());
    if left.is_zero() {
        bail!("timed out");
    }
    stream.set_read_timeout(Some(left))?;
    match parser.read_from(stream) {
        Ok(0) => bail!("server closed the connection"),
        Ok(_) => Ok(()),
        Err(e) if is_timeout(&e) => bail!("timed out"),
        Err(e) => Err(e.into()),
    }
}

/// Whether an I/O error is a socket timeout (Linux reports `EAGAIN`, i.e. `WouldBlock`).
pub fn is_timeout(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
    )
}

/// A payload of `len` bytes: printable text, so traces stay readable.
pub fn payload(len: usize) -> Vec<u8> {
    (0..len).map(|i| b'a' + (i % 26) as u8).collect()
}

/// Appends `PUB <subject> [reply] <len>\r\n<payload>\r\n` to `out`.
pub fn push_pub(out: &mut Vec<u8>, subject: &[u8], reply: Option<&[u8]>, payload: &[u8]) {
    out.extend_from_slice(b"PUB ");
    out.extend_from_slice(subject);
    out.push(b' ');
    if let Some(reply) = reply {
        out.extend_from_slice(reply);
        out.push(b' ');
    }
    push_decimal(out, payload.len() as u64);
    out.extend_from_slice(b"\r\n");
    out.extend_from_slice(payload);
    out.extend_from_slice(b"\r\n");
}

/// A block of whole `PUB` frames, at least `min_bytes` long; returns it and its frame count.
///
/// Publishers write this block over and over, so the publish loop does no formatting at all.
pub fn pub_block(subject: &[u8], payload: &[u8], min_bytes: usize) -> (Vec<u8>, u64) {
    let mut frame = Vec::new();
    push_pub(&mut frame, subject, None, payload);
    let frames = min_bytes.div_ceil(frame.len()).max(1);
    let mut block = Vec::with_capacity(frames * frame.len());
    for _ in 0..frames {
        block.extend_from_slice(&frame);
    }
    (block, frames as u64)
}

/// Length of the `MSG` frame a subscriber receives for one message.
pub fn msg_frame_len(subject: &[u8], sid: &[u8], reply: Option<&[u8]>, payload_len: usize) -> u64 {
    let mut digits = Vec::new();
    push_decimal(&mut digits, payload_len as u64);
    let reply_len = reply.map_or(0, |r| r.len() + 1);
    // "MSG " subject " " sid " " [reply " "] len "\r\n" payload "\r\n"
    (4 + subject.len() + 1 + sid.len() + 1 + reply_len + digits.len() + 2 + payload_len + 2) as u64
}

/// Appends `n` in decimal.
pub fn push_decimal(out: &mut Vec<u8>, n: u64) {
    let mut tmp = [0u8; 20];
    let mut i = tmp.len();
    let mut n = n;
    loop {
        i -= 1;
        tmp[i] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    out.extend_from_slice(&tmp[i..]);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pub_frames() {
        let mut out = Vec::new();
        push_pub(&mut out, b"a.b", None, b"xyz");
        push_pub(&mut out, b"req", Some(b"_INBOX.1"), b"");
        assert_eq!(out, b"PUB a.b 3\r\nxyz\r\nPUB req _INBOX.1 0\r\n\r\n");
    }

    #[test]
    fn block_holds_whole_frames() {
        let (block, frames) = pub_block(b"s", b"0123456789", 100);
        let frame_len = b"PUB s 10\r\n0123456789\r\n".len();
        assert_eq!(block.len(), frames as usize * frame_len);
        assert!(block.len() >= 100 && block.len() < 100 + frame_len);
        // A frame bigger than the minimum still gives one frame.
        let (_, frames) = pub_block(b"s", &[0; 500], 100);
        assert_eq!(frames, 1);
    }

    #[test]
    fn msg_frame_length_matches_text() {
        assert_eq!(
            msg_frame_len(b"bench.msgs", b"1", None, 128),
            (b"MSG bench.msgs 1 128\r\n".len() + 128 + 2) as u64
        );
        assert_eq!(
            msg_frame_len(b"req", b"12", Some(b"rep"), 5),
            b"MSG req 12 rep 5\r\nhello\r\n".len() as u64
        );
    }

    #[test]
    fn decimals() {
        for n in [0u64, 7, 10, 65536, u64::MAX] {
            let mut out = Vec::new();
            push_decimal(&mut out, n);
            assert_eq!(out, n.to_string().into_bytes());
        }
    }
}
