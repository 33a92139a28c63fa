//! Counting delivered messages by bytes, for the bulk subscribers.
//!
//! In a throughput scenario every `MSG` a given subscriber receives has the same length (same
//! subject, sid and payload size), so there is no need to parse them: at each frame boundary the
//! counter checks the frame starts with `MSG ` and skips the frame's length, checking only that
//! it ends in CRLF. That is a few instructions per message whatever the payload size, and it
//! still notices a frame of the wrong length (the next boundary is not `MSG `).
//!
//! Anything else at a boundary (an `INFO` after the handshake, the `PONG` that ends a run, a
//! server `PING`, an `-ERR`) is read as a control line.

use crate::error::{BenchError, Result};
use crate::msg_parser::printable;

const MSG_PREFIX: &[u8] = b"MSG ";

/// Longest control line kept while waiting for its end (a large `INFO` fits).
const MAX_CONTROL_LINE: usize = 64 * 1024;

/// Byte-counting reader state for one subscriber connection; see the module docs.
#[derive(Debug)]
pub struct FrameCounter {
    frame_len: u64,
    /// Bytes of the current `MSG` frame still to skip; 0 at a frame boundary.
    left: u64,
    /// The start of a frame split by a read: a partial `MSG ` prefix or control line.
    carry: Vec<u8>,
    /// Messages seen (frames started).
    pub messages: u64,
    /// `PONG`s seen.
    pub pongs: u64,
    /// `PING`s from the server not yet answered; the owner writes a `PONG` and lowers this.
    pub pings_owed: u64,
}

impl FrameCounter {
    /// A counter for frames of exactly `frame_len` bytes (`MSG` line, payload and CRLF).
    pub fn new(frame_len: u64) -> Self {
        assert!(frame_len > MSG_PREFIX.len() as u64 + 2);
        Self {
            frame_len,
            left: 0,
            carry: Vec::new(),
            messages: 0,
            pongs: 0,
            pings_owed: 0,
        }
    }

    /// Whether the counter is between frames (nothing partial pending).
    pub fn at_boundary(&self) -> bool {
        self.left == 0 && self.carry.is_empty()
    }

    /// Accounts for the next bytes of the stream.
    pub fn feed(&mut self, data: &[u8]) -> Result<()> {
        let mut i = 0;
        while i < data.len() {
            if self.left > 0 {
                i += self.skip_frame_bytes(&data[i..])?;
                continue;
            }
            if !self.carry.is_empty() {
                let (used, done) = self.continue_carry(&data[i..])?;
                i += used;
                if !done {
                    break;
                }
                continue;
            }
            let rest = &data[i..];
            if rest.starts_with(MSG_PREFIX) {
                self.messages += 1;
                self.left = self.frame_len;
                continue;
            }
            // A partial line (including a partial `MSG `): keep it for the next read.
            match rest.iter().position(|&b| b == b'\n') {
                Some(nl) => {
                    self.control_line(&rest[..nl])?;
                    i += nl + 1;
                }
                None => {
                    self.carry.extend_from_slice(rest);
                    break;
                }
            }
        }
        Ok(())
    }

    /// Skips up to the rest of the current frame; checks its closing CRLF where it falls.
    fn skip_frame_bytes(&mut self, data: &[u8]) -> Result<usize> {
        let take = self.left.min(data.len() as u64) as usize;
        // The byte at index j has `left - j` bytes of the frame left including itself; the
        // CR has 2 left and the LF 1.
        let left = self.left as usize;
        if left >= 2 && left - 2 < take && data[left - 2] != b'\r'
            || left - 1 < take && data[left - 1] != b'\n'
        {
            return Err(BenchError::msg(format!(
                "a MSG frame was not {} bytes long (subject, sid or payload size unexpected)",
                self.frame_len
            )));
        }
        self.left -= take as u64;
        Ok(take)
    }

    /// Continues a frame start split by a read. Returns bytes used, and whether the carried
    /// frame start is resolved (false: all of `data` was used and more is needed).
    fn continue_carry(&mut self, data: &[u8]) -> Result<(usize, bool)> {
        let mut used = 0;
        if self.carry.len() < MSG_PREFIX.len() && MSG_PREFIX.starts_with(&self.carry) {
            let need = MSG_PREFIX.len() - self.carry.len();
            used = need.min(data.len());
            self.carry.extend_from_slice(&data[..used]);
            if self.carry.len() < MSG_PREFIX.len() {
                return Ok((used, false));
            }
            if self.carry == MSG_PREFIX {
                self.carry.clear();
                self.messages += 1;
                self.left = self.frame_len - MSG_PREFIX.len() as u64;
                return Ok((used, true));
            }
        }
        let rest = &data[used..];
        match rest.iter().position(|&b| b == b'\n') {
            Some(nl) => {
                self.carry.extend_from_slice(&rest[..nl]);
                let line = std::mem::take(&mut self.carry);
                let result = self.control_line(&line);
                self.carry = line;
                self.carry.clear();
                result?;
                Ok((used + nl + 1, true))
            }
            None => {
                self.carry.extend_from_slice(rest);
                if self.carry.len() > MAX_CONTROL_LINE {
                    return Err(unexpected(&self.carry));
                }
                Ok((data.len(), false))
            }
        }
    }

    /// Handles one non-`MSG` line (without its `\n`).
    fn control_line(&mut self, line: &[u8]) -> Result<()> {
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        if line == b"PING" {
            self.pings_owed += 1;
        } else if line == b"PONG" {
            self.pongs += 1;
        } else if line.starts_with(b"INFO") || line == b"+OK" {
            // INFO may arrive at any time (the handshake's second INFO, for one).
        } else if line.starts_with(b"-ERR") {
            return Err(BenchError::msg(format!("server sent {}", printable(line))));
        } else {
            return Err(unexpected(line));
        }
        Ok(())
    }
}

fn unexpected(data: &[u8]) -> BenchError {
    BenchError::msg(format!(
        "unexpected data from server where a MSG frame should start: {}",
        printable(&data[..data.len().min(120)])
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    const FRAME: &[u8] = b"MSG bench.msgs 1 4\r\nabcd\r\n";

    fn stream() -> Vec<u8> {
        let mut s = b"INFO {\"a\":1} \r\n".to_vec();
        for i in 0..5 {
            s.extend_from_slice(FRAME);
            if i == 2 {
                s.extend_from_slice(b"PING\r\nINFO {}\r\n");
            }
        }
        s.extend_from_slice(b"PONG\r\n");
        s
    }

    fn count(input: &[u8], step: usize) -> FrameCounter {
        let mut c = FrameCounter::new(FRAME.len() as u64);
        for chunk in input.chunks(step) {
            c.feed(chunk).expect("valid stream");
        }
        c
    }

    #[test]
    fn counts_at_every_read_size() {
        let s = stream();
        for step in 1..=s.len() {
            let c = count(&s, step);
            assert_eq!(c.messages, 5, "step {step}");
            assert_eq!(c.pongs, 1, "step {step}");
            assert_eq!(c.pings_owed, 1, "step {step}");
            assert!(c.at_boundary());
        }
    }

    #[test]
    fn counts_with_any_single_cut() {
        let s = stream();
        for cut in 0..=s.len() {
            let mut c = FrameCounter::new(FRAME.len() as u64);
            c.feed(&s[..cut]).expect("valid");
            c.feed(&s[cut..]).expect("valid");
            assert_eq!((c.messages, c.pongs), (5, 1), "cut {cut}");
        }
    }

    #[test]
    fn wrong_frame_length_is_caught() {
        let mut c = FrameCounter::new(FRAME.len() as u64);
        let bad = b"MSG bench.msgs 1 5\r\nabcde\r\nMSG bench.msgs 1 5\r\nabcde\r\n";
        assert!(c.feed(bad).is_err());
        // Also when the bad ending is split across reads.
        for cut in 1..bad.len() {
            let mut c = FrameCounter::new(FRAME.len() as u64);
            let r = c.feed(&bad[..cut]).and_then(|_| c.feed(&bad[cut..]));
            assert!(r.is_err(), "cut {cut}");
        }
    }

    #[test]
    fn server_error_is_reported() {
        let mut c = FrameCounter::new(FRAME.len() as u64);
        let err = c
            .feed(b"-ERR 'Slow Consumer Detected'\r\n")
            .expect_err("an -ERR is an error");
        assert!(err.to_string().contains("Slow Consumer"));
        let mut c = FrameCounter::new(FRAME.len() as u64);
        assert!(c.feed(b"HELLO\r\n").is_err());
    }

    #[test]
    fn partial_frame_is_not_a_boundary() {
        let mut c = FrameCounter::new(FRAME.len() as u64);
        c.feed(&FRAME[..10]).expect("valid");
        assert!(!c.at_boundary());
        assert_eq!(c.messages, 1);
        c.feed(&FRAME[10..]).expect("valid");
        assert!(c.at_boundary());
    }
}
